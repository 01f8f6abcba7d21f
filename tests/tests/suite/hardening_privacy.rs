//! The buyer's personal data in raw Stripe events (issue 17, finding 5): redacted once an event
//! is applied, on erasure (also in events not applied: pending or parked), and by retention.

use payref_origin::storage::retention;
use payref_tests::origin::Backend;
use payref_tests::stripe;
use reqwest::Method;
use serde_json::json;

use crate::api::Api;
use crate::on_both_backends;

const DAY_MS: i64 = 86_400_000;

impl Api {
    /// Raw events of the demo merchant whose stored payload mentions `needle` (any case).
    async fn events_mentioning(&self, needle: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stripe_events WHERE LOWER(payload) LIKE $1")
            .bind(format!("%{}%", needle.to_lowercase()))
            .fetch_one(&self.origin.db.pool)
            .await
            .expect("reading events");
        n
    }
}

fn session_of(id: &str, email: &str) -> serde_json::Value {
    let mut s = stripe::paid_session(id, "demo", 2_000, 0, "usd");
    s["customer_details"] = json!({
        "email": email, "name": "Vic Tim", "phone": "+49 30 123456",
        "address": { "city": "Berlin", "country": "DE", "line1": "Hauptstr. 1", "postal_code": "10115" }
    });
    s
}

async fn raw_events_lose_the_buyers_data_when_applied_erased_or_expired(backend: Backend) {
    let api = Api::new(backend).await;
    api.origin.expect_unsettled_events();
    api.deliver(&stripe::event("evt_applied", "checkout.session.completed", session_of("cs_applied", "Victim@Example.com"))).await;
    api.origin.settled().await;
    assert_eq!(api.events_mentioning("cs_applied").await, 1, "the event is kept");
    for gone in ["victim@example.com", "Vic Tim", "Hauptstr", "+49 30"] {
        assert_eq!(api.events_mentioning(gone).await, 0, "{gone} is kept after the event was applied");
    }
    let conv = api.ok(api.key(), Method::GET, "/v1/conversions", None).await;
    assert_eq!(conv["data"][0]["amount"], 2_000, "applied before it was redacted");

    // An event payref cannot apply is parked as received, the buyer's data with it...
    let mut odd = session_of("cs_odd", "victim@example.com");
    odd["amount_total"] = json!("not a number");
    api.deliver(&stripe::event("evt_parked", "checkout.session.completed", odd)).await;
    api.origin.settled().await;
    assert_eq!(api.events_mentioning("victim@example.com").await, 1);
    // ...until the buyer is erased.
    let erased = api.ok(api.key(), Method::POST, "/v1/leads/erase", Some(json!({ "email": " VICTIM@example.com" }))).await;
    assert_eq!(erased["stripe_events_redacted"], 1, "{erased}");
    assert_eq!(api.events_mentioning("victim@example.com").await, 0);
    assert_eq!(api.events_mentioning("cs_odd").await, 1, "the event itself stays");

    // Another buyer's parked event, received long ago, is redacted by retention.
    let mut old = session_of("cs_old", "other@example.com");
    old["amount_total"] = json!(null);
    old["payment_status"] = json!(7);
    api.deliver(&stripe::event("evt_old", "checkout.session.completed", old)).await;
    api.origin.settled().await;
    sqlx::query("UPDATE stripe_events SET received_at = received_at - $1 WHERE event_id = 'evt_old'")
        .bind(40 * DAY_MS)
        .execute(&api.origin.db.pool)
        .await
        .expect("ageing the event");
    api.ok(api.key(), Method::PATCH, "/v1/merchant", Some(json!({ "retention_days": 30 }))).await;
    assert_eq!(api.events_mentioning("other@example.com").await, 1);
    let purged = retention::purge_expired(&api.origin.db.pool, payref_origin::now_ms()).await.expect("retention");
    assert_eq!(purged.iter().map(|p| p.stripe_events).sum::<u64>(), 1, "{purged:?}");
    assert_eq!(api.events_mentioning("other@example.com").await, 0);
    let trail = api.list("/v1/audit_events?limit=100").await;
    let purge = trail.iter().find(|e| e["action"] == "retention.purged").expect("the purge in the audit trail");
    assert_eq!(purge["detail"]["stripe_events_redacted"], 1, "{purge}");
}
on_both_backends!(raw_events_lose_the_buyers_data_when_applied_erased_or_expired);
