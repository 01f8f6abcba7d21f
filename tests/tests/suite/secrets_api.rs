//! Stripe secrets: set through the API, sealed at rest, never shown again, and never in clear
//! anywhere in the database — on SQLite (every file, WAL included) and PostgreSQL.

use payref_origin::domain::api_key::Scope;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::json;

use crate::api::{Api, WEBHOOK_SECRET, refused};
use crate::on_both_backends;

const STRIPE_KEY: &str = "rk_test_51SecretRestrictedKeyValue0000000000009876";
const NEW_WEBHOOK_SECRET: &str = "whsec_RotatedSigningSecret0123456789";

async fn stripe_secrets_are_sealed_and_never_shown(backend: Backend) {
    let api = Api::new(backend).await;
    let body = json!({ "secret_key": STRIPE_KEY, "webhook_secret": NEW_WEBHOOK_SECRET });
    let merchant = api.ok(api.key(), Method::POST, "/v1/merchant/stripe/test", Some(body)).await;
    let test = &merchant["stripe_connections"][0];
    assert_eq!(
        (test["livemode"].as_bool(), test["secret_key_hint"].as_str(), test["webhook_secret_set"].as_bool()),
        (Some(false), Some("rk_test_…9876"), Some(true))
    );
    assert!(!merchant.to_string().contains("RestrictedKeyValue") && !merchant.to_string().contains("RotatedSigning"));

    // The new signing secret is the one webhooks are checked with now.
    let session = payref_tests::stripe::paid_session("cs_sealed", "demo", 1_000, 0, "usd");
    let payload = payref_tests::stripe::event("evt_sealed", "checkout.session.completed", session).to_string();
    let url = format!("{}/v1/stripe/webhooks/{}/test", api.origin.url, api.origin.seed.merchant_id);
    let now = payref_tests::stripe::now_secs();
    let old = api
        .client
        .post(&url)
        .header("Stripe-Signature", payref_tests::stripe::signature_header(WEBHOOK_SECRET, now, &payload))
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 400, "the replaced secret no longer verifies");
    let new = api
        .client
        .post(&url)
        .header("Stripe-Signature", payref_tests::stripe::signature_header(NEW_WEBHOOK_SECRET, now, &payload))
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);

    let reader = api.origin.api_key(Scope::Read).await;
    let stored = api.origin.stored_text().await;
    assert!(stored.contains("Demo Shop") && stored.contains("rk_test_…9876"), "the scan sees the stored data");
    for secret in [STRIPE_KEY, NEW_WEBHOOK_SECRET, WEBHOOK_SECRET, api.key(), reader.as_str()] {
        assert!(!stored.contains(secret), "{secret} is stored in clear");
    }
    assert!(stored.contains("enc:v1:"), "the sealed form is what is stored");
}
on_both_backends!(stripe_secrets_are_sealed_and_never_shown);

async fn bad_stripe_secrets_are_refused(backend: Backend) {
    let api = Api::new(backend).await;
    let cases = [
        ("test", json!({}), 400, "secret_key"),
        ("test", json!({ "secret_key": "sk_live_51abc" }), 400, "secret_key"),
        ("live", json!({ "secret_key": "rk_test_51abc" }), 400, "secret_key"),
        ("test", json!({ "secret_key": "pk_test_51abc" }), 400, "secret_key"),
        ("test", json!({ "secret_key": "sk_test_51a b" }), 400, "secret_key"),
        ("test", json!({ "webhook_secret": "not-a-secret" }), 400, "webhook_secret"),
        ("sandbox", json!({ "webhook_secret": "whsec_x" }), 404, "mode"),
    ];
    for (mode, body, status, field) in cases {
        let (_, message) =
            refused(api.call(api.key(), Method::POST, &format!("/v1/merchant/stripe/{mode}"), Some(body.clone())).await, status).await;
        assert!(message.contains(field), "{mode} {body}: {message}");
    }
    let reader = api.origin.api_key(Scope::Read).await;
    let (code, _) =
        refused(api.call(&reader, Method::POST, "/v1/merchant/stripe/test", Some(json!({ "secret_key": STRIPE_KEY }))).await, 403).await;
    assert_eq!(code, "forbidden");
    let merchant = api.ok(api.key(), Method::GET, "/v1/merchant", None).await;
    assert_eq!(merchant["stripe_connections"][0]["secret_key_hint"], serde_json::Value::Null, "nothing stored by refused requests");

    let (_, _, other) = api.origin.other_merchant().await;
    api.ok(&other, Method::POST, "/v1/merchant/stripe/live", Some(json!({ "secret_key": "sk_live_51OtherMerchantsKey00000000001234" })))
        .await;
    let mine = api.ok(api.key(), Method::GET, "/v1/merchant", None).await;
    assert_eq!(mine["stripe_connections"].as_array().unwrap().len(), 1, "another merchant's connection is theirs alone: {mine}");
}
on_both_backends!(bad_stripe_secrets_are_refused);
