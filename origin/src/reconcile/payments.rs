//! Payments: a paid Checkout Session (one-time: a conversion; subscription: binds the
//! customer) and a paid invoice (renewals and subscription starts), each attributed once.

use sqlx::AnyConnection;

use super::attribution::{self, Outcome, Payment, read};
use super::reconciler;
use super::step::{Context, Missing, Step, Stop};
use crate::domain::attribution::Facts;
use crate::domain::commission::commissionable;

use crate::storage::payment_markers::{PAYMENT_UNATTRIBUTED, SUBSCRIPTION_SESSION_SEEN};
use crate::storage::{StorageError, discounts, stripe_connections};
use crate::stripe::event::{CheckoutSession, Event, Invoice};

/// How long a subscription's invoice waits for its Checkout Session (which binds the customer)
/// before it is judged unattributed: Stripe sends the first invoice and the session at once,
/// in either order, and a backlog may come in any order.
const SESSION_WAIT_MS: i64 = 3_600_000;

/// How long a payment waits for a customer or promotion code payref has not seen to be fetched.
const OBJECT_WAIT_MS: i64 = 3_600_000;

/// How long a payment waits for the click its `client_reference_id` names (the edge's queue
/// delivers within seconds; its retries within a minute or two).
const CLICK_WAIT_MS: i64 = 120_000;

/// `checkout.session.completed` and `checkout.session.async_payment_succeeded`.
pub async fn session_paid(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, session: &CheckoutSession) -> Result<Step, Stop> {
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
    let facts = read::facts(conn, cx.merchant_id, cx.lead_secret, &payment, cx.now).await?;
    unseen(conn, cx, event, &facts).await?;
    if let Some(click) = click_on_its_way(cx, event, &facts) {
        return Ok(Step::RetryLater(format!("click {click} named by client_reference_id has not reached payref yet")));
    }
    if let (true, Some(sub)) = (subscription, session.subscription.as_deref()) {
        SUBSCRIPTION_SESSION_SEEN.set(conn, (cx.merchant_id, session.livemode), sub, &session.id, cx.now).await?;
    }
    let outcome = attribution::attribute(conn, cx.merchant_id, &facts).await?;
    unattributed(conn, cx, &payment, &outcome).await?;
    Ok(Step::Done(outcome.label()))
}

/// The click a fresh payment's `client_reference_id` names when payref has not stored it yet:
/// it travels through the edge's queue and a quick buyer's payment can overtake it, and the
/// click decides the cookie window, the click model and the review flags. An ad blocker may
/// have stopped it for good: after a while the payment goes on without it.
fn click_on_its_way<'a>(cx: Context<'_>, event: &Event, facts: &'a Facts<'_>) -> Option<&'a str> {
    let found = facts.links.reference.as_ref().filter(|l| l.click.is_none())?;
    let click = found.named_click.as_deref()?;
    (cx.now - event.created.saturating_mul(1000) < CLICK_WAIT_MS).then_some(click)
}

/// Remembers a payment no affiliate brought, so its refunds and disputes settle at once.
async fn unattributed(conn: &mut AnyConnection, cx: Context<'_>, p: &Payment<'_>, outcome: &Outcome) -> Result<(), StorageError> {
    if let (Outcome::NotAttributed(_), Some(pi), true) = (outcome, p.payment_intent_id, p.earns) {
        PAYMENT_UNATTRIBUTED.set(conn, (cx.merchant_id, p.livemode), pi, p.stripe_object_id, cx.now).await?;
    }
    Ok(())
}

/// The customer's metadata and a promotion code's mapping are links of the chain that Stripe
/// reports in events of their own, which may come late or not at all. When the payment could
/// depend on one payref has never seen (and its `client_reference_id` names no affiliate), and
/// a key is connected, fetch it first (the step to take is the `Err`).
async fn unseen(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, facts: &Facts<'_>) -> Result<(), Stop> {
    let p = facts.payment;
    // After a while (Stripe unreachable all along) the payment goes on without them.
    if cx.now - event.created.saturating_mul(1000) >= OBJECT_WAIT_MS {
        return Ok(());
    }
    let customer = p.customer_id.filter(|_| facts.metadata.is_none());
    let mut promotion_code = None;
    for id in p.discounts.iter().filter(|d| d.starts_with("promo_")) {
        if !discounts::seen(conn, cx.merchant_id, p.livemode, id).await? {
            promotion_code = Some(*id);
            break;
        }
    }
    if (customer.is_none() && promotion_code.is_none())
        || facts.links.reference.is_some()
        || !stripe_connections::has_api_key(conn, cx.merchant_id, p.livemode).await?
    {
        return Ok(());
    }
    let livemode = p.livemode;
    Err(Stop::Step(match (customer, promotion_code) {
        (Some(c), _) => Step::Fetch(format!("customer {c} not seen yet"), Missing::Customer { livemode, customer: c.to_owned() }),
        (None, Some(promo)) => Step::Fetch(
            format!("promotion code {promo} not seen yet"),
            Missing::PromotionCode { livemode, promotion_code: promo.to_owned() },
        ),
        (None, None) => return Ok(()),
    }))
}

/// A session's promotion codes, then its coupons.
fn discounts_of(session: &CheckoutSession) -> Vec<&str> {
    let all = session.discounts.as_deref().unwrap_or_default();
    let promos = all.iter().filter_map(|d| d.promotion_code.as_deref());
    promos.chain(all.iter().filter_map(|d| d.coupon.as_deref())).collect()
}

/// `invoice.paid`: a subscription's payments, attributed through the customer.
pub async fn invoice_paid(conn: &mut AnyConnection, cx: Context<'_>, event: &Event, invoice: &Invoice) -> Result<Step, Stop> {
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
    let facts = read::facts(conn, cx.merchant_id, cx.lead_secret, &payment, cx.now).await?;
    unseen(conn, cx, event, &facts).await?;
    let outcome = attribution::attribute(conn, cx.merchant_id, &facts).await?;
    if !matches!(outcome, Outcome::NotAttributed(_)) || cx.now - invoice.created.saturating_mul(1000) >= SESSION_WAIT_MS {
        unattributed(conn, cx, &payment, &outcome).await?;
        return Ok(Step::Done(outcome.label()));
    }
    // Not attributed, but the Checkout Session that started the subscription (and would bind
    // its customer) may still be on its way: fetch it when a key is connected; a first invoice
    // without one waits for it.
    let first_invoice = invoice.billing_reason.as_deref() == Some("subscription_create");
    let why = "a subscription's invoice waits for its checkout session";
    match invoice.subscription() {
        Some(sub) if !SUBSCRIPTION_SESSION_SEEN.is_set(conn, (cx.merchant_id, invoice.livemode), sub).await? => {
            if stripe_connections::has_api_key(conn, cx.merchant_id, invoice.livemode).await? {
                Ok(Step::Fetch(why.into(), Missing::SessionOfSubscription { livemode: invoice.livemode, subscription: sub.to_owned() }))
            } else if first_invoice {
                Ok(Step::RetryLater(why.into()))
            } else {
                unattributed(conn, cx, &payment, &outcome).await?;
                Ok(Step::Done(outcome.label()))
            }
        }
        None if first_invoice => Ok(Step::RetryLater(why.into())),
        _ => {
            unattributed(conn, cx, &payment, &outcome).await?;
            Ok(Step::Done(outcome.label()))
        }
    }
}
