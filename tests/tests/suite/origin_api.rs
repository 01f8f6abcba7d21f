//! Every origin endpoint answers bad input with a clear 4xx JSON error and stores nothing.

use payref_shared::batch::{EventBatch, ReceivedEvent};
use payref_shared::{ClickEvent, ClickId, EdgeEvent, ReferralCode, SiteKey, signature};
use payref_tests::origin::{Backend, EDGE_SECRET, TestOrigin};
use payref_tests::stripe;
use reqwest::{Client, Response};
use serde_json::Value;

const SECRET: &str = "whsec_api_secret";

async fn error_code(resp: Response, status: u16) -> String {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let body: Value = resp.json().await.expect("a JSON error body");
    let message = body["error"]["message"].as_str().expect("error.message");
    assert!(!message.is_empty());
    body["error"]["code"].as_str().expect("error.code").to_owned()
}

fn click_batch(site: &str, click: u8) -> String {
    EventBatch {
        sent_at_ms: payref_origin::now_ms(),
        events: vec![ReceivedEvent {
            received_at_ms: payref_origin::now_ms(),
            country: Some("FR".into()),
            visitor: None,
            device: None,
            event: EdgeEvent::Click(ClickEvent {
                site: SiteKey::parse(site).unwrap(),
                code: ReferralCode::parse("demo").unwrap(),
                click_id: ClickId::from_bytes([click; 16]),
                landing_url: "https://shop.test/?ref=demo".into(),
                referrer: String::new(),
                utm: vec![],
            }),
        }],
    }
    .to_json()
}

async fn ingest(origin: &TestOrigin, body: &str, secret: &str) -> Response {
    let sig = signature::sign(secret.as_bytes(), payref_origin::now_ms(), body.as_bytes());
    Client::new()
        .post(format!("{}/v1/ingest/events", origin.url))
        .header(signature::HEADER, sig)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn ingest_refuses_unsigned_forged_malformed_and_oversized_batches() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let url = format!("{}/v1/ingest/events", origin.url);
    let unsigned = Client::new().post(&url).body(click_batch("site_demo", 1)).send().await.unwrap();
    assert_eq!(error_code(unsigned, 400).await, "missing_signature");
    assert_eq!(error_code(ingest(&origin, &click_batch("site_demo", 1), "wrong").await, 400).await, "bad_signature");
    assert_eq!(error_code(ingest(&origin, "{not json", EDGE_SECRET).await, 400).await, "invalid_batch");
    let huge = "x".repeat(8 * 1024 * 1024 + 1);
    assert_eq!(error_code(ingest(&origin, &huge, EDGE_SECRET).await, 413).await, "payload_too_large");
    assert_eq!(origin.count("clicks").await, 0);
}

#[tokio::test]
async fn ingest_is_idempotent_by_click_and_rejects_unknown_sites() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    for expected_stored in [1, 0] {
        let report: Value = ingest(&origin, &click_batch("site_demo", 7), EDGE_SECRET).await.json().await.unwrap();
        assert_eq!(report["stored"], expected_stored, "{report}");
    }
    let report: Value = ingest(&origin, &click_batch("site_unknown", 8), EDGE_SECRET).await.json().await.unwrap();
    assert_eq!(report["rejected"][0]["reason"], "unknown site", "{report}");
    assert_eq!(origin.count("clicks").await, 1);
}

async fn deliver(origin: &TestOrigin, merchant: &str, mode: &str, payload: &str, sig: Option<String>) -> Response {
    let mut req = Client::new().post(format!("{}/v1/stripe/webhooks/{merchant}/{mode}", origin.url)).body(payload.to_owned());
    if let Some(sig) = sig {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn webhooks_refuse_unknown_endpoints_bad_signatures_and_bad_events() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let m = origin.seed.merchant_id.clone();
    let session = stripe::paid_session("cs_test_bad", "demo", 1000, 0, "usd");
    let good = stripe::event("evt_bad", "checkout.session.completed", session).to_string();
    let sign = |p: &str| Some(stripe::signature_header(SECRET, stripe::now_secs(), p));

    assert_eq!(error_code(deliver(&origin, "mer_nobody", "test", &good, sign(&good)).await, 404).await, "not_found");
    assert_eq!(error_code(deliver(&origin, &m, "live", &good, sign(&good)).await, 404).await, "not_found", "no live connection");
    assert_eq!(error_code(deliver(&origin, &m, "prod", &good, sign(&good)).await, 404).await, "not_found");
    assert_eq!(error_code(deliver(&origin, &m, "test", &good, None).await, 400).await, "missing_signature");
    let forged = Some(stripe::signature_header("whsec_other", stripe::now_secs(), &good));
    assert_eq!(error_code(deliver(&origin, &m, "test", &good, forged).await, 400).await, "bad_signature");
    let stale = Some(stripe::signature_header(SECRET, stripe::now_secs() - 301, &good));
    assert_eq!(error_code(deliver(&origin, &m, "test", &good, stale).await, 400).await, "bad_signature");
    let junk = "{\"id\": 5";
    assert_eq!(error_code(deliver(&origin, &m, "test", junk, sign(junk)).await, 400).await, "invalid_event");
    let live = good.replace("\"livemode\":false", "\"livemode\":true");
    assert_eq!(error_code(deliver(&origin, &m, "test", &live, sign(&live)).await, 400).await, "livemode_mismatch");
    let huge = "x".repeat(1024 * 1024 + 1);
    assert_eq!(error_code(deliver(&origin, &m, "test", &huge, sign(&huge)).await, 413).await, "payload_too_large");

    assert_eq!(origin.count("stripe_events").await, 0);
    assert_eq!(origin.count("conversions").await, 0);
}

#[tokio::test]
async fn a_bare_code_counts_only_when_it_names_an_affiliate() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let m = origin.seed.merchant_id.clone();
    for (event, reference) in [("evt_known", "demo"), ("evt_unknown", "nobody")] {
        let session = stripe::paid_session(&format!("cs_{event}"), reference, 1000, 0, "usd");
        let payload = stripe::event(event, "checkout.session.completed", session).to_string();
        let sig = Some(stripe::signature_header(SECRET, stripe::now_secs(), &payload));
        assert_eq!(deliver(&origin, &m, "test", &payload, sig).await.status(), 200);
    }
    origin.settled().await;
    assert_eq!(origin.count("stripe_events").await, 2, "both events are kept");
    assert_eq!(origin.count("conversions").await, 1, "only the affiliate's code converts");
}

#[tokio::test]
async fn merchant_api_requires_a_valid_key_and_valid_parameters() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let url = format!("{}/v1/conversions", origin.url);
    let client = Client::new();
    assert_eq!(error_code(client.get(&url).send().await.unwrap(), 401).await, "unauthorized");
    assert_eq!(error_code(client.get(&url).bearer_auth("prk_fake").send().await.unwrap(), 401).await, "unauthorized");
    let bad = client.get(format!("{url}?limit=0")).bearer_auth(&origin.seed.api_key).send().await.unwrap();
    assert_eq!(error_code(bad, 400).await, "invalid_request");
    let bad = client.get(format!("{url}?livemode=maybe")).bearer_auth(&origin.seed.api_key).send().await.unwrap();
    assert_eq!(error_code(bad, 400).await, "invalid_request");
    let ok = client.get(&url).bearer_auth(&origin.seed.api_key).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_envelope() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    let client = Client::new();
    let missing = client.get(format!("{}/v1/nothing", origin.url)).send().await.unwrap();
    assert_eq!(error_code(missing, 404).await, "not_found");
    let wrong = client.get(format!("{}/v1/ingest/events", origin.url)).send().await.unwrap();
    assert_eq!(error_code(wrong, 405).await, "method_not_allowed");
}

async fn metrics_text(origin: &TestOrigin, token: Option<&str>) -> (u16, String) {
    let mut req = Client::new().get(format!("{}/metrics", origin.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_requests_and_ingested_events() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).start().await;
    ingest(&origin, &click_batch("site_demo", 11), EDGE_SECRET).await;
    ingest(&origin, &click_batch("site_demo", 11), EDGE_SECRET).await;
    Client::new().get(format!("{}/v1/nowhere", origin.url)).send().await.unwrap();
    let (status, text) = metrics_text(&origin, None).await;
    assert_eq!(status, 200);
    assert!(text.contains("payref_ingest_events_total{outcome=\"stored\"} 1\n"), "{text}");
    assert!(text.contains("payref_ingest_events_total{outcome=\"duplicate\"} 1\n"), "{text}");
    assert!(text.contains("payref_http_requests_total{status=\"4xx\"} 1\n"), "{text}");
    let ok_count: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("payref_http_requests_total{status=\"2xx\"} "))
        .and_then(|n| n.parse().ok())
        .expect("a 2xx counter");
    assert!(ok_count >= 3, "two ingests and the start-up health check: {text}");
    assert!(text.contains("# TYPE payref_http_request_duration_seconds histogram"));
    // Without a token, what a proxy forwarded is not local, whoever sent it.
    for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
        let resp = Client::new().get(format!("{}/metrics", origin.url)).header(header, "203.0.113.9").send().await.unwrap();
        assert_eq!(error_code(resp, 403).await, "forbidden", "{header}");
    }
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret(SECRET).metrics_token("scrape-me").start().await;
    assert_eq!(metrics_text(&origin, None).await.0, 401);
    assert_eq!(metrics_text(&origin, Some("scrape-mf")).await.0, 401);
    assert_eq!(metrics_text(&origin, Some("scrape-me-too")).await.0, 401);
    let (status, text) = metrics_text(&origin, Some("scrape-me")).await;
    assert_eq!(status, 200);
    assert!(text.contains("payref_http_requests_total{status=\"4xx\"} 3\n"), "the refusals were counted: {text}");
}
