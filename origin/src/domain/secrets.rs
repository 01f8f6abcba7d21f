//! Secrets at rest (Stripe API keys, webhook signing secrets): AES-256-GCM under a versioned
//! key from configuration. A sealed value reads `enc:v<version>:<hex nonce><hex ciphertext>`;
//! the associated data names its owner and field, so a value copied onto another row or field
//! does not open. Several keys may be configured: the first seals, all open, so keys rotate by
//! adding a new first key and re-sealing (payref does it at start).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

const PREFIX: &str = "enc:v";

/// Why a secret could not be opened or the keyring read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No configured key has this version.
    #[error("no encryption key v{0} is configured (PAYREF_ENCRYPTION_KEYS)")]
    UnknownVersion(u32),
    /// The value is not in the sealed format.
    #[error("stored secret is not in the sealed format")]
    Malformed,
    /// Authentication failed: wrong key, or the value was altered or moved.
    #[error("stored secret does not open with key v{0}")]
    Tampered(u32),
}

/// The configured keys; the first seals.
pub struct Keyring {
    keys: Vec<(u32, Aes256Gcm)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let versions: Vec<u32> = self.keys.iter().map(|(v, _)| *v).collect();
        f.debug_struct("Keyring").field("versions", &versions).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Parses `<version>:<64 hex digits>[,<version>:<64 hex digits>…]`, current key first.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (i, part) in spec.split(',').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
            let (version, hex_key) = part.split_once(':').ok_or_else(|| format!("key {} is not <version>:<64 hex digits>", i + 1))?;
            let version: u32 =
                version.trim_start_matches('v').parse().map_err(|_| format!("key {}: version {version:?} is not a number", i + 1))?;
            let bytes = hex::decode(hex_key)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| format!("key v{version} is not 64 hex digits (32 bytes)"))?;
            if keys.iter().any(|(v, _)| *v == version) {
                return Err(format!("key version v{version} appears twice"));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| format!("key v{version} has the wrong length"))?;
            keys.push((version, cipher));
        }
        if keys.is_empty() {
            return Err("no key given".into());
        }
        Ok(Self { keys })
    }

    /// The version new values are sealed with.
    pub fn current_version(&self) -> u32 {
        self.keys[0].0
    }

    /// Seals `plaintext` for `owner` (e.g. `mer_…/test/webhook_secret`).
    pub fn seal(&self, plaintext: &str, owner: &str) -> String {
        let (version, cipher) = &self.keys[0];
        let nonce: [u8; 12] = rand::random();
        // Encryption with a valid key and in-memory buffers cannot fail.
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: owner.as_bytes() })
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption of an in-memory buffer"));
        format!("{PREFIX}{version}:{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Opens a sealed value for `owner`.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<String, SecretError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let (version, body) = rest.split_once(':').ok_or(SecretError::Malformed)?;
        let version: u32 = version.parse().map_err(|_| SecretError::Malformed)?;
        let bytes = hex::decode(body).map_err(|_| SecretError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(SecretError::Malformed);
        }
        let (_, cipher) = self.keys.iter().find(|(v, _)| *v == version).ok_or(SecretError::UnknownVersion(version))?;
        let plain = cipher
            .decrypt(Nonce::from_slice(&bytes[..12]), Payload { msg: &bytes[12..], aad: owner.as_bytes() })
            .map_err(|_| SecretError::Tampered(version))?;
        String::from_utf8(plain).map_err(|_| SecretError::Tampered(version))
    }

    /// Whether a stored value is sealed with the current key (else it is re-sealed at start).
    pub fn is_current(&self, stored: &str) -> bool {
        stored.strip_prefix(PREFIX).and_then(|r| r.split_once(':')).is_some_and(|(v, _)| v.parse() == Ok(self.current_version()))
    }

    /// Whether a stored value is sealed at all (a value from before encryption is not).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

/// What may be shown of a Stripe key: its prefix and, when the secret part is long enough
/// for four characters to give nothing away, its last four.
pub fn key_hint(key: &str) -> String {
    let prefix_end = key.match_indices('_').nth(1).map_or(0, |(i, _)| i + 1);
    let secret = &key[prefix_end..];
    let tail = if secret.len() >= 16 && secret.is_ascii() { &secret[secret.len() - 4..] } else { "" };
    format!("{}…{tail}", &key[..prefix_end])
}

/// Checks a Stripe secret (`sk_`) or restricted (`rk_`) key for the mode; the message says why.
pub fn check_stripe_key(key: &str, livemode: bool) -> Result<(), String> {
    let mode = if livemode { "live" } else { "test" };
    let ok_prefix = [format!("sk_{mode}_"), format!("rk_{mode}_")].iter().any(|p| key.starts_with(p.as_str()));
    if !ok_prefix {
        return Err(format!("must be a {mode}-mode secret or restricted key (sk_{mode}_… or rk_{mode}_…)"));
    }
    if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err("is not a Stripe key (letters, digits and _, at most 255)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "1:0000000000000000000000000000000000000000000000000000000000000001";
    const K2: &str = "2:0000000000000000000000000000000000000000000000000000000000000002";

    #[test]
    fn seals_opens_and_rotates() {
        let old = Keyring::parse(K1).unwrap();
        let sealed = old.seal("whsec_abc", "mer_1/test/webhook_secret");
        assert!(sealed.starts_with("enc:v1:") && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, old.seal("whsec_abc", "mer_1/test/webhook_secret"), "a fresh nonce each time");
        assert_eq!(old.open(&sealed, "mer_1/test/webhook_secret").as_deref(), Ok("whsec_abc"));

        let rotated = Keyring::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(rotated.open(&sealed, "mer_1/test/webhook_secret").as_deref(), Ok("whsec_abc"), "old values still open");
        assert!(!rotated.is_current(&sealed));
        assert!(rotated.is_current(&rotated.seal("x", "o")));
        assert_eq!(Keyring::parse(K2).unwrap().open(&sealed, "o"), Err(SecretError::UnknownVersion(1)));
    }

    #[test]
    fn a_moved_or_altered_value_does_not_open() {
        let ring = Keyring::parse(K1).unwrap();
        let sealed = ring.seal("sk_test_123", "mer_1/test/api_key");
        assert_eq!(ring.open(&sealed, "mer_2/test/api_key"), Err(SecretError::Tampered(1)));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(ring.open(std::str::from_utf8(&altered).unwrap(), "mer_1/test/api_key"), Err(SecretError::Tampered(1)));
        assert_eq!(ring.open("whsec_plain", "o"), Err(SecretError::Malformed));
    }

    #[test]
    fn bad_key_specs_are_named() {
        assert!(Keyring::parse("").unwrap_err().contains("no key"));
        assert!(Keyring::parse("1:abcd").unwrap_err().contains("64 hex"));
        assert!(Keyring::parse(&format!("{K1},{K1}")).unwrap_err().contains("twice"));
        assert!(format!("{:?}", Keyring::parse(K1).unwrap()).contains("versions: [1]"), "Debug shows no key material");
    }

    #[test]
    fn hints_show_only_the_prefix_and_last_four() {
        assert_eq!(key_hint("sk_test_51Habcdefghijklmnop4242"), "sk_test_…4242");
        assert_eq!(key_hint("rk_live_xyz"), "rk_live_…");
    }
}
