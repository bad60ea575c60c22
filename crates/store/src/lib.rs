//! The storage port of the serial ledger: the `Store` trait every backend implements, the
//! records it keeps (events, states, exceptions), `mem::MemStore` as the reference
//! implementation, and `conformance::run_all`, the one suite every backend must pass.
//!
//! A capture job is the unit of durability: its events, the state changes the ledger decided
//! for them (`serialhub_core::Outcome::changes`) and the exceptions it found commit together or
//! not at all, so a reader never sees a state without the event that explains it.
//! SQL and files belong to adapters; nothing here does IO.

#![warn(missing_docs)]

pub mod audit;
pub mod capture;
pub mod codec;
pub mod conformance;
pub mod declare;
pub mod faulty;
pub mod master;
pub mod mem;
pub mod outbox;
pub mod query;

use serialhub_core::{Change, ExceptionType, Key, SerialState, Violation};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Event, Vocabulary};

pub use mem::MemStore;

/// An event as stored: its hash ID (the deduplication key), the event, and the keys it names
/// (what `Store::history` is indexed by).
#[derive(Clone, Debug)]
pub struct EventRecord {
    /// The CBV 2.0 event hash ID (`serialhub_epcis::hash::EventHasher`).
    pub hash_id: String,
    /// The event as read. Backends that serialise it write JSON-LD
    /// (`serialhub_epcis::json::write`), which reads back to an equal `Event`.
    pub event: Event,
    /// The identifiers the event names, canonical and without repeats, in first-mention order.
    pub keys: Vec<Key>,
    /// The event's compressed stored form (`stored_body`) when the caller made it already, so
    /// that a backend need not make it on the capture path; not part of the record's identity.
    pub body: Option<Vec<u8>>,
    /// The trading partner (a GLN) whose credentials captured the event, when they name one:
    /// a partner sees the events it captured as well as those naming it.
    pub captured_by: Option<String>,
}

impl PartialEq for EventRecord {
    fn eq(&self, other: &EventRecord) -> bool {
        self.hash_id == other.hash_id
            && self.event == other.event
            && self.keys == other.keys
            && self.captured_by == other.captured_by
    }
}

/// The identity a store deduplicates `event` by: its CBV 2.0 event hash (`hash`), except for
/// an error declaration, whose hash is the declared event's (CBV 2.0 leaves `errorDeclaration`
/// out of the hash so that the two can be matched) and which is a fact of its own: it gets the
/// hash with `&errorDeclaration=<declarationTime in UTC milliseconds>` appended, so that it is
/// stored beside the event it declares instead of being dropped as its duplicate, and a second
/// copy of the same declaration is still a duplicate.
pub fn capture_id(hash: String, event: &Event) -> String {
    match &event.error_declaration {
        None => hash,
        Some(declaration) => {
            let time = serialhub_epcis::time::Timestamp::parse(declaration.declaration_time.trim())
                .map_or_else(
                    || declaration.declaration_time.trim().to_owned(),
                    |t| t.to_utc_millis_string(),
                );
            format!("{hash}{DECLARATION_MARK}{time}")
        }
    }
}

/// The separator `capture_id` puts between a declaration's hash and its declaration time.
const DECLARATION_MARK: &str = "&errorDeclaration=";

/// The CBV hash inside a capture id: the id itself, or for an error declaration the declared
/// event's hash.
pub fn hash_of_capture_id(capture_id: &str) -> &str {
    capture_id.split_once(DECLARATION_MARK).map_or(capture_id, |(hash, _)| hash)
}

/// Whether the stored event with `capture_id` answers to the lookup `id` by hash: its own id,
/// or, for an error declaration, the hash of the event it declares.
pub fn answers_to_hash(capture_id: &str, id: &str) -> bool {
    capture_id == id || hash_of_capture_id(capture_id) == id
}

/// The form backends store an event in: a one-event JSON-LD EPCISDocument, which
/// `serialhub_epcis::read_document` reads back to an equal `Event`.
pub fn stored_json(event: &Event) -> Vec<u8> {
    let mut w = serialhub_epcis::json::write::JsonLdWriter::new(Vec::new());
    // Invariant: a Vec never fails to take bytes.
    w.begin(&serialhub_epcis::Header::default()).expect("writing JSON to a Vec cannot fail");
    w.event(event).expect("writing JSON to a Vec cannot fail");
    w.finish().expect("writing JSON to a Vec cannot fail")
}

/// `stored_json` compressed: one LZ4 block, its uncompressed length first (little-endian
/// `u32`). The embedded journal keeps events in this form: JSON-LD compresses about threefold
/// (the EPC URIs of a list share their prefix), which keeps a large journal in the page cache
/// beside the records (BENCHMARKS.md, pedigree).
pub fn stored_body(event: &Event) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(&stored_json(event))
}

/// The JSON-LD of a `stored_body`; the error says why the bytes are not one.
pub fn read_stored_body(body: &[u8]) -> Result<Vec<u8>, String> {
    // A stored event is a one-event document: far below this, and a corrupted length must not
    // make the decoder allocate gigabytes.
    const STORED_JSON_MAX: u32 = 256 << 20;
    let len = body.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match len {
        None => Err("a compressed event shorter than its length".to_owned()),
        Some(len) if len > STORED_JSON_MAX => {
            Err(format!("a compressed event claiming {len} bytes"))
        }
        Some(_) => lz4_flex::block::decompress_size_prepended(body).map_err(|e| e.to_string()),
    }
}

impl EventRecord {
    /// The record of `event`, its keys taken from every identifier it names: `parentID`, the
    /// EPC lists and the quantity lists' classes (lots).
    pub fn new(hash_id: String, event: Event) -> EventRecord {
        let named = event
            .parent_id
            .iter()
            .chain(&event.epc_list)
            .chain(&event.output_epc_list)
            .chain(event.quantity_list.iter().map(|q| &q.epc_class))
            .chain(event.output_quantity_list.iter().map(|q| &q.epc_class));
        let mut keys: Vec<Key> = Vec::new();
        let mut by_hash = serialhub_core::FxHashMap::default();
        for identifier in named {
            serialhub_core::push_unique(&mut keys, &mut by_hash, Key::new(identifier), |key| key);
        }
        EventRecord { hash_id, event, keys, body: None, captured_by: None }
    }

    /// The record with its stored form made now (`stored_body`): for callers that prepare
    /// records on another thread than the one that captures them.
    pub fn with_body(mut self) -> EventRecord {
        self.body = Some(stored_body(&self.event));
        self
    }
}

/// One event of a capture job with what the ledger decided for it.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedEvent {
    /// The event.
    pub record: EventRecord,
    /// The state changes to write, in order (`Outcome::changes`).
    pub changes: Vec<(Key, Change)>,
    /// The rules the event broke (`Outcome::violations`), stored as exceptions.
    pub violations: Vec<Violation>,
}

/// What `Store::commit` writes at once: events in capture order, each with its changes and
/// violations. Changes of a later event may update records an earlier event of the same job
/// created.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaptureJob {
    /// The events, in capture order.
    pub events: Vec<CapturedEvent>,
    /// When the job was decided; `None` takes the backend's clock where it has one
    /// (PostgreSQL's), and the Unix epoch in the in-process stores, which read no clock.
    pub captured_at: Option<Timestamp>,
}

/// What a commit did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitReceipt {
    /// The hash IDs of the events stored by this commit, in capture order.
    pub stored: Vec<String>,
    /// The hash IDs of the events skipped because they were already stored (before this job,
    /// or earlier in it), in job order.
    pub duplicates: Vec<String>,
    /// The number of exceptions stored.
    pub exceptions: usize,
    /// How many stored events were late for some identifier they name (`Store::capture` only;
    /// see `capture::Decided::late`).
    pub late: usize,
    /// The outbox messages the stored events caused (`Store::capture_routed`), by id; a
    /// message whose idempotency key was stored already is not added again.
    pub messages: Vec<u64>,
}

/// One batch of `Store::capture_stream`: what one `capture_routed` call would capture, with
/// the master data that goes first.
#[derive(Clone, Debug)]
pub struct StreamBatch {
    /// The events, in capture order.
    pub records: Vec<EventRecord>,
    /// The document's master data, merged before its events are captured.
    pub master_data: Vec<Vocabulary>,
    /// The capture time.
    pub now: Timestamp,
}

/// The two ends of `Store::capture_stream`: where its batches come from and where their
/// results go. Results arrive in batch order, one per batch taken.
pub trait CaptureFeed {
    /// The next batch, or `None` at the end (not asked again after that).
    fn next_batch(&mut self) -> Option<StreamBatch>;

    /// The result of the oldest batch without one; `false` stops the stream (batches taken
    /// and not yet reported are then neither reported nor stored).
    fn done(&mut self, result: Result<CommitReceipt, StoreError>) -> bool;
}

/// A stored event: the record and its position in capture order.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Capture order across the whole store: strictly increasing, never reused.
    pub seq: u64,
    /// The event.
    pub record: EventRecord,
}

/// A stored exception: a violation and the event that raised it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredException {
    /// The `StoredEvent::seq` of the event that raised it.
    pub event_seq: u64,
    /// The hash ID of that event.
    pub event_hash_id: String,
    /// When the capture job that stored it ran (`Store::capture`'s `now`).
    pub captured_at: Timestamp,
    /// The violation, as the ledger found it.
    pub violation: Violation,
}

/// Which exceptions `Store::exceptions` returns; `None` fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    /// Only this type (F1 to F12).
    pub exception_type: Option<ExceptionType>,
    /// Only exceptions naming this identifier among their `epcs` (compared canonically).
    pub key: Option<Key>,
    /// Only exceptions captured at or after this time.
    pub since: Option<Timestamp>,
    /// Only exceptions captured before this time.
    pub until: Option<Timestamp>,
    /// Only exceptions raised by events after this `seq` (what a reader that has seen the
    /// exceptions up to an event reads next).
    pub after_seq: Option<u64>,
    /// Only exceptions raised by events up to this `seq`, inclusive (with `after_seq`, the
    /// exceptions of one event).
    pub through_seq: Option<u64>,
}

impl ExceptionFilter {
    /// Whether `exception` passes the filter; backends that cannot filter natively use this.
    pub fn matches(&self, exception: &StoredException) -> bool {
        let violation = &exception.violation;
        self.exception_type.is_none_or(|t| violation.exception_type == t)
            && self.since.is_none_or(|t| exception.captured_at >= t)
            && self.until.is_none_or(|t| exception.captured_at < t)
            && self.after_seq.is_none_or(|seq| exception.event_seq > seq)
            && self.through_seq.is_none_or(|seq| exception.event_seq <= seq)
            && self
                .key
                .as_ref()
                .is_none_or(|key| violation.epcs.iter().any(|e| Key::new(e) == *key))
    }
}

/// A top-level resource of the EPCIS REST binding whose values a store lists
/// (`Store::known_values`): what the stored events name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KnownField {
    /// The identifiers events name (`EventRecord::keys`: canonical, so a Digital Link and an
    /// EPC URI of one object are one value).
    Epc,
    /// `bizLocation` ids, as captured.
    BizLocation,
    /// `readPoint` ids, as captured.
    ReadPoint,
}

impl KnownField {
    /// The value of this field in `record`, for the location fields (`None` for `Epc`, whose
    /// values are `record.keys`).
    pub fn location_of(self, record: &EventRecord) -> Option<&str> {
        let location = match self {
            KnownField::Epc => return None,
            KnownField::BizLocation => record.event.biz_location.as_ref(),
            KnownField::ReadPoint => record.event.read_point.as_ref(),
        };
        location.map(|l| l.id.as_str())
    }

    /// A stable one-byte code (journal records, SQL rows).
    pub fn code(self) -> u8 {
        match self {
            KnownField::Epc => 0,
            KnownField::BizLocation => 1,
            KnownField::ReadPoint => 2,
        }
    }

    /// The field of `code`.
    pub fn from_code(code: u8) -> Option<KnownField> {
        match code {
            0 => Some(KnownField::Epc),
            1 => Some(KnownField::BizLocation),
            2 => Some(KnownField::ReadPoint),
            _ => None,
        }
    }
}

/// One page of `Store::known_values`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValuePage {
    /// The values, in the store's order.
    pub values: Vec<String>,
    /// Where the next page starts, if the store may have more; opaque to callers.
    pub next: Option<String>,
}

impl ValuePage {
    /// The page of a store whose cursor is the last value given, from up to `limit + 1`
    /// values read in order after the cursor: the one past the limit only says more follow.
    pub fn keyed_by_value(mut values: Vec<String>, limit: usize) -> ValuePage {
        let more = values.len() > limit;
        values.truncate(limit);
        let next = if more { values.last().cloned() } else { None };
        ValuePage { values, next }
    }
}

/// 1970-01-01T00:00:00Z: the capture time of a hand-built job that gives none, in stores
/// that read no clock.
pub const EPOCH: Timestamp = Timestamp { unix_millis: 0, has_offset: true };

/// Why a store operation failed. Violations of ledger rules are not errors: they are stored as
/// exceptions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A `Change::Create` for a key that already has a record: the job was decided against a
    /// stale view (another writer got there first).
    #[error("record {0} already exists")]
    CreateExisting(Key),
    /// A `Change::Update` for a key that has no record: the job was decided against a stale
    /// or foreign view.
    #[error("record {0} does not exist")]
    UpdateMissing(Key),
    /// A `Change::Remove` for a key that has no record (as `UpdateMissing`).
    #[error("record {0} to remove does not exist")]
    RemoveMissing(Key),
    /// The backend could not be reached or failed (IO, a poisoned lock, a lost connection);
    /// nothing was written and the job may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The connection was lost while the job committed, and nobody could tell whether it did:
    /// the job is stored whole or not at all. Capturing it again is safe: an event already
    /// stored comes back as a duplicate.
    #[error("store unavailable, the job may or may not be stored: {0}")]
    InDoubt(String),
    /// A `known_values` cursor this store did not give for that field.
    #[error("not a cursor of this store: {0}")]
    BadCursor(String),
    /// The request is outside the store's bounds (too many or too large items); nothing was
    /// written.
    #[error("refused: {0}")]
    Refused(String),
}

impl StoreError {
    /// A stable name for logs and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::CreateExisting(_) => "store_create_existing",
            StoreError::UpdateMissing(_) => "store_update_missing",
            StoreError::RemoveMissing(_) => "store_remove_missing",
            StoreError::Unavailable(_) => "store_unavailable",
            StoreError::InDoubt(_) => "store_in_doubt",
            StoreError::BadCursor(_) => "store_bad_cursor",
            StoreError::Refused(_) => "store_refused",
        }
    }
}

/// The storage port. Object-safe: callers hold an `Arc<dyn Store>`. Every backend passes
/// `conformance::run_all`.
pub trait Store: Send + Sync {
    /// Writes `job` all or nothing.
    ///
    /// Contract: events are taken in order; one whose hash ID is already stored (or appeared
    /// earlier in the job) is a duplicate: listed in `CommitReceipt::duplicates`, and neither
    /// it, its changes nor its violations are written. Every other event is stored with the
    /// next `seq`, its changes applied in order (a `Create` needs no record, an `Update` needs
    /// one, counting records created earlier in the job) and its violations stored as
    /// exceptions. On `Err` nothing of the job is visible, to this or any later read. A job
    /// whose events are all duplicates succeeds and writes nothing.
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError>;

    /// The capture pipeline's last two steps under the store's write lock: decides `batch` with
    /// the ledger (`capture::decide`) against the committed states at capture time `now`, then
    /// commits the job as `commit` does. Duplicates (stored before, or repeated in the batch)
    /// are reported and change nothing.
    fn capture(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
    ) -> Result<CommitReceipt, StoreError> {
        self.capture_routed(batch, now, &outbox::NoRoute)
    }

    /// `capture`, and in the same commit the outbox messages `route` says each stored event
    /// causes (not a duplicate's), created at `now` and due at once. A message whose
    /// idempotency key is stored already is not added again.
    fn capture_routed(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
        route: &dyn outbox::Route,
    ) -> Result<CommitReceipt, StoreError>;

    /// `capture_routed` for each batch `feed` yields, in order, after the batch's master data
    /// (`put_master_data`), telling `feed` each batch's result once it committed or failed.
    /// Stops when `feed` has no more batches or says to stop. The results and the store's
    /// contents are those of one call per batch, one after another; a backend may decide a
    /// batch while the one before it is being written (PostgreSQL does), asking `feed` for
    /// the next batch before it reports the one in flight, and holding the store meanwhile:
    /// a feed must not call this store, and must not wait for a result before it gives the
    /// next batch.
    fn capture_stream(&self, feed: &mut dyn CaptureFeed, route: &dyn outbox::Route) {
        while let Some(batch) = feed.next_batch() {
            let result = if batch.master_data.is_empty() {
                Ok(())
            } else {
                self.put_master_data(&batch.master_data)
            };
            let result = result.and_then(|()| self.capture_routed(batch.records, batch.now, route));
            if !feed.done(result) {
                break;
            }
        }
    }

    /// The current record of `key`, if any committed change created one.
    fn state(&self, key: &Key) -> Result<Option<SerialState>, StoreError>;

    /// The keys whose record's `parent` is `key` (direct children only), in key order.
    fn children(&self, key: &Key) -> Result<Vec<Key>, StoreError>;

    /// Every stored event naming `key` (`EventRecord::keys`), in capture order (`seq`).
    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError>;

    /// The stored exceptions passing `filter`, in capture order of the events that raised
    /// them, then in the order the ledger found them.
    fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<StoredException>, StoreError>;

    /// The serialized units commissioned with the lot `lot` (a lot key:
    /// `serialhub_core::lot_key_of`, or the `Key` of an LGTIN), in key order.
    fn lot_units(&self, lot: &Key) -> Result<Vec<Key>, StoreError>;

    /// Whether an event with this hash ID is stored.
    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError>;

    /// The stored events with `seq >= from`, in capture order, at most `limit` of them: the
    /// scan the query service pages through.
    fn events(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// The stored events whose EPCIS `eventID` is `id`, or whose hash ID is `id`
    /// (`answers_to_hash`: an error declaration answers to the hash of the event it declares),
    /// in capture order. More than one event can carry an eventID: an error declaration repeats
    /// the eventID of the event it declares in error.
    fn events_by_id(&self, id: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// The `seq` of the last stored event, 0 when none is stored.
    fn last_seq(&self) -> Result<u64, StoreError>;

    /// The values of `field` that stored events name, each once: at most `limit` of them,
    /// from where `after` (the `ValuePage::next` of an earlier call for the same field) says,
    /// or from the start. The order is the store's own and stable: pages read one after the
    /// other give every value stored before the first page exactly once (values stored later
    /// may or may not appear). A page may hold fewer than `limit` values and still have a
    /// `next` (a store bounds the work of one call); `next` is `None` only at the end. A cursor
    /// the store did not give is `StoreError::BadCursor`.
    fn known_values(
        &self,
        field: KnownField,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ValuePage, StoreError>;

    /// Merges `vocabularies` (EPCISMasterData, as a captured document's header carries it)
    /// into the stored master data by `master::merge`. Idempotent: capturing a document twice
    /// leaves the master data as once.
    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<(), StoreError>;

    /// All stored master data: one `Vocabulary` per type, in type order, its elements in id
    /// order.
    fn master_data(&self) -> Result<Vec<Vocabulary>, StoreError>;

    /// Adds `messages` to the outbox, created at `now` and due at once, durably; returns the ids
    /// of those added (a message whose idempotency key is stored already is skipped, as is a
    /// repeat within `messages`).
    fn outbox_enqueue(
        &self,
        messages: Vec<outbox::NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError>;

    /// Leases to `owner` until `lease_until` up to `limit` messages claimable at `now`
    /// (`outbox::choose_claims`: due, not leased or lease run out, oldest first, one at a time
    /// per ordering key), and returns them as leased. Several dispatchers may claim at once;
    /// none gets a message another holds.
    fn outbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<outbox::StoredMessage>, StoreError>;

    /// Records how attempts ended (`StoredMessage::settle`), durably, at `now`: for each
    /// `(id, settlement)`, whether it was applied. One is not when `owner` no longer holds the
    /// message's lease (it ran out and another dispatcher may have it): the attempt's result
    /// is then dropped, and the message goes on as the other holder settles it.
    fn outbox_settle(
        &self,
        owner: &str,
        settlements: &[(u64, outbox::Settlement)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError>;

    /// The messages passing `filter`, in id order.
    fn outbox_messages(
        &self,
        filter: &outbox::MessageFilter,
    ) -> Result<Vec<outbox::StoredMessage>, StoreError>;

    /// How many messages are pending, delivered and failed.
    fn outbox_counts(&self) -> Result<outbox::OutboxCounts, StoreError>;

    /// Appends `drafts` to the audit log, durably and in order, numbered and hash-linked after
    /// the last entry (`audit::AuditLog::link`), and returns them as stored. A draft outside
    /// `AuditDraft::check`'s bounds, or more than `audit::ENTRIES_PER_CALL_MAX` of them, is
    /// `StoreError::Refused` and nothing is written.
    fn audit_append(
        &self,
        drafts: Vec<audit::AuditDraft>,
    ) -> Result<Vec<audit::AuditEntry>, StoreError>;

    /// The audit entries with `seq > after`, in order, at most `limit` (capped at
    /// `audit::ENTRIES_PER_CALL_MAX`).
    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<audit::AuditEntry>, StoreError>;
}

/// The checks every backend's `audit_append` makes before writing anything.
pub fn check_audit_drafts(drafts: &[audit::AuditDraft]) -> Result<(), StoreError> {
    if drafts.len() > audit::ENTRIES_PER_CALL_MAX {
        return Err(StoreError::Refused(format!(
            "over {} audit entries in one call",
            audit::ENTRIES_PER_CALL_MAX
        )));
    }
    drafts.iter().try_for_each(|d| d.check().map_err(StoreError::Refused))
}
