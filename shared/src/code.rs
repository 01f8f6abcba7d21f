//! `ReferralCode`: an affiliate's public code, 1–64 characters of `[A-Za-z0-9_-]`.

use crate::charset::token_type;

/// Longest referral code accepted.
pub const MAX_CODE_LEN: usize = 64;

token_type!(
    /// An affiliate's referral code, validated.
    ReferralCode,
    MAX_CODE_LEN
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charset::TokenError;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        assert_eq!(ReferralCode::parse("Demo_1-x").unwrap().as_str(), "Demo_1-x");
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters_with_the_reason() {
        assert_eq!(ReferralCode::parse(""), Err(TokenError::Empty));
        assert_eq!(ReferralCode::parse(&"a".repeat(65)), Err(TokenError::TooLong(64)));
        assert!(ReferralCode::parse(&"a".repeat(64)).is_ok());
        assert_eq!(ReferralCode::parse("ab c"), Err(TokenError::InvalidCharacter(2)));
        assert_eq!(ReferralCode::parse("é"), Err(TokenError::InvalidCharacter(0)));
        assert!(TokenError::InvalidCharacter(2).to_string().contains("position 2"));
    }

    proptest! {
        #[test]
        fn every_valid_code_parses_to_itself(s in "[A-Za-z0-9_-]{1,64}") {
            let code = ReferralCode::parse(&s).unwrap();
            prop_assert_eq!(code.as_str(), s.as_str());
        }

        #[test]
        fn parse_never_panics_and_accepts_only_the_alphabet(s in "\\PC{0,80}") {
            let ok = !s.is_empty() && s.len() <= 64
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            prop_assert_eq!(ReferralCode::parse(&s).is_ok(), ok);
        }

        #[test]
        fn serde_round_trips(s in "[A-Za-z0-9_-]{1,64}") {
            let code = ReferralCode::parse(&s).unwrap();
            let json = serde_json::to_string(&code).unwrap();
            prop_assert_eq!(serde_json::from_str::<ReferralCode>(&json).unwrap(), code);
        }
    }
}
