//! The one envelope of every list the API answers, and the page a list request asks for.

use poem_openapi::Object;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use sqlx::AnyPool;

use super::page_request;
use crate::http::error::ApiError;
use crate::storage::list::{Listing, SalesFilter};
use crate::storage::page::{Page, PageRequest};

/// A page of objects, newest first.
#[derive(Debug, Object)]
#[oai(rename = "List")]
pub struct ListOf<T: ParseFromJSON + ToJSON> {
    /// Always `list`.
    pub object: String,
    /// The page.
    pub data: Vec<T>,
    /// Whether more follow; pass the last id as `starting_after` for the next page.
    pub has_more: bool,
}

impl<T: ParseFromJSON + ToJSON> ListOf<T> {
    /// The API's page of storage's rows.
    pub fn page<R: Into<T>>(page: Page<R>) -> Json<Self> {
        Json(Self { object: "list".into(), data: page.data.into_iter().map(Into::into).collect(), has_more: page.has_more })
    }

    /// Every row at once (a list too short to page).
    pub fn all<R: Into<T>>(rows: Vec<R>) -> Json<Self> {
        Self::page(Page { data: rows, has_more: false })
    }
}

/// The page `limit` and `starting_after` ask for of one of the merchant's lists; the cursor
/// must be one of the merchant's objects.
pub async fn page_in(
    listing: &Listing,
    pool: &AnyPool,
    merchant_id: &str,
    limit: Option<i64>,
    starting_after: Option<String>,
) -> Result<PageRequest, ApiError> {
    page_request(limit, starting_after, |id| async move { listing.position(pool, merchant_id, &id).await }).await
}

/// A commission or conversion list's filters (and its export's) as the query string gives
/// them: test data unless `livemode` says otherwise.
pub fn sales_filter<S>(
    livemode: Option<bool>,
    status: Option<S>,
    affiliate_id: Option<String>,
    (created_gte, created_lt): (Option<i64>, Option<i64>),
) -> SalesFilter<S> {
    SalesFilter { livemode: livemode.unwrap_or(false), status, affiliate_id, created_gte, created_lt }
}
