//! The reconciler: reads the merchant's Stripe account through the API and feeds what it finds
//! into the same idempotent event processing as webhooks, so a webhook that never arrived is
//! caught, and one that arrives after reconciliation changes nothing.
//!
//! Two lists, each from a stored cursor (the newest `created` seen, read again from a little
//! before it): the events payref processes (Stripe keeps 30 days of them), and completed
//! Checkout Sessions, each stored as a `checkout.session.completed` event of payref's own id
//! (`reconcile_<session>_<payment status>`). A payment is recorded once per Stripe object, so a
//! session seen both ways counts once.

use serde_json::{Value, json};

use crate::domain::secrets::Keyring;
use crate::storage::stripe_events::{self, RawEvent};
use crate::storage::{Db, StorageError, stripe_connections};
use crate::stripe::client::{CallError, Page, StripeApi};

/// Lists are read again from this long before the cursor (objects created in the same second
/// as the last one seen, clocks).
const OVERLAP_SECS: i64 = 300;
/// Without a cursor: as far back as Stripe keeps events.
const DEFAULT_LOOKBACK_SECS: i64 = 30 * 86_400;
/// Stripe's largest page.
const PAGE: i64 = 100;

/// Why reconciling failed.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// No Stripe API key is stored for the merchant's mode.
    #[error("no Stripe API key is connected for {0} mode")]
    NotConnected(&'static str),
    /// Stripe refused or could not be reached.
    #[error(transparent)]
    Stripe(#[from] CallError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What one run found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Events listed.
    pub events_listed: usize,
    /// Of those, not stored before (missed webhooks).
    pub events_new: usize,
    /// Completed Checkout Sessions listed.
    pub sessions_listed: usize,
    /// Of those, stored as new events.
    pub sessions_new: usize,
}

/// Where the run stands, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// After each page.
    Page(&'a Report),
}

/// A Stripe object wrapped as the event payref processes it as.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// `reconcile_<object id>_<state>`.
    pub id: String,
    /// The event type.
    pub event_type: &'static str,
    /// The event, as JSON text.
    pub payload: String,
}

/// A listed or fetched Checkout Session as a `checkout.session.completed` event. The id
/// includes the payment status, so a session seen unpaid and later paid is processed again.
pub fn session_event(session: &Value) -> Option<Synthetic> {
    let id = session["id"].as_str()?;
    let status = session["payment_status"].as_str().unwrap_or("unknown");
    Some(wrap(format!("reconcile_{id}_{status}"), "checkout.session.completed", session, session["created"].as_i64().unwrap_or(0)))
}

/// A fetched paid invoice as an `invoice.paid` event.
pub fn invoice_event(invoice: &Value) -> Option<Synthetic> {
    let id = invoice["id"].as_str()?;
    Some(wrap(format!("reconcile_{id}_paid"), "invoice.paid", invoice, invoice["created"].as_i64().unwrap_or(0)))
}

/// A fetched charge as a `charge.refunded` event created at `as_of` (unix seconds): a snapshot
/// of its refunded amount at that moment.
pub fn charge_event(charge: &Value, as_of: i64) -> Option<Synthetic> {
    let id = charge["id"].as_str()?;
    let refunded = charge["amount_refunded"].as_i64()?;
    Some(wrap(format!("reconcile_{id}_refunded_{refunded}_{as_of}"), "charge.refunded", charge, as_of))
}

/// A fetched customer or promotion code as an event of `event_type` created at `as_of` (unix
/// seconds): a snapshot of it at that moment.
pub fn object_event(object: &Value, event_type: &'static str, as_of: i64) -> Option<Synthetic> {
    let id = object["id"].as_str()?;
    Some(wrap(format!("reconcile_{id}_{as_of}"), event_type, object, as_of))
}

/// Whether an event is one of payref's own (a listed or fetched object), not Stripe's.
pub fn is_synthetic(event_id: &str) -> bool {
    event_id.starts_with("reconcile_")
}

fn wrap(id: String, event_type: &'static str, object: &Value, created: i64) -> Synthetic {
    let payload = json!({
        "id": id,
        "object": "event",
        "type": event_type,
        "livemode": object["livemode"].as_bool().unwrap_or(false),
        "created": created,
        "data": { "object": object },
        "request": { "id": null, "idempotency_key": null },
        "payref_source": "reconcile"
    })
    .to_string();
    Synthetic { id, event_type, payload }
}

/// Awaits `f` when there is one.
async fn maybe<T>(f: Option<impl Future<Output = T>>) -> Option<T> {
    match f {
        Some(f) => Some(f.await),
        None => None,
    }
}

/// Stores synthetic events for `merchant_id`; returns how many were new.
pub async fn store(db: &Db, merchant_id: &str, livemode: bool, events: &[Synthetic], now_ms: i64) -> Result<usize, StorageError> {
    let raws: Vec<RawEvent<'_>> =
        events.iter().map(|e| RawEvent { merchant_id, event_id: &e.id, livemode, event_type: e.event_type, payload: &e.payload }).collect();
    stripe_events::insert_events(&db.pool, &raws, now_ms).await
}

/// Reconciles one merchant's mode: events and completed sessions since `since` (unix seconds;
/// by default from the stored cursors, or 30 days back).
pub async fn reconcile(
    db: &Db,
    keyring: &Keyring,
    stripe: &StripeApi,
    merchant_id: &str,
    livemode: bool,
    since: Option<i64>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<Report, ReconcileError> {
    let mode = if livemode { "live" } else { "test" };
    let key = stripe_connections::api_key(&db.pool, keyring, merchant_id, livemode).await?.ok_or(ReconcileError::NotConnected(mode))?;
    let stripe = stripe.connect(&key)?;
    let now_secs = crate::now_ms() / 1000;
    let mut report = Report::default();
    for list in ["events", "sessions"] {
        let from = match since {
            Some(s) => s,
            None => stripe_events::cursor(&db.pool, merchant_id, livemode, list)
                .await?
                .map_or(now_secs - DEFAULT_LOOKBACK_SECS, |c| c - OVERLAP_SECS),
        };
        let fetch = |after: Option<String>| {
            let stripe = &stripe;
            async move {
                match list {
                    "events" => stripe.events(from, after.as_deref(), PAGE).await,
                    _ => stripe.completed_sessions(from, after.as_deref(), PAGE).await,
                }
            }
        };
        let mut newest = None;
        let mut page: Page = fetch(None).await?;
        loop {
            let after = page.data.last().and_then(|o| o["id"].as_str().map(str::to_owned));
            newest = newest.max(page.data.first().and_then(|o| o["created"].as_i64()));
            // The next page is asked for while this one is stored.
            let next = match (&after, page.has_more) {
                (Some(a), true) => Some(fetch(Some(a.clone()))),
                _ => None,
            };
            // A key sees only its own mode; anything else is not this account's.
            let objects = page.data.iter().filter(|o| o["livemode"].as_bool() == Some(livemode));
            let next = if list == "events" {
                let texts: Vec<(String, String, String)> =
                    objects.filter_map(|e| Some((e["id"].as_str()?.to_owned(), e["type"].as_str()?.to_owned(), e.to_string()))).collect();
                let raws: Vec<RawEvent<'_>> = texts
                    .iter()
                    .map(|(id, kind, payload)| RawEvent { merchant_id, event_id: id, livemode, event_type: kind, payload })
                    .collect();
                report.events_listed += raws.len();
                let (stored, next) = tokio::join!(stripe_events::insert_events(&db.pool, &raws, crate::now_ms()), maybe(next));
                report.events_new += stored?;
                next
            } else {
                let synthetic: Vec<Synthetic> = objects.filter_map(session_event).collect();
                report.sessions_listed += synthetic.len();
                let (stored, next) = tokio::join!(store(db, merchant_id, livemode, &synthetic, crate::now_ms()), maybe(next));
                report.sessions_new += stored?;
                next
            };
            progress(Progress::Page(&report));
            match next {
                Some(next) => page = next?,
                None => break,
            }
        }
        if let Some(newest) = newest {
            stripe_events::advance_cursor(&db.pool, merchant_id, livemode, list, newest, crate::now_ms()).await?;
        }
    }
    Ok(report)
}
