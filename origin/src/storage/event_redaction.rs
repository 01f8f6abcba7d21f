//! Raw Stripe events lose the buyer's personal data ([`crate::domain::redact`]): when applied
//! (in the transaction that marks them processed, see `stripe_events::finish`), when the buyer
//! is erased, when the merchant's retention period runs out, and — for events stored before
//! payref redacted — by the periodic job. Each event is redacted once (`redacted_at`).

use sqlx::{AnyConnection, AnyPool};

use super::StorageError;
use crate::domain::redact::{email_hashes, redact_personal};

/// Events read at a time.
const CHUNK: i64 = 500;
/// What a payload that is not JSON becomes when it must be redacted (its content is unknown).
const UNREADABLE: &str = "{}";

async fn store(conn: &mut AnyConnection, merchant_id: &str, event_id: &str, payload: &str, now: i64) -> Result<(), StorageError> {
    let redacted = redact_personal(payload).unwrap_or_else(|| UNREADABLE.to_owned());
    sqlx::query("UPDATE stripe_events SET payload = $1, redacted_at = $2 WHERE merchant_id = $3 AND event_id = $4")
        .bind(redacted)
        .bind(now)
        .bind(merchant_id)
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Unredacted events of the merchant after `(received_at, event_id)`, in order.
async fn unredacted(
    conn: &mut AnyConnection,
    merchant_id: &str,
    received_before: i64,
    after: &(i64, String),
) -> Result<Vec<(i64, String, String)>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT received_at, event_id, payload FROM stripe_events \
         WHERE merchant_id = $1 AND redacted_at IS NULL AND received_at < $2 AND (received_at, event_id) > ($3, $4) \
         ORDER BY received_at, event_id LIMIT $5",
    )
    .bind(merchant_id)
    .bind(received_before)
    .bind(after.0)
    .bind(&after.1)
    .bind(CHUNK)
    .fetch_all(conn)
    .await?)
}

/// Redacts the merchant's events received before `cutoff` that hold the email whose sha256 is
/// `email_sha256` (all of them when it is `None`), inside `conn`'s transaction; returns how
/// many. Applied events are redacted already, so this reads the pending, parked and older ones.
pub async fn redact_matching(
    conn: &mut AnyConnection,
    merchant_id: &str,
    email_sha256: Option<&str>,
    cutoff: i64,
    now: i64,
) -> Result<u64, StorageError> {
    let mut after = (i64::MIN, String::new());
    let mut redacted = 0;
    loop {
        let rows = unredacted(&mut *conn, merchant_id, cutoff, &after).await?;
        let Some((at, id, _)) = rows.last() else { return Ok(redacted) };
        after = (*at, id.clone());
        for (_, event_id, payload) in &rows {
            if email_sha256.is_none_or(|h| email_hashes(payload).iter().any(|e| e == h)) {
                store(&mut *conn, merchant_id, event_id, payload, now).await?;
                redacted += 1;
            }
        }
    }
}

/// Redacts up to [`CHUNK`] applied events that were stored unredacted (before payref redacted
/// on applying); returns how many. The periodic job calls it until it returns 0.
pub async fn redact_applied(pool: &AnyPool, now: i64) -> Result<u64, StorageError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT merchant_id, event_id, payload FROM stripe_events WHERE redacted_at IS NULL AND processed_at IS NOT NULL LIMIT $1",
    )
    .bind(CHUNK)
    .fetch_all(pool)
    .await?;
    let mut tx = super::begin_write(pool).await?;
    for (merchant_id, event_id, payload) in &rows {
        store(&mut tx, merchant_id, event_id, payload, now).await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}
