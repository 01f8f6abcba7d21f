//! `ClientReferenceId`: the value payref writes into Stripe's `client_reference_id`.
//!
//! Format v1: `pr1-<22-char click id>-<referral code>`. At most 4 + 22 + 1 + 64 = 91 characters
//! of `[A-Za-z0-9_-]`, inside Stripe's limit of 200 (Stripe silently drops anything else).
//! Text not in this format can still be a merchant-set bare code: it parses as a *candidate*,
//! which the origin counts only when it names an existing affiliate of that merchant.

use alloc::string::String;
use core::fmt;

use crate::{ClickId, ReferralCode, click_id::CLICK_ID_LEN};

/// The version prefix of payref's own references.
pub const PREFIX_V1: &str = "pr1-";
/// Stripe's limit on `client_reference_id`.
pub const STRIPE_MAX_LEN: usize = 200;

/// A reference payref wrote: the click it came from and the affiliate's code.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClientReferenceId {
    /// The click that carried the referral.
    pub click_id: ClickId,
    /// The affiliate's referral code.
    pub code: ReferralCode,
}

/// What a `client_reference_id` read from Stripe turned out to be.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ParsedReference {
    /// One of payref's own references.
    Tracked(ClientReferenceId),
    /// Not ours, but shaped like a referral code: maybe a merchant-set code.
    CandidateCode(ReferralCode),
}

/// The text is neither payref's format nor a possible referral code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAReference;

impl fmt::Display for NotAReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("client_reference_id is neither a payref reference nor a referral code")
    }
}

impl core::error::Error for NotAReference {}

impl ClientReferenceId {
    /// A reference for this click and code.
    pub fn new(click_id: ClickId, code: ReferralCode) -> Self {
        Self { click_id, code }
    }

    /// The text written into Stripe.
    pub fn format(&self) -> String {
        let mut out = String::with_capacity(PREFIX_V1.len() + CLICK_ID_LEN + 1 + self.code.as_str().len());
        out.push_str(PREFIX_V1);
        for b in self.click_id.encode() {
            out.push(char::from(b));
        }
        out.push('-');
        out.push_str(self.code.as_str());
        out
    }

    /// Parses only payref's own format.
    pub fn parse_tracked(s: &str) -> Option<Self> {
        let rest = s.strip_prefix(PREFIX_V1)?;
        let click = rest.get(..CLICK_ID_LEN)?;
        let code = rest.get(CLICK_ID_LEN..)?.strip_prefix('-')?;
        Some(Self { click_id: ClickId::parse(click).ok()?, code: ReferralCode::parse(code).ok()? })
    }

    /// True when `s` starts like one of payref's references (so the tracker may replace it).
    pub fn looks_like_ours(s: &str) -> bool {
        s.starts_with(PREFIX_V1)
    }
}

/// Reads a `client_reference_id` from Stripe. Never panics.
pub fn parse(s: &str) -> Result<ParsedReference, NotAReference> {
    if let Some(tracked) = ClientReferenceId::parse_tracked(s) {
        return Ok(ParsedReference::Tracked(tracked));
    }
    ReferralCode::parse(s).map(ParsedReference::CandidateCode).map_err(|_| NotAReference)
}

impl fmt::Display for ClientReferenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX_V1}{}-{}", self.click_id, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn click(n: u8) -> ClickId {
        ClickId::from_bytes([n; 16])
    }

    #[test]
    fn format_is_versioned_and_readable() {
        let r = ClientReferenceId::new(click(0), ReferralCode::parse("demo").unwrap());
        assert_eq!(r.format(), "pr1-0000000000000000000000-demo");
        assert_eq!(r.to_string(), r.format());
    }

    #[test]
    fn codes_containing_dashes_survive() {
        let r = ClientReferenceId::new(click(7), ReferralCode::parse("a-b-c").unwrap());
        assert_eq!(parse(&r.format()), Ok(ParsedReference::Tracked(r)));
    }

    #[test]
    fn foreign_values_are_candidates_or_nothing() {
        assert_eq!(parse("spring_sale"), Ok(ParsedReference::CandidateCode(ReferralCode::parse("spring_sale").unwrap())));
        // Broken payref text is not trusted as a click; it is only a candidate code.
        assert!(matches!(parse("pr1-short-demo"), Ok(ParsedReference::CandidateCode(_))));
        assert_eq!(parse("user@example.com"), Err(NotAReference));
        assert_eq!(parse(""), Err(NotAReference));
    }

    proptest! {
        #[test]
        fn format_parse_round_trips_within_stripe_rules(
            bytes in any::<[u8; 16]>(), code in "[A-Za-z0-9_-]{1,64}"
        ) {
            let r = ClientReferenceId::new(ClickId::from_bytes(bytes), ReferralCode::parse(&code).unwrap());
            let text = r.format();
            prop_assert!(text.len() <= STRIPE_MAX_LEN);
            prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
            prop_assert_eq!(parse(&text), Ok(ParsedReference::Tracked(r)));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,220}") {
            let _ = parse(&s);
        }

        #[test]
        fn parse_never_panics_near_the_format(s in "pr1-[0-9A-Za-z]{0,24}-?[A-Za-z0-9_é-]{0,70}") {
            let _ = parse(&s);
        }
    }
}
