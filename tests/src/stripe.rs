//! Stripe's side of a webhook delivery: events in Stripe's shape, signed as Stripe signs them
//! (by the simulator's signer, deliberately separate from the origin's verification code).

use serde_json::{Value, json};

/// The `Stripe-Signature` header Stripe sends for `payload` at `timestamp` (unix seconds).
pub fn signature_header(secret: &str, timestamp: i64, payload: &str) -> String {
    payref_stripe_sim::webhooks::signature_header(&[secret.to_owned()], timestamp, payload)
}

/// Now in unix seconds.
pub fn now_secs() -> i64 {
    payref_origin::now_ms() / 1000
}

/// A completed, paid Checkout Session from a Payment Link, in Stripe's shape.
pub fn paid_session(id: &str, client_reference_id: &str, amount_total: i64, tax: i64, currency: &str) -> Value {
    json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": amount_total - tax,
        "amount_total": amount_total,
        "client_reference_id": client_reference_id,
        "created": now_secs(),
        "currency": currency,
        // One buyer per session, so sessions of a test do not share a customer's binding.
        "customer": format!("cus_{}", id.trim_start_matches("cs_")),
        "customer_details": { "email": "buyer@example.com", "name": "Test Buyer", "tax_exempt": "none" },
        "livemode": false,
        "metadata": {},
        "mode": "payment",
        "payment_intent": format!("pi_{}", id.trim_start_matches("cs_")),
        "payment_link": "plink_TestDemo0001",
        "payment_status": "paid",
        "status": "complete",
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": tax }
    })
}

/// A paid invoice of a subscription, in Stripe's shape at API version 2026-09-30 (taxes in
/// `total_taxes`). `billing_reason` is `subscription_create` for the first, `subscription_cycle`
/// for renewals.
pub fn paid_invoice(id: &str, customer: &str, amount_paid: i64, tax: i64, currency: &str, billing_reason: &str, paid_at: i64) -> Value {
    json!({
        "id": id,
        "object": "invoice",
        "amount_due": amount_paid,
        "amount_paid": amount_paid,
        "amount_remaining": 0,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": paid_at,
        "currency": currency,
        "customer": customer,
        "customer_email": "buyer@example.com",
        "livemode": false,
        "metadata": {},
        "parent": {
            "quote_details": null,
            "subscription_details": { "metadata": {}, "subscription": "sub_Test0001" },
            "type": "subscription_details"
        },
        "status": "paid",
        "status_transitions": { "finalized_at": paid_at, "marked_uncollectible_at": null, "paid_at": paid_at, "voided_at": null },
        "subtotal": amount_paid - tax,
        "total": amount_paid,
        "total_taxes": if tax > 0 {
            json!([{ "amount": tax, "tax_behavior": "exclusive", "tax_rate_details": null, "taxability_reason": "standard_rated", "taxable_amount": amount_paid - tax, "type": "tax_rate_details" }])
        } else {
            json!([])
        }
    })
}

/// A charge after refunds of `refunded` in all (Stripe reports the cumulative amount).
pub fn refunded_charge(id: &str, payment_intent: &str, amount: i64, refunded: i64, currency: &str) -> Value {
    json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": true,
        "created": now_secs(),
        "currency": currency,
        "customer": null,
        "disputed": false,
        "livemode": false,
        "metadata": {},
        "paid": true,
        "payment_intent": payment_intent,
        "refunded": refunded >= amount,
        "status": "succeeded"
    })
}

/// An event envelope around `object`, as Stripe delivers it.
pub fn event(id: &str, event_type: &str, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2026-09-30.clover",
        "created": now_secs(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type
    })
}
