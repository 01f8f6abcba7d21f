//! Signing in and out of the dashboard, and the account page: argon2id passwords checked off
//! the async threads, failures throttled per account and per address, the session rotated on
//! sign-in, and "log out everywhere".

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::page::{render, same_origin, stylesheet};
use super::refusal;
use super::session::{self, Session};
use crate::domain::account::{SESSION_MS, csrf_matches, decoy_hash, new_session_token, session_key, verify_password};
use crate::domain::affiliate::normalise_email;
use crate::http::AppState;
use crate::storage::{StorageError, sessions, users};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    stylesheet: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    stylesheet: String,
    email: String,
    merchant_name: String,
    role: &'static str,
    sessions: i64,
    csrf: String,
}

/// The sign-in form's fields (absent ones read as empty).
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// A form that only proves its session.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The page shown when storage failed (the cause is logged).
pub fn failed(e: StorageError) -> Response {
    tracing::error!(error = %e, "dashboard storage failed");
    refusal(StatusCode::INTERNAL_SERVER_ERROR, "something failed on our side; please try again")
}

fn sign_in_page(status: StatusCode, email: String, error: Option<String>) -> Response {
    render(status, &SignInPage { stylesheet: stylesheet(), email, error })
}

/// `GET /dashboard/login`.
#[handler]
pub fn show_form() -> Response {
    sign_in_page(StatusCode::OK, String::new(), None)
}

/// The keys a sign-in's failures count against: its address and its account.
fn throttle_keys(req: &Request, email: &str) -> [String; 2] {
    let ip = req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    [format!("ip:{ip}"), format!("email:{email}")]
}

/// `POST /dashboard/login`.
#[handler]
pub async fn submit(req: &Request, Data(state): Data<&AppState>, Form(form): Form<SignInForm>) -> Response {
    if !same_origin(req) {
        return refusal(StatusCode::FORBIDDEN, "this form was sent from another site");
    }
    let email = normalise_email(&form.email);
    let keys = throttle_keys(req, &email);
    let now = crate::now_ms();
    let refused = state.sign_in_failures.lock().ok().and_then(|t| keys.iter().filter_map(|k| t.refused_for(k, now)).max());
    if let Some(ms) = refused {
        let minutes = (ms + 59_999) / 60_000;
        let mut resp = sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            email,
            Some(format!("Too many failed attempts. Try again in {minutes} minute{}.", if minutes == 1 { "" } else { "s" })),
        );
        resp.headers_mut().insert("retry-after", ((ms + 999) / 1000).into());
        return resp;
    }
    let user = match users::by_email(&state.db.pool, &email).await {
        Ok(user) => user,
        Err(e) => return failed(e),
    };
    // An unknown email costs a hash check too, so timing does not tell which emails exist.
    let stored = user.as_ref().map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await.unwrap_or(false);
    let Some(user) = user.filter(|_| matches) else {
        if let Ok(mut t) = state.sign_in_failures.lock() {
            keys.iter().for_each(|k| t.failed(k, now));
        }
        return sign_in_page(StatusCode::UNAUTHORIZED, email, Some("That email and password do not match an account.".into()));
    };
    // A new token on every sign-in: a session fixed before it is worth nothing after.
    if let Some(old) = session::presented_token(req)
        && let Err(e) = sessions::close(&state.db.pool, &session_key(&old)).await
    {
        return failed(e);
    }
    let token = new_session_token();
    if let Err(e) = sessions::open(&state.db.pool, &session_key(&token), &user.id, now, now + SESSION_MS).await {
        return failed(e);
    }
    Redirect::see_other("/dashboard").with_header("set-cookie", session::set_cookie(req, &token)).into_response()
}

/// The request's session, or the way to the sign-in page.
pub async fn signed_in(req: &Request, state: &AppState) -> Result<Session, Response> {
    match session::current(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Redirect::see_other("/dashboard/login").into_response()),
        Err(e) => Err(failed(e)),
    }
}

/// The session a state-changing form acts for: same site, signed in, its CSRF token right.
pub async fn form_session(req: &Request, state: &AppState, csrf: &str) -> Result<Session, Response> {
    if !same_origin(req) {
        return Err(refusal(StatusCode::FORBIDDEN, "this form was sent from another site"));
    }
    let session = signed_in(req, state).await?;
    if !csrf_matches(&session.token, csrf) {
        return Err(refusal(StatusCode::FORBIDDEN, "this form has expired; reload the page and try again"));
    }
    Ok(session)
}

fn to_sign_in(req: &Request) -> Response {
    Redirect::see_other("/dashboard/login").with_header("set-cookie", session::clear_cookie(req)).into_response()
}

/// `POST /dashboard/logout`.
#[handler]
pub async fn log_out(req: &Request, Data(state): Data<&AppState>, Form(form): Form<CsrfForm>) -> Response {
    let session = match form_session(req, state, &form.csrf).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    match sessions::close(&state.db.pool, &session_key(&session.token)).await {
        Ok(()) => to_sign_in(req),
        Err(e) => failed(e),
    }
}

/// `POST /dashboard/logout-everywhere`: every session of the user ends.
#[handler]
pub async fn log_out_everywhere(req: &Request, Data(state): Data<&AppState>, Form(form): Form<CsrfForm>) -> Response {
    let session = match form_session(req, state, &form.csrf).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    match sessions::close_all(&state.db.pool, &session.user.user_id).await {
        Ok(_) => to_sign_in(req),
        Err(e) => failed(e),
    }
}

/// `GET /dashboard/account`: who is signed in, for which program, and where.
#[handler]
pub async fn account(req: &Request, Data(state): Data<&AppState>) -> Response {
    let session = match signed_in(req, state).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let count = match sessions::count_live(&state.db.pool, &session.user.user_id, crate::now_ms()).await {
        Ok(n) => n,
        Err(e) => return failed(e),
    };
    let page = AccountPage {
        stylesheet: stylesheet(),
        csrf: session.csrf(),
        email: session.user.email,
        merchant_name: session.user.merchant_name,
        role: session.user.role.as_str(),
        sessions: count,
    };
    render(StatusCode::OK, &page)
}
