//! The durable outbox: outbound messages (a report to a regulator, a shipment file to a
//! trading partner, a webhook) as records a store keeps beside the events that caused them.
//!
//! A message caused by captured events is written in the same commit as those events
//! (`Store::capture_routed` asks a `Route` which messages each fresh event causes), so a crash
//! never leaves an event without its message nor a message without its event. Others (a
//! resubmission, a correction) are added with `Store::outbox_enqueue`. Delivery is the
//! dispatcher's: it claims due messages under a lease (`Store::outbox_claim`), sends them, and
//! settles each (`Store::outbox_settle`): delivered, failed for good, or retried at a time it
//! chose. A lease that runs out (the dispatcher died) makes the message claimable again, so a
//! message is delivered at least once; its `idempotency_key` goes with every attempt, so that
//! the receiver applies it once.
//!
//! Ordering: messages with the same `ordering_key` (a regime that needs a destination's
//! messages in order) are claimable one at a time, oldest first: a later one waits while an
//! earlier one is pending or leased. A message failed for good no longer holds the others
//! back: it becomes an exception, and its correction is a new message.

use serialhub_epcis::time::Timestamp;

use crate::EventRecord;

/// The most messages one event may cause, one capture job may add, or one call may claim,
/// settle or list: every batch has a bound.
pub const MESSAGES_PER_CALL_MAX: usize = 100_000;

/// A message to send, as a route or a caller makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The connector that delivers it (`[[connector]] name`).
    pub connector: String,
    /// Who it goes to (a party GLN, a market, a URL): what rate limits, circuit breakers and
    /// the outbox list group by.
    pub destination: String,
    /// Unique per message in a store, sent with every attempt. Adding a message whose key is
    /// stored already adds nothing (a capture retried after a crash causes no second message).
    pub idempotency_key: String,
    /// Messages with the same key are delivered one at a time, in the order added.
    pub ordering_key: Option<String>,
    /// What the connector needs to build the request (for a shipment report, the shipping
    /// event's hash ID and the party; the documents themselves are built at delivery).
    pub payload: Vec<u8>,
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Waiting for `next_attempt_at`, or leased to a dispatcher until `lease_until`.
    Pending,
    /// The receiver took it.
    Delivered,
    /// Failed for good (rejected, or out of attempts): an exception.
    Failed,
}

impl MessageStatus {
    /// A stable name (API, SQL).
    pub fn name(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
        }
    }

    /// The status of `name`.
    pub fn from_name(name: &str) -> Option<MessageStatus> {
        match name {
            "pending" => Some(MessageStatus::Pending),
            "delivered" => Some(MessageStatus::Delivered),
            "failed" => Some(MessageStatus::Failed),
            _ => None,
        }
    }
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its number: increasing in the order messages were added, never reused.
    pub id: u64,
    /// The message.
    pub message: NewMessage,
    /// The `seq` of the event that caused it, if an event did.
    pub event_seq: Option<u64>,
    /// When it was added.
    pub created_at: Timestamp,
    /// Where it is.
    pub status: MessageStatus,
    /// Attempts settled so far (a claim whose lease ran out is not counted).
    pub attempts: u32,
    /// When it may be claimed (pending messages).
    pub next_attempt_at: Timestamp,
    /// The dispatcher holding it and until when, while leased.
    pub lease: Option<(String, Timestamp)>,
    /// The last attempt's error, if it failed.
    pub last_error: Option<String>,
    /// What the receiver answered when it took the message (an acknowledgement id).
    pub receipt: Option<String>,
    /// When it was delivered or failed for good.
    pub settled_at: Option<Timestamp>,
}

/// How an attempt ended (`Store::outbox_settle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// Delivered; the receiver's acknowledgement.
    Delivered {
        /// The acknowledgement, as the receiver gave it.
        receipt: String,
    },
    /// Not delivered; try again at `at` (the dispatcher's backoff).
    Retry {
        /// Why it failed.
        error: String,
        /// When to try again.
        at: Timestamp,
    },
    /// Not delivered, and never will be as it is.
    Failed {
        /// Why.
        error: String,
    },
    /// Not sent: the dispatcher held it back (the destination's circuit is open, or its rate
    /// is used up) until `at`. Not an attempt: `attempts` and `last_error` do not change.
    Deferred {
        /// When it may go.
        at: Timestamp,
    },
}

/// Which messages `Store::outbox_messages` lists; `None` fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only this status.
    pub status: Option<MessageStatus>,
    /// Only this connector.
    pub connector: Option<String>,
    /// Only this destination.
    pub destination: Option<String>,
    /// Only messages numbered above this (paging).
    pub after: Option<u64>,
    /// At most this many (capped at `MESSAGES_PER_CALL_MAX`).
    pub limit: usize,
}

impl MessageFilter {
    /// Whether `message` passes the filter (the limit aside).
    pub fn matches(&self, message: &StoredMessage) -> bool {
        self.status.is_none_or(|s| message.status == s)
            && self.connector.as_deref().is_none_or(|c| message.message.connector == c)
            && self.destination.as_deref().is_none_or(|d| message.message.destination == d)
            && self.after.is_none_or(|a| message.id > a)
    }
}

/// How many messages are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Pending, leased or not.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed for good.
    pub failed: u64,
}

/// Which messages a captured event causes: the connectors' routing, asked by
/// `Store::capture_routed` for each fresh event, inside the commit. Pure and quick: it runs
/// under the store's write lock.
pub trait Route: Send + Sync {
    /// The messages `record` causes (at most `MESSAGES_PER_CALL_MAX`).
    fn route(&self, record: &EventRecord) -> Vec<NewMessage>;
}

/// The route of a store without connectors: no messages.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRoute;

impl Route for NoRoute {
    fn route(&self, _record: &EventRecord) -> Vec<NewMessage> {
        Vec::new()
    }
}

/// The message state machine every backend applies, so that they cannot drift apart: what a
/// claim and a settlement do to a stored message.
impl StoredMessage {
    /// A new pending message, due at once.
    pub fn new(id: u64, message: NewMessage, event_seq: Option<u64>, now: Timestamp) -> Self {
        StoredMessage {
            id,
            message,
            event_seq,
            created_at: now,
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            lease: None,
            last_error: None,
            receipt: None,
            settled_at: None,
        }
    }

    /// Whether a dispatcher may claim it at `now` (its ordering aside): pending, due, and not
    /// leased to anyone, or leased with the lease run out.
    pub fn claimable(&self, now: Timestamp) -> bool {
        self.status == MessageStatus::Pending
            && self.next_attempt_at.unix_millis <= now.unix_millis
            && self.lease.as_ref().is_none_or(|(_, until)| until.unix_millis <= now.unix_millis)
    }

    /// Leases it to `owner` until `until`.
    pub fn claim(&mut self, owner: &str, until: Timestamp) {
        debug_assert_eq!(self.status, MessageStatus::Pending);
        self.lease = Some((owner.to_owned(), until));
    }

    /// Whether `owner` holds its lease at `now`.
    pub fn leased_to(&self, owner: &str, now: Timestamp) -> bool {
        self.status == MessageStatus::Pending
            && self
                .lease
                .as_ref()
                .is_some_and(|(o, until)| o == owner && until.unix_millis > now.unix_millis)
    }

    /// Applies how an attempt ended, at `now`.
    pub fn settle(&mut self, settlement: &Settlement, now: Timestamp) {
        self.lease = None;
        if let Settlement::Deferred { at } = settlement {
            self.next_attempt_at = *at;
            return;
        }
        self.attempts = self.attempts.saturating_add(1);
        match settlement {
            Settlement::Delivered { receipt } => {
                self.status = MessageStatus::Delivered;
                self.receipt = Some(receipt.clone());
                self.settled_at = Some(now);
            }
            Settlement::Retry { error, at } => {
                self.last_error = Some(error.clone());
                self.next_attempt_at = *at;
            }
            Settlement::Failed { error } => {
                self.status = MessageStatus::Failed;
                self.last_error = Some(error.clone());
                self.settled_at = Some(now);
            }
            Settlement::Deferred { .. } => {}
        }
    }
}

/// Picks the messages a claim takes from `candidates` (every unsettled message, in id order):
/// claimable ones, at most one per ordering key and only that key's oldest unsettled message,
/// at most `limit`. Shared by the backends that hold messages in memory.
pub fn choose_claims<'m>(
    candidates: impl IntoIterator<Item = &'m StoredMessage>,
    now: Timestamp,
    limit: usize,
) -> Vec<u64> {
    let mut blocked: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut chosen = Vec::new();
    for message in candidates {
        if chosen.len() >= limit {
            break;
        }
        if message.status != MessageStatus::Pending {
            continue;
        }
        let key = message.message.ordering_key.as_deref();
        if let Some(key) = key
            && !blocked.insert(key)
        {
            continue; // an earlier message of the key is unsettled
        }
        if message.claimable(now) {
            chosen.push(message.id);
        }
    }
    chosen
}

/// Which of `settlements` a store considers: the first of each id (a repeat in one call is
/// not applied, and answered `false`), at most `MESSAGES_PER_CALL_MAX`.
pub fn first_of_each_id(settlements: &[(u64, Settlement)]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    settlements
        .iter()
        .enumerate()
        .map(|(i, (id, _))| i < MESSAGES_PER_CALL_MAX && seen.insert(*id))
        .collect()
}

/// The counts of `messages` by status.
pub fn counts<'m>(messages: impl IntoIterator<Item = &'m StoredMessage>) -> OutboxCounts {
    let mut counts = OutboxCounts::default();
    for message in messages {
        match message.status {
            MessageStatus::Pending => counts.pending += 1,
            MessageStatus::Delivered => counts.delivered += 1,
            MessageStatus::Failed => counts.failed += 1,
        }
    }
    counts
}

/// The outbox in memory: every message by id, the idempotency keys, and the unsettled ones.
/// The reference store keeps its outbox in one; the embedded store too (its journal holds
/// what rebuilds it). Durability is the caller's: this type only applies the rules.
#[derive(Clone, Debug, Default)]
pub struct MemoryOutbox {
    /// `messages[i].id == i + 1`.
    messages: Vec<StoredMessage>,
    keys: std::collections::HashMap<String, u64>,
    unsettled: std::collections::BTreeSet<u64>,
    /// Kept as messages change, so that counting reads no message.
    counts: OutboxCounts,
}

impl MemoryOutbox {
    /// Whether a message with this idempotency key is stored.
    pub fn has(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Adds a message whose key is not stored (check `has` first); returns its id.
    pub fn add(&mut self, message: NewMessage, event_seq: Option<u64>, now: Timestamp) -> u64 {
        debug_assert!(!self.has(&message.idempotency_key));
        let id = self.messages.len() as u64 + 1;
        self.keys.insert(message.idempotency_key.clone(), id);
        self.messages.push(StoredMessage::new(id, message, event_seq, now));
        self.unsettled.insert(id);
        self.counts.pending += 1;
        id
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut StoredMessage> {
        self.messages.get_mut(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    /// Leases up to `limit` claimable messages to `owner` (`choose_claims`); returns them.
    pub fn claim(
        &mut self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Vec<StoredMessage> {
        let chosen = {
            let messages = &self.messages;
            let unsettled = self.unsettled.iter().map(|id| &messages[*id as usize - 1]);
            choose_claims(unsettled, now, limit.min(MESSAGES_PER_CALL_MAX))
        };
        let mut claimed = Vec::with_capacity(chosen.len());
        for id in chosen {
            if let Some(message) = self.get_mut(id) {
                message.claim(owner, lease_until);
                claimed.push(message.clone());
            }
        }
        claimed
    }

    /// Whether `owner` holds message `id`'s lease at `now` (an unknown id: no).
    pub fn leased_to(&self, id: u64, owner: &str, now: Timestamp) -> bool {
        let index = usize::try_from(id).ok().and_then(|i| i.checked_sub(1));
        index.and_then(|i| self.messages.get(i)).is_some_and(|m| m.leased_to(owner, now))
    }

    /// Applies a settlement (decided, and made durable, by the caller).
    pub fn settle(&mut self, id: u64, settlement: &Settlement, now: Timestamp) {
        let Some(message) = self.get_mut(id) else { return };
        let before = message.status;
        message.settle(settlement, now);
        let after = message.status;
        if before == MessageStatus::Pending && after != MessageStatus::Pending {
            self.unsettled.remove(&id);
            self.counts.pending -= 1;
            match after {
                MessageStatus::Delivered => self.counts.delivered += 1,
                MessageStatus::Failed => self.counts.failed += 1,
                MessageStatus::Pending => {}
            }
        }
    }

    /// The messages passing `filter`, in id order. Pending ones are read from the unsettled
    /// set, not by walking every message ever delivered.
    pub fn list(&self, filter: &MessageFilter) -> Vec<StoredMessage> {
        let limit = filter.limit.min(MESSAGES_PER_CALL_MAX);
        if filter.status == Some(MessageStatus::Pending) {
            let from = filter.after.map_or(0, |a| a.saturating_add(1));
            return self
                .unsettled
                .range(from..)
                .map(|id| &self.messages[*id as usize - 1])
                .filter(|m| filter.matches(m))
                .take(limit)
                .cloned()
                .collect();
        }
        let start = filter.after.map_or(0, |a| usize::try_from(a).unwrap_or(usize::MAX));
        self.messages
            .iter()
            .skip(start)
            .filter(|m| filter.matches(m))
            .take(limit)
            .cloned()
            .collect()
    }

    /// How many messages are in each status.
    pub fn counts(&self) -> OutboxCounts {
        debug_assert_eq!(self.counts, counts(&self.messages));
        self.counts
    }
}
