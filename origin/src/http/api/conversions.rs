//! `GET /v1/conversions`: attributed sales with their commissions.

use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use super::list::{ListOf, page_in, sales_filter};
use crate::domain::commission::PaymentStatus;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::conversions::{self, ConversionRow as Conversion};

/// Conversions.
#[derive(Debug, Default)]
pub struct ConversionsApi;

#[OpenApi]
impl ConversionsApi {
    /// Lists conversions, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/conversions", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only this affiliate's conversions.
        affiliate_id: Query<Option<String>>,
        /// Only conversions in this state.
        status: Query<Option<PaymentStatus>>,
        /// Created at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Created before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last conversion of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Conversion>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&conversions::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let filter = sales_filter(livemode.0, status.0, affiliate_id.0, (created_gte.0, created_lt.0));
        let found = conversions::list_conversions(pool, merchant, &filter, &page).await?;
        Ok(ListOf::page(found))
    }
}
