//! The tag's `data-` attributes (or the module build's options object), read once at start.
//! Keys are the `dataset` names: `data-link-domains` is `linkDomains`.

use alloc::string::String;
use alloc::vec::Vec;

use payref_shared::cookie::DEFAULT_WINDOW_DAYS;
use payref_shared::{DEFAULT_REFERRAL_PARAMS, SiteKey};

/// Longest attribution window accepted, in days (about ten years).
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// How the tracker behaves on this site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `data-site`; without a valid one no click is reported.
    pub site: Option<SiteKey>,
    /// `data-endpoint`, the edge's base URL without a trailing `/`; empty: report nothing.
    pub endpoint: String,
    /// `data-params`: query parameters carrying the code, in order (default `ref,via`).
    pub params: Vec<String>,
    /// `data-link-domains`: the merchant's custom payment-link hosts, lowercase.
    pub link_hosts: Vec<String>,
    /// `data-cookie-domain`; `None`: the registrable domain, found by trying.
    pub cookie_domain: Option<String>,
    /// `data-window-days` (default 60): the cookie's and the mirror's lifetime.
    pub window_days: u32,
    /// `data-attribution="first"`: a stored referral is not replaced by a later one.
    pub first_click: bool,
    /// `data-override`: replace a `client_reference_id` the merchant set.
    pub override_foreign: bool,
    /// `data-consent="required"`: nothing stored or sent before `payref('consent', true)`.
    pub consent_required: bool,
    /// `data-respect-gpc`: Global Privacy Control counts as consent refused.
    pub respect_gpc: bool,
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim_ascii).filter(|p| !p.is_empty())
}

/// Any host a browser accepts, lowercase: a name (`pay.shop.test`, `localhost`, a dotless
/// intranet name) of `[a-z0-9._-]`, an IPv4 literal, or a bracketed IPv6 literal; or `None`.
/// None of these characters can break out of the quoted CSS selector they end up in.
fn host(s: &str) -> Option<String> {
    let h = s.to_ascii_lowercase();
    let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    let ipv6 = h.len() > 2
        && h.starts_with('[')
        && h.ends_with(']')
        && h.bytes().skip(1).take(h.len() - 2).all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
    let ok = !h.is_empty() && (h.bytes().all(name) || ipv6) && !h.starts_with('.') && !h.ends_with('.');
    ok.then_some(h)
}

/// A flag attribute: present (even empty) and not `false`.
fn flag(v: Option<String>) -> bool {
    v.is_some_and(|v| v != "false")
}

impl Options {
    /// Reads the options through `get` (a `dataset` lookup); problems are returned as warnings
    /// for the console rather than failing, so a typo never breaks the merchant's page.
    pub fn read(get: impl Fn(&str) -> Option<String>) -> (Self, Vec<&'static str>) {
        let mut warnings = Vec::new();
        let site = get("site").and_then(|s| SiteKey::parse(s.trim_ascii()).ok());
        if site.is_none() {
            warnings.push("payref: data-site is missing or invalid; clicks are not reported");
        }
        let endpoint = get("endpoint").map(|e| String::from(e.trim_ascii().trim_end_matches('/'))).unwrap_or_default();
        let params = get("params").map(|p| list(&p).map(String::from).collect::<Vec<_>>()).filter(|p| !p.is_empty());
        let params = params.unwrap_or_else(|| DEFAULT_REFERRAL_PARAMS.iter().map(|p| String::from(*p)).collect());
        let domains = get("linkDomains").unwrap_or_default();
        let link_hosts: Vec<String> = list(&domains).filter_map(host).collect();
        if link_hosts.len() != list(&domains).count() {
            warnings.push("payref: data-link-domains holds a value that is not a host name; it is ignored");
        }
        let cookie_domain = get("cookieDomain").and_then(|d| host(d.trim_ascii().trim_start_matches('.')));
        let window_days = match get("windowDays") {
            None => DEFAULT_WINDOW_DAYS,
            Some(d) => match d.trim_ascii().parse::<u32>() {
                Ok(n @ 1..=MAX_WINDOW_DAYS) => n,
                _ => {
                    warnings.push("payref: data-window-days must be a whole number of days from 1 to 3650; using 60");
                    DEFAULT_WINDOW_DAYS
                }
            },
        };
        let options = Self {
            site,
            endpoint,
            params,
            link_hosts,
            cookie_domain,
            window_days,
            first_click: get("attribution").is_some_and(|a| a.trim_ascii().eq_ignore_ascii_case("first")),
            override_foreign: flag(get("override")),
            consent_required: get("consent").is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case("required")),
            respect_gpc: flag(get("respectGpc")),
        };
        (options, warnings)
    }

    /// The CSS selector of candidate payment links: `<a>`/`<area>` whose `href` mentions a
    /// payment-link host. The exact host check is [`crate::href`]'s; this only spares the
    /// page's other links a trip into WebAssembly.
    pub fn link_selector(&self) -> String {
        let mut out = String::new();
        for h in core::iter::once(crate::href::STRIPE_LINK_HOST).chain(self.link_hosts.iter().map(String::as_str)) {
            for tag in ["a", "area"] {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(tag);
                out.push_str("[href*=\"");
                out.push_str(h);
                out.push_str("\" i]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::vec;

    fn read(pairs: &[(&str, &str)]) -> (Options, Vec<&'static str>) {
        Options::read(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn defaults() {
        let (o, warnings) = read(&[("site", "site_1"), ("endpoint", "https://edge.test/")]);
        assert_eq!(o.site.as_ref().map(SiteKey::as_str), Some("site_1"));
        assert_eq!(o.endpoint, "https://edge.test");
        assert_eq!(o.params, vec!["ref", "via"]);
        assert_eq!(o.window_days, 60);
        assert!(!o.first_click && !o.override_foreign && !o.consent_required && !o.respect_gpc);
        assert!(warnings.is_empty());
    }

    #[test]
    fn link_domains_take_any_host_a_browser_takes() {
        let (o, warnings) = read(&[("site", "s"), ("linkDomains", "localhost, intranet, 127.0.0.1, [::1], Pay_Now.Shop.test")]);
        assert_eq!(o.link_hosts, vec!["localhost", "intranet", "127.0.0.1", "[::1]", "pay_now.shop.test"]);
        assert!(warnings.is_empty(), "{warnings:?}");
        for bad in ["shop.test:8080", "https://shop.test", "a b", "[zz]", ".shop.test", "shop\\.test"] {
            let (o, warnings) = read(&[("site", "s"), ("linkDomains", bad)]);
            assert!(o.link_hosts.is_empty() && warnings.len() == 1, "{bad}: {:?}", o.link_hosts);
        }
    }

    #[test]
    fn every_option() {
        let (o, warnings) = read(&[
            ("site", "s"),
            ("params", " aff , ref ,"),
            ("linkDomains", "Pay.Shop.test, checkout.shop.test"),
            ("cookieDomain", ".shop.test"),
            ("windowDays", "30"),
            ("attribution", "first"),
            ("override", ""),
            ("consent", "required"),
            ("respectGpc", "true"),
        ]);
        assert_eq!(o.params, vec!["aff", "ref"]);
        assert_eq!(o.link_hosts, vec!["pay.shop.test", "checkout.shop.test"]);
        assert_eq!(o.cookie_domain.as_deref(), Some("shop.test"));
        assert_eq!(o.window_days, 30);
        assert!(o.first_click && o.override_foreign && o.consent_required && o.respect_gpc);
        assert!(warnings.is_empty());
        assert_eq!(
            o.link_selector(),
            "a[href*=\"buy.stripe.com\" i],area[href*=\"buy.stripe.com\" i],a[href*=\"pay.shop.test\" i],\
             area[href*=\"pay.shop.test\" i],a[href*=\"checkout.shop.test\" i],area[href*=\"checkout.shop.test\" i]"
        );
    }

    #[test]
    fn bad_values_warn_and_never_reach_a_selector() {
        let (o, warnings) = read(&[("site", "<x>"), ("linkDomains", "a.test\"],*,[x=\",ok.test"), ("windowDays", "-3")]);
        assert_eq!(o.site, None);
        assert_eq!(o.link_hosts, vec!["ok.test"]);
        assert_eq!(o.window_days, 60);
        assert_eq!(warnings.len(), 3);
        assert!(!read(&[("override", "false")]).0.override_foreign);
    }
}
