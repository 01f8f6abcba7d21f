//! Markers of payments processed, which later events wait on: a subscription's Checkout
//! Session seen (its invoices wait for it, as it binds the customer), and a payment no
//! affiliate brought (its refunds and disputes then settle at once).

use sqlx::AnyConnection;

use super::{StorageError, flag};

/// Records that a subscription's Checkout Session was processed.
pub async fn session_seen(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    subscription_id: &str,
    session_id: &str,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO stripe_subscriptions (merchant_id, livemode, subscription_id, session_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (merchant_id, livemode, subscription_id) DO NOTHING",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(subscription_id)
    .bind(session_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a subscription's Checkout Session was processed.
pub async fn session_of_subscription_seen(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    subscription_id: &str,
) -> Result<bool, StorageError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM stripe_subscriptions WHERE merchant_id = $1 AND livemode = $2 AND subscription_id = $3")
            .bind(merchant_id)
            .bind(flag(livemode))
            .bind(subscription_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}

/// Records that a payment was processed and no affiliate brought it.
pub async fn payment_unattributed(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    payment_intent_id: &str,
    stripe_object_id: &str,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO unattributed_payments (merchant_id, livemode, payment_intent_id, stripe_object_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (merchant_id, livemode, payment_intent_id) DO NOTHING",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(payment_intent_id)
    .bind(stripe_object_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a payment was processed and no affiliate brought it.
pub async fn is_unattributed(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    payment_intent_id: &str,
) -> Result<bool, StorageError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM unattributed_payments WHERE merchant_id = $1 AND livemode = $2 AND payment_intent_id = $3")
            .bind(merchant_id)
            .bind(flag(livemode))
            .bind(payment_intent_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}
