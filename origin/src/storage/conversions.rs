//! Conversions (one Stripe payment each) and the commission they earn.

use sqlx::{AnyConnection, AnyPool};

use super::page::{Conditions, Page, PageRequest};
use super::{StorageError, flag};
use crate::domain::commission::{CommissionStatus, PaymentStatus};
use crate::domain::ids::new_id;

/// A conversion with its commission, ready to store.
#[derive(Debug, Clone)]
pub struct NewConversion {
    /// Whose sale.
    pub merchant_id: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The Stripe object paid (`cs_…`).
    pub stripe_object_id: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// The click it came from, when known and stored.
    pub click_id: Option<String>,
    /// How the affiliate was found (e.g. `client_reference_id`).
    pub attribution_method: &'static str,
    /// Commissionable amount, minor units.
    pub amount: i64,
    /// What the buyer paid in all (tax and shipping included), minor units: refunds are
    /// measured against it.
    pub amount_paid: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The Stripe customer who paid, when known.
    pub customer_id: Option<String>,
    /// The PaymentIntent, which ties refunds and disputes to this payment.
    pub payment_intent_id: Option<String>,
    /// Rate applied, basis points.
    pub rate_bps: i64,
    /// Commission, minor units of `currency`.
    pub commission: i64,
    /// The commission's first status under the campaign's approval rule.
    pub commission_status: CommissionStatus,
    /// When a held commission approves itself.
    pub hold_until: Option<i64>,
    /// Why, when a rule denied the commission at once (self-referral).
    pub commission_reason: Option<String>,
    /// Why it deserves the merchant's review, comma-separated (`None`: nothing).
    pub review_flags: Option<String>,
}

/// The ids a newly recorded conversion got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `cnv_…`.
    pub conversion_id: String,
    /// `com_…`.
    pub commission_id: String,
}

/// Stores a conversion and its commission unless the Stripe object is already recorded;
/// returns their ids when it was new.
pub async fn insert_conversion(conn: &mut AnyConnection, c: &NewConversion, now: i64) -> Result<Option<Recorded>, StorageError> {
    let id = new_id("cnv");
    let done = sqlx::query(
        "INSERT INTO conversions (id, merchant_id, livemode, stripe_object_id, affiliate_id, click_id, attribution_method, amount, currency, \
                                  amount_paid, customer_id, payment_intent_id, status, review_flags, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'paid', $13, $14) ON CONFLICT (merchant_id, livemode, stripe_object_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&c.merchant_id)
    .bind(flag(c.livemode))
    .bind(&c.stripe_object_id)
    .bind(&c.affiliate_id)
    .bind(&c.click_id)
    .bind(c.attribution_method)
    .bind(c.amount)
    .bind(&c.currency)
    .bind(c.amount_paid)
    .bind(&c.customer_id)
    .bind(&c.payment_intent_id)
    .bind(&c.review_flags)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let commission_id = new_id("com");
    let approved_at = (c.commission_status == CommissionStatus::Approved).then_some(now);
    sqlx::query(
        "INSERT INTO commissions (id, merchant_id, conversion_id, affiliate_id, livemode, rate_bps, amount, original_amount, currency, status, \
                                  reason, hold_until, approved_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(&commission_id)
    .bind(&c.merchant_id)
    .bind(&id)
    .bind(&c.affiliate_id)
    .bind(flag(c.livemode))
    .bind(c.rate_bps)
    .bind(c.commission)
    .bind(&c.currency)
    .bind(c.commission_status.as_str())
    .bind(&c.commission_reason)
    .bind(c.hold_until)
    .bind(approved_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Some(Recorded { conversion_id: id, commission_id }))
}

/// How many conversions recorded since `since` (UTC epoch ms) came from clicks of this visitor.
pub async fn visitor_purchases(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    visitor: &str,
    since: i64,
) -> Result<i64, StorageError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM conversions v WHERE v.merchant_id = $1 AND v.livemode = $2 AND v.created_at >= $4 \
         AND v.click_id IN (SELECT c.click_id FROM clicks c WHERE c.merchant_id = $1 AND c.visitor = $3)",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(visitor)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Whether an earlier payment of this customer was recorded as a conversion.
pub async fn customer_has_converted(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
) -> Result<bool, StorageError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM conversions WHERE merchant_id = $1 AND livemode = $2 AND customer_id = $3 LIMIT 1")
            .bind(merchant_id)
            .bind(flag(livemode))
            .bind(customer_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}

/// A conversion with its commission, as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversionRow {
    /// `cnv_…`.
    pub id: String,
    /// Test or live mode (0/1).
    pub livemode: i64,
    /// The Stripe object paid.
    pub stripe_object_id: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// The click it came from.
    pub click_id: Option<String>,
    /// How the affiliate was found.
    pub attribution_method: String,
    /// paid, partially_refunded, refunded, disputed.
    pub status: String,
    /// Commissionable amount, minor units.
    pub amount: i64,
    /// Paid in all, minor units.
    pub amount_paid: i64,
    /// Refunded so far, minor units.
    pub amount_refunded: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The Stripe customer.
    pub customer_id: Option<String>,
    /// Commission earned, minor units.
    pub commission_amount: i64,
    /// Rate applied, basis points.
    pub commission_rate_bps: i64,
    /// Commission status.
    pub commission_status: String,
    /// open, won or lost once disputed.
    pub dispute_status: Option<String>,
    /// Comma-separated review flags.
    pub review_flags: Option<String>,
    /// When recorded, UTC epoch ms.
    pub created_at: i64,
}

/// Filters of a conversion listing; test and live data never mix.
#[derive(Debug, Clone, Default)]
pub struct ConversionFilter {
    /// Live (true) or test (false) data.
    pub livemode: bool,
    /// Only this affiliate's.
    pub affiliate_id: Option<String>,
    /// Only conversions in this status.
    pub status: Option<PaymentStatus>,
    /// Created at or after, UTC epoch ms.
    pub created_gte: Option<i64>,
    /// Created before, UTC epoch ms.
    pub created_lt: Option<i64>,
}

/// A page of the merchant's conversions, newest first.
pub async fn list_conversions(
    pool: &AnyPool,
    merchant_id: &str,
    f: &ConversionFilter,
    page: &PageRequest,
) -> Result<Page<ConversionRow>, StorageError> {
    let mut c = Conditions::new();
    c.push("v.merchant_id = {}");
    c.push("v.livemode = {}");
    if f.affiliate_id.is_some() {
        c.push("v.affiliate_id = {}");
    }
    if f.status.is_some() {
        c.push("v.status = {}");
    }
    if f.created_gte.is_some() {
        c.push("v.created_at >= {}");
    }
    if f.created_lt.is_some() {
        c.push("v.created_at < {}");
    }
    if page.after.is_some() {
        c.push("(v.created_at, v.id) < ({}, {})");
    }
    let limit = c.placeholder();
    let sql = format!(
        "SELECT v.id, v.livemode, v.stripe_object_id, v.affiliate_id, a.code AS affiliate_code, v.click_id, v.attribution_method, v.status, \
                v.amount, v.amount_paid, v.amount_refunded, v.currency, v.customer_id, m.amount AS commission_amount, \
                m.rate_bps AS commission_rate_bps, m.status AS commission_status, v.dispute_status, v.review_flags, v.created_at \
         FROM conversions v JOIN affiliates a ON a.id = v.affiliate_id JOIN commissions m ON m.conversion_id = v.id \
         WHERE {} ORDER BY v.created_at DESC, v.id DESC LIMIT {limit}",
        c.to_sql()
    );
    let mut q = sqlx::query_as::<_, ConversionRow>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(f.livemode));
    if let Some(a) = &f.affiliate_id {
        q = q.bind(a);
    }
    if let Some(st) = f.status {
        q = q.bind(st.as_str());
    }
    if let Some(t) = f.created_gte {
        q = q.bind(t);
    }
    if let Some(t) = f.created_lt {
        q = q.bind(t);
    }
    if let Some((at, id)) = &page.after {
        q = q.bind(*at).bind(id);
    }
    let rows = q.bind(page.fetch_limit()).fetch_all(pool).await?;
    Ok(Page::from_rows(rows, page))
}

/// The (created_at, id) position of a conversion, for `starting_after`.
pub async fn position(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<(i64, String)>, StorageError> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT created_at, id FROM conversions WHERE merchant_id = $1 AND id = $2")
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row)
}

/// What the refund ledger reads of a conversion and its commission.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ledger {
    /// `cnv_…`.
    pub conversion_id: String,
    /// Paid in all, minor units.
    pub amount_paid: i64,
    /// Refunded so far, minor units.
    pub amount_refunded: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// `com_…`.
    pub commission_id: String,
    /// The commission's status.
    pub commission_status: String,
    /// The commission now.
    pub commission_amount: i64,
    /// The commission when earned.
    pub original_amount: Option<i64>,
    /// The adjustments already made to it, summed.
    pub adjusted: i64,
    /// When Stripe reported `amount_refunded` (unix seconds of the charge's snapshot).
    pub refunded_as_of: i64,
    /// `open`, `won` or `lost` once the payment was disputed.
    pub dispute_status: Option<String>,
}

/// The conversion paid through this PaymentIntent, with its commission.
pub async fn ledger_by_payment_intent(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    payment_intent_id: &str,
) -> Result<Option<Ledger>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT v.id AS conversion_id, v.amount_paid, v.amount_refunded, v.currency, v.affiliate_id, m.id AS commission_id, \
                m.status AS commission_status, m.amount AS commission_amount, m.original_amount, v.refunded_as_of, v.dispute_status, \
                CAST(COALESCE((SELECT SUM(j.amount) FROM commission_adjustments j WHERE j.merchant_id = v.merchant_id AND j.commission_id = m.id), 0) AS BIGINT) AS adjusted \
         FROM conversions v JOIN commissions m ON m.conversion_id = v.id \
         WHERE v.merchant_id = $1 AND v.livemode = $2 AND v.payment_intent_id = $3",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(payment_intent_id)
    .fetch_optional(conn)
    .await?)
}

/// Ties a PaymentIntent to the conversion of a Stripe object (an invoice, whose event may not
/// name the PaymentIntent that paid it) when none is known yet; returns whether it did.
pub async fn set_payment_intent(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    stripe_object_id: &str,
    payment_intent_id: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE conversions SET payment_intent_id = $4 WHERE merchant_id = $1 AND livemode = $2 AND stripe_object_id = $3 AND payment_intent_id IS NULL",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(stripe_object_id)
    .bind(payment_intent_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records Stripe's cumulative refunded amount as of `as_of` (unix seconds): a later snapshot
/// replaces an earlier one (a failed refund lowers the amount), an earlier one changes nothing,
/// and of two at the same second the larger counts, so events may arrive in any order. Returns
/// whether it changed.
pub async fn record_refund_snapshot(
    conn: &mut AnyConnection,
    merchant_id: &str,
    conversion_id: &str,
    refunded: i64,
    as_of: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE conversions SET amount_refunded = $1, refunded_as_of = $2 WHERE merchant_id = $3 AND id = $4 \
         AND (refunded_as_of < $2 OR (refunded_as_of = $2 AND amount_refunded < $1))",
    )
    .bind(refunded)
    .bind(as_of)
    .bind(merchant_id)
    .bind(conversion_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a dispute's state (`open`, `won` or `lost`). A dispute only moves forward: a closed
/// one is never reopened by a late `charge.dispute.created`. Returns whether it changed.
pub async fn record_dispute(
    conn: &mut AnyConnection,
    merchant_id: &str,
    conversion_id: &str,
    dispute_id: &str,
    status: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE conversions SET dispute_id = $1, dispute_status = $2 WHERE merchant_id = $3 AND id = $4 \
         AND (dispute_status IS NULL OR (dispute_status = 'open' AND $2 <> 'open'))",
    )
    .bind(dispute_id)
    .bind(status)
    .bind(merchant_id)
    .bind(conversion_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets what became of the conversion's payment (paid, refunded, disputed…).
pub async fn set_status(conn: &mut AnyConnection, merchant_id: &str, conversion_id: &str, status: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE conversions SET status = $1 WHERE merchant_id = $2 AND id = $3")
        .bind(status)
        .bind(merchant_id)
        .bind(conversion_id)
        .execute(conn)
        .await?;
    Ok(())
}
