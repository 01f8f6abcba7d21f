//! What payref knows of Stripe customers beyond their bindings: the `payref_ref` /
//! `payref_click` metadata (a snapshot as of the newest event that carried it), their latest
//! subscription's state, and the metadata payref still has to write onto them.

use sqlx::{AnyConnection, AnyPool};

use super::{StorageError, flag};
pub use crate::domain::attribution::Metadata;

/// Records a customer's metadata as of `as_of` (unix seconds) unless a newer snapshot is kept;
/// returns whether it changed anything.
pub async fn record_metadata(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
    metadata: &Metadata,
    as_of: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO stripe_customers (merchant_id, livemode, customer_id, ref_code, ref_click, metadata_as_of, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (merchant_id, livemode, customer_id) DO UPDATE SET ref_code = excluded.ref_code, ref_click = excluded.ref_click, \
             metadata_as_of = excluded.metadata_as_of, updated_at = excluded.updated_at \
         WHERE stripe_customers.metadata_as_of <= excluded.metadata_as_of",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(customer_id)
    .bind(&metadata.ref_code)
    .bind(&metadata.ref_click)
    .bind(as_of)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customer's metadata; `None` when payref has never seen the customer (no event, no fetch).
pub async fn metadata(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
) -> Result<Option<Metadata>, StorageError> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT ref_code, ref_click FROM stripe_customers WHERE merchant_id = $1 AND livemode = $2 AND customer_id = $3 AND metadata_as_of >= 0",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(customer_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(ref_code, ref_click)| Metadata { ref_code, ref_click }))
}

/// A subscription's state on its customer.
#[derive(Debug, Clone)]
pub struct Subscription<'a> {
    /// `sub_…`.
    pub id: &'a str,
    /// Stripe's status (`active`, `trialing`, `past_due`, `canceled`…).
    pub status: &'a str,
    /// When it was canceled (or is set to end), UTC epoch ms.
    pub canceled_at: Option<i64>,
}

/// Records the customer's latest subscription state as of `as_of` (unix seconds) unless a
/// newer one is kept; returns whether it changed anything.
pub async fn record_subscription(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
    s: &Subscription<'_>,
    as_of: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO stripe_customers (merchant_id, livemode, customer_id, subscription_id, subscription_status, canceled_at, subscription_as_of, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (merchant_id, livemode, customer_id) DO UPDATE SET subscription_id = excluded.subscription_id, \
             subscription_status = excluded.subscription_status, canceled_at = excluded.canceled_at, \
             subscription_as_of = excluded.subscription_as_of, updated_at = excluded.updated_at \
         WHERE stripe_customers.subscription_as_of < excluded.subscription_as_of \
            OR (stripe_customers.subscription_as_of = excluded.subscription_as_of AND excluded.subscription_status = 'canceled')",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(customer_id)
    .bind(s.id)
    .bind(s.status)
    .bind(s.canceled_at)
    .bind(as_of)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues `payref_ref` (and `payref_click`) to be written onto the customer, replacing a
/// different write; the same values queued or written before are not written again.
pub async fn queue_write(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
    ref_code: &str,
    ref_click: Option<&str>,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO stripe_customer_writes (merchant_id, livemode, customer_id, ref_code, ref_click, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (merchant_id, livemode, customer_id) DO UPDATE SET ref_code = excluded.ref_code, ref_click = excluded.ref_click, \
             attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL, done_at = NULL \
         WHERE stripe_customer_writes.ref_code <> excluded.ref_code \
            OR COALESCE(stripe_customer_writes.ref_click, '') <> COALESCE(excluded.ref_click, '')",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(customer_id)
    .bind(ref_code)
    .bind(ref_click)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A write to make.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingWrite {
    /// Whose customer.
    pub merchant_id: String,
    /// Test or live mode (0/1).
    pub livemode: i64,
    /// `cus_…`.
    pub customer_id: String,
    /// `payref_ref`.
    pub ref_code: String,
    /// `payref_click`.
    pub ref_click: Option<String>,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Writes due at `now`, oldest first.
pub async fn due_writes(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<PendingWrite>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT merchant_id, livemode, customer_id, ref_code, ref_click, attempts FROM stripe_customer_writes \
         WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Records a write's attempt: done (`retry_at` `None` and no error), to retry at `retry_at`, or
/// given up (`retry_at` `None` with the error). A write queued again meanwhile (another
/// affiliate's code) is left for its own attempt.
pub async fn write_attempted(
    pool: &AnyPool,
    w: &PendingWrite,
    error: Option<&str>,
    retry_at: Option<i64>,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE stripe_customer_writes SET attempts = attempts + CASE WHEN $1 IS NULL THEN 0 ELSE 1 END, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), done_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END \
         WHERE merchant_id = $4 AND livemode = $5 AND customer_id = $6 AND ref_code = $7 AND done_at IS NULL",
    )
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .bind(&w.merchant_id)
    .bind(w.livemode)
    .bind(&w.customer_id)
    .bind(&w.ref_code)
    .execute(pool)
    .await?;
    Ok(())
}
