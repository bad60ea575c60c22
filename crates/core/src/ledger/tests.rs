//! The ledger's rules, one case each, driven by small JSON-LD event lists read with the real
//! EPCIS reader and applied to a `MemoryLedger`.

use expect_test::{Expect, expect};
use proptest::prelude::*;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Event, EventType};

use crate::ledger::apply;
use crate::memory::MemoryLedger;
use crate::state::{Key, StateView, effective};

/// The capture time of every case: later than all the events unless a case says otherwise.
const NOW: &str = "2025-06-01T00:00:00Z";

/// Reads a JSON array of event objects as one EPCIS document. Fills in what the cases leave
/// out: `eventID` (`e1`, `e2`, ...), `eventTime` (day N of January 2025) and the offset.
fn events(json: &str) -> Vec<serialhub_epcis::Event> {
    let mut list: Vec<serde_json::Value> =
        serde_json::from_str(json).expect("test events are JSON");
    for (idx, event) in list.iter_mut().enumerate() {
        let object = event.as_object_mut().expect("each test event is an object");
        object.entry("eventID").or_insert(format!("e{}", idx + 1).into());
        object.entry("eventTime").or_insert(format!("2025-01-{:02}T00:00:00Z", idx + 1).into());
        object.entry("eventTimeZoneOffset").or_insert("+00:00".into());
    }
    let document = serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": { "eventList": list },
    });
    let read = serialhub_epcis::read_document(document.to_string().as_bytes())
        .expect("test documents read");
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    read.document.events
}

fn short(key: &Key) -> &str {
    key.as_str().strip_prefix("https://id.gs1.org/").unwrap_or(key.as_str())
}

/// Applies the events in order and renders the findings per event, then every record.
fn run(json: &str) -> (MemoryLedger, String) {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let mut ledger = MemoryLedger::default();
    let mut out = String::new();
    for event in events(json) {
        let id = event.event_id.clone().unwrap_or_default();
        let outcome = apply(&ledger, &event, &id, now);
        for violation in &outcome.violations {
            out.push_str(&format!("{id}: {violation} [{}]\n", violation.event_ids.join(", ")));
        }
        for key in &outcome.superseded {
            out.push_str(&format!("{id}: late for {}\n", short(key)));
        }
        ledger.commit(&outcome);
    }
    out.push_str("--\n");
    for (key, state) in ledger.iter() {
        let resolved = effective(&ledger, key).expect("a record resolves");
        out.push_str(&format!("{} {}", short(key), resolved.status.name()));
        if resolved.source != *key {
            out.push_str(&format!(" (via {})", short(&resolved.source)));
        }
        if let Some(parent) = &state.parent {
            out.push_str(&format!(" in={}", short(parent)));
        }
        if let Some(location) = &resolved.location {
            out.push_str(&format!(" at={location}"));
        }
        if let Some(owner) = &resolved.owner {
            out.push_str(&format!(" owner={owner}"));
        }
        if let Some(lot) = &state.lot {
            out.push_str(&format!(" lot={lot}"));
        }
        if let Some(expiry) = &state.expiry {
            out.push_str(&format!(" exp={expiry}"));
        }
        for disposition in &state.persistent_dispositions {
            out.push_str(&format!(" +{disposition}"));
        }
        out.push('\n');
    }
    (ledger, out)
}

#[track_caller]
fn check(json: &str, expect: Expect) {
    expect.assert_eq(&run(json).1);
}

const COMMISSION_1: &str = r#"{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#;

fn with(parts: &[&str]) -> String {
    format!("[{}]", parts.join(","))
}

fn observe(biz_step: &str, disposition: &str, extra: &str) -> String {
    format!(
        r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "{biz_step}",
        "disposition": "{disposition}", "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]{extra}}}"#
    )
}

#[test]
fn commissioning_creates_a_record_with_lot_and_expiry() {
    check(
        r#"[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
            "disposition": "active", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
            "epcList": ["urn:epc:id:sgtin:4012345.011111.1",
                        "https://id.gs1.org/01/04012345111118/21/2"],
            "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2027-01-31"}}]"#,
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned at=urn:epc:id:sgln:4012345.00001.0 lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned at=urn:epc:id:sgln:4012345.00001.0 lot=L1 exp=2027-01-31
        "#]],
    );
}

#[test]
fn commissioning_twice_is_refused() {
    check(
        &with(&[COMMISSION_1, COMMISSION_1]),
        expect![[r#"
        e2: F11 commissioned_twice: urn:epc:id:sgtin:4012345.011111.1 was commissioned by event e1 and again by event e2 [e1, e2]
        --
        01/04012345111118/21/1 commissioned
    "#]],
    );
}

#[test]
fn an_event_on_a_never_commissioned_identifier() {
    check(
        &with(&[&observe("shipping", "in_transit", "")]),
        expect![[r#"
        e1: F1 never_commissioned: urn:epc:id:sgtin:4012345.011111.1 was never commissioned but event e1 names it [e1]
        --
    "#]],
    );
}

#[test]
fn ship_receive_dispense() {
    let receive = observe(
        "receiving",
        "in_progress",
        r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"},
        "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00002"}]"#,
    );
    check(
        &with(&[
            COMMISSION_1,
            &observe("shipping", "in_transit", ""),
            &receive,
            &observe("dispensing", "dispensed", ""),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 dispensed at=urn:epc:id:sgln:4012345.00002.0 owner=urn:epc:id:pgln:4012345.00002
        "#]],
    );
}

#[test]
fn receive_without_ship() {
    check(
        &with(&[COMMISSION_1, &observe("receiving", "in_progress", "")]),
        expect![[r#"
        e2: F1 receive_without_ship: urn:epc:id:sgtin:4012345.011111.1 is commissioned but event e2 receives it [e1, e2]
        --
        01/04012345111118/21/1 commissioned
    "#]],
    );
}

#[test]
fn dispense_twice() {
    let dispense = observe("dispensing", "dispensed", "");
    check(
        &with(&[COMMISSION_1, &dispense, &dispense]),
        expect![[r#"
        e3: F11 dispense_twice: urn:epc:id:sgtin:4012345.011111.1 is dispensed but event e3 dispenses it [e2, e3]
        --
        01/04012345111118/21/1 dispensed
    "#]],
    );
}

#[test]
fn ship_or_dispense_a_stolen_or_destroyed_pack() {
    check(
        &with(&[
            COMMISSION_1,
            &observe("decommissioning", "stolen", ""),
            &observe("shipping", "in_transit", ""),
            &observe("dispensing", "dispensed", ""),
            &observe("destroying", "destroyed", ""),
        ]),
        expect![[r#"
            e3: F11 ship_decommissioned: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:stolen but event e3 ships it [e2, e3]
            e4: F11 dispense_decommissioned: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:stolen but event e4 dispenses it [e2, e4]
            e5: F11 decommission_twice: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:stolen but event e5 decommissions it [e2, e5]
            --
            01/04012345111118/21/1 decommissioned:stolen
        "#]],
    );
}

#[test]
fn ship_a_dispensed_pack() {
    check(
        &with(&[
            COMMISSION_1,
            &observe("dispensing", "dispensed", ""),
            &observe("shipping", "in_transit", ""),
        ]),
        expect![[r#"
            e3: F11 ship_dispensed: urn:epc:id:sgtin:4012345.011111.1 is dispensed but event e3 ships it [e2, e3]
            --
            01/04012345111118/21/1 dispensed
        "#]],
    );
}

#[test]
fn decommission_by_delete_and_extension_reason_in_any_spelling() {
    check(
        r#"[{"type": "ObjectEvent", "action": "ADD", "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
             "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"]},
            {"type": "ObjectEvent", "action": "DELETE", "bizStep": "https://ref.gs1.org/cbv/BizStep-decommissioning",
             "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]},
            {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "decommissioning",
             "disposition": "https://example.org/fmd/disp/exported",
             "epcList": ["urn:epc:id:sgtin:4012345.011111.2"]}]"#,
        expect![[r#"
            --
            01/04012345111118/21/1 decommissioned:unspecified
            01/04012345111118/21/2 decommissioned:exported
        "#]],
    );
}

#[test]
fn undo_within_ten_days_at_the_same_location() {
    let at = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"}"#;
    check(
        &with(&[
            COMMISSION_1,
            &observe("decommissioning", "https://example.org/fmd/disp/sample", at),
            &observe("inspecting", "active", at),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned at=urn:epc:id:sgln:4012345.00002.0
        "#]],
    );
}

#[test]
fn undo_at_the_same_site_written_another_way() {
    let at = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"}"#;
    let same = r#", "bizLocation": {"id": "https://id.gs1.org/414/4012345000023"}"#;
    check(
        &with(&[
            COMMISSION_1,
            &observe("dispensing", "dispensed", at),
            &observe("inspecting", "active", same),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned at=https://id.gs1.org/414/4012345000023
        "#]],
    );
}

#[test]
fn undo_at_another_location_or_too_late_is_refused() {
    let at = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"}"#;
    let elsewhere = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00003.0"}"#;
    let late = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"},
        "eventTime": "2025-01-20T00:00:00Z""#;
    check(
        &with(&[
            COMMISSION_1,
            &observe("dispensing", "dispensed", at),
            &observe("inspecting", "active", elsewhere),
            &observe("inspecting", "active", late),
        ]),
        expect![[r#"
            e3: F11 undo_outside_window: urn:epc:id:sgtin:4012345.011111.1 is dispensed and event e3 cannot re-activate it: it was decommissioned at urn:epc:id:sgln:4012345.00002.0 and an undo must happen at the same location [e2, e3]
            e4: F11 undo_outside_window: urn:epc:id:sgtin:4012345.011111.1 is dispensed and event e4 cannot re-activate it: it was decommissioned at 2025-01-02T00:00:00.000Z, more than 10 days before [e2, e4]
            --
            01/04012345111118/21/1 dispensed at=urn:epc:id:sgln:4012345.00002.0
        "#]],
    );
}

#[test]
fn locked_is_undone_without_time_limit_stolen_never() {
    let at = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"}"#;
    let months_later = r#", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00002.0"},
        "eventTime": "2025-05-01T00:00:00Z""#;
    check(
        &with(&[
            COMMISSION_1,
            &observe("holding", "https://example.org/fmd/disp/locked", at),
            &observe("inspecting", "active", months_later),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned at=urn:epc:id:sgln:4012345.00002.0
        "#]],
    );
    check(
        &with(&[
            COMMISSION_1,
            &observe("decommissioning", "stolen", at),
            &observe("inspecting", "active", at),
        ]),
        expect![[r#"
            e3: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:stolen and event e3 cannot re-activate it: stolen and destroyed are final [e2, e3]
            --
            01/04012345111118/21/1 decommissioned:stolen at=urn:epc:id:sgln:4012345.00002.0
        "#]],
    );
}

#[test]
fn event_in_the_future_is_reported_and_applied() {
    check(
        &with(&[
            COMMISSION_1,
            &observe("shipping", "in_transit", r#", "eventTime": "2025-06-01T00:10:00Z""#),
        ]),
        expect![[r#"
            e2: F3 event_in_future: event e2 has eventTime 2025-06-01T00:10:00Z after the capture time 2025-06-01T00:00:00.000Z [e2]
            --
            01/04012345111118/21/1 in_transit
        "#]],
    );
}

#[test]
fn a_late_event_changes_nothing_and_is_listed() {
    check(
        &with(&[
            COMMISSION_1,
            &observe("shipping", "in_transit", r#", "eventTime": "2025-01-05T00:00:00Z""#),
            &observe("receiving", "in_progress", r#", "eventTime": "2025-01-04T00:00:00Z""#),
        ]),
        expect![[r#"
            e3: late for 01/04012345111118/21/1
            --
            01/04012345111118/21/1 in_transit
        "#]],
    );
}

#[test]
fn persistent_dispositions_are_set_and_unset() {
    check(
        &with(&[
            COMMISSION_1,
            &observe(
                "holding",
                "non_sellable_other",
                r#", "persistentDisposition": {"set": ["recalled", "needs_replacement"]}"#,
            ),
            &observe(
                "inspecting",
                "active",
                r#", "persistentDisposition": {"unset": ["needs_replacement"]}"#,
            ),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned +recalled
        "#]],
    );
}

const COMMISSION_3: &str = r#"{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
                "urn:epc:id:sgtin:4012345.011111.3"]}"#;

fn aggregate(action: &str, parent: &str, children: &[&str]) -> String {
    let children: Vec<String> = children.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        r#"{{"type": "AggregationEvent", "action": "{action}", "bizStep": "{}",
        "parentID": "{parent}", "childEPCs": [{}]}}"#,
        if action == "ADD" { "packing" } else { "unpacking" },
        children.join(", ")
    )
}

const PACK_1: &str = "urn:epc:id:sgtin:4012345.011111.1";
const PACK_2: &str = "urn:epc:id:sgtin:4012345.011111.2";
const CASE_A: &str = "urn:epc:id:sgtin:4012345.111111.A";
const CASE_B: &str = "urn:epc:id:sgtin:4012345.111111.B";

#[test]
fn a_child_in_two_parents() {
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1, PACK_2]),
            &aggregate("ADD", CASE_A, &[PACK_1]),
            &aggregate("ADD", CASE_B, &[PACK_1]),
        ]),
        expect![[r#"
            e4: F4 child_in_two_parents: event e4 packs urn:epc:id:sgtin:4012345.011111.1 into urn:epc:id:sgtin:4012345.111111.B but it is already in https://id.gs1.org/01/14012345111115/21/A [e2, e4]
            --
            01/04012345111118/21/1 commissioned in=01/14012345111115/21/A
            01/04012345111118/21/2 commissioned in=01/14012345111115/21/A
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A commissioned
        "#]],
    );
}

#[test]
fn aggregation_cycles() {
    check(
        &with(&[
            &format!(
                r#"{{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
                "epcList": ["{CASE_A}", "{CASE_B}"]}}"#
            ),
            &aggregate("ADD", CASE_A, &[CASE_A]),
            &aggregate("ADD", CASE_B, &[CASE_A]),
            &aggregate("ADD", CASE_A, &[CASE_B]),
        ]),
        expect![[r#"
            e2: F4 aggregation_cycle: event e2 packs urn:epc:id:sgtin:4012345.111111.A into urn:epc:id:sgtin:4012345.111111.A, which is itself [e2]
            e4: F4 aggregation_cycle: event e4 packs urn:epc:id:sgtin:4012345.111111.B into urn:epc:id:sgtin:4012345.111111.A, which is inside it [e4]
            --
            01/14012345111115/21/A commissioned in=01/14012345111115/21/B
            01/14012345111115/21/B commissioned
        "#]],
    );
}

#[test]
fn unpack_what_is_not_packed() {
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1]),
            &aggregate("DELETE", CASE_B, &[PACK_1]),
            &aggregate("DELETE", CASE_A, &[PACK_2]),
        ]),
        expect![[r#"
            e3: F4 unpack_not_packed: event e3 unpacks urn:epc:id:sgtin:4012345.011111.1 from urn:epc:id:sgtin:4012345.111111.B but it is in https://id.gs1.org/01/14012345111115/21/A [e2, e3]
            e4: F4 unpack_not_packed: event e4 unpacks urn:epc:id:sgtin:4012345.011111.2 from urn:epc:id:sgtin:4012345.111111.A but it is not packed [e1, e4]
            --
            01/04012345111118/21/1 commissioned in=01/14012345111115/21/A
            01/04012345111118/21/2 commissioned
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A commissioned
        "#]],
    );
}

#[test]
fn unpack_all_with_an_empty_child_list() {
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1, PACK_2]),
            &aggregate("DELETE", CASE_A, &[]),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned
            01/04012345111118/21/2 commissioned
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A commissioned
        "#]],
    );
}

#[test]
fn shipping_a_container_ships_its_contents_without_rewriting_them() {
    let ship_case = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
        "disposition": "in_transit", "epcList": ["urn:epc:id:sgtin:4012345.111111.A"]}"#;
    let ship_pack = observe("shipping", "in_transit", "");
    let (_, out) = run(&with(&[COMMISSION_3, &aggregate("ADD", CASE_A, &[PACK_1]), ship_case]));
    expect![[r#"
        --
        01/04012345111118/21/1 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A
        01/04012345111118/21/2 commissioned
        01/04012345111118/21/3 commissioned
        01/14012345111115/21/A in_transit
    "#]]
    .assert_eq(&out);
    // A pack inside a shipped case is in transit already: shipping it again is legal, and a
    // receipt of the pack on its own is not a receipt without a ship.
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1]),
            ship_case,
            &ship_pack,
            &observe("receiving", "in_progress", ""),
        ]),
        expect![[r#"
            --
            01/04012345111118/21/1 received in=01/14012345111115/21/A
            01/04012345111118/21/2 commissioned
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A in_transit
        "#]],
    );
}

#[test]
fn happy_path_from_line_to_pharmacy() {
    check(
        r#"[
        {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
         "eventTime": "2025-01-01T08:00:00Z", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
         "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
                     "urn:epc:id:sgtin:4012345.011111.3", "urn:epc:id:sgtin:4012345.011111.4"],
         "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2027-01-31"}},
        {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
         "eventTime": "2025-01-01T08:05:00Z", "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
         "parentID": "urn:epc:id:sgtin:4012345.111111.A",
         "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
                       "urn:epc:id:sgtin:4012345.011111.3", "urn:epc:id:sgtin:4012345.011111.4"]},
        {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
         "eventTime": "2025-01-01T08:10:00Z", "parentID": "urn:epc:id:sscc:4012345.0000000001",
         "childEPCs": ["urn:epc:id:sgtin:4012345.111111.A"]},
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
         "eventTime": "2025-01-02T10:00:00Z", "epcList": ["urn:epc:id:sscc:4012345.0000000001"],
         "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}]},
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
         "eventTime": "2025-01-03T09:00:00Z", "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"},
         "epcList": ["https://id.gs1.org/00/040123450000000016"],
         "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}]},
        {"type": "AggregationEvent", "action": "DELETE", "bizStep": "unpacking",
         "eventTime": "2025-01-03T09:30:00Z", "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"},
         "parentID": "urn:epc:id:sgtin:4012345.111111.A", "childEPCs": []},
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "dispensing", "disposition": "dispensed",
         "eventTime": "2025-01-04T15:00:00Z", "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"},
         "epcList": ["https://id.gs1.org/01/04012345111118/21/3"]}
        ]"#,
        expect![[r#"
            --
            00/040123450000000016 received at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000
            01/04012345111118/21/1 received at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000 lot=L1 exp=2027-01-31
            01/04012345111118/21/2 received at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000 lot=L1 exp=2027-01-31
            01/04012345111118/21/3 dispensed at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000 lot=L1 exp=2027-01-31
            01/04012345111118/21/4 received at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000 lot=L1 exp=2027-01-31
            01/14012345111115/21/A received (via 00/040123450000000016) in=00/040123450000000016 at=urn:epc:id:sgln:4098765.00001.0 owner=urn:epc:id:pgln:4098765.00000
        "#]],
    );
}

fn aggregation_event(action: Action, parent: u8, child: u8, minute: u8) -> Event {
    Event {
        event_type: Some(EventType::AggregationEvent),
        action: Some(action),
        event_time: format!("2025-01-01T00:{minute:02}:00Z"),
        event_time_zone_offset: "+00:00".to_owned(),
        parent_id: Some(format!("urn:epc:id:sgtin:4012345.011111.{parent}")),
        epc_list: vec![format!("urn:epc:id:sgtin:4012345.011111.{child}")],
        ..Event::default()
    }
}

proptest! {
    /// Whatever the order of packs and unpacks, no child ends up in two parents, no container
    /// inside itself, and the children index agrees with the parent relation.
    #[test]
    fn pack_and_unpack_keep_the_hierarchy_a_forest(
        ops in proptest::collection::vec((any::<bool>(), 0u8..6, 0u8..6), 0..40)
    ) {
        let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
        let mut ledger = MemoryLedger::default();
        for (idx, (add, parent, child)) in ops.into_iter().enumerate() {
            let action = if add { Action::Add } else { Action::Delete };
            let minute = u8::try_from(idx).expect("fewer than 60 ops");
            let event = aggregation_event(action, parent, child, minute);
            let outcome = apply(&ledger, &event, &format!("e{idx}"), now);
            ledger.commit(&outcome);
            let keys: Vec<Key> = ledger.iter().map(|(key, _)| key.clone()).collect();
            for key in &keys {
                let state = ledger.state(key).expect("listed");
                let holders: Vec<&Key> =
                    keys.iter().filter(|k| ledger.children(k).contains(key)).collect();
                prop_assert_eq!(holders, state.parent.iter().collect::<Vec<_>>());
                let mut seen = vec![key.clone()];
                let mut at = state.parent.clone();
                while let Some(parent) = at {
                    prop_assert!(!seen.contains(&parent), "cycle through {}", parent);
                    at = ledger.state(&parent).and_then(|s| s.parent.clone());
                    seen.push(parent);
                }
            }
        }
    }
}

/// Shipping the case `CASE_A`.
const SHIP_CASE_A: &str = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
    "epcList": ["urn:epc:id:sgtin:4012345.111111.A"]}"#;

/// Recalling lot L1 of `COMMISSION_L1`, named by its Digital Link.
const RECALL_L1: &str = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
    "epcList": ["https://id.gs1.org/01/04012345111118/10/L1"],
    "persistentDisposition": {"set": ["recalled"]}}"#;

const COMMISSION_L1: &str = r#"{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"],
    "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2027-01-31"}}"#;

#[test]
fn receipt_by_a_party_other_than_the_destination() {
    let ship = observe(
        "shipping",
        "in_transit",
        r#", "destinationList": [
            {"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00002"},
            {"type": "location", "destination": "urn:epc:id:sgln:4012345.00002.0"}]"#,
    );
    let receive_by = |party: &str, location: &str| {
        observe(
            "receiving",
            "in_progress",
            &format!(
                r#", "bizLocation": {{"id": "urn:epc:id:sgln:4012345.{location}.0"}},
                "destinationList": [{{"type": "owning_party",
                                      "destination": "urn:epc:id:pgln:4012345.{party}"}}]"#
            ),
        )
    };
    check(
        &with(&[COMMISSION_1, &ship, &receive_by("00003", "00003")]),
        expect![[r#"
            e3: F3 receipt_by_other_party: event e3 receives urn:epc:id:sgtin:4012345.011111.1 with owning party urn:epc:id:pgln:4012345.00003 but shipping event e2 named urn:epc:id:pgln:4012345.00002 [e2, e3]
            e3: F3 receipt_by_other_party: event e3 receives urn:epc:id:sgtin:4012345.011111.1 with location urn:epc:id:sgln:4012345.00003.0 but shipping event e2 named urn:epc:id:sgln:4012345.00002.0 [e2, e3]
            --
            01/04012345111118/21/1 received at=urn:epc:id:sgln:4012345.00003.0 owner=urn:epc:id:pgln:4012345.00003
        "#]],
    );
    check(
        &with(&[COMMISSION_1, &ship, &receive_by("00002", "00002")]),
        expect![[r#"
        --
        01/04012345111118/21/1 received at=urn:epc:id:sgln:4012345.00002.0 owner=urn:epc:id:pgln:4012345.00002
    "#]],
    );
    // Shipped in a case, received on its own: the case's shipment is what the pack compares
    // with.
    let ship_case = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
        "epcList": ["urn:epc:id:sgtin:4012345.111111.A"],
        "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00002"}]}"#;
    check(
        &with(&[
            COMMISSION_1,
            &aggregate("ADD", CASE_A, &[PACK_1]),
            ship_case,
            &receive_by("00003", "00003"),
        ]),
        expect![[r#"
            e4: F3 receipt_by_other_party: event e4 receives urn:epc:id:sgtin:4012345.011111.1 with owning party urn:epc:id:pgln:4012345.00003 but shipping event e3 named urn:epc:id:pgln:4012345.00002 [e3, e4]
            --
            01/04012345111118/21/1 received in=01/14012345111115/21/A at=urn:epc:id:sgln:4012345.00003.0 owner=urn:epc:id:pgln:4012345.00003
            01/14012345111115/21/A in_transit
        "#]],
    );
}

#[test]
fn lot_or_expiry_contradicting_commissioning() {
    let relabel = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "ilmd": {"cbvmda:lotNumber": "L2", "cbvmda:itemExpirationDate": "2028-01-31"}}"#;
    let scan = |lot: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
            "epcList": ["https://id.gs1.org/01/04012345111118/10/{lot}/21/2"]}}"#
        )
    };
    let expiry_scan = |expiry: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
            "epcList": ["https://id.gs1.org/01/04012345111118/21/2?17={expiry}"]}}"#
        )
    };
    check(
        &with(&[
            COMMISSION_L1,
            &expiry_scan("270131"),
            &expiry_scan("270100"),
            &expiry_scan("270228"),
            &expiry_scan("2701"),
        ]),
        expect![[r#"
            e4: F3 expiry_mismatch: event e4 gives https://id.gs1.org/01/04012345111118/21/2?17=270228 expiry 2027-02-28 but commissioning event e1 recorded 2027-01-31 [e1, e4]
            e5: F1 never_commissioned: https://id.gs1.org/01/04012345111118/21/2?17=2701 was never commissioned but event e5 names it [e5]
            --
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
        "#]],
    );
    check(
        &with(&[COMMISSION_L1, relabel, &scan("L9")]),
        expect![[r#"
        e2: F3 lot_mismatch: event e2 gives urn:epc:id:sgtin:4012345.011111.1 lot L2 but commissioning event e1 recorded L1 [e1, e2]
        e2: F3 expiry_mismatch: event e2 gives urn:epc:id:sgtin:4012345.011111.1 expiry 2028-01-31 but commissioning event e1 recorded 2027-01-31 [e1, e2]
        e3: F3 lot_mismatch: event e3 gives https://id.gs1.org/01/04012345111118/10/L9/21/2 lot L9 but commissioning event e1 recorded L1 [e1, e3]
        --
        01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
        01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
    "#]],
    );
    check(
        &with(&[COMMISSION_L1, &scan("L1")]),
        expect![[r#"
        --
        01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
        01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
    "#]],
    );
}

const SSCC_1: &str = "urn:epc:id:sscc:4012345.0000000001";

#[test]
fn an_sscc_reused_within_a_year() {
    let commission_sscc = |time: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
            "eventTime": "{time}", "epcList": ["{SSCC_1}"]}}"#
        )
    };
    let ship_sscc = |time: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventTime": "{time}", "epcList": ["{SSCC_1}"]}}"#
        )
    };
    let pack = |time: &str, child: &str| {
        format!(
            r#"{{"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
            "eventTime": "{time}", "parentID": "{SSCC_1}", "childEPCs": ["{child}"]}}"#
        )
    };
    let commission_packs = r#"{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "eventTime": "2024-01-01T00:00:00Z",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"]}"#;
    // Commissioned again two months after its first life: reported, and the new life starts.
    check(
        &with(&[
            &commission_sscc("2025-01-01T00:00:00Z"),
            &ship_sscc("2025-01-02T00:00:00Z"),
            &commission_sscc("2025-03-01T00:00:00Z"),
        ]),
        expect![[r#"
            e3: F6 sscc_reused: event e3 uses urn:epc:id:sscc:4012345.0000000001 for a new logistic unit but the previous unit was shipped by event e2 at 2025-01-02T00:00:00.000Z, less than 365 days before [e2, e3]
            --
            00/040123450000000016 commissioned
        "#]],
    );
    // GS1 counts the year from the shipment date, not from the label's first use: a pallet
    // kept thirteen months before it shipped may not label another unit a month after.
    check(
        &with(&[
            &commission_sscc("2024-01-01T00:00:00Z"),
            &ship_sscc("2025-02-01T00:00:00Z"),
            &commission_sscc("2025-03-01T00:00:00Z"),
        ]),
        expect![[r#"
            e3: F6 sscc_reused: event e3 uses urn:epc:id:sscc:4012345.0000000001 for a new logistic unit but the previous unit was shipped by event e2 at 2025-02-01T00:00:00.000Z, less than 365 days before [e2, e3]
            --
            00/040123450000000016 commissioned
        "#]],
    );
    // A case SSCC travels inside a shipped pallet: unpacked and emptied, its label is bound
    // by the pallet's shipment, not by when the case was first labelled.
    let case_sscc = "urn:epc:id:sscc:4012345.0000000002";
    let event = |kind: &str, rest: &str, time: &str| {
        format!(r#"{{"type": "{kind}", "eventTime": "{time}", {rest}}}"#)
    };
    let travelled = [
        event(
            "ObjectEvent",
            &format!(r#""action": "ADD", "bizStep": "commissioning", "epcList": ["{case_sscc}"]"#),
            "2024-01-01T00:00:00Z",
        ),
        commission_packs.to_owned(),
        event(
            "AggregationEvent",
            &format!(r#""action": "ADD", "parentID": "{case_sscc}", "childEPCs": ["{PACK_1}"]"#),
            "2024-01-02T00:00:00Z",
        ),
        event(
            "AggregationEvent",
            &format!(r#""action": "ADD", "parentID": "{SSCC_1}", "childEPCs": ["{case_sscc}"]"#),
            "2024-01-03T00:00:00Z",
        ),
        ship_sscc("2025-02-01T00:00:00Z"),
        event(
            "ObjectEvent",
            &format!(r#""action": "OBSERVE", "bizStep": "receiving", "epcList": ["{SSCC_1}"]"#),
            "2025-02-05T00:00:00Z",
        ),
        event(
            "AggregationEvent",
            &format!(r#""action": "DELETE", "parentID": "{SSCC_1}", "childEPCs": ["{case_sscc}"]"#),
            "2025-02-06T00:00:00Z",
        ),
        event(
            "AggregationEvent",
            &format!(r#""action": "DELETE", "parentID": "{case_sscc}", "childEPCs": ["{PACK_1}"]"#),
            "2025-02-07T00:00:00Z",
        ),
        event(
            "ObjectEvent",
            &format!(r#""action": "ADD", "bizStep": "commissioning", "epcList": ["{case_sscc}"]"#),
            "2025-03-01T00:00:00Z",
        ),
    ];
    let travelled: Vec<&str> = travelled.iter().map(String::as_str).collect();
    check(
        &with(&travelled),
        expect![[r#"
        e9: F6 sscc_reused: event e9 uses urn:epc:id:sscc:4012345.0000000002 for a new logistic unit but the previous unit was shipped by event e5 at 2025-02-01T00:00:00.000Z, less than 365 days before [e5, e9]
        --
        00/040123450000000016 received
        00/040123450000000023 commissioned
        01/04012345111118/21/1 received
        01/04012345111118/21/2 commissioned
    "#]],
    );
    // Never shipped (built and broken down at home): the year counts from its life's start.
    check(
        &with(&[
            commission_packs,
            &pack("2025-01-02T00:00:00Z", PACK_1),
            &aggregate("DELETE", SSCC_1, &[PACK_1]),
            &pack("2025-02-01T00:00:00Z", PACK_2),
        ]),
        expect![[r#"
            e4: F6 sscc_reused: event e4 uses urn:epc:id:sscc:4012345.0000000001 for a new logistic unit but the previous unit started its life with event e2 at 2025-01-02T00:00:00.000Z, less than 365 days before [e2, e4]
            --
            00/040123450000000016 commissioned
            01/04012345111118/21/1 commissioned
            01/04012345111118/21/2 commissioned in=00/040123450000000016
        "#]],
    );
    // A year and more later: a legal new life; what the old unit held leaves it.
    check(
        &with(&[
            commission_packs,
            &pack("2024-01-02T00:00:00Z", PACK_1),
            &ship_sscc("2024-01-03T00:00:00Z"),
            &commission_sscc("2025-01-05T00:00:00Z"),
        ]),
        expect![[r#"
            --
            00/040123450000000016 commissioned
            01/04012345111118/21/1 in_transit
            01/04012345111118/21/2 commissioned
        "#]],
    );
    // First seen as a parent, shipped, then packed anew: reuse by packing.
    check(
        &with(&[
            commission_packs,
            &pack("2025-01-02T00:00:00Z", PACK_1),
            &ship_sscc("2025-01-03T00:00:00Z"),
            &aggregate("DELETE", SSCC_1, &[]),
            &pack("2025-02-01T00:00:00Z", PACK_2),
        ]),
        expect![[r#"
            e5: F6 sscc_reused: event e5 uses urn:epc:id:sscc:4012345.0000000001 for a new logistic unit but the previous unit was shipped by event e3 at 2025-01-03T00:00:00.000Z, less than 365 days before [e3, e5]
            --
            00/040123450000000016 commissioned
            01/04012345111118/21/1 in_transit
            01/04012345111118/21/2 commissioned in=00/040123450000000016
        "#]],
    );
    // Packing more into a unit still being built is not a reuse.
    check(
        &with(&[
            commission_packs,
            &pack("2025-01-02T00:00:00Z", PACK_1),
            &pack("2025-01-03T00:00:00Z", PACK_2),
        ]),
        expect![[r#"
            --
            00/040123450000000016 commissioned
            01/04012345111118/21/1 commissioned in=00/040123450000000016
            01/04012345111118/21/2 commissioned in=00/040123450000000016
        "#]],
    );
}

#[test]
fn shipping_a_container_with_unavailable_contents() {
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1, PACK_2]),
            &aggregate("ADD", SSCC_1, &[CASE_A]),
            &observe("decommissioning", "stolen", ""),
            r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "epcList": ["urn:epc:id:sscc:4012345.0000000001"]}"#,
        ]),
        expect![[r#"
            e5: F11 ship_unavailable_content: event e5 ships urn:epc:id:sscc:4012345.0000000001, which holds https://id.gs1.org/01/04012345111118/21/1, and https://id.gs1.org/01/04012345111118/21/1 is decommissioned:stolen [e4, e5]
            --
            00/040123450000000016 in_transit
            01/04012345111118/21/1 decommissioned:stolen in=01/14012345111115/21/A
            01/04012345111118/21/2 in_transit (via 00/040123450000000016) in=01/14012345111115/21/A
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A in_transit (via 00/040123450000000016) in=00/040123450000000016
        "#]],
    );
    check(
        &with(&[COMMISSION_3, &aggregate("ADD", CASE_A, &[PACK_1, PACK_2]), SHIP_CASE_A]),
        expect![[r#"
            --
            01/04012345111118/21/1 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A in_transit
        "#]],
    );
}

#[test]
fn shipping_or_dispensing_a_unit_of_a_recalled_lot() {
    let recall = |lot_id: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
            "quantityList": [{{"epcClass": "{lot_id}", "quantity": 2}}],
            "persistentDisposition": {{"set": ["recalled"]}}}}"#
        )
    };
    let commission_l2 = r#"{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.3"], "ilmd": {"cbvmda:lotNumber": "L2"}}"#;
    check(
        &with(&[
            COMMISSION_L1,
            commission_l2,
            &recall("urn:epc:class:lgtin:4012345.011111.L1"),
            &observe("shipping", "in_transit", ""),
            &observe("dispensing", "dispensed", ""),
            r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "epcList": ["urn:epc:id:sgtin:4012345.011111.3"]}"#,
        ]),
        expect![[r#"
            e4: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.1 belongs to lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled, but event e4 ships it [e3, e4]
            e5: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.1 belongs to lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled, but event e5 dispenses it [e3, e5]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/3 in_transit lot=L2
        "#]],
    );
    // Shipping recalled goods back (disposition `returned` or `recalled`) is what the recall
    // asks for: no finding, for a unit or for a container holding units of the lot.
    check(
        &with(&[
            COMMISSION_L1,
            &aggregate("ADD", CASE_A, &[PACK_2]),
            &recall("urn:epc:class:lgtin:4012345.011111.L1"),
            &observe("shipping", "returned", ""),
            r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "disposition": "urn:epcglobal:cbv:disp:recalled",
                "epcList": ["urn:epc:id:sgtin:4012345.111111.A"]}"#,
        ]),
        expect![[r#"
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled
            01/04012345111118/21/1 in_transit lot=L1 exp=2027-01-31
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2027-01-31
            01/14012345111115/21/A in_transit
        "#]],
    );
    // The lot named by a Digital Link in epcList, and a unit of it shipped in a case.
    check(
        &with(&[COMMISSION_L1, &aggregate("ADD", CASE_A, &[PACK_2]), RECALL_L1, SHIP_CASE_A]),
        expect![[r#"
            e4: F7 recalled_lot: event e4 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/2 of lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled [e3, e4]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2027-01-31
            01/14012345111115/21/A in_transit
        "#]],
    );
}

/// A container's packs of two lots, in key order L1, L1, L2, L1: each pack is judged by its
/// own lot, however the lots alternate (the lot record is remembered between packs).
#[test]
fn a_shipped_case_of_two_lots_names_the_packs_of_the_recalled_one() {
    let commission = |serial: u32, lot: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
            "epcList": ["urn:epc:id:sgtin:4012345.011111.{serial}"],
            "ilmd": {{"cbvmda:lotNumber": "{lot}"}}}}"#
        )
    };
    let pack = |serial: u32| format!("urn:epc:id:sgtin:4012345.011111.{serial}");
    check(
        &with(&[
            COMMISSION_L1,
            &commission(3, "L2"),
            &commission(4, "L1"),
            &aggregate("ADD", CASE_A, &[&pack(1), &pack(2), &pack(3), &pack(4)]),
            RECALL_L1,
            SHIP_CASE_A,
        ]),
        expect![[r#"
            e6: F7 recalled_lot: event e6 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/1 of lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled [e5, e6]
            e6: F7 recalled_lot: event e6 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/2 of lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled [e5, e6]
            e6: F7 recalled_lot: event e6 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/4 of lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled [e5, e6]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled
            01/04012345111118/21/1 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2027-01-31
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2027-01-31
            01/04012345111118/21/3 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L2
            01/04012345111118/21/4 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1
            01/14012345111115/21/A in_transit
        "#]],
    );
}

#[test]
fn child_in_two_parents_cites_the_packing_event() {
    check(
        &with(&[
            COMMISSION_3,
            &aggregate("ADD", CASE_A, &[PACK_1]),
            &observe("inspecting", "active", ""),
            &aggregate("ADD", CASE_B, &[PACK_1]),
        ]),
        expect![[r#"
            e4: F4 child_in_two_parents: event e4 packs urn:epc:id:sgtin:4012345.011111.1 into urn:epc:id:sgtin:4012345.111111.B but it is already in https://id.gs1.org/01/14012345111115/21/A [e2, e4]
            --
            01/04012345111118/21/1 commissioned in=01/14012345111115/21/A
            01/04012345111118/21/2 commissioned
            01/04012345111118/21/3 commissioned
            01/14012345111115/21/A commissioned
        "#]],
    );
}

#[test]
fn shipping_or_dispensing_a_unit_of_a_withdrawn_lot() {
    // `withdrawn` is no CBV term: the EU FMD batch status, bare or as an extension URI's last
    // segment. A recall of the same lot wins (one finding, the stronger one).
    let hold = |set: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
            "quantityList": [{{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1"}}],
            "persistentDisposition": {{"set": [{set}]}}}}"#
        )
    };
    check(
        &with(&[
            COMMISSION_L1,
            &aggregate("ADD", CASE_A, &[PACK_2]),
            &hold(r#""https://example.org/disp/withdrawn""#),
            &observe("dispensing", "dispensed", ""),
            SHIP_CASE_A,
        ]),
        expect![[r#"
            e4: F7 withdrawn_lot: urn:epc:id:sgtin:4012345.011111.1 belongs to lot https://id.gs1.org/01/04012345111118/10/L1, which is withdrawn, but event e4 dispenses it [e3, e4]
            e5: F7 withdrawn_lot: event e5 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/2 of lot https://id.gs1.org/01/04012345111118/10/L1, which is withdrawn [e3, e5]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +https://example.org/disp/withdrawn
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2027-01-31
            01/14012345111115/21/A in_transit
        "#]],
    );
    check(
        &with(&[
            COMMISSION_L1,
            &hold(r#""withdrawn", "recalled""#),
            &observe("shipping", "in_transit", ""),
        ]),
        expect![[r#"
            e3: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.1 belongs to lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled, but event e3 ships it [e2, e3]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled +withdrawn
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
        "#]],
    );
}

#[test]
fn shipping_or_dispensing_after_the_expiry_date() {
    // Commissioned to expire on 2025-01-31: that day is still good, the next is not (in the
    // event's own time zone). Shipping it back as expired (disposition `expired`) is what
    // should happen to it.
    let commission = COMMISSION_L1.replace("2027-01-31", "2025-01-31");
    let at = |time: &str, step: &str, disposition: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "{step}",
            "disposition": "{disposition}", "eventTime": "{time}",
            "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]}}"#
        )
    };
    check(
        &with(&[
            &commission,
            &aggregate("ADD", CASE_A, &[PACK_2]),
            &at("2025-01-31T23:00:00Z", "shipping", "in_transit"),
            &at("2025-02-01T08:00:00+01:00", "receiving", "in_progress"),
            &at("2025-02-01T09:00:00+01:00", "dispensing", "dispensed"),
            &at("2025-02-02T09:00:00Z", "shipping", "expired"),
            r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "eventTime": "2025-02-02T10:00:00Z",
                "epcList": ["urn:epc:id:sgtin:4012345.111111.A"]}"#,
        ]),
        expect![[r#"
            e5: F7 expired: urn:epc:id:sgtin:4012345.011111.1 expired on 2025-01-31 (commissioned by event e1), but event e5 dispenses it on 2025-02-01 [e1, e5]
            e7: F7 expired: event e7 ships urn:epc:id:sgtin:4012345.111111.A, which holds https://id.gs1.org/01/04012345111118/21/2, which expired on 2025-01-31 [e1, e7]
            --
            01/04012345111118/21/1 in_transit lot=L1 exp=2025-01-31
            01/04012345111118/21/2 in_transit (via 01/14012345111115/21/A) in=01/14012345111115/21/A lot=L1 exp=2025-01-31
            01/14012345111115/21/A in_transit
        "#]],
    );
}

#[test]
fn batch_level_recalled_withdrawn_and_expired_are_never_undone() {
    let withdraw = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1"}],
        "persistentDisposition": {"set": ["withdrawn"]}}"#;
    let undo = |time: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
            "disposition": "active", "eventTime": "{time}",
            "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]}}"#
        )
    };
    check(
        &with(&[
            COMMISSION_L1,
            &observe("dispensing", "dispensed", ""),
            withdraw,
            &undo("2025-01-04T00:00:00Z"),
        ]),
        expect![[r#"
            e4: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.1 is dispensed and event e4 cannot re-activate it: its lot https://id.gs1.org/01/04012345111118/10/L1 is withdrawn [e2, e4]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +withdrawn
            01/04012345111118/21/1 dispensed lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
        "#]],
    );
    // Expired after it was dispensed, within the 10 days of the undo window.
    check(
        &with(&[
            &COMMISSION_L1.replace("2027-01-31", "2025-01-31"),
            r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "dispensing",
                "disposition": "dispensed", "eventTime": "2025-01-30T00:00:00Z",
                "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#,
            &undo("2025-02-03T00:00:00Z"),
        ]),
        expect![[r#"
            e3: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.1 is dispensed and event e3 cannot re-activate it: it expired on 2025-01-31 [e2, e3]
            --
            01/04012345111118/21/1 dispensed lot=L1 exp=2025-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2025-01-31
        "#]],
    );
}

#[test]
fn an_error_declaration_is_not_a_second_occurrence() {
    // The declaration repeats the commissioning with `errorDeclaration`: no commissioned_twice,
    // no change (FIXME in `apply`: reversing the declared event is issue E's).
    let declared = COMMISSION_1.replacen(
        '{',
        r#"{"errorDeclaration": {"declarationTime": "2025-02-01T00:00:00Z", "reason": "incorrect_data"},"#,
        1,
    );
    check(
        &with(&[COMMISSION_1, &declared]),
        expect![[r#"
            --
            01/04012345111118/21/1 commissioned
        "#]],
    );
}

#[test]
fn a_transformation_ends_its_inputs_and_commissions_its_outputs() {
    // Repackaging as a parallel distributor does it: two packs out of a case become one new
    // pack with its own code and lot; the third pack stays in the case.
    check(
        r#"[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
             "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
                         "urn:epc:id:sgtin:4012345.011111.3"],
             "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2027-01-31"}},
            {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
             "parentID": "urn:epc:id:sgtin:4012345.111111.9",
             "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
                           "urn:epc:id:sgtin:4012345.011111.3"]},
            {"type": "TransformationEvent", "bizStep": "repackaging",
             "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"},
             "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"],
             "outputEPCList": ["urn:epc:id:sgtin:4098765.022222.7"],
             "ilmd": {"cbvmda:lotNumber": "R1", "cbvmda:itemExpirationDate": "2026-12-31"}}]"#,
        expect![[r#"
            --
            01/04012345111118/21/1 decommissioned:transformed at=urn:epc:id:sgln:4098765.00001.0 lot=L1 exp=2027-01-31
            01/04012345111118/21/2 decommissioned:transformed at=urn:epc:id:sgln:4098765.00001.0 lot=L1 exp=2027-01-31
            01/04012345111118/21/3 commissioned in=01/14012345111115/21/9 lot=L1 exp=2027-01-31
            01/04098765222221/21/7 commissioned at=urn:epc:id:sgln:4098765.00001.0 lot=R1 exp=2026-12-31
            01/14012345111115/21/9 commissioned
        "#]],
    );
}

#[test]
fn a_transformation_refuses_unavailable_inputs_and_known_outputs() {
    let dispense = observe("dispensing", "dispensed", "");
    check(
        &with(&[
            COMMISSION_1,
            &dispense,
            r#"{"type": "TransformationEvent", "bizStep": "repackaging",
                "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.5"],
                "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#,
        ]),
        expect![[r#"
            e3: F11 transform_unavailable: urn:epc:id:sgtin:4012345.011111.1 is dispensed but event e3 transforms it [e2, e3]
            e3: F1 never_commissioned: urn:epc:id:sgtin:4012345.011111.5 was never commissioned but event e3 names it [e3]
            e3: F11 commissioned_twice: urn:epc:id:sgtin:4012345.011111.1 was commissioned by event e1 and again by event e3 [e1, e3]
            --
            01/04012345111118/21/1 dispensed
        "#]],
    );
}

#[test]
fn a_transformed_input_is_never_undone_nor_shipped() {
    let transform = r#"{"type": "TransformationEvent", "bizStep": "repackaging",
        "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"},
        "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#;
    let undo = observe(
        "inspecting",
        "active",
        r#", "bizLocation": {"id": "urn:epc:id:sgln:4098765.00001.0"}"#,
    );
    check(
        &with(&[COMMISSION_1, transform, &undo, &observe("shipping", "in_transit", "")]),
        expect![[r#"
            e3: F11 undo_forbidden: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:transformed and event e3 cannot re-activate it: a transformation consumed it [e2, e3]
            e4: F11 ship_decommissioned: urn:epc:id:sgtin:4012345.011111.1 is decommissioned:transformed but event e4 ships it [e2, e4]
            --
            01/04012345111118/21/1 decommissioned:transformed at=urn:epc:id:sgln:4098765.00001.0
        "#]],
    );
}

#[test]
fn an_association_changes_nothing_but_names_known_goods() {
    // A temperature logger (GIAI) attached to a pallet: the asset needs no commissioning, the
    // goods do.
    check(
        &with(&[
            COMMISSION_1,
            r#"{"type": "AssociationEvent", "action": "ADD", "bizStep": "assembling",
                "parentID": "urn:epc:id:giai:4000001.12345",
                "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sscc:4012345.0000000001"]}"#,
        ]),
        expect![[r#"
            e2: F1 never_commissioned: urn:epc:id:sscc:4012345.0000000001 was never commissioned but event e2 names it [e2]
            --
            01/04012345111118/21/1 commissioned
        "#]],
    );
}

/// Applies `json`'s events, then reverses the events whose IDs are in `declared` (as the
/// capture pipeline does for their error declarations: a replay of the others), then applies
/// `after`; renders as `run` does.
fn run_declared(json: &str, declared: &[&str], after: &str) -> String {
    let now = Timestamp::parse(NOW).expect("NOW is a timestamp");
    let all = events(json);
    let mut ledger = MemoryLedger::default();
    for event in &all {
        let id = event.event_id.clone().unwrap_or_default();
        ledger.commit(&apply(&ledger, event, &id, now));
    }
    let keys: Vec<crate::Key> = all
        .iter()
        .filter(|e| declared.contains(&e.event_id.as_deref().unwrap_or_default()))
        .flat_map(|e| e.epc_list.iter().chain(&e.parent_id).map(|epc| crate::Key::new(epc)))
        .collect();
    let history = all
        .iter()
        .filter(|e| !declared.contains(&e.event_id.as_deref().unwrap_or_default()))
        .map(|e| (e, e.event_id.as_deref().unwrap_or_default()));
    let changes =
        crate::ledger::reverse(&ledger, &keys, history, &declared.iter().copied().collect(), now);
    let mut out = String::new();
    for (key, change) in &changes {
        let what = match change {
            crate::Change::Create(_) => "create",
            crate::Change::Update(_) => "update",
            crate::Change::Remove => "remove",
        };
        out.push_str(&format!("reverse: {what} {}\n", short(key)));
    }
    ledger.commit_owned(changes);
    for event in events(after) {
        let id = format!("c-{}", event.event_id.clone().unwrap_or_default());
        let outcome = apply(&ledger, &event, &id, now);
        for violation in &outcome.violations {
            out.push_str(&format!("{id}: {violation}\n"));
        }
        ledger.commit(&outcome);
    }
    out.push_str("--\n");
    for (key, state) in ledger.iter() {
        let resolved = effective(&ledger, key).expect("a record resolves");
        out.push_str(&format!("{} {}", short(key), resolved.status.name()));
        if let Some(parent) = &state.parent {
            out.push_str(&format!(" in={}", short(parent)));
        }
        if let Some(lot) = &state.lot {
            out.push_str(&format!(" lot={lot}"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_commissioning_declared_in_error_is_removed_and_commissioned_again() {
    let wrong = r#"[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"], "ilmd": {"cbvmda:lotNumber": "WRONG"}}]"#;
    let right = r#"[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"], "ilmd": {"cbvmda:lotNumber": "L1"}}]"#;
    expect![[r#"
        reverse: remove 01/04012345111118/21/1
        --
        01/04012345111118/21/1 commissioned lot=L1
    "#]]
    .assert_eq(&run_declared(wrong, &["e1"], right));
}

#[test]
fn a_shipment_declared_in_error_leaves_the_pack_where_it_was() {
    // Packed, then shipped on its own by mistake: the shipment is declared in error, the pack
    // is back in its case as commissioned, and the case ships for real with it inside.
    let json = with(&[
        COMMISSION_1,
        r#"{"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
            "parentID": "urn:epc:id:sscc:4012345.0000000001",
            "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1"]}"#,
        &observe("shipping", "in_transit", ""),
    ]);
    expect![[r#"
        reverse: update 01/04012345111118/21/1
        --
        00/040123450000000016 in_transit
        01/04012345111118/21/1 in_transit in=00/040123450000000016
    "#]]
    .assert_eq(&run_declared(
        &json,
        &["e3"],
        r#"[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
             "disposition": "in_transit", "eventTime": "2025-01-10T00:00:00Z",
             "epcList": ["urn:epc:id:sscc:4012345.0000000001"]}]"#,
    ));
}

#[test]
fn a_dispensing_declared_in_error_allows_the_real_one() {
    let json = with(&[COMMISSION_1, &observe("dispensing", "dispensed", "")]);
    let real = observe("dispensing", "dispensed", r#", "eventTime": "2025-01-10T00:00:00Z""#);
    expect![[r#"
        reverse: update 01/04012345111118/21/1
        --
        01/04012345111118/21/1 dispensed
    "#]]
    .assert_eq(&run_declared(&json, &["e2"], &with(&[&real])));
}

#[test]
fn a_transformation_refuses_a_recalled_input() {
    let recall = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "holding",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 1}],
        "persistentDisposition": {"set": ["recalled"]}}"#;
    let transform = r#"{"type": "TransformationEvent", "bizStep": "repackaging",
        "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#;
    check(
        &with(&[COMMISSION_L1, recall, transform]),
        expect![[r#"
            e3: F7 recalled_lot: urn:epc:id:sgtin:4012345.011111.1 belongs to lot https://id.gs1.org/01/04012345111118/10/L1, which is recalled, but event e3 transforms it [e2, e3]
            --
            01/04012345111118/10/L1 commissioned lot=L1 +recalled
            01/04012345111118/21/1 commissioned lot=L1 exp=2027-01-31
            01/04012345111118/21/2 commissioned lot=L1 exp=2027-01-31
        "#]],
    );
}
