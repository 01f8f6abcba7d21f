//! `GET /v1/overview`: the program over a span of days — the figures the dashboard's overview
//! page shows, from the same function (`storage::stats::overview`).

use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::domain::period::Period;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::stats::{self, Overview};

/// The overview.
#[derive(Debug, Default)]
pub struct OverviewApi;

#[OpenApi]
impl OverviewApi {
    /// The program over whole UTC days: clicks, leads, conversions, revenue and commissions per
    /// currency, conversion rate, earnings per click, each day, the best affiliates, and what
    /// waits for the merchant (commissions to review, payouts due, parked Stripe events).
    #[oai(path = "/v1/overview", method = "get")]
    async fn overview(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) sales.
        livemode: Query<Option<bool>>,
        /// `7`, `30` (the default) or `90` days up to today, or `custom`.
        range: Query<Option<String>>,
        /// With `custom`: the first day, `YYYY-MM-DD`.
        from: Query<Option<String>>,
        /// With `custom`: the last day, `YYYY-MM-DD`.
        to: Query<Option<String>>,
    ) -> Result<Json<Overview>, ApiFailure> {
        let period = Period::parse(range.0.as_deref(), from.0.as_deref(), to.0.as_deref(), crate::now_ms())
            .map_err(|e| ApiError::bad_request("invalid_request", format!("{}: {}", e.field, e.message)))?;
        let found = stats::overview(&state.db.pool, &auth.0.merchant_id, livemode.0.unwrap_or(false), &period).await?;
        Ok(Json(found))
    }
}
