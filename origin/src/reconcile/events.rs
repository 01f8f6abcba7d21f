//! The Stripe event worker. Webhooks only store the raw event and wake the worker; the worker
//! claims due events and applies each in the same transaction that marks it processed (so an
//! event takes effect once however often it is delivered or claimed). A claimed batch shares
//! one transaction, each event behind its own savepoint, so one that cannot apply yet is rolled
//! back alone. Failures are retried with backoff; events that keep failing or cannot be parsed
//! are parked, for the merchant to see and retry through the API.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::Notify;

use super::dispatch::dispatch;
use super::step::{Context, Step};
use crate::domain::redact::redact_personal;
use crate::domain::retry::{AfterFailure, RetryPolicy};
use crate::domain::secrets::Keyring;
use crate::metrics::{EventResult, Metrics};
use crate::storage::stripe_events::{self, Claimed};
use crate::storage::{Db, StorageError};
use crate::stripe::client::StripeApi;
use crate::stripe::event::Event;

/// How long a claim lasts by default before another worker (or this origin, restarted after a
/// crash) may take the event over.
pub const DEFAULT_LEASE_MS: i64 = 60_000;
/// Events claimed at a time.
pub(super) const BATCH: i64 = 20;
/// How often the queue is looked at without a wake-up: retries falling due, other origins' events.
const POLL: Duration = Duration::from_millis(500);

/// Claims and applies due events.
#[derive(Debug, Clone)]
pub struct EventWorker {
    /// The database holding the queue.
    pub db: Db,
    /// Backoff and parking.
    pub policy: RetryPolicy,
    /// Notified by the webhook route when an event is stored.
    pub wake: Arc<Notify>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The key lead email hashes are stored under, to match buyers' emails.
    pub lead_secret: Arc<Vec<u8>>,
    /// Stripe's API, to fetch objects events need.
    pub stripe: Arc<StripeApi>,
    /// Opens the merchants' stored Stripe keys.
    pub keyring: Arc<Keyring>,
    /// How long a claim lasts, ms.
    pub lease_ms: i64,
}

impl EventWorker {
    /// Works the queue until the task is dropped.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.drain().await {
                // The database is unreachable: claims are leases, nothing is lost; look again later.
                tracing::warn!(error = %e, "claiming Stripe events failed");
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Applies every due event, then makes the customer metadata writes that fall due;
    /// returns how many events were attempted.
    pub async fn drain(&self) -> Result<usize, StorageError> {
        let mut attempted = 0;
        loop {
            let batch = stripe_events::claim_due(&self.db, crate::now_ms(), self.lease_ms, BATCH).await?;
            if batch.is_empty() {
                self.write_customers().await?;
                return Ok(attempted);
            }
            let now = crate::now_ms();
            match self.apply_together(&batch, now).await {
                Ok(applied) => {
                    for (claimed, result) in batch.iter().zip(applied) {
                        self.settle(claimed, result, now).await;
                    }
                }
                Err(e) => {
                    // The batch's transaction failed as a whole: each event on its own.
                    tracing::info!(error = %e, "applying Stripe events together failed; applying them one at a time");
                    for claimed in &batch {
                        let result = self.apply_alone(claimed, now).await;
                        self.settle(claimed, result, now).await;
                    }
                }
            }
            attempted += batch.len();
        }
    }

    /// Applies a claimed batch in one transaction, in order, each event behind a savepoint of
    /// its own: one that does not apply is rolled back alone and settled after the commit,
    /// the others commit together (one commit for the batch instead of one per event).
    async fn apply_together(&self, batch: &[Claimed], now: i64) -> Result<Vec<Applied>, StorageError> {
        let mut tx = crate::storage::begin_write(&self.db.pool).await?;
        let mut results = Vec::with_capacity(batch.len());
        for claimed in batch {
            let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
            let result = self.apply(&mut savepoint, claimed, now).await;
            if matches!(result, Ok(Ok(_))) {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            results.push(result);
        }
        tx.commit().await?;
        Ok(results)
    }

    async fn apply_alone(&self, claimed: &Claimed, now: i64) -> Applied {
        let mut tx = crate::storage::begin_write(&self.db.pool).await?;
        let result = self.apply(&mut tx, claimed, now).await;
        if matches!(result, Ok(Ok(_))) {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        result
    }

    /// Logs and counts an applied event, or retries, fetches for or parks one that did not apply.
    async fn settle(&self, claimed: &Claimed, result: Applied, now: i64) {
        let failure = match result {
            Ok(Ok((kind, outcome))) => {
                tracing::info!(merchant = %claimed.merchant_id, event = %claimed.event_id, kind, outcome, "Stripe event processed");
                self.metrics.event(EventResult::Processed);
                return;
            }
            Ok(Err(step)) => match step {
                Step::Unparseable(why) => {
                    self.park_or_retry(claimed, &format!("unparseable: {why}"), None, now).await;
                    return;
                }
                Step::RetryLater(why) => why,
                Step::Fetch(why, missing) => match self.fetch(&claimed.merchant_id, &missing).await {
                    Ok(found) => format!("{why}; fetched from Stripe: {found}"),
                    Err(e) => format!("{why}; fetching from Stripe failed: {e}"),
                },
                // Already processed elsewhere (another worker whose lease had run out).
                Step::Done(_) => return,
            },
            Err(e) => e.to_string(),
        };
        let retry_at = match self.policy.after_failure(claimed.attempts, now) {
            AfterFailure::RetryAt(t) => Some(t),
            AfterFailure::Park => None,
        };
        self.park_or_retry(claimed, &failure, retry_at, now).await;
    }

    async fn park_or_retry(&self, claimed: &Claimed, error: &str, retry_at: Option<i64>, now: i64) {
        if retry_at.is_some() {
            self.metrics.event(EventResult::Retried);
            tracing::info!(merchant = %claimed.merchant_id, event = %claimed.event_id, attempts = claimed.attempts, error, retry_at, "Stripe event will be retried");
        } else {
            self.metrics.event(EventResult::Parked);
            tracing::warn!(merchant = %claimed.merchant_id, event = %claimed.event_id, attempts = claimed.attempts, error, "Stripe event parked");
        }
        if let Err(e) = stripe_events::fail(&self.db.pool, &claimed.merchant_id, &claimed.event_id, error, retry_at, now).await {
            // The lease runs out and the event is claimed again: retried, not lost.
            tracing::warn!(event = %claimed.event_id, error = %e, "recording a failed attempt failed");
        }
    }

    /// Applies one event on `conn` (a transaction or savepoint the caller commits only when it
    /// applied) and marks it processed: its type and outcome, or the step that stands in the way.
    async fn apply(&self, conn: &mut AnyConnection, claimed: &Claimed, now: i64) -> Applied {
        let event: Event = match serde_json::from_str(&claimed.payload) {
            Ok(e) => e,
            Err(e) => return Ok(Err(Step::Unparseable(format!("event: {e}")))),
        };
        let cx = Context { merchant_id: &claimed.merchant_id, lead_secret: &self.lead_secret, now };
        Ok(match dispatch(&mut *conn, cx, &event).await? {
            Step::Done(outcome)
                if stripe_events::finish(
                    conn,
                    &claimed.merchant_id,
                    &claimed.event_id,
                    &outcome,
                    redact_personal(&claimed.payload).as_deref(),
                    now,
                )
                .await? =>
            {
                Ok((event.event_type, outcome))
            }
            other => Err(other),
        })
    }
}

/// An event applied (its type and outcome), or the step that stands in its way.
type Applied = Result<Result<(String, String), Step>, StorageError>;
