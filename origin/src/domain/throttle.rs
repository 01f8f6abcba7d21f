//! Failed-credential throttling: a caller (keyed by its address) that fails too often within a
//! window is refused until the window ends, before any lookup is made. Memory is bounded: at
//! most `max_keys` callers are tracked, the stalest forgotten first.

use std::collections::HashMap;
use std::hash::Hash;

/// Failures allowed per caller and window before it is refused.
pub const API_KEY_FAILURES: u32 = 20;
/// The window, ms.
pub const API_KEY_WINDOW_MS: i64 = 60_000;
/// Failed dashboard sign-ins allowed per account and per address within a window.
pub const SIGN_IN_FAILURES: u32 = 10;
/// The sign-in window, ms (15 minutes).
pub const SIGN_IN_WINDOW_MS: i64 = 15 * 60_000;
/// Callers tracked at once.
pub const MAX_TRACKED: usize = 10_000;

/// Failures per caller within fixed windows.
#[derive(Debug)]
pub struct FailureThrottle<K> {
    limit: u32,
    window_ms: i64,
    max_keys: usize,
    entries: HashMap<K, (i64, u32)>,
}

impl<K: Hash + Eq + Clone> FailureThrottle<K> {
    /// `limit` failures per `window_ms`, tracking at most `max_keys` callers.
    pub fn new(limit: u32, window_ms: i64, max_keys: usize) -> Self {
        Self { limit, window_ms, max_keys: max_keys.max(1), entries: HashMap::new() }
    }

    /// When the caller is refused at `now`: the ms until its window ends.
    pub fn refused_for(&self, key: &K, now: i64) -> Option<i64> {
        let (start, count) = self.entries.get(key)?;
        let left = start + self.window_ms - now;
        (*count >= self.limit && left > 0).then_some(left)
    }

    /// Counts a failure of the caller at `now`.
    pub fn failed(&mut self, key: &K, now: i64) {
        if !self.entries.contains_key(key) && self.entries.len() >= self.max_keys {
            let window = self.window_ms;
            self.entries.retain(|_, (start, _)| *start + window > now);
            if self.entries.len() >= self.max_keys
                && let Some(stalest) = self.entries.iter().min_by_key(|(_, (start, _))| *start).map(|(k, _)| k.clone())
            {
                self.entries.remove(&stalest);
            }
        }
        let entry = self.entries.entry(key.clone()).or_insert((now, 0));
        if entry.0 + self.window_ms <= now {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Callers tracked.
    pub fn tracked(&self) -> usize {
        self.entries.len()
    }
}

impl<K: Hash + Eq + Clone> Default for FailureThrottle<K> {
    fn default() -> Self {
        Self::new(API_KEY_FAILURES, API_KEY_WINDOW_MS, MAX_TRACKED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_is_refused_after_the_limit_until_its_window_ends() {
        let mut t = FailureThrottle::new(3, 1_000, 10);
        for at in [0, 10, 20] {
            assert_eq!(t.refused_for(&"a", at), None);
            t.failed(&"a", at);
        }
        assert_eq!(t.refused_for(&"a", 30), Some(970));
        assert_eq!(t.refused_for(&"b", 30), None, "others are not affected");
        assert_eq!(t.refused_for(&"a", 1_000), None, "a new window");
        t.failed(&"a", 1_000);
        assert_eq!(t.refused_for(&"a", 1_001), None, "the count started again");
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_stalest() {
        let mut t = FailureThrottle::new(1, 1_000, 100);
        for n in 0..10_000i64 {
            t.failed(&n, n / 100);
        }
        assert!(t.tracked() <= 100);
        assert!(t.refused_for(&9_999, 100).is_some(), "the newest is kept");
        assert_eq!(t.refused_for(&0, 100), None, "the stalest was forgotten");
    }
}
