//! Dashboard accounts: roles, argon2id passwords, session tokens (the cookie holds the token;
//! the database holds its sha256) and the CSRF token each session's forms carry.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

wire_enum!(
    /// What a dashboard user may do.
    Role {
        /// Everything, including inviting people.
        Owner = "owner",
        /// Everything but managing people.
        Admin = "admin",
        /// Reads; changes nothing (the server refuses it, not just the page).
        Viewer = "viewer",
    }
);

impl Role {
    /// Whether the role may change the program's data.
    pub fn may_write(self) -> bool {
        !matches!(self, Self::Viewer)
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing is the cost a caller controls).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// A session lasts this long after sign-in, ms (30 days).
pub const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Why a new password is refused.
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("the password must have at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("the password must be at most {MAX_PASSWORD_BYTES} bytes"));
    }
    Ok(())
}

/// The argon2id hash (a PHC string with its own salt and parameters) to store.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    // Hashing with the default parameters cannot fail for a password within MAX_PASSWORD_BYTES.
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

/// Whether `password` matches a stored hash; a malformed or empty hash matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A hash no password matches, verified against when the email is unknown so that a wrong
/// email costs what a wrong password costs (no account enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("payref decoy password, never a user's"))
}

/// A new session token for the cookie: 256 random bits, hex.
pub fn new_session_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of a session token.
pub fn session_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of a session's forms: derived from the session token, which only the
/// browser holding the cookie knows, so no page of another site can produce it.
pub fn csrf_token(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"payref dashboard csrf\0");
    h.update(session_token.as_bytes());
    hex::encode(h.finalize())
}

/// Whether a form's CSRF token is the session's, compared in constant time.
pub fn csrf_matches(session_token: &str, presented: &str) -> bool {
    let expected = csrf_token(session_token);
    expected.len() == presented.len() && expected.bytes().zip(presented.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_argon2id_hash_and_nothing_else_does() {
        let stored = hash_password("correct horse battery");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify_password("correct horse battery", &stored));
        assert!(!verify_password("correct horse batterY", &stored));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert!(!verify_password("correct horse battery", decoy_hash()));
        assert_ne!(hash_password("correct horse battery"), stored, "each hash has its own salt");
    }

    #[test]
    fn new_passwords_are_long_enough_and_bounded() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(check_new_password("twelve chars").is_ok());
    }

    #[test]
    fn session_tokens_are_random_and_stored_hashed_and_csrf_follows_the_session() {
        let (a, b) = (new_session_token(), new_session_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(session_key(&a), a);
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&b, &csrf_token(&a)));
        assert!(!csrf_matches(&a, ""));
    }

    #[test]
    fn only_viewers_may_not_write() {
        assert!(Role::Owner.may_write() && Role::Admin.may_write() && !Role::Viewer.may_write());
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
    }
}
