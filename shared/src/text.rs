//! Free text on the wire (landing URLs, referrers, `utm_*` values, the edge's annotations) must
//! be storable everywhere payref stores it: PostgreSQL's `text` refuses U+0000, so the wire
//! contract refuses it on every path, and SQLite, PostgreSQL and the edge agree on what a
//! valid event is.

/// Why a text field cannot be carried.
pub const NUL_REFUSED: &str = "contains a NUL character, which cannot be stored";

/// Whether every store payref writes to can hold `s`.
pub fn is_storable(s: &str) -> bool {
    !s.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_the_one_character_refused() {
        assert!(is_storable("https://shop.test/?q=%00&x=\u{1}\u{7f}é"));
        assert!(!is_storable("https://shop.test/\0"));
        assert!(is_storable(""));
    }
}
