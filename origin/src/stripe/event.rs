//! The parts of Stripe's event and Checkout Session objects payref reads. Unknown fields are
//! ignored and nullable fields are `Option`, matching Stripe's documented shapes.

use serde::Deserialize;

/// Stripe's event envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_…`.
    pub id: String,
    /// e.g. `checkout.session.completed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Live or test mode.
    pub livemode: bool,
    /// The object the event is about.
    pub data: EventData,
}

/// `data` of an event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object, parsed later according to `type`.
    pub object: serde_json::Value,
}

/// The fields of a Checkout Session that attribution needs.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: String,
    /// What the tracker wrote (or the merchant set).
    pub client_reference_id: Option<String>,
    /// Total charged, minor units; null for sessions without a price.
    pub amount_total: Option<i64>,
    /// Lowercase ISO currency.
    pub currency: Option<String>,
    /// `paid`, `unpaid` (async methods still pending) or `no_payment_required`.
    pub payment_status: String,
    /// Tax, shipping and discount totals.
    pub total_details: Option<TotalDetails>,
    /// Live or test mode.
    pub livemode: bool,
}

/// `total_details` of a Checkout Session.
#[derive(Debug, Clone, Deserialize)]
pub struct TotalDetails {
    /// Tax, minor units.
    pub amount_tax: Option<i64>,
    /// Shipping, minor units.
    pub amount_shipping: Option<i64>,
}

impl CheckoutSession {
    /// Tax and shipping in the total (zero when Stripe reports none).
    pub fn tax_and_shipping(&self) -> (i64, i64) {
        self.total_details.as_ref().map_or((0, 0), |t| (t.amount_tax.unwrap_or(0), t.amount_shipping.unwrap_or(0)))
    }
}
