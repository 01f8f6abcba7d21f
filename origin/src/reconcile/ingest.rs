//! Stores a verified `EventBatch` from the edge in one transaction: clicks idempotent by
//! (merchant, click id) and counted once per visitor, code and window; leads idempotent by
//! (merchant, email key, click id). Rows go in multi-row inserts.

use std::collections::{BTreeMap, HashMap, HashSet};

use payref_shared::EdgeEvent;
use payref_shared::batch::CheckedBatch;
use serde::Serialize;

use crate::domain::click::{DEDUP_WINDOW_MS, Seen, repeats};
use crate::domain::ids::new_id;
use crate::domain::lead::{self, email_key};
use crate::storage::clicks::{self, NewClick};
use crate::storage::leads::{self, NewLead};
use crate::storage::sites::{self, SiteRow};
use crate::storage::{Db, StorageError, affiliates, merchants};

/// What happened to a batch; the edge treats any 2xx as delivered.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestReport {
    /// Clicks stored and counted.
    pub stored: usize,
    /// Clicks stored as repeats (same visitor and code within the window): kept, not counted.
    pub repeats: usize,
    /// Clicks already stored (a redelivery).
    pub duplicates: usize,
    /// Leads stored.
    pub leads: usize,
    /// Leads already stored.
    pub lead_duplicates: usize,
    /// Leads ignored: their visitor already identified as many emails today as one may.
    pub leads_ignored: usize,
    /// Events that can never be stored, with the reason (an unknown site, a field that is not
    /// valid); the rest of the batch is stored, and none of it is retried.
    pub rejected: Vec<Rejected>,
}

/// One refused event.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// Position in the batch.
    pub index: usize,
    /// Why, naming the field.
    pub reason: String,
}

/// One merchant's share of a batch.
#[derive(Debug, Default)]
struct MerchantEvents {
    clicks: Vec<NewClick>,
    leads: Vec<NewLead>,
}

/// Stores the batch; `lead_secret` keys the stored form of email hashes.
pub async fn store_batch(db: &Db, batch: CheckedBatch, lead_secret: &[u8], now: i64) -> Result<IngestReport, StorageError> {
    let mut report = IngestReport::default();
    let mut sites: HashMap<String, Option<SiteRow>> = HashMap::new();
    let mut by_merchant: BTreeMap<String, MerchantEvents> = BTreeMap::new();
    let mut seen_clicks = HashSet::new();
    for (index, received) in batch.events.into_iter().enumerate() {
        let received = match received {
            Ok(r) => r,
            Err(reason) => {
                report.rejected.push(Rejected { index, reason });
                continue;
            }
        };
        let key = received.event.site().as_str().to_owned();
        if !sites.contains_key(&key) {
            let site = sites::by_key(&db.pool, &key).await?;
            sites.insert(key.clone(), site);
        }
        let Some(site) = sites.get(&key).and_then(Option::as_ref) else {
            report.rejected.push(Rejected { index, reason: "unknown site".to_owned() });
            continue;
        };
        let group = by_merchant.entry(site.merchant_id.clone()).or_default();
        match received.event {
            EdgeEvent::Click(click) => {
                let click_id = click.click_id.to_text();
                if !seen_clicks.insert((site.merchant_id.clone(), click_id.clone())) {
                    report.duplicates += 1;
                    continue;
                }
                let utm: serde_json::Map<String, serde_json::Value> =
                    click.utm.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
                group.clicks.push(NewClick {
                    merchant_id: site.merchant_id.clone(),
                    click_id,
                    site_id: site.id.clone(),
                    affiliate_id: None,
                    code: click.code.into(),
                    landing_url: click.landing_url,
                    referrer: click.referrer,
                    utm_json: serde_json::Value::Object(utm).to_string(),
                    country: received.country,
                    visitor: received.visitor,
                    device: received.device,
                    duplicate_of: None,
                    received_at: received.received_at_ms,
                });
            }
            // The hash's form was checked with the rest of the event (`ReceivedEvent::check`).
            EdgeEvent::Lead(lead) => {
                group.leads.push(NewLead {
                    id: new_id("led"),
                    merchant_id: site.merchant_id.clone(),
                    site_id: site.id.clone(),
                    click_id: lead.click_id.to_text(),
                    email_key: email_key(lead_secret, &lead.email_sha256),
                    received_at: received.received_at_ms,
                    visitor: received.visitor,
                });
            }
        }
    }
    let mut tx = crate::storage::begin_write(&db.pool).await?;
    for (merchant_id, mut events) in by_merchant {
        // Two batches of one merchant must not both count the same visitor's click.
        merchants::lock(&mut tx, &merchant_id).await?;
        resolve_affiliates(&mut tx, &merchant_id, &mut events.clicks).await?;
        mark_repeats(&mut tx, &merchant_id, &mut events.clicks).await?;
        let inserted: HashSet<String> = clicks::insert_many(&mut tx, &events.clicks, now).await?.into_iter().collect();
        for c in &events.clicks {
            match (inserted.contains(&c.click_id), &c.duplicate_of) {
                (false, _) => report.duplicates += 1,
                (true, None) => report.stored += 1,
                (true, Some(_)) => report.repeats += 1,
            }
        }
        let admitted = admit_leads(&mut tx, &merchant_id, events.leads).await?;
        report.leads_ignored += admitted.ignored;
        let new_leads = leads::insert_many(&mut tx, &admitted.leads, now).await?;
        report.leads += new_leads;
        report.lead_duplicates += admitted.leads.len() - new_leads;
    }
    tx.commit().await?;
    Ok(report)
}

/// The leads to store and how many were ignored ([`lead::admit_leads`]).
struct Admitted {
    leads: Vec<NewLead>,
    ignored: usize,
}

async fn admit_leads(conn: &mut sqlx::AnyConnection, merchant_id: &str, batch: Vec<NewLead>) -> Result<Admitted, StorageError> {
    let visitors: Vec<&str> = batch.iter().filter_map(|l| l.visitor.as_deref()).collect::<HashSet<_>>().into_iter().collect();
    let Some(from) = batch.iter().filter(|l| l.visitor.is_some()).map(|l| l.received_at).min() else {
        return Ok(Admitted { leads: batch, ignored: 0 });
    };
    let known = leads::known_emails(conn, merchant_id, &visitors, from - lead::VISITOR_EMAILS_WINDOW_MS).await?;
    let wanted: Vec<(Option<&str>, &str)> = batch.iter().map(|l| (l.visitor.as_deref(), l.email_key.as_str())).collect();
    let verdicts = lead::admit_leads(&known, &wanted);
    let ignored = verdicts.iter().filter(|ok| !**ok).count();
    let leads = batch.into_iter().zip(verdicts).filter_map(|(l, ok)| ok.then_some(l)).collect();
    Ok(Admitted { leads, ignored })
}

async fn resolve_affiliates(conn: &mut sqlx::AnyConnection, merchant_id: &str, rows: &mut [NewClick]) -> Result<(), StorageError> {
    let codes: Vec<&str> = rows.iter().map(|c| c.code.as_str()).collect::<HashSet<_>>().into_iter().collect();
    if codes.is_empty() {
        return Ok(());
    }
    let ids = affiliates::ids_by_codes(conn, merchant_id, &codes).await?;
    for c in rows {
        c.affiliate_id = ids.get(&c.code).cloned();
    }
    Ok(())
}

async fn mark_repeats(conn: &mut sqlx::AnyConnection, merchant_id: &str, rows: &mut [NewClick]) -> Result<(), StorageError> {
    let seen: Vec<(usize, Seen)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let visitor = c.visitor.clone()?;
            Some((i, Seen { visitor, code: c.code.clone(), click_id: c.click_id.clone(), received_at: c.received_at }))
        })
        .collect();
    let (Some(from), Some(to)) = (seen.iter().map(|(_, s)| s.received_at).min(), seen.iter().map(|(_, s)| s.received_at).max()) else {
        return Ok(());
    };
    let visitors: Vec<&str> = seen.iter().map(|(_, s)| s.visitor.as_str()).collect::<HashSet<_>>().into_iter().collect();
    let counted = clicks::counted_near(conn, merchant_id, &visitors, from - DEDUP_WINDOW_MS + 1, to + DEDUP_WINDOW_MS).await?;
    let batch: Vec<Seen> = seen.iter().map(|(_, s)| s.clone()).collect();
    for ((i, _), repeat_of) in seen.iter().zip(repeats(&counted, &batch)) {
        rows[*i].duplicate_of = repeat_of;
    }
    Ok(())
}
