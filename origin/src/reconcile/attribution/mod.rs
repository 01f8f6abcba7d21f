//! Who brought a payment, as read → decide → write: `read.rs` gathers the facts (the chain's
//! links, the customer's binding, the affiliates, campaigns and visitors they name),
//! `domain/attribution/decide.rs` applies every rule, `record.rs` records the decision (the
//! customer's binding, the metadata write-back, the conversion with its commission and audit).
//!
//! Runs inside the transaction that marks the Stripe event processed, so a redelivered event
//! never records a second conversion, and a failure records nothing.

pub mod read;
mod record;

use sqlx::AnyConnection;

pub use crate::domain::attribution::Payment;
use crate::domain::attribution::{Decision, Facts, decide};
use crate::storage::StorageError;

/// What attributing a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A conversion was recorded for this affiliate.
    Attributed {
        /// The affiliate credited.
        affiliate_id: String,
        /// The commission, minor units (0 when denied).
        commission: i64,
    },
    /// The customer was bound to the affiliate; the payments that follow earn.
    Bound {
        /// The affiliate the customer is bound to.
        affiliate_id: String,
    },
    /// The payment was already recorded.
    AlreadyRecorded,
    /// Nothing to record, and why.
    NotAttributed(String),
}

impl Outcome {
    /// The outcome kept with the event.
    pub fn label(&self) -> String {
        match self {
            Self::Attributed { .. } => "attributed".into(),
            Self::Bound { .. } => "customer_bound".into(),
            Self::AlreadyRecorded => "already_recorded".into(),
            Self::NotAttributed(why) => format!("not_attributed: {why}"),
        }
    }
}

/// Decides who brought the payment the facts describe, and records it.
pub async fn attribute(conn: &mut AnyConnection, merchant_id: &str, facts: &Facts<'_>) -> Result<Outcome, StorageError> {
    match decide(facts) {
        Decision::NotAttributed(why) => Ok(Outcome::NotAttributed(why)),
        Decision::Credited(credit) => record::credit(conn, merchant_id, facts.payment, &credit, facts.now).await,
    }
}
