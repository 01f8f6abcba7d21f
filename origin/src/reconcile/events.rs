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

use super::payments::{self, Context};
use super::{customers, ledger, reconciler};
use crate::domain::redact::redact_personal;
use crate::domain::retry::{AfterFailure, RetryPolicy};
use crate::domain::secrets::Keyring;
use crate::metrics::{EventResult, Metrics};
use crate::storage::stripe_events::{self, Claimed};
use crate::storage::{Db, StorageError, conversions, discounts, stripe_connections, stripe_customers};
use crate::stripe::client::{CallError, StripeApi};
use crate::stripe::event::{Charge, CheckoutSession, Customer, Dispute, Event, Invoice, PromotionCode, Refund, Subscription};
use crate::stripe::event_types::{Handled, handled};

/// How long a claim lasts by default before another worker (or this origin, restarted after a
/// crash) may take the event over.
pub const DEFAULT_LEASE_MS: i64 = 60_000;
/// Events claimed at a time.
pub(super) const BATCH: i64 = 20;
/// How often the queue is looked at without a wake-up: retries falling due, other origins' events.
const POLL: Duration = Duration::from_millis(500);

/// What applying an event came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Applied (or nothing to do); the outcome is kept with the event.
    Done(String),
    /// Needs something not there yet (an object Stripe has not delivered): try again later.
    RetryLater(String),
    /// The event's object is not in a shape payref reads: retrying cannot help, park it.
    Unparseable(String),
    /// Needs an object payref has not seen: fetch it from Stripe's API (when the merchant
    /// connected a key), then try again.
    Fetch(String, Missing),
}

/// An object an event needs, to fetch from Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The payment a PaymentIntent made: a Checkout Session, or an invoice (through invoice
    /// payments). A refund names only the PaymentIntent.
    PaymentOfIntent {
        /// Test or live.
        livemode: bool,
        /// `pi_…`.
        payment_intent: String,
    },
    /// The Checkout Session that started a subscription (which binds the customer).
    SessionOfSubscription {
        /// Test or live.
        livemode: bool,
        /// `sub_…`.
        subscription: String,
    },
    /// A customer payref has never seen (its metadata may name the affiliate).
    Customer {
        /// Test or live.
        livemode: bool,
        /// `cus_…`.
        customer: String,
    },
    /// A promotion code payref has never seen (its metadata may name the affiliate).
    PromotionCode {
        /// Test or live.
        livemode: bool,
        /// `promo_…`.
        promotion_code: String,
    },
    /// A charge as Stripe reports it now (its refunded amount after a refund failed), applied
    /// as a refund snapshot taken no earlier than `as_of`.
    ChargeAsOf {
        /// Test or live.
        livemode: bool,
        /// `ch_…`.
        charge: String,
        /// Unix seconds: the event that asked for it.
        as_of: i64,
    },
}

impl Missing {
    /// The mode of the account to ask.
    fn livemode(&self) -> bool {
        match self {
            Self::PaymentOfIntent { livemode, .. }
            | Self::SessionOfSubscription { livemode, .. }
            | Self::ChargeAsOf { livemode, .. }
            | Self::Customer { livemode, .. }
            | Self::PromotionCode { livemode, .. } => *livemode,
        }
    }
}

/// Parses the event's object as `T`, or says why it cannot be.
fn object<T: serde::de::DeserializeOwned>(event: &Event, what: &str) -> Result<T, Step> {
    let parsed: T = serde_json::from_value(event.data.object.clone()).map_err(|e| Step::Unparseable(format!("{what}: {e}")))?;
    let livemode = event.data.object.get("livemode").and_then(serde_json::Value::as_bool);
    if livemode.is_some_and(|l| l != event.livemode) {
        return Err(Step::Unparseable(format!("the {what}'s livemode differs from the event's")));
    }
    Ok(parsed)
}

/// Applies one event inside `conn`'s transaction, by what [`handled`] says its type is (the
/// match is exhaustive over [`Handled`], so a type added to the table must be handled here).
pub async fn dispatch(conn: &mut AnyConnection, cx: Context<'_>, event: &Event) -> Result<Step, StorageError> {
    let Some(kind) = handled(&event.event_type) else {
        return Ok(Step::Done(format!("ignored: payref does not use {}", event.event_type)));
    };
    match kind {
        Handled::SessionPaid => match object::<CheckoutSession>(event, "checkout session") {
            Ok(session) => payments::session_paid(conn, cx, event, &session).await,
            Err(step) => Ok(step),
        },
        Handled::SessionPaymentFailed => match object::<CheckoutSession>(event, "checkout session") {
            // Nothing was paid (the session completed unpaid), so nothing was recorded.
            Ok(_) => Ok(Step::Done("not_attributed: the asynchronous payment failed".into())),
            Err(step) => Ok(step),
        },
        Handled::InvoicePaid => match object::<Invoice>(event, "invoice") {
            Ok(invoice) => payments::invoice_paid(conn, cx, event, &invoice).await,
            Err(step) => Ok(step),
        },
        Handled::ChargeRefunded => match object::<Charge>(event, "charge") {
            Ok(charge) => ledger::charge_refunded(conn, cx, event, &charge).await,
            Err(step) => Ok(step),
        },
        Handled::RefundFailed => match object::<Refund>(event, "refund") {
            Ok(refund) => ledger::refund_failed(conn, cx, event, &refund).await,
            Err(step) => Ok(step),
        },
        Handled::Dispute => match object::<Dispute>(event, "dispute") {
            Ok(dispute) => ledger::dispute(conn, cx, event, &dispute).await,
            Err(step) => Ok(step),
        },
        Handled::Customer => match object::<Customer>(event, "customer") {
            Ok(customer) => customers::customer_changed(conn, cx, event, &customer).await,
            Err(step) => Ok(step),
        },
        Handled::Subscription => match object::<Subscription>(event, "subscription") {
            Ok(subscription) => customers::subscription_changed(conn, cx, event, &subscription).await,
            Err(step) => Ok(step),
        },
        Handled::PromotionCode => match object::<PromotionCode>(event, "promotion code") {
            Ok(promo) => customers::promotion_code_changed(conn, cx, event, &promo).await,
            Err(step) => Ok(step),
        },
    }
}

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

    /// Fetches what an event is missing and stores it as events of its own (processed like
    /// webhooks, before the waiting event's retry); says what was found.
    async fn fetch(&self, merchant_id: &str, missing: &Missing) -> Result<String, FetchError> {
        let livemode = missing.livemode();
        let Some(key) = stripe_connections::api_key(&self.db.pool, &self.keyring, merchant_id, livemode).await? else {
            return Ok("nothing (no Stripe API key is connected; waiting for the webhook)".into());
        };
        let stripe = self.stripe.connect(&key)?;
        let now = crate::now_ms();
        let synthetic: Vec<reconciler::Synthetic> = match missing {
            Missing::PaymentOfIntent { payment_intent, .. } => {
                let mut found: Vec<_> =
                    stripe.sessions_of_payment_intent(payment_intent).await?.iter().filter_map(reconciler::session_event).collect();
                if found.is_empty()
                    && let Some(invoice) = stripe.invoice_of_payment_intent(payment_intent).await?
                {
                    // A subscription's payment: tie the PaymentIntent to the invoice's conversion,
                    // and fetch the invoice in case its event has not been processed either.
                    conversions::set_payment_intent(&self.db.pool, merchant_id, livemode, &invoice, payment_intent).await?;
                    found.extend(stripe.invoice(&invoice).await?.as_ref().and_then(reconciler::invoice_event));
                }
                found
            }
            Missing::SessionOfSubscription { subscription, .. } => {
                stripe.sessions_of_subscription(subscription).await?.iter().filter_map(reconciler::session_event).collect()
            }
            // Taken now, which is no earlier than the event that asked (Stripe's clock or ours).
            Missing::ChargeAsOf { charge, as_of, .. } => {
                stripe.charge(charge).await?.and_then(|c| reconciler::charge_event(&c, (*as_of).max(now / 1000))).into_iter().collect()
            }
            Missing::PromotionCode { promotion_code, .. } => match stripe.promotion_code(promotion_code).await? {
                Some(object) => reconciler::object_event(&object, "promotion_code.updated", now / 1000).into_iter().collect(),
                None => {
                    // Gone from Stripe: remember it maps to nobody, so the payment goes on without.
                    let mut conn = self.db.pool.acquire().await.map_err(StorageError::from)?;
                    discounts::record(&mut conn, merchant_id, livemode, promotion_code, None, None, "metadata", 0, now).await?;
                    return Ok("nothing (no such promotion code)".into());
                }
            },
            Missing::Customer { customer, .. } => match stripe.customer(customer).await? {
                Some(object) => reconciler::object_event(&object, "customer.updated", now / 1000).into_iter().collect(),
                None => {
                    // Gone from Stripe: remember it has no metadata, so the payment goes on without.
                    let mut conn = self.db.pool.acquire().await.map_err(StorageError::from)?;
                    let none = stripe_customers::Metadata { ref_code: None, ref_click: None };
                    stripe_customers::record_metadata(&mut conn, merchant_id, livemode, customer, &none, 0, now).await?;
                    return Ok("nothing (no such customer)".into());
                }
            },
        };
        let new = reconciler::store(&self.db, merchant_id, livemode, &synthetic, now).await?;
        let ids: Vec<&str> = synthetic.iter().map(|s| s.id.as_str()).collect();
        Ok(if ids.is_empty() { "nothing".into() } else { format!("{} ({new} new)", ids.join(", ")) })
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

/// Why fetching a missing object failed (the event is retried either way).
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error(transparent)]
    Stripe(#[from] CallError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}
