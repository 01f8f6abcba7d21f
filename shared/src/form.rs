//! A small `application/x-www-form-urlencoded` codec: the tracker's wire encoding.
//!
//! Hand-written so the tracker does not carry serde_json or a URL crate; a form body sent with
//! `navigator.sendBeacon` as text needs no CORS preflight.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The body is not valid form encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadEscape => "form body has a bad % escape",
            Self::NotUtf8 => "form body is not UTF-8",
        })
    }
}

impl core::error::Error for FormError {}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `s` form-encoded to `out`.
pub fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// Encodes name/value pairs as a form body.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form-encoded component.
pub fn decode_component(s: &str) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'+' => b' ',
            b'%' => match (bytes.next().and_then(hex_value), bytes.next().and_then(hex_value)) {
                (Some(h), Some(l)) => h << 4 | l,
                _ => return Err(FormError::BadEscape),
            },
            b => b,
        });
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8)
}

/// Decodes a form body into name/value pairs, in order.
pub fn decode(body: &str) -> Result<Vec<(String, String)>, FormError> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

/// The decoded value of the first pair named `name` (compared after decoding), or `None` when
/// there is none or it does not decode. Reads only as far as it must; allocates no pair list.
pub fn get(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let matches = if k.contains(['%', '+']) { decode_component(k).ok()? == name } else { k == name };
        if matches { decode_component(v).ok() } else { None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode(&[("u", "https://x.test/?a=1&b=2 c")]), "u=https%3A%2F%2Fx.test%2F%3Fa%3D1%26b%3D2+c");
    }

    #[test]
    fn rejects_broken_escapes_and_non_utf8() {
        assert_eq!(decode("a=%4"), Err(FormError::BadEscape));
        assert_eq!(decode("a=%zz"), Err(FormError::BadEscape));
        assert_eq!(decode("a=%FF"), Err(FormError::NotUtf8));
    }

    #[test]
    fn get_finds_the_first_decodable_match() {
        assert_eq!(get("a=1&ref=x%20y&ref=z", "ref").as_deref(), Some("x y"));
        assert_eq!(get("%72ef=enc", "ref").as_deref(), Some("enc"));
        assert_eq!(get("ref", "ref").as_deref(), Some(""));
        assert_eq!(get("a=1", "ref"), None);
        assert_eq!(get("ref=%zz&ref=ok", "ref").as_deref(), Some("ok"), "a broken pair is skipped");
    }

    proptest! {
        #[test]
        fn get_agrees_with_decode(k in "[a-c%+]{0,3}", v in "\\PC{0,10}") {
            let body = encode(&[(&k, &v)]);
            prop_assert_eq!(get(&body, &k), Some(v));
        }

        #[test]
        fn round_trips_any_text(k in "\\PC{0,20}", v in "\\PC{0,60}") {
            let body = encode(&[(&k, &v), ("z", "1")]);
            prop_assert_eq!(decode(&body).unwrap(), alloc::vec![(k, v), ("z".into(), "1".into())]);
        }

        #[test]
        fn decode_never_panics(s in "\\PC{0,100}") {
            let _ = decode(&s);
        }
    }
}
