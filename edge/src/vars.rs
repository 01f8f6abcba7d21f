//! The worker's variables (`wrangler.toml`'s `[vars]` and the `EDGE_SECRET` secret), read once
//! per request or batch into one struct instead of looked up where each is used.

use payref_shared::SiteKey;
use payref_shared::cookie::DEFAULT_WINDOW_DAYS;

use crate::site::DEFAULT_TTL_MS;

/// Every variable the worker reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    /// `ORIGIN_URL` without a trailing `/`.
    pub origin_url: Option<String>,
    /// `EDGE_SECRET`: what batches and configuration requests are signed with.
    pub edge_secret: Option<String>,
    /// `SITE_KEY`: the site whose links `/r/{slug}` serves.
    pub site_key: Option<SiteKey>,
    /// `CONFIG_TTL_SECONDS` in ms (default 60 s): how long a cached site or link is trusted.
    pub config_ttl_ms: i64,
    /// `COOKIE_DOMAIN`: the referral cookie's domain; `None` when unset or empty.
    pub cookie_domain: Option<String>,
    /// `WINDOW_DAYS` (default 60): the referral cookie's lifetime.
    pub window_days: u32,
}

impl Vars {
    /// Reads every variable through `var` (a name → value lookup; unset is `None`).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let non_empty = |name: &str| var(name).filter(|v| !v.is_empty());
        Self {
            origin_url: non_empty("ORIGIN_URL").map(|u| u.trim_end_matches('/').to_owned()),
            edge_secret: non_empty("EDGE_SECRET"),
            site_key: non_empty("SITE_KEY").and_then(|k| SiteKey::parse(&k).ok()),
            config_ttl_ms: non_empty("CONFIG_TTL_SECONDS")
                .and_then(|v| v.parse::<i64>().ok())
                .map_or(DEFAULT_TTL_MS, |s| s.max(0).saturating_mul(1000)),
            cookie_domain: non_empty("COOKIE_DOMAIN"),
            window_days: non_empty("WINDOW_DAYS").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_WINDOW_DAYS),
        }
    }

    /// `ORIGIN_URL`, or why the worker cannot reach the origin.
    pub fn origin_url(&self) -> Result<&str, &'static str> {
        self.origin_url.as_deref().ok_or("ORIGIN_URL is not set")
    }

    /// `EDGE_SECRET`, or why the worker cannot sign.
    pub fn edge_secret(&self) -> Result<&[u8], &'static str> {
        self.edge_secret.as_deref().map(str::as_bytes).ok_or("the EDGE_SECRET secret is not set")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_lookup(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn defaults_when_unset() {
        let v = vars(&[]);
        assert_eq!((v.config_ttl_ms, v.window_days), (DEFAULT_TTL_MS, DEFAULT_WINDOW_DAYS));
        assert_eq!((v.origin_url(), v.edge_secret()), (Err("ORIGIN_URL is not set"), Err("the EDGE_SECRET secret is not set")));
        assert!(v.site_key.is_none() && v.cookie_domain.is_none());
    }

    #[test]
    fn reads_and_normalises_what_is_set() {
        let v = vars(&[
            ("ORIGIN_URL", "https://origin.example/"),
            ("EDGE_SECRET", "s3cret"),
            ("SITE_KEY", "site_demo"),
            ("CONFIG_TTL_SECONDS", "5"),
            ("COOKIE_DOMAIN", ""),
            ("WINDOW_DAYS", "30"),
        ]);
        assert_eq!(v.origin_url(), Ok("https://origin.example"));
        assert_eq!(v.edge_secret(), Ok(&b"s3cret"[..]));
        assert_eq!(v.site_key.as_ref().map(SiteKey::as_str), Some("site_demo"));
        assert_eq!((v.config_ttl_ms, v.window_days), (5_000, 30));
        assert_eq!(v.cookie_domain, None, "an empty COOKIE_DOMAIN means none");
    }

    #[test]
    fn bad_values_fall_back() {
        let v = vars(&[("CONFIG_TTL_SECONDS", "-3"), ("WINDOW_DAYS", "many"), ("SITE_KEY", "not a key!")]);
        assert_eq!((v.config_ttl_ms, v.window_days), (0, DEFAULT_WINDOW_DAYS));
        assert!(v.site_key.is_none());
    }
}
