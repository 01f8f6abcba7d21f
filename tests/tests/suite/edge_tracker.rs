//! The tracker served first-party by the edge (Workers static assets), and the tracker in real
//! Chromium adopting the click of an affiliate redirect link instead of counting a second one.

use std::time::Duration;

use payref_shared::client_reference::{self, ParsedReference};
use payref_tests::browser::{query_param, visit_with};
use payref_tests::edge::{spawn_edge, spawn_edge_with};
use payref_tests::origin::{Backend, TestOrigin};
use payref_tests::process::eventually;
use payref_tests::required_env;
use payref_tests::shop::{ShopConfig, serve};
use reqwest::Response;

use crate::edge_routes::{link, site};

fn header<'a>(resp: &'a Response, name: &str) -> &'a str {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The content-hashed wasm file name the loader refers to.
fn wasm_name(loader: &str) -> String {
    let at = loader.find("payref-").expect("the loader names its wasm");
    let name = &loader[at..at + "payref-".len() + 16 + ".wasm".len()];
    assert!(name.ends_with(".wasm") && name[7..23].bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    name.to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_edge_serves_the_tracker_with_its_cache_rules() {
    // No origin is needed to serve files.
    let edge = spawn_edge("http://127.0.0.1:9").await;
    let dist = std::path::PathBuf::from(required_env("PAYREF_DIST_DIR"));
    let client = reqwest::Client::new();
    let get = |path: String| client.get(format!("{}{path}", edge.url)).send();

    let loader = get("/t/payref.js".into()).await.unwrap();
    assert_eq!(loader.status(), 200, "{}", edge.log_text());
    assert!(header(&loader, "content-type").starts_with("text/javascript"), "{:?}", loader.headers());
    assert!(header(&loader, "cache-control").contains("max-age=300"), "the stable loader is cached briefly: {:?}", loader.headers());
    assert_eq!(header(&loader, "access-control-allow-origin"), "*");
    let loader = loader.bytes().await.unwrap();
    assert_eq!(loader, std::fs::read(dist.join("payref.js")).unwrap(), "the built loader, unchanged");

    let name = wasm_name(std::str::from_utf8(&loader).unwrap());
    let wasm = get(format!("/t/{name}")).await.unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(header(&wasm, "content-type"), "application/wasm", "streaming compilation needs the wasm type");
    assert_eq!(header(&wasm, "cache-control"), "public, max-age=31536000, immutable", "a content-hashed name is cached for good");
    assert_eq!(header(&wasm, "access-control-allow-origin"), "*", "fetched from the shop's origin");
    assert_eq!(wasm.bytes().await.unwrap(), std::fs::read(dist.join(&name)).unwrap());

    let module = get("/t/payref.mjs".into()).await.unwrap();
    assert_eq!(module.status(), 200);
    assert!(header(&module, "cache-control").contains("max-age=300"));
    assert!(std::str::from_utf8(&module.bytes().await.unwrap()).unwrap().contains(&name), "the module loads the same wasm");

    // What is not a file reaches the worker's routes.
    let missing = get("/t/payref-0000000000000000.wasm".into()).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found");
    assert_eq!(get("/healthz".into()).await.unwrap().text().await.unwrap(), "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tracker_adopts_the_click_of_a_redirect_link() {
    // The worker on the shop's own domain (go.shop.test), the shop on shop.test: Chromium
    // resolves both to loopback, each keeping its port.
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    let shop_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the shop");
    let shop_port = shop_listener.local_addr().unwrap().port();
    let shop_url = format!("http://shop.test:{shop_port}");
    let site_id = site(&origin, "shop_redirect", &[&shop_url]).await;
    link(&origin, &site_id, "spring", &format!("{shop_url}/?x=1")).await;
    let edge = spawn_edge_with(&origin.url, &[("SITE_KEY", "shop_redirect")]).await;
    let edge_port = edge.url.rsplit(':').next().unwrap();
    let edge_url = format!("http://go.shop.test:{edge_port}");
    let config = ShopConfig {
        edge_url: edge_url.clone(),
        site_key: "shop_redirect".into(),
        template: payref_tests::repo_root().join("demo/shop.html"),
        checkout_url: None,
    };
    tokio::spawn(serve(config, shop_listener));

    let seen =
        visit_with(&format!("{edge_url}/r/spring"), &["--host-resolver-rules=MAP shop.test 127.0.0.1, MAP go.shop.test 127.0.0.1"]).await;
    assert!(seen.console_errors.is_empty(), "{:?}\nedge log:\n{}", seen.console_errors, edge.log_text());
    let prefix = format!("{shop_url}/?x=1&ref=demo&pr_click=");
    let click_id = seen.url.strip_prefix(&prefix).unwrap_or_else(|| panic!("landed on {}", seen.url)).to_owned();
    assert!(seen.cookie.contains(&format!("payref_ref=1.demo.{click_id}.")), "the edge's cookie: {}", seen.cookie);

    // Every Stripe surface carries the redirect's click, and the tracker reports no other.
    let href = &seen.payment_link;
    let reference = query_param(href, "client_reference_id").unwrap_or_else(|| panic!("{href}"));
    let ParsedReference::Tracked(parsed) = client_reference::parse(reference).expect("a payref reference") else { panic!("{reference}") };
    assert_eq!((parsed.code.as_str(), parsed.click_id.to_text()), ("demo", click_id.clone()));
    assert_eq!(seen.buy_button.as_deref(), Some(reference));
    assert_eq!(seen.beacon_status, None, "the redirect's click is already counted");
    eventually(Duration::from_secs(30), "the redirect's click to reach the origin", || async {
        origin.has_click(&click_id).await.then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(origin.count("clicks").await, 1, "one visit through a link is one click");
}
