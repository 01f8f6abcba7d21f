//! The site configuration the edge checks clicks against, cached in KV. Each cached value
//! carries its own expiry (KV's own TTL cannot go below 60 s), so the cache can be short and
//! tested without waiting. An unknown site is cached too, so a flood of clicks for a made-up
//! site key does not reach the origin once per click.

use payref_shared::WebOrigin;
use payref_shared::edge_config::{LinkTarget, SiteConfig};
use serde::{Deserialize, Serialize};

/// How long a fetched configuration is trusted by default (`CONFIG_TTL_SECONDS` overrides).
pub const DEFAULT_TTL_MS: i64 = 60_000;

/// What the origin said about a key, and until when it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cached<T> {
    /// Expiry, UTC epoch milliseconds.
    pub expires_at_ms: i64,
    /// `None`: the origin answered 404.
    pub value: Option<T>,
}

impl<T> Cached<T> {
    /// A value fetched at `now_ms`.
    pub fn new(value: Option<T>, now_ms: i64, ttl_ms: i64) -> Self {
        Self { expires_at_ms: now_ms.saturating_add(ttl_ms), value }
    }

    /// Whether it may still be used.
    pub fn fresh(&self, now_ms: i64) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// KV key of a site's configuration.
pub fn site_key(site: &str) -> String {
    format!("site:{site}")
}

/// KV key of a link.
pub fn link_key(site: &str, slug: &str) -> String {
    format!("link:{site}:{slug}")
}

/// Cached site configuration.
pub type CachedSite = Cached<SiteConfig>;
/// Cached link.
pub type CachedLink = Cached<LinkTarget>;

/// Whether a page on `origin` (the request's `Origin` header) may send this site's clicks. A
/// site without allowed origins accepts every origin (the merchant has not restricted them yet);
/// otherwise the header must be present and match one after normalising.
pub fn origin_allowed(config: &SiteConfig, origin: Option<&str>) -> bool {
    if config.allowed_origins.is_empty() {
        return true;
    }
    let Some(origin) = origin.and_then(|o| WebOrigin::parse(o).ok()) else { return false };
    config.allowed_origins.iter().any(|a| WebOrigin::parse(a).is_ok_and(|a| a == origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str]) -> SiteConfig {
        SiteConfig { site_key: "site_demo".into(), allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect() }
    }

    #[test]
    fn cached_values_expire_by_their_own_clock() {
        let c = CachedSite::new(Some(config(&[])), 1_000, 500);
        assert!(c.fresh(1_499));
        assert!(!c.fresh(1_500));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<CachedSite>(&json).unwrap(), c);
        let unknown = CachedSite::new(None, 0, 10);
        assert_eq!(serde_json::from_str::<CachedSite>(&serde_json::to_string(&unknown).unwrap()).unwrap(), unknown);
        assert!(CachedSite::new(None, i64::MAX - 1, 10).fresh(i64::MAX - 1), "no overflow");
    }

    #[test]
    fn origins_are_checked_when_the_site_lists_them() {
        assert!(origin_allowed(&config(&[]), None));
        assert!(origin_allowed(&config(&[]), Some("https://anything.example")));
        let shop = config(&["https://shop.test", "https://www.shop.test"]);
        assert!(origin_allowed(&shop, Some("https://shop.test")));
        assert!(origin_allowed(&shop, Some("HTTPS://WWW.SHOP.TEST:443")));
        assert!(!origin_allowed(&shop, Some("https://evil.test")));
        assert!(!origin_allowed(&shop, Some("http://shop.test")), "the scheme counts");
        assert!(!origin_allowed(&shop, Some("https://shop.test.evil.test")));
        assert!(!origin_allowed(&shop, Some("null")));
        assert!(!origin_allowed(&shop, None), "a restricted site needs the header");
    }

    #[test]
    fn keys() {
        assert_eq!(site_key("site_demo"), "site:site_demo");
        assert_eq!(link_key("site_demo", "spring"), "link:site_demo:spring");
    }
}
