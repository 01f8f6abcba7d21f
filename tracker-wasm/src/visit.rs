//! What a page view does with the referral it finds: adopt, keep or start a click.

use payref_shared::{ClickId, ReferralCookie};

use crate::referral::UrlReferral;

/// What this page view should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No referral anywhere: touch nothing.
    Nothing,
    /// Use the stored referral as it is (no new click).
    Keep(ReferralCookie),
    /// Store this referral; report it as a click when `report` is set.
    Store { cookie: ReferralCookie, report: bool },
}

/// Decides from the URL's referral and the stored one. Last click wins: a different code in the
/// URL replaces the stored one. A redirect's click (already counted by the edge) is adopted
/// and not reported again; the same code again keeps its click.
pub fn decide(url: Option<UrlReferral>, stored: Option<ReferralCookie>, now_ms: u64, fresh_click: impl FnOnce() -> ClickId) -> Decision {
    match (url, stored) {
        (None, None) => Decision::Nothing,
        (None, Some(stored)) => Decision::Keep(stored),
        (Some(url), stored) => {
            if let Some(click_id) = url.redirect_click {
                let already = stored.as_ref().is_some_and(|s| s.click_id == click_id && s.code == url.code);
                return match stored {
                    Some(s) if already => Decision::Keep(s),
                    _ => Decision::Store { cookie: ReferralCookie { code: url.code, click_id, set_at_ms: now_ms }, report: false },
                };
            }
            match stored {
                Some(s) if s.code == url.code => Decision::Keep(s),
                _ => {
                    Decision::Store { cookie: ReferralCookie { code: url.code, click_id: fresh_click(), set_at_ms: now_ms }, report: true }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payref_shared::ReferralCode;

    fn code(s: &str) -> ReferralCode {
        ReferralCode::parse(s).unwrap()
    }
    fn id(n: u8) -> ClickId {
        ClickId::from_bytes([n; 16])
    }
    fn stored(c: &str, n: u8) -> ReferralCookie {
        ReferralCookie { code: code(c), click_id: id(n), set_at_ms: 1 }
    }

    #[test]
    fn a_new_referral_is_a_reported_click() {
        let d = decide(Some(UrlReferral { code: code("a"), redirect_click: None }), None, 9, || id(5));
        assert_eq!(d, Decision::Store { cookie: ReferralCookie { code: code("a"), click_id: id(5), set_at_ms: 9 }, report: true });
    }

    #[test]
    fn the_same_code_again_is_not_a_second_click() {
        let d = decide(Some(UrlReferral { code: code("a"), redirect_click: None }), Some(stored("a", 1)), 9, || id(5));
        assert_eq!(d, Decision::Keep(stored("a", 1)));
    }

    #[test]
    fn a_different_code_replaces_the_stored_one() {
        let d = decide(Some(UrlReferral { code: code("b"), redirect_click: None }), Some(stored("a", 1)), 9, || id(5));
        assert!(matches!(d, Decision::Store { report: true, cookie } if cookie.code == code("b")));
    }

    #[test]
    fn a_redirect_click_is_adopted_without_reporting() {
        let d = decide(Some(UrlReferral { code: code("a"), redirect_click: Some(id(7)) }), None, 9, || id(5));
        assert_eq!(d, Decision::Store { cookie: ReferralCookie { code: code("a"), click_id: id(7), set_at_ms: 9 }, report: false });
        let again = decide(Some(UrlReferral { code: code("a"), redirect_click: Some(id(7)) }), Some(stored("a", 7)), 9, || id(5));
        assert_eq!(again, Decision::Keep(stored("a", 7)));
    }

    #[test]
    fn no_referral_touches_nothing() {
        assert_eq!(decide(None, None, 9, || id(5)), Decision::Nothing);
    }
}
