//! The refund ledger: what happens to a recorded payment afterwards. Stripe's cumulative
//! refunded amount (a snapshot ordered by when Stripe reported it), its dispute (which only
//! moves forward), the payment's status, and the PaymentIntent that ties them to it.

use sqlx::{AnyConnection, AnyPool};

use super::{StorageError, flag};

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
