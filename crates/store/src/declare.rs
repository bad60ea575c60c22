//! Error declarations at capture: an EPCIS event with `errorDeclaration` says that the event it
//! repeats did not happen as recorded, so capturing it takes that event's effects back.
//!
//! `Declarations::gather` runs before a batch is decided, under the backend's write lock. From
//! the keys the batch's fresh declarations name it walks the stored history (the backend's
//! `Store::history`) and the batch itself: every container those keys were ever packed into,
//! the contents of every container reached (so that a replayed packing finds its children),
//! and the lot of every unit reached (recalls decide what a replay may ship). What it reached
//! bounds the replay: `DECLARATION_EVENTS_MAX` stored events and `DECLARATION_KEYS_MAX` keys,
//! past which the batch is refused rather than replayed in part.
//!
//! A run of consecutive declarations in a batch (the workbench declares a whole group at once)
//! is one replay: `Declarations::changes_at` gives the whole run's changes at its first
//! declaration and none at the others. The replay (`serialhub_core::reverse`) leaves out every
//! declared event: those of the run, and those of earlier declarations, stored or in the batch.
//! Every record the walk reached is rebuilt: the replay holds the whole history of each. A
//! declaration whose event is not stored nor earlier in the batch takes nothing back and reads
//! nothing (the event, should it come later, applies as any event and stays applied). The
//! replay decides old events by today's rules: should a rule have changed since an event was
//! captured, a rebuilt record follows the rule of today.

use std::collections::{BTreeMap, HashMap, HashSet};

use serialhub_core::{Change, Key, MemoryLedger, lot_and_expiry, lot_key_of, reverse};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType};

use crate::capture::event_ref;
use crate::{EventRecord, StoreError, StoredEvent, hash_of_capture_id};

/// The most stored events the declarations of one batch may replay: a pallet's whole life with
/// its contents is a few thousand.
pub const DECLARATION_EVENTS_MAX: usize = 100_000;

/// The most identifiers the declarations of one batch may reach.
pub const DECLARATION_KEYS_MAX: usize = 50_000;

/// A backend's history of one key for `Declarations::gather`: the `seq` of every stored event
/// naming the key, in capture order, each with the event unless the predicate says it is known
/// already (then `None`: the walk has it, and the backend need not read or decode it again).
/// A backend whose index may list events of other keys (fingerprints) may return them with
/// `None` when known; the walk checks those itself.
pub type History<'h> = dyn FnMut(&Key, &dyn Fn(u64) -> bool) -> Result<Vec<(u64, Option<StoredEvent>)>, StoreError>
    + 'h;

/// What a batch's fresh error declarations need to be replayed.
#[derive(Debug, Default)]
pub struct Declarations {
    /// The stored events reached, in capture order.
    prior: Vec<StoredEvent>,
    /// Every key reached.
    reached: HashSet<Key>,
    /// The declarations of each run, by the batch position of the run's first one.
    runs: HashMap<usize, Vec<EventRecord>>,
}

impl Declarations {
    /// Finds the fresh declarations of `batch` (`is_stored` says which capture ids are stored;
    /// a repeat within the batch is not fresh) and what replaying them reads. Empty, at the
    /// cost of one scan, for a batch without declarations.
    pub fn gather(
        batch: &[EventRecord],
        is_stored: &dyn Fn(&str) -> bool,
        history: &mut History<'_>,
    ) -> Result<Declarations, StoreError> {
        if batch.iter().all(|r| r.event.error_declaration.is_none()) {
            return Ok(Declarations::default());
        }
        let mut runs: HashMap<usize, Vec<EventRecord>> = HashMap::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut run_start: Option<usize> = None;
        for (at, record) in batch.iter().enumerate() {
            let fresh = !is_stored(&record.hash_id) && seen.insert(&record.hash_id);
            if !fresh {
                // A duplicate is skipped by the capture: it neither ends nor joins a run.
                continue;
            }
            if record.event.error_declaration.is_none() {
                run_start = None;
                continue;
            }
            let start = *run_start.get_or_insert(at);
            runs.entry(start).or_default().push(record.clone());
        }
        if runs.is_empty() {
            return Ok(Declarations::default());
        }
        // The batch's events by the keys they name: the walk follows links made in the batch
        // as well as stored ones.
        let mut in_batch: HashMap<&Key, Vec<&Event>> = HashMap::new();
        for record in batch {
            for key in &record.keys {
                in_batch.entry(key).or_default().push(&record.event);
            }
        }
        let mut found: BTreeMap<u64, StoredEvent> = BTreeMap::new();
        let mut reached: HashSet<Key> = HashSet::new();
        // The walk starts from the declarations with something to take back: their event is
        // stored or in the batch. A stray declaration reads nothing.
        let in_batch_hashes: HashSet<&str> = batch.iter().map(|r| r.hash_id.as_str()).collect();
        let mut queue: Vec<Key> = runs
            .values()
            .flatten()
            .filter(|d| {
                let target = hash_of_capture_id(&d.hash_id);
                is_stored(target) || in_batch_hashes.contains(target)
            })
            .flat_map(|r| r.keys.iter().cloned())
            .collect();
        while let Some(key) = queue.pop() {
            if reached.contains(&key) {
                continue;
            }
            if reached.len() >= DECLARATION_KEYS_MAX {
                return Err(too_much(&key, "identifiers", DECLARATION_KEYS_MAX));
            }
            // Events read for an earlier key are not read and decoded again.
            let known = |seq: u64| found.contains_key(&seq);
            let named = history(&key, &known)?;
            let mut linked = Vec::new();
            for (seq, event) in &named {
                let event = match event {
                    Some(event) => event,
                    None => match found.get(seq) {
                        // The index may list another key's event (fingerprints): only those
                        // that name this key count.
                        Some(event) if event.record.keys.contains(&key) => event,
                        _ => continue,
                    },
                };
                linked.extend(links(&event.record.event, &key));
            }
            let batch_events = in_batch.get(&key).map(Vec::as_slice).unwrap_or_default();
            for event in batch_events {
                linked.extend(links(event, &key));
            }
            queue.extend(linked.into_iter().filter(|k| !reached.contains(k)));
            for (seq, event) in named {
                if let Some(event) = event {
                    found.entry(seq).or_insert(event);
                }
            }
            if found.len() > DECLARATION_EVENTS_MAX {
                return Err(too_much(&key, "stored events", DECLARATION_EVENTS_MAX));
            }
            reached.insert(key);
        }
        Ok(Declarations { prior: found.into_values().collect(), reached, runs })
    }

    /// Every identifier the walk reached: what a replay may read or rebuild (a backend that
    /// decides against a partial copy of the records loads these first).
    pub fn reached(&self) -> impl Iterator<Item = &Key> {
        self.reached.iter()
    }

    /// Whether the batch has no fresh declaration.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Whether a replay may read `record`: it names a key the walk reached. A backend that
    /// drops a batch's events as it captures them keeps these for `changes_at`.
    pub fn reaches(&self, record: &EventRecord) -> bool {
        !self.runs.is_empty() && record.keys.iter().any(|k| self.reached.contains(k))
    }

    /// The changes of the batch event at position `at`: for the first declaration of a run,
    /// the records its declared events touched rebuilt against `ledger` (the states as the
    /// batch's earlier events left them); empty for any other event. `earlier` are the batch's
    /// fresh events before `at` (those that `reaches` at least), in order.
    pub fn changes_at<'r>(
        &'r self,
        at: usize,
        ledger: &MemoryLedger,
        earlier: impl Iterator<Item = &'r EventRecord>,
        now: Timestamp,
    ) -> Vec<(Key, Change)> {
        let Some(run) = self.runs.get(&at) else { return Vec::new() };
        let mut events: Vec<&EventRecord> = self.prior.iter().map(|e| &e.record).collect();
        events.extend(earlier.filter(|r| self.reaches(r)));
        // The declared events that are there to take back; a declaration of anything else
        // takes nothing back.
        let targets: HashSet<&str> = run.iter().map(|d| hash_of_capture_id(&d.hash_id)).collect();
        let found: HashMap<&str, &EventRecord> = events
            .iter()
            .filter(|r| r.event.error_declaration.is_none() && targets.contains(r.hash_id.as_str()))
            .map(|r| (r.hash_id.as_str(), *r))
            .collect();
        if found.is_empty() {
            return Vec::new();
        }
        // An earlier declaration took back an event captured before it; one captured before
        // its event took nothing back, and that event stands (events are in capture order).
        let mut seen: HashSet<&str> = HashSet::new();
        let mut declared: HashSet<&str> = found.keys().copied().collect();
        for record in &events {
            if record.event.error_declaration.is_none() {
                seen.insert(&record.hash_id);
            } else if seen.contains(hash_of_capture_id(&record.hash_id)) {
                declared.insert(hash_of_capture_id(&record.hash_id));
            }
        }
        let declared_refs: HashSet<&str> = found.values().map(|r| event_ref(r)).collect();
        // Every record the walk reached is rebuilt, not only those the declared events named:
        // the replay holds the whole history of each, and taking an event back can change a
        // record it never named (a packing it made refused, now accepted).
        let mut keys: Vec<Key> = run
            .iter()
            .filter(|d| found.contains_key(hash_of_capture_id(&d.hash_id)))
            .flat_map(|d| d.keys.iter().cloned())
            .chain(self.reached.iter().cloned())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let history = events
            .iter()
            .filter(|r| {
                r.event.error_declaration.is_none() && !declared.contains(r.hash_id.as_str())
            })
            .map(|r| (&r.event, event_ref(r)));
        reverse(ledger, &keys, history, &declared_refs, now)
    }
}

/// The identifiers `event` links `key` to: the container a packing took it into, the contents
/// of a packing into it, and the lot of a unit it commissioned.
fn links(event: &Event, key: &Key) -> Vec<Key> {
    let mut linked = Vec::new();
    match (event.event_type, event.action) {
        (Some(EventType::AggregationEvent), Some(Action::Add)) => {
            let Some(parent) = event.parent_id.as_deref().map(Key::new) else { return linked };
            if parent == *key {
                linked.extend(event.epc_list.iter().map(|c| Key::new(c)));
            } else {
                linked.push(parent);
            }
        }
        (Some(EventType::ObjectEvent), Some(Action::Add))
        | (Some(EventType::TransformationEvent), _) => {
            if let (Some(lot), _) = lot_and_expiry(event)
                && let Some(lot_key) = lot_key_of(key, &lot)
            {
                linked.push(lot_key);
            }
        }
        _ => {}
    }
    linked
}

fn too_much(key: &Key, what: &str, max: usize) -> StoreError {
    StoreError::Refused(format!(
        "the error declarations of this batch reach {key} and more than {max} {what}: declare \
         fewer events at once"
    ))
}
