//! The merchant API (poem-openapi): spec at `/openapi.json`, interactive docs at `/docs`.

pub mod affiliates;
pub mod campaigns;
pub mod conversions;

use poem_openapi::{Object, OpenApiService};

use super::error::ApiError;
use crate::storage::page::PageRequest;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: i64 = 25;
/// Largest page size.
pub const MAX_LIMIT: i64 = 100;

/// The OpenAPI service with every resource.
pub fn service() -> OpenApiService<(conversions::ConversionsApi, affiliates::AffiliatesApi, campaigns::CampaignsApi), ()> {
    OpenApiService::new((conversions::ConversionsApi, affiliates::AffiliatesApi, campaigns::CampaignsApi), "payref merchant API", env!("CARGO_PKG_VERSION"))
        .description("Affiliates, campaigns, clicks, conversions and commissions of one merchant. Authenticate with `Authorization: Bearer <API key>`; every object is scoped to the key's merchant.")
}

/// Builds a page request from `limit` and `starting_after`, looking the cursor object up with
/// `position` (scoped to the caller's merchant, so another merchant's id is simply unknown).
pub async fn page_request<F, Fut>(limit: Option<i64>, starting_after: Option<String>, position: F) -> Result<PageRequest, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Option<(i64, String)>, crate::storage::StorageError>>,
{
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("invalid_request", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let after = match starting_after {
        None => None,
        Some(id) => Some(
            position(id)
                .await?
                .ok_or_else(|| ApiError::bad_request("invalid_request", "starting_after names no object of yours"))?,
        ),
    };
    Ok(PageRequest { after, limit })
}

/// Stripe's answer to a deletion.
#[derive(Debug, Object)]
pub struct DeletedObject {
    /// The deleted object's id.
    pub id: String,
    /// Its type.
    pub object: String,
    /// Always true.
    pub deleted: bool,
}
