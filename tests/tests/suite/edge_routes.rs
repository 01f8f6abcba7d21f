//! The worker's routes in real workerd: bad input gets a clear 4xx, good input is accepted.

use std::time::Duration;

use payref_shared::{ClickEvent, ClickId, ReferralCode, SiteKey};
use payref_tests::edge::spawn_edge;
use payref_tests::origin::{Backend, spawn_origin};
use payref_tests::process::eventually;
use reqwest::Client;
use serde_json::Value;

fn beacon() -> String {
    ClickEvent {
        site: SiteKey::parse("site_demo").unwrap(),
        code: ReferralCode::parse("demo").unwrap(),
        click_id: ClickId::from_bytes([5; 16]),
        landing_url: "https://shop.test/?ref=demo".into(),
        referrer: String::new(),
        utm: vec![],
    }
    .to_form()
}

async fn code_of(resp: reqwest::Response, status: u16) -> String {
    assert_eq!(resp.status().as_u16(), status);
    let body: Value = resp.json().await.expect("JSON error");
    body["error"]["code"].as_str().expect("error.code").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn click_route_answers_good_and_bad_input_and_forwards_only_the_good() {
    let origin = spawn_origin(Backend::Sqlite, "whsec_unused").await;
    let edge = spawn_edge(&origin.url).await;
    let client = Client::new();
    let clicks = format!("{}/v1/clicks", edge.url);

    let ok = client.post(&clicks).header("Origin", "https://shop.test").body(beacon()).send().await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://shop.test");

    let preflight = client.request(reqwest::Method::OPTIONS, &clicks).header("Origin", "https://shop.test").send().await.unwrap();
    assert_eq!(preflight.status(), 204);

    let bad_code = beacon().replace("c=demo", "c=%3Cscript%3E");
    let resp = client.post(&clicks).body(bad_code).send().await.unwrap();
    assert_eq!(code_of(resp, 400).await, "invalid_event");
    let resp = client.post(&clicks).body("garbage=%%").send().await.unwrap();
    assert_eq!(code_of(resp, 400).await, "invalid_event");
    let resp = client.post(&clicks).body("a".repeat(9000)).send().await.unwrap();
    assert_eq!(code_of(resp, 413).await, "payload_too_large");
    let resp = client.get(&clicks).send().await.unwrap();
    assert_eq!(code_of(resp, 405).await, "method_not_allowed");
    let resp = client.get(format!("{}/nope", edge.url)).send().await.unwrap();
    assert_eq!(code_of(resp, 404).await, "not_found");

    // Only the valid beacon reaches the origin.
    let valid = ClickId::from_bytes([5; 16]).to_text();
    eventually(Duration::from_secs(30), "the valid click to reach the origin", || async { origin.has_click(&valid).await.then_some(()) })
        .await;
    assert_eq!(origin.count("clicks").await, 1, "bad input must not be forwarded");

    // Stopping the edge stops workerd too: nothing is left answering on its port.
    let port = edge.url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    drop(edge);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "workerd still answers on port {port} after stop");
}
