//! Affiliates, scoped to their merchant in every statement.

use sqlx::{AnyExecutor, AnyPool};

use super::StorageError;
use super::list::{Deleted, Listing};
use super::page::{Page, PageRequest};
use crate::domain::affiliate::AffiliateStatus;
use crate::domain::attribution::Affiliate;
use crate::domain::ids::new_id;

/// An affiliate of the merchant, as stored and as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Affiliate")]
pub struct AffiliateRow {
    /// `aff_…`.
    pub id: String,
    /// Always `affiliate`.
    pub object: String,
    /// Referral code, unique within the merchant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The campaign whose rules apply.
    pub campaign_id: String,
    /// Contact email (also used to spot self-referrals).
    pub email: Option<String>,
    /// Where payouts go.
    pub payout_email: Option<String>,
    /// active, paused or banned.
    #[sqlx(try_from = "String")]
    pub status: AffiliateStatus,
    /// Rate overriding the campaign's, basis points.
    pub commission_bps: Option<i64>,
    /// Created at, UTC epoch ms.
    pub created_at: i64,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

/// The merchant's affiliates, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, 'affiliate' AS object, code, name, campaign_id, email, payout_email, status, commission_bps_override AS commission_bps, \
             created_at, updated_at FROM affiliates",
    table: "affiliates",
    created: "created_at",
    id: "id",
};

/// A new affiliate (checked by the domain).
pub use crate::domain::affiliate::NewAffiliate;

/// Changes to an affiliate; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AffiliatePatch {
    /// New campaign (already checked).
    pub campaign_id: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New contact email.
    pub email: Option<String>,
    /// New payout email.
    pub payout_email: Option<String>,
    /// New status.
    pub status: Option<&'static str>,
    /// New rate override.
    pub commission_bps_override: Option<i64>,
}

const REF_COLUMNS: &str = "id, campaign_id, commission_bps_override, status, email, code";

type RefRow = (String, String, Option<i64>, String, Option<String>, String);

fn to_ref(row: Option<RefRow>) -> Result<Option<Affiliate>, StorageError> {
    let Some((id, campaign_id, commission_bps_override, status, email, code)) = row else { return Ok(None) };
    let status = AffiliateStatus::parse(&status).ok_or_else(|| StorageError::Corrupt(format!("affiliate {id} has status {status:?}")))?;
    Ok(Some(Affiliate { id, campaign_id, commission_bps_override, status, email, code }))
}

/// Looks an affiliate up by referral code within one merchant, for attribution.
pub async fn affiliate_by_code(conn: impl AnyExecutor<'_>, merchant_id: &str, code: &str) -> Result<Option<Affiliate>, StorageError> {
    let sql = format!("SELECT {REF_COLUMNS} FROM affiliates WHERE merchant_id = $1 AND code = $2");
    to_ref(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(code).fetch_optional(conn).await?)
}

/// Looks an affiliate up by id within one merchant, for attribution.
pub async fn affiliate_ref(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<Affiliate>, StorageError> {
    let sql = format!("SELECT {REF_COLUMNS} FROM affiliates WHERE merchant_id = $1 AND id = $2");
    to_ref(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(id).fetch_optional(conn).await?)
}

/// Creates an active affiliate; `None` when the code is taken within the merchant.
pub async fn insert(pool: &AnyPool, merchant_id: &str, new: &NewAffiliate, now: i64) -> Result<Option<AffiliateRow>, StorageError> {
    let id = new_id("aff");
    let done = sqlx::query(
        "INSERT INTO affiliates (id, merchant_id, campaign_id, code, name, email, payout_email, status, commission_bps_override, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9) ON CONFLICT (merchant_id, code) DO NOTHING",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(&new.campaign_id)
    .bind(&new.code)
    .bind(&new.name)
    .bind(&new.email)
    .bind(&new.payout_email)
    .bind(new.commission_bps_override)
    .bind(now)
    .execute(pool)
    .await?;
    LIST.written(done, pool, merchant_id, &id).await
}

/// One of the merchant's affiliates.
pub async fn get(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<AffiliateRow>, StorageError> {
    LIST.get(pool, merchant_id, id).await
}

/// A page of the merchant's affiliates, newest first, optionally of one status and matching a
/// search (in the code, name or email, case-insensitive).
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    (status, search): (Option<&str>, Option<&str>),
    page: &PageRequest,
) -> Result<Page<AffiliateRow>, StorageError> {
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let q = LIST.of(merchant_id).filter_some("status = {}", status);
    q.filter_some("LOWER(code || ' ' || name || ' ' || COALESCE(email, '')) LIKE {} ESCAPE '\\'", pattern.as_deref()).page(pool, page).await
}

/// `%text%`, lowercased, with LIKE's wildcards in `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Applies `patch`; `None` when the merchant has no such affiliate.
pub async fn update(
    pool: &AnyPool,
    merchant_id: &str,
    id: &str,
    patch: &AffiliatePatch,
    now: i64,
) -> Result<Option<AffiliateRow>, StorageError> {
    let done = sqlx::query(
        "UPDATE affiliates SET campaign_id = COALESCE($1, campaign_id), name = COALESCE($2, name), \
         email = COALESCE($3, email), payout_email = COALESCE($4, payout_email), status = COALESCE($5, status), \
         commission_bps_override = COALESCE($6, commission_bps_override), updated_at = $7 \
         WHERE merchant_id = $8 AND id = $9",
    )
    .bind(&patch.campaign_id)
    .bind(&patch.name)
    .bind(&patch.email)
    .bind(&patch.payout_email)
    .bind(patch.status)
    .bind(patch.commission_bps_override)
    .bind(now)
    .bind(merchant_id)
    .bind(id)
    .execute(pool)
    .await?;
    LIST.written(done, pool, merchant_id, id).await
}

/// Deletes an affiliate that has no history: its conversions and clicks must keep pointing at it.
pub async fn delete(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Deleted, StorageError> {
    let used = "SELECT 1 FROM conversions WHERE merchant_id = $1 AND affiliate_id = $2 \
                UNION ALL SELECT 1 FROM clicks WHERE merchant_id = $1 AND affiliate_id = $2 LIMIT 1";
    if let Some(refused) = LIST.refuse_delete(pool, merchant_id, id, used).await? {
        return Ok(refused);
    }
    // Its links go with it: they would only redirect uncredited.
    let mut tx = super::begin_write(pool).await?;
    sqlx::query("DELETE FROM links WHERE merchant_id = $1 AND affiliate_id = $2").bind(merchant_id).bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM affiliates WHERE merchant_id = $1 AND id = $2").bind(merchant_id).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Deleted::Yes)
}

/// Whether the merchant has this campaign.
pub async fn campaign_exists(pool: &AnyPool, merchant_id: &str, campaign_id: &str) -> Result<bool, StorageError> {
    Ok(super::campaigns::get(pool, merchant_id, campaign_id).await?.is_some())
}

/// The ids of the merchant's affiliates with these codes, by code, in one query.
pub async fn ids_by_codes(
    conn: &mut sqlx::AnyConnection,
    merchant_id: &str,
    codes: &[&str],
) -> Result<std::collections::HashMap<String, String>, StorageError> {
    let mut out = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let sql = format!(
            "SELECT code, id FROM affiliates WHERE merchant_id = $1 AND code IN ({})",
            super::page::placeholder_list(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(merchant_id);
        for c in chunk {
            q = q.bind(*c);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}
