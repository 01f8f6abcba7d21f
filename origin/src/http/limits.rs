//! Request body limits, enforced for every route before routing, authentication or parsing:
//! a declared `Content-Length` over the route's limit is answered 413 without reading a byte,
//! and a body without one (chunked) is read only up to the limit. Handlers then get the body
//! from memory, so no caller can make the origin read or hold more than its route allows.

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::error::envelope;
use super::ingest::INGEST_BODY_LIMIT;
use super::webhooks::WEBHOOK_BODY_LIMIT;

/// Largest body of a merchant API request: the biggest (a bulk action on 1,000 commission ids
/// with a reason) is under 64 KiB.
pub const API_BODY_LIMIT: usize = 256 * 1024;

/// The body limit of the route at `path`, bytes.
pub fn body_limit(path: &str) -> usize {
    if path == "/v1/ingest/events" {
        INGEST_BODY_LIMIT
    } else if path.starts_with("/v1/stripe/webhooks/") {
        WEBHOOK_BODY_LIMIT
    } else {
        API_BODY_LIMIT
    }
}

/// What a request's headers say of its body against `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// A length within the limit, or none (the body is read up to the limit).
    Readable,
    /// A length over the limit: refuse without reading.
    TooLarge,
    /// A `Content-Length` that is not a number.
    Invalid,
}

/// Judges the `Content-Length` header value, if any.
pub fn declared(content_length: Option<&[u8]>, limit: usize) -> Declared {
    let Some(value) = content_length else { return Declared::Readable };
    match std::str::from_utf8(value).ok().and_then(|v| v.trim().parse::<u64>().ok()) {
        None => Declared::Invalid,
        Some(n) if n > limit as u64 => Declared::TooLarge,
        Some(_) => Declared::Readable,
    }
}

fn too_large(limit: usize) -> Response {
    let mut resp = envelope(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &format!("request body is larger than {limit} bytes"));
    // The rest of an oversized body is not read, so the connection cannot be reused.
    resp.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    resp
}

/// The middleware: bounds the body of `req`, then calls `ep`.
pub async fn enforce<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let limit = body_limit(req.uri().path());
    match declared(req.headers().get(header::CONTENT_LENGTH).map(|v| v.as_bytes()), limit) {
        Declared::TooLarge => return Ok(too_large(limit)),
        Declared::Invalid => return Ok(envelope(StatusCode::BAD_REQUEST, "invalid_request", "Content-Length is not a number")),
        Declared::Readable => {}
    }
    match req.take_body().into_bytes_limit(limit).await {
        Ok(bytes) => req.set_body(Body::from_bytes(bytes)),
        Err(poem::error::ReadBodyError::PayloadTooLarge) => return Ok(too_large(limit)),
        Err(e) => return Ok(envelope(StatusCode::BAD_REQUEST, "unreadable_body", &e.to_string())),
    }
    Ok(ep.call(req).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_its_limit() {
        assert_eq!(body_limit("/v1/ingest/events"), INGEST_BODY_LIMIT);
        assert_eq!(body_limit("/v1/stripe/webhooks/mer_1/live"), WEBHOOK_BODY_LIMIT);
        assert_eq!(body_limit("/v1/affiliates"), API_BODY_LIMIT);
        assert_eq!(body_limit("/v1/ingest/events/extra"), API_BODY_LIMIT);
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_unread() {
        assert_eq!(declared(None, 10), Declared::Readable);
        assert_eq!(declared(Some(b"10"), 10), Declared::Readable);
        assert_eq!(declared(Some(b"11"), 10), Declared::TooLarge);
        assert_eq!(declared(Some(b"67108864"), API_BODY_LIMIT), Declared::TooLarge);
        assert_eq!(declared(Some(b"99999999999999999999999"), 10), Declared::Invalid);
        assert_eq!(declared(Some(b"-1"), 10), Declared::Invalid);
        assert_eq!(declared(Some(b"\xff"), 10), Declared::Invalid);
    }
}
