//! Affiliates: status and the rules for their contact fields.

wire_enum!(
    /// Whether an affiliate earns commissions.
    #[oai(rename = "Status")]
    AffiliateStatus {
        /// Earns commissions.
        Active = "active",
        /// Temporarily earns nothing; keeps history.
        Paused = "paused",
        /// Excluded for good; keeps history.
        Banned = "banned",
    }
);

/// A plausible email address: one `@` with text on both sides, a dot in the domain, no
/// whitespace, at most 254 characters. Deliverability is the mail system's business.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

/// Lowercased and trimmed, as payref compares and hashes addresses.
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        for s in [AffiliateStatus::Active, AffiliateStatus::Paused, AffiliateStatus::Banned] {
            assert_eq!(AffiliateStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AffiliateStatus::parse("deleted"), None);
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("ann@example.com"));
        for bad in ["", "ann", "@example.com", "ann@", "ann@example", "a n@example.com", "ann@@example.com", "ann@.com"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        assert_eq!(normalise_email("  Ann@Example.COM "), "ann@example.com");
    }
}
