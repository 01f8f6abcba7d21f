//! Rewrites a payment link's `href` string to carry `client_reference_id`, entirely in Rust
//! (one string in, one out: far cheaper than a `URL` object per link across the JS boundary).

use alloc::string::String;

use payref_shared::ClientReferenceId;

/// Stripe's payment-link host (test-mode links live on the same host).
pub const STRIPE_LINK_HOST: &str = "buy.stripe.com";
const PARAM: &str = "client_reference_id";

/// Splits an absolute `http(s)` or scheme-relative URL into (scheme + `//`, host, rest).
/// `None` for anything else, and for URLs with user info (`https://buy.stripe.com@evil.example`).
fn split_url(href: &str) -> Option<(&str, &str, &str)> {
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
    let after_scheme = if href.len() >= 8 && href[..8].eq_ignore_ascii_case("https://") {
        8
    } else if href.len() >= 7 && href[..7].eq_ignore_ascii_case("http://") {
        7
    } else if href.starts_with("//") {
        2
    } else {
        return None;
    };
    let rest = &href[after_scheme..];
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return None;
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    Some((&href[..after_scheme], host, &rest[authority_end..]))
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
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
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
    fn replaces_our_value_but_keeps_the_merchants() {
        let ours = "https://buy.stripe.com/abc?client_reference_id=pr1-old-x&a=1";
        assert_eq!(d(ours).as_deref(), Some(&*format!("https://buy.stripe.com/abc?client_reference_id={V}&a=1")));
        assert_eq!(d("https://buy.stripe.com/abc?client_reference_id=order42"), None);
        assert!(decorate_href("https://buy.stripe.com/abc?client_reference_id=order42", V, &[], true).is_some());
        let done = format!("https://buy.stripe.com/abc?client_reference_id={V}");
        assert_eq!(d(&done), None, "already decorated: no rewrite, so no mutation loop");
    }
}
