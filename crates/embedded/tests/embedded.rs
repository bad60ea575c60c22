//! The embedded store: the conformance suite, and what only a durable store must do: read back
//! after reopening, drop a torn append, refuse a damaged journal and a second process.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use serialhub_core::Key;
use serialhub_embedded::{EmbeddedStore, OpenError};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType};
use serialhub_store::{EventRecord, ExceptionFilter, KnownField, Store, conformance};

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir()
            .join(format!("serialhub-embedded-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn embedded_store_conforms() {
    let dirs = std::sync::Mutex::new(Vec::new());
    conformance::run_all(&|| {
        let dir = TempDir::new();
        let store = EmbeddedStore::open(&dir.0).expect("a fresh store opens");
        dirs.lock().expect("not poisoned").push(dir);
        Box::new(store) as Box<dyn Store>
    });
}

fn now() -> Timestamp {
    Timestamp::parse("2025-06-01T00:00:00Z").expect("a timestamp")
}

fn record(event: Event) -> EventRecord {
    EventRecord::new(serialhub_epcis::hash::event_hash(&event), event)
}

fn object(day: u32, step: &str, action: Action, epcs: &[&str]) -> Event {
    Event {
        event_type: Some(EventType::ObjectEvent),
        event_time: format!("2025-01-{day:02}T00:00:00Z"),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: epcs.iter().map(|e| (*e).to_owned()).collect(),
        action: Some(action),
        biz_step: Some(step.to_owned()),
        ..Event::default()
    }
}

const UNIT: &str = "urn:epc:id:sgtin:4012345.011111.1";
const OTHER: &str = "urn:epc:id:sgtin:4012345.011111.2";

/// Two jobs: a commissioning, then a shipment of it and a shipment of an unknown serial.
fn fill(store: &EmbeddedStore) {
    store
        .capture(vec![record(object(1, "commissioning", Action::Add, &[UNIT]))], now())
        .expect("first job");
    let second = vec![
        record(object(2, "shipping", Action::Observe, &[UNIT])),
        record(object(3, "shipping", Action::Observe, &[OTHER])),
    ];
    let receipt = store.capture(second, now()).expect("second job");
    assert_eq!(receipt.exceptions, 1, "shipping a serial never commissioned");
}

/// Everything a reader can see, for comparing a store before and after reopening.
fn snapshot(store: &EmbeddedStore) -> String {
    snapshot_of(store, &[UNIT, OTHER])
}

/// The state and history of each of `ids`, and every exception.
fn snapshot_of(store: &EmbeddedStore, ids: &[&str]) -> String {
    let mut out = String::new();
    for id in ids {
        let key = Key::new(id);
        out += &format!("{:?}\n", store.state(&key).expect("state"));
        out += &format!("{:?}\n", store.history(&key).expect("history"));
    }
    out += &format!("{:?}", store.exceptions(&ExceptionFilter::default()).expect("exceptions"));
    out
}

#[test]
fn reopening_reads_back_everything() {
    let dir = TempDir::new();
    let before = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        fill(&store);
        snapshot(&store)
    };
    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    assert_eq!(store.open_report().jobs, 2);
    assert_eq!(store.open_report().events, 3);
    assert_eq!(store.open_report().torn_bytes, 0);
    assert_eq!(snapshot(&store), before);
    // And it goes on: the same events again are duplicates.
    let again = vec![record(object(2, "shipping", Action::Observe, &[UNIT]))];
    let receipt = store.capture(again, now()).expect("a duplicate");
    assert_eq!(receipt.duplicates.len(), 1);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn a_torn_append_is_dropped() {
    let dir = TempDir::new();
    let before = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        fill(&store);
        snapshot(&store)
    };
    let journal = dir.0.join("journal.shj");
    let good_len = std::fs::metadata(&journal).expect("journal").len();
    // Half a record: a header announcing 1,000 bytes, then 10 of them.
    let mut file = OpenOptions::new().append(true).open(&journal).expect("journal opens");
    file.write_all(&1000u32.to_le_bytes()).expect("write");
    file.write_all(&[7u8; 14]).expect("write");
    drop(file);

    let store = EmbeddedStore::open(&dir.0).expect("opens after a torn append");
    assert_eq!(store.open_report().torn_bytes, 18);
    assert_eq!(std::fs::metadata(&journal).expect("journal").len(), good_len);
    assert_eq!(snapshot(&store), before);
    store
        .capture(vec![record(object(4, "receiving", Action::Observe, &[UNIT]))], now())
        .expect("appends after recovery");
    drop(store);
    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    assert_eq!(store.open_report().events, 4);
}

/// A job whose record is several megabytes: written in pieces while it is encoded.
fn large_job() -> Vec<EventRecord> {
    (0..2000u32)
        .map(|i| {
            let epcs: Vec<String> = (0..20)
                .map(|j| format!("urn:epc:id:sgtin:4012345.022222.{}", i * 20 + j))
                .collect();
            let epcs: Vec<&str> = epcs.iter().map(String::as_str).collect();
            let mut event = object(1 + i % 28, "commissioning", Action::Add, &epcs);
            event.biz_location = Some(serialhub_epcis::Location {
                id: format!("urn:epc:id:sgln:4012345.00001.{}", i % 7),
                extensions: Vec::new(),
            });
            record(event)
        })
        .collect()
}

/// The state and history of identifiers from the first, middle and last events of
/// `large_job`, and the job's exceptions.
fn large_snapshot(store: &EmbeddedStore) -> String {
    let ids: Vec<String> = [0, 1, 19_999, 20_000, 39_999]
        .iter()
        .map(|serial| format!("urn:epc:id:sgtin:4012345.022222.{serial}"))
        .collect();
    snapshot_of(store, &ids.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_large_job_is_written_in_pieces_and_reads_back() {
    let dir = TempDir::new();
    let store = EmbeddedStore::open(&dir.0).expect("opens");
    fill(&store);
    let receipt = store.capture(large_job(), now()).expect("a large job");
    assert_eq!(receipt.stored.len(), 2000);
    let journal = std::fs::metadata(dir.0.join("journal.shj")).expect("journal").len();
    assert!(journal > 3 << 20, "the record spans several pieces: {journal} bytes");
    let before = large_snapshot(&store);
    assert_eq!(before.matches("status: Commissioned").count(), 5, "{before}");
    assert_eq!(before.matches("commissioning").count(), 5, "each history holds its event");
    drop(store);

    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    assert_eq!(store.open_report().jobs, 3);
    assert_eq!(store.open_report().events, 2003);
    assert_eq!(large_snapshot(&store), before);
    let receipt = store.capture(large_job(), now()).expect("the same job again");
    assert_eq!(receipt.duplicates.len(), 2000);
}

#[test]
fn a_large_job_torn_before_its_header_is_dropped() {
    let dir = TempDir::new();
    let before = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        fill(&store);
        snapshot(&store)
    };
    let journal = dir.0.join("journal.shj");
    let good_len = std::fs::metadata(&journal).expect("journal").len();
    // What a crash in the middle of a streamed append leaves: pieces after the first written,
    // the header and the first piece not (a hole, read as zeros).
    let file = OpenOptions::new().write(true).open(&journal).expect("journal opens");
    std::os::unix::fs::FileExt::write_all_at(&file, &[0x5a; 3000], good_len + 8 + 1_048_576)
        .expect("write");
    drop(file);

    let store = EmbeddedStore::open(&dir.0).expect("opens after a torn streamed append");
    assert_eq!(store.open_report().torn_bytes, 8 + 1_048_576 + 3000);
    assert_eq!(std::fs::metadata(&journal).expect("journal").len(), good_len);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn a_damaged_record_in_the_middle_is_refused() {
    let dir = TempDir::new();
    {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        fill(&store);
    }
    let journal = dir.0.join("journal.shj");
    let mut bytes = std::fs::read(&journal).expect("journal");
    // The first record's payload starts after the 16-byte magic and its 8-byte header.
    bytes[16 + 8 + 3] ^= 0xff;
    std::fs::write(&journal, &bytes).expect("write");
    let error = EmbeddedStore::open(&dir.0).expect_err("a damaged journal");
    let message = error.to_string();
    assert!(message.contains("damaged record (checksum mismatch)"), "{message}");
    assert!(message.contains("at byte 16"), "{message}");
    // Nothing was truncated.
    assert_eq!(std::fs::read(&journal).expect("journal"), bytes);
}

#[test]
fn not_a_journal_is_refused() {
    let dir = TempDir::new();
    std::fs::create_dir_all(&dir.0).expect("dir");
    std::fs::write(dir.0.join("journal.shj"), b"PK\x03\x04 a zip file, not a journal")
        .expect("write");
    let error = EmbeddedStore::open(&dir.0).expect_err("not a journal");
    assert!(error.to_string().contains("not a serialhub journal"), "{error}");
}

#[test]
fn one_process_at_a_time() {
    let dir = TempDir::new();
    let _first = EmbeddedStore::open(&dir.0).expect("opens");
    match EmbeddedStore::open(&dir.0) {
        Err(OpenError::Locked(path)) => assert!(path.contains("serialhub-embedded-test")),
        other => panic!("expected Locked, got {other:?}"),
    }
}

/// A record that passes its checksum but says something the ledger never writes (an update of
/// a record that does not exist) is refused with its place, not applied or panicked on.
#[test]
fn a_record_contradicting_the_states_is_refused() {
    let state = {
        serialhub_core::SerialState {
            status: serialhub_core::Status::Commissioned,
            parent: None,
            location: None,
            owner: None,
            lot: None,
            expiry: None,
            commissioned_event: "e1".into(),
            status_time: None,
            last_event_time: now(),
            last_event: "e1".into(),
            persistent_dispositions: Default::default(),
            undo: None,
            packed_event: None,
            shipment: None,
            life_started: now(),
            shipped: None,
            emptied: false,
        }
    };
    // One job of one event whose changes, all to the same key, have the tags `tags` (a create
    // or an update carries the state; a removal nothing).
    let payload = |tags: &[u8]| {
        let mut e = serialhub_store::codec::Encoder::with_buffer(Vec::new());
        e.u8(1);
        e.buf.extend_from_slice(&1u32.to_le_bytes());
        e.buf.extend_from_slice(&0i64.to_le_bytes());
        e.u8(1);
        e.str("ni:///sha-256;00?ver=CBV2.0");
        e.bytes(b"{}");
        e.varint(0); // keys
        e.varint(tags.len() as u64);
        for &tag in tags {
            e.istr("https://id.gs1.org/01/04012345111118/21/1");
            e.u8(tag);
            if tag != 2 {
                e.state(&state);
            }
        }
        e.varint(0); // violations
        e.buf
    };
    let refused = |tags: &[u8]| {
        serialhub_embedded::replay_for_fuzzing(&payload(tags)).expect_err("a refused change")
    };
    assert_eq!(serialhub_embedded::replay_for_fuzzing(&payload(&[0])), Ok(()));
    let error = refused(&[1]);
    assert!(error.contains("expected an update of a record that exists"), "{error}");
    let error = refused(&[7]);
    assert!(error.contains("a create (0), update (1) or remove (2) tag"), "{error}");
    // A removal of a record no earlier change created.
    let error = refused(&[2]);
    assert!(error.contains("expected a removal of a record that exists"), "{error}");
    // Changes of one key within one event meet each other, in order.
    assert_eq!(serialhub_embedded::replay_for_fuzzing(&payload(&[0, 1, 1])), Ok(()));
    assert_eq!(serialhub_embedded::replay_for_fuzzing(&payload(&[0, 2, 0, 1])), Ok(()));
    let error = refused(&[0, 0]);
    assert!(error.contains("expected a create of a record that does not exist yet"), "{error}");
    let error = refused(&[0, 2, 2]);
    assert!(error.contains("expected a removal of a record that exists"), "{error}");
    let error = refused(&[0, 2, 1]);
    assert!(error.contains("expected an update of a record that exists"), "{error}");
}

/// Every value `known_values` lists for `field`, page by page.
fn known(store: &EmbeddedStore, field: KnownField, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.known_values(field, after.as_deref(), limit).expect("known_values");
        all.extend(page.values);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

#[test]
fn known_values_and_master_data_survive_reopening() {
    let dir = TempDir::new();
    let vocabularies = vec![serialhub_epcis::Vocabulary {
        type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
        elements: vec![serialhub_epcis::VocabularyElement {
            id: "urn:epc:id:sgln:4012345.00001.0".to_owned(),
            attributes: vec![serialhub_epcis::VocabularyAttribute {
                id: "urn:epcglobal:cbv:mda:name".to_owned(),
                value: serialhub_epcis::Content::Text("Plant A".to_owned()),
            }],
            children: vec!["urn:epc:id:sgln:4012345.00001.1".to_owned()],
        }],
    }];
    let (epcs, sites) = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        fill(&store);
        store.put_master_data(&vocabularies).expect("master data stores");
        store.capture(large_job(), now()).expect("a large job, written in pieces");
        // Pages of a few values, and pages that end inside an event's identifiers.
        let epcs = known(&store, KnownField::Epc, 97);
        assert_eq!(epcs.len(), 2 + 40_000, "every identifier once");
        assert_eq!(
            known(&store, KnownField::Epc, 1_000),
            epcs,
            "the order does not depend on the page size"
        );
        let mut unique = epcs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), epcs.len());
        let sites = known(&store, KnownField::BizLocation, 3);
        assert_eq!(sites.len(), 7);
        assert!(known(&store, KnownField::ReadPoint, 3).is_empty());
        (epcs, sites)
    };
    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    assert_eq!(known(&store, KnownField::Epc, 1_000), epcs);
    assert_eq!(known(&store, KnownField::BizLocation, 2), sites);
    assert_eq!(store.master_data().expect("master data reads"), vocabularies);
    for bad in ["x", "e1", "p", "e1.x"] {
        let field = if bad.starts_with('p') { KnownField::BizLocation } else { KnownField::Epc };
        assert!(matches!(
            store.known_values(field, Some(bad), 10),
            Err(serialhub_store::StoreError::BadCursor(_))
        ));
    }
}

/// One message per event, keyed by its hash, to one destination in order.
struct EveryEvent;

impl serialhub_store::outbox::Route for EveryEvent {
    fn route(&self, record: &EventRecord) -> Vec<serialhub_store::outbox::NewMessage> {
        vec![serialhub_store::outbox::NewMessage {
            connector: "epcis".to_owned(),
            destination: "https://partner.example.com/epcis".to_owned(),
            idempotency_key: record.hash_id.clone(),
            ordering_key: None,
            payload: record.hash_id.as_bytes().to_vec(),
        }]
    }
}

#[test]
fn the_outbox_survives_reopening_and_leases_do_not() {
    use serialhub_store::outbox::{MessageFilter, MessageStatus, OutboxCounts, Settlement};
    let at = |s: i64| Timestamp { unix_millis: 1_748_736_000_000 + s * 1000, has_offset: true };
    let dir = TempDir::new();
    let all = |store: &EmbeddedStore| {
        store
            .outbox_messages(&MessageFilter { limit: 100_000, ..Default::default() })
            .expect("lists")
    };
    let before = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        // A large job, written in pieces: its messages are in the record's trailer.
        let receipt = store.capture_routed(large_job(), at(0), &EveryEvent).expect("captures");
        assert_eq!(receipt.messages.len(), 2000);
        assert_eq!(receipt.messages.first(), Some(&1));
        let added = store
            .outbox_enqueue(
                vec![serialhub_store::outbox::NewMessage {
                    connector: "webhook".to_owned(),
                    destination: "https://hooks.example.com".to_owned(),
                    idempotency_key: "resend-1".to_owned(),
                    ordering_key: Some("hooks".to_owned()),
                    payload: b"{}".to_vec(),
                }],
                at(1),
            )
            .expect("enqueues");
        assert_eq!(added, [2001]);
        let claimed = store.outbox_claim("n1", at(2), at(60), 3).expect("claims");
        assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3]);
        let settled = store
            .outbox_settle(
                "n1",
                &[
                    (1, Settlement::Delivered { receipt: "ack".to_owned() }),
                    (2, Settlement::Failed { error: "rejected".to_owned() }),
                ],
                at(3),
            )
            .expect("settles");
        assert_eq!(settled, [true, true]);
        // 3 stays leased to n1, which then dies.
        all(&store)
    };
    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    let after = all(&store);
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        // Leases are not written: everything else is as it was.
        assert_eq!(a, &serialhub_store::outbox::StoredMessage { lease: None, ..b.clone() });
    }
    assert_eq!(after[0].event_seq, Some(1), "each message knows its event");
    assert_eq!(after[1999].event_seq, Some(2000));
    assert_eq!(
        store.outbox_counts().expect("counts"),
        OutboxCounts { pending: 1999, delivered: 1, failed: 1 }
    );
    assert_eq!(after[1].status, MessageStatus::Failed);
    // The dead node's message is claimable again at once.
    let claimed = store.outbox_claim("n2", at(4), at(60), 1).expect("claims");
    assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), [3]);
    // Capturing the same events again adds no message.
    let again = store.capture_routed(large_job(), at(5), &EveryEvent).expect("captures");
    assert!(again.messages.is_empty());
    assert_eq!(store.outbox_counts().expect("counts").pending, 1999);
}

/// The reversals of error declarations are in the journal: a reopened store holds the same
/// records (one of them removed) and children as the store that captured them.
#[test]
fn reversals_survive_reopening() {
    let dir = TempDir::new();
    // The identifiers `conformance::error_declarations_take_their_events_back` uses.
    let ids = [
        "urn:epc:id:sgtin:4012345.011111.1",
        "urn:epc:id:sgtin:4012345.011111.2",
        "urn:epc:id:sgtin:4012345.011111.3",
        "urn:epc:id:sscc:4012345.0000000009",
    ];
    let children = |store: &EmbeddedStore| -> String {
        let case = Key::new(ids[3]);
        format!("{:?}", store.children(&case).expect("children"))
    };
    let before = {
        let store = EmbeddedStore::open(&dir.0).expect("opens");
        conformance::error_declarations_take_their_events_back(&store);
        assert!(store.state(&Key::new(ids[1])).expect("state").is_some());
        (snapshot_of(&store, &ids), children(&store))
    };
    let store = EmbeddedStore::open(&dir.0).expect("reopens");
    assert_eq!((snapshot_of(&store, &ids), children(&store)), before);
}
