//! `SiteKey`: the public key of one merchant site, on the tracker's tag as `data-site`.

use crate::charset::token_type;

/// Longest site key accepted.
pub const MAX_SITE_KEY_LEN: usize = 64;

token_type!(
    /// A merchant site's public key (not a secret: it is on every page of the site).
    SiteKey,
    MAX_SITE_KEY_LEN
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charset::TokenError;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_a_tag_must_not_carry() {
        assert!(SiteKey::parse("site_demo").is_ok());
        assert_eq!(SiteKey::parse(""), Err(TokenError::Empty));
        assert_eq!(SiteKey::parse("a b"), Err(TokenError::InvalidCharacter(1)));
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
