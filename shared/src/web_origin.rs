//! `WebOrigin`: a site's origin as browsers send it in the `Origin` header —
//! `scheme://host[:port]`, lowercase, the default port left out — so the origin can store a
//! merchant's allowed origins and the edge can compare them with a plain string match.

use alloc::string::String;
use core::fmt;

/// Why a value is not a web origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginError {
    /// Not `http://` or `https://`.
    Scheme,
    /// The host is empty or not a DNS name or IPv4 address.
    Host,
    /// The port is not 1–65535.
    Port,
    /// A path, query, fragment or user info follows the host.
    Extra,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scheme => "must start with https:// or http://",
            Self::Host => "has no valid host name",
            Self::Port => "has a port outside 1-65535",
            Self::Extra => "must be scheme://host[:port] only, without a path, query or user info",
        })
    }
}

impl core::error::Error for OriginError {}

/// A normalised web origin, e.g. `https://shop.example.com`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WebOrigin(String);

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

impl WebOrigin {
    /// Parses and normalises; a single trailing `/` is accepted (as pasted from an address bar).
    pub fn parse(s: &str) -> Result<Self, OriginError> {
        let lower = s.trim().to_ascii_lowercase();
        let (scheme, rest, default_port) = if let Some(rest) = lower.strip_prefix("https://") {
            ("https", rest, 443)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            ("http", rest, 80)
        } else {
            return Err(OriginError::Scheme);
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@', '\\']) {
            return Err(OriginError::Extra);
        }
        let (host, port) = match rest.split_once(':') {
            Some((host, port)) => {
                let port = match port.parse::<u16>() {
                    Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
                    _ => return Err(OriginError::Port),
                };
                (host, Some(port))
            }
            None => (rest, None),
        };
        if !valid_host(host) {
            return Err(OriginError::Host);
        }
        Ok(Self(match port {
            Some(p) if p != default_port => alloc::format!("{scheme}://{host}:{p}"),
            _ => alloc::format!("{scheme}://{host}"),
        }))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> Result<String, OriginError> {
        WebOrigin::parse(s).map(|o| o.0)
    }

    #[test]
    fn normalises_as_browsers_send_it() {
        assert_eq!(norm("https://Shop.Example.com/").as_deref(), Ok("https://shop.example.com"));
        assert_eq!(norm("https://shop.example.com:443").as_deref(), Ok("https://shop.example.com"));
        assert_eq!(norm("http://127.0.0.1:8080").as_deref(), Ok("http://127.0.0.1:8080"));
        assert_eq!(norm("http://localhost:80").as_deref(), Ok("http://localhost"));
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        assert_eq!(norm("shop.example.com"), Err(OriginError::Scheme));
        assert_eq!(norm("ftp://shop.example.com"), Err(OriginError::Scheme));
        assert_eq!(norm("https://shop.example.com/path"), Err(OriginError::Extra));
        assert_eq!(norm("https://user@shop.example.com"), Err(OriginError::Extra));
        assert_eq!(norm("https://shop.example.com?x=1"), Err(OriginError::Extra));
        assert_eq!(norm("https://shop.example.com:0"), Err(OriginError::Port));
        assert_eq!(norm("https://shop.example.com:+80"), Err(OriginError::Port));
        assert_eq!(norm("https://shop.example.com:99999"), Err(OriginError::Port));
        assert_eq!(norm("https://"), Err(OriginError::Host));
        assert_eq!(norm("https://-bad.example"), Err(OriginError::Host));
        assert_eq!(norm("https://a..b"), Err(OriginError::Host));
        assert_eq!(norm("https://exa mple.com"), Err(OriginError::Host));
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(s in "\\PC{0,80}") {
            if let Ok(o) = WebOrigin::parse(&s) {
                prop_assert_eq!(WebOrigin::parse(o.as_str()), Ok(o.clone()));
            }
        }

        #[test]
        fn dns_origins_parse(host in "[a-z0-9]{1,20}(\\.[a-z0-9]{1,20}){0,3}", port in 1u16..) {
            let o = WebOrigin::parse(&alloc::format!("https://{host}:{port}")).unwrap();
            prop_assert!(o.as_str().starts_with("https://"));
        }
    }
}
