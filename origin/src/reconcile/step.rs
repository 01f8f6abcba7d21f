//! The vocabulary of the event handlers: what they share (`Context`), what applying an event
//! comes to (`Step`), what it may need fetched from Stripe (`Missing`), and `Stop`, which lets
//! a handler leave early with `?` on either a step or a storage error.

use crate::storage::StorageError;
use crate::stripe::event::Event;

/// What the handlers share.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The merchant whose event it is.
    pub merchant_id: &'a str,
    /// The key lead email hashes are stored under.
    pub lead_secret: &'a [u8],
    /// Now, UTC epoch ms.
    pub now: i64,
}

/// What applying an event came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Applied (or nothing to do); the outcome is kept with the event.
    Done(String),
    /// Needs something not there yet (an object Stripe has not delivered): try again later.
    RetryLater(String),
    /// The event's object is not in a shape payref reads: retrying cannot help, park it.
    Unparseable(String),
    /// Needs an object payref has not seen: fetch it from Stripe's API (when the merchant
    /// connected a key), then try again.
    Fetch(String, Missing),
}

/// An object an event needs, to fetch from Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The payment a PaymentIntent made: a Checkout Session, or an invoice (through invoice
    /// payments). A refund names only the PaymentIntent.
    PaymentOfIntent {
        /// Test or live.
        livemode: bool,
        /// `pi_…`.
        payment_intent: String,
    },
    /// The Checkout Session that started a subscription (which binds the customer).
    SessionOfSubscription {
        /// Test or live.
        livemode: bool,
        /// `sub_…`.
        subscription: String,
    },
    /// A customer payref has never seen (its metadata may name the affiliate).
    Customer {
        /// Test or live.
        livemode: bool,
        /// `cus_…`.
        customer: String,
    },
    /// A promotion code payref has never seen (its metadata may name the affiliate).
    PromotionCode {
        /// Test or live.
        livemode: bool,
        /// `promo_…`.
        promotion_code: String,
    },
    /// A charge as Stripe reports it now (its refunded amount after a refund failed), applied
    /// as a refund snapshot taken no earlier than `as_of`.
    ChargeAsOf {
        /// Test or live.
        livemode: bool,
        /// `ch_…`.
        charge: String,
        /// Unix seconds: the event that asked for it.
        as_of: i64,
    },
}

impl Missing {
    /// The mode of the account to ask.
    pub fn livemode(&self) -> bool {
        match self {
            Self::PaymentOfIntent { livemode, .. }
            | Self::SessionOfSubscription { livemode, .. }
            | Self::ChargeAsOf { livemode, .. }
            | Self::Customer { livemode, .. }
            | Self::PromotionCode { livemode, .. } => *livemode,
        }
    }
}

/// Parses the event's object as `T`, or says why it cannot be.
pub fn object<T: serde::de::DeserializeOwned>(event: &Event, what: &str) -> Result<T, Step> {
    let parsed: T = serde_json::from_value(event.data.object.clone()).map_err(|e| Step::Unparseable(format!("{what}: {e}")))?;
    let livemode = event.data.object.get("livemode").and_then(serde_json::Value::as_bool);
    if livemode.is_some_and(|l| l != event.livemode) {
        return Err(Step::Unparseable(format!("the {what}'s livemode differs from the event's")));
    }
    Ok(parsed)
}

/// Why a handler stopped before it finished: a step that settles the event (its object is
/// unparseable, say), or a storage error that rolls it back.
#[derive(Debug)]
pub enum Stop {
    /// The event's step.
    Step(Step),
    /// The database failed.
    Storage(StorageError),
}

impl From<Step> for Stop {
    fn from(step: Step) -> Self {
        Self::Step(step)
    }
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}
