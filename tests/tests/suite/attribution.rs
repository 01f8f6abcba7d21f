//! The attribution chain and the campaign's rules, through real webhooks and the event worker:
//! subscriptions bind the customer and their invoices earn for the campaign's duration; the
//! cookie window and first/last click decide between a visitor's referrals; a buyer who
//! identified themselves is found by email; an affiliate buying through their own link earns
//! a denied commission.

use payref_shared::{ClientReferenceId, ReferralCode};
use payref_tests::origin::Backend;
use payref_tests::stripe;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, HOUR, click, click_id, lead, refused};
use crate::on_both_backends;

const DAY_MS: i64 = 86_400_000;
const DAY_S: i64 = 86_400;

fn session(id: &str, reference: Option<&str>, customer: &str, email: &str, amount: i64, subscription: bool) -> Value {
    let mut s = stripe::paid_session(id, reference.unwrap_or_default(), amount, 0, "usd");
    s["client_reference_id"] = reference.map_or(Value::Null, |r| json!(r));
    s["customer"] = json!(customer);
    s["customer_details"]["email"] = json!(email);
    if subscription {
        s["mode"] = json!("subscription");
        s["payment_intent"] = Value::Null;
        s["subscription"] = json!("sub_Test0001");
    }
    s
}

fn reference(n: u32, code: &str) -> String {
    ClientReferenceId::new(click_id(n), ReferralCode::parse(code).unwrap()).format()
}

impl Api {
    async fn event_outcome(&self, event: &str) -> String {
        let got = self.ok(self.key(), Method::GET, &format!("/v1/stripe_events/{event}"), None).await;
        got["outcome"].as_str().unwrap_or_else(|| panic!("{event} has no outcome: {got}")).to_owned()
    }

    async fn deliver_settled(&self, id: &str, kind: &str, object: Value) -> String {
        self.deliver(&stripe::event(id, kind, object)).await;
        self.origin.settled().await;
        self.event_outcome(id).await
    }

    async fn conversion_of(&self, stripe_object_id: &str) -> Value {
        let all = self.ok(self.key(), Method::GET, "/v1/conversions?limit=100", None).await;
        all["data"].as_array().unwrap().iter().find(|c| c["stripe_object_id"] == stripe_object_id).cloned().unwrap_or(Value::Null)
    }

    async fn patch_campaign(&self, body: Value) {
        let path = format!("/v1/campaigns/{}", self.origin.seed.campaign_id);
        self.ok(self.key(), Method::PATCH, &path, Some(body)).await;
    }
}

async fn subscriptions_bind_the_customer_and_invoices_earn_for_the_duration(backend: Backend) {
    let api = Api::new(backend).await;
    let now = stripe::now_secs();
    let checkout = session("cs_sub_1", Some("demo"), "cus_sub1", "buyer@example.com", 2_400, true);
    assert_eq!(api.deliver_settled("evt_s1", "checkout.session.completed", checkout).await, "customer_bound");
    assert_eq!(api.origin.count("conversions").await, 0, "a subscription checkout only binds");
    let customers = api.list("/v1/customers").await;
    assert_eq!(customers.len(), 1);
    let c = &customers[0];
    assert_eq!(
        (c["id"].as_str(), c["method"].as_str(), c["source_object_id"].as_str(), c["livemode"].as_bool()),
        (Some("cus_sub1"), Some("client_reference_id"), Some("cs_sub_1"), Some(false))
    );
    let demo_id = c["affiliate_id"].as_str().unwrap().to_owned();
    assert!(api.list("/v1/customers?livemode=true").await.is_empty(), "test and live never mix");

    let first = stripe::paid_invoice("in_sub_1", "cus_sub1", 2_400, 400, "usd", "subscription_create", now);
    assert_eq!(api.deliver_settled("evt_i1", "invoice.paid", first).await, "attributed");
    let conv = api.conversion_of("in_sub_1").await;
    assert_eq!(
        (conv["amount"].as_i64(), conv["amount_paid"].as_i64(), conv["commission_amount"].as_i64()),
        (Some(2_000), Some(2_400), Some(600)),
        "tax is not commissionable: {conv}"
    );
    assert_eq!((conv["attribution_method"].as_str(), conv["customer_id"].as_str()), (Some("customer_binding"), Some("cus_sub1")));
    assert_eq!(conv["affiliate_id"].as_str(), Some(demo_id.as_str()));
    let renewal = stripe::paid_invoice("in_sub_2", "cus_sub1", 2_400, 400, "usd", "subscription_cycle", now + 30 * DAY_S);
    assert_eq!(api.deliver_settled("evt_i2", "invoice.paid", renewal).await, "attributed", "lifetime: renewals earn");

    api.patch_campaign(json!({ "duration": "one_time" })).await;
    let third = stripe::paid_invoice("in_sub_3", "cus_sub1", 2_400, 400, "usd", "subscription_cycle", now + 60 * DAY_S);
    let outcome = api.deliver_settled("evt_i3", "invoice.paid", third).await;
    assert_eq!(outcome, "not_attributed: the campaign's commission duration has ended for this customer");

    api.patch_campaign(json!({ "duration": "months", "duration_months": 2 })).await;
    let within = stripe::paid_invoice("in_sub_4", "cus_sub1", 2_400, 0, "usd", "subscription_cycle", now + 50 * DAY_S);
    assert_eq!(api.deliver_settled("evt_i4", "invoice.paid", within).await, "attributed", "inside two months of the binding");
    let after = stripe::paid_invoice("in_sub_5", "cus_sub1", 2_400, 0, "usd", "subscription_cycle", now + 70 * DAY_S);
    assert!(api.deliver_settled("evt_i5", "invoice.paid", after).await.starts_with("not_attributed: the campaign's commission duration"));

    // Someone else's invoice (never referred): nothing, and no waiting.
    let stranger = stripe::paid_invoice("in_other", "cus_stranger", 1_000, 0, "usd", "subscription_cycle", now);
    assert_eq!(api.deliver_settled("evt_i6", "invoice.paid", stranger).await, "not_attributed: no referral found");

    assert_eq!(api.list("/v1/conversions?status=paid").await.len(), 3);
    assert!(api.list("/v1/conversions?status=refunded").await.is_empty());
    let trail = api.list("/v1/audit_events?object_id=cus_sub1").await;
    assert_eq!(trail[0]["action"], "customer.bound");
    assert_eq!(trail[0]["detail"]["evidence"]["code"], "demo");

    // Another merchant reaches none of it.
    let (_, _, other) = api.origin.other_merchant().await;
    assert_eq!(refused(api.call(&other, Method::GET, "/v1/customers/cus_sub1", None).await, 404).await.0, "not_found");
    assert_eq!(api.ok(&other, Method::GET, "/v1/customers", None).await["data"], json!([]));
    assert_eq!(refused(api.call(&other, Method::GET, "/v1/customers?starting_after=cus_sub1", None).await, 400).await.0, "invalid_request");
    assert_eq!(api.ok(&other, Method::GET, "/v1/conversions?status=paid", None).await["data"], json!([]));
    assert_eq!(api.ok(api.key(), Method::GET, "/v1/customers/cus_sub1", None).await["affiliate_id"].as_str(), Some(demo_id.as_str()));
    assert_eq!(refused(api.call(api.key(), Method::GET, "/v1/conversions?status=lost", None).await, 400).await.0, "invalid_request");
}
on_both_backends!(subscriptions_bind_the_customer_and_invoices_earn_for_the_duration);

async fn a_first_invoice_waits_for_its_checkout_session(backend: Backend) {
    let api = Api::new(backend).await;
    // Stripe sends both at once, in either order: here the invoice first.
    let invoice = stripe::paid_invoice("in_early", "cus_late", 1_000, 0, "usd", "subscription_create", stripe::now_secs());
    api.deliver(&stripe::event("evt_early_invoice", "invoice.paid", invoice)).await;
    let checkout = session("cs_late", Some("demo"), "cus_late", "buyer@example.com", 1_000, true);
    api.deliver(&stripe::event("evt_late_session", "checkout.session.completed", checkout)).await;
    api.origin.settled().await;
    assert_eq!(api.event_outcome("evt_early_invoice").await, "attributed");
    let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_early_invoice", None).await;
    assert!(got["attempts"].as_i64().unwrap() >= 1, "{got}");
    assert_eq!(api.conversion_of("in_early").await["commission_amount"], 300);
}
on_both_backends!(a_first_invoice_waits_for_its_checkout_session);

async fn the_cookie_window_and_the_click_model_decide_the_credit(backend: Backend) {
    let api = Api::new(backend).await;
    let rival = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("rival"))).await;
    let rival_id = rival["id"].as_str().unwrap().to_owned();
    let now = payref_origin::now_ms();
    api.ingest(vec![
        click(1, "demo", Some("v1"), now - 10 * DAY_MS),
        click(2, "rival", Some("v1"), now - 2 * DAY_MS),
        click(3, "demo", Some("v9"), now - 40 * DAY_MS),
    ])
    .await;

    let buy = |id: &str, reference: &str| session(id, Some(reference), &format!("cus_{id}"), "buyer@example.com", 1_000, false);
    assert_eq!(api.deliver_settled("evt_last", "checkout.session.completed", buy("cs_last", &reference(2, "rival"))).await, "attributed");
    assert_eq!(api.conversion_of("cs_last").await["affiliate_id"].as_str(), Some(rival_id.as_str()), "last click: the rival");

    api.patch_campaign(json!({ "attribution_model": "first_click" })).await;
    assert_eq!(api.deliver_settled("evt_first", "checkout.session.completed", buy("cs_first", &reference(2, "rival"))).await, "attributed");
    let first = api.conversion_of("cs_first").await;
    assert_eq!((first["affiliate_code"].as_str(), first["click_id"].as_str()), (Some("demo"), Some(click_id(1).to_text().as_str())));
    let trail = api.list(&format!("/v1/audit_events?object_id={}", first["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["detail"]["evidence"]["model"]["rule"], "first_click");
    assert_eq!(trail[0]["detail"]["evidence"]["model"]["instead_of_affiliate_id"].as_str(), Some(rival_id.as_str()));

    // A 40-day-old click counts in the default 60-day window, not in a 30-day one.
    assert_eq!(api.deliver_settled("evt_w60", "checkout.session.completed", buy("cs_w60", &reference(3, "demo"))).await, "attributed");
    api.patch_campaign(json!({ "cookie_window_days": 30 })).await;
    let outcome = api.deliver_settled("evt_w30", "checkout.session.completed", buy("cs_w30", &reference(3, "demo"))).await;
    assert_eq!(outcome, "not_attributed: the referral click is older than the campaign's 30-day cookie window");
    // A bare code (the click never reached us) has no click to date: it counts.
    assert_eq!(api.deliver_settled("evt_bare", "checkout.session.completed", buy("cs_bare", "demo")).await, "attributed");
}
on_both_backends!(the_cookie_window_and_the_click_model_decide_the_credit);

/// A quick buyer's payment can overtake its click in the edge's queue: the payment waits for
/// the click its reference names, and goes on without it once the click is long overdue (an
/// ad blocker stopped it).
async fn a_payment_waits_for_the_click_it_overtook(backend: Backend) {
    let api = Api::new(backend).await;
    let buy = |id: &str, reference: &str| session(id, Some(reference), &format!("cus_{id}"), "buyer@example.com", 1_000, false);
    api.deliver(&stripe::event("evt_quick", "checkout.session.completed", buy("cs_quick", &reference(50, "demo")))).await;
    let waiting = payref_tests::process::eventually(std::time::Duration::from_secs(20), "the payment to wait for its click", || async {
        let got = api.ok(api.key(), Method::GET, "/v1/stripe_events/evt_quick", None).await;
        got["last_error"].as_str().is_some_and(|e| e.contains("has not reached payref yet")).then_some(got)
    })
    .await;
    assert_eq!(waiting["status"], "pending", "{waiting}");
    assert!(api.conversion_of("cs_quick").await.is_null(), "nothing recorded while the click is on its way");
    let now = payref_origin::now_ms();
    api.ingest(vec![click(50, "demo", Some("v50"), now - 1_000)]).await;
    api.origin.settled().await;
    let conv = api.conversion_of("cs_quick").await;
    assert_eq!(conv["click_id"].as_str(), Some(click_id(50).to_text().as_str()), "{conv}");

    // Two minutes on, a click that never came is not waited for.
    let mut late = stripe::event("evt_blocked", "checkout.session.completed", buy("cs_blocked", &reference(51, "demo")));
    late["created"] = json!(stripe::now_secs() - 180);
    api.deliver(&late).await;
    api.origin.settled().await;
    assert_eq!(api.event_outcome("evt_blocked").await, "attributed");
    assert!(api.conversion_of("cs_blocked").await["click_id"].is_null());
}
on_both_backends!(a_payment_waits_for_the_click_it_overtook);

async fn buyers_are_found_by_lead_email_and_self_referrals_are_denied(backend: Backend) {
    let api = Api::new(backend).await;
    let now = payref_origin::now_ms();
    api.ingest(vec![click(4, "demo", Some("v4"), now - DAY_MS), lead(4, "Buyer.Lead@Example.com", now - DAY_MS)]).await;
    // No client_reference_id (a server-side Checkout that forgot it): the email finds the lead.
    let checkout = session("cs_lead", None, "cus_lead", " buyer.lead@example.com", 5_000, false);
    assert_eq!(api.deliver_settled("evt_lead", "checkout.session.completed", checkout).await, "attributed");
    let conv = api.conversion_of("cs_lead").await;
    assert_eq!(
        (conv["attribution_method"].as_str(), conv["click_id"].as_str()),
        (Some("lead_email"), Some(click_id(4).to_text().as_str()))
    );
    let trail = api.list(&format!("/v1/audit_events?object_id={}", conv["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["detail"]["evidence"], json!({ "lead_click_id": click_id(4).to_text() }), "evidence without the email");
    // Unknown emails find nothing.
    let stranger = session("cs_stranger", None, "cus_stranger", "someone@example.com", 5_000, false);
    assert_eq!(api.deliver_settled("evt_stranger", "checkout.session.completed", stranger).await, "not_attributed: no referral found");

    // The affiliate (affiliate@example.com) buys through their own link.
    let own = session("cs_own", Some("demo"), "cus_own", "AFFILIATE@example.com", 5_000, false);
    assert_eq!(api.deliver_settled("evt_own", "checkout.session.completed", own).await, "attributed");
    let conv = api.conversion_of("cs_own").await;
    assert_eq!(conv["commission_status"], "denied");
    let commissions = api.list("/v1/commissions?status=denied").await;
    assert_eq!(commissions.len(), 1);
    assert!(commissions[0]["reason"].as_str().unwrap().contains("self-referral"), "{}", commissions[0]);
}
on_both_backends!(buyers_are_found_by_lead_email_and_self_referrals_are_denied);

async fn fast_and_repeated_purchases_are_flagged_for_review(backend: Backend) {
    let api = Api::new(backend).await;
    api.patch_campaign(json!({ "approval": "auto" })).await;
    let now = payref_origin::now_ms();
    api.ingest(vec![
        click(20, "demo", Some("vr"), now - HOUR),
        click(21, "demo", Some("vr"), now - HOUR / 2),
        click(22, "demo", Some("vr"), now - HOUR / 4),
        click(23, "demo", Some("vf"), now),
    ])
    .await;
    let buy = |id: &str, n: u32| session(id, Some(&reference(n, "demo")), &format!("cus_{id}"), &format!("{id}@example.com"), 1_000, false);
    let flags_and_status = |c: &Value| (c["review_flags"].clone(), c["commission_status"].as_str().unwrap_or_default().to_owned());
    // Bought an hour after the click: approved at once, as the campaign says.
    api.deliver_settled("evt_v1", "checkout.session.completed", buy("cs_v1", 20)).await;
    assert_eq!(flags_and_status(&api.conversion_of("cs_v1").await), (json!([]), "approved".to_owned()));
    api.deliver_settled("evt_v2", "checkout.session.completed", buy("cs_v2", 21)).await;
    assert_eq!(flags_and_status(&api.conversion_of("cs_v2").await), (json!([]), "approved".to_owned()));
    // The same visitor's third purchase in a day.
    assert_eq!(api.deliver_settled("evt_v3", "checkout.session.completed", buy("cs_v3", 22)).await, "attributed");
    let third = api.conversion_of("cs_v3").await;
    assert_eq!(flags_and_status(&third), (json!(["repeat_visitor"]), "pending".to_owned()), "flagged, not denied");
    // Paid within seconds of its click.
    api.deliver_settled("evt_vf", "checkout.session.completed", buy("cs_vf", 23)).await;
    let fast = api.conversion_of("cs_vf").await;
    assert_eq!(flags_and_status(&fast), (json!(["fast_purchase"]), "pending".to_owned()));
    let trail = api.list(&format!("/v1/audit_events?object_id={}", fast["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["detail"]["review_flags"], json!(["fast_purchase"]), "the audit trail says why");
    // The merchant reviews and approves; the hold job never approves a flagged commission.
    let commissions = api.list("/v1/commissions?status=pending").await;
    let flagged = commissions.iter().find(|c| c["conversion_id"] == fast["id"]).expect("the flagged commission");
    assert!(flagged["hold_until"].is_null(), "{flagged}");
    let approved = api.ok(api.key(), Method::POST, &format!("/v1/commissions/{}/approve", flagged["id"].as_str().unwrap()), None).await;
    assert_eq!(approved["status"], "approved");
}
on_both_backends!(fast_and_repeated_purchases_are_flagged_for_review);
