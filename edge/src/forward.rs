//! Queue consumer logic: queued events → one signed `EventBatch` for the origin.

use payref_shared::batch::{EventBatch, ReceivedEvent};
use payref_shared::signature;

/// Path of the origin's ingest endpoint.
pub const INGEST_PATH: &str = "/v1/ingest/events";

/// A signed request ready to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBatch {
    /// JSON body.
    pub body: String,
    /// `Payref-Signature` value.
    pub signature: String,
    /// Events in the batch.
    pub count: usize,
}

/// Parses queued messages (JSON `ReceivedEvent`s). Returns the events and the indexes of
/// messages that can never be parsed (acknowledged and dropped rather than retried forever).
pub fn parse_messages(bodies: &[String]) -> (Vec<ReceivedEvent>, Vec<usize>) {
    let mut events = Vec::with_capacity(bodies.len());
    let mut poison = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        match serde_json::from_str(body) {
            Ok(e) => events.push(e),
            Err(_) => poison.push(i),
        }
    }
    (events, poison)
}

/// Signs `events` as one batch at `now_ms`.
pub fn sign_batch(events: Vec<ReceivedEvent>, secret: &[u8], now_ms: i64) -> SignedBatch {
    let count = events.len();
    let body = EventBatch { sent_at_ms: now_ms, events }.to_json();
    let signature = signature::sign(secret, now_ms, body.as_bytes());
    SignedBatch { body, signature, count }
}

/// What becomes of a queued message once its batch was (or was not) delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done with: delivered, or never deliverable (poison).
    Ack,
    /// Tried again after the queue's `retry_delay`; dead-lettered after `max_retries`.
    Retry,
}

/// The fate of each of `count` messages: poison is acknowledged either way; the rest are
/// acknowledged when the origin took the batch and retried when it did not.
pub fn settle(count: usize, poison: &[usize], delivered: bool) -> Vec<Settle> {
    (0..count).map(|i| if delivered || poison.contains(&i) { Settle::Ack } else { Settle::Retry }).collect()
}

/// The ingest URL under the origin's base URL.
pub fn ingest_url(origin_base: &str) -> String {
    format!("{}{INGEST_PATH}", origin_base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use payref_shared::{ClickEvent, ClickId, EdgeEvent, ReferralCode, SiteKey};

    fn event(n: u8) -> ReceivedEvent {
        ReceivedEvent {
            received_at_ms: 1,
            country: None,
            visitor: None,
            device: None,
            event: EdgeEvent::Click(ClickEvent {
                site: SiteKey::parse("s").unwrap(),
                code: ReferralCode::parse("demo").unwrap(),
                click_id: ClickId::from_bytes([n; 16]),
                landing_url: String::new(),
                referrer: String::new(),
                utm: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_signed_batch_verifies_at_the_origin() {
        let signed = sign_batch(vec![event(1), event(2)], b"k", 1_000);
        assert_eq!(signature::verify(&signed.signature, signed.body.as_bytes(), &[b"k"], 1_000), Ok(1_000));
        assert_eq!(EventBatch::from_json(signed.body.as_bytes()).unwrap().events.len(), 2);
    }

    #[test]
    fn unparseable_messages_are_set_aside() {
        let good = serde_json::to_string(&event(1)).unwrap();
        let (events, poison) = parse_messages(&[good, "{".into()]);
        assert_eq!((events.len(), poison), (1, vec![1]));
    }

    #[test]
    fn a_full_queue_batch_is_one_signed_request_and_poison_never_returns() {
        // The consumer's largest batch (max_batch_size = 100), two messages of it unparseable.
        let mut bodies: Vec<String> = (0..100).map(|n| serde_json::to_string(&event(n)).unwrap()).collect();
        bodies[7] = "{\"not\": \"an event\"}".into();
        bodies[63] = String::new();
        let (events, poison) = parse_messages(&bodies);
        assert_eq!((events.len(), poison.clone()), (98, vec![7, 63]));
        let signed = sign_batch(events, b"k", 5);
        assert_eq!(signed.count, 98);
        let batch = EventBatch::from_json(signed.body.as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 98);
        assert_eq!(batch.events[7].event.click_id(), ClickId::from_bytes([8; 16]), "order kept, poison skipped");
        assert!(signature::verify(&signed.signature, signed.body.as_bytes(), &[b"k"], 5).is_ok());

        let delivered = settle(100, &poison, true);
        assert!(delivered.iter().all(|s| *s == Settle::Ack));
        let failed = settle(100, &poison, false);
        assert_eq!((failed[7], failed[63]), (Settle::Ack, Settle::Ack), "poison is not retried forever");
        assert_eq!(failed.iter().filter(|s| **s == Settle::Retry).count(), 98);
    }

    #[test]
    fn ingest_url_joins_cleanly() {
        assert_eq!(ingest_url("http://127.0.0.1:3000/"), "http://127.0.0.1:3000/v1/ingest/events");
    }
}
