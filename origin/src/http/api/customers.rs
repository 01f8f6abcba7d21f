//! `/v1/customers`: Stripe customers bound to the affiliate who brought them, and how.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use super::list::ListOf;
use super::page_request;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::customers::{self, CustomerRow as Customer};

/// Bound customers.
#[derive(Debug, Default)]
pub struct CustomersApi;

#[OpenApi]
impl CustomersApi {
    /// Lists customers bound to affiliates, newest first.
    #[oai(path = "/v1/customers", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) customers.
        livemode: Query<Option<bool>>,
        /// Only this affiliate's customers.
        affiliate_id: Query<Option<String>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last customer of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Customer>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let livemode = livemode.0.unwrap_or(false);
        let page =
            page_request(limit.0, starting_after.0, |id| async move { customers::position(pool, merchant, livemode, &id).await }).await?;
        let found = customers::list(pool, merchant, livemode, affiliate_id.0.as_deref(), &page).await?;
        Ok(ListOf::page(found))
    }

    /// Retrieves a bound customer.
    #[oai(path = "/v1/customers/:id", method = "get")]
    async fn get(
        &self,
        auth: ApiKey,
        state: State<'_>,
        id: Path<String>,
        /// Live (`true`) or test (`false`, the default) mode.
        livemode: Query<Option<bool>>,
    ) -> Result<Json<Customer>, ApiFailure> {
        let mut conn = state.db.pool.acquire().await.map_err(crate::storage::StorageError::from)?;
        let found = customers::get(&mut conn, &auth.0.merchant_id, livemode.0.unwrap_or(false), &id.0)
            .await?
            .ok_or(ApiError::NotFound("no such customer"))?;
        Ok(Json(found))
    }
}
