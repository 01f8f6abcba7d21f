//! The merchant API (poem-openapi): spec at `/openapi.json`, interactive docs at `/docs`.

pub mod adjustments;
pub mod affiliates;
pub mod audit;
pub mod campaigns;
pub mod clicks;
pub mod commission_actions;
pub mod commissions;
pub mod conversions;
pub mod customers;
pub mod discounts;
pub mod export;
pub mod links;
pub mod list;
pub mod merchant;
pub mod overview;
pub mod payouts;
pub mod reconcile;
pub mod sites;
pub mod stripe_events;

use std::collections::HashMap;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem_openapi::registry::{MetaApi, MetaPath, Registry};
use poem_openapi::{Object, OpenApi, OpenApiService};

use super::error::ApiError;
use crate::storage::page::PageRequest;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: i64 = 25;
/// Largest page size.
pub const MAX_LIMIT: i64 = 100;

/// Every resource of the merchant API (nested: `Default` stops at 12-tuples).
pub type Apis = (
    (
        affiliates::AffiliatesApi,
        affiliates::AffiliateListApi,
        campaigns::CampaignsApi,
        campaigns::CampaignListApi,
        conversions::ConversionsApi,
        conversions::ConversionExportApi,
        customers::CustomersApi,
        commissions::CommissionsApi,
        commissions::CommissionListApi,
        commissions::CommissionExportApi,
        commission_actions::CommissionActionsApi,
        payouts::PayoutsApi,
    ),
    (
        adjustments::AdjustmentsApi,
        discounts::DiscountsApi,
        audit::AuditApi,
        sites::SitesApi,
        sites::SiteListApi,
        links::LinksApi,
        links::LinkListApi,
        clicks::ClicksApi,
        clicks::ClickListApi,
        clicks::LeadListApi,
        merchant::MerchantApi,
        stripe_events::StripeEventsApi,
    ),
    (stripe_events::StripeEventListApi, reconcile::ReconcileApi, overview::OverviewApi),
);

/// API types whose paths are merged: a resource's list (declared with `list_endpoint!`) and
/// its other operations are two types that may serve one path (`GET` and `POST /v1/links`),
/// and the spec must name each path once, with all its operations.
#[derive(Debug, Default)]
pub struct Merged<T>(pub T);

impl<T: OpenApi> OpenApi for Merged<T> {
    fn meta() -> Vec<MetaApi> {
        let mut paths: Vec<MetaPath> = Vec::new();
        for path in T::meta().into_iter().flat_map(|api| api.paths) {
            match paths.iter_mut().find(|p| p.path == path.path) {
                Some(known) => known.operations.extend(path.operations),
                None => paths.push(path),
            }
        }
        vec![MetaApi { paths }]
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// The OpenAPI service with every resource.
pub fn service() -> OpenApiService<Merged<Apis>, ()> {
    let apis = Merged(Apis::default());
    OpenApiService::new(apis, "payref merchant API", env!("CARGO_PKG_VERSION"))
        .description("Sites, links, affiliates, campaigns, conversions, commissions and payouts of one merchant. Authenticate with `Authorization: Bearer <API key>`; every object is scoped to the key's merchant.")
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
        Some(id) => {
            Some(position(id).await?.ok_or_else(|| ApiError::bad_request("invalid_request", "starting_after names no object of yours"))?)
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_spec_builds_with_distinct_schema_names() {
        // poem-openapi panics at start-up when two types share an OpenAPI name.
        let spec: serde_json::Value = serde_json::from_str(&super::service().spec()).expect("spec is JSON");
        assert!(spec["paths"]["/v1/commissions/bulk"]["post"].is_object());
        assert!(spec["components"]["schemas"]["CommissionStatus"].is_object());
    }

    #[test]
    fn each_path_is_described_once_with_all_its_operations() {
        use poem_openapi::OpenApi;
        let meta = super::Merged::<super::Apis>::meta();
        let paths: Vec<&str> = meta.iter().flat_map(|api| &api.paths).map(|p| p.path.as_str()).collect();
        let mut unique = paths.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(paths.len(), unique.len(), "a path described twice loses operations in the spec");
        let spec: serde_json::Value = serde_json::from_str(&super::service().spec()).expect("spec is JSON");
        for (path, method) in [("/v1/affiliates", "post"), ("/v1/affiliates", "get"), ("/v1/links", "post"), ("/v1/links", "get")] {
            assert!(spec["paths"][path][method].is_object(), "{method} {path} is missing");
        }
    }

    #[test]
    fn lists_document_their_pages_and_exports_take_exactly_their_list_s_filters() {
        let spec: serde_json::Value = serde_json::from_str(&super::service().spec()).expect("spec is JSON");
        let params = |path: &str| -> Vec<(String, String)> {
            let list = spec["paths"][path]["get"]["parameters"].as_array().cloned().unwrap_or_default();
            list.iter().map(|p| (p["name"].as_str().unwrap_or("").to_owned(), p["description"].as_str().unwrap_or("").to_owned())).collect()
        };
        for list in ["/v1/commissions", "/v1/conversions", "/v1/clicks", "/v1/leads", "/v1/links", "/v1/sites", "/v1/campaigns"] {
            let names: Vec<String> = params(list).into_iter().filter(|(_, d)| !d.is_empty()).map(|(n, _)| n).collect();
            assert!(names.contains(&"limit".into()) && names.contains(&"starting_after".into()), "{list} documents its page: {names:?}");
        }
        for list in ["/v1/commissions", "/v1/conversions"] {
            let mut filters = params(list);
            filters.retain(|(name, _)| name != "limit" && name != "starting_after");
            assert_eq!(params(&format!("{list}.csv")), filters, "the export of {list} takes its filters");
            assert_eq!(filters.len(), 5);
        }
    }

    #[test]
    fn objects_keep_their_schema_names_and_wire_forms() {
        // The storage rows that are the API's objects, and the domain enums that are its
        // statuses, are named as the HTTP copies they replaced were.
        let spec: serde_json::Value = serde_json::from_str(&super::service().spec()).expect("spec is JSON");
        let schemas = &spec["components"]["schemas"];
        for name in [
            "Affiliate",
            "AuditEvent",
            "Click",
            "Commission",
            "CommissionAdjustment",
            "CommissionStatus",
            "Conversion",
            "ConversionStatus",
            "Customer",
            "Lead",
            "Link",
            "Site",
            "Status",
            "StripeEvent",
            "StripeEventStatus",
        ] {
            assert!(schemas[name].is_object(), "schema {name} is missing");
        }
        assert_eq!(schemas["ConversionStatus"]["enum"], serde_json::json!(["paid", "partially_refunded", "refunded", "disputed"]));
        assert_eq!(schemas["Commission"]["properties"]["livemode"]["type"], "boolean");
        assert_eq!(schemas["StripeEvent"]["properties"]["type"]["type"], "string");
        assert!(schemas["Site"]["properties"].get("merchant_id").is_none(), "a site never shows its merchant");
    }
}
