//! When a Stripe event whose processing failed is tried again, and when payref stops trying
//! and parks it for the merchant to look at.

/// Backoff and give-up rule of the event queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure, ms; it doubles with each further failure.
    pub base_ms: i64,
    /// The longest delay between two attempts, ms.
    pub cap_ms: i64,
    /// Attempts after which a failing event is parked.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    /// 2 s doubling to an hour, 32 attempts: about a day of retries, so an object Stripe
    /// delivers late (a payment after its refund) still arrives in time.
    fn default() -> Self {
        Self { base_ms: 2_000, cap_ms: 3_600_000, max_attempts: 32 }
    }
}

/// What to do with an event after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time, UTC epoch ms.
    RetryAt(i64),
    /// Stop: park it.
    Park,
}

impl RetryPolicy {
    /// After `attempts` attempts (the failed one included), failed at `now`.
    pub fn after_failure(&self, attempts: i64, now: i64) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::Park;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
        let delay = self.base_ms.saturating_mul(1_i64.checked_shl(doublings).unwrap_or(i64::MAX)).min(self.cap_ms);
        AfterFailure::RetryAt(now.saturating_add(delay.max(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_then_parks() {
        let p = RetryPolicy { base_ms: 1_000, cap_ms: 5_000, max_attempts: 5 };
        assert_eq!(p.after_failure(1, 0), AfterFailure::RetryAt(1_000));
        assert_eq!(p.after_failure(2, 0), AfterFailure::RetryAt(2_000));
        assert_eq!(p.after_failure(3, 10), AfterFailure::RetryAt(4_010));
        assert_eq!(p.after_failure(4, 0), AfterFailure::RetryAt(5_000), "capped");
        assert_eq!(p.after_failure(5, 0), AfterFailure::Park);
    }

    #[test]
    fn the_default_retries_for_about_a_day() {
        let p = RetryPolicy::default();
        let mut at = 0;
        for attempts in 1..p.max_attempts {
            match p.after_failure(attempts, at) {
                AfterFailure::RetryAt(t) => at = t,
                AfterFailure::Park => panic!("parked after {attempts}"),
            }
        }
        assert!((20 * 3_600_000..48 * 3_600_000).contains(&at), "{at}");
        assert_eq!(p.after_failure(p.max_attempts, at), AfterFailure::Park);
        // Absurd inputs neither overflow nor panic.
        assert!(matches!(
            RetryPolicy { base_ms: i64::MAX, cap_ms: i64::MAX, max_attempts: i64::MAX }.after_failure(64, i64::MAX),
            AfterFailure::RetryAt(_)
        ));
    }
}
