//! The dashboard's overview shows what `GET /v1/overview` says, for the session's merchant
//! only, in the chosen mode and span; a span it cannot show is explained beside its field.

use payref_origin::domain::account::Role;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::Value;

use crate::api::{Api, click, lead};
use crate::dashboard_sign_in::{Browser, user};
use crate::on_both_backends;

/// Today's activity: three counted clicks of `demo` (one more repeats), a lead, a sale in
/// dollars and one in euros.
pub(crate) async fn busy_day(api: &Api) {
    let now = payref_origin::now_ms();
    let at = now - now.rem_euclid(86_400_000) + 60_000;
    api.ingest(vec![
        click(1, "demo", Some("v1"), at),
        click(2, "demo", Some("v1"), at + 1),
        click(3, "demo", Some("v2"), at),
        click(4, "demo", None, at),
    ])
    .await;
    api.ingest(vec![lead(1, "buyer@example.com", at + 2)]).await;
    api.paid("evt_ov_1", "demo", 10_000, "usd").await;
    api.paid("evt_ov_2", "demo", 4_500, "eur").await;
}

async fn the_overview_shows_what_the_api_says(backend: Backend) {
    let api = Api::new(backend).await;
    busy_day(&api).await;
    let o = api.ok(api.key(), Method::GET, "/v1/overview?range=7", None).await;
    assert_eq!((o["clicks"].as_i64(), o["leads"].as_i64(), o["conversions"].as_i64()), (Some(3), Some(1), Some(2)), "{o}");
    assert_eq!(o["conversion_rate_bps"].as_i64(), Some(6_667));
    assert_eq!(o["revenue"], serde_json::json!([{ "currency": "eur", "amount": 4_500 }, { "currency": "usd", "amount": 10_000 }]));
    assert_eq!(o["days"].as_array().map(Vec::len), Some(7));
    assert_eq!(o["top_affiliates"][0]["code"], "demo");
    assert_eq!((o["top_affiliates"][0]["clicks"].as_i64(), o["top_affiliates"][0]["conversions"].as_i64()), (Some(3), Some(2)));
    assert_eq!(o["commissions_to_review"].as_i64(), Some(2), "the demo campaign approves by hand");

    user(&api.origin, &api.origin.seed.merchant_id, "viewer@shop.example", Role::Viewer).await;
    let browser = Browser::new(&api.origin);
    let session = browser.session("viewer@shop.example").await;
    let page = browser.get("/dashboard?range=7", Some(&session)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    let card = |label: &str, value: &str| format!("<dt>{label}</dt><dd>{value}</dd>");
    for (label, value) in [
        ("Clicks", "3".to_owned()),
        ("Leads", "1".into()),
        ("Conversions", "2".into()),
        ("Conversion rate", "66.67%".into()),
        ("Revenue", "€45.00 · $100.00".into()),
        ("Commissions earned", commissions(&o)),
    ] {
        assert!(html.contains(&card(label, &value)), "{label} {value}:\n{html}");
    }
    assert!(html.contains(r#"<span class="figure">2</span> Commissions to review"#));
    assert!(html.contains("<td>demo</td><td>Demo Affiliate</td><td>3</td><td>2</td><td>€45.00 · $100.00</td>"));
    assert!(html.contains("<svg class=\"chart\"") && html.contains("Clicks per day"));
    assert_eq!(html.matches("<td>demo</td>").count(), 3, "the top affiliate and the two latest conversions");

    let live = browser.get("/dashboard?range=7&mode=live", Some(&session)).await.text().await.expect("page");
    assert!(live.contains(&card("Conversions", "0")) && live.contains(&card("Clicks", "3")), "sales are of one mode, clicks of none");
    assert!(live.contains("No conversions yet."));

    // Another merchant's people see none of it.
    let (other, _, other_key) = api.origin.other_merchant().await;
    user(&api.origin, &other, "them@other.example", Role::Owner).await;
    let theirs = browser.get("/dashboard?range=7", Some(&browser.session("them@other.example").await)).await.text().await.expect("page");
    assert!(theirs.contains(&card("Clicks", "0")) && theirs.contains(&card("Conversions", "0")) && !theirs.contains("Demo Affiliate"));
    let their_api = api.ok(&other_key, Method::GET, "/v1/overview?range=7", None).await;
    assert_eq!((their_api["clicks"].as_i64(), their_api["conversions"].as_i64()), (Some(0), Some(0)));
}
on_both_backends!(the_overview_shows_what_the_api_says);

fn commissions(o: &Value) -> String {
    let list = o["commissions"].as_array().cloned().unwrap_or_default();
    let each = list.iter().map(|a| {
        let (amount, currency) = (a["amount"].as_i64().unwrap_or(0), a["currency"].as_str().unwrap_or(""));
        payref_origin::domain::money::format(amount, currency)
    });
    each.collect::<Vec<_>>().join(" · ")
}

#[tokio::test]
async fn a_span_it_cannot_show_is_explained_beside_its_field() {
    let api = Api::new(Backend::Sqlite).await;
    user(&api.origin, &api.origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    let browser = Browser::new(&api.origin);
    let session = browser.session("owner@shop.example").await;
    let page = browser.get("/dashboard?range=custom&from=2026-11-05&to=2026-11-01", Some(&session)).await;
    assert_eq!(page.status(), 400);
    let html = page.text().await.expect("page");
    assert!(html.contains(r#"<p id="from-error" class="error">The first day must not be after the last.</p>"#), "{html}");
    assert!(html.contains(r#"value="2026-11-05""#), "what was entered is kept");
    assert!(!html.contains("<dl class=\"cards\">"));
    let refused = api.call(api.key(), Method::GET, "/v1/overview?range=custom&to=2026-11-01", None).await;
    let (code, message) = crate::api::refused(refused, 400).await;
    assert_eq!((code.as_str(), message.as_str()), ("invalid_request", "from: Choose a date."));
    let unsigned = browser.get("/dashboard", None).await;
    assert_eq!(unsigned.status(), 303);
}
