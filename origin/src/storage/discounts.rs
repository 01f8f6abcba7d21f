//! Promotion codes and coupons mapped to affiliates: a purchase that used one is credited to
//! the affiliate (the fourth link of the attribution chain).

use sqlx::{AnyConnection, AnyPool};

use super::{StorageError, flag};

/// Maps (or, with `ref_code` `None`, unmaps) a promotion code or coupon as of `as_of` (unix
/// seconds for Stripe's events; the merchant's own changes use the current second), unless a
/// newer mapping is kept; returns whether it changed anything.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    stripe_id: &str,
    code: Option<&str>,
    ref_code: Option<&str>,
    source: &str,
    as_of: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO discount_mappings (merchant_id, livemode, stripe_id, code, ref_code, source, as_of, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (merchant_id, livemode, stripe_id) DO UPDATE SET code = COALESCE(excluded.code, discount_mappings.code), \
             ref_code = excluded.ref_code, source = excluded.source, as_of = excluded.as_of, updated_at = excluded.updated_at \
         WHERE discount_mappings.as_of <= excluded.as_of",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(stripe_id)
    .bind(code)
    .bind(ref_code)
    .bind(source)
    .bind(as_of)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The referral code a promotion code or coupon is mapped to.
pub async fn ref_code_of(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    stripe_id: &str,
) -> Result<Option<String>, StorageError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT ref_code FROM discount_mappings WHERE merchant_id = $1 AND livemode = $2 AND stripe_id = $3")
            .bind(merchant_id)
            .bind(flag(livemode))
            .bind(stripe_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(c,)| c))
}

/// Where a mapping came from (`metadata` or `api`), when there is one.
pub async fn source_of(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    stripe_id: &str,
) -> Result<Option<String>, StorageError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT source FROM discount_mappings WHERE merchant_id = $1 AND livemode = $2 AND stripe_id = $3 AND ref_code IS NOT NULL",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(stripe_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(s,)| s))
}

/// Whether payref has seen this promotion code or coupon at all (mapped or not).
pub async fn seen(conn: &mut AnyConnection, merchant_id: &str, livemode: bool, stripe_id: &str) -> Result<bool, StorageError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM discount_mappings WHERE merchant_id = $1 AND livemode = $2 AND stripe_id = $3")
        .bind(merchant_id)
        .bind(flag(livemode))
        .bind(stripe_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// A mapping as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MappingRow {
    /// `promo_…` or a coupon id.
    pub stripe_id: String,
    /// The customer-facing code, for a promotion code.
    pub code: Option<String>,
    /// The affiliate's referral code.
    pub ref_code: String,
    /// `metadata` (the promotion code's `payref_ref`) or `api`.
    pub source: String,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

/// Every mapped promotion code and coupon of one mode.
pub async fn list(pool: &AnyPool, merchant_id: &str, livemode: bool) -> Result<Vec<MappingRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT stripe_id, code, ref_code, source, updated_at FROM discount_mappings \
         WHERE merchant_id = $1 AND livemode = $2 AND ref_code IS NOT NULL ORDER BY stripe_id LIMIT 10000",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .fetch_all(pool)
    .await?)
}
