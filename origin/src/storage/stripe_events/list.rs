//! The merchant's view of their Stripe events: where each stands, listed by state.

use sqlx::AnyPool;

use super::super::StorageError;
use super::super::list::Listing;
use super::super::page::{Page, PageRequest};

/// Where an event stands, as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// `evt_…`.
    pub event_id: String,
    /// Test or live mode (0/1).
    pub livemode: i64,
    /// Stripe's event type.
    pub event_type: String,
    /// Received, UTC epoch ms.
    pub received_at: i64,
    /// Processed, UTC epoch ms.
    pub processed_at: Option<i64>,
    /// Parked (gave up), UTC epoch ms.
    pub parked_at: Option<i64>,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// What processing came to.
    pub outcome: Option<String>,
}

/// Which events to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    /// Waiting for (another) attempt.
    Pending,
    /// Done.
    Processed,
    /// Given up on until retried.
    Parked,
}

impl EventState {
    fn condition(self) -> &'static str {
        match self {
            Self::Pending => "processed_at IS NULL AND parked_at IS NULL",
            Self::Processed => "processed_at IS NOT NULL",
            Self::Parked => "parked_at IS NOT NULL",
        }
    }
}

/// The columns of an [`EventRow`], in its order.
macro_rules! event_columns {
    () => {
        "event_id, livemode, event_type, received_at, processed_at, parked_at, attempts, next_attempt_at, last_error, outcome"
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
    let q = LIST.query().filter("merchant_id = {}", merchant_id).filter("livemode = {}", livemode);
    q.only(state.map(EventState::condition)).page(pool, page).await
}

/// One of the merchant's events.
pub async fn get(pool: &AnyPool, merchant_id: &str, event_id: &str) -> Result<Option<EventRow>, StorageError> {
    LIST.get(pool, merchant_id, event_id).await
}
