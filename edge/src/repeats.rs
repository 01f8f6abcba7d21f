//! Best-effort repeat filter: the same visitor clicking the same affiliate's code again within
//! the window is dropped here, in the memory of one worker isolate. Isolates come and go and do
//! not share memory, so some repeats get through: the origin, which counts one click per
//! visitor, code and window, is the authority.

use std::collections::HashMap;

/// Window within which a repeat is dropped.
pub const REPEAT_WINDOW_MS: i64 = 30 * 60 * 1000;
/// Most (visitor, code) pairs one isolate remembers.
pub const MAX_REMEMBERED: usize = 50_000;

/// Recently seen (visitor, code) pairs and when each was first seen.
#[derive(Debug, Default)]
pub struct RepeatFilter {
    seen: HashMap<(String, String), i64>,
}

impl RepeatFilter {
    /// True when this is the first click of `visitor` on `code` within the window (and
    /// remembers it); false for a repeat.
    pub fn first(&mut self, visitor: &str, code: &str, now_ms: i64) -> bool {
        let key = (visitor.to_owned(), code.to_owned());
        if let Some(&at) = self.seen.get(&key)
            && now_ms - at < REPEAT_WINDOW_MS
            && now_ms >= at
        {
            return false;
        }
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.retain(|_, at| now_ms - *at < REPEAT_WINDOW_MS);
            if self.seen.len() >= MAX_REMEMBERED {
                // Memory is bounded; forgetting only lets repeats through to the origin.
                self.seen.clear();
            }
        }
        self.seen.insert(key, now_ms);
        true
    }

    /// How many pairs are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_the_window_are_dropped() {
        let mut f = RepeatFilter::default();
        assert!(f.first("v1", "demo", 0));
        assert!(!f.first("v1", "demo", REPEAT_WINDOW_MS - 1));
        assert!(f.first("v1", "other", 1), "another code is another click");
        assert!(f.first("v2", "demo", 1), "another visitor is another click");
        assert!(f.first("v1", "demo", REPEAT_WINDOW_MS), "after the window it counts again");
        assert!(!f.first("v1", "demo", REPEAT_WINDOW_MS + 5));
    }

    #[test]
    fn a_clock_going_back_does_not_drop_clicks() {
        let mut f = RepeatFilter::default();
        assert!(f.first("v", "c", 1_000_000));
        assert!(f.first("v", "c", 0));
    }

    #[test]
    fn memory_is_bounded() {
        let mut f = RepeatFilter::default();
        for i in 0..MAX_REMEMBERED + 10 {
            assert!(f.first(&i.to_string(), "c", 0));
        }
        assert!(f.len() <= MAX_REMEMBERED);
        // Old entries expire first.
        let mut g = RepeatFilter::default();
        for i in 0..MAX_REMEMBERED {
            g.first(&i.to_string(), "c", 0);
        }
        assert!(g.first("new", "c", REPEAT_WINDOW_MS + 1));
        assert_eq!(g.len(), 1);
    }
}
