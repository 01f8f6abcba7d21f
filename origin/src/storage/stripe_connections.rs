//! A merchant's Stripe account per mode: the secret or restricted API key and the webhook
//! signing secret, both sealed at rest with the configured keyring (see `domain::secrets`).

use sqlx::AnyPool;

use super::{StorageError, flag};
use crate::domain::secrets::{Keyring, key_hint};

fn owner(merchant_id: &str, livemode: bool, field: &str) -> String {
    format!("{merchant_id}/{}/{field}", if livemode { "live" } else { "test" })
}

async fn ensure_row(pool: &AnyPool, merchant_id: &str, livemode: bool) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO stripe_connections (merchant_id, livemode, webhook_secret) VALUES ($1, $2, '') \
         ON CONFLICT (merchant_id, livemode) DO NOTHING",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the webhook signing secret of one mode, sealed.
pub async fn set_webhook_secret(
    pool: &AnyPool,
    keyring: &Keyring,
    merchant_id: &str,
    livemode: bool,
    secret: &str,
) -> Result<(), StorageError> {
    ensure_row(pool, merchant_id, livemode).await?;
    let sealed = keyring.seal(secret, &owner(merchant_id, livemode, "webhook_secret"));
    sqlx::query("UPDATE stripe_connections SET webhook_secret = $1 WHERE merchant_id = $2 AND livemode = $3")
        .bind(sealed)
        .bind(merchant_id)
        .bind(flag(livemode))
        .execute(pool)
        .await?;
    Ok(())
}

/// Stores the Stripe secret or restricted key of one mode, sealed, with its displayable hint.
pub async fn set_api_key(pool: &AnyPool, keyring: &Keyring, merchant_id: &str, livemode: bool, key: &str) -> Result<(), StorageError> {
    ensure_row(pool, merchant_id, livemode).await?;
    let sealed = keyring.seal(key, &owner(merchant_id, livemode, "api_key"));
    sqlx::query("UPDATE stripe_connections SET api_key = $1, api_key_hint = $2 WHERE merchant_id = $3 AND livemode = $4")
        .bind(sealed)
        .bind(key_hint(key))
        .bind(merchant_id)
        .bind(flag(livemode))
        .execute(pool)
        .await?;
    Ok(())
}

/// The webhook signing secret of one mode, opened; `None` when not set.
pub async fn webhook_secret(pool: &AnyPool, keyring: &Keyring, merchant_id: &str, livemode: bool) -> Result<Option<String>, StorageError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT webhook_secret FROM stripe_connections WHERE merchant_id = $1 AND livemode = $2")
        .bind(merchant_id)
        .bind(flag(livemode))
        .fetch_optional(pool)
        .await?;
    match row {
        Some((stored,)) if !stored.is_empty() => Ok(Some(open(keyring, &stored, &owner(merchant_id, livemode, "webhook_secret"))?)),
        _ => Ok(None),
    }
}

/// The Stripe API key of one mode, opened; `None` when not set.
pub async fn api_key(pool: &AnyPool, keyring: &Keyring, merchant_id: &str, livemode: bool) -> Result<Option<String>, StorageError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT api_key FROM stripe_connections WHERE merchant_id = $1 AND livemode = $2")
        .bind(merchant_id)
        .bind(flag(livemode))
        .fetch_optional(pool)
        .await?;
    match row.and_then(|(k,)| k) {
        Some(stored) => Ok(Some(open(keyring, &stored, &owner(merchant_id, livemode, "api_key"))?)),
        None => Ok(None),
    }
}

/// Whether an API key of this mode is stored (payref can fetch from Stripe).
pub async fn has_api_key(conn: &mut sqlx::AnyConnection, merchant_id: &str, livemode: bool) -> Result<bool, StorageError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM stripe_connections WHERE merchant_id = $1 AND livemode = $2 AND api_key IS NOT NULL")
            .bind(merchant_id)
            .bind(flag(livemode))
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}

fn open(keyring: &Keyring, stored: &str, owner: &str) -> Result<String, StorageError> {
    keyring.open(stored, owner).map_err(|e| StorageError::Corrupt(format!("Stripe secret of {owner}: {e}")))
}

/// Every merchant mode with an API key stored.
pub async fn with_api_keys(pool: &AnyPool) -> Result<Vec<(String, bool)>, StorageError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT merchant_id, livemode FROM stripe_connections WHERE api_key IS NOT NULL ORDER BY merchant_id, livemode")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(m, l)| (m, l != 0)).collect())
}

/// What may be shown of one mode's connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// Live or test.
    pub livemode: bool,
    /// e.g. `sk_test_…4242`.
    pub api_key_hint: Option<String>,
    /// Whether a webhook signing secret is stored.
    pub webhook_secret_set: bool,
}

/// The merchant's connections, test mode first.
pub async fn connections(pool: &AnyPool, merchant_id: &str) -> Result<Vec<ConnectionInfo>, StorageError> {
    let rows: Vec<(i64, Option<String>, String)> =
        sqlx::query_as("SELECT livemode, api_key_hint, webhook_secret FROM stripe_connections WHERE merchant_id = $1 ORDER BY livemode")
            .bind(merchant_id)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(l, hint, w)| ConnectionInfo { livemode: l != 0, api_key_hint: hint, webhook_secret_set: !w.is_empty() })
        .collect())
}

/// Re-seals every stored secret not sealed with the current key (values from before
/// encryption, or under a rotated-out key); returns how many. Idempotent.
pub async fn reseal_all(pool: &AnyPool, keyring: &Keyring) -> Result<usize, StorageError> {
    let rows: Vec<(String, i64, String, Option<String>)> =
        sqlx::query_as("SELECT merchant_id, livemode, webhook_secret, api_key FROM stripe_connections").fetch_all(pool).await?;
    let mut resealed = 0;
    for (merchant_id, live, webhook, api) in rows {
        let livemode = live != 0;
        for (field, stored) in [("webhook_secret", Some(webhook)), ("api_key", api)] {
            let Some(stored) = stored.filter(|s| !s.is_empty() && !keyring.is_current(s)) else { continue };
            let who = owner(&merchant_id, livemode, field);
            let plain = if Keyring::is_sealed(&stored) { open(keyring, &stored, &who)? } else { stored };
            // `field` is one of two fixed column names.
            let sql = format!("UPDATE stripe_connections SET {field} = $1 WHERE merchant_id = $2 AND livemode = $3");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(keyring.seal(&plain, &who)).bind(&merchant_id).bind(live).execute(pool).await?;
            resealed += 1;
        }
    }
    Ok(resealed)
}
