//! The merchant API: affiliates CRUD, validation that names the field, scopes, keyset
//! pagination and tenant isolation — each test on SQLite and on PostgreSQL.

use payref_origin::domain::api_key::Scope;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;

async fn affiliates_are_created_read_updated_listed_and_deleted(backend: Backend) {
    let api = Api::new(backend).await;
    let created = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("ann_1"))).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!((created["code"].as_str(), created["status"].as_str()), (Some("ann_1"), Some("active")));
    assert_eq!(created["email"], "a@example.com", "emails are normalised");

    let fetched = api.ok(api.key(), Method::GET, &format!("/v1/affiliates/{id}"), None).await;
    assert_eq!(fetched, created);

    let patched = api
        .ok(api.key(), Method::PATCH, &format!("/v1/affiliates/{id}"), Some(json!({ "status": "paused", "commission_bps": 2500 })))
        .await;
    assert_eq!((patched["status"].as_str(), patched["commission_bps"].as_i64()), (Some("paused"), Some(2500)));
    assert_eq!(patched["name"], created["name"], "absent fields are kept");

    let paused = api.ok(api.key(), Method::GET, "/v1/affiliates?status=paused", None).await;
    assert_eq!(paused["data"].as_array().unwrap().len(), 1);
    let active = api.ok(api.key(), Method::GET, "/v1/affiliates?status=active", None).await;
    assert_eq!(active["data"][0]["code"], "demo", "only the seeded affiliate is active");

    let deleted = api.ok(api.key(), Method::DELETE, &format!("/v1/affiliates/{id}"), None).await;
    assert_eq!(deleted["deleted"], true);
    let (code, _) = refused(api.call(api.key(), Method::GET, &format!("/v1/affiliates/{id}"), None).await, 404).await;
    assert_eq!(code, "not_found");
}
on_both_backends!(affiliates_are_created_read_updated_listed_and_deleted);

async fn bad_affiliate_input_is_refused_naming_the_field(backend: Backend) {
    let api = Api::new(backend).await;
    let post = |body: Value| api.call(api.key(), Method::POST, "/v1/affiliates", Some(body));
    let cases = [
        (json!({ "code": "has space", "name": "x", "campaign_id": api.origin.seed.campaign_id }), 400, "code"),
        (json!({ "code": "ok", "name": "", "campaign_id": api.origin.seed.campaign_id }), 400, "name"),
        (json!({ "code": "ok", "name": "x", "campaign_id": "cmp_nope" }), 400, "campaign_id"),
        (json!({ "code": "ok", "name": "x", "campaign_id": api.origin.seed.campaign_id, "email": "nope" }), 400, "email"),
        (json!({ "code": "ok", "name": "x", "campaign_id": api.origin.seed.campaign_id, "commission_bps": 10001 }), 400, "commission_bps"),
        (json!({ "name": "x", "campaign_id": api.origin.seed.campaign_id }), 400, "code"),
        (json!({ "code": "demo", "name": "x", "campaign_id": api.origin.seed.campaign_id }), 409, "demo"),
    ];
    for (body, status, field) in cases {
        let (_, message) = refused(post(body.clone()).await, status).await;
        assert!(message.contains(field), "{body}: message {message:?} should name {field}");
    }
    let not_json = api
        .client
        .post(format!("{}/v1/affiliates", api.origin.url))
        .bearer_auth(api.key())
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(refused(not_json, 400).await.0, "invalid_request");
    assert_eq!(api.origin.count("affiliates").await, 1, "nothing stored but the seed");
}
on_both_backends!(bad_affiliate_input_is_refused_naming_the_field);

async fn keys_are_checked_and_read_only_keys_cannot_write(backend: Backend) {
    let api = Api::new(backend).await;
    let reader = api.origin.api_key(Scope::Read).await;
    let (code, _) = refused(api.call(&reader, Method::POST, "/v1/affiliates", Some(api.new_affiliate("r1"))).await, 403).await;
    assert_eq!(code, "forbidden");
    api.ok(&reader, Method::GET, "/v1/affiliates", None).await;
    let (code, _) = refused(api.call("prk_forged", Method::GET, "/v1/affiliates", None).await, 401).await;
    assert_eq!(code, "unauthorized");
    let anonymous = api.client.get(format!("{}/v1/affiliates", api.origin.url)).send().await.unwrap();
    assert_eq!(refused(anonymous, 401).await.0, "unauthorized");
}
on_both_backends!(keys_are_checked_and_read_only_keys_cannot_write);

async fn lists_page_by_keyset_without_gaps_or_repeats(backend: Backend) {
    let api = Api::new(backend).await;
    for i in 0..6 {
        api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate(&format!("p{i}")))).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/affiliates?limit=3&starting_after={c}"),
            None => "/v1/affiliates?limit=3".to_owned(),
        };
        let page = api.ok(api.key(), Method::GET, &path, None).await;
        let data = page["data"].as_array().unwrap();
        seen.extend(data.iter().map(|a| a["code"].as_str().unwrap().to_owned()));
        if page["has_more"] != true {
            break;
        }
        cursor = Some(data.last().unwrap()["id"].as_str().unwrap().to_owned());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len(), sorted.len()), (7, 7), "every affiliate once: {seen:?}");
    let (_, message) = refused(api.call(api.key(), Method::GET, "/v1/affiliates?limit=101", None).await, 400).await;
    assert!(message.contains("limit"), "{message}");
    let (_, message) = refused(api.call(api.key(), Method::GET, "/v1/affiliates?starting_after=aff_unknown", None).await, 400).await;
    assert!(message.contains("starting_after"), "{message}");
}
on_both_backends!(lists_page_by_keyset_without_gaps_or_repeats);

async fn another_merchants_key_reaches_none_of_this_merchants_objects(backend: Backend) {
    let api = Api::new(backend).await;
    let mine = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("mine"))).await;
    let id = mine["id"].as_str().unwrap();
    let (_, other_campaign, other) = api.origin.other_merchant().await;

    for (method, body) in [(Method::GET, None), (Method::PATCH, Some(json!({ "name": "stolen" }))), (Method::DELETE, None)] {
        let (code, _) = refused(api.call(&other, method.clone(), &format!("/v1/affiliates/{id}"), body).await, 404).await;
        assert_eq!(code, "not_found", "{method} of another merchant's affiliate");
    }
    let listed = api.ok(&other, Method::GET, "/v1/affiliates", None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let (_, message) = refused(api.call(&other, Method::GET, &format!("/v1/affiliates?starting_after={id}"), None).await, 400).await;
    assert!(message.contains("starting_after"));
    let steal = json!({ "code": "x", "name": "x", "campaign_id": api.origin.seed.campaign_id });
    assert_eq!(refused(api.call(&other, Method::POST, "/v1/affiliates", Some(steal)).await, 400).await.0, "invalid_request");
    // The same code may exist at two merchants.
    let same_code = json!({ "code": "mine", "name": "Theirs", "campaign_id": other_campaign });
    api.ok(&other, Method::POST, "/v1/affiliates", Some(same_code)).await;
    let conversions = api.ok(&other, Method::GET, "/v1/conversions", None).await;
    assert_eq!(conversions["data"].as_array().unwrap().len(), 0);
    let after = api.ok(api.key(), Method::GET, &format!("/v1/affiliates/{id}"), None).await;
    assert_eq!(after, mine, "untouched by the other merchant");
}
on_both_backends!(another_merchants_key_reaches_none_of_this_merchants_objects);

#[tokio::test]
async fn the_api_describes_itself() {
    let api = Api::new(Backend::Sqlite).await;
    let spec: Value = api.client.get(format!("{}/openapi.json", api.origin.url)).send().await.unwrap().json().await.unwrap();
    for path in [
        "/v1/affiliates",
        "/v1/affiliates/{id}",
        "/v1/conversions",
        "/v1/customers/{id}",
        "/v1/commission_adjustments",
        "/v1/payouts",
        "/v1/stripe_events/{id}/retry",
        "/v1/reconcile",
        "/v1/discount_mappings/{id}",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} missing from the spec");
    }
    let docs = api.client.get(format!("{}/docs", api.origin.url)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"), "interactive docs");
}
