//! The payouts report (approved, unpaid commissions plus open adjustments, per affiliate and
//! currency) and recording a payout, which pays those commissions and settles those adjustments.
//!
//! An adjustment counts only while its commission does: paid, or approved and not held. A
//! denied commission's refund adjustment is not taken off the affiliate's other commissions,
//! and a held one's waits with it. Both queries below say this in the same words.

use std::collections::HashMap;

use sqlx::AnyPool;

use super::{StorageError, flag};
use crate::domain::campaign::CurrencyAmounts;

/// One line of the payouts report: what the merchant owes an affiliate in one currency.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
pub struct PayoutLine {
    /// The affiliate.
    pub affiliate_id: String,
    /// Its referral code.
    pub affiliate_code: String,
    /// Its name.
    pub affiliate_name: String,
    /// Where to pay it.
    pub payout_email: Option<String>,
    /// active, paused or banned (a banned affiliate's approved commissions are still listed).
    pub affiliate_status: String,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// Due: approved, unpaid commissions plus open adjustments, minor units.
    pub amount: i64,
    /// Open adjustments included in `amount` (negative: commission taken back after refunds).
    pub adjustments: i64,
    /// How many commissions make up `amount`.
    pub commission_count: i64,
    /// The campaign's minimum payout in this currency (0 when it sets none).
    #[sqlx(default)]
    pub minimum_payout: i64,
    /// The affiliate's campaign, whose minimum applies.
    #[oai(skip)]
    pub campaign_id: String,
}

/// Approved, unpaid totals per affiliate and currency at or above the campaign's minimum payout.
pub async fn payouts_due(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    minimums: &HashMap<String, CurrencyAmounts>,
) -> Result<Vec<PayoutLine>, StorageError> {
    let rows: Vec<PayoutLine> = sqlx::query_as(
        "SELECT x.affiliate_id, a.code AS affiliate_code, a.name AS affiliate_name, a.payout_email, a.status AS affiliate_status, a.campaign_id, x.currency, \
                CAST(SUM(x.amount) AS BIGINT) AS amount, CAST(SUM(x.adjustment) AS BIGINT) AS adjustments, \
                CAST(SUM(x.commission) AS BIGINT) AS commission_count \
         FROM (SELECT affiliate_id, currency, amount, 0 AS adjustment, 1 AS commission FROM commissions \
                   WHERE merchant_id = $1 AND livemode = $2 AND status = 'approved' AND held_by IS NULL \
               UNION ALL \
               SELECT affiliate_id, currency, amount, amount AS adjustment, 0 AS commission FROM commission_adjustments \
                   WHERE merchant_id = $1 AND livemode = $2 AND settled_at IS NULL AND commission_id IN \
                       (SELECT id FROM commissions WHERE merchant_id = $1 AND (status = 'paid' OR (status = 'approved' AND held_by IS NULL)))) x \
         JOIN affiliates a ON a.id = x.affiliate_id \
         GROUP BY x.affiliate_id, a.code, a.name, a.payout_email, a.status, a.campaign_id, x.currency \
         ORDER BY a.code, x.currency",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|mut line| {
            line.minimum_payout = minimums.get(&line.campaign_id).and_then(|m| m.get(&line.currency)).copied().unwrap_or(0);
            (line.amount > 0 && line.amount >= line.minimum_payout).then_some(line)
        })
        .collect())
}

/// What recording a payout changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    /// Approved commissions marked paid.
    pub commissions: u64,
    /// Open adjustments settled.
    pub adjustments: u64,
    /// Their net total, minor units.
    pub amount: i64,
}

/// Records a payout to one affiliate in one currency inside `conn`'s transaction: every
/// approved commission becomes paid and every open adjustment settled, under `reference`.
pub async fn record_payout(
    conn: &mut sqlx::AnyConnection,
    merchant_id: &str,
    livemode: bool,
    affiliate_id: &str,
    currency: &str,
    reference: &str,
    now: i64,
) -> Result<Settled, StorageError> {
    // Sum what the updates changed, so a commission approved meanwhile is either in both or in neither.
    let key = PayoutKey { merchant_id, livemode, affiliate_id, currency, reference, now };
    let paid = settle(
        conn,
        "UPDATE commissions SET status = 'paid', paid_at = $1, updated_at = $1, payout_reference = $2 \
         WHERE merchant_id = $3 AND livemode = $4 AND affiliate_id = $5 AND currency = $6 AND status = 'approved' AND held_by IS NULL RETURNING amount",
        &key,
    )
    .await?;
    let adjusted = settle(
        conn,
        "UPDATE commission_adjustments SET settled_at = $1, payout_reference = $2 \
         WHERE merchant_id = $3 AND livemode = $4 AND affiliate_id = $5 AND currency = $6 AND settled_at IS NULL AND commission_id IN \
             (SELECT id FROM commissions WHERE merchant_id = $3 AND (status = 'paid' OR (status = 'approved' AND held_by IS NULL))) \
         RETURNING amount",
        &key,
    )
    .await?;
    let settled =
        Settled { commissions: paid.len() as u64, adjustments: adjusted.len() as u64, amount: paid.iter().chain(&adjusted).sum() };
    Ok(settled)
}

struct PayoutKey<'a> {
    merchant_id: &'a str,
    livemode: bool,
    affiliate_id: &'a str,
    currency: &'a str,
    reference: &'a str,
    now: i64,
}

/// Runs one of the payout's updates; returns the amounts it settled.
async fn settle(conn: &mut sqlx::AnyConnection, sql: &'static str, k: &PayoutKey<'_>) -> Result<Vec<i64>, StorageError> {
    let rows: Vec<(i64,)> = sqlx::query_as(sql)
        .bind(k.now)
        .bind(k.reference)
        .bind(k.merchant_id)
        .bind(flag(k.livemode))
        .bind(k.affiliate_id)
        .bind(k.currency)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}
