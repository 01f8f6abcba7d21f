//! The refund ledger and payouts: refunds scale a pending commission down (reversing it when
//! refunded in full) and add negative adjustments to approved or paid ones; the cumulative
//! amount makes duplicates and reordering harmless; a refund that arrives before its payment
//! waits for it; payouts net open adjustments and settle them.

use payref_origin::domain::api_key::Scope;
use payref_tests::origin::Backend;
use payref_tests::stripe;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;

impl Api {
    /// Delivers `charge.refunded` with Stripe's cumulative `refunded`, as of `at` seconds from now.
    async fn refund_at(&self, event: &str, session: &str, paid: i64, refunded: i64, at: i64) -> String {
        let intent = format!("pi_{}", session.trim_start_matches("cs_"));
        let charge = stripe::refunded_charge(&format!("ch_{}", session.trim_start_matches("cs_")), &intent, paid, refunded, "usd");
        let mut event_object = stripe::event(event, "charge.refunded", charge);
        event_object["created"] = json!(stripe::now_secs() + at);
        self.deliver(&event_object).await;
        self.origin.settled().await;
        let got = self.ok(self.key(), Method::GET, &format!("/v1/stripe_events/{event}"), None).await;
        got["outcome"].as_str().unwrap_or_default().to_owned()
    }

    async fn refund(&self, event: &str, session: &str, paid: i64, refunded: i64) -> String {
        self.refund_at(event, session, paid, refunded, 0).await
    }

    async fn sale(&self, session: &str) -> (Value, Value) {
        let all = self.ok(self.key(), Method::GET, "/v1/conversions?limit=100", None).await;
        let conv = all["data"].as_array().unwrap().iter().find(|c| c["stripe_object_id"] == session).cloned().expect("the conversion");
        let commissions = self.ok(self.key(), Method::GET, "/v1/commissions?limit=100", None).await;
        let com =
            commissions["data"].as_array().unwrap().iter().find(|c| c["conversion_id"] == conv["id"]).cloned().expect("its commission");
        (conv, com)
    }
}

async fn refunds_shrink_pending_commissions_in_any_order(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_r1", "demo", 10_000, "usd").await;
    assert_eq!(api.refund("evt_rf1", "cs_evt_r1", 10_000, 2_500).await, "applied: commission.reduced");
    let (conv, com) = api.sale("cs_evt_r1").await;
    assert_eq!((conv["status"].as_str(), conv["amount_refunded"].as_i64()), (Some("partially_refunded"), Some(2_500)));
    assert_eq!((com["status"].as_str(), com["amount"].as_i64()), (Some("pending"), Some(2_250)), "3,000 × 75%");
    assert_eq!(api.refund("evt_rf1_again", "cs_evt_r1", 10_000, 2_500).await, "refund already applied");

    // The full refund's event overtakes the half refund's, which Stripe sent earlier.
    assert_eq!(api.refund_at("evt_rf3", "cs_evt_r1", 10_000, 10_000, 2).await, "applied: commission.reversed");
    assert_eq!(api.refund_at("evt_rf2", "cs_evt_r1", 10_000, 5_000, 1).await, "refund already applied");
    let (conv, com) = api.sale("cs_evt_r1").await;
    assert_eq!((conv["status"].as_str(), conv["amount_refunded"].as_i64()), (Some("refunded"), Some(10_000)));
    assert_eq!((com["status"].as_str(), com["amount"].as_i64()), (Some("reversed"), Some(0)));
    assert!(com["reason"].as_str().unwrap().contains("10000 of 10000 usd refunded"), "{com}");
    assert_eq!(api.list("/v1/conversions?status=refunded").await.len(), 1);
    let trail = api.list(&format!("/v1/audit_events?object_id={}", com["id"].as_str().unwrap())).await;
    let actions: Vec<&str> = trail.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["commission.reversed", "commission.reduced"]);

    // A refund before its payment waits for it.
    let charge = stripe::refunded_charge("ch_early", "pi_evt_r4", 10_000, 5_000, "usd");
    api.deliver(&stripe::event("evt_rf4", "charge.refunded", charge)).await;
    api.paid("evt_r4", "demo", 10_000, "usd").await;
    let (conv, com) = api.sale("cs_evt_r4").await;
    assert_eq!((conv["amount_refunded"].as_i64(), com["amount"].as_i64()), (Some(5_000), Some(1_500)));

    // A refund of a sale no affiliate brought, long settled: nothing to do, nothing parked.
    let charge = stripe::refunded_charge("ch_plain", "pi_plain", 10_000, 10_000, "usd");
    let mut old = stripe::event("evt_rf5", "charge.refunded", charge);
    old["created"] = json!(stripe::now_secs() - 7_200);
    api.deliver(&old).await;
    api.origin.settled().await;
    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_rf5", None).await;
    assert_eq!(got["outcome"], "not_attributed: the refunded payment was not attributed");
}
on_both_backends!(refunds_shrink_pending_commissions_in_any_order);

/// A `refund.failed` for a refund of `amount` made at `made` (unix seconds), sent at `at`.
fn failed_refund(event: &str, refund: &str, session: &str, amount: i64, made: i64, at: i64) -> Value {
    let suffix = session.trim_start_matches("cs_");
    let object = json!({
        "id": refund, "object": "refund", "amount": amount, "balance_transaction": null, "charge": format!("ch_{suffix}"),
        "created": made, "currency": "usd", "metadata": {}, "payment_intent": format!("pi_{suffix}"), "reason": null,
        "status": "failed", "failure_reason": "expired_or_canceled_card"
    });
    let mut e = stripe::event(event, "refund.failed", object);
    e["created"] = json!(at);
    e
}

async fn without_an_api_key_a_failed_refund_is_taken_off_the_refunded_amount(backend: Backend) {
    let api = Api::new(backend).await;
    let now = stripe::now_secs();
    api.paid("evt_f1", "demo", 10_000, "usd").await;
    assert_eq!(api.refund_at("evt_ff1", "cs_evt_f1", 10_000, 3_000, -100).await, "applied: commission.reduced");
    assert_eq!(api.refund_at("evt_ff2", "cs_evt_f1", 10_000, 10_000, -50).await, "applied: commission.reversed");
    // The 7,000 refund fails; a stale snapshot from before it arrives afterwards and changes nothing.
    api.deliver(&failed_refund("evt_ff3", "re_f2", "cs_evt_f1", 7_000, now - 50, now)).await;
    api.origin.settled().await;
    let (conv, com) = api.sale("cs_evt_f1").await;
    assert_eq!((conv["status"].as_str(), conv["amount_refunded"].as_i64()), (Some("partially_refunded"), Some(3_000)));
    assert_eq!((com["status"].as_str(), com["amount"].as_i64()), (Some("pending"), Some(2_100)), "3,000 × 70%: restored");
    assert_eq!(api.refund_at("evt_ff2_late", "cs_evt_f1", 10_000, 10_000, -49).await, "refund already applied");
    // Delivered again, the failure changes nothing more.
    api.deliver(&failed_refund("evt_ff3", "re_f2", "cs_evt_f1", 7_000, now - 50, now)).await;
    api.origin.settled().await;
    assert_eq!(api.sale("cs_evt_f1").await.1["amount"], 2_100);
    // A failure older than the snapshot already reflects it: nothing to take off twice.
    api.deliver(&failed_refund("evt_ff4", "re_f1", "cs_evt_f1", 3_000, now - 100, now - 10)).await;
    api.origin.settled().await;
    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_ff4", None).await;
    assert_eq!(got["outcome"], "refund failure already reflected in the refunded amount");
}
on_both_backends!(without_an_api_key_a_failed_refund_is_taken_off_the_refunded_amount);

async fn approved_commissions_get_adjustments_that_payouts_settle(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_a1", "demo", 10_000, "usd").await;
    let (_, com) = api.sale("cs_evt_a1").await;
    let com_id = com["id"].as_str().unwrap().to_owned();
    let affiliate = com["affiliate_id"].as_str().unwrap().to_owned();
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{com_id}/approve"), None).await;

    assert_eq!(api.refund("evt_ar1", "cs_evt_a1", 10_000, 4_000).await, "applied: commission.adjusted");
    let (_, com) = api.sale("cs_evt_a1").await;
    assert_eq!((com["status"].as_str(), com["amount"].as_i64()), (Some("approved"), Some(3_000)), "the approved amount stands");
    let due = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    assert_eq!((due["data"][0]["amount"].as_i64(), due["data"][0]["adjustments"].as_i64()), (Some(1_800), Some(-1_200)), "{due}");

    let payout = json!({ "affiliate_id": affiliate, "currency": "usd", "payout_reference": "tr_0001" });
    let paid = api.ok(api.key(), Method::POST, "/v1/payouts", Some(payout.clone())).await;
    assert_eq!(
        (paid["amount"].as_i64(), paid["commission_count"].as_i64(), paid["adjustment_count"].as_i64()),
        (Some(1_800), Some(1), Some(1)),
        "{paid}"
    );
    assert_eq!(api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await["data"], json!([]));
    assert_eq!(refused(api.call(api.key(), Method::POST, "/v1/payouts", Some(payout.clone())).await, 409).await.0, "nothing_due");

    // Refunded in full after the payout: the rest is clawed back from the next one.
    assert_eq!(api.refund("evt_ar2", "cs_evt_a1", 10_000, 10_000).await, "applied: commission.adjusted");
    let adjustments = api.list("/v1/commission_adjustments").await;
    let summary: Vec<(i64, Option<&str>)> =
        adjustments.iter().map(|a| (a["amount"].as_i64().unwrap(), a["payout_reference"].as_str())).collect();
    assert_eq!(summary, [(-1_800, None), (-1_200, Some("tr_0001"))]);
    let (_, com) = api.sale("cs_evt_a1").await;
    assert_eq!((com["status"].as_str(), com["amount"].as_i64()), (Some("paid"), Some(3_000)));
    api.paid("evt_a2", "demo", 10_000, "usd").await;
    let (_, next) = api.sale("cs_evt_a2").await;
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", next["id"].as_str().unwrap()), None).await;
    let due = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    assert_eq!(due["data"][0]["amount"], 1_200, "3,000 earned less the 1,800 clawed back: {due}");

    // Bad input, read-only keys and other merchants.
    for (body, field) in [
        (json!({ "currency": "usd", "payout_reference": "x" }), "affiliate_id"),
        (json!({ "affiliate_id": affiliate, "currency": "USD", "payout_reference": "x" }), "currency"),
        (json!({ "affiliate_id": affiliate, "currency": "usd" }), "payout_reference"),
        (json!({ "affiliate_id": affiliate, "currency": "usd", "payout_reference": "x".repeat(201) }), "payout_reference"),
    ] {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/payouts", Some(body)).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains(field), "{message}");
    }
    let unknown = json!({ "affiliate_id": "aff_nobody", "currency": "usd", "payout_reference": "x" });
    assert_eq!(refused(api.call(api.key(), Method::POST, "/v1/payouts", Some(unknown)).await, 404).await.0, "not_found");
    let reader = api.origin.api_key(Scope::Read).await;
    assert_eq!(refused(api.call(&reader, Method::POST, "/v1/payouts", Some(payout.clone())).await, 403).await.0, "forbidden");
    let (_, _, other) = api.origin.other_merchant().await;
    assert_eq!(refused(api.call(&other, Method::POST, "/v1/payouts", Some(payout)).await, 404).await.0, "not_found");
    assert_eq!(api.ok(&other, Method::GET, "/v1/commission_adjustments", None).await["data"], json!([]));
}
on_both_backends!(approved_commissions_get_adjustments_that_payouts_settle);

async fn denying_an_approved_commission_drops_its_open_adjustments_from_what_is_due(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_d1", "demo", 10_000, "usd").await;
    api.paid("evt_d2", "demo", 10_000, "usd").await;
    let (_, first) = api.sale("cs_evt_d1").await;
    let (_, second) = api.sale("cs_evt_d2").await;
    for com in [&first, &second] {
        api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", com["id"].as_str().unwrap()), None).await;
    }
    assert_eq!(api.refund("evt_dr1", "cs_evt_d1", 10_000, 4_000).await, "applied: commission.adjusted");
    let due = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    assert_eq!(due["data"][0]["amount"], 4_800, "3,000 + 3,000 − 1,200: {due}");
    let deny = json!({ "reason": "fraudulent order" });
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/deny", first["id"].as_str().unwrap()), Some(deny)).await;
    // The denied commission no longer counts, and neither does the refund taken off it.
    let due = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    assert_eq!((due["data"][0]["amount"].as_i64(), due["data"][0]["adjustments"].as_i64()), (Some(3_000), Some(0)), "{due}");
    let payout = json!({ "affiliate_id": second["affiliate_id"], "currency": "usd", "payout_reference": "tr_d" });
    let paid = api.ok(api.key(), Method::POST, "/v1/payouts", Some(payout)).await;
    assert_eq!((paid["amount"].as_i64(), paid["adjustment_count"].as_i64()), (Some(3_000), Some(0)), "{paid}");
    // A later refund of the denied sale makes no adjustment either.
    assert_eq!(api.refund("evt_dr2", "cs_evt_d1", 10_000, 10_000).await, "applied: the commission is denied");
    assert_eq!(api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await["data"], json!([]));
}
on_both_backends!(denying_an_approved_commission_drops_its_open_adjustments_from_what_is_due);
