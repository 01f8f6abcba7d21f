//! What Stripe reports about a payment after it is paid: the charge's refunds, a refund that
//! failed, and disputes.

use serde::Deserialize;

use super::expandable_id;

/// The fields of a Charge that the refund ledger needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    /// `ch_…`.
    pub id: String,
    /// Charged, minor units.
    pub amount: i64,
    /// Refunded so far in all, minor units (cumulative, so events may come in any order).
    pub amount_refunded: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The PaymentIntent it belongs to (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub payment_intent: Option<String>,
    /// Live or test mode.
    pub livemode: bool,
}

/// The fields of a Refund that a failed refund needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    /// Refunded (or, once failed, not), minor units.
    pub amount: i64,
    /// The charge refunded (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub charge: Option<String>,
    /// The PaymentIntent refunded (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub payment_intent: Option<String>,
    /// Created, unix seconds.
    pub created: i64,
}

/// The fields of a Dispute that the ledger needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Dispute {
    /// `du_…`.
    pub id: String,
    /// Disputed, minor units.
    pub amount: i64,
    /// The charge disputed (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub charge: Option<String>,
    /// The PaymentIntent disputed (an id, or the object when expanded).
    #[serde(default, deserialize_with = "expandable_id")]
    pub payment_intent: Option<String>,
    /// `warning_needs_response`, `needs_response`, `under_review`, `won`, `lost`, …
    pub status: String,
    /// Live or test mode.
    pub livemode: bool,
}

impl Dispute {
    /// Where the dispute stands for the commission: `open`, `won` (the merchant kept the money,
    /// including an inquiry closed without a chargeback) or `lost`.
    pub fn outcome(&self) -> &'static str {
        match self.status.as_str() {
            "lost" => "lost",
            "won" | "warning_closed" | "prevented" => "won",
            _ => "open",
        }
    }
}
