//! The parts of Stripe's event and Checkout Session objects payref reads. Unknown fields are
//! ignored and nullable fields are `Option`, matching Stripe's documented shapes.

use serde::Deserialize;

mod after_payment;

pub use after_payment::{Charge, Dispute, Refund};

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
    /// When Stripe created the event, unix seconds.
    #[serde(default)]
    pub created: i64,
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
    /// `payment`, `subscription` or `setup`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The Stripe customer (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub customer: Option<String>,
    /// The buyer's details as entered at checkout.
    #[serde(default)]
    pub customer_details: Option<CustomerDetails>,
    /// The PaymentIntent of a one-time payment (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub payment_intent: Option<String>,
    /// Coupons and promotion codes applied.
    #[serde(default)]
    pub discounts: Option<Vec<SessionDiscount>>,
    /// The subscription a subscription-mode session started (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub subscription: Option<String>,
    /// Created, unix seconds.
    #[serde(default)]
    pub created: i64,
}

/// A discount applied to a Checkout Session.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionDiscount {
    /// The coupon (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub coupon: Option<String>,
    /// The promotion code the buyer entered (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub promotion_code: Option<String>,
}

/// The fields of a Customer that attribution needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    /// `cus_…`.
    pub id: String,
    /// The merchant's (and payref's) key-value pairs: `payref_ref`, `payref_click`.
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// The fields of a Subscription recorded on its customer.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// `sub_…`.
    pub id: String,
    /// The customer (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub customer: Option<String>,
    /// `active`, `trialing`, `past_due`, `canceled`, …
    pub status: String,
    /// When a cancellation was asked for (it may take effect at the period's end), unix seconds.
    #[serde(default)]
    pub canceled_at: Option<i64>,
    /// When it ended, unix seconds.
    #[serde(default)]
    pub ended_at: Option<i64>,
}

/// The fields of a Promotion Code that the affiliate mapping needs.
#[derive(Debug, Clone, Deserialize)]
pub struct PromotionCode {
    /// `promo_…`.
    pub id: String,
    /// What the buyer types.
    pub code: String,
    /// `payref_ref`: the affiliate it belongs to.
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// `customer_details` of a Checkout Session.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerDetails {
    /// The email the buyer entered.
    pub email: Option<String>,
}

/// The fields of an Invoice that attribution needs (API version 2026-09-30: taxes are in
/// `total_taxes`).
#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    /// `in_…`.
    pub id: String,
    /// The Stripe customer (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub customer: Option<String>,
    /// The customer's email at the time.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// Paid, minor units.
    pub amount_paid: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Taxes in the total.
    #[serde(default)]
    pub total_taxes: Option<Vec<TaxAmount>>,
    /// `subscription_create`, `subscription_cycle`, `manual`…
    #[serde(default)]
    pub billing_reason: Option<String>,
    /// Live or test mode.
    pub livemode: bool,
    /// Created, unix seconds.
    pub created: i64,
    /// When the invoice changed state.
    #[serde(default)]
    pub status_transitions: Option<StatusTransitions>,
    /// What the invoice was created from (a subscription, a quote).
    #[serde(default)]
    pub parent: Option<InvoiceParent>,
    /// Its payments, when included (webhooks omit them; a fetch asks for them).
    #[serde(default)]
    pub payments: Option<List<InvoicePayment>>,
}

/// `parent` of an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceParent {
    /// Set when a subscription billed it.
    #[serde(default)]
    pub subscription_details: Option<SubscriptionDetails>,
}

/// `parent.subscription_details` of an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionDetails {
    /// `sub_…` (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub subscription: Option<String>,
}

/// A Stripe list (only its items).
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    /// The items.
    pub data: Vec<T>,
}

/// An invoice payment: what paid (part of) an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct InvoicePayment {
    /// The payment.
    pub payment: PaymentRef,
}

/// `payment` of an invoice payment.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentRef {
    /// The PaymentIntent, when it was one.
    #[serde(default, deserialize_with = "expandable_id")]
    pub payment_intent: Option<String>,
}

/// One entry of an invoice's `total_taxes`.
#[derive(Debug, Clone, Deserialize)]
pub struct TaxAmount {
    /// Minor units.
    pub amount: i64,
}

/// `status_transitions` of an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusTransitions {
    /// Paid, unix seconds.
    pub paid_at: Option<i64>,
}

impl Invoice {
    /// Taxes in `amount_paid`.
    pub fn tax(&self) -> i64 {
        self.total_taxes.iter().flatten().map(|t| t.amount).sum()
    }

    /// The subscription that billed it.
    pub fn subscription(&self) -> Option<&str> {
        self.parent.as_ref()?.subscription_details.as_ref()?.subscription.as_deref()
    }

    /// The PaymentIntent that paid it, when its payments were included.
    pub fn payment_intent(&self) -> Option<&str> {
        self.payments.as_ref()?.data.iter().find_map(|p| p.payment.payment_intent.as_deref())
    }

    /// When it was paid, UTC epoch ms (its creation when Stripe did not say).
    pub fn paid_at_ms(&self) -> i64 {
        self.status_transitions.as_ref().and_then(|s| s.paid_at).unwrap_or(self.created).saturating_mul(1000)
    }
}

/// An expandable reference: Stripe sends an id, or the object (with its `id`) when expanded.
fn expandable_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Expandable {
        Id(String),
        Object { id: String },
    }
    Ok(Option::<Expandable>::deserialize(d)?.map(|e| match e {
        Expandable::Id(id) | Expandable::Object { id } => id,
    }))
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
