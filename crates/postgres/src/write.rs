//! Writing a decided capture job: one block of sequence numbers, the month's partition if it
//! is new, one binary `COPY` per table and one update of the states, so the number of
//! statements does not grow with the job.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres::Statement;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use serialhub_core::{Change, FxHashMap, Key, MemoryLedger, SerialState, StateView};
use serialhub_epcis::time::Timestamp;
use serialhub_store::codec::Encoder;
use serialhub_store::{CaptureJob, CommitReceipt, EventRecord, KnownField, StoreError};

use crate::{Statements, Tx, unavailable};

/// Writes the fresh events of `job` (`fresh[i]` for `job.events[i]`), with their keys,
/// exceptions and the last state of every key their changes touch, captured at `captured_at`
/// (the database's clock when `None`). The caller validated the job and holds the write lock.
/// Returns the receipt and the month whose partition this created.
pub(crate) fn job(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    partitions: &HashSet<i32>,
    job: &CaptureJob,
    fresh: &[bool],
    captured_at: Option<Timestamp>,
    before: &MemoryLedger,
) -> Result<(CommitReceipt, Option<i32>), StoreError> {
    debug_assert_eq!(job.events.len(), fresh.len());
    let n_fresh = fresh.iter().filter(|f| **f).count();
    let Some(block) = allocate(db, statements, partitions, n_fresh, captured_at)? else {
        return Ok((duplicates(job.events.iter().map(|c| &c.record)), None));
    };
    let records = job.events.iter().zip(fresh).filter(|(_, f)| **f).map(|(c, _)| &c.record);
    send_journal(db, statements, &journal(records, &block))?;
    // Encoded while nothing else runs: this path (a job decided elsewhere) serves the
    // conformance suite and tools, not the capture pipeline.
    let rows =
        ledger_rows(job, fresh, &block, |key| before.state(key).and_then(|s| s.parent.as_ref()));
    Ok((ledger(db, statements, job, fresh, &block, rows)?, block.created))
}

/// The receipt of a job whose events are all stored already.
pub(crate) fn duplicates<'r>(records: impl Iterator<Item = &'r EventRecord>) -> CommitReceipt {
    CommitReceipt {
        duplicates: records.map(|r| r.hash_id.clone()).collect(),
        ..CommitReceipt::default()
    }
}

/// The sequence numbers and capture time of a job's fresh events.
pub(crate) struct Block {
    /// The first sequence number; the fresh events take `first..first + n_fresh` in order.
    pub(crate) first: i64,
    captured_at: SystemTime,
    /// The month whose partition this job created.
    pub(crate) created: Option<i32>,
}

impl Block {
    /// The block a job captured at `now` takes when its first seq is `first` (a guess, to
    /// encode a job before its transaction allocates: `stream`).
    pub(crate) fn guessed(first: i64, now: Timestamp) -> Block {
        Block { first, captured_at: system_time(now.unix_millis), created: None }
    }
}

/// Takes the sequence numbers of `n_fresh` events and creates the month's partition if it is
/// new; `None` when there is nothing fresh to write.
pub(crate) fn allocate(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    partitions: &HashSet<i32>,
    n_fresh: usize,
    captured_at: Option<Timestamp>,
) -> Result<Option<Block>, StoreError> {
    if n_fresh == 0 {
        return Ok(None);
    }
    let count = i64::try_from(n_fresh).unwrap_or(i64::MAX);
    let rows = db.query(&statements.allocate, &[&count]).map_err(unavailable)?;
    let row =
        rows.first().ok_or_else(|| StoreError::Unavailable("setval returned no row".into()))?;
    let last: i64 = row.get(0);
    let db_now: SystemTime = row.get(1);
    let captured_at = match captured_at {
        Some(t) => system_time(t.unix_millis),
        None => db_now,
    };
    let month = month_of(millis(captured_at));
    let created = match month {
        Some(month) if !partitions.contains(&month) => {
            db.batch_execute(&create_partition(month)).map_err(unavailable)?;
            Some(month)
        }
        _ => None,
    };
    Ok(Some(Block { first: last - count + 1, captured_at, created }))
}

/// The binary `COPY` data of the rows that do not depend on deciding the job: `events` and
/// `event_hashes`. Built before deciding, so that the server can write them while the ledger
/// decides (`send_journal` on another thread). The history (`states.history`, `event_keys`)
/// depends on which identifiers have a record after the job, so it goes with the ledger rows.
#[derive(Debug)]
pub(crate) struct Journal {
    events: Vec<u8>,
    hashes: Vec<u8>,
    /// The job's distinct `bizLocation` and `readPoint` ids, as `KnownField` codes and values.
    location_fields: Vec<i16>,
    locations: Vec<String>,
}

/// The journal rows of the fresh events `records`, in capture order.
pub(crate) fn journal<'r>(
    records: impl Iterator<Item = &'r EventRecord> + Clone,
    block: &Block,
) -> Journal {
    let captured_at = millis(block.captured_at);
    let seqs = || (block.first..).zip(records.clone());
    let mut events = CopyData::default();
    for (seq, record) in seqs() {
        let event_time = Timestamp::parse(record.event.event_time.trim()).map(|t| t.unix_millis);
        events.row(7);
        events.int8(seq);
        events.text(&record.hash_id);
        events.timestamptz(Some(captured_at));
        events.timestamptz(event_time);
        // The caller's compressed form when it made one (the capture path does, on its
        // reading thread); the same bytes otherwise.
        match &record.body {
            Some(body) => events.field(body),
            None => events.field(&serialhub_store::stored_body(&record.event)),
        }
        events.opt_text(record.event.event_id.as_deref());
        events.opt_text(record.captured_by.as_deref());
    }
    let mut hashes = CopyData::default();
    for (seq, record) in seqs() {
        hashes.row(2);
        hashes.text(&record.hash_id);
        hashes.int8(seq);
    }
    let mut named: Vec<(i16, &str)> = seqs()
        .flat_map(|(_, record)| {
            [KnownField::BizLocation, KnownField::ReadPoint]
                .into_iter()
                .filter_map(move |f| Some((i16::from(f.code()), f.location_of(record)?)))
        })
        .collect();
    named.sort_unstable();
    named.dedup();
    let (location_fields, locations) = named.into_iter().map(|(f, v)| (f, v.to_owned())).unzip();
    Journal { events: events.finish(), hashes: hashes.finish(), location_fields, locations }
}

/// Copies the journal in: two statements, and a third for new locations.
pub(crate) fn send_journal(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    journal: &Journal,
) -> Result<(), StoreError> {
    copy(db, &statements.copy_events, &journal.events)?;
    copy(db, &statements.copy_hashes, &journal.hashes)?;
    if !journal.locations.is_empty() {
        db.execute(&statements.add_locations, &[&journal.location_fields, &journal.locations])
            .map_err(unavailable)?;
    }
    Ok(())
}

/// One `COPY` of prepared binary data.
fn copy(db: &mut Tx<'_, '_>, statement: &Statement, data: &[u8]) -> Result<(), StoreError> {
    let mut writer = db.copy_in(statement).map_err(unavailable)?;
    writer.write_all(data).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    writer.finish().map_err(unavailable)?;
    Ok(())
}

/// The rows deciding a job leaves to write, encoded: built on the capturing thread while the
/// server still copies the journal in (`send_journal`), so that `ledger` only sends them.
/// Measured at a million packs: building them took 5 s of the 32 s spent writing the ledger,
/// all of it while the server waited.
/// They own their text, so that a job decided ahead (`stream`) can keep them beside the job.
pub(crate) struct LedgerRows {
    /// Records whose last change in the job removed them.
    removed: Vec<String>,
    /// The binary `COPY` data of the new records, when there are any.
    created: Option<Vec<u8>>,
    /// The changed records, as the columns of the update.
    keys: Vec<String>,
    parents: Vec<Option<String>>,
    states: Vec<Vec<u8>>,
    lots: Vec<Option<Key>>,
    /// The seqs each changed record's history gains, as `bigint[]` literals.
    histories: Vec<String>,
    /// The binary `COPY` data of the history rows of identifiers without a record after the
    /// job or without a change in it (`event_keys`), when there are any.
    history_keys: Option<Vec<u8>>,
    /// The `contents` rows of the records that left their container: containers, contents.
    left: (Vec<String>, Vec<String>),
    /// The binary `COPY` data of the `contents` rows of the records that entered a container,
    /// when there are any.
    entered: Option<Vec<u8>>,
}

/// The rows of what deciding `job` produced for its fresh events (`fresh[i]` for
/// `job.events[i]`, numbered by `block`): the last state of every key their changes touch,
/// with the seqs of the events that named it when the job leaves it a record, the history
/// rows of the other keys named (no record after the job, or no change in it), and the rows
/// of `contents` that change: `container_before` gives each changed key's container before
/// the job.
pub(crate) fn ledger_rows<'j>(
    job: &'j CaptureJob,
    fresh: &[bool],
    block: &Block,
    container_before: impl Fn(&Key) -> Option<&'j Key>,
) -> LedgerRows {
    debug_assert_eq!(job.events.len(), fresh.len());
    let fresh_events = || job.events.iter().zip(fresh).filter(|(_, f)| **f).map(|(c, _)| c);
    // Only the last state of each key is written. A key whose first change in the job is a
    // `Create` had no row (the job was validated, or decided, against the committed rows) and
    // is copied in; the others are updated in one statement, or deleted when the last change
    // removed them (an error declaration's reversal).
    let mut last_state: Vec<LastState<'_>> = Vec::new();
    let mut position: FxHashMap<&Key, usize> = FxHashMap::default();
    for captured in fresh_events() {
        for (key, change) in &captured.changes {
            match position.get(key) {
                Some(&at) => last_state[at].state = change.state(),
                None => {
                    position.insert(key, last_state.len());
                    last_state.push(LastState {
                        key,
                        state: change.state(),
                        created: matches!(change, Change::Create(_)),
                        history: Vec::new(),
                    });
                }
            }
        }
    }
    // Each key an event names joins the history of its record when the job changed the key
    // and leaves it a record, and goes to `event_keys` otherwise (migration 10).
    let mut key_rows: Vec<(&str, i64)> = Vec::new();
    for (seq, captured) in (block.first..).zip(fresh_events()) {
        for key in &captured.record.keys {
            match position.get(key) {
                // `EventRecord::keys` holds each key once.
                Some(&at) if last_state[at].state.is_some() => last_state[at].history.push(seq),
                _ => key_rows.push((key.as_str(), seq)),
            }
        }
    }
    drop(position);
    // In key order, so that consecutive rows land on the same leaf of the primary key instead
    // of one random leaf each, and so that the update visits the heap in the order the rows
    // were copied in.
    key_rows.sort_unstable();
    last_state.sort_unstable_by(|a, b| a.key.cmp(b.key));
    let removed = last_state
        .iter()
        .filter(|last| last.state.is_none() && !last.created)
        .map(|last| last.key.as_str().to_owned())
        .collect();
    // Containment changes only where a record's container after the job differs from the one
    // before it (migration 11).
    let mut left = (Vec::new(), Vec::new());
    let mut entered: Vec<(&str, &str)> = Vec::new();
    for last in &last_state {
        let before = container_before(last.key);
        let after = last.state.and_then(|state| state.parent.as_ref());
        if before == after {
            continue;
        }
        if let Some(before) = before {
            left.0.push(before.as_str().to_owned());
            left.1.push(last.key.as_str().to_owned());
        }
        if let Some(after) = after {
            entered.push((after.as_str(), last.key.as_str()));
        }
    }
    // In the primary key's order, for the reason above.
    entered.sort_unstable();
    let entered = (!entered.is_empty()).then(|| {
        let mut copy = CopyData::default();
        for (parent, child) in entered {
            copy.row(2);
            copy.text(parent);
            copy.text(child);
        }
        copy.finish()
    });
    // One encoder for every record, cleared between them: a fresh one per record cost three
    // allocations and their frees each, two million times at a million packs.
    let mut encoder = Encoder::default();
    let mut encode = |state: &SerialState| {
        encoder.clear();
        encoder.state(state);
        encoder.buf.clone()
    };
    let captured_at = millis(block.captured_at);
    let history_keys = (!key_rows.is_empty()).then(|| {
        let mut copy = CopyData::default();
        for (key, seq) in key_rows {
            copy.row(3);
            copy.text(key);
            copy.int8(seq);
            copy.timestamptz(Some(captured_at));
        }
        copy.finish()
    });
    // A record created and removed within the job never reaches the table.
    let mut created: Option<CopyData> = None;
    let mut rows = LedgerRows {
        removed,
        created: None,
        keys: Vec::new(),
        parents: Vec::new(),
        states: Vec::new(),
        lots: Vec::new(),
        histories: Vec::new(),
        history_keys,
        left,
        entered,
    };
    for LastState { key, state, created: is_new, history } in last_state {
        let Some(state) = state else { continue };
        let parent = state.parent.as_ref().map(Key::as_str);
        if is_new {
            let copy = created.get_or_insert_with(CopyData::default);
            copy.row(5);
            copy.text(key.as_str());
            copy.opt_text(parent);
            copy.field(&encode(state));
            copy.opt_text(lot_key(key, state).as_ref().map(Key::as_str));
            copy.int8_array(&history);
        } else {
            rows.keys.push(key.as_str().to_owned());
            rows.parents.push(parent.map(str::to_owned));
            rows.states.push(encode(state));
            rows.lots.push(lot_key(key, state));
            rows.histories.push(int8_array_literal(&history));
        }
    }
    rows.created = created.map(CopyData::finish);
    rows
}

/// A key's last change in a job, and the seqs its record's history gains.
struct LastState<'j> {
    key: &'j Key,
    /// `None` when the change removed the record.
    state: Option<&'j SerialState>,
    /// Whether the key's first change in the job created its record (it had no row).
    created: bool,
    history: Vec<i64>,
}

/// `values` as a PostgreSQL array literal (`{1,2}`), in one allocation.
fn int8_array_literal(values: &[i64]) -> String {
    use std::fmt::Write as _;
    let mut literal = String::with_capacity(2 + values.len() * 12);
    literal.push('{');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        // Invariant: writing to a `String` cannot fail.
        write!(literal, "{value}").expect("a String takes any text");
    }
    literal.push('}');
    literal
}

/// Writes what deciding `job` produced for its fresh events (`fresh[i]` for `job.events[i]`,
/// numbered by `block`): exceptions, and `rows` (`ledger_rows` of the same job). Returns the
/// receipt.
pub(crate) fn ledger(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    job: &CaptureJob,
    fresh: &[bool],
    block: &Block,
    rows: LedgerRows,
) -> Result<CommitReceipt, StoreError> {
    debug_assert_eq!(job.events.len(), fresh.len());
    let mut receipt = CommitReceipt::default();
    let (first, captured_at) = (block.first, block.captured_at);
    let fresh_events = || job.events.iter().zip(fresh).filter(|(_, f)| **f).map(|(c, _)| c);
    let seqs = || (first..).zip(fresh_events());

    let n_exceptions: usize = fresh_events().map(|c| c.violations.len()).sum();
    if n_exceptions > 0 {
        let mut exceptions = BinaryCopyInWriter::new(
            db.copy_in(&statements.copy_exceptions).map_err(unavailable)?,
            &[
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT_ARRAY,
                Type::TEXT_ARRAY,
                Type::TEXT_ARRAY,
                Type::TIMESTAMPTZ,
            ],
        );
        for (seq, captured) in seqs() {
            for violation in &captured.violations {
                let keys: Vec<Key> = violation.epcs.iter().map(|e| Key::new(e)).collect();
                let keys: Vec<&str> = keys.iter().map(Key::as_str).collect();
                let row: [&(dyn ToSql + Sync); 9] = [
                    &seq,
                    &captured.record.hash_id,
                    &violation.exception_type.code(),
                    &violation.kind.code(),
                    &violation.message,
                    &violation.epcs,
                    &violation.event_ids,
                    &keys,
                    &captured_at,
                ];
                exceptions.write(&row).map_err(unavailable)?;
            }
        }
        exceptions.finish().map_err(unavailable)?;
    }

    if !rows.removed.is_empty() {
        // A removed record's history stays readable: its seqs move to `event_keys` first.
        db.execute(&statements.keep_history, &[&rows.removed]).map_err(unavailable)?;
        let n = db.execute(&statements.delete_states, &[&rows.removed]).map_err(unavailable)?;
        // Invariant: as for updates below, every removed key had a row.
        if n != rows.removed.len() as u64 {
            return Err(StoreError::Unavailable(format!(
                "{} of {} removed records were missing",
                rows.removed.len() as u64 - n,
                rows.removed.len()
            )));
        }
    }
    if !rows.left.0.is_empty() {
        let (parents, children) = &rows.left;
        let n =
            db.execute(&statements.delete_contents, &[parents, children]).map_err(unavailable)?;
        // Invariant: `contents` mirrors `states.parent`; a missing row means the job was
        // decided against rows that changed.
        if n != parents.len() as u64 {
            return Err(StoreError::Unavailable(format!(
                "{} of {} containment rows were missing",
                parents.len() as u64 - n,
                parents.len()
            )));
        }
    }
    if let Some(entered) = &rows.entered {
        copy(db, &statements.copy_contents, entered)?;
    }
    if let Some(created) = &rows.created {
        let mut writer = db.copy_in(&statements.copy_states).map_err(unavailable)?;
        writer.write_all(created).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        writer.finish().map_err(unavailable)?;
    }
    if let Some(history_keys) = &rows.history_keys {
        copy(db, &statements.copy_keys, history_keys)?;
    }
    if !rows.keys.is_empty() {
        let lots: Vec<Option<&str>> =
            rows.lots.iter().map(|l| l.as_ref().map(Key::as_str)).collect();
        let n = db
            .execute(
                &statements.update_states,
                &[&rows.keys, &rows.parents, &rows.states, &lots, &rows.histories],
            )
            .map_err(unavailable)?;
        // Invariant: every updated key had a row; fewer means the job was decided against
        // rows that are gone, and it must not commit.
        if n != rows.keys.len() as u64 {
            return Err(StoreError::Unavailable(format!(
                "{} of {} updated records were missing",
                rows.keys.len() as u64 - n,
                rows.keys.len()
            )));
        }
    }

    for (captured, &fresh) in job.events.iter().zip(fresh) {
        let hash_id = captured.record.hash_id.clone();
        if fresh {
            receipt.exceptions += captured.violations.len();
            receipt.stored.push(hash_id);
        } else {
            receipt.duplicates.push(hash_id);
        }
    }
    Ok(receipt)
}

/// A binary `COPY` stream being built (PostgreSQL's `COPY ... (FORMAT binary)` layout): the
/// signature and header, then per row the field count and each field as length and bytes.
struct CopyData {
    buf: Vec<u8>,
}

impl Default for CopyData {
    fn default() -> CopyData {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        CopyData { buf }
    }
}

impl CopyData {
    fn row(&mut self, n_fields: i16) {
        self.buf.extend_from_slice(&n_fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        // Invariant: a field is far below 2 GiB (a one-event document, an identifier).
        let len = i32::try_from(bytes.len()).expect("a COPY field is under 2 GiB");
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// A one-dimensional `bigint[]` without nulls, in the binary array layout: dimensions,
    /// null flag, element type (int8, OID 20), then each dimension's length and lower bound,
    /// then the elements; an empty array has no dimension.
    fn int8_array(&mut self, values: &[i64]) {
        const INT8_OID: i32 = 20;
        let mut array = Vec::with_capacity(20 + 12 * values.len());
        let dims = i32::from(!values.is_empty());
        array.extend_from_slice(&dims.to_be_bytes());
        array.extend_from_slice(&0i32.to_be_bytes());
        array.extend_from_slice(&INT8_OID.to_be_bytes());
        if !values.is_empty() {
            // Invariant: a job names a key in far fewer than 2^31 events.
            let len = i32::try_from(values.len()).expect("an array under 2^31 elements");
            array.extend_from_slice(&len.to_be_bytes());
            array.extend_from_slice(&1i32.to_be_bytes());
        }
        for value in values {
            array.extend_from_slice(&8i32.to_be_bytes());
            array.extend_from_slice(&value.to_be_bytes());
        }
        self.field(&array);
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// A `timestamptz` from Unix milliseconds: microseconds since 2000-01-01 UTC.
    fn timestamptz(&mut self, unix_millis: Option<i64>) {
        const PG_EPOCH_UNIX_MILLIS: i64 = 946_684_800_000;
        match unix_millis {
            Some(millis) => {
                let micros = millis.saturating_sub(PG_EPOCH_UNIX_MILLIS).saturating_mul(1000);
                self.field(&micros.to_be_bytes());
            }
            None => self.null(),
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

pub(crate) fn system_time(unix_millis: i64) -> SystemTime {
    let offset = Duration::from_millis(unix_millis.unsigned_abs());
    if unix_millis >= 0 { UNIX_EPOCH + offset } else { UNIX_EPOCH - offset }
}

pub(crate) fn millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The month (`year * 12 + month - 1`) of a UTC time, for years 0001 to 9998, whose months
/// and the one after them have four-digit years; other times go to the DEFAULT partition.
pub(crate) fn month_of(unix_millis: i64) -> Option<i32> {
    let text = Timestamp { unix_millis, has_offset: true }.to_utc_millis_string();
    let year: i32 = text.get(..4)?.parse().ok()?;
    let month: i32 = text.get(5..7)?.parse().ok()?;
    (text.len() == 24 && (1..=9998).contains(&year)).then_some(year * 12 + month - 1)
}

/// The DDL creating the partition of `month` (from `month_of`) if it does not exist.
pub(crate) fn create_partition(month: i32) -> String {
    let (year, index) = (month / 12, month % 12 + 1);
    let (next_year, next_index) = ((month + 1) / 12, (month + 1) % 12 + 1);
    format!(
        "CREATE TABLE IF NOT EXISTS events_y{year:04}m{index:02} PARTITION OF events \
         FOR VALUES FROM ('{year:04}-{index:02}-01 00:00:00+00') \
         TO ('{next_year:04}-{next_index:02}-01 00:00:00+00')"
    )
}

/// The lot a unit record belongs to (`states.lot_key`): its GTIN and commissioning lot.
fn lot_key(key: &Key, state: &SerialState) -> Option<Key> {
    serialhub_core::lot_key_of(key, state.lot.as_deref()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(time: &str, expect: Option<&str>) {
        let unix_millis = Timestamp::parse(time).expect("a timestamp").unix_millis;
        let ddl = month_of(unix_millis).map(create_partition);
        let prefix = "CREATE TABLE IF NOT EXISTS ";
        assert_eq!(ddl.as_deref().and_then(|d| d.strip_prefix(prefix)), expect);
    }

    #[test]
    fn partitions_cover_calendar_months() {
        check(
            "2025-06-01T00:00:00Z",
            Some(
                "events_y2025m06 PARTITION OF events FOR VALUES \
                 FROM ('2025-06-01 00:00:00+00') TO ('2025-07-01 00:00:00+00')",
            ),
        );
        check(
            "2026-01-01T00:30:00+01:00",
            Some(
                "events_y2025m12 PARTITION OF events FOR VALUES \
                 FROM ('2025-12-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')",
            ),
        );
        check(
            "1969-12-31T23:59:59Z",
            Some(
                "events_y1969m12 PARTITION OF events FOR VALUES \
                 FROM ('1969-12-01 00:00:00+00') TO ('1970-01-01 00:00:00+00')",
            ),
        );
        check("9999-12-01T00:00:00Z", None);
    }

    #[test]
    fn int8_arrays_are_written_as_postgresql_reads_them() {
        assert_eq!(int8_array_literal(&[]), "{}");
        assert_eq!(int8_array_literal(&[7]), "{7}");
        assert_eq!(int8_array_literal(&[1, -2, i64::MAX]), "{1,-2,9223372036854775807}");
    }

    #[test]
    fn times_round_trip_through_system_time() {
        for unix_millis in [0, 1, -1, 1_748_736_000_123, -62_135_596_800_000] {
            assert_eq!(millis(system_time(unix_millis)), unix_millis);
        }
    }
}
