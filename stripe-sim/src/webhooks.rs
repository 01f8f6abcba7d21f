//! Webhook deliveries as Stripe makes them: each event POSTed to every endpoint of its mode
//! with `Stripe-Signature: t=…,v1=…` (one `v1` per active secret, as during a secret roll),
//! retried with backoff until a 2xx. On demand: duplicated, delayed, held and released in
//! another order, or dropped (a webhook that never arrives, for the reconciler to catch).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use sha2::Sha256;

/// The `Stripe-Signature` header for `payload` at `timestamp` under each of `secrets`. This is
/// the simulator's own signing code, separate from the origin's verifier; both pass the same
/// known-answer vector.
pub fn signature_header(secrets: &[String], timestamp: i64, payload: &str) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        header.push_str(",v1=");
        header.push_str(&hex::encode(mac.finalize().into_bytes()));
    }
    header
}

/// A webhook endpoint registered with the simulator.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Where events are POSTed.
    pub url: String,
    /// Signing secrets; several while one is being rolled.
    pub secrets: Vec<String>,
    /// Which mode's events it receives.
    pub livemode: bool,
}

/// How deliveries behave.
#[derive(Debug, Clone)]
pub struct DeliveryMode {
    /// Copies of each delivery (Stripe may deliver an event more than once).
    pub copies: u32,
    /// Wait this long before a first attempt.
    pub delay: Duration,
    /// Keep deliveries back until [`crate::Simulator::release`].
    pub hold: bool,
    /// Never deliver (webhooks missed: disabled endpoint, outage on Stripe's side).
    pub drop: bool,
    /// First retry delay; doubles per attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Attempts before giving up (Stripe tries for three days).
    pub max_attempts: u32,
    /// Deliveries in flight at once (at most [`crate::DELIVERY_WORKERS`]). One keeps the queue's
    /// order, which tests of a given order need; more is how Stripe delivers under load.
    pub parallel: usize,
}

impl Default for DeliveryMode {
    fn default() -> Self {
        Self {
            copies: 1,
            delay: Duration::ZERO,
            hold: false,
            drop: false,
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            max_attempts: 30,
            parallel: 1,
        }
    }
}

/// The order held deliveries are released in.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    /// As the events happened.
    InOrder,
    /// Newest first.
    Reversed,
    /// Shuffled with this seed (repeatable).
    Shuffled(u64),
}

/// One pending delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Index into the endpoints.
    pub endpoint: usize,
    /// The event's id.
    pub event_id: String,
    /// The event as JSON text.
    pub payload: String,
    /// Attempts made.
    pub attempts: u32,
    /// Not before.
    pub due: Instant,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The event.
    pub event_id: String,
    /// HTTP status, or `None` when the endpoint could not be reached.
    pub status: Option<u16>,
}

/// The delivery queue.
#[derive(Debug, Default)]
pub struct Queue {
    /// Registered endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Due or waiting deliveries, roughly in due order.
    pub pending: VecDeque<Delivery>,
    /// Held back until released.
    pub held: Vec<Delivery>,
    /// Being attempted now.
    pub in_flight: usize,
    /// Every attempt made, in order.
    pub log: Vec<Attempt>,
    /// Deliveries given up on.
    pub failed: Vec<String>,
    /// Events dropped on purpose.
    pub dropped: Vec<String>,
}

impl Queue {
    /// Queues `payload` for every endpoint of its mode, as `mode` says.
    pub fn enqueue(&mut self, mode: &DeliveryMode, livemode: bool, event_id: &str, payload: &str) {
        let targets: Vec<usize> = self.endpoints.iter().enumerate().filter(|(_, e)| e.livemode == livemode).map(|(i, _)| i).collect();
        if mode.drop {
            self.dropped.push(event_id.to_string());
            return;
        }
        for endpoint in targets {
            for _ in 0..mode.copies.max(1) {
                let d = Delivery {
                    endpoint,
                    event_id: event_id.to_string(),
                    payload: payload.to_string(),
                    attempts: 0,
                    due: Instant::now() + mode.delay,
                };
                if mode.hold { self.held.push(d) } else { self.pending.push_back(d) }
            }
        }
    }

    /// Moves held deliveries to the queue in `order`.
    pub fn release(&mut self, order: Release) {
        let mut held = std::mem::take(&mut self.held);
        match order {
            Release::InOrder => {}
            Release::Reversed => held.reverse(),
            Release::Shuffled(seed) => held.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed)),
        }
        let now = Instant::now();
        self.pending.extend(held.into_iter().map(|d| Delivery { due: now, ..d }));
    }

    /// The next due delivery, if any and fewer than `parallel` are in flight, and when the next
    /// one falls due otherwise.
    pub fn next_due(&mut self, now: Instant, parallel: usize) -> Result<Delivery, Option<Instant>> {
        if self.in_flight >= parallel.max(1) {
            return Err(None);
        }
        match self.pending.iter().position(|d| d.due <= now) {
            Some(i) => {
                self.in_flight += 1;
                Ok(self.pending.remove(i).expect("index from position"))
            }
            None => Err(self.pending.iter().map(|d| d.due).min()),
        }
    }

    /// Whether nothing is queued or being attempted (held deliveries aside).
    pub fn idle(&self) -> bool {
        self.pending.is_empty() && self.in_flight == 0
    }
}

/// Stripe's retry delay after `attempts` failed attempts.
pub fn backoff(mode: &DeliveryMode, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
    mode.retry_base.saturating_mul(factor).min(mode.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_known_answer_vector() {
        // The same vector as the origin's verifier test: HMAC-SHA256 computed independently with
        // Python's hmac module.
        assert_eq!(
            signature_header(&["whsec_test_secret".into()], 1_700_000_000, r#"{"id":"evt_1","object":"event"}"#),
            "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
        );
        let rolled =
            signature_header(&["whsec_old".into(), "whsec_test_secret".into()], 1_700_000_000, r#"{"id":"evt_1","object":"event"}"#);
        assert!(rolled.ends_with(",v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"));
        assert_eq!(rolled.matches("v1=").count(), 2);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let mode =
            DeliveryMode { retry_base: Duration::from_millis(100), retry_max: Duration::from_millis(700), ..DeliveryMode::default() };
        let delays: Vec<u128> = (1..=5).map(|a| backoff(&mode, a).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 700, 700]);
    }

    #[test]
    fn copies_hold_release_and_drop() {
        let mut q = Queue::default();
        q.endpoints.push(Endpoint { url: "http://x".into(), secrets: vec!["s".into()], livemode: false });
        q.endpoints.push(Endpoint { url: "http://y".into(), secrets: vec!["s".into()], livemode: true });
        let mode = DeliveryMode { copies: 3, ..DeliveryMode::default() };
        q.enqueue(&mode, false, "evt_a", "{}");
        assert_eq!(q.pending.len(), 3, "three copies to the one test-mode endpoint");
        let held = DeliveryMode { hold: true, ..DeliveryMode::default() };
        for id in ["e1", "e2", "e3", "e4"] {
            q.enqueue(&held, false, id, "{}");
        }
        assert_eq!(q.held.len(), 4);
        q.pending.clear();
        q.release(Release::Reversed);
        let order: Vec<&str> = q.pending.iter().map(|d| d.event_id.as_str()).collect();
        assert_eq!(order, vec!["e4", "e3", "e2", "e1"]);
        q.enqueue(&DeliveryMode { drop: true, ..DeliveryMode::default() }, false, "gone", "{}");
        assert_eq!(q.dropped, vec!["gone"]);
        assert_eq!(q.pending.len(), 4);
    }
}
