//! The README's demo path (issue 17, finding 9), wired as `cargo xtask demo` wires it: the
//! Stripe simulator delivering to the origin, the edge in workerd, the demo shop whose last
//! link opens the simulator's checkout on `localhost`. Real Chromium opens the shop with
//! `?ref=demo`, follows that link, pays, and the API shows the sale attributed to `demo`.

use std::time::Duration;

use payref_tests::edge::spawn_edge;
use payref_tests::process::eventually;
use payref_tests::required_env;
use payref_tests::shop::{ShopConfig, serve};
use serde::Deserialize;

use crate::stripe_reconcile::connected;
use payref_tests::origin::Backend;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Walk {
    decorated: bool,
    simulator_href: String,
    shown_reference: Option<String>,
    session: Option<String>,
    console_messages: Vec<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_pays_through_the_demo_shop_and_the_sale_is_attributed() {
    let (api, sim) = connected(Backend::Sqlite).await;
    let edge = spawn_edge(&api.origin.url).await;
    let sim_port = sim.base_url.trim_end_matches('/').rsplit(':').next().expect("the simulator's port").to_owned();
    let shop_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the shop");
    let shop_url = format!("http://127.0.0.1:{}", shop_listener.local_addr().unwrap().port());
    let config = ShopConfig {
        edge_url: edge.url.clone(),
        site_key: api.origin.seed.site_key.clone(),
        template: payref_tests::repo_root().join("demo/shop.html"),
        // As `cargo xtask demo` passes it.
        checkout_url: Some(format!("http://localhost:{sim_port}/b/")),
    };
    tokio::spawn(serve(config, shop_listener));

    let shots = payref_tests::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("the screenshot folder");
    let script = payref_tests::repo_root().join("tests/browser/demo_path.mjs");
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .arg(format!("{shop_url}/?ref=demo"))
        .arg(required_env("PAYREF_CHROMIUM"))
        .arg(&shots)
        .output()
        .await
        .expect("running node");
    assert!(out.status.success(), "demo_path.mjs failed: {}\nedge log:\n{}", String::from_utf8_lossy(&out.stderr), edge.log_text());
    let walk: Walk =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no result ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    assert!(walk.console_messages.is_empty(), "the console says: {:?}", walk.console_messages);
    assert!(walk.decorated, "the simulator link was never decorated: {}", walk.simulator_href);
    let reference = walk.shown_reference.expect("the checkout page shows the link's client_reference_id");
    assert!(reference.starts_with("pr1-") && reference.ends_with("-demo"), "{reference}");
    let session = walk.session.expect("the payment succeeded");

    sim.wait_delivered(Duration::from_secs(30)).await.expect("webhooks delivered");
    let conversion = eventually(Duration::from_secs(60), "the sale to be attributed", || async {
        api.list("/v1/conversions?limit=100").await.into_iter().find(|c| c["stripe_object_id"] == session.as_str())
    })
    .await;
    assert_eq!(conversion["attribution_method"], "client_reference_id", "{conversion}");
    assert!(conversion["click_id"].is_string(), "the tracker's click reached payref first: {conversion}");
    let affiliates = api.list("/v1/affiliates?limit=100").await;
    let demo = affiliates.iter().find(|a| a["code"] == "demo").expect("the demo affiliate");
    assert_eq!(conversion["affiliate_id"], demo["id"], "{conversion}");
}
