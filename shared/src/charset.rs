//! The one character set payref puts into Stripe and URLs, `[A-Za-z0-9_-]`, and the validated
//! text types built on it.

use core::fmt;

/// True for the bytes Stripe keeps in a `client_reference_id`.
pub(crate) const fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Why a text is not a valid token (referral code, site key); the caller names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// The text is empty.
    Empty,
    /// The text is longer than this many characters.
    TooLong(usize),
    /// The text holds a character outside `[A-Za-z0-9_-]` at this byte position.
    InvalidCharacter(usize),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty"),
            Self::TooLong(max) => write!(f, "longer than {max} characters"),
            Self::InvalidCharacter(at) => write!(f, "character outside [A-Za-z0-9_-] at position {at}"),
        }
    }
}

impl core::error::Error for TokenError {}

/// Checks `s`: 1–`max` characters of `[A-Za-z0-9_-]`.
pub(crate) fn check_token(s: &str, max: usize) -> Result<(), TokenError> {
    if s.is_empty() {
        return Err(TokenError::Empty);
    }
    if s.len() > max {
        return Err(TokenError::TooLong(max));
    }
    match s.bytes().position(|b| !is_token_byte(b)) {
        Some(at) => Err(TokenError::InvalidCharacter(at)),
        None => Ok(()),
    }
}

/// Declares a validated `String` newtype of 1–`$max` token characters, with `parse`,
/// `as_str`, `Display`, a `Debug` naming the type, and serde through `String` (feature `server`).
macro_rules! token_type {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "server", serde(try_from = "alloc::string::String", into = "alloc::string::String"))]
        pub struct $name(alloc::string::String);

        impl $name {
            /// Validates `s`: 1 to the maximum length of `[A-Za-z0-9_-]`.
            pub fn parse(s: &str) -> Result<Self, $crate::charset::TokenError> {
                $crate::charset::check_token(s, $max)?;
                Ok(Self(alloc::string::String::from(s)))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<alloc::string::String> for $name {
            type Error = $crate::charset::TokenError;
            fn try_from(s: alloc::string::String) -> Result<Self, Self::Error> {
                $crate::charset::check_token(&s, $max)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for alloc::string::String {
            fn from(v: $name) -> alloc::string::String {
                v.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}
pub(crate) use token_type;
