//! What happens to a payment after it is paid: refunds, failed refunds and disputes, and what
//! they leave of its commission.
//!
//! The payment's state is kept on its conversion: Stripe's cumulative refunded amount as a
//! snapshot ordered by when Stripe reported it (so refund events may arrive in any order or
//! twice, and a failed refund lowers the amount again), and its dispute, which only moves
//! forward (open → won or lost). The commission follows that state: scaled by what remains
//! paid, nothing once a dispute is lost. A pending commission is set in place (reversed when
//! nothing remains, pending again when a failed refund or won dispute restores it); an approved
//! or paid one keeps its amount and gets an adjustment for the difference, settled by the next
//! payout. An open dispute holds the commission: it is neither approved nor paid until the
//! dispute closes.

use serde_json::json;
use sqlx::AnyConnection;

use super::step::{Context, Missing, Step, Stop};
use crate::domain::commission::{CommissionStatus, PaymentStatus, after_refund, payment_status};
use crate::storage::adjustments::{self, NewAdjustment};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::payment_markers::PAYMENT_UNATTRIBUTED;
use crate::storage::refund_ledger::Ledger;
use crate::storage::{commissions, refund_ledger, stripe_connections};
use crate::stripe::event::{Charge, Dispute, Event, Refund};

/// How long an event about a payment waits for the payment to be recorded (Stripe may deliver
/// the payment's event after the refund's or dispute's).
const PAYMENT_WAIT_MS: i64 = 3_600_000;

/// The conversion paid through `intent`, or the step to take while it is not recorded.
async fn ledger_of(
    conn: &mut AnyConnection,
    cx: Context<'_>,
    event: &Event,
    livemode: bool,
    intent: &str,
    what: &str,
) -> Result<Ledger, Stop> {
    if let Some(ledger) = refund_ledger::ledger_by_payment_intent(conn, cx.merchant_id, livemode, intent).await? {
        return Ok(ledger);
    }
    if PAYMENT_UNATTRIBUTED.is_set(conn, (cx.merchant_id, livemode), intent).await? {
        return Err(Stop::Step(Step::Done(format!("not_attributed: the {what} payment was not attributed"))));
    }
    if cx.now - event.created.saturating_mul(1000) < PAYMENT_WAIT_MS {
        let why = format!("no attributed payment for {intent} yet");
        return Err(Stop::Step(Step::Fetch(why, Missing::PaymentOfIntent { livemode, payment_intent: intent.to_owned() })));
    }
    Err(Stop::Step(Step::Done(format!("not_attributed: the {what} payment was not attributed"))))
}

/// `charge.refunded`: Stripe's refunded amount as of the event.
pub async fn charge_refunded(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, charge: &Charge) -> Result<Step, Stop> {
    let Some(intent) = charge.payment_intent.as_deref() else {
        return Ok(Step::Done("ignored: the charge has no PaymentIntent".into()));
    };
    let mut ledger = ledger_of(conn, cx, event, charge.livemode, intent, "refunded").await?;
    let refunded = charge.amount_refunded.clamp(0, ledger.amount_paid);
    let newer = refund_ledger::record_refund_snapshot(conn, cx.merchant_id, &ledger.conversion_id, refunded, event.created).await?;
    if !newer || refunded == ledger.amount_refunded {
        return Ok(Step::Done("refund already applied".into()));
    }
    ledger.amount_refunded = refunded;
    ledger.refunded_as_of = event.created;
    let reason = format!("refunds on {}: {refunded} of {} {} refunded", charge.id, ledger.amount_paid, ledger.currency);
    settle(conn, cx, event, charge.livemode, &ledger, &reason).await
}

/// `refund.failed`: the money went back to the merchant, so the refunded amount drops. The
/// charge as Stripe now reports it is authoritative: with an API key it is fetched (and applied
/// as a snapshot of its own); without one the failed refund's amount is taken off.
pub async fn refund_failed(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, refund: &Refund) -> Result<Step, Stop> {
    let Some(intent) = refund.payment_intent.as_deref() else {
        return Ok(Step::Done("ignored: the refund has no PaymentIntent".into()));
    };
    let mut ledger = ledger_of(conn, cx, event, event.livemode, intent, "refunded").await?;
    if ledger.refunded_as_of >= event.created {
        return Ok(Step::Done("refund failure already reflected in the refunded amount".into()));
    }
    if let Some(charge) = &refund.charge
        && stripe_connections::has_api_key(&mut *conn, cx.merchant_id, event.livemode).await?
    {
        let why = format!("refund {} failed", refund.id);
        return Ok(Step::Fetch(why, Missing::ChargeAsOf { livemode: event.livemode, charge: charge.clone(), as_of: event.created }));
    }
    // The amount recorded includes this refund only if it was reported after the refund was made.
    let counted = ledger.refunded_as_of >= refund.created;
    let refunded = if counted { (ledger.amount_refunded - refund.amount).max(0) } else { ledger.amount_refunded };
    if !refund_ledger::record_refund_snapshot(conn, cx.merchant_id, &ledger.conversion_id, refunded, event.created).await? {
        return Ok(Step::Done("refund failure already applied".into()));
    }
    ledger.amount_refunded = refunded;
    ledger.refunded_as_of = event.created;
    let reason = format!("refund {} failed: {refunded} of {} {} refunded", refund.id, ledger.amount_paid, ledger.currency);
    settle(conn, cx, event, event.livemode, &ledger, &reason).await
}

/// `charge.dispute.created` and `charge.dispute.closed`.
pub async fn dispute(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, dispute: &Dispute) -> Result<Step, Stop> {
    let Some(intent) = dispute.payment_intent.as_deref() else {
        return Ok(Step::Done("ignored: the dispute has no PaymentIntent".into()));
    };
    let mut ledger = ledger_of(conn, cx, event, dispute.livemode, intent, "disputed").await?;
    let outcome = dispute.outcome();
    if !refund_ledger::record_dispute(conn, cx.merchant_id, &ledger.conversion_id, &dispute.id, outcome).await? {
        return Ok(Step::Done("dispute already recorded".into()));
    }
    ledger.dispute_status = Some(outcome.to_owned());
    let held_by = format!("dispute {}", dispute.id);
    let held = (outcome == "open").then_some(held_by.as_str());
    commissions::set_held(conn, cx.merchant_id, &ledger.commission_id, held, cx.now).await?;
    let action = if held.is_some() { "commission.held" } else { "commission.released" };
    let detail = json!({
        "dispute_id": dispute.id,
        "dispute_status": dispute.status,
        "amount": dispute.amount,
        "conversion_id": ledger.conversion_id,
        "charge": dispute.charge,
    });
    let entry = Entry {
        merchant_id: cx.merchant_id,
        object_type: "commission",
        object_id: &ledger.commission_id,
        action,
        actor: &Actor::Stripe(event.id.clone()),
        detail,
    };
    audit::record(conn, &entry, cx.now).await?;
    let reason = match outcome {
        "open" => format!("dispute {} opened", dispute.id),
        other => format!("dispute {} {other}", dispute.id),
    };
    settle(conn, cx, event, dispute.livemode, &ledger, &reason).await
}

/// Brings the conversion's status and its commission in line with the ledger's state.
async fn settle(
    conn: &mut AnyConnection,
    cx: Context<'_>,
    event: &Event,
    livemode: bool,
    ledger: &Ledger,
    reason: &str,
) -> Result<Step, Stop> {
    let lost = ledger.dispute_status.as_deref() == Some("lost");
    let status = match ledger.dispute_status.as_deref() {
        Some("open" | "lost") => PaymentStatus::Disputed,
        _ => payment_status(ledger.amount_paid, ledger.amount_refunded),
    };
    refund_ledger::set_status(conn, cx.merchant_id, &ledger.conversion_id, status.as_str()).await?;
    // A lost dispute takes the whole payment back, like a full refund.
    let taken = if lost { ledger.amount_paid } else { ledger.amount_refunded };
    let original = ledger.original_amount.unwrap_or(ledger.commission_amount);
    let target = after_refund(original, ledger.amount_paid, taken);
    let (action, change) = match CommissionStatus::parse(&ledger.commission_status) {
        Some(from @ (CommissionStatus::Pending | CommissionStatus::Reversed)) => {
            let to = if target == 0 { CommissionStatus::Reversed } else { CommissionStatus::Pending };
            if from == to && target == ledger.commission_amount {
                return Ok(Step::Done(format!("applied: commission unchanged ({reason})")));
            }
            let reversed = (target == 0).then_some(reason);
            if !commissions::settle_unapproved(conn, cx.merchant_id, &ledger.commission_id, target, reversed, cx.now).await? {
                return Ok(Step::RetryLater("the commission changed status meanwhile".into()));
            }
            let action = match (from, to) {
                (_, CommissionStatus::Reversed) => "commission.reversed",
                (CommissionStatus::Reversed, _) => "commission.restored",
                _ if target < ledger.commission_amount => "commission.reduced",
                _ => "commission.restored",
            };
            (action, json!({ "from_amount": ledger.commission_amount, "to_amount": target }))
        }
        Some(CommissionStatus::Approved | CommissionStatus::Paid) => {
            let delta = target - (ledger.commission_amount + ledger.adjusted);
            if delta == 0 {
                return Ok(Step::Done(format!("applied: commission unchanged ({reason})")));
            }
            let new = NewAdjustment {
                merchant_id: cx.merchant_id,
                commission_id: &ledger.commission_id,
                affiliate_id: &ledger.affiliate_id,
                livemode,
                amount: delta,
                currency: &ledger.currency,
                reason,
                stripe_event_id: &event.id,
            };
            let id = adjustments::insert(conn, &new, cx.now).await?;
            ("commission.adjusted", json!({ "adjustment_id": id, "amount": delta, "net_amount": target }))
        }
        // Denied: nothing is owed, nothing to take back or restore.
        _ => return Ok(Step::Done(format!("applied: the commission is {}", ledger.commission_status))),
    };
    let mut detail = json!({
        "reason": reason,
        "conversion_id": ledger.conversion_id,
        "amount_refunded": ledger.amount_refunded,
        "dispute_status": ledger.dispute_status,
        "currency": ledger.currency,
    });
    if let (Some(d), Some(c)) = (detail.as_object_mut(), change.as_object()) {
        d.extend(c.clone());
    }
    let actor = Actor::Stripe(event.id.clone());
    let entry =
        Entry { merchant_id: cx.merchant_id, object_type: "commission", object_id: &ledger.commission_id, action, actor: &actor, detail };
    audit::record(conn, &entry, cx.now).await?;
    Ok(Step::Done(format!("applied: {action}")))
}
