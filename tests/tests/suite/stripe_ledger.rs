//! What happens after a payment, against the Stripe simulator: a dispute holds the commission
//! (neither approved nor paid) until it closes, a won dispute restores it and a lost one takes
//! it back like a full refund, in whatever order the dispute's events arrive; a failed refund
//! restores what the refund took, with the refunded amount read back from Stripe.

use std::time::Duration;

use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::Purchase;
use payref_stripe_sim::webhooks::DeliveryMode;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::Value;

use crate::api::{Api, refused};
use crate::on_both_backends;
use crate::stripe_reconcile::connected;

impl Api {
    /// The conversion of a Stripe object and its commission.
    async fn sale_of(&self, sim: &Simulator, object: &str) -> (Value, Value) {
        sim.wait_delivered(Duration::from_secs(30)).await.expect("webhooks delivered");
        self.origin.settled().await;
        let conv =
            self.list("/v1/conversions?limit=100").await.into_iter().find(|c| c["stripe_object_id"] == object).expect("the conversion");
        let com =
            self.list("/v1/commissions?limit=100").await.into_iter().find(|c| c["conversion_id"] == conv["id"]).expect("its commission");
        (conv, com)
    }

    async fn approve(&self, commission: &Value) -> reqwest::Response {
        self.call(self.key(), Method::POST, &format!("/v1/commissions/{}/approve", commission["id"].as_str().unwrap()), None).await
    }

    async fn due(&self) -> i64 {
        let due = self.ok(self.key(), Method::GET, "/v1/payouts/due", None).await;
        due["data"].as_array().unwrap().iter().map(|d| d["amount"].as_i64().unwrap()).sum()
    }
}

fn buy(total: i64) -> Purchase {
    Purchase::new(Some("demo"), "buyer@example.com", total, 0, "usd")
}

fn state(conv: &Value, com: &Value) -> (String, Option<String>, String, i64, Option<String>) {
    (
        conv["status"].as_str().unwrap().to_owned(),
        conv["dispute_status"].as_str().map(str::to_owned),
        com["status"].as_str().unwrap().to_owned(),
        com["amount"].as_i64().unwrap(),
        com["held_by"].as_str().map(str::to_owned),
    )
}

async fn disputes_hold_commissions_until_they_close(backend: Backend) {
    let (api, sim) = connected(backend).await;
    // A pending commission, disputed, then the dispute won.
    let a = sim.pay_payment_link(&buy(10_000)).unwrap();
    let (_, com) = api.sale_of(&sim, &a.session).await;
    let earned = com["amount"].as_i64().unwrap();
    assert!(earned > 0);
    let du = sim.dispute(false, &a.charge).unwrap();
    let (conv, com) = api.sale_of(&sim, &a.session).await;
    let held = Some(format!("dispute {du}"));
    assert_eq!(state(&conv, &com), ("disputed".into(), Some("open".into()), "pending".into(), earned, held.clone()));
    let (code, message) = refused(api.approve(&com).await, 409).await;
    assert_eq!(code, "invalid_status");
    assert!(message.contains("held") && message.contains(&du), "{message}");
    sim.close_dispute(false, &du, true).unwrap();
    let (conv, com) = api.sale_of(&sim, &a.session).await;
    assert_eq!(state(&conv, &com), ("paid".into(), Some("won".into()), "pending".into(), earned, None));
    assert_eq!(api.approve(&com).await.status(), 200, "won: the commission can be approved again");

    // An approved commission, disputed: not paid out while open; lost: taken back.
    let b = sim.pay_payment_link(&buy(10_000)).unwrap();
    let (_, com) = api.sale_of(&sim, &b.session).await;
    assert_eq!(api.approve(&com).await.status(), 200);
    assert_eq!(api.due().await, 2 * earned);
    let du = sim.dispute(false, &b.charge).unwrap();
    let (conv, com) = api.sale_of(&sim, &b.session).await;
    assert_eq!(state(&conv, &com), ("disputed".into(), Some("open".into()), "approved".into(), earned, Some(format!("dispute {du}"))));
    assert_eq!(api.due().await, earned, "a held commission is not due");
    sim.close_dispute(false, &du, false).unwrap();
    let (conv, com) = api.sale_of(&sim, &b.session).await;
    assert_eq!(state(&conv, &com), ("disputed".into(), Some("lost".into()), "approved".into(), earned, None));
    let adjustments = api.list("/v1/commission_adjustments").await;
    assert_eq!(adjustments.len(), 1);
    assert_eq!((adjustments[0]["amount"].as_i64(), adjustments[0]["commission_id"].as_str()), (Some(-earned), com["id"].as_str()));
    assert_eq!(api.due().await, earned, "lost: earned, then taken back in full");

    // The dispute's opening is lost; its close comes first, and the opening, caught later by
    // reconciling, reopens nothing.
    let c = sim.pay_payment_link(&buy(10_000)).unwrap();
    api.sale_of(&sim, &c.session).await;
    sim.set_delivery(DeliveryMode { drop: true, ..DeliveryMode::default() });
    let du = sim.dispute(false, &c.charge).unwrap();
    sim.set_delivery(DeliveryMode::default());
    sim.close_dispute(false, &du, false).unwrap();
    api.sale_of(&sim, &c.session).await;
    let report = api.ok(api.key(), Method::POST, "/v1/reconcile", Some(serde_json::json!({}))).await;
    assert!(report["events_new"].as_u64().unwrap() >= 1, "the lost opening is caught: {report}");
    let (conv, com) = api.sale_of(&sim, &c.session).await;
    assert_eq!(state(&conv, &com), ("disputed".into(), Some("lost".into()), "reversed".into(), 0, None));
    let trail = api.list(&format!("/v1/audit_events?object_id={}", com["id"].as_str().unwrap())).await;
    let mut actions: Vec<&str> = trail.iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["commission.released", "commission.reversed"], "the late opening changed nothing");
}
on_both_backends!(disputes_hold_commissions_until_they_close);

async fn a_failed_refund_restores_the_commission(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let d = sim.pay_payment_link(&buy(10_000)).unwrap();
    let (_, com) = api.sale_of(&sim, &d.session).await;
    let earned = com["amount"].as_i64().unwrap();
    sim.refund(false, &d.charge, Some(4_000)).unwrap();
    sim.advance(Duration::from_secs(60));
    let second = sim.refund(false, &d.charge, None).unwrap();
    let (conv, com) = api.sale_of(&sim, &d.session).await;
    assert_eq!(state(&conv, &com), ("refunded".into(), None, "reversed".into(), 0, None));
    // Days later the second refund fails: the money is the merchant's again.
    sim.advance(Duration::from_secs(2 * 86_400));
    sim.fail_refund(false, &second).unwrap();
    let (conv, com) = api.sale_of(&sim, &d.session).await;
    assert_eq!(conv["amount_refunded"], 4_000, "read back from Stripe's charge");
    assert_eq!(state(&conv, &com), ("partially_refunded".into(), None, "pending".into(), earned * 6 / 10, None));
    let events = api.list("/v1/stripe_events?limit=100").await;
    assert!(
        events.iter().any(|e| e["id"].as_str().is_some_and(|id| id.starts_with(&format!("reconcile_{}_refunded_4000_", d.charge)))),
        "the charge was fetched"
    );
    let trail = api.list(&format!("/v1/audit_events?object_id={}", com["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["action"], "commission.restored");

    // An approved commission: the refund's adjustment is undone by an opposite one.
    let e = sim.pay_payment_link(&buy(10_000)).unwrap();
    let (_, com) = api.sale_of(&sim, &e.session).await;
    assert_eq!(api.approve(&com).await.status(), 200);
    let refund = sim.refund(false, &e.charge, Some(5_000)).unwrap();
    api.sale_of(&sim, &e.session).await;
    sim.advance(Duration::from_secs(86_400));
    sim.fail_refund(false, &refund).unwrap();
    let (conv, com) = api.sale_of(&sim, &e.session).await;
    assert_eq!(state(&conv, &com), ("paid".into(), None, "approved".into(), earned, None));
    let mut amounts: Vec<i64> = api
        .list("/v1/commission_adjustments")
        .await
        .iter()
        .filter(|a| a["commission_id"] == com["id"])
        .map(|a| a["amount"].as_i64().unwrap())
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts, [-earned / 2, earned / 2]);
    assert_eq!(api.due().await, earned);
}
on_both_backends!(a_failed_refund_restores_the_commission);
