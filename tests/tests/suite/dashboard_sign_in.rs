//! The dashboard's sign-in: argon2id passwords, sessions stored hashed in strict cookies,
//! rotated on sign-in, revocable one by one and everywhere, forms that carry a CSRF token and
//! refuse other sites, a strict Content-Security-Policy, and failures throttled.

use payref_origin::domain::account::{Role, hash_password};
use payref_origin::http::web::page::CSP;
use payref_origin::storage::users;
use payref_tests::origin::{Backend, TestOrigin};
use reqwest::{Client, Response, redirect};

use crate::on_both_backends;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A browser without JavaScript: follows no redirect, keeps no cookie unless told.
pub(crate) struct Browser {
    client: Client,
    base: String,
}

impl Browser {
    pub(crate) fn new(origin: &TestOrigin) -> Self {
        Self { client: Client::builder().redirect(redirect::Policy::none()).build().expect("client"), base: origin.url.clone() }
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("cookie", format!("payref_session={t}"));
        }
        req.send().await.expect("GET")
    }

    pub(crate) async fn post(&self, path: &str, token: Option<&str>, form: &[(&str, &str)], origin: Option<&str>) -> Response {
        let mut req = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(t) = token {
            req = req.header("cookie", format!("payref_session={t}"));
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send().await.expect("POST")
    }

    async fn sign_in(&self, email: &str, password: &str, token: Option<&str>) -> Response {
        self.post("/dashboard/login", token, &[("email", email), ("password", password)], None).await
    }

    /// Signs in; returns the session token its cookie carries.
    pub(crate) async fn session(&self, email: &str) -> String {
        let resp = self.sign_in(email, PASSWORD, None).await;
        assert_eq!(resp.status(), 303, "signing in redirects");
        cookie_token(&resp).expect("a session cookie")
    }

    /// The account page's CSRF token for a session.
    pub(crate) async fn csrf(&self, token: &str) -> String {
        let page = self.get("/dashboard/account", Some(token)).await.text().await.expect("page");
        let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        page[at..at + 64].to_owned()
    }
}

fn header(resp: &Response, name: &str) -> String {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

fn cookie_token(resp: &Response) -> Option<String> {
    let set = header(resp, "set-cookie");
    let value = set.strip_prefix("payref_session=")?.split(';').next()?;
    (!value.is_empty()).then(|| value.to_owned())
}

pub(crate) async fn user(origin: &TestOrigin, merchant: &str, email: &str, role: Role) {
    let hash = hash_password(PASSWORD);
    users::create(&origin.db.pool, merchant, (email, &hash), role, payref_origin::now_ms()).await.expect("user").expect("a new email");
}

async fn signing_in_opens_a_hashed_session_in_a_strict_cookie(backend: Backend) {
    let origin = TestOrigin::builder(backend).start().await;
    user(&origin, &origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    let browser = Browser::new(&origin);

    let form = browser.get("/dashboard/login", None).await;
    assert_eq!(form.status(), 200);
    assert_eq!(header(&form, "content-security-policy"), CSP);
    assert_eq!(header(&form, "cache-control"), "no-store");
    let html = form.text().await.expect("page");
    assert!(html.contains(r#"<form method="post" action="/dashboard/login""#) && html.contains(r#"<label for="password">"#));
    let css = &html[html.find("/dashboard/assets/").expect("a stylesheet")..];
    let css = browser.get(&css[..css.find('"').expect("quoted")], None).await;
    assert_eq!((css.status().as_u16(), header(&css, "cache-control")), (200, "public, max-age=31536000, immutable".into()));

    let away = browser.get("/dashboard/account", None).await;
    assert_eq!((away.status().as_u16(), header(&away, "location")), (303, "/dashboard/login".into()));

    for (email, password) in [("owner@shop.example", "wrong horse battery"), ("nobody@shop.example", PASSWORD)] {
        let refused = browser.sign_in(email, password, None).await;
        assert_eq!(refused.status(), 401, "{email}");
        assert!(cookie_token(&refused).is_none());
        let page = refused.text().await.expect("page");
        assert!(page.contains("That email and password do not match an account.") && page.contains(&format!(r#"value="{email}""#)));
    }

    // Emails sign in whatever their case; the cookie is HttpOnly, SameSite=Lax, scoped.
    let resp = browser.sign_in("  Owner@Shop.Example ", PASSWORD, None).await;
    assert_eq!((resp.status().as_u16(), header(&resp, "location")), (303, "/dashboard".into()), "to the overview");
    let cookie = header(&resp, "set-cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/dashboard"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback: {cookie}");
    let first = cookie_token(&resp).expect("token");
    assert!(!origin.stored_text().await.contains(&first), "the database holds only the token's hash");

    let page = browser.get("/dashboard/account", Some(&first)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("page");
    assert!(page.contains("owner@shop.example") && page.contains("Demo Shop") && page.contains("owner"), "{page}");
    assert!(page.contains("1 signed-in browser"));

    // Signing in again while presenting a session replaces it (no fixation); a second browser adds one.
    let second = browser.session("owner@shop.example").await;
    let rotated = cookie_token(&browser.sign_in("owner@shop.example", PASSWORD, Some(&first)).await).expect("token");
    assert_ne!(rotated, first);
    assert_eq!(browser.get("/dashboard/account", Some(&first)).await.status(), 303, "the replaced session is closed");
    assert!(browser.get("/dashboard/account", Some(&second)).await.text().await.expect("page").contains("2 signed-in browsers"));

    // Forms need the session's CSRF token and this site's origin.
    let csrf = browser.csrf(&rotated).await;
    for (form, from) in
        [(vec![], None), (vec![("csrf", "0".repeat(64))], None), (vec![("csrf", csrf.clone())], Some("http://evil.example"))]
    {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = browser.post("/dashboard/logout", Some(&rotated), &form, from).await;
        assert_eq!(resp.status(), 403, "{form:?} from {from:?}");
    }
    assert_eq!(browser.get("/dashboard/account", Some(&rotated)).await.status(), 200, "nothing was closed");

    let out = browser.post("/dashboard/logout-everywhere", Some(&rotated), &[("csrf", &csrf)], Some(&origin.url)).await;
    assert_eq!((out.status().as_u16(), header(&out, "location")), (303, "/dashboard/login".into()));
    assert!(header(&out, "set-cookie").contains("Max-Age=0"));
    for token in [&rotated, &second] {
        assert_eq!(browser.get("/dashboard/account", Some(token)).await.status(), 303, "every session ended");
    }

    let last = browser.session("owner@shop.example").await;
    let csrf = browser.csrf(&last).await;
    assert_eq!(browser.post("/dashboard/logout", Some(&last), &[("csrf", &csrf)], None).await.status(), 303);
    assert_eq!(browser.get("/dashboard/account", Some(&last)).await.status(), 303);
    assert_eq!(origin.count("dashboard_sessions").await, 0);
}
on_both_backends!(signing_in_opens_a_hashed_session_in_a_strict_cookie);

async fn each_user_sees_only_their_own_merchant(backend: Backend) {
    let origin = TestOrigin::builder(backend).start().await;
    let (other, _, _) = origin.other_merchant().await;
    user(&origin, &origin.seed.merchant_id, "demo@shop.example", Role::Viewer).await;
    user(&origin, &other, "other@shop.example", Role::Admin).await;
    let browser = Browser::new(&origin);
    let demo = browser.get("/dashboard/account", Some(&browser.session("demo@shop.example").await)).await.text().await.expect("page");
    let theirs = browser.get("/dashboard/account", Some(&browser.session("other@shop.example").await)).await.text().await.expect("page");
    assert!(demo.contains("Demo Shop") && !demo.contains("Other Shop") && demo.contains("viewer"));
    assert!(theirs.contains("Other Shop") && !theirs.contains("Demo Shop") && theirs.contains("admin"));
}
on_both_backends!(each_user_sees_only_their_own_merchant);

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_per_address() {
    let origin = TestOrigin::builder(Backend::Sqlite).start().await;
    user(&origin, &origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    user(&origin, &origin.seed.merchant_id, "admin@shop.example", Role::Admin).await;
    let browser = Browser::new(&origin);
    for _ in 0..payref_origin::domain::throttle::SIGN_IN_FAILURES {
        assert_eq!(browser.sign_in("owner@shop.example", "not the password", None).await.status(), 401);
    }
    // Now even the right password waits, for this account and from this address.
    for email in ["owner@shop.example", "admin@shop.example"] {
        let refused = browser.sign_in(email, PASSWORD, None).await;
        assert_eq!(refused.status(), 429, "{email}");
        assert!(header(&refused, "retry-after").parse::<i64>().is_ok_and(|s| s > 0 && s <= 900));
        assert!(cookie_token(&refused).is_none());
        assert!(refused.text().await.expect("page").contains("Too many failed attempts. Try again in 15 minutes."));
    }
}

#[tokio::test]
async fn sign_in_forms_from_another_site_are_refused() {
    let origin = TestOrigin::builder(Backend::Sqlite).start().await;
    user(&origin, &origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    let browser = Browser::new(&origin);
    let form = [("email", "owner@shop.example"), ("password", PASSWORD)];
    let refused = browser.post("/dashboard/login", None, &form, Some("https://evil.example")).await;
    assert_eq!(refused.status(), 403);
    assert!(cookie_token(&refused).is_none());
    assert_eq!(browser.post("/dashboard/login", None, &form, Some(&origin.url)).await.status(), 303);
}

/// What `tests/browser/dashboard.mjs` saw.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Walk {
    unsigned_lands_on: String,
    overview_heading: String,
    overview_cards: String,
    period_error: String,
    affiliates_heading: String,
    code_error: String,
    created_notice: String,
    approved_notice: String,
    why_heading: String,
    timeline: usize,
    wrong_password_alert: String,
    email_kept: String,
    signed_in_on: String,
    heading: String,
    account: String,
    cookie_visible_to_scripts: bool,
    after_log_out_lands_on: String,
    audits: std::collections::BTreeMap<String, Vec<String>>,
    console_errors: Vec<String>,
}

#[tokio::test]
async fn a_person_signs_in_and_out_in_chromium_and_every_page_passes_axe() {
    let api = crate::api::Api::new(Backend::Sqlite).await;
    crate::dashboard_overview::busy_day(&api).await;
    let origin = &api.origin;
    user(origin, &origin.seed.merchant_id, "owner@shop.example", Role::Owner).await;
    let chromium = payref_tests::required_env("PAYREF_CHROMIUM");
    let root = payref_tests::repo_root();
    let shots = root.join("target/screenshots");
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/dashboard.mjs"))
        .args([&origin.url, &chromium, "owner@shop.example", PASSWORD])
        .arg(&shots)
        .output()
        .await
        .expect("running node");
    assert!(out.status.success(), "dashboard.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    let walk: Walk = serde_json::from_slice(&out.stdout).expect("dashboard.mjs prints its walk");
    assert_eq!(walk.unsigned_lands_on, "/dashboard/login");
    assert_eq!(walk.wrong_password_alert, "That email and password do not match an account.");
    assert_eq!(walk.email_kept, "owner@shop.example");
    assert_eq!((walk.signed_in_on.as_str(), walk.overview_heading.as_str()), ("/dashboard", "Overview"));
    assert!(walk.overview_cards.contains("Clicks 3") && walk.overview_cards.contains("Conversion rate 66.67%"), "{}", walk.overview_cards);
    assert_eq!(walk.period_error, "The first day must not be after the last.");
    assert_eq!(walk.affiliates_heading, "Affiliates");
    assert!(walk.code_error.starts_with("code is invalid"), "{}", walk.code_error);
    assert_eq!(walk.created_notice, "Affiliate ann created.");
    assert_eq!(walk.approved_notice, "1 commission approved.");
    assert_eq!(walk.why_heading, "Why it belongs to this affiliate");
    assert!(walk.timeline >= 1, "the sale's attribution at least");
    assert_eq!(walk.heading, "Your account");
    assert!(walk.account.contains("owner@shop.example") && walk.account.contains("Demo Shop"), "{}", walk.account);
    assert!(!walk.cookie_visible_to_scripts, "the session cookie is HttpOnly");
    assert_eq!(walk.after_log_out_lands_on, "/dashboard/login");
    assert_eq!(walk.audits.len(), 10);
    for (page, violations) in &walk.audits {
        assert!(violations.is_empty(), "axe on {page}: {violations:#?}");
    }
    // The errors a browser logs are the refused sign-in's 401 and the refused period's and form's 400s.
    let expected = |e: &&String| e.ends_with("status of 401 (Unauthorized)") || e.ends_with("status of 400 (Bad Request)");
    let unexpected: Vec<&String> = walk.console_errors.iter().filter(|e| !expected(e)).collect();
    assert!(unexpected.is_empty(), "no CSP violation or error: {unexpected:#?}");
    assert_eq!(walk.console_errors.len(), 3, "{:#?}", walk.console_errors);
    let shots_taken = [
        "sign-in",
        "sign-in-error",
        "overview",
        "overview-error",
        "affiliates",
        "affiliate-new-error",
        "commissions",
        "conversion",
        "account",
    ]
    .map(|s| format!("dashboard-{s}.png"));
    for shot in &shots_taken {
        assert!(shots.join(shot).metadata().is_ok_and(|m| m.len() > 1_000), "{shot} saved");
    }
}
