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

/// Declares a resource's list operation once: its filters, each a documented query parameter,
/// and the expression that reads a page with them. The page parameters (`limit`,
/// `starting_after`), the key's merchant and the envelope are the same for every list, so
/// they are written here and nowhere else. Inside `rows`, each filter is its plain value and
/// `pool`, `merchant` and `page` are the names the caller gives them.
///
/// With a CSV line the same declaration also makes the list's export (its own API type),
/// taking exactly the list's filters, so an export cannot miss one: every page of `rows`,
/// streamed through `render` after `header`.
macro_rules! list_endpoint {
    (
        $(#[$api_doc:meta])*
        $api:ident;
        $(#[$op_doc:meta])*
        GET $path:literal => $row:ty, cursor in $listing:path, $after_doc:literal;
        filters { $( $(#[$param_doc:meta])* $param:ident: $param_ty:ty ),* $(,)? }
        |$pool:ident, $merchant:ident, $page:ident| $rows:expr
    ) => {
        $(#[$api_doc])*
        #[derive(Debug, Default)]
        pub struct $api;

        #[poem_openapi::OpenApi]
        impl $api {
            $(#[$op_doc])*
            #[allow(clippy::too_many_arguments)]
            #[oai(path = $path, method = "get")]
            async fn list(
                &self,
                auth: $crate::http::auth::ApiKey,
                state: $crate::http::State<'_>,
                $( $(#[$param_doc])* $param: poem_openapi::param::Query<$param_ty>, )*
                /// Page size, 1–100 (default 25).
                limit: poem_openapi::param::Query<Option<i64>>,
                #[doc = $after_doc]
                starting_after: poem_openapi::param::Query<Option<String>>,
            ) -> Result<poem_openapi::payload::Json<$crate::http::api::list::ListOf<$row>>, $crate::http::error::ApiFailure> {
                $( let $param = $param.0; )*
                let ($pool, $merchant) = (&state.db.pool, auth.0.merchant_id.as_str());
                let $page = &$crate::http::api::list::page_in(&$listing, $pool, $merchant, limit.0, starting_after.0).await?;
                Ok($crate::http::api::list::ListOf::page($rows.await?))
            }
        }
    };
    (
        $(#[$api_doc:meta])*
        $api:ident;
        $(#[$op_doc:meta])*
        GET $path:literal => $row:ty, cursor in $listing:path, $after_doc:literal;
        $(#[$csv_doc:meta])*
        $csv_api:ident: GET $csv_path:literal => csv $name:literal, $header:expr, $render:path;
        filters { $( $(#[$param_doc:meta])* $param:ident: $param_ty:ty ),* $(,)? }
        |$pool:ident, $merchant:ident, $page:ident| $rows:expr
    ) => {
        $crate::http::api::list::list_endpoint! {
            $(#[$api_doc])*
            $api;
            $(#[$op_doc])*
            GET $path => $row, cursor in $listing, $after_doc;
            filters { $( $(#[$param_doc])* $param: $param_ty ),* }
            |$pool, $merchant, $page| $rows
        }

        #[doc = concat!("The CSV export of `", $path, "`.")]
        #[derive(Debug, Default)]
        pub struct $csv_api;

        #[poem_openapi::OpenApi]
        impl $csv_api {
            $(#[$csv_doc])*
            #[allow(clippy::too_many_arguments)]
            #[oai(path = $csv_path, method = "get")]
            async fn export(
                &self,
                auth: $crate::http::auth::ApiKey,
                state: $crate::http::State<'_>,
                $( $(#[$param_doc])* $param: poem_openapi::param::Query<$param_ty>, )*
            ) -> Result<$crate::http::api::export::Csv, $crate::http::error::ApiFailure> {
                Ok($crate::http::api::export::export(
                    state.db.clone(),
                    auth.0.merchant_id,
                    ($($param.0,)*),
                    ($name, $header),
                    |db, owner, ($($param,)*), at| async move {
                        let ($pool, $merchant, $page) = (&db.pool, owner.as_str(), &at);
                        $rows.await
                    },
                    $render,
                ))
            }
        }
    };
}
pub(crate) use list_endpoint;

/// [`list_endpoint!`] for a commission or conversion list and its CSV export: the filters are
/// a [`SalesFilter`]'s, and `rows` reads a page of one
/// (`fn(&AnyPool, &str, &SalesFilter<S>, &PageRequest)`).
macro_rules! sales_endpoints {
    (
        $(#[$api_doc:meta])*
        $api:ident;
        $(#[$list_doc:meta])*
        GET $path:literal => $row:ty, cursor in $listing:path, $after_doc:literal;
        $(#[$csv_doc:meta])*
        $csv_api:ident: GET $csv_path:literal => csv $name:literal, $header:expr, $render:path;
        $(#[$status_doc:meta])*
        status: $status:ty;
        rows $rows:path;
    ) => {
        $crate::http::api::list::list_endpoint! {
            $(#[$api_doc])*
            $api;
            $(#[$list_doc])*
            GET $path => $row, cursor in $listing, $after_doc;
            $(#[$csv_doc])*
            $csv_api: GET $csv_path => csv $name, $header, $render;
            filters {
                /// Live (`true`) or test (`false`, the default) data.
                livemode: Option<bool>,
                $(#[$status_doc])*
                status: Option<$status>,
                /// Only this affiliate's.
                affiliate_id: Option<String>,
                /// Created at or after (UTC epoch ms).
                created_gte: Option<i64>,
                /// Created before (UTC epoch ms).
                created_lt: Option<i64>,
            }
            |pool, merchant, page| async move {
                let filter = $crate::http::api::list::sales_filter(livemode, status, affiliate_id, (created_gte, created_lt));
                $rows(pool, merchant, &filter, page).await
            }
        }
    };
}
pub(crate) use sales_endpoints;
