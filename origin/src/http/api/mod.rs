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
pub mod payouts;
pub mod reconcile;
pub mod sites;
pub mod stripe_events;

use poem_openapi::{Object, OpenApiService};

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
        campaigns::CampaignsApi,
        conversions::ConversionsApi,
        customers::CustomersApi,
        commissions::CommissionsApi,
        commission_actions::CommissionActionsApi,
        payouts::PayoutsApi,
        adjustments::AdjustmentsApi,
        discounts::DiscountsApi,
    ),
    (
        audit::AuditApi,
        sites::SitesApi,
        links::LinksApi,
        clicks::ClicksApi,
        merchant::MerchantApi,
        export::ExportApi,
        stripe_events::StripeEventsApi,
        reconcile::ReconcileApi,
    ),
);

/// The OpenAPI service with every resource.
pub fn service() -> OpenApiService<Apis, ()> {
    let apis = Apis::default();
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
