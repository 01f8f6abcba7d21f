//! Retention: each merchant's clicks and leads older than its retention period are purged,
//! the raw Stripe events received before it lose the buyer's personal data, and the purge is
//! recorded in the audit trail.

use serde_json::json;
use sqlx::AnyPool;

use super::StorageError;
use super::audit::{self, Actor, Entry};
use crate::domain::commission::DAY_MS;
use crate::domain::ids::new_id;

/// What one merchant's purge removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// Whose data.
    pub merchant_id: String,
    /// Clicks deleted.
    pub clicks: u64,
    /// Leads deleted.
    pub leads: u64,
    /// Raw Stripe events redacted.
    pub stripe_events: u64,
}

/// Purges, for every merchant with a retention period, clicks and leads received before
/// `now - retention_days`, and redacts the raw Stripe events received before then. Idempotent; one transaction per merchant.
pub async fn purge_expired(pool: &AnyPool, now: i64) -> Result<Vec<Purged>, StorageError> {
    let merchants: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, retention_days FROM merchants WHERE retention_days IS NOT NULL").fetch_all(pool).await?;
    let mut out = Vec::new();
    for (merchant_id, days) in merchants {
        let cutoff = now.saturating_sub(days.saturating_mul(DAY_MS));
        let mut tx = super::begin_write(pool).await?;
        let clicks = sqlx::query("DELETE FROM clicks WHERE merchant_id = $1 AND received_at < $2")
            .bind(&merchant_id)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let leads = sqlx::query("DELETE FROM leads WHERE merchant_id = $1 AND received_at < $2")
            .bind(&merchant_id)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let stripe_events = super::event_redaction::redact_matching(&mut tx, &merchant_id, None, cutoff, now).await?;
        if clicks + leads + stripe_events > 0 {
            let id = new_id("pur");
            let entry = Entry {
                merchant_id: &merchant_id,
                object_type: "retention",
                object_id: &id,
                action: "retention.purged",
                actor: &Actor::System("retention"),
                detail: json!({ "retention_days": days, "received_before": cutoff, "clicks_deleted": clicks, "leads_deleted": leads, "stripe_events_redacted": stripe_events }),
            };
            audit::record(&mut tx, &entry, now).await?;
            out.push(Purged { merchant_id: merchant_id.clone(), clicks, leads, stripe_events });
        }
        tx.commit().await?;
    }
    Ok(out)
}
