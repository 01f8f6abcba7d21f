//! Stores a verified `EventBatch` from the edge, idempotent by (merchant, click id).

use std::collections::HashMap;

use payref_shared::EdgeEvent;
use payref_shared::batch::EventBatch;
use serde::Serialize;

use crate::storage::sites::{self, SiteRow};
use crate::storage::{Db, StorageError, affiliates, clicks};

/// What happened to a batch; the edge treats any 2xx as delivered.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestReport {
    /// Clicks stored for the first time.
    pub stored: usize,
    /// Clicks already stored (a redelivery).
    pub duplicates: usize,
    /// Events that can never be stored, with the reason (e.g. unknown site); not retried.
    pub rejected: Vec<Rejected>,
    /// Events this version does not store yet (leads).
    pub ignored: usize,
}

/// One refused event.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// Position in the batch.
    pub index: usize,
    /// Why.
    pub reason: &'static str,
}

/// Stores the batch's clicks in one transaction.
pub async fn store_batch(db: &Db, batch: EventBatch, now: i64) -> Result<IngestReport, StorageError> {
    let mut report = IngestReport::default();
    let mut sites: HashMap<String, Option<SiteRow>> = HashMap::new();
    let mut affiliates: HashMap<(String, String), Option<String>> = HashMap::new();
    let mut tx = db.pool.begin().await?;
    for (index, received) in batch.events.into_iter().enumerate() {
        let EdgeEvent::Click(click) = received.event else {
            report.ignored += 1;
            continue;
        };
        let key = click.site.as_str().to_owned();
        if !sites.contains_key(&key) {
            sites.insert(key.clone(), sites::by_key(&db.pool, &key).await?);
        }
        let Some(site) = sites.get(&key).cloned().flatten() else {
            report.rejected.push(Rejected { index, reason: "unknown site" });
            continue;
        };
        let affiliate_key = (site.merchant_id.clone(), click.code.as_str().to_owned());
        if !affiliates.contains_key(&affiliate_key) {
            let found = affiliates::affiliate_by_code(&mut *tx, &site.merchant_id, click.code.as_str()).await?;
            affiliates.insert(affiliate_key.clone(), found.map(|a| a.id));
        }
        let utm: serde_json::Map<String, serde_json::Value> =
            click.utm.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        let row = clicks::NewClick {
            merchant_id: site.merchant_id.clone(),
            click_id: click.click_id.to_text(),
            site_id: site.id.clone(),
            affiliate_id: affiliates.get(&affiliate_key).cloned().flatten(),
            code: click.code.into(),
            landing_url: click.landing_url,
            referrer: click.referrer,
            utm_json: serde_json::Value::Object(utm).to_string(),
            country: received.country,
            received_at: received.received_at_ms,
        };
        if clicks::insert_click(&mut tx, &row, now).await? {
            report.stored += 1;
        } else {
            report.duplicates += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}
