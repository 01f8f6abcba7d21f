//! The whole path: a referral visit in real Chromium → the tracker decorates every Stripe
//! surface and beacons the click → real workerd and its queue → the origin stores it → a
//! Stripe-signed checkout.session.completed → the sale is attributed with its commission.

use std::time::Duration;

use payref_shared::client_reference::{self, ParsedReference};
use payref_tests::browser::{query_param, visit};
use payref_tests::edge::spawn_edge;
use payref_tests::origin::{Backend, SITE_KEY, TestOrigin};
use payref_tests::process::eventually;
use payref_tests::shop::{ShopConfig, serve};
use payref_tests::stripe;
use serde_json::Value;

const WEBHOOK_SECRET: &str = "whsec_e2e_secret";

async fn referral_visit_becomes_an_attributed_sale(backend: Backend) {
    let origin = TestOrigin::builder(backend).webhook_secret(WEBHOOK_SECRET).start().await;
    let edge = spawn_edge(&origin.url).await;
    let shop_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the shop");
    let shop_url = format!("http://{}", shop_listener.local_addr().expect("shop address"));
    let config = ShopConfig {
        edge_url: edge.url.clone(),
        site_key: SITE_KEY.into(),
        template: payref_tests::repo_root().join("demo/shop.html"),
        checkout_url: None,
    };
    tokio::spawn(serve(config, shop_listener));

    // 1. A visitor arrives through the affiliate's link.
    let seen = visit(&format!("{shop_url}/?ref=demo")).await;
    assert!(seen.console_errors.is_empty(), "the tracker must not break the page: {:?}", seen.console_errors);
    let reference = query_param(&seen.payment_link, "client_reference_id")
        .unwrap_or_else(|| panic!("payment link not decorated: {}", seen.payment_link));
    let ParsedReference::Tracked(parsed) = client_reference::parse(reference).expect("a payref reference") else {
        panic!("not a tracked reference: {reference}");
    };
    assert_eq!(parsed.code.as_str(), "demo");
    assert!(seen.payment_link.starts_with("https://buy.stripe.com/test_demo123?prefilled_email=buyer%40example.com&"));
    assert!(seen.payment_link.ends_with("#checkout"), "fragment kept: {}", seen.payment_link);
    assert_eq!(seen.buy_button.as_deref(), Some(reference));
    assert_eq!(seen.pricing_table.as_deref(), Some(reference));
    let late = seen.late_link.expect("the page adds a link later");
    assert_eq!(query_param(&late, "client_reference_id"), Some(reference), "late link: {late}");
    assert!(seen.cookie.contains("payref_ref=1.demo."), "first-party cookie: {}", seen.cookie);
    assert_eq!(seen.beacon_status, Some(204), "the edge accepts the click beacon");

    // 2. The click reaches the origin through workerd's queue.
    let click_id = parsed.click_id.to_text();
    eventually(Duration::from_secs(30), "the click to reach the origin", || async { origin.has_click(&click_id).await.then_some(()) })
        .await;
    assert_eq!(origin.count("clicks").await, 1, "one click for one visit; edge log:\n{}", edge.log_text());

    // 3. The buyer pays through the decorated Payment Link: Stripe sends the webhook.
    let session = stripe::paid_session("cs_test_e2e0001", reference, 5_300, 400, "usd");
    let payload = stripe::event("evt_e2e0001", "checkout.session.completed", session).to_string();
    let client = reqwest::Client::new();
    let webhook_url = format!("{}/v1/stripe/webhooks/{}/test", origin.url, origin.seed.merchant_id);
    for delivery in 0..2 {
        // Stripe retries; the second delivery must change nothing.
        let header = stripe::signature_header(WEBHOOK_SECRET, stripe::now_secs(), &payload);
        let resp = client.post(&webhook_url).header("Stripe-Signature", header).body(payload.clone()).send().await.expect("webhook");
        assert_eq!(resp.status(), 200, "delivery {delivery}: {}", resp.text().await.unwrap_or_default());
    }

    origin.settled().await;

    // 4. The merchant sees the attributed sale with its commission, linked to the click.
    let list: Value = client
        .get(format!("{}/v1/conversions", origin.url))
        .bearer_auth(&origin.seed.api_key)
        .send()
        .await
        .expect("listing conversions")
        .json()
        .await
        .expect("conversions JSON");
    let data = list["data"].as_array().expect("a data array");
    assert_eq!(data.len(), 1, "exactly one conversion: {list}");
    let c = &data[0];
    assert_eq!(c["affiliate_code"], "demo");
    assert_eq!(c["stripe_object_id"], "cs_test_e2e0001");
    assert_eq!(c["amount"], 4_900, "tax is not commissionable");
    assert_eq!(c["currency"], "usd");
    assert_eq!(c["commission_rate_bps"], 3_000, "rate read from the demo campaign");
    assert_eq!(c["commission_amount"], 1_470);
    assert_eq!(c["click_id"], click_id.as_str());
    assert_eq!(c["livemode"], false);
    assert_eq!(c["review_flags"], serde_json::json!(["fast_purchase"]), "paid within seconds of the click: a script, not a person");
    assert_eq!(c["commission_status"], "pending", "a flagged commission waits for the merchant");
}

#[tokio::test(flavor = "multi_thread")]
async fn referral_visit_becomes_an_attributed_sale_on_sqlite() {
    referral_visit_becomes_an_attributed_sale(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn referral_visit_becomes_an_attributed_sale_on_postgres() {
    referral_visit_becomes_an_attributed_sale(Backend::Postgres).await;
}
