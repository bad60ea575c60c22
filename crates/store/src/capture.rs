//! The decision half of a capture: run the ledger over a batch of events in order, writing
//! each outcome into a `MemoryLedger` so that later events of the batch see earlier ones, and
//! keep what is needed to take it all back if persisting the job fails.
//!
//! Backends call `decide` under their write lock with the ledger they decide against (a
//! `MemStore`'s states; a PostgreSQL store's copy of the rows the batch touches) and persist
//! the returned `CaptureJob`; a backend whose persisting fails drops or reloads that ledger
//! (nothing here keeps copies to undo it: they cost a clone of every record changed).
//! `rollback` takes back changes a caller recorded itself (`Store::commit` of a hand-built job).

use std::collections::{BTreeMap, HashSet};

use serialhub_core::{
    Change, Key, MemoryLedger, NESTING_DEPTH_MAX, Outcome, SerialState, StateView, apply,
    lot_key_of, reverse,
};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, EventType};

use crate::{CaptureJob, CapturedEvent, EventRecord, StoreError, StoredEvent, hash_of_capture_id};

/// The most stored events one batch's error declarations may replay (`gather`): a pallet's
/// whole life is a few dozen; past this the declarations are refused rather than replayed in
/// part.
pub const DECLARATION_HISTORY_MAX: usize = 100_000;

/// A decided batch: the job to persist.
#[derive(Debug, Default)]
pub struct Decided {
    /// The job; duplicates are in it with no changes and no violations.
    pub job: CaptureJob,
    /// How many events were late for at least one identifier they name (see
    /// `serialhub_core::ledger`, late events): stored, but not applied to those identifiers.
    pub late: usize,
}

/// The identifier the ledger names an event by in its evidence: its `eventID` when it has one
/// (what partners search by), its hash ID otherwise.
pub fn event_ref(record: &EventRecord) -> &str {
    record.event.event_id.as_deref().unwrap_or(&record.hash_id)
}

/// Decides `batch` against `ledger`, applying each fresh event's changes to it as it goes.
/// `is_stored` says whether a hash ID is already stored; such events, and repeats within the
/// batch, are duplicates and change nothing. `prior` is what `gather` found for the batch's
/// error declarations (empty when it has none): each fresh declaration's changes are
/// `serialhub_core::reverse` of the event it declares, replayed from `prior` and the batch's
/// earlier events.
pub fn decide(
    ledger: &mut MemoryLedger,
    is_stored: &dyn Fn(&str) -> bool,
    batch: Vec<EventRecord>,
    now: Timestamp,
    prior: &[StoredEvent],
) -> Decided {
    let mut decided = Decided::default();
    decided.job.captured_at = Some(now);
    let mut seen: HashSet<String> = HashSet::new();
    // Which events of the job so far are fresh: a declaration replays those only.
    let mut fresh_so_far: Vec<bool> = Vec::new();
    for record in batch {
        let fresh = !is_stored(&record.hash_id) && seen.insert(record.hash_id.clone());
        fresh_so_far.push(fresh);
        if !fresh {
            decided.job.events.push(CapturedEvent {
                record,
                changes: Vec::new(),
                violations: Vec::new(),
            });
            continue;
        }
        if record.event.error_declaration.is_some() {
            let earlier = decided.job.events.iter().zip(&fresh_so_far).filter(|(_, f)| **f);
            let earlier = earlier.map(|(c, _)| &c.record);
            let changes = reversal(ledger, &record, prior, earlier, now);
            ledger.commit_owned(changes.clone());
            decided.job.events.push(CapturedEvent { record, changes, violations: Vec::new() });
            continue;
        }
        let outcome = apply(ledger, &record.event, event_ref(&record), now);
        ledger.commit(&outcome);
        if !outcome.superseded.is_empty() {
            decided.late += 1;
        }
        let Outcome { changes, violations, .. } = outcome;
        decided.job.events.push(CapturedEvent { record, changes, violations });
    }
    decided
}

/// The changes of the error declaration `declaration`: the records of the keys it names
/// (the declared event's, which it repeats) rebuilt without every declared event, from the
/// stored events `prior` and the batch's `earlier` events naming what `gather` reached.
pub fn reversal<'r>(
    ledger: &MemoryLedger,
    declaration: &'r EventRecord,
    prior: &'r [StoredEvent],
    earlier: impl Iterator<Item = &'r EventRecord>,
    now: Timestamp,
) -> Vec<(Key, Change)> {
    let reached: HashSet<&Key> = prior.iter().flat_map(|e| &e.record.keys).collect();
    let mut events: Vec<&EventRecord> = prior.iter().map(|e| &e.record).collect();
    events
        .extend(earlier.filter(|r| {
            r.keys.iter().any(|k| reached.contains(k) || declaration.keys.contains(k))
        }));
    events.push(declaration);
    // Every event some declaration among them declares, this one's included; a declaration's
    // capture id carries the declared event's hash.
    let declared: HashSet<&str> = events
        .iter()
        .filter(|r| r.event.error_declaration.is_some())
        .map(|r| hash_of_capture_id(&r.hash_id))
        .collect();
    let history = events
        .iter()
        .filter(|r| r.event.error_declaration.is_none() && !declared.contains(r.hash_id.as_str()))
        .map(|r| (&r.event, event_ref(r)));
    reverse(ledger, &declaration.keys, history, now)
}

/// The keys the error declarations of `batch` name, without repeats: what `gather` starts
/// from. Empty for a batch without declarations, the usual case, at the cost of one scan.
pub fn declared_keys(batch: &[EventRecord]) -> Vec<Key> {
    let mut keys: Vec<Key> = batch
        .iter()
        .filter(|r| r.event.error_declaration.is_some())
        .flat_map(|r| r.keys.iter().cloned())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The stored events a reversal of declarations naming `keys` replays, in capture order: every
/// event naming one of them, one of the containers they were ever packed into (up to
/// `NESTING_DEPTH_MAX` levels), or the lot of a unit among them (its record in `ledger` says
/// which). `history` is the backend's `Store::history`. Refused past
/// `DECLARATION_HISTORY_MAX` events.
pub fn gather(
    keys: &[Key],
    ledger: &MemoryLedger,
    history: &mut dyn FnMut(&Key) -> Result<Vec<StoredEvent>, StoreError>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut found: BTreeMap<u64, StoredEvent> = BTreeMap::new();
    let mut visited: HashSet<Key> = HashSet::new();
    let mut level: Vec<Key> = keys.to_vec();
    for _ in 0..=NESTING_DEPTH_MAX {
        let mut next = Vec::new();
        for key in level {
            if !visited.insert(key.clone()) {
                continue;
            }
            if let Some(lot) = ledger.state(&key).and_then(|s| lot_key_of(&key, s.lot.as_deref()?))
                && !visited.contains(&lot)
            {
                next.push(lot);
            }
            for stored in history(&key)? {
                let event = &stored.record.event;
                // A packing that took `key` in as a child names the container it went into.
                if event.event_type == Some(EventType::AggregationEvent)
                    && event.action == Some(Action::Add)
                    && let Some(parent) = &event.parent_id
                {
                    let parent = Key::new(parent);
                    if parent != key && !visited.contains(&parent) {
                        next.push(parent);
                    }
                }
                found.entry(stored.seq).or_insert(stored);
            }
            if found.len() > DECLARATION_HISTORY_MAX {
                return Err(StoreError::Refused(format!(
                    "an error declaration naming {key} would replay more than \
                     {DECLARATION_HISTORY_MAX} events"
                )));
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(found.into_values().collect())
}

/// Restores `(key, previous record)` pairs in reverse: takes back changes a caller recorded
/// before applying them.
pub fn rollback(ledger: &mut MemoryLedger, undo: Vec<(Key, Option<SerialState>)>) {
    for (key, previous) in undo.into_iter().rev() {
        ledger.restore(key, previous);
    }
}

/// Checks every change of the fresh events of `job` against `view` plus the records the job
/// itself creates and removes, without writing: the first half of an all-or-nothing
/// `Store::commit`.
pub fn validate(view: &impl StateView, job: &CaptureJob, fresh: &[bool]) -> Result<(), StoreError> {
    // What the job did to a key so far: `true` created (or re-created), `false` removed.
    let mut done: std::collections::HashMap<&Key, bool> = std::collections::HashMap::new();
    for (captured, _) in job.events.iter().zip(fresh).filter(|(_, fresh)| **fresh) {
        for (key, change) in &captured.changes {
            let exists = done.get(key).copied().unwrap_or_else(|| view.state(key).is_some());
            match change {
                Change::Create(_) if exists => return Err(StoreError::CreateExisting(key.clone())),
                Change::Create(_) => {
                    done.insert(key, true);
                }
                Change::Update(_) | Change::Remove if !exists => {
                    return Err(StoreError::UpdateMissing(key.clone()));
                }
                Change::Update(_) => {}
                Change::Remove => {
                    done.insert(key, false);
                }
            }
        }
    }
    Ok(())
}
