//! Clicks and leads from the edge: counted once per visitor, code and window, stored in
//! multi-row inserts, listed through the API, erased on request and purged by retention — on
//! SQLite and PostgreSQL.

use payref_origin::domain::lead::email_sha256;
use payref_origin::storage::retention;
use payref_shared::batch::ReceivedEvent;
use payref_shared::{ClientReferenceId, EdgeEvent, ReferralCode};
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, HOUR, click, click_id, ids, lead, refused};
use crate::on_both_backends;

async fn clicks_count_once_per_visitor_code_and_window(backend: Backend) {
    let api = Api::new(backend).await;
    let t = payref_origin::now_ms() - 48 * HOUR;
    let report = api
        .ingest(vec![
            click(1, "demo", Some("v1"), t),
            click(2, "demo", Some("v1"), t + HOUR),  // repeat of 1
            click(3, "other", Some("v1"), t + HOUR), // another code: counted (names no affiliate)
            click(4, "demo", Some("v2"), t + HOUR),  // another visitor: counted
            click(5, "demo", None, t + HOUR),        // no visitor hash: counted
            click(1, "demo", Some("v1"), t),         // repeated in the same batch
        ])
        .await;
    assert_eq!(
        (report["stored"].as_i64(), report["repeats"].as_i64(), report["duplicates"].as_i64()),
        (Some(4), Some(1), Some(1)),
        "{report}"
    );
    let report = api
        .ingest(vec![
            click(6, "demo", Some("v1"), t - HOUR),
            click(2, "demo", Some("v1"), t + HOUR),
            click(7, "demo", Some("v1"), t + 25 * HOUR),
        ])
        .await;
    assert_eq!(
        (report["stored"].as_i64(), report["repeats"].as_i64(), report["duplicates"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "an earlier arrival repeats the stored click; 25 hours later counts again: {report}"
    );

    let counted = api.list("/v1/clicks?limit=100").await;
    let expected: Vec<String> = [7, 5, 4, 3, 1].iter().map(|n| click_id(*n).to_text()).collect();
    assert_eq!(ids(&counted), expected, "newest first, repeats left out");
    let first = counted.iter().find(|c| c["id"] == click_id(1).to_text().as_str()).unwrap();
    assert_eq!(
        (first["code"].as_str(), first["device"].as_str(), first["utm"]["utm_source"].as_str()),
        (Some("demo"), Some("mobile"), Some("blog"))
    );
    assert!(first["affiliate_id"].as_str().unwrap().starts_with("aff_"));
    let other = counted.iter().find(|c| c["code"] == "other").unwrap();
    assert_eq!(other["affiliate_id"], Value::Null);
    let all = api.list("/v1/clicks?limit=100&include_repeats=true").await;
    assert_eq!(all.len(), 7);
    let repeat = all.iter().find(|c| c["id"] == click_id(2).to_text().as_str()).unwrap();
    assert_eq!(repeat["repeat_of"], click_id(1).to_text().as_str());
    let page = api.list(&format!("/v1/clicks?limit=2&starting_after={}", click_id(5).to_text())).await;
    assert_eq!(ids(&page), expected[2..4].to_vec());
    let ranged = api.list(&format!("/v1/clicks?created_gte={}&created_lt={}", t + 24 * HOUR, t + 26 * HOUR)).await;
    assert_eq!(ids(&ranged), vec![click_id(7).to_text()]);
}
on_both_backends!(clicks_count_once_per_visitor_code_and_window);

async fn a_full_batch_of_a_thousand_is_stored(backend: Backend) {
    let api = Api::new(backend).await;
    let t = payref_origin::now_ms();
    let events: Vec<ReceivedEvent> = (0..1_000).map(|n| click(n, "demo", Some(&format!("v{n}")), t)).collect();
    let report = api.ingest(events.clone()).await;
    assert_eq!(report["stored"], 1_000, "{report}");
    assert_eq!(api.ingest(events).await["duplicates"], 1_000);
    assert_eq!(api.origin.count("clicks").await, 1_000);
}
on_both_backends!(a_full_batch_of_a_thousand_is_stored);

async fn leads_keep_only_a_keyed_hash_and_can_be_erased(backend: Backend) {
    let api = Api::new(backend).await;
    let t = payref_origin::now_ms();
    let mut bad = lead(1, "x@example.com", t);
    if let EdgeEvent::Lead(l) = &mut bad.event {
        l.email_sha256 = "ann@example.com".into();
    }
    let report = api.ingest(vec![click(1, "demo", Some("v1"), t), lead(1, "Ann@Example.com", t), lead(1, "ann@example.com", t), bad]).await;
    assert_eq!((report["leads"].as_i64(), report["lead_duplicates"].as_i64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["rejected"][0]["index"], 3);
    api.ingest(vec![click(2, "demo", Some("v9"), t + 1), lead(2, "bob@example.com", t + 1)]).await;

    let (stored,): (String,) = sqlx::query_as("SELECT email_hmac FROM leads WHERE click_id = $1")
        .bind(click_id(1).to_text())
        .fetch_one(&api.origin.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, email_sha256("ann@example.com"), "never the bare hash");
    let leads = api.list("/v1/leads").await;
    assert_eq!(leads.len(), 2);
    assert_eq!(leads[1]["click_id"], click_id(1).to_text().as_str());
    assert!(leads[1]["affiliate_id"].as_str().unwrap().starts_with("aff_"));
    assert!(leads.iter().all(|l| l.get("email_hmac").is_none()));

    let reference = ClientReferenceId::new(click_id(1), ReferralCode::parse("demo").unwrap()).format();
    api.paid("evt_ann", &reference, 5_000, "usd").await;
    let erased = api.ok(api.key(), Method::POST, "/v1/leads/erase", Some(json!({ "email": " ANN@example.com" }))).await;
    assert_eq!((erased["leads_deleted"].as_i64(), erased["clicks_deleted"].as_i64()), (Some(1), Some(1)));
    assert_eq!(ids(&api.list("/v1/leads").await).len(), 1, "bob's lead stays");
    assert_eq!(ids(&api.list("/v1/clicks").await), vec![click_id(2).to_text()]);
    let conversion = &api.list("/v1/conversions").await[0];
    assert_eq!((conversion["click_id"].clone(), conversion["amount"].as_i64()), (Value::Null, Some(5_000)), "the sale stays, unlinked");
    let customer = &api.list("/v1/customers").await[0];
    assert_eq!(
        (customer["click_id"].clone(), customer["method"].as_str()),
        (Value::Null, Some("client_reference_id")),
        "so does the binding"
    );
    let trail = api.list(&format!("/v1/audit_events?object_id={}", erased["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["action"], "lead.erased");
    assert!(!trail[0].to_string().contains("ann"), "the audit trail holds no email: {}", trail[0]);
    let again = api.ok(api.key(), Method::POST, "/v1/leads/erase", Some(json!({ "email_sha256": email_sha256("ann@example.com") }))).await;
    assert_eq!(again["leads_deleted"], 0, "erasure is idempotent");

    for body in [
        json!({}),
        json!({ "email": "no-at-sign" }),
        json!({ "email_sha256": "ABC" }),
        json!({ "email": "a@b.c", "email_sha256": email_sha256("a@b.c") }),
    ] {
        let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/leads/erase", Some(body.clone())).await, 400).await;
        assert_eq!(code, "invalid_request");
        assert!(message.contains("email"), "{body}: {message}");
    }
}
on_both_backends!(leads_keep_only_a_keyed_hash_and_can_be_erased);

async fn retention_purges_old_clicks_and_leads(backend: Backend) {
    let api = Api::new(backend).await;
    let now = payref_origin::now_ms();
    let day = 24 * HOUR;
    api.ingest(vec![
        click(1, "demo", Some("a"), now - 31 * day),
        lead(1, "old@example.com", now - 31 * day),
        click(2, "demo", Some("b"), now - 29 * day),
    ])
    .await;
    assert!(retention::purge_expired(&api.origin.db.pool, now).await.unwrap().is_empty(), "no retention set: kept");
    let merchant = api.ok(api.key(), Method::PATCH, "/v1/merchant", Some(json!({ "retention_days": 30 }))).await;
    assert_eq!(merchant["retention_days"], 30);
    let purged = retention::purge_expired(&api.origin.db.pool, now).await.unwrap();
    assert_eq!((purged[0].clicks, purged[0].leads), (1, 1));
    assert_eq!(ids(&api.list("/v1/clicks").await), vec![click_id(2).to_text()]);
    assert!(api.list("/v1/leads").await.is_empty());
    let trail = api.list("/v1/audit_events").await;
    assert_eq!((trail[0]["action"].as_str(), trail[0]["actor"].as_str()), (Some("retention.purged"), Some("system:retention")));
    assert!(retention::purge_expired(&api.origin.db.pool, now).await.unwrap().is_empty(), "idempotent");

    let cleared = api.ok(api.key(), Method::PATCH, "/v1/merchant", Some(json!({ "retention_days": null }))).await;
    assert_eq!(cleared["retention_days"], Value::Null);
    for bad in [json!({ "retention_days": 0 }), json!({ "retention_days": 4_000 })] {
        let (_, message) = refused(api.call(api.key(), Method::PATCH, "/v1/merchant", Some(bad)).await, 400).await;
        assert!(message.contains("retention_days"), "{message}");
    }
    let reader = api.origin.api_key(payref_origin::domain::api_key::Scope::Read).await;
    assert_eq!(
        refused(api.call(&reader, Method::PATCH, "/v1/merchant", Some(json!({ "retention_days": 5 }))).await, 403).await.0,
        "forbidden"
    );
}
on_both_backends!(retention_purges_old_clicks_and_leads);

async fn another_merchant_sees_and_erases_none_of_these(backend: Backend) {
    let api = Api::new(backend).await;
    let t = payref_origin::now_ms();
    api.ingest(vec![click(1, "demo", Some("v"), t), lead(1, "ann@example.com", t)]).await;
    let (_, _, other) = api.origin.other_merchant().await;
    assert_eq!(api.ok(&other, Method::GET, "/v1/clicks", None).await["data"], json!([]));
    assert_eq!(api.ok(&other, Method::GET, "/v1/leads", None).await["data"], json!([]));
    let (code, _) =
        refused(api.call(&other, Method::GET, &format!("/v1/clicks?starting_after={}", click_id(1).to_text()), None).await, 400).await;
    assert_eq!(code, "invalid_request");
    let erased = api.ok(&other, Method::POST, "/v1/leads/erase", Some(json!({ "email": "ann@example.com" }))).await;
    assert_eq!((erased["leads_deleted"].as_i64(), erased["clicks_deleted"].as_i64()), (Some(0), Some(0)));
    assert_eq!(api.list("/v1/leads").await.len(), 1, "untouched");
    assert_eq!(api.ok(&other, Method::GET, "/v1/merchant", None).await["name"], "Other Shop");
}
on_both_backends!(another_merchant_sees_and_erases_none_of_these);
