//! The merchant's view of their Stripe events: where each stands, listed by state.

use sqlx::AnyPool;

use super::super::list::Listing;
use super::super::page::{Page, PageRequest};
use super::super::{Livemode, StorageError};

/// A Stripe event as payref received and processed it, as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "StripeEvent")]
pub struct EventRow {
    /// Stripe's `evt_…` id.
    pub id: String,
    /// Always `stripe_event`.
    pub object: String,
    /// Stripe's event type.
    #[oai(rename = "type")]
    pub event_type: String,
    /// Test or live mode.
    #[sqlx(try_from = "i64")]
    pub livemode: Livemode,
    /// pending, processed or parked.
    #[sqlx(try_from = "String")]
    pub status: EventState,
    /// Processing attempts made.
    pub attempts: i64,
    /// What processing came to (e.g. `attributed`, `not_attributed: …`, `ignored: …`).
    pub outcome: Option<String>,
    /// The last failure, while pending or parked.
    pub last_error: Option<String>,
    /// Received, UTC epoch ms.
    pub received_at: i64,
    /// Processed, UTC epoch ms.
    pub processed_at: Option<i64>,
    /// Parked, UTC epoch ms.
    pub parked_at: Option<i64>,
    /// Next attempt due, UTC epoch ms (pending events only).
    pub next_attempt_at: Option<i64>,
}

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename = "StripeEventStatus", rename_all = "snake_case")]
pub enum EventState {
    /// Stored, waiting for its (next) attempt.
    Pending,
    /// Applied; see `outcome`.
    Processed,
    /// Failed too often or could not be parsed; see `last_error`. Retry it once fixed.
    Parked,
}

impl EventState {
    /// The condition that selects events in this state.
    /// The SQL condition of events in this state.
    pub fn condition(self) -> &'static str {
        match self {
            Self::Pending => "processed_at IS NULL AND parked_at IS NULL",
            Self::Processed => "processed_at IS NOT NULL",
            Self::Parked => "parked_at IS NOT NULL",
        }
    }

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Parked => "parked",
        }
    }
}

impl TryFrom<String> for EventState {
    type Error = String;

    fn try_from(computed: String) -> Result<Self, String> {
        [Self::Pending, Self::Processed, Self::Parked].into_iter().find(|s| s.as_str() == computed).ok_or(computed)
    }
}

/// The columns of an [`EventRow`], in its order.
macro_rules! event_columns {
    () => {
        "event_id AS id, 'stripe_event' AS object, event_type, livemode, \
         CASE WHEN processed_at IS NOT NULL THEN 'processed' WHEN parked_at IS NOT NULL THEN 'parked' ELSE 'pending' END AS status, \
         attempts, outcome, last_error, received_at, processed_at, parked_at, \
         CASE WHEN processed_at IS NULL AND parked_at IS NULL THEN next_attempt_at END AS next_attempt_at"
    };
}

/// The columns of an [`EventRow`], for statements that return one.
pub(super) const COLUMNS: &str = event_columns!();

/// The merchant's Stripe events, newest first.
pub const LIST: Listing = Listing {
    select: concat!("SELECT ", event_columns!(), " FROM stripe_events"),
    table: "stripe_events",
    created: "received_at",
    id: "event_id",
};

/// A page of the merchant's events of one mode, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    state: Option<EventState>,
    page: &PageRequest,
) -> Result<Page<EventRow>, StorageError> {
    LIST.of(merchant_id).mode(livemode).only(state.map(EventState::condition)).page(pool, page).await
}

/// One of the merchant's events.
pub async fn get(pool: &AnyPool, merchant_id: &str, event_id: &str) -> Result<Option<EventRow>, StorageError> {
    LIST.get(pool, merchant_id, event_id).await
}
