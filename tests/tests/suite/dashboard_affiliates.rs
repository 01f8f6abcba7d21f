//! The dashboard's affiliates: found by search and status with their totals (as the API and the
//! overview count them), added through a form checked by the API's own rules, and never changed
//! by a viewer — the server refuses it, not just the page.

use payref_origin::domain::account::Role;
use payref_tests::origin::Backend;
use reqwest::Method;
use serde_json::json;

use crate::api::Api;
use crate::dashboard_overview::busy_day;
use crate::dashboard_sign_in::{Browser, user};
use crate::on_both_backends;

async fn affiliates_are_found_with_their_totals(backend: Backend) {
    let api = Api::new(backend).await;
    busy_day(&api).await;
    let mut paused = api.new_affiliate("percent_50");
    paused["name"] = json!("Fifty Percent");
    let paused = api.ok(api.key(), Method::POST, "/v1/affiliates", Some(paused)).await;
    let id = paused["id"].as_str().expect("id").to_owned();
    api.ok(api.key(), Method::PATCH, &format!("/v1/affiliates/{id}"), Some(json!({ "status": "paused" }))).await;

    user(&api.origin, &api.origin.seed.merchant_id, "viewer@shop.example", Role::Viewer).await;
    let browser = Browser::new(&api.origin);
    let session = browser.session("viewer@shop.example").await;
    let html = |path: &'static str| {
        let (browser, session) = (&browser, &session);
        async move {
            let resp = browser.get(path, Some(session)).await;
            assert_eq!(resp.status(), 200, "{path}");
            resp.text().await.expect("page")
        }
    };
    let all = html("/dashboard/affiliates").await;
    assert!(
        all.contains(
            "<td>demo</td><td>Demo Affiliate</td><td>active</td><td>affiliate@example.com</td><td>3</td><td>2</td><td>€45.00 · $100.00</td>"
        ),
        "{all}"
    );
    assert!(all.contains("<td>percent_50</td><td>Fifty Percent</td><td>paused</td>"));
    assert!(!all.contains("Add an affiliate"), "a viewer is not offered the form");

    let found = html("/dashboard/affiliates?q=FIFTY").await;
    assert!(found.contains("percent_50") && !found.contains("<td>demo</td>"), "search is case-insensitive, in the name");
    let literal = html("/dashboard/affiliates?q=%25").await;
    assert!(literal.contains("No affiliate matches."), "a % is a character, not a wildcard");
    let underscore = html("/dashboard/affiliates?q=demo_").await;
    assert!(underscore.contains("No affiliate matches."), "an _ too (as a wildcard it would match \"demo \")");
    let by_status = html("/dashboard/affiliates?status=paused").await;
    assert!(by_status.contains("percent_50") && !by_status.contains("<td>demo</td>"));
    let live = html("/dashboard/affiliates?mode=live").await;
    assert!(
        live.contains("<td>demo</td><td>Demo Affiliate</td><td>active</td><td>affiliate@example.com</td><td>3</td><td>0</td><td>—</td>")
    );

    // The API finds the same.
    let listed = api.list("/v1/affiliates?search=fifty").await;
    assert_eq!(listed.iter().map(|a| a["code"].as_str().unwrap_or("")).collect::<Vec<_>>(), ["percent_50"]);

    // Another merchant's people see none of these.
    let (other, _, _) = api.origin.other_merchant().await;
    user(&api.origin, &other, "them@other.example", Role::Owner).await;
    let theirs = browser.get("/dashboard/affiliates", Some(&browser.session("them@other.example").await)).await.text().await.expect("page");
    assert!(theirs.contains("No affiliate matches.") && !theirs.contains("demo"));
}
on_both_backends!(affiliates_are_found_with_their_totals);

#[tokio::test]
async fn pages_of_affiliates_follow_one_another() {
    let api = Api::new(Backend::Sqlite).await;
    for n in 0..30 {
        api.ok(api.key(), Method::POST, "/v1/affiliates", Some(api.new_affiliate(&format!("page_{n:02}")))).await;
    }
    user(&api.origin, &api.origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    let browser = Browser::new(&api.origin);
    let session = browser.session("owner@shop.example").await;
    let first = browser.get("/dashboard/affiliates?q=page_", Some(&session)).await.text().await.expect("page");
    assert_eq!(first.matches("<tr><td>page_").count(), 25);
    let at = first.find("href=\"/dashboard/affiliates?q=page").expect("a next page") + 6;
    let next = first[at..first[at..].find('"').map_or(at, |end| at + end)].replace("&#38;", "&");
    let second = browser.get(&next, Some(&session)).await.text().await.expect("page");
    assert_eq!(second.matches("<tr><td>page_").count(), 5, "{next}");
    assert!(!second.contains("Next page"));
    assert!(second.contains("<td>page_00</td>") && first.contains("<td>page_29</td>"), "newest first");
}

async fn an_owner_adds_an_affiliate_and_a_viewer_cannot(backend: Backend) {
    let api = Api::new(backend).await;
    let origin = &api.origin;
    user(origin, &origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    user(origin, &origin.seed.merchant_id, "viewer@shop.example", Role::Viewer).await;
    let browser = Browser::new(origin);
    let owner = browser.session("owner@shop.example").await;
    let csrf = browser.csrf(&owner).await;
    let campaign = origin.seed.campaign_id.as_str();
    let form = |code: &'static str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("code", code.to_owned()),
            ("name", "Ann Example".to_owned()),
            ("campaign_id", campaign.to_owned()),
            ("email", "Ann@Example.com".to_owned()),
            ("payout_email", String::new()),
            ("commission_bps", "1500".to_owned()),
        ]
    };
    let send = |token: String, fields: Vec<(&'static str, String)>| {
        let browser = &browser;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post("/dashboard/affiliates/new", Some(&token), &fields, None).await
        }
    };

    let page = browser.get("/dashboard/affiliates/new", Some(&owner)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains("Standard 30%"), "the campaigns to choose from");

    let bad = send(owner.clone(), form("not a code", &csrf)).await;
    assert_eq!(bad.status(), 400);
    let bad = bad.text().await.expect("page");
    assert!(bad.contains(r#"<p id="code-error" class="error">code is invalid"#), "{bad}");
    assert!(bad.contains(r#"value="Ann Example""#), "what was typed is kept");

    let made = send(owner.clone(), form("ann", &csrf)).await;
    assert_eq!((made.status().as_u16(), made.headers()["location"].to_str().ok()), (303, Some("/dashboard/affiliates?created=ann")));
    let ann = api.list("/v1/affiliates?search=ann").await;
    assert_eq!(
        (ann[0]["code"].as_str(), ann[0]["email"].as_str(), ann[0]["commission_bps"].as_i64()),
        (Some("ann"), Some("ann@example.com"), Some(1_500)),
        "the API sees what the form made"
    );
    let listed = browser.get("/dashboard/affiliates?created=ann", Some(&owner)).await.text().await.expect("page");
    assert!(listed.contains("Affiliate ann created.") && listed.contains("<td>ann</td><td>Ann Example</td>"));

    let taken = send(owner.clone(), form("ann", &csrf)).await;
    assert_eq!(taken.status(), 400);
    assert!(taken.text().await.expect("page").contains("code ann is already used by another affiliate"));

    let viewer = browser.session("viewer@shop.example").await;
    let viewer_csrf = browser.csrf(&viewer).await;
    assert_eq!(browser.get("/dashboard/affiliates/new", Some(&viewer)).await.status(), 403);
    let refused = send(viewer.clone(), form("bob", &viewer_csrf)).await;
    assert_eq!(refused.status(), 403, "the server refuses a viewer, not just the page");
    assert_eq!(send(owner.clone(), form("bob", "")).await.status(), 403, "no CSRF token");
    assert_eq!(send(owner.clone(), form("bob", &viewer_csrf)).await.status(), 403, "another session's token");
    assert!(api.list("/v1/affiliates?search=bob").await.is_empty(), "nothing was made");
}
on_both_backends!(an_owner_adds_an_affiliate_and_a_viewer_cannot);
