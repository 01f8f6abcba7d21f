//! `LinkSlug`: the name of an affiliate redirect link in the edge's `/r/{slug}` route.

use crate::charset::token_type;

/// Longest slug accepted.
pub const MAX_SLUG_LEN: usize = 64;

token_type!(
    /// An affiliate link's slug, unique within its site: 1–64 characters of `[A-Za-z0-9_-]`.
    LinkSlug,
    MAX_SLUG_LEN
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_use_the_url_safe_alphabet() {
        assert!(LinkSlug::parse("spring-sale_2026").is_ok());
        assert!(LinkSlug::parse("a/b").is_err());
        assert!(LinkSlug::parse("").is_err());
    }
}
