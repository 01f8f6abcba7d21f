//! The referral cookie, written by the tracker and by the edge's redirect (`Set-Cookie`).
//!
//! Name `payref_ref`; value `1.<code>.<click id>.<set at, UTC epoch ms>`. Every part is
//! cookie-safe without escaping (`.` is not in the code alphabet). Readable by script: the
//! edge must not mark it HttpOnly, because the tracker adopts the redirect's click from it.

use alloc::string::String;

use crate::{ClickId, ReferralCode};

/// The cookie's name.
pub const COOKIE_NAME: &str = "payref_ref";
/// Default lifetime in days (the tracker's `data-window-days`).
pub const DEFAULT_WINDOW_DAYS: u32 = 60;

/// The referral a visitor carries.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReferralCookie {
    /// The affiliate's code.
    pub code: ReferralCode,
    /// The click that set it.
    pub click_id: ClickId,
    /// When it was set, UTC epoch milliseconds.
    pub set_at_ms: u64,
}

impl ReferralCookie {
    /// The cookie value (without name or attributes).
    pub fn to_value(&self) -> String {
        let mut out = String::with_capacity(2 + self.code.as_str().len() + 24 + 14);
        out.push_str("1.");
        out.push_str(self.code.as_str());
        out.push('.');
        for b in self.click_id.encode() {
            out.push(char::from(b));
        }
        out.push('.');
        push_decimal(&mut out, self.set_at_ms);
        out
    }

    /// Parses a cookie value; `None` when it is not in the v1 format.
    pub fn parse_value(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        if parts.next()? != "1" {
            return None;
        }
        let code = ReferralCode::parse(parts.next()?).ok()?;
        let click_id = ClickId::parse(parts.next()?).ok()?;
        let ms = parts.next()?;
        if parts.next().is_some() || ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self { code, click_id, set_at_ms: ms.parse().ok()? })
    }

    /// Finds and parses payref's cookie in a `Cookie` header or `document.cookie` string.
    pub fn find_in(cookie_header: &str) -> Option<Self> {
        cookie_header.split(';').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name.trim_matches(' ') == COOKIE_NAME).then(|| Self::parse_value(value.trim_matches(' ')))?
        })
    }
}

/// Appends `n` in decimal (without `core::fmt`, which would cost the tracker kilobytes).
pub fn push_decimal(out: &mut String, n: u64) {
    // Digits come least significant first; u64::MAX has 20. No indexing: nothing can panic.
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut n = n;
    for slot in &mut digits {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    for &d in digits.iter().take(len).rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> ReferralCookie {
        ReferralCookie { code: ReferralCode::parse("demo").unwrap(), click_id: ClickId::from_bytes([1; 16]), set_at_ms: 1_763_700_000_000 }
    }

    #[test]
    fn found_among_other_cookies() {
        let header = alloc::format!("a=1; {COOKIE_NAME}={}; b=2", sample().to_value());
        assert_eq!(ReferralCookie::find_in(&header), Some(sample()));
        assert_eq!(ReferralCookie::find_in("a=1; b=2"), None);
    }

    #[test]
    fn rejects_other_versions_and_junk() {
        let v = sample().to_value();
        assert!(ReferralCookie::parse_value(&v.replacen('1', "2", 1)).is_none());
        assert!(ReferralCookie::parse_value(&alloc::format!("{v}.x")).is_none());
        assert!(ReferralCookie::parse_value("1.demo.abc.5").is_none());
        assert!(ReferralCookie::parse_value("1.demo.0000000000000000000000.-5").is_none());
    }

    #[test]
    fn decimals_match_display() {
        for n in [0, 7, 10, 1_763_700_000_000, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, alloc::format!("{n}"));
        }
    }

    proptest! {
        #[test]
        fn value_round_trips(code in "[A-Za-z0-9_-]{1,64}", bytes in any::<[u8; 16]>(), ms in any::<u64>()) {
            let c = ReferralCookie {
                code: ReferralCode::parse(&code).unwrap(),
                click_id: ClickId::from_bytes(bytes),
                set_at_ms: ms,
            };
            prop_assert_eq!(ReferralCookie::parse_value(&c.to_value()), Some(c));
        }

        #[test]
        fn find_never_panics(s in "\\PC{0,200}") {
            let _ = ReferralCookie::find_in(&s);
        }
    }
}
