//! Raw Stripe events, stored before they are parsed and keyed by event id, so a redelivery is
//! recognised and an event payref cannot handle yet is kept, not lost.

use sqlx::AnyConnection;

use super::{StorageError, flag};

/// A verified event as received.
#[derive(Debug, Clone)]
pub struct RawEvent<'a> {
    /// Whose Stripe account.
    pub merchant_id: &'a str,
    /// Stripe's `evt_…` id.
    pub event_id: &'a str,
    /// Test or live mode.
    pub livemode: bool,
    /// Stripe's event type.
    pub event_type: &'a str,
    /// The body exactly as Stripe sent it.
    pub payload: &'a str,
}

/// Stores the event unless already stored; returns whether it was new.
pub async fn insert_event(conn: &mut AnyConnection, e: &RawEvent<'_>, now: i64) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO stripe_events (merchant_id, event_id, livemode, event_type, payload, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (merchant_id, event_id) DO NOTHING",
    )
    .bind(e.merchant_id)
    .bind(e.event_id)
    .bind(flag(e.livemode))
    .bind(e.event_type)
    .bind(e.payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an event processed.
pub async fn mark_processed(conn: &mut AnyConnection, merchant_id: &str, event_id: &str, now: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE stripe_events SET processed_at = $1 WHERE merchant_id = $2 AND event_id = $3")
        .bind(now)
        .bind(merchant_id)
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a stored event has been processed.
pub async fn is_processed(conn: &mut AnyConnection, merchant_id: &str, event_id: &str) -> Result<bool, StorageError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT processed_at FROM stripe_events WHERE merchant_id = $1 AND event_id = $2")
        .bind(merchant_id)
        .bind(event_id)
        .fetch_optional(conn)
        .await?;
    Ok(matches!(row, Some((Some(_),))))
}
