//! Write bursts on SQLite (issue 17, finding 8): webhooks and edge batches arriving together
//! while the event worker applies events. Every write transaction takes the write lock when it
//! begins, so none fails on a stale read snapshot and no event needs a second attempt.

use futures_util::StreamExt;
use payref_tests::origin::Backend;

use crate::api::{Api, click};

#[tokio::test]
async fn a_burst_of_webhooks_and_batches_applies_every_event_at_the_first_attempt() {
    let api = Api::new(Backend::Sqlite).await;
    let now = payref_origin::now_ms();
    let webhooks = futures_util::stream::iter(0..240u32).map(|n| {
        let api = &api;
        async move {
            if n % 8 == 0 {
                let clicks = (0..50).map(|i| click(n * 100 + i, "demo", Some(&format!("v{n}-{i}")), now)).collect();
                api.ingest(clicks).await;
            } else {
                let session = payref_tests::stripe::paid_session(&format!("cs_burst_{n}"), "demo", 1_000 + i64::from(n), 0, "usd");
                api.deliver(&payref_tests::stripe::event(&format!("evt_burst_{n}"), "checkout.session.completed", session)).await;
            }
        }
    });
    webhooks.buffer_unordered(24).collect::<Vec<()>>().await;
    api.origin.settled().await;
    let (events, most): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(attempts), 0) FROM stripe_events WHERE processed_at IS NOT NULL")
            .fetch_one(&api.origin.db.pool)
            .await
            .expect("reading events");
    assert_eq!(events, 210, "every event applied");
    assert_eq!(most, 1, "an event needed a second attempt: a write transaction failed under the burst");
    assert_eq!(api.origin.count("conversions").await, 210);
    assert_eq!(api.origin.count("clicks").await, 30 * 50);
}
