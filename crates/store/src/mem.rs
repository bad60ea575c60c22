//! `MemStore`: everything in memory behind one `Mutex`, the reference implementation of
//! `Store` that the conformance suite is written against and app tests run on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

use serialhub_core::{Key, MemoryLedger, Outcome, SerialState, StateView};

use serialhub_epcis::Vocabulary;
use serialhub_epcis::time::Timestamp;

use crate::declare::Declarations;
use crate::master::{self, MasterData};
use crate::outbox::{
    self, MemoryOutbox, MessageFilter, NewMessage, NoRoute, OutboxCounts, Route, Settlement,
    StoredMessage,
};
use crate::{
    CaptureJob, CommitReceipt, EventRecord, ExceptionFilter, KnownField, Store, StoreError,
    StoredEvent, StoredException, ValuePage, capture,
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
    /// `bizLocation` and `readPoint` ids named, ordered (`known_values`).
    biz_locations: BTreeSet<String>,
    read_points: BTreeSet<String>,
    master: MasterData,
    outbox: MemoryOutbox,
    audit: crate::audit::AuditLog,
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
    /// Which events of `job` are new: not stored, and not repeated earlier in the job.
    fn fresh(&self, job: &CaptureJob) -> Vec<bool> {
        let mut seen: HashSet<&str> = HashSet::new();
        job.events
            .iter()
            .map(|c| {
                let hash = c.record.hash_id.as_str();
                !self.by_hash.contains_key(hash) && seen.insert(hash)
            })
            .collect()
    }

    /// Stores the fresh events of `job` with their exceptions; their changes are already in
    /// `ledger`.
    /// Adds one message unless its idempotency key is stored; returns its id if added.
    fn add_message(
        &mut self,
        message: NewMessage,
        event_seq: Option<u64>,
        now: Timestamp,
    ) -> Option<u64> {
        if self.outbox.has(&message.idempotency_key) {
            return None;
        }
        Some(self.outbox.add(message, event_seq, now))
    }

    fn record(
        &mut self,
        job: &CaptureJob,
        fresh: &[bool],
        at: Timestamp,
        route: &dyn Route,
    ) -> CommitReceipt {
        let mut receipt = CommitReceipt::default();
        for (captured, &fresh) in job.events.iter().zip(fresh) {
            let record = &captured.record;
            if !fresh {
                receipt.duplicates.push(record.hash_id.clone());
                continue;
            }
            let index = self.events.len();
            let seq = index as u64 + 1;
            for key in &record.keys {
                self.by_key.entry(key.clone()).or_default().push(index);
            }
            if let Some(l) = KnownField::BizLocation.location_of(record) {
                self.biz_locations.insert(l.to_owned());
            }
            if let Some(l) = KnownField::ReadPoint.location_of(record) {
                self.read_points.insert(l.to_owned());
            }
            self.by_hash.insert(record.hash_id.clone(), index);
            self.events.push(StoredEvent { seq, record: record.clone() });
            for violation in &captured.violations {
                self.exceptions.push(StoredException {
                    event_seq: seq,
                    event_hash_id: record.hash_id.clone(),
                    captured_at: at,
                    violation: violation.clone(),
                });
                receipt.exceptions += 1;
            }
            for message in route.route(record).into_iter().take(outbox::MESSAGES_PER_CALL_MAX) {
                receipt.messages.extend(self.add_message(message, Some(seq), at));
            }
            receipt.stored.push(record.hash_id.clone());
        }
        receipt
    }
}

impl Store for MemStore {
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError> {
        let mut inner = self.lock()?;
        let fresh = inner.fresh(job);
        // Validate everything first; after this nothing below can fail, so the writes that
        // follow are the whole job (the mutex hides them until they are all done).
        capture::validate(&inner.ledger, job, &fresh)?;
        for (captured, _) in job.events.iter().zip(&fresh).filter(|(_, fresh)| **fresh) {
            let outcome = Outcome {
                changes: captured.changes.clone(),
                violations: Vec::new(),
                superseded: Vec::new(),
            };
            inner.ledger.commit(&outcome);
        }
        Ok(inner.record(job, &fresh, job.captured_at.unwrap_or(crate::EPOCH), &NoRoute))
    }

    fn capture_routed(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
        route: &dyn Route,
    ) -> Result<CommitReceipt, StoreError> {
        let mut inner = self.lock()?;
        let inner = &mut *inner;
        let (events, by_key, by_hash) = (&inner.events, &inner.by_key, &inner.by_hash);
        let is_stored = |h: &str| by_hash.contains_key(h);
        let declarations = Declarations::gather(&batch, &is_stored, &mut |key, known| {
            let positions = by_key.get(key).map(Vec::as_slice).unwrap_or_default();
            let events = positions.iter().map(|&i| &events[i]);
            Ok(events.map(|e| (e.seq, (!known(e.seq)).then(|| e.clone()))).collect())
        })?;
        let decided = capture::decide(&mut inner.ledger, &is_stored, batch, now, &declarations);
        let fresh = inner.fresh(&decided.job);
        let mut receipt = inner.record(&decided.job, &fresh, now, route);
        receipt.late = decided.late;
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

    fn lot_units(&self, lot: &Key) -> Result<Vec<Key>, StoreError> {
        Ok(self.lock()?.ledger.units_of_lot(lot))
    }

    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.by_hash.contains_key(hash_id))
    }

    fn events(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.lock()?;
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner.events.iter().skip(start).take(limit).cloned().collect())
    }

    fn events_by_id(&self, id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        // The reference model scans: it is the contract, not the fast path.
        let inner = self.lock()?;
        Ok(inner
            .events
            .iter()
            .filter(|e| {
                crate::answers_to_hash(&e.record.hash_id, id)
                    || e.record.event.event_id.as_deref() == Some(id)
            })
            .cloned()
            .collect())
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.lock()?.events.len() as u64)
    }

    /// In value order; the cursor is the last value given.
    fn known_values(
        &self,
        field: KnownField,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ValuePage, StoreError> {
        let inner = self.lock()?;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let values: Vec<String> = match field {
            KnownField::Epc => inner
                .by_key
                .range((from.map(|after| Key::from_canonical(after.to_owned())), Bound::Unbounded))
                .take(limit.saturating_add(1))
                .map(|(k, _)| k.as_str().to_owned())
                .collect(),
            KnownField::BizLocation | KnownField::ReadPoint => {
                let set = match field {
                    KnownField::BizLocation => &inner.biz_locations,
                    _ => &inner.read_points,
                };
                set.range::<str, _>((from, Bound::Unbounded))
                    .take(limit.saturating_add(1))
                    .cloned()
                    .collect()
            }
        };
        Ok(ValuePage::keyed_by_value(values, limit))
    }

    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<(), StoreError> {
        master::merge(&mut self.lock()?.master, vocabularies);
        Ok(())
    }

    fn master_data(&self) -> Result<Vec<Vocabulary>, StoreError> {
        Ok(master::vocabularies(&self.lock()?.master))
    }

    fn outbox_enqueue(
        &self,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        let mut inner = self.lock()?;
        let added = messages
            .into_iter()
            .take(outbox::MESSAGES_PER_CALL_MAX)
            .filter_map(|m| inner.add_message(m, None, now))
            .collect();
        Ok(added)
    }

    fn outbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.lock()?.outbox.claim(owner, now, lease_until, limit))
    }

    fn outbox_settle(
        &self,
        owner: &str,
        settlements: &[(u64, Settlement)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        let mut inner = self.lock()?;
        let considered = outbox::first_of_each_id(settlements);
        let mut applied = Vec::with_capacity(settlements.len());
        for ((id, settlement), considered) in settlements.iter().zip(considered) {
            let holds = considered && inner.outbox.leased_to(*id, owner, now);
            if holds {
                inner.outbox.settle(*id, settlement, now);
            }
            applied.push(holds);
        }
        Ok(applied)
    }

    fn outbox_messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.lock()?.outbox.list(filter))
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        Ok(self.lock()?.outbox.counts())
    }

    fn audit_append(
        &self,
        drafts: Vec<crate::audit::AuditDraft>,
    ) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        crate::check_audit_drafts(&drafts)?;
        let mut inner = self.lock()?;
        let entries = inner.audit.link(drafts);
        inner.audit.push(entries.clone());
        Ok(entries)
    }

    fn audit_log(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        Ok(self.lock()?.audit.read(after, limit))
    }
}
