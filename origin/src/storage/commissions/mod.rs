//! Commissions: recording the one a conversion earns, and the merchant's list. Their status
//! changes are `actions.rs`.

use sqlx::{AnyConnection, AnyExecutor, AnyPool};

use super::conversions::NewConversion;
use super::list::{Keyset, Listing, SalesFilter};
use super::page::{Page, PageRequest};
use super::{Livemode, StorageError, flag};
use crate::domain::commission::CommissionStatus;
use crate::domain::ids::new_id;

mod actions;

pub use actions::{Action, Outcome, apply, apply_each, release_held, set_held, settle_unapproved};

/// A commission owed (or once owed) to an affiliate for one conversion, as the merchant API
/// shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Commission")]
pub struct CommissionRow {
    /// `com_…`.
    pub id: String,
    /// Always `commission`.
    pub object: String,
    /// Test or live mode.
    #[sqlx(try_from = "i64")]
    pub livemode: Livemode,
    /// The conversion that earned it.
    pub conversion_id: String,
    /// The Stripe object paid.
    pub stripe_object_id: String,
    /// The affiliate owed.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// Rate applied, basis points (0 for a flat amount).
    pub rate_bps: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub status: CommissionStatus,
    /// Why it was denied or reversed.
    pub reason: Option<String>,
    /// A held commission approves itself at this moment (UTC epoch ms).
    pub hold_until: Option<i64>,
    /// Approved at (UTC epoch ms).
    pub approved_at: Option<i64>,
    /// Paid at (UTC epoch ms).
    pub paid_at: Option<i64>,
    /// Your reference for the payout.
    pub payout_reference: Option<String>,
    /// Why it is held (`dispute du_…` while the buyer's dispute is open): a held commission
    /// is neither approved nor paid until the hold lifts.
    pub held_by: Option<String>,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
    /// Last changed (UTC epoch ms).
    pub updated_at: i64,
}

/// The merchant's commissions with their payment and affiliate, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT m.id, 'commission' AS object, m.livemode, m.conversion_id, v.stripe_object_id, m.affiliate_id, a.code AS affiliate_code, m.rate_bps, m.amount, \
             m.currency, m.status, m.reason, m.hold_until, m.approved_at, m.paid_at, m.payout_reference, m.held_by, m.created_at, m.updated_at \
             FROM commissions m JOIN conversions v ON v.id = m.conversion_id JOIN affiliates a ON a.id = m.affiliate_id",
    table: "commissions",
    created: "m.created_at",
    id: "m.id",
};

/// Filters of a commission listing.
pub type CommissionFilter = SalesFilter<CommissionStatus>;

/// The merchant's commissions `f` keeps.
pub fn kept(merchant_id: &str, f: &CommissionFilter) -> Keyset {
    f.scope(&LIST, merchant_id).filter_some("m.status = {}", f.status.map(CommissionStatus::as_str))
}

/// A page of the merchant's commissions, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    f: &CommissionFilter,
    page: &PageRequest,
) -> Result<Page<CommissionRow>, StorageError> {
    kept(merchant_id, f).page(pool, page).await
}

/// One of the merchant's commissions.
pub async fn get(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<CommissionRow>, StorageError> {
    LIST.get(conn, merchant_id, id).await
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
