//! Stripe's objects, in their shapes at API version 2026-09-30 (what async-stripe 1.0.0-rc.10
//! is generated for). Written for payref from Stripe's documentation and example objects; every
//! field async-stripe requires is present, and optional ones Stripe always sends are too.

use rand::Rng;
use serde_json::{Value, json};

/// The API version the simulator speaks and stamps on events.
pub const API_VERSION: &str = "2026-09-30.clover";

/// A Stripe-style id: `prefix_` then `len` random base-62 characters.
pub fn id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let tail: String = (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}_{tail}")
}

fn address() -> Value {
    json!({ "city": null, "country": "US", "line1": null, "line2": null, "postal_code": "94103", "state": null })
}

/// A customer.
pub fn customer(id: &str, livemode: bool, created: i64, email: Option<&str>, name: Option<&str>, metadata: Value) -> Value {
    json!({
        "id": id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": created,
        "currency": null,
        "customer_account": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": email,
        "invoice_prefix": id.trim_start_matches("cus_").chars().take(8).collect::<String>().to_uppercase(),
        "invoice_settings": { "custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null },
        "livemode": livemode,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null
    })
}

/// What a payment was for and what it came to.
#[derive(Debug, Clone)]
pub struct Amounts {
    /// Charged in all, minor units.
    pub total: i64,
    /// Tax in the total.
    pub tax: i64,
    /// Shipping in the total.
    pub shipping: i64,
    /// Discount taken off before the total.
    pub discount: i64,
    /// Lowercase ISO currency.
    pub currency: String,
}

/// A PaymentIntent that succeeded.
pub fn payment_intent(id: &str, livemode: bool, created: i64, amount: i64, currency: &str, customer: Option<&str>, charge: &str) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic",
        "client_secret": format!("{id}_secret_{}", id.len()),
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": null,
        "last_payment_error": null,
        "latest_charge": charge,
        "livemode": livemode,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_types": ["card"],
        "processing": null,
        "receipt_email": null,
        "setup_future_usage": null,
        "shipping": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null
    })
}

/// A captured card charge.
#[allow(clippy::too_many_arguments)]
pub fn charge(
    id: &str,
    livemode: bool,
    created: i64,
    amount: i64,
    currency: &str,
    customer: Option<&str>,
    payment_intent: &str,
    email: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": { "address": address(), "email": email, "name": null, "phone": null, "tax_id": null },
        "calculated_statement_descriptor": "PAYREF DEMO",
        "captured": true,
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": null,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "fraud_details": {},
        "livemode": livemode,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": null,
        "paid": true,
        "payment_intent": payment_intent,
        "payment_method": null,
        "receipt_email": email,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": false,
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null
    })
}

/// A refund of part or all of a charge.
pub fn refund(id: &str, created: i64, amount: i64, currency: &str, charge: &str, payment_intent: &str, status: &str) -> Value {
    json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": null,
        "charge": charge,
        "created": created,
        "currency": currency,
        "destination_details": { "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" }, "type": "card" },
        "failure_reason": if status == "failed" { json!("lost_or_stolen_card") } else { Value::Null },
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "requested_by_customer",
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": status,
        "transfer_reversal": null
    })
}

/// A dispute of a charge.
#[allow(clippy::too_many_arguments)]
pub fn dispute(
    id: &str,
    livemode: bool,
    created: i64,
    amount: i64,
    currency: &str,
    charge: &str,
    payment_intent: &str,
    status: &str,
) -> Value {
    json!({
        "id": id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge,
        "created": created,
        "currency": currency,
        "enhanced_eligibility_types": [],
        "evidence": {
            "access_activity_log": null, "billing_address": null, "cancellation_policy": null, "cancellation_policy_disclosure": null,
            "cancellation_rebuttal": null, "customer_communication": null, "customer_email_address": null, "customer_name": null,
            "customer_purchase_ip": null, "customer_signature": null, "duplicate_charge_documentation": null,
            "duplicate_charge_explanation": null, "duplicate_charge_id": null, "enhanced_evidence": {}, "product_description": null,
            "receipt": null, "refund_policy": null, "refund_policy_disclosure": null, "refund_refusal_explanation": null,
            "service_date": null, "service_documentation": null, "shipping_address": null, "shipping_carrier": null,
            "shipping_date": null, "shipping_documentation": null, "shipping_tracking_number": null, "uncategorized_file": null,
            "uncategorized_text": null
        },
        "evidence_details": { "due_by": created + 7 * 86_400, "enhanced_eligibility": {}, "has_evidence": false, "past_due": false, "submission_count": 0 },
        "is_charge_refundable": false,
        "livemode": livemode,
        "metadata": {},
        "payment_intent": payment_intent,
        "payment_method_details": { "card": { "brand": "visa", "case_type": "chargeback", "network": "visa", "network_reason_code": "10.4" }, "type": "card" },
        "reason": "fraudulent",
        "status": status
    })
}

/// A coupon.
pub fn coupon(
    id: &str,
    livemode: bool,
    created: i64,
    percent_off: Option<f64>,
    amount_off: Option<(i64, &str)>,
    name: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "coupon",
        "amount_off": amount_off.map(|a| a.0),
        "created": created,
        "currency": amount_off.map(|a| a.1),
        "duration": "once",
        "duration_in_months": null,
        "livemode": livemode,
        "max_redemptions": null,
        "metadata": {},
        "name": name,
        "percent_off": percent_off,
        "redeem_by": null,
        "times_redeemed": 0,
        "valid": true
    })
}

/// A customer-facing promotion code for a coupon.
pub fn promotion_code(id: &str, livemode: bool, created: i64, code: &str, coupon: &str, metadata: Value) -> Value {
    json!({
        "id": id,
        "object": "promotion_code",
        "active": true,
        "code": code,
        "created": created,
        "customer": null,
        "customer_account": null,
        "expires_at": null,
        "livemode": livemode,
        "max_redemptions": null,
        "metadata": metadata,
        "promotion": { "coupon": coupon, "type": "coupon" },
        "restrictions": { "first_time_transaction": false, "minimum_amount": null, "minimum_amount_currency": null },
        "times_redeemed": 0
    })
}

/// A customer balance transaction.
#[allow(clippy::too_many_arguments)]
pub fn balance_transaction(
    id: &str,
    livemode: bool,
    created: i64,
    customer: &str,
    amount: i64,
    currency: &str,
    ending_balance: i64,
    description: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "customer_balance_transaction",
        "amount": amount,
        "checkout_session": null,
        "created": created,
        "credit_note": null,
        "currency": currency,
        "customer": customer,
        "customer_account": null,
        "description": description,
        "ending_balance": ending_balance,
        "invoice": null,
        "livemode": livemode,
        "metadata": null,
        "type": "adjustment"
    })
}

/// Everything a Checkout Session records of its payment.
#[derive(Debug, Clone)]
pub struct SessionParts<'a> {
    /// `cs_…`.
    pub id: &'a str,
    /// Live or test.
    pub livemode: bool,
    /// Created, unix seconds.
    pub created: i64,
    /// `payment` or `subscription`.
    pub mode: &'a str,
    /// What the page wrote.
    pub client_reference_id: Option<&'a str>,
    /// `cus_…`.
    pub customer: Option<&'a str>,
    /// The buyer's email.
    pub email: Option<&'a str>,
    /// Amounts.
    pub amounts: &'a Amounts,
    /// `pi_…` of a one-time payment.
    pub payment_intent: Option<&'a str>,
    /// `sub_…` of a subscription checkout.
    pub subscription: Option<&'a str>,
    /// `in_…` of a subscription's first invoice.
    pub invoice: Option<&'a str>,
    /// `promo_…` applied, with its coupon.
    pub promotion: Option<(&'a str, &'a str)>,
    /// `paid`, `unpaid` (an async method still pending) or `no_payment_required`.
    pub payment_status: &'a str,
    /// `plink_…`.
    pub payment_link: Option<&'a str>,
}

/// A completed Checkout Session.
pub fn checkout_session(p: &SessionParts<'_>) -> Value {
    let a = p.amounts;
    json!({
        "id": p.id,
        "object": "checkout.session",
        "adaptive_pricing": { "enabled": false },
        "after_expiration": null,
        "allow_promotion_codes": p.promotion.is_some(),
        "amount_subtotal": a.total - a.tax - a.shipping + a.discount,
        "amount_total": a.total,
        "automatic_tax": { "enabled": a.tax > 0, "liability": if a.tax > 0 { json!({ "type": "self" }) } else { Value::Null }, "provider": null, "status": if a.tax > 0 { json!("complete") } else { Value::Null } },
        "billing_address_collection": null,
        "cancel_url": null,
        "client_reference_id": p.client_reference_id,
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": p.created,
        "currency": a.currency,
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": p.customer,
        "customer_creation": "if_required",
        "customer_details": {
            "address": address(), "business_name": null, "email": p.email, "individual_name": null, "name": "Test Buyer",
            "phone": null, "tax_exempt": "none", "tax_ids": []
        },
        "customer_email": null,
        "discounts": match p.promotion {
            Some((promo, coupon)) => json!([{ "coupon": coupon, "promotion_code": promo }]),
            None => json!([]),
        },
        "expires_at": p.created + 86_400,
        "invoice": p.invoice,
        "invoice_creation": null,
        "livemode": p.livemode,
        "locale": null,
        "metadata": {},
        "mode": p.mode,
        "payment_intent": p.payment_intent,
        "payment_link": p.payment_link,
        "payment_method_collection": "always",
        "payment_method_configuration_details": null,
        "payment_method_options": { "card": { "request_three_d_secure": "automatic" } },
        "payment_method_types": ["card"],
        "payment_status": p.payment_status,
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "complete",
        "submit_type": null,
        "subscription": p.subscription,
        "success_url": "https://shop.example/thanks",
        "total_details": { "amount_discount": a.discount, "amount_shipping": a.shipping, "amount_tax": a.tax },
        "ui_mode": "hosted",
        "url": null,
        "wallet_options": null
    })
}

/// The line items of a Checkout Session (`expand[]=line_items` or `/line_items`): one item.
pub fn session_line_items(session: &Value) -> Value {
    let id = session["id"].as_str().unwrap_or_default();
    let total = session["amount_total"].as_i64().unwrap_or_default();
    let tax = session["total_details"]["amount_tax"].as_i64().unwrap_or_default();
    let discount = session["total_details"]["amount_discount"].as_i64().unwrap_or_default();
    let shipping = session["total_details"]["amount_shipping"].as_i64().unwrap_or_default();
    let livemode = session["livemode"].as_bool().unwrap_or_default();
    let created = session["created"].as_i64().unwrap_or_default();
    let currency = session["currency"].clone();
    json!({
        "object": "list",
        "data": [{
            "id": format!("li_{}", id.trim_start_matches("cs_").trim_start_matches("test_").trim_start_matches("live_").chars().take(24).collect::<String>()),
            "object": "item",
            "amount_discount": discount,
            "amount_subtotal": total - tax - shipping + discount,
            "amount_tax": tax,
            "amount_total": total - shipping,
            "currency": currency,
            "description": "payref demo plan",
            "price": {
                "id": "price_DemoPlan0001", "object": "price", "active": true, "billing_scheme": "per_unit", "created": created,
                "currency": currency, "custom_unit_amount": null, "livemode": livemode, "lookup_key": null, "metadata": {},
                "nickname": null, "product": "prod_DemoPlan0001", "recurring": null, "tax_behavior": "exclusive", "tiers_mode": null,
                "transform_quantity": null, "type": "one_time", "unit_amount": total - tax - shipping + discount,
                "unit_amount_decimal": (total - tax - shipping + discount).to_string()
            },
            "quantity": 1
        }],
        "has_more": false,
        "url": format!("/v1/checkout/sessions/{id}/line_items")
    })
}

/// A subscription.
pub fn subscription(id: &str, livemode: bool, created: i64, customer: &str, currency: &str, trial_end: Option<i64>) -> Value {
    let status = if trial_end.is_some_and(|t| t > created) { "trialing" } else { "active" };
    json!({
        "id": id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
        "billing_cycle_anchor": trial_end.unwrap_or(created),
        "billing_cycle_anchor_config": null,
        "billing_mode": { "flexible": null, "type": "classic", "updated_at": null },
        "billing_schedules": [],
        "billing_thresholds": null,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer,
        "days_until_due": null,
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": { "object": "list", "data": [], "has_more": false, "url": format!("/v1/subscription_items?subscription={id}") },
        "latest_invoice": null,
        "livemode": livemode,
        "metadata": {},
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": null,
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": created,
        "status": status,
        "test_clock": null,
        "transfer_data": null,
        "trial_end": trial_end,
        "trial_settings": null,
        "trial_start": trial_end.map(|_| created)
    })
}

/// Everything an invoice records of its payment.
#[derive(Debug, Clone)]
pub struct InvoiceParts<'a> {
    /// `in_…`.
    pub id: &'a str,
    /// Live or test.
    pub livemode: bool,
    /// Created (and paid), unix seconds.
    pub created: i64,
    /// `cus_…`.
    pub customer: &'a str,
    /// The customer's email.
    pub email: Option<&'a str>,
    /// `sub_…`.
    pub subscription: &'a str,
    /// `subscription_create`, `subscription_cycle`…
    pub billing_reason: &'a str,
    /// Paid in all (tax included), minor units.
    pub amount_paid: i64,
    /// Tax in it.
    pub tax: i64,
    /// Lowercase ISO currency.
    pub currency: &'a str,
    /// The period it bills, unix seconds.
    pub period: (i64, i64),
}

/// A paid subscription invoice.
pub fn invoice(p: &InvoiceParts<'_>) -> Value {
    let id = p.id;
    let line = json!({
        "id": format!("il_{}", id.trim_start_matches("in_")),
        "object": "line_item",
        "amount": p.amount_paid - p.tax,
        "currency": p.currency,
        "description": "1 × payref demo plan",
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice": id,
        "livemode": p.livemode,
        "metadata": {},
        "parent": {
            "invoice_item_details": null,
            "subscription_item_details": { "invoice_item": null, "proration": false, "proration_details": { "credited_items": null }, "subscription": p.subscription, "subscription_item": "si_DemoPlan0001" },
            "type": "subscription_item_details"
        },
        "period": { "end": p.period.1, "start": p.period.0 },
        "pretax_credit_amounts": [],
        "pricing": { "price_details": { "price": "price_DemoPlan0001", "product": "prod_DemoPlan0001" }, "type": "price_details", "unit_amount_decimal": (p.amount_paid - p.tax).to_string() },
        "quantity": 1,
        "subtotal": p.amount_paid - p.tax,
        "taxes": []
    });
    json!({
        "id": id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "payref demo shop",
        "account_tax_ids": null,
        "amount_due": p.amount_paid,
        "amount_overpaid": 0,
        "amount_paid": p.amount_paid,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": null,
        "attempt_count": 1,
        "attempted": true,
        "auto_advance": false,
        "automatic_tax": { "disabled_reason": null, "enabled": p.tax > 0, "liability": null, "provider": null, "status": null },
        "automatically_finalizes_at": null,
        "billing_reason": p.billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": null,
        "created": p.created,
        "currency": p.currency,
        "custom_fields": null,
        "customer": p.customer,
        "customer_account": null,
        "customer_address": null,
        "customer_email": p.email,
        "customer_name": null,
        "customer_phone": null,
        "customer_shipping": null,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "due_date": null,
        "effective_at": p.created,
        "ending_balance": 0,
        "footer": null,
        "from_invoice": null,
        "hosted_invoice_url": null,
        "invoice_pdf": null,
        "issuer": { "type": "self" },
        "last_finalization_error": null,
        "latest_revision": null,
        "lines": { "object": "list", "data": [line], "has_more": false, "url": format!("/v1/invoices/{id}/lines") },
        "livemode": p.livemode,
        "metadata": {},
        "next_payment_attempt": null,
        "number": null,
        "on_behalf_of": null,
        "parent": {
            "quote_details": null,
            "subscription_details": { "metadata": {}, "subscription": p.subscription },
            "type": "subscription_details"
        },
        "payment_settings": { "default_mandate": null, "payment_method_options": null, "payment_method_types": null },
        "period_end": p.period.1,
        "period_start": p.period.0,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": null,
        "rendering": null,
        "shipping_cost": null,
        "shipping_details": null,
        "starting_balance": 0,
        "statement_descriptor": null,
        "status": "paid",
        "status_transitions": { "finalized_at": p.created, "marked_uncollectible_at": null, "paid_at": p.created, "voided_at": null },
        "subtotal": p.amount_paid - p.tax,
        "subtotal_excluding_tax": p.amount_paid - p.tax,
        "test_clock": null,
        "total": p.amount_paid,
        "total_discount_amounts": [],
        "total_excluding_tax": p.amount_paid - p.tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": if p.tax > 0 {
            json!([{ "amount": p.tax, "tax_behavior": "exclusive", "tax_rate_details": { "tax_rate": "txr_DemoVat0001" }, "taxability_reason": "standard_rated", "taxable_amount": p.amount_paid - p.tax, "type": "tax_rate_details" }])
        } else {
            json!([])
        },
        "webhooks_delivered_at": p.created
    })
}

/// The payment of an invoice through a PaymentIntent: how a refund (on the charge of that
/// PaymentIntent) is tied back to its invoice.
pub fn invoice_payment(id: &str, livemode: bool, created: i64, invoice: &str, amount: i64, currency: &str, payment_intent: &str) -> Value {
    json!({
        "id": id,
        "object": "invoice_payment",
        "amount_paid": amount,
        "amount_requested": amount,
        "created": created,
        "currency": currency,
        "invoice": invoice,
        "is_default": true,
        "livemode": livemode,
        "payment": { "charge": null, "payment_intent": payment_intent, "payment_record": null, "type": "payment_intent" },
        "status": "paid",
        "status_transitions": { "canceled_at": null, "paid_at": created }
    })
}

/// An event about `object`.
pub fn event(id: &str, livemode: bool, created: i64, event_type: &str, object: Value, previous: Option<Value>) -> Value {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    json!({
        "id": id,
        "object": "event",
        "account": null,
        "api_version": API_VERSION,
        "context": null,
        "created": created,
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type
    })
}

/// Stripe's error body.
pub fn error(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    let mut e = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        e["code"] = json!(code);
        e["doc_url"] = json!(format!("https://docs.stripe.com/error-codes/{}", code.replace('_', "-")));
    }
    if let Some(param) = param {
        e["param"] = json!(param);
    }
    json!({ "error": e })
}
