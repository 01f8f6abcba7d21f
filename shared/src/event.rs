//! `EdgeEvent`: what the tracker reports to the edge, form-encoded on the wire.
//!
//! Wire fields: `v=1`, `t` (`click` or `lead`), `s` site key, `k` click id; a click adds `c`
//! code, `u` landing URL, `r` referrer and the `utm_*` parameters; a lead adds `e`, the
//! lowercase hex sha256 of the normalised email (never the address).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::{ClickId, ReferralCode, SiteKey, form};

/// Longest landing URL or referrer carried (longer ones are clipped by the sender).
pub const MAX_URL_LEN: usize = 2048;
/// Longest `utm_*` value carried.
pub const MAX_UTM_LEN: usize = 256;
/// The `utm_*` parameters a click carries.
pub const UTM_KEYS: [&str; 5] = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

/// A visitor identified by `payref('identify', {email})`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
pub struct LeadEvent {
    /// Whose site.
    pub site: SiteKey,
    /// The click the visitor carries.
    pub click_id: ClickId,
    /// Lowercase hex sha256 of the normalised email.
    pub email_sha256: String,
}

/// One event from the tracker.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "server", serde(tag = "type", rename_all = "snake_case"))]
pub enum EdgeEvent {
    /// A referral visit.
    Click(ClickEvent),
    /// An identified visitor.
    Lead(LeadEvent),
}

/// A visit that arrived with a referral.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
pub struct ClickEvent {
    /// Whose site.
    pub site: SiteKey,
    /// The referral code.
    pub code: ReferralCode,
    /// The click's id.
    pub click_id: ClickId,
    /// The landing page.
    pub landing_url: String,
    /// `document.referrer`, empty when none.
    pub referrer: String,
    /// `utm_*` parameters.
    pub utm: Vec<(String, String)>,
}

/// Why a tracker body is not an event; names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// The body is not form encoding.
    Encoding(form::FormError),
    /// Unsupported `v`.
    Version,
    /// `t` is neither `click` nor `lead`.
    UnknownType,
    /// A required field is absent.
    Missing(&'static str),
    /// A field is present but invalid.
    Invalid(&'static str, String),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encoding(e) => e.fmt(f),
            Self::Version => f.write_str("unsupported event version (field v)"),
            Self::UnknownType => f.write_str("field t must be click or lead"),
            Self::Missing(field) => write!(f, "field {field} is missing"),
            Self::Invalid(field, why) => write!(f, "field {field} is invalid: {why}"),
        }
    }
}

impl core::error::Error for EventError {}

/// Whether `s` is a lowercase hex sha256, the form a lead's email hash travels in: the one
/// check the edge, the batch and the origin's erasure all use.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Clips `s` to at most `max` bytes on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    // Some boundary at or below `max` exists (0 at worst); `get` cannot panic.
    (0..=max).rev().find_map(|end| s.get(..end)).unwrap_or("")
}

impl ClickEvent {
    /// The form body the tracker sends.
    pub fn to_form(&self) -> String {
        let click = self.click_id.to_text();
        let mut pairs: Vec<(&str, &str)> = alloc::vec![
            ("v", "1"),
            ("t", "click"),
            ("s", self.site.as_str()),
            ("c", self.code.as_str()),
            ("k", &click),
            ("u", clip(&self.landing_url, MAX_URL_LEN)),
            ("r", clip(&self.referrer, MAX_URL_LEN)),
        ];
        pairs.extend(self.utm.iter().map(|(k, v)| (k.as_str(), clip(v, MAX_UTM_LEN))));
        form::encode(&pairs)
    }
}

impl LeadEvent {
    /// The form body the tracker sends.
    pub fn to_form(&self) -> String {
        let click = self.click_id.to_text();
        form::encode(&[("v", "1"), ("t", "lead"), ("s", self.site.as_str()), ("k", &click), ("e", &self.email_sha256)])
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &'static str) -> Result<&'a str, EventError> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).ok_or(EventError::Missing(name))
}

fn invalid(name: &'static str) -> impl Fn(&dyn fmt::Display) -> EventError {
    move |e| EventError::Invalid(name, e.to_string())
}

fn bounded(pairs: &[(String, String)], name: &'static str, max: usize) -> Result<String, EventError> {
    let v = pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
    check_text(name, v, max)?;
    Ok(v.to_string())
}

/// Refuses free text longer than `max` bytes or holding what a store cannot keep.
pub(crate) fn check_text(name: &'static str, v: &str, max: usize) -> Result<(), EventError> {
    if v.len() > max {
        return Err(EventError::Invalid(name, alloc::format!("longer than {max} bytes")));
    }
    if !crate::text::is_storable(v) {
        return Err(EventError::Invalid(name, crate::text::NUL_REFUSED.to_string()));
    }
    Ok(())
}

impl EdgeEvent {
    /// Parses a tracker body. Never panics; every error names the field.
    pub fn from_form(body: &str) -> Result<Self, EventError> {
        let pairs = form::decode(body).map_err(EventError::Encoding)?;
        if field(&pairs, "v")? != "1" {
            return Err(EventError::Version);
        }
        let site = SiteKey::parse(field(&pairs, "s")?).map_err(|e| invalid("s")(&e))?;
        let click_id = ClickId::parse(field(&pairs, "k")?).map_err(|e| invalid("k")(&e))?;
        match field(&pairs, "t")? {
            "click" => {
                let code = ReferralCode::parse(field(&pairs, "c")?).map_err(|e| invalid("c")(&e))?;
                let mut utm = Vec::new();
                for key in UTM_KEYS {
                    if let Some((k, v)) = pairs.iter().find(|(k, _)| k == key) {
                        check_text(key, v, MAX_UTM_LEN)?;
                        utm.push((k.clone(), v.clone()));
                    }
                }
                Ok(Self::Click(ClickEvent {
                    site,
                    code,
                    click_id,
                    landing_url: bounded(&pairs, "u", MAX_URL_LEN)?,
                    referrer: bounded(&pairs, "r", MAX_URL_LEN)?,
                    utm,
                }))
            }
            "lead" => {
                let hash = field(&pairs, "e")?;
                if !is_sha256_hex(hash) {
                    return Err(EventError::Invalid("e", "not a lowercase hex sha256".to_string()));
                }
                Ok(Self::Lead(LeadEvent { site, click_id, email_sha256: hash.to_string() }))
            }
            _ => Err(EventError::UnknownType),
        }
    }

    /// The site the event belongs to.
    pub fn site(&self) -> &SiteKey {
        match self {
            Self::Click(c) => &c.site,
            Self::Lead(l) => &l.site,
        }
    }

    /// The click the event belongs to.
    pub fn click_id(&self) -> ClickId {
        match self {
            Self::Click(c) => c.click_id,
            Self::Lead(l) => l.click_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn click() -> ClickEvent {
        ClickEvent {
            site: SiteKey::parse("site_demo").unwrap(),
            code: ReferralCode::parse("demo").unwrap(),
            click_id: ClickId::from_bytes([3; 16]),
            landing_url: "https://shop.test/?ref=demo&utm_source=news".into(),
            referrer: String::new(),
            utm: alloc::vec![("utm_source".into(), "news".into())],
        }
    }

    #[test]
    fn click_round_trips_through_the_wire() {
        assert_eq!(EdgeEvent::from_form(&click().to_form()), Ok(EdgeEvent::Click(click())));
    }

    #[test]
    fn lead_round_trips_and_rejects_a_raw_email() {
        let lead = LeadEvent { site: SiteKey::parse("s").unwrap(), click_id: ClickId::from_bytes([9; 16]), email_sha256: "a".repeat(64) };
        assert_eq!(EdgeEvent::from_form(&lead.to_form()), Ok(EdgeEvent::Lead(lead.clone())));
        let raw = LeadEvent { email_sha256: "me@example.com".into(), ..lead };
        assert!(matches!(EdgeEvent::from_form(&raw.to_form()), Err(EventError::Invalid("e", _))));
    }

    #[test]
    fn errors_name_the_field() {
        let body = click().to_form().replace("c=demo", "c=de%20mo");
        assert!(matches!(EdgeEvent::from_form(&body), Err(EventError::Invalid("c", _))));
        assert_eq!(EdgeEvent::from_form("v=1&t=click"), Err(EventError::Missing("s")));
        assert_eq!(EdgeEvent::from_form("v=2"), Err(EventError::Version));
        let body = click().to_form().replace("t=click", "t=buy");
        assert_eq!(EdgeEvent::from_form(&body), Err(EventError::UnknownType));
        let long = ClickEvent { landing_url: "x".repeat(3000), ..click() }.to_form();
        let parsed = EdgeEvent::from_form(&long).unwrap();
        assert!(matches!(parsed, EdgeEvent::Click(c) if c.landing_url.len() == MAX_URL_LEN));
    }

    #[test]
    fn a_nul_in_any_free_text_field_is_refused_by_name() {
        for (field, body) in [
            ("u", click().to_form().replace("u=https", "u=https%00")),
            ("r", click().to_form().replace("r=", "r=%00")),
            ("utm_source", click().to_form().replace("utm_source=news", "utm_source=ne%00ws")),
        ] {
            assert!(
                matches!(EdgeEvent::from_form(&body), Err(EventError::Invalid(f, why)) if f == field && why.contains("NUL")),
                "{field}"
            );
        }
    }

    #[test]
    fn clip_respects_character_boundaries() {
        assert_eq!(clip("ééé", 3), "é");
        assert_eq!(clip("abc", 10), "abc");
    }

    proptest! {
        #[test]
        fn from_form_never_panics(s in "\\PC{0,300}") {
            let _ = EdgeEvent::from_form(&s);
        }

        #[test]
        fn any_click_round_trips(url in "\\PC{0,100}", referrer in "\\PC{0,50}", code in "[A-Za-z0-9_-]{1,64}") {
            let c = ClickEvent { landing_url: url, referrer, code: ReferralCode::parse(&code).unwrap(), ..click() };
            prop_assert_eq!(EdgeEvent::from_form(&c.to_form()), Ok(EdgeEvent::Click(c)));
        }
    }
}
