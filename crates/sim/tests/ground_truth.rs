//! The simulation against the ledger: every event goes through `serialhub_core::apply` in
//! order, and the violations must be exactly the injected faults (precision and recall 100%),
//! none when no fault is injected; documents round-trip through JSON-LD and are deterministic.

use std::collections::BTreeMap;

use serialhub_core::{MemoryLedger, ViolationKind, apply};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Document, canonical_id};
use serialhub_sim::{Config, Simulation};

/// The capture time: after the simulated period, which ends before 2026-11-01.
const NOW: &str = "2026-11-24T00:00:00Z";

/// One violation or fault, comparable: the code, the identifiers (canonical, sorted), and the
/// triggering event.
type Finding = (String, Vec<String>, String);

fn finding(code: &str, epcs: &[String], event_id: &str) -> Finding {
    let mut epcs: Vec<String> = epcs.iter().map(|e| canonical_id(e).into_owned()).collect();
    epcs.sort();
    (code.to_owned(), epcs, event_id.to_owned())
}

/// What a run produced, as the ledger saw it.
struct Run {
    violations: Vec<Finding>,
    faults: Vec<Finding>,
    /// Fault types as the simulation reported them, by code.
    fault_types: BTreeMap<String, String>,
    events: usize,
    late: usize,
}

fn run(seed: u64, packs: u64, fault_rate: f64) -> Run {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let config = Config { seed, packs, fault_rate, events_per_document: 2_000 };
    let mut sim = Simulation::new(config);
    let mut ledger = MemoryLedger::default();
    let mut violations = Vec::new();
    let mut events = 0;
    let mut late = 0;
    while let Some(document) = sim.next_document() {
        for event in &document.events {
            let id = event.event_id.clone().expect("every simulated event has an eventID");
            let outcome = apply(&ledger, event, &id, now);
            for violation in &outcome.violations {
                assert_eq!(violation.event_ids.last(), Some(&id));
                violations.push(finding(violation.kind.code(), &violation.epcs, &id));
            }
            late += outcome.superseded.len();
            ledger.commit(&outcome);
            events += 1;
        }
    }
    let mut fault_types = BTreeMap::new();
    let faults = sim
        .faults()
        .iter()
        .map(|fault| {
            fault_types.insert(fault.code.to_owned(), fault.exception_type.to_owned());
            finding(fault.code, &fault.epcs, &fault.event_id)
        })
        .collect();
    Run { violations, faults, fault_types, events, late }
}

/// Asserts that the two multisets are equal, naming what differs.
#[track_caller]
fn assert_same(mut violations: Vec<Finding>, mut faults: Vec<Finding>) {
    violations.sort();
    faults.sort();
    if violations == faults {
        return;
    }
    let unexpected: Vec<&Finding> = violations.iter().filter(|v| !faults.contains(v)).collect();
    let missed: Vec<&Finding> = faults.iter().filter(|f| !violations.contains(f)).collect();
    panic!(
        "{} violations, {} faults\nviolations not injected: {unexpected:#?}\nfaults not reported: \
         {missed:#?}",
        violations.len(),
        faults.len()
    );
}

#[test]
fn every_injected_fault_is_reported_once_and_nothing_else() {
    let run = run(7, 5_000, 0.02);
    assert_eq!(run.late, 0, "events come in time order for every identifier");
    assert_same(run.violations.clone(), run.faults.clone());
    // Every kind but `event_time_unreadable` shows up, with its exception type.
    for kind in ViolationKind::ALL {
        if kind == ViolationKind::EventTimeUnreadable {
            continue;
        }
        assert_eq!(
            run.fault_types.get(kind.code()).map(String::as_str),
            Some(kind.exception_type().code()),
            "{kind} is injected with its type"
        );
    }
    assert!(run.events > 5_000 / 4, "{} events", run.events);
}

#[test]
fn without_faults_the_ledger_finds_nothing() {
    for seed in [0, 1, 7, 42] {
        let run = run(seed, 4_000, 0.0);
        assert_eq!(run.violations, Vec::new(), "seed {seed}");
        assert!(run.faults.is_empty());
        assert_eq!(run.late, 0);
    }
}

#[test]
fn ground_truth_holds_for_other_seeds_and_rates() {
    for (seed, packs, rate) in
        [(1, 2_000, 0.01), (2, 3_000, 0.1), (3, 2_500, 0.5), (99, 1_000, 1.0)]
    {
        let run = run(seed, packs, rate);
        assert_eq!(run.late, 0, "seed {seed}");
        assert_same(run.violations, run.faults);
    }
    // 2,000 packs at 1% show every kind.
    let run = run(11, 2_000, 0.01);
    assert_eq!(run.fault_types.len(), ViolationKind::ALL.len() - 1);
}

fn documents(config: Config) -> (Vec<Document>, Vec<String>) {
    let mut sim = Simulation::new(config);
    let mut documents = Vec::new();
    while let Some(document) = sim.next_document() {
        documents.push(document);
    }
    let faults = sim.faults().iter().map(|f| f.to_json_line()).collect();
    (documents, faults)
}

#[test]
fn same_seed_same_bytes() {
    let config = Config { seed: 5, packs: 1_500, fault_rate: 0.05, events_per_document: 500 };
    let render = |(documents, faults): (Vec<Document>, Vec<String>)| {
        let mut bytes: Vec<u8> =
            documents.iter().flat_map(serialhub_epcis::json::write::to_json_ld).collect();
        bytes.extend(faults.join("\n").into_bytes());
        bytes
    };
    let first = render(documents(config.clone()));
    assert_eq!(first, render(documents(config.clone())));
    let other = render(documents(Config { seed: 6, ..config }));
    assert_ne!(first, other);
}

#[test]
fn documents_round_trip_through_json_ld_and_validate() {
    let config = Config { seed: 3, packs: 2_000, fault_rate: 0.05, events_per_document: 700 };
    let mut sim = Simulation::new(config);
    let mut count = 0;
    while let Some(document) = sim.next_document() {
        assert!(document.events.len() <= 700);
        let bytes = serialhub_epcis::json::write::to_json_ld(&document);
        let read = serialhub_epcis::read_document(&bytes).expect("the document reads back");
        assert_eq!(read.problems, Vec::new());
        assert_eq!(read.document.events, document.events);
        let mut validator = serialhub_epcis::validate::Validator::default();
        serialhub_epcis::read_slice(&bytes, &serialhub_epcis::Limits::default(), &mut validator)
            .expect("the document reads");
        let problems = validator.into_inner().problems;
        // Every simulated document is valid EPCIS, faults included: the faults break ledger
        // rules, not the standard.
        assert_eq!(problems, Vec::new());
        count += 1;
    }
    let stats = sim.stats();
    assert_eq!(stats.documents, count);
    assert_eq!(stats.packs, 2_000);
    let expiry = sim.faults().iter().filter(|f| f.code == "expiry_mismatch").count();
    assert!(expiry > 0);
}
