//! Helpers for the merchant API tests: a client bound to a test origin, and one test per backend.

use payref_origin::domain::lead::email_sha256;
use payref_shared::batch::{EventBatch, ReceivedEvent};
use payref_shared::{ClickEvent, ClickId, EdgeEvent, LeadEvent, ReferralCode, SiteKey, signature};
use payref_tests::origin::{Backend, EDGE_SECRET, SITE_KEY, TestOrigin};
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

/// The webhook signing secret of the API tests' origins.
pub const WEBHOOK_SECRET: &str = "whsec_api";

/// Runs `$body(backend)` as one test per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    };
}

/// A test origin and a client for its merchant API.
pub struct Api {
    pub origin: TestOrigin,
    pub client: Client,
}

impl Api {
    pub async fn new(backend: Backend) -> Self {
        Self { origin: TestOrigin::builder(backend).webhook_secret(WEBHOOK_SECRET).start().await, client: Client::new() }
    }

    pub async fn call(&self, key: &str, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.origin.url)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn ok(&self, key: &str, method: Method, path: &str, body: Option<Value>) -> Value {
        let resp = self.call(key, method.clone(), path, body).await;
        let status = resp.status();
        let value: Value = resp.json().await.expect("JSON");
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }

    pub fn key(&self) -> &str {
        &self.origin.seed.api_key
    }

    pub fn new_affiliate(&self, code: &str) -> Value {
        json!({ "code": code, "name": format!("Affiliate {code}"), "campaign_id": self.origin.seed.campaign_id, "email": "A@Example.com" })
    }
}

/// Asserts the status; returns the error code and message.
pub async fn refused(resp: Response, status: u16) -> (String, String) {
    assert_eq!(resp.status().as_u16(), status);
    let body: Value = resp.json().await.expect("JSON error");
    (body["error"]["code"].as_str().unwrap().to_owned(), body["error"]["message"].as_str().unwrap().to_owned())
}

impl Api {
    /// Delivers a Stripe-signed checkout.session.completed for `reference` and `amount`.
    pub async fn paid(&self, event: &str, reference: &str, amount: i64, currency: &str) {
        let session = payref_tests::stripe::paid_session(&format!("cs_{event}"), reference, amount, 0, currency);
        self.deliver(&payref_tests::stripe::event(event, "checkout.session.completed", session)).await;
        self.origin.settled().await;
    }

    /// Delivers `event` to the test-mode webhook, signed as Stripe signs; returns the answer.
    pub async fn deliver(&self, event: &Value) -> Value {
        let payload = event.to_string();
        let header = payref_tests::stripe::signature_header(WEBHOOK_SECRET, payref_tests::stripe::now_secs(), &payload);
        let url = format!("{}/v1/stripe/webhooks/{}/test", self.origin.url, self.origin.seed.merchant_id);
        let resp = self.client.post(url).header("Stripe-Signature", header).body(payload).send().await.expect("webhook");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("webhook answer")
    }
}

// Edge events, as the edge forwards them.

pub const HOUR: i64 = 3_600_000;

pub fn click(n: u32, code: &str, visitor: Option<&str>, at: i64) -> ReceivedEvent {
    ReceivedEvent {
        received_at_ms: at,
        country: Some("DE".into()),
        visitor: visitor.map(str::to_owned),
        device: Some("mobile".into()),
        event: EdgeEvent::Click(ClickEvent {
            site: SiteKey::parse(SITE_KEY).unwrap(),
            code: ReferralCode::parse(code).unwrap(),
            click_id: click_id(n),
            landing_url: format!("https://shop.example.com/?ref={code}"),
            referrer: "https://blog.example/".into(),
            utm: vec![("utm_source".into(), "blog".into())],
        }),
    }
}

pub fn click_id(n: u32) -> ClickId {
    let mut bytes = [7u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    ClickId::from_bytes(bytes)
}

pub fn lead(n: u32, email: &str, at: i64) -> ReceivedEvent {
    let event =
        EdgeEvent::Lead(LeadEvent { site: SiteKey::parse(SITE_KEY).unwrap(), click_id: click_id(n), email_sha256: email_sha256(email) });
    ReceivedEvent { received_at_ms: at, country: None, visitor: None, device: None, event }
}

impl Api {
    pub async fn ingest(&self, events: Vec<ReceivedEvent>) -> Value {
        let body = EventBatch { sent_at_ms: payref_origin::now_ms(), events }.to_json();
        let sig = signature::sign(EDGE_SECRET.as_bytes(), payref_origin::now_ms(), body.as_bytes());
        let url = format!("{}/v1/ingest/events", self.origin.url);
        let resp = self.client.post(url).header(signature::HEADER, sig).body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn list(&self, path: &str) -> Vec<Value> {
        self.ok(self.key(), Method::GET, path, None).await["data"].as_array().unwrap().clone()
    }
}

pub fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}
