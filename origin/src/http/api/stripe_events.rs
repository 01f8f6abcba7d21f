//! `/v1/stripe_events`: the Stripe events payref received, where each stands (pending,
//! processed with its outcome, parked with its last error), and a retry for parked ones.

use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use super::list::list_endpoint;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::stripe_events::{self, EventRow as StripeEvent, EventState};

list_endpoint! {
    /// The list of received Stripe events.
    StripeEventListApi;
    /// Lists received Stripe events, newest first; `status=parked` shows the ones needing attention.
    GET "/v1/stripe_events" => StripeEvent, cursor in stripe_events::LIST, "Id of the last event of the previous page.";
    filters {
        /// Live (`true`) or test (`false`, the default) events.
        livemode: Option<bool>,
        /// Only events in this state.
        status: Option<EventState>,
    }
    |pool, merchant, page| stripe_events::list(pool, merchant, livemode.unwrap_or(false), status, page)
}

/// Received Stripe events.
#[derive(Debug, Default)]
pub struct StripeEventsApi;

#[OpenApi]
impl StripeEventsApi {
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
