//! `/v1/stripe_events`: the Stripe events payref received, where each stands (pending,
//! processed with its outcome, parked with its last error), and a retry for parked ones.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use super::list::{ListOf, page_in};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::stripe_events::{self, EventRow as StripeEvent, EventState};

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
        status: Query<Option<EventState>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last event of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<StripeEvent>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&stripe_events::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = stripe_events::list(pool, merchant, livemode.0.unwrap_or(false), status.0, &page).await?;
        Ok(ListOf::page(found))
    }

    /// Retrieves a received Stripe event.
    #[oai(path = "/v1/stripe_events/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<StripeEvent>, ApiFailure> {
        let found = stripe_events::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such event"))?;
        Ok(Json(found))
    }

    /// Puts a parked event back in the queue, its attempts reset.
    #[oai(path = "/v1/stripe_events/:id/retry", method = "post")]
    async fn retry(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<StripeEvent>, ApiFailure> {
        auth.0.require_write()?;
        let pool = &state.db.pool;
        let merchant = &auth.0.merchant_id;
        let Some(retried) = stripe_events::retry_parked(pool, merchant, &id.0, crate::now_ms()).await? else {
            let found = stripe_events::get(pool, merchant, &id.0).await?.ok_or(ApiError::NotFound("no such event"))?;
            let message = format!("only a parked event can be retried; this one is {}", found.status.as_str());
            return Err(ApiError::Conflict { code: "invalid_status", message }.into());
        };
        state.events_wake.notify_one();
        Ok(Json(retried))
    }
}
