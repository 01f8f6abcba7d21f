//! Object ids: a type prefix and 128 random bits in base62 (`mer_…`, `cnv_…`).

use payref_shared::ClickId;

/// A new id with a type prefix, e.g. `new_id("cnv")`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ClickId::from_bytes(rand::random()))
}

/// A new click id, for clicks the origin creates itself.
pub fn new_click_id() -> ClickId {
    ClickId::from_bytes(rand::random())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("cnv");
        assert!(a.starts_with("cnv_") && a.len() == 26, "{a}");
        assert_ne!(a, super::new_id("cnv"));
    }
}
