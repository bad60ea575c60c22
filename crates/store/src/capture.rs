//! The decision half of a capture: run the ledger over a batch of events in order, writing
//! each outcome into a `MemoryLedger` so that later events of the batch see earlier ones, and
//! keep what is needed to take it all back if persisting the job fails.
//!
//! Backends call `decide` under their write lock with the ledger they decide against (a
//! `MemStore`'s states; a PostgreSQL store's copy of the rows the batch touches) and persist
//! the returned `CaptureJob`; a backend whose persisting fails drops or reloads that ledger
//! (nothing here keeps copies to undo it: they cost a clone of every record changed).
//! `rollback` takes back changes a caller recorded itself (`Store::commit` of a hand-built job).

use std::collections::HashSet;

use serialhub_core::{
    Change, FxHashMap, Key, MemoryLedger, Outcome, SerialState, StateView, apply,
};
use serialhub_epcis::time::Timestamp;

use crate::declare::Declarations;
use crate::{CaptureJob, CapturedEvent, EventRecord, StoreError};

/// A decided batch: the job to persist.
#[derive(Debug, Default)]
pub struct Decided {
    /// The job; duplicates are in it with no changes and no violations.
    pub job: CaptureJob,
    /// How many events were late for at least one identifier they name (see
    /// `serialhub_core::ledger`, late events): stored, but not applied to those identifiers.
    pub late: usize,
    /// The container of each key the job changes, as it was before the job's first change of
    /// it (`None`: no record, or in no container). A store that indexes containment by
    /// container writes only what moved, without reading it back.
    pub containers_before: FxHashMap<Key, Option<Key>>,
}

/// The identifier the ledger names an event by in its evidence: its `eventID` when it has one
/// (what partners search by), its hash ID otherwise.
pub fn event_ref(record: &EventRecord) -> &str {
    record.event.event_id.as_deref().unwrap_or(&record.hash_id)
}

/// Decides `batch` against `ledger`, applying each fresh event's changes to it as it goes.
/// `is_stored` says whether a hash ID is already stored; such events, and repeats within the
/// batch, are duplicates and change nothing. A fresh error declaration changes what
/// `declarations` (gathered for this batch, `Declarations::gather`) says; with
/// `Declarations::default()` it changes nothing.
pub fn decide(
    ledger: &mut MemoryLedger,
    is_stored: &dyn Fn(&str) -> bool,
    batch: Vec<EventRecord>,
    now: Timestamp,
    declarations: &Declarations,
) -> Decided {
    let mut decided = Decided::default();
    decided.job.captured_at = Some(now);
    let mut seen: HashSet<String> = HashSet::new();
    // Which events of the job so far are fresh: a declaration replays those only.
    let mut fresh_so_far: Vec<bool> = Vec::new();
    for (at, record) in batch.into_iter().enumerate() {
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
            let changes = declarations.changes_at(at, ledger, earlier.map(|(c, _)| &c.record), now);
            note_containers(&mut decided.containers_before, ledger, &changes);
            ledger.commit_owned(changes.clone());
            decided.job.events.push(CapturedEvent { record, changes, violations: Vec::new() });
            continue;
        }
        let outcome = apply(ledger, &record.event, event_ref(&record), now);
        note_containers(&mut decided.containers_before, ledger, &outcome.changes);
        ledger.commit(&outcome);
        if !outcome.superseded.is_empty() {
            decided.late += 1;
        }
        let Outcome { changes, violations, .. } = outcome;
        decided.job.events.push(CapturedEvent { record, changes, violations });
    }
    decided
}

/// Notes the container of each key `changes` change that the job has not changed before, as
/// `ledger` holds it before they are written.
fn note_containers(
    before: &mut FxHashMap<Key, Option<Key>>,
    ledger: &MemoryLedger,
    changes: &[(Key, Change)],
) {
    for (key, _) in changes {
        if !before.contains_key(key) {
            let container = ledger.state(key).and_then(|state| state.parent.clone());
            before.insert(key.clone(), container);
        }
    }
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
                Change::Update(_) if !exists => {
                    return Err(StoreError::UpdateMissing(key.clone()));
                }
                Change::Remove if !exists => {
                    return Err(StoreError::RemoveMissing(key.clone()));
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
