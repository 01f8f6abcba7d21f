//! Dashboard users: people who run one merchant's program, each with a role; an email signs in
//! to one account on this install.

use sqlx::AnyPool;

use super::StorageError;
use crate::domain::account::Role;
use crate::domain::ids::new_id;

/// A dashboard user as sign-in reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// `usr_…`.
    pub id: String,
    /// The merchant whose program the user runs; every page is scoped to it.
    pub merchant_id: String,
    /// Lowercased email, the sign-in name.
    pub email: String,
    /// The argon2id hash.
    pub password_hash: String,
    /// What the user may do.
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// Creates a user; `None` when the email already has an account.
pub async fn create(
    pool: &AnyPool,
    merchant_id: &str,
    (email, password_hash): (&str, &str),
    role: Role,
    now: i64,
) -> Result<Option<String>, StorageError> {
    let id = new_id("usr");
    let done = sqlx::query(
        "INSERT INTO dashboard_users (id, merchant_id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .execute(pool)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// The user signing in with this (lowercased) email.
pub async fn by_email(pool: &AnyPool, email: &str) -> Result<Option<UserRow>, StorageError> {
    let q = sqlx::query_as("SELECT id, merchant_id, email, password_hash, role FROM dashboard_users WHERE email = $1");
    Ok(q.bind(email).fetch_optional(pool).await?)
}
