//! The merchant dashboard's pages: server-rendered HTML (askama templates in
//! `origin/templates/`), forms that work without JavaScript, a session cookie, a CSRF token on
//! every form, and a strict Content-Security-Policy. Pages call the same storage and domain
//! functions as the API.

pub mod affiliates;
pub mod assets;
pub mod chart;
pub mod commissions;
pub mod conversions;
pub mod overview;
pub mod page;
pub mod session;
pub mod sign_in;

use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, post};

/// Every dashboard route (nested under `/dashboard`).
pub fn routes() -> impl Endpoint {
    Route::new()
        .at("/", get(overview::show))
        .at("/login", get(sign_in::show_form).post(sign_in::submit))
        .at("/logout", post(sign_in::log_out))
        .at("/logout-everywhere", post(sign_in::log_out_everywhere))
        .at("/account", get(sign_in::account))
        .at("/affiliates", get(affiliates::list))
        .at("/affiliates/new", get(affiliates::new_form).post(affiliates::create))
        .at("/conversions", get(conversions::list))
        .at("/conversions/:id", get(conversions::show))
        .at("/commissions", get(commissions::list))
        .at("/commissions/act", post(commissions::act))
        .at("/assets/:name", get(assets::serve))
        .around(|ep, req| async move {
            let resp = ep.call(req).await.map(IntoResponse::into_response).unwrap_or_else(|e| e.into_response());
            Ok(page::secure(resp))
        })
}

/// A plain-text refusal a page cannot recover from (a forged form, a missing session).
pub fn refusal(status: StatusCode, message: &str) -> Response {
    Response::builder().status(status).content_type("text/plain; charset=utf-8").body(message.to_owned())
}
