//! When to try again: bounded exponential backoff with full jitter, and a bound on attempts.
//!
//! The jitter is drawn from a hash of the message's idempotency key and the attempt number
//! rather than a random generator: messages that failed together spread out over the window
//! all the same, and a test replays the same times.

/// How a failed attempt is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first window, in milliseconds.
    pub base_ms: u64,
    /// The largest window: backoff stops growing there.
    pub max_ms: u64,
    /// Attempts before a message fails for good. Only attempts while its destination is
    /// otherwise answering count (the dispatcher defers, without an attempt, what fails while
    /// the destination's circuit is open): an outage does not use up messages.
    pub max_attempts: u32,
    /// How long a message may stay undelivered, outages included, before it fails for good.
    pub max_age_ms: i64,
}

impl Default for RetryPolicy {
    /// 1 s, doubling to 5 minutes, 12 attempts; at most 72 hours in all.
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_ms: 1_000,
            max_ms: 300_000,
            max_attempts: 12,
            max_age_ms: 72 * 3_600_000,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed, or
    /// `None` when `attempt` was the last allowed. The window doubles per attempt up to
    /// `max_ms`; the delay is drawn in `[window / 2, window]`, so that retries neither bunch
    /// up nor come back at once.
    pub fn delay_ms(&self, attempt: u32, key: &str) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let doublings = attempt.saturating_sub(1).min(32);
        let window = self.base_ms.saturating_mul(1u64 << doublings).min(self.max_ms).max(1);
        let half = window / 2;
        Some(half + jitter(key, attempt) % (window - half + 1))
    }
}

/// FNV-1a of the key and the attempt number: stable across runs and builds.
fn jitter(key: &str, attempt: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain(attempt.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_double_to_the_bound_and_attempts_end() {
        let policy = RetryPolicy {
            base_ms: 1_000,
            max_ms: 8_000,
            max_attempts: 6,
            ..RetryPolicy::default()
        };
        for (attempt, window) in [(1, 1_000), (2, 2_000), (3, 4_000), (4, 8_000), (5, 8_000)] {
            for key in ["a", "b", "urn:uuid:1", "dscsa:ni:///sha-256;00"] {
                let delay = policy.delay_ms(attempt, key).expect("retried");
                assert!((window / 2..=window).contains(&delay), "attempt {attempt}: {delay}");
            }
        }
        assert_eq!(policy.delay_ms(6, "a"), None, "the sixth attempt was the last");
        assert_eq!(policy.delay_ms(u32::MAX, "a"), None);
    }

    #[test]
    fn jitter_spreads_messages_that_failed_together() {
        let policy = RetryPolicy::default();
        let delays: std::collections::HashSet<u64> =
            (0..100).filter_map(|i| policy.delay_ms(3, &format!("message-{i}"))).collect();
        assert!(delays.len() > 90, "{} distinct delays of 100", delays.len());
        assert_eq!(policy.delay_ms(3, "same"), policy.delay_ms(3, "same"), "replayable");
    }
}
