//! Tests of the simulation as its callers see it: the events of a small run, the life of one
//! pack, a catalogue of the faults with the ledger's words for them, and document sizes.

use std::collections::BTreeSet;
use std::fmt::Write;

use expect_test::{Expect, expect};
use serialhub_core::{MemoryLedger, apply};
use serialhub_epcis::model::Event;
use serialhub_epcis::time::Timestamp;

use crate::{Config, Simulation};

/// One line per event: time, offset, type, action, bizStep, disposition, then the parent and
/// the number of identifiers (or the identifiers, when `names` says so).
fn line(event: &Event, names: bool) -> String {
    let kind = event.event_type.map_or("?", |t| t.name());
    let mut out = format!(
        "{} {} {} {} {} {}",
        event.event_time,
        event.event_time_zone_offset,
        kind.trim_end_matches("Event"),
        event.action.map_or("?", |a| a.as_str()),
        event.biz_step.as_deref().unwrap_or("-"),
        event.disposition.as_deref().unwrap_or("-"),
    );
    if let Some(parent) = &event.parent_id {
        write!(out, " {parent} <").expect("a String takes it");
    }
    if names {
        for epc in &event.epc_list {
            write!(out, " {epc}").expect("a String takes it");
        }
    } else {
        write!(out, " {}", event.epc_list.len()).expect("a String takes it");
    }
    if let Some(place) = &event.biz_location {
        write!(out, " @{}", place.id).expect("a String takes it");
    }
    out
}

fn all_events(config: Config) -> (Vec<Event>, Simulation) {
    let mut sim = Simulation::new(config);
    let mut events = Vec::new();
    while let Some(document) = sim.next_document() {
        events.extend(document.events);
    }
    (events, sim)
}

#[track_caller]
fn check_run(config: Config, expect: Expect) {
    let (events, sim) = all_events(config);
    let mut out: String = events.iter().map(|e| line(e, false) + "\n").collect();
    writeln!(out, "{:?}", sim.stats()).expect("a String takes it");
    expect.assert_eq(&out);
}

#[test]
fn a_small_run() {
    check_run(
        Config { seed: 1, packs: 30, fault_rate: 0.0, events_per_document: 7 },
        expect![[r#"
        2025-01-06T08:00:00.000Z +01:00 Object ADD commissioning active 20 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:00:29.015Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:00:35.221Z +01:00 Object ADD commissioning active 10 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:00:50.643Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.0000000001 < 10 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:00:56.330Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.3000000002 < 2 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T14:06:40.246Z +01:00 Object OBSERVE shipping in_transit 1
        2025-01-08T17:52:20.536Z +01:00 Object OBSERVE receiving in_progress 1 @urn:epc:id:sgln:4098765.00001.0
        2025-01-08T19:35:47.593Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.3000000002 < 2 @urn:epc:id:sgln:4098765.00001.0
        2025-01-10T18:42:30.406Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4098765.9000000000 < 2 @urn:epc:id:sgln:4098765.00001.0
        2025-01-10T20:02:19.018Z +01:00 Object OBSERVE shipping in_transit 1
        2025-01-12T01:34:37.226Z +01:00 Object OBSERVE receiving in_progress 1 @urn:epc:id:sgln:4300011.00004.0
        2025-01-12T01:45:10.171Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4098765.9000000000 < 2 @urn:epc:id:sgln:4300011.00004.0
        2025-01-12T01:54:18.044Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000001 < 10 @urn:epc:id:sgln:4300011.00004.0
        2025-01-12T02:02:54.792Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4300011.00004.0
        2025-01-14T15:08:27.732Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-19T04:27:53.515Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00004.0
        2025-01-19T10:43:23.131Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-20T09:05:22.482Z +01:00 Object OBSERVE dispensing dispensed 1 @urn:epc:id:sgln:4300011.00004.0
        2025-01-21T09:03:38.782Z +01:00 Object OBSERVE dispensing dispensed 1 @urn:epc:id:sgln:4300011.00004.0
        2025-01-24T01:23:00.346Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-24T13:18:14.483Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-24T16:43:25.897Z +01:00 Object OBSERVE shipping in_transit 3
        2025-01-27T08:08:43.017Z +01:00 Object OBSERVE receiving in_progress 3 @urn:epc:id:sgln:4098765.00001.0
        2025-01-27T11:21:34.039Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00004.0
        2025-01-27T14:00:32.931Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-29T11:19:11.697Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00004.0
        2025-01-30T16:53:01.969Z +01:00 Object OBSERVE dispensing dispensed 1 @urn:epc:id:sgln:4300011.00004.0
        2025-01-31T03:12:54.573Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00004.0
        2025-01-31T04:15:09.474Z +01:00 Object OBSERVE destroying destroyed 3 @urn:epc:id:sgln:4098765.00001.0
        Stats { packs: 30, events: 29, epcs: 34, documents: 5, faults: 0 }
    "#]],
    );
}

#[test]
fn the_life_of_a_pack() {
    let (events, _) = all_events(Config { seed: 2, packs: 400, ..Config::default() });
    let pack = events[0].epc_list[0].clone();
    // The pack and every container it went into, at any depth.
    let mut names = BTreeSet::from([pack]);
    for event in &events {
        if let Some(parent) = &event.parent_id
            && event.action == Some(serialhub_epcis::Action::Add)
            && event.epc_list.iter().any(|child| names.contains(child))
        {
            names.insert(parent.clone());
        }
    }
    let out: String = events
        .iter()
        .filter(|e| e.epc_list.iter().chain(&e.parent_id).any(|epc| names.contains(epc)))
        .map(|e| line(e, e.epc_list.len() <= 3) + "\n")
        .collect();
    expect![[r#"
        2025-01-06T08:00:00.000Z +01:00 Object ADD commissioning active 20 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:00:21.944Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T08:09:40.311Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.3000000021 < 16 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T12:10:51.415Z +01:00 Object OBSERVE shipping in_transit urn:epc:id:sscc:4012345.3000000021
        2025-01-08T14:15:03.253Z +01:00 Object OBSERVE receiving in_progress urn:epc:id:sscc:4012345.3000000021 @urn:epc:id:sgln:4098765.00001.0
        2025-01-08T15:18:40.490Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.3000000021 < 16 @urn:epc:id:sgln:4098765.00001.0
        2025-01-10T20:14:11.197Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4098765.9000000002 < urn:epc:id:sscc:4012345.0000000000 urn:epc:id:sscc:4012345.0000000001 @urn:epc:id:sgln:4098765.00001.0
        2025-01-10T20:40:36.666Z +01:00 Object OBSERVE shipping in_transit urn:epc:id:sscc:4098765.9000000002
        2025-01-11T14:25:08.444Z +01:00 Object OBSERVE receiving in_progress urn:epc:id:sscc:4098765.9000000002 @urn:epc:id:sgln:4300022.00001.0
        2025-01-11T14:47:37.926Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4098765.9000000002 < urn:epc:id:sscc:4012345.0000000000 urn:epc:id:sscc:4012345.0000000001 @urn:epc:id:sgln:4300022.00001.0
        2025-01-11T15:01:38.526Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4300022.00001.0
        2025-01-17T16:49:51.986Z +01:00 Object OBSERVE destroying destroyed urn:epc:id:sgtin:4012345.011111.85eZlQ8g urn:epc:id:sgtin:4012345.011111.8xHDHNK0 urn:epc:id:sgtin:4012345.011111.3cJDhwo4 @urn:epc:id:sgln:4300022.00001.0
    "#]]
    .assert_eq(&out);
}

#[test]
fn the_fault_catalogue() {
    let now = Timestamp::parse("2026-11-24T00:00:00Z").expect("a timestamp");
    let (events, sim) =
        all_events(Config { seed: 4, packs: 2_500, fault_rate: 0.05, ..Config::default() });
    let mut ledger = MemoryLedger::default();
    let mut messages = Vec::new();
    for event in &events {
        let id = event.event_id.clone().expect("an eventID");
        let outcome = apply(&ledger, event, &id, now);
        messages.extend(outcome.violations.iter().map(|v| (id.clone(), v.to_string())));
        ledger.commit(&outcome);
    }
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for fault in sim.faults() {
        if !seen.insert(fault.code) {
            continue;
        }
        let (_, message) =
            messages.iter().find(|(id, _)| *id == fault.event_id).expect("the ledger reports it");
        writeln!(
            out,
            "{} {}: {}\n  ledger: {message}",
            fault.exception_type, fault.code, fault.description
        )
        .expect("a String takes it");
    }
    expect![[r#"
        F11 commissioned_twice: packaging line urn:epc:id:sgln:4012345.00001.1 commissioned urn:epc:id:sgtin:4012345.011111.CYvzamVF a second time
          ledger: F11 commissioned_twice: urn:epc:id:sgtin:4012345.011111.CYvzamVF was commissioned by event urn:uuid:6446a765-c98e-4de8-b89d-1364490e6da8 and again by event urn:uuid:0104ce70-caa4-430c-ba15-9a27eb613685
        F4 child_in_two_parents: urn:epc:id:sgtin:4012345.011111.ctIY09Su, packed in case urn:epc:id:sscc:4012345.0000000000, was scanned into case urn:epc:id:sscc:4012345.0000000001 too
          ledger: F4 child_in_two_parents: event urn:uuid:8aab9910-e96d-47ed-944c-676ed934cede packs urn:epc:id:sgtin:4012345.011111.ctIY09Su into urn:epc:id:sscc:4012345.0000000001 but it is already in https://id.gs1.org/00/040123450000000009
        F3 event_in_future: packaging line urn:epc:id:sgln:4012345.00001.1 commissioned 1 pack(s) with eventTime 2035-01-07T08:01:37.505Z, its clock set ten years ahead
          ledger: F3 event_in_future: event urn:uuid:5b3e05c2-ed32-4d25-b606-c85acc17f338 has eventTime 2035-01-07T08:01:37.505Z after the capture time 2026-11-24T00:00:00.000Z
        F4 aggregation_cycle: pallet urn:epc:id:sscc:0377333.3000000000 was recorded as packed into urn:epc:id:sgtin:0377333.510130.01599299829593, one of its own cases
          ledger: F4 aggregation_cycle: event urn:uuid:28bda5f7-9921-4fbb-8c89-61d070003d62 packs urn:epc:id:sscc:0377333.3000000000 into urn:epc:id:sgtin:0377333.510130.01599299829593, which is inside it
        F4 unpack_not_packed: urn:epc:id:sgln:4098765.00001.0 unpacked urn:epc:id:sgtin:4012345.011111.Kpao4qLP from pallet urn:epc:id:sscc:4012345.3000000087 but it is inside case urn:epc:id:sscc:4012345.0000000030
          ledger: F4 unpack_not_packed: event urn:uuid:0b880f52-f247-4f35-ae6f-9ccd78d36f38 unpacks urn:epc:id:sgtin:4012345.011111.Kpao4qLP from urn:epc:id:sscc:4012345.3000000087 but it is in https://id.gs1.org/00/040123450000000306
        F6 sscc_reused: urn:epc:id:sgln:4098765.00001.0 labelled a tote with SSCC urn:epc:id:sscc:4012345.3000000087, the label of a pallet packed at 2025-01-06T08:28:49.480Z and unpacked there
          ledger: F6 sscc_reused: event urn:uuid:eb898018-35f2-422b-8bad-0dd58d621e27 uses urn:epc:id:sscc:4012345.3000000087 for a new logistic unit but its previous life started with event urn:uuid:fdfc2b1e-20df-4773-941d-84c944fd80f2 at 2025-01-06T08:28:49.480Z, less than 365 days before
        F11 ship_unavailable_content: urn:epc:id:sgln:4098765.00001.0 shipped tote urn:epc:id:sscc:4098765.9000000000 with urn:epc:id:sgtin:4012345.011111.PiOi8BNS inside, destroyed before shipping
          ledger: F11 ship_unavailable_content: event urn:uuid:96639283-71b8-4288-8075-8301ee0cf072 ships urn:epc:id:sscc:4098765.9000000000, which holds https://id.gs1.org/01/04012345111118/21/PiOi8BNS, and https://id.gs1.org/01/04012345111118/21/PiOi8BNS is decommissioned:destroyed
        F3 lot_mismatch: a verification scan at urn:epc:id:sgln:0860012.00001.0 read lot H00002 on urn:epc:id:sgtin:0377333.010130.01729039835815, commissioned with lot H00001
          ledger: F3 lot_mismatch: event urn:uuid:f6eaae26-3380-48dd-b568-bba74e4a50a3 gives https://id.gs1.org/01/00377333101309/10/H00002/21/01729039835815 lot H00002 but commissioning event urn:uuid:e57efe8e-c082-45d7-a863-ee2cedb672ae recorded H00001
        F3 expiry_mismatch: a verification scan at urn:epc:id:sgln:0860012.00001.0 read expiry 2029-01-31 on urn:epc:id:sgtin:0377333.010130.31352209546816, commissioned with 2028-01-31
          ledger: F3 expiry_mismatch: event urn:uuid:e11788c5-cc64-4b94-b653-238e197c23cf gives https://id.gs1.org/01/00377333101309/10/H00002/21/31352209546816?17=290131 expiry 2029-01-31 but commissioning event urn:uuid:0fd8aef6-8e0d-4b0c-8741-e1f579235a4d recorded 2028-01-31
        F1 receive_without_ship: urn:epc:id:sgln:4300011.00006.0 received tote urn:epc:id:sscc:4098765.9000000000 a second time
          ledger: F1 receive_without_ship: urn:epc:id:sscc:4098765.9000000000 is received but event urn:uuid:b2f7c2ab-bcae-4006-8e30-9ef902c46569 receives it
        F3 receipt_by_other_party: tote urn:epc:id:sscc:4098765.9000000001 shipped to urn:epc:id:sgln:4300022.00002.0 was received at urn:epc:id:sgln:4300022.00003.0
          ledger: F3 receipt_by_other_party: event urn:uuid:7b50395c-0017-4b67-b6c5-077bfdcb7733 receives urn:epc:id:sscc:4098765.9000000001 with location urn:epc:id:sgln:4300022.00003.0 but shipping event urn:uuid:cfcd61f9-4421-4f63-9657-707badfb8d6c named urn:epc:id:sgln:4300022.00002.0
        F1 never_commissioned: urn:epc:id:sgln:4300011.00006.0 dispensed urn:epc:id:sgtin:4012345.011111.28a3UlU3, a serial its manufacturer never commissioned (a counterfeit)
          ledger: F1 never_commissioned: urn:epc:id:sgtin:4012345.011111.28a3UlU3 was never commissioned but event urn:uuid:74787549-1062-46c5-b54c-704a3f729ab3 names it
        F11 ship_decommissioned: urn:epc:id:sgln:4300011.00006.0 destroyed urn:epc:id:sgtin:4012345.011111.6SNIQRI7, then shipped it to urn:epc:id:sgln:4098765.00001.0 as a return
          ledger: F11 ship_decommissioned: urn:epc:id:sgtin:4012345.011111.6SNIQRI7 is decommissioned:destroyed but event urn:uuid:7d431893-4990-48d0-96b3-7418065f516f ships it
        F11 dispense_twice: urn:epc:id:sgtin:4012345.011111.IhiqfU7C, dispensed at urn:epc:id:sgln:4300022.00001.0, was dispensed again at urn:epc:id:sgln:4300022.00001.0
          ledger: F11 dispense_twice: urn:epc:id:sgtin:4012345.011111.IhiqfU7C is dispensed but event urn:uuid:dc88e071-f1d8-4e1b-a331-311d29be4930 dispenses it
        F11 undo_forbidden: urn:epc:id:sgln:8051133.00002.0 put urn:epc:id:sgtin:4012345.011111.a1VW8OwF back on sale after reporting it stolen
          ledger: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.a1VW8OwF is decommissioned:stolen and event urn:uuid:c5707fd8-f65e-4409-aa64-0cc1b44b8eec cannot re-activate it: stolen and destroyed are final
        F11 undo_outside_window: urn:epc:id:sgln:4300011.00005.0 undid the dispensing of urn:epc:id:sgtin:4012345.011111.SC5AcHji, which urn:epc:id:sgln:4300022.00001.0 had dispensed
          ledger: F11 undo_outside_window: urn:epc:id:sgtin:4012345.011111.SC5AcHji is dispensed and event urn:uuid:75a867b1-708f-407b-97ae-11d688eff6cd cannot re-activate it: it was decommissioned at urn:epc:id:sgln:4300022.00001.0 and an undo must happen at the same location
        F11 ship_dispensed: urn:epc:id:sgln:4300044.00001.0 dispensed urn:epc:id:sgtin:80012345.00202.ZMc6oTMm, then shipped it to urn:epc:id:sgln:4098765.00001.0 as a return
          ledger: F11 ship_dispensed: urn:epc:id:sgtin:80012345.00202.ZMc6oTMm is dispensed but event urn:uuid:72750a69-f794-4e39-9ef3-3166ab0a1a47 ships it
        F7 recalled_lot: urn:epc:id:sgln:4300044.00001.0 dispensed urn:epc:id:sgtin:4012345.011111.TGUSXeB4 of recalled lot urn:epc:class:lgtin:4012345.011111.RP00001
          ledger: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.TGUSXeB4 belongs to lot https://id.gs1.org/01/04012345111118/10/RP00001, which is recalled, but event urn:uuid:f55d34c0-c88e-4b8e-b4cf-ecc8af5fccc6 dispenses it
        F11 decommission_twice: urn:epc:id:sgln:8051155.00001.0 reported urn:epc:id:sgtin:4012345.011111.8My9lxjJ destroyed twice
          ledger: F11 decommission_twice: urn:epc:id:sgtin:4012345.011111.8My9lxjJ is decommissioned:destroyed but event urn:uuid:31dee848-91e2-4b04-bfaf-341908cf5b73 decommissions it
        F11 dispense_decommissioned: urn:epc:id:sgtin:4012345.011111.Pd2BCSGF, reported stolen at urn:epc:id:sgln:4300022.00003.0, was dispensed at urn:epc:id:sgln:8051133.00001.0
          ledger: F11 dispense_decommissioned: urn:epc:id:sgtin:4012345.011111.Pd2BCSGF is decommissioned:stolen but event urn:uuid:fa01c928-8347-4296-86b6-aa054d7aa1e7 dispenses it
    "#]]
    .assert_eq(&out);
}

#[test]
fn documents_hold_at_most_events_per_document() {
    for len_max in [0, 1, 3, 1000] {
        let config =
            Config { seed: 3, packs: 200, events_per_document: len_max, ..Config::default() };
        let mut sim = Simulation::new(config);
        let mut sizes = Vec::new();
        while let Some(document) = sim.next_document() {
            sizes.push(document.events.len());
            assert_eq!(document.header.schema_version.as_deref(), Some("2.0"));
        }
        let (last, full) = sizes.split_last().expect("a run makes documents");
        assert!(full.iter().all(|&n| n == len_max.max(1)), "{len_max}: {sizes:?}");
        assert!((1..=len_max.max(1)).contains(last));
        let stats = sim.stats();
        assert_eq!(stats.documents, sizes.len() as u64);
        assert_eq!(stats.events, sizes.iter().sum::<usize>() as u64);
        assert!(sim.next_document().is_none());
    }
}

#[test]
fn faults_come_with_their_documents_and_drain() {
    let config = Config { seed: 8, packs: 500, fault_rate: 0.2, events_per_document: 50 };
    let mut sim = Simulation::new(config);
    let mut drained = 0;
    while let Some(document) = sim.next_document() {
        let ids: BTreeSet<&str> =
            document.events.iter().filter_map(|e| e.event_id.as_deref()).collect();
        let faults = sim.drain_faults();
        assert!(faults.iter().all(|f| ids.contains(f.event_id.as_str())));
        drained += faults.len() as u64;
        assert!(sim.faults().is_empty());
    }
    assert!(drained > 0);
    assert_eq!(sim.stats().faults, drained);
}

#[test]
fn nothing_to_make_makes_no_document() {
    let mut sim = Simulation::new(Config { packs: 0, fault_rate: 1.0, ..Config::default() });
    assert!(sim.next_document().is_none());
    assert_eq!(sim.stats(), crate::Stats::default());
}
