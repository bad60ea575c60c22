//! The PostgreSQL backend of the serial ledger: `PgStore` keeps events, states and exceptions
//! in tables and writes each capture job in one transaction with binary `COPY`.
//!
//! Schema (`migrations/*.sql`, applied at connect by `migrate`):
//!
//! - `events(seq, hash_id, captured_at, event_time, body_lz4)`, partitioned by month of
//!   `captured_at` (the store creates the month's partition before it first inserts into it;
//!   a DEFAULT partition catches the rest). `body_lz4` is a one-event JSON-LD EPCISDocument,
//!   LZ4-compressed (`serialhub_store::stored_body`, migration 9; older rows have the JSON in
//!   `body`), read back with `serialhub_epcis::read_document`, as the embedded backend does.
//! - `event_hashes(hash_id, seq)`: deduplication and `has_event`.
//! - `event_keys(key, seq, captured_at)`: the history of identifiers without a record, named
//!   without a change, or whose record was removed, and all history written before migration
//!   10.
//! - `states(key, parent, state, lot_key, history)`: the ledger's record per identifier,
//!   encoded with `serialhub_store::codec`, and the seqs of the events that named it since
//!   (migration 10: one row per identifier a job changes, not one more per event naming it);
//!   indexed by `lot_key` (migration 2) for `lot_units`; fillfactor 70 (migration 3), so that
//!   an update, which changes no indexed column, is a HOT one that touches no index. A history
//!   read is the union of both tables, by seq.
//! - `contents(parent, child)`: one row per record in a container, for `children` and reading
//!   down a hierarchy (migration 11); `states.parent` holds the same, unindexed, for reading
//!   up one.
//! - `exceptions(id, event_seq, event_hash_id, type, code, message, epcs, event_ids, keys)`,
//!   `keys` being the canonical key of each EPC, indexed with GIN for the key filter.
//! - the sequence `event_seq`, and `ledger_generation` (one row, bumped by every write).
//!
//! The SQL file names the Citus distribution keys a scale-out deployment would use.
//!
//! Writes: one writer at a time per schema, enforced with a transaction-scoped advisory lock
//! (`pg_advisory_xact_lock(WRITE_LOCK_CLASS, hash of the schema name)`), taken first in every
//! write transaction, together with a bump of `ledger_generation` (migration 3). `capture` must
//! decide against the states as committed, so two processes capturing into one schema take
//! turns; other sessions read the last committed data meanwhile (MVCC), never a part of a job.
//!
//! `capture` decides against a `mirror::Mirror`: the committed records this connection loaded
//! or wrote, kept across jobs while the generation shows nobody else wrote. A job loads, with
//! one recursive query (`READS_FOR_BATCH`), only what the ledger may read for the keys it names
//! that no earlier job loaded (nothing, when the writer began on a store without records, whose
//! mirror is then complete). The server writes the job's events and hashes (one binary `COPY`
//! each, built before deciding) while the ledger decides and its rows are encoded, then the
//! new records (`COPY`), the other history rows (`COPY`), the containment rows that change
//! (one `DELETE`, one `COPY`) and the changed records with the history they gain (one
//! `UPDATE`); removed records move their history to `event_keys` before they are deleted. A
//! capture job costs a fixed number of statements whatever its size (7 to 17, counted by
//! `PgStore::queries`), and returns only once its transaction committed. `capture_stream`
//! (`stream`) decides and encodes the next batch while the server writes one.
//!
//! One connection, behind a mutex: reads wait while a job commits. A lost connection fails the
//! call in progress with `StoreError::Unavailable` and is reopened by the next call.

#![warn(missing_docs)]

mod audit;
mod migrate;
mod mirror;
mod outbox;
mod settle;
mod stream;
mod write;

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use postgres::{
    Client, GenericClient, NoTls, Row, SimpleQueryMessage, Statement, ToStatement, types::ToSql,
};
use serialhub_core::{
    ExceptionType, Key, MemoryLedger, NESTING_DEPTH_MAX, SerialState, Violation, ViolationKind,
};
use serialhub_epcis::Vocabulary;
use serialhub_epcis::time::Timestamp;
use serialhub_store::audit::{AuditDraft, AuditEntry};
use serialhub_store::codec::Decoder;
use serialhub_store::master::{self, MasterData};
use serialhub_store::outbox::{
    MESSAGES_PER_CALL_MAX, MessageFilter, MessageStatus, NewMessage, OutboxCounts, Route,
    Settlement, StoredMessage,
};

use crate::mirror::Mirror;
use serialhub_store::declare::Declarations;
use serialhub_store::{
    CaptureFeed, CaptureJob, CommitReceipt, EventRecord, ExceptionFilter, KnownField, Store,
    StoreError, StoredEvent, StoredException, ValuePage, capture,
};

/// The advisory lock class of the single-writer lock; the object ID is the schema's hash, so
/// stores in different schemas of one database do not wait for each other.
const WRITE_LOCK_CLASS: i32 = 0x7368_0001;
/// The advisory lock class taken while migrating.
const MIGRATE_LOCK_CLASS: i32 = 0x7368_0002;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The server could not be reached or refused the connection.
    #[error("could not connect to PostgreSQL: {}", describe(.0))]
    Connect(postgres::Error),
    /// A schema name that is not a plain lowercase SQL identifier.
    #[error("invalid schema name {0:?}: use lowercase ASCII letters, digits and underscores")]
    SchemaName(String),
    /// The session could not be set up (schema, search path, prepared statements).
    #[error("could not set up the PostgreSQL session: {}", describe(.0))]
    Session(postgres::Error),
    /// The connection's search path names no existing schema.
    #[error("the search path of the connection names no existing schema")]
    NoSchema,
    /// Reading or recording the migration state failed.
    #[error("could not migrate the schema: {}", describe(.0))]
    Migrate(postgres::Error),
    /// A migration script failed; nothing of it was applied.
    #[error("migration {version} failed: {}", describe(.source))]
    Migration {
        /// The migration's version.
        version: i32,
        /// The error.
        source: postgres::Error,
    },
    /// The database was migrated by a newer build.
    #[error("the database schema is at version {found}, newer than this build knows ({known})")]
    NewerSchema {
        /// The highest version recorded in the database.
        found: i32,
        /// The highest version this build has.
        known: i32,
    },
}

/// The PostgreSQL store. Open it with `PgStore::connect` or `PgStore::connect_schema`.
pub struct PgStore {
    inner: Mutex<Conn>,
    url: String,
    schema: Option<String>,
    /// The migration versions this store's `connect` applied.
    applied: Vec<i32>,
    /// Statements sent to the server since connect (each query, `COPY` and transaction
    /// command), for tests and benchmarks that count round trips.
    queries: AtomicU64,
    /// Batches `capture_stream` decided ahead of their write and wrote on that decision
    /// (the others went through `capture_routed`), for tests and benchmarks.
    written_ahead: AtomicU64,
    /// The thread freeing the last decided job (`discard`): at most one at a time.
    discarding: Mutex<Option<JoinHandle<()>>>,
    /// Whether capture may skip what a writer that began on an empty store knows (`Mirror`);
    /// off only in tests of the other path (`read_back_always`).
    trust_empty: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("schema", &self.schema)
            .field("applied", &self.applied)
            .field("queries", &self.queries.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// One open connection with its prepared statements.
struct Conn {
    client: Client,
    statements: Statements,
    /// The advisory lock's object ID: the hash of the schema written to.
    lock_id: i32,
    /// The months (`year * 12 + month - 1`) whose `events` partition is known to exist.
    partitions: HashSet<i32>,
    /// Set when a call failed and the connection no longer answers: the next call reopens it.
    /// (`Client::is_closed` only notices once the driver has read the end of the stream.)
    broken: bool,
    /// The committed records `capture` decides against, kept between jobs.
    mirror: Mirror,
}

/// Every statement the store runs, prepared once per connection.
pub(crate) struct Statements {
    state: Statement,
    children: Statement,
    history: Statement,
    has_event: Statement,
    events_from: Statement,
    events_by_id: Statement,
    last_seq: Statement,
    /// Indexed by `usize::from(by_type) | usize::from(by_key) << 1`.
    exceptions: [Statement; 4],
    stored_hashes: Statement,
    store_empty: Statement,
    states_of: Statement,
    reads_for_batch: Statement,
    pub(crate) allocate: Statement,
    pub(crate) copy_events: Statement,
    pub(crate) copy_hashes: Statement,
    pub(crate) copy_keys: Statement,
    pub(crate) copy_exceptions: Statement,
    pub(crate) copy_states: Statement,
    pub(crate) copy_contents: Statement,
    pub(crate) delete_contents: Statement,
    pub(crate) update_states: Statement,
    pub(crate) delete_states: Statement,
    pub(crate) keep_history: Statement,
    lot_units: Statement,
    pub(crate) add_locations: Statement,
    known_epcs: Statement,
    known_locations: Statement,
    master_elements: Statement,
    put_master_element: Statement,
    all_master_data: Statement,
    outbox_insert: Statement,
    outbox_claim: Statement,
    outbox_settle: Statement,
    outbox_list: Statement,
    outbox_counts: Statement,
}

const EXCEPTION_COLUMNS: &str = "SELECT event_seq, event_hash_id, type, code, message, epcs, event_ids, captured_at \
     FROM exceptions";

/// Everything the ledger may read while deciding a batch naming the keys `$1`: their records
/// (`own`), their containers up the parent chain (`up`), everything inside them down the
/// children index (`down`), both `$2` levels deep (the ledger's own bound), and the lot
/// records of every GTIN among the units named or reached (`$3` holds the GTIN stems of the
/// named units). Lot keys derive from a unit's GTIN and lot, and the lot is inside the encoded
/// state; a GTIN has few lots, so loading them all is cheaper than a second round trip.
///
/// Only a key with a record can have children or a parent, so the recursion starts from the
/// records found, and a batch of new identifiers (commissioning) costs one probe per key.
/// Rows may repeat (a named key inside another named key); the caller keeps one of each.
/// The third column is true for the rows read as a named key or as contents, whose GTINs' lots
/// the query loaded.
const READS_FOR_BATCH: &str = r#"
WITH RECURSIVE
own AS MATERIALIZED (
    SELECT s.key, s.parent, s.state FROM states s WHERE s.key = ANY($1::text[])
),
up (key, parent, state, depth) AS (
    SELECT s.key, s.parent, s.state, 1
    FROM (SELECT parent FROM own WHERE parent IS NOT NULL GROUP BY parent) p
    JOIN states s ON s.key = p.parent
    UNION
    SELECT s.key, s.parent, s.state, up.depth + 1
    FROM up JOIN states s ON s.key = up.parent
    WHERE up.depth < $2
),
down (key, state, depth) AS (
    SELECT s.key, s.state, 1
    FROM own JOIN contents c ON c.parent = own.key JOIN states s ON s.key = c.child
    UNION ALL
    SELECT s.key, s.state, down.depth + 1
    FROM down JOIN contents c ON c.parent = down.key JOIN states s ON s.key = c.child
    WHERE down.depth < $2
),
gtins AS (
    SELECT unnest($3::text[]) COLLATE "C" AS stem
    UNION
    SELECT left(key, 36) FROM down WHERE key LIKE 'https://id.gs1.org/01/______________/21/%'
)
SELECT key, state, true FROM own
UNION ALL SELECT key, state, false FROM up
UNION ALL SELECT key, state, true FROM down
UNION ALL
SELECT s.key, s.state, false FROM gtins g JOIN states s
    ON s.key >= g.stem || '/10/' AND s.key < g.stem || '/100'
"#;

/// The prefix every key of a serialized GS1 trade item starts with, up to its GTIN.
const DL_GTIN: &str = "https://id.gs1.org/01/";

/// The `https://id.gs1.org/01/<GTIN>` stem of a serialized unit's key (one with `/21/`), which
/// its lot's key shares (`READS_FOR_BATCH`).
fn gtin_stem(key: &str) -> Option<&str> {
    let gtin = key.strip_prefix(DL_GTIN)?.get(..14)?;
    let stem_len = DL_GTIN.len() + 14;
    (gtin.bytes().all(|b| b.is_ascii_digit()) && key[stem_len..].starts_with("/21/"))
        .then(|| &key[..stem_len])
}

/// A `(seq, hash_id, body, captured_by, body_lz4)` row as a stored event.
fn stored_event(row: &postgres::Row) -> Result<StoredEvent, StoreError> {
    let hash_id: String = row.get(1);
    // Rows written before migration 9 have the JSON itself, later ones the compressed form.
    let event = match row.get::<_, Option<&[u8]>>(4) {
        Some(compressed) => {
            let json = serialhub_store::read_stored_body(compressed)
                .map_err(|e| corrupt(&format!("event {hash_id}"), e))?;
            read_event(&hash_id, &json)?
        }
        None => {
            let body: Option<&str> = row.get(2);
            let body = body.ok_or_else(|| corrupt(&format!("event {hash_id}"), "no body"))?;
            read_event(&hash_id, body.as_bytes())?
        }
    };
    let mut record = EventRecord::new(hash_id, event);
    record.captured_by = row.get(3);
    Ok(StoredEvent { seq: seq_of(row.get(0))?, record })
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        // Every variant bounds the event seq (`$1 < event_seq <= $2`), then filters by type
        // and key as given.
        let range = "event_seq > $1 AND event_seq <= $2";
        let exceptions = [
            format!("{EXCEPTION_COLUMNS} WHERE {range} ORDER BY event_seq, id"),
            format!("{EXCEPTION_COLUMNS} WHERE {range} AND type = $3 ORDER BY event_seq, id"),
            format!(
                "{EXCEPTION_COLUMNS} WHERE {range} AND keys @> ARRAY[$3::text] \
                 ORDER BY event_seq, id"
            ),
            format!(
                "{EXCEPTION_COLUMNS} WHERE {range} AND type = $3 AND keys @> ARRAY[$4::text] \
                 ORDER BY event_seq, id"
            ),
        ];
        let [all, by_type, by_key, both] = exceptions.map(|sql| client.prepare(&sql));
        Ok(Statements {
            state: client.prepare("SELECT state FROM states WHERE key = $1")?,
            children: client.prepare(
                "SELECT child FROM contents WHERE parent = $1 ORDER BY child COLLATE \"C\"",
            )?,
            // The history in `event_keys`, whose capture times take each read to one
            // partition of `events`, and in the record's row (migration 10), whose seqs are
            // looked up in every partition; a seq is in one of the two.
            history: client.prepare(
                "SELECT * FROM ( \
                     SELECT e.seq, e.hash_id, e.body, e.captured_by, e.body_lz4 \
                     FROM event_keys k JOIN events e \
                     ON e.seq = k.seq AND e.captured_at = k.captured_at WHERE k.key = $1 \
                     UNION ALL \
                     SELECT e.seq, e.hash_id, e.body, e.captured_by, e.body_lz4 \
                     FROM states s CROSS JOIN LATERAL unnest(s.history) AS h (seq) \
                     JOIN events e ON e.seq = h.seq WHERE s.key = $1 \
                 ) x ORDER BY seq",
            )?,
            has_event: client
                .prepare("SELECT EXISTS (SELECT 1 FROM event_hashes WHERE hash_id = $1)")?,
            events_from: client.prepare(
                "SELECT seq, hash_id, body, captured_by, body_lz4 FROM events WHERE seq >= $1 \
                 ORDER BY seq LIMIT $2",
            )?,
            events_by_id: client.prepare(
                // `hash_id >= $1 AND hash_id < $1 || '&errorDeclaration>'`: the event with that
                // hash and the declarations of it (`serialhub_store::answers_to_hash`), a range
                // of the primary key in C collation.
                "SELECT seq, hash_id, body, captured_by, body_lz4 FROM events WHERE event_id = $1 \
                 UNION SELECT e.seq, e.hash_id, e.body, e.captured_by, e.body_lz4 FROM event_hashes h \
                 JOIN events e ON e.seq = h.seq WHERE h.hash_id = $1 \
                 OR (h.hash_id > $1 || '&errorDeclaration=' AND h.hash_id < $1 || '&errorDeclaration>') \
                 ORDER BY 1",
            )?,
            last_seq: client.prepare("SELECT coalesce(max(seq), 0) FROM events")?,
            exceptions: [all?, by_type?, by_key?, both?],
            stored_hashes: client
                .prepare("SELECT hash_id FROM event_hashes WHERE hash_id = ANY($1::text[])")?,
            store_empty: client.prepare(
                "SELECT NOT EXISTS (SELECT FROM states), NOT EXISTS (SELECT FROM event_hashes)",
            )?,
            states_of: client
                .prepare("SELECT key, state FROM states WHERE key = ANY($1::text[])")?,
            reads_for_batch: client.prepare(READS_FOR_BATCH)?,
            // Under the write lock nobody else draws from the sequence, so taking a block as
            // `nextval` then `setval` is atomic enough; a rolled-back job leaves a gap, which
            // `seq` allows (strictly increasing, never reused).
            allocate: client.prepare(
                "SELECT setval('event_seq', nextval('event_seq') + $1::bigint - 1), now()",
            )?,
            copy_events: client.prepare(
                "COPY events (seq, hash_id, captured_at, event_time, body_lz4, event_id, captured_by) \
                 FROM STDIN (FORMAT binary)",
            )?,
            copy_hashes: client
                .prepare("COPY event_hashes (hash_id, seq) FROM STDIN (FORMAT binary)")?,
            copy_keys: client
                .prepare("COPY event_keys (key, seq, captured_at) FROM STDIN (FORMAT binary)")?,
            copy_exceptions: client.prepare(
                "COPY exceptions (event_seq, event_hash_id, type, code, message, epcs, \
                 event_ids, keys, captured_at) FROM STDIN (FORMAT binary)",
            )?,
            copy_contents: client
                .prepare("COPY contents (parent, child) FROM STDIN (FORMAT binary)")?,
            delete_contents: client.prepare(
                "DELETE FROM contents c USING unnest($1::text[], $2::text[]) AS d (parent, child) \
                 WHERE c.parent = d.parent AND c.child = d.child",
            )?,
            copy_states: client.prepare(
                "COPY states (key, parent, state, lot_key, history) FROM STDIN (FORMAT binary)",
            )?,
            lot_units: client
                .prepare("SELECT key FROM states WHERE lot_key = $1 ORDER BY key COLLATE \"C\"")?,
            update_states: client.prepare(
                "UPDATE states SET parent = u.parent, state = u.state, lot_key = u.lot_key, \
                 history = states.history || u.history::bigint[] \
                 FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[]) \
                 AS u (key, parent, state, lot_key, history) WHERE states.key = u.key",
            )?,
            delete_states: client.prepare("DELETE FROM states WHERE key = ANY($1::text[])")?,
            keep_history: client.prepare(
                "INSERT INTO event_keys (key, seq, captured_at) \
                 SELECT s.key, e.seq, e.captured_at FROM states s \
                 CROSS JOIN LATERAL unnest(s.history) AS h (seq) JOIN events e ON e.seq = h.seq \
                 WHERE s.key = ANY($1::text[])",
            )?,
            add_locations: client.prepare(
                "INSERT INTO known_locations (field, value) \
                 SELECT * FROM unnest($1::smallint[], $2::text[]) ON CONFLICT DO NOTHING",
            )?,
            // The keys of `event_keys` (DISTINCT over its primary key, read in order and
            // stopped at the limit) and of the records with a history (migration 10).
            known_epcs: client.prepare(
                "SELECT key FROM ( \
                     (SELECT DISTINCT key FROM event_keys WHERE key > $1 ORDER BY key LIMIT $2) \
                     UNION \
                     (SELECT key FROM states WHERE key > $1 AND cardinality(history) > 0 \
                      ORDER BY key LIMIT $2) \
                 ) k ORDER BY key COLLATE \"C\" LIMIT $2",
            )?,
            known_locations: client.prepare(
                "SELECT value FROM known_locations WHERE field = $1 AND value > $2 \
                 ORDER BY value LIMIT $3",
            )?,
            master_elements: client.prepare(
                "SELECT element FROM master_data WHERE (vtype, id) IN \
                 (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE",
            )?,
            put_master_element: client.prepare(
                "INSERT INTO master_data (vtype, id, element) VALUES ($1, $2, $3) \
                 ON CONFLICT (vtype, id) DO UPDATE SET element = excluded.element",
            )?,
            all_master_data: client.prepare("SELECT element FROM master_data ORDER BY vtype, id")?,
            outbox_insert: client.prepare(outbox::INSERT)?,
            outbox_claim: client.prepare(&outbox::claim_sql())?,
            outbox_settle: client.prepare(outbox::SETTLE)?,
            outbox_list: client.prepare(&format!(
                "SELECT {} FROM outbox WHERE ($1::text IS NULL OR status = $1) \
                 AND ($2::text IS NULL OR connector = $2) \
                 AND ($3::text IS NULL OR destination = $3) AND id > $4 ORDER BY id LIMIT $5",
                outbox::COLUMNS
            ))?,
            outbox_counts: client.prepare("SELECT status, count(*) FROM outbox GROUP BY status")?,
        })
    }
}

/// A client (or transaction) that counts the statements it sends.
pub(crate) struct Db<'a, C> {
    pub(crate) client: &'a mut C,
    queries: &'a AtomicU64,
}

impl<C: GenericClient> Db<'_, C> {
    pub(crate) fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn query<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        self.count();
        self.client.query(statement, params)
    }

    pub(crate) fn execute<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        self.count();
        self.client.execute(statement, params)
    }

    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.count();
        self.client.batch_execute(sql)
    }

    pub(crate) fn copy_in<T: ?Sized + ToStatement>(
        &mut self,
        statement: &T,
    ) -> Result<postgres::CopyInWriter<'_>, postgres::Error> {
        self.count();
        self.client.copy_in(statement)
    }
}

/// The counted transaction a write runs in.
pub(crate) type Tx<'a, 't> = Db<'a, postgres::Transaction<'t>>;

/// A database error as the trait reports it: the job did not commit and may be retried.
pub(crate) fn unavailable(error: postgres::Error) -> StoreError {
    StoreError::Unavailable(describe(&error))
}

/// A driver error with what the server said, or with its causes (the driver's own message
/// leaves them out: "error connecting to server").
fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut message = format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                message.push_str(&format!("; {detail}"));
            }
            message
        }
        None => {
            // The driver's message ("error communicating with the server") and its causes.
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        }
    }
}

/// A stored value that does not read back: the database holds what this build did not write.
fn corrupt(what: &str, detail: impl fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("stored {what} does not read back: {detail}"))
}

/// FNV-1a: a stable 32-bit hash of the schema name for the advisory lock's object ID.
fn lock_id(schema: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in schema.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// Whether `name` can be used as a schema name without quoting surprises.
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.len() <= 63
}

/// Connects and sets the session up: the schema, created if absent, and the search path if
/// one is given. Returns the client and the schema it writes to.
fn session(url: &str, schema: Option<&str>) -> Result<(Client, String), PgError> {
    let mut client = Client::connect(url, NoTls).map_err(PgError::Connect)?;
    // JIT compiling `READS_FOR_BATCH` (its recursive estimates are huge) took 0.4 to 0.8 s a
    // job, more than running it; no statement here runs long enough to repay compiling. The
    // states update of a 10,000-event job spilled its rows and hash table to temporary files
    // (46 MB a job) at the default 4 MB of `work_mem`; one session may take more.
    client.batch_execute("SET jit = off; SET work_mem = '64MB'").map_err(PgError::Session)?;
    if let Some(schema) = schema {
        // Invariant: `schema` is a plain identifier (checked by `connect_schema`), so quoting
        // it is enough.
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET search_path TO \"{schema}\""
            ))
            .map_err(PgError::Session)?;
    }
    let row = client.query_one("SELECT current_schema()", &[]).map_err(PgError::Session)?;
    let current: Option<String> = row.get(0);
    Ok((client, current.ok_or(PgError::NoSchema)?))
}

impl Conn {
    /// The store's connection over a migrated schema.
    fn new(mut client: Client, schema: &str) -> Result<Conn, PgError> {
        Ok(Conn {
            statements: Statements::prepare(&mut client).map_err(PgError::Session)?,
            client,
            lock_id: lock_id(schema),
            partitions: HashSet::new(),
            broken: false,
            mirror: Mirror::default(),
        })
    }

    /// Marks the connection broken if `result` is a failure and the server no longer answers.
    fn check<T>(&mut self, result: &Result<T, StoreError>) {
        if let Err(StoreError::Unavailable(_) | StoreError::InDoubt(_)) = result
            && self.client.is_valid(Duration::from_secs(5)).is_err()
        {
            self.broken = true;
        }
    }
}

impl PgStore {
    /// Connects to `url` (a libpq-style connection string or URL), migrates the schema the
    /// connection's search path points at, and returns the store.
    pub fn connect(url: &str) -> Result<PgStore, PgError> {
        PgStore::open(url, None)
    }

    /// Like `connect`, in `schema` (created if absent; set as the connection's search path):
    /// how tests and tenants get a store of their own in one database.
    pub fn connect_schema(url: &str, schema: &str) -> Result<PgStore, PgError> {
        if !is_plain_identifier(schema) {
            return Err(PgError::SchemaName(schema.to_owned()));
        }
        PgStore::open(url, Some(schema))
    }

    fn open(url: &str, schema: Option<&str>) -> Result<PgStore, PgError> {
        let (mut client, current) = session(url, schema)?;
        let applied = migrate::migrate(&mut client, (MIGRATE_LOCK_CLASS, lock_id(&current)))?;
        Ok(PgStore {
            inner: Mutex::new(Conn::new(client, &current)?),
            url: url.to_owned(),
            schema: schema.map(str::to_owned),
            applied,
            queries: AtomicU64::new(0),
            written_ahead: AtomicU64::new(0),
            discarding: Mutex::new(None),
            trust_empty: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// Makes this store's writer decide as one that joined a store with data does, reading
    /// back what each job reaches and asking the server about every hash ID, even on an empty
    /// store: for tests that run that path on a fresh schema.
    #[doc(hidden)]
    pub fn read_back_always(&self) {
        self.trust_empty.store(false, Ordering::Relaxed);
    }

    /// The migration versions `connect` applied (empty when the schema was up to date).
    pub fn applied_migrations(&self) -> &[i32] {
        &self.applied
    }

    /// The number of statements sent to the server since connect: queries, `COPY`s and
    /// transaction commands. A capture job costs a fixed number of them whatever its size.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// How many batches `capture_stream` wrote as it decided them ahead of their transaction,
    /// while the batch before was being written.
    pub fn written_ahead(&self) -> u64 {
        self.written_ahead.load(Ordering::Relaxed)
    }

    /// Frees `decided` on a thread of its own: a job's events, changes and undo records are
    /// hundreds of thousands of allocations, and freeing them took 6% of an import's time on
    /// the capturing thread (measured with `perf`), while the server works on the next job.
    /// Waits for the previous one first, so at most one job's memory is in flight.
    fn discard(&self, decided: capture::Decided) {
        let Ok(mut slot) = self.discarding.lock() else { return };
        if let Some(previous) = slot.take() {
            // A panic while freeing is not this call's to report.
            let _ = previous.join();
        }
        // If no thread can be started, the closure (and `decided` with it) is dropped here.
        *slot = std::thread::Builder::new()
            .name("pg-discard".to_owned())
            .spawn(move || drop(decided))
            .ok();
    }

    /// The connection, reopened first if the previous one was lost.
    fn conn(&self) -> Result<MutexGuard<'_, Conn>, StoreError> {
        // A poisoned lock means a call panicked while it held the connection; a transaction it
        // had open was dropped (and so rolled back), but say so rather than guess.
        let mut conn =
            self.inner.lock().map_err(|_| StoreError::Unavailable("lock poisoned".to_owned()))?;
        if conn.broken || conn.client.is_closed() {
            self.reopen(&mut conn)?;
        }
        Ok(conn)
    }

    /// Replaces `conn`'s session with a new one. The mirror is kept: it is checked against the
    /// generation at every write, and every write that may not have committed empties it.
    fn reopen(&self, conn: &mut Conn) -> Result<(), StoreError> {
        let reopened = session(&self.url, self.schema.as_deref())
            .and_then(|(client, schema)| Conn::new(client, &schema))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let partitions = std::mem::take(&mut conn.partitions);
        let mirror = std::mem::take(&mut conn.mirror);
        *conn = Conn { partitions, mirror, ..reopened };
        Ok(())
    }

    /// Runs `body` on the connection, outside any transaction.
    fn read<T>(
        &self,
        body: impl FnOnce(&mut Db<'_, Client>, &Statements) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn()?;
        let Conn { client, statements, .. } = &mut *guard;
        let result = body(&mut Db { client, queries: &self.queries }, statements);
        guard.check(&result);
        result
    }

    /// Runs `body` in one transaction holding the write lock; commits if it succeeds, rolls
    /// back otherwise. `body` returns the month whose partition it created, if any, which is
    /// remembered only once the transaction committed.
    fn write<T>(
        &self,
        body: impl FnOnce(
            &mut Tx<'_, '_>,
            &Statements,
            &HashSet<i32>,
            &mut Mirror,
        ) -> Result<(T, Option<i32>), StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn()?;
        let result = self.transact(&mut guard, body);
        guard.check(&result);
        result
    }

    fn transact<T>(
        &self,
        conn: &mut Conn,
        body: impl FnOnce(
            &mut Tx<'_, '_>,
            &Statements,
            &HashSet<i32>,
            &mut Mirror,
        ) -> Result<(T, Option<i32>), StoreError>,
    ) -> Result<T, StoreError> {
        let Conn { client, statements, lock_id, partitions, mirror, broken } = conn;
        self.queries.fetch_add(1, Ordering::Relaxed);
        let mut tx = client.transaction().map_err(unavailable)?;
        let mut db = Db { client: &mut tx, queries: &self.queries };
        let result = begin_write(&mut db, *lock_id).and_then(|began| {
            mirror.begin(began.generation);
            body(&mut db, statements, partitions, mirror).map(|done| (done, began))
        });
        self.queries.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(((value, month), began)) => match settle::commit(tx, &self.url, &began.id) {
                Ok(committed) => {
                    *broken |= committed == settle::Committed::Settled;
                    mirror.committed(began.generation);
                    partitions.extend(month);
                    Ok(value)
                }
                Err(error) => {
                    // Not committed, or nobody knows: the mirror cannot tell.
                    mirror.clear();
                    Err(error)
                }
            },
            Err(error) => {
                // The job's changes may be in the mirror already.
                mirror.clear();
                // The server rolls back anyway when the connection is gone; nothing to add.
                let _ = tx.rollback();
                Err(error)
            }
        }
    }
}

/// A write transaction begun by `begin_write`.
struct Began {
    /// The generation the transaction bumped the schema to.
    generation: i64,
    /// What a new session asks about when the answer to its `COMMIT` is lost (`settle`).
    id: settle::TxId,
}

/// Takes the write lock and bumps the schema's generation (`mirror`), in one round trip: the
/// simple protocol runs the two statements in order, each with a snapshot of its own, so the
/// update sees every transaction that held the lock before.
fn begin_write(db: &mut Tx<'_, '_>, lock_id: i32) -> Result<Began, StoreError> {
    db.count();
    let messages = db
        .client
        .simple_query(&format!(
            "SELECT pg_advisory_xact_lock({WRITE_LOCK_CLASS}, {lock_id}); \
             UPDATE ledger_generation SET generation = generation + 1 \
             RETURNING generation, {}",
            settle::TX_ID
        ))
        .map_err(unavailable)?;
    let began = messages.iter().find_map(|message| match message {
        SimpleQueryMessage::Row(row)
            if row.columns().first().is_some_and(|c| c.name() == "generation") =>
        {
            let generation = row.get(0)?.parse().ok()?;
            let id =
                settle::TxId { xid: row.get(1)?.to_owned(), server_start: row.get(2)?.to_owned() };
            Some(Began { generation, id })
        }
        _ => None,
    });
    began.ok_or_else(|| corrupt("ledger_generation", "no generation row"))
}

/// Which of the events with the hash IDs `hashes` are fresh: not stored (`stored`), and not
/// repeated earlier.
fn fresh<'h>(hashes: impl Iterator<Item = &'h str>, stored: &HashSet<String>) -> Vec<bool> {
    let mut seen: HashSet<&str> = HashSet::new();
    hashes.map(|hash| !stored.contains(hash) && seen.insert(hash)).collect()
}

/// The hash IDs among `hashes` already stored.
fn stored_hashes(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    hashes: &[&str],
) -> Result<HashSet<String>, StoreError> {
    if hashes.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = db.query(&statements.stored_hashes, &[&hashes]).map_err(unavailable)?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Inserts the outbox messages `route` says the fresh events of `job` cause (`fresh[i]` for
/// `job.events[i]`, stored from seq `first` on), in the job's transaction.
fn route_messages(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    job: &CaptureJob,
    fresh: &[bool],
    first: i64,
    route: &dyn Route,
    now: Timestamp,
) -> Result<Vec<u64>, StoreError> {
    let fresh_events = job.events.iter().zip(fresh).filter(|(_, f)| **f);
    let routed: Vec<(u64, NewMessage)> = fresh_events
        .zip(first..)
        .flat_map(|((c, _), seq)| {
            let messages = route.route(&c.record);
            let seq = u64::try_from(seq).unwrap_or(0);
            messages.into_iter().take(MESSAGES_PER_CALL_MAX).map(move |m| (seq, m))
        })
        .collect();
    let routed: Vec<(Option<u64>, &NewMessage)> =
        routed.iter().map(|(seq, m)| (Some(*seq), m)).collect();
    outbox::insert(db, &statements.outbox_insert, &routed, now)
}

/// The container of `key` before the job `decided` changed it.
fn container_before<'d>(decided: &'d capture::Decided, key: &Key) -> Option<&'d Key> {
    // Invariant: `decide` notes every key it changes.
    debug_assert!(decided.containers_before.contains_key(key), "no container noted for {key}");
    decided.containers_before.get(key).and_then(Option::as_ref)
}

/// Decodes a `states.state` value.
fn decode_state(key: &str, bytes: &[u8]) -> Result<SerialState, StoreError> {
    let mut decoder = Decoder::new(bytes);
    let state = decoder.state().map_err(|e| {
        corrupt(&format!("state of {key}"), format_args!("expected {} at byte {}", e.what, e.at))
    })?;
    if decoder.pos != bytes.len() {
        return Err(corrupt(&format!("state of {key}"), "bytes after the record"));
    }
    Ok(state)
}

/// A ledger holding the `(key, state)` rows given.
fn ledger_of(rows: &[Row]) -> Result<MemoryLedger, StoreError> {
    let mut ledger = MemoryLedger::default();
    let mut seen: HashSet<&str> = HashSet::new();
    for row in rows {
        if !seen.insert(row.get(0)) {
            continue;
        }
        let key: String = row.get(0);
        let state = decode_state(&key, row.get(1))?;
        ledger.restore(Key::from_canonical(key), Some(state));
    }
    Ok(ledger)
}

fn seq_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("seq", value))
}

impl Store for PgStore {
    fn commit(&self, job: &CaptureJob) -> Result<CommitReceipt, StoreError> {
        self.write(|db, statements, partitions, mirror| {
            // The job was decided elsewhere; the mirror would not see its changes.
            mirror.clear();
            let hashes: Vec<&str> = job.events.iter().map(|c| c.record.hash_id.as_str()).collect();
            let stored = stored_hashes(db, statements, &hashes)?;
            let fresh = fresh(job.events.iter().map(|c| c.record.hash_id.as_str()), &stored);
            // Validate against the records the job's changes name, with the shared rule, so
            // that the errors are the ones every backend gives.
            let mut changed: Vec<&str> = job
                .events
                .iter()
                .zip(&fresh)
                .filter(|(_, fresh)| **fresh)
                .flat_map(|(c, _)| c.changes.iter().map(|(key, _)| key.as_str()))
                .collect();
            changed.sort_unstable();
            changed.dedup();
            // The committed records of the keys the job changes: what it is validated against,
            // and where the containers it moves records out of are read.
            let before = if changed.is_empty() {
                MemoryLedger::default()
            } else {
                let rows = db.query(&statements.states_of, &[&changed]).map_err(unavailable)?;
                ledger_of(&rows)?
            };
            capture::validate(&before, job, &fresh)?;
            write::job(db, statements, partitions, job, &fresh, None, &before)
        })
    }

    fn capture_routed(
        &self,
        batch: Vec<EventRecord>,
        now: Timestamp,
        route: &dyn Route,
    ) -> Result<CommitReceipt, StoreError> {
        self.write(|db, statements, partitions, mirror| {
            if mirror.is_new() && self.trust_empty.load(Ordering::Relaxed) {
                let rows = db.query(&statements.store_empty, &[]).map_err(unavailable)?;
                let row = rows.first().ok_or_else(|| corrupt("store", "no emptiness row"))?;
                mirror.start(row.get(0), row.get(1));
            }
            let mut hashes: Vec<&str> = batch.iter().map(|r| r.hash_id.as_str()).collect();
            // The events the batch's declarations declare: whether they are stored decides
            // whether a declaration has anything to take back.
            hashes.extend(
                batch
                    .iter()
                    .filter(|r| r.event.error_declaration.is_some())
                    .map(|r| serialhub_store::hash_of_capture_id(&r.hash_id)),
            );
            let stored = stored_hashes(db, statements, &mirror.maybe_stored(&hashes))?;
            // `decide` keeps the batch's order, so this is also which events of its job are.
            let fresh = fresh(batch.iter().map(|r| r.hash_id.as_str()), &stored);
            drop(hashes);
            let is_stored = |hash: &str| stored.contains(hash);
            // Error declarations replay the stored history of what they reach (`decide`).
            let declarations = Declarations::gather(&batch, &is_stored, &mut |key, known| {
                let rows = db.query(&statements.history, &[&key.as_str()]).map_err(unavailable)?;
                let mut named = Vec::with_capacity(rows.len());
                for row in &rows {
                    let seq = seq_of(row.get(0))?;
                    let event = if known(seq) { None } else { Some(stored_event(row)?) };
                    named.push((seq, event));
                }
                Ok(named)
            })?;
            // A complete mirror reads nothing back: the named keys are not even listed (listing
            // and sorting them took client time while the server waited).
            let mut named: Vec<&str> = Vec::new();
            if !mirror.is_complete() {
                named.reserve(batch.iter().map(|r| r.keys.len()).sum());
                named.extend(batch.iter().flat_map(|r| r.keys.iter().map(Key::as_str)));
                // A reversal may move what it rebuilds into any container it reached: the
                // mirror holds all of their closures before deciding.
                named.extend(declarations.reached().map(Key::as_str));
                named.sort_unstable();
                named.dedup();
            }
            let missing = mirror.missing(&named);
            if !missing.is_empty() {
                let stems = mirror.missing_stems(&missing);
                let depth = i32::try_from(NESTING_DEPTH_MAX).unwrap_or(i32::MAX);
                let rows = db
                    .query(&statements.reads_for_batch, &[&missing, &depth, &stems])
                    .map_err(unavailable)?;
                mirror.load(&rows, &missing, &stems)?;
            }
            let n_fresh = fresh.iter().filter(|f| **f).count();
            let Some(block) = write::allocate(db, statements, partitions, n_fresh, Some(now))?
            else {
                return Ok(((write::duplicates(batch.iter()), None), None));
            };
            mirror.next_seq = Some(block.first + i64::try_from(n_fresh).unwrap_or(i64::MAX));
            let records = batch.iter().zip(&fresh).filter(|(_, f)| **f).map(|(r, _)| r);
            let journal = write::journal(records, &block);
            // The server writes the journal while the ledger decides and its rows are encoded:
            // neither needs the other. Measured at a million packs, the copy took 24 s, deciding
            // 15 s and encoding the rows 5 s, which the server used to wait for.
            let (decided, receipt, db) = std::thread::scope(|scope| {
                let sender = scope.spawn(move || {
                    let sent = write::send_journal(db, statements, &journal);
                    (db, sent)
                });
                let decided =
                    capture::decide(&mut mirror.ledger, &is_stored, batch, now, &declarations);
                // Invariant: `decide` keeps one event per record, in order (`fresh` pairs with
                // both).
                assert_eq!(decided.job.events.len(), fresh.len(), "decide keeps every event");
                let rows = write::ledger_rows(&decided.job, &fresh, &block, |key| {
                    container_before(&decided, key)
                });
                let (db, sent) =
                    sender.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                let receipt = sent.and_then(|()| {
                    write::ledger(db, statements, &decided.job, &fresh, &block, rows)
                });
                (decided, receipt, db)
            });
            let mut receipt = receipt?;
            mirror.stored(receipt.stored.iter().map(String::as_str));
            receipt.late = decided.late;
            receipt.messages =
                route_messages(db, statements, &decided.job, &fresh, block.first, route, now)?;
            Ok(((receipt, Some(decided)), block.created))
        })
        .map(|(receipt, decided)| {
            if let Some(decided) = decided {
                self.discard(decided);
            }
            receipt
        })
    }

    fn capture_stream(&self, feed: &mut dyn CaptureFeed, route: &dyn Route) {
        stream::capture_stream(self, feed, route);
    }

    fn state(&self, key: &Key) -> Result<Option<SerialState>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.state, &[&key.as_str()]).map_err(unavailable)?;
            rows.first().map(|row| decode_state(key.as_str(), row.get(0))).transpose()
        })
    }

    fn children(&self, key: &Key) -> Result<Vec<Key>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.children, &[&key.as_str()]).map_err(unavailable)?;
            Ok(rows.iter().map(|row| Key::from_canonical(row.get(0))).collect())
        })
    }

    fn history(&self, key: &Key) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.history, &[&key.as_str()]).map_err(unavailable)?;
            rows.iter().map(stored_event).collect()
        })
    }

    fn events(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|db, statements| {
            let rows = db.query(&statements.events_from, &[&from, &limit]).map_err(unavailable)?;
            rows.iter().map(stored_event).collect()
        })
    }

    fn events_by_id(&self, id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.events_by_id, &[&id]).map_err(unavailable)?;
            rows.iter().map(stored_event).collect()
        })
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.last_seq, &[]).map_err(unavailable)?;
            rows.first().map_or(Ok(0), |row| seq_of(row.get(0)))
        })
    }

    fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<StoredException>, StoreError> {
        self.read(|db, statements| {
            let type_code = filter.exception_type.map(ExceptionType::code);
            let key = filter.key.as_ref().map(Key::as_str);
            let variant = usize::from(type_code.is_some()) | usize::from(key.is_some()) << 1;
            let after = filter.after_seq.map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX));
            let through =
                filter.through_seq.map_or(i64::MAX, |s| i64::try_from(s).unwrap_or(i64::MAX));
            let params: Vec<&(dyn ToSql + Sync)> = match (&type_code, &key) {
                (None, None) => vec![&after, &through],
                (Some(t), None) => vec![&after, &through, t],
                (None, Some(k)) => vec![&after, &through, k],
                (Some(t), Some(k)) => vec![&after, &through, t, k],
            };
            let rows = db.query(&statements.exceptions[variant], &params).map_err(unavailable)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let exception = read_exception(row)?;
                // The time window is checked here: few exceptions pass the type and key filters.
                if filter.matches(&exception) {
                    out.push(exception);
                }
            }
            Ok(out)
        })
    }

    fn lot_units(&self, lot: &Key) -> Result<Vec<Key>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.lot_units, &[&lot.as_str()]).map_err(unavailable)?;
            Ok(rows.iter().map(|row| Key::from_canonical(row.get(0))).collect())
        })
    }

    fn has_event(&self, hash_id: &str) -> Result<bool, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.has_event, &[&hash_id]).map_err(unavailable)?;
            Ok(rows.first().is_some_and(|row| row.get(0)))
        })
    }

    /// In value order (C collation); the cursor is the last value given.
    fn known_values(
        &self,
        field: KnownField,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ValuePage, StoreError> {
        let after = after.unwrap_or("");
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let values: Vec<String> = self.read(|db, statements| {
            let rows = match field {
                KnownField::Epc => db.query(&statements.known_epcs, &[&after, &fetch]),
                _ => {
                    let code = i16::from(field.code());
                    db.query(&statements.known_locations, &[&code, &after, &fetch])
                }
            };
            Ok(rows.map_err(unavailable)?.iter().map(|row| row.get(0)).collect())
        })?;
        Ok(ValuePage::keyed_by_value(values, limit))
    }

    /// Reads the elements `vocabularies` name (locked), merges in memory, writes the changed
    /// ones back: one transaction under the write lock.
    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<(), StoreError> {
        if vocabularies.iter().all(|v| v.elements.is_empty()) {
            return Ok(());
        }
        self.write(|db, statements, _, _| {
            let (types, ids): (Vec<&str>, Vec<&str>) = vocabularies
                .iter()
                .flat_map(|v| v.elements.iter().map(move |e| (v.type_.as_str(), e.id.as_str())))
                .unzip();
            let rows =
                db.query(&statements.master_elements, &[&types, &ids]).map_err(unavailable)?;
            let mut stored = master_of(&rows)?;
            let before = stored.clone();
            master::merge(&mut stored, vocabularies);
            for (vtype, elements) in &stored {
                for (id, element) in elements {
                    if before.get(vtype).and_then(|b| b.get(id)) == Some(element) {
                        continue;
                    }
                    let one = Vocabulary { type_: vtype.clone(), elements: vec![element.clone()] };
                    let stored_form = String::from_utf8(master::encode(&[one]))
                        .map_err(|e| corrupt("master_data", e))?;
                    db.execute(&statements.put_master_element, &[vtype, id, &stored_form])
                        .map_err(unavailable)?;
                }
            }
            Ok(((), None))
        })
    }

    fn outbox_enqueue(
        &self,
        messages: Vec<NewMessage>,
        now: Timestamp,
    ) -> Result<Vec<u64>, StoreError> {
        let messages: Vec<(Option<u64>, &NewMessage)> =
            messages.iter().take(MESSAGES_PER_CALL_MAX).map(|m| (None, m)).collect();
        // One statement: atomic without the ledger's write lock.
        self.read(|db, statements| outbox::insert(db, &statements.outbox_insert, &messages, now))
    }

    fn outbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let limit = i64::try_from(limit.min(MESSAGES_PER_CALL_MAX)).unwrap_or(0);
        let (now, until) =
            (write::system_time(now.unix_millis), write::system_time(lease_until.unix_millis));
        let mut claimed = self.read(|db, statements| {
            let rows = db
                .query(&statements.outbox_claim, &[&owner, &now, &until, &limit])
                .map_err(unavailable)?;
            rows.iter().map(outbox::message_of).collect::<Result<Vec<_>, _>>()
        })?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    fn outbox_settle(
        &self,
        owner: &str,
        settlements: &[(u64, Settlement)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        let considered = serialhub_store::outbox::first_of_each_id(settlements);
        let unique: Vec<(u64, Settlement)> = settlements
            .iter()
            .zip(&considered)
            .filter(|(_, c)| **c)
            .map(|(s, _)| s.clone())
            .collect();
        let (ids, statuses, errors, receipts, next_at, counted) = outbox::settle_columns(&unique);
        let at = write::system_time(now.unix_millis);
        let applied: HashSet<i64> = self.read(|db, statements| {
            let rows = db
                .query(
                    &statements.outbox_settle,
                    &[&owner, &at, &ids, &statuses, &errors, &receipts, &next_at, &counted],
                )
                .map_err(unavailable)?;
            Ok(rows.iter().map(|r| r.get::<_, i64>(0)).collect())
        })?;
        Ok(settlements
            .iter()
            .zip(considered)
            .map(|((id, _), considered)| {
                considered && i64::try_from(*id).is_ok_and(|id| applied.contains(&id))
            })
            .collect())
    }

    fn outbox_messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        let status = filter.status.map(MessageStatus::name);
        let after = filter.after.map_or(0, |a| i64::try_from(a).unwrap_or(i64::MAX));
        let limit = i64::try_from(filter.limit.min(MESSAGES_PER_CALL_MAX)).unwrap_or(0);
        self.read(|db, statements| {
            let rows = db
                .query(
                    &statements.outbox_list,
                    &[&status, &filter.connector, &filter.destination, &after, &limit],
                )
                .map_err(unavailable)?;
            rows.iter().map(outbox::message_of).collect()
        })
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.outbox_counts, &[]).map_err(unavailable)?;
            let mut counts = OutboxCounts::default();
            for row in &rows {
                let n = row.get::<_, i64>(1).unsigned_abs();
                match MessageStatus::from_name(row.get(0)) {
                    Some(MessageStatus::Pending) => counts.pending = n,
                    Some(MessageStatus::Delivered) => counts.delivered = n,
                    Some(MessageStatus::Failed) => counts.failed = n,
                    None => return Err(corrupt("outbox.status", row.get::<_, &str>(0))),
                }
            }
            Ok(counts)
        })
    }

    fn audit_append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditEntry>, StoreError> {
        serialhub_store::check_audit_drafts(&drafts)?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut guard = self.conn()?;
        let conn = &mut *guard;
        let result = audit::append(&mut conn.client, &self.url, conn.lock_id, drafts);
        guard.check(&result);
        let (entries, committed) = result?;
        guard.broken |= committed == settle::Committed::Settled;
        Ok(entries)
    }

    fn audit_log(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|db, _| audit::read(db.client, after, limit))
    }

    fn master_data(&self) -> Result<Vec<Vocabulary>, StoreError> {
        self.read(|db, statements| {
            let rows = db.query(&statements.all_master_data, &[]).map_err(unavailable)?;
            let stored = master_of(&rows)?;
            Ok(master::vocabularies(&stored))
        })
    }
}

/// The master data of `master_data.element` rows.
fn master_of(rows: &[Row]) -> Result<MasterData, StoreError> {
    let mut stored = MasterData::new();
    for row in rows {
        let stored_form: &str = row.get(0);
        let read = master::decode(stored_form.as_bytes()).map_err(|e| corrupt("master_data", e))?;
        master::merge(&mut stored, &read);
    }
    Ok(stored)
}

/// The event of a stored one-event document.
fn read_event(hash_id: &str, body: &[u8]) -> Result<serialhub_epcis::Event, StoreError> {
    let what = format!("event {hash_id}");
    let mut document = serialhub_epcis::read_document(body).map_err(|e| corrupt(&what, e))?;
    let event = document.document.events.pop();
    match event {
        Some(event) if document.document.events.is_empty() => Ok(event),
        _ => Err(corrupt(&what, "the document does not hold exactly one event")),
    }
}

/// A `timestamptz` read back as a `Timestamp`.
fn timestamp_of(time: SystemTime) -> Timestamp {
    Timestamp { unix_millis: write::millis(time), has_offset: true }
}

/// An exception row (`EXCEPTION_COLUMNS`).
fn read_exception(row: &Row) -> Result<StoredException, StoreError> {
    let event_hash_id: String = row.get(1);
    let type_code: &str = row.get(2);
    let code: &str = row.get(3);
    let what = || format!("exception of event {event_hash_id}");
    let kind = ViolationKind::ALL
        .into_iter()
        .find(|k| k.code() == code)
        .ok_or_else(|| corrupt(&what(), format_args!("unknown violation code {code:?}")))?;
    // Invariant: the type column is the kind's type (it is stored only to filter on).
    if kind.exception_type().code() != type_code {
        return Err(corrupt(&what(), format_args!("type {type_code} for {code}")));
    }
    let violation = Violation::new(kind, row.get(4), row.get(5), row.get(6));
    let captured_at: Option<SystemTime> = row.get(7);
    let captured_at = captured_at.map_or(serialhub_store::EPOCH, timestamp_of);
    Ok(StoredException { event_seq: seq_of(row.get(0))?, event_hash_id, captured_at, violation })
}
