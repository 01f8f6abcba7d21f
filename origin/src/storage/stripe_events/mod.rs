//! Raw Stripe events, stored before they are parsed and keyed by event id, so a redelivery is
//! recognised and an event payref cannot handle yet is kept, not lost. The table is also the
//! queue the event worker claims from: a lease (`locked_until`), attempts with a next time,
//! and parking after too many failures.

use sqlx::AnyPool;

use super::{StorageError, flag};

mod list;
mod queue;

pub use list::{EventRow, EventState, LIST, get, list};
pub use queue::{Claimed, claim_due, fail, finish, pending_count, retry_parked};

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

/// Stores the event, due at once, unless already stored; returns whether it was new.
pub async fn insert_event(pool: &AnyPool, e: &RawEvent<'_>, now: i64) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO stripe_events (merchant_id, event_id, livemode, event_type, payload, received_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (merchant_id, event_id) DO NOTHING",
    )
    .bind(e.merchant_id)
    .bind(e.event_id)
    .bind(flag(e.livemode))
    .bind(e.event_type)
    .bind(e.payload)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores several events in one transaction, each due at once unless already stored; returns
/// how many were new.
pub async fn insert_events(pool: &AnyPool, events: &[RawEvent<'_>], now: i64) -> Result<usize, StorageError> {
    // A statement per 50 events, three parameters each: SQLite looks a numbered parameter up by
    // walking the statement's list, so binding costs the square of the parameters a statement has.
    const ROWS: usize = 50;
    let mut tx = super::begin_write(pool).await?;
    let mut new = 0;
    let mut i = 0;
    while i < events.len() {
        // Rows of one merchant and mode share a statement (the mode is written as its integer flag).
        let first = &events[i];
        let same = events[i..].iter().take(ROWS).take_while(|e| e.merchant_id == first.merchant_id && e.livemode == first.livemode).count();
        let chunk = &events[i..i + same];
        i += same;
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("($1, ${}, {}, ${}, ${}, $2, $2)", 3 * r + 3, flag(first.livemode), 3 * r + 4, 3 * r + 5))
            .collect();
        let sql = format!(
            "INSERT INTO stripe_events (merchant_id, event_id, livemode, event_type, payload, received_at, next_attempt_at) \
             VALUES {} ON CONFLICT (merchant_id, event_id) DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(first.merchant_id).bind(now);
        for e in chunk {
            q = q.bind(e.event_id).bind(e.event_type).bind(e.payload);
        }
        new += usize::try_from(q.execute(&mut *tx).await?.rows_affected()).unwrap_or(usize::MAX);
    }
    tx.commit().await?;
    Ok(new)
}

/// The reconciler's cursor for one of a merchant's lists (`events`, `sessions`): the newest
/// `created` seen, unix seconds.
pub async fn cursor(pool: &AnyPool, merchant_id: &str, livemode: bool, list: &str) -> Result<Option<i64>, StorageError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT created_cursor FROM stripe_sync_cursors WHERE merchant_id = $1 AND livemode = $2 AND list = $3")
            .bind(merchant_id)
            .bind(flag(livemode))
            .bind(list)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(c,)| c))
}

/// Moves a cursor forward (never back).
pub async fn advance_cursor(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    list: &str,
    created: i64,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO stripe_sync_cursors (merchant_id, livemode, list, created_cursor, synced_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (merchant_id, livemode, list) DO UPDATE SET \
         created_cursor = CASE WHEN excluded.created_cursor > stripe_sync_cursors.created_cursor \
         THEN excluded.created_cursor ELSE stripe_sync_cursors.created_cursor END, synced_at = excluded.synced_at",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(list)
    .bind(created)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
