//! Merchants and their settings and API keys (Stripe secrets: `stripe_connections`).

use sqlx::{AnyConnection, AnyPool};

use super::StorageError;
use crate::domain::{api_key::Scope, ids::new_id};

/// A live API key's id, merchant and scope.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    /// `key_…` (for the audit trail; never the token).
    pub key_id: String,
    /// The merchant it acts for.
    pub merchant_id: String,
    /// What it may do.
    pub scope: Scope,
}

/// The owner of a live (unrevoked) API key, by token hash.
pub async fn api_key_owner(pool: &AnyPool, token_hash: &str) -> Result<Option<KeyOwner>, StorageError> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT id, merchant_id, scope FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(key_id, merchant_id, s)| Scope::parse(&s).map(|scope| KeyOwner { key_id, merchant_id, scope })))
}

/// Serialises writers of one merchant's data inside `conn`'s transaction until it ends: a row
/// lock on PostgreSQL, the database's write lock on SQLite.
pub async fn lock(conn: &mut AnyConnection, merchant_id: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE merchants SET id = id WHERE id = $1").bind(merchant_id).execute(conn).await?;
    Ok(())
}

/// Creates a merchant; returns its id.
pub async fn create_merchant(pool: &AnyPool, name: &str, currency: &str, now: i64) -> Result<String, StorageError> {
    let id = new_id("mer");
    sqlx::query("INSERT INTO merchants (id, name, default_currency, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(currency)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(id)
}

/// Stores a new API key's hash; the caller shows the token once.
pub async fn create_api_key(
    pool: &AnyPool,
    merchant_id: &str,
    prefix: &str,
    token_hash: &str,
    scope: Scope,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO api_keys (id, merchant_id, prefix, token_hash, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id("key"))
        .bind(merchant_id)
        .bind(prefix)
        .bind(token_hash)
        .bind(scope.as_str())
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// Revokes the live key with this visible prefix; returns whether one was revoked.
pub async fn revoke_api_key(pool: &AnyPool, prefix: &str, now: i64) -> Result<bool, StorageError> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(prefix)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the merchant exists.
pub async fn merchant_exists(pool: &AnyPool, merchant_id: &str) -> Result<bool, StorageError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM merchants WHERE id = $1").bind(merchant_id).fetch_optional(pool).await?;
    Ok(row.is_some())
}

/// A merchant's own record and settings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MerchantRow {
    /// `mer_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Lowercase ISO currency.
    pub default_currency: String,
    /// Clicks and leads older than this many days are purged; `None` keeps them.
    pub retention_days: Option<i64>,
    /// Created, UTC epoch ms.
    pub created_at: i64,
}

/// The merchant's record.
pub async fn get_merchant(pool: &AnyPool, merchant_id: &str) -> Result<Option<MerchantRow>, StorageError> {
    Ok(sqlx::query_as("SELECT id, name, default_currency, retention_days, created_at FROM merchants WHERE id = $1")
        .bind(merchant_id)
        .fetch_optional(pool)
        .await?)
}

/// Sets or clears the retention period.
pub async fn set_retention(pool: &AnyPool, merchant_id: &str, days: Option<i64>) -> Result<(), StorageError> {
    sqlx::query("UPDATE merchants SET retention_days = $1 WHERE id = $2").bind(days).bind(merchant_id).execute(pool).await?;
    Ok(())
}
