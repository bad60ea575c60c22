//! `MemStore`: everything in memory behind one `Mutex`, the reference implementation of
//! `Store` that the conformance suite is written against and app tests run on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use serialhub_core::{Change, Key, MemoryLedger, Outcome, SerialState, StateView};

use crate::{
    CaptureJob, CommitReceipt, ExceptionFilter, Store, StoreError, StoredEvent, StoredException,
};

/// The in-memory store. Not durable: it lives as long as the value.
#[derive(Debug, Default)]
pub struct MemStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// States and the children index: the core's reference model, reused so the two cannot
    /// drift apart.
    ledger: MemoryLedger,
    /// Every stored event; `events[i].seq == i + 1`.
    events: Vec<StoredEvent>,
    /// Hash ID to position in `events`, for deduplication.
    by_hash: HashMap<String, usize>,
    /// Key to positions in `events`, ascending, for `history`.
    by_key: BTreeMap<Key, Vec<usize>>,
    exceptions: Vec<StoredException>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        // A poisoned lock means a writer panicked mid-commit; since `commit` validates before
        // it writes, the data is still whole, but say so rather than guess.
        self.inner.lock().map_err(|_| StoreError::Unavailable("lock poisoned".to_owned()))
    }
}

impl Inner {
    /// Checks every change of the non-duplicate events against the current records plus those
    /// the job itself creates, without writing: the first half of all-or-nothing.
    fn validate(&self, job: &CaptureJob, fresh: &[bool]) -> Result<(), StoreError> {
        let mut created: HashSet<&Key> = HashSet::new();
        for (captured, _) in job.events.iter().zip(fresh).filter(|(_, fresh)| **fresh) {
            for (key, change) in &captured.changes {
                let exists = created.contains(key) || self.ledger.state(key).is_some();
                match change {
                    Change::Create(_) if exists => {
                        return Err(StoreError::CreateExisting(key.clone()));
                    }
                    Change::Create(_) => {
                        created.insert(key);
                    }
                    Change::Update(_) if !exists => {
                        return Err(StoreError::UpdateMissing(key.clone()));
                    }
                    Change::Update(_) => {}
                }
            }
        }
        Ok(())
    }
}

impl Store for MemStore {
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError> {
        let mut inner = self.lock()?;
        // Which events are new: not stored, and not repeated earlier in this job.
        let mut seen: HashSet<&str> = HashSet::new();
        let fresh: Vec<bool> = job
            .events
            .iter()
            .map(|c| {
                let hash = c.record.hash_id.as_str();
                !inner.by_hash.contains_key(hash) && seen.insert(hash)
            })
            .collect();
        // Validate everything first; after this nothing below can fail, so the writes that
        // follow are the whole job (the mutex hides them until they are all done).
        inner.validate(job, &fresh)?;

        let mut receipt = CommitReceipt::default();
        for (captured, fresh) in job.events.iter().zip(fresh) {
            let record = &captured.record;
            if !fresh {
                receipt.duplicates.push(record.hash_id.clone());
                continue;
            }
            let index = inner.events.len();
            let seq = index as u64 + 1;
            let outcome = Outcome {
                changes: captured.changes.clone(),
                violations: Vec::new(),
                superseded: Vec::new(),
            };
            inner.ledger.commit(&outcome);
            for key in &record.keys {
                inner.by_key.entry(key.clone()).or_default().push(index);
            }
            inner.by_hash.insert(record.hash_id.clone(), index);
            inner.events.push(StoredEvent { seq, record: record.clone() });
            for violation in &captured.violations {
                inner.exceptions.push(StoredException {
                    event_seq: seq,
                    event_hash_id: record.hash_id.clone(),
                    violation: violation.clone(),
                });
                receipt.exceptions += 1;
            }
            receipt.stored.push(record.hash_id.clone());
        }
        Ok(receipt)
    }

    fn state(&self, key: &Key) -> Result<Option<SerialState>, StoreError> {
        Ok(self.lock()?.ledger.state(key).cloned())
    }

    fn children(&self, key: &Key) -> Result<Vec<Key>, StoreError> {
        Ok(self.lock()?.ledger.children(key))
    }

    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.lock()?;
        let positions = inner.by_key.get(key).map(Vec::as_slice).unwrap_or_default();
        Ok(positions.iter().map(|&i| inner.events[i].clone()).collect())
    }

    fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<StoredException>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.exceptions.iter().filter(|e| filter.matches(e)).cloned().collect())
    }

    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.by_hash.contains_key(hash_id))
    }
}
