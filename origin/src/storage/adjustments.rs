//! Commission adjustments: entries against a commission already approved or paid (a refund
//! takes part of it back), each made once per Stripe event, and settled by a payout.

use sqlx::{AnyConnection, AnyPool};

use super::list::Listing;
use super::page::{Page, PageRequest};
use super::{Livemode, StorageError, flag};
use crate::domain::ids::new_id;

/// An adjustment to record.
#[derive(Debug, Clone)]
pub struct NewAdjustment<'a> {
    /// Whose.
    pub merchant_id: &'a str,
    /// The commission adjusted.
    pub commission_id: &'a str,
    /// Its affiliate.
    pub affiliate_id: &'a str,
    /// Test or live mode.
    pub livemode: bool,
    /// Minor units; negative takes back.
    pub amount: i64,
    /// The commission's currency.
    pub currency: &'a str,
    /// Why, for the merchant and the affiliate.
    pub reason: &'a str,
    /// The Stripe event it came from: one adjustment per commission and event.
    pub stripe_event_id: &'a str,
}

/// Records the adjustment unless this event already made one for this commission; returns
/// its id when new.
pub async fn insert(conn: &mut AnyConnection, a: &NewAdjustment<'_>, now: i64) -> Result<Option<String>, StorageError> {
    let id = new_id("adj");
    let done = sqlx::query(
        "INSERT INTO commission_adjustments (id, merchant_id, commission_id, affiliate_id, livemode, amount, currency, reason, stripe_event_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (merchant_id, commission_id, stripe_event_id) DO NOTHING",
    )
    .bind(&id)
    .bind(a.merchant_id)
    .bind(a.commission_id)
    .bind(a.affiliate_id)
    .bind(flag(a.livemode))
    .bind(a.amount)
    .bind(a.currency)
    .bind(a.reason)
    .bind(a.stripe_event_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(id))
}

/// An entry against a commission already approved or paid, as stored and as the merchant API
/// shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "CommissionAdjustment")]
pub struct AdjustmentRow {
    /// `adj_…`.
    pub id: String,
    /// Always `commission_adjustment`.
    pub object: String,
    /// The commission adjusted.
    pub commission_id: String,
    /// Its affiliate.
    pub affiliate_id: String,
    /// Test or live mode.
    #[sqlx(try_from = "i64")]
    pub livemode: Livemode,
    /// Minor units; negative takes commission back.
    pub amount: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// Why (e.g. the refund and how much of the payment it returned).
    pub reason: String,
    /// The Stripe event it came from.
    pub stripe_event_id: String,
    /// Settled by a payout, UTC epoch ms; null while it still counts against the next one.
    pub settled_at: Option<i64>,
    /// The payout that settled it.
    pub payout_reference: Option<String>,
    /// Made, UTC epoch ms.
    pub created_at: i64,
}

/// The merchant's commission adjustments, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, 'commission_adjustment' AS object, commission_id, affiliate_id, livemode, amount, currency, reason, stripe_event_id, settled_at, payout_reference, created_at \
             FROM commission_adjustments",
    table: "commission_adjustments",
    created: "created_at",
    id: "id",
};

/// A page of the merchant's adjustments of one mode, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    affiliate_id: Option<&str>,
    page: &PageRequest,
) -> Result<Page<AdjustmentRow>, StorageError> {
    LIST.of(merchant_id).mode(livemode).affiliate(affiliate_id).page(pool, page).await
}
