//! Validation against the published examples: every valid example reads and validates with no
//! error, and every invalid one fails for the reason it was written, at the right place.
//!
//! Examples are read in place from `/work/shared/ref` (never copied into the repository). Valid
//! examples that break a rule all the same are listed in `KNOWN_INVALID` with the reason, those
//! with warnings in `KNOWN_WARNINGS`, and the test fails if those lists and reality drift apart.

use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};
use serialhub_epcis::read::{Collect, Limits, read_slice};
use serialhub_epcis::validate::Validator;
use serialhub_epcis::{Problem, ReadError};

fn shared() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref")).to_path_buf()
}

fn openepcis() -> PathBuf {
    shared().join("openepcis-test-resources/core/src/main/resources/2.0/EPCIS")
}

/// Reads `bytes` through the streaming `Validator`, as `serialhub epcis validate` does: the
/// reader's problems and the validator's, in document order.
fn validate(bytes: &[u8]) -> Result<Vec<Problem>, ReadError> {
    let mut validator = Validator::default();
    read_slice(bytes, &Limits::default(), &mut validator)?;
    let collect: Collect = validator.into_inner();
    Ok(collect.problems)
}

/// A bare event (the capture interface's single-event form) wrapped in a document, since
/// `read_document` reads documents only. The wrapper adds no line, so XML lines stay true.
fn as_document(path: &Path, bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&bytes);
    let head = text.trim_start();
    let is_xml_event = [
        "<ObjectEvent",
        "<AggregationEvent",
        "<TransactionEvent",
        "<TransformationEvent",
        "<AssociationEvent",
    ]
    .iter()
    .any(|t| head.starts_with(t));
    if is_xml_event {
        return format!(
            "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" \
             creationDate=\"2020-01-01T00:00:00Z\"><EPCISBody><EventList>{text}</EventList>\
             </EPCISBody></epcis:EPCISDocument>"
        )
        .into_bytes();
    }
    if head.starts_with('{')
        && let Ok(serde_json::Value::Object(event)) = serde_json::from_slice(&bytes)
    {
        let is_event =
            event.get("type").and_then(|t| t.as_str()).is_some_and(|t| t.ends_with("Event"));
        if is_event {
            let context = event.get("@context").cloned().unwrap_or_default();
            let doc = serde_json::json!({
                "@context": context,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2020-01-01T00:00:00Z",
                "epcisBody": { "eventList": [event] },
            });
            return serde_json::to_vec(&doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    bytes
}

/// One line per problem: location, code, and the message as `Problem`'s `Display` writes it
/// (`warning: ` first for a warning).
fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            let warning = if p.is_error() { "" } else { "warning: " };
            format!("{} {}: {warning}{}\n", p.location, p.code, p.message)
        })
        .collect()
}

/// Problems of the file at `path` (bare events wrapped).
fn problems_of(path: &Path) -> Result<Vec<Problem>, ReadError> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    validate(&as_document(path, bytes))
}

/// `problems_of` rendered, or the read error as one line.
fn rendered_problems_of(path: &Path) -> String {
    match problems_of(path) {
        Ok(problems) => render(&problems),
        Err(e) => format!(
            "read error: {} {}: {}\n",
            e.problem.location, e.problem.code, e.problem.message
        ),
    }
}

/// Files under `dir` (recursively) with one of `extensions`, sorted, leaving out `Invalid` folders.
fn examples(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "Invalid") {
                    stack.push(path);
                }
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The path under `/work/shared/ref`, with the OpenEPCIS resource folder shortened to `openepcis/`.
fn name(path: &Path) -> String {
    let name = path.strip_prefix(shared()).unwrap_or(path).display().to_string();
    name.replace("openepcis-test-resources/core/src/main/resources/", "openepcis/")
}

/// Published "valid" examples that break a rule all the same, by path under `/work/shared/ref`:
/// the codes of their errors (`code×count`, sorted) and why they are right to have them.
const KNOWN_INVALID: &[(&str, &str, &str)] = &[
    // GS1's own examples.
    (
        "gs1-epcis/XML/WithEventHashID/event_with_identical_hash_id_7.json",
        "biz_step×1 biz_transaction_type×1 disposition×3 source_dest_type×6",
        "writes CBV values as EPCIS 1.x URNs (urn:epcglobal:cbv:bizstep:receiving, ...), which the \
         JSON Schema's vocab-other-uri keeps out of JSON-LD on purpose (gs1/EPCIS pull request \
         421); it is there to show that the event hash is the same as for the bare names",
    ),
    // The EPCIS event hash generator's test vectors.
    (
        "epcis-event-hash-generator/tests/examples/SensorDataExamples.xml",
        "element_order×1",
        "a draft's TransformationEvent with ilmd before sensorElementList (GS1's published copy \
         has the XSD order)",
    ),
    (
        "epcis-event-hash-generator/tests/examples/epclist_normalisation.jsonld",
        "epc×1",
        "tests identifier normalisation, so its epcList holds an EPC class URI \
         (urn:epc:class:lgtin:...), which names no single object",
    ),
    // OpenEPCIS test resources: the same documents in each format and in Capture and Query.
    (
        "openepcis/2.0/EPCIS/JSON/Capture/Documents/Combination_of_different_event.json",
        "epc×1",
        "Digital Link https://id.example.com/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/JSON/Query/Combination_of_different_event.json",
        "epc×1",
        "Digital Link https://id.example.com/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/JSON/Query/queryDocument.json",
        "epc×1",
        "Digital Link https://id.example.com/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/Combination_of_different_event.xml",
        "epc×1",
        "Digital Link https://id.example.com/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/Combination_of_different_event.xml",
        "epc×1",
        "Digital Link https://id.example.com/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/queryDocument.xml",
        "epc×1",
        "Digital Link https://id.gs1.org/8003/030013450007718765: the GRAI's check digit is wrong",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/Documents/QueryResultsDocument.xml",
        "epc×1",
        "Digital Link https://id.example.com/8003/952012200000001004: a GRAI (8003) starts with 0",
    ),
    (
        "openepcis/2.0/EPCIS/JSON/Capture/Documents/SensorData_with_combined_events.json",
        "epc×1 required×2 sensor_type×3",
        "copies GS1's outdated XML sensor examples: bare Molar_concentration and \
         EffectiveDoseRate, which the JSON Schema's measurementType enum does not have (GS1's \
         JSON examples have AmountOfSubstancePerUnitVolume and DoseEquivalentRate), and two \
         exception reports without the type the JSON Schema requires; its Digital Link \
         https://id.example.com/8003/952012200000001004 has a GRAI not starting with 0",
    ),
    (
        "openepcis/2.0/EPCIS/JSON/Query/SensorData_with_combined_events.json",
        "epc×1 required×2 sensor_type×3",
        "as the Capture version",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/SensorData_with_combined_events.xml",
        "epc×1",
        "the Digital Link https://id.example.com/8003/952012200000001004 has a GRAI not starting \
         with 0 (the sensor types are warnings in XML, see KNOWN_WARNINGS)",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/SensorData_with_combined_events.xml",
        "epc×1",
        "as the Capture version",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/ObjectEventWithAllPossibleFields.xml",
        "date_time×1",
        "declarationTime 2006-11-07T13:00Z has no seconds, which the XSD's DateTimeStamp requires",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/TransformationEvent_with_error_declaration.xml",
        "date_time×1",
        "declarationTime 2020-01-14T23:00Z has no seconds, which the XSD's DateTimeStamp requires",
    ),
    // Jumbled on purpose: OpenEPCIS tests that its converter accepts fields in any order, which
    // the XSD's sequence does not.
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/JumbledFieldsOrder.xml",
        "element_order×6",
        "fields in random order, on purpose (the JSON version has no order to break)",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/JumbledFieldsOrder.xml",
        "element_order×6",
        "fields in random order, on purpose (see the Capture version)",
    ),
];

/// Published "valid" examples with warnings: things the schema of their form accepts but the
/// standard does not define. The codes of their warnings, and why.
const KNOWN_WARNINGS: &[(&str, &str, &str)] = &[
    // GS1's own examples.
    (
        "gs1-epcis/XML/WithExtension/TransactionEvent.xml",
        "sensor_type×1",
        "sensor type gs1:EffectiveDoseRate, which the XSD's xsd:anyURI takes but the GS1 Web \
         Vocabulary does not have; GS1's JSON version of the example \
         (JSON/WithSensorData/SensorDataExample11) has DoseEquivalentRate",
    ),
    (
        "gs1-epcis/XML/WithSensorData/SensorDataExamples.xml",
        "biz_step×2 sensor_type×3",
        "written before the JSON examples were corrected: gs1:Molar_concentration and \
         gs1:EffectiveDoseRate are no GS1 Web Vocabulary terms (JSON: \
         AmountOfSubstancePerUnitVolume, DoseEquivalentRate), and bizStep \
         https://ref.gs1.org/cbv/Bizstep-sensor_reporting misspells BizStep-, so it names no CBV \
         value; the XSD takes any URI for both",
    ),
    // The EPCIS event hash generator's test vectors.
    (
        "epcis-event-hash-generator/tests/examples/SensorDataExamples.xml",
        "sensor_type×42",
        "a draft's measurement type names (gs1:MT-Temperature, gs1:AT-Error_condition, ...), \
         which the GS1 Web Vocabulary does not have",
    ),
    // OpenEPCIS test resources.
    (
        "openepcis/2.0/EPCIS/JSON/Capture/Documents/CurieString_document.json",
        "source_dest_type×1",
        "destination type cbv:my_own_party is in the CBV namespace (https://ref.gs1.org/cbv/), \
         where CBV 2.0 defines no such type; the JSON Schema takes it as a URI, but a user's own \
         type belongs in the user's namespace",
    ),
    (
        "openepcis/2.0/EPCIS/JSON/Query/CurieString_document.json",
        "source_dest_type×1",
        "as the Capture version",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/CurieString_document.xml",
        "source_dest_type×1",
        "destination type cbv:my_own_party is not a CBV 2.0 type (see the JSON version)",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/CurieString_document.xml",
        "source_dest_type×1",
        "as the Capture version",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/SensorData_with_combined_events.xml",
        "sensor_type×3",
        "copies GS1's outdated XML sensor examples: gs1:Molar_concentration and \
         gs1:EffectiveDoseRate are no GS1 Web Vocabulary terms (its two sensorReports without \
         type are allowed in XML, unlike in the JSON version)",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Query/SensorData_with_combined_events.xml",
        "sensor_type×3",
        "as the Capture version",
    ),
    (
        "openepcis/2.0/EPCIS/XML/Capture/Documents/epcisDocWithAllGS1Keys.xml",
        "duplicate×1",
        "epcList holds urn:epc:id:sscc:4012345.0000000333 twice, which the XSD allows (the JSON \
         version gives the second as a Digital Link, so its uniqueItems holds)",
    ),
];

/// Files in the example folders that are not EPCIS event documents, and what they are.
const NOT_DOCUMENTS: &[(&str, &str)] = &[(
    "gs1-epcis/XML/CaptureJob/",
    "EPCISCaptureJob: the capture interface's job status, not a document",
)];

/// `code×count` for each code in `problems`, sorted by code.
fn summary<'a>(problems: impl Iterator<Item = &'a Problem>) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for p in problems {
        *counts.entry(p.code).or_default() += 1;
    }
    counts.iter().map(|(code, n)| format!("{code}×{n}")).collect::<Vec<_>>().join(" ")
}

/// The summary `table` holds for `name`, or none.
fn known<'a>(table: &[(&str, &'a str, &str)], name: &str) -> &'a str {
    table.iter().find(|(known, _, _)| *known == name).map_or("", |(_, codes, _)| *codes)
}

fn check_valid(files: Vec<PathBuf>) {
    assert!(!files.is_empty(), "no examples found");
    let mut failures = Vec::new();
    for path in &files {
        let name = name(path);
        if NOT_DOCUMENTS.iter().any(|(prefix, _)| name.starts_with(prefix)) {
            continue;
        }
        let problems = match problems_of(path) {
            Ok(problems) => problems,
            Err(e) => {
                failures.push(format!("{name}: read error: {}", e.problem));
                continue;
            }
        };
        let errors = summary(problems.iter().filter(|p| p.is_error()));
        let warnings = summary(problems.iter().filter(|p| !p.is_error()));
        if errors != known(KNOWN_INVALID, &name) || warnings != known(KNOWN_WARNINGS, &name) {
            failures.push(format!(
                "{name}: errors [{errors}], warnings [{warnings}]\n{}",
                render(&problems)
            ));
        }
    }
    assert!(failures.is_empty(), "{} examples fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn known_examples_exist() {
    let root = shared().display().to_string();
    for (known, _, _) in KNOWN_INVALID.iter().chain(KNOWN_WARNINGS) {
        let path = format!("{root}/{known}")
            .replace("/openepcis/", "/openepcis-test-resources/core/src/main/resources/");
        assert!(Path::new(&path).is_file(), "{known}: listed as known but not found");
    }
}

#[test]
fn valid_json_examples_have_no_errors() {
    let mut files = examples(&shared().join("gs1-epcis/JSON"), &["jsonld", "json"]);
    // One JSON example lives among the XML ones.
    files.extend(examples(&shared().join("gs1-epcis/XML"), &["json", "jsonld"]));
    files.extend(examples(&openepcis().join("JSON"), &["json", "jsonld"]));
    files
        .extend(examples(&shared().join("epcis-event-hash-generator/tests/examples"), &["jsonld"]));
    check_valid(files);
}

#[test]
fn valid_xml_examples_have_no_errors() {
    let mut files = examples(&shared().join("gs1-epcis/XML"), &["xml"]);
    files.extend(examples(&openepcis().join("XML"), &["xml"]));
    files.extend(examples(&shared().join("epcis-event-hash-generator/tests/examples"), &["xml"]));
    check_valid(files);
}

/// The problems of an invalid example: they must include an error, and be those of `expect`.
#[track_caller]
fn check_invalid(path: &str, expect: Expect) {
    let path = openepcis().join(path);
    let has_error = problems_of(&path).map_or(true, |p| p.iter().any(Problem::is_error));
    assert!(has_error, "{}: no error", path.display());
    expect.assert_eq(&rendered_problems_of(&path));
}

// Invalid documents: each fails for the reason its name gives, at the right place. The
// validator's problems in an XML event are at the event's start tag, where its `required`
// problems that repeat the reader's are dropped.

#[test]
fn json_combination_of_events_with_missing_mandatory_fields() {
    check_invalid(
        "JSON/Capture/Invalid/Combination_of_events_with_missing_mandatory_fields.json",
        expect![[r#"
        /epcisBody/eventList/0/action required: ObjectEvent needs an action
        /epcisBody/eventList/1/eventTimeZoneOffset required: the event has no eventTimeZoneOffset
        /epcisBody/eventList/1/action required: ObjectEvent needs an action
    "#]],
    );
}

#[test]
fn json_combination_of_multiple_invalid_fields() {
    check_invalid(
        "JSON/Capture/Invalid/Combination_of_multiple_invalid_fields.json",
        expect![[r#"
        /epcisBody/eventList/0/bizStep biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
        /epcisBody/eventList/1/disposition disposition: non-standard disposition: "in_transport" is neither a CBV 2.0 value nor an extension URI
        /epcisBody/eventList/2/sourceList/0/type source_dest_type: non-standard source type: "place" is neither a CBV 2.0 value nor an extension URI
        /epcisBody/eventList/3/ilmd/materialType unknown_field: ilmd has no standard field materialType, and as an extension it has no namespace
        /epcisBody/eventList/4/action action: action must be ADD, OBSERVE or DELETE, found "CREATE"
        /epcisBody/eventList/4/eventTime date_time: eventTime "22-07-2026" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
}

#[test]
fn json_combination_of_non_standard_biz_step_and_disposition() {
    check_invalid(
        "JSON/Capture/Invalid/Combination_of_non_standard_bizStep_and_disposition.json",
        expect![[r#"
        /epcisBody/eventList/0/bizStep biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
        /epcisBody/eventList/1/disposition disposition: non-standard disposition: "in_transport" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
}

#[test]
fn json_document_without_context() {
    check_invalid(
        "JSON/Capture/Invalid/EPCISDocument_without_context.json",
        expect![[r#"
        /@context required: the document has no @context (it must name the EPCIS 2.0 context)
    "#]],
    );
}

#[test]
fn json_object_event_with_invalid_action() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_invalid_action.json",
        expect![[r#"
        /epcisBody/eventList/0/action action: action must be ADD, OBSERVE or DELETE, found "CREATE"
    "#]],
    );
}

#[test]
fn json_object_event_with_invalid_event_time_format() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.json",
        expect![[r#"
        /epcisBody/eventList/0/eventTime date_time: eventTime "22-07-2026" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
    "#]],
    );
}

#[test]
fn json_object_event_with_non_standard_biz_step() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep.json",
        expect![[r#"
        /epcisBody/eventList/0/bizStep biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
}

#[test]
fn json_object_event_with_non_standard_biz_step_in_second_event() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep_in_second_event.json",
        expect![[r#"
        /epcisBody/eventList/1/bizStep biz_step: non-standard bizStep: "transforming" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
}

#[test]
fn json_object_event_with_non_standard_disposition() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_non_standard_disposition.json",
        expect![[r#"
        /epcisBody/eventList/0/disposition disposition: non-standard disposition: "in_transport" is neither a CBV 2.0 value nor an extension URI
    "#]],
    );
}

#[test]
fn json_object_event_with_quantity_as_text() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_with_quantity_as_text.json",
        expect![[r#"
        /epcisBody/eventList/0/quantityList/0/quantity type: expected a number, found the string "twenty"
    "#]],
    );
}

#[test]
fn json_object_event_without_identifier_list() {
    check_invalid(
        "JSON/Capture/Invalid/ObjectEvent_without_identifier_list.json",
        expect![[r#"
        /epcisBody/eventList/0/epcList required: ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList with readPoint)
    "#]],
    );
}

#[test]
fn json_query_document_with_invalid_event_type() {
    check_invalid(
        "JSON/Query/Invalid/QueryDocument_with_invalid_eventType.json",
        expect![[r#"
        /epcisBody/queryResults/resultsBody/eventList/0/type event_type: unknown event type "ObjectEventInvalid"
    "#]],
    );
}

#[test]
fn xml_object_event_bare_event_without_action() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_bare_event_without_action.xml",
        expect![[r#"
            1:140 required: ObjectEvent needs action
        "#]],
    );
}

#[test]
fn xml_object_event_with_invalid_action() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_with_invalid_action.xml",
        expect![[r#"
        12:17 action: action must be ADD, OBSERVE or DELETE, found "CREATE"
    "#]],
    );
}

#[test]
fn xml_object_event_with_invalid_event_time_format() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.xml",
        expect![[r#"
            6:13 date_time: eventTime "22-07-2026" is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm
        "#]],
    );
}

#[test]
fn xml_object_event_with_near_miss_action() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_with_near_miss_action.xml",
        expect![[r#"
        13:17 action: action must be ADD, OBSERVE or DELETE, found "OBSERV"
    "#]],
    );
}

#[test]
fn xml_object_event_with_wrong_element_order() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml",
        expect![[r#"
            7:17 element_order: ObjectEvent: action must come after epcList (XSD sequence)
        "#]],
    );
}

#[test]
fn xml_object_event_without_event_time() {
    check_invalid(
        "XML/Capture/Invalid/ObjectEvent_without_eventTime.xml",
        expect![[r#"
            6:13 required: ObjectEvent needs eventTime
        "#]],
    );
}

#[test]
fn xml_query_document_with_invalid_event_type() {
    check_invalid(
        "XML/Query/Invalid/QueryDocument_with_invalid_eventType.xml",
        expect![[r#"
        8:21 event_type: unknown event type <ObjectEventInvalid>; the event is skipped
    "#]],
    );
}

// The file is invalid for its `<Poll>` parameter without a value, a query request that the
// reader does not keep (it reports `ignored`); it also fails on its schemaVersion "1".
#[test]
fn xml_query_document_with_missing_value() {
    check_invalid(
        "XML/Query/Invalid/QueryDocument_with_missing_value.xml",
        expect![[r#"
        5:9 ignored: <epcisq:Poll> is not kept: the body holds only the event list
        0 schema_version: schemaVersion "1" is not one serialhub reads (1.2 or 2.x)
    "#]],
    );
}
