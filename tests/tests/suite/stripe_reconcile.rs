//! The origin against the Stripe simulator: webhooks as Stripe delivers them; objects payref
//! has not seen fetched through Stripe's API instead of waited for (a refund before its
//! payment, a renewal's refund tied to its invoice through invoice payments); and the
//! reconciler catching webhooks that never arrived, after which their late delivery changes
//! nothing.

use std::time::Duration;

use payref_origin::storage::stripe_connections;
use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::{Purchase, Subscribe};
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use payref_tests::origin::{Backend, TestOrigin};
use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::api::{Api, WEBHOOK_SECRET, refused};
use crate::on_both_backends;

/// An origin with the demo merchant connected (test mode) to a simulator delivering its webhooks.
pub async fn connected(backend: Backend) -> (Api, Simulator) {
    let sim = Simulator::start().await.expect("starting the Stripe simulator");
    let origin = TestOrigin::builder(backend).webhook_secret(WEBHOOK_SECRET).stripe(&sim.base_url).start().await;
    stripe_connections::set_api_key(&origin.db.pool, &origin.keyring, &origin.seed.merchant_id, false, "sk_test_payref_sim")
        .await
        .expect("storing the test key");
    sim.add_endpoint(&format!("{}/v1/stripe/webhooks/{}/test", origin.url, origin.seed.merchant_id), &[WEBHOOK_SECRET], false);
    (Api { origin, client: Client::new() }, sim)
}

impl Api {
    pub async fn settle_with(&self, sim: &Simulator) {
        sim.wait_delivered(Duration::from_secs(30)).await.expect("webhooks delivered");
        self.origin.settled().await;
    }

    async fn find_conversion(&self, object: &str) -> Option<Value> {
        self.list("/v1/conversions?limit=100").await.into_iter().find(|c| c["stripe_object_id"] == object)
    }

    /// Conversions and commissions, as comparable tuples.
    async fn ledger(&self) -> Vec<(String, String, i64, i64, String, i64)> {
        let commissions = self.list("/v1/commissions?limit=100").await;
        let mut rows: Vec<_> = self
            .list("/v1/conversions?limit=100")
            .await
            .iter()
            .map(|c| {
                let com = commissions.iter().find(|m| m["conversion_id"] == c["id"]).expect("a commission per conversion");
                (
                    c["stripe_object_id"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                    c["amount_paid"].as_i64().unwrap(),
                    c["amount_refunded"].as_i64().unwrap(),
                    com["status"].as_str().unwrap().to_owned(),
                    com["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        rows.sort();
        rows
    }
}

fn buy(reference: &str, total: i64) -> Purchase {
    Purchase::new(Some(reference), "buyer@example.com", total, 0, "usd")
}

async fn payments_through_the_simulator_are_attributed(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let paid = sim.pay_payment_link(&buy("demo", 10_000)).unwrap();
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "sub@example.com", 5_000, 0, "usd")).unwrap();
    api.settle_with(&sim).await;
    let one_time = api.find_conversion(&paid.session).await.expect("the one-time payment converted");
    assert_eq!((one_time["amount_paid"].as_i64(), one_time["attribution_method"].as_str()), (Some(10_000), Some("client_reference_id")));
    let first = api.find_conversion(&sub.invoice).await.expect("the first invoice converted through the binding");
    assert_eq!(first["attribution_method"].as_str(), Some("customer_binding"));
    assert!(api.find_conversion(&sub.session).await.is_none(), "a subscription checkout binds; its invoices earn");
    // A renewal a month later follows the customer.
    sim.advance(Duration::from_secs(31 * 86_400));
    let renewal = sim.renew(false, &sub.subscription, 5_000, 0).unwrap();
    api.settle_with(&sim).await;
    assert!(api.find_conversion(&renewal.invoice).await.is_some(), "the renewal converted");
}
on_both_backends!(payments_through_the_simulator_are_attributed);

/// The demo's checkout page: what the buyer sees (the reference the link carries, escaped, or
/// dropped when Stripe would drop it), and paying there reaches payref as a webhook.
async fn the_simulators_checkout_page_pays_a_payment_link(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let http = reqwest::Client::new();
    let page = |query: &str| {
        let (http, url) = (http.clone(), format!("{}b/test_demo123?{query}", sim.base_url));
        async move {
            let resp = http.get(url).send().await.expect("checkout page");
            (resp.status().as_u16(), resp.text().await.expect("page text"))
        }
    };
    let (status, html) = page("client_reference_id=demo&prefilled_email=a%40example.com").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<code id="reference">demo</code>"#) && html.contains(r#"value="a@example.com""#), "{html}");
    // Markup, spaces and over-long values are not references Stripe keeps.
    for hostile in ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "a%20b", &"x".repeat(201)] {
        let (status, html) = page(&format!("client_reference_id={hostile}&prefilled_email=%22%3E%3Cb%3E")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert") && !html.contains("\"><b>") && html.contains("client_reference_id: none"), "{html}");
    }
    assert_eq!(page("").await.0, 200);
    let missing = http.get(format!("{}b/no%20such", sim.base_url)).send().await.expect("bad link");
    assert_eq!(missing.status().as_u16(), 404);
    let bad_email = http
        .post(format!("{}b/test_demo123", sim.base_url))
        .form(&[("email", "nobody"), ("client_reference_id", "demo")])
        .send()
        .await
        .expect("bad email");
    assert_eq!(bad_email.status().as_u16(), 400);

    let paid = http
        .post(format!("{}b/test_demo123", sim.base_url))
        .form(&[("email", "buyer@example.com"), ("client_reference_id", "demo")])
        .send()
        .await
        .expect("paying");
    assert_eq!(paid.status().as_u16(), 200);
    let html = paid.text().await.expect("receipt");
    let session = html.split(r#"<code id="session">"#).nth(1).and_then(|s| s.split('<').next()).expect("the session id").to_owned();
    api.settle_with(&sim).await;
    let conversion = api.find_conversion(&session).await.expect("the payment made on the page was attributed");
    assert_eq!(conversion["amount_paid"].as_i64(), Some(4_900));
    assert_eq!(conversion["attribution_method"].as_str(), Some("client_reference_id"));
}
on_both_backends!(the_simulators_checkout_page_pays_a_payment_link);

async fn a_refund_before_its_payment_fetches_the_payment(backend: Backend) {
    let (api, sim) = connected(backend).await;
    // The payment's webhooks never arrive; the refund's does.
    sim.set_delivery(DeliveryMode { drop: true, ..DeliveryMode::default() });
    let paid = sim.pay_payment_link(&buy("demo", 8_000)).unwrap();
    sim.set_delivery(DeliveryMode::default());
    sim.refund(false, &paid.charge, Some(2_000)).unwrap();
    api.settle_with(&sim).await;
    let conv = api.find_conversion(&paid.session).await.expect("the payment was fetched from Stripe and attributed");
    assert_eq!((conv["status"].as_str(), conv["amount_refunded"].as_i64()), (Some("partially_refunded"), Some(2_000)));
    let events = api.list("/v1/stripe_events?limit=100").await;
    let fetched =
        events.iter().find(|e| e["id"].as_str().is_some_and(|id| id.starts_with("reconcile_"))).expect("the fetched session's event");
    assert_eq!(fetched["status"].as_str(), Some("processed"));
}
on_both_backends!(a_refund_before_its_payment_fetches_the_payment);

async fn a_renewals_refund_reaches_its_invoice_through_invoice_payments(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "renew@example.com", 3_000, 0, "usd")).unwrap();
    sim.advance(Duration::from_secs(31 * 86_400));
    let renewal = sim.renew(false, &sub.subscription, 3_000, 0).unwrap();
    api.settle_with(&sim).await;
    // invoice.paid does not name its PaymentIntent (Stripe leaves payments out of webhooks).
    sim.refund(false, renewal.charge.as_deref().unwrap(), None).unwrap();
    api.settle_with(&sim).await;
    let conv = api.find_conversion(&renewal.invoice).await.expect("the renewal's conversion");
    assert_eq!((conv["status"].as_str(), conv["amount_refunded"].as_i64()), (Some("refunded"), Some(3_000)));
    let first = api.find_conversion(&sub.invoice).await.expect("the first invoice's conversion");
    assert_eq!(first["status"].as_str(), Some("paid"), "only the refunded invoice changed");
}
on_both_backends!(a_renewals_refund_reaches_its_invoice_through_invoice_payments);

async fn reconcile_catches_missed_webhooks_and_late_ones_change_nothing(backend: Backend) {
    let (api, sim) = connected(backend).await;
    // Every webhook is held back: nothing reaches the origin.
    sim.set_delivery(DeliveryMode { hold: true, ..DeliveryMode::default() });
    let a = sim.pay_payment_link(&buy("demo", 4_000)).unwrap();
    let b = sim.pay_payment_link(&buy("demo", 6_000)).unwrap();
    sim.refund(false, &a.charge, Some(1_000)).unwrap();
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "late@example.com", 2_000, 0, "usd")).unwrap();
    api.origin.settled().await;
    assert!(api.list("/v1/conversions").await.is_empty());

    let report = api.ok(api.key(), Method::POST, "/v1/reconcile", Some(json!({}))).await;
    assert_eq!(report["object"], "reconcile_report");
    assert!(report["events_new"].as_u64().unwrap() >= 5, "{report}");
    assert_eq!(report["sessions_new"].as_u64(), Some(3), "{report}");
    api.origin.settled().await;
    let after_reconcile = api.ledger().await;
    let objects: Vec<&str> = after_reconcile.iter().map(|r| r.0.as_str()).collect();
    for wanted in [&a.session, &b.session, &sub.invoice] {
        assert!(objects.contains(&wanted.as_str()), "{wanted} missing from {after_reconcile:?}");
    }
    let refunded = after_reconcile.iter().find(|r| r.0 == a.session).unwrap();
    assert_eq!((refunded.1.as_str(), refunded.3), ("partially_refunded", 1_000));

    // payref writes the matched affiliate onto the three customers; Stripe reports each change
    // as an event, which the next run picks up (and nothing else). Then nothing is new.
    for customer in [&a.customer, &b.customer, &sub.customer] {
        payref_tests::process::eventually(Duration::from_secs(30), "payref_ref written back", || async {
            sim.state().get(false, "customer", customer).is_some_and(|c| c["metadata"]["payref_ref"] == "demo").then_some(())
        })
        .await;
    }
    let again = api.ok(api.key(), Method::POST, "/v1/reconcile", Some(json!({}))).await;
    assert_eq!((again["events_new"].as_u64(), again["sessions_new"].as_u64()), (Some(3), Some(0)), "{again}");
    api.origin.settled().await;
    let third = api.ok(api.key(), Method::POST, "/v1/reconcile", Some(json!({}))).await;
    assert_eq!((third["events_new"].as_u64(), third["sessions_new"].as_u64()), (Some(0), Some(0)), "{third}");
    // The held webhooks arrive, duplicated and reversed: nothing changes.
    sim.set_delivery(DeliveryMode { copies: 2, ..DeliveryMode::default() });
    sim.release(Release::Reversed);
    api.settle_with(&sim).await;
    assert_eq!(api.ledger().await, after_reconcile);
}
on_both_backends!(reconcile_catches_missed_webhooks_and_late_ones_change_nothing);

#[tokio::test]
async fn reconcile_refuses_without_a_key_a_bad_since_and_a_read_only_key() {
    let api = Api::new(Backend::Sqlite).await;
    let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/reconcile", Some(json!({}))).await, 409).await;
    assert_eq!(code, "stripe_not_connected", "{message}");
    let (code, _) = refused(api.call(api.key(), Method::POST, "/v1/reconcile", Some(json!({ "since": 5 }))).await, 400).await;
    assert_eq!(code, "invalid_since");
    let (code, _) = refused(api.call(api.key(), Method::POST, "/v1/reconcile", Some(json!({ "livemode": "yes" }))).await, 400).await;
    assert_eq!(code, "invalid_request");
    let read_only = api.origin.api_key(payref_origin::domain::api_key::Scope::Read).await;
    refused(api.call(&read_only, Method::POST, "/v1/reconcile", Some(json!({}))).await, 403).await;
    // Stripe unreachable: 502 with what happened, nothing stored.
    let sim = Simulator::start().await.unwrap();
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(WEBHOOK_SECRET).stripe("http://127.0.0.1:9/").start().await;
    stripe_connections::set_api_key(&origin.db.pool, &origin.keyring, &origin.seed.merchant_id, false, "sk_test_x").await.unwrap();
    let down = Api { origin, client: Client::new() };
    let (code, _) = refused(down.call(down.key(), Method::POST, "/v1/reconcile", Some(json!({}))).await, 502).await;
    assert_eq!(code, "stripe_unavailable");
    drop(sim);
}

async fn asynchronous_payments_count_when_they_settle(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let mut debit = buy("demo", 9_000);
    debit.async_payment = true;
    let settles = sim.pay_payment_link(&debit).unwrap();
    let fails = sim.pay_payment_link(&debit).unwrap();
    api.settle_with(&sim).await;
    assert!(api.find_conversion(&settles.session).await.is_none(), "nothing is paid yet");
    sim.settle_async_payment(false, &settles.session, true).unwrap();
    sim.settle_async_payment(false, &fails.session, false).unwrap();
    api.settle_with(&sim).await;
    assert_eq!(api.find_conversion(&settles.session).await.expect("paid on settlement")["amount_paid"].as_i64(), Some(9_000));
    assert!(api.find_conversion(&fails.session).await.is_none());
    let events = api.list("/v1/stripe_events?limit=100").await;
    let failed = events.iter().find(|e| e["type"] == "checkout.session.async_payment_failed").expect("the failure's event");
    assert_eq!(failed["outcome"].as_str(), Some("not_attributed: the asynchronous payment failed"));
}
on_both_backends!(asynchronous_payments_count_when_they_settle);
