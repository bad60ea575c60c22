//! The embedded backend of the serial ledger (the default: no server, a data directory):
//! committed capture jobs are appended to a checksummed journal and synced before they are
//! acknowledged; the live states, indexes and exceptions are kept in memory and rebuilt from
//! the journal when the store opens.
//!
//! Why a journal rather than a B-tree or LSM engine: measured on this machine, random point
//! inserts into SQLite, redb and fjall ran at 40,000 to 146,000 rows per second, and the ledger
//! would write a row per identifier per event. A capture job here is one sequential write and
//! one `fdatasync`, whatever its size; states are decided in memory (the ledger reads every
//! record it changes anyway). The costs are memory proportional to the identifiers held and an
//! open time proportional to the journal (see BENCHMARKS.md).
//!
//! Invariants: a job is visible to readers only after its record is on disk; the in-memory
//! state always equals the replay of the journal's good records; one process holds a data
//! directory at a time (an OS file lock).

#![warn(missing_docs)]

mod journal;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serialhub_core::{
    Change, Key, MemoryLedger, Outcome, SerialState, StateView, Violation, apply,
};
use serialhub_epcis::Vocabulary;
use serialhub_epcis::time::Timestamp;
use serialhub_store::declare::Declarations;
use serialhub_store::master::MasterData;
use serialhub_store::outbox::{
    self, MemoryOutbox, MessageFilter, NewMessage, OutboxCounts, Route, Settlement, StoredMessage,
};
use serialhub_store::{
    CaptureJob, CommitReceipt, EventRecord, ExceptionFilter, KnownField, Store, StoreError,
    StoredEvent, StoredException, ValuePage, capture,
};

use crate::journal::Journal;
pub use crate::journal::JournalError;
use serialhub_store::audit::{AuditDraft, AuditEntry, AuditLog};
use serialhub_store::codec::{DecodeError, Decoder, Encoder};

/// The journal's file name inside the data directory.
const JOURNAL_FILE: &str = "journal.shj";
/// The lock file's name inside the data directory.
const LOCK_FILE: &str = "LOCK";
/// The tag of a capture-job record written before events carried their EPCIS eventID in the
/// record (replay reads the ID out of the event's JSON-LD instead).
const TAG_JOB_V1: u8 = 1;
/// The tag of a capture-job record: each event's hash ID is followed by the fingerprint of its
/// eventID (a 0 byte when it has none, else 1 and the 8-byte fingerprint: the index is by
/// fingerprint, and the ID itself is in the event's JSON-LD; writing it again cost 8% of the
/// import at 10 M packs) and the party that captured it (empty when none: a party is a GLN).
/// Replay reads the locations these records name out of the events' JSON-LD.
const TAG_JOB_V2: u8 = 2;
/// The tag of a capture-job record written before events were compressed: `TAG_JOB_V2`'s
/// events, then the
/// `bizLocation` and `readPoint` ids the job named first in the store (a count, then a
/// `KnownField` code and an interned string each), so that replay rebuilds the lists of
/// `known_values` without reading any event, then the outbox messages its events caused (a
/// count, then each message's event, by position among the record's events, and the
/// message): committed with the events, in one record.
const TAG_JOB_V3: u8 = 3;
/// The tag of a capture-job record as written now: `TAG_JOB_V3`'s, each event's JSON-LD
/// compressed (`serialhub_store::stored_body`).
const TAG_JOB: u8 = 7;
/// The tag of a master-data record: the vocabularies one capture brought, in the stored form
/// of `serialhub_store::master` (replay merges them in order).
const TAG_MASTER: u8 = 4;
/// The tag of an outbox record: messages added outside a capture, and settled delivery
/// attempts (a count, then per entry 0 and the time and message, or 1 and the message id, the
/// time and the settlement). Leases are not written: after a restart every pending message is
/// claimable, as if its lease had run out.
const TAG_OUTBOX: u8 = 5;
/// The tag of an audit record: entries appended by one call (a count, then each entry as
/// stored, its seq and hashes included: replay keeps what was written, and
/// `serialhub_store::audit::verify` tells whether the chain still holds).
const TAG_AUDIT: u8 = 6;
/// The kinds of a record change in a job record: a create or an update, each followed by the
/// record, or a removal (an error declaration's reversal; nothing follows). Journals written
/// before removals existed hold only the first two.
const CHANGE_CREATE: u8 = 0;
const CHANGE_UPDATE: u8 = 1;
const CHANGE_REMOVE: u8 = 2;
/// Events read per step of the `known_values` identifier scan, and the most one call reads:
/// a bound on the work of one page.
const KNOWN_SCAN_STEP: usize = 512;
const KNOWN_SCAN_MAX: usize = 8_192;

/// Why the store could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory could not be created or read.
    #[error("data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Another process has the directory open.
    #[error("data directory {0} is in use by another serialhub process")]
    Locked(String),
    /// The journal is unreadable.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// What opening found, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Capture jobs replayed.
    pub jobs: u64,
    /// Events stored.
    pub events: u64,
    /// Bytes of an unacknowledged, torn append dropped from the journal's end.
    pub torn_bytes: u64,
    /// The journal's size in bytes.
    pub journal_bytes: u64,
}

/// The embedded store. Open it with `EmbeddedStore::open`.
#[derive(Debug)]
pub struct EmbeddedStore {
    inner: Mutex<Inner>,
    /// Event reads go through this handle after the lock is released, so that queries read
    /// and decode the journal in parallel with each other and with captures.
    reader: journal::Reader,
    dir: PathBuf,
    report: OpenReport,
    /// Held for the store's lifetime: the OS lock that keeps a second process out.
    _lock: File,
}

/// Where a stored event's JSON-LD is in the journal.
#[derive(Debug)]
struct EventLoc {
    hash_id: Arc<str>,
    offset: u64,
    len: u32,
    /// The bytes are a `serialhub_store::stored_body`, not the JSON-LD itself.
    compressed: bool,
    /// The capturing party, shared: there are few.
    captured_by: Option<Arc<str>>,
}

#[derive(Debug)]
struct Inner {
    ledger: MemoryLedger,
    journal: Journal,
    index: Index,
    /// The record buffer, kept between jobs so its pages stay mapped.
    buf: Vec<u8>,
    /// Set when a capture changed the live states and its record could not be written: memory
    /// is then ahead of the disk, and the store refuses work until it is reopened (which
    /// replays the journal).
    failed: bool,
    master: MasterData,
    outbox: MemoryOutbox,
    audit: AuditLog,
}

impl EmbeddedStore {
    /// Opens the store in `dir`, creating the directory and an empty journal if absent, and
    /// replays the journal into memory.
    pub fn open(dir: &Path) -> Result<EmbeddedStore, OpenError> {
        let dir_error = |source| OpenError::Dir { path: dir.display().to_string(), source };
        fs::create_dir_all(dir).map_err(dir_error)?;
        let lock = File::create(dir.join(LOCK_FILE)).map_err(dir_error)?;
        if lock.try_lock().is_err() {
            return Err(OpenError::Locked(dir.display().to_string()));
        }
        let mut state = Replay::default();
        let journal_path = dir.join(JOURNAL_FILE);
        let name = journal_path.display().to_string();
        let (journal, recovery) = Journal::open(&journal_path, &mut |offset, payload| {
            state.job(offset, payload).map_err(|e| JournalError::Corrupt {
                path: name.clone(),
                message: format!("record does not decode: expected {}", e.what),
                offset: offset + e.at as u64,
            })
        })?;
        let report = OpenReport {
            jobs: recovery.records,
            events: state.index.events.len() as u64,
            torn_bytes: recovery.torn_bytes,
            journal_bytes: journal.len(),
        };
        let reader = journal.reader()?;
        let inner = Inner {
            ledger: state.ledger,
            journal,
            index: state.index,
            buf: Vec::new(),
            failed: false,
            master: state.master,
            outbox: state.outbox,
            audit: state.audit,
        };
        Ok(EmbeddedStore {
            inner: Mutex::new(inner),
            reader,
            dir: dir.to_owned(),
            report,
            _lock: lock,
        })
    }

    /// What opening found.
    pub fn open_report(&self) -> OpenReport {
        self.report
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The number of identifiers with a record (units, containers, lots).
    pub fn record_count(&self) -> Result<usize, StoreError> {
        Ok(self.lock()?.ledger.len())
    }

    /// Everything inside `key`, recursively (explode).
    pub fn contents(&self, key: &Key) -> Result<Vec<Key>, StoreError> {
        Ok(self.lock()?.ledger.contents(key))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        let inner =
            self.inner.lock().map_err(|_| StoreError::Unavailable("lock poisoned".to_owned()))?;
        if inner.failed {
            return Err(StoreError::Unavailable(
                "a capture could not be written to the journal; reopen the store".to_owned(),
            ));
        }
        Ok(inner)
    }
}

/// The in-memory state being rebuilt from the journal.
#[derive(Default)]
struct Replay {
    ledger: MemoryLedger,
    index: Index,
    master: MasterData,
    outbox: MemoryOutbox,
    audit: AuditLog,
}

/// The stored events: where each is in the journal, and the indexes over them.
#[derive(Debug, Default)]
struct Index {
    /// `events[i]` has seq `i + 1`.
    events: Vec<EventLoc>,
    by_hash: serialhub_core::FxHashMap<Arc<str>, u32>,
    /// History index: the hash of each key (`Key::hash64`, taken once when the key was made)
    /// to the events naming it. Hashes, not keys, to keep one copy of each key in memory;
    /// `history` drops the events of a colliding key by checking the keys the event names.
    by_key: serialhub_core::FxHashMap<u64, Vec<u32>>,
    /// EPCIS eventID index: a fingerprint of the ID to the first event carrying it, and in
    /// `more_event_ids` any later ones (an ID repeated, or a fingerprint collision: readers
    /// check the ID of each event they read). One map entry per event, no copy of the ID.
    by_event_id: serialhub_core::FxHashMap<u64, u32>,
    more_event_ids: serialhub_core::FxHashMap<u64, Vec<u32>>,
    exceptions: Vec<StoredException>,
    /// The capturing parties, one shared copy each.
    parties: serialhub_core::FxHashMap<Box<str>, Arc<str>>,
    /// `bizLocation` and `readPoint` ids in first-mention order (`known_values`).
    biz_locations: Known,
    read_points: Known,
    /// Locations named for the first time since the last `take_fresh_locations`: the trailer
    /// of the job record being written.
    fresh_locations: Vec<(KnownField, Arc<str>)>,
}

/// Values in first-mention order, each once.
#[derive(Debug, Default)]
struct Known {
    values: Vec<Arc<str>>,
    seen: serialhub_core::FxHashMap<Arc<str>, ()>,
    /// The value checked last: consecutive events mostly share their locations, and comparing
    /// with it skips the hash on the capture path.
    last: Option<Arc<str>>,
}

impl Known {
    /// Adds `value` if new; returns the shared copy when it was.
    fn add(&mut self, value: &str) -> Option<Arc<str>> {
        if self.last.as_deref() == Some(value) {
            return None;
        }
        if let Some((shared, ())) = self.seen.get_key_value(value) {
            self.last = Some(shared.clone());
            return None;
        }
        let shared: Arc<str> = Arc::from(value);
        self.seen.insert(shared.clone(), ());
        self.values.push(shared.clone());
        self.last = Some(shared.clone());
        Some(shared)
    }
}

impl Replay {
    /// Applies one journal record whose payload starts at file offset `base`.
    fn job(&mut self, base: u64, payload: &[u8]) -> Result<(), DecodeError> {
        let mut d = Decoder::new(payload);
        let tag = d.u8()?;
        if tag == TAG_OUTBOX {
            return self.outbox_record(&mut d, payload.len());
        }
        if tag == TAG_AUDIT {
            let entries = (0..d.length()?).map(|_| d.audit_entry()).collect::<Result<_, _>>()?;
            if d.pos != payload.len() {
                return Err(DecodeError { at: d.pos, what: "the end of the record" });
            }
            self.audit.push(entries);
            return Ok(());
        }
        if tag == TAG_MASTER {
            let vocabularies = serialhub_store::master::decode(&payload[1..])
                .map_err(|_| DecodeError { at: 1, what: "master data in its stored form" })?;
            serialhub_store::master::merge(&mut self.master, &vocabularies);
            return Ok(());
        }
        if ![TAG_JOB, TAG_JOB_V3, TAG_JOB_V2, TAG_JOB_V1].contains(&tag) {
            return Err(DecodeError { at: 0, what: "a capture-job record" });
        }
        let (Some(count), Some(time)) = (payload.get(1..5), payload.get(5..14)) else {
            return Err(DecodeError { at: 1, what: "an event count and a capture time" });
        };
        let n = u32::from_le_bytes([count[0], count[1], count[2], count[3]]);
        let mut millis = [0u8; 8];
        millis.copy_from_slice(&time[..8]);
        let captured_at =
            Timestamp { unix_millis: i64::from_le_bytes(millis), has_offset: time[8] == 1 };
        d.pos = 14;
        let first_index = self.index.events.len() as u64;
        for _ in 0..n {
            let hash_id: Arc<str> = Arc::from(d.str()?);
            // `Some(None)`: a v2 record of an event without eventID.
            let event_id = if tag != TAG_JOB_V1 {
                Some(match d.u8()? {
                    0 => None,
                    1 => {
                        let at = d.pos;
                        let bytes = payload
                            .get(at..at + 8)
                            .ok_or(DecodeError { at, what: "an eventID fingerprint" })?;
                        d.pos += 8;
                        let mut print = [0u8; 8];
                        print.copy_from_slice(bytes);
                        Some(u64::from_le_bytes(print))
                    }
                    _ => {
                        return Err(DecodeError {
                            at: d.pos - 1,
                            what: "an eventID flag (0 or 1)",
                        });
                    }
                })
            } else {
                None
            };
            let captured_by = if tag != TAG_JOB_V1 { d.str()? } else { "" };
            let captured_by = self.index.party(captured_by);
            let json_len = d.length()?;
            let offset = base + d.pos as u64;
            let json_at = d.pos;
            d.pos += json_len;
            let index = self.index.events.len() as u32;
            if let Some(Some(print)) = event_id {
                self.index.add_event_print(print, index);
            }
            // Records from before the trailer: their events' locations are in their JSON-LD
            // (uncompressed then).
            if tag == TAG_JOB_V1 || tag == TAG_JOB_V2 {
                // An older record: what it does not carry is in the event.
                let json = payload.get(json_at..d.pos).ok_or(DecodeError {
                    at: json_at,
                    what: "an event's JSON-LD within the record",
                })?;
                let event = serialhub_epcis::read_document(json)
                    .ok()
                    .and_then(|c| c.document.events.into_iter().next());
                if let Some(event) = event {
                    if let (None, Some(id)) = (event_id, &event.event_id) {
                        self.index.add_event_id(id, index);
                    }
                    if let Some(l) = &event.biz_location {
                        self.index.biz_locations.add(&l.id);
                    }
                    if let Some(l) = &event.read_point {
                        self.index.read_points.add(&l.id);
                    }
                }
            }
            let seq = u64::from(index) + 1;
            let keys = d.length()?;
            for _ in 0..keys {
                let key = d.istr()?;
                self.index.by_key.entry(Key::hash_of(key)).or_default().push(index);
            }
            let changes = d.length()?;
            // Each change is applied as it is read, so that a later change of the same key in
            // this event meets the earlier one. What the ledger wrote creates only what is
            // absent and changes only what exists; a record saying otherwise is damaged, and
            // `put_checked` refuses it (where `put` would panic).
            for _ in 0..changes {
                let at = d.pos;
                let key = Key::from_canonical(d.istr()?.to_owned());
                let change = match d.u8()? {
                    CHANGE_CREATE => Change::Create(d.state()?),
                    CHANGE_UPDATE => Change::Update(d.state()?),
                    CHANGE_REMOVE => Change::Remove,
                    _ => {
                        return Err(DecodeError {
                            at,
                            what: "a create (0), update (1) or remove (2) tag",
                        });
                    }
                };
                let what = match &change {
                    Change::Create(_) => "a create of a record that does not exist yet",
                    Change::Update(_) => "an update of a record that exists",
                    // A reversal (an error declaration) removes only what exists.
                    Change::Remove => "a removal of a record that exists",
                };
                self.ledger.put_checked(key, change).map_err(|_| DecodeError { at, what })?;
            }
            let violations = d.length()?;
            for _ in 0..violations {
                self.index.exceptions.push(StoredException {
                    event_seq: seq,
                    event_hash_id: hash_id.to_string(),
                    captured_at,
                    violation: d.violation()?,
                });
            }
            self.index.alias_declaration(&hash_id, index);
            self.index.by_hash.insert(hash_id.clone(), index);
            let compressed = tag == TAG_JOB;
            let len = json_len as u32;
            self.index.events.push(EventLoc { hash_id, offset, len, compressed, captured_by });
        }
        if tag == TAG_JOB || tag == TAG_JOB_V3 {
            for _ in 0..d.length()? {
                let at = d.pos;
                let field = KnownField::from_code(d.u8()?)
                    .filter(|f| *f != KnownField::Epc)
                    .ok_or(DecodeError { at, what: "a location field code (1 or 2)" })?;
                let value = d.istr()?;
                self.index.known_mut(field).add(value);
            }
            for _ in 0..d.length()? {
                let at = d.pos;
                let position = d.varint()?;
                if position >= u64::from(n) {
                    return Err(DecodeError { at, what: "the position of an event of the record" });
                }
                let message = d.message()?;
                if !self.outbox.has(&message.idempotency_key) {
                    self.outbox.add(message, Some(first_index + position + 1), captured_at);
                }
            }
        }
        if d.pos != payload.len() {
            return Err(DecodeError { at: d.pos, what: "the end of the record" });
        }
        Ok(())
    }
}

impl Replay {
    /// Applies an outbox record (`TAG_OUTBOX`) whose tag `d` has read.
    fn outbox_record(&mut self, d: &mut Decoder<'_>, len: usize) -> Result<(), DecodeError> {
        for _ in 0..d.length()? {
            let at = d.pos;
            match d.u8()? {
                0 => {
                    let now = d.timestamp()?;
                    let message = d.message()?;
                    if !self.outbox.has(&message.idempotency_key) {
                        self.outbox.add(message, None, now);
                    }
                }
                1 => {
                    let id = d.varint()?;
                    let now = d.timestamp()?;
                    let settlement = d.settlement()?;
                    self.outbox.settle(id, &settlement, now);
                }
                _ => return Err(DecodeError { at, what: "an outbox entry tag (0 or 1)" }),
            }
        }
        if d.pos != len {
            return Err(DecodeError { at: d.pos, what: "the end of the record" });
        }
        Ok(())
    }
}

/// A 64-bit fingerprint of an eventID, which job records store (FNV-1a: stable across runs
/// and builds, unlike `std`'s randomly seeded hasher; collisions only cost a filtered read).
fn fingerprint(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Replays one journal record's payload into an empty store, for fuzzing the decoder: any
/// bytes must give `Ok` or a located error, never a panic.
#[doc(hidden)]
pub fn replay_for_fuzzing(payload: &[u8]) -> Result<(), String> {
    Replay::default().job(0, payload).map_err(|e| format!("expected {} at byte {}", e.what, e.at))
}

/// Appends one stored event to a job record: its hash ID, JSON-LD, keys, changes and
/// violations. Returns the position and length of the JSON within the record.
fn encode_event(
    e: &mut Encoder,
    record: &EventRecord,
    changes: &[(Key, Change)],
    violations: &[Violation],
) -> (usize, u32) {
    e.str(&record.hash_id);
    match &record.event.event_id {
        None => e.u8(0),
        Some(id) => {
            e.u8(1);
            e.buf.extend_from_slice(&fingerprint(id).to_le_bytes());
        }
    }
    e.str(record.captured_by.as_deref().unwrap_or(""));
    let made;
    let json = match &record.body {
        Some(body) => body.as_slice(),
        None => {
            made = serialhub_store::stored_body(&record.event);
            made.as_slice()
        }
    };
    e.varint(json.len() as u64);
    let at = (e.buf.len(), json.len() as u32);
    e.buf.extend_from_slice(json);
    e.varint(record.keys.len() as u64);
    for key in &record.keys {
        e.ikey(key);
    }
    e.varint(changes.len() as u64);
    for (key, change) in changes {
        e.ikey(key);
        match change {
            Change::Create(state) => {
                e.u8(CHANGE_CREATE);
                e.state(state);
            }
            Change::Update(state) => {
                e.u8(CHANGE_UPDATE);
                e.state(state);
            }
            Change::Remove => e.u8(CHANGE_REMOVE),
        }
    }
    e.varint(violations.len() as u64);
    for violation in violations {
        e.violation(violation);
    }
    at
}

/// Starts a job record in `buf` (emptied, its capacity kept): the tag, a count to patch and
/// the capture time.
fn begin_job(buf: Vec<u8>, captured_at: Timestamp) -> Encoder {
    let mut e = Encoder::with_buffer(buf);
    e.u8(TAG_JOB);
    e.buf.extend_from_slice(&0u32.to_le_bytes());
    e.buf.extend_from_slice(&captured_at.unix_millis.to_le_bytes());
    e.u8(u8::from(captured_at.has_offset));
    e
}

/// Ends a job record: the locations it named first (`TAG_JOB`).
fn end_job(
    e: &mut Encoder,
    fresh_locations: Vec<(KnownField, Arc<str>)>,
    messages: &[(u64, NewMessage)],
) {
    e.varint(fresh_locations.len() as u64);
    for (field, value) in fresh_locations {
        e.u8(field.code());
        e.istr(&value);
    }
    e.varint(messages.len() as u64);
    for (position, message) in messages {
        e.varint(*position);
        e.message(message);
    }
}

/// Writes the event count into a record `begin_job` started.
fn set_count(payload: &mut [u8], count: u32) {
    payload[1..5].copy_from_slice(&count.to_le_bytes());
}

/// Encodes the fresh events of `job`; returns the payload and, per fresh event, the position
/// of its JSON within it.
fn encode_job(job: &CaptureJob, fresh: &[bool], index: &Index) -> (Vec<u8>, Vec<(usize, u32)>) {
    let mut e = begin_job(Vec::new(), job.captured_at.unwrap_or(serialhub_store::EPOCH));
    let mut positions = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut fresh_locations = Vec::new();
    for (captured, _) in job.events.iter().zip(fresh).filter(|(_, fresh)| **fresh) {
        positions.push(encode_event(
            &mut e,
            &captured.record,
            &captured.changes,
            &captured.violations,
        ));
        for field in [KnownField::BizLocation, KnownField::ReadPoint] {
            if let Some(l) = field.location_of(&captured.record)
                && !index.known(field).seen.contains_key(l)
                && seen.insert((field, l))
            {
                fresh_locations.push((field, Arc::from(l)));
            }
        }
    }
    end_job(&mut e, fresh_locations, &[]);
    set_count(&mut e.buf, positions.len() as u32);
    (e.buf, positions)
}

impl Inner {
    fn fresh(&self, job: &CaptureJob) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        job.events
            .iter()
            .map(|c| {
                let hash = c.record.hash_id.as_str();
                !self.index.by_hash.contains_key(hash) && seen.insert(hash)
            })
            .collect()
    }

    /// Persists `job`, whose changes are already in `ledger`; on failure the caller rolls
    /// them back.
    fn persist(&mut self, job: &CaptureJob, fresh: &[bool]) -> Result<CommitReceipt, StoreError> {
        let mut receipt = CommitReceipt::default();
        if !fresh.iter().any(|f| *f) {
            receipt.duplicates = job.events.iter().map(|c| c.record.hash_id.clone()).collect();
            return Ok(receipt);
        }
        let (payload, positions) = encode_job(job, fresh, &self.index);
        let base =
            self.journal.append(&payload).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut positions = positions.into_iter();
        for (captured, &fresh) in job.events.iter().zip(fresh) {
            let record = &captured.record;
            if !fresh {
                receipt.duplicates.push(record.hash_id.clone());
                continue;
            }
            // Invariant: one position per fresh event.
            let (at, len) = positions.next().expect("a JSON position per fresh event");
            let captured_at = job.captured_at.unwrap_or(serialhub_store::EPOCH);
            let loc = (base + at as u64, len);
            receipt.exceptions +=
                self.index.add(record, captured.violations.iter().cloned(), loc, captured_at);
            receipt.stored.push(record.hash_id.clone());
        }
        // `add` noted these again; the record above carries them already.
        self.index.fresh_locations.clear();
        Ok(receipt)
    }
}

/// Where one stored event is: what a read needs once the lock is released.
struct Located {
    index: u32,
    hash_id: Arc<str>,
    offset: u64,
    len: u32,
    compressed: bool,
    captured_by: Option<Arc<str>>,
}

impl EmbeddedStore {
    /// The events of `located` (`Index::history_of(key)`) that name `key`: the index is by
    /// the key's hash, so another key's events can be among them.
    /// Events whose `seq` is `known` are not read: they come back as `None`, for the caller to
    /// check against the copy it has (`serialhub_store::declare::History`).
    fn read_history(
        &self,
        located: Vec<Located>,
        key: &Key,
        known: &dyn Fn(u64) -> bool,
    ) -> Result<Vec<(u64, Option<StoredEvent>)>, StoreError> {
        let mut history = Vec::new();
        for loc in located {
            let seq = u64::from(loc.index) + 1;
            if known(seq) {
                history.push((seq, None));
                continue;
            }
            let event = self.read_event(loc)?;
            if event.record.keys.contains(key) {
                history.push((seq, Some(event)));
            }
        }
        Ok(history)
    }

    /// Reads and decodes one stored event from the journal (without the store's lock).
    fn read_event(&self, loc: Located) -> Result<StoredEvent, StoreError> {
        let bytes = self
            .reader
            .read_at(loc.offset, loc.len as usize)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let bytes = if loc.compressed {
            serialhub_store::read_stored_body(&bytes).map_err(|e| {
                StoreError::Unavailable(format!("stored event {} is damaged: {e}", loc.hash_id))
            })?
        } else {
            bytes
        };
        let mut document = serialhub_epcis::read_document(&bytes).map_err(|e| {
            StoreError::Unavailable(format!("stored event {} does not read back: {e}", loc.hash_id))
        })?;
        let Some(event) = document.document.events.pop() else {
            return Err(StoreError::Unavailable(format!(
                "stored event {} is missing from the journal",
                loc.hash_id
            )));
        };
        let mut record = EventRecord::new(loc.hash_id.to_string(), event);
        record.captured_by = loc.captured_by.as_deref().map(str::to_owned);
        Ok(StoredEvent { seq: u64::from(loc.index) + 1, record })
    }
}

impl Index {
    /// The shared copy of the capturing party `gln` (`None` for the empty string).
    fn party(&mut self, gln: &str) -> Option<Arc<str>> {
        if gln.is_empty() {
            return None;
        }
        if let Some(shared) = self.parties.get(gln) {
            return Some(shared.clone());
        }
        let shared: Arc<str> = Arc::from(gln);
        self.parties.insert(Box::from(gln), shared.clone());
        Some(shared)
    }

    /// An error declaration also answers to the hash of the event it declares
    /// (`serialhub_store::answers_to_hash`): indexed under it with the eventIDs.
    fn alias_declaration(&mut self, capture_id: &str, index: u32) {
        let hash = serialhub_store::hash_of_capture_id(capture_id);
        if hash.len() != capture_id.len() {
            self.add_event_id(hash, index);
        }
    }

    /// Where the events indexed under `key`'s hash (`Key::hash64`) are, in capture order.
    fn history_of(&self, key: &Key) -> Vec<Located> {
        let indexes = self.by_key.get(&key.hash64()).map(Vec::as_slice);
        self.locate(indexes.unwrap_or_default().iter().copied())
    }

    /// The journal places of the events numbered `indexes`.
    fn locate(&self, indexes: impl IntoIterator<Item = u32>) -> Vec<Located> {
        indexes
            .into_iter()
            .map(|index| {
                let loc = &self.events[index as usize];
                Located {
                    index,
                    hash_id: loc.hash_id.clone(),
                    offset: loc.offset,
                    len: loc.len,
                    compressed: loc.compressed,
                    captured_by: loc.captured_by.clone(),
                }
            })
            .collect()
    }

    fn known(&self, field: KnownField) -> &Known {
        match field {
            KnownField::ReadPoint => &self.read_points,
            KnownField::BizLocation | KnownField::Epc => &self.biz_locations,
        }
    }

    fn known_mut(&mut self, field: KnownField) -> &mut Known {
        match field {
            KnownField::ReadPoint => &mut self.read_points,
            KnownField::BizLocation | KnownField::Epc => &mut self.biz_locations,
        }
    }

    fn add_event_id(&mut self, id: &str, index: u32) {
        self.add_event_print(fingerprint(id), index);
    }

    fn add_event_print(&mut self, print: u64, index: u32) {
        if let Some(&first) = self.by_event_id.get(&print) {
            if first != index {
                self.more_event_ids.entry(print).or_default().push(index);
            }
        } else {
            self.by_event_id.insert(print, index);
        }
    }

    /// The events that may carry the eventID `id`, ascending (fingerprint matches: the caller
    /// checks each).
    fn event_id_candidates(&self, id: &str) -> Vec<u32> {
        let print = fingerprint(id);
        let mut out: Vec<u32> = self.by_event_id.get(&print).copied().into_iter().collect();
        out.extend(self.more_event_ids.get(&print).into_iter().flatten());
        out
    }

    /// Makes a stored event visible to readers: its place in the journal (`loc`: offset and
    /// length of its JSON-LD), its keys and hash, and its exceptions; returns how many.
    fn add(
        &mut self,
        record: &EventRecord,
        violations: impl IntoIterator<Item = Violation>,
        (offset, len): (u64, u32),
        captured_at: Timestamp,
    ) -> usize {
        let index = self.events.len() as u32;
        let hash_id: Arc<str> = Arc::from(record.hash_id.as_str());
        for key in &record.keys {
            self.by_key.entry(key.hash64()).or_default().push(index);
        }
        self.by_hash.insert(hash_id.clone(), index);
        if let Some(id) = &record.event.event_id {
            self.add_event_id(id, index);
        }
        self.alias_declaration(&hash_id, index);
        let captured_by = self.party(record.captured_by.as_deref().unwrap_or(""));
        // Every record written now is a `TAG_JOB`: its events are compressed.
        self.events.push(EventLoc { hash_id, offset, len, compressed: true, captured_by });
        for field in [KnownField::BizLocation, KnownField::ReadPoint] {
            if let Some(l) = field.location_of(record)
                && let Some(shared) = self.known_mut(field).add(l)
            {
                self.fresh_locations.push((field, shared));
            }
        }
        let before = self.exceptions.len();
        self.exceptions.extend(violations.into_iter().map(|violation| StoredException {
            event_seq: u64::from(index) + 1,
            event_hash_id: record.hash_id.clone(),
            captured_at,
            violation,
        }));
        self.exceptions.len() - before
    }
}

impl Store for EmbeddedStore {
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError> {
        let mut inner = self.lock()?;
        let fresh = inner.fresh(job);
        capture::validate(&inner.ledger, job, &fresh)?;
        let mut undo = Vec::new();
        for (captured, _) in job.events.iter().zip(&fresh).filter(|(_, fresh)| **fresh) {
            for (key, _) in &captured.changes {
                undo.push((key.clone(), inner.ledger.state(key).cloned()));
            }
            let outcome = Outcome { changes: captured.changes.clone(), ..Outcome::default() };
            inner.ledger.commit(&outcome);
        }
        inner.persist(job, &fresh).inspect_err(|_| {
            capture::rollback(&mut inner.ledger, std::mem::take(&mut undo));
        })
    }

    /// The capture path is written for throughput: each event is decided against the live
    /// states, encoded into the job record, its changes moved into the states and the event
    /// indexed at once, without a copy, and dropped before the next (nothing of the batch
    /// outlives its turn: keeping the records to the end cost fresh pages for every document);
    /// nothing is kept to undo them. A large record goes to the file in pieces while it is
    /// encoded (`Journal::stream`), its header last. Readers wait on the lock until the record
    /// is on disk; if it cannot be written, the store marks itself failed (memory ahead of
    /// disk) and refuses work until reopened.
    fn capture_routed(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
        route: &dyn Route,
    ) -> Result<CommitReceipt, StoreError> {
        let mut guard = self.lock()?;
        let Inner { ledger, journal, index, buf, failed, master: _, outbox, audit: _ } =
            &mut *guard;
        // The messages of this job, by the position of their event in it: written in the
        // record's trailer, added to the outbox only once the record is on disk.
        let mut messages: Vec<(u64, NewMessage)> = Vec::new();
        let mut keys: std::collections::HashSet<String> = std::collections::HashSet::new();
        // Error declarations replay the stored history of what they name (read now, under
        // the lock, from the journal on disk) and the batch's earlier events (kept as they go:
        // only in a batch with declarations, which are few and small).
        let declarations = {
            let index = &*index;
            let is_stored = |h: &str| index.by_hash.contains_key(h);
            Declarations::gather(&batch, &is_stored, &mut |key, known| {
                self.read_history(index.history_of(key), key, known)
            })?
        };
        let mut kept: Vec<EventRecord> = Vec::new();
        let mut e = begin_job(std::mem::take(buf), now);
        let base = journal.next_payload_offset();
        let mut receipt = CommitReceipt::default();
        let journal_ref = &*journal;
        let encoded = std::thread::scope(|scope| {
            let mut streamer = None;
            // Bytes of the payload handed to the streamer so far.
            let mut streamed = 0u64;
            for (at, record) in batch.into_iter().enumerate() {
                // Earlier events of the batch are indexed already: a repeat is caught here too.
                if index.by_hash.contains_key(record.hash_id.as_str()) {
                    receipt.duplicates.push(record.hash_id);
                    continue;
                }
                let outcome = if record.event.error_declaration.is_some() {
                    let changes = declarations.changes_at(at, ledger, kept.iter(), now);
                    Outcome { changes, ..Outcome::default() }
                } else {
                    apply(&*ledger, &record.event, capture::event_ref(&record), now)
                };
                if declarations.reaches(&record) {
                    kept.push(record.clone());
                }
                let (at, len) =
                    encode_event(&mut e, &record, &outcome.changes, &outcome.violations);
                receipt.late += usize::from(!outcome.superseded.is_empty());
                ledger.commit_owned(outcome.changes);
                let offset = base + streamed + at as u64;
                receipt.exceptions += index.add(&record, outcome.violations, (offset, len), now);
                let position = receipt.stored.len() as u64;
                for message in route.route(&record).into_iter().take(outbox::MESSAGES_PER_CALL_MAX)
                {
                    if !outbox.has(&message.idempotency_key)
                        && keys.insert(message.idempotency_key.clone())
                    {
                        messages.push((position, message));
                    }
                }
                receipt.stored.push(record.hash_id);
                if e.buf.len() >= journal::PIECE_LEN {
                    streamed += e.buf.len() as u64;
                    match &mut streamer {
                        Some(streamer) => journal::Streamer::piece(streamer, &mut e.buf),
                        None => {
                            let room = Vec::with_capacity(2 * journal::PIECE_LEN);
                            let first = std::mem::replace(&mut e.buf, room);
                            streamer = Some(journal_ref.stream(scope, first));
                        }
                    }
                }
            }
            end_job(&mut e, std::mem::take(&mut index.fresh_locations), &messages);
            match streamer {
                None => Ok((e.buf, None)),
                Some(streamer) => {
                    streamer.finish(&mut e.buf).map(|(first, tail)| (first, Some(tail)))
                }
            }
        });
        let count = receipt.stored.len() as u32;
        let written = encoded.map_err(|error| error.to_string()).and_then(|(mut first, tail)| {
            if count == 0 {
                *buf = first;
                return Ok(None);
            }
            set_count(&mut first, count);
            let appended = match tail {
                None => journal.append(&first),
                Some(tail) => journal.append_streamed(&first, tail),
            };
            *buf = first;
            appended.map(Some).map_err(|error| error.to_string())
        });
        match written {
            Ok(at) => {
                debug_assert!(at.is_none_or(|at| at == base), "the record went where indexed");
                let first_seq = index.events.len() as u64 - receipt.stored.len() as u64 + 1;
                for (position, message) in messages {
                    receipt.messages.push(outbox.add(message, Some(first_seq + position), now));
                }
                Ok(receipt)
            }
            Err(error) => {
                *failed = true;
                Err(StoreError::Unavailable(error))
            }
        }
    }

    fn state(&self, key: &Key) -> Result<Option<SerialState>, StoreError> {
        Ok(self.lock()?.ledger.state(key).cloned())
    }

    fn children(&self, key: &Key) -> Result<Vec<Key>, StoreError> {
        Ok(self.lock()?.ledger.children(key))
    }

    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError> {
        let located = {
            let inner = self.lock()?;
            inner.index.history_of(key)
        };
        let history = self.read_history(located, key, &|_| false)?;
        Ok(history.into_iter().filter_map(|(_, event)| event).collect())
    }

    fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<StoredException>, StoreError> {
        let inner = self.lock()?;
        // Exceptions are in event order: a seq range is two binary searches, not a scan.
        let all = &inner.index.exceptions;
        let start = filter.after_seq.map_or(0, |s| all.partition_point(|e| e.event_seq <= s));
        let end =
            filter.through_seq.map_or(all.len(), |s| all.partition_point(|e| e.event_seq <= s));
        let range = all.get(start..end.max(start)).unwrap_or_default();
        Ok(range.iter().filter(|e| filter.matches(e)).cloned().collect())
    }

    fn lot_units(&self, lot: &Key) -> Result<Vec<Key>, StoreError> {
        Ok(self.lock()?.ledger.units_of_lot(lot))
    }

    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.index.by_hash.contains_key(hash_id))
    }

    fn events(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let located = {
            let inner = self.lock()?;
            let start = from.max(1) - 1;
            let end = (start.saturating_add(limit as u64)).min(inner.index.events.len() as u64);
            inner.index.locate((start..end).map(|i| i as u32))
        };
        located.into_iter().map(|loc| self.read_event(loc)).collect()
    }

    fn events_by_id(&self, id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let located = {
            let inner = self.lock()?;
            let mut indexes = inner.index.event_id_candidates(id);
            indexes.extend(inner.index.by_hash.get(id));
            indexes.sort_unstable();
            indexes.dedup();
            inner.index.locate(indexes)
        };
        let mut out = Vec::new();
        for loc in located {
            let event = self.read_event(loc)?;
            if event.record.event.event_id.as_deref() == Some(id)
                || serialhub_store::answers_to_hash(&event.record.hash_id, id)
            {
                out.push(event);
            }
        }
        Ok(out)
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.lock()?.index.events.len() as u64)
    }

    /// Locations in first-mention order, the cursor a position (`p<n>`). Identifiers in order
    /// of the first event naming them, found by scanning events and keeping each key whose
    /// history starts at the scanned event (the history index holds no key text to list);
    /// the cursor is `e<event index>.<key position>`, and one call scans at most
    /// `KNOWN_SCAN_MAX` events.
    fn known_values(
        &self,
        field: KnownField,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ValuePage, StoreError> {
        let bad = || StoreError::BadCursor(after.unwrap_or_default().to_owned());
        if field != KnownField::Epc {
            let from: usize = match after {
                None => 0,
                Some(c) => c.strip_prefix('p').and_then(|n| n.parse().ok()).ok_or_else(bad)?,
            };
            let inner = self.lock()?;
            let known = &inner.index.known(field).values;
            let end = from.saturating_add(limit).min(known.len());
            let values = known.get(from..end).unwrap_or_default().iter().map(|v| v.to_string());
            let next = (end < known.len()).then(|| format!("p{end}"));
            return Ok(ValuePage { values: values.collect(), next });
        }
        let (mut event, mut skip) = match after {
            None => (0u32, 0usize),
            Some(c) => c
                .strip_prefix('e')
                .and_then(|c| c.split_once('.'))
                .and_then(|(e, k)| Some((e.parse().ok()?, k.parse().ok()?)))
                .ok_or_else(bad)?,
        };
        let mut page = ValuePage::default();
        let mut scanned = 0;
        // Most events name an identifier first (commissioning, packing a new container): start
        // with a step the size of the page and widen it while the scan finds little.
        let mut step = limit.clamp(1, KNOWN_SCAN_STEP);
        while scanned < KNOWN_SCAN_MAX {
            let located = {
                let inner = self.lock()?;
                let end = (event as usize + step).min(inner.index.events.len());
                step = (step * 2).min(KNOWN_SCAN_STEP);
                if event as usize >= end {
                    return Ok(page);
                }
                inner.index.locate(event..end as u32)
            };
            scanned += located.len();
            let mut read = Vec::with_capacity(located.len());
            for loc in located {
                read.push((loc.index, self.read_event(loc)?.record.keys));
            }
            let inner = self.lock()?;
            for (index, keys) in read {
                for (position, key) in keys.iter().enumerate().skip(skip) {
                    let history = inner.index.by_key.get(&key.hash64());
                    if history.and_then(|h| h.first()) != Some(&index) {
                        continue;
                    }
                    if page.values.len() == limit {
                        page.next = Some(format!("e{index}.{position}"));
                        return Ok(page);
                    }
                    page.values.push(key.as_str().to_owned());
                }
                skip = 0;
                event = index + 1;
            }
        }
        page.next = Some(format!("e{event}.0"));
        Ok(page)
    }

    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<(), StoreError> {
        if vocabularies.iter().all(|v| v.elements.is_empty()) {
            return Ok(());
        }
        let mut inner = self.lock()?;
        let mut merged = inner.master.clone();
        serialhub_store::master::merge(&mut merged, vocabularies);
        if merged == inner.master {
            return Ok(());
        }
        let mut payload = vec![TAG_MASTER];
        payload.extend_from_slice(&serialhub_store::master::encode(vocabularies));
        inner.journal.append(&payload).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        inner.master = merged;
        Ok(())
    }

    fn master_data(&self) -> Result<Vec<Vocabulary>, StoreError> {
        Ok(serialhub_store::master::vocabularies(&self.lock()?.master))
    }

    fn outbox_enqueue(
        &self,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        let mut inner = self.lock()?;
        let mut keys = std::collections::HashSet::new();
        let fresh: Vec<NewMessage> = messages
            .into_iter()
            .take(outbox::MESSAGES_PER_CALL_MAX)
            .filter(|m| {
                !inner.outbox.has(&m.idempotency_key) && keys.insert(m.idempotency_key.clone())
            })
            .collect();
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let mut e = Encoder::default();
        e.u8(TAG_OUTBOX);
        e.varint(fresh.len() as u64);
        for message in &fresh {
            e.u8(0);
            e.timestamp(now);
            e.message(message);
        }
        inner.journal.append(&e.buf).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(fresh.into_iter().map(|m| inner.outbox.add(m, None, now)).collect())
    }

    /// In memory only: a lease lives as long as the process (after a restart every pending
    /// message is claimable, as if its lease had run out).
    fn outbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.lock()?.outbox.claim(owner, now, lease_until, limit))
    }

    /// One synced record for the whole batch: settling is what a dispatcher does per
    /// delivery, and one `fdatasync` per message would cap it at the disk's sync rate.
    fn outbox_settle(
        &self,
        owner: &str,
        settlements: &[(u64, Settlement)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        let mut inner = self.lock()?;
        let considered = outbox::first_of_each_id(settlements);
        let applied: Vec<bool> = settlements
            .iter()
            .zip(considered)
            .map(|((id, _), considered)| considered && inner.outbox.leased_to(*id, owner, now))
            .collect();
        let count = applied.iter().filter(|a| **a).count();
        if count == 0 {
            return Ok(applied);
        }
        let mut e = Encoder::default();
        e.u8(TAG_OUTBOX);
        e.varint(count as u64);
        for ((id, settlement), _) in settlements.iter().zip(&applied).filter(|(_, a)| **a) {
            e.u8(1);
            e.varint(*id);
            e.timestamp(now);
            e.settlement(settlement);
        }
        inner.journal.append(&e.buf).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        for ((id, settlement), _) in settlements.iter().zip(&applied).filter(|(_, a)| **a) {
            inner.outbox.settle(*id, settlement, now);
        }
        Ok(applied)
    }

    fn outbox_messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.lock()?.outbox.list(filter))
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        Ok(self.lock()?.outbox.counts())
    }

    fn audit_append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditEntry>, StoreError> {
        serialhub_store::check_audit_drafts(&drafts)?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut inner = self.lock()?;
        let entries = inner.audit.link(drafts);
        let mut e = Encoder::default();
        e.u8(TAG_AUDIT);
        e.varint(entries.len() as u64);
        for entry in &entries {
            e.audit_entry(entry);
        }
        inner.journal.append(&e.buf).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        inner.audit.push(entries.clone());
        Ok(entries)
    }

    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self.lock()?.audit.read(after, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal written before events were compressed (`TAG_JOB_V3`, the JSON-LD as is)
    /// still opens, and its events read back beside the compressed ones written after.
    #[test]
    fn uncompressed_events_of_older_records_read_back() {
        let dir = std::env::temp_dir().join(format!("serialhub-v3-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a temp dir");
        let unit = "urn:epc:id:sgtin:4012345.011111.77";
        let event = serialhub_epcis::Event {
            event_type: Some(serialhub_epcis::EventType::ObjectEvent),
            event_time: "2025-01-02T00:00:00Z".to_owned(),
            event_time_zone_offset: "+00:00".to_owned(),
            epc_list: vec![unit.to_owned()],
            action: Some(serialhub_epcis::Action::Observe),
            biz_step: Some("inspecting".to_owned()),
            ..Default::default()
        };
        {
            let mut e = Encoder::with_buffer(Vec::new());
            e.u8(TAG_JOB_V3);
            e.buf.extend_from_slice(&1u32.to_le_bytes());
            e.buf.extend_from_slice(&0i64.to_le_bytes());
            e.u8(1);
            e.str("ni:///sha-256;01?ver=CBV2.0");
            e.u8(0); // no eventID
            e.str(""); // no capturing party
            let json = serialhub_store::stored_json(&event);
            e.varint(json.len() as u64);
            e.buf.extend_from_slice(&json);
            e.varint(1);
            e.istr(Key::new(unit).as_str());
            e.varint(0); // changes
            e.varint(0); // violations
            e.varint(0); // locations
            e.varint(0); // messages
            let (mut journal, _) =
                Journal::open(&dir.join(JOURNAL_FILE), &mut |_, _| Ok(())).expect("a journal");
            journal.append(&e.buf).expect("appended");
        }
        let store = EmbeddedStore::open(&dir).expect("an older journal opens");
        let mut later = event.clone();
        later.event_time = "2025-01-03T00:00:00Z".to_owned();
        let record = EventRecord::new("ni:///sha-256;02?ver=CBV2.0".to_owned(), later.clone());
        store.capture(vec![record.with_body()], serialhub_store::EPOCH).expect("a capture");
        let history = store.history(&Key::new(unit)).expect("the history reads");
        let events: Vec<_> = history.into_iter().map(|e| e.record.event).collect();
        assert_eq!(events, [event, later]);
        drop(store);
        let _ = fs::remove_dir_all(&dir);
    }
}
