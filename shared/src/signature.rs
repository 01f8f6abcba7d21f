//! HMAC-SHA256 signature of the edge → origin batch.
//!
//! Header `Payref-Signature: t=<UTC epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Verification accepts any of the active secrets (two during a rotation) and refuses a
//! timestamp more than five minutes away from the receiver's clock, either way.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The request header carrying the signature.
pub const HEADER: &str = "Payref-Signature";
/// Largest accepted clock difference between signer and verifier.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The header is not `t=…,v1=…`.
    Malformed,
    /// The timestamp is more than five minutes from now.
    Skew,
    /// No active secret produces this signature.
    Mismatch,
    /// No secret is configured.
    NoSecret,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "signature header is not t=<ms>,v1=<hex>",
            Self::Skew => "signature timestamp is more than 5 minutes from now",
            Self::Mismatch => "signature does not match",
            Self::NoSecret => "no signing secret is configured",
        })
    }
}

impl core::error::Error for SignatureError {}

fn mac(secret: &[u8], timestamp_ms: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("hmac takes any key"));
    m.update(alloc::format!("{timestamp_ms}.").as_bytes());
    m.update(body);
    m
}

/// The header value signing `body` at `timestamp_ms`.
pub fn sign(secret: &[u8], timestamp_ms: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp_ms, body).finalize().into_bytes();
    alloc::format!("t={timestamp_ms},v1={}", hex::encode(tag))
}

fn parse_header(header: &str) -> Result<(i64, Vec<Vec<u8>>), SignatureError> {
    let mut ts = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => ts = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => sigs.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    match ts {
        Some(t) if !sigs.is_empty() => Ok((t, sigs)),
        _ => Err(SignatureError::Malformed),
    }
}

/// Checks `header` against `body` with any of `secrets`; returns the signed timestamp.
pub fn verify(header: &str, body: &[u8], secrets: &[&[u8]], now_ms: i64) -> Result<i64, SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let (ts, sigs) = parse_header(header)?;
    if now_ms.abs_diff(ts) > MAX_SKEW_MS.unsigned_abs() {
        return Err(SignatureError::Skew);
    }
    let ok = secrets.iter().any(|secret| sigs.iter().any(|sig| mac(secret, ts, body).verify_slice(sig).is_ok()));
    if ok { Ok(ts) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_763_700_000_000;

    #[test]
    fn known_answer() {
        // HMAC-SHA256("secret", "1000.{}"), computed independently with Python's hmac module.
        assert_eq!(sign(b"secret", 1000, b"{}"), "t=1000,v1=026360fb6284f077f1148b1ae7c62679730497810a6a0321574de01e8b009e7a");
    }

    #[test]
    fn accepts_either_active_secret_during_rotation() {
        let h = sign(b"old", NOW, b"body");
        assert_eq!(verify(&h, b"body", &[b"new", b"old"], NOW), Ok(NOW));
        assert_eq!(verify(&h, b"body", &[b"new"], NOW), Err(SignatureError::Mismatch));
        assert_eq!(verify(&h, b"body", &[], NOW), Err(SignatureError::NoSecret));
    }

    #[test]
    fn rejects_tampering_skew_and_garbage() {
        let h = sign(b"k", NOW, b"body");
        assert_eq!(verify(&h, b"bodx", &[b"k"], NOW), Err(SignatureError::Mismatch));
        assert_eq!(verify(&h, b"body", &[b"k"], NOW + MAX_SKEW_MS + 1), Err(SignatureError::Skew));
        assert_eq!(verify(&h, b"body", &[b"k"], NOW - MAX_SKEW_MS - 1), Err(SignatureError::Skew));
        assert_eq!(verify(&h, b"body", &[b"k"], NOW + MAX_SKEW_MS), Ok(NOW));
        assert_eq!(verify("t=1", b"", &[b"k"], 1), Err(SignatureError::Malformed));
        assert_eq!(verify("v1=zz,t=1", b"", &[b"k"], 1), Err(SignatureError::Malformed));
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(secret in any::<Vec<u8>>(), body in any::<Vec<u8>>(), ts in 0i64..i64::MAX / 2) {
            prop_assert_eq!(verify(&sign(&secret, ts, &body), &body, &[&secret], ts), Ok(ts));
        }

        #[test]
        fn verify_never_panics(h in "\\PC{0,120}", now in any::<i64>()) {
            let _ = verify(&h, b"x", &[b"k"], now);
        }
    }
}
