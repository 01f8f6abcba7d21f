//! Stripe's delivery at its worst: every event of a busy stretch of business (one-time sales,
//! a subscription and its renewal, partial and full refunds, a refund that fails, disputes won
//! and lost, a customer created with metadata, a promotion code) delivered ten times in a
//! shuffled order ends in exactly the ledger of a clean, in-order delivery; and none of it, nor
//! the merchant's test-mode actions, changes a live-mode figure.

use std::time::Duration;

use payref_origin::storage::stripe_connections;
use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::{Purchase, Subscribe};
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::Api;
use crate::on_both_backends;
use crate::stripe_reconcile::connected;

/// The business, the same on every simulator; totals differ so that sales can be told apart
/// without their (random) Stripe ids.
fn business(sim: &Simulator) {
    let buy = |reference: Option<&str>, total: i64| Purchase::new(reference, "buyer@example.com", total, 0, "usd");
    let partial = sim.pay_payment_link(&buy(Some("demo"), 10_100)).unwrap();
    let full = sim.pay_payment_link(&buy(Some("demo"), 10_200)).unwrap();
    let won = sim.pay_payment_link(&buy(Some("demo"), 10_300)).unwrap();
    let lost = sim.pay_payment_link(&buy(Some("demo"), 10_400)).unwrap();
    let plain = sim.pay_payment_link(&buy(None, 10_500)).unwrap();
    let customer = sim.create_customer(false, Some("meta@example.com"), json!({ "payref_ref": "demo" }));
    let mut p = buy(None, 10_600);
    p.customer = customer["id"].as_str().map(str::to_owned);
    sim.pay_payment_link(&p).unwrap();
    let coupon = sim.create_coupon(false, Some(10.0), None);
    let promo = sim.create_promotion_code(false, "DEMO10", &coupon, json!({ "payref_ref": "demo" })).unwrap();
    let mut p = buy(None, 10_700);
    p.promotion_code = Some(promo);
    sim.pay_payment_link(&p).unwrap();
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "sub@example.com", 4_000, 400, "usd")).unwrap();
    sim.advance(Duration::from_secs(60));
    sim.refund(false, &partial.charge, Some(2_500)).unwrap();
    let failing = sim.refund(false, &full.charge, None).unwrap();
    sim.refund(false, &plain.charge, None).unwrap();
    let du_won = sim.dispute(false, &won.charge).unwrap();
    let du_lost = sim.dispute(false, &lost.charge).unwrap();
    sim.advance(Duration::from_secs(86_400));
    sim.fail_refund(false, &failing).unwrap();
    sim.close_dispute(false, &du_won, true).unwrap();
    sim.close_dispute(false, &du_lost, false).unwrap();
    sim.advance(Duration::from_secs(30 * 86_400));
    sim.renew(false, &sub.subscription, 4_500, 500).unwrap();
    sim.cancel_subscription(false, &sub.subscription).unwrap();
}

/// The ledger without Stripe ids: every conversion with its payment's and commission's state,
/// and every adjustment.
async fn ledger(api: &Api) -> (Vec<String>, Vec<i64>) {
    let commissions = api.list("/v1/commissions?limit=100").await;
    let mut rows: Vec<String> = api
        .list("/v1/conversions?limit=100")
        .await
        .iter()
        .map(|c| {
            let m = commissions.iter().find(|m| m["conversion_id"] == c["id"]).expect("a commission per conversion");
            format!(
                "{} {} paid {} refunded {} dispute {} via {} → {} {} held {}",
                c["affiliate_code"],
                c["status"],
                c["amount_paid"],
                c["amount_refunded"],
                c["dispute_status"],
                c["attribution_method"],
                m["status"],
                m["amount"],
                m["held_by"].is_string()
            )
        })
        .collect();
    rows.sort();
    let mut adjustments: Vec<i64> =
        api.list("/v1/commission_adjustments?limit=100").await.iter().map(|a| a["amount"].as_i64().unwrap()).collect();
    adjustments.sort_unstable();
    (rows, adjustments)
}

async fn ten_copies_in_shuffled_order_end_in_the_clean_ledger(backend: Backend) {
    let (clean, sim) = connected(backend).await;
    business(&sim);
    clean.settle_with(&sim).await;
    let expected = ledger(&clean).await;
    assert_eq!(expected.0.len(), 8, "six attributed sales and two invoices: {expected:#?}");
    assert!(
        expected.0.iter().any(|r| r.contains("via \"promotion_code\""))
            && expected.0.iter().any(|r| r.contains("via \"customer_metadata\""))
    );

    let (noisy, sim) = connected(backend).await;
    sim.set_delivery(DeliveryMode { copies: 10, hold: true, ..DeliveryMode::default() });
    business(&sim);
    sim.set_delivery(DeliveryMode { copies: 10, ..DeliveryMode::default() });
    sim.release(Release::Shuffled(20_261_121));
    noisy.settle_with(&sim).await;
    assert_eq!(ledger(&noisy).await, expected);
    let events = noisy.ok(noisy.key(), Method::GET, "/v1/stripe_events?status=parked", None).await;
    assert_eq!(events["data"], json!([]), "nothing parked");
}
on_both_backends!(ten_copies_in_shuffled_order_end_in_the_clean_ledger);

/// What the merchant sees of one mode.
async fn figures(api: &Api, livemode: bool) -> Vec<Value> {
    let mut all = Vec::new();
    for path in
        ["/v1/conversions", "/v1/commissions", "/v1/commission_adjustments", "/v1/customers", "/v1/discount_mappings", "/v1/payouts/due"]
    {
        all.push(api.ok(api.key(), Method::GET, &format!("{path}?livemode={livemode}"), None).await["data"].clone());
    }
    all
}

async fn test_mode_events_never_change_live_figures(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let (pool, keyring, merchant) = (&api.origin.db.pool, &api.origin.keyring, &api.origin.seed.merchant_id);
    stripe_connections::set_webhook_secret(pool, keyring, merchant, true, "whsec_live_mode").await.unwrap();
    stripe_connections::set_api_key(pool, keyring, merchant, true, "sk_live_payref_sim").await.unwrap();
    sim.add_endpoint(&format!("{}/v1/stripe/webhooks/{merchant}/live", api.origin.url), &["whsec_live_mode"], true);
    let mut live = Purchase::new(Some("demo"), "live@example.com", 20_000, 0, "usd");
    live.livemode = true;
    let paid = sim.pay_payment_link(&live).unwrap();
    let pi = sim.state().get(true, "payment_intent", &paid.payment_intent).cloned().unwrap();
    assert_eq!(pi["livemode"], true);
    api.settle_with(&sim).await;
    let before = figures(&api, true).await;
    assert_eq!(before[0].as_array().unwrap().len(), 1, "the live sale: {:?}", before[0]);
    assert_eq!(before[0][0]["livemode"], true);

    // A busy stretch of test-mode business, refunds, disputes and payouts included.
    business(&sim);
    api.settle_with(&sim).await;
    let test = figures(&api, false).await;
    assert_eq!(test[0].as_array().unwrap().len(), 8, "{:?}", test[0]);
    for commission in api.list("/v1/commissions?status=pending&limit=100").await {
        if commission["held_by"].is_null() {
            api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", commission["id"].as_str().unwrap()), None).await;
        }
    }
    let due = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    let line = &due["data"][0];
    let payout = json!({ "affiliate_id": line["affiliate_id"], "currency": "usd", "payout_reference": "tr_test" });
    api.ok(api.key(), Method::POST, "/v1/payouts", Some(payout)).await;
    assert_eq!(figures(&api, true).await, before, "test-mode events and actions never change live figures");
}
on_both_backends!(test_mode_events_never_change_live_figures);
