//! `ReferralCode`: an affiliate's public code, 1–64 characters of `[A-Za-z0-9_-]`.

use alloc::string::String;
use core::fmt;

use crate::charset::first_invalid;

/// Longest referral code accepted.
pub const MAX_CODE_LEN: usize = 64;

/// An affiliate's referral code, validated.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "server", serde(try_from = "String", into = "String"))]
pub struct ReferralCode(String);

/// Why a text is not a referral code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// The text is empty.
    Empty,
    /// The text is longer than 64 characters.
    TooLong,
    /// The text holds a character outside `[A-Za-z0-9_-]` at this byte position.
    InvalidCharacter(usize),
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("referral code is empty"),
            Self::TooLong => f.write_str("referral code is longer than 64 characters"),
            Self::InvalidCharacter(at) => write!(
                f,
                "referral code has a character outside [A-Za-z0-9_-] at position {at}"
            ),
        }
    }
}

impl core::error::Error for CodeError {}

/// Checks the rules shared by referral codes and site keys.
pub(crate) fn check_token(s: &str, max: usize) -> Result<(), CodeError> {
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    if s.len() > max {
        return Err(CodeError::TooLong);
    }
    match first_invalid(s) {
        Some(at) => Err(CodeError::InvalidCharacter(at)),
        None => Ok(()),
    }
}

impl ReferralCode {
    /// Validates `s` as a referral code.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        check_token(s, MAX_CODE_LEN)?;
        Ok(Self(String::from(s)))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReferralCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        check_token(&s, MAX_CODE_LEN)?;
        Ok(Self(s))
    }
}

impl From<ReferralCode> for String {
    fn from(c: ReferralCode) -> String {
        c.0
    }
}

impl fmt::Display for ReferralCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReferralCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReferralCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        assert_eq!(ReferralCode::parse("Demo_1-x").unwrap().as_str(), "Demo_1-x");
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters_with_the_reason() {
        assert_eq!(ReferralCode::parse(""), Err(CodeError::Empty));
        assert_eq!(ReferralCode::parse(&"a".repeat(65)), Err(CodeError::TooLong));
        assert!(ReferralCode::parse(&"a".repeat(64)).is_ok());
        assert_eq!(ReferralCode::parse("ab c"), Err(CodeError::InvalidCharacter(2)));
        assert_eq!(ReferralCode::parse("é"), Err(CodeError::InvalidCharacter(0)));
        assert!(CodeError::InvalidCharacter(2).to_string().contains("position 2"));
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
