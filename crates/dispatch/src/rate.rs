//! A token bucket per destination: at most `per_second` messages a second on average, with
//! bursts of `burst`. A message over the rate is deferred to a slot of its own: the first to
//! when a token will be there, each next one an interval later, so that a backlog over the
//! rate comes back spread out instead of all at once (to be deferred again, each time a
//! durable settlement).

/// The rate's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatePolicy {
    /// Messages a second, on average (0: no limit).
    pub per_second: u32,
    /// Messages that may go at once.
    pub burst: u32,
}

impl Default for RatePolicy {
    fn default() -> RatePolicy {
        RatePolicy { per_second: 0, burst: 1 }
    }
}

/// One destination's bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket {
    tokens: f64,
    /// When `tokens` was last brought up to date (Unix milliseconds); `None` before first use.
    at: Option<i64>,
    /// The last slot given to a deferred message.
    reserved_until: i64,
}

impl Bucket {
    /// Takes a token at `now`, or says when one will be there.
    pub fn take(&mut self, now: i64, policy: &RatePolicy) -> Result<(), i64> {
        if policy.per_second == 0 {
            return Ok(());
        }
        let burst = f64::from(policy.burst.max(1));
        let rate = f64::from(policy.per_second) / 1_000.0;
        let elapsed = self.at.map_or(f64::MAX, |at| (now - at).max(0) as f64);
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - self.tokens) / rate).ceil() as i64;
        let interval = (1.0 / rate).ceil() as i64;
        let slot = (now + wait.max(1)).max(self.reserved_until.saturating_add(interval.max(1)));
        self.reserved_until = slot;
        Err(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_paces() {
        let policy = RatePolicy { per_second: 10, burst: 3 };
        let mut bucket = Bucket::default();
        for _ in 0..3 {
            assert_eq!(bucket.take(0, &policy), Ok(()));
        }
        assert_eq!(bucket.take(0, &policy), Err(100), "one token every 100 ms");
        assert_eq!(bucket.take(0, &policy), Err(200), "the next deferred message, a slot later");
        assert_eq!(bucket.take(0, &policy), Err(300));
        assert_eq!(bucket.take(100, &policy), Ok(()));
        assert_eq!(bucket.take(150, &policy), Err(400), "after the slots already given");
        assert_eq!(RatePolicy::default().per_second, 0);
        let mut free = Bucket::default();
        assert!((0..1_000).all(|_| free.take(0, &RatePolicy::default()).is_ok()), "no limit");
    }
}
