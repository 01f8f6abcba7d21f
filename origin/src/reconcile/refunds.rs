//! `charge.refunded`: the refund ledger. Stripe reports the cumulative refunded amount, so the
//! ledger moves only upwards and events may arrive in any order or twice. The commission is
//! scaled by what remains paid: a pending commission is lowered in place (reversed when the
//! payment is refunded in full); an approved or paid one keeps its amount and gets a negative
//! adjustment, deducted from the affiliate's next payout.

use serde_json::json;
use sqlx::AnyConnection;

use super::events::{Missing, Step};
use super::payments::Context;
use crate::domain::commission::{CommissionStatus, after_refund, payment_status};
use crate::storage::adjustments::{self, NewAdjustment};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::{StorageError, commissions, conversions};
use crate::stripe::event::{Charge, Event};

/// How long a refund waits for the payment it refunds to be recorded (Stripe may deliver the
/// payment's event after the refund's).
const PAYMENT_WAIT_MS: i64 = 3_600_000;

/// Applies a `charge.refunded` event.
pub async fn charge_refunded(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, charge: &Charge) -> Result<Step, StorageError> {
    let Some(intent) = charge.payment_intent.as_deref() else {
        return Ok(Step::Done("ignored: the charge has no PaymentIntent".into()));
    };
    let Some(ledger) = conversions::ledger_by_payment_intent(conn, cx.merchant_id, charge.livemode, intent).await? else {
        if cx.now - event.created.saturating_mul(1000) < PAYMENT_WAIT_MS {
            let why = format!("no attributed payment for {intent} yet");
            return Ok(Step::Fetch(why, Missing::PaymentOfIntent { livemode: charge.livemode, payment_intent: intent.to_owned() }));
        }
        return Ok(Step::Done("not_attributed: the refunded payment was not attributed".into()));
    };
    let refunded = charge.amount_refunded.clamp(0, ledger.amount_paid);
    let status = payment_status(ledger.amount_paid, refunded);
    if !conversions::record_refunded(conn, cx.merchant_id, &ledger.conversion_id, refunded, status.as_str()).await? {
        return Ok(Step::Done("refund already applied".into()));
    }
    let original = ledger.original_amount.unwrap_or(ledger.commission_amount);
    let target = after_refund(original, ledger.amount_paid, refunded);
    let actor = Actor::Stripe(event.id.clone());
    let reason = format!("refund on {}: {refunded} of {} {} refunded", charge.id, ledger.amount_paid, ledger.currency);
    let commission_status = CommissionStatus::parse(&ledger.commission_status);
    let (action, change) = match commission_status {
        Some(CommissionStatus::Pending) => {
            let reversed = (target == 0).then_some(reason.as_str());
            if !commissions::reduce_pending(conn, cx.merchant_id, &ledger.commission_id, target, reversed, cx.now).await? {
                return Ok(Step::RetryLater("the commission changed status meanwhile".into()));
            }
            let action = if target == 0 { "commission.reversed" } else { "commission.reduced" };
            (action, json!({ "from_amount": ledger.commission_amount, "to_amount": target }))
        }
        Some(CommissionStatus::Approved | CommissionStatus::Paid) => {
            let delta = target - (ledger.commission_amount + ledger.adjusted);
            if delta == 0 {
                return Ok(Step::Done("refund applied: commission unchanged".into()));
            }
            let new = NewAdjustment {
                merchant_id: cx.merchant_id,
                commission_id: &ledger.commission_id,
                affiliate_id: &ledger.affiliate_id,
                livemode: charge.livemode,
                amount: delta,
                currency: &ledger.currency,
                reason: &reason,
                stripe_event_id: &event.id,
            };
            let id = adjustments::insert(conn, &new, cx.now).await?;
            ("commission.adjusted", json!({ "adjustment_id": id, "amount": delta, "net_amount": target }))
        }
        // Denied or reversed: nothing is owed, nothing to take back.
        _ => return Ok(Step::Done(format!("refund applied: the commission is {}", ledger.commission_status))),
    };
    let mut detail =
        json!({ "reason": reason, "conversion_id": ledger.conversion_id, "amount_refunded": refunded, "currency": ledger.currency });
    if let (Some(d), Some(c)) = (detail.as_object_mut(), change.as_object()) {
        d.extend(c.clone());
    }
    let entry =
        Entry { merchant_id: cx.merchant_id, object_type: "commission", object_id: &ledger.commission_id, action, actor: &actor, detail };
    audit::record(conn, &entry, cx.now).await?;
    Ok(Step::Done(format!("refund applied: {action}")))
}
