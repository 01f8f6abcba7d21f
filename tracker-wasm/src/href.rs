//! Rewrites a payment link's `href` string to carry `client_reference_id`, entirely in Rust
//! (one string in, one out: far cheaper than a `URL` object per link across the JS boundary).

use alloc::string::String;
use alloc::vec::Vec;

use payref_shared::ClientReferenceId;

/// Stripe's payment-link host (test-mode links live on the same host).
pub const STRIPE_LINK_HOST: &str = "buy.stripe.com";
const PARAM: &str = "client_reference_id";

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes().get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Splits an absolute `http(s)` or scheme-relative URL into (scheme + `//`, host, rest).
/// `None` for anything else, and for URLs with user info (`https://buy.stripe.com@evil.example`).
/// Byte-wise and without slicing that could panic: the tracker carries no panic machinery.
pub fn split_url(href: &str) -> Option<(&str, &str, &str)> {
    let href = href.trim_ascii();
    let after_scheme = if starts_with_ignore_case(href, "https://") {
        8
    } else if starts_with_ignore_case(href, "http://") {
        7
    } else if href.starts_with("//") {
        2
    } else {
        return None;
    };
    let rest = href.get(after_scheme..)?;
    let authority_end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\')).unwrap_or(rest.len());
    let authority = rest.get(..authority_end)?;
    if authority.bytes().any(|b| b == b'@') {
        return None;
    }
    // A port follows the last ':' unless that ':' is inside an IPv6 literal.
    let host = match authority.bytes().rposition(|b| b == b':') {
        Some(colon) if !authority.get(colon..).is_some_and(|t| t.contains(']')) => authority.get(..colon)?,
        _ => authority,
    };
    Some((href.get(..after_scheme)?, host, rest.get(authority_end..)?))
}

/// What the tracker needs of the page's own URL (`location.href`): whether it is https, its
/// host and its query string (without `?` and fragment).
pub fn page_parts(href: &str) -> (bool, &str, &str) {
    let Some((scheme, host, rest)) = split_url(href) else { return (false, "", "") };
    let before_fragment = rest.split_once('#').map_or(rest, |(a, _)| a);
    let query = before_fragment.split_once('?').map_or("", |(_, q)| q);
    (scheme.len() == 8, host, query)
}

/// True when `href` points exactly at Stripe's payment-link host or one of `extra_hosts`.
pub fn is_payment_link(href: &str, extra_hosts: &[String]) -> bool {
    split_url(href)
        .is_some_and(|(_, host, _)| host.eq_ignore_ascii_case(STRIPE_LINK_HOST) || extra_hosts.iter().any(|h| host.eq_ignore_ascii_case(h)))
}

/// The decorated `href`, or `None` when the link is not a payment link, already carries this
/// value, or carries a `client_reference_id` the merchant set (left alone unless `override_foreign`).
pub fn decorate_href(href: &str, value: &str, extra_hosts: &[String], override_foreign: bool) -> Option<String> {
    if !is_payment_link(href, extra_hosts) {
        return None;
    }
    let href = href.trim_ascii();
    let (before_fragment, fragment) = href.split_once('#').map_or((href, None), |(a, f)| (a, Some(f)));
    let (base, query) = before_fragment.split_once('?').map_or((before_fragment, ""), |(b, q)| (b, q));
    let mut out = String::with_capacity(href.len() + PARAM.len() + value.len() + 2);
    out.push_str(base);
    let mut separator = '?';
    let mut replaced = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if name == PARAM {
            let existing = pair.split_once('=').map_or("", |(_, v)| v);
            if existing == value {
                return None;
            }
            if !existing.is_empty() && !ClientReferenceId::looks_like_ours(existing) && !override_foreign {
                return None;
            }
            if replaced {
                continue; // drop duplicates of the parameter
            }
            replaced = true;
            push_param(&mut out, &mut separator, value);
            continue;
        }
        out.push(separator);
        out.push_str(pair);
        separator = '&';
    }
    if !replaced {
        push_param(&mut out, &mut separator, value);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

fn push_param(out: &mut String, separator: &mut char, value: &str) {
    out.push(*separator);
    out.push_str(PARAM);
    out.push('=');
    // The value is [A-Za-z0-9_-] by construction: no escaping needed.
    out.push_str(value);
    *separator = '&';
}

/// Candidate cookie domains, shortest first; empty for IP addresses and single-label hosts.
/// The shortest one the browser accepts is the registrable domain (no public-suffix list).
pub fn cookie_domains(host: &str) -> Vec<&str> {
    if !host.contains('.') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.contains([':', '[']) {
        return Vec::new();
    }
    let mut out: Vec<&str> = host.match_indices('.').filter_map(|(i, _)| host.get(i + 1..)).collect();
    out.pop(); // the top-level label alone is never accepted
    out.reverse();
    out.push(host);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::format;
    use alloc::vec;

    const V: &str = "pr1-0000000000000000000000-demo";

    fn d(href: &str) -> Option<String> {
        decorate_href(href, V, &[], false)
    }

    #[test]
    fn adds_the_parameter_keeping_others_and_the_fragment() {
        assert_eq!(
            d("https://buy.stripe.com/test_abc").as_deref(),
            Some(&*format!("https://buy.stripe.com/test_abc?client_reference_id={V}"))
        );
        assert_eq!(
            d("https://buy.stripe.com/abc?prefilled_email=a%40b.c&locale=de#top").as_deref(),
            Some(&*format!("https://buy.stripe.com/abc?prefilled_email=a%40b.c&locale=de&client_reference_id={V}#top"))
        );
        assert!(d("HTTPS://BUY.STRIPE.COM/abc").is_some());
        assert!(d("//buy.stripe.com/abc").is_some());
        assert!(d("https://buy.stripe.com:443/abc").is_some());
    }

    #[test]
    fn matches_the_host_exactly() {
        assert_eq!(d("https://buy.stripe.com.evil.example/abc"), None);
        assert_eq!(d("https://buy.stripe.com@evil.example/abc"), None);
        assert_eq!(d("https://evil.example/?u=https://buy.stripe.com/"), None);
        assert_eq!(d("https://xbuy.stripe.com/abc"), None);
        assert_eq!(d("/relative"), None);
        assert_eq!(d("javascript:alert(1)"), None);
        let extra = vec!["pay.shop.test".to_owned()];
        assert!(decorate_href("https://pay.shop.test/x", V, &extra, false).is_some());
    }

    #[test]
    fn reads_the_page_url() {
        assert_eq!(page_parts("https://www.shop.test:8443/p?ref=a&x=1#f?y"), (true, "www.shop.test", "ref=a&x=1"));
        assert_eq!(page_parts("http://shop.test/"), (false, "shop.test", ""));
        assert_eq!(page_parts("http://[::1]:8080/?a"), (false, "[::1]", "a"));
        assert_eq!(page_parts("file:///x?ref=a"), (false, "", ""));
    }

    #[test]
    fn replaces_our_value_but_keeps_the_merchants() {
        let ours = "https://buy.stripe.com/abc?client_reference_id=pr1-old-x&a=1";
        assert_eq!(d(ours).as_deref(), Some(&*format!("https://buy.stripe.com/abc?client_reference_id={V}&a=1")));
        assert_eq!(d("https://buy.stripe.com/abc?client_reference_id=order42"), None);
        assert!(decorate_href("https://buy.stripe.com/abc?client_reference_id=order42", V, &[], true).is_some());
        let done = format!("https://buy.stripe.com/abc?client_reference_id={V}");
        assert_eq!(d(&done), None, "already decorated: no rewrite, so no mutation loop");
    }

    #[test]
    fn candidate_domains_shortest_first() {
        assert_eq!(
            cookie_domains("www.shop.example.co.uk"),
            vec!["co.uk", "example.co.uk", "shop.example.co.uk", "www.shop.example.co.uk"]
        );
        assert_eq!(cookie_domains("shop.test"), vec!["shop.test"]);
        assert!(cookie_domains("localhost").is_empty());
        assert!(cookie_domains("127.0.0.1").is_empty());
        assert!(cookie_domains("[::1]").is_empty());
    }
}
