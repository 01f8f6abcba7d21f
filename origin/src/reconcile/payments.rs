//! Payments: a paid Checkout Session (one-time: a conversion; subscription: binds the
//! customer) and a paid invoice (renewals and subscription starts), each attributed once.

use sqlx::AnyConnection;

use super::attribution::{self, Outcome, Payment};
use super::events::{Missing, Step};
use super::reconciler;
use crate::domain::commission::commissionable;
use crate::storage::{StorageError, stripe_connections, stripe_customers};
use crate::stripe::event::{CheckoutSession, Event, Invoice};

/// How long a subscription's first invoice waits for its Checkout Session (which binds the
/// customer) before it is judged unattributed: Stripe sends both at once, in either order.
const FIRST_INVOICE_WAIT_MS: i64 = 3_600_000;

/// How long a payment waits for a customer payref has not seen to be fetched.
const CUSTOMER_WAIT_MS: i64 = 3_600_000;

/// What the handlers share.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The merchant whose event it is.
    pub merchant_id: &'a str,
    /// The key lead email hashes are stored under.
    pub lead_secret: &'a [u8],
    /// Now, UTC epoch ms.
    pub now: i64,
}

/// `checkout.session.completed` and `checkout.session.async_payment_succeeded`.
pub async fn session_paid(
    conn: &mut AnyConnection,
    cx: Context<'_>,
    event: &Event,
    session: &CheckoutSession,
) -> Result<Step, StorageError> {
    if session.payment_status == "unpaid" {
        // Delayed payment methods: the money has not arrived; async_payment_succeeded follows.
        return Ok(Step::Done("not_attributed: payment not completed".into()));
    }
    let subscription = session.mode.as_deref() == Some("subscription");
    let (total, currency) = match (session.amount_total, session.currency.as_deref()) {
        (Some(t), Some(c)) => (t, c.to_ascii_lowercase()),
        _ if subscription => (0, String::new()),
        _ => return Ok(Step::Done("not_attributed: session has no amount".into())),
    };
    let (tax, shipping) = session.tax_and_shipping();
    let payment = Payment {
        event_id: &event.id,
        stripe_object_id: &session.id,
        livemode: session.livemode,
        paid_at: if session.created > 0 { session.created.saturating_mul(1000) } else { cx.now },
        // A webhook is sent when the buyer completes; a reconciled session says only when it began.
        completed_at: (event.created > 0 && !reconciler::is_synthetic(&event.id)).then(|| event.created.saturating_mul(1000)),
        customer_id: session.customer.as_deref(),
        email: session.customer_details.as_ref().and_then(|d| d.email.as_deref()),
        client_reference_id: session.client_reference_id.as_deref(),
        payment_intent_id: session.payment_intent.as_deref(),
        discounts: discounts_of(session),
        amount_paid: total,
        commissionable: commissionable(total, tax, shipping),
        currency: &currency,
        earns: !subscription,
    };
    if let Some(step) = customer_unseen(conn, cx, event, &payment).await? {
        return Ok(step);
    }
    let outcome = attribution::attribute(conn, cx.merchant_id, cx.lead_secret, &payment, cx.now).await?;
    Ok(Step::Done(outcome.label()))
}

/// When the payment's customer may carry the affiliate in its metadata but payref has never
/// seen the customer (its `customer.created` is late or was not sent), and a key is connected:
/// fetch the customer first. Not needed when the `client_reference_id` already names one.
async fn customer_unseen(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, p: &Payment<'_>) -> Result<Option<Step>, StorageError> {
    // After a while (Stripe unreachable all along) the payment goes on without the metadata.
    let (Some(customer), true) = (p.customer_id, cx.now - event.created.saturating_mul(1000) < CUSTOMER_WAIT_MS) else {
        return Ok(None);
    };
    if stripe_customers::metadata(conn, cx.merchant_id, p.livemode, customer).await?.is_some()
        || attribution::names_an_affiliate(conn, cx.merchant_id, p).await?
        || !stripe_connections::has_api_key(conn, cx.merchant_id, p.livemode).await?
    {
        return Ok(None);
    }
    let why = format!("customer {customer} not seen yet");
    Ok(Some(Step::Fetch(why, Missing::Customer { livemode: p.livemode, customer: customer.to_owned() })))
}

/// A session's promotion codes, then its coupons.
fn discounts_of(session: &CheckoutSession) -> Vec<&str> {
    let all = session.discounts.as_deref().unwrap_or_default();
    let promos = all.iter().filter_map(|d| d.promotion_code.as_deref());
    promos.chain(all.iter().filter_map(|d| d.coupon.as_deref())).collect()
}

/// `invoice.paid`: a subscription's payments, attributed through the customer.
pub async fn invoice_paid(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, invoice: &Invoice) -> Result<Step, StorageError> {
    let currency = invoice.currency.to_ascii_lowercase();
    let payment = Payment {
        event_id: &event.id,
        stripe_object_id: &invoice.id,
        livemode: invoice.livemode,
        paid_at: invoice.paid_at_ms(),
        completed_at: Some(invoice.paid_at_ms()),
        customer_id: invoice.customer.as_deref(),
        email: invoice.customer_email.as_deref(),
        client_reference_id: None,
        payment_intent_id: invoice.payment_intent(),
        discounts: Vec::new(),
        amount_paid: invoice.amount_paid,
        commissionable: commissionable(invoice.amount_paid, invoice.tax(), 0),
        currency: &currency,
        earns: true,
    };
    if let Some(step) = customer_unseen(conn, cx, event, &payment).await? {
        return Ok(step);
    }
    let outcome = attribution::attribute(conn, cx.merchant_id, cx.lead_secret, &payment, cx.now).await?;
    let first_invoice = invoice.billing_reason.as_deref() == Some("subscription_create");
    if matches!(outcome, Outcome::NotAttributed(_))
        && first_invoice
        && cx.now - invoice.created.saturating_mul(1000) < FIRST_INVOICE_WAIT_MS
    {
        let why = "a subscription's first invoice waits for its checkout session";
        return Ok(match invoice.subscription() {
            Some(sub) => {
                Step::Fetch(why.into(), Missing::SessionOfSubscription { livemode: invoice.livemode, subscription: sub.to_owned() })
            }
            None => Step::RetryLater(why.into()),
        });
    }
    Ok(Step::Done(outcome.label()))
}
