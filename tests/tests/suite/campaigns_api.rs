//! Campaigns through the merchant API, and their rules deciding real commissions — on SQLite
//! and on PostgreSQL.

use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;

async fn campaigns_are_created_updated_listed_and_deleted(backend: Backend) {
    let api = Api::new(backend).await;
    let flat = json!({ "name": "Flat fee", "commission_type": "flat", "flat_amounts": { "usd": 500, "eur": 450 } });
    let created = api.ok(api.key(), Method::POST, "/v1/campaigns", Some(flat)).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["commission_bps"], Value::Null);
    assert_eq!(created["flat_amounts"]["eur"], 450);
    assert_eq!((created["duration"].as_str(), created["approval"].as_str()), (Some("lifetime"), Some("manual")), "defaults");
    assert_eq!((created["cookie_window_days"].as_i64(), created["skip_zero_revenue"].as_bool()), (Some(60), Some(true)));

    let patched = api
        .ok(
            api.key(),
            Method::PATCH,
            &format!("/v1/campaigns/{id}"),
            Some(json!({ "approval": "hold", "hold_days": 30, "duration": "months", "duration_months": 12 })),
        )
        .await;
    assert_eq!((patched["approval"].as_str(), patched["hold_days"].as_i64()), (Some("hold"), Some(30)));
    assert_eq!(patched["flat_amounts"], created["flat_amounts"], "absent fields are kept");
    let to_percent = api
        .ok(api.key(), Method::PATCH, &format!("/v1/campaigns/{id}"), Some(json!({ "commission_type": "percent", "commission_bps": 1500 })))
        .await;
    assert_eq!(to_percent["commission_bps"], 1500);

    let listed = api.ok(api.key(), Method::GET, "/v1/campaigns?limit=1", None).await;
    assert_eq!((listed["data"][0]["id"].as_str(), listed["has_more"].as_bool()), (Some(id.as_str()), Some(true)));

    let seeded = &api.origin.seed.campaign_id;
    let (code, _) = refused(api.call(api.key(), Method::DELETE, &format!("/v1/campaigns/{seeded}"), None).await, 409).await;
    assert_eq!(code, "campaign_in_use");
    assert_eq!(api.ok(api.key(), Method::DELETE, &format!("/v1/campaigns/{id}"), None).await["deleted"], true);
    assert_eq!(refused(api.call(api.key(), Method::GET, &format!("/v1/campaigns/{id}"), None).await, 404).await.0, "not_found");
}
on_both_backends!(campaigns_are_created_updated_listed_and_deleted);

async fn bad_campaign_rules_are_refused_naming_the_field(backend: Backend) {
    let api = Api::new(backend).await;
    let cases = [
        (json!({ "commission_bps": 100 }), "name"),
        (json!({ "name": "P" }), "commission_bps"),
        (json!({ "name": "P", "commission_bps": 10001 }), "commission_bps"),
        (json!({ "name": "F", "commission_type": "flat" }), "flat_amounts"),
        (json!({ "name": "F", "commission_type": "flat", "flat_amounts": { "USD": 5 } }), "flat_amounts"),
        (json!({ "name": "F", "commission_type": "flat", "flat_amounts": { "usd": -5 } }), "flat_amounts"),
        (json!({ "name": "P", "commission_bps": 1, "duration": "months" }), "duration_months"),
        (json!({ "name": "P", "commission_bps": 1, "approval": "hold" }), "hold_days"),
        (json!({ "name": "P", "commission_bps": 1, "approval": "sometimes" }), "approval"),
        (json!({ "name": "P", "commission_bps": 1, "cookie_window_days": 0 }), "cookie_window_days"),
        (json!({ "name": "P", "commission_bps": 1, "commission_type": "barter" }), "commission_type"),
    ];
    for (body, field) in cases {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/campaigns", Some(body.clone())).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains(field), "{body}: {message:?} should name {field}");
    }
    let seeded = api.origin.seed.campaign_id.clone();
    let bad_patch = json!({ "commission_type": "flat" });
    let (_, message) = refused(api.call(api.key(), Method::PATCH, &format!("/v1/campaigns/{seeded}"), Some(bad_patch)).await, 400).await;
    assert!(message.contains("flat_amounts"), "{message}");
    assert_eq!(api.origin.count("campaigns").await, 1, "nothing stored but the seed");
}
on_both_backends!(bad_campaign_rules_are_refused_naming_the_field);

async fn campaign_rules_decide_the_commission(backend: Backend) {
    let api = Api::new(backend).await;
    let flat = json!({ "name": "Flat", "commission_type": "flat", "flat_amounts": { "usd": 500 }, "approval": "auto" });
    let campaign = api.ok(api.key(), Method::POST, "/v1/campaigns", Some(flat)).await;
    let body = json!({ "code": "flatty", "name": "Flatty", "campaign_id": campaign["id"] });
    let flatty = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(body)).await;

    api.paid("evt_flat", "flatty", 4_900, "usd").await;
    api.paid("evt_flat_eur", "flatty", 4_900, "eur").await;
    api.paid("evt_zero", "flatty", 0, "usd").await;
    let demo_id = {
        let list = api.ok(api.key(), Method::GET, "/v1/affiliates?status=active", None).await;
        list["data"].as_array().unwrap().iter().find(|a| a["code"] == "demo").unwrap()["id"].as_str().unwrap().to_owned()
    };
    api.ok(api.key(), Method::PATCH, &format!("/v1/affiliates/{demo_id}"), Some(json!({ "commission_bps": 1000 }))).await;
    api.paid("evt_override", "demo", 4_900, "usd").await;

    let list = api.ok(api.key(), Method::GET, "/v1/conversions", None).await;
    let by_session = |id: &str| list["data"].as_array().unwrap().iter().find(|c| c["stripe_object_id"] == id).cloned();
    let flat_usd = by_session("cs_evt_flat").expect("flat sale recorded");
    assert_eq!((flat_usd["commission_amount"].as_i64(), flat_usd["commission_status"].as_str()), (Some(500), Some("approved")));
    assert_eq!(flat_usd["affiliate_id"], flatty["id"]);
    let flat_eur = by_session("cs_evt_flat_eur").expect("sale in another currency recorded");
    assert_eq!(flat_eur["commission_amount"], 0, "the campaign pays nothing in eur");
    assert!(by_session("cs_evt_zero").is_none(), "zero revenue is skipped");
    let overridden = by_session("cs_evt_override").expect("override sale recorded");
    assert_eq!((overridden["commission_amount"].as_i64(), overridden["commission_rate_bps"].as_i64()), (Some(490), Some(1000)));
    assert_eq!(overridden["commission_status"], "pending", "the demo campaign approves by hand");
}
on_both_backends!(campaign_rules_decide_the_commission);

async fn another_merchants_key_reaches_no_campaign(backend: Backend) {
    let api = Api::new(backend).await;
    let (_, _, other) = api.origin.other_merchant().await;
    let seeded = &api.origin.seed.campaign_id;
    for (method, body) in [(Method::GET, None), (Method::PATCH, Some(json!({ "name": "stolen" }))), (Method::DELETE, None)] {
        let (code, _) = refused(api.call(&other, method.clone(), &format!("/v1/campaigns/{seeded}"), body).await, 404).await;
        assert_eq!(code, "not_found", "{method}");
    }
    let theirs = api.ok(&other, Method::GET, "/v1/campaigns", None).await;
    assert!(theirs["data"].as_array().unwrap().iter().all(|c| c["id"] != seeded.as_str()));
    let mine = api.ok(api.key(), Method::GET, &format!("/v1/campaigns/{seeded}"), None).await;
    assert_eq!(mine["name"], "Standard 30%");
}
on_both_backends!(another_merchants_key_reaches_no_campaign);
