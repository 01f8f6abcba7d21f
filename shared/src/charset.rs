//! The one character set payref puts into Stripe and URLs: `[A-Za-z0-9_-]`.

/// True for the bytes Stripe keeps in a `client_reference_id`.
pub(crate) const fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The first byte position that is not a token byte, if any.
pub(crate) fn first_invalid(s: &str) -> Option<usize> {
    s.bytes().position(|b| !is_token_byte(b))
}
