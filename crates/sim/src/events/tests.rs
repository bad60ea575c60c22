//! Tests of `events`: each business step's event as JSON-LD, written and read back by
//! `serialhub_epcis`.

use expect_test::{Expect, expect};
use serialhub_epcis::json::write::to_json_ld;
use serialhub_epcis::model::{Document, Event, Header};

use super::*;
use crate::calendar::START;

const PACK: &str = "urn:epc:id:sgtin:4012345.011111.77eSQRlM";
const CASE: &str = "urn:epc:id:sscc:4012345.0000000007";
const PLANT: &str = "urn:epc:id:sgln:4012345.00001.0";
const LINE: &str = "urn:epc:id:sgln:4012345.00001.1";
const MAKER: Site<'static> = Site { party: "urn:epc:id:pgln:4012345.00000", location: PLANT };
const TRADER: Site<'static> =
    Site { party: "urn:epc:id:pgln:4098765.00000", location: "urn:epc:id:sgln:4098765.00001.0" };

fn stamp() -> Stamp {
    Stamp {
        time: START,
        offset: "+01:00",
        id: "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
    }
}

/// The event as the JSON-LD writer puts it in a document, after checking that it reads back.
#[track_caller]
fn check(event: Event, expect: Expect) {
    let document = Document { header: Header::default(), events: vec![event] };
    let bytes = to_json_ld(&document);
    let read = serialhub_epcis::read_document(&bytes).expect("reads back");
    assert_eq!(read.problems, Vec::new());
    assert_eq!(read.document.events, document.events);
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let event = &json["epcisBody"]["eventList"][0];
    expect.assert_eq(&serde_json::to_string_pretty(event).expect("prints"));
}

#[test]
fn commissioning_carries_lot_and_expiry() {
    check(
        commissioning(stamp(), vec![PACK.into()], LINE, PLANT, "RP00001", "2028-01-31"),
        expect![[r#"
            {
              "type": "ObjectEvent",
              "eventTime": "2025-01-06T08:00:00.000Z",
              "eventTimeZoneOffset": "+01:00",
              "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
              "epcList": [
                "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
              ],
              "action": "ADD",
              "bizStep": "commissioning",
              "disposition": "active",
              "readPoint": {
                "id": "urn:epc:id:sgln:4012345.00001.1"
              },
              "bizLocation": {
                "id": "urn:epc:id:sgln:4012345.00001.0"
              },
              "ilmd": {
                "cbvmda:lotNumber": "RP00001",
                "cbvmda:itemExpirationDate": "2028-01-31"
              }
            }"#]],
    );
}

#[test]
fn packing_and_unpacking() {
    check(
        packing(stamp(), CASE, vec![PACK.into()], LINE, PLANT),
        expect![[r#"
        {
          "type": "AggregationEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "parentID": "urn:epc:id:sscc:4012345.0000000007",
          "childEPCs": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "ADD",
          "bizStep": "packing",
          "disposition": "in_progress",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.1"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
    check(
        unpacking(stamp(), CASE, vec![PACK.into()], PLANT),
        expect![[r#"
        {
          "type": "AggregationEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "parentID": "urn:epc:id:sscc:4012345.0000000007",
          "childEPCs": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "DELETE",
          "bizStep": "unpacking",
          "disposition": "in_progress",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
}

#[test]
fn shipping_and_receiving_name_parties_and_places() {
    let business = [
        ("po", transaction_id("4098765000010", "PO", 12)),
        ("desadv", transaction_id("4012345000016", "DA", 12)),
    ];
    check(
        shipping(stamp(), vec![CASE.into()], MAKER, TRADER, &business),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sscc:4012345.0000000007"
          ],
          "action": "OBSERVE",
          "bizStep": "shipping",
          "disposition": "in_transit",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizTransactionList": [
            {
              "type": "po",
              "bizTransaction": "urn:epcglobal:cbv:bt:4098765000010:PO0000012"
            },
            {
              "type": "desadv",
              "bizTransaction": "urn:epcglobal:cbv:bt:4012345000016:DA0000012"
            }
          ],
          "sourceList": [
            {
              "type": "owning_party",
              "source": "urn:epc:id:pgln:4012345.00000"
            },
            {
              "type": "location",
              "source": "urn:epc:id:sgln:4012345.00001.0"
            }
          ],
          "destinationList": [
            {
              "type": "owning_party",
              "destination": "urn:epc:id:pgln:4098765.00000"
            },
            {
              "type": "location",
              "destination": "urn:epc:id:sgln:4098765.00001.0"
            }
          ]
        }"#]],
    );
    check(
        receiving(stamp(), vec![CASE.into()], MAKER, TRADER, &business[..1]),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sscc:4012345.0000000007"
          ],
          "action": "OBSERVE",
          "bizStep": "receiving",
          "disposition": "in_progress",
          "readPoint": {
            "id": "urn:epc:id:sgln:4098765.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4098765.00001.0"
          },
          "bizTransactionList": [
            {
              "type": "po",
              "bizTransaction": "urn:epcglobal:cbv:bt:4098765000010:PO0000012"
            }
          ],
          "sourceList": [
            {
              "type": "owning_party",
              "source": "urn:epc:id:pgln:4012345.00000"
            },
            {
              "type": "location",
              "source": "urn:epc:id:sgln:4012345.00001.0"
            }
          ],
          "destinationList": [
            {
              "type": "owning_party",
              "destination": "urn:epc:id:pgln:4098765.00000"
            },
            {
              "type": "location",
              "destination": "urn:epc:id:sgln:4098765.00001.0"
            }
          ]
        }"#]],
    );
}

#[test]
fn end_of_life_steps() {
    check(
        dispensing(stamp(), vec![PACK.into()], PLANT),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "OBSERVE",
          "bizStep": "dispensing",
          "disposition": "dispensed",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
    check(
        destroying(stamp(), vec![PACK.into()], PLANT),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "OBSERVE",
          "bizStep": "destroying",
          "disposition": "destroyed",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
    check(
        theft(stamp(), vec![PACK.into()], None),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "DELETE",
          "bizStep": "decommissioning",
          "disposition": "stolen"
        }"#]],
    );
    check(
        restocking(stamp(), vec![PACK.into()], PLANT),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "OBSERVE",
          "bizStep": "stocking",
          "disposition": "sellable_accessible",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
}

#[test]
fn inspection_and_recall() {
    check(
        inspecting(stamp(), vec![PACK.into()], PLANT, None),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "OBSERVE",
          "bizStep": "inspecting",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          }
        }"#]],
    );
    check(
        inspecting(stamp(), vec![PACK.into()], PLANT, Some("2029-01-31")),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "epcList": [
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM"
          ],
          "action": "OBSERVE",
          "bizStep": "inspecting",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "ilmd": {
            "cbvmda:itemExpirationDate": "2029-01-31"
          }
        }"#]],
    );
    check(
        recall(stamp(), "urn:epc:class:lgtin:4012345.011111.RP00001".into(), 960, PLANT),
        expect![[r#"
        {
          "type": "ObjectEvent",
          "eventTime": "2025-01-06T08:00:00.000Z",
          "eventTimeZoneOffset": "+01:00",
          "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "action": "OBSERVE",
          "bizStep": "holding",
          "disposition": "recalled",
          "readPoint": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "bizLocation": {
            "id": "urn:epc:id:sgln:4012345.00001.0"
          },
          "quantityList": [
            {
              "epcClass": "urn:epc:class:lgtin:4012345.011111.RP00001",
              "quantity": 960
            }
          ],
          "persistentDisposition": {
            "set": [
              "recalled"
            ]
          }
        }"#]],
    );
}
