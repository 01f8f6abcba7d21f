//! The dashboard's conversions: the API's list with its filters, and each sale's page telling
//! why it belongs to its affiliate — its click, the attribution decision with its evidence and
//! its commission's trail — for the session's merchant only.

use payref_origin::domain::account::Role;
use payref_tests::origin::Backend;
use reqwest::Method;

use crate::api::{Api, click, click_id};
use crate::dashboard_sign_in::{Browser, user};
use crate::on_both_backends;

async fn a_sale_s_page_tells_why_it_belongs_to_its_affiliate(backend: Backend) {
    let api = Api::new(backend).await;
    let now = payref_origin::now_ms();
    api.ingest(vec![click(7, "demo", Some("v7"), now - 3_600_000)]).await;
    let reference = payref_shared::ClientReferenceId::new(click_id(7), payref_shared::ReferralCode::parse("demo").expect("code")).format();
    api.paid("evt_why_1", &reference, 8_000, "usd").await;
    let sale = api.list("/v1/conversions").await.remove(0);
    let id = sale["id"].as_str().expect("id").to_owned();
    let commission = api.list("/v1/commissions").await.remove(0)["id"].as_str().expect("id").to_owned();
    api.ok(api.key(), Method::POST, &format!("/v1/commissions/{commission}/approve"), None).await;

    user(&api.origin, &api.origin.seed.merchant_id, "viewer@shop.example", Role::Viewer).await;
    let browser = Browser::new(&api.origin);
    let session = browser.session("viewer@shop.example").await;
    let list = browser.get("/dashboard/conversions", Some(&session)).await.text().await.expect("page");
    assert!(list.contains(&format!(r#"<a href="/dashboard/conversions/{id}">Why"#)), "{list}");
    assert!(list.contains("<td>demo</td><td>$80.00</td><td>paid</td><td>$24.00 (approved)</td>"));
    let refunded = browser.get("/dashboard/conversions?status=refunded", Some(&session)).await.text().await.expect("page");
    assert!(refunded.contains("No conversion here."));

    let page = browser.get(&format!("/dashboard/conversions/{id}"), Some(&session)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("page");
    let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle} missing:\n{page}"));
    // Oldest first: the click, the attribution (with its evidence and Stripe event), the approval.
    let (clicked, attributed, approved) = (at("Referral click on demo"), at("conversion attributed"), at("commission approved"));
    assert!(clicked < attributed && attributed < approved);
    assert!(page.contains("country: DE") && page.contains("device: mobile"));
    assert!(page.contains(&format!("evidence click_id: {}", click_id(7).to_text())), "{page}");
    assert!(page.contains("by stripe:evt_why_1") && page.contains("by api_key:key_"));

    // Another merchant's people cannot open it.
    let (other, _, _) = api.origin.other_merchant().await;
    user(&api.origin, &other, "them@other.example", Role::Owner).await;
    let theirs = browser.session("them@other.example").await;
    assert_eq!(browser.get(&format!("/dashboard/conversions/{id}"), Some(&theirs)).await.status(), 404);
    assert!(browser.get("/dashboard/conversions", Some(&theirs)).await.text().await.expect("page").contains("No conversion here."));
}
on_both_backends!(a_sale_s_page_tells_why_it_belongs_to_its_affiliate);
