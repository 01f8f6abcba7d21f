//! The overview of one merchant's program over a span of days: what the dashboard's overview
//! page shows and `GET /v1/overview` answers, from one function. Clicks and leads carry no mode
//! (the tracker knows none); sales, commissions and tasks are of the chosen mode.

use poem_openapi::Object;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::{Any, AnyPool};

use super::list::SalesFilter;
use super::page::placeholder_list;
use super::{StorageError, campaigns, commissions, flag, payouts, stripe_events};
use crate::domain::commission::CommissionStatus;
use crate::domain::period::Period;
use crate::domain::stats::{self, Amount, Day};

/// How many affiliates the overview ranks.
pub const TOP: usize = 5;

/// An affiliate among the span's best, by conversions.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct TopAffiliate {
    /// `aff_…`.
    pub affiliate_id: String,
    /// Its referral code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its clicks in the span (repeats left out).
    pub clicks: i64,
    /// Its conversions in the span.
    pub conversions: i64,
    /// Their amounts, per currency.
    pub revenue: Vec<Amount>,
}

/// A merchant's program over a span of whole UTC days.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Overview {
    /// Always `overview`.
    pub object: String,
    /// Live (`true`) or test (`false`) sales and commissions.
    pub livemode: bool,
    /// First millisecond of the span (UTC epoch ms).
    pub from: i64,
    /// First millisecond after it.
    pub to: i64,
    /// Referral clicks counted (repeats left out), of either mode.
    pub clicks: i64,
    /// Visitors identified (leads), of either mode.
    pub leads: i64,
    /// Attributed sales.
    pub conversions: i64,
    /// Conversions per click, basis points; absent without clicks.
    pub conversion_rate_bps: Option<i64>,
    /// The sales' amounts, per currency.
    pub revenue: Vec<Amount>,
    /// Commissions earned on them (denied and reversed ones left out), per currency.
    pub commissions: Vec<Amount>,
    /// Commissions earned per click, per currency (minor units, rounded).
    pub earnings_per_click: Vec<Amount>,
    /// Due now, whatever the span: what the payouts report lists, per currency.
    pub owed: Vec<Amount>,
    /// Affiliate and currency lines the payouts report lists.
    pub payouts_due: i64,
    /// Pending commissions waiting for the merchant (not on a hold that ends by itself).
    pub commissions_to_review: i64,
    /// Stripe events parked after failing (see `/v1/stripe_events?status=parked`).
    pub parked_stripe_events: i64,
    /// Every day of the span.
    pub days: Vec<Day>,
    /// The best affiliates of the span, by conversions.
    pub top_affiliates: Vec<TopAffiliate>,
}

/// The overview of `merchant_id`'s program in one mode over `period`.
pub async fn overview(pool: &AnyPool, merchant_id: &str, livemode: bool, period: &Period) -> Result<Overview, StorageError> {
    let (from, to) = (period.from, period.to);
    let bounds = (from, to);
    let clicks: Vec<(i64, i64)> = span(
        "SELECT received_at / 86400000 AS day, COUNT(*) FROM clicks WHERE merchant_id = $1 AND received_at >= $2 AND received_at < $3 \
         AND duplicate_of IS NULL GROUP BY received_at / 86400000",
        merchant_id,
        None,
        bounds,
    )
    .fetch_all(pool)
    .await?;
    let leads = "SELECT COUNT(*) FROM leads WHERE merchant_id = $1 AND received_at >= $2 AND received_at < $3";
    let (leads,): (i64,) = span(leads, merchant_id, None, bounds).fetch_one(pool).await?;
    let sales: Vec<(i64, String, i64, i64)> = span(
        "SELECT created_at / 86400000 AS day, currency, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM conversions \
         WHERE merchant_id = $1 AND livemode = $4 AND created_at >= $2 AND created_at < $3 GROUP BY created_at / 86400000, currency",
        merchant_id,
        Some(livemode),
        bounds,
    )
    .fetch_all(pool)
    .await?;
    let earned: Vec<Amount> = span(
        "SELECT currency, CAST(SUM(amount) AS BIGINT) AS amount FROM commissions WHERE merchant_id = $1 AND livemode = $4 \
         AND created_at >= $2 AND created_at < $3 AND status NOT IN ('denied', 'reversed') GROUP BY currency ORDER BY currency",
        merchant_id,
        Some(livemode),
        bounds,
    )
    .fetch_all(pool)
    .await?;

    let days = stats::days(period, &clicks, &sales);
    let mut revenue = Vec::new();
    days.iter().flat_map(|d| &d.revenue).for_each(|a| stats::add(&mut revenue, &a.currency, a.amount));
    let total_clicks = clicks.iter().map(|(_, n)| n).sum();
    let conversions = sales.iter().map(|(_, _, n, _)| n).sum();

    let due = payouts::payouts_due(pool, merchant_id, livemode, &campaigns::min_payouts(pool, merchant_id).await?).await?;
    let mut owed = Vec::new();
    due.iter().for_each(|line| stats::add(&mut owed, &line.currency, line.amount));
    let pending = SalesFilter { livemode, status: Some(CommissionStatus::Pending), ..SalesFilter::default() };
    let to_review = commissions::kept(merchant_id, &pending).only(Some("m.hold_until IS NULL"));
    let parked = stripe_events::LIST.of(merchant_id).mode(livemode).only(Some(stripe_events::EventState::Parked.condition()));

    Ok(Overview {
        object: "overview".into(),
        livemode,
        from,
        to,
        clicks: total_clicks,
        leads,
        conversions,
        conversion_rate_bps: stats::rate_bps(conversions, total_clicks),
        earnings_per_click: stats::per_click(&earned, total_clicks),
        revenue,
        commissions: earned,
        owed,
        payouts_due: i64::try_from(due.len()).unwrap_or(i64::MAX),
        commissions_to_review: to_review.count(pool).await?,
        parked_stripe_events: parked.count(pool).await?,
        top_affiliates: top_affiliates(pool, merchant_id, livemode, period).await?,
        days,
    })
}

/// `sql` over one merchant's rows in a span: `$1` the merchant, `$2` and `$3` the span's ends,
/// and `$4` the mode when the rows have one.
fn span<'q, R>(
    sql: impl sqlx::SqlSafeStr,
    merchant_id: &'q str,
    livemode: Option<bool>,
    (from, to): (i64, i64),
) -> QueryAs<'q, Any, R, AnyArguments>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let q = sqlx::query_as(sql).bind(merchant_id).bind(from).bind(to);
    match livemode {
        Some(live) => q.bind(flag(live)),
        None => q,
    }
}

/// One affiliate's activity in a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffiliateTotals {
    /// `aff_…`.
    pub affiliate_id: String,
    /// Clicks counted (repeats left out).
    pub clicks: i64,
    /// Conversions of the mode.
    pub conversions: i64,
    /// Their amounts, per currency.
    pub revenue: Vec<Amount>,
}

/// The span's best affiliates by conversions, with their clicks and revenue.
async fn top_affiliates(pool: &AnyPool, merchant_id: &str, livemode: bool, period: &Period) -> Result<Vec<TopAffiliate>, StorageError> {
    let ranked: Vec<(String, String, String)> = span(
        sqlx::AssertSqlSafe(format!(
            "SELECT v.affiliate_id, a.code, a.name FROM conversions v JOIN affiliates a ON a.id = v.affiliate_id \
             WHERE v.merchant_id = $1 AND v.livemode = $4 AND v.created_at >= $2 AND v.created_at < $3 \
             GROUP BY v.affiliate_id, a.code, a.name ORDER BY COUNT(*) DESC, a.code LIMIT {TOP}"
        )),
        merchant_id,
        Some(livemode),
        (period.from, period.to),
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<String> = ranked.iter().map(|r| r.0.clone()).collect();
    let totals = affiliate_totals(pool, (merchant_id, livemode), (period.from, period.to), &ids).await?;
    Ok(ranked
        .into_iter()
        .zip(totals)
        .map(|((affiliate_id, code, name), t)| TopAffiliate {
            affiliate_id,
            code,
            name,
            clicks: t.clicks,
            conversions: t.conversions,
            revenue: t.revenue,
        })
        .collect())
}

/// The activity from `from` to before `to` (UTC epoch ms) of each affiliate of `ids` (a page's
/// worth), in the order given.
pub async fn affiliate_totals(
    pool: &AnyPool,
    (merchant_id, livemode): (&str, bool),
    bounds: (i64, i64),
    ids: &[String],
) -> Result<Vec<AffiliateTotals>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sales = sqlx::AssertSqlSafe(format!(
        "SELECT affiliate_id, currency, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM conversions WHERE merchant_id = $1 AND livemode = $4 \
         AND created_at >= $2 AND created_at < $3 AND affiliate_id IN ({}) GROUP BY affiliate_id, currency",
        placeholder_list(5, ids.len())
    ));
    let q = span::<(String, String, i64, i64)>(sales, merchant_id, Some(livemode), bounds);
    let sales = ids.iter().fold(q, |q, id| q.bind(id)).fetch_all(pool).await?;
    let clicks = sqlx::AssertSqlSafe(format!(
        "SELECT affiliate_id, COUNT(*) FROM clicks WHERE merchant_id = $1 AND received_at >= $2 AND received_at < $3 \
         AND duplicate_of IS NULL AND affiliate_id IN ({}) GROUP BY affiliate_id",
        placeholder_list(4, ids.len())
    ));
    let q = span::<(String, i64)>(clicks, merchant_id, None, bounds);
    let clicks = ids.iter().fold(q, |q, id| q.bind(id)).fetch_all(pool).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let mut t = AffiliateTotals { affiliate_id: id.clone(), clicks: 0, conversions: 0, revenue: Vec::new() };
            for (_, currency, n, amount) in sales.iter().filter(|s| s.0 == *id) {
                t.conversions += n;
                stats::add(&mut t.revenue, currency, *amount);
            }
            t.clicks = clicks.iter().find(|c| c.0 == *id).map_or(0, |c| c.1);
            t
        })
        .collect())
}
