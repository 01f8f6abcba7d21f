//! The origin goes down for 30 s while 2,000 visitors click: the edge answers every click at
//! once, the queue keeps them through the outage, and when the origin is back every click
//! arrives exactly once.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use payref_shared::ClickId;
use payref_tests::edge::spawn_edge;
use payref_tests::origin::{Backend, TestOrigin};
use payref_tests::process::eventually;

use crate::edge_routes::{click_with, post, visitor};

const CLICKS: u32 = 2_000;
const OUTAGE: Duration = Duration::from_secs(30);

fn click_id(n: u32) -> ClickId {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[15] = 0xed;
    ClickId::from_bytes(bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn clicks_during_an_origin_outage_all_arrive_exactly_once() {
    let mut origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_unused").start().await;
    let edge = spawn_edge(&origin.url).await;
    origin.go_down().await;
    let down_at = Instant::now();

    let statuses: Vec<u16> = futures_util::stream::iter(0..CLICKS)
        .map(|n| {
            let edge = &edge;
            async move {
                post(edge, "/v1/clicks", &visitor(n), "https://shop.test", click_with("site_demo", click_id(n))).await.status().as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let refused = statuses.iter().filter(|s| **s != 204).count();
    assert_eq!(refused, 0, "{refused} of {CLICKS} clicks were not answered 204 while the origin was down: {}", edge.log_text());
    assert_eq!(origin.count("clicks").await, 0, "the origin was down");

    tokio::time::sleep(OUTAGE.saturating_sub(down_at.elapsed())).await;
    origin.come_back().await;
    eventually(Duration::from_secs(240), "every click to reach the origin", || async {
        (origin.count("clicks").await >= i64::from(CLICKS)).then_some(())
    })
    .await;
    // Late deliveries (a batch retried after its first attempt was stored) must not add rows.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(origin.count("clicks").await, i64::from(CLICKS), "each click exactly once");
    for n in [0, 1, CLICKS / 2, CLICKS - 1] {
        assert!(origin.has_click(&click_id(n).to_text()).await, "click {n} is missing");
    }
}
