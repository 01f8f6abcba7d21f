//! What the edge asks the origin for, so it can cache it in KV: a site's configuration and an
//! affiliate link by slug. Both are `GET`s signed with the edge ↔ origin secret: the signed
//! payload is `"GET <path>"` (there is no body), in the batch's `Payref-Signature` format.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::link::LinkSlug;
use crate::site::SiteKey;

/// Path prefix of the edge's configuration routes.
pub const SITES_PATH: &str = "/v1/edge/sites/";

/// `GET` path of a site's configuration.
pub fn site_path(site: &SiteKey) -> String {
    alloc::format!("{SITES_PATH}{}", site.as_str())
}

/// `GET` path of one of a site's links.
pub fn link_path(site: &SiteKey, slug: &LinkSlug) -> String {
    alloc::format!("{SITES_PATH}{}/links/{}", site.as_str(), slug.as_str())
}

/// The bytes signed for a body-less request.
pub fn signed_payload(method: &str, path: &str) -> Vec<u8> {
    alloc::format!("{method} {path}").into_bytes()
}

/// A site as the edge needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteConfig {
    /// The public site key.
    pub site_key: String,
    /// Origins whose pages may send clicks (normalised `scheme://host[:port]`); empty means
    /// the merchant has not restricted them yet.
    pub allowed_origins: Vec<String>,
}

/// An affiliate link as the edge's `/r/{slug}` needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTarget {
    /// The slug.
    pub slug: String,
    /// Where to send the visitor.
    pub destination_url: String,
    /// The affiliate's referral code, added to the destination; `None` when the affiliate is
    /// paused or banned (the visitor still reaches the page, uncredited).
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_payloads() {
        let site = SiteKey::parse("site_demo").unwrap();
        let slug = LinkSlug::parse("spring").unwrap();
        assert_eq!(site_path(&site), "/v1/edge/sites/site_demo");
        assert_eq!(link_path(&site, &slug), "/v1/edge/sites/site_demo/links/spring");
        assert_eq!(signed_payload("GET", "/v1/edge/sites/site_demo"), b"GET /v1/edge/sites/site_demo");
    }
}
