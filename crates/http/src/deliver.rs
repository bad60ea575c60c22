//! Subscription delivery: one thread that, after each capture (streams) or at the seconds a
//! schedule names, runs each subscription's named query over the events captured since its
//! cursor and POSTs them to the subscriber as an EPCISQueryDocument, signed with
//! `GS1-Signature: sha256=<hex HMAC-SHA256 of the body>` under the subscriber's token.
//!
//! At least once: the cursor moves only after the subscriber answers 2xx (and is persisted
//! with the registry), so a subscriber that was down gets everything since its last
//! acknowledgement when it is back, in capture order; a delivery that was answered but whose
//! acknowledgement was not recorded (a crash in between) is sent again. A failing subscriber
//! is retried with exponential backoff up to `RETRY_DELAY_MAX`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serialhub_epcis::query::EventQuery;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{DocumentKind, Header};
use serialhub_store::{Store, StoredEvent};
use sha2::Sha256;

use crate::jobs::Clock;
use crate::log;
use crate::registry::{Registry, Subscription, Trigger};
use crate::visibility::Visibility;

/// Events per delivery, at most; more are sent in the next ones.
pub const DELIVERY_EVENTS_MAX: usize = 1_000;
/// Events examined per subscription per round, at most.
const SCAN_PER_ROUND_MAX: usize = 50_000;
/// The longest wait between retries of a failing subscriber.
const RETRY_DELAY_MAX: Duration = Duration::from_secs(300);
/// Batches sent in a row to one subscriber before the others get their turn.
const CATCH_UP_ROUNDS_MAX: usize = 100;
/// How long a subscriber may take to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Wakes the delivery thread and the WebSocket streams after a capture (or to stop).
#[derive(Debug)]
pub struct Wake {
    pending: Mutex<bool>,
    condvar: Condvar,
    /// Bumped after every capture that stored something; `STREAMS_CLOSED` when the server
    /// shuts down, which ends every WebSocket stream.
    captures: tokio::sync::watch::Sender<u64>,
}

/// The `Wake::captures` value that tells streams to close.
pub const STREAMS_CLOSED: u64 = u64::MAX;

impl Default for Wake {
    fn default() -> Wake {
        Wake {
            pending: Mutex::new(false),
            condvar: Condvar::new(),
            captures: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl Wake {
    /// Tells the delivery thread and the streams to look for new events now.
    pub fn notify(&self) {
        self.captures.send_modify(|n| {
            if *n != STREAMS_CLOSED {
                *n += 1;
            }
        });
        if let Ok(mut pending) = self.pending.lock() {
            *pending = true;
            self.condvar.notify_one();
        }
    }

    /// A receiver that changes after each capture.
    pub fn captures(&self) -> tokio::sync::watch::Receiver<u64> {
        self.captures.subscribe()
    }

    /// Ends every WebSocket stream (at shutdown).
    pub fn close_streams(&self) {
        self.captures.send_replace(STREAMS_CLOSED);
    }

    fn wait(&self, timeout: Duration) {
        let Ok(pending) = self.pending.lock() else { return };
        let Ok((mut pending, _)) = self.condvar.wait_timeout_while(pending, timeout, |p| !*p)
        else {
            return;
        };
        *pending = false;
    }
}

/// The delivery thread.
#[derive(Debug)]
pub struct Deliverer {
    wake: Arc<Wake>,
    stop: Arc<AtomicBool>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl Deliverer {
    /// Starts delivering the subscriptions of `registry`.
    pub fn start(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        (clock, keys): (Clock, Arc<crate::auth::KeyRing>),
        wake: Arc<Wake>,
        allow_private: bool,
    ) -> Deliverer {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = {
            let (wake, stop) = (wake.clone(), stop.clone());
            std::thread::Builder::new()
                .name("deliver".to_owned())
                .spawn(move || {
                    run(store.as_ref(), &registry, (&clock, &keys), &wake, &stop, allow_private)
                })
                .expect("spawning the delivery thread")
        };
        Deliverer { wake, stop, handle: Mutex::new(Some(handle)) }
    }

    /// Stops the thread after its current delivery.
    pub fn shut_down(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify();
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// A failing subscriber's retry state.
struct Backoff {
    failures: u32,
    next_attempt_ms: i64,
}

fn run(
    store: &dyn Store,
    registry: &Registry,
    (clock, keys): (&Clock, &crate::auth::KeyRing),
    wake: &Wake,
    stop: &AtomicBool,
    allow_private: bool,
) {
    // No redirects: a destination checked as public must not send the delivery elsewhere.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(DELIVERY_TIMEOUT))
        .max_redirects(0)
        .build()
        .into();
    let mut backoff: HashMap<String, Backoff> = HashMap::new();
    let mut last_second = clock().unix_millis.div_euclid(1000);
    while !stop.load(Ordering::SeqCst) {
        wake.wait(Duration::from_millis(500));
        let now = clock();
        let second = now.unix_millis.div_euclid(1000);
        // The schedule seconds passed since the last round (at most an hour's worth after a
        // long pause, so that a stopped clock cannot make this loop long).
        let passed: Vec<i64> = ((last_second + 1).max(second - 3600)..=second).collect();
        last_second = last_second.max(second);
        for subscription in registry.subscriptions(None) {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            if backoff.get(&subscription.id).is_some_and(|b| b.next_attempt_ms > now.unix_millis) {
                continue;
            }
            let due = match &subscription.trigger {
                Trigger::Stream => true,
                Trigger::Schedule(schedule) => passed.iter().any(|s| schedule.fires_at(*s)),
            };
            // A subscription lives no longer than the key that made it.
            if !due || !keys.still_valid(&subscription.owner_key) {
                continue;
            }
            // Checked again at each delivery: the name may resolve elsewhere by now.
            let checked = crate::destination::check(&subscription.dest, allow_private);
            // A firing (or a capture) delivers everything outstanding, in batches: a daily
            // schedule with a large backlog must not fall further behind every day.
            let delivered = checked.and_then(|()| {
                let mut rounds = 0;
                while deliver(store, registry, &agent, &subscription.id, now)?
                    && rounds < CATCH_UP_ROUNDS_MAX
                {
                    rounds += 1;
                }
                Ok(())
            });
            match delivered {
                Ok(()) => {
                    backoff.remove(&subscription.id);
                }
                Err(error) => {
                    let entry = backoff
                        .entry(subscription.id.clone())
                        .or_insert(Backoff { failures: 0, next_attempt_ms: 0 });
                    entry.failures += 1;
                    let delay =
                        Duration::from_secs(1u64 << entry.failures.min(9)).min(RETRY_DELAY_MAX);
                    entry.next_attempt_ms = now.unix_millis + delay.as_millis() as i64;
                    log::warn(
                        "subscription delivery failed; will retry",
                        &[
                            ("subscription_id", subscription.id.as_str().into()),
                            ("dest", crate::destination::for_log(&subscription.dest).into()),
                            ("error", error.into()),
                            ("retry_in_s", delay.as_secs().into()),
                        ],
                    );
                }
            }
        }
    }
}

/// One delivery round for `subscription`: the matching events after its cursor, sent (or the
/// cursor moved past events that do not match).
/// Returns whether more may be waiting (the batch was full).
fn deliver(
    store: &dyn Store,
    registry: &Registry,
    agent: &ureq::Agent,
    id: &str,
    now: Timestamp,
) -> Result<bool, String> {
    // Read again each batch: the cursor moved with the last one.
    let Some(subscription) = registry.subscriptions(None).into_iter().find(|s| s.id == id) else {
        return Ok(false); // deleted under us
    };
    let subscription = &subscription;
    let Some(named) = registry.query(&subscription.query) else {
        return Ok(false); // deleted under us; its subscriptions go with it
    };
    let mut params = named.params.clone();
    if let Some(initial) = &subscription.initial_record_time {
        params.push(("GE_recordTime".to_owned(), initial.clone()));
    }
    let mut query = EventQuery::parse(params.iter().map(|(n, v)| (n.as_str(), v.as_str())), &[])
        .map_err(|e| format!("the named query no longer parses: {e}"))?;
    let visibility = Visibility::for_party(subscription.party.clone());
    // Each round: master data captured since the last one counts from now on.
    serialhub_store::master::resolve(store, &mut query, visibility.party())
        .map_err(|e| e.to_string())?;
    let mut matched: Vec<StoredEvent> = Vec::new();
    let mut cursor = subscription.cursor;
    let mut examined = 0usize;
    while matched.len() < DELIVERY_EVENTS_MAX && examined < SCAN_PER_ROUND_MAX {
        let batch = store.events(cursor + 1, 1_000).map_err(|e| e.to_string())?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            cursor = event.seq;
            examined += 1;
            if query.matches(&event.record.event) && visibility.sees(&event) {
                matched.push(event);
                if matched.len() >= DELIVERY_EVENTS_MAX {
                    break;
                }
            }
        }
    }
    let scheduled_report =
        matches!(subscription.trigger, Trigger::Schedule(_)) && subscription.report_if_empty;
    if matched.is_empty() && !scheduled_report {
        if cursor > subscription.cursor {
            registry.advance(&subscription.id, cursor, None).map_err(|e| e.to_string())?;
        }
        // Examined a full round without a match: there may be more to examine.
        return Ok(examined >= SCAN_PER_ROUND_MAX);
    }
    let body = document(&matched, subscription, now)?;
    let mut request = agent
        .post(&subscription.dest)
        .header("Content-Type", "application/ld+json")
        .header("GS1-EPCIS-Version", "2.0.0")
        .header("GS1-CBV-Version", "2.0.0");
    if let Some(secret) = &subscription.secret {
        request = request.header("GS1-Signature", signature(secret, &body));
    }
    let response = request.send(&body[..]).map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(format!("the subscriber answered {status}"));
    }
    registry
        .advance(&subscription.id, cursor, Some(now.to_utc_millis_string()))
        .map_err(|e| e.to_string())?;
    log::info(
        "subscription delivered",
        &[
            ("subscription_id", subscription.id.as_str().into()),
            ("events", matched.len().into()),
            ("cursor", cursor.into()),
        ],
    );
    Ok(matched.len() >= DELIVERY_EVENTS_MAX || examined >= SCAN_PER_ROUND_MAX)
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // Invariant: HMAC takes keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn document(
    events: &[StoredEvent],
    subscription: &Subscription,
    now: Timestamp,
) -> Result<Vec<u8>, String> {
    let header = Header {
        kind: DocumentKind::EpcisQueryDocument,
        schema_version: Some("2.0".to_owned()),
        creation_date: Some(now.to_utc_millis_string()),
        query_name: Some(subscription.query.clone()),
        subscription_id: Some(subscription.id.clone()),
        ..Header::default()
    };
    let mut w = serialhub_epcis::json::write::JsonLdWriter::new(Vec::new());
    w.begin(&header).map_err(|e| e.to_string())?;
    for event in events {
        w.event(&event.record.event).map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
