//! One dispatcher: claim, send, settle, in rounds.

use std::collections::HashMap;
use std::sync::Mutex;

use serialhub_epcis::time::Timestamp;
use serialhub_store::outbox::{Settlement, StoredMessage};
use serialhub_store::{Store, StoreError};

use crate::breaker::{Breaker, BreakerPolicy};
use crate::policy::RetryPolicy;
use crate::rate::{Bucket, RatePolicy};

/// Messages claimed per round, at most.
pub const BATCH_MAX: usize = 1_000;

/// How one send ended, as the transport saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver took the message (or had taken it before: an idempotent repeat); its
    /// acknowledgement.
    Delivered {
        /// What the receiver answered.
        receipt: String,
    },
    /// The receiver answered and refused the message as it is (a reason code): retrying the
    /// same bytes cannot help, so it fails for good and becomes an exception.
    Rejected {
        /// The receiver's reason code.
        code: String,
        /// Its words.
        reason: String,
    },
    /// No usable answer (refused connection, timeout, 5xx, a malformed acknowledgement): the
    /// message may or may not have arrived, and is tried again.
    Transient {
        /// What went wrong.
        error: String,
    },
}

/// What sends messages: one implementation per connector kind, chosen by the message's
/// `connector`. Every attempt must carry the message's idempotency key.
pub trait Transport: Send + Sync {
    /// Sends `message` once and says how it ended. Never panics on a receiver's answer.
    fn send(&self, message: &StoredMessage) -> Attempt;
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed for good (rejected, or out of attempts).
    pub failed: usize,
    /// To be tried again.
    pub retried: usize,
    /// Held back (circuit open, rate used up), not attempted.
    pub deferred: usize,
    /// Settlements the store did not apply: this dispatcher's lease had run out.
    pub lost_leases: usize,
}

/// Settings of a dispatcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long a claim holds a message, in milliseconds: longer than a round takes.
    pub lease_ms: i64,
    /// Messages claimed per round (at most `BATCH_MAX`).
    pub batch: usize,
    /// Retries.
    pub retry: RetryPolicy,
    /// Circuit breaking, per destination.
    pub breaker: BreakerPolicy,
    /// Rate, per destination.
    pub rate: RatePolicy,
    /// Sends in flight at once (threads per round, at most `CONCURRENCY_MAX`): a receiver
    /// answers in milliseconds, and one at a time would cap a dispatcher at its latency.
    pub concurrency: usize,
}

/// Sends in flight at once, at most.
pub const CONCURRENCY_MAX: usize = 64;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            lease_ms: 60_000,
            batch: 100,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            rate: RatePolicy::default(),
            concurrency: 8,
        }
    }
}

/// A dispatcher: its name (the lease owner), its settings, and the breakers and buckets of
/// the destinations it has sent to.
#[derive(Debug)]
pub struct Dispatcher {
    owner: String,
    settings: Settings,
    destinations: Mutex<HashMap<String, (Breaker, Bucket)>>,
}

impl Dispatcher {
    /// A dispatcher named `owner` (unique among the nodes sharing a store).
    pub fn new(owner: &str, settings: Settings) -> Dispatcher {
        Dispatcher { owner: owner.to_owned(), settings, destinations: Mutex::default() }
    }

    /// One round at `now`: claims up to a batch of due messages, sends them, settles them.
    pub fn run_once(
        &self,
        store: &dyn Store,
        transport: &dyn Transport,
        now: Timestamp,
    ) -> Result<Round, StoreError> {
        let lease_until = Timestamp {
            unix_millis: now.unix_millis.saturating_add(self.settings.lease_ms),
            has_offset: true,
        };
        let batch = self.settings.batch.clamp(1, BATCH_MAX);
        let claimed = store.outbox_claim(&self.owner, now, lease_until, batch)?;
        let settlements = self.attempt(&claimed, transport, now);
        let mut round = Round { claimed: claimed.len(), ..Round::default() };
        for (_, settlement) in &settlements {
            match settlement {
                Settlement::Delivered { .. } => round.delivered += 1,
                Settlement::Failed { .. } => round.failed += 1,
                Settlement::Retry { .. } => round.retried += 1,
                Settlement::Deferred { .. } => round.deferred += 1,
            }
        }
        if !settlements.is_empty() {
            let applied = store.outbox_settle(&self.owner, &settlements, now)?;
            round.lost_leases = applied.iter().filter(|a| !**a).count();
        }
        Ok(round)
    }

    /// Sends `claimed` (those their destination admits) and decides each settlement; writes
    /// nothing. (A test drops the result to play a dispatcher that died before settling.)
    pub fn attempt(
        &self,
        claimed: &[StoredMessage],
        transport: &dyn Transport,
        now: Timestamp,
    ) -> Vec<(u64, Settlement)> {
        let workers = self.settings.concurrency.clamp(1, CONCURRENCY_MAX);
        if workers == 1 || claimed.len() <= 1 {
            return self.attempt_in_turn(claimed, transport, now);
        }
        // A claim holds at most one message per ordering key, so the batch may go in any
        // order; each worker takes a contiguous share, and the shares are joined in order.
        let share = claimed.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = claimed
                .chunks(share)
                .map(|chunk| scope.spawn(move || self.attempt_in_turn(chunk, transport, now)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    }

    fn attempt_in_turn(
        &self,
        claimed: &[StoredMessage],
        transport: &dyn Transport,
        now: Timestamp,
    ) -> Vec<(u64, Settlement)> {
        let at = |millis: i64| Timestamp { unix_millis: millis, has_offset: true };
        let mut settlements = Vec::with_capacity(claimed.len());
        for message in claimed {
            let destination = message.message.destination.clone();
            let age = now.unix_millis - message.created_at.unix_millis;
            // The lock is not held while sending. The rate is asked only once the circuit
            // admits the message, and a half-open circuit's trial starts only once both do:
            // a trial that is not sent must not hold the circuit shut.
            let admitted = self.with_destination(&destination, |breaker, bucket| {
                let trial = breaker.check(now.unix_millis)?;
                bucket.take(now.unix_millis, &self.settings.rate)?;
                if trial {
                    breaker.start_trial();
                }
                Ok(())
            });
            if let Err(until) = admitted {
                // Held back, but not past its age: a destination down for days fails its
                // messages at their age, not one trial at a time.
                let settlement = if age >= self.settings.retry.max_age_ms {
                    Settlement::Failed {
                        error: format!(
                            "gave up after {} undelivered ({} attempts): the destination is unavailable",
                            duration(age),
                            message.attempts
                        ),
                    }
                } else {
                    Settlement::Deferred { at: at(until) }
                };
                settlements.push((message.id, settlement));
                continue;
            }
            let settlement = match transport.send(message) {
                Attempt::Delivered { receipt } => {
                    self.with_destination(&destination, |breaker, _| breaker.succeeded());
                    Settlement::Delivered { receipt }
                }
                Attempt::Rejected { code, reason } => {
                    // An answer: the destination is up.
                    self.with_destination(&destination, |breaker, _| breaker.succeeded());
                    Settlement::Failed { error: format!("rejected {code}: {reason}") }
                }
                Attempt::Transient { error } => {
                    let open_until = self.with_destination(&destination, |breaker, _| {
                        breaker.failed(now.unix_millis, &self.settings.breaker);
                        breaker.admit_after()
                    });
                    let attempt = message.attempts.saturating_add(1);
                    let retry = &self.settings.retry;
                    match (open_until, retry.delay_ms(attempt, &message.message.idempotency_key)) {
                        _ if age >= retry.max_age_ms => Settlement::Failed {
                            error: format!(
                                "gave up after {} undelivered ({attempt} attempts): {error}",
                                duration(age)
                            ),
                        },
                        // The destination is down, not this message: wait for it without
                        // spending the message's attempts.
                        (Some(until), _) => Settlement::Deferred { at: at(until) },
                        (None, Some(delay)) => Settlement::Retry {
                            error,
                            at: at(now.unix_millis.saturating_add_unsigned(delay)),
                        },
                        (None, None) => Settlement::Failed {
                            error: format!("gave up after {attempt} attempts: {error}"),
                        },
                    }
                }
            };
            settlements.push((message.id, settlement));
        }
        settlements
    }

    fn with_destination<R>(
        &self,
        destination: &str,
        f: impl FnOnce(&mut Breaker, &mut Bucket) -> R,
    ) -> R {
        // A poisoned lock only means a panic mid-update of a breaker: its state is still a
        // valid breaker, so go on with it.
        let mut destinations = self.destinations.lock().unwrap_or_else(|e| e.into_inner());
        let (breaker, bucket) = destinations.entry(destination.to_owned()).or_default();
        f(breaker, bucket)
    }
}

/// `millis` as whole hours, or minutes under two hours.
fn duration(millis: i64) -> String {
    if millis >= 2 * 3_600_000 {
        format!("{} hours", millis / 3_600_000)
    } else {
        format!("{} minutes", millis / 60_000)
    }
}

#[cfg(test)]
mod tests;
