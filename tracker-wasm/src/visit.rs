//! What a page view does with the referral it finds: adopt, keep or start a click.

use payref_shared::{ClickId, ReferralCode, ReferralCookie};

use crate::referral::UrlReferral;

/// What this page view should do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// The referral the page carries from now on; `None`: no referral anywhere, touch nothing.
    pub active: Option<ReferralCookie>,
    /// `active` is new and must be stored.
    pub store: bool,
    /// A new referral visit to report: its code and click id.
    pub report: Option<(ReferralCode, ClickId)>,
}

/// Decides from the URL's referral and the stored one.
///
/// The same code again keeps its click (no second click). A redirect's click, already counted
/// by the edge, is adopted and not reported again. A different code is a new click, reported;
/// with last-click attribution it replaces the stored referral, with first-click the stored
/// referral stays (an expired one is no longer read, so it does not count).
pub fn decide(
    url: Option<UrlReferral>,
    stored: Option<ReferralCookie>,
    first_click: bool,
    now_ms: u64,
    fresh_click: impl FnOnce() -> ClickId,
) -> Decision {
    let Some(url) = url else { return Decision { active: stored, ..Decision::default() } };
    let keep = |s: ReferralCookie| Decision { active: Some(s), ..Decision::default() };
    match (stored, url.redirect_click) {
        (Some(s), Some(id)) if s.click_id == id && s.code == url.code => keep(s),
        (Some(s), None) if s.code == url.code => keep(s),
        (Some(s), Some(_)) if first_click => keep(s),
        (Some(s), None) if first_click => Decision { active: Some(s), store: false, report: Some((url.code, fresh_click())) },
        (_, Some(id)) => {
            Decision { active: Some(ReferralCookie { code: url.code, click_id: id, set_at_ms: now_ms }), store: true, report: None }
        }
        (_, None) => {
            let click_id = fresh_click();
            Decision {
                active: Some(ReferralCookie { code: url.code.clone(), click_id, set_at_ms: now_ms }),
                store: true,
                report: Some((url.code, click_id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> ReferralCode {
        ReferralCode::parse(s).unwrap()
    }
    fn id(n: u8) -> ClickId {
        ClickId::from_bytes([n; 16])
    }
    fn stored(c: &str, n: u8) -> ReferralCookie {
        ReferralCookie { code: code(c), click_id: id(n), set_at_ms: 1 }
    }
    fn url(c: &str, redirect: Option<u8>) -> Option<UrlReferral> {
        Some(UrlReferral { code: code(c), redirect_click: redirect.map(id) })
    }
    fn kept(s: ReferralCookie) -> Decision {
        Decision { active: Some(s), store: false, report: None }
    }

    #[test]
    fn a_new_referral_is_a_reported_click() {
        for first in [false, true] {
            let d = decide(url("a", None), None, first, 9, || id(5));
            let cookie = ReferralCookie { code: code("a"), click_id: id(5), set_at_ms: 9 };
            assert_eq!(d, Decision { active: Some(cookie), store: true, report: Some((code("a"), id(5))) });
        }
    }

    #[test]
    fn the_same_code_again_is_not_a_second_click() {
        assert_eq!(decide(url("a", None), Some(stored("a", 1)), false, 9, || id(5)), kept(stored("a", 1)));
    }

    #[test]
    fn last_click_replaces_first_click_keeps_but_reports() {
        let last = decide(url("b", None), Some(stored("a", 1)), false, 9, || id(5));
        assert_eq!(last.active.map(|c| c.code), Some(code("b")));
        assert!(last.store);
        assert_eq!(last.report, Some((code("b"), id(5))));
        let first = decide(url("b", None), Some(stored("a", 1)), true, 9, || id(5));
        assert_eq!(first, Decision { active: Some(stored("a", 1)), store: false, report: Some((code("b"), id(5))) });
    }

    #[test]
    fn a_redirect_click_is_adopted_without_reporting() {
        let d = decide(url("a", Some(7)), None, false, 9, || id(5));
        let cookie = ReferralCookie { code: code("a"), click_id: id(7), set_at_ms: 9 };
        assert_eq!(d, Decision { active: Some(cookie), store: true, report: None });
        assert_eq!(decide(url("a", Some(7)), Some(stored("a", 7)), false, 9, || id(5)), kept(stored("a", 7)));
        assert_eq!(decide(url("b", Some(7)), Some(stored("a", 1)), true, 9, || id(5)), kept(stored("a", 1)));
    }

    #[test]
    fn no_referral_touches_nothing_and_a_stored_one_is_kept() {
        assert_eq!(decide(None, None, false, 9, || id(5)), Decision::default());
        assert_eq!(decide(None, Some(stored("a", 1)), false, 9, || id(5)), kept(stored("a", 1)));
    }
}
