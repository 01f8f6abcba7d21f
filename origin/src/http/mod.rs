//! poem routes: one file per resource, one error type.

pub mod api;
pub mod auth;
pub mod edge;
pub mod error;
pub mod ingest;
pub mod limits;
pub mod web;
pub mod webhooks;

use std::sync::Arc;

use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoResponse, Route, Server, get, handler, post};

use crate::Db;
use crate::domain::secrets::Keyring;
use crate::domain::throttle::FailureThrottle;
use crate::metrics::Metrics;
use crate::stripe::client::StripeApi;
use error::{ApiError, envelope};

/// What a handler reaches, as poem hands it over.
pub type State<'a> = Data<&'a AppState>;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The edge's batch signing secrets (current first).
    pub edge_secrets: Arc<Vec<Vec<u8>>>,
    /// The key leads' email hashes are stored under.
    pub lead_secret: Arc<Vec<u8>>,
    /// The keys Stripe secrets are sealed with.
    pub keyring: Arc<Keyring>,
    /// The process's counters, served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Arc<String>>,
    /// Wakes the Stripe event worker when a webhook stored an event.
    pub events_wake: Arc<tokio::sync::Notify>,
    /// Where Stripe's API is reached (fetching objects payref has not seen, reconciling,
    /// writing customer metadata).
    pub stripe: Arc<StripeApi>,
    /// Failed API-key attempts per caller address, in this process.
    pub auth_failures: Arc<std::sync::Mutex<FailureThrottle<std::net::IpAddr>>>,
    /// Failed dashboard sign-ins per account (`email:…`) and per address (`ip:…`), in this process.
    pub sign_in_failures: Arc<std::sync::Mutex<FailureThrottle<String>>>,
}

/// Whether a request without a metrics token may read `/metrics`: only straight from this
/// host (a scraper beside the origin), never through a proxy, which would make any client look
/// local.
fn local_scrape(req: &poem::Request) -> bool {
    let loopback = matches!(req.remote_addr().as_socket_addr(), Some(a) if a.ip().is_loopback());
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| req.headers().contains_key(*h));
    loopback && !forwarded
}

#[handler]
fn metrics(req: &poem::Request, Data(state): Data<&AppState>) -> Result<poem::Response, ApiError> {
    match &state.metrics_token {
        Some(token) => {
            let presented = req.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
            // Constant-time compare: the token guards business volumes.
            let ok = presented
                .is_some_and(|p| p.len() == token.len() && p.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0);
            if !ok {
                return Err(ApiError::Unauthorized("a valid metrics token is required"));
            }
        }
        None if !local_scrape(req) => {
            return Err(ApiError::Forbidden("/metrics answers only local requests unless PAYREF_METRICS_TOKEN is set"));
        }
        None => {}
    }
    Ok(poem::Response::builder().content_type("text/plain; version=0.0.4").body(state.metrics.render()))
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// The whole HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    let counters = state.metrics.clone();
    Route::new()
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics))
        .at("/v1/ingest/events", post(ingest::ingest_events))
        .at("/v1/stripe/webhooks/:merchant_id/:mode", post(webhooks::receive))
        .at("/v1/edge/sites/:site_key", get(edge::site_config))
        .at("/v1/edge/sites/:site_key/links/:slug", get(edge::link))
        .nest("/dashboard", web::routes())
        .at("/openapi.json", api::service().spec_endpoint())
        .nest("/docs", api::service().swagger_ui())
        .nest("/", api::service())
        .around(limits::enforce)
        .data(state)
        .catch_all_error(|err: poem::Error| async move {
            if err.is::<ApiError>() || err.is_from_response() {
                return err.into_response();
            }
            // poem's own refusals (no route, wrong method, bad path) in our envelope.
            let status = err.status();
            let code = match status {
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::UNAUTHORIZED => "unauthorized",
                StatusCode::FORBIDDEN => "forbidden",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::BAD_REQUEST => "invalid_request",
                _ if status.is_client_error() => "bad_request",
                _ => "internal",
            };
            envelope(status, code, &err.to_string())
        })
        .around(move |ep, req| {
            let counters = counters.clone();
            async move {
                let start = std::time::Instant::now();
                let resp = ep.call(req).await.map(IntoResponse::into_response).unwrap_or_else(|e| e.into_response());
                counters.request(resp.status().as_u16(), start.elapsed().as_secs_f64());
                Ok(resp)
            }
        })
}

/// Serves `app` on an already-bound listener until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = TcpAcceptor::from_std(listener)?;
    Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(app(state), shutdown, Some(std::time::Duration::from_secs(5))).await
}
