//! The attribution chain's Stripe links, against the simulator: customer metadata
//! (`payref_ref` / `payref_click`, set by the merchant or written back by payref after a match,
//! retried through a Stripe outage), promotion codes and coupons mapped to affiliates (by their
//! metadata or through the API), first match wins; and cancellations recorded on the customer.

use std::time::Duration;

use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::{Purchase, Subscribe};
use payref_stripe_sim::webhooks::DeliveryMode;
use payref_tests::origin::Backend;
use payref_tests::process::eventually;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Api, refused};
use crate::on_both_backends;
use crate::stripe_reconcile::connected;

impl Api {
    async fn converted(&self, sim: &Simulator, session: &str) -> Value {
        sim.wait_delivered(Duration::from_secs(30)).await.expect("webhooks delivered");
        self.origin.settled().await;
        self.list("/v1/conversions?limit=100").await.into_iter().find(|c| c["stripe_object_id"] == session).unwrap_or(Value::Null)
    }
}

fn sim_metadata(sim: &Simulator, customer: &str) -> Value {
    sim.state().get(false, "customer", customer).map(|c| c["metadata"].clone()).unwrap_or(Value::Null)
}

fn anonymous(email: &str) -> Purchase {
    Purchase::new(None, email, 10_000, 0, "usd")
}

async fn customer_metadata_and_promotion_codes_attribute(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let rival = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate("rival"))).await;

    // A customer the merchant created through the API with payref_ref: its purchase is credited.
    let customer = sim.create_customer(false, Some("api@example.com"), json!({ "payref_ref": "demo" }));
    let mut p = anonymous("api@example.com");
    p.customer = customer["id"].as_str().map(str::to_owned);
    let paid = sim.pay_payment_link(&p).unwrap();
    let conv = api.converted(&sim, &paid.session).await;
    assert_eq!((conv["attribution_method"].as_str(), conv["affiliate_code"].as_str()), (Some("customer_metadata"), Some("demo")), "{conv}");

    // The client_reference_id outranks the metadata, and payref writes the winner back.
    let mut p = Purchase::new(Some("rival"), "api@example.com", 10_000, 0, "usd");
    p.customer = customer["id"].as_str().map(str::to_owned);
    let paid = sim.pay_payment_link(&p).unwrap();
    let conv = api.converted(&sim, &paid.session).await;
    assert_eq!((conv["attribution_method"].as_str(), conv["affiliate_code"].as_str()), (Some("client_reference_id"), Some("rival")));
    let id = customer["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(30), "payref_ref written back", || async {
        (sim_metadata(&sim, &id)["payref_ref"] == "rival").then_some(())
    })
    .await;

    // A promotion code carrying payref_ref credits its affiliate; moving it moves the credit.
    let coupon = sim.create_coupon(false, Some(20.0), None);
    let promo = sim.create_promotion_code(false, "FRIEND20", &coupon, json!({ "payref_ref": "demo" })).unwrap();
    let mut p = anonymous("promo1@example.com");
    p.promotion_code = Some(promo.clone());
    let paid = sim.pay_payment_link(&p).unwrap();
    let conv = api.converted(&sim, &paid.session).await;
    assert_eq!((conv["attribution_method"].as_str(), conv["affiliate_code"].as_str()), (Some("promotion_code"), Some("demo")));
    let trail = api.list(&format!("/v1/audit_events?object_id={}", conv["id"].as_str().unwrap())).await;
    assert_eq!(trail[0]["detail"]["evidence"], json!({ "promotion_code": promo, "code": "demo" }));
    sim.update_promotion_code(false, &promo, None, &json!({ "payref_ref": "rival" })).unwrap();
    let mut p = anonymous("promo2@example.com");
    p.promotion_code = Some(promo.clone());
    let paid = sim.pay_payment_link(&p).unwrap();
    assert_eq!(api.converted(&sim, &paid.session).await["affiliate_code"], "rival");

    // A coupon mapped through the API: any promotion code of it credits the affiliate.
    let coupon2 = sim.create_coupon(false, None, Some((500, "usd")));
    let plain = sim.create_promotion_code(false, "SPRING", &coupon2, json!({})).unwrap();
    let mapping =
        api.ok(api.key(), Method::PUT, &format!("/v1/discount_mappings/{coupon2}"), Some(json!({ "affiliate_id": rival["id"] }))).await;
    assert_eq!((mapping["affiliate_code"].as_str(), mapping["source"].as_str()), (Some("rival"), Some("api")));
    let mut p = anonymous("coupon@example.com");
    p.promotion_code = Some(plain.clone());
    let paid = sim.pay_payment_link(&p).unwrap();
    let conv = api.converted(&sim, &paid.session).await;
    assert_eq!((conv["attribution_method"].as_str(), conv["affiliate_code"].as_str()), (Some("promotion_code"), Some("rival")));
    let listed: Vec<(String, String)> = api
        .list("/v1/discount_mappings")
        .await
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m["source"].as_str().unwrap().to_owned()))
        .collect();
    let mut expected = vec![(coupon2.clone(), "api".to_owned()), (promo.clone(), "metadata".to_owned())];
    expected.sort();
    assert_eq!(listed, expected);
    // Unmapped: the next buyer with that code is nobody's.
    api.ok(api.key(), Method::DELETE, &format!("/v1/discount_mappings/{coupon2}"), None).await;
    let mut p = anonymous("coupon2@example.com");
    p.promotion_code = Some(plain);
    let paid = sim.pay_payment_link(&p).unwrap();
    assert!(api.converted(&sim, &paid.session).await.is_null());

    // Bad input.
    let (code, _) = refused(api.call(api.key(), Method::PUT, "/v1/discount_mappings/promo_x", Some(json!({}))).await, 400).await;
    assert_eq!(code, "invalid_request");
    let nobody = json!({ "affiliate_id": "aff_nobody" });
    assert_eq!(refused(api.call(api.key(), Method::PUT, "/v1/discount_mappings/promo_x", Some(nobody)).await, 404).await.0, "not_found");
    let bad_id = json!({ "affiliate_id": rival["id"] });
    assert_eq!(
        refused(api.call(api.key(), Method::PUT, "/v1/discount_mappings/bad%20id", Some(bad_id)).await, 400).await.0,
        "invalid_request"
    );
    assert_eq!(refused(api.call(api.key(), Method::DELETE, "/v1/discount_mappings/promo_never", None).await, 404).await.0, "not_found");
}
on_both_backends!(customer_metadata_and_promotion_codes_attribute);

async fn an_unseen_customer_is_fetched_and_the_write_back_outlasts_an_outage(backend: Backend) {
    let (api, sim) = connected(backend).await;
    // customer.created never arrives: the payment fetches the customer and finds its metadata.
    sim.set_delivery(DeliveryMode { drop: true, ..DeliveryMode::default() });
    let customer = sim.create_customer(false, Some("quiet@example.com"), json!({ "payref_ref": "demo" }));
    sim.set_delivery(DeliveryMode::default());
    let mut p = anonymous("quiet@example.com");
    p.customer = customer["id"].as_str().map(str::to_owned);
    let paid = sim.pay_payment_link(&p).unwrap();
    let conv = api.converted(&sim, &paid.session).await;
    assert_eq!(conv["attribution_method"], "customer_metadata", "{conv}");

    // A matched customer gets payref_ref and payref_click even while Stripe fails a few times.
    api.ingest(vec![crate::api::click(77, "demo", Some("v77"), payref_origin::now_ms() - crate::api::HOUR)]).await;
    let reference =
        payref_shared::ClientReferenceId::new(crate::api::click_id(77), payref_shared::ReferralCode::parse("demo").unwrap()).format();
    sim.fail_requests(3);
    let paid = sim.pay_payment_link(&Purchase::new(Some(&reference), "new@example.com", 10_000, 0, "usd")).unwrap();
    assert!(!api.converted(&sim, &paid.session).await.is_null());
    let want = json!({ "payref_ref": "demo", "payref_click": crate::api::click_id(77).to_text() });
    eventually(Duration::from_secs(60), "payref metadata written through the outage", || async {
        (sim_metadata(&sim, &paid.customer) == want).then_some(())
    })
    .await;
    assert_eq!(sim.state().failing_requests, 0, "the writes went through the outage, not around it");
}
on_both_backends!(an_unseen_customer_is_fetched_and_the_write_back_outlasts_an_outage);

async fn cancellations_are_recorded_on_the_customer(backend: Backend) {
    let (api, sim) = connected(backend).await;
    let sub = sim.subscribe(&Subscribe::new(Some("demo"), "leaving@example.com", 2_000, 0, "usd")).unwrap();
    assert!(!api.converted(&sim, &sub.invoice).await.is_null());
    let path = format!("/v1/customers/{}", sub.customer);
    let bound = api.ok(api.key(), Method::GET, &path, None).await;
    assert_eq!((bound["subscription_status"].as_str(), bound["canceled_at"].as_i64()), (Some("active"), None));
    sim.advance(Duration::from_secs(10 * 86_400));
    sim.cancel_subscription(false, &sub.subscription).unwrap();
    api.converted(&sim, &sub.invoice).await;
    let gone = api.ok(api.key(), Method::GET, &path, None).await;
    assert_eq!(gone["subscription_status"], "canceled", "{gone}");
    assert!(gone["canceled_at"].as_i64().unwrap() >= sim.now() * 1000 - 1000, "{gone}");
    let trail = api.list(&format!("/v1/audit_events?object_id={}", sub.customer)).await;
    assert_eq!(trail[0]["action"], "customer.subscription_canceled");
    assert_eq!(trail[0]["detail"]["subscription"].as_str(), Some(sub.subscription.as_str()));
}
on_both_backends!(cancellations_are_recorded_on_the_customer);
