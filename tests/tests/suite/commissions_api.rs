//! Commissions through the merchant API: listing, approve / deny / mark paid one at a time and
//! in bulk, holds ending, the payouts report and the audit trail — on SQLite and PostgreSQL.

use payref_origin::domain::api_key::Scope;
use payref_origin::storage::commissions;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;

impl Api {
    /// The test-mode commissions, newest first.
    async fn commissions(&self, query: &str) -> Vec<Value> {
        self.ok(self.key(), Method::GET, &format!("/v1/commissions{query}"), None).await["data"].as_array().unwrap().clone()
    }

    /// The commission earned by the session paid in `event`.
    async fn commission_of(&self, event: &str) -> Value {
        let session = format!("cs_{event}");
        self.commissions("?limit=100")
            .await
            .into_iter()
            .find(|c| c["stripe_object_id"] == session.as_str())
            .expect("a commission for the session")
    }

    async fn audit_of(&self, object_id: &str) -> Vec<Value> {
        let list = self.ok(self.key(), Method::GET, &format!("/v1/audit_events?object_id={object_id}"), None).await;
        list["data"].as_array().unwrap().clone()
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn commissions_move_through_their_lifecycle(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_a", "demo", 4_900, "usd").await;
    api.paid("evt_b", "demo", 10_000, "usd").await;
    let (a, b) = (api.commission_of("evt_a").await, api.commission_of("evt_b").await);
    assert_eq!((a["status"].as_str(), a["amount"].as_i64(), a["affiliate_code"].as_str()), (Some("pending"), Some(1_470), Some("demo")));
    assert_eq!(a["approved_at"], Value::Null);
    let got = api.ok(api.key(), Method::GET, &format!("/v1/commissions/{}", id(&a)), None).await;
    assert_eq!(got["conversion_id"], a["conversion_id"]);

    let (code, message) =
        refused(api.call(api.key(), Method::POST, &format!("/v1/commissions/{}/mark_paid", id(&a)), Some(json!({}))).await, 409).await;
    assert_eq!(code, "invalid_status");
    assert!(message.contains("pending"), "{message}");

    let approved = api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", id(&a)), None).await;
    assert_eq!(approved["status"], "approved");
    assert!(approved["approved_at"].as_i64().unwrap() >= a["created_at"].as_i64().unwrap());
    let (code, _) = refused(api.call(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", id(&a)), None).await, 409).await;
    assert_eq!(code, "invalid_status", "approving twice is refused, not repeated");

    let paid = api
        .ok(api.key(), Method::POST, &format!("/v1/commissions/{}/mark_paid", id(&a)), Some(json!({ "payout_reference": "po_2026_11" })))
        .await;
    assert_eq!((paid["status"].as_str(), paid["payout_reference"].as_str()), (Some("paid"), Some("po_2026_11")));
    assert!(paid["paid_at"].is_i64());
    let (code, _) = refused(
        api.call(api.key(), Method::POST, &format!("/v1/commissions/{}/deny", id(&a)), Some(json!({ "reason": "late" }))).await,
        409,
    )
    .await;
    assert_eq!(code, "invalid_status", "paid money is not denied");

    let (code, message) =
        refused(api.call(api.key(), Method::POST, &format!("/v1/commissions/{}/deny", id(&b)), Some(json!({}))).await, 400).await;
    assert_eq!((code.as_str(), message.as_str()), ("invalid_request", "reason is required"));
    let (_, message) =
        refused(api.call(api.key(), Method::POST, &format!("/v1/commissions/{}/deny", id(&b)), Some(json!({ "reason": " " }))).await, 400)
            .await;
    assert!(message.contains("reason"), "{message}");
    let denied =
        api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/deny", id(&b)), Some(json!({ "reason": "self-referral" }))).await;
    assert_eq!((denied["status"].as_str(), denied["reason"].as_str()), (Some("denied"), Some("self-referral")));

    let paid_only = api.commissions("?status=paid").await;
    assert_eq!(paid_only.iter().map(id).collect::<Vec<_>>(), vec![id(&a)]);
    assert!(api.commissions("?livemode=true").await.is_empty(), "test and live never mix");
    assert_eq!(refused(api.call(api.key(), Method::GET, "/v1/commissions?status=owed", None).await, 400).await.0, "invalid_request");

    let trail = api.audit_of(&id(&a)).await;
    let actions: Vec<&str> = trail.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["commission.paid", "commission.approved"], "newest first");
    assert!(trail.iter().all(|e| e["actor"].as_str().unwrap().starts_with("api_key:key_")), "{trail:?}");
    assert_eq!(trail[0]["detail"]["payout_reference"], "po_2026_11");
    let attributed = api.audit_of(a["conversion_id"].as_str().unwrap()).await;
    assert_eq!(attributed.len(), 1);
    assert_eq!((attributed[0]["action"].as_str(), attributed[0]["actor"].as_str()), (Some("conversion.attributed"), Some("stripe:evt_a")));
    assert_eq!(attributed[0]["detail"]["method"], "client_reference_id");
    assert_eq!(attributed[0]["detail"]["evidence"]["code"], "demo");

    let reader = api.origin.api_key(Scope::Read).await;
    let (code, _) = refused(api.call(&reader, Method::POST, &format!("/v1/commissions/{}/approve", id(&b)), None).await, 403).await;
    assert_eq!(code, "forbidden");
    let unknown = refused(api.call(api.key(), Method::POST, "/v1/commissions/com_nope/approve", None).await, 404).await;
    assert_eq!(unknown.0, "not_found");
}
on_both_backends!(commissions_move_through_their_lifecycle);

async fn bulk_actions_report_each_id(backend: Backend) {
    let api = Api::new(backend).await;
    for event in ["evt_1", "evt_2", "evt_3"] {
        api.paid(event, "demo", 1_000, "usd").await;
    }
    let (c1, c2, c3) =
        (id(&api.commission_of("evt_1").await), id(&api.commission_of("evt_2").await), id(&api.commission_of("evt_3").await));
    let result = api
        .ok(api.key(), Method::POST, "/v1/commissions/bulk", Some(json!({ "action": "approve", "ids": [c1, c2, "com_unknown", c1] })))
        .await;
    let updated: Vec<String> = result["updated"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(updated, vec![c1.clone(), c2.clone()], "a repeated id counts once");
    assert_eq!(result["failed"], json!([{ "id": "com_unknown", "code": "not_found", "message": "no such commission" }]));

    let result = api
        .ok(
            api.key(),
            Method::POST,
            "/v1/commissions/bulk",
            Some(json!({ "action": "mark_paid", "ids": [c1, c3], "payout_reference": "batch-7" })),
        )
        .await;
    assert_eq!(result["updated"][0]["payout_reference"], "batch-7");
    assert_eq!((result["failed"][0]["id"].as_str(), result["failed"][0]["code"].as_str()), (Some(c3.as_str()), Some("invalid_status")));
    assert_eq!(api.commission_of("evt_3").await["status"], "pending", "a failed id is left as it was");

    let too_many: Vec<String> = (0..1_001).map(|i| format!("com_{i}")).collect();
    let cases = [
        (json!({ "ids": [c2] }), "action"),
        (json!({ "action": "approve" }), "ids"),
        (json!({ "action": "approve", "ids": [] }), "ids"),
        (json!({ "action": "approve", "ids": too_many }), "ids"),
        (json!({ "action": "deny", "ids": [c2] }), "reason"),
        (json!({ "action": "approve", "ids": [c2], "payout_reference": "x" }), "payout_reference"),
        (json!({ "action": "refund", "ids": [c2] }), "action"),
    ];
    for (body, field) in cases {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/commissions/bulk", Some(body.clone())).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains(field), "{body}: {message:?} should name {field}");
    }
    assert_eq!(api.commission_of("evt_2").await["status"], "approved", "refused bulk requests change nothing");
}
on_both_backends!(bulk_actions_report_each_id);

async fn payouts_due_respect_the_minimum(backend: Backend) {
    let api = Api::new(backend).await;
    let campaign = api.origin.seed.campaign_id.clone();
    api.ok(api.key(), Method::PATCH, &format!("/v1/campaigns/{campaign}"), Some(json!({ "min_payouts": { "usd": 2_000 } }))).await;
    let small = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("small"))).await;
    api.paid("evt_d1", "demo", 4_900, "usd").await; // 1,470
    api.paid("evt_d2", "demo", 4_900, "usd").await; // 1,470
    api.paid("evt_d3", "demo", 1_000, "eur").await; // 300, no eur minimum
    api.paid("evt_s1", "small", 4_900, "usd").await; // 1,470 < 2,000
    api.paid("evt_pending", "demo", 9_900, "usd").await; // left pending
    let approve: Vec<String> = {
        let mut ids = Vec::new();
        for event in ["evt_d1", "evt_d2", "evt_d3", "evt_s1"] {
            ids.push(id(&api.commission_of(event).await));
        }
        ids
    };
    api.ok(api.key(), Method::POST, "/v1/commissions/bulk", Some(json!({ "action": "approve", "ids": approve }))).await;

    let report = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    let lines: Vec<(String, String, i64, i64)> = report["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["affiliate_code"].as_str().unwrap().into(),
                l["currency"].as_str().unwrap().into(),
                l["amount"].as_i64().unwrap(),
                l["commission_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![("demo".into(), "eur".into(), 300, 1), ("demo".into(), "usd".into(), 2_940, 2)],
        "small is under the usd minimum"
    );
    assert_eq!(report["data"][1]["minimum_payout"], 2_000);
    assert!(small["id"].is_string());
    let live = api.ok(api.key(), Method::GET, "/v1/payouts/due?livemode=true", None).await;
    assert_eq!(live["data"], json!([]));

    let d1 = id(&api.commission_of("evt_d1").await);
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{d1}/mark_paid"), Some(json!({}))).await;
    let report = api.ok(api.key(), Method::GET, "/v1/payouts/due", None).await;
    assert_eq!(report["data"].as_array().unwrap().len(), 1, "1,470 usd left is under the minimum: {report}");
}
on_both_backends!(payouts_due_respect_the_minimum);

async fn held_commissions_approve_when_the_hold_ends(backend: Backend) {
    let api = Api::new(backend).await;
    let held = json!({ "name": "Held", "commission_bps": 2_000, "approval": "hold", "hold_days": 30 });
    let campaign = api.ok(api.key(), Method::POST, "/v1/campaigns", Some(held)).await;
    api.ok(api.key(), Method::POST, "/v1/affiliates", Some(json!({ "code": "patient", "name": "Patient", "campaign_id": campaign["id"] })))
        .await;
    let before = payref_origin::now_ms();
    api.paid("evt_held", "patient", 10_000, "usd").await;
    let c = api.commission_of("evt_held").await;
    assert_eq!(c["status"], "pending");
    let hold_until = c["hold_until"].as_i64().expect("a hold");
    assert!(hold_until >= before + 30 * 86_400_000 && hold_until <= payref_origin::now_ms() + 30 * 86_400_000);

    let pool = &api.origin.db.pool;
    assert_eq!(commissions::release_held(pool, hold_until - 1).await.unwrap(), 0, "not before the hold ends");
    assert_eq!(api.commission_of("evt_held").await["status"], "pending");
    assert_eq!(commissions::release_held(pool, hold_until).await.unwrap(), 1);
    assert_eq!(commissions::release_held(pool, hold_until + 1).await.unwrap(), 0, "released once");
    let after = api.commission_of("evt_held").await;
    assert_eq!((after["status"].as_str(), after["hold_until"].as_i64()), (Some("approved"), None));
    let trail = api.audit_of(&id(&c)).await;
    assert_eq!((trail[0]["action"].as_str(), trail[0]["actor"].as_str()), (Some("commission.approved"), Some("system:hold")));
}
on_both_backends!(held_commissions_approve_when_the_hold_ends);

async fn another_merchants_key_reaches_no_commission(backend: Backend) {
    let api = Api::new(backend).await;
    api.paid("evt_mine", "demo", 4_900, "usd").await;
    let mine = id(&api.commission_of("evt_mine").await);
    let (_, _, other) = api.origin.other_merchant().await;
    let attempts = [
        (Method::GET, format!("/v1/commissions/{mine}"), None),
        (Method::POST, format!("/v1/commissions/{mine}/approve"), None),
        (Method::POST, format!("/v1/commissions/{mine}/deny"), Some(json!({ "reason": "theirs" }))),
        (Method::POST, format!("/v1/commissions/{mine}/mark_paid"), Some(json!({}))),
    ];
    for (method, path, body) in attempts {
        assert_eq!(refused(api.call(&other, method.clone(), &path, body).await, 404).await.0, "not_found", "{method} {path}");
    }
    let bulk = api.ok(&other, Method::POST, "/v1/commissions/bulk", Some(json!({ "action": "approve", "ids": [mine] }))).await;
    assert_eq!((bulk["updated"].as_array().unwrap().len(), bulk["failed"][0]["code"].as_str()), (0, Some("not_found")));
    let (code, _) = refused(api.call(&other, Method::GET, &format!("/v1/commissions?starting_after={mine}"), None).await, 400).await;
    assert_eq!(code, "invalid_request");
    assert_eq!(api.ok(&other, Method::GET, "/v1/commissions", None).await["data"], json!([]));
    assert_eq!(api.ok(&other, Method::GET, "/v1/payouts/due", None).await["data"], json!([]));
    assert_eq!(api.ok(&other, Method::GET, &format!("/v1/audit_events?object_id={mine}"), None).await["data"], json!([]));
    assert_eq!(api.commission_of("evt_mine").await["status"], "pending", "untouched");
}
on_both_backends!(another_merchants_key_reaches_no_commission);
