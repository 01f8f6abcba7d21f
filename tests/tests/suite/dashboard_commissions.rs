//! The dashboard's commissions: pending ones listed to review, approved or denied in bulk by
//! ticking them (the API's own rule and transaction, recorded as the user's), never by a viewer.

use payref_origin::domain::account::Role;
use payref_tests::origin::Backend;
use reqwest::Method;

use crate::api::Api;
use crate::dashboard_overview::busy_day;
use crate::dashboard_sign_in::{Browser, user};
use crate::on_both_backends;

async fn pending_commissions_are_approved_and_denied_in_bulk(backend: Backend) {
    let api = Api::new(backend).await;
    busy_day(&api).await;
    let pending = api.list("/v1/commissions?status=pending").await;
    let ids: Vec<String> = pending.iter().map(|c| c["id"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(ids.len(), 2);
    user(&api.origin, &api.origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    user(&api.origin, &api.origin.seed.merchant_id, "viewer@shop.example", Role::Viewer).await;
    let browser = Browser::new(&api.origin);
    let owner = browser.session("owner@shop.example").await;
    let csrf = browser.csrf(&owner).await;

    let list = browser.get("/dashboard/commissions", Some(&owner)).await.text().await.expect("page");
    assert_eq!(list.matches(r#"type="checkbox" name="ids""#).count(), 2, "the pending ones, to review");
    assert!(list.contains("<td>demo</td><td>$30.00</td><td>30.00%</td><td>pending</td>"), "{list}");

    let act = |token: &str, fields: Vec<(&'static str, String)>| {
        let (browser, token) = (&browser, token.to_owned());
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post("/dashboard/commissions/act", Some(&token), &fields, None).await
        }
    };
    let location = |resp: &reqwest::Response| resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();

    // A viewer is refused by the server; a form without the session's token too.
    let viewer = browser.session("viewer@shop.example").await;
    let viewer_csrf = browser.csrf(&viewer).await;
    let viewer_list = browser.get("/dashboard/commissions", Some(&viewer)).await.text().await.expect("page");
    assert!(!viewer_list.contains("Approve selected") && !viewer_list.contains(r#"type="checkbox""#));
    let approve_first = |csrf: &str| vec![("csrf", csrf.to_owned()), ("action", "approve".into()), ("ids", ids[0].clone())];
    assert_eq!(act(&viewer, approve_first(&viewer_csrf)).await.status(), 403);
    assert_eq!(act(&owner, approve_first("")).await.status(), 403);
    assert_eq!(api.list("/v1/commissions?status=pending").await.len(), 2, "nothing changed");

    let approved = act(&owner, approve_first(&csrf)).await;
    assert_eq!(approved.status(), 303);
    let to = location(&approved);
    assert_eq!(to, "/dashboard/commissions?done=approved&n=1&refused=0");
    let shown = browser.get(&to, Some(&owner)).await.text().await.expect("page");
    assert!(shown.contains(r#"<p class="notice" role="status">1 commission approved.</p>"#));
    let one = api.ok(api.key(), Method::GET, &format!("/v1/commissions/{}", ids[0]), None).await;
    assert_eq!(one["status"], "approved");
    let trail = api.list(&format!("/v1/audit_events?object_id={}", ids[0])).await;
    assert!(trail.iter().any(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("user:usr_"))), "{trail:?}");

    // A deny needs a reason; with one, both go (the approved one too), each with it.
    let deny_both = |reason: &str| {
        let mut f =
            vec![("csrf", csrf.clone()), ("action", "deny".into()), ("reason", reason.to_owned()), ("back", "status=all&mode=test".into())];
        f.extend(ids.iter().map(|id| ("ids", id.clone())));
        f
    };
    let no_reason = act(&owner, deny_both("  ")).await;
    assert_eq!(location(&no_reason), "/dashboard/commissions?status=all&mode=test&error=reason");
    let page = browser.get(&location(&no_reason), Some(&owner)).await.text().await.expect("page");
    assert!(page.contains("To deny, give a reason (1 to 500 characters)."));
    let denied = act(&owner, deny_both("self-referral")).await;
    assert_eq!(location(&denied), "/dashboard/commissions?status=all&mode=test&done=denied&n=2&refused=0");
    let denied = api.list("/v1/commissions?status=denied").await;
    assert!(denied.len() == 2 && denied.iter().all(|c| c["reason"] == "self-referral"));

    // Approving a denied one is refused by its status; a foreign back address is not followed.
    let mut again = approve_first(&csrf);
    again.push(("back", "https://evil.example/".into()));
    let again = act(&owner, again).await;
    assert_eq!(location(&again), "/dashboard/commissions?done=approved&n=0&refused=1");
    // A notice is made of fixed words, whatever the address says.
    let forged = browser.get("/dashboard/commissions?done=hacked&error=<b>", Some(&owner)).await.text().await.expect("page");
    assert!(!forged.contains("hacked") && !forged.contains("role=\"alert\""));
}
on_both_backends!(pending_commissions_are_approved_and_denied_in_bulk);
