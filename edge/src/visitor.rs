//! Who sent a click, without keeping who they are: a coarse device class from the user agent,
//! and a hash of IP and user agent under a salt that changes every UTC day. The salt is random,
//! kept only for two days, and never leaves the edge, so a hash cannot be traced back to an IP
//! address — not even by the origin, which only counts repeats with it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes in a day's salt.
pub const SALT_LEN: usize = 32;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The UTC day number (days since 1970-01-01) of a time in epoch milliseconds.
pub fn utc_day(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The visitor hash: HMAC-SHA256 of IP and user agent under the day's salt, as 32 hex
/// characters (128 bits: collisions between visitors are negligible).
pub fn visitor_hash(salt: &[u8], ip: &str, user_agent: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(salt).unwrap_or_else(|_| unreachable!("hmac takes any key"));
    mac.update(ip.as_bytes());
    mac.update(b"\n");
    mac.update(user_agent.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// `mobile`, `tablet` or `desktop`. iPads that ask for desktop sites (the default since
/// iPadOS 13) say they are Macs and count as desktops.
pub fn device_class(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    let android = ua.contains("android");
    if ua.contains("ipad") || ua.contains("tablet") || ua.contains("kindle") || ua.contains("silk/") || (android && !ua.contains("mobile"))
    {
        "tablet"
    } else if android || ua.contains("mobi") || ua.contains("iphone") || ua.contains("ipod") {
        "mobile"
    } else {
        "desktop"
    }
}

/// The country a click is credited to, from Cloudflare's `request.cf.country`: an ISO 3166
/// alpha-2 code, or `T1` for Tor. Cloudflare's `XX` (not known) and anything not shaped like a
/// code are no country.
pub fn country(cf_country: Option<String>) -> Option<String> {
    let c = cf_country?.to_ascii_uppercase();
    let shaped = c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphanumeric()) && c.as_bytes()[0].is_ascii_alphabetic();
    (shaped && c != "XX").then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(DAY_MS - 1), 0);
        assert_eq!(utc_day(DAY_MS), 1);
        assert_eq!(utc_day(-1), -1);
    }

    #[test]
    fn hashes_depend_on_salt_ip_and_agent_and_hide_the_ip() {
        let h = visitor_hash(b"salt-a", "203.0.113.7", "UA");
        assert_eq!(h.len(), 32);
        assert!(!h.contains("203"));
        assert_eq!(h, visitor_hash(b"salt-a", "203.0.113.7", "UA"));
        assert_ne!(h, visitor_hash(b"salt-b", "203.0.113.7", "UA"), "a new day's salt gives a new hash");
        assert_ne!(h, visitor_hash(b"salt-a", "203.0.113.8", "UA"));
        assert_ne!(h, visitor_hash(b"salt-a", "203.0.113.7", "UA2"));
        // IP and agent are kept apart (an IP never holds a newline): plain concatenation would
        // merge these two.
        assert_ne!(visitor_hash(b"s", "1.2.3.4", "5"), visitor_hash(b"s", "1.2.3.45", ""));
    }

    #[test]
    fn countries_are_codes_or_nothing() {
        let c = |s: &str| country(Some(s.to_owned()));
        assert_eq!(c("DE").as_deref(), Some("DE"));
        assert_eq!(c("jp").as_deref(), Some("JP"));
        assert_eq!(c("T1").as_deref(), Some("T1"), "Tor is worth knowing");
        assert_eq!(c("XX"), None, "Cloudflare's unknown");
        for bad in ["", "D", "DEU", "1A", "D-", "ÄB"] {
            assert_eq!(c(bad), None, "{bad}");
        }
        assert_eq!(country(None), None);
    }

    #[test]
    fn device_classes() {
        let cases = [
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1", "mobile"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36", "mobile"),
            ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36", "tablet"),
            ("Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1", "tablet"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36", "desktop"),
            ("Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0", "mobile"),
            ("", "desktop"),
        ];
        for (ua, class) in cases {
            assert_eq!(device_class(ua), class, "{ua}");
        }
    }
}
