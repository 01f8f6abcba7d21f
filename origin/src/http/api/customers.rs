//! `/v1/customers`: Stripe customers bound to the affiliate who brought them, and how.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::list::ListOf;
use super::page_request;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::customers::{self, CustomerRow};

/// A Stripe customer credited to an affiliate: their later payments follow the binding.
#[derive(Debug, Object)]
pub struct Customer {
    /// Stripe's `cus_…` id.
    pub id: String,
    /// Always `customer`.
    pub object: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The affiliate the customer is bound to.
    pub affiliate_id: String,
    /// How the binding was made: `client_reference_id`, `lead_email`…
    pub method: String,
    /// The click behind it, when there was one.
    pub click_id: Option<String>,
    /// The Stripe object whose attribution made it (`cs_…`, `in_…`).
    pub source_object_id: String,
    /// Bound at, UTC epoch ms.
    pub created_at: i64,
    /// The status of the customer's latest subscription (`active`, `trialing`, `canceled`…),
    /// when Stripe reported one.
    pub subscription_status: Option<String>,
    /// When the customer canceled (or set the subscription to end), UTC epoch ms.
    pub canceled_at: Option<i64>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Self {
            id: r.stripe_customer_id,
            object: "customer".into(),
            livemode: r.livemode != 0,
            affiliate_id: r.affiliate_id,
            method: r.method,
            click_id: r.click_id,
            source_object_id: r.source_object_id,
            created_at: r.created_at,
            subscription_status: r.subscription_status,
            canceled_at: r.canceled_at,
        }
    }
}

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
        Ok(Json(found.into()))
    }
}
