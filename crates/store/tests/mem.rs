//! The conformance suite on the reference implementation.

use serialhub_store::{MemStore, Store, conformance};

#[test]
fn mem_store_conforms() {
    conformance::run_all(&|| Box::new(MemStore::new()) as Box<dyn Store>);
}

/// An exception's id counts among all its event's exceptions: filtering by type must not
/// renumber it (`query::place_in_event`).
#[test]
fn an_exception_keeps_its_place_in_its_event_under_any_filter() {
    use serialhub_core::{ExceptionType, Violation, ViolationKind};
    use serialhub_store::{CaptureJob, CapturedEvent, EventRecord, ExceptionFilter, query};

    let store = MemStore::new();
    let event = serialhub_epcis::Event {
        event_type: Some(serialhub_epcis::EventType::ObjectEvent),
        event_time: "2025-01-01T00:00:00Z".to_owned(),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: vec!["urn:epc:id:sgtin:4012345.011111.1".to_owned()],
        ..serialhub_epcis::Event::default()
    };
    let violation = |kind| Violation::new(kind, "m".to_owned(), vec![], vec![]);
    let job = CaptureJob {
        events: vec![CapturedEvent {
            record: EventRecord::new("h1".to_owned(), event),
            changes: vec![],
            violations: vec![
                violation(ViolationKind::DispenseTwice),
                violation(ViolationKind::NeverCommissioned),
            ],
        }],
        captured_at: None,
    };
    store.commit(&job).expect("commit");
    let filter = ExceptionFilter {
        exception_type: Some(ExceptionType::ProductWithoutData),
        ..ExceptionFilter::default()
    };
    let found = store.exceptions(&filter).expect("read");
    assert_eq!(found.len(), 1);
    assert_eq!(query::place_in_event(&store, &found[0]).expect("read"), Some(1), "the second");
    assert_eq!(query::event_exceptions(&store, 1).expect("read").len(), 2);
    assert!(query::event_exceptions(&store, 0).expect("read").is_empty());
}
