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
            2025-01-08T04:17:56.520Z +01:00 Object OBSERVE receiving in_progress 1 @urn:epc:id:sgln:4098765.00001.0
            2025-01-08T06:12:52.475Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.3000000002 < 2 @urn:epc:id:sgln:4098765.00001.0
            2025-01-08T08:31:17.141Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4098765.9000000000 < 1 @urn:epc:id:sgln:4098765.00001.0
            2025-01-08T09:21:14.569Z +01:00 Object OBSERVE shipping in_transit 1
            2025-01-09T06:13:54.372Z +01:00 Object OBSERVE receiving in_progress 1 @urn:epc:id:sgln:8051155.00001.0
            2025-01-09T06:35:41.854Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4098765.9000000000 < 1 @urn:epc:id:sgln:8051155.00001.0
            2025-01-09T06:41:23.695Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000001 < 10 @urn:epc:id:sgln:8051155.00001.0
            2025-01-11T19:55:33.383Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:8051155.00001.0
            2025-01-12T12:53:30.827Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4098765.9000000001 < 1 @urn:epc:id:sgln:4098765.00001.0
            2025-01-12T13:50:24.603Z +01:00 Object OBSERVE shipping in_transit 1
            2025-01-13T09:57:43.806Z +01:00 Object OBSERVE receiving in_progress 1 @urn:epc:id:sgln:4300011.00006.0
            2025-01-13T10:42:12.578Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4098765.9000000001 < 1 @urn:epc:id:sgln:4300011.00006.0
            2025-01-13T10:50:26.866Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4300011.00006.0
            2025-01-14T00:40:33.278Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00006.0
            2025-01-16T11:03:39.902Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00006.0
            2025-01-16T15:21:52.034Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:8051155.00001.0
            2025-01-18T08:30:02.725Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00006.0
            2025-01-18T13:50:44.433Z +01:00 Object OBSERVE dispensing dispensed 1 @urn:epc:id:sgln:8051155.00001.0
            2025-01-22T22:32:59.934Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00006.0
            2025-01-23T03:43:35.967Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00006.0
            2025-01-24T16:08:39.690Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:8051155.00001.0
            2025-01-28T08:00:00.224Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:8051155.00001.0
            2025-01-30T08:58:32.864Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00006.0
            2025-02-07T09:51:54.055Z +01:00 Object OBSERVE dispensing dispensed 2 @urn:epc:id:sgln:4300011.00006.0
            2025-02-11T21:21:29.907Z +01:00 Object OBSERVE dispensing dispensed 3 @urn:epc:id:sgln:4300011.00006.0
            Stats { packs: 30, events: 31, epcs: 35, documents: 5, faults: 0 }
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
        2025-01-06T08:09:33.339Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4012345.3000000021 < 16 @urn:epc:id:sgln:4012345.00001.0
        2025-01-06T19:37:22.311Z +01:00 Object OBSERVE shipping in_transit urn:epc:id:sscc:4012345.3000000021
        2025-01-09T05:05:22.317Z +01:00 Object OBSERVE receiving in_progress urn:epc:id:sscc:4012345.3000000021 @urn:epc:id:sgln:4098765.00001.0
        2025-01-09T05:48:27.752Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.3000000021 < 16 @urn:epc:id:sgln:4098765.00001.0
        2025-01-11T00:34:46.361Z +01:00 Aggregation ADD packing in_progress urn:epc:id:sscc:4098765.9000000001 < urn:epc:id:sscc:4012345.0000000000 urn:epc:id:sscc:4012345.0000000001 @urn:epc:id:sgln:4098765.00001.0
        2025-01-11T01:54:39.226Z +01:00 Object OBSERVE shipping in_transit urn:epc:id:sscc:4098765.9000000001
        2025-01-11T07:01:58.635Z +01:00 Object OBSERVE receiving in_progress urn:epc:id:sscc:4098765.9000000001 @urn:epc:id:sgln:4300011.00003.0
        2025-01-11T07:53:11.733Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4098765.9000000001 < urn:epc:id:sscc:4012345.0000000000 urn:epc:id:sscc:4012345.0000000001 @urn:epc:id:sgln:4300011.00003.0
        2025-01-11T08:10:53.022Z +01:00 Aggregation DELETE unpacking in_progress urn:epc:id:sscc:4012345.0000000000 < 20 @urn:epc:id:sgln:4300011.00003.0
        2025-01-29T09:28:32.886Z +01:00 Object OBSERVE destroying destroyed urn:epc:id:sgtin:4012345.011111.85eZlQ8g @urn:epc:id:sgln:4300011.00003.0
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
        F7 expired: urn:epc:id:sgln:4012345.00001.0 shipped urn:epc:id:sgtin:4012345.011111.GM3rCQtc, labelled to expire on 2023-12-31
          ledger: F7 expired: urn:epc:id:sgtin:4012345.011111.GM3rCQtc expired on 2023-12-31 (commissioned by event urn:uuid:337eae96-9a38-4e25-a936-fc22c1c74787), but event urn:uuid:e08a40b6-c434-442c-b66b-9d08c1817b4d ships it on 2025-01-06
        F4 aggregation_cycle: pallet urn:epc:id:sscc:80012345.300000000 was recorded as packed into urn:epc:id:sgtin:80012345.10202.XM3PN3ZA, one of its own cases
          ledger: F4 aggregation_cycle: event urn:uuid:8bb96237-adeb-484b-b765-5abc1f66b345 packs urn:epc:id:sscc:80012345.300000000 into urn:epc:id:sgtin:80012345.10202.XM3PN3ZA, which is inside it
        F4 unpack_not_packed: urn:epc:id:sgln:0614141.00001.0 unpacked urn:epc:id:sgtin:0377333.010130.64960063331540 from pallet urn:epc:id:sscc:0377333.3000000000 but it is inside case urn:epc:id:sgtin:0377333.510130.47085992223758
          ledger: F4 unpack_not_packed: event urn:uuid:1594bd08-9181-400b-a84e-c8f26a04b64a unpacks urn:epc:id:sgtin:0377333.010130.64960063331540 from urn:epc:id:sscc:0377333.3000000000 but it is in https://id.gs1.org/01/50377333101304/21/47085992223758
        F3 lot_mismatch: a verification scan at urn:epc:id:sgln:8034567.00001.0 read lot RP00003 on urn:epc:id:sgtin:4012345.011111.NBW6V0HI, commissioned with lot RP00002
          ledger: F3 lot_mismatch: event urn:uuid:dd85bf6c-7544-4314-8284-3ade956b036b gives https://id.gs1.org/01/04012345111118/10/RP00003/21/NBW6V0HI lot RP00003 but commissioning event urn:uuid:0a2e810f-85fb-4b2c-b80d-42a012d099a3 recorded RP00002
        F6 sscc_reused: urn:epc:id:sgln:8034567.00001.0 labelled a tote with SSCC urn:epc:id:sscc:4012345.3000000091, the label of a pallet packed at 2025-01-06T08:28:48.262Z and unpacked there
          ledger: F6 sscc_reused: event urn:uuid:0baa0d82-95d4-40cd-b27d-87bec0a7d3be uses urn:epc:id:sscc:4012345.3000000091 for a new logistic unit but the previous unit was shipped by event urn:uuid:cfcd61f9-4421-4f63-9657-707badfb8d6c at 2025-01-06T10:13:09.722Z, less than 365 days before
        F11 ship_unavailable_content: urn:epc:id:sgln:8034567.00001.0 shipped tote urn:epc:id:sscc:8034567.9000000000 with urn:epc:id:sgtin:4012345.011111.2UzGEebO inside, destroyed before shipping
          ledger: F11 ship_unavailable_content: event urn:uuid:32b3df40-1a4d-47a0-b9a3-049519e577f0 ships urn:epc:id:sscc:8034567.9000000000, which holds https://id.gs1.org/01/04012345111118/21/2UzGEebO, and https://id.gs1.org/01/04012345111118/21/2UzGEebO is decommissioned:destroyed
        F3 expiry_mismatch: a verification scan at urn:epc:id:sgln:4098765.00001.0 read expiry 2029-01-31 on urn:epc:id:sgtin:4012345.011111.9wx3LmJD, commissioned with 2028-01-31
          ledger: F3 expiry_mismatch: event urn:uuid:f3214321-0bcf-407f-a78a-4faa11139089 gives https://id.gs1.org/01/04012345111118/10/RP00001/21/9wx3LmJD?17=290131 expiry 2029-01-31 but commissioning event urn:uuid:aa0c20c5-86ef-42fd-89b8-31cf73c3a322 recorded 2028-01-31
        F1 receive_without_ship: urn:epc:id:sgln:4300011.00006.0 received tote urn:epc:id:sscc:4012345.3000000091 a second time
          ledger: F1 receive_without_ship: urn:epc:id:sscc:4012345.3000000091 is received but event urn:uuid:7b50395c-0017-4b67-b6c5-077bfdcb7733 receives it
        F3 receipt_by_other_party: tote urn:epc:id:sscc:8034567.9000000000 shipped to urn:epc:id:sgln:4300011.00005.0 was received at urn:epc:id:sgln:4300011.00003.0
          ledger: F3 receipt_by_other_party: event urn:uuid:0d958599-8ac9-40e3-a7e0-c4b3d89028ac receives urn:epc:id:sscc:8034567.9000000000 with location urn:epc:id:sgln:4300011.00003.0 but shipping event urn:uuid:32b3df40-1a4d-47a0-b9a3-049519e577f0 named urn:epc:id:sgln:4300011.00005.0
        F1 never_commissioned: urn:epc:id:sgln:4300011.00006.0 dispensed urn:epc:id:sgtin:4012345.011111.VvOxN1R4, a serial its manufacturer never commissioned (a counterfeit)
          ledger: F1 never_commissioned: urn:epc:id:sgtin:4012345.011111.VvOxN1R4 was never commissioned but event urn:uuid:d53ac7ac-258e-4628-be97-fa43e8ff6e62 names it
        F11 undo_outside_window: urn:epc:id:sgln:4300011.00002.0 undid the dispensing of urn:epc:id:sgtin:80012345.00202.1L6aFPm0, which urn:epc:id:sgln:8051155.00001.0 had dispensed
          ledger: F11 undo_outside_window: urn:epc:id:sgtin:80012345.00202.1L6aFPm0 is dispensed and event urn:uuid:952e0862-7ad8-4444-acb8-2d22b7e1e989 cannot re-activate it: it was decommissioned at urn:epc:id:sgln:8051155.00001.0 and an undo must happen at the same location
        F11 ship_decommissioned: urn:epc:id:sgln:4300011.00006.0 destroyed urn:epc:id:sgtin:4012345.011111.0NtsbKEC, then shipped it to urn:epc:id:sgln:8034567.00001.0 as a return
          ledger: F11 ship_decommissioned: urn:epc:id:sgtin:4012345.011111.0NtsbKEC is decommissioned:destroyed but event urn:uuid:a25d62af-f20d-4a0f-93d7-574b0bd73540 ships it
        F11 undo_forbidden: urn:epc:id:sgln:4300011.00003.0 put urn:epc:id:sgtin:4012345.011111.cYqFLqL5 back on sale after reporting it stolen
          ledger: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.cYqFLqL5 is decommissioned:stolen and event urn:uuid:95086d22-2370-4947-a214-f0ae7385e235 cannot re-activate it: stolen and destroyed are final
        F11 dispense_twice: urn:epc:id:sgtin:4012345.011111.11neJK7x, dispensed at urn:epc:id:sgln:4300011.00006.0, was dispensed again at urn:epc:id:sgln:8051133.00003.0
          ledger: F11 dispense_twice: urn:epc:id:sgtin:4012345.011111.11neJK7x is dispensed but event urn:uuid:e062627c-9ff3-4e9e-9c65-597875323773 dispenses it
        F7 withdrawn_lot: urn:epc:id:sgln:4300022.00001.0 dispensed urn:epc:id:sgtin:4012345.011111.PzSwtdL3 of withdrawn lot urn:epc:class:lgtin:4012345.011111.RP00001
          ledger: F7 withdrawn_lot: urn:epc:id:sgtin:4012345.011111.PzSwtdL3 belongs to lot https://id.gs1.org/01/04012345111118/10/RP00001, which is withdrawn, but event urn:uuid:bb40815e-f23d-4c72-945d-5e07f87051b5 dispenses it
        F11 decommission_twice: urn:epc:id:sgln:4300011.00006.0 reported urn:epc:id:sgtin:4012345.011111.B5V3kfj8 destroyed twice
          ledger: F11 decommission_twice: urn:epc:id:sgtin:4012345.011111.B5V3kfj8 is decommissioned:destroyed but event urn:uuid:7eac37b1-4fab-4ea7-82cc-985751ba9448 decommissions it
        F11 dispense_decommissioned: urn:epc:id:sgtin:80012345.00202.8fHNLZ6e, reported stolen at urn:epc:id:sgln:8051155.00001.0, was dispensed at urn:epc:id:sgln:4300022.00002.0
          ledger: F11 dispense_decommissioned: urn:epc:id:sgtin:80012345.00202.8fHNLZ6e is decommissioned:stolen but event urn:uuid:937b057f-6c11-4c89-b216-eb2af11dcdcb dispenses it
        F7 recalled_lot: urn:epc:id:sgln:4300011.00002.0 dispensed urn:epc:id:sgtin:4012345.011111.CxxRs0j4 of recalled lot urn:epc:class:lgtin:4012345.011111.RP00002
          ledger: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.CxxRs0j4 belongs to lot https://id.gs1.org/01/04012345111118/10/RP00002, which is recalled, but event urn:uuid:82c84b84-1b79-4f60-90da-1f1a3ed24241 dispenses it
        F11 ship_dispensed: urn:epc:id:sgln:0823456.00001.0 dispensed urn:epc:id:sgtin:0377333.010130.20953523704773, then shipped it to urn:epc:id:sgln:0614141.00001.0 as a return
          ledger: F11 ship_dispensed: urn:epc:id:sgtin:0377333.010130.20953523704773 is dispensed but event urn:uuid:ed3238bf-6de6-4296-9bce-0fe391da28b9 ships it
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
