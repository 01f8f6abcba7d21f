//! The Stripe event queue: webhooks acknowledged at once and applied by the worker, events
//! listed with their state, unparseable ones parked and retried through the API, and claims
//! that never hand one event to two workers.

use std::collections::HashSet;

use payref_origin::domain::api_key::Scope;
use payref_origin::storage::stripe_events::{self, RawEvent};
use payref_tests::origin::Backend;
use payref_tests::stripe;
use reqwest::Method;
use serde_json::json;

use crate::api::{Api, refused};
use crate::on_both_backends;

async fn events_are_acknowledged_then_applied_once(backend: Backend) {
    let api = Api::new(backend).await;
    let session = stripe::paid_session("cs_queue_1", "demo", 2_000, 0, "usd");
    let event = stripe::event("evt_queue_1", "checkout.session.completed", session);
    assert_eq!(api.deliver(&event).await, json!({ "received": true, "duplicate": false }));
    api.origin.settled().await;
    assert_eq!(api.deliver(&event).await, json!({ "received": true, "duplicate": true }), "Stripe's retry changes nothing");
    api.origin.settled().await;
    assert_eq!(api.origin.count("conversions").await, 1);

    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_queue_1", None).await;
    assert_eq!(
        (got["status"].as_str(), got["outcome"].as_str(), got["type"].as_str(), got["attempts"].as_i64()),
        (Some("processed"), Some("attributed"), Some("checkout.session.completed"), Some(1)),
        "{got}"
    );
    let other = stripe::event("evt_queue_2", "customer.source.expiring", json!({ "id": "card_1", "object": "card" }));
    api.deliver(&other).await;
    api.origin.settled().await;
    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_queue_2", None).await;
    assert_eq!(got["outcome"], "ignored: payref does not use customer.source.expiring");

    let list = api.ok(api.key(), Method::GET, "/v1/stripe_events?status=processed&limit=1", None).await;
    assert_eq!((list["data"][0]["id"].as_str(), list["has_more"].as_bool()), (Some("evt_queue_2"), Some(true)));
    let next = api.ok(api.key(), Method::GET, "/v1/stripe_events?status=processed&starting_after=evt_queue_2", None).await;
    assert_eq!(next["data"][0]["id"], "evt_queue_1");
    let live = api.ok(api.key(), Method::GET, "/v1/stripe_events?livemode=true", None).await;
    assert_eq!(live["data"], json!([]), "test events never show as live");
}
on_both_backends!(events_are_acknowledged_then_applied_once);

async fn unparseable_events_are_parked_kept_and_retried(backend: Backend) {
    let api = Api::new(backend).await;
    api.origin.expect_unsettled_events();
    // A session payref cannot read (a newer shape, or a bug): kept, parked, not retried blindly.
    let bad = stripe::event("evt_odd", "checkout.session.completed", json!({ "id": 42, "object": "checkout.session" }));
    api.deliver(&bad).await;
    api.origin.settled().await;
    let parked = api.ok(api.key(), Method::GET, "/v1/stripe_events?status=parked", None).await;
    let e = &parked["data"][0];
    assert_eq!((e["id"].as_str(), e["status"].as_str(), e["attempts"].as_i64()), (Some("evt_odd"), Some("parked"), Some(1)), "{parked}");
    assert!(e["last_error"].as_str().unwrap().starts_with("unparseable: checkout session"), "{e}");
    assert!(api.origin.stored_text().await.contains("evt_odd"), "the raw event is kept");

    let reader = api.origin.api_key(Scope::Read).await;
    assert_eq!(refused(api.call(&reader, Method::POST, "/v1/stripe_events/evt_odd/retry", None).await, 403).await.0, "forbidden");
    let again = api.ok(api.key(), Method::POST, "/v1/stripe_events/evt_odd/retry", None).await;
    assert_eq!((again["status"].as_str(), again["attempts"].as_i64()), (Some("pending"), Some(0)), "{again}");
    api.origin.settled().await;
    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_odd", None).await;
    assert_eq!((got["status"].as_str(), got["attempts"].as_i64()), (Some("parked"), Some(1)), "still unreadable: parked again");

    api.paid("evt_fine", "demo", 1_000, "usd").await;
    let (code, message) = refused(api.call(api.key(), Method::POST, "/v1/stripe_events/evt_fine/retry", None).await, 409).await;
    assert_eq!(code, "invalid_status");
    assert!(message.contains("processed"), "{message}");
    assert_eq!(refused(api.call(api.key(), Method::POST, "/v1/stripe_events/evt_none/retry", None).await, 404).await.0, "not_found");
    assert_eq!(refused(api.call(api.key(), Method::GET, "/v1/stripe_events?status=lost", None).await, 400).await.0, "invalid_request");

    // Another merchant sees none of it.
    let (_, _, other) = api.origin.other_merchant().await;
    assert_eq!(refused(api.call(&other, Method::GET, "/v1/stripe_events/evt_odd", None).await, 404).await.0, "not_found");
    assert_eq!(refused(api.call(&other, Method::POST, "/v1/stripe_events/evt_odd/retry", None).await, 404).await.0, "not_found");
    assert_eq!(api.ok(&other, Method::GET, "/v1/stripe_events?status=parked", None).await["data"], json!([]));
}
on_both_backends!(unparseable_events_are_parked_kept_and_retried);

async fn concurrent_claims_never_share_an_event(backend: Backend) {
    let api = Api::new(backend).await;
    let db = &api.origin.db;
    let merchant = api.origin.seed.merchant_id.clone();
    // Far in the past relative to the claims below, and never due for the running worker.
    let stored_at = i64::MAX / 4;
    for i in 0..120 {
        let id = format!("evt_claim_{i:03}");
        let raw = RawEvent { merchant_id: &merchant, event_id: &id, livemode: false, event_type: "test.claim", payload: "{}" };
        assert!(stripe_events::insert_event(&db.pool, &raw, stored_at).await.unwrap());
    }
    let now = stored_at + 1;
    let claimers = (0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = stripe_events::claim_due(&db, now, 60_000, 7).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|c| c.event_id));
            }
        })
    });
    let mut seen = HashSet::new();
    let mut total = 0;
    for claimer in claimers {
        for id in claimer.await.unwrap() {
            total += 1;
            assert!(seen.insert(id.clone()), "{id} was claimed twice");
        }
    }
    assert_eq!((total, seen.len()), (120, 120));
    assert!(stripe_events::claim_due(db, now + 59_999, 60_000, 200).await.unwrap().is_empty(), "leases still held");
    // A worker that died holding a lease: the event is claimable again once it runs out.
    let reclaimed = stripe_events::claim_due(db, now + 60_000, 60_000, 200).await.unwrap();
    assert_eq!(reclaimed.len(), 120);
    assert!(reclaimed.iter().all(|c| c.attempts == 2), "each claim counts an attempt");
}
on_both_backends!(concurrent_claims_never_share_an_event);
