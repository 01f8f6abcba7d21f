//! The reconciler: reads the merchant's Stripe account through the API and feeds what it finds
//! into the same idempotent event processing as webhooks, so a webhook that never arrived is
//! caught, and one that arrives after reconciliation changes nothing.
//!
//! Two lists, each from a stored cursor (the newest `created` seen, read again from a little
//! before it): the events payref processes (Stripe keeps 30 days of them), and completed
//! Checkout Sessions, each stored as a `checkout.session.completed` event of payref's own id
//! (`reconcile_<session>_<payment status>`). A payment is recorded once per Stripe object, so a
//! session seen both ways counts once.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::domain::secrets::Keyring;
use crate::storage::stripe_events::{self, RawEvent};
use crate::storage::{Db, StorageError, stripe_connections};
use crate::stripe::client::{CallError, Head, Page, StripeApi};

/// Lists are read again from this long before the cursor (objects created in the same second
/// as the last one seen, clocks).
const OVERLAP_SECS: i64 = 300;
/// Without a cursor: as far back as Stripe keeps events.
const DEFAULT_LOOKBACK_SECS: i64 = 30 * 86_400;
/// Stripe's largest page.
const PAGE: i64 = 100;
/// Pages read ahead while earlier ones are stored (about 20 MB of sessions at most).
const PAGES_AHEAD: usize = 64;
/// Pages that waited are stored together, up to this many events a transaction: each commit
/// rewrites the index pages it touched, so fewer, larger commits write far less (about 15 MB of
/// sessions, a fraction of a second of holding SQLite's write lock).
const PER_TRANSACTION: usize = 5_000;

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
    /// `reconcile_<object id>_<state>`, or Stripe's own event id for a listed event.
    pub id: String,
    /// The event type.
    pub event_type: String,
    /// The event, as JSON text.
    pub payload: String,
}

/// A listed or fetched Checkout Session as a `checkout.session.completed` event. The id
/// includes the payment status, so a session seen unpaid and later paid is processed again.
pub fn session_event(session: &Value) -> Option<Synthetic> {
    let head = Head {
        id: session["id"].as_str()?.to_owned(),
        created: session["created"].as_i64().unwrap_or(0),
        livemode: session["livemode"].as_bool(),
        kind: None,
        payment_status: session["payment_status"].as_str().map(str::to_owned),
    };
    Some(listed_session_event(&head, &session.to_string()))
}

/// A listed Checkout Session (its head read, its text as Stripe sent it) as a
/// `checkout.session.completed` event.
fn listed_session_event(head: &Head, text: &str) -> Synthetic {
    let status = head.payment_status.as_deref().unwrap_or("unknown");
    wrap(format!("reconcile_{}_{status}", head.id), "checkout.session.completed", head.livemode.unwrap_or(false), text, head.created)
}

/// A fetched paid invoice as an `invoice.paid` event.
pub fn invoice_event(invoice: &Value) -> Option<Synthetic> {
    let id = invoice["id"].as_str()?;
    Some(wrap_value(format!("reconcile_{id}_paid"), "invoice.paid", invoice, invoice["created"].as_i64().unwrap_or(0)))
}

/// A fetched charge as a `charge.refunded` event created at `as_of` (unix seconds): a snapshot
/// of its refunded amount at that moment.
pub fn charge_event(charge: &Value, as_of: i64) -> Option<Synthetic> {
    let id = charge["id"].as_str()?;
    let refunded = charge["amount_refunded"].as_i64()?;
    Some(wrap_value(format!("reconcile_{id}_refunded_{refunded}_{as_of}"), "charge.refunded", charge, as_of))
}

/// A fetched customer or promotion code as an event of `event_type` created at `as_of` (unix
/// seconds): a snapshot of it at that moment.
pub fn object_event(object: &Value, event_type: &'static str, as_of: i64) -> Option<Synthetic> {
    let id = object["id"].as_str()?;
    Some(wrap_value(format!("reconcile_{id}_{as_of}"), event_type, object, as_of))
}

/// Whether an event is one of payref's own (a listed or fetched object), not Stripe's.
pub fn is_synthetic(event_id: &str) -> bool {
    event_id.starts_with("reconcile_")
}

fn wrap_value(id: String, event_type: &'static str, object: &Value, created: i64) -> Synthetic {
    wrap(id, event_type, object["livemode"].as_bool().unwrap_or(false), &object.to_string(), created)
}

/// The event around an object's JSON text, written out around it (the object is not rebuilt).
fn wrap(id: String, event_type: &'static str, livemode: bool, object: &str, created: i64) -> Synthetic {
    let payload = format!(
        r#"{{"id":{},"object":"event","type":"{event_type}","livemode":{livemode},"created":{created},"data":{{"object":{object}}},"request":{{"id":null,"idempotency_key":null}},"payref_source":"reconcile"}}"#,
        Value::from(id.as_str())
    );
    Synthetic { id, event_type: event_type.to_owned(), payload }
}

/// Awaits `f` when there is one.
async fn maybe<T>(f: Option<impl Future<Output = T>>) -> Option<T> {
    match f {
        Some(f) => Some(f.await),
        None => None,
    }
}

/// Stores events for `merchant_id` in one transaction; returns how many were new.
pub async fn store(db: &Db, merchant_id: &str, livemode: bool, events: &[Synthetic], now_ms: i64) -> Result<usize, StorageError> {
    let raws: Vec<RawEvent<'_>> = events
        .iter()
        .map(|e| RawEvent { merchant_id, event_id: &e.id, livemode, event_type: &e.event_type, payload: &e.payload })
        .collect();
    stripe_events::insert_events(&db.pool, &raws, now_ms).await
}

/// Reconciles one merchant's mode: events and completed sessions since `since` (unix seconds;
/// by default from the stored cursors, or 30 days back).
///
/// Reading and storing overlap: pages are read ahead while earlier ones are stored, and pages
/// that waited are stored together in one transaction.
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
        let listed = AtomicUsize::new(0);
        let (pages, mut waiting) = tokio::sync::mpsc::channel::<Vec<Synthetic>>(PAGES_AHEAD);
        let reading = async {
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
                let heads: Vec<Option<Head>> = page.data.iter().map(|o| Head::of(o)).collect();
                let after = heads.last().and_then(Option::as_ref).map(|h| h.id.clone());
                newest = newest.max(heads.first().and_then(Option::as_ref).map(|h| h.created));
                // The next page is asked for while this one is wrapped and handed on.
                let next = match (after, page.has_more) {
                    (Some(a), true) => Some(fetch(Some(a))),
                    _ => None,
                };
                let hand_on = async {
                    // A key sees only its own mode; anything else is not this account's.
                    let objects = page.data.iter().zip(&heads).filter_map(|(text, head)| Some((text.get(), head.as_ref()?)));
                    let events: Vec<Synthetic> = objects
                        .filter(|(_, h)| h.livemode == Some(livemode))
                        .filter_map(|(text, h)| match list {
                            "events" => Some(Synthetic { id: h.id.clone(), event_type: h.kind.clone()?, payload: text.to_owned() }),
                            _ => Some(listed_session_event(h, text)),
                        })
                        .collect();
                    listed.fetch_add(events.len(), Ordering::Relaxed);
                    // The writer only stops early on an error, which it reports itself.
                    let _ = pages.send(events).await;
                };
                let ((), next) = tokio::join!(hand_on, maybe(next));
                match next {
                    Some(next) => page = next?,
                    None => break,
                }
            }
            drop(pages);
            Ok::<_, ReconcileError>(newest)
        };
        let writing = async {
            let mut new = 0;
            while let Some(mut batch) = waiting.recv().await {
                while batch.len() < PER_TRANSACTION {
                    match waiting.try_recv() {
                        Ok(more) => batch.extend(more),
                        Err(_) => break,
                    }
                }
                new += store(db, merchant_id, livemode, &batch, crate::now_ms()).await?;
                let mut shown = report.clone();
                *if list == "events" { &mut shown.events_new } else { &mut shown.sessions_new } += new;
                *if list == "events" { &mut shown.events_listed } else { &mut shown.sessions_listed } = listed.load(Ordering::Relaxed);
                progress(Progress::Page(&shown));
            }
            Ok::<_, ReconcileError>(new)
        };
        let (newest, new) = tokio::try_join!(reading, writing)?;
        let listed = listed.load(Ordering::Relaxed);
        if list == "events" {
            report.events_listed = listed;
            report.events_new = new;
        } else {
            report.sessions_listed = listed;
            report.sessions_new = new;
        }
        if let Some(newest) = newest {
            stripe_events::advance_cursor(&db.pool, merchant_id, livemode, list, newest, crate::now_ms()).await?;
        }
    }
    Ok(report)
}
