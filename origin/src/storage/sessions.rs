//! Dashboard sessions, stored as the sha256 of the cookie's token (`domain::account`), so a
//! copy of the database opens none; revocable one by one or all of a user's at once.

use sqlx::AnyPool;

use super::StorageError;
use crate::domain::account::Role;

/// A live session with its user, as every dashboard request reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// The user signed in.
    pub user_id: String,
    /// Their email.
    pub email: String,
    /// Their role.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// The merchant every page is scoped to.
    pub merchant_id: String,
    /// The merchant's name, for the page header.
    pub merchant_name: String,
}

/// Opens a session for `user_id` under `token_key` (the token's hash) until `expires_at`, and
/// forgets the user's expired ones.
pub async fn open(pool: &AnyPool, token_key: &str, user_id: &str, now: i64, expires_at: i64) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM dashboard_sessions WHERE user_id = $1 AND expires_at <= $2").bind(user_id).bind(now).execute(pool).await?;
    sqlx::query("INSERT INTO dashboard_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_key)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// The session under `token_key`, unless it expired or was closed.
pub async fn live(pool: &AnyPool, token_key: &str, now: i64) -> Result<Option<SessionRow>, StorageError> {
    let q = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.role, u.merchant_id, m.name AS merchant_name FROM dashboard_sessions s \
         JOIN dashboard_users u ON u.id = s.user_id JOIN merchants m ON m.id = u.merchant_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    );
    Ok(q.bind(token_key).bind(now).fetch_optional(pool).await?)
}

/// Closes one session.
pub async fn close(pool: &AnyPool, token_key: &str) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM dashboard_sessions WHERE token_hash = $1").bind(token_key).execute(pool).await?;
    Ok(())
}

/// Closes every session of a user ("log out everywhere"); returns how many were open.
pub async fn close_all(pool: &AnyPool, user_id: &str) -> Result<u64, StorageError> {
    let done = sqlx::query("DELETE FROM dashboard_sessions WHERE user_id = $1").bind(user_id).execute(pool).await?;
    Ok(done.rows_affected())
}

/// How many live sessions a user has.
pub async fn count_live(pool: &AnyPool, user_id: &str, now: i64) -> Result<i64, StorageError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dashboard_sessions WHERE user_id = $1 AND expires_at > $2")
        .bind(user_id)
        .bind(now)
        .fetch_one(pool)
        .await?;
    Ok(n)
}
