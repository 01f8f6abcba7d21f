//! `/v1/stripe_events`: the Stripe events payref received, where each stands (pending,
//! processed with its outcome, parked with its last error), and a retry for parked ones.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::list::{ListOf, page_in};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::stripe_events::{self, EventRow, EventState};

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "StripeEventStatus", rename_all = "snake_case")]
pub enum Status {
    /// Stored, waiting for its (next) attempt.
    Pending,
    /// Applied; see `outcome`.
    Processed,
    /// Failed too often or could not be parsed; see `last_error`. Retry it once fixed.
    Parked,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Parked => "parked",
        }
    }
}

impl From<Status> for EventState {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => Self::Pending,
            Status::Processed => Self::Processed,
            Status::Parked => Self::Parked,
        }
    }
}

/// A Stripe event as payref received and processed it.
#[derive(Debug, Object)]
pub struct StripeEvent {
    /// Stripe's `evt_…` id.
    pub id: String,
    /// Always `stripe_event`.
    pub object: String,
    /// Stripe's event type.
    #[oai(rename = "type")]
    pub event_type: String,
    /// Test or live mode.
    pub livemode: bool,
    /// pending, processed or parked.
    pub status: Status,
    /// Processing attempts made.
    pub attempts: i64,
    /// What processing came to (e.g. `attributed`, `not_attributed: …`, `ignored: …`).
    pub outcome: Option<String>,
    /// The last failure, while pending or parked.
    pub last_error: Option<String>,
    /// Received, UTC epoch ms.
    pub received_at: i64,
    /// Processed, UTC epoch ms.
    pub processed_at: Option<i64>,
    /// Parked, UTC epoch ms.
    pub parked_at: Option<i64>,
    /// Next attempt due, UTC epoch ms (pending events only).
    pub next_attempt_at: Option<i64>,
}

impl From<EventRow> for StripeEvent {
    fn from(r: EventRow) -> Self {
        let status = match (r.processed_at, r.parked_at) {
            (Some(_), _) => Status::Processed,
            (None, Some(_)) => Status::Parked,
            (None, None) => Status::Pending,
        };
        Self {
            id: r.event_id,
            object: "stripe_event".into(),
            event_type: r.event_type,
            livemode: r.livemode != 0,
            status,
            attempts: r.attempts,
            outcome: r.outcome,
            last_error: r.last_error,
            received_at: r.received_at,
            processed_at: r.processed_at,
            parked_at: r.parked_at,
            next_attempt_at: (status == Status::Pending).then_some(r.next_attempt_at),
        }
    }
}

/// Received Stripe events.
#[derive(Debug, Default)]
pub struct StripeEventsApi;

#[OpenApi]
impl StripeEventsApi {
    /// Lists received Stripe events, newest first; `status=parked` shows the ones needing attention.
    #[oai(path = "/v1/stripe_events", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) events.
        livemode: Query<Option<bool>>,
        /// Only events in this state.
        status: Query<Option<Status>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last event of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<StripeEvent>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&stripe_events::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = stripe_events::list(pool, merchant, livemode.0.unwrap_or(false), status.0.map(Into::into), &page).await?;
        Ok(ListOf::page(found))
    }

    /// Retrieves a received Stripe event.
    #[oai(path = "/v1/stripe_events/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<StripeEvent>, ApiFailure> {
        let found = stripe_events::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such event"))?;
        Ok(Json(found.into()))
    }

    /// Puts a parked event back in the queue, its attempts reset.
    #[oai(path = "/v1/stripe_events/:id/retry", method = "post")]
    async fn retry(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<StripeEvent>, ApiFailure> {
        auth.0.require_write()?;
        let pool = &state.db.pool;
        let merchant = &auth.0.merchant_id;
        let Some(retried) = stripe_events::retry_parked(pool, merchant, &id.0, crate::now_ms()).await? else {
            let found = stripe_events::get(pool, merchant, &id.0).await?.ok_or(ApiError::NotFound("no such event"))?;
            let message = format!("only a parked event can be retried; this one is {}", StripeEvent::from(found).status.label());
            return Err(ApiError::Conflict { code: "invalid_status", message }.into());
        };
        state.events_wake.notify_one();
        Ok(Json(retried.into()))
    }
}
