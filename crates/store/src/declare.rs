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
//! A declaration whose event is not stored nor earlier in the batch takes nothing back (the
//! event, should it come later, applies as any event).

use std::collections::{BTreeMap, HashMap, HashSet};

use serialhub_core::{Change, Key, MemoryLedger, lot_key_of, reverse};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Content, Event, EventType};

use crate::capture::event_ref;
use crate::{EventRecord, StoreError, StoredEvent, hash_of_capture_id};

/// The most stored events the declarations of one batch may replay: a pallet's whole life with
/// its contents is a few thousand.
pub const DECLARATION_EVENTS_MAX: usize = 100_000;

/// The most identifiers the declarations of one batch may reach.
pub const DECLARATION_KEYS_MAX: usize = 50_000;

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
        history: &mut dyn FnMut(&Key) -> Result<Vec<StoredEvent>, StoreError>,
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
        let mut queue: Vec<Key> =
            runs.values().flatten().flat_map(|r| r.keys.iter().cloned()).collect();
        while let Some(key) = queue.pop() {
            if reached.contains(&key) {
                continue;
            }
            if reached.len() >= DECLARATION_KEYS_MAX {
                return Err(too_much(&key, "identifiers", DECLARATION_KEYS_MAX));
            }
            let stored = history(&key)?;
            let batch_events = in_batch.get(&key).map(Vec::as_slice).unwrap_or_default();
            for event in stored.iter().map(|s| &s.record.event).chain(batch_events.iter().copied())
            {
                for linked in links(event, &key) {
                    if !reached.contains(&linked) {
                        queue.push(linked);
                    }
                }
            }
            for event in stored {
                found.entry(event.seq).or_insert(event);
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
        let declared: HashSet<&str> = events
            .iter()
            .filter(|r| r.event.error_declaration.is_some())
            .map(|r| hash_of_capture_id(&r.hash_id))
            .chain(found.keys().copied())
            .collect();
        let declared_refs: HashSet<&str> = found.values().map(|r| event_ref(r)).collect();
        let keys: Vec<Key> = run
            .iter()
            .filter(|d| found.contains_key(hash_of_capture_id(&d.hash_id)))
            .flat_map(|d| d.keys.iter().cloned())
            .collect();
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
            if let Some(lot) = ilmd_lot(event)
                && let Some(lot_key) = lot_key_of(key, &lot)
            {
                linked.push(lot_key);
            }
        }
        _ => {}
    }
    linked
}

/// The `lotNumber` of an event's ILMD.
fn ilmd_lot(event: &Event) -> Option<String> {
    event.ilmd.iter().flatten().find_map(|element| {
        let cbv = element.name.namespace.trim_end_matches(':') == "urn:epcglobal:cbv:mda";
        (cbv && element.name.local == "lotNumber")
            .then(|| Content::text(&element.content).map(|t| t.into_owned()))
            .flatten()
    })
}

fn too_much(key: &Key, what: &str, max: usize) -> StoreError {
    StoreError::Refused(format!(
        "the error declarations of this batch reach {key} and more than {max} {what}: declare \
         fewer events at once"
    ))
}
