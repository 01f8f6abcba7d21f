//! The buyer's personal data in a raw Stripe event, and its redaction.
//!
//! payref keeps every Stripe event it receives (redeliveries are recognised by id, and parked
//! events are retried from what was stored), but it needs the buyer's email only while an event
//! is applied (to match a lead, to spot self-referral). Once applied, or when the buyer is
//! erased, or when retention runs out, the fields below are set to `null` wherever they appear
//! in the event; ids, amounts, currencies, statuses, discounts and metadata stay, so the stored
//! event still parses and still shows what payref decided from it.

use serde_json::Value;

use crate::domain::lead::email_sha256;

/// Keys whose values are the buyer's personal data in any Stripe object payref receives
/// (Checkout Sessions, charges, invoices, customers, refunds, disputes).
const PERSONAL: [&str; 21] = [
    "email",
    "customer_email",
    "receipt_email",
    "phone",
    "customer_phone",
    "address",
    "customer_address",
    "shipping",
    "customer_shipping",
    "shipping_details",
    "shipping_address",
    "billing_details",
    "customer_details",
    "customer_name",
    "customer_tax_ids",
    "tax_ids",
    "collected_information",
    "custom_fields",
    "payment_method_details",
    "ip_address",
    "evidence",
];

/// Keys that are personal data on a customer object (elsewhere a `name` is a product's).
const PERSONAL_ON_CUSTOMER: [&str; 2] = ["name", "description"];

fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let customer = map.get("object").and_then(Value::as_str) == Some("customer");
            for (key, value) in map.iter_mut() {
                if PERSONAL.contains(&key.as_str()) || (customer && PERSONAL_ON_CUSTOMER.contains(&key.as_str())) {
                    if !value.is_null() {
                        *value = Value::Null;
                    }
                } else {
                    redact_value(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// The event with the buyer's personal data set to `null`; `None` when it is not JSON (an
/// event payref could not parse is kept as received until it is erased or expires).
pub fn redact_personal(payload: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(payload).ok()?;
    redact_value(&mut v);
    Some(v.to_string())
}

/// The sha256 (as leads store it) of every email address in the event's personal fields.
pub fn email_hashes(payload: &str) -> Vec<String> {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) if key.ends_with("email") && s.contains('@') => out.push(email_sha256(s)),
                        other => collect(other, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(payload) {
        collect(&v, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = r#"{"id":"evt_1","object":"event","data":{"object":{
        "id":"cs_1","object":"checkout.session","amount_total":2000,"currency":"usd","client_reference_id":"pr1-x-demo",
        "customer":"cus_1","customer_email":null,
        "customer_details":{"email":"Victim@Example.com","name":"Vic Tim","phone":"+4912345","address":{"city":"Berlin","line1":"Str. 1"}},
        "collected_information":{"shipping_details":{"name":"Vic Tim","address":{"line1":"Str. 1"}}},
        "metadata":{"payref_ref":"demo"},"line_items":[{"description":"T-shirt"}],
        "total_details":{"amount_discount":0,"breakdown":{"discounts":[{"discount":{"coupon":{"name":"SPRING"}}}]}}}}}"#;

    #[test]
    fn a_sessions_buyer_is_removed_and_what_payref_reads_is_kept() {
        let out = redact_personal(SESSION).unwrap();
        for gone in ["Victim", "Vic Tim", "+4912345", "Berlin", "Str. 1"] {
            assert!(!out.contains(gone), "{gone} is still in {out}");
        }
        for kept in ["cs_1", "2000", "usd", "pr1-x-demo", "cus_1", "payref_ref", "SPRING", "T-shirt"] {
            assert!(out.contains(kept), "{kept} was removed from {out}");
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        assert!(v["data"]["object"]["customer_details"].is_null());
    }

    #[test]
    fn a_customers_name_goes_and_a_products_stays() {
        let customer =
            r#"{"object":"customer","id":"cus_1","name":"Vic Tim","description":"VIP","email":"v@x.io","metadata":{"payref_ref":"demo"}}"#;
        let out = redact_personal(customer).unwrap();
        assert!(!out.contains("Vic Tim") && !out.contains("VIP") && !out.contains("v@x.io") && out.contains("payref_ref"), "{out}");
        let product = r#"{"object":"product","name":"Pro plan"}"#;
        assert!(redact_personal(product).unwrap().contains("Pro plan"));
    }

    #[test]
    fn redaction_is_idempotent_and_refuses_what_is_not_json() {
        let once = redact_personal(SESSION).unwrap();
        assert_eq!(redact_personal(&once).unwrap(), once);
        assert_eq!(redact_personal("{not json"), None);
    }

    #[test]
    fn finds_the_hash_of_every_email_it_would_remove() {
        let hashes = email_hashes(SESSION);
        assert_eq!(hashes, vec![email_sha256("victim@example.com")]);
        assert!(email_hashes(&redact_personal(SESSION).unwrap()).is_empty());
    }
}
