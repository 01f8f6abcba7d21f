//! A stateful Stripe simulator on loopback, for payref's tests and demo.
//!
//! It speaks the part of Stripe's API payref uses — Checkout Sessions, customers (with metadata
//! and search), invoices and invoice payments, charges, refunds, disputes, subscriptions,
//! coupons, promotion codes, customer balance transactions and events — in Stripe's object
//! shapes at API version 2026-09-30, with Stripe's pagination and error objects, so that
//! async-stripe pointed at it parses everything. It delivers webhooks signed as Stripe signs
//! them, with retries, and on demand duplicated, delayed, reordered or dropped. Scenario helpers
//! play out what happens at Stripe: a Payment Link paid, a subscription renewed, a refund, a
//! dispute, a customer created through the API.

#![recursion_limit = "256"]

pub mod api;
pub mod checkout;
pub mod form;
pub mod objects;
pub mod scenario;
pub mod store;
pub mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::Notify;

use store::Account;
use webhooks::{Attempt, DeliveryMode, Endpoint, Queue, Release};

/// Delivery tasks per simulator: the most deliveries in flight at once.
pub const DELIVERY_WORKERS: usize = 8;

/// The simulated account's state.
#[derive(Debug)]
pub struct State {
    accounts: [Account; 2],
    seq: u64,
    /// Seconds added to the wall clock (to play out renewals months later).
    clock_offset: i64,
    /// How deliveries behave from now on.
    pub delivery: DeliveryMode,
    /// API requests still to fail with Stripe's `api_error` (500): an outage.
    pub failing_requests: u64,
}

impl State {
    /// The account of one mode.
    pub fn account(&self, livemode: bool) -> &Account {
        &self.accounts[usize::from(livemode)]
    }

    /// The account of one mode, to change.
    pub fn account_mut(&mut self, livemode: bool) -> &mut Account {
        &mut self.accounts[usize::from(livemode)]
    }

    /// The simulated clock, unix seconds.
    pub fn now(&self) -> i64 {
        wall_secs() + self.clock_offset
    }

    /// Stores (or replaces) an object of `kind`.
    pub fn put(&mut self, livemode: bool, kind: &str, object: Value) {
        self.seq += 1;
        let seq = self.seq;
        self.account_mut(livemode).of_mut(kind).put(seq, object);
    }

    /// An object of `kind` by id.
    pub fn get(&self, livemode: bool, kind: &str, id: &str) -> Option<&Value> {
        self.account(livemode).of(kind).get(id)
    }
}

fn wall_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct Inner {
    state: Mutex<State>,
    queue: Mutex<Queue>,
    wake: Notify,
    idle: Notify,
    http: reqwest::Client,
}

/// A running simulator. Cloning shares it.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
    /// `http://127.0.0.1:PORT/`, for `ClientBuilder::url`.
    pub base_url: String,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("base_url", &self.base_url).finish()
    }
}

/// Why an operation on the simulator was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    /// HTTP status Stripe would answer.
    pub status: u16,
    /// Stripe's error object.
    pub body: Value,
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body["error"]["message"].as_str().unwrap_or("Stripe error"))
    }
}

impl std::error::Error for SimError {}

impl SimError {
    /// `resource_missing` (404).
    pub fn missing(kind: &str, id: &str) -> Self {
        Self {
            status: 404,
            body: objects::error("invalid_request_error", Some("resource_missing"), &format!("No such {kind}: '{id}'"), Some("id")),
        }
    }

    /// Stripe's own failure (500 `api_error`).
    pub fn outage() -> Self {
        Self { status: 500, body: objects::error("api_error", None, "An unknown error occurred (simulated outage).", None) }
    }

    /// A bad parameter (400).
    pub fn invalid(param: &str, message: &str) -> Self {
        Self { status: 400, body: objects::error("invalid_request_error", Some("parameter_invalid"), message, Some(param)) }
    }
}

impl Simulator {
    /// Starts a simulator on an ephemeral loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts a simulator on `addr`.
    pub async fn start_on(addr: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                accounts: [Account::new(false), Account::new(true)],
                seq: 0,
                clock_offset: 0,
                delivery: DeliveryMode::default(),
                failing_requests: 0,
            }),
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            idle: Notify::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
        });
        let sim = Self { inner, base_url: format!("http://{local}/") };
        let app = api::routes(sim.clone());
        let std_listener = listener.into_std()?;
        tokio::spawn(async move {
            let listener = poem::listener::TcpAcceptor::from_std(std_listener).expect("a bound listener");
            if let Err(e) = poem::Server::new_with_acceptor(listener).run(app).await {
                tracing::error!(error = %e, "Stripe simulator stopped");
            }
        });
        for _ in 0..DELIVERY_WORKERS {
            tokio::spawn(sim.clone().deliver_forever());
        }
        Ok(sim)
    }

    /// The state, locked. Keep the guard short; never hold it across an await.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.inner.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the simulated clock forward (renewals months later, a dispute after weeks).
    pub fn advance(&self, by: Duration) {
        self.state().clock_offset += i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
    }

    /// The simulated clock, unix seconds.
    pub fn now(&self) -> i64 {
        self.state().now()
    }

    /// Registers a webhook endpoint for one mode's events, signed with `secrets` (several
    /// while a secret is rolled).
    pub fn add_endpoint(&self, url: &str, secrets: &[&str], livemode: bool) {
        self.queue().endpoints.push(Endpoint { url: url.to_string(), secrets: secrets.iter().map(|s| s.to_string()).collect(), livemode });
    }

    /// Changes how later deliveries behave.
    pub fn set_delivery(&self, mode: DeliveryMode) {
        self.state().delivery = mode;
    }

    /// Makes the next `n` API requests fail as in a Stripe outage (500 `api_error`).
    pub fn fail_requests(&self, n: u64) {
        self.state().failing_requests = n;
    }

    /// Delivers held deliveries in `order`.
    pub fn release(&self, order: Release) {
        self.queue().release(order);
        self.inner.wake.notify_waiters();
    }

    /// Every delivery attempt so far.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.queue().log.clone()
    }

    /// Events that were dropped on purpose.
    pub fn dropped(&self) -> Vec<String> {
        self.queue().dropped.clone()
    }

    /// Deliveries given up on after every retry.
    pub fn failed(&self) -> Vec<String> {
        self.queue().failed.clone()
    }

    /// Waits until every queued delivery has been made or given up (held ones aside).
    pub async fn wait_delivered(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let idle = self.inner.idle.notified();
            if self.queue().idle() {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline.into(), idle).await.is_err() {
                let q = self.queue();
                anyhow::bail!("webhook deliveries still pending after {timeout:?}: {} queued, {} in flight", q.pending.len(), q.in_flight);
            }
        }
    }

    /// Records an event about `object` and queues its delivery.
    pub fn emit(&self, state: &mut State, livemode: bool, event_type: &str, object: Value, previous: Option<Value>) -> String {
        let id = objects::id("evt_1", 24);
        let event = objects::event(&id, livemode, state.now(), event_type, object, previous);
        let payload = event.to_string();
        state.put(livemode, "event", event);
        let mode = state.delivery.clone();
        self.queue().enqueue(&mode, livemode, &id, &payload);
        self.inner.wake.notify_waiters();
        id
    }

    async fn deliver_forever(self) {
        loop {
            let parallel = self.state().delivery.parallel;
            let next = self.queue().next_due(Instant::now(), parallel);
            match next {
                Ok(delivery) => self.attempt(delivery).await,
                Err(next_due) => {
                    if self.queue().idle() {
                        self.inner.idle.notify_waiters();
                    }
                    let wait = next_due.map_or(Duration::from_millis(200), |t| t.saturating_duration_since(Instant::now()));
                    let _ = tokio::time::timeout(wait.min(Duration::from_millis(200)), self.inner.wake.notified()).await;
                }
            }
        }
    }

    async fn attempt(&self, mut delivery: webhooks::Delivery) {
        let endpoint = self.queue().endpoints[delivery.endpoint].clone();
        let header = webhooks::signature_header(&endpoint.secrets, wall_secs(), &delivery.payload);
        let sent = self
            .inner
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", header)
            .header("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
            .body(delivery.payload.clone())
            .send()
            .await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        let mode = self.state().delivery.clone();
        let mut q = self.queue();
        q.in_flight -= 1;
        q.log.push(Attempt { event_id: delivery.event_id.clone(), status });
        delivery.attempts += 1;
        if !status.is_some_and(|s| (200..300).contains(&s)) {
            if delivery.attempts >= mode.max_attempts {
                q.failed.push(delivery.event_id);
            } else {
                delivery.due = Instant::now() + webhooks::backoff(&mode, delivery.attempts);
                q.pending.push_back(delivery);
            }
        }
        if q.idle() {
            self.inner.idle.notify_waiters();
        }
        drop(q);
        // A slot is free: the next delivery may go.
        self.inner.wake.notify_waiters();
    }
}
