//! Stripe's delivery at its worst: every event of a busy stretch of business (one-time sales,
//! a subscription and its renewal, partial and full refunds, a refund that fails, disputes won
//! and lost, a customer created with metadata, a promotion code) delivered ten times in a
//! shuffled order ends in exactly the ledger of a clean, in-order delivery.

use std::time::Duration;

use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::{Purchase, Subscribe};
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::json;

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
    let sub = sim
        .subscribe(&Subscribe {
            livemode: false,
            client_reference_id: Some("demo".into()),
            email: "sub@example.com".into(),
            amount: 4_000,
            tax: 400,
            currency: "usd".into(),
            trial_days: None,
            customer: None,
        })
        .unwrap();
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
