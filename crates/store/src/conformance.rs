//! The one test suite every `Store` backend runs: `run_all` calls one function per contract of
//! the trait, each on a fresh store from `make`.
//!
//! Jobs are decided by the real ledger (`serialhub_core::apply`) against a `MemoryLedger`
//! kept beside the store, so the suite also checks that a backend reads back exactly what the
//! core's reference model holds. A failure panics with the contract's name, as tests do.

use serialhub_core::{ExceptionType, Key, MemoryLedger, StateView, apply};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Content, Element, Event, EventType, Name};

use crate::{
    CaptureFeed, CaptureJob, CapturedEvent, CommitReceipt, EventRecord, ExceptionFilter,
    KnownField, MemStore, Store, StoreError, StreamBatch,
};

/// Runs every contract against fresh stores from `make`.
pub fn run_all(make: &dyn Fn() -> Box<dyn Store>) {
    commit_then_read_back(make().as_ref());
    duplicates_change_nothing(make().as_ref());
    failed_job_leaves_nothing(make().as_ref());
    create_of_existing_record_fails(make().as_ref());
    children_and_history_order(make().as_ref());
    exceptions_filter(make().as_ref());
    capture_decides_like_the_model(make().as_ref());
    capture_stream_is_one_capture_per_batch(make().as_ref());
    error_declarations_take_their_events_back(make().as_ref());
    error_declarations_rebuild_what_they_reach(make().as_ref());
    lots_and_capture_times(make().as_ref());
    scan_and_lookup_by_event_id(make().as_ref());
    known_values_page_through_everything_once(make().as_ref());
    master_data_merges_and_reads_back(make().as_ref());
    outbox_messages_follow_their_events_and_their_leases(make().as_ref());
    audit_log_is_one_chain(make().as_ref());
}

/// The audit log numbers entries without gaps, links each to the one before, reads back as
/// written and page by page, and refuses an entry out of bounds without writing any of the
/// call's entries.
pub fn audit_log_is_one_chain(store: &dyn Store) {
    use crate::audit::{self, AuditDraft};
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let draft = |action: &str, targets: &[&str]| AuditDraft {
        at: now,
        actor: "qa-lead".to_owned(),
        action: action.to_owned(),
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        reason: "batch 42: master data corrected".to_owned(),
        before: r#"{"1-0":"new"}"#.to_owned(),
        after: r#"{"1-0":"resubmitted","messages":[7]}"#.to_owned(),
    };
    assert!(store.audit_log(0, 10).expect("read").is_empty());
    let first = store.audit_append(vec![draft("assign", &["1-0"])]).expect("append");
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].seq, first[0].prev_hash.as_str()), (1, audit::GENESIS));
    let bulk: Vec<String> = (0..1_500).map(|i| format!("{i}-0")).collect();
    let bulk: Vec<&str> = bulk.iter().map(String::as_str).collect();
    let more = store
        .audit_append(vec![draft("resubmit", &bulk), draft("close", &["m9", "1-0"])])
        .expect("append");
    assert_eq!(more.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(more[0].prev_hash, first[0].hash);

    let mut too_long = draft("void", &["1-0"]);
    too_long.reason = "x".repeat(audit::TEXT_MAX + 1);
    let refused = store.audit_append(vec![draft("void", &["1-0"]), too_long]);
    assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");

    let all = store.audit_log(0, 100).expect("read");
    assert_eq!(all.len(), 3, "nothing of a refused call is written");
    assert_eq!(all[..1], first[..]);
    assert_eq!(all[1..], more[..]);
    assert_eq!(all[1].draft.targets.len(), 1_500);
    assert_eq!(audit::verify((0, audit::GENESIS), &all), Ok(()));
    assert_eq!(store.audit_log(1, 1).expect("read"), all[1..2]);
    assert!(store.audit_log(3, 10).expect("read").is_empty());
}

/// The capture time of every job: later than every event.
const NOW: &str = "2025-06-01T00:00:00Z";

fn sgtin(serial: u32) -> String {
    format!("urn:epc:id:sgtin:4012345.011111.{serial}")
}

fn sscc(serial: u32) -> String {
    format!("urn:epc:id:sscc:4012345.{serial:010}")
}

fn event(event_type: EventType, day: u32, epcs: &[String]) -> Event {
    Event {
        event_type: Some(event_type),
        event_time: format!("2025-01-{day:02}T00:00:00Z"),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: epcs.to_vec(),
        ..Event::default()
    }
}

fn commission(day: u32, epcs: &[String]) -> Event {
    Event {
        action: Some(Action::Add),
        biz_step: Some("commissioning".to_owned()),
        ..event(EventType::ObjectEvent, day, epcs)
    }
}

fn ship(day: u32, epcs: &[String]) -> Event {
    Event {
        action: Some(Action::Observe),
        biz_step: Some("shipping".to_owned()),
        ..event(EventType::ObjectEvent, day, epcs)
    }
}

fn pack(day: u32, parent: &str, children: &[String]) -> Event {
    Event {
        action: Some(Action::Add),
        biz_step: Some("packing".to_owned()),
        parent_id: Some(parent.to_owned()),
        ..event(EventType::AggregationEvent, day, children)
    }
}

fn hash(event: &Event) -> String {
    serialhub_epcis::hash::event_hash(event)
}

/// The capture pipeline in miniature: decides each event with the ledger against the
/// reference model, then builds the job.
#[derive(Default)]
struct Capture {
    model: MemoryLedger,
}

impl Capture {
    /// The job for `events`; the model takes its changes as if the commit succeeds.
    fn job(&mut self, events: &[Event]) -> CaptureJob {
        let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
        let mut job = CaptureJob::default();
        for event in events {
            let hash_id = hash(event);
            let outcome = apply(&self.model, event, &hash_id, now);
            self.model.commit(&outcome);
            job.events.push(CapturedEvent {
                record: EventRecord::new(hash_id, event.clone()),
                changes: outcome.changes,
                violations: outcome.violations,
            });
        }
        job
    }

    /// Asserts that `store` holds exactly the model's record for every key given.
    #[track_caller]
    fn assert_states(&self, store: &dyn Store, keys: &[Key]) {
        for key in keys {
            let stored = store.state(key).expect("state reads");
            assert_eq!(stored.as_ref(), self.model.state(key), "state of {key}");
            assert_eq!(store.children(key).expect("children read"), self.model.children(key));
        }
    }
}

fn keys(identifiers: &[String]) -> Vec<Key> {
    identifiers.iter().map(|i| Key::new(i)).collect()
}

/// A committed job reads back: states, events, history, and the receipt lists it all.
pub fn commit_then_read_back(store: &dyn Store) {
    let mut capture = Capture::default();
    let units = [sgtin(1), sgtin(2)];
    let events = [commission(1, &units), ship(2, &units)];
    let job = capture.job(&events);
    let receipt = store.commit(&job).expect("commit_then_read_back: commit");
    assert_eq!(receipt.stored, events.iter().map(hash).collect::<Vec<_>>());
    assert!(receipt.duplicates.is_empty());
    assert_eq!(receipt.exceptions, 0);
    for event in &events {
        assert!(store.has_event(&hash(event)).expect("has_event reads"));
    }
    assert!(!store.has_event("ni:///sha-256;0?ver=CBV2.0").expect("has_event reads"));
    capture.assert_states(store, &keys(&units));
    let history = store.history(&Key::new(&units[0])).expect("history reads");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].record, job.events[0].record);
    assert_eq!(history[1].record, job.events[1].record);
    assert!(history[0].seq < history[1].seq, "seq follows capture order");
    assert_eq!(store.state(&Key::new(&sgtin(3))).expect("state reads"), None);
}

/// An event already stored, or repeated in a job, is reported and changes nothing.
pub fn duplicates_change_nothing(store: &dyn Store) {
    let mut capture = Capture::default();
    let units = [sgtin(1)];
    let first = commission(1, &units);
    store.commit(&capture.job(std::slice::from_ref(&first))).expect("duplicates: first commit");
    let before = store.state(&Key::new(&units[0])).expect("state reads");

    // The same event again, decided against the model: commissioning twice, with a change
    // and a violation that must both be dropped with the duplicate.
    let again = Capture::default().job(&[commission(1, &units)]);
    let receipt = store.commit(&again).expect("duplicates: repeat commit");
    assert!(receipt.stored.is_empty());
    assert_eq!(receipt.duplicates, vec![hash(&first)]);
    assert_eq!(receipt.exceptions, 0);
    assert_eq!(store.state(&Key::new(&units[0])).expect("state reads"), before);
    assert_eq!(store.history(&Key::new(&units[0])).expect("history reads").len(), 1);

    // Within one job: the second copy is the duplicate, the new event is stored.
    let shipped = ship(2, &units);
    let mut job = capture.job(std::slice::from_ref(&shipped));
    job.events.push(job.events[0].clone());
    let receipt = store.commit(&job).expect("duplicates: job with a repeat");
    assert_eq!(receipt.stored, vec![hash(&shipped)]);
    assert_eq!(receipt.duplicates, vec![hash(&shipped)]);
    assert_eq!(store.history(&Key::new(&units[0])).expect("history reads").len(), 2);
    assert!(store.exceptions(&ExceptionFilter::default()).expect("exceptions read").is_empty());
    capture.assert_states(store, &keys(&units));
}

/// A job that fails inside `commit` leaves nothing visible, and the store goes on working.
pub fn failed_job_leaves_nothing(store: &dyn Store) {
    let units = [sgtin(1), sgtin(2)];
    // Decided against a model where sgtin(2) exists, but the store has never seen it: the
    // second event updates a record the store does not hold.
    let mut stale = Capture::default();
    stale.job(&[commission(1, &units[1..])]);
    let mut job = Capture::default().job(&[commission(2, &units[..1])]);
    job.events.extend(stale.job(&[ship(3, &units[1..]), commission(4, &units[1..])]).events);
    let error = store.commit(&job).expect_err("failed_job: an update of a missing record");
    assert_eq!(error, StoreError::UpdateMissing(Key::new(&units[1])));
    assert_eq!(error.code(), "store_update_missing");
    for captured in &job.events {
        assert!(!store.has_event(&captured.record.hash_id).expect("has_event reads"));
    }
    for key in keys(&units) {
        assert_eq!(store.state(&key).expect("state reads"), None, "{key} after a failed job");
        assert!(store.history(&key).expect("history reads").is_empty());
    }
    assert!(store.exceptions(&ExceptionFilter::default()).expect("exceptions read").is_empty());

    let mut capture = Capture::default();
    let receipt = store.commit(&capture.job(&[commission(2, &units)])).expect("failed_job: retry");
    assert_eq!(receipt.stored.len(), 1);
    capture.assert_states(store, &keys(&units));
}

/// A `Create` of a record that exists fails the whole job (a job decided on a stale view).
pub fn create_of_existing_record_fails(store: &dyn Store) {
    let units = [sgtin(1)];
    store.commit(&Capture::default().job(&[commission(1, &units)])).expect("create: first");
    let job = Capture::default().job(&[commission(2, &units)]);
    let error = store.commit(&job).expect_err("create: a second create");
    assert_eq!(error, StoreError::CreateExisting(Key::new(&units[0])));
    assert_eq!(error.code(), "store_create_existing");
    assert!(!store.has_event(&job.events[0].record.hash_id).expect("has_event reads"));
}

/// Children in key order whatever the packing order; history in capture order across jobs,
/// including events naming the key as a parent.
pub fn children_and_history_order(store: &dyn Store) {
    let mut capture = Capture::default();
    let units = [sgtin(3), sgtin(1), sgtin(2)];
    let case = sscc(7);
    let events = [commission(1, &units), pack(2, &case, &units[..2]), pack(3, &case, &units[2..])];
    store.commit(&capture.job(&events[..2])).expect("children: first job");
    store.commit(&capture.job(&events[2..])).expect("children: second job");
    let shipped = ship(4, std::slice::from_ref(&case));
    store.commit(&capture.job(std::slice::from_ref(&shipped))).expect("children: ship");

    let mut expected = keys(&units);
    expected.sort();
    assert_eq!(store.children(&Key::new(&case)).expect("children read"), expected);
    capture.assert_states(store, &keys(&units));
    capture.assert_states(store, &[Key::new(&case)]);

    let seqs = |key: &Key| -> Vec<String> {
        let history = store.history(key).expect("history reads");
        assert!(history.windows(2).all(|w| w[0].seq < w[1].seq), "history of {key} in seq order");
        history.into_iter().map(|e| e.record.hash_id).collect()
    };
    assert_eq!(seqs(&Key::new(&case)), vec![hash(&events[1]), hash(&events[2]), hash(&shipped)]);
    assert_eq!(seqs(&Key::new(&units[2])), vec![hash(&events[0]), hash(&events[2])]);
}

/// Exceptions are stored with their event and filtered by type and by key (any spelling).
pub fn exceptions_filter(store: &dyn Store) {
    let mut capture = Capture::default();
    let units = [sgtin(1), sgtin(2)];
    let twice = commission(2, &units[..1]);
    let unknown = ship(3, &units[1..]);
    let job = capture.job(&[commission(1, &units[..1]), twice.clone(), unknown.clone()]);
    let found: usize = job.events.iter().map(|c| c.violations.len()).sum();
    assert_eq!(found, 2, "the ledger finds commissioned_twice and never_commissioned");
    let receipt = store.commit(&job).expect("exceptions: commit");
    assert_eq!(receipt.exceptions, 2);

    let list = |filter: ExceptionFilter| -> Vec<(String, &'static str)> {
        let stored = store.exceptions(&filter).expect("exceptions read");
        stored.into_iter().map(|e| (e.event_hash_id, e.violation.kind.code())).collect()
    };
    let all = list(ExceptionFilter::default());
    assert_eq!(
        all,
        vec![(hash(&twice), "commissioned_twice"), (hash(&unknown), "never_commissioned")]
    );
    let by_type = ExceptionFilter {
        exception_type: Some(ExceptionType::IllegalTransition),
        ..ExceptionFilter::default()
    };
    assert_eq!(list(by_type), all[..1]);
    // The key as a Digital Link finds violations whose epcs were written as EPC URNs.
    let link = Key::new(&units[1]).as_str().to_owned();
    let by_key = ExceptionFilter { key: Some(Key::new(&link)), ..ExceptionFilter::default() };
    assert_eq!(list(by_key), all[1..]);
    let none = ExceptionFilter {
        exception_type: Some(ExceptionType::ProductWithoutData),
        key: Some(Key::new(&units[0])),
        ..ExceptionFilter::default()
    };
    assert!(list(none).is_empty());
    let twice_seq = store.events_by_id(&hash(&twice)).expect("read")[0].seq;
    let after = ExceptionFilter { after_seq: Some(twice_seq), ..ExceptionFilter::default() };
    assert_eq!(list(after), all[1..], "only exceptions of later events");
    let through = ExceptionFilter { through_seq: Some(twice_seq), ..ExceptionFilter::default() };
    assert_eq!(list(through), all[..1], "only exceptions of events up to it");
    let one = ExceptionFilter {
        after_seq: Some(twice_seq - 1),
        through_seq: Some(twice_seq),
        ..ExceptionFilter::default()
    };
    assert_eq!(list(one), all[..1], "the exceptions of one event");
}

/// `capture` decides with the ledger against committed states, across batches, exactly as the
/// reference model does; duplicates change nothing; the evidence names events by `eventID`.
pub fn capture_decides_like_the_model(store: &dyn Store) {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let units = [sgtin(1), sgtin(2), sgtin(3)];
    let case = sscc(9);
    let mut twice = commission(3, &units[..1]);
    twice.event_id = Some("urn:uuid:00000000-0000-4000-8000-000000000002".to_owned());
    let first = vec![commission(1, &units), pack(2, &case, &units[..2])];
    let second = vec![ship(4, std::slice::from_ref(&case)), twice.clone(), first[0].clone()];
    let records = |events: &[Event]| -> Vec<EventRecord> {
        events.iter().map(|e| EventRecord::new(hash(e), e.clone())).collect()
    };

    let receipt = store.capture(records(&first), now).expect("capture: first batch");
    assert_eq!(receipt.stored, first.iter().map(hash).collect::<Vec<_>>());
    let receipt = store.capture(records(&second), now).expect("capture: second batch");
    assert_eq!(receipt.stored, second[..2].iter().map(hash).collect::<Vec<_>>());
    assert_eq!(receipt.duplicates, vec![hash(&first[0])]);
    assert_eq!(receipt.exceptions, 1);

    let mut model = MemoryLedger::default();
    for event in first.iter().chain(&second[..2]) {
        let id = event.event_id.clone().unwrap_or_else(|| hash(event));
        model.commit(&apply(&model, event, &id, now));
    }
    for key in keys(&units).into_iter().chain([Key::new(&case)]) {
        assert_eq!(store.state(&key).expect("state reads").as_ref(), model.state(&key), "{key}");
        assert_eq!(store.children(&key).expect("children read"), model.children(&key));
    }
    let exceptions = store.exceptions(&ExceptionFilter::default()).expect("exceptions read");
    assert_eq!(exceptions.len(), 1);
    let violation = &exceptions[0].violation;
    assert_eq!(violation.kind.code(), "commissioned_twice");
    assert_eq!(violation.event_ids.last(), twice.event_id.as_ref());
    assert_eq!(exceptions[0].event_hash_id, hash(&twice));
    assert_eq!(store.history(&Key::new(&units[0])).expect("history reads").len(), 3);
}

/// A feed of fixed batches that keeps every result and stops after `stop_after` results.
struct Batches {
    batches: std::collections::VecDeque<StreamBatch>,
    results: Vec<Result<CommitReceipt, StoreError>>,
    stop_after: usize,
}

impl CaptureFeed for Batches {
    fn next_batch(&mut self) -> Option<StreamBatch> {
        self.batches.pop_front()
    }

    fn done(&mut self, result: Result<CommitReceipt, StoreError>) -> bool {
        self.results.push(result);
        self.results.len() < self.stop_after
    }
}

/// `capture_stream` stores what one `capture` per batch stores, with the same receipts, in
/// order: master data first, duplicates of earlier batches and within a batch, a container
/// shipped the batch after it was packed, commissioning twice. A feed that says stop gets no
/// further result, and nothing of a batch it did not see the result of is stored: capturing
/// those batches afterwards gives what they would have given in the stream.
pub fn capture_stream_is_one_capture_per_batch(store: &dyn Store) {
    use serialhub_epcis::{Vocabulary, VocabularyAttribute, VocabularyElement};
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let units = [sgtin(1), sgtin(2), sgtin(3), sgtin(4)];
    let case = sscc(9);
    let records = |events: &[Event]| -> Vec<EventRecord> {
        events.iter().map(|e| EventRecord::new(hash(e), e.clone())).collect()
    };
    let site = Vocabulary {
        type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
        elements: vec![VocabularyElement {
            id: "urn:epc:id:sgln:4012345.00001.0".to_owned(),
            attributes: vec![VocabularyAttribute {
                id: "urn:epcglobal:cbv:mda:name".to_owned(),
                value: Content::Text("Plant A".to_owned()),
            }],
            children: Vec::new(),
        }],
    };
    let commissioning = commission(1, &units[..3]);
    let mut again = commission(3, &units[..1]);
    again.event_id = Some("urn:uuid:00000000-0000-4000-8000-000000000003".to_owned());
    let batches = [
        vec![commissioning.clone()],
        vec![pack(2, &case, &units[..2]), commission(2, &units[3..])],
        vec![ship(4, std::slice::from_ref(&case)), commissioning.clone()],
        vec![again.clone(), again.clone(), ship(5, &units[2..3])],
        vec![ship(6, &units[3..]), pack(6, &sscc(10), &units[2..3])],
    ];
    let batch = |i: usize| StreamBatch {
        records: records(&batches[i]),
        master_data: if i == 1 { vec![site.clone()] } else { Vec::new() },
        now,
    };
    let model = MemStore::new();
    let expected: Vec<_> =
        (0..batches.len()).map(|i| model.capture(batch(i).records, now)).collect();

    // The stream stops after the fourth result: the fifth batch may have been taken, but it
    // is neither reported nor stored.
    let mut feed = Batches {
        batches: (0..batches.len()).map(batch).collect(),
        results: Vec::new(),
        stop_after: 4,
    };
    store.capture_stream(&mut feed, &crate::outbox::NoRoute);
    assert_eq!(feed.results, expected[..4], "capture_stream: the receipts of one capture each");
    let last = records(&batches[4]);
    assert!(!store.has_event(&last[0].hash_id).expect("has_event reads"), "after the stop");
    assert_eq!(store.capture(last, now), expected[4], "the batch after the stop, captured later");

    assert_eq!(store.master_data().expect("master data reads"), vec![site]);
    for key in keys(&units).into_iter().chain([Key::new(&case)]) {
        let state = store.state(&key).expect("state reads");
        assert_eq!(state, model.state(&key).expect("reads"), "{key}");
        assert_eq!(store.children(&key).expect("reads"), model.children(&key).expect("reads"));
        let history = store.history(&key).expect("history reads");
        let model_history = model.history(&key).expect("reads");
        let ids = |h: &[crate::StoredEvent]| -> Vec<String> {
            h.iter().map(|e| e.record.hash_id.clone()).collect()
        };
        assert_eq!(ids(&history), ids(&model_history), "history of {key}");
    }
    let all = ExceptionFilter::default();
    let codes = |store: &dyn Store| -> Vec<(String, &'static str)> {
        let exceptions = store.exceptions(&all).expect("exceptions read");
        exceptions.iter().map(|e| (e.event_hash_id.clone(), e.violation.kind.code())).collect()
    };
    assert_eq!(codes(store), codes(&model));
    assert!(codes(store).iter().any(|(_, code)| *code == "commissioned_twice"));
}

/// A captured error declaration takes its event's effects back, in its own batch or a later
/// one: a commissioning declared in error leaves no record (the corrective commissioning is not
/// `commissioned_twice`), a packing declared in error takes the packs out again, and every
/// record equals a replay of the events not declared. Each reversal is written with the
/// declaration, so it holds for a reader and after a reopen alike.
pub fn error_declarations_take_their_events_back(store: &dyn Store) {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let units = [sgtin(1), sgtin(2), sgtin(3)];
    let case = sscc(9);
    let declare = |event: &Event, day: u32| -> EventRecord {
        let mut declaration = event.clone();
        declaration.error_declaration = Some(serialhub_epcis::ErrorDeclaration {
            declaration_time: format!("2025-01-{day:02}T00:00:00Z"),
            reason: Some("incorrect_data".to_owned()),
            ..Default::default()
        });
        let id = crate::capture_id(hash(&declaration), &declaration);
        EventRecord::new(id, declaration)
    };
    let records = |events: &[Event]| -> Vec<EventRecord> {
        events.iter().map(|e| EventRecord::new(hash(e), e.clone())).collect()
    };
    let wrong = commission(1, &units[..1]);
    let packed = pack(2, &case, &units[1..]);
    let first = vec![wrong.clone(), commission(1, &units[1..]), packed.clone()];
    store.capture(records(&first), now).expect("capture: first batch");
    assert_eq!(
        store.children(&Key::new(&case)).expect("children read"),
        keys(&units[1..]),
        "packed before the declaration"
    );

    // The packing declared in error, alone; then the first commissioning declared and done
    // again in one batch.
    let receipt = store.capture(vec![declare(&packed, 3)], now).expect("capture: declaration");
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    let mut again = commission(4, &units[..1]);
    again.event_id = Some("urn:uuid:00000000-0000-4000-8000-00000000000c".to_owned());
    let batch = vec![declare(&wrong, 4), EventRecord::new(hash(&again), again.clone())];
    let receipt = store.capture(batch, now).expect("capture: declaration and correction");
    assert_eq!((receipt.stored.len(), receipt.exceptions), (2, 0), "no commissioned_twice");

    let mut model = MemoryLedger::default();
    for event in [&first[1], &again] {
        let id = event.event_id.clone().unwrap_or_else(|| hash(event));
        model.commit(&apply(&model, event, &id, now));
    }
    for key in keys(&units).into_iter().chain([Key::new(&case)]) {
        assert_eq!(store.state(&key).expect("state reads").as_ref(), model.state(&key), "{key}");
        assert_eq!(store.children(&key).expect("children read"), model.children(&key), "{key}");
    }
    let commissioned_by = store.state(&Key::new(&units[0])).expect("state reads");
    assert_eq!(
        commissioned_by.map(|s| s.commissioned_event.to_string()),
        again.event_id,
        "the corrective commissioning made the record"
    );
    assert!(store.exceptions(&ExceptionFilter::default()).expect("exceptions read").is_empty());

    // A pallet first seen as a parent, shipped by mistake: the declaration of the shipment
    // keeps the pallet (its packing made it) with its contents, as it was before shipping.
    let pallet_units = [sgtin(4), sgtin(5)];
    let pallet = sscc(10);
    let pallet_packed = pack(6, &pallet, &pallet_units);
    let shipped = ship(7, std::slice::from_ref(&pallet));
    let life = vec![commission(5, &pallet_units), pallet_packed.clone(), shipped.clone()];
    store.capture(records(&life), now).expect("capture: the pallet's life");
    let receipt = store.capture(vec![declare(&shipped, 8)], now).expect("capture: declaration");
    assert_eq!((receipt.stored.len(), receipt.exceptions), (1, 0));
    let mut model = MemoryLedger::default();
    for event in &life[..2] {
        model.commit(&apply(&model, event, &hash(event), now));
    }
    for key in keys(&pallet_units).into_iter().chain([Key::new(&pallet)]) {
        assert_eq!(store.state(&key).expect("state reads").as_ref(), model.state(&key), "{key}");
        assert_eq!(store.children(&key).expect("children read"), model.children(&key), "{key}");
    }
    let receipt = store.capture(records(&[ship(9, std::slice::from_ref(&pallet))]), now);
    assert_eq!(receipt.expect("capture: the real shipment").exceptions, 0);

    // A declaration of an event never stored takes nothing back.
    let before: Vec<_> =
        keys(&pallet_units).iter().map(|k| store.state(k).expect("state reads")).collect();
    let never = commission(10, &pallet_units);
    store.capture(vec![declare(&never, 11)], now).expect("capture: a stray declaration");
    let after: Vec<_> =
        keys(&pallet_units).iter().map(|k| store.state(k).expect("state reads")).collect();
    assert_eq!(after, before, "nothing to take back");
}

/// Taking an event back rebuilds every record its history reaches, in capture order: a
/// packing refused because of the declared one now happens (its new container is created); a
/// declaration captured before its event took nothing back, and that event stays applied when
/// a later declaration replays it; a run of declarations, one of an event earlier in the same
/// batch, is taken back whole.
pub fn error_declarations_rebuild_what_they_reach(store: &dyn Store) {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let declare = |event: &Event, day: u32| -> EventRecord {
        let mut declaration = event.clone();
        declaration.error_declaration = Some(serialhub_epcis::ErrorDeclaration {
            declaration_time: format!("2025-02-{day:02}T00:00:00Z"),
            ..Default::default()
        });
        EventRecord::new(crate::capture_id(hash(&declaration), &declaration), declaration)
    };
    let record = |event: &Event| EventRecord::new(hash(event), event.clone());
    let model_of = |events: &[&Event]| {
        let mut model = MemoryLedger::default();
        for event in events {
            model.commit(&apply(&model, event, &hash(event), now));
        }
        model
    };
    let check = |model: &MemoryLedger, ids: &[String], what: &str| {
        for key in keys(ids) {
            let state = store.state(&key).expect("state reads");
            assert_eq!(state.as_ref(), model.state(&key), "{what}: {key}");
            assert_eq!(store.children(&key).expect("children"), model.children(&key), "{what}");
        }
    };

    // The unit went into case 11 by mistake; its packing into case 12 was refused for it.
    let unit = [sgtin(21)];
    let commissioned = commission(1, &unit);
    let wrong = pack(2, &sscc(11), &unit);
    let refused = pack(3, &sscc(12), &unit);
    let batch: Vec<_> = [&commissioned, &wrong, &refused].into_iter().map(record).collect();
    assert_eq!(store.capture(batch, now).expect("capture").exceptions, 1, "two parents");
    store.capture(vec![declare(&wrong, 1)], now).expect("capture: declaration");
    let ids = [unit[0].clone(), sscc(11), sscc(12)];
    check(&model_of(&[&commissioned, &refused]), &ids, "the refused packing now happened");

    // A declaration before its event: the event applies when it comes, and stays applied when
    // another declaration replays the unit.
    let shipped = ship(4, std::slice::from_ref(&sscc(12)));
    store.capture(vec![declare(&shipped, 2)], now).expect("capture: early declaration");
    store.capture(vec![record(&shipped)], now).expect("capture: the event");
    let received = event(EventType::ObjectEvent, 5, std::slice::from_ref(&sscc(12)));
    let received =
        Event { action: Some(Action::Observe), biz_step: Some("receiving".to_owned()), ..received };
    store.capture(vec![record(&received), declare(&received, 3)], now).expect("capture");
    check(&model_of(&[&commissioned, &refused, &shipped]), &ids, "the shipment stands");

    // Two declarations in a row, one of them of an event earlier in the same batch.
    let others = [sgtin(22), sgtin(23)];
    let first = commission(6, &others[..1]);
    let second = commission(6, &others[1..]);
    store.capture(vec![record(&first)], now).expect("capture");
    let batch = vec![record(&second), declare(&first, 4), declare(&second, 4)];
    let receipt = store.capture(batch, now).expect("capture: a run of declarations");
    assert_eq!(receipt.stored.len(), 3);
    for key in keys(&others) {
        assert_eq!(store.state(&key).expect("state reads"), None, "both taken back: {key}");
    }
    // A record taken back keeps its history: the event that made it and the declaration, for
    // a record removed by a later job (the first unit, and case 11) and for one created and
    // removed in the same job (the second unit).
    let hashes = |key: &str| -> Vec<String> {
        let history = store.history(&Key::new(key)).expect("history reads");
        history.into_iter().map(|e| e.record.hash_id).collect()
    };
    for (key, event, day) in
        [(&others[0], &first, 4), (&others[1], &second, 4), (&sscc(11), &wrong, 1)]
    {
        let expected = [record(event).hash_id, declare(event, day).hash_id];
        assert_eq!(hashes(key), expected, "the history of {key}, taken back");
    }
}

/// `lot_units` lists the units commissioned with a lot, whatever form names the lot; exceptions
/// carry their capture time and filter on it.
pub fn lots_and_capture_times(store: &dyn Store) {
    let with_lot = |day: u32, epcs: &[String], lot: &str| -> Event {
        let lot_number = Element {
            name: Name::new("urn:epcglobal:cbv:mda", "lotNumber", "cbvmda"),
            content: Content::Text(lot.to_owned()),
            ..Element::default()
        };
        Event { ilmd: Some(vec![lot_number]), ..commission(day, epcs) }
    };
    let first = Timestamp::parse("2025-03-01T00:00:00Z").expect("a timestamp");
    let later = Timestamp::parse("2025-04-01T00:00:00Z").expect("a timestamp");
    let l1 = [sgtin(3), sgtin(1)];
    let batch = vec![with_lot(1, &l1, "L1"), with_lot(1, &[sgtin(2)], "L2")];
    let records = |events: Vec<Event>| -> Vec<EventRecord> {
        events.into_iter().map(|e| EventRecord::new(hash(&e), e)).collect()
    };
    store.capture(records(batch), first).expect("lots: commissioning");
    store.capture(records(vec![commission(2, &l1[..1])]), later).expect("lots: a repeat");

    let lot = Key::new("urn:epc:class:lgtin:4012345.011111.L1");
    assert_eq!(serialhub_core::lot_key_of(&Key::new(&l1[0]), "L1"), Some(lot.clone()));
    assert_eq!(
        store.lot_units(&lot).expect("lot_units reads"),
        vec![Key::new(&l1[1]), Key::new(&l1[0])]
    );
    let l2 = Key::new("https://id.gs1.org/01/04012345111118/10/L2");
    assert_eq!(store.lot_units(&l2).expect("lot_units reads"), vec![Key::new(&sgtin(2))]);
    let none = Key::new("urn:epc:class:lgtin:4012345.011111.L9");
    assert!(store.lot_units(&none).expect("lot_units reads").is_empty());

    let all = store.exceptions(&ExceptionFilter::default()).expect("exceptions read");
    assert_eq!(all.len(), 1, "commissioned twice");
    assert_eq!(all[0].captured_at, later);
    let window = |since: Timestamp, until: Timestamp| -> usize {
        let filter = ExceptionFilter {
            since: Some(since),
            until: Some(until),
            ..ExceptionFilter::default()
        };
        store.exceptions(&filter).expect("exceptions read").len()
    };
    assert_eq!(window(first, later), 0, "until is exclusive");
    assert_eq!(window(later, Timestamp { unix_millis: later.unix_millis + 1, ..later }), 1);
}

/// `events` pages through capture order from any `seq`; `events_by_id` finds events by their
/// EPCIS eventID (all of them: an error declaration repeats its event's ID) or by hash ID;
/// `last_seq` is the newest `seq`.
pub fn scan_and_lookup_by_event_id(store: &dyn Store) {
    assert_eq!(store.last_seq().expect("last_seq reads"), 0, "an empty store");
    assert!(store.events(1, 10).expect("events read").is_empty());
    let mut capture = Capture::default();
    let units: Vec<String> = (1..=5).map(sgtin).collect();
    let mut events: Vec<Event> =
        units.iter().map(|u| commission(1, std::slice::from_ref(u))).collect();
    events[1].event_id = Some("urn:uuid:2f1c7a4e-0000-4000-8000-000000000001".to_owned());
    // The same eventID on a later, different event. (An error declaration also repeats its
    // event's ID, but its hash is the original's, as CBV 2.0 leaves errorDeclaration out of it.)
    let mut declared = events[1].clone();
    declared.event_time = "2025-01-03T00:00:00Z".to_owned();
    declared.action = Some(Action::Observe);
    declared.biz_step = Some("inspecting".to_owned());
    let mut job = capture.job(&events);
    // The capturing partner is part of the record: it reads back by every route.
    job.events[2].record.captured_by = Some("4012345000009".to_owned());
    store.commit(&job).expect("the first job commits");
    store.commit(&capture.job(std::slice::from_ref(&declared))).expect("the declaration commits");
    assert_eq!(store.last_seq().expect("last_seq reads"), 6);

    let seqs = |from: u64, limit: usize| -> Vec<u64> {
        store.events(from, limit).expect("events read").iter().map(|e| e.seq).collect()
    };
    assert_eq!(seqs(1, 100), [1, 2, 3, 4, 5, 6], "every event, in capture order");
    assert_eq!(seqs(0, 2), [1, 2], "from 0 starts at the first");
    assert_eq!(seqs(3, 2), [3, 4], "a page from the middle");
    assert_eq!(seqs(6, 10), [6]);
    assert!(seqs(7, 10).is_empty(), "past the end");
    assert!(seqs(1, 0).is_empty(), "a zero limit");
    let third = store.events(3, 1).expect("events read");
    assert_eq!(third[0].record, job.events[2].record, "a scanned event reads back whole");
    assert_eq!(third[0].record.captured_by.as_deref(), Some("4012345000009"));
    let history = store.history(&job.events[2].record.keys[0]).expect("history reads");
    assert_eq!(history[0].record.captured_by.as_deref(), Some("4012345000009"));

    let by_id = store
        .events_by_id("urn:uuid:2f1c7a4e-0000-4000-8000-000000000001")
        .expect("events_by_id reads");
    assert_eq!(by_id.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 6], "both carriers of the ID");
    assert_eq!(by_id[1].record.event, declared);
    let hash_id = &job.events[3].record.hash_id;
    let by_hash = store.events_by_id(hash_id).expect("events_by_id reads");
    assert_eq!(by_hash.iter().map(|e| e.seq).collect::<Vec<_>>(), [4], "by hash ID");
    assert!(store.events_by_id("urn:uuid:nothing").expect("events_by_id reads").is_empty());

    // An error declaration of the fifth event: stored under its own capture id, and found by
    // the hash of the event it declares as well as by its own id.
    let mut declaration = events[4].clone();
    declaration.error_declaration = Some(serialhub_epcis::ErrorDeclaration {
        declaration_time: "2025-01-04T00:00:00Z".to_owned(),
        reason: Some("incorrect_data".to_owned()),
        ..Default::default()
    });
    let declared_hash = job.events[4].record.hash_id.clone();
    let capture_id = crate::capture_id(hash(&declaration), &declaration);
    assert_ne!(capture_id, declared_hash, "a declaration is not its event's duplicate");
    assert_eq!(crate::hash_of_capture_id(&capture_id), declared_hash);
    let mut declaring = capture.job(std::slice::from_ref(&declaration));
    declaring.events[0].record.hash_id = capture_id.clone();
    let receipt = store.commit(&declaring).expect("the declaration commits");
    assert_eq!(receipt.stored, std::slice::from_ref(&capture_id));
    let seqs_of = |id: &str| -> Vec<u64> {
        store.events_by_id(id).expect("events_by_id reads").iter().map(|e| e.seq).collect()
    };
    assert_eq!(seqs_of(&declared_hash), [5, 7], "the event and its declaration");
    assert_eq!(seqs_of(&capture_id), [7], "the declaration by its own id");
}

/// Every value of `field`, read page by page with `limit` values at most per call; panics on a
/// repeat, and after too many pages (a cursor that does not advance).
fn all_known(store: &dyn Store, field: KnownField, limit: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1_000 {
        let page = store.known_values(field, after.as_deref(), limit).expect("known_values reads");
        assert!(page.values.len() <= limit, "{field:?}: a page holds at most the limit");
        for value in page.values {
            assert!(!all.contains(&value), "{field:?}: {value} listed twice");
            all.push(value);
        }
        match page.next {
            None => {
                all.sort();
                return all;
            }
            Some(next) => after = Some(next),
        }
    }
    panic!("{field:?}: the pages never end")
}

/// `known_values`: identifiers and locations named by stored events, each once, whatever the
/// page size, whether captured by `commit` or `capture`, including values named again later.
pub fn known_values_page_through_everything_once(store: &dyn Store) {
    for field in [KnownField::Epc, KnownField::BizLocation, KnownField::ReadPoint] {
        let empty = store.known_values(field, None, 10).expect("known_values reads");
        assert!(empty.values.is_empty() && empty.next.is_none(), "{field:?}: an empty store");
    }
    let at = |e: Event, site: u32, dock: u32| Event {
        biz_location: Some(serialhub_epcis::Location {
            id: format!("urn:epc:id:sgln:4012345.00001.{site}"),
            extensions: Vec::new(),
        }),
        read_point: Some(serialhub_epcis::Location {
            id: format!("urn:epc:id:sgln:4012345.00001.{dock}"),
            extensions: Vec::new(),
        }),
        ..e
    };
    let mut capture = Capture::default();
    let units: Vec<String> = (1..=7).map(sgtin).collect();
    let events: Vec<Event> = units
        .iter()
        .enumerate()
        .map(|(i, u)| at(commission(1, std::slice::from_ref(u)), 1 + i as u32 % 2, 10 + i as u32))
        .collect();
    store.commit(&capture.job(&events)).expect("the first job commits");
    // The second job names a known unit and site again, one new unit, and no readPoint.
    let mut observe = event(EventType::ObjectEvent, 2, &[units[0].clone(), sgtin(8)]);
    observe.action = Some(Action::Observe);
    observe.biz_location = at(Event::default(), 1, 0).biz_location;
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let record = EventRecord::new(hash(&observe), observe);
    store.capture(vec![record], now).expect("the second job captures");

    let mut epcs: Vec<String> =
        units.iter().chain([&sgtin(8)]).map(|u| Key::new(u).as_str().to_owned()).collect();
    epcs.sort();
    let sites: Vec<String> =
        (1..=2).map(|s| format!("urn:epc:id:sgln:4012345.00001.{s}")).collect();
    let mut docks: Vec<String> =
        (10..17).map(|d| format!("urn:epc:id:sgln:4012345.00001.{d}")).collect();
    docks.sort();
    for limit in [1, 2, 3, 100] {
        assert_eq!(all_known(store, KnownField::Epc, limit), epcs, "EPCs by {limit}");
        assert_eq!(all_known(store, KnownField::BizLocation, limit), sites, "sites by {limit}");
        assert_eq!(all_known(store, KnownField::ReadPoint, limit), docks, "docks by {limit}");
    }
    let wrong = store.known_values(KnownField::Epc, Some("\u{1}not a cursor"), 10);
    assert!(
        matches!(wrong, Err(StoreError::BadCursor(_))) || wrong.is_ok_and(|p| p.next.is_none()),
        "a foreign cursor is refused, or (for stores whose cursor is a value) ends the listing"
    );
}

/// `put_master_data` / `master_data`: merged by `master::merge`, idempotent, read back whole.
pub fn master_data_merges_and_reads_back(store: &dyn Store) {
    use serialhub_epcis::{Vocabulary, VocabularyAttribute, VocabularyElement};
    assert!(store.master_data().expect("master_data reads").is_empty());
    let element = |id: &str, name: &str, children: &[&str]| VocabularyElement {
        id: id.to_owned(),
        attributes: vec![VocabularyAttribute {
            id: "urn:epcglobal:cbv:mda:name".to_owned(),
            value: Content::Text(name.to_owned()),
        }],
        children: children.iter().map(|c| (*c).to_owned()).collect(),
    };
    let site = "urn:epc:id:sgln:4012345.00001.0";
    let dock = "urn:epc:id:sgln:4012345.00001.1";
    let first = vec![
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
            elements: vec![element(site, "Plant A", &[dock]), element(dock, "Dock 1", &[])],
        },
        Vocabulary {
            type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(),
            elements: vec![element("urn:epc:idpat:sgtin:4012345.011111.*", "Aspirin 100", &[])],
        },
    ];
    let renamed = vec![Vocabulary {
        type_: "urn:epcglobal:epcis:vtype:BusinessLocation".to_owned(),
        elements: vec![element(site, "Plant A (Berlin)", &[])],
    }];
    store.put_master_data(&first).expect("master data stores");
    store.put_master_data(&renamed).expect("master data stores");
    store.put_master_data(&renamed).expect("master data stores again");
    let mut expected = crate::master::MasterData::new();
    crate::master::merge(&mut expected, &first);
    crate::master::merge(&mut expected, &renamed);
    assert_eq!(
        store.master_data().expect("master_data reads"),
        crate::master::vocabularies(&expected)
    );
    let read = store.master_data().expect("master_data reads");
    let plant = &read[0].elements.iter().find(|e| e.id == site).expect("the site is stored");
    assert_eq!(plant.attributes[0].value, Content::Text("Plant A (Berlin)".to_owned()));
    assert_eq!(plant.children, [dock], "children are kept across a merge that names none");
}

/// One shipment report per shipping event, to the shipment's destination party, in order per
/// party: the route the outbox contract is checked with.
struct ShipmentRoute;

impl crate::outbox::Route for ShipmentRoute {
    fn route(&self, record: &EventRecord) -> Vec<crate::outbox::NewMessage> {
        if record.event.biz_step.as_deref() != Some("shipping") {
            return Vec::new();
        }
        let party = record.event.destination_list.first().map_or("nobody", |d| d.value.as_str());
        vec![crate::outbox::NewMessage {
            connector: "dscsa".to_owned(),
            destination: party.to_owned(),
            idempotency_key: format!("dscsa:{}", record.hash_id),
            ordering_key: Some(format!("dscsa:{party}")),
            payload: record.hash_id.as_bytes().to_vec(),
        }]
    }
}

/// The outbox: messages committed with their events (and not again for duplicates), added
/// once per idempotency key, claimed under leases one at a time per ordering key, settled
/// only by their lease holder, claimable again when a lease runs out, counted and listed.
pub fn outbox_messages_follow_their_events_and_their_leases(store: &dyn Store) {
    use crate::outbox::{MessageFilter, MessageStatus, NewMessage, OutboxCounts, Settlement};
    let at = |seconds: i64| Timestamp {
        unix_millis: 1_748_736_000_000 + seconds * 1000,
        has_offset: true,
    };
    assert_eq!(store.outbox_counts().expect("counts"), OutboxCounts::default());
    assert!(store.outbox_claim("n1", at(0), at(10), 10).expect("claims").is_empty());

    let ship = |day: u32, serial: u32, party: &str| Event {
        action: Some(Action::Observe),
        biz_step: Some("shipping".to_owned()),
        destination_list: vec![serialhub_epcis::SourceDest {
            type_: "owning_party".to_owned(),
            value: party.to_owned(),
        }],
        ..event(EventType::ObjectEvent, day, &[sgtin(serial)])
    };
    let (b, c) = ("urn:epc:id:pgln:4098765.00000", "urn:epc:id:pgln:4055555.00000");
    let batch = |events: &[Event]| -> Vec<EventRecord> {
        events.iter().map(|e| EventRecord::new(hash(e), e.clone())).collect()
    };
    let events = [
        commission(1, &[sgtin(1), sgtin(2), sgtin(3)]),
        ship(2, 1, b),
        ship(3, 2, b),
        ship(4, 3, c),
    ];
    let receipt = store.capture_routed(batch(&events), at(0), &ShipmentRoute).expect("captures");
    assert_eq!(receipt.messages, [1, 2, 3], "one message per shipment, in the commit");
    let again = store.capture_routed(batch(&events), at(1), &ShipmentRoute).expect("captures");
    assert!(again.messages.is_empty() && again.duplicates.len() == 4, "duplicates cause nothing");
    let listed =
        store.outbox_messages(&MessageFilter { limit: 10, ..Default::default() }).expect("lists");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].event_seq, Some(2), "caused by the first shipment");
    assert_eq!(listed[0].message.payload, receipt.stored[1].as_bytes());
    assert_eq!(
        (listed[0].status, listed[0].attempts, listed[0].created_at),
        (MessageStatus::Pending, 0, at(0))
    );

    let resend = |key: &str| NewMessage {
        connector: "webhook".to_owned(),
        destination: "https://hooks.example.com/a".to_owned(),
        idempotency_key: key.to_owned(),
        ordering_key: None,
        payload: b"{}".to_vec(),
    };
    let added = store
        .outbox_enqueue(vec![resend("w1"), resend("w1"), listed[0].message.clone()], at(0))
        .expect("enqueues");
    assert_eq!(added, [4], "a key stored, or repeated, adds nothing");

    // Claims: one message per ordering key (1 holds 2 back), none another holds.
    let ids = |claimed: Vec<crate::outbox::StoredMessage>| {
        claimed.iter().map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(store.outbox_claim("n1", at(0), at(10), 10).expect("claims")), [1, 3, 4]);
    assert!(store.outbox_claim("n2", at(1), at(11), 10).expect("claims").is_empty());
    assert_eq!(
        store
            .outbox_settle("n2", &[(1, Settlement::Delivered { receipt: "x".to_owned() })], at(2))
            .expect("settles"),
        [false],
        "only the lease holder settles"
    );
    let settled = store
        .outbox_settle(
            "n1",
            &[
                (1, Settlement::Delivered { receipt: "ack-1".to_owned() }),
                (3, Settlement::Retry { error: "503 from the hub".to_owned(), at: at(30) }),
                (99, Settlement::Failed { error: "no such message".to_owned() }),
            ],
            at(2),
        )
        .expect("settles");
    assert_eq!(settled, [true, true, false]);
    assert_eq!(
        store
            .outbox_settle(
                "n1",
                &[
                    (4, Settlement::Retry { error: "twice".to_owned(), at: at(5) }),
                    (4, Settlement::Retry { error: "twice".to_owned(), at: at(5) }),
                ],
                at(2),
            )
            .expect("settles"),
        [true, false],
        "an id repeated in one call is settled once"
    );
    // 1 delivered frees 2; 3 waits for its retry time; 4 is still leased to n1.
    assert_eq!(ids(store.outbox_claim("n2", at(3), at(13), 10).expect("claims")), [2]);
    // Held back by its dispatcher: deferred, which is not an attempt.
    assert_eq!(
        store
            .outbox_settle("n2", &[(2, Settlement::Deferred { at: at(4) })], at(3))
            .expect("defers"),
        [true]
    );
    assert!(store.outbox_claim("n2", at(3), at(13), 10).expect("claims").is_empty(), "not yet due");
    assert_eq!(ids(store.outbox_claim("n2", at(4), at(13), 10).expect("claims")), [2]);
    // n1 dies: its lease of 4 runs out at 10, n2's of 2 at 13.
    assert_eq!(ids(store.outbox_claim("n3", at(12), at(40), 10).expect("claims")), [4]);
    assert_eq!(ids(store.outbox_claim("n3", at(31), at(60), 10).expect("claims")), [2, 3]);
    assert_eq!(
        store
            .outbox_settle(
                "n2",
                &[(2, Settlement::Delivered { receipt: "late".to_owned() })],
                at(32)
            )
            .expect("settles"),
        [false],
        "a lease that ran out settles nothing"
    );
    let settled = store
        .outbox_settle(
            "n3",
            &[
                (2, Settlement::Failed { error: "rejected: unknown product".to_owned() }),
                (3, Settlement::Delivered { receipt: "ack-3".to_owned() }),
                (4, Settlement::Delivered { receipt: "ack-4".to_owned() }),
            ],
            at(33),
        )
        .expect("settles");
    assert_eq!(settled, [true, true, true]);
    assert!(store.outbox_claim("n1", at(100), at(110), 10).expect("claims").is_empty());
    assert_eq!(
        store.outbox_counts().expect("counts"),
        OutboxCounts { pending: 0, delivered: 3, failed: 1 }
    );

    let all =
        store.outbox_messages(&MessageFilter { limit: 10, ..Default::default() }).expect("lists");
    let third = &all[2];
    assert_eq!(
        (
            third.status,
            third.attempts,
            third.last_error.as_deref(),
            third.receipt.as_deref(),
            third.settled_at
        ),
        (MessageStatus::Delivered, 2, Some("503 from the hub"), Some("ack-3"), Some(at(33)))
    );
    assert_eq!(all[1].lease, None, "settled messages hold no lease");
    let failed = store
        .outbox_messages(&MessageFilter {
            status: Some(MessageStatus::Failed),
            limit: 10,
            ..Default::default()
        })
        .expect("lists");
    assert_eq!(failed.iter().map(|m| m.id).collect::<Vec<_>>(), [2]);
    let to_b = store
        .outbox_messages(&MessageFilter {
            destination: Some(b.to_owned()),
            limit: 10,
            ..Default::default()
        })
        .expect("lists");
    assert_eq!(to_b.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2]);
    let page = store
        .outbox_messages(&MessageFilter { after: Some(1), limit: 2, ..Default::default() })
        .expect("lists");
    assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), [2, 3]);
}
