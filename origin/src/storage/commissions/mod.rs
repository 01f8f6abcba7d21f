//! Commissions: recording the one a conversion earns, and the merchant's list. Their status
//! changes are `actions.rs`.

use sqlx::{AnyConnection, AnyExecutor, AnyPool};

use super::conversions::NewConversion;
use super::list::Listing;
use super::page::{Page, PageRequest};
use super::{StorageError, flag};
use crate::domain::commission::CommissionStatus;
use crate::domain::ids::new_id;

mod actions;

pub use actions::{Action, Outcome, apply, release_held, set_held, settle_unapproved};

/// A commission as the merchant API shows it.
#[derive(Debug, Clone)]
pub struct CommissionRow {
    /// `com_…`.
    pub id: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The conversion that earned it.
    pub conversion_id: String,
    /// The Stripe object paid.
    pub stripe_object_id: String,
    /// The affiliate owed.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// Rate applied, basis points (0 for flat amounts).
    pub rate_bps: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// Where it stands.
    pub status: CommissionStatus,
    /// Why it was denied or reversed.
    pub reason: Option<String>,
    /// A held commission approves itself at this moment, UTC epoch ms.
    pub hold_until: Option<i64>,
    /// Approved at.
    pub approved_at: Option<i64>,
    /// Paid at.
    pub paid_at: Option<i64>,
    /// The merchant's reference for the payout (transfer id, invoice number).
    pub payout_reference: Option<String>,
    /// Why it is held (an open dispute): neither approved nor paid until the hold lifts.
    pub held_by: Option<String>,
    /// Created at.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

/// A row as selected by [`SELECT`], in its order.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: String,
    livemode: i64,
    conversion_id: String,
    stripe_object_id: String,
    affiliate_id: String,
    affiliate_code: String,
    rate_bps: i64,
    amount: i64,
    currency: String,
    status: String,
    reason: Option<String>,
    hold_until: Option<i64>,
    approved_at: Option<i64>,
    paid_at: Option<i64>,
    payout_reference: Option<String>,
    held_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// The merchant's commissions with their payment and affiliate, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT m.id, m.livemode, m.conversion_id, v.stripe_object_id, m.affiliate_id, a.code AS affiliate_code, m.rate_bps, m.amount, \
             m.currency, m.status, m.reason, m.hold_until, m.approved_at, m.paid_at, m.payout_reference, m.held_by, m.created_at, m.updated_at \
             FROM commissions m JOIN conversions v ON v.id = m.conversion_id JOIN affiliates a ON a.id = m.affiliate_id",
    table: "commissions",
    created: "m.created_at",
    id: "m.id",
};

fn from_row(r: Row) -> Result<CommissionRow, StorageError> {
    let status =
        CommissionStatus::parse(&r.status).ok_or_else(|| StorageError::Corrupt(format!("commission {} status {:?}", r.id, r.status)))?;
    Ok(CommissionRow {
        id: r.id,
        livemode: r.livemode != 0,
        conversion_id: r.conversion_id,
        stripe_object_id: r.stripe_object_id,
        affiliate_id: r.affiliate_id,
        affiliate_code: r.affiliate_code,
        rate_bps: r.rate_bps,
        amount: r.amount,
        currency: r.currency,
        status,
        reason: r.reason,
        hold_until: r.hold_until,
        approved_at: r.approved_at,
        paid_at: r.paid_at,
        payout_reference: r.payout_reference,
        held_by: r.held_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Filters of a commission listing; test and live data never mix.
#[derive(Debug, Clone, Default)]
pub struct CommissionFilter {
    /// Live (true) or test (false) data.
    pub livemode: bool,
    /// Only this status.
    pub status: Option<CommissionStatus>,
    /// Only this affiliate's.
    pub affiliate_id: Option<String>,
    /// Created at or after, UTC epoch ms.
    pub created_gte: Option<i64>,
    /// Created before, UTC epoch ms.
    pub created_lt: Option<i64>,
}

/// A page of the merchant's commissions, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    f: &CommissionFilter,
    page: &PageRequest,
) -> Result<Page<CommissionRow>, StorageError> {
    let rows: Page<Row> = LIST
        .query()
        .filter("m.merchant_id = {}", merchant_id)
        .filter("m.livemode = {}", f.livemode)
        .filter_some("m.status = {}", f.status.map(CommissionStatus::as_str))
        .filter_some("m.affiliate_id = {}", f.affiliate_id.as_ref())
        .filter_some("m.created_at >= {}", f.created_gte)
        .filter_some("m.created_at < {}", f.created_lt)
        .page(pool, page)
        .await?;
    rows.try_map(from_row)
}

/// One of the merchant's commissions.
pub async fn get(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<CommissionRow>, StorageError> {
    LIST.get::<Row>(conn, merchant_id, id).await?.map(from_row).transpose()
}

/// Stores the commission a newly recorded conversion earns; returns its id.
pub async fn insert(conn: &mut AnyConnection, conversion_id: &str, c: &NewConversion, now: i64) -> Result<String, StorageError> {
    let commission_id = new_id("com");
    let approved_at = (c.commission_status == CommissionStatus::Approved).then_some(now);
    sqlx::query(
        "INSERT INTO commissions (id, merchant_id, conversion_id, affiliate_id, livemode, rate_bps, amount, original_amount, currency, status, \
                                  reason, hold_until, approved_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(&commission_id)
    .bind(&c.merchant_id)
    .bind(conversion_id)
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
    Ok(commission_id)
}
