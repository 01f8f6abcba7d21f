//! `EventBatch`: what the edge POSTs to the origin's `/v1/ingest/events`, as JSON, signed with
//! [`crate::signature`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::EdgeEvent;

/// The most events one batch may carry.
pub const MAX_BATCH_EVENTS: usize = 1000;

/// An event as the edge received it.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct ReceivedEvent {
    /// When the edge received it, UTC epoch milliseconds (the visitor's clock is not trusted).
    pub received_at_ms: i64,
    /// ISO 3166 country from the edge, when known.
    #[serde(default)]
    pub country: Option<String>,
    /// The edge's daily-salted hash of IP and user agent (never the raw IP): the origin counts
    /// one click per visitor, code and de-duplication window. `None` when the edge had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    /// Coarse device class from the user agent (`desktop`, `mobile`, `tablet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The tracker's event.
    pub event: EdgeEvent,
}

/// Events the edge forwards in one signed request.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct EventBatch {
    /// When the edge sent the batch, UTC epoch milliseconds.
    pub sent_at_ms: i64,
    /// The events, at most [`MAX_BATCH_EVENTS`].
    pub events: Vec<ReceivedEvent>,
}

/// Why a batch body was refused.
#[derive(Debug)]
pub enum BatchError {
    /// Not the batch JSON shape; carries serde's message (which names the field).
    Json(String),
    /// More than [`MAX_BATCH_EVENTS`] events.
    TooManyEvents(usize),
}

impl core::fmt::Display for BatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Json(e) => write!(f, "batch is not valid: {e}"),
            Self::TooManyEvents(n) => write!(f, "batch has {n} events; at most {MAX_BATCH_EVENTS} are accepted"),
        }
    }
}

impl core::error::Error for BatchError {}

impl EventBatch {
    /// The JSON body.
    pub fn to_json(&self) -> String {
        // Serializing plain owned data into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses and bounds a batch body.
    pub fn from_json(body: &[u8]) -> Result<Self, BatchError> {
        let batch: Self = serde_json::from_slice(body).map_err(|e| BatchError::Json(alloc::format!("{e}")))?;
        if batch.events.len() > MAX_BATCH_EVENTS {
            return Err(BatchError::TooManyEvents(batch.events.len()));
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClickEvent, ClickId, ReferralCode, SiteKey};

    fn event(n: u8) -> ReceivedEvent {
        ReceivedEvent {
            received_at_ms: 1,
            country: Some("DE".into()),
            visitor: None,
            device: None,
            event: EdgeEvent::Click(ClickEvent {
                site: SiteKey::parse("site").unwrap(),
                code: ReferralCode::parse("demo").unwrap(),
                click_id: ClickId::from_bytes([n; 16]),
                landing_url: "https://shop.test/".into(),
                referrer: String::new(),
                utm: Vec::new(),
            }),
        }
    }

    #[test]
    fn json_round_trips() {
        let b = EventBatch { sent_at_ms: 5, events: alloc::vec![event(1), event(2)] };
        assert_eq!(EventBatch::from_json(b.to_json().as_bytes()).unwrap(), b);
    }

    #[test]
    fn refuses_oversized_and_malformed_batches() {
        let b = EventBatch { sent_at_ms: 5, events: (0..1001).map(|_| event(1)).collect() };
        assert!(matches!(EventBatch::from_json(b.to_json().as_bytes()), Err(BatchError::TooManyEvents(1001))));
        let err = EventBatch::from_json(br#"{"sent_at_ms":1}"#).unwrap_err();
        assert!(err.to_string().contains("events"), "{err}");
        let bad_code = b.to_json().replacen("\"demo\"", "\"de mo\"", 1);
        assert!(EventBatch::from_json(bad_code.as_bytes()).is_err());
    }
}
