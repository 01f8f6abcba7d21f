//! Campaigns and their rules, scoped to their merchant in every statement.

use sqlx::AnyPool;

use super::list::{Deleted, Listing};
use super::page::{Page, PageRequest};
use super::{StorageError, flag};
use crate::domain::campaign::{Approval, AttributionModel, CampaignRules, CommissionType, CurrencyAmounts, Duration};
use crate::domain::ids::new_id;

/// A campaign as stored.
#[derive(Debug, Clone)]
pub struct CampaignRow {
    /// `cmp_…`.
    pub id: String,
    /// Its rules.
    pub rules: CampaignRules,
    /// Created, UTC epoch ms.
    pub created_at: i64,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

type Row = (String, String, String, Option<i64>, String, String, Option<i64>, i64, String, String, Option<i64>, i64, String, i64, i64);

/// The merchant's campaigns, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, name, commission_type, commission_bps, flat_amounts, duration, duration_months, cookie_window_days, \
             attribution_model, approval, hold_days, skip_zero_revenue, min_payouts, created_at, updated_at FROM campaigns",
    table: "campaigns",
    created: "created_at",
    id: "id",
};

fn parsed<T>(value: Option<T>, what: &str, text: &str) -> Result<T, StorageError> {
    value.ok_or_else(|| StorageError::Corrupt(format!("campaign {what} {text:?}")))
}

fn amounts(text: &str) -> Result<CurrencyAmounts, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("campaign amounts {text:?}: {e}")))
}

fn from_row(r: Row) -> Result<CampaignRow, StorageError> {
    let rules = CampaignRules {
        name: r.1,
        commission_type: parsed(CommissionType::parse(&r.2), "commission_type", &r.2)?,
        // Flat campaigns keep a placeholder in the NOT NULL column.
        commission_bps: if r.2 == "flat" { None } else { r.3 },
        flat_amounts: amounts(&r.4)?,
        duration: parsed(Duration::parse(&r.5), "duration", &r.5)?,
        duration_months: r.6,
        cookie_window_days: r.7,
        attribution_model: parsed(AttributionModel::parse(&r.8), "attribution_model", &r.8)?,
        approval: parsed(Approval::parse(&r.9), "approval", &r.9)?,
        hold_days: r.10,
        skip_zero_revenue: r.11 != 0,
        min_payouts: amounts(&r.12)?,
    };
    Ok(CampaignRow { id: r.0, rules, created_at: r.13, updated_at: r.14 })
}

fn json(amounts: &CurrencyAmounts) -> String {
    serde_json::to_string(amounts).unwrap_or_else(|_| "{}".into())
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>;

/// Binds the twelve rule columns, in the order both statements below list them.
fn bind_rules<'q>(q: AnyQuery<'q>, rules: &'q CampaignRules) -> AnyQuery<'q> {
    q.bind(rules.name.trim())
        .bind(rules.commission_type.as_str())
        // The original NOT NULL column keeps a number for flat campaigns.
        .bind(rules.commission_bps.unwrap_or(0))
        .bind(json(&rules.flat_amounts))
        .bind(rules.duration.as_str())
        .bind(rules.duration_months)
        .bind(rules.cookie_window_days)
        .bind(rules.attribution_model.as_str())
        .bind(rules.approval.as_str())
        .bind(rules.hold_days)
        .bind(flag(rules.skip_zero_revenue))
        .bind(json(&rules.min_payouts))
}

/// Creates a campaign (rules already validated); returns its id.
pub async fn insert(pool: &AnyPool, merchant_id: &str, rules: &CampaignRules, now: i64) -> Result<String, StorageError> {
    let id = new_id("cmp");
    let q = sqlx::query(
        "INSERT INTO campaigns (name, commission_type, commission_bps, flat_amounts, duration, duration_months, \
         cookie_window_days, attribution_model, approval, hold_days, skip_zero_revenue, min_payouts, id, merchant_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    );
    bind_rules(q, rules).bind(&id).bind(merchant_id).bind(now).execute(pool).await?;
    Ok(id)
}

/// One of the merchant's campaigns.
pub async fn get(conn: impl sqlx::AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<CampaignRow>, StorageError> {
    LIST.get::<Row>(conn, merchant_id, id).await?.map(from_row).transpose()
}

/// A page of the merchant's campaigns, newest first.
pub async fn list(pool: &AnyPool, merchant_id: &str, page: &PageRequest) -> Result<Page<CampaignRow>, StorageError> {
    let rows: Page<Row> = LIST.of(merchant_id).page(pool, page).await?;
    rows.try_map(from_row)
}

/// Replaces a campaign's rules (already merged and validated); `false` when there is no such campaign.
pub async fn update(pool: &AnyPool, merchant_id: &str, id: &str, rules: &CampaignRules, now: i64) -> Result<bool, StorageError> {
    let q = sqlx::query(
        "UPDATE campaigns SET name = $1, commission_type = $2, commission_bps = $3, flat_amounts = $4, duration = $5, \
         duration_months = $6, cookie_window_days = $7, attribution_model = $8, approval = $9, hold_days = $10, \
         skip_zero_revenue = $11, min_payouts = $12, updated_at = $13 WHERE merchant_id = $14 AND id = $15",
    );
    let done = bind_rules(q, rules).bind(now).bind(merchant_id).bind(id).execute(pool).await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a campaign no affiliate belongs to.
pub async fn delete(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Deleted, StorageError> {
    let used = "SELECT 1 FROM affiliates WHERE merchant_id = $1 AND campaign_id = $2 LIMIT 1";
    if let Some(refused) = LIST.refuse_delete(pool, merchant_id, id, used).await? {
        return Ok(refused);
    }
    sqlx::query("DELETE FROM campaigns WHERE merchant_id = $1 AND id = $2").bind(merchant_id).bind(id).execute(pool).await?;
    Ok(Deleted::Yes)
}

/// Each of the merchant's campaigns' minimum payouts, by campaign id.
pub async fn min_payouts(pool: &AnyPool, merchant_id: &str) -> Result<std::collections::HashMap<String, CurrencyAmounts>, StorageError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, min_payouts FROM campaigns WHERE merchant_id = $1").bind(merchant_id).fetch_all(pool).await?;
    rows.into_iter().map(|(id, text)| Ok((id, amounts(&text)?))).collect()
}
