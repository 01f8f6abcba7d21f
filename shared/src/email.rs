//! How an email becomes the hash `identify` sends: trimmed of ASCII whitespace and
//! ASCII-lowercased, then SHA-256 in lowercase hex. The tracker and the origin both use this, so
//! a buyer's hash is the same wherever it is computed (and no Unicode case tables reach the
//! tracker).

use alloc::string::String;

/// The normalised address (what is hashed).
pub fn normalise(email: &str) -> String {
    email.trim_matches(|c: char| c.is_ascii_whitespace()).to_ascii_lowercase()
}

/// Whether `email` is worth hashing: one `@` with text on both sides, at most 320 bytes.
pub fn plausible(email: &str) -> bool {
    let e = email.trim_matches(|c: char| c.is_ascii_whitespace());
    e.len() <= 320 && e.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

/// Lowercase hex SHA-256 of the normalised email.
pub fn sha256_hex(email: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in crate::sha256::digest(normalise(email).as_bytes()) {
        for nibble in [b >> 4, b & 15] {
            if let Some(&c) = HEX.get(usize::from(nibble)) {
                out.push(char::from(c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_surrounding_space_only() {
        assert_eq!(normalise(" Ann@Example.COM\n"), "ann@example.com");
        assert_eq!(sha256_hex(" Ann@Example.com "), sha256_hex("ann@example.com"));
        // sha256("ann@example.com"), computed independently.
        use sha2::Digest;
        assert_eq!(sha256_hex("ann@example.com"), hex::encode(sha2::Sha256::digest(b"ann@example.com")));
    }

    #[test]
    fn plausibility() {
        assert!(plausible("a@b"));
        assert!(!plausible("ab"));
        assert!(!plausible("@b"));
        assert!(!plausible("a@"));
        assert!(!plausible("a@b@c"));
        assert!(!plausible(&alloc::format!("{}@b", "a".repeat(320))));
    }
}
