//! A store that fails the captures it is told to and passes everything else to another: for
//! testing what callers do with each way a capture can fail, without a real outage.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serialhub_core::{Key, SerialState};
use serialhub_epcis::Vocabulary;
use serialhub_epcis::time::Timestamp;

use crate::{
    CaptureJob, CommitReceipt, EventRecord, ExceptionFilter, KnownField, Store, StoreError,
    StoredEvent, StoredException, ValuePage, audit, outbox,
};

/// Passes every call to `inner`, except that the next captures fail with the errors queued by
/// `fail_next_captures`, one each, before reaching `inner` (so nothing of them is stored, even
/// when the error says it may be).
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    failures: Mutex<VecDeque<StoreError>>,
}

impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyStore").field("failures", &*self.queue()).finish_non_exhaustive()
    }
}

impl FaultyStore {
    /// A store over `inner` that fails nothing until told to.
    pub fn new(inner: Arc<dyn Store>) -> FaultyStore {
        FaultyStore { inner, failures: Mutex::new(VecDeque::new()) }
    }

    /// The next `errors.len()` captures fail with these errors, in order.
    pub fn fail_next_captures(&self, errors: impl IntoIterator<Item = StoreError>) {
        self.queue().extend(errors);
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<StoreError>> {
        // A test that panicked holding the queue has failed already; its queue is still valid.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for FaultyStore {
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError> {
        self.inner.commit(job)
    }

    fn capture_routed(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
        route: &dyn outbox::Route,
    ) -> Result<CommitReceipt, StoreError> {
        let failure = self.queue().pop_front();
        match failure {
            Some(error) => Err(error),
            None => self.inner.capture_routed(batch, now, route),
        }
    }

    fn state(&self, key: &Key) -> Result<Option<SerialState>, StoreError> {
        self.inner.state(key)
    }

    fn children(&self, key: &Key) -> Result<Vec<Key>, StoreError> {
        self.inner.children(key)
    }

    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.history(key)
    }

    fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<StoredException>, StoreError> {
        self.inner.exceptions(filter)
    }

    fn lot_units(&self, lot: &Key) -> Result<Vec<Key>, StoreError> {
        self.inner.lot_units(lot)
    }

    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError> {
        self.inner.has_event(hash_id)
    }

    fn events(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.events(from, limit)
    }

    fn events_by_id(&self, id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.events_by_id(id)
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        self.inner.last_seq()
    }

    fn known_values(
        &self,
        field: KnownField,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ValuePage, StoreError> {
        self.inner.known_values(field, after, limit)
    }

    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<(), StoreError> {
        self.inner.put_master_data(vocabularies)
    }

    fn master_data(&self) -> Result<Vec<Vocabulary>, StoreError> {
        self.inner.master_data()
    }

    fn outbox_enqueue(
        &self,
        messages: Vec<outbox::NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        self.inner.outbox_enqueue(messages, now)
    }

    fn outbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<outbox::StoredMessage>, StoreError> {
        self.inner.outbox_claim(owner, now, lease_until, limit)
    }

    fn outbox_settle(
        &self,
        owner: &str,
        settlements: &[(u64, outbox::Settlement)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        self.inner.outbox_settle(owner, settlements, now)
    }

    fn outbox_messages(
        &self,
        filter: &outbox::MessageFilter,
    ) -> Result<Vec<outbox::StoredMessage>, StoreError> {
        self.inner.outbox_messages(filter)
    }

    fn outbox_counts(&self) -> Result<outbox::OutboxCounts, StoreError> {
        self.inner.outbox_counts()
    }

    fn audit_append(
        &self,
        drafts: Vec<audit::AuditDraft>,
    ) -> Result<Vec<audit::AuditEntry>, StoreError> {
        self.inner.audit_append(drafts)
    }

    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<audit::AuditEntry>, StoreError> {
        self.inner.audit_log(after, limit)
    }
}
