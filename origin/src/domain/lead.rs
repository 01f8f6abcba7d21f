//! Leads: a visitor who identified themselves. payref never sees the email: the tracker sends
//! the sha256 of the normalised address, and the origin stores only an HMAC of that hash under
//! a server secret, so a stolen database cannot be matched against a list of known emails.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `s` is a lowercase hex sha256, as the tracker sends it (the shared wire rule).
pub use payref_shared::event::is_sha256_hex as is_email_sha256;

/// The stored form of an email hash: hex HMAC-SHA256(secret, hash).
pub fn email_key(secret: &[u8], email_sha256: &str) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("hmac takes any key"));
    mac.update(email_sha256.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// sha256 of an email as the tracker computes it (the shared normalisation: ASCII whitespace
/// trimmed, ASCII lowercased).
pub fn email_sha256(email: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(payref_shared::email::normalise(email).as_bytes()))
}

/// Distinct emails one visitor (the edge's daily visitor hash) may identify in a day; further
/// identify calls are ignored and counted. Someone who types a few addresses (a typo, a work and
/// a home address) is served; someone claiming prospects' emails for an affiliate is not.
pub const MAX_EMAILS_PER_VISITOR: usize = 3;
/// How far back a visitor's identified emails are counted, ms (the visitor hash changes daily).
pub const VISITOR_EMAILS_WINDOW_MS: i64 = 24 * 3_600_000;

/// Which of a batch's leads to store: `known` are the (visitor, email key) pairs already stored
/// within the window, `batch` the new ones in order. A lead is admitted when its visitor has
/// identified this email already or fewer than [`MAX_EMAILS_PER_VISITOR`] emails; a lead
/// without a visitor hash (the edge had none) cannot be counted and is admitted.
pub fn admit_leads(known: &[(String, String)], batch: &[(Option<&str>, &str)]) -> Vec<bool> {
    let mut seen: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for (visitor, email) in known {
        let emails = seen.entry(visitor.as_str()).or_default();
        if !emails.contains(&email.as_str()) {
            emails.push(email);
        }
    }
    batch
        .iter()
        .map(|(visitor, email)| {
            let Some(visitor) = visitor else { return true };
            let emails = seen.entry(visitor).or_default();
            if emails.contains(email) {
                true
            } else if emails.len() < MAX_EMAILS_PER_VISITOR {
                emails.push(email);
                true
            } else {
                false
            }
        })
        .collect()
}

/// Why a sale attributed through a lead deserves a look, from the lead's and the click's
/// visitor hashes and how many emails the lead's visitor identified.
pub fn lead_review_flags(lead_visitor: Option<&str>, click_visitor: Option<&str>, visitor_emails: usize) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if let (Some(l), Some(c)) = (lead_visitor, click_visitor)
        && l != c
    {
        flags.push("lead_other_visitor");
    }
    if visitor_emails > 1 {
        flags.push("lead_several_emails");
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(v: &str, e: &str) -> (String, String) {
        (v.to_owned(), e.to_owned())
    }

    #[test]
    fn a_visitor_identifies_at_most_three_emails_a_day() {
        let known = [pair("v1", "a"), pair("v1", "b"), pair("v2", "a")];
        let batch = [(Some("v1"), "c"), (Some("v1"), "d"), (Some("v1"), "a"), (Some("v2"), "x"), (None, "y"), (Some("v3"), "z")];
        assert_eq!(admit_leads(&known, &batch), [true, false, true, true, true, true]);
        // Within one batch alone.
        let flood: Vec<(Option<&str>, &str)> = ["1", "2", "3", "4", "5", "2"].iter().map(|e| (Some("v"), *e)).collect();
        assert_eq!(admit_leads(&[], &flood), [true, true, true, false, false, true]);
    }

    #[test]
    fn a_lead_from_another_visitor_or_with_several_emails_is_flagged() {
        assert!(lead_review_flags(Some("a"), Some("a"), 1).is_empty());
        assert!(lead_review_flags(None, Some("a"), 1).is_empty());
        assert_eq!(lead_review_flags(Some("a"), Some("b"), 1), ["lead_other_visitor"]);
        assert_eq!(lead_review_flags(Some("a"), Some("a"), 2), ["lead_several_emails"]);
        assert_eq!(lead_review_flags(Some("a"), Some("b"), 3), ["lead_other_visitor", "lead_several_emails"]);
    }

    #[test]
    fn only_the_keyed_hash_is_stored() {
        let h = email_sha256(" Ann@Example.com ");
        assert_eq!(h, email_sha256("ann@example.com"));
        assert!(is_email_sha256(&h));
        assert!(!is_email_sha256("ann@example.com"));
        let stored = email_key(b"secret-one-0123456", &h);
        assert_ne!(stored, h, "not the bare hash");
        assert_ne!(stored, email_key(b"secret-two-0123456", &h), "depends on the secret");
        assert_eq!(stored.len(), 64);
        assert_eq!(h, payref_shared::email::sha256_hex(" Ann@Example.com "), "the tracker's hash");
    }
}
