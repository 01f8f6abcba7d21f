//! Leads: a visitor who identified themselves. payref never sees the email: the tracker sends
//! the sha256 of the normalised address, and the origin stores only an HMAC of that hash under
//! a server secret, so a stolen database cannot be matched against a list of known emails.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `s` is a lowercase hex sha256, as the tracker sends it.
pub fn is_email_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
