//! The table as the event worker's queue: claims under a lease (`locked_until`), attempts
//! with a next time, parking after too many failures, and the merchant's retry of a parked one.

use sqlx::{AnyConnection, AnyPool};

use super::super::{Backend, Db, StorageError};
use super::EventRow;
use super::list::COLUMNS;

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
         WHERE merchant_id = $2 AND event_id = $3 AND parked_at IS NOT NULL AND processed_at IS NULL RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(merchant_id).bind(event_id).fetch_optional(pool).await?)
}

/// Events neither processed nor parked, across all merchants: the queue's depth.
pub async fn pending_count(pool: &AnyPool) -> Result<i64, StorageError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL AND parked_at IS NULL").fetch_one(pool).await?;
    Ok(n)
}
