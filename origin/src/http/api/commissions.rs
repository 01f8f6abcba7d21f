//! `/v1/commissions`: list and read commissions (acting on them is `commission_actions.rs`).

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use super::list::{ListOf, page_in, sales_filter};
use crate::domain::commission::CommissionStatus;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::commissions::{self, CommissionRow as Commission};

/// Commissions.
#[derive(Debug, Default)]
pub struct CommissionsApi;

#[OpenApi]
impl CommissionsApi {
    /// Lists commissions, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/commissions", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only commissions with this status.
        status: Query<Option<CommissionStatus>>,
        /// Only this affiliate's.
        affiliate_id: Query<Option<String>>,
        /// Created at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Created before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last commission of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Commission>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&commissions::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let filter = sales_filter(livemode.0, status.0, affiliate_id.0, (created_gte.0, created_lt.0));
        let found = commissions::list(pool, merchant, &filter, &page).await?;
        Ok(ListOf::page(found))
    }

    /// Retrieves a commission.
    #[oai(path = "/v1/commissions/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        let found = commissions::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such commission"))?;
        Ok(Json(found))
    }
}
