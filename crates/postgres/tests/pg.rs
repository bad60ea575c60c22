//! What the PostgreSQL store promises beyond the conformance suite: migrations that apply
//! once, capture jobs that are all or nothing when the database fails in the middle, a
//! connection that comes back, decisions identical to the reference store on random flows,
//! large batches in a fixed number of statements, and a capture stream that decides ahead yet
//! stores what one capture per batch does when another writer, a failure or a gap in the
//! sequence gets in its way.

mod support;

use serde_json::{Value, json};
use serialhub_core::Key;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType};
use serialhub_postgres::{PgError, PgStore};
use serialhub_store::outbox::NoRoute;
use serialhub_store::{
    CaptureFeed, CommitReceipt, EventRecord, ExceptionFilter, MemStore, Store, StoreError,
    StreamBatch,
};

use support::proxy::{Cut, Proxy};

const NOW: &str = "2025-06-01T00:00:00Z";

fn now() -> Timestamp {
    Timestamp::parse(NOW).expect("NOW is a timestamp")
}

/// A client whose search path is the test's schema.
fn client_in(schema: &str) -> postgres::Client {
    let mut client = support::client();
    client.batch_execute(&format!("SET search_path TO \"{schema}\"")).expect("search_path sets");
    client
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect("a count query runs").get(0)
}

/// Reads JSON event objects as one EPCIS document, as the capture pipeline would.
fn records(events: &[Value]) -> Vec<EventRecord> {
    let document = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": { "eventList": events },
    });
    let read = serialhub_epcis::read_document(document.to_string().as_bytes())
        .expect("test documents read");
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    read.document
        .events
        .into_iter()
        .map(|e| EventRecord::new(serialhub_epcis::hash::event_hash(&e), e))
        .collect()
}

fn sgtin(item: &str, serial: u32) -> String {
    format!("urn:epc:id:sgtin:4012345.{item}.{serial}")
}

fn sscc(serial: u32) -> String {
    format!("urn:epc:id:sscc:4012345.{serial:010}")
}

#[test]
fn migrations_apply_once() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let first = schemas.open(&name);
    assert_eq!(first.applied_migrations(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let units = [sgtin("011111", 1)];
    let batch = records(&[json!({"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "commissioning",
        "epcList": units})]);
    first.capture(batch, now()).expect("capture");

    let second = schemas.open(&name);
    assert_eq!(second.applied_migrations(), [] as [i32; 0]);
    assert!(second.state(&Key::new(&units[0])).expect("state reads").is_some());
    let mut client = client_in(&name);
    assert_eq!(count(&mut client, "SELECT count(*) FROM schema_migrations"), 11);

    // 0006 fills `known_locations` from the events stored before it: run its backfill again on
    // an emptied table and find the location of the event captured above.
    let located = records(&[json!({"type": "ObjectEvent", "eventTime": "2025-01-02T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "inspecting",
        "epcList": units, "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.7"}})]);
    let old_row = located[0].clone();
    second.capture(located, now()).expect("capture");
    // Rows written before 0009 hold the JSON in `body` and no `body_lz4`: turn the row just
    // written into one, which the backfill below and the store's readers must both read.
    let json = String::from_utf8(serialhub_store::stored_json(&old_row.event)).expect("UTF-8");
    let changed = client
        .execute(
            "UPDATE events SET body = $1, body_lz4 = NULL WHERE hash_id = $2",
            &[&json, &old_row.hash_id],
        )
        .expect("update");
    assert_eq!(changed, 1);
    let history = second.history(&Key::new(&units[0])).expect("history reads");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].record, old_row);
    // Before 0010 a record's history was all in `event_keys`: move it there, as such a store
    // has it, and find it whole; a later event joins the record's row, and the history reads
    // across both, in order.
    let moved = client
        .execute(
            "INSERT INTO event_keys (key, seq, captured_at) SELECT s.key, e.seq, e.captured_at \
             FROM states s CROSS JOIN LATERAL unnest(s.history) AS h (seq) \
             JOIN events e ON e.seq = h.seq",
            &[],
        )
        .expect("insert");
    assert_eq!(moved, 2);
    client.batch_execute("UPDATE states SET history = '{}'").expect("update");
    assert_eq!(second.history(&Key::new(&units[0])).expect("history reads"), history);
    let later = records(&[json!({"type": "ObjectEvent", "eventTime": "2025-01-03T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "inspecting",
        "epcList": units})]);
    second.capture(later.clone(), now()).expect("capture");
    let longer = second.history(&Key::new(&units[0])).expect("history reads");
    assert_eq!(longer.len(), 3);
    assert_eq!(longer[..2], history[..]);
    assert_eq!(longer[2].record, later[0]);
    assert_eq!(count(&mut client, "SELECT cardinality(history)::bigint FROM states"), 1);
    assert!(
        client
            .execute("UPDATE events SET body = NULL WHERE hash_id = $1", &[&old_row.hash_id])
            .is_err(),
        "a row without either body is refused"
    );
    client.batch_execute("DELETE FROM known_locations").expect("delete");
    let migration = include_str!("../migrations/0006_known_values_and_master_data.sql");
    for statement in migration.split(';').filter(|s| s.contains("INSERT INTO known_locations")) {
        client.batch_execute(statement).expect("the backfill runs");
    }
    let rows = client
        .query("SELECT field, value FROM known_locations ORDER BY field", &[])
        .expect("select");
    let found: Vec<(i16, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        found,
        [
            (1, "urn:epc:id:sgln:4012345.00001.0".to_owned()),
            (2, "urn:epc:id:sgln:4012345.00001.7".to_owned())
        ]
    );

    // 0011 fills `contents` from `states.parent`: pack the unit, empty the table, run the
    // backfill again, and read the case's contents through it.
    let case = sscc(1);
    let packed = records(&[aggregate(80, "ADD", &case, &[&units[0]])]);
    second.capture(packed, now()).expect("capture");
    client.batch_execute("DELETE FROM contents").expect("delete");
    assert_eq!(second.children(&Key::new(&case)).expect("children read"), []);
    let migration = include_str!("../migrations/0011_contents.sql");
    for statement in migration.split(';').filter(|s| s.contains("INSERT INTO contents")) {
        client.batch_execute(statement).expect("the backfill runs");
    }
    assert_eq!(second.children(&Key::new(&case)).expect("children read"), [Key::new(&units[0])]);
    assert_eq!(support::contents_match_parents(&name), 1);

    // A schema migrated by a newer build is refused rather than written with an older idea of
    // its tables.
    client.batch_execute("INSERT INTO schema_migrations (version) VALUES (999)").expect("insert");
    let error = PgStore::connect_schema(&support::url(), &name).expect_err("a newer schema");
    assert!(matches!(error, PgError::NewerSchema { found: 999, known: 11 }), "{error}");
    let error = PgStore::connect_schema(&support::url(), "Bad-Name").expect_err("a bad name");
    assert!(matches!(error, PgError::SchemaName(_)), "{error}");
}

#[test]
fn unreachable_server_is_an_error() {
    let error =
        PgStore::connect("host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=2")
            .expect_err("nothing listens on port 1");
    assert!(matches!(error, PgError::Connect(_)), "{error}");
}

/// The database fails after the events, hashes and keys are copied (the exceptions table
/// refuses every row): nothing of the job is visible, the month's partition it created is
/// gone with it, and the store writes the same batch once the fault is cleared.
#[test]
fn a_capture_failing_midway_leaves_nothing() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let mut client = client_in(&name);
    client
        .batch_execute("ALTER TABLE exceptions ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        .expect("the fault is injected");

    let units: Vec<String> = (1..=3).map(|n| sgtin("011111", n)).collect();
    let commission = json!({"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "commissioning",
        "epcList": units});
    let mut twice = commission.clone();
    twice["eventTime"] = "2025-01-02T00:00:00Z".into();
    let batch = records(&[commission, twice]);
    // A capture month no other test uses, so that this job creates its partition.
    let later = Timestamp::parse("2031-03-15T00:00:00Z").expect("a timestamp");

    let error = store.capture(batch.clone(), later).expect_err("the exceptions copy fails");
    assert!(matches!(&error, StoreError::Unavailable(m) if m.contains("refuse_all")), "{error}");
    for record in &batch {
        assert!(!store.has_event(&record.hash_id).expect("has_event reads"));
    }
    for unit in &units {
        let key = Key::new(unit);
        assert_eq!(store.state(&key).expect("state reads"), None);
        assert!(store.history(&key).expect("history reads").is_empty());
    }
    for table in ["events", "event_hashes", "event_keys", "states", "exceptions"] {
        assert_eq!(count(&mut client, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
    let partition = "SELECT count(*) FROM pg_tables \
        WHERE schemaname = current_schema() AND tablename = 'events_y2031m03'";
    assert_eq!(count(&mut client, partition), 0, "the partition was rolled back");

    client.batch_execute("ALTER TABLE exceptions DROP CONSTRAINT refuse_all").expect("cleared");
    let receipt = store.capture(batch.clone(), later).expect("the retry commits");
    assert_eq!(receipt.stored.len(), 2);
    assert_eq!(receipt.exceptions, 3, "commissioned twice, for each unit");
    assert_eq!(count(&mut client, partition), 1, "the partition is created again");
    assert_eq!(count(&mut client, "SELECT count(*) FROM events_y2031m03"), 2);
    assert_eq!(store.history(&Key::new(&units[0])).expect("history reads").len(), 2);
}

/// A connection the server drops fails the call in flight, and the store reconnects.
#[test]
fn a_lost_connection_is_reopened() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    // The application name tells the store's session apart from other tests' sessions.
    let url = support::url();
    let url = if url.contains("://") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}application_name={name}")
    } else {
        format!("{url} application_name={name}")
    };
    let store = PgStore::connect_schema(&url, &name).expect("the store opens");
    let unit = Key::new(&sgtin("011111", 1));
    assert_eq!(store.state(&unit).expect("state reads"), None);
    let mut client = client_in(&name);
    let killed: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&name],
        )
        .expect("sessions are listed")
        .get(0);
    assert_eq!(killed, 1, "the store's one session");
    let mut errors = 0;
    let mut read = None;
    for _ in 0..3 {
        match store.state(&unit) {
            Ok(state) => {
                read = Some(state);
                break;
            }
            Err(StoreError::Unavailable(message)) => {
                errors += 1;
                assert!(errors <= 1, "a second failure: {message}");
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert!(errors <= 1, "one call at most fails before the store reconnects");
    assert_eq!(read, Some(None));
}

/// A deterministic random supply chain: commissioning with lots, packing into cases and
/// pallets, unpacking, shipping, receiving, dispensing, decommissioning, lot recalls, late
/// events and repeats. Events are JSON, read as the capture pipeline reads them.
struct Flow {
    rng: u64,
    hour: i64,
    sent: Vec<Value>,
}

impl Flow {
    fn new(seed: u64) -> Flow {
        Flow { rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1, hour: 0, sent: Vec::new() }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u32 {
        u32::try_from(self.next() % n).expect("n fits")
    }

    fn unit(&mut self) -> String {
        if self.below(4) == 0 {
            sgtin("022222", 1 + self.below(8))
        } else {
            sgtin("011111", 1 + self.below(24))
        }
    }

    fn case(&mut self) -> String {
        sscc(1 + self.below(5))
    }

    fn pallet(&mut self) -> String {
        sscc(100 + self.below(2))
    }

    fn some(&mut self, max: u64, pick: fn(&mut Flow) -> String) -> Vec<String> {
        let n = 1 + self.below(max);
        let mut out: Vec<String> = (0..n).map(|_| pick(self)).collect();
        out.sort();
        out.dedup();
        out
    }

    fn anything(&mut self) -> String {
        match self.below(3) {
            0 => self.case(),
            1 => self.pallet(),
            _ => self.unit(),
        }
    }

    fn event(&mut self) -> Value {
        if !self.sent.is_empty() && self.below(12) == 0 {
            let at = self.below(self.sent.len() as u64) as usize;
            return self.sent[at].clone();
        }
        // Mostly forward in time; sometimes a late event from a few hours back.
        self.hour += if self.below(10) == 0 { -5 } else { 1 };
        let time =
            Timestamp { unix_millis: 1_735_689_600_000 + self.hour * 3_600_000, has_offset: true };
        let mut event = json!({"eventTime": time.to_utc_millis_string(),
            "eventTimeZoneOffset": "+00:00"});
        let object = |action: &str, step: &str, epcs: Vec<String>| json!({"type": "ObjectEvent", "action": action, "bizStep": step, "epcList": epcs});
        let body = match self.below(11) {
            0 | 1 => {
                let lot = format!("L{}", 1 + self.below(3));
                let mut e = object("ADD", "commissioning", self.some(5, Flow::unit));
                e["ilmd"] = json!({"cbvmda:lotNumber": lot});
                e
            }
            2 => json!({"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
                "parentID": self.case(), "childEPCs": self.some(4, Flow::unit)}),
            3 => json!({"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
                "parentID": self.pallet(), "childEPCs": self.some(3, Flow::case)}),
            4 => {
                let children = if self.below(2) == 0 { Vec::new() } else { vec![self.unit()] };
                let parent = if self.below(2) == 0 { self.case() } else { self.pallet() };
                json!({"type": "AggregationEvent", "action": "DELETE", "bizStep": "unpacking",
                    "parentID": parent, "childEPCs": children})
            }
            5 | 6 => object("OBSERVE", "shipping", self.some(2, Flow::anything)),
            7 => object("OBSERVE", "receiving", self.some(2, Flow::anything)),
            8 => object("OBSERVE", "dispensing", self.some(2, Flow::unit)),
            9 => object("DELETE", "decommissioning", self.some(2, Flow::unit)),
            _ => {
                let lot = format!("urn:epc:class:lgtin:4012345.011111.L{}", 1 + self.below(3));
                json!({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
                    "quantityList": [{"epcClass": lot, "quantity": 1}],
                    "persistentDisposition": {"set": ["recalled"]}})
            }
        };
        for (field, value) in body.as_object().expect("an object") {
            event[field] = value.clone();
        }
        self.sent.push(event.clone());
        event
    }

    fn batch(&mut self) -> Vec<Value> {
        let n = 1 + self.below(12);
        (0..n).map(|_| self.event()).collect()
    }
}

/// Every key the flow can name, lots included.
fn universe() -> Vec<Key> {
    let mut keys: Vec<Key> = (1..=24).map(|n| Key::new(&sgtin("011111", n))).collect();
    keys.extend((1..=8).map(|n| Key::new(&sgtin("022222", n))));
    keys.extend((1..=5).chain(100..=101).map(|n| Key::new(&sscc(n))));
    keys.extend((1..=3).map(|l| Key::new(&format!("urn:epc:class:lgtin:4012345.011111.L{l}"))));
    keys
}

/// PostgreSQL decides every batch as the reference store does, and reads back the same.
#[test]
fn capture_matches_the_reference_store_on_random_flows() {
    let schemas = support::Schemas::default();
    for seed in 1..=4 {
        let name = schemas.name();
        let pg = schemas.open(&name);
        // Half the seeds as a writer that reads back what each job reaches.
        if seed % 2 == 1 {
            pg.read_back_always();
        }
        let mem = MemStore::new();
        let mut flow = Flow::new(seed);
        for batch_idx in 0..40 {
            let batch = records(&flow.batch());
            let expected = mem.capture(batch.clone(), now());
            assert_eq!(pg.capture(batch, now()), expected, "seed {seed} batch {batch_idx}");
            support::contents_match_parents(&name);
        }
        assert_reads_as_reference(&pg, &mem, &name, seed);
    }
}

/// After a random flow (`Flow`) of seed `seed` into `pg` (in schema `name`) and `mem`: the
/// flow broke varied rules and packed, and every record, child list, history and exception
/// reads the same from both, under every filter.
#[track_caller]
fn assert_reads_as_reference(pg: &PgStore, mem: &MemStore, name: &str, seed: u64) {
    let all = ExceptionFilter::default();
    let exceptions = mem.exceptions(&all).expect("exceptions read");
    assert!(exceptions.len() > 20, "seed {seed}: the flow breaks rules ({})", exceptions.len());
    assert_eq!(pg.exceptions(&all).expect("exceptions read"), exceptions, "seed {seed}");
    let mut kinds: Vec<&str> = exceptions.iter().map(|e| e.violation.kind.code()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(kinds.len() >= 5, "seed {seed}: varied findings {kinds:?}");
    assert!(support::contents_match_parents(name) > 0, "seed {seed}: the flow packs");
    for key in universe() {
        let at = format!("seed {seed} key {key}");
        assert_eq!(pg.state(&key).expect("state reads"), mem.state(&key).expect("reads"), "{at}");
        assert_eq!(pg.children(&key).expect("reads"), mem.children(&key).expect("reads"), "{at}");
        assert_eq!(pg.history(&key).expect("reads"), mem.history(&key).expect("reads"), "{at}");
        let by_key = ExceptionFilter { key: Some(key.clone()), ..ExceptionFilter::default() };
        assert_eq!(
            pg.exceptions(&by_key).expect("reads"),
            mem.exceptions(&by_key).expect("reads"),
            "{at}"
        );
    }
    for exception_type in serialhub_core::ExceptionType::ALL {
        let filter =
            ExceptionFilter { exception_type: Some(exception_type), ..ExceptionFilter::default() };
        assert_eq!(pg.exceptions(&filter).expect("reads"), mem.exceptions(&filter).expect("reads"));
    }
}

/// Captures `batches` into PostgreSQL and the reference store, comparing every receipt, then
/// every record, child list, history and exception of `keys`.
#[track_caller]
fn assert_same_as_reference(pg: &PgStore, batches: &[Vec<Value>], keys: &[Key]) {
    assert_same_as_reference_by(&|_| pg, batches, keys);
}

/// `assert_same_as_reference`, capturing batch `i` with the store `pg(i)`.
#[track_caller]
fn assert_same_as_reference_by<'s>(
    pg: &dyn Fn(usize) -> &'s PgStore,
    batches: &[Vec<Value>],
    keys: &[Key],
) {
    let mem = MemStore::new();
    for (index, batch) in batches.iter().enumerate() {
        let batch = records(batch);
        let expected = mem.capture(batch.clone(), now());
        assert_eq!(pg(index).capture(batch, now()), expected, "batch {index}");
    }
    let pg = pg(0);
    for key in keys {
        assert_eq!(pg.state(key).expect("reads"), mem.state(key).expect("reads"), "{key}");
        assert_eq!(pg.children(key).expect("reads"), mem.children(key).expect("reads"), "{key}");
        assert_eq!(pg.history(key).expect("reads"), mem.history(key).expect("reads"), "{key}");
    }
    let all = ExceptionFilter::default();
    assert_eq!(pg.exceptions(&all).expect("reads"), mem.exceptions(&all).expect("reads"));
}

fn hour(h: u32) -> String {
    format!("2025-01-{:02}T{:02}:00:00Z", 1 + h / 24, h % 24)
}

fn observe(h: u32, step: &str, epcs: &[&str]) -> Value {
    json!({"type": "ObjectEvent", "eventTime": hour(h), "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "bizStep": step, "epcList": epcs})
}

fn aggregate(h: u32, action: &str, parent: &str, children: &[&str]) -> Value {
    json!({"type": "AggregationEvent", "eventTime": hour(h), "eventTimeZoneOffset": "+00:00",
        "action": action, "bizStep": if action == "ADD" { "packing" } else { "unpacking" },
        "parentID": parent, "childEPCs": children})
}

/// Batches naming only the outermost or innermost identifier of a four-level hierarchy, and the
/// keys to compare.
fn hierarchy() -> (Vec<Vec<Value>>, Vec<Key>) {
    let unit = sgtin("011111", 1);
    let other = sgtin("011111", 2);
    let (case, pallet, container) = (sscc(1), sscc(2), sscc(3));
    let lot_link = "https://id.gs1.org/01/04012345111118/10/L1";
    let commission = json!({"type": "ObjectEvent", "eventTime": hour(0),
        "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "commissioning",
        "epcList": [unit, other], "ilmd": {"cbvmda:lotNumber": "L1"}});
    let recall = json!({"type": "ObjectEvent", "eventTime": hour(5),
        "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "holding",
        "epcList": [lot_link], "persistentDisposition": {"set": ["recalled"]}});
    let batches = vec![
        vec![commission],
        vec![aggregate(1, "ADD", &case, &[&unit, &other])],
        vec![aggregate(2, "ADD", &pallet, &[&case])],
        vec![aggregate(3, "ADD", &container, &[&pallet])],
        // Shipping the outermost container reaches the units three levels down.
        vec![observe(4, "shipping", &[&container])],
        vec![recall],
        // The recalled lot is found for units inside the shipped container.
        vec![observe(6, "shipping", &[&container])],
        vec![observe(7, "receiving", &[&container])],
        // The unit reads its state through three containers; unpacking writes it down.
        vec![aggregate(8, "DELETE", &case, &[&unit])],
        vec![observe(9, "dispensing", &[&unit])],
        // A late event on the unit, then unpacking everything left with no child list.
        vec![observe(3, "receiving", &[&unit]), aggregate(10, "DELETE", &case, &[])],
        // The emptied case's SSCC labels a new unit: its old life is over.
        vec![aggregate(11, "ADD", &case, &[&unit])],
        vec![observe(12, "shipping", &[&pallet])],
    ];
    let mut keys: Vec<Key> =
        [&unit, &other, &case, &pallet, &container].iter().map(|k| Key::new(k)).collect();
    keys.push(Key::new(lot_link));
    (batches, keys)
}

/// Each batch names only the outermost or innermost identifier; the store must load what the
/// ledger reads through four levels of containers, lots across GTIN spellings, and the
/// contents of a reused SSCC, from committed rows.
#[test]
fn capture_reads_whole_hierarchies_from_committed_rows() {
    let schemas = support::Schemas::default();
    let (batches, keys) = hierarchy();
    let pg = schemas.store();
    // Not the writer that began on an empty store, which would have nothing to read.
    pg.read_back_always();
    assert_same_as_reference(&pg, &batches, &keys);
    let findings = pg.exceptions(&ExceptionFilter::default()).expect("reads");
    let kinds: Vec<&str> = findings.iter().map(|e| e.violation.kind.code()).collect();
    assert!(kinds.contains(&"recalled_lot"), "{kinds:?}");
}

/// The hierarchy again, each batch through a store opened for it: every job starts with
/// nothing in memory (`mirror`) and reads what the ledger needs from committed rows.
#[test]
fn capture_reads_whole_hierarchies_with_nothing_in_memory() {
    let schemas = support::Schemas::default();
    let (batches, keys) = hierarchy();
    let name = schemas.name();
    let stores: Vec<PgStore> = batches.iter().map(|_| schemas.open(&name)).collect();
    assert_same_as_reference_by(&|index| &stores[index], &batches, &keys);
    assert!(support::contents_match_parents(&name) > 0, "the hierarchy packs");
}

/// Two stores writing one schema in turns: each must notice the other's jobs (the generation)
/// and decide against the committed rows, not what it kept in memory.
#[test]
fn two_writers_taking_turns_decide_against_each_others_jobs() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let stores = [schemas.open(&name), schemas.open(&name)];
    let mut flow = Flow::new(7);
    let batches: Vec<Vec<Value>> = (0..40).map(|_| flow.batch()).collect();
    // Runs of one to three batches per store, so that a store also follows itself.
    let turn = |index: usize| &stores[(index / 2 + index / 3) % 2];
    assert_same_as_reference_by(&turn, &batches, &universe());
    assert!(support::contents_match_parents(&name) > 0, "the flow packs");
}

fn event(event_type: EventType, hour: u32, epcs: Vec<String>) -> Event {
    Event {
        event_type: Some(event_type),
        event_time: format!("2025-01-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: epcs,
        ..Event::default()
    }
}

/// A synthetic hash ID: real ones cost a SHA-256 each, which says nothing about the store.
fn record(n: usize, event: Event) -> EventRecord {
    EventRecord::new(format!("ni:///sha-256;{n:064x}?ver=CBV2.0"), event)
}

/// 20,000 events of 10 EPCs each (commissioning, then packing every ten into a case), then
/// 1,000 shipments of ten cases: each capture is a fixed handful of statements, and
/// everything reads back.
#[test]
fn large_batches_take_a_fixed_number_of_statements() {
    const EVENTS: usize = 10_000;
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let unit = |n: usize| sgtin("011111", u32::try_from(n).expect("fits"));
    let units = |e: usize| -> Vec<String> { (0..10).map(|i| unit(e * 10 + i + 1)).collect() };
    let case = |e: usize| sscc(u32::try_from(e + 1).expect("fits"));

    let commissioning: Vec<EventRecord> = (0..EVENTS)
        .map(|e| {
            let mut event = event(EventType::ObjectEvent, 0, units(e));
            event.action = Some(Action::Add);
            event.biz_step = Some("commissioning".to_owned());
            record(e, event)
        })
        .collect();
    let packing: Vec<EventRecord> = (0..EVENTS)
        .map(|e| {
            let mut event = event(EventType::AggregationEvent, 1, units(e));
            event.action = Some(Action::Add);
            event.biz_step = Some("packing".to_owned());
            event.parent_id = Some(case(e));
            record(EVENTS + e, event)
        })
        .collect();
    let shipping: Vec<EventRecord> = (0..EVENTS / 10)
        .map(|s| {
            let cases = (0..10).map(|i| case(s * 10 + i)).collect();
            let mut event = event(EventType::ObjectEvent, 2, cases);
            event.action = Some(Action::Observe);
            event.biz_step = Some("shipping".to_owned());
            record(2 * EVENTS + s, event)
        })
        .collect();
    let first_hash = commissioning[0].hash_id.clone();

    for (what, batch, stored) in [
        ("commissioning", commissioning, EVENTS),
        ("packing", packing, EVENTS),
        ("shipping", shipping, EVENTS / 10),
    ] {
        let before = store.queries();
        let receipt = store.capture(batch, now()).expect(what);
        let statements = store.queries() - before;
        assert_eq!(receipt.stored.len(), stored, "{what}");
        assert_eq!(receipt.exceptions, 0, "{what}");
        assert!(statements <= 12, "{what} took {statements} statements");
    }

    let mut client = client_in(&name);
    assert_eq!(count(&mut client, "SELECT count(*) FROM states"), 110_000);
    // Every key named has a record: its history is in its row (migration 10), none in
    // `event_keys`.
    assert_eq!(count(&mut client, "SELECT count(*) FROM event_keys"), 0);
    assert_eq!(count(&mut client, "SELECT sum(cardinality(history))::bigint FROM states"), 220_000);
    assert!(store.has_event(&first_hash).expect("has_event reads"));
    for e in [0, 4_321, EVENTS - 1] {
        let unit_key = Key::new(&unit(e * 10 + 3));
        let case_key = Key::new(&case(e));
        let state = store.state(&unit_key).expect("state reads").expect("a record");
        assert_eq!(state.parent.as_ref(), Some(&case_key));
        let mut expected: Vec<Key> = units(e).iter().map(|u| Key::new(u)).collect();
        expected.sort();
        assert_eq!(store.children(&case_key).expect("children read"), expected);
        let history = store.history(&unit_key).expect("history reads");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].record.hash_id, record(e, Event::default()).hash_id);
        let shipped = store.history(&case_key).expect("history reads");
        assert_eq!(shipped.len(), 2, "packed, then shipped");
        let case_state = store.state(&case_key).expect("state reads").expect("a record");
        assert_eq!(case_state.status, serialhub_core::Status::InTransit);
    }
    // A repeat of the whole commissioning batch is all duplicates and writes nothing.
    let again: Vec<EventRecord> =
        (0..EVENTS).map(|e| record(e, event(EventType::ObjectEvent, 0, units(e)))).collect();
    let receipt = store.capture(again, now()).expect("repeat");
    assert_eq!(receipt.duplicates.len(), EVENTS);
    assert!(receipt.stored.is_empty());
}

/// Two dispatcher nodes on one schema claim at the same time: every message goes to exactly
/// one of them, and the messages of one ordering key go one at a time, in order.
#[test]
fn dispatchers_on_two_nodes_share_the_outbox_without_overlap() {
    use serialhub_store::outbox::{NewMessage, OutboxCounts, Settlement};
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let nodes = [schemas.open(&name), schemas.open(&name)];
    let message = |key: String, ordering: Option<&str>| NewMessage {
        connector: "webhook".to_owned(),
        destination: "https://hooks.example.com".to_owned(),
        idempotency_key: key,
        ordering_key: ordering.map(str::to_owned),
        payload: Vec::new(),
    };
    let mut messages: Vec<NewMessage> =
        (0..200).map(|i| message(format!("free-{i}"), None)).collect();
    messages.extend((0..20).map(|i| message(format!("ordered-{i}"), Some("dscsa:4098765000003"))));
    let added = nodes[0].outbox_enqueue(messages, now()).expect("enqueues");
    assert_eq!(added.len(), 220);
    let first_ordered = added[200];
    let lease = Timestamp { unix_millis: now().unix_millis + 600_000, has_offset: true };
    // Each node claims, records what it got, and settles it, until nothing is left.
    let log = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for (n, node) in nodes.iter().enumerate() {
            let log = &log;
            scope.spawn(move || {
                let owner = format!("node-{n}");
                let mut idle = 0;
                while idle < 3 {
                    let claimed = node.outbox_claim(&owner, now(), lease, 7).expect("claims");
                    if claimed.is_empty() {
                        idle += 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                    idle = 0;
                    let ids: Vec<u64> = claimed.iter().map(|m| m.id).collect();
                    log.lock().expect("log").extend(ids.iter().map(|id| (*id, n)));
                    let settlements: Vec<(u64, Settlement)> = ids
                        .iter()
                        .map(|id| (*id, Settlement::Delivered { receipt: format!("ack-{id}") }))
                        .collect();
                    let applied = node.outbox_settle(&owner, &settlements, now()).expect("settles");
                    assert!(applied.iter().all(|a| *a), "a node settles what it holds");
                }
            });
        }
    });
    let log = log.into_inner().expect("log");
    let mut ids: Vec<u64> = log.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    assert_eq!(ids, added, "every message claimed exactly once");
    let ordered: Vec<u64> =
        log.iter().map(|(id, _)| *id).filter(|id| *id >= first_ordered).collect();
    assert!(ordered.windows(2).all(|w| w[0] < w[1]), "one ordering key goes in order: {ordered:?}");
    assert!(
        log.iter().any(|(_, n)| *n == 0) && log.iter().any(|(_, n)| *n == 1),
        "both nodes worked"
    );
    assert_eq!(
        nodes[1].outbox_counts().expect("counts"),
        OutboxCounts { pending: 0, delivered: 220, failed: 0 }
    );
}

/// The audit log's table refuses UPDATE and DELETE from the application's role, and a row
/// edited behind the trigger's back (by a superuser who disables it) shows in `verify`.
#[test]
fn audit_log_is_append_only_and_edits_show() {
    use serialhub_store::audit::{self, AuditDraft};
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let draft = |action: &str| AuditDraft {
        at: now(),
        actor: "qa".to_owned(),
        action: action.to_owned(),
        targets: vec!["1-0".to_owned()],
        reason: "why".to_owned(),
        before: "{}".to_owned(),
        after: "{}".to_owned(),
    };
    store.audit_append(vec![draft("assign"), draft("void")]).expect("append");
    let mut client = support::client();
    for sql in [
        format!("UPDATE {name}.audit_log SET reason = 'edited' WHERE seq = 1"),
        format!("DELETE FROM {name}.audit_log WHERE seq = 2"),
    ] {
        let error = client.batch_execute(&sql).expect_err("edits are refused");
        assert!(
            error.to_string().contains("append-only")
                || format!("{error:?}").contains("append-only"),
            "{error:?}"
        );
    }
    client
        .batch_execute(&format!(
            "ALTER TABLE {name}.audit_log DISABLE TRIGGER audit_log_append_only; \
             UPDATE {name}.audit_log SET reason = 'edited' WHERE seq = 1"
        ))
        .expect("a superuser can still edit");
    let entries = store.audit_log(0, 10).expect("read");
    assert_eq!(audit::verify((0, audit::GENESIS), &entries).expect_err("edit shows").seq, 1);
}

/// A writer that began on an empty store holds every record and knows every stored event, so
/// a job of new events asks the server neither which of them are stored nor what records
/// they reach; it still finds repeats and a second commissioning. A writer that began on a
/// store with data asks both.
#[test]
fn a_writer_that_began_on_an_empty_store_reads_nothing_back() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let unit = |n: u32| sgtin("022222", n);
    let commissioning = |n: usize, first: u32| {
        let mut event = event(EventType::ObjectEvent, 0, (first..first + 10).map(unit).collect());
        event.action = Some(Action::Add);
        event.biz_step = Some("commissioning".to_owned());
        record(n, event)
    };
    let capture = |store: &PgStore, batch: Vec<EventRecord>| {
        let before = store.queries();
        let receipt = store.capture(batch, now()).expect("the batch captures");
        (receipt, store.queries() - before)
    };

    let first = schemas.open(&name);
    let (receipt, _) = capture(&first, vec![commissioning(0, 1)]);
    assert_eq!(receipt.stored.len(), 1);
    let (receipt, warm) = capture(&first, vec![commissioning(1, 11)]);
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    // A stored event sent again beside a new one is found by its fingerprint.
    let (receipt, _) = capture(&first, vec![commissioning(0, 1), commissioning(2, 21)]);
    assert_eq!((receipt.duplicates.len(), receipt.stored.len()), (1, 1));
    // The same units commissioned again by another event: the records are in memory.
    let (receipt, _) = capture(&first, vec![commissioning(3, 1)]);
    assert_eq!(receipt.stored.len(), 1);
    assert_eq!(receipt.exceptions, 10, "each unit commissioned twice");

    let second = schemas.open(&name);
    let (receipt, _) = capture(&second, vec![commissioning(4, 31)]);
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    let (receipt, cold) = capture(&second, vec![commissioning(7, 41)]);
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    // The stored hashes and the records reached: two more statements.
    assert_eq!(cold, warm + 2, "cold {cold}, warm {warm}");
    let (receipt, _) = capture(&second, vec![commissioning(2, 21), commissioning(5, 11)]);
    assert_eq!(receipt.duplicates.len(), 1);
    assert_eq!(receipt.exceptions, 10, "11 to 20 were commissioned by the first writer");
    // The first writer sees that another wrote, and reads back what it needs.
    let (receipt, _) = capture(&first, vec![commissioning(4, 31), commissioning(6, 31)]);
    assert_eq!((receipt.duplicates.len(), receipt.exceptions), (1, 10));
    // The second, whose records the first changed, reads back without asking again whether
    // the store is empty: it saw that it was not.
    let (receipt, turn) = capture(&second, vec![commissioning(8, 51)]);
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    assert_eq!(turn, warm + 2, "turn {turn}, warm {warm}");
}

/// A feed of fixed batches for `capture_stream`, keeping every result; `before(i)` runs just
/// before batch `i` is handed over, while the batch before it may be in flight.
struct Feed<'f> {
    batches: std::collections::VecDeque<StreamBatch>,
    taken: usize,
    ended: bool,
    before: &'f mut dyn FnMut(usize),
    results: Vec<Result<CommitReceipt, StoreError>>,
}

impl<'f> Feed<'f> {
    /// Batch `i` is `batches[i]` captured at `at(i)`.
    fn new(
        batches: &[Vec<EventRecord>],
        at: &dyn Fn(usize) -> Timestamp,
        before: &'f mut dyn FnMut(usize),
    ) -> Feed<'f> {
        let batches = batches
            .iter()
            .enumerate()
            .map(|(i, records)| StreamBatch {
                records: records.clone(),
                master_data: Vec::new(),
                now: at(i),
            })
            .collect();
        Feed { batches, taken: 0, ended: false, before, results: Vec::new() }
    }
}

impl CaptureFeed for Feed<'_> {
    fn next_batch(&mut self) -> Option<StreamBatch> {
        assert!(!self.ended, "asked for a batch after the feed ended");
        (self.before)(self.taken);
        self.taken += 1;
        let batch = self.batches.pop_front();
        self.ended = batch.is_none();
        batch
    }

    fn done(&mut self, result: Result<CommitReceipt, StoreError>) -> bool {
        self.results.push(result);
        true
    }
}

/// Streams `batches` into `pg`, running `before(i)` before batch `i` is taken, and returns
/// the results.
fn stream(
    pg: &PgStore,
    batches: &[Vec<EventRecord>],
    before: &mut dyn FnMut(usize),
) -> Vec<Result<CommitReceipt, StoreError>> {
    stream_at(pg, batches, &|_| now(), before)
}

/// `stream`, batch `i` captured at `at(i)`.
fn stream_at(
    pg: &PgStore,
    batches: &[Vec<EventRecord>],
    at: &dyn Fn(usize) -> Timestamp,
    before: &mut dyn FnMut(usize),
) -> Vec<Result<CommitReceipt, StoreError>> {
    let mut feed = Feed::new(batches, at, before);
    pg.capture_stream(&mut feed, &NoRoute);
    assert_eq!(feed.results.len(), batches.len(), "one result per batch");
    feed.results
}

/// The event hash IDs of `key`'s history: what a history read finds by seq.
fn history_ids(store: &dyn Store, key: &Key) -> Vec<String> {
    let history = store.history(key).expect("history reads");
    history.into_iter().map(|e| e.record.hash_id).collect()
}

/// Each exception as (event hash ID, code), in store order.
fn exception_codes(store: &dyn Store) -> Vec<(String, &'static str)> {
    let exceptions = store.exceptions(&ExceptionFilter::default()).expect("exceptions read");
    exceptions.iter().map(|e| (e.event_hash_id.clone(), e.violation.kind.code())).collect()
}

fn commissioning(h: u32, units: &[String]) -> Value {
    let mut event = observe(h, "commissioning", &[]);
    event["action"] = "ADD".into();
    event["epcList"] = json!(units);
    event
}

/// A stream decides each batch on what the one before leaves, while that one is written, and
/// stores what one capture per batch would, on random flows (late events, resends, packing,
/// unpacking, lot recalls).
#[test]
fn capture_stream_matches_the_reference_store_on_random_flows() {
    let schemas = support::Schemas::default();
    for seed in 5..=7 {
        let name = schemas.name();
        let pg = schemas.open(&name);
        let mem = MemStore::new();
        let mut flow = Flow::new(seed);
        let batches: Vec<Vec<EventRecord>> = (0..40).map(|_| records(&flow.batch())).collect();
        let expected: Vec<_> = batches.iter().map(|b| mem.capture(b.clone(), now())).collect();
        let results = stream(&pg, &batches, &mut |_| {});
        for (index, (result, expected)) in results.iter().zip(&expected).enumerate() {
            assert_eq!(result, expected, "seed {seed} batch {index}");
        }
        // Batches without a resend were written on a decision taken ahead.
        assert!(pg.written_ahead() >= 10, "seed {seed}: {} written ahead", pg.written_ahead());
        assert_reads_as_reference(&pg, &mem, &name, seed);
    }
}

/// Another writer that commits while a stream's batch is decided ahead makes that decision
/// stale: the batch is decided again on the committed records, and so is the one after it.
#[test]
fn a_stream_decides_again_when_another_writer_came_in_between() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let (streaming, other) = (schemas.open(&name), schemas.open(&name));
    let units: Vec<String> = (1..=9).map(|n| sgtin("033333", n)).collect();
    let batches = [
        records(&[commissioning(1, &units[0..3])]),
        records(&[commissioning(2, &units[3..6])]),
        records(&[commissioning(3, &units[6..9])]),
        records(&[observe(4, "shipping", &[&units[6], &units[7]])]),
    ];
    let meanwhile = records(&[commissioning(2, &units[7..9])]);
    let mut other_receipt = None;
    let results = stream(&streaming, &batches, &mut |taken| {
        if taken == 2 {
            // Batch 1 is being written: once it has committed, the other writer commits
            // before batch 2, decided on the stream's mirror, is written.
            let written = &batches[1][0].hash_id;
            let committed = (0..3000).any(|_| {
                let seen = other.has_event(written).expect("has_event reads");
                if !seen {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                seen
            });
            assert!(committed, "batch 1 committed within 30 s");
            other_receipt = Some(other.capture(meanwhile.clone(), now()));
        }
    });

    let mem = MemStore::new();
    let expected: Vec<_> = [&batches[0], &batches[1], &meanwhile, &batches[2], &batches[3]]
        .iter()
        .map(|b| mem.capture((*b).clone(), now()))
        .collect();
    assert_eq!(other_receipt, Some(expected[2].clone()));
    assert_eq!(results, [&expected[..2], &expected[3..]].concat());
    let twice = exception_codes(&streaming);
    assert_eq!(twice, exception_codes(&mem));
    assert_eq!(twice.iter().filter(|(_, code)| *code == "commissioned_twice").count(), 2);
    assert_eq!(streaming.written_ahead(), 1, "only batch 1 was written as decided ahead");
    for unit in &units {
        let key = Key::new(unit);
        assert_eq!(streaming.state(&key).expect("reads"), mem.state(&key).expect("reads"));
        assert_eq!(history_ids(&streaming, &key), history_ids(&mem, &key), "{unit}");
    }
}

/// A batch that fails in flight leaves nothing; the batch decided ahead on its changes is
/// decided again without them, and the stream goes on.
#[test]
fn a_stream_decides_again_after_a_batch_fails() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let mut client = client_in(&name);
    client
        .batch_execute(
            "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.event_id LIKE 'urn:uuid:00000000-0000-4000-8000-0000000000b_' THEN \
             RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_event BEFORE INSERT ON events \
             FOR EACH ROW EXECUTE FUNCTION refuse_event();",
        )
        .expect("the fault is injected");
    let units: Vec<String> = (1..=9).map(|n| sgtin("044444", n)).collect();
    let mut refused = commissioning(2, &units[3..6]);
    refused["eventID"] = "urn:uuid:00000000-0000-4000-8000-0000000000bd".into();
    let batches = [
        records(&[commissioning(1, &units[0..3])]),
        records(&[refused]),
        records(&[observe(3, "shipping", &[&units[3], &units[4], &units[5]])]),
        records(&[commissioning(4, &units[6..9])]),
    ];
    let results = stream(&store, &batches, &mut |_| {});

    let error = results[1].as_ref().expect_err("the trigger refuses batch 1");
    assert!(matches!(error, StoreError::Unavailable(m) if m.contains("refused by the test")));
    let mem = MemStore::new();
    let expected: Vec<_> = [&batches[0], &batches[2], &batches[3]]
        .iter()
        .map(|b| mem.capture((*b).clone(), now()))
        .collect();
    assert_eq!([&results[..1], &results[2..]].concat(), expected.into_iter().collect::<Vec<_>>());
    assert!(!store.has_event(&batches[1][0].hash_id).expect("has_event reads"));
    // Decided ahead, the shipment found the units commissioned; decided again, it does not.
    assert_eq!(exception_codes(&store), exception_codes(&mem));
    assert_eq!(store.exceptions(&ExceptionFilter::default()).expect("reads").len(), 3);
    for unit in &units {
        let key = Key::new(unit);
        assert_eq!(store.state(&key).expect("reads"), mem.state(&key).expect("reads"), "{unit}");
        assert_eq!(history_ids(&store, &key), history_ids(&mem, &key), "{unit}");
    }
}

/// A stream whose last batch fails after the feed has ended reports it and asks the feed for
/// nothing more.
#[test]
fn a_stream_ending_on_a_failed_batch_asks_for_nothing_more() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let units: Vec<String> = (1..=3).map(|n| sgtin("066666", n)).collect();
    let mut refused = commissioning(3, &units[2..3]);
    refused["eventID"] = "urn:uuid:00000000-0000-4000-8000-0000000000be".into();
    let batches = [
        records(&[commissioning(1, &units[0..1])]),
        records(&[commissioning(2, &units[1..2])]),
        records(&[refused]),
    ];
    // The first batch creates the tables the fault goes on.
    stream(&store, &batches[..1], &mut |_| {}).remove(0).expect("the first batch");
    client_in(&name)
        .batch_execute(
            "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.event_id LIKE '%0000000000be' THEN \
             RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_event BEFORE INSERT ON events \
             FOR EACH ROW EXECUTE FUNCTION refuse_event();",
        )
        .expect("the fault is injected");
    let results = stream(&store, &batches[1..], &mut |_| {});
    assert!(results[0].is_ok(), "{results:?}");
    let error = results[1].as_ref().expect_err("the trigger refuses the last batch");
    assert!(matches!(error, StoreError::Unavailable(m) if m.contains("refused by the test")));
    assert_eq!(store.written_ahead(), 1, "the second batch was decided ahead");
}

/// A connection lost while a batch is in flight fails at most one batch, all or nothing: a
/// batch reported failed is not stored, and one reported stored is (a backend killed right
/// after its commit answers FATAL although the commit is durable; the store asks a new session
/// what became of it). The stream reconnects and stores the rest, and a failed batch can be
/// captured again.
#[test]
fn a_stream_survives_a_lost_connection() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let url = support::url();
    let url = if url.contains("://") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}application_name={name}")
    } else {
        format!("{url} application_name={name}")
    };
    let store = PgStore::connect_schema(&url, &name).expect("the store opens");
    let mut client = client_in(&name);
    let unit = |n: u32| sgtin("077777", n);
    let batches = numbered_batches(unit, 5);
    let results = stream(&store, &batches, &mut |taken| {
        if taken == 2 {
            // Batch 1 is in flight, or has just committed.
            let killed: i64 = client
                .query_one(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE application_name = $1",
                    &[&name],
                )
                .expect("sessions are listed")
                .get(0);
            assert_eq!(killed, 1, "the store's one session");
        }
    });

    let failed: Vec<usize> = (0..5).filter(|i| results[*i].is_err()).collect();
    assert!(failed.len() <= 1, "one batch at most meets the lost connection: {results:?}");
    for i in &failed {
        assert!(matches!(results[*i], Err(StoreError::Unavailable(_))), "{results:?}");
    }
    assert_all_or_nothing(&store, &batches, &failed);
    for i in failed {
        let retry = store.capture(batches[i].clone(), now()).expect("the retry commits");
        assert_eq!((retry.stored.len(), retry.exceptions), (3, 0));
    }
    assert!(store.exceptions(&ExceptionFilter::default()).expect("reads").is_empty());
    for n in 0..15 {
        assert!(store.state(&Key::new(&unit(n))).expect("reads").is_some(), "{}", unit(n));
    }
}

/// `n` batches of three commissioning events of one unit each, units `unit(0)` on.
fn numbered_batches(unit: impl Fn(u32) -> String, n: u32) -> Vec<Vec<EventRecord>> {
    (0..n)
        .map(|b| {
            let events: Vec<Value> =
                (0..3).map(|e| commissioning(b * 3 + e, &[unit(b * 3 + e)])).collect();
            records(&events)
        })
        .collect()
}

/// Every event of the batches numbered in `failed` is absent, and every other one stored.
#[track_caller]
fn assert_all_or_nothing(store: &PgStore, batches: &[Vec<EventRecord>], failed: &[usize]) {
    for (i, batch) in batches.iter().enumerate() {
        let stored: Vec<bool> =
            batch.iter().map(|r| store.has_event(&r.hash_id).expect("has_event reads")).collect();
        assert_eq!(stored, vec![!failed.contains(&i); batch.len()], "batch {i}: all or nothing");
    }
}

/// A store in a new schema of `schemas` that reaches the server through a proxy, and `n`
/// batches for it (`numbered_batches` of units of the company prefix `company`).
fn through_proxy(
    schemas: &support::Schemas,
    company: &str,
    n: u32,
) -> (Proxy, PgStore, Vec<Vec<EventRecord>>) {
    let proxy = Proxy::start();
    let store = PgStore::connect_schema(&proxy.url, &schemas.name()).expect("the store opens");
    (proxy, store, numbered_batches(|n| sgtin(company, n), n))
}

/// A `COMMIT` the server got, whose answer was lost with the connection, is reported stored:
/// the store asks a new session whether the transaction committed. So is an audit append
/// (appending it again would log the action twice).
#[test]
fn a_commit_whose_answer_is_lost_is_found_committed() {
    let schemas = support::Schemas::default();
    let (proxy, store, batches) = through_proxy(&schemas, "088888", 3);
    store.capture(batches[0].clone(), now()).expect("the first batch commits");

    proxy.arm(Cut::AfterCommit);
    let receipt = store.capture(batches[1].clone(), now()).expect("found committed");
    assert!(proxy.fired(), "the answer to the COMMIT was dropped");
    assert_eq!((receipt.stored.len(), receipt.exceptions), (3, 0));
    let receipt = store.capture(batches[2].clone(), now()).expect("a new session commits");
    assert_eq!(receipt.stored.len(), 3);
    assert_all_or_nothing(&store, &batches, &[]);

    proxy.arm(Cut::AfterCommit);
    let draft = serialhub_store::audit::AuditDraft {
        at: now(),
        actor: "qa".to_owned(),
        action: "assign".to_owned(),
        targets: vec!["1-0".to_owned()],
        reason: "why".to_owned(),
        before: "{}".to_owned(),
        after: "{}".to_owned(),
    };
    let appended = store.audit_append(vec![draft]).expect("found committed");
    assert!(proxy.fired(), "the answer to the COMMIT was dropped");
    assert_eq!(appended.len(), 1);
    assert_eq!(store.audit_log(0, 10).expect("reads"), appended);
}

/// A `COMMIT` lost before the server got it fails the job, which wrote nothing and is
/// captured whole when tried again.
#[test]
fn a_commit_lost_on_its_way_fails_and_writes_nothing() {
    let schemas = support::Schemas::default();
    let (proxy, store, batches) = through_proxy(&schemas, "099999", 2);
    store.capture(batches[0].clone(), now()).expect("the first batch commits");

    proxy.arm(Cut::BeforeCommit);
    let error = store.capture(batches[1].clone(), now()).expect_err("the commit is lost");
    assert!(proxy.fired(), "the COMMIT was dropped");
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert_all_or_nothing(&store, &batches, &[1]);
    let retry = store.capture(batches[1].clone(), now()).expect("the retry commits");
    assert_eq!((retry.stored.len(), retry.exceptions), (3, 0));
}

/// In a stream, a batch whose `COMMIT` answer was lost is found committed, and the batch
/// decided after it is written on a new session, decided on the mirror it was decided on.
#[test]
fn a_stream_goes_on_after_a_commit_whose_answer_is_lost() {
    let schemas = support::Schemas::default();
    let (proxy, store, batches) = through_proxy(&schemas, "066666", 5);
    let results = stream(&store, &batches, &mut |taken| {
        if taken == 1 {
            // Batch 0 has committed; batch 1 is the first decided ahead.
            proxy.arm(Cut::AfterCommit);
        }
    });
    assert!(proxy.fired(), "the answer to a COMMIT was dropped");
    for result in &results {
        let receipt = result.as_ref().expect("every batch is stored");
        assert_eq!((receipt.stored.len(), receipt.exceptions), (3, 0));
    }
    assert_all_or_nothing(&store, &batches, &[]);
    // The first batch of a new session goes through `capture_routed`; the others, the one
    // whose answer was lost among them, were decided ahead, on a mirror kept across sessions.
    assert_eq!(store.written_ahead(), 4, "the mirror outlived the lost session");
}

/// A batch decided ahead is encoded on a guess of its first seq; a gap in the sequence (a
/// session that took a number and rolled back) makes the guess wrong, and the writer encodes
/// the batch again, and the next one, instead of writing histories that name other events.
#[test]
fn a_stream_checks_its_guess_of_the_seqs() {
    let schemas = support::Schemas::default();
    let name = schemas.name();
    let store = schemas.open(&name);
    let mut client = client_in(&name);
    let units: Vec<String> = (1..=9).map(|n| sgtin("055555", n)).collect();
    let case = sscc(55);
    let batches = [
        records(&[commissioning(1, &units[0..3])]),
        records(&[commissioning(2, &units[3..6])]),
        records(&[aggregate(3, "ADD", &case, &[&units[3], &units[4], &units[5]])]),
        records(&[observe(4, "shipping", &[&case])]),
        records(&[commissioning(5, &units[6..9]), observe(6, "shipping", &[&units[0]])]),
    ];
    // The last batch is captured in a month no other test uses: its partition is created by
    // a transaction written ahead.
    let later = Timestamp::parse("2031-05-15T00:00:00Z").expect("a timestamp");
    let at = |i: usize| if i == 4 { later } else { now() };
    let results = stream_at(&store, &batches, &at, &mut |taken| {
        if taken == 1 {
            count(&mut client, "SELECT nextval('event_seq')");
        }
    });

    let mem = MemStore::new();
    let expected: Vec<_> =
        batches.iter().enumerate().map(|(i, b)| mem.capture(b.clone(), at(i))).collect();
    assert_eq!(results, expected);
    assert_eq!(store.written_ahead(), 4);
    assert_eq!(count(&mut client, "SELECT count(*) FROM events_y2031m05"), 2);
    let seqs: Vec<u64> = store.events(0, 100).expect("events read").iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 3, 4, 5, 6, 7], "the gap the other session left");
    for key in units.iter().chain([&case]).map(|k| Key::new(k)) {
        assert_eq!(store.state(&key).expect("reads"), mem.state(&key).expect("reads"), "{key}");
        assert_eq!(history_ids(&store, &key), history_ids(&mem, &key), "{key}");
    }
    assert_eq!(support::contents_match_parents(&name), 3);
}
