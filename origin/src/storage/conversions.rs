//! Conversions (one Stripe payment each): recording one with its commission, the facts
//! attribution reads of earlier ones, and the merchant's list. What happens to a payment
//! afterwards (refunds, disputes) is `refund_ledger.rs`.

use sqlx::{AnyConnection, AnyPool};

use super::list::{Listing, SalesFilter};
use super::page::{Page, PageRequest};
use super::{Flags, Livemode, StorageError, flag};
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

/// Stores a conversion and its commission (`commissions::insert`) unless the Stripe object is already recorded;
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
    let commission_id = super::commissions::insert(conn, &id, c, now).await?;
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

/// One Stripe payment attributed to an affiliate, with its commission, as the merchant API
/// shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Conversion")]
pub struct ConversionRow {
    /// `cnv_…`.
    pub id: String,
    /// Test or live mode.
    #[sqlx(try_from = "i64")]
    pub livemode: Livemode,
    /// The Stripe object paid (`cs_…`).
    pub stripe_object_id: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// The recorded click the sale came from, when known.
    pub click_id: Option<String>,
    /// How the affiliate was found: `client_reference_id`, `customer_binding`, `lead_email`…
    pub attribution_method: String,
    /// The payment's state: paid, partially_refunded, refunded or disputed.
    #[sqlx(try_from = "String")]
    pub status: PaymentStatus,
    /// Commissionable amount (paid, less tax and shipping), minor units.
    pub amount: i64,
    /// Paid in all (tax and shipping included), minor units.
    pub amount_paid: i64,
    /// Refunded so far, minor units.
    pub amount_refunded: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// The Stripe customer who paid, when known.
    pub customer_id: Option<String>,
    /// Commission, minor units of `currency`.
    pub commission_amount: i64,
    /// Rate applied, basis points.
    pub commission_rate_bps: i64,
    /// pending, approved, paid, denied or reversed.
    #[sqlx(try_from = "String")]
    pub commission_status: CommissionStatus,
    /// The buyer's dispute, when there is one: open, won or lost.
    pub dispute_status: Option<String>,
    /// Why the sale deserves a look before its commission is approved (`fast_purchase`: paid
    /// within seconds of the click; `repeat_visitor`: many purchases from one visitor). A
    /// flagged commission is never approved automatically.
    #[sqlx(try_from = "Option<String>")]
    pub review_flags: Flags,
    /// Recorded at, UTC epoch milliseconds.
    pub created_at: i64,
}

/// The merchant's conversions with their commission, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT v.id, v.livemode, v.stripe_object_id, v.affiliate_id, a.code AS affiliate_code, v.click_id, v.attribution_method, v.status, \
             v.amount, v.amount_paid, v.amount_refunded, v.currency, v.customer_id, m.amount AS commission_amount, \
             m.rate_bps AS commission_rate_bps, m.status AS commission_status, v.dispute_status, v.review_flags, v.created_at \
             FROM conversions v JOIN affiliates a ON a.id = v.affiliate_id JOIN commissions m ON m.conversion_id = v.id",
    table: "conversions",
    created: "v.created_at",
    id: "v.id",
};

/// Filters of a conversion listing.
pub type ConversionFilter = SalesFilter<PaymentStatus>;

/// A page of the merchant's conversions, newest first.
pub async fn list_conversions(
    pool: &AnyPool,
    merchant_id: &str,
    f: &ConversionFilter,
    page: &PageRequest,
) -> Result<Page<ConversionRow>, StorageError> {
    f.scope(&LIST, merchant_id).filter_some("v.status = {}", f.status.map(PaymentStatus::as_str)).page(pool, page).await
}
