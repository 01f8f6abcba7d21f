//! Stripe's own example objects parse with the shapes the origin reads.

use payref_origin::stripe::event::{CheckoutSession, Event};
use payref_tests::required_env;
use serde_json::{Value, json};

fn fixtures() -> Value {
    let path = required_env("PAYREF_STRIPE_FIXTURES");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).expect("fixtures3.json is JSON")
}

#[test]
fn stripes_example_checkout_session_and_event_parse() {
    let resources = &fixtures()["resources"];
    let session: CheckoutSession = serde_json::from_value(resources["checkout.session"].clone()).expect("Stripe's checkout.session parses");
    assert!(session.id.starts_with("cs_"));
    assert_eq!(session.payment_status, "unpaid");
    assert_eq!(session.tax_and_shipping().0, resources["checkout.session"]["total_details"]["amount_tax"].as_i64().unwrap());
    let event: Event = serde_json::from_value(resources["event"].clone()).expect("Stripe's event parses");
    assert!(event.id.starts_with("evt_"));
    let wrapped = json!({ "id": "evt_x", "type": "checkout.session.completed", "livemode": false,
        "data": { "object": resources["checkout.session"].clone() } });
    let event: Event = serde_json::from_value(wrapped).unwrap();
    serde_json::from_value::<CheckoutSession>(event.data.object).expect("session inside an event");
}

/// Every object of the relevant types in Stripe's own examples, wrapped in a signed event of each
/// type that carries it, is accepted (200, stored) and never parked as unparseable: the types
/// payref applies are parsed and processed; the others are stored and marked ignored until
/// payref applies them (this test then parses them too).
#[tokio::test]
async fn every_relevant_fixture_object_is_accepted_in_a_signed_event() {
    let resources = fixtures()["resources"].clone();
    let kinds: &[(&str, &[&str])] = &[
        (
            "checkout.session",
            &["checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed"],
        ),
        ("invoice", &["invoice.paid"]),
        ("charge", &["charge.refunded"]),
        ("dispute", &["charge.dispute.created", "charge.dispute.closed"]),
        ("customer", &["customer.created", "customer.updated"]),
        ("subscription", &["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"]),
        ("promotion_code", &["promotion_code.updated"]),
        ("refund", &["refund.failed"]),
    ];
    let api = crate::api::Api::new(payref_tests::origin::Backend::Sqlite).await;
    let mut delivered = 0;
    for (kind, event_types) in kinds {
        let mut object = resources.get(*kind).cloned().unwrap_or_else(|| panic!("fixtures3.json has no {kind}"));
        // The endpoint is test mode; Stripe's examples are too, but say so explicitly.
        if object.get("livemode").is_some() {
            object["livemode"] = json!(false);
        }
        for (i, event_type) in event_types.iter().enumerate() {
            let id = format!("evt_fixture_{}_{i}", kind.replace('.', "_"));
            let answer = api.deliver(&payref_tests::stripe::event(&id, event_type, object.clone())).await;
            assert_eq!(answer["duplicate"], false, "{id}");
            delivered += 1;
        }
    }
    api.origin.settled().await;
    let events = api.list("/v1/stripe_events?limit=100").await;
    assert_eq!(events.len(), delivered);
    for e in &events {
        let error = e["last_error"].as_str().unwrap_or_default();
        assert!(!error.starts_with("unparseable"), "{} ({}) could not be read: {error}", e["id"], e["type"]);
    }
}
