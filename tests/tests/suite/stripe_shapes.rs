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
