//! Periodic work of a running origin: approving commissions whose hold has ended, and
//! purging clicks and leads past each merchant's retention period.
//! Every step is idempotent and conditional, so several origins may run it side by side.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::reconciler;
use crate::domain::secrets::Keyring;
use crate::metrics::Metrics;
use crate::storage::{Db, commissions, event_redaction, retention, stripe_connections};
use crate::stripe::client::StripeApi;

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
        // Events applied before payref redacted them on applying, a chunk at a time.
        loop {
            match event_redaction::redact_applied(&db.pool, crate::now_ms()).await {
                Ok(0) => break,
                Ok(n) => tracing::info!(redacted = n, "applied Stripe events redacted"),
                Err(e) => {
                    tracing::warn!(error = %e, "redacting applied Stripe events failed");
                    break;
                }
            }
        }
    }
}

/// Reconciles every connected Stripe account every `interval` (the first one interval after
/// start), so a webhook that never arrived is caught even if nobody asks.
pub async fn reconcile_every(db: Db, keyring: Arc<Keyring>, stripe: Arc<StripeApi>, interval: Duration, wake: Arc<Notify>) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let accounts = match stripe_connections::with_api_keys(&db.pool).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "listing Stripe connections failed");
                continue;
            }
        };
        for (merchant, livemode) in accounts {
            match reconciler::reconcile(&db, &keyring, &stripe, &merchant, livemode, None, &mut |_| {}).await {
                Ok(report) => {
                    if report.events_new + report.sessions_new > 0 {
                        wake.notify_one();
                        tracing::warn!(merchant = %merchant, livemode, ?report, "reconciling found events webhooks had not delivered");
                    }
                }
                // Stripe down or the key revoked: the cursor stays, the next tick reads again.
                Err(e) => tracing::warn!(merchant = %merchant, livemode, error = %e, "reconciling failed"),
            }
        }
    }
}
