//! The worker's routes in real workerd, against a real origin: bad input gets a clear 4xx, bots
//! and repeats are dropped, only good events are forwarded, and redirect links send visitors on
//! with the referral.

use std::time::Duration;

use payref_shared::{ClickEvent, ClickId, LeadEvent, ReferralCode, SiteKey};
use payref_tests::edge::{TestEdge, spawn_edge, spawn_edge_with, spawn_miniflare};
use payref_tests::origin::{Backend, TestOrigin};
use payref_tests::process::eventually;
use reqwest::{Client, Response};
use serde_json::{Value, json};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A browser user agent of visitor `n`: the edge tells visitors apart by IP and user agent.
pub(crate) fn visitor(n: u32) -> String {
    format!("{CHROME} v{n}")
}

fn click(site: &str, n: u8) -> String {
    click_with(site, ClickId::from_bytes([n; 16]))
}

/// The tracker's beacon for a `demo` click on `site`.
pub(crate) fn click_with(site: &str, click_id: ClickId) -> String {
    ClickEvent {
        site: SiteKey::parse(site).unwrap(),
        code: ReferralCode::parse("demo").unwrap(),
        click_id,
        landing_url: "https://shop.test/?ref=demo".into(),
        referrer: String::new(),
        utm: vec![],
    }
    .to_form()
}

fn lead(n: u8) -> String {
    LeadEvent { site: SiteKey::parse("site_demo").unwrap(), click_id: ClickId::from_bytes([n; 16]), email_sha256: "ab".repeat(32) }
        .to_form()
}

async fn code_of(resp: Response, status: u16) -> String {
    assert_eq!(resp.status().as_u16(), status);
    let body: Value = resp.json().await.expect("JSON error");
    body["error"]["code"].as_str().expect("error.code").to_owned()
}

pub(crate) async fn post(edge: &TestEdge, path: &str, ua: &str, origin: &str, body: String) -> Response {
    Client::new()
        .post(format!("{}{path}", edge.url))
        .header("User-Agent", ua)
        .header("Origin", origin)
        .header("Content-Type", "text/plain;charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("edge request")
}

/// A site of the demo merchant with allowed origins, through the merchant API.
pub(crate) async fn site(origin: &TestOrigin, key: &str, allowed: &[&str]) -> String {
    let resp = Client::new()
        .post(format!("{}/v1/sites", origin.url))
        .bearer_auth(&origin.seed.api_key)
        .json(&json!({ "site_key": key, "allowed_origins": allowed }))
        .send()
        .await
        .expect("creating a site");
    assert_eq!(resp.status(), 200, "creating site {key}");
    resp.json::<Value>().await.expect("site JSON")["id"].as_str().expect("site id").to_owned()
}

/// An affiliate link of the `demo` affiliate on site `site_id`, through the merchant API.
pub(crate) async fn link(origin: &TestOrigin, site_id: &str, slug: &str, destination: &str) {
    let client = Client::new();
    let affiliates: Value =
        client.get(format!("{}/v1/affiliates", origin.url)).bearer_auth(&origin.seed.api_key).send().await.unwrap().json().await.unwrap();
    let demo = affiliates["data"].as_array().unwrap().iter().find(|a| a["code"] == "demo").unwrap()["id"].clone();
    let link = json!({ "site_id": site_id, "affiliate_id": demo, "slug": slug, "destination_url": destination });
    let created = client.post(format!("{}/v1/links", origin.url)).bearer_auth(&origin.seed.api_key).json(&link).send().await.unwrap();
    assert_eq!(created.status(), 200, "creating link {slug}");
}

#[tokio::test(flavor = "multi_thread")]
async fn event_routes_answer_good_and_bad_input_and_forward_only_people() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    site(&origin, "shop_locked", &["https://shop.test"]).await;
    let edge = spawn_edge(&origin.url).await;
    let shop = "https://shop.test";

    let ok = post(&edge, "/v1/clicks", &visitor(1), shop, click("site_demo", 5)).await;
    assert_eq!(ok.status(), 204, "{}", edge.log_text());
    assert_eq!(ok.headers()["access-control-allow-origin"], shop);
    let preflight = Client::new().request(reqwest::Method::OPTIONS, format!("{}/v1/clicks", edge.url)).header("Origin", shop).send().await;
    assert_eq!(preflight.unwrap().status(), 204);

    // Bad input, each with its own clear error.
    let bad_code = click("site_demo", 9).replace("c=demo", "c=%3Cscript%3E");
    assert_eq!(code_of(post(&edge, "/v1/clicks", &visitor(2), shop, bad_code).await, 400).await, "invalid_event");
    assert_eq!(code_of(post(&edge, "/v1/clicks", &visitor(2), shop, "garbage=%%".into()).await, 400).await, "invalid_event");
    assert_eq!(code_of(post(&edge, "/v1/clicks", &visitor(2), shop, "a".repeat(9000)).await, 413).await, "payload_too_large");
    // Without a Content-Length (chunked), the body is read only up to the limit.
    assert!(edge.post_chunked("/v1/clicks", CHROME, 64 * 1024).await.contains(" 413 "));
    assert!(edge.post_chunked("/v1/diagnostics", CHROME, 64 * 1024).await.contains(" 413 "));
    let nul = click("site_demo", 9).replace("u=https", "u=https%00");
    assert_eq!(
        code_of(post(&edge, "/v1/clicks", &visitor(2), shop, nul).await, 400).await,
        "invalid_event",
        "what PostgreSQL cannot store"
    );
    assert_eq!(code_of(post(&edge, "/v1/clicks", &visitor(2), shop, click("site_nope", 9)).await, 403).await, "unknown_site");
    assert_eq!(code_of(post(&edge, "/v1/clicks", &visitor(2), shop, lead(5)).await, 400).await, "wrong_event");
    assert_eq!(code_of(post(&edge, "/v1/identify", &visitor(2), shop, click("site_demo", 9)).await, 400).await, "wrong_event");
    let locked = post(&edge, "/v1/clicks", &visitor(2), "https://evil.test", click("shop_locked", 9)).await;
    assert!(locked.headers().get("access-control-allow-origin").is_none(), "a refused origin gets no CORS grant");
    assert_eq!(code_of(locked, 403).await, "origin_not_allowed");
    let client = Client::new();
    let get = client.get(format!("{}/v1/clicks", edge.url)).send().await.unwrap();
    assert_eq!(code_of(get, 405).await, "method_not_allowed");
    assert_eq!(code_of(client.get(format!("{}/nope", edge.url)).send().await.unwrap(), 404).await, "not_found");
    let bad_report = post(&edge, "/v1/diagnostics", &visitor(2), shop, "v=1&t=nope".into()).await;
    assert_eq!(code_of(bad_report, 400).await, "invalid_diagnostic");

    // Good input that is accepted but not forwarded: a bot, a repeat of visitor 1's click.
    assert_eq!(post(&edge, "/v1/clicks", GOOGLEBOT, shop, click("site_demo", 6)).await.status(), 204);
    assert_eq!(post(&edge, "/v1/clicks", &visitor(1), shop, click("site_demo", 7)).await.status(), 204);
    // Forwarded: the locked site from its own origin, an identify, a CSP report (logged).
    assert_eq!(post(&edge, "/v1/clicks", &visitor(3), shop, click("shop_locked", 8)).await.status(), 204);
    assert_eq!(post(&edge, "/v1/identify", &visitor(1), shop, lead(5)).await.status(), 204);
    let report = post(&edge, "/v1/diagnostics", &visitor(1), shop, "v=1&t=csp&s=site_demo&u=https%3A%2F%2Fshop.test%2F".into()).await;
    assert_eq!(report.status(), 204);

    for n in [5, 8] {
        let id = ClickId::from_bytes([n; 16]).to_text();
        eventually(Duration::from_secs(30), "the valid clicks to reach the origin", || async { origin.has_click(&id).await.then_some(()) })
            .await;
    }
    eventually(Duration::from_secs(30), "the identify to reach the origin", || async { (origin.count("leads").await == 1).then_some(()) })
        .await;
    // The consumer delivers in order of arrival: the lead came after every dropped click.
    assert_eq!(origin.count("clicks").await, 2, "bad input, bots and repeats must not be forwarded");
    assert!(edge.log_text().contains("site site_demo page https://shop.test/: csp"), "{}", edge.log_text());

    // One visitor sending too much is told to wait.
    let mut statuses = Vec::new();
    for _ in 0..110 {
        let resp = post(&edge, "/v1/clicks", &visitor(4), shop, click("site_demo", 10)).await;
        if resp.status() == 429 {
            assert!(resp.headers().contains_key("retry-after"));
            statuses.push(429);
            break;
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses.first(), Some(&204));
    assert_eq!(statuses.last(), Some(&429), "no 429 after {} requests from one visitor", statuses.len());

    // Stopping the edge stops workerd too: nothing is left answering on its port.
    let port = edge.url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    drop(edge);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "workerd still answers on port {port} after stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_links_send_visitors_on_with_the_referral_and_the_cookie() {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    let site_id = site(&origin, "shop_links", &["https://shop.test"]).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let destination = "https://shop.test/sale?x=1#top";
    link(&origin, &site_id, "spring", destination).await;
    let edge = spawn_edge_with(&origin.url, &[("SITE_KEY", "shop_links"), ("COOKIE_DOMAIN", "shop.test")]).await;
    let follow =
        |ua: &str| client.get(format!("{}/r/spring", edge.url)).header("User-Agent", ua).header("Referer", "https://blog.test/post").send();

    let resp = follow(&visitor(1)).await.unwrap();
    assert_eq!(resp.status(), 302, "{}", edge.log_text());
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let prefix = "https://shop.test/sale?x=1&ref=demo&pr_click=";
    assert!(location.starts_with(prefix) && location.ends_with("#top"), "{location}");
    let click_id = location[prefix.len()..location.len() - "#top".len()].to_owned();
    assert!(ClickId::parse(&click_id).is_ok(), "{click_id}");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with(&format!("payref_ref=1.demo.{click_id}.")), "{cookie}");
    assert!(cookie.contains("; Domain=shop.test;") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains("HttpOnly"), "the tracker reads the cookie");
    eventually(Duration::from_secs(30), "the redirect's click to reach the origin", || async {
        origin.has_click(&click_id).await.then_some(())
    })
    .await;

    // A bot reaches the page, uncredited and uncounted.
    let bot = follow(GOOGLEBOT).await.unwrap();
    assert_eq!((bot.status().as_u16(), bot.headers()["location"].to_str().unwrap()), (302, destination));
    assert!(bot.headers().get("set-cookie").is_none());
    // So does a link checker's HEAD.
    let head = client.head(format!("{}/r/spring", edge.url)).header("User-Agent", visitor(3)).send().await.unwrap();
    assert_eq!((head.status().as_u16(), head.headers()["location"].to_str().unwrap()), (302, destination));
    assert!(head.headers().get("set-cookie").is_none());
    // Another person is another click, with another id; it arrives after the bot's would have.
    let again = follow(&visitor(2)).await.unwrap();
    let second = again.headers()["location"].to_str().unwrap()[prefix.len()..].trim_end_matches("#top").to_owned();
    assert_ne!(second, click_id);
    eventually(Duration::from_secs(30), "the second click to reach the origin", || async { origin.has_click(&second).await.then_some(()) })
        .await;
    assert_eq!(origin.count("clicks").await, 2, "neither the bot's visit nor the HEAD is a click");

    assert_eq!(code_of(client.get(format!("{}/r/nope", edge.url)).send().await.unwrap(), 404).await, "not_found");
    assert_eq!(code_of(client.get(format!("{}/r/bad%20slug", edge.url)).send().await.unwrap(), 404).await, "not_found");
    assert_eq!(code_of(client.post(format!("{}/r/spring", edge.url)).send().await.unwrap(), 405).await, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread")]
async fn clicks_carry_the_country_cloudflare_saw() {
    // Miniflare, not wrangler dev: only its dispatchFetch takes a request's `cf`.
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    let site_id = site(&origin, "shop_world", &["https://shop.test"]).await;
    link(&origin, &site_id, "world", "https://shop.test/").await;
    let edge = spawn_miniflare(&origin.url, &[("SITE_KEY", "shop_world")]).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let send = |n: u8, cf: &str| {
        client
            .post(format!("{}/v1/clicks", edge.url))
            .header("User-Agent", visitor(u32::from(n)))
            .header("Origin", "https://shop.test")
            .header("x-test-cf", cf)
            .body(click_with("shop_world", ClickId::from_bytes([n; 16])))
            .send()
    };
    for (n, cf) in [(1, r#"{"country":"DE"}"#), (2, r#"{"country":"XX"}"#), (3, r#"{"country":"T1"}"#), (4, r#"{"country":""}"#)] {
        let resp = send(n, cf).await.unwrap();
        assert_eq!(resp.status(), 204, "{cf}: {}", edge.log_text());
    }
    let resp = client
        .get(format!("{}/r/world", edge.url))
        .header("User-Agent", visitor(5))
        .header("x-test-cf", r#"{"country":"JP"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302, "{}", edge.log_text());
    let redirect_click = resp.headers()["location"].to_str().unwrap().rsplit("pr_click=").next().unwrap().to_owned();

    let countries = eventually(Duration::from_secs(30), "five clicks to reach the origin", || async {
        let list: Value = client
            .get(format!("{}/v1/clicks?limit=100", origin.url))
            .bearer_auth(&origin.seed.api_key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let data = list["data"].as_array()?.clone();
        (data.len() == 5)
            .then(|| data.into_iter().map(|c| (c["id"].as_str().unwrap().to_owned(), c["country"].clone())).collect::<Vec<_>>())
    })
    .await;
    let country_of = |id: &str| countries.iter().find(|(c, _)| c == id).unwrap_or_else(|| panic!("{id} in {countries:?}")).1.clone();
    assert_eq!(country_of(&ClickId::from_bytes([1; 16]).to_text()), "DE");
    assert_eq!(country_of(&ClickId::from_bytes([2; 16]).to_text()), Value::Null, "Cloudflare's XX is no country");
    assert_eq!(country_of(&ClickId::from_bytes([3; 16]).to_text()), "T1");
    assert_eq!(country_of(&ClickId::from_bytes([4; 16]).to_text()), Value::Null, "an empty cf.country is no country");
    assert_eq!(country_of(&redirect_click), "JP", "a redirect's click has its country too");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sites_new_allowed_origins_reach_the_edge_when_its_cached_copy_expires() {
    // The cached copy carries its own expiry (1 s in tests; KV's own TTL cannot go under 60 s).
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    let site_id = site(&origin, "shop_moves", &["https://old.test"]).await;
    let edge = spawn_edge(&origin.url).await;
    let status = |n: u32, page: &'static str| {
        let edge = &edge;
        async move { post(edge, "/v1/clicks", &visitor(n), page, click("shop_moves", u8::try_from(n).unwrap())).await.status().as_u16() }
    };
    assert_eq!(status(1, "https://old.test").await, 204);
    assert_eq!(status(2, "https://new.test").await, 403);

    let moved = Client::new()
        .patch(format!("{}/v1/sites/{site_id}", origin.url))
        .bearer_auth(&origin.seed.api_key)
        .json(&json!({ "allowed_origins": ["https://new.test"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let mut n = 3;
    eventually(Duration::from_secs(15), "the edge to take the new origin", || {
        n += 1;
        let n = n;
        async move { (status(n, "https://new.test").await == 204).then_some(()) }
    })
    .await;
    assert_eq!(status(40, "https://old.test").await, 403, "the old origin is refused from then on");
}
