//! A circuit breaker per destination: after `threshold` failures in a row the destination is
//! left alone for `cooldown_ms` (its messages are deferred, not attempted), then one trial
//! message goes; success closes the circuit, failure opens it again. A destination that is
//! down then costs one request per cooldown instead of one per message.

/// The breaker's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failures in a row that open the circuit.
    pub threshold: u32,
    /// How long it stays open, in milliseconds.
    pub cooldown_ms: u64,
}

impl Default for BreakerPolicy {
    fn default() -> BreakerPolicy {
        BreakerPolicy { threshold: 5, cooldown_ms: 30_000 }
    }
}

/// One destination's circuit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    failures: u32,
    /// While open: until when (Unix milliseconds).
    open_until: Option<i64>,
    /// A trial is out (half open): no other message goes until it is settled.
    trial: bool,
}

impl Breaker {
    /// Whether a message may go at `now` (`Ok(true)`: as the trial of a half-open circuit,
    /// which the caller starts with `start_trial` once it does send); when not, until when to
    /// defer it.
    pub fn check(&self, now: i64) -> Result<bool, i64> {
        match self.open_until {
            Some(until) if now < until => Err(until),
            Some(until) if self.trial => Err(until.max(now) + 1_000),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Marks the trial of a half-open circuit as out: no other message goes until it ends
    /// (`succeeded` or `failed`).
    pub fn start_trial(&mut self) {
        self.trial = true;
    }

    /// `check`, starting the trial when it is one (for a caller that sends whenever this
    /// admits).
    pub fn admit(&mut self, now: i64) -> Result<(), i64> {
        if self.check(now)? {
            self.start_trial();
        }
        Ok(())
    }

    /// The destination answered (delivered or rejected: it is up).
    pub fn succeeded(&mut self) {
        *self = Breaker::default();
    }

    /// The destination failed at `now` (no answer, 5xx, timeout).
    pub fn failed(&mut self, now: i64, policy: &BreakerPolicy) {
        self.failures = self.failures.saturating_add(1);
        self.trial = false;
        if self.open_until.is_some() || self.failures >= policy.threshold {
            let cooldown = i64::try_from(policy.cooldown_ms).unwrap_or(i64::MAX);
            self.open_until = Some(now.saturating_add(cooldown));
        }
    }

    /// Whether the circuit is open (or half open) now.
    pub fn is_open(&self) -> bool {
        self.open_until.is_some()
    }

    /// While the circuit is open, when it lets a trial through.
    pub fn admit_after(&self) -> Option<i64> {
        self.open_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_tries_once_per_cooldown_and_closes_on_success() {
        let policy = BreakerPolicy { threshold: 3, cooldown_ms: 10_000 };
        let mut breaker = Breaker::default();
        for t in 0..2 {
            assert_eq!(breaker.admit(t), Ok(()));
            breaker.failed(t, &policy);
        }
        assert!(!breaker.is_open(), "two failures are not three");
        breaker.failed(2, &policy);
        assert_eq!(breaker.admit(3), Err(10_002), "open: deferred to the end of the cooldown");
        assert_eq!(breaker.admit(10_002), Ok(()), "half open: one trial");
        assert_eq!(breaker.admit(10_003), Err(11_003), "no second message while the trial is out");
        breaker.failed(10_004, &policy);
        assert_eq!(breaker.admit(10_005), Err(20_004), "the trial failed: open again");
        assert_eq!(breaker.admit(20_004), Ok(()));
        breaker.succeeded();
        assert!(!breaker.is_open());
        assert_eq!(breaker.admit(20_005), Ok(()));
    }
}
