//! Periodic work of a running origin: approving commissions whose hold has ended, and
//! purging clicks and leads past each merchant's retention period.
//! Every step is idempotent and conditional, so several origins may run it side by side.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::storage::{Db, commissions, retention};

/// Runs the periodic jobs every `interval` until the task is dropped.
pub async fn run(db: Db, interval: Duration, metrics: Arc<Metrics>) {
    // The first run one interval after start, so a restart loop cannot hammer the database.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match commissions::release_held(&db.pool, crate::now_ms()).await {
            Ok(0) => {}
            Ok(n) => {
                metrics.released(n);
                tracing::info!(released = n, "held commissions approved");
            }
            // A database hiccup: the next tick tries again; nothing is half-done.
            Err(e) => tracing::warn!(error = %e, "releasing held commissions failed"),
        }
        match retention::purge_expired(&db.pool, crate::now_ms()).await {
            Ok(purged) => {
                for p in purged {
                    metrics.purged(p.clicks, p.leads);
                    tracing::info!(merchant = %p.merchant_id, clicks = p.clicks, leads = p.leads, "retention purge");
                }
            }
            Err(e) => tracing::warn!(error = %e, "retention purge failed"),
        }
    }
}
