//! Unit tests of the simple event query: each case is a query string run against the events of
//! one JSON-LD document (`EVENTS`), read by the crate's reader. The expectation lists the events
//! that match, by their eventID's last segment, in document order (or the QueryError), then
//! what the query tells the caller besides (order, limits, indexed identifiers, event IDs).

use std::sync::OnceLock;

use expect_test::{Expect, expect};

use super::{Direction, EventQuery, MasterDataKind, OrderBy, VALUES_MAX};
use crate::model::Event;

/// Eight events that between them use every field a parameter tests. Identifiers of one
/// object appear in different forms on purpose (EPC URI here, Digital Link there), as do CBV
/// values (bare, URN, Web URI).
const EVENTS: &str = r#"{
  "@context": [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    { "example": "https://ns.example.com/epcis/" }
  ],
  "type": "EPCISDocument",
  "schemaVersion": "2.0",
  "creationDate": "2024-01-01T00:00:00Z",
  "epcisBody": { "eventList": [
    {
      "type": "ObjectEvent",
      "eventID": "urn:test:commission",
      "eventTime": "2024-01-10T08:00:00.000+01:00",
      "eventTimeZoneOffset": "+01:00",
      "recordTime": "2024-01-10T09:00:00Z",
      "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
      "action": "ADD",
      "bizStep": "commissioning",
      "disposition": "active",
      "persistentDisposition": { "set": ["completeness_verified"], "unset": ["completeness_inferred"] },
      "readPoint": { "id": "urn:epc:id:sgln:0614141.00777.0" },
      "bizLocation": { "id": "urn:epc:id:sgln:0614141.00888.0", "example:zone": "A" },
      "ilmd": {
        "example:lot": "L42",
        "example:expiry": "2026-05-31",
        "example:batch": { "example:site": "Basel" }
      },
      "example:temperature": 5.5,
      "example:shift": { "example:operator": "Ann" }
    },
    {
      "type": "AggregationEvent",
      "eventID": "urn:test:pack",
      "eventTime": "2024-01-11T10:00:00Z",
      "eventTimeZoneOffset": "+00:00",
      "recordTime": "2024-01-11T10:05:00Z",
      "parentID": "https://id.gs1.org/00/106141412345678908",
      "childEPCs": ["https://id.gs1.org/01/10614141073464/21/2017"],
      "childQuantityList": [{ "epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200 }],
      "action": "ADD",
      "bizStep": "urn:epcglobal:cbv:bizstep:packing",
      "disposition": "https://ref.gs1.org/cbv/Disp-in_progress",
      "readPoint": { "id": "https://id.gs1.org/414/0614141007776" },
      "example:temperature": 12
    },
    {
      "type": "ObjectEvent",
      "eventID": "urn:test:ship",
      "eventTime": "2024-02-01T06:30:00-05:00",
      "eventTimeZoneOffset": "-05:00",
      "recordTime": "2024-02-01T12:00:00Z",
      "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
      "quantityList": [{ "epcClass": "urn:epc:idpat:sgtin:4012345.012345.*", "quantity": 2.5, "uom": "KGM" }],
      "action": "OBSERVE",
      "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
      "disposition": "in_transit",
      "bizLocation": { "id": "urn:epc:id:sgln:0614141.00888.0" },
      "bizTransactionList": [
        { "type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO-1" },
        { "type": "urn:epcglobal:cbv:btt:desadv", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:ASN-9" }
      ],
      "sourceList": [{ "type": "owning_party", "source": "urn:epc:id:pgln:0614141.00000" }],
      "destinationList": [{ "type": "location", "destination": "https://id.gs1.org/414/4012345000009" }],
      "example:temperature": "n/a"
    },
    {
      "type": "TransformationEvent",
      "eventID": "urn:test:transform",
      "eventTime": "2024-02-05T00:00:00Z",
      "eventTimeZoneOffset": "+00:00",
      "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"],
      "outputEPCList": ["urn:epc:id:sgtin:4012345.022222.7"],
      "inputQuantityList": [{ "epcClass": "urn:epc:class:lgtin:4012345.011111.LOT1", "quantity": 100, "uom": "GRM" }],
      "outputQuantityList": [{ "epcClass": "https://id.gs1.org/01/04012345222227/10/OUT", "quantity": 0.25, "uom": "KGM" }],
      "transformationID": "urn:epc:id:gdti:0614141.12345.400",
      "bizStep": "other"
    },
    {
      "type": "ObjectEvent",
      "eventID": "urn:test:sensor",
      "eventTime": "2024-02-10T15:00:00+01:00",
      "eventTimeZoneOffset": "+01:00",
      "recordTime": "2024-02-10T15:01:00+01:00",
      "epcList": ["urn:epc:id:sgtin:4012345.011111.9876"],
      "action": "OBSERVE",
      "bizStep": "inspecting",
      "readPoint": { "id": "urn:epc:id:sgln:4012345.00000.0", "example:dock": { "example:door": "7" } },
      "sensorElementList": [{
        "sensorMetadata": {
          "time": "2024-02-10T14:05:00+01:00",
          "startTime": "2024-02-10T13:00:00+01:00",
          "endTime": "2024-02-10T14:00:00+01:00",
          "deviceID": "urn:epc:id:giai:4000001.111",
          "deviceMetadata": "https://id.gs1.org/8004/4000001111",
          "rawData": "https://example.org/raw/1",
          "dataProcessingMethod": "https://example.com/method/avg",
          "bizRules": "https://example.com/rules/cold",
          "example:calibrated": true
        },
        "sensorReport": [
          {
            "type": "Temperature", "value": 26.0, "uom": "CEL", "minValue": 24.5, "maxValue": 27.0,
            "meanValue": 25.8, "sDev": 0.5, "percRank": 50, "percValue": 26.1,
            "example:feature": "ambient"
          },
          { "type": "gs1:RelativeHumidity", "value": 60, "uom": "P1" },
          {
            "type": "https://example.com/Seal", "stringValue": "SEALED", "booleanValue": true,
            "hexBinaryValue": "0A1B", "uriValue": "https://example.com/seal/9",
            "microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1126011",
            "chemicalSubstance": "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N",
            "deviceID": "urn:epc:id:giai:4000001.222"
          }
        ],
        "example:note": "ok"
      }]
    },
    {
      "type": "ObjectEvent",
      "eventID": "urn:test:error",
      "eventTime": "2024-01-10T08:00:00+01:00",
      "eventTimeZoneOffset": "+01:00",
      "recordTime": "2024-03-01T12:00:00Z",
      "errorDeclaration": {
        "declarationTime": "2024-03-01T11:00:00Z",
        "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:test:commission"],
        "example:ticket": "T-7",
        "example:detail": { "example:by": "QA" }
      },
      "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
      "action": "DELETE",
      "bizStep": "decommissioning",
      "disposition": "https://example.com/disp/quarantine",
      "readPoint": { "id": "urn:epc:id:sgln:0614141.00000.123" }
    },
    {
      "type": "AssociationEvent",
      "eventID": "urn:test:assoc",
      "eventTime": "2024-02-20T09:00:00Z",
      "eventTimeZoneOffset": "+00:00",
      "parentID": "urn:epc:id:grai:4012345.55555.1",
      "childEPCs": ["urn:epc:id:giai:4012345.ABC"],
      "childQuantityList": [{ "epcClass": "https://id.gs1.org/01/04012345123456", "quantity": 3 }],
      "action": "ADD",
      "bizStep": "assembling",
      "bizLocation": { "id": "https://id.gs1.org/414/4012345000009/254/12" },
      "sourceList": [{ "type": "possessing_party", "source": "https://example.com/party/acme" }]
    },
    {
      "type": "TransactionEvent",
      "eventID": "urn:test:txn",
      "eventTime": "2024-02-02T08:00:00Z",
      "eventTimeZoneOffset": "+00:00",
      "parentID": "urn:epc:id:sscc:0614141.1234567890",
      "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"],
      "action": "ADD",
      "bizStep": "urn:epcglobal:cbv:bizstep:receiving",
      "bizTransactionList": [
        { "type": "https://ref.gs1.org/cbv/BTT-po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:PO-1" }
      ],
      "destinationList": [
        { "type": "urn:epcglobal:cbv:sdt:owning_party", "destination": "https://id.gs1.org/417/0614141000005" }
      ],
      "example:sealedAt": "2024-02-02T09:00:00+01:00"
    }
  ]}
}"#;

fn events() -> &'static [Event] {
    static EVENTS_READ: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS_READ.get_or_init(|| {
        let read = crate::read_document(EVENTS.as_bytes()).expect("the fixture reads");
        let errors: Vec<String> =
            read.problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect();
        assert!(errors.is_empty(), "the fixture has problems: {errors:?}");
        assert_eq!(read.document.events.len(), 8);
        read.document.events
    })
}

fn extensions() -> Vec<(String, String)> {
    vec![("example".to_owned(), "https://ns.example.com/epcis/".to_owned())]
}

/// `a=1&b=2|3` as the decoded pairs a server hands over; a name without `=` has an empty value.
fn pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

fn render(
    query: &str,
    extensions: &[(String, String)],
    restrictions: &[&[&str]],
    events: &[Event],
) -> String {
    let mut parsed = match EventQuery::parse(pairs(query), extensions) {
        Ok(parsed) => parsed,
        Err(e) => return format!("error: {e}"),
    };
    for parties in restrictions {
        parsed.restrict_to_parties(parties.iter().map(|p| (*p).to_owned()).collect());
    }
    let matching: Vec<&str> = events
        .iter()
        .filter(|e| parsed.matches(e))
        .map(|e| e.event_id.as_deref().unwrap_or("?"))
        .map(|id| id.rsplit(':').next().unwrap_or(id))
        .collect();
    let mut out = if matching.is_empty() { "none".to_owned() } else { matching.join(" ") };
    if let Some((by, direction)) = parsed.order() {
        let by = match by {
            OrderBy::EventTime => "eventTime".to_owned(),
            OrderBy::RecordTime => "recordTime".to_owned(),
            OrderBy::Field(name) => format!("{{{}}}{}", name.namespace, name.local),
        };
        let direction = if direction == Direction::Ascending { "ASC" } else { "DESC" };
        out.push_str(&format!("\norder: {by} {direction}"));
    }
    if let Some(n) = parsed.event_count_limit() {
        out.push_str(&format!("\neventCountLimit: {n}"));
    }
    if let Some(n) = parsed.max_event_count() {
        out.push_str(&format!("\nmaxEventCount: {n}"));
    }
    if let Some(ids) = parsed.indexed_epcs() {
        out.push_str(&format!("\nindexed: {}", ids.join(" ")));
    }
    if let Some(ids) = parsed.event_ids() {
        out.push_str(&format!("\neventIDs: {}", ids.join(" ")));
    }
    out
}

#[track_caller]
fn check(query: &str, expect: Expect) {
    expect.assert_eq(&render(query, &extensions(), &[], events()));
}

/// As `check`, with the request's `GS1-Extensions` declarations given.
#[track_caller]
fn check_declared(query: &str, extensions: &[(&str, &str)], expect: Expect) {
    let extensions: Vec<(String, String)> =
        extensions.iter().map(|(p, n)| ((*p).to_owned(), (*n).to_owned())).collect();
    expect.assert_eq(&render(query, &extensions, &[], events()));
}

/// As `check`, after one `restrict_to_parties` call per list.
#[track_caller]
fn check_parties(query: &str, restrictions: &[&[&str]], expect: Expect) {
    expect.assert_eq(&render(query, &extensions(), restrictions, events()));
}

#[test]
fn no_parameters_match_everything() {
    check("", expect!["commission pack ship transform sensor error assoc txn"]);
}

#[test]
fn event_type_and_times() {
    check("eventType=AggregationEvent|TransactionEvent", expect!["pack txn"]);
    check("eventType=TransformationEvent", expect!["transform"]);
    // An extension event type is accepted, and no stored event has one.
    check("eventType=https://ns.example.com/epcis/SpecialEvent", expect!["none"]);
    check("GE_eventTime=2024-02-01T00:00:00Z", expect!["ship transform sensor assoc txn"]);
    check("LT_eventTime=2024-01-10T07:30:00Z", expect!["commission error"]);
    // Instants compare, whatever the offset they are written with.
    check(
        "GE_eventTime=2024-01-10T08:00:00+01:00&LT_eventTime=2024-01-10T07:00:00.001Z",
        expect!["commission error"],
    );
    check(
        "GE_eventTime=2024-02-01T11:30:00Z&LT_eventTime=2024-02-01T11:30:00.001Z",
        expect!["ship"],
    );
    // A `+` that form decoding turned into a space.
    check("LT_eventTime=2024-01-10T08:00:00.001 01:00", expect!["commission error"]);
    check("GE_recordTime=2024-02-01T00:00:00Z", expect!["ship sensor error"]);
    check("LT_recordTime=2024-01-11T00:00:00Z", expect!["commission"]);
}

#[test]
fn action_and_cbv_values() {
    check("EQ_action=OBSERVE|DELETE", expect!["ship sensor error"]);
    check("EQ_action=ADD", expect!["commission pack assoc txn"]);
    // Bare names match values written as URNs and Web URIs, and the other way round.
    check("EQ_bizStep=shipping|receiving", expect!["ship txn"]);
    check("EQ_bizStep=urn:epcglobal:cbv:bizstep:packing", expect!["pack"]);
    check("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-commissioning", expect!["commission"]);
    check("EQ_bizStep=cbv:BizStep-other", expect!["transform"]);
    check("EQ_disposition=in_progress|https://example.com/disp/quarantine", expect!["pack error"]);
    check("EQ_disposition=urn:epcglobal:cbv:disp:active", expect!["commission"]);
    check("EQ_disposition=recalled", expect!["none"]);
    check("EQ_persistentDisposition_set=completeness_verified", expect!["commission"]);
    check(
        "EQ_persistentDisposition_unset=urn:epcglobal:cbv:disp:completeness_inferred",
        expect!["commission"],
    );
    check("EQ_persistentDisposition_unset=completeness_verified", expect!["none"]);
    // A user value written as a CURIE matches its expansion through GS1-Extensions.
    check("EQ_disposition=example:quarantine", expect!["none"]);
    check_declared(
        "EQ_disposition=acme:quarantine",
        &[("acme", "https://example.com/disp/")],
        expect!["error"],
    );
}

#[test]
fn locations_and_transformation_id() {
    // An SGLN EPC URI and the GLN's Digital Link are one location.
    check("EQ_readPoint=urn:epc:id:sgln:0614141.00777.0", expect!["commission pack"]);
    // Unresolved (no master data), WD_ (with descendants) finds the location itself.
    check("WD_readPoint=https://id.gs1.org/414/0614141007776", expect!["commission pack"]);
    check("EQ_bizLocation=urn:epc:id:sgln:0614141.00888.0", expect!["commission ship"]);
    check("WD_bizLocation=urn:epc:id:sgln:0614141.00888.0", expect!["commission ship"]);
    check("EQ_bizLocation=urn:epc:id:sgln:4012345.00000.12", expect!["assoc"]);
    // Another extension of the same GLN is another location.
    check("EQ_bizLocation=urn:epc:id:sgln:4012345.00000.0", expect!["none"]);
    check("EQ_transformationID=https://id.gs1.org/253/0614141123452400", expect!["transform"]);
    check("EQ_transformationID=urn:epc:id:gdti:0614141.12345.401", expect!["none"]);
}

#[test]
fn match_instance_identifiers() {
    // The EPC URI finds the Digital Links of the same SGTIN (childEPCs, a TransactionEvent's
    // epcList), and the history index may serve it.
    check(
        "MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017",
        expect![[r#"
            commission pack txn
            indexed: urn:epc:id:sgtin:0614141.107346.2017"#]],
    );
    // Any domain, convenience alphas and extra attributes: still the same SGTIN.
    check(
        "MATCH_epc=https://example.com/gtin/10614141073464/ser/2018?17=270101",
        expect![[r#"
            commission error
            indexed: https://example.com/gtin/10614141073464/ser/2018?17=270101"#]],
    );
    check("MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*", expect!["commission pack error txn"]);
    // An inputEPCList is not an epcList: the TransformationEvent's 4012345 SGTIN stays out.
    check("MATCH_epc=urn:epc:idpat:sgtin:4012345.*.*", expect!["sensor"]);
    check("MATCH_epc=urn:epc:idpat:sgtin:*.*.*", expect!["commission pack sensor error txn"]);
    check("MATCH_epc=urn:epc:idpat:sscc:*.*", expect!["ship"]);
    check("MATCH_epc=urn:epc:idpat:sgtin:0614141.107347.*", expect!["none"]);
    check(
        "MATCH_parentID=urn:epc:id:sscc:0614141.1234567890",
        expect![[r#"
            pack txn
            indexed: urn:epc:id:sscc:0614141.1234567890"#]],
    );
    // A pattern meets a Digital Link through the pattern's company prefix length.
    check("MATCH_parentID=urn:epc:idpat:sscc:0614141.*", expect!["pack txn"]);
    // A Digital Link has no company prefix length, so it matches by digits: the SSCC whose EPC
    // URI has the 7-digit prefix 0614141 also has the 6 digits 061414 in front. Known limit.
    check("MATCH_parentID=urn:epc:idpat:sscc:061414.*", expect!["pack"]);
    check("MATCH_parentID=urn:epc:idpat:grai:4012345.55555.*", expect!["assoc"]);
    check(
        "MATCH_inputEPC=urn:epc:id:sgtin:4012345.011111.1",
        expect![[r#"
            transform
            indexed: urn:epc:id:sgtin:4012345.011111.1"#]],
    );
    check("MATCH_inputEPC=urn:epc:idpat:sgtin:4012345.011111.*", expect!["transform"]);
    check(
        "MATCH_outputEPC=https://id.gs1.org/01/04012345222227/21/7",
        expect![[r#"
            transform
            indexed: https://id.gs1.org/01/04012345222227/21/7"#]],
    );
    check(
        "MATCH_outputEPC=urn:epc:id:sgtin:4012345.022222.8",
        expect![[r#"
        none
        indexed: urn:epc:id:sgtin:4012345.022222.8"#]],
    );
    check(
        "MATCH_anyEPC=urn:epc:idpat:giai:4012345.*|urn:epc:id:sscc:0614141.1234567890",
        expect!["pack ship assoc txn"],
    );
    check(
        "MATCH_anyEPC=urn:epc:id:sgtin:4012345.022222.7",
        expect![[r#"
            transform
            indexed: urn:epc:id:sgtin:4012345.022222.7"#]],
    );
    // Each exact parameter alone bounds the candidates; the shorter list is handed out, and a
    // parameter with a pattern never is.
    check(
        "MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017|urn:epc:id:sgtin:0614141.107346.2018\
         &MATCH_parentID=urn:epc:id:sscc:0614141.1234567890",
        expect![[r#"
            pack txn
            indexed: urn:epc:id:sscc:0614141.1234567890"#]],
    );
    check(
        "MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*\
         &MATCH_parentID=urn:epc:id:sscc:0614141.1234567890",
        expect![[r#"
            pack txn
            indexed: urn:epc:id:sscc:0614141.1234567890"#]],
    );
    check(
        "MATCH_anyEPC=urn:epc:idpat:sscc:0614141.*|urn:epc:id:sgtin:0614141.107346.2017",
        expect!["commission pack ship txn"],
    );
}

#[test]
fn match_classes() {
    // A GTIN pattern finds its LGTIN classes, the plain GTIN class written as a pattern, and
    // the GTIN's Digital Link.
    check("MATCH_epcClass=urn:epc:idpat:sgtin:4012345.012345.*", expect!["pack ship assoc"]);
    check("MATCH_epcClass=urn:epc:idpat:sgtin:4012345.*.*", expect!["pack ship assoc"]);
    check("MATCH_epcClass=urn:epc:idpat:sgtin:0614141.*.*", expect!["none"]);
    // An exact class is that class only: the lot is part of it.
    check("MATCH_epcClass=urn:epc:class:lgtin:4012345.012345.998877", expect!["pack"]);
    check("MATCH_epcClass=https://id.gs1.org/01/04012345123456/10/998877", expect!["pack"]);
    check("MATCH_epcClass=https://id.gs1.org/01/04012345123456", expect!["ship assoc"]);
    // MATCH_anyEPCClass looks in every quantity list; these classes are in child and plain ones.
    check("MATCH_anyEPCClass=urn:epc:idpat:sgtin:4012345.012345.*", expect!["pack ship assoc"]);
    check("MATCH_inputEPCClass=urn:epc:idpat:sgtin:4012345.011111.*", expect!["transform"]);
    check("MATCH_inputEPCClass=urn:epc:idpat:sgtin:4012345.012345.*", expect!["none"]);
    check("MATCH_outputEPCClass=urn:epc:idpat:sgtin:4012345.*.*", expect!["transform"]);
    check("MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.022222.OUT", expect!["transform"]);
    check("MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.022222.IN", expect!["none"]);
    // A pattern naming a serial names an instance, never a class.
    check("MATCH_epcClass=urn:epc:idpat:sgtin:4012345.012345.998877", expect!["none"]);
}

#[test]
fn quantities() {
    check("EQ_quantity=200|3", expect!["pack assoc"]);
    check("GT_quantity=100", expect!["pack"]);
    check("GE_quantity=100", expect!["pack transform"]);
    check("LT_quantity=1", expect!["transform"]);
    check("LE_quantity=2.5", expect!["ship transform"]);
    // With a unit, only quantities in a unit that converts to it count: 100 GRM is 0.1 KGM.
    check("GE_quantity_KGM=0.1", expect!["ship transform"]);
    check("EQ_quantity_GRM=250|2", expect!["transform"]);
    check("LT_quantity_KGM=0.1", expect!["none"]);
    check("GE_quantity_LTR=0", expect!["none"]);
}

#[test]
fn error_declarations() {
    check("EXISTS_errorDeclaration", expect!["error"]);
    check("EXISTS_errorDeclaration=true", expect!["error"]);
    check(
        "EXISTS_errorDeclaration=false",
        expect!["commission pack ship transform sensor error assoc txn"],
    );
    check("GE_errorDeclarationTime=2024-03-01T11:00:00Z", expect!["error"]);
    check("LT_errorDeclarationTime=2024-03-01T11:00:00Z", expect!["none"]);
    // The query schema's spelling.
    check("LT_errorDeclaration_Time=2024-03-01T11:00:00.001Z", expect!["error"]);
    check("EQ_errorReason=urn:epcglobal:cbv:er:incorrect_data", expect!["error"]);
    check("EQ_errorReason=did_not_occur", expect!["none"]);
    check("EQ_correctiveEventID=urn:test:commission", expect!["error"]);
    check("EQ_correctiveEventID=urn:test:pack", expect!["none"]);
    check(
        "EQ_eventID=urn:test:ship|urn:test:txn",
        expect![[r#"
            ship txn
            eventIDs: urn:test:ship urn:test:txn"#]],
    );
}

#[test]
fn transactions_sources_destinations() {
    // The type in the name is a CBV value in any spelling, and so is the event's.
    check("EQ_bizTransaction_po=urn:epcglobal:cbv:bt:0614141000005:PO-1", expect!["ship txn"]);
    check("EQ_bizTransaction_desadv=urn:epcglobal:cbv:bt:0614141000005:PO-1", expect!["none"]);
    check(
        "EQ_bizTransaction_urn:epcglobal:cbv:btt:desadv=urn:epcglobal:cbv:bt:0614141000005:ASN-9",
        expect!["ship"],
    );
    check("EQ_source_owning_party=https://id.gs1.org/417/0614141000005", expect!["ship"]);
    check("EQ_source_possessing_party=urn:epc:id:pgln:0614141.00000", expect!["none"]);
    check("EQ_destination_owning_party=urn:epc:id:pgln:0614141.00000", expect!["txn"]);
    check("EQ_destination_location=urn:epc:id:sgln:4012345.00000.0", expect!["ship"]);
}

#[test]
fn extension_fields() {
    check("EQ_example:temperature=5.5|12", expect!["commission pack"]);
    // Numbers compare as numbers where both sides are numbers ("n/a" is not).
    check("GT_example:temperature=6", expect!["pack"]);
    check("LE_example:temperature=5.5", expect!["commission"]);
    check("LT_example:temperature=5.50", expect!["none"]);
    // A value that is no number compares as a string, code point by code point.
    check("GE_example:temperature=m", expect!["ship"]);
    // Instants compare as instants.
    check("EQ_example:sealedAt=2024-02-02T08:00:00Z", expect!["txn"]);
    check("LT_example:sealedAt=2024-02-02T08:00:00Z", expect!["none"]);
    check("EXISTS_example:shift", expect!["commission"]);
    check(
        "EXISTS_example:shift=false",
        expect!["commission pack ship transform sensor error assoc txn"],
    );
    // Top-level fields and nested ones are asked for apart.
    check("EQ_example:operator=Ann", expect!["none"]);
    check("EQ_INNER_example:operator=Ann", expect!["commission"]);
    check("EXISTS_INNER_example:shift", expect!["none"]);
    check("EQ_ILMD_example:lot=L42", expect!["commission"]);
    check("GT_ILMD_example:expiry=2026-01-01", expect!["commission"]);
    check("LT_ILMD_example:expiry=2026-01-01", expect!["none"]);
    check("EQ_INNER_ILMD_example:site=Basel", expect!["commission"]);
    check("EXISTS_INNER_ILMD_example:lot", expect!["none"]);
    check("EQ_ERROR_DECLARATION_example:ticket=T-7", expect!["error"]);
    check("EQ_ERROR_DECLARATION_example:ticket=T-8", expect!["none"]);
    check("EXISTS_INNER_ERROR_DECLARATION_example:by", expect!["error"]);
    check("EQ_bizLocation_example:zone=A", expect!["commission"]);
    check("EQ_readPoint_example:zone=A", expect!["none"]);
    check("EQ_INNER_readPoint_example:door=7", expect!["sensor"]);
    check("EQ_SENSORELEMENT_example:note=ok", expect!["sensor"]);
    check("EQ_SENSORMETADATA_example:calibrated=true", expect!["sensor"]);
    check("EQ_SENSORREPORT_example:feature=ambient", expect!["sensor"]);
    check("EQ_SENSORREPORT_example:feature=indoor", expect!["none"]);
}

#[test]
fn extension_field_namespaces() {
    // A prefix the request does not declare matches elements written with that prefix.
    check_declared("EQ_example:temperature=12", &[], expect!["pack"]);
    // A declared prefix matches by namespace, whatever prefix the document used.
    check_declared(
        "EQ_ex:temperature=12",
        &[("ex", "https://ns.example.com/epcis/")],
        expect!["pack"],
    );
    check_declared(
        "EQ_example:temperature=12",
        &[("example", "https://other.example.com/")],
        expect!["none"],
    );
}

/// Master data for the fixture's locations and classes: a site (00888.0) with a child dock
/// (00777.0, the readPoint of "commission", also given as its Digital Link by "pack"), whose
/// own child names the site again (a cycle), and a trade item class. The site is described
/// again as a ReadPoint, without children (these must not hide the BusinessLocation's).
const MASTER: &str = r#"{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
  "epcisHeader": { "epcisMasterData": { "vocabularyList": [
    { "type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
      { "id": "urn:epc:id:sgln:0614141.00888.0",
        "attributes": [ { "id": "urn:epcglobal:cbv:mda:city", "attribute": "Basel" },
                        { "id": "cbvmda:countryCode", "attribute": "CH" } ],
        "children": ["urn:epc:id:sgln:0614141.00777.0"] } ] },
    { "type": "urn:epcglobal:epcis:vtype:ReadPoint", "vocabularyElementList": [
      { "id": "urn:epc:id:sgln:0614141.00888.0",
        "attributes": [ { "id": "urn:epcglobal:cbv:mda:sst", "attribute": "201" } ] },
      { "id": "https://id.gs1.org/414/0614141007776",
        "attributes": [ { "id": "urn:epcglobal:cbv:mda:city", "attribute": "Allschwil" } ],
        "children": ["urn:epc:id:sgln:0614141.00888.0"] } ] },
    { "type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
      { "id": "urn:epc:class:lgtin:4012345.012345.998877",
        "attributes": [ { "id": "urn:epcglobal:cbv:mda#dosageFormType", "attribute": "TABLET" } ] } ] }
  ] } },
  "epcisBody": { "eventList": [] }
}"#;

/// As `render`, with the query's master data resolved against `MASTER` (or nothing).
fn render_with_master(query: &str, with_master: bool) -> String {
    let mut parsed = match EventQuery::parse(pairs(query), &extensions()) {
        Ok(parsed) => parsed,
        Err(e) => return format!("error: {e}"),
    };
    let read = crate::read_document(MASTER.as_bytes()).expect("the master data reads");
    let vocabularies = if with_master { read.document.header.master_data } else { Vec::new() };
    for kind in parsed.master_data_needed() {
        let elements: Vec<&crate::model::VocabularyElement> = vocabularies
            .iter()
            .filter(|v| MasterDataKind::of_vocabulary_type(&v.type_) == Some(kind))
            .flat_map(|v| &v.elements)
            .collect();
        parsed.resolve_master_data(kind, &elements);
    }
    let matching: Vec<&str> = events()
        .iter()
        .filter(|e| parsed.matches(e))
        .map(|e| e.event_id.as_deref().unwrap_or("?"))
        .map(|id| id.rsplit(':').next().unwrap_or(id))
        .collect();
    let needed = format!("{:?}", parsed.master_data_needed());
    if matching.is_empty() {
        format!("none {needed}")
    } else {
        format!("{} {needed}", matching.join(" "))
    }
}

#[test]
fn master_data_parameters() {
    let check = |query: &str, expect: Expect| expect.assert_eq(&render_with_master(query, true));
    // WD_: the site, its child dock (in either form), and the cycle back ends there.
    check("WD_bizLocation=urn:epc:id:sgln:0614141.00888.0", expect!["commission ship [Location]"]);
    check(
        "WD_readPoint=https://id.gs1.org/414/0614141008889",
        expect!["commission pack [Location]"],
    );
    // HASATTR_: names compare with the standard prefix expanded on either side.
    check("HASATTR_bizLocation=cbvmda:countryCode", expect!["commission ship [Location]"]);
    check("HASATTR_bizLocation=urn:epcglobal:cbv:mda:city", expect!["commission ship [Location]"]);
    check("HASATTR_readPoint=cbvmda:city", expect!["commission pack [Location]"]);
    check("HASATTR_bizLocation=cbvmda:streetAddressOne", expect!["none [Location]"]);
    // EQ_ATTR_: the attribute's value, any of the listed ones.
    check("EQ_ATTR_bizLocation_cbvmda:city=Basel|Zurich", expect!["commission ship [Location]"]);
    check(
        "EQ_ATTR_readPoint_urn:epcglobal:cbv:mda:city=Allschwil",
        expect!["commission pack [Location]"],
    );
    check("EQ_ATTR_readPoint_cbvmda:city=Basel", expect!["none [Location]"]);
    check(
        "EQ_ATTR_epcClass_urn:epcglobal:cbv:mda#dosageFormType=TABLET",
        expect!["pack [EpcClass]"],
    );
    // Combined with other parameters (AND), and both kinds at once.
    check("HASATTR_bizLocation=cbvmda:city&EQ_bizStep=shipping", expect!["ship [Location]"]);
    check(
        "HASATTR_readPoint=cbvmda:city&HASATTR_epcClass=urn:epcglobal:cbv:mda#dosageFormType",
        expect!["pack [Location, EpcClass]"],
    );
    // Refused: a field without master data, a missing attribute name, no value.
    check(
        "HASATTR_bizStep=cbvmda:city",
        expect![[
            r#"error: HASATTR_bizStep: "bizStep" is not a field with master data here (readPoint, bizLocation, epcClass)"#
        ]],
    );
    check(
        "EQ_ATTR_bizLocation=Basel",
        expect![
            "error: EQ_ATTR_bizLocation: needs a field and an attribute name: EQ_ATTR_field_attribute"
        ],
    );
    check("HASATTR_bizLocation=", expect!["error: HASATTR_bizLocation: needs a value"]);
}

#[test]
fn master_data_parameters_without_master_data() {
    let check = |query: &str, expect: Expect| expect.assert_eq(&render_with_master(query, false));
    // No hierarchy known: WD_ finds the location itself, as EQ_ does; no element has an
    // attribute, so HASATTR_ and EQ_ATTR_ find nothing.
    check(
        "WD_readPoint=https://id.gs1.org/414/0614141007776",
        expect!["commission pack [Location]"],
    );
    check("WD_bizLocation=urn:epc:id:sgln:0614141.00888.0", expect!["commission ship [Location]"]);
    check("HASATTR_bizLocation=cbvmda:city", expect!["none [Location]"]);
    check("EQ_ATTR_bizLocation_cbvmda:city=Basel", expect!["none [Location]"]);
}

#[test]
fn sensor_attributes() {
    check("EXISTS_sensorElementList", expect!["sensor"]);
    check("EXISTS_sensorElement=true", expect!["sensor"]);
    check("GE_time=2024-02-10T13:05:00Z", expect!["sensor"]);
    check("LT_time=2024-02-10T13:05:00Z", expect!["none"]);
    check(
        "GE_startTime=2024-02-10T12:00:00Z&LT_endTime=2024-02-10T13:00:00.001Z",
        expect!["sensor"],
    );
    check("LT_startTime=2024-02-10T12:00:00Z", expect!["none"]);
    check("GE_endTime=2024-02-10T13:00:00.001Z", expect!["none"]);
    // Measurement types are GS1 Web Vocabulary terms, bare, as `gs1:` CURIEs or as URIs.
    check("EQ_type=Temperature", expect!["sensor"]);
    check("EQ_type=https://gs1.org/voc/RelativeHumidity", expect!["sensor"]);
    check("EQ_type=Pressure", expect!["none"]);
    // Device identifiers compare canonically, in metadata or in any report.
    check("EQ_deviceID=https://id.gs1.org/8004/4000001222", expect!["sensor"]);
    check("EQ_deviceID=urn:epc:id:giai:4000001.333", expect!["none"]);
    check("EQ_deviceMetadata=urn:epc:id:giai:4000001.111", expect!["sensor"]);
    check("EQ_rawData=https://example.org/raw/1", expect!["sensor"]);
    check("EQ_dataProcessingMethod=https://example.com/method/avg", expect!["sensor"]);
    check("EQ_bizRules=https://example.com/rules/cold", expect!["sensor"]);
    check("EQ_bizRules=https://example.com/rules/warm", expect!["none"]);
    check("EQ_microorganism=https://www.ncbi.nlm.nih.gov/taxonomy/1126011", expect!["sensor"]);
    check(
        "EQ_chemicalSubstance=https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N",
        expect!["sensor"],
    );
    check("EQ_stringValue=SEALED", expect!["sensor"]);
    check("EQ_stringValue=sealed", expect!["none"]);
    check("EQ_hexBinaryValue=0a1b", expect!["sensor"]);
    check("EQ_uriValue=https://example.com/seal/9", expect!["sensor"]);
    check("EQ_booleanValue=true", expect!["sensor"]);
    check("EQ_booleanValue=false", expect!["none"]);
    check("GE_percRank=50", expect!["sensor"]);
    check("GT_percRank=50", expect!["none"]);
    check("LT_percRank=51&LE_percRank=50", expect!["sensor"]);
}

#[test]
fn sensor_measurements_with_units() {
    check("GE_value_CEL=26", expect!["sensor"]);
    check("GT_value_CEL=26", expect!["none"]);
    // 26 degrees Celsius are 299.15 K and 78.8 degrees Fahrenheit.
    check("EQ_value_KEL=299.15|0", expect!["sensor"]);
    check("GE_value_FAH=78.8", expect!["sensor"]);
    check("GE_value_FAH=79", expect!["none"]);
    // 60 percent relative humidity is 0.6 of one.
    check("EQ_value_C62=0.6", expect!["sensor"]);
    check("LT_value_P1=60", expect!["none"]);
    check("GE_minValue_CEL=24.5", expect!["sensor"]);
    check("LT_maxValue_KEL=300.15", expect!["none"]);
    check("LE_maxValue_KEL=300.15", expect!["sensor"]);
    check("GE_meanValue_CEL=25.8", expect!["sensor"]);
    check("GT_meanValue_CEL=25.8", expect!["none"]);
    // A spread converts without the offset between scales: 0.5 degrees Celsius are 0.5 K.
    check("LT_sDev_KEL=1", expect!["sensor"]);
    check("GT_sDev_KEL=0.5", expect!["none"]);
    check("GE_percValue_CEL=26.1", expect!["sensor"]);
    // Another dimension, or a unit outside the conversion table, compares with nothing.
    check("GE_value_KGM=0", expect!["none"]);
    check("GE_value_XYZ=0", expect!["none"]);
}

#[test]
fn order_and_limits() {
    check(
        "orderBy=eventTime",
        expect![[r#"
            commission pack ship transform sensor error assoc txn
            order: eventTime DESC"#]],
    );
    check(
        "EQ_bizStep=shipping&orderBy=recordTime&orderDirection=ASC&eventCountLimit=2",
        expect![[r#"
            ship
            order: recordTime ASC
            eventCountLimit: 2"#]],
    );
    check(
        "orderBy=example:temperature&orderDirection=DESC&maxEventCount=100&eventType=AssociationEvent",
        expect![[r#"
            assoc
            order: {https://ns.example.com/epcis/}temperature DESC
            maxEventCount: 100"#]],
    );
    // orderDirection orders only with orderBy.
    check("orderDirection=ASC&eventType=AssociationEvent", expect!["assoc"]);
}

#[test]
fn order_keys() {
    let keys = |order_by: &str| -> String {
        let parsed =
            EventQuery::parse([("orderBy", order_by)], &extensions()).expect("the orderBy parses");
        let (by, _) = parsed.order().expect("orderBy gives an order");
        events()
            .iter()
            .map(|e| {
                let label =
                    e.event_id.as_deref().and_then(|id| id.rsplit(':').next()).unwrap_or("?");
                format!("{label} {:?}", by.key(e))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    expect![[r#"
        commission Some(Number(5.5))
        pack Some(Number(12.0))
        ship Some(Text("n/a"))
        transform None
        sensor None
        error None
        assoc None
        txn None"#]]
    .assert_eq(&keys("example:temperature"));
    expect![[r#"
        commission Some(Time(1704877200000))
        pack Some(Time(1704967500000))
        ship Some(Time(1706788800000))
        transform None
        sensor Some(Time(1707573660000))
        error Some(Time(1709294400000))
        assoc None
        txn None"#]]
    .assert_eq(&keys("recordTime"));
}

#[test]
fn parse_errors() {
    check(
        "EQ_colour=red",
        expect!["error: EQ_colour: is not a query parameter of the EPCIS 2.0 simple event query"],
    );
    check(
        "perPage=10",
        expect!["error: perPage: is not a query parameter of the EPCIS 2.0 simple event query"],
    );
    check(
        "GE_eventTime=yesterday",
        expect![
            r#"error: GE_eventTime: "yesterday" is not an RFC 3339 date-time with a time zone (2024-01-31T09:00:00Z)"#
        ],
    );
    check(
        "LT_recordTime=2024-01-01T00:00:00",
        expect![
            r#"error: LT_recordTime: "2024-01-01T00:00:00" is not an RFC 3339 date-time with a time zone (2024-01-31T09:00:00Z)"#
        ],
    );
    check("GE_time=", expect!["error: GE_time: needs a value"]);
    check("maxEventCount=ten", expect![r#"error: maxEventCount: "ten" is not a positive integer"#]);
    check("maxEventCount=0", expect![r#"error: maxEventCount: "0" is not a positive integer"#]);
    check(
        "orderBy=eventTime&eventCountLimit=-1",
        expect![r#"error: eventCountLimit: "-1" is not a positive integer"#],
    );
    check(
        "orderBy=eventTime&eventCountLimit=1&maxEventCount=5",
        expect![
            "error: eventCountLimit: cannot be combined with maxEventCount (the standard makes them exclusive)"
        ],
    );
    check(
        "eventCountLimit=1",
        expect!["error: eventCountLimit: needs orderBy, which says which events come first"],
    );
    check(
        "EQ_bizStep=shipping&EQ_bizStep=receiving",
        expect![
            "error: EQ_bizStep: is given more than once (list several values in one parameter, separated by |)"
        ],
    );
    check(
        "GE_errorDeclarationTime=2024-01-01T00:00:00Z&GE_errorDeclaration_Time=2024-01-01T00:00:00Z",
        expect![
            "error: GE_errorDeclaration_Time: is given more than once (list several values in one parameter, separated by |)"
        ],
    );
    check("EQ_bizStep=", expect!["error: EQ_bizStep: needs a value"]);
    check(
        "EQ_bizStep=shipping||receiving",
        expect!["error: EQ_bizStep: has an empty value in its |-separated list"],
    );
    check(
        "EQ_bizStep=shiping",
        expect![r#"error: EQ_bizStep: "shiping" is neither a CBV bizStep nor a URI"#],
    );
    check(
        "EQ_source_owner=urn:epc:id:pgln:0614141.00000",
        expect![
            r#"error: EQ_source_owner: "owner" is neither a CBV source/destination type nor a URI"#
        ],
    );
    check(
        "EQ_destination_=urn:epc:id:pgln:0614141.00000",
        expect!["error: EQ_destination_: needs a type after EQ_destination_"],
    );
    check(
        "EQ_action=SHIP",
        expect![r#"error: EQ_action: "SHIP" is not an action (ADD, OBSERVE or DELETE)"#],
    );
    check(
        "eventType=ObjectEvnt",
        expect![
            r#"error: eventType: "ObjectEvnt" is not an event type (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent or a URI)"#
        ],
    );
    check(
        "MATCH_epc=urn:epc:idpat:sgtin:0614141.*.400",
        expect![
            r#"error: MATCH_epc: "urn:epc:idpat:sgtin:0614141.*.400" may have wildcards only as whole fields at the end"#
        ],
    );
    check(
        "MATCH_epc=urn:epc:idpat:sgtin:0614141.107346",
        expect![
            r#"error: MATCH_epc: "urn:epc:idpat:sgtin:0614141.107346" needs 3 fields for sgtin, separated by dots"#
        ],
    );
    check(
        "MATCH_epc=urn:epc:idpat:sgtin:06141.107346.*",
        expect![
            r#"error: MATCH_epc: "urn:epc:idpat:sgtin:06141.107346.*" needs a company prefix of 6 to 12 digits (or *)"#
        ],
    );
    check(
        "MATCH_anyEPC=urn:epc:idpat:widget:1.*",
        expect![
            r#"error: MATCH_anyEPC: "urn:epc:idpat:widget:1.*" names no EPC scheme this repository knows ("widget")"#
        ],
    );
    check(
        "MATCH_epc=urn:epc:pat:sgtin-96:3.0614141.112345.*",
        expect![
            r#"error: MATCH_epc: "urn:epc:pat:sgtin-96:3.0614141.112345.*" is a tag pattern; MATCH_ parameters take pure identity patterns (urn:epc:idpat:...)"#
        ],
    );
    check(
        "GE_value=26",
        expect![
            "error: GE_value: needs a unit of measure: GE_value_<UN/ECE Rec 20 code>, e.g. _CEL"
        ],
    );
    check("GE_quantity=lots", expect![r#"error: GE_quantity: "lots" is not a number"#]);
    check("EQ_quantity_KGM=1|x", expect![r#"error: EQ_quantity_KGM: "x" is not a number"#]);
    check("orderDirection=UP", expect!["error: orderDirection: must be ASC or DESC"]);
    check(
        "orderBy=acme:priority",
        expect![
            r#"error: orderBy: the prefix of "acme:priority" is not declared in the GS1-Extensions header"#
        ],
    );
    check(
        "orderBy=priority",
        expect![
            r#"error: orderBy: "priority" is neither eventTime, recordTime nor an extension field prefix:name"#
        ],
    );
    check("EQ_booleanValue=yes", expect![r#"error: EQ_booleanValue: "yes" is not true or false"#]);
    check(
        "EXISTS_errorDeclaration=maybe",
        expect![r#"error: EXISTS_errorDeclaration: "maybe" is not true or false"#],
    );
    check(
        "EQ_example:=1",
        expect![r#"error: EQ_example:: "example:" is not an extension field prefix:name"#],
    );
}

#[test]
fn values_are_bounded() {
    let many = vec!["urn:test:x"; VALUES_MAX + 1].join("|");
    let at_most = vec!["urn:test:x"; VALUES_MAX].join("|");
    check(
        &format!("EQ_eventID={many}"),
        expect!["error: EQ_eventID: lists more than 10000 values"],
    );
    let parsed = EventQuery::parse([("EQ_eventID", at_most.as_str())], &[]);
    assert_eq!(parsed.map(|q| q.event_ids().map(<[String]>::len)), Ok(Some(VALUES_MAX)));
}

#[test]
fn party_restriction() {
    // A bare GLN names its party's SGLNs of any extension, PGLN URIs and Digital Links.
    check_parties("", &[&["0614141000005"]], expect!["ship error txn"]);
    check_parties("", &[&["https://id.gs1.org/417/0614141000005"]], expect!["ship error txn"]);
    check_parties("", &[&["https://id.gs1.org/414/4012345000009"]], expect!["ship sensor assoc"]);
    check_parties("", &[&["urn:epc:id:sgln:0614141.00777.0"]], expect!["commission pack"]);
    check_parties(
        "",
        &[&["urn:epc:id:sgln:0614141.00777.0", "https://example.com/party/acme"]],
        expect!["commission pack assoc"],
    );
    check_parties("", &[&["urn:epc:id:pgln:9999999.00000"]], expect!["none"]);
    check_parties("", &[&[]], expect!["none"]);
    // Restrictions add up, and combine with the query's own parameters.
    check_parties("", &[&["0614141000005"], &["4012345000009"]], expect!["ship"]);
    check_parties("EQ_action=ADD", &[&["0614141000005"]], expect!["txn"]);
}

#[test]
fn events_read_from_xml() {
    let xml = r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"
        xmlns:example="https://ns.example.com/epcis/" schemaVersion="2.0"
        creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>
        <ObjectEvent>
          <eventTime>2024-01-10T08:00:00.000+01:00</eventTime>
          <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
          <eventID>urn:test:xml</eventID>
          <epcList><epc>https://id.gs1.org/01/10614141073464/21/2017</epc></epcList>
          <action>OBSERVE</action>
          <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
          <example:temperature>7</example:temperature>
        </ObjectEvent>
        </EventList></EPCISBody></epcis:EPCISDocument>"#;
    let read = crate::read_document(xml.as_bytes()).expect("the XML document reads");
    let events = &read.document.events;
    let run = |query: &str| render(query, &extensions(), &[], events);
    expect!["xml"].assert_eq(&run(
        "EQ_bizStep=shipping&GE_example:temperature=7&MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*",
    ));
    expect!["none"].assert_eq(&run("GT_example:temperature=7"));
}

#[test]
fn patterns_treat_epc_uris_and_digital_links_alike() {
    // Each identifier twice: as an EPC URI and as a Digital Link (canonical, or not).
    let twins = [
        (
            "sgtin",
            "urn:epc:id:sgtin:0614141.107346.2017",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        (
            "sgtin2",
            "urn:epc:id:sgtin:0614141.107346.2018",
            "https://example.com/gtin/10614141073464/ser/2018",
        ),
        ("sscc", "urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
        ("sgln", "urn:epc:id:sgln:0614141.00777.12", "https://id.gs1.org/414/0614141007776/254/12"),
        ("gln", "urn:epc:id:sgln:0614141.00777.0", "https://id.gs1.org/414/0614141007776"),
        ("giai", "urn:epc:id:giai:4012345.ABC", "https://id.gs1.org/8004/4012345ABC"),
        ("grai", "urn:epc:id:grai:4012345.55555.1", "https://id.gs1.org/8003/040123455555541"),
        ("gdti", "urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400"),
    ];
    let event = |label: String, epc: &str| Event {
        event_type: Some(crate::model::EventType::ObjectEvent),
        event_id: Some(label),
        epc_list: vec![epc.to_owned()],
        ..Event::default()
    };
    let events: Vec<Event> = twins
        .iter()
        .flat_map(|(name, urn, dl)| {
            [event(format!("urn:test:{name}-urn"), urn), event(format!("urn:test:{name}-dl"), dl)]
        })
        .collect();
    let patterns = [
        "urn:epc:idpat:sgtin:0614141.107346.*",
        "urn:epc:idpat:sgtin:0614141.*.*",
        "urn:epc:idpat:sgtin:*.*.*",
        "urn:epc:idpat:sscc:0614141.*",
        "urn:epc:idpat:sgln:0614141.00777.*",
        "urn:epc:idpat:sgln:0614141.*.*",
        "urn:epc:idpat:sgln:0614141.00778.*",
        "urn:epc:idpat:giai:4012345.*",
        "urn:epc:idpat:grai:4012345.55555.*",
        "urn:epc:idpat:grai:4012345.55556.*",
        "urn:epc:idpat:gdti:0614141.12345.*",
        "urn:epc:idpat:gdti:0614141.12345.400",
    ];
    let mut out = String::new();
    for pattern in patterns {
        let parsed = EventQuery::parse([("MATCH_epc", pattern)], &[]).expect("the pattern parses");
        for pair in events.chunks(2) {
            assert_eq!(
                parsed.matches(&pair[0]),
                parsed.matches(&pair[1]),
                "{pattern} treats {:?} and {:?} differently",
                pair[0].epc_list,
                pair[1].epc_list
            );
        }
        out.push_str(&format!(
            "{pattern}: {}\n",
            render(&format!("MATCH_epc={pattern}"), &[], &[], &events)
        ));
    }
    expect![[r#"
        urn:epc:idpat:sgtin:0614141.107346.*: sgtin-urn sgtin-dl sgtin2-urn sgtin2-dl
        urn:epc:idpat:sgtin:0614141.*.*: sgtin-urn sgtin-dl sgtin2-urn sgtin2-dl
        urn:epc:idpat:sgtin:*.*.*: sgtin-urn sgtin-dl sgtin2-urn sgtin2-dl
        urn:epc:idpat:sscc:0614141.*: sscc-urn sscc-dl
        urn:epc:idpat:sgln:0614141.00777.*: sgln-urn sgln-dl gln-urn gln-dl
        urn:epc:idpat:sgln:0614141.*.*: sgln-urn sgln-dl gln-urn gln-dl
        urn:epc:idpat:sgln:0614141.00778.*: none
        urn:epc:idpat:giai:4012345.*: giai-urn giai-dl
        urn:epc:idpat:grai:4012345.55555.*: grai-urn grai-dl
        urn:epc:idpat:grai:4012345.55556.*: none
        urn:epc:idpat:gdti:0614141.12345.*: gdti-urn gdti-dl
        urn:epc:idpat:gdti:0614141.12345.400: gdti-urn gdti-dl
    "#]]
    .assert_eq(&out);
}
