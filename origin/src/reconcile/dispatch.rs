//! Applies one Stripe event by its type: the one place the handled types of
//! `stripe/event_types.rs` meet their handlers.

use sqlx::AnyConnection;

use super::step::{Context, Step, Stop, object};
use super::{customers, ledger, payments};
use crate::storage::StorageError;
use crate::stripe::event::{CheckoutSession, Event};
use crate::stripe::event_types::{Handled, handled};

/// Applies one event inside `conn`'s transaction, by what [`handled`] says its type is (the
/// match is exhaustive over [`Handled`], so a type added to the table must be handled here).
pub async fn dispatch(conn: &mut AnyConnection, cx: Context<'_>, event: &Event) -> Result<Step, StorageError> {
    let Some(kind) = handled(&event.event_type) else {
        return Ok(Step::Done(format!("ignored: payref does not use {}", event.event_type)));
    };
    match apply(conn, cx, event, kind).await {
        Ok(step) | Err(Stop::Step(step)) => Ok(step),
        Err(Stop::Storage(e)) => Err(e),
    }
}

async fn apply(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, kind: Handled) -> Result<Step, Stop> {
    Ok(match kind {
        Handled::SessionPaid => payments::session_paid(conn, cx, event, &object(event, "checkout session")?).await?,
        Handled::SessionPaymentFailed => {
            // Nothing was paid (the session completed unpaid), so nothing was recorded.
            object::<CheckoutSession>(event, "checkout session")?;
            Step::Done("not_attributed: the asynchronous payment failed".into())
        }
        Handled::InvoicePaid => payments::invoice_paid(conn, cx, event, &object(event, "invoice")?).await?,
        Handled::ChargeRefunded => ledger::charge_refunded(conn, cx, event, &object(event, "charge")?).await?,
        Handled::RefundFailed => ledger::refund_failed(conn, cx, event, &object(event, "refund")?).await?,
        Handled::Dispute => ledger::dispute(conn, cx, event, &object(event, "dispute")?).await?,
        Handled::Customer => customers::customer_changed(conn, cx, event, &object(event, "customer")?).await?,
        Handled::Subscription => customers::subscription_changed(conn, cx, event, &object(event, "subscription")?).await?,
        Handled::PromotionCode => customers::promotion_code_changed(conn, cx, event, &object(event, "promotion code")?).await?,
    })
}
