//! Unit tests of the validation rules: each case is one JSON-LD event, read and validated as the
//! `serialhub epcis validate` command does, so reader and validator problems show together.

use expect_test::{Expect, expect};
use serde_json::Value;

use super::{EventLocation, Validator, validate_event};
use crate::model::{Event, EventType};
use crate::problem::{Problem, Where};
use crate::read::{Collect, Limits, read_slice};

/// A valid ObjectEvent; each case overrides its members (`null` removes one).
const BASE: &str = r#"{
    "type": "ObjectEvent",
    "eventTime": "2020-06-01T10:00:00.000+02:00",
    "eventTimeZoneOffset": "+02:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]
}"#;

const EVENT: &str = "/epcisBody/eventList/0";

fn document(event: Value, top: &[(&str, Value)]) -> Vec<u8> {
    let mut doc = serde_json::json!({
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            { "ex": "https://example.com/ext/" }
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2020-06-01T10:00:00Z",
        "epcisBody": { "eventList": [event] }
    });
    let members = doc.as_object_mut().expect("the document is an object");
    // The body goes last, so that the header is complete before the events stream.
    let body = members.remove("epcisBody");
    for (key, value) in top {
        if value.is_null() {
            members.remove(*key);
        } else {
            members.insert((*key).to_owned(), value.clone());
        }
    }
    if let Some(body) = body {
        members.insert("epcisBody".to_owned(), body);
    }
    serde_json::to_vec(&doc).expect("a JSON value serialises")
}

fn run(bytes: &[u8]) -> String {
    let mut validator = Validator::default();
    if let Err(e) = read_slice(bytes, &Limits::default(), &mut validator) {
        return format!("read error: {e}\n");
    }
    let collect: Collect = validator.into_inner();
    render(&collect.problems)
}

fn render(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "ok\n".to_owned();
    }
    problems
        .iter()
        .map(|p| {
            let at = p.location.to_string();
            let at = at.strip_prefix(EVENT).unwrap_or(&at);
            let warning = if p.is_error() { "" } else { "warning: " };
            format!("{at} {}: {warning}{}\n", p.code, p.message)
        })
        .collect()
}

/// `input`'s members over `BASE`, as the one event of a document.
#[track_caller]
fn check(input: &str, expect: Expect) {
    let mut event: Value = serde_json::from_str(BASE).expect("BASE is JSON");
    let overrides: Value = serde_json::from_str(input).expect("the case is JSON");
    if let (Some(event), Some(overrides)) = (event.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            if value.is_null() {
                event.remove(key);
            } else {
                event.insert(key.clone(), value.clone());
            }
        }
    }
    expect.assert_eq(&run(&document(event, &[])));
}

/// `input`'s members over the document's (`null` removes one), around the `BASE` event.
#[track_caller]
fn check_header(input: &str, expect: Expect) {
    let overrides: Value = serde_json::from_str(input).expect("the case is JSON");
    let top: Vec<(&str, Value)> = overrides
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v.clone())).collect())
        .unwrap_or_default();
    let event = serde_json::from_str(BASE).expect("BASE is JSON");
    expect.assert_eq(&run(&document(event, &top)));
}

/// An ObjectEvent in XML with `fields` after its eventTimeZoneOffset (in the XSD's order), as
/// the one event of a 2.0 document. Locations are the event's line and column.
#[track_caller]
fn check_xml(fields: &str, expect: Expect) {
    let event = format!(
        "<ObjectEvent><eventTime>2020-06-01T10:00:00.000+02:00</eventTime>\
         <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>{fields}</ObjectEvent>"
    );
    check_xml_event("2.0", &event, expect);
}

/// `event` in XML as the one event of a document of `schema_version` (2.0 or 1.2).
#[track_caller]
fn check_xml_event(schema_version: &str, event: &str, expect: Expect) {
    let namespace = if schema_version.starts_with("1.") { "1" } else { "2" };
    let doc = format!(
        "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:{namespace}\" \
         schemaVersion=\"{schema_version}\" creationDate=\"2020-06-01T10:00:00Z\"><EPCISBody>\n\
         <EventList>{event}</EventList></EPCISBody></epcis:EPCISDocument>"
    );
    expect.assert_eq(&run(doc.as_bytes()));
}

/// The base event's epcList and action in XML.
const XML_WHAT: &str =
    "<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>OBSERVE</action>";

#[test]
fn base_event_is_valid() {
    check(
        "{}",
        expect![[r#"
        ok
    "#]],
    );
}

// Times.

#[test]
fn event_time() {
    check(
        r#"{"eventTime": null}"#,
        expect![[r#"
        /eventTime required: eventTime is missing
    "#]],
    );
    check(
        r#"{"eventTime": "22-07-2026"}"#,
        expect![[r#"
        /eventTime date_time: eventTime "22-07-2026" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
    check(
        r#"{"eventTime": "2020-06-01T10:00:00"}"#,
        expect![[r#"
        /eventTime date_time: eventTime "2020-06-01T10:00:00" has no time zone offset (Z or ±hh:mm)
    "#]],
    );
    check(
        r#"{"eventTime": "2020-06-01t10:00:00z"}"#,
        expect![[r#"
            /eventTime date_time: warning: eventTime "2020-06-01t10:00:00z" has a lower-case t or z, which xsd:dateTime does not allow
        "#]],
    );
    check(
        r#"{"eventTime": "2020-02-30T10:00:00Z"}"#,
        expect![[r#"
        /eventTime date_time: eventTime "2020-02-30T10:00:00Z" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
    check(
        r#"{"eventTime": "2020-06-01T24:00:00Z"}"#,
        expect![[r#"
            /eventTime date_time: eventTime "2020-06-01T24:00:00Z" has the hour 24 (00:00:00 of the next day is meant)
        "#]],
    );
    check(
        r#"{"eventTime": "2020-06-01T10:00:00+14:30"}"#,
        expect![[r#"
            /eventTime date_time: warning: eventTime "2020-06-01T10:00:00+14:30" has a time zone offset beyond ±14:00
        "#]],
    );
    check(
        r#"{"eventTime": "2020-06-01T10:00:00.123456789-14:00"}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        r#"{"eventTime": 20200601}"#,
        expect![[r#"
        /eventTime type: expected a string, found a number
    "#]],
    );
}

#[test]
fn event_time_zone_offset() {
    check(
        r#"{"eventTimeZoneOffset": null}"#,
        expect![[r#"
        /eventTimeZoneOffset required: the event has no eventTimeZoneOffset
    "#]],
    );
    check(
        r#"{"eventTimeZoneOffset": "+2:00"}"#,
        expect![[r#"
        /eventTimeZoneOffset time_zone_offset: eventTimeZoneOffset "+2:00" is not ±hh:mm between -14:00 and +14:00
    "#]],
    );
    check(
        r#"{"eventTimeZoneOffset": "Z"}"#,
        expect![[r#"
        /eventTimeZoneOffset time_zone_offset: eventTimeZoneOffset "Z" is not ±hh:mm between -14:00 and +14:00
    "#]],
    );
    check(
        r#"{"eventTimeZoneOffset": "-14:01"}"#,
        expect![[r#"
        /eventTimeZoneOffset time_zone_offset: eventTimeZoneOffset "-14:01" is not ±hh:mm between -14:00 and +14:00
    "#]],
    );
}

#[test]
fn record_time_and_declaration_time() {
    check(
        r#"{"recordTime": "yesterday"}"#,
        expect![[r#"
        /recordTime date_time: recordTime "yesterday" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
    check(
        r#"{"errorDeclaration": {"declarationTime": "2020-06-01T10:00Z", "reason": "incorrect_data"}}"#,
        expect![[r#"
            /errorDeclaration/declarationTime date_time: declarationTime "2020-06-01T10:00Z" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
        "#]],
    );
    // The reader reports the missing member at its object; the validator does not repeat it.
    check(
        r#"{"errorDeclaration": {"reason": "incorrect_data"}}"#,
        expect![[r#"
        /errorDeclaration required: errorDeclaration needs declarationTime
    "#]],
    );
    check(
        r#"{"errorDeclaration": {"declarationTime": "2020-06-01T10:00:00Z", "reason": "mistake", "correctiveEventIDs": ["not a uri"]}}"#,
        expect![[r#"
            /errorDeclaration/reason error_reason: non-standard reason: "mistake" is neither a CBV 2.0 value nor an extension URI
            /errorDeclaration/correctiveEventIDs/0 uri: correctiveEventID "not a uri" is not an absolute URI
        "#]],
    );
}

// Identifiers.

#[test]
fn event_id_and_certification_info() {
    check(
        r#"{"eventID": "ni:///sha-256;abc?ver=CBV2.0", "certificationInfo": "https://cert.example.com/1"}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        r#"{"eventID": "1234"}"#,
        expect![[r#"
        /eventID uri: eventID "1234" is not an absolute URI
    "#]],
    );
    check(
        r#"{"certificationInfo": ["https://a.example.com/", "b c:d"]}"#,
        expect![[r#"
        /certificationInfo/1 uri: certificationInfo "b c:d" is not an absolute URI
    "#]],
    );
}

#[test]
fn epc_list() {
    check(
        r#"{"epcList": ["urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/01/09521141012345/21/2017", "urn:epc:id:gid:95100000.12345.400", "https://example.com/things/1"]}"#,
        expect![[r#"
            ok
        "#]],
    );
    check(
        r#"{"epcList": ["urn:epc:id:sgtin:0614141.107346"]}"#,
        expect![[r#"
        /epcList/0 epc: epcList "urn:epc:id:sgtin:0614141.107346" is not a valid EPC URI: epc uri: expected 3 components separated by '.', found 2 (position 31)
    "#]],
    );
    check(
        r#"{"epcList": ["https://id.gs1.org/01/09521141012346/21/2017"]}"#,
        expect![[r#"
        /epcList/0 epc: epcList "https://id.gs1.org/01/09521141012346/21/2017" is not a valid GS1 Digital Link URI: AI (01): incorrect check digit "6" (position 35)
    "#]],
    );
    check(
        r#"{"epcList": ["urn:epc:class:lgtin:4012345.012345.998877"]}"#,
        expect![[r#"
        /epcList/0 epc: epcList "urn:epc:class:lgtin:4012345.012345.998877" is an EPC class, not the identifier of one object
    "#]],
    );
    check(
        r#"{"epcList": ["urn:epc:idpat:sgtin:4012345.012345.*"]}"#,
        expect![[r#"
        /epcList/0 epc: epcList "urn:epc:idpat:sgtin:4012345.012345.*" is an EPC pattern, not the identifier of one object
    "#]],
    );
    check(
        r#"{"epcList": ["urn:epc:tag:sgtin-96:3.0614141.107346.2017"]}"#,
        expect![[r#"
        /epcList/0 epc: epcList "urn:epc:tag:sgtin-96:3.0614141.107346.2017" is not a valid EPC URI: epc uri: "urn:epc:tag:" uris are not supported, only pure identity "urn:epc:id:" and class "urn:epc:class:" uris (position 8)
    "#]],
    );
    check(
        r#"{"epcList": ["0614141.107346.2017"]}"#,
        expect![[r#"
        /epcList/0 uri: epcList "0614141.107346.2017" is not an absolute URI
    "#]],
    );
    check(
        r#"{"epcList": ["urn:epc:id:sgtin:0614141.107346.1", "urn:epc:id:sgtin:0614141.107346.1"]}"#,
        expect![[r#"
            /epcList/1 duplicate: epcList lists "urn:epc:id:sgtin:0614141.107346.1" twice
        "#]],
    );
}

#[test]
fn quantity_list() {
    check(
        r#"{"epcList": null, "quantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200, "uom": "KGM"},
            {"epcClass": "urn:epc:idpat:sgtin:4012345.012345.*", "quantity": 2.5},
            {"epcClass": "https://id.gs1.org/01/04012345123456/10/L1"},
            {"epcClass": "https://example.com/classes/7", "quantity": 1e3}
        ]}"#,
        expect![[r#"
            ok
        "#]],
    );
    check(
        r#"{"quantityList": [
            {"epcClass": "urn:epc:id:sgtin:4012345.012345.1", "quantity": 1},
            {"epcClass": "urn:epc:idpat:sgtin:4012345.012345", "quantity": 1},
            {"epcClass": "urn:epc:idpat:sgtin:4012345.01234.*", "quantity": 1},
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "uom": "KGM"},
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 5, "uom": "kg"}
        ]}"#,
        expect![[r#"
            /quantityList/0/epcClass epc: epcClass "urn:epc:id:sgtin:4012345.012345.1" is the EPC of one object; epcClass needs a class (urn:epc:class:lgtin:, urn:epc:idpat:, or a GS1 Digital Link)
            /quantityList/1/epcClass epc: epcClass "urn:epc:idpat:sgtin:4012345.012345" is not an EPC class pattern: it must end with ".*"
            /quantityList/2/epcClass epc: epcClass "urn:epc:idpat:sgtin:4012345.01234.*" is not a valid EPC pattern: item reference and indicator is 5 digits, expected 6 with a 7-digit company prefix (position 28)
            /quantityList/3/uom not_allowed: warning: uom "KGM" is given without a quantity
            /quantityList/4/uom uom: uom "kg" is not a UN/ECE Recommendation 20 code (2 or 3 of A-Z, 0-9)
        "#]],
    );
    // The reader reports a quantity given as a string; the validator does not repeat it.
    check(
        r#"{"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": "twenty"}]}"#,
        expect![[r#"
        /quantityList/0/quantity type: expected a number, found the string "twenty"
    "#]],
    );
    check(
        r#"{"quantityList": [{"quantity": 1}]}"#,
        expect![[r#"
        /quantityList/0 required: quantityElement needs epcClass
    "#]],
    );
}

#[test]
fn locations_and_parties() {
    check(
        r#"{"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"}, "bizLocation": {"id": "https://id.gs1.org/414/9521141000007/254/1"},
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00000"}],
            "destinationList": [{"type": "https://ref.gs1.org/cbv/SDT-location", "destination": "https://example.com/sites/9"}]}"#,
        expect![[r#"
            ok
        "#]],
    );
    check(
        r#"{"readPoint": {"id": "urn:epc:id:sgln:0614141.07346"}, "bizLocation": {"id": "warehouse 7"},
            "sourceList": [{"type": "place", "source": "urn:epc:id:sgln:0614141.07346.0"}],
            "destinationList": [{"type": "https://ref.gs1.org/cbv/SDT-buyer", "destination": "urn:epc:id:pgln:0614141.0000"}]}"#,
        expect![[r#"
            /readPoint/id epc: readPoint "urn:epc:id:sgln:0614141.07346" is not a valid EPC URI: epc uri: expected 3 components separated by '.', found 2 (position 29)
            /bizLocation/id uri: bizLocation "warehouse 7" is not an absolute URI
            /sourceList/0/type source_dest_type: non-standard source type: "place" is neither a CBV 2.0 value nor an extension URI
            /destinationList/0/type source_dest_type: warning: non-standard destination type: "https://ref.gs1.org/cbv/SDT-buyer" is not a CBV 2.0 value
            /destinationList/0/destination epc: destination "urn:epc:id:pgln:0614141.0000" is not a valid EPC URI: epc uri: party reference is 4 digits, expected 5 with a 7-digit company prefix (position 24)
        "#]],
    );
}

// CBV vocabularies.

#[test]
fn biz_step() {
    for form in [
        "shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "cbv:BizStep-shipping",
        "https://example.com/steps/gluing",
    ] {
        check(
            &format!(r#"{{"bizStep": "{form}"}}"#),
            expect![[r#"
            ok
        "#]],
        );
    }
    // The JSON Schema keeps EPCIS 1.x URNs out of JSON-LD, even for standard values.
    check(
        r#"{"bizStep": "urn:epcglobal:cbv:bizstep:shipping"}"#,
        expect![[r#"
            /bizStep biz_step: bizStep "urn:epcglobal:cbv:bizstep:shipping" is an EPCIS 1.x URN, which the JSON Schema does not take in JSON-LD: write the bare name "shipping"
        "#]],
    );
    check(
        r#"{"bizStep": "transforming"}"#,
        expect![[r#"
        /bizStep biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
    check(
        r#"{"bizStep": "urn:epcglobal:cbv:bizstep:xyz"}"#,
        expect![[r#"
        /bizStep biz_step: non-standard bizStep: "urn:epcglobal:cbv:bizstep:xyz" is not a CBV 2.0 value
    "#]],
    );
    check(
        r#"{"bizStep": "https://ref.gs1.org/cbv/Bizstep-shipping"}"#,
        expect![[r#"
            /bizStep biz_step: warning: non-standard bizStep: "https://ref.gs1.org/cbv/Bizstep-shipping" is in the CBV namespace but is not a CBV 2.0 value
        "#]],
    );
    check(
        r#"{"bizStep": "urn:epcglobal:cbv:disp:in_transit"}"#,
        expect![[r#"
        /bizStep biz_step: non-standard bizStep: "urn:epcglobal:cbv:disp:in_transit" is in the CBV namespace but is not a CBV 2.0 value
    "#]],
    );
}

#[test]
fn disposition_and_persistent_disposition() {
    check(
        r#"{"disposition": "in_transport"}"#,
        expect![[r#"
        /disposition disposition: non-standard disposition: "in_transport" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
    check(
        r#"{"persistentDisposition": {"set": ["completeness_inferred"], "unset": ["https://ref.gs1.org/cbv/Disp-completeness_verified"]}}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        r#"{"persistentDisposition": {"set": ["damaged", "broken", "damaged"]}}"#,
        expect![[r#"
        /persistentDisposition/set/1 disposition: non-standard persistentDisposition: "broken" is neither a CBV 2.0 value nor an extension URI
        /persistentDisposition/set/2 duplicate: persistentDisposition set lists "damaged" twice
    "#]],
    );
    check(
        r#"{"persistentDisposition": {"set": []}}"#,
        expect![[r#"
        /persistentDisposition required: persistentDisposition needs a non-empty set or unset
    "#]],
    );
}

#[test]
fn biz_transactions() {
    check(
        r#"{"bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}, {"bizTransaction": "https://example.com/po/1"}]}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        r#"{"bizTransactionList": [{"type": "purchase_order", "bizTransaction": "PO-1"}]}"#,
        expect![[r#"
        /bizTransactionList/0/type biz_transaction_type: non-standard bizTransaction type: "purchase_order" is neither a CBV 2.0 value nor an extension URI
        /bizTransactionList/0/bizTransaction uri: bizTransaction "PO-1" is not an absolute URI
    "#]],
    );
}

// Sensors.

#[test]
fn sensor_reports() {
    check(
        r#"{"epcList": null, "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"}, "sensorElementList": [{
            "sensorMetadata": {"time": "2020-06-01T10:00:00Z", "deviceID": "urn:epc:id:giai:4000001.111"},
            "sensorReport": [
                {"type": "Temperature", "value": 26.5, "uom": "CEL", "component": "x"},
                {"type": "gs1:AbsoluteHumidity", "exception": "ALARM_CONDITION", "booleanValue": true},
                {"type": "https://example.com/voc/Radiance", "hexBinaryValue": "0aFF", "uriValue": "https://example.com/e/1"}
            ]}]}"#,
        expect![[r#"
            ok
        "#]],
    );
    check(
        r#"{"sensorElementList": [{
            "sensorMetadata": {"startTime": "noon", "rawData": "raw"},
            "sensorReport": [
                {"value": 1},
                {"type": "Warmth", "exception": "FIRE", "component": "w"},
                {"type": "gs1:Temperature", "hexBinaryValue": "ABC", "booleanValue": "yes", "uom": "°C"},
                {"type": "Temperature", "minValue": "cold", "time": "2020"}
            ]}, {"sensorMetadata": {}}]}"#,
        expect![[r#"
            /sensorElementList/0/sensorMetadata/startTime date_time: startTime "noon" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
            /sensorElementList/0/sensorMetadata/rawData uri: rawData "raw" is not an absolute URI
            /sensorElementList/0/sensorReport/0/type required: sensorReport needs a type
            /sensorElementList/0/sensorReport/1/type sensor_type: non-standard type: "Warmth" is neither a GS1 Web Vocabulary term nor an extension URI
            /sensorElementList/0/sensorReport/1/exception sensor_exception: non-standard exception: "FIRE" is neither a GS1 Web Vocabulary term nor an extension URI
            /sensorElementList/0/sensorReport/1/component sensor_component: non-standard component: "w" is neither a CBV 2.0 component nor an extension URI
            /sensorElementList/0/sensorReport/2/booleanValue boolean: booleanValue "yes" is not true or false
            /sensorElementList/0/sensorReport/2/hexBinaryValue hex_binary: warning: hexBinaryValue "ABC" has an odd number of digits, not whole bytes
            /sensorElementList/0/sensorReport/2/uom uom: uom "°C" is not a UN/ECE Recommendation 20 code (2 or 3 of A-Z, 0-9)
            /sensorElementList/0/sensorReport/3/time date_time: time "2020" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
            /sensorElementList/0/sensorReport/3/minValue decimal: minValue "cold" is not a number
            /sensorElementList/1/sensorReport required: sensorElement needs at least one sensorReport
        "#]],
    );
}

// The same rules in each form: the JSON Schema judges JSON-LD, the XSD judges XML.

#[test]
fn sensor_type_by_form() {
    // JSON Schema: `required: ["type"]`, and `gs1:` names outside the enum are errors.
    check(
        r#"{"epcList": null, "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"}, "sensorElementList": [{
            "sensorReport": [{"value": 1}, {"type": "gs1:EffectiveDoseRate", "value": 2},
                {"type": "https://gs1.org/voc/Temperature", "value": 3}, {"type": "https://gs1.org/voc/Warmth", "value": 4}]}]}"#,
        expect![[r#"
            /sensorElementList/0/sensorReport/0/type required: sensorReport needs a type
            /sensorElementList/0/sensorReport/1/type sensor_type: non-standard type: "gs1:EffectiveDoseRate" is not a GS1 Web Vocabulary term
            /sensorElementList/0/sensorReport/2/type sensor_type: type "https://gs1.org/voc/Temperature" is a GS1 Web Vocabulary URI, which the JSON Schema does not take in JSON-LD: write the bare name "Temperature"
            /sensorElementList/0/sensorReport/3/type sensor_type: non-standard type: "https://gs1.org/voc/Warmth" is not a GS1 Web Vocabulary term
        "#]],
    );
    // XSD: the type is an optional `xsd:anyURI`; a name the GS1 Web Vocabulary lacks is a warning.
    check_xml(
        &format!(
            "{XML_WHAT}<sensorElementList><sensorElement><sensorReport value=\"1\"/>\
             <sensorReport type=\"gs1:EffectiveDoseRate\" value=\"2\"/>\
             <sensorReport type=\"https://gs1.org/voc/Temperature\" value=\"3\"/>\
             <sensorReport type=\"Warmth\" hexBinaryValue=\"ABC\"/>\
             </sensorElement></sensorElementList>"
        ),
        expect![[r#"
            2:12 sensor_type: warning: non-standard type: "gs1:EffectiveDoseRate" is not a GS1 Web Vocabulary term
            2:12 sensor_type: non-standard type: "Warmth" is neither a GS1 Web Vocabulary term nor an extension URI
            2:12 hex_binary: hexBinaryValue "ABC" has an odd number of digits, not whole bytes
        "#]],
    );
}

#[test]
fn cbv_values_by_form() {
    check_xml(
        &format!(
            "{XML_WHAT}<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>\
             <disposition>https://ref.gs1.org/cbv/Disp-in_transit</disposition>"
        ),
        expect![[r#"
            ok
        "#]],
    );
    check_xml(
        &format!(
            "{XML_WHAT}<bizStep>urn:epcglobal:cbv:bizstep:xyz</bizStep>\
             <disposition>in_transport</disposition>"
        ),
        expect![[r#"
            2:12 biz_step: warning: non-standard bizStep: "urn:epcglobal:cbv:bizstep:xyz" is not a CBV 2.0 value
            2:12 disposition: non-standard disposition: "in_transport" is neither a CBV 2.0 value nor an extension URI
        "#]],
    );
    // The JSON Schema's `vocab-other-uri` keeps the URN prefix out; the XSD takes any URI.
    check(
        r#"{"bizStep": "urn:epcglobal:cbv:bizstep:xyz"}"#,
        expect![[r#"
        /bizStep biz_step: non-standard bizStep: "urn:epcglobal:cbv:bizstep:xyz" is not a CBV 2.0 value
    "#]],
    );
}

#[test]
fn lists_and_quantities_by_form() {
    // The JSON Schema's epcList has `uniqueItems`; the XSD's does not.
    check(
        r#"{"epcList": ["urn:epc:id:sgtin:0614141.107346.1", "urn:epc:id:sgtin:0614141.107346.1"]}"#,
        expect![[r#"
            /epcList/1 duplicate: epcList lists "urn:epc:id:sgtin:0614141.107346.1" twice
        "#]],
    );
    check_xml(
        "<epcList><epc>urn:epc:id:sgtin:0614141.107346.1</epc>\
         <epc>urn:epc:id:sgtin:0614141.107346.1</epc></epcList><action>OBSERVE</action>",
        expect![[r#"
            2:12 duplicate: warning: epcList lists "urn:epc:id:sgtin:0614141.107346.1" twice
        "#]],
    );
    // The XSD's uom follows a quantity, which is an `xsd:decimal` (no exponent); JSON numbers
    // may have one.
    check(
        r#"{"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": 1e3}]}"#,
        expect![[r#"
            ok
        "#]],
    );
    check_xml(
        "<action>OBSERVE</action><quantityList>\
         <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass><quantity>1e3</quantity></quantityElement>\
         <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass><uom>KGM</uom></quantityElement>\
         </quantityList>",
        expect![[r#"
            2:12 decimal: quantity "1e3" is not a decimal number
            2:12 not_allowed: uom "KGM" is given without a quantity
        "#]],
    );
    // An ObjectEvent without objects breaks the JSON Schema's `anyOf`; the XSD allows it.
    check_xml(
        "<action>OBSERVE</action>",
        expect![[r#"
        2:12 required: warning: ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList with readPoint)
    "#]],
    );
}

#[test]
fn times_by_form() {
    // EPCIS 1.2's xsd:dateTime leaves the offset optional; 2.0's DateTimeStamp does not.
    let event = format!(
        "<ObjectEvent><eventTime>2020-06-01T10:00:00</eventTime>\
         <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>{XML_WHAT}</ObjectEvent>"
    );
    check_xml_event(
        "2.0",
        &event,
        expect![[r#"
        2:12 date_time: eventTime "2020-06-01T10:00:00" has no time zone offset (Z or ±hh:mm)
    "#]],
    );
    check_xml_event(
        "1.2",
        &event,
        expect![[r#"
        2:12 date_time: warning: eventTime "2020-06-01T10:00:00" has no time zone offset (Z or ±hh:mm)
    "#]],
    );
}

// Rules per event type and action.

#[test]
fn object_event() {
    check(
        r#"{"epcList": null}"#,
        expect![[r#"
        /epcList required: ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList with readPoint)
    "#]],
    );
    check(
        r#"{"epcList": [], "action": "ADD"}"#,
        expect![[r#"
        /epcList required: ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList with readPoint)
    "#]],
    );
    check(
        r#"{"action": null}"#,
        expect![[r#"
        /action required: ObjectEvent needs an action
    "#]],
    );
    // The reader reports the bad action; the validator does not add that it is missing.
    check(
        r#"{"action": "CREATE"}"#,
        expect![[r#"
        /action action: action must be ADD, OBSERVE or DELETE, found "CREATE"
    "#]],
    );
    check(
        r#"{"parentID": "urn:epc:id:sscc:0614141.1234567890", "transformationID": "urn:uuid:1", "outputEPCList": ["urn:epc:id:sgtin:0614141.107346.1"]}"#,
        expect![[r#"
        /parentID not_allowed: ObjectEvent has no field parentID
        /transformationID not_allowed: ObjectEvent has no field transformationID
        /outputEPCList not_allowed: ObjectEvent has no field outputEPCList
    "#]],
    );
    check(
        r#"{"action": "ADD", "ilmd": {"ex:lot": "L1"}}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        r#"{"ilmd": {"ex:lot": "L1", "lot": "L1", "nope:lot": "L1"}}"#,
        expect![[r#"
            /ilmd not_allowed: ilmd is only for action ADD, found "OBSERVE"
            /ilmd/lot unknown_field: ilmd has no standard field lot, and as an extension it has no namespace
            /ilmd/nope:lot unknown_field: warning: ilmd has no standard field nope:lot, and as an extension its prefix "nope" is not declared
        "#]],
    );
    check(
        r#"{"ex:note": "fine", "note": "not namespaced"}"#,
        expect![[r#"
        /note unknown_field: the event has no standard field note, and as an extension it has no namespace
    "#]],
    );
}

#[test]
fn aggregation_event() {
    let aggregation = r#""type": "AggregationEvent", "epcList": null, "parentID": "urn:epc:id:sscc:0614141.1234567890""#;
    check(
        &format!(
            r#"{{{aggregation}, "action": "ADD", "childEPCs": ["urn:epc:id:sgtin:0614141.107346.1"]}}"#
        ),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{aggregation}, "action": "DELETE"}}"#),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{aggregation}, "action": "ADD"}}"#),
        expect![[r#"
        /childEPCs required: AggregationEvent with action ADD needs a non-empty childEPCs or childQuantityList
    "#]],
    );
    check(
        r#"{"type": "AggregationEvent", "epcList": null, "action": "DELETE"}"#,
        expect![[r#"
        /parentID required: AggregationEvent with action DELETE needs a parentID
    "#]],
    );
    check(
        r#"{"type": "AggregationEvent", "epcList": null, "action": "OBSERVE", "childEPCs": ["urn:epc:id:sgtin:0614141.107346.1"]}"#,
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(
            r#"{{{aggregation}, "childEPCs": ["urn:epc:id:sgtin:0614141.107346.1"], "ilmd": {{}}, "parentID": "urn:epc:class:lgtin:4012345.012345.1"}}"#
        ),
        expect![[r#"
        /ilmd not_allowed: AggregationEvent has no field ilmd
        /parentID epc: parentID "urn:epc:class:lgtin:4012345.012345.1" is an EPC class, not the identifier of one object
    "#]],
    );
    // The reader reports list names that do not fit the type.
    check(
        &format!(r#"{{{aggregation}, "epcList": ["urn:epc:id:sgtin:0614141.107346.1"]}}"#),
        expect![[r#"
        /epcList unknown_field: AggregationEvent has no field epcList (it uses childEPCs)
    "#]],
    );
}

#[test]
fn association_event() {
    let association = r#""type": "AssociationEvent", "epcList": null, "childEPCs": ["urn:epc:id:grai:4012345.55555.987"]"#;
    check(
        &format!(
            r#"{{{association}, "parentID": "urn:epc:id:grai:4012345.55555.1", "action": "ADD"}}"#
        ),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{association}, "action": "OBSERVE"}}"#),
        expect![[r#"
        /parentID required: AssociationEvent needs a parentID
    "#]],
    );
}

#[test]
fn transaction_event() {
    let transaction = r#""type": "TransactionEvent", "action": "ADD""#;
    check(
        &format!(
            r#"{{{transaction}, "bizTransactionList": [{{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1"}}]}}"#
        ),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{transaction}, "epcList": null}}"#),
        expect![[r#"
        /bizTransactionList required: TransactionEvent needs a non-empty bizTransactionList
        /epcList required: TransactionEvent with action ADD needs a non-empty epcList or quantityList
    "#]],
    );
}

#[test]
fn transformation_event() {
    let transformation = r#""type": "TransformationEvent", "epcList": null, "action": null"#;
    let inputs = r#""inputEPCList": ["urn:epc:id:sgtin:0614141.107346.1"]"#;
    let outputs = r#""outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.1", "quantity": 3}]"#;
    check(
        &format!(r#"{{{transformation}, {inputs}, {outputs}}}"#),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{transformation}, {inputs}, "transformationID": "urn:uuid:1"}}"#),
        expect![[r#"
        ok
    "#]],
    );
    check(
        &format!(r#"{{{transformation}, {inputs}}}"#),
        expect![[r#"
        /transformationID required: a TransformationEvent with inputs but no outputs needs a transformationID
    "#]],
    );
    check(
        &format!(r#"{{{transformation}}}"#),
        expect![[r#"
        /inputEPCList required: TransformationEvent needs at least one input or output
    "#]],
    );
    check(
        &format!(
            r#"{{{transformation}, {inputs}, {outputs}, "action": "ADD", "parentID": "urn:epc:id:sscc:0614141.1234567890"}}"#
        ),
        expect![[r#"
        /parentID not_allowed: TransformationEvent has no field parentID
        /action not_allowed: TransformationEvent has no action, found "ADD"
    "#]],
    );
}

#[test]
fn unknown_event_type_gets_only_common_rules() {
    check(
        r#"{"type": "ObjectEventInvalid", "eventTime": "soon"}"#,
        expect![[r#"
        /type event_type: unknown event type "ObjectEventInvalid"
        /eventTime date_time: eventTime "soon" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
}

// Headers.

#[test]
fn header() {
    check_header(
        r#"{"schemaVersion": "2.1"}"#,
        expect![[r#"
        ok
    "#]],
    );
    check_header(
        r#"{"schemaVersion": "1.2"}"#,
        expect![[r#"
        ok
    "#]],
    );
    check_header(
        r#"{"schemaVersion": "3.0", "creationDate": "2020-06-01"}"#,
        expect![[r#"
        0 schema_version: schemaVersion "3.0" is not one serialhub reads (1.2 or 2.x)
        0 date_time: creationDate "2020-06-01" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
    check_header(
        r#"{"schemaVersion": null, "creationDate": null}"#,
        expect![[r#"
        0 required: the document has no schemaVersion
        0 required: the document has no creationDate
    "#]],
    );
    check_header(
        r#"{"epcisHeader": {"epcisMasterData": {"vocabularyList": [{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
            "vocabularyElementList": [{"id": "urn:epc:id:sgln:0614141.07346", "attributes": [{"id": "name", "attribute": "Depot"}]}]}]}}}"#,
        expect![[r#"
            0 epc: vocabulary element id "urn:epc:id:sgln:0614141.07346" is not a valid EPC URI: epc uri: expected 3 components separated by '.', found 2 (position 29)
            0 uri: attribute id "name" is not an absolute URI
        "#]],
    );
}

// The API without a reader.

#[test]
fn xml_locations_keep_the_event_line() {
    let event = Event {
        event_type: Some(EventType::ObjectEvent),
        event_time: "2020-06-01T10:00:00Z".to_owned(),
        event_time_zone_offset: "+00:00".to_owned(),
        biz_step: Some("transforming".to_owned()),
        ..Event::default()
    };
    let mut problems = Vec::new();
    validate_event(&event, &EventLocation(Where::Line { line: 12, column: 5 }), &mut problems);
    expect![[r#"
        12:5 required: ObjectEvent needs an action
        12:5 required: warning: ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList with readPoint)
        12:5 biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
    "#]]
    .assert_eq(&render(&problems));
}

#[test]
fn odd_input_does_not_panic() {
    let texts = [
        "",
        "é",
        "2020-01-01T00:00:00é",
        "2020-01-01T00:00:00+é:00",
        "urn:epc:idpat:",
        "urn:epc:idpat:sgtin",
        "https://",
        "urn:epc:",
        "1e",
        "-",
        ".",
        "+.e5",
    ];
    for text in texts {
        let event = Event {
            event_type: Some(EventType::TransformationEvent),
            event_time: text.to_owned(),
            event_time_zone_offset: text.to_owned(),
            record_time: Some(text.to_owned()),
            epc_list: vec![text.to_owned(), text.to_owned()],
            quantity_list: vec![crate::model::QuantityElement {
                epc_class: text.to_owned(),
                quantity: Some(text.to_owned()),
                uom: Some(text.to_owned()),
            }],
            biz_step: Some(text.to_owned()),
            ..Event::default()
        };
        let mut problems = Vec::new();
        validate_event(&event, &EventLocation(Where::Pointer(String::new())), &mut problems);
        assert!(!problems.is_empty(), "{text:?} is not valid anywhere");
    }
}

/// A handler that records where each event is, to show what `Validator` passes on.
#[derive(Default)]
struct Locations(Vec<String>);

impl crate::read::Handler for Locations {
    fn header(&mut self, _: &crate::model::Header) -> Result<(), crate::read::Stopped> {
        Ok(())
    }
    fn event(&mut self, _: Event) -> Result<(), crate::read::Stopped> {
        self.0.push("event without location".to_owned());
        Ok(())
    }
    fn event_at(&mut self, _: Event, at: Where) -> Result<(), crate::read::Stopped> {
        self.0.push(format!("event at {at}"));
        Ok(())
    }
    fn problem(&mut self, problem: Problem) -> Result<(), crate::read::Stopped> {
        self.0.push(format!("{} {}", problem.location, problem.code));
        Ok(())
    }
}

#[test]
fn validator_streams_problems_before_each_event_with_its_location() {
    let event: Value = serde_json::from_str(BASE).expect("BASE is JSON");
    let mut second = event.clone();
    second["bizStep"] = Value::from("transforming");
    let mut doc: Value = serde_json::from_slice(&document(event, &[])).expect("JSON");
    doc["epcisBody"]["eventList"].as_array_mut().expect("a list").push(second);
    let mut validator = Validator::new(Locations::default());
    let bytes = serde_json::to_vec(&doc).expect("JSON");
    read_slice(&bytes, &Limits::default(), &mut validator).expect("readable");
    expect![[r#"
        event at /epcisBody/eventList/0
        /epcisBody/eventList/1/bizStep biz_step
        event at /epcisBody/eventList/1
    "#]]
    .assert_eq(&validator.into_inner().0.iter().map(|l| format!("{l}\n")).collect::<String>());
}
