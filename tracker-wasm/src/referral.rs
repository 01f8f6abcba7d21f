//! Reads the referral from the landing URL's query string.

use alloc::string::String;
use alloc::vec::Vec;

use payref_shared::{ClickId, REDIRECT_CLICK_PARAM, ReferralCode, form};

/// A referral found in the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlReferral {
    /// The validated code.
    pub code: ReferralCode,
    /// The click id an edge redirect already recorded, if any.
    pub redirect_click: Option<ClickId>,
}

/// The first valid code among `params` (in their order) in `query` (`a=b&…`, no `?`); invalid
/// values are ignored, so markup or oversized text never goes further.
pub fn from_query<P: AsRef<str>>(query: &str, params: &[P]) -> Option<UrlReferral> {
    let code = params.iter().find_map(|p| form::get(query, p.as_ref()).and_then(|v| ReferralCode::parse(&v).ok()))?;
    let redirect_click = form::get(query, REDIRECT_CLICK_PARAM).and_then(|v| ClickId::parse(&v).ok());
    Some(UrlReferral { code, redirect_click })
}

/// `utm_*` parameters of the query, for the click report.
pub fn utm_from_query(query: &str) -> Vec<(String, String)> {
    payref_shared::event::UTM_KEYS.iter().filter_map(|key| Some(((*key).into(), form::get(query, key)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::vec;

    const P: [&str; 2] = ["ref", "via"];

    #[test]
    fn reads_ref_or_via_and_ignores_invalid_values() {
        assert_eq!(from_query("ref=demo", &P).unwrap().code.as_str(), "demo");
        assert_eq!(from_query("x=1&via=abc", &P).unwrap().code.as_str(), "abc");
        assert_eq!(from_query("ref=%3Cscript%3E&via=ok", &P).unwrap().code.as_str(), "ok");
        assert_eq!(from_query("ref=%3Cscript%3E", &P), None);
        assert_eq!(from_query("", &P), None);
        assert_eq!(from_query("ref=%zz", &P), None);
        assert_eq!(from_query("ref=%E2%9C%93", &P), None, "Unicode is not a code");
        assert_eq!(from_query(&alloc::format!("ref={}", "a".repeat(10_000)), &P), None);
        assert_eq!(from_query("aff=x", &["aff"]).unwrap().code.as_str(), "x", "configurable parameters");
    }

    #[test]
    fn adopts_a_redirect_click_id() {
        let r = from_query("ref=demo&pr_click=0000000000000000000001", &P).unwrap();
        assert_eq!(r.redirect_click, Some(ClickId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
        assert_eq!(from_query("ref=demo&pr_click=bad", &P).unwrap().redirect_click, None);
    }

    #[test]
    fn collects_utm_parameters() {
        assert_eq!(
            utm_from_query("utm_medium=mail&ref=x&utm_source=news"),
            vec![("utm_source".to_owned(), "news".to_owned()), ("utm_medium".to_owned(), "mail".to_owned())]
        );
    }
}
