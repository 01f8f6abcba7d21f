//! `GET /r/{slug}`: an affiliate's redirect link. The visitor goes to the link's destination
//! with the referral code and the click id in the query (the tracker adopts that click rather
//! than counting another), and — when the worker runs on the merchant's own domain — the
//! referral cookie is set from the server, where Safari's 7-day cap on script cookies does not
//! apply.

use payref_shared::cookie::COOKIE_NAME;
use payref_shared::event::{MAX_URL_LEN, MAX_UTM_LEN, UTM_KEYS};
use payref_shared::{ClickEvent, ClickId, REDIRECT_CLICK_PARAM, REDIRECT_CODE_PARAM, ReferralCode, ReferralCookie, SiteKey, form};

/// The destination's parts: `scheme://host[:port]`, the path and query, and the fragment.
struct Parts<'a> {
    base: &'a str,
    query: &'a str,
    fragment: &'a str,
    host: &'a str,
}

fn parts(url: &str) -> Option<Parts<'_>> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || authority.contains('@') || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let (before_fragment, fragment) = url.split_once('#').map_or((url, ""), |(a, f)| (a, f));
    let (base, query) = before_fragment.split_once('?').map_or((before_fragment, ""), |(b, q)| (b, q));
    Some(Parts { base, query, fragment, host })
}

/// The `Location` for a visitor of this link: the destination with `ref=<code>` and
/// `pr_click=<click id>` replacing any such parameters, every other parameter and the fragment
/// kept. Without a code (the affiliate is paused) the destination is unchanged. `None` when
/// the destination is not an absolute http(s) URL.
pub fn location(destination: &str, referral: Option<(&ReferralCode, ClickId)>) -> Option<String> {
    let p = parts(destination)?;
    let Some((code, click_id)) = referral else { return Some(destination.to_owned()) };
    let mut out = String::with_capacity(destination.len() + 48);
    out.push_str(p.base);
    out.push('?');
    for pair in p.query.split('&').filter(|pair| !pair.is_empty()) {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        if key != REDIRECT_CODE_PARAM && key != REDIRECT_CLICK_PARAM {
            out.push_str(pair);
            out.push('&');
        }
    }
    out.push_str(REDIRECT_CODE_PARAM);
    out.push('=');
    out.push_str(code.as_str());
    out.push('&');
    out.push_str(REDIRECT_CLICK_PARAM);
    out.push('=');
    out.push_str(&click_id.to_text());
    if destination.contains('#') {
        out.push('#');
        out.push_str(p.fragment);
    }
    Some(out)
}

/// The click the redirect records: landing on the destination, with the destination's
/// `utm_*` parameters and the page that linked here.
pub fn click(site: SiteKey, code: ReferralCode, click_id: ClickId, location: &str, referrer: &str) -> ClickEvent {
    let query = parts(location).map_or("", |p| p.query);
    let clip = |s: &str, max| payref_shared::event::clip(s, max).to_owned();
    let utm = UTM_KEYS.iter().filter_map(|k| Some(((*k).to_owned(), clip(&form::get(query, k)?, MAX_UTM_LEN)))).collect();
    ClickEvent { site, code, click_id, landing_url: clip(location, MAX_URL_LEN), referrer: clip(referrer, MAX_URL_LEN), utm }
}

/// The domain both host names share (at least two labels), e.g. `shop.example` for
/// `go.shop.example` and `www.shop.example`; `None` when they share none, or either is an IP
/// address. A public suffix (`co.uk`) may come out: browsers refuse such a cookie, harmlessly.
pub fn shared_domain(a: &str, b: &str) -> Option<String> {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let ip = |h: &str| h.bytes().all(|c| c.is_ascii_digit() || c == b'.') || h.contains(':');
    if ip(&a) || ip(&b) {
        return None;
    }
    let common: Vec<&str> = a.rsplit('.').zip(b.rsplit('.')).take_while(|(x, y)| x == y && !x.is_empty()).map(|(x, _)| x).collect();
    (common.len() >= 2).then(|| common.into_iter().rev().collect::<Vec<_>>().join("."))
}

/// The `Set-Cookie` value for the referral, when the worker's host and the destination share a
/// domain (`cookie_domain` overrides that guess). Readable by script (not HttpOnly): the
/// tracker reads it to adopt the click.
pub fn set_cookie(
    cookie: &ReferralCookie,
    worker_host: &str,
    destination: &str,
    cookie_domain: Option<&str>,
    window_days: u32,
) -> Option<String> {
    let p = parts(destination)?;
    let domain = match cookie_domain {
        Some(d) => d.trim_start_matches('.').to_ascii_lowercase(),
        None => shared_domain(worker_host, p.host)?,
    };
    let secure = if destination.starts_with("https://") { "; Secure" } else { "" };
    Some(format!(
        "{COOKIE_NAME}={}; Domain={domain}; Path=/; Max-Age={}; SameSite=Lax{secure}",
        cookie.to_value(),
        u64::from(window_days) * 86_400
    ))
}

/// The host name of a request URL's authority (`Host` header value), without the port.
pub fn host_of(authority: &str) -> &str {
    authority.rsplit_once(':').map_or(authority, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { authority })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> ReferralCode {
        ReferralCode::parse("alice").unwrap()
    }

    #[test]
    fn location_adds_the_referral_and_keeps_the_rest() {
        let id = ClickId::from_bytes([7; 16]);
        let t = id.to_text();
        assert_eq!(location("https://shop.test/", Some((&code(), id))).unwrap(), format!("https://shop.test/?ref=alice&pr_click={t}"));
        assert_eq!(
            location("https://shop.test/p?a=1&ref=bob&b=2#top", Some((&code(), id))).unwrap(),
            format!("https://shop.test/p?a=1&b=2&ref=alice&pr_click={t}#top")
        );
        assert_eq!(
            location("http://shop.test:8080", Some((&code(), id))).unwrap(),
            format!("http://shop.test:8080?ref=alice&pr_click={t}")
        );
        assert_eq!(location("https://shop.test/x?y=1", None).unwrap(), "https://shop.test/x?y=1");
    }

    #[test]
    fn location_refuses_what_is_not_a_web_url() {
        let id = ClickId::from_bytes([7; 16]);
        for bad in ["javascript:alert(1)", "/relative", "https://", "https://user@evil.test/", "https://a b.test/", "ftp://x.test/"] {
            assert_eq!(location(bad, Some((&code(), id))), None, "{bad}");
            assert_eq!(location(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn the_click_carries_the_destination_and_its_utm() {
        let site = SiteKey::parse("site_demo").unwrap();
        let c = click(site, code(), ClickId::from_bytes([1; 16]), "https://shop.test/?utm_source=news&ref=alice", "https://blog.test/");
        assert_eq!(c.utm, vec![("utm_source".to_owned(), "news".to_owned())]);
        assert_eq!((c.landing_url.as_str(), c.referrer.as_str()), ("https://shop.test/?utm_source=news&ref=alice", "https://blog.test/"));
        let long = format!("https://shop.test/?{}", "a".repeat(5000));
        assert!(click(SiteKey::parse("s").unwrap(), code(), ClickId::from_bytes([1; 16]), &long, "").landing_url.len() <= MAX_URL_LEN);
    }

    #[test]
    fn shared_domains() {
        assert_eq!(shared_domain("go.shop.test", "www.shop.test").as_deref(), Some("shop.test"));
        assert_eq!(shared_domain("shop.test", "shop.test").as_deref(), Some("shop.test"));
        assert_eq!(shared_domain("GO.Shop.Test", "shop.test").as_deref(), Some("shop.test"));
        assert_eq!(shared_domain("payref.workers.dev", "shop.test"), None);
        assert_eq!(shared_domain("127.0.0.1", "127.0.0.1"), None);
        assert_eq!(shared_domain("localhost", "localhost"), None);
        assert_eq!(shared_domain("evilshop.test", "shop.test"), None, "labels, not characters");
    }

    #[test]
    fn cookies_are_set_only_on_a_shared_domain() {
        let cookie = ReferralCookie { code: code(), click_id: ClickId::from_bytes([2; 16]), set_at_ms: 5 };
        let v = set_cookie(&cookie, "go.shop.test", "https://www.shop.test/p", None, 60).unwrap();
        assert_eq!(v, format!("payref_ref={}; Domain=shop.test; Path=/; Max-Age=5184000; SameSite=Lax; Secure", cookie.to_value()));
        assert!(!v.contains("HttpOnly"));
        assert!(!set_cookie(&cookie, "go.shop.test", "http://www.shop.test/", None, 1).unwrap().contains("Secure"));
        assert_eq!(set_cookie(&cookie, "payref.workers.dev", "https://shop.test/", None, 60), None);
        let forced = set_cookie(&cookie, "edge.test", "https://shop.test/", Some(".Shop.Test"), 60).unwrap();
        assert!(forced.contains("Domain=shop.test;"), "{forced}");
    }

    #[test]
    fn hosts_without_ports() {
        assert_eq!(host_of("go.shop.test:8787"), "go.shop.test");
        assert_eq!(host_of("go.shop.test"), "go.shop.test");
    }
}
