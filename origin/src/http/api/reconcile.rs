//! `POST /v1/reconcile`: "check now". Reads the merchant's Stripe account (events and completed
//! Checkout Sessions since the last run, or `since`) and queues what webhooks missed for the
//! same processing as webhooks.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::reconcile::reconciler::{self, ReconcileError};

/// What to reconcile.
#[derive(Debug, Object)]
#[oai(rename = "ReconcileRequest")]
pub struct ReconcileRequest {
    /// Live mode (default test).
    #[oai(default)]
    pub livemode: bool,
    /// From when, unix seconds (at most 30 days back: what Stripe keeps of events). Default:
    /// from the last run.
    pub since: Option<i64>,
}

/// What a run found.
#[derive(Debug, Object)]
#[oai(rename = "ReconcileReport")]
pub struct ReconcileReport {
    /// Always `reconcile_report`.
    pub object: String,
    /// The mode reconciled.
    pub livemode: bool,
    /// Events listed at Stripe.
    pub events_listed: u64,
    /// Of those, not received before (missed webhooks), now queued.
    pub events_new: u64,
    /// Completed Checkout Sessions listed.
    pub sessions_listed: u64,
    /// Of those, queued for processing for the first time.
    pub sessions_new: u64,
}

/// Reconciliation with Stripe.
#[derive(Debug, Default)]
pub struct ReconcileApi;

#[OpenApi]
impl ReconcileApi {
    /// Reconciles now: lists the Stripe account's events and completed Checkout Sessions and
    /// queues what payref had not received. Idempotent: anything already received changes nothing.
    #[oai(path = "/v1/reconcile", method = "post")]
    async fn reconcile(&self, auth: ApiKey, state: State<'_>, body: Json<ReconcileRequest>) -> Result<Json<ReconcileReport>, ApiFailure> {
        auth.0.require_write()?;
        let now = crate::now_ms() / 1000;
        if let Some(since) = body.0.since
            && !(now - 30 * 86_400..=now).contains(&since)
        {
            return Err(ApiError::bad_request("invalid_since", "since must be a unix time (seconds) within the last 30 days").into());
        }
        let livemode = body.0.livemode;
        let report =
            reconciler::reconcile(&state.db, &state.keyring, &state.stripe, &auth.0.merchant_id, livemode, body.0.since, &mut |_| {})
                .await
                .map_err(|e| match e {
                    ReconcileError::NotConnected(_) => ApiError::Conflict { code: "stripe_not_connected", message: e.to_string() },
                    ReconcileError::Stripe(e) => ApiError::Upstream(e.to_string()),
                    ReconcileError::Storage(e) => ApiError::Internal(e),
                })?;
        if report.events_new + report.sessions_new > 0 {
            state.events_wake.notify_one();
        }
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        Ok(Json(ReconcileReport {
            object: "reconcile_report".into(),
            livemode,
            events_listed: n(report.events_listed),
            events_new: n(report.events_new),
            sessions_listed: n(report.sessions_listed),
            sessions_new: n(report.sessions_new),
        }))
    }
}
