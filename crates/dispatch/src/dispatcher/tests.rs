//! The dispatcher against a receiver that misbehaves on purpose (the in-process stand-in for
//! `regulator-sim`): faults at a rate, answers lost after the message was applied, rejections,
//! outages, a dispatcher dying between sending and settling. Each test runs on the reference
//! store and checks the outbox's promise: every message ends exactly once at the receiver or
//! as a failed message, none is lost, none is applied twice.

use std::collections::HashMap;
use std::sync::Mutex;

use serialhub_epcis::time::Timestamp;
use serialhub_store::outbox::{MessageFilter, MessageStatus, NewMessage, OutboxCounts};
use serialhub_store::{MemStore, Store};

use super::*;

fn at(millis: i64) -> Timestamp {
    Timestamp { unix_millis: 1_748_736_000_000 + millis, has_offset: true }
}

/// A receiver that applies each idempotency key once, and fails as it is told to.
#[derive(Debug, Default)]
struct Receiver {
    state: Mutex<ReceiverState>,
    /// Percentages of sends that fail before applying, that apply and then lose the answer,
    /// and the messages it rejects (those whose key ends in `-bad`).
    fail_before: u64,
    fail_after: u64,
    /// Until when (milliseconds after `at(0)`) it is down: every send fails.
    down_until: i64,
}

#[derive(Debug, Default)]
struct ReceiverState {
    /// Requests received, per key.
    requests: HashMap<String, u32>,
    /// Keys applied (each at most once).
    applied: HashMap<String, u32>,
    /// The seed of the fault draws.
    seed: u64,
    /// The time the dispatcher is at (the receiver is "down" by it).
    now: i64,
}

impl Receiver {
    fn draw(state: &mut ReceiverState) -> u64 {
        // xorshift64*: deterministic faults.
        let mut x = state.seed.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.seed = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) % 100
    }

    fn applied(&self, key: &str) -> u32 {
        self.state.lock().expect("lock").applied.get(key).copied().unwrap_or(0)
    }

    fn requests(&self) -> u32 {
        self.state.lock().expect("lock").requests.values().sum()
    }
}

impl Transport for Receiver {
    fn send(&self, message: &StoredMessage) -> Attempt {
        let mut state = self.state.lock().expect("lock");
        let key = message.message.idempotency_key.clone();
        *state.requests.entry(key.clone()).or_default() += 1;
        if state.now < self.down_until {
            return Attempt::Transient { error: "connection refused".to_owned() };
        }
        if key.ends_with("-bad") {
            return Attempt::Rejected {
                code: "E_PRODUCT".to_owned(),
                reason: "unknown product code".to_owned(),
            };
        }
        let draw = Receiver::draw(&mut state);
        if draw < self.fail_before {
            return Attempt::Transient { error: "503 service unavailable".to_owned() };
        }
        // Applied once per key, whatever the number of requests.
        let applied = state.applied.entry(key.clone()).or_default();
        *applied = (*applied).max(1);
        if draw < self.fail_before + self.fail_after {
            return Attempt::Transient { error: "timeout reading the acknowledgement".to_owned() };
        }
        Attempt::Delivered { receipt: format!("ack:{key}") }
    }
}

fn message(key: String, destination: &str) -> NewMessage {
    NewMessage {
        connector: "test".to_owned(),
        destination: destination.to_owned(),
        idempotency_key: key,
        ordering_key: None,
        payload: Vec::new(),
    }
}

/// Runs rounds, one simulated second apart, until nothing is pending (or `rounds_max`).
fn drain(store: &MemStore, dispatcher: &Dispatcher, receiver: &Receiver, rounds_max: usize) -> i64 {
    let mut now = 0;
    for _ in 0..rounds_max {
        receiver.state.lock().expect("lock").now = now;
        dispatcher.run_once(store, receiver, at(now)).expect("a round");
        if store.outbox_counts().expect("counts").pending == 0 {
            return now;
        }
        now += 1_000;
    }
    panic!("messages still pending after {rounds_max} rounds: {:?}", store.outbox_counts())
}

fn all(store: &MemStore) -> Vec<StoredMessage> {
    store.outbox_messages(&MessageFilter { limit: 100_000, ..Default::default() }).expect("lists")
}

#[test]
fn at_a_30_percent_fault_rate_every_message_ends_once_at_the_receiver_or_as_a_failure() {
    let store = MemStore::new();
    let mut messages: Vec<NewMessage> =
        (0..1_000).map(|i| message(format!("m-{i}"), &format!("party-{}", i % 7))).collect();
    messages.extend((0..20).map(|i| message(format!("m-{i}-bad"), "party-0")));
    store.outbox_enqueue(messages, at(0)).expect("enqueues");
    let receiver = Receiver {
        fail_before: 20,
        fail_after: 10,
        state: Mutex::new(ReceiverState { seed: 7, ..ReceiverState::default() }),
        ..Receiver::default()
    };
    let settings = Settings {
        batch: 200,
        retry: RetryPolicy {
            base_ms: 1_000,
            max_ms: 8_000,
            max_attempts: 30,
            ..RetryPolicy::default()
        },
        // Faults are spread, not an outage: keep the circuit out of this test.
        breaker: BreakerPolicy { threshold: 1_000, cooldown_ms: 1_000 },
        // Concurrent sends: the receiver's draws come in any order, and the promise holds.
        concurrency: 8,
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new("node-1", settings);
    drain(&store, &dispatcher, &receiver, 2_000);

    let counts = store.outbox_counts().expect("counts");
    assert_eq!(counts, OutboxCounts { pending: 0, delivered: 1_000, failed: 20 });
    for m in all(&store) {
        let key = &m.message.idempotency_key;
        match m.status {
            MessageStatus::Delivered => assert_eq!(receiver.applied(key), 1, "{key}"),
            MessageStatus::Failed => {
                assert!(key.ends_with("-bad"), "{key}: {:?}", m.last_error);
                assert_eq!(receiver.applied(key), 0);
                assert_eq!(
                    m.last_error.as_deref(),
                    Some("rejected E_PRODUCT: unknown product code")
                );
            }
            MessageStatus::Pending => unreachable!("drained"),
        }
    }
    // The faults happened: more requests than messages, and answers lost after applying
    // were retried without a second application.
    let requests = receiver.requests();
    assert!(requests > 1_300, "{requests} requests for 1,020 messages");
}

#[test]
fn a_dispatcher_dying_between_sending_and_settling_loses_nothing_and_applies_nothing_twice() {
    let store = MemStore::new();
    store
        .outbox_enqueue((0..50).map(|i| message(format!("m-{i}"), "hub")).collect(), at(0))
        .expect("enqueues");
    let receiver = Receiver::default();
    let settings = Settings { lease_ms: 30_000, batch: 20, ..Settings::default() };
    let dying = Dispatcher::new("node-1", settings);
    // node-1 claims and sends 20, then dies before settling: the results are dropped.
    let claimed = store.outbox_claim("node-1", at(0), at(30_000), 20).expect("claims");
    let sent = dying.attempt(&claimed, &receiver, at(0));
    assert_eq!(sent.len(), 20);
    drop(sent);
    // node-2 takes the rest at once, and node-1's 20 once their lease has run out.
    let survivor = Dispatcher::new("node-2", Settings { batch: 100, ..settings });
    let round = survivor.run_once(&store, &receiver, at(1_000)).expect("a round");
    assert_eq!((round.claimed, round.delivered), (30, 30));
    let round = survivor.run_once(&store, &receiver, at(31_000)).expect("a round");
    assert_eq!((round.claimed, round.delivered), (20, 20), "node-1's messages, sent again");
    assert_eq!(store.outbox_counts().expect("counts").delivered, 50);
    for i in 0..50 {
        assert_eq!(receiver.applied(&format!("m-{i}")), 1);
    }
    assert_eq!(receiver.requests(), 70, "20 sent twice, applied once");
    // node-1 comes back and settles what it had: its leases are gone, nothing changes.
    let late: Vec<(u64, Settlement)> =
        claimed.iter().map(|m| (m.id, Settlement::Failed { error: "late".to_owned() })).collect();
    let applied = store.outbox_settle("node-1", &late, at(32_000)).expect("settles");
    assert!(applied.iter().all(|a| !a));
    assert_eq!(store.outbox_counts().expect("counts").delivered, 50);
}

#[test]
fn an_outage_opens_the_circuit_and_its_messages_wait_without_spending_attempts() {
    let store = MemStore::new();
    store
        .outbox_enqueue((0..100).map(|i| message(format!("m-{i}"), "hub")).collect(), at(0))
        .expect("enqueues");
    // Down for the first 60 seconds.
    let receiver = Receiver { down_until: 60_000, ..Receiver::default() };
    let settings = Settings {
        batch: 100,
        retry: RetryPolicy {
            base_ms: 1_000,
            max_ms: 4_000,
            max_attempts: 5,
            ..RetryPolicy::default()
        },
        breaker: BreakerPolicy { threshold: 3, cooldown_ms: 10_000 },
        // One at a time: the first round's counts follow from the order of the failures.
        concurrency: 1,
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new("node-1", settings);
    let first = dispatcher.run_once(&store, &receiver, at(0)).expect("a round");
    // Two failures count as attempts; the third opens the circuit, and it and the rest wait.
    assert_eq!((first.retried, first.deferred), (2, 98), "three failures open the circuit");
    let ended = drain(&store, &dispatcher, &receiver, 500);
    assert!(ended >= 60_000, "delivered once the receiver is back ({ended} ms)");
    assert_eq!(store.outbox_counts().expect("counts").delivered, 100);
    // While down, about one trial per cooldown reached it: far fewer requests than
    // messages times attempts, and the outage spent no message's attempts.
    let requests = receiver.requests();
    assert!(requests < 130, "{requests} requests");
    assert!(
        all(&store).iter().all(|m| m.attempts <= 3),
        "{:?}",
        all(&store).iter().map(|m| m.attempts).max()
    );
}

#[test]
fn a_destination_rate_defers_what_is_over_it() {
    let store = MemStore::new();
    store
        .outbox_enqueue((0..40).map(|i| message(format!("m-{i}"), "hub")).collect(), at(0))
        .expect("enqueues");
    let receiver = Receiver::default();
    let settings = Settings {
        batch: 100,
        rate: RatePolicy { per_second: 10, burst: 5 },
        concurrency: 1,
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new("node-1", settings);
    let first = dispatcher.run_once(&store, &receiver, at(0)).expect("a round");
    assert_eq!((first.delivered, first.deferred), (5, 35), "the burst, then deferred");
    assert!(all(&store).iter().all(|m| m.attempts <= 1), "a deferral is not an attempt");
    // Each deferred message got a slot of its own: run the rounds at every 100 ms and count
    // how often messages were deferred again.
    let mut now = 0;
    let mut deferrals = first.deferred;
    while store.outbox_counts().expect("counts").pending > 0 {
        now += 100;
        deferrals += dispatcher.run_once(&store, &receiver, at(now)).expect("a round").deferred;
        assert!(now < 60_000);
    }
    assert!(now >= 3_000, "40 messages at 10 a second after a burst of 5: {now} ms");
    assert!(
        deferrals <= 40,
        "deferred {deferrals} times: a backlog spreads out, it does not churn"
    );
    assert_eq!(receiver.requests(), 40, "nothing over the rate was sent");
}

#[test]
fn a_message_undelivered_past_its_age_fails_even_through_an_outage() {
    let store = MemStore::new();
    store.outbox_enqueue(vec![message("old".to_owned(), "hub")], at(0)).expect("enqueues");
    let receiver = Receiver { down_until: i64::MAX, ..Receiver::default() };
    let settings = Settings {
        retry: RetryPolicy { max_age_ms: 120_000, ..RetryPolicy::default() },
        breaker: BreakerPolicy { threshold: 1, cooldown_ms: 30_000 },
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new("node-1", settings);
    drain(&store, &dispatcher, &receiver, 500);
    let failed = &all(&store)[0];
    assert_eq!(failed.status, MessageStatus::Failed);
    let error = failed.last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("gave up after 2 minutes undelivered"), "{error}");
}

#[test]
fn a_trial_held_back_by_the_rate_does_not_shut_the_circuit() {
    // Down at first; the circuit opens on the first failure, and its half-open trial comes
    // when no token is left: that message is deferred unsent, and a later one must still
    // be able to try.
    let store = MemStore::new();
    store
        .outbox_enqueue((0..5).map(|i| message(format!("m-{i}"), "hub")).collect(), at(0))
        .expect("enqueues");
    let receiver = Receiver { down_until: 400, ..Receiver::default() };
    let settings = Settings {
        rate: RatePolicy { per_second: 1, burst: 1 },
        breaker: BreakerPolicy { threshold: 1, cooldown_ms: 500 },
        concurrency: 1,
        ..Settings::default()
    };
    let dispatcher = Dispatcher::new("node-1", settings);
    let mut now = 0;
    while store.outbox_counts().expect("counts").pending > 0 {
        receiver.state.lock().expect("lock").now = now;
        dispatcher.run_once(&store, &receiver, at(now)).expect("a round");
        now += 100;
        assert!(now < 60_000, "the circuit never closed: {:?}", store.outbox_counts());
    }
    assert_eq!(store.outbox_counts().expect("counts").delivered, 5);
}
