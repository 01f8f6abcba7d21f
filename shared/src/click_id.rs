//! `ClickId`: 128 random bits written as 22 base62 characters.
//!
//! The randomness comes from the caller (Web Crypto in the tracker and the edge, the OS at the
//! origin), so this crate stays free of any runtime.

use alloc::string::String;
use core::fmt;

/// Length of a click id's text form.
pub const CLICK_ID_LEN: usize = 22;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// One referral visit's identity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClickId(u128);

/// Why a text is not a click id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickIdError {
    /// Not exactly 22 characters.
    WrongLength,
    /// A character outside `[0-9A-Za-z]`.
    InvalidCharacter,
    /// The digits name a number above 2^128 - 1.
    Overflow,
}

impl fmt::Display for ClickIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WrongLength => "click id is not 22 characters",
            Self::InvalidCharacter => "click id has a character outside [0-9A-Za-z]",
            Self::Overflow => "click id is out of range",
        })
    }
}

impl core::error::Error for ClickIdError {}

const fn digit_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'Z' => Some(b - b'A' + 10),
        b'a'..=b'z' => Some(b - b'a' + 36),
        _ => None,
    }
}

impl ClickId {
    /// A click id from 16 random bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(u128::from_be_bytes(bytes))
    }

    /// The 16 bytes behind the id.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parses the 22-character base62 form.
    pub fn parse(s: &str) -> Result<Self, ClickIdError> {
        if s.len() != CLICK_ID_LEN {
            return Err(ClickIdError::WrongLength);
        }
        let mut n: u128 = 0;
        for b in s.bytes() {
            let d = digit_value(b).ok_or(ClickIdError::InvalidCharacter)?;
            n = n.checked_mul(62).and_then(|n| n.checked_add(u128::from(d))).ok_or(ClickIdError::Overflow)?;
        }
        Ok(Self(n))
    }

    /// Writes the 22-character form into a fixed buffer (no allocation).
    pub fn encode(self) -> [u8; CLICK_ID_LEN] {
        let mut out = [b'0'; CLICK_ID_LEN];
        let mut n = self.0;
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(n % 62) as usize];
            n /= 62;
        }
        out
    }

    /// The 22-character form as a `String`.
    pub fn to_text(self) -> String {
        let buf = self.encode();
        // The alphabet is ASCII, so every byte is a char.
        buf.iter().map(|&b| char::from(b)).collect()
    }
}

impl fmt::Display for ClickId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.encode() {
            fmt::Write::write_char(f, char::from(b))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClickId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClickId({self})")
    }
}

#[cfg(feature = "server")]
impl serde::Serialize for ClickId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "server")]
impl<'de> serde::Deserialize<'de> for ClickId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <alloc::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extremes_encode_to_fixed_length() {
        assert_eq!(ClickId::from_bytes([0; 16]).to_text(), "0".repeat(22));
        let max = ClickId::from_bytes([0xff; 16]).to_text();
        assert_eq!(max, "7n42DGM5Tflk9n8mt7Fhc7");
        assert_eq!(ClickId::parse(&max).unwrap(), ClickId::from_bytes([0xff; 16]));
    }

    #[test]
    fn rejects_wrong_length_bad_characters_and_overflow() {
        assert_eq!(ClickId::parse("abc"), Err(ClickIdError::WrongLength));
        assert_eq!(ClickId::parse(&"-".repeat(22)), Err(ClickIdError::InvalidCharacter));
        assert_eq!(ClickId::parse(&"z".repeat(22)), Err(ClickIdError::Overflow));
        assert_eq!(ClickId::parse("7n42DGM5Tflk9n8mt7Fhc8"), Err(ClickIdError::Overflow));
    }

    proptest! {
        #[test]
        fn text_round_trips(bytes in any::<[u8; 16]>()) {
            let id = ClickId::from_bytes(bytes);
            let text = id.to_text();
            prop_assert_eq!(text.len(), 22);
            prop_assert_eq!(ClickId::parse(&text).unwrap(), id);
            prop_assert_eq!(id.to_bytes(), bytes);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = ClickId::parse(&s);
        }
    }
}
