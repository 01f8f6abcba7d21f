//! Raw Stripe events, stored before they are parsed and keyed by event id, so a redelivery is
//! recognised and an event payref cannot handle yet is kept, not lost. The table is also the
//! queue the event worker claims from: a lease (`locked_until`), attempts with a next time,
//! and parking after too many failures.

use sqlx::{AnyConnection, AnyPool};

use super::page::{Conditions, Page, PageRequest};
use super::{Backend, Db, StorageError, flag};

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

/// An event a worker has claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Whose Stripe account.
    pub merchant_id: String,
    /// `evt_…`.
    pub event_id: String,
    /// The raw body.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Received, UTC epoch ms.
    pub received_at: i64,
}

/// Claims up to `limit` due events for `lease_ms`, oldest due first, counting an attempt on
/// each. Another worker's claim is skipped, never waited for: `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL; SQLite has one writer at a time, so the conditional update alone is enough.
/// An expired lease (a worker that died mid-event) makes the event claimable again.
pub async fn claim_due(db: &Db, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Claimed>, StorageError> {
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE stripe_events SET locked_until = $1, attempts = attempts + 1 \
         WHERE (merchant_id, event_id) IN ( \
             SELECT merchant_id, event_id FROM stripe_events \
             WHERE processed_at IS NULL AND parked_at IS NULL AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until <= $2) \
             ORDER BY next_attempt_at, received_at LIMIT $3 {lock}) \
         RETURNING merchant_id, event_id, payload, attempts, received_at"
    );
    let mut claimed: Vec<Claimed> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now.saturating_add(lease_ms)).bind(now).bind(limit).fetch_all(&db.pool).await?;
    // RETURNING does not keep the subquery's order: apply in the order Stripe's events came.
    claimed.sort_by(|a, b| (a.received_at, &a.event_id).cmp(&(b.received_at, &b.event_id)));
    Ok(claimed)
}

/// Marks a claimed event processed with its outcome, inside the transaction that applied it.
/// Returns false when it was already processed (another worker whose lease had expired got
/// there first): the caller rolls back.
/// The stored payload becomes `redacted` (the event without the buyer's personal data,
/// [`crate::domain::redact`]) in the same statement.
pub async fn finish(
    conn: &mut AnyConnection,
    merchant_id: &str,
    event_id: &str,
    outcome: &str,
    redacted: Option<&str>,
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE stripe_events SET processed_at = $1, outcome = $2, locked_until = NULL, last_error = NULL, \
             payload = COALESCE($3, payload), redacted_at = CASE WHEN $3 IS NULL THEN redacted_at ELSE $1 END \
         WHERE merchant_id = $4 AND event_id = $5 AND processed_at IS NULL",
    )
    .bind(now)
    .bind(outcome)
    .bind(redacted)
    .bind(merchant_id)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: due again at `retry_at`, or parked when it is `None`.
pub async fn fail(
    pool: &AnyPool,
    merchant_id: &str,
    event_id: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE stripe_events SET locked_until = NULL, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), parked_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END \
         WHERE merchant_id = $4 AND event_id = $5 AND processed_at IS NULL",
    )
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .bind(merchant_id)
    .bind(event_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts a parked event back in the queue, due now, with its attempts reset; returns it as
/// the retry left it, or `None` when no parked event of the merchant has this id.
pub async fn retry_parked(pool: &AnyPool, merchant_id: &str, event_id: &str, now: i64) -> Result<Option<EventRow>, StorageError> {
    let sql = format!(
        "UPDATE stripe_events SET parked_at = NULL, attempts = 0, next_attempt_at = $1 \
         WHERE merchant_id = $2 AND event_id = $3 AND parked_at IS NOT NULL AND processed_at IS NULL RETURNING {EVENT_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(merchant_id).bind(event_id).fetch_optional(pool).await?)
}

/// Events neither processed nor parked, across all merchants: the queue's depth.
pub async fn pending_count(pool: &AnyPool) -> Result<i64, StorageError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL AND parked_at IS NULL").fetch_one(pool).await?;
    Ok(n)
}

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

const EVENT_COLUMNS: &str =
    "event_id, livemode, event_type, received_at, processed_at, parked_at, attempts, next_attempt_at, last_error, outcome";

/// A page of the merchant's events of one mode, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    state: Option<EventState>,
    page: &PageRequest,
) -> Result<Page<EventRow>, StorageError> {
    let mut c = Conditions::new();
    c.push("merchant_id = {}");
    c.push("livemode = {}");
    if let Some(s) = state {
        c.push(s.condition());
    }
    if page.after.is_some() {
        c.push("(received_at, event_id) < ({}, {})");
    }
    let limit = c.placeholder();
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM stripe_events WHERE {} ORDER BY received_at DESC, event_id DESC LIMIT {limit}", c.to_sql());
    let mut q = sqlx::query_as::<_, EventRow>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(livemode));
    if let Some((at, id)) = &page.after {
        q = q.bind(*at).bind(id);
    }
    let rows = q.bind(page.fetch_limit()).fetch_all(pool).await?;
    Ok(Page::from_rows(rows, page))
}

/// One of the merchant's events.
pub async fn get(pool: &AnyPool, merchant_id: &str, event_id: &str) -> Result<Option<EventRow>, StorageError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM stripe_events WHERE merchant_id = $1 AND event_id = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(event_id).fetch_optional(pool).await?)
}

/// The (received_at, event_id) position of an event, for `starting_after`.
pub async fn position(pool: &AnyPool, merchant_id: &str, event_id: &str) -> Result<Option<(i64, String)>, StorageError> {
    Ok(sqlx::query_as("SELECT received_at, event_id FROM stripe_events WHERE merchant_id = $1 AND event_id = $2")
        .bind(merchant_id)
        .bind(event_id)
        .fetch_optional(pool)
        .await?)
}
