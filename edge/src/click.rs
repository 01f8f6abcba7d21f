//! `POST /v1/clicks`: turns the tracker's beacon into a queued event, or a clear 4xx.

use payref_shared::EdgeEvent;
use payref_shared::batch::ReceivedEvent;

/// Largest beacon body accepted.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// A refused click request: status and a JSON-safe message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// Machine-readable code.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

impl Rejection {
    /// A rejection with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// The JSON error envelope shared with the origin.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } }).to_string()
    }

    /// 413 for a body over the limit.
    pub fn too_large() -> Self {
        Self::new(413, "payload_too_large", format!("request body is larger than {MAX_BODY_BYTES} bytes"))
    }
}

/// Validates a beacon body and stamps it with what only the edge knows.
pub fn accept(body: &[u8], received_at_ms: i64, country: Option<String>) -> Result<ReceivedEvent, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::too_large());
    }
    let text = std::str::from_utf8(body).map_err(|_| Rejection::new(400, "invalid_body", "body is not UTF-8"))?;
    let event = EdgeEvent::from_form(text).map_err(|e| Rejection::new(400, "invalid_event", e.to_string()))?;
    Ok(ReceivedEvent { received_at_ms, country, visitor: None, device: None, event })
}

/// A page's report that it cannot run the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong: `csp` (the page's Content-Security-Policy refuses WebAssembly).
    pub kind: &'static str,
    /// The site key the tag carries.
    pub site: payref_shared::SiteKey,
    /// The page, clipped to the event limit.
    pub page: String,
}

/// Parses the loader's `v=1&t=csp&s=<site>&u=<page>` report.
pub fn diagnostic(body: &[u8]) -> Result<Diagnostic, Rejection> {
    let bad = |m: &str| Rejection::new(400, "invalid_diagnostic", m.to_owned());
    let text = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
    let get = |k| payref_shared::form::get(text, k);
    if get("v").as_deref() != Some("1") {
        return Err(bad("field v must be 1"));
    }
    let kind = match get("t").as_deref() {
        Some("csp") => "csp",
        _ => return Err(bad("field t must be csp")),
    };
    let site = payref_shared::SiteKey::parse(&get("s").unwrap_or_default()).map_err(|e| bad(&format!("field s: {e}")))?;
    let page = payref_shared::event::clip(&get("u").unwrap_or_default(), payref_shared::event::MAX_URL_LEN).to_owned();
    Ok(Diagnostic { kind, site, page })
}

/// CORS headers for a response to `origin` (the site's page). A preflight carries no body, so no
/// site key: it is answered for any origin, and the POST itself is refused (403, without an
/// `Access-Control-Allow-Origin`) when the site does not allow the page's origin.
pub fn cors_headers(origin: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Access-Control-Allow-Methods", "POST, OPTIONS".to_owned()),
        ("Access-Control-Allow-Headers", "Content-Type".to_owned()),
        ("Access-Control-Max-Age", "86400".to_owned()),
        ("Vary", "Origin".to_owned()),
    ];
    if let Some(o) = origin {
        headers.push(("Access-Control-Allow-Origin", o.to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use payref_shared::{ClickEvent, ClickId, ReferralCode, SiteKey};

    fn body() -> String {
        ClickEvent {
            site: SiteKey::parse("site_demo").unwrap(),
            code: ReferralCode::parse("demo").unwrap(),
            click_id: ClickId::from_bytes([1; 16]),
            landing_url: "https://shop.test/?ref=demo".into(),
            referrer: String::new(),
            utm: Vec::new(),
        }
        .to_form()
    }

    #[test]
    fn a_valid_beacon_becomes_a_stamped_event() {
        let e = accept(body().as_bytes(), 42, Some("DE".into())).unwrap();
        assert_eq!((e.received_at_ms, e.country.as_deref()), (42, Some("DE")));
    }

    #[test]
    fn diagnostics_are_parsed_and_checked() {
        let d = diagnostic(b"v=1&t=csp&s=site_demo&u=https%3A%2F%2Fshop.test%2F").unwrap();
        assert_eq!((d.kind, d.site.as_str(), d.page.as_str()), ("csp", "site_demo", "https://shop.test/"));
        for bad in [&b"v=2&t=csp&s=site_demo"[..], b"v=1&t=other&s=site_demo", b"v=1&t=csp&s=%3Cb%3E", b"v=1&t=csp", b"\xff"] {
            let err = diagnostic(bad).unwrap_err();
            assert_eq!((err.status, err.code), (400, "invalid_diagnostic"), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bad_bodies_get_clear_errors() {
        assert_eq!(accept(&vec![b'a'; MAX_BODY_BYTES + 1], 0, None).unwrap_err().status, 413);
        assert_eq!(accept(&[0xff, 0xfe], 0, None).unwrap_err().code, "invalid_body");
        let bad_code = body().replace("c=demo", "c=%3Cb%3E");
        let err = accept(bad_code.as_bytes(), 0, None).unwrap_err();
        assert_eq!((err.status, err.code), (400, "invalid_event"));
        assert!(err.message.contains("field c"), "{}", err.message);
        assert!(err.to_json().contains("\"invalid_event\""));
    }
}
