//! Merchant API keys: shown once, stored only as a sha256 hash, identified by a visible prefix.

use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read-only.
    Read,
    /// Read and write.
    Write,
}

impl Scope {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// A freshly made key: the token is shown once, the hash is stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// The whole secret token, `prk_<8-char prefix>_<secret>`.
    pub token: String,
    /// The visible part that identifies the key in listings.
    pub prefix: String,
    /// sha256 hex of the token.
    pub token_hash: String,
}

/// The stored hash of a presented token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a new random key.
pub fn generate() -> NewApiKey {
    let id = super::ids::new_click_id().to_text();
    let secret = super::ids::new_click_id().to_text();
    let prefix = format!("prk_{}", &id[..8]);
    let token = format!("{prefix}_{}{secret}", &id[8..]);
    NewApiKey { token_hash: hash_token(&token), prefix, token }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_starts_with_its_prefix_and_hashes_stably() {
        let k = generate();
        assert!(k.token.starts_with(&k.prefix));
        assert_eq!(hash_token(&k.token), k.token_hash);
        assert_ne!(generate().token, k.token);
    }
}
