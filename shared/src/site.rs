//! `SiteKey`: the public key of one merchant site, on the tracker's tag as `data-site`.

use alloc::string::String;
use core::fmt;

use crate::code::{CodeError, check_token};

/// Longest site key accepted.
pub const MAX_SITE_KEY_LEN: usize = 64;

/// A merchant site's public key (not a secret: it is on every page of the site).
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "server", serde(try_from = "String", into = "String"))]
pub struct SiteKey(String);

impl SiteKey {
    /// Validates `s`: 1–64 characters of `[A-Za-z0-9_-]`.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        check_token(s, MAX_SITE_KEY_LEN)?;
        Ok(Self(String::from(s)))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SiteKey {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        check_token(&s, MAX_SITE_KEY_LEN)?;
        Ok(Self(s))
    }
}

impl From<SiteKey> for String {
    fn from(k: SiteKey) -> String {
        k.0
    }
}

impl fmt::Display for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_a_tag_must_not_carry() {
        assert!(SiteKey::parse("site_demo").is_ok());
        assert_eq!(SiteKey::parse(""), Err(CodeError::Empty));
        assert_eq!(SiteKey::parse("a b"), Err(CodeError::InvalidCharacter(1)));
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_alphabet(s in "\\PC{0,70}") {
            let ok = !s.is_empty() && s.len() <= 64
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            prop_assert_eq!(SiteKey::parse(&s).is_ok(), ok);
        }
    }
}
