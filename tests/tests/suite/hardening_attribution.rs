//! Attribution an affiliate could game (issue 17, findings 6 and 7): a made-up click id in a
//! reference, and leads made for other people's emails. The sale still attributes by its code
//! or lead, but is flagged for review and never approved automatically.

use payref_shared::batch::ReceivedEvent;
use payref_shared::{ClientReferenceId, EdgeEvent, LeadEvent, ReferralCode, SiteKey};
use payref_tests::origin::{Backend, SITE_KEY};
use payref_tests::stripe;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, HOUR, click, click_id};
use crate::on_both_backends;

fn buy(id: &str, reference: Option<&str>, email: &str) -> Value {
    let mut s = stripe::paid_session(id, reference.unwrap_or_default(), 1_000, 0, "usd");
    s["client_reference_id"] = reference.map_or(Value::Null, |r| json!(r));
    s["customer_details"]["email"] = json!(email);
    s
}

fn lead_from(n: u32, email: &str, visitor: &str, at: i64) -> ReceivedEvent {
    let event = EdgeEvent::Lead(LeadEvent {
        site: SiteKey::parse(SITE_KEY).unwrap(),
        click_id: click_id(n),
        email_sha256: payref_origin::domain::lead::email_sha256(email),
    });
    ReceivedEvent { received_at_ms: at, country: None, visitor: Some(visitor.to_owned()), device: None, event }
}

impl Api {
    async fn settle_event(&self, id: &str, session: Value, created_ago_secs: i64) -> Value {
        let mut event = stripe::event(id, "checkout.session.completed", session);
        event["created"] = json!(stripe::now_secs() - created_ago_secs);
        self.deliver(&event).await;
        self.origin.settled().await;
        let all = self.ok(self.key(), Method::GET, "/v1/conversions?limit=100", None).await;
        let cs = event["data"]["object"]["id"].clone();
        all["data"].as_array().unwrap().iter().find(|c| c["stripe_object_id"] == cs).cloned().unwrap_or(Value::Null)
    }

    async fn auto_approve(&self) {
        let path = format!("/v1/campaigns/{}", self.origin.seed.campaign_id);
        self.ok(self.key(), Method::PATCH, &path, Some(json!({ "approval": "auto" }))).await;
    }
}

async fn a_reference_naming_a_click_never_stored_is_flagged_and_not_approved(backend: Backend) {
    let api = Api::new(backend).await;
    api.auto_approve().await;
    let now = payref_origin::now_ms();
    api.ingest(vec![click(1, "demo", Some("v1"), now - HOUR)]).await;
    let real = ClientReferenceId::new(click_id(1), ReferralCode::parse("demo").unwrap()).format();
    let conv = api.settle_event("evt_real", buy("cs_real", Some(&real), "a@example.com"), 0).await;
    assert_eq!((conv["review_flags"].clone(), conv["commission_status"].as_str()), (json!([]), Some("approved")), "{conv}");
    // An id no beacon ever reported, with a real code, past the wait for a late click.
    let made_up = ClientReferenceId::new(click_id(999), ReferralCode::parse("demo").unwrap()).format();
    let conv = api.settle_event("evt_made_up", buy("cs_made_up", Some(&made_up), "b@example.com"), 180).await;
    assert_eq!(conv["attribution_method"], "client_reference_id", "still attributed by its code: {conv}");
    assert_eq!((conv["review_flags"].clone(), conv["commission_status"].as_str()), (json!(["unknown_click"]), Some("pending")), "{conv}");
    // A bare code names no click: nothing to doubt.
    let conv = api.settle_event("evt_bare", buy("cs_bare", Some("demo"), "c@example.com"), 0).await;
    assert_eq!((conv["review_flags"].clone(), conv["commission_status"].as_str()), (json!([]), Some("approved")), "{conv}");
}
on_both_backends!(a_reference_naming_a_click_never_stored_is_flagged_and_not_approved);

async fn a_visitor_identifies_only_a_few_emails_and_foreign_leads_are_flagged(backend: Backend) {
    let api = Api::new(backend).await;
    api.auto_approve().await;
    let now = payref_origin::now_ms();
    // An affiliate's own visitor clicks once and identifies a list of prospects' emails.
    let mut batch = vec![click(10, "demo", Some("v_aff"), now - 2 * HOUR)];
    batch.extend((0..6).map(|i| lead_from(10, &format!("prospect{i}@example.com"), "v_aff", now - 2 * HOUR)));
    let report = api.ingest(batch).await;
    assert_eq!((report["leads"].as_i64(), report["leads_ignored"].as_i64()), (Some(3), Some(3)), "{report}");
    assert_eq!(api.origin.count("leads").await, 3);
    // A prospect buys on their own, with no reference: found by lead, but flagged.
    let conv = api.settle_event("evt_p0", buy("cs_p0", None, "prospect0@example.com"), 0).await;
    assert_eq!(conv["attribution_method"], "lead_email", "{conv}");
    assert_eq!(conv["review_flags"], json!(["lead_several_emails"]), "{conv}");
    assert_eq!(conv["commission_status"], "pending");
    // The sixth email was ignored: no lead, no sale.
    let conv = api.settle_event("evt_p5", buy("cs_p5", None, "prospect5@example.com"), 0).await;
    assert!(conv.is_null(), "{conv}");
    // A lead whose identify came from another visitor than the click it names.
    api.ingest(vec![click(20, "demo", Some("v_buyer"), now - HOUR), lead_from(20, "victim@example.com", "v_other", now - HOUR)]).await;
    let conv = api.settle_event("evt_victim", buy("cs_victim", None, "victim@example.com"), 0).await;
    assert_eq!(
        (conv["review_flags"].clone(), conv["commission_status"].as_str()),
        (json!(["lead_other_visitor"]), Some("pending")),
        "{conv}"
    );
    // The honest case: the same visitor clicked and identified one email.
    api.ingest(vec![click(30, "demo", Some("v_honest"), now - HOUR), lead_from(30, "honest@example.com", "v_honest", now - HOUR)]).await;
    let conv = api.settle_event("evt_honest", buy("cs_honest", None, "honest@example.com"), 0).await;
    assert_eq!((conv["review_flags"].clone(), conv["commission_status"].as_str()), (json!([]), Some("approved")), "{conv}");
}
on_both_backends!(a_visitor_identifies_only_a_few_emails_and_foreign_leads_are_flagged);
