//! The payouts report: approved, unpaid commissions summed per affiliate and currency.

use std::collections::HashMap;

use sqlx::AnyPool;

use super::{StorageError, flag};
use crate::domain::campaign::CurrencyAmounts;

/// One line of the payouts report: what the merchant owes an affiliate in one currency.
#[derive(Debug, Clone)]
pub struct PayoutDue {
    /// The affiliate.
    pub affiliate_id: String,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Where to pay.
    pub payout_email: Option<String>,
    /// Its status (a banned affiliate's approved commissions are still listed).
    pub affiliate_status: String,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Sum of approved, unpaid commissions, minor units.
    pub amount: i64,
    /// How many commissions.
    pub commission_count: i64,
    /// The campaign's minimum payout in this currency (0 when it sets none).
    pub minimum: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct DueRow {
    affiliate_id: String,
    code: String,
    name: String,
    payout_email: Option<String>,
    affiliate_status: String,
    campaign_id: String,
    currency: String,
    amount: i64,
    commission_count: i64,
}

/// Approved, unpaid totals per affiliate and currency at or above the campaign's minimum payout.
pub async fn payouts_due(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    minimums: &HashMap<String, CurrencyAmounts>,
) -> Result<Vec<PayoutDue>, StorageError> {
    let rows: Vec<DueRow> = sqlx::query_as(
        "SELECT m.affiliate_id, a.code, a.name, a.payout_email, a.status AS affiliate_status, a.campaign_id, m.currency, \
                CAST(SUM(m.amount) AS BIGINT) AS amount, COUNT(*) AS commission_count \
         FROM commissions m JOIN affiliates a ON a.id = m.affiliate_id \
         WHERE m.merchant_id = $1 AND m.livemode = $2 AND m.status = 'approved' \
         GROUP BY m.affiliate_id, a.code, a.name, a.payout_email, a.status, a.campaign_id, m.currency \
         ORDER BY a.code, m.currency",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let minimum = minimums.get(&r.campaign_id).and_then(|m| m.get(&r.currency)).copied().unwrap_or(0);
            (r.amount > 0 && r.amount >= minimum).then_some(PayoutDue {
                affiliate_id: r.affiliate_id,
                code: r.code,
                name: r.name,
                payout_email: r.payout_email,
                affiliate_status: r.affiliate_status,
                currency: r.currency,
                amount: r.amount,
                commission_count: r.commission_count,
                minimum,
            })
        })
        .collect())
}
