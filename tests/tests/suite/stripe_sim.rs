//! The Stripe simulator speaks Stripe: async-stripe, pointed at it, parses every object and
//! list it serves, pages through lists, and gets Stripe's error objects; webhooks arrive signed
//! so that the origin's (separate) verifier accepts them, and are retried until acknowledged.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payref_stripe_sim::Simulator;
use payref_stripe_sim::objects::Amounts;
use payref_stripe_sim::scenario::{Purchase, Subscribe};
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use serde_json::json;
use stripe::{Client, ClientBuilder, StripeError};
use stripe_billing::invoice::{ListInvoice, RetrieveInvoice};
use stripe_billing::invoice_payment::{ListInvoicePayment, ListInvoicePaymentPayment, ListInvoicePaymentPaymentType};
use stripe_checkout::checkout_session::{ListCheckoutSession, ListLineItemsCheckoutSession, RetrieveCheckoutSession};
use stripe_core::charge::{ListCharge, RetrieveCharge};
use stripe_core::customer::{CreateCustomer, ListCustomer, RetrieveCustomer, RetrieveCustomerReturned, SearchCustomer, UpdateCustomer};
use stripe_core::customer_balance_transaction::{CreateCustomerCustomerBalanceTransaction, ListCustomerCustomerBalanceTransaction};
use stripe_core::dispute::RetrieveDispute;
use stripe_core::event::{ListEvent, RetrieveEvent};
use stripe_core::refund::{CreateRefund, ListRefund, RetrieveRefund};
use stripe_product::coupon::{ListCoupon, RetrieveCoupon};
use stripe_product::promotion_code::{ListPromotionCode, RetrievePromotionCode};
use stripe_types::{Expandable, RangeBoundsTs, RangeQueryTs};

fn client(sim: &Simulator, key: &str) -> Client {
    ClientBuilder::new(key).url(sim.base_url.clone()).build().expect("a client")
}

fn purchase(reference: &str, total: i64) -> Purchase {
    Purchase::new(Some(reference), "buyer@example.com", total, total / 10, "usd")
}

#[tokio::test]
async fn async_stripe_parses_every_object_and_list_the_simulator_serves() {
    let sim = Simulator::start().await.unwrap();
    let stripe = client(&sim, "sk_test_simulator");
    let before = sim.now();

    // Objects of every kind, through the scenarios.
    let coupon = sim.create_coupon(false, Some(10.0), None);
    let promo = sim.create_promotion_code(false, "ALICE10", &coupon, json!({ "payref_affiliate": "alice" })).unwrap();
    let mut with_code = purchase("demo.v1.c1", 9_000);
    with_code.promotion_code = Some(promo.clone());
    with_code.amounts.discount = 1_000;
    let paid = sim.pay_payment_link(&with_code).unwrap();
    let second = sim.pay_payment_link(&purchase("demo", 5_000)).unwrap();
    let third = sim.pay_payment_link(&purchase("demo", 7_000)).unwrap();
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "sub@example.com", 2_400, 400, "eur")).unwrap();
    sim.advance(Duration::from_secs(31 * 86_400));
    let renewal = sim.renew(false, &sub.subscription, 2_400, 400).unwrap();
    let refund = sim.refund(false, &paid.charge, Some(3_000)).unwrap();
    let dispute = sim.dispute(false, &second.charge).unwrap();
    sim.close_dispute(false, &dispute, false).unwrap();

    // Checkout Sessions: list with a created filter, paged by starting_after; retrieve with
    // expand[] customer and line_items; line items.
    let created = RangeQueryTs::Bounds(RangeBoundsTs { gte: Some(before), gt: None, lt: None, lte: None });
    let page = ListCheckoutSession::new().created(created.clone()).limit(2).send(&stripe).await.unwrap();
    assert_eq!(page.data.len(), 2);
    assert!(page.has_more);
    let last = page.data.last().unwrap().id.to_string();
    let rest = ListCheckoutSession::new().created(created).limit(10).starting_after(last).send(&stripe).await.unwrap();
    assert_eq!(page.data.len() + rest.data.len(), 4, "three payments and one subscription");
    assert!(!rest.has_more);
    let newest_first: Vec<String> = page.data.iter().chain(&rest.data).map(|s| s.id.to_string()).collect();
    assert_eq!(newest_first, [sub.session.clone(), third.session.clone(), second.session.clone(), paid.session.clone()]);
    let session = RetrieveCheckoutSession::new(paid.session.as_str())
        .expand(vec!["customer".to_string(), "line_items".to_string()])
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(session.client_reference_id.as_deref(), Some("demo.v1.c1"));
    assert_eq!(session.amount_total, Some(9_000));
    assert!(matches!(&session.customer, Some(Expandable::Object(c)) if c.id.as_str() == paid.customer));
    assert_eq!(session.line_items.as_ref().map(|l| l.data.len()), Some(1));
    let discounts = session.discounts.as_ref().unwrap();
    assert_eq!(discounts[0].promotion_code.as_ref().map(|p| p.id().to_string()), Some(promo.clone()));
    let items = ListLineItemsCheckoutSession::new(paid.session.as_str()).send(&stripe).await.unwrap();
    assert_eq!(items.data[0].amount_total, 9_000 - 0, "no shipping in the session");

    // Customers: create with metadata, retrieve, update metadata, list by email, search.
    let mut metadata = HashMap::new();
    metadata.insert("payref_ref".to_string(), "demo".to_string());
    let created_customer = CreateCustomer::new().email("trial@example.com").metadata(metadata).send(&stripe).await.unwrap();
    assert_eq!(created_customer.metadata.as_ref().and_then(|m| m.get("payref_ref")).map(String::as_str), Some("demo"));
    let mut update = HashMap::new();
    update.insert("payref_click".to_string(), "c123".to_string());
    let updated = UpdateCustomer::new(created_customer.id.clone()).metadata(update).send(&stripe).await.unwrap();
    let kept = updated.metadata.unwrap();
    assert_eq!((kept.get("payref_ref").map(String::as_str), kept.get("payref_click").map(String::as_str)), (Some("demo"), Some("c123")));
    match RetrieveCustomer::new(created_customer.id.clone()).send(&stripe).await.unwrap() {
        RetrieveCustomerReturned::Customer(c) => assert_eq!(c.email.as_deref(), Some("trial@example.com")),
        other => panic!("expected a customer, got {other:?}"),
    }
    let listed = ListCustomer::new().email("sub@example.com").send(&stripe).await.unwrap();
    assert_eq!(listed.data.len(), 1);
    let found = SearchCustomer::new("email:'trial@example.com'").send(&stripe).await.unwrap();
    assert_eq!(found.data.len(), 1);
    assert_eq!(found.data[0].id, created_customer.id);
    let all = ListCustomer::new().limit(100).send(&stripe).await.unwrap();
    assert_eq!(all.data.len(), 5);

    // Customer balance transactions.
    CreateCustomerCustomerBalanceTransaction::new(created_customer.id.clone(), -500, stripe_types::Currency::USD)
        .send(&stripe)
        .await
        .unwrap();
    let txns = ListCustomerCustomerBalanceTransaction::new(created_customer.id.clone()).send(&stripe).await.unwrap();
    assert_eq!((txns.data.len(), txns.data[0].amount, txns.data[0].ending_balance), (1, -500, -500));

    // Invoices and the invoice payments that tie a charge back to its invoice.
    let invoices = ListInvoice::new().customer(sub.customer.as_str()).send(&stripe).await.unwrap();
    assert_eq!(invoices.data.len(), 2);
    let invoice = RetrieveInvoice::new(renewal.invoice.as_str()).expand(vec!["payments".to_string()]).send(&stripe).await.unwrap();
    assert_eq!((invoice.amount_paid, invoice.total_taxes.as_ref().map(|t| t[0].amount)), (2_400, Some(400)));
    assert_eq!(invoice.payments.as_ref().map(|p| p.data.len()), Some(1), "payments included when asked for");
    let mut by_intent = ListInvoicePaymentPayment::new(ListInvoicePaymentPaymentType::PaymentIntent);
    by_intent.payment_intent = renewal.payment_intent.clone();
    let payments = ListInvoicePayment::new().payment(by_intent).send(&stripe).await.unwrap();
    assert_eq!(payments.data.len(), 1);
    assert_eq!(payments.data[0].invoice.id().as_ref().map(|i| i.as_str()), Some(renewal.invoice.as_str()));

    // Charges, refunds (create, list, retrieve), disputes.
    let charge = RetrieveCharge::new(paid.charge.as_str()).send(&stripe).await.unwrap();
    assert_eq!((charge.amount, charge.amount_refunded, charge.refunded), (9_000, 3_000, false));
    assert_eq!(ListCharge::new().limit(100).send(&stripe).await.unwrap().data.len(), 5);
    let more = CreateRefund::new().charge(third.charge.as_str()).amount(7_000).send(&stripe).await.unwrap();
    assert_eq!(more.amount, 7_000);
    let refunds = ListRefund::new().charge(paid.charge.as_str()).send(&stripe).await.unwrap();
    assert_eq!(refunds.data.len(), 1);
    assert_eq!(RetrieveRefund::new(refund.as_str()).send(&stripe).await.unwrap().amount, 3_000);
    let disputed = RetrieveDispute::new(dispute.as_str()).send(&stripe).await.unwrap();
    assert_eq!(disputed.status.as_str(), "lost");

    // Coupons and promotion codes.
    assert_eq!(ListCoupon::new().send(&stripe).await.unwrap().data.len(), 1);
    assert_eq!(RetrieveCoupon::new(coupon.as_str()).send(&stripe).await.unwrap().percent_off, Some(10.0));
    let code = RetrievePromotionCode::new(promo.as_str()).send(&stripe).await.unwrap();
    assert_eq!((code.code.as_str(), code.times_redeemed), ("ALICE10", 1));
    assert_eq!(ListPromotionCode::new().code("ALICE10").send(&stripe).await.unwrap().data.len(), 1);

    // Events: every one parses, listed newest first, filterable by type, retrievable.
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut req = ListEvent::new().limit(7);
        if let Some(a) = &after {
            req = req.starting_after(a.clone());
        }
        let page = req.send(&stripe).await.unwrap();
        after = page.data.last().map(|e| e.id.to_string());
        events.extend(page.data);
        if !page.has_more {
            break;
        }
    }
    let types: Vec<String> = events.iter().map(|e| e.type_.to_string()).collect();
    for wanted in [
        "checkout.session.completed",
        "invoice.paid",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
        "customer.created",
        "customer.updated",
        "customer.subscription.created",
        "customer.subscription.updated",
        "promotion_code.created",
        "refund.created",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} missing from {types:?}");
    }
    assert!(events.windows(2).all(|w| w[0].created >= w[1].created), "newest first");
    let disputes = ListEvent::new().type_("charge.dispute.*").send(&stripe).await.unwrap();
    assert_eq!(disputes.data.len(), 2);
    let one = RetrieveEvent::new(events[0].id.clone()).send(&stripe).await.unwrap();
    assert_eq!(one.id, events[0].id);
}

#[tokio::test]
async fn errors_come_back_as_stripes_error_objects() {
    let sim = Simulator::start().await.unwrap();
    let stripe = client(&sim, "sk_test_simulator");
    match RetrieveCharge::new("ch_missing").send(&stripe).await {
        Err(StripeError::Stripe(e, 404)) => {
            assert_eq!(e.code.as_ref().map(|c| c.as_str()), Some("resource_missing"));
            assert!(e.message.as_deref().unwrap_or_default().contains("ch_missing"));
        }
        other => panic!("expected resource_missing, got {other:?}"),
    }
    match RetrieveCharge::new("ch_x").send(&client(&sim, "pk_test_publishable")).await {
        Err(StripeError::Stripe(_, 401)) => {}
        other => panic!("expected 401, got {other:?}"),
    }
    match ListCharge::new().limit(1000).send(&stripe).await {
        Err(StripeError::Stripe(e, 400)) => assert_eq!(e.param.as_deref(), Some("limit")),
        other => panic!("expected a 400 on limit, got {other:?}"),
    }
    match ListCharge::new().starting_after("ch_gone").send(&stripe).await {
        Err(StripeError::Stripe(_, 404)) => {}
        other => panic!("expected a 404 for an unknown cursor, got {other:?}"),
    }
    let paid = sim.pay_payment_link(&purchase("demo", 1_000)).unwrap();
    match CreateRefund::new().charge(paid.charge.as_str()).amount(2_000).send(&stripe).await {
        Err(StripeError::Stripe(e, 400)) => assert_eq!(e.code.as_ref().map(|c| c.as_str()), Some("charge_already_refunded")),
        other => panic!("expected an over-refund to be refused, got {other:?}"),
    }
    // A live key sees none of test mode's objects.
    match RetrieveCharge::new(paid.charge.as_str()).send(&client(&sim, "sk_live_simulator")).await {
        Err(StripeError::Stripe(_, 404)) => {}
        other => panic!("a live key saw a test-mode charge: {other:?}"),
    }
}

/// An endpoint that refuses the first `fail` deliveries with 500, then accepts, checking every
/// signature with the origin's verifier.
async fn receiver(fail: usize, secret: &'static str) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>) {
    use poem::web::Data;
    use poem::{EndpointExt, Request, Route, handler, post};
    #[handler]
    async fn hook(
        req: &Request,
        body: String,
        Data(state): Data<&(Arc<AtomicUsize>, usize, &'static str, Arc<std::sync::Mutex<Vec<String>>>)>,
    ) -> poem::http::StatusCode {
        let (seen, fail, secret, ids) = state;
        let header = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if payref_origin::stripe::signature::verify(header, body.as_bytes(), secret, payref_tests::stripe::now_secs()).is_err() {
            return poem::http::StatusCode::BAD_REQUEST;
        }
        if seen.fetch_add(1, Ordering::SeqCst) < *fail {
            return poem::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        ids.lock().unwrap().push(event["id"].as_str().unwrap_or_default().to_string());
        poem::http::StatusCode::OK
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = Route::new().at("/hook", post(hook)).data((seen.clone(), fail, secret, ids.clone()));
    let acceptor = poem::listener::TcpAcceptor::from_std(listener.into_std().unwrap()).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (format!("http://{addr}/hook"), seen, ids)
}

#[tokio::test]
async fn webhooks_are_signed_retried_duplicated_reordered_and_dropped_on_demand() {
    let sim = Simulator::start().await.unwrap();
    sim.set_delivery(DeliveryMode { retry_base: Duration::from_millis(20), ..DeliveryMode::default() });
    // Signed with two secrets while one is rolled; the endpoint knows only the new one.
    let (url, seen, ids) = receiver(2, "whsec_new").await;
    sim.add_endpoint(&url, &["whsec_old", "whsec_new"], false);
    let created = sim.create_customer(false, Some("a@example.com"), json!({}));
    sim.wait_delivered(Duration::from_secs(20)).await.unwrap();
    let attempts = sim.attempts();
    let statuses: Vec<Option<u16>> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)], "retried with backoff until acknowledged");
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    assert_eq!(ids.lock().unwrap().len(), 1);

    // Live-mode events go to live endpoints only.
    sim.create_customer(true, Some("live@example.com"), json!({}));
    sim.wait_delivered(Duration::from_secs(20)).await.unwrap();
    assert_eq!(ids.lock().unwrap().len(), 1);

    // Duplicates, then held and released in reverse.
    sim.set_delivery(DeliveryMode { copies: 3, hold: true, ..DeliveryMode::default() });
    sim.update_customer_metadata(false, created["id"].as_str().unwrap(), &json!({ "k": "1" })).unwrap();
    sim.update_customer_metadata(false, created["id"].as_str().unwrap(), &json!({ "k": "2" })).unwrap();
    sim.wait_delivered(Duration::from_secs(20)).await.unwrap();
    assert_eq!(ids.lock().unwrap().len(), 1, "held, not delivered");
    sim.release(Release::Reversed);
    sim.wait_delivered(Duration::from_secs(20)).await.unwrap();
    let got = ids.lock().unwrap().clone();
    assert_eq!(got.len(), 7);
    assert_eq!(got[1], got[2]);
    assert_eq!(got[1], got[3]);
    assert_ne!(got[1], got[4]);
    let stripe = client(&sim, "sk_test_simulator");
    let newest = ListEvent::new().limit(1).type_("customer.updated").send(&stripe).await.unwrap();
    assert_eq!(got[1], newest.data[0].id.as_str(), "the newer update came first");

    // Dropped: stored as an event (for the reconciler), never delivered.
    sim.set_delivery(DeliveryMode { drop: true, ..DeliveryMode::default() });
    sim.create_customer(false, Some("b@example.com"), json!({}));
    sim.wait_delivered(Duration::from_secs(20)).await.unwrap();
    assert_eq!(ids.lock().unwrap().len(), 7);
    assert_eq!(sim.dropped().len(), 1);
    let listed = ListEvent::new().limit(1).send(&stripe).await.unwrap();
    assert_eq!(listed.data[0].id.as_str(), sim.dropped()[0]);
}

#[tokio::test]
async fn long_lists_page_through_every_object_once() {
    let sim = Simulator::start().await.unwrap();
    let stripe = client(&sim, "sk_test_simulator");
    sim.set_delivery(DeliveryMode { drop: true, ..DeliveryMode::default() });
    for i in 0..250 {
        sim.pay_payment_link(&Purchase {
            amounts: Amounts { total: 100 + i, tax: 0, shipping: 0, discount: 0, currency: "usd".into() },
            ..purchase("demo", 100)
        })
        .unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = ListCheckoutSession::new().limit(100);
        if let Some(a) = &after {
            req = req.starting_after(a.clone());
        }
        let page = req.send(&stripe).await.unwrap();
        pages += 1;
        after = page.data.last().map(|s| s.id.to_string());
        for s in &page.data {
            assert!(seen.insert(s.id.to_string()), "a session listed twice");
        }
        if !page.has_more {
            break;
        }
    }
    assert_eq!((seen.len(), pages), (250, 3));
}
