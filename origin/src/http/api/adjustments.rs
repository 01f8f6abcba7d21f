//! `GET /v1/commission_adjustments`: entries against approved or paid commissions (refunds
//! taking part back), open until a payout settles them.

use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use super::list::{ListOf, page_in};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::adjustments::{self, AdjustmentRow as CommissionAdjustment};

/// Commission adjustments.
#[derive(Debug, Default)]
pub struct AdjustmentsApi;

#[OpenApi]
impl AdjustmentsApi {
    /// Lists commission adjustments, newest first.
    #[oai(path = "/v1/commission_adjustments", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only this affiliate's.
        affiliate_id: Query<Option<String>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last adjustment of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<CommissionAdjustment>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&adjustments::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = adjustments::list(pool, merchant, livemode.0.unwrap_or(false), affiliate_id.0.as_deref(), &page).await?;
        Ok(ListOf::page(found))
    }
}
