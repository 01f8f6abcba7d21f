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

/// The most `v1` values a header may carry. Stripe sends one, two while a secret is rolled;
/// each further value would cost a comparison, so a header with more is refused whole.
pub const MAX_CANDIDATES: usize = 8;
/// Bytes in an HMAC-SHA256 tag; a `v1` value of any other length cannot match and is skipped.
const TAG_LEN: usize = 32;

/// A parsed `t=…,v1=…` header: the timestamp and the candidate tags of the right length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signed timestamp, in the signer's unit (ms for the edge, seconds for Stripe).
    pub timestamp: i64,
    /// Up to [`MAX_CANDIDATES`] tags, each exactly 32 bytes.
    pub candidates: Vec<[u8; TAG_LEN]>,
}

/// Parses `t=<integer>,v1=<64 hex>[,v1=…]`; other schemes (`v0=`) are ignored. Work is linear in
/// the header's length and no more than [`MAX_CANDIDATES`] tags are kept.
pub fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    let mut v1_values = 0usize;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => {
                v1_values += 1;
                if v1_values > MAX_CANDIDATES {
                    return Err(SignatureError::Malformed);
                }
                let mut tag = [0u8; TAG_LEN];
                if v.len() == 2 * TAG_LEN && hex::decode_to_slice(v, &mut tag).is_ok() {
                    candidates.push(tag);
                }
            }
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if v1_values > 0 => Ok(SignatureHeader { timestamp, candidates }),
        _ => Err(SignatureError::Malformed),
    }
}

/// Constant-time equality of two tags.
fn same_tag(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a `t=…,v1=…` header against `body`: the timestamp within `tolerance` of `now` (both in
/// the header's unit), and some candidate equal to HMAC-SHA256(secret, "<t>.<body>") under one of
/// `secrets`. One MAC is computed per secret, however many candidates the header carries, and
/// none at all when the header is malformed or out of time. Returns the signed timestamp.
pub fn verify_with_tolerance(header: &str, body: &[u8], secrets: &[&[u8]], now: i64, tolerance: i64) -> Result<i64, SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let parsed = parse_header(header)?;
    if now.abs_diff(parsed.timestamp) > tolerance.unsigned_abs() {
        return Err(SignatureError::Skew);
    }
    if parsed.candidates.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let ok = secrets.iter().any(|secret| {
        let tag: [u8; TAG_LEN] = mac(secret, parsed.timestamp, body).finalize().into_bytes().into();
        // Every candidate is compared, so the time taken does not tell which one matched.
        parsed.candidates.iter().fold(false, |found, c| found | same_tag(&tag, c))
    });
    if ok { Ok(parsed.timestamp) } else { Err(SignatureError::Mismatch) }
}

/// Checks `header` against `body` with any of `secrets`; returns the signed timestamp.
pub fn verify(header: &str, body: &[u8], secrets: &[&[u8]], now_ms: i64) -> Result<i64, SignatureError> {
    verify_with_tolerance(header, body, secrets, now_ms, MAX_SKEW_MS)
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
        assert_eq!(verify("v1=zz,t=1", b"", &[b"k"], 1), Err(SignatureError::Mismatch));
        assert_eq!(verify("t=x,v1=00", b"", &[b"k"], 1), Err(SignatureError::Malformed));
    }

    #[test]
    fn refuses_a_header_with_more_candidates_than_a_rotation_needs() {
        let good = sign(b"k", NOW, b"body");
        let tag = good.split_once("v1=").unwrap().1;
        let eight = alloc::format!("t={NOW}{},v1={tag}", ",v1=".repeat(7));
        assert_eq!(verify(&eight, b"body", &[b"k"], NOW), Ok(NOW));
        // The finding: thousands of empty v1 values each cost a MAC over the whole body.
        let many = alloc::format!("t={NOW}{},v1={tag}", ",v1=".repeat(5000));
        assert_eq!(verify(&many, b"body", &[b"k"], NOW), Err(SignatureError::Malformed));
    }

    #[test]
    fn keeps_only_candidates_of_a_tags_length() {
        let h = parse_header("t=5,v1=,v1=abcd,v1=zz,v0=00").unwrap();
        assert_eq!((h.timestamp, h.candidates.len()), (5, 0));
        let full = "ab".repeat(32);
        let h = parse_header(&alloc::format!("t=5,v1={full},v1={full}00")).unwrap();
        assert_eq!(h.candidates, alloc::vec![[0xab; 32]]);
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

        #[test]
        fn parse_never_keeps_more_than_the_cap(n in 0usize..40, value in "[0-9a-f]{0,70}") {
            let h = alloc::format!("t=1{}", alloc::format!(",v1={value}").repeat(n));
            match parse_header(&h) {
                Ok(p) => prop_assert!((1..=MAX_CANDIDATES).contains(&n) && p.candidates.len() <= n),
                Err(e) => prop_assert!(e == SignatureError::Malformed && (n == 0 || n > MAX_CANDIDATES)),
            }
        }
    }
}
