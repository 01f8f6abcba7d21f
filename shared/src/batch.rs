//! `EventBatch`: what the edge POSTs to the origin's `/v1/ingest/events`, as JSON, signed with
//! [`crate::signature`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::EdgeEvent;
use crate::event::{EventError, MAX_URL_LEN, MAX_UTM_LEN, UTM_KEYS, check_text, is_sha256_hex};

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

/// The longest `country`, `visitor` and `device` annotation the edge adds.
pub const MAX_ANNOTATION_LEN: usize = 128;

impl ReceivedEvent {
    /// Checks what serde's shape does not: free text within the wire's bounds and storable
    /// everywhere ([`crate::text`]), at most the five `utm_*` keys, a lead's hash as hex.
    /// The message names the field.
    pub fn check(&self) -> Result<(), EventError> {
        for (name, value) in [("country", &self.country), ("visitor", &self.visitor), ("device", &self.device)] {
            check_text(name, value.as_deref().unwrap_or_default(), MAX_ANNOTATION_LEN)?;
        }
        match &self.event {
            EdgeEvent::Click(c) => {
                check_text("landing_url", &c.landing_url, MAX_URL_LEN)?;
                check_text("referrer", &c.referrer, MAX_URL_LEN)?;
                if c.utm.len() > UTM_KEYS.len() {
                    return Err(EventError::Invalid("utm", alloc::format!("more than {} parameters", UTM_KEYS.len())));
                }
                for (k, v) in &c.utm {
                    let Some(key) = UTM_KEYS.iter().find(|u| **u == k.as_str()) else {
                        return Err(EventError::Invalid("utm", "a key that is not a utm_* parameter".into()));
                    };
                    check_text(key, v, MAX_UTM_LEN)?;
                }
                Ok(())
            }
            EdgeEvent::Lead(l) => {
                if is_sha256_hex(&l.email_sha256) {
                    Ok(())
                } else {
                    Err(EventError::Invalid("email_sha256", "not a lowercase hex sha256".into()))
                }
            }
        }
    }
}

/// A batch read one event at a time: an event that does not parse or check is kept, in its
/// place, as the reason, so one bad event never fails the others.
#[derive(Debug)]
pub struct CheckedBatch {
    /// When the edge sent the batch, UTC epoch milliseconds.
    pub sent_at_ms: i64,
    /// Each event, or why it was refused (naming the field).
    pub events: Vec<Result<ReceivedEvent, String>>,
}

#[derive(serde::Deserialize)]
struct RawBatch<'a> {
    sent_at_ms: i64,
    #[serde(borrow)]
    events: Vec<&'a serde_json::value::RawValue>,
}

impl EventBatch {
    /// Parses the batch's frame strictly and each event on its own ([`CheckedBatch`]).
    pub fn from_json_each(body: &[u8]) -> Result<CheckedBatch, BatchError> {
        let raw: RawBatch<'_> = serde_json::from_slice(body).map_err(|e| BatchError::Json(alloc::format!("{e}")))?;
        if raw.events.len() > MAX_BATCH_EVENTS {
            return Err(BatchError::TooManyEvents(raw.events.len()));
        }
        let events = raw
            .events
            .into_iter()
            .map(|e| {
                let event: ReceivedEvent = serde_json::from_str(e.get()).map_err(|e| alloc::format!("{e}"))?;
                event.check().map_err(|e| alloc::format!("{e}"))?;
                Ok(event)
            })
            .collect();
        Ok(CheckedBatch { sent_at_ms: raw.sent_at_ms, events })
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        // Serializing plain owned data into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses and bounds a batch body, refusing it whole if any event is not valid.
    pub fn from_json(body: &[u8]) -> Result<Self, BatchError> {
        let checked = Self::from_json_each(body)?;
        let events = checked.events.into_iter().collect::<Result<Vec<_>, _>>().map_err(BatchError::Json)?;
        Ok(Self { sent_at_ms: checked.sent_at_ms, events })
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
    fn one_bad_event_is_refused_alone_with_its_reason() {
        let mut nul = event(2);
        if let EdgeEvent::Click(c) = &mut nul.event {
            c.landing_url = "https://shop.test/?q=\0".into();
        }
        let b = EventBatch { sent_at_ms: 5, events: alloc::vec![event(1), nul, event(3)] };
        let json = b.to_json().replacen("\"demo\"", "\"de mo\"", 3).replacen("\"de mo\"", "\"demo\"", 2);
        let checked = EventBatch::from_json_each(json.as_bytes()).unwrap();
        assert_eq!(checked.events.len(), 3);
        assert!(checked.events[0].is_ok());
        assert!(checked.events[1].as_ref().unwrap_err().contains("landing_url"), "{:?}", checked.events[1]);
        assert!(checked.events[2].as_ref().unwrap_err().contains("character outside"), "{:?}", checked.events[2]);
        assert!(EventBatch::from_json(json.as_bytes()).is_err());
    }

    #[test]
    fn check_bounds_every_free_text_field() {
        let long = |f: fn(&mut ReceivedEvent)| {
            let mut e = event(1);
            f(&mut e);
            e.check().unwrap_err().to_string()
        };
        assert!(long(|e| e.visitor = Some("v".repeat(MAX_ANNOTATION_LEN + 1))).contains("visitor"));
        assert!(long(|e| e.country = Some("\0".into())).contains("country"));
        assert!(
            long(|e| if let EdgeEvent::Click(c) = &mut e.event {
                c.referrer = "r".repeat(MAX_URL_LEN + 1)
            })
            .contains("referrer")
        );
        assert!(
            long(|e| if let EdgeEvent::Click(c) = &mut e.event {
                c.utm = alloc::vec![("x".into(), "y".into())]
            })
            .contains("utm")
        );
        assert!(event(1).check().is_ok());
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
