//! Conversion between the EPCIS serialisations: every reference document in `shared/ref` is
//! read, written by each writer and read back, and must come back as the same events (the same
//! model for JSON-LD to JSON-LD, the same event hashes across formats). Inline snapshots show
//! what each writer produces for one small event of each type, and a streaming test pushes
//! 100,000 events through each writer.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};
use serialhub_epcis::cbv::{self, Vocab};
use serialhub_epcis::hash::{event_hash, pre_hash};
use serialhub_epcis::json::write::{JsonLdWriter, to_json_ld};
use serialhub_epcis::xml::write::{XmlVersion, XmlWriter, to_xml};
use serialhub_epcis::{
    Action, Collect, Content, Document, Element, Event, EventType, Handler, Header, Limits,
    Location, Name, Problem, QuantityElement, Stopped, read_document, read_slice,
};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref");

/// The JSON-LD reference documents (bare events and query definitions read as documents
/// without events, and add nothing).
const JSON_DIRS: [&str; 3] = [
    "gs1-epcis/JSON",
    "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/JSON",
    "epcis-event-hash-generator/tests/examples",
];

/// The XML reference documents, EPCIS 2.0 and 1.2.
const XML_DIRS: [&str; 5] = [
    "gs1-epcis/XML",
    "gs1-epcis/XSL/1.2/XML",
    "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML",
    "openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML",
    "epcis-event-hash-generator/tests/examples",
];

/// Every file under `dirs` ending in one of `extensions`, skipping `Invalid` folders, sorted.
fn reference_files(dirs: &[&str], extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "Invalid") {
                    walk(&path, extensions, out);
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
    let mut out = Vec::new();
    for dir in dirs {
        walk(&Path::new(SHARED).join(dir), extensions, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn short(path: &Path) -> String {
    path.strip_prefix(SHARED).unwrap_or(path).display().to_string()
}

/// How close the events read back must be to the originals. Event hashes must always agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fidelity {
    /// The same model, up to the vocabulary forms (JSON-LD to JSON-LD).
    Model,
    /// The same model up to vocabulary forms and namespace prefixes (XML to XML: a namespace
    /// the source bound to several prefixes gets one).
    ModelButPrefixes,
    /// What survives a change of format as well (`loosen`).
    AcrossFormats,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    JsonLd,
    Xml(XmlVersion),
}

fn write(doc: &Document, target: Target) -> io::Result<Vec<u8>> {
    match target {
        Target::JsonLd => Ok(to_json_ld(doc)),
        Target::Xml(v) => to_xml(doc, v),
    }
}

/// Vocabulary values in the one form the JSON-LD writer uses, so that models compare equal
/// across the forms a document may write them in.
fn canonical_forms(event: &Event) -> Event {
    let mut e = event.clone();
    let bare = |vocab: Vocab, v: &mut String| *v = cbv::to_bare(vocab, v).into_owned();
    e.biz_step.iter_mut().for_each(|v| bare(Vocab::BizStep, v));
    e.disposition.iter_mut().for_each(|v| bare(Vocab::Disposition, v));
    if let Some(pd) = &mut e.persistent_disposition {
        pd.set.iter_mut().chain(&mut pd.unset).for_each(|v| bare(Vocab::Disposition, v));
    }
    for bt in &mut e.biz_transaction_list {
        bt.type_.iter_mut().for_each(|v| bare(Vocab::BizTransactionType, v));
    }
    for sd in e.source_list.iter_mut().chain(&mut e.destination_list) {
        bare(Vocab::SourceDestType, &mut sd.type_);
    }
    if let Some(ed) = &mut e.error_declaration {
        ed.reason.iter_mut().for_each(|v| bare(Vocab::ErrorReason, v));
    }
    for se in &mut e.sensor_element_list {
        for r in &mut se.sensor_report {
            for slot in ["type", "exception"] {
                let i = serialhub_epcis::SensorReport::slot(slot).expect("standard field");
                if let Some(v) = &mut r.fields[i] {
                    *v = cbv::gs1_voc_bare(v).to_owned();
                }
            }
        }
    }
    e
}

/// How one round trip went.
struct Tally {
    target: Target,
    files: usize,
    events: usize,
    /// Documents the target cannot express, with the writer's reason.
    inexpressible: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    /// Every document came back as it went, and all could be written: only certificationInfo has
    /// no EPCIS 1.2 carrier.
    #[track_caller]
    fn assert_clean(&self, what: &str, events_min: usize) {
        let inexpressible: Vec<_> = self
            .inexpressible
            .iter()
            .filter(|m| {
                self.target != Target::Xml(XmlVersion::V1_2)
                    || !m.contains("no place for certificationInfo")
            })
            .collect();
        assert!(inexpressible.is_empty(), "{what}: {inexpressible:#?}");
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} files failed:\n{}",
            self.failures.len(),
            self.files,
            self.failures.join("\n\n")
        );
        assert!(
            self.events >= events_min,
            "{what}: only {} events in {} files were checked",
            self.events,
            self.files
        );
    }
}

/// Reads each file, writes it to `target`, reads that back and compares the header and the
/// events: by count, event hash, and model as far as `fidelity` says.
fn round_trip(files: &[PathBuf], target: Target, fidelity: Fidelity) -> Tally {
    round_trip_with(files, target, fidelity, &|_, original| write(&original.document, target))
}

/// Turns a document (its bytes, and what they read as) into another serialisation.
type Conversion<'a> = &'a dyn Fn(&[u8], &Collect) -> io::Result<Vec<u8>>;

/// `round_trip` with the conversion given.
fn round_trip_with(
    files: &[PathBuf],
    target: Target,
    fidelity: Fidelity,
    convert: Conversion<'_>,
) -> Tally {
    let mut tally =
        Tally { target, files: 0, events: 0, inexpressible: Vec::new(), failures: Vec::new() };
    for path in files {
        tally.files += 1;
        let name = short(path);
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original = match read_document(&bytes) {
            Ok(c) => c,
            Err(e) => {
                tally.failures.push(format!("{name}: the original does not read: {e}"));
                continue;
            }
        };
        let written = match convert(&bytes, &original) {
            Ok(w) => w,
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                tally.inexpressible.push(format!("{name}: {e}"));
                continue;
            }
            Err(e) => {
                tally.failures.push(format!("{name}: the writer failed: {e}"));
                continue;
            }
        };
        let back = match read_document(&written) {
            Ok(c) => c,
            Err(e) => {
                tally.failures.push(format!(
                    "{name}: the written {target:?} does not read: {e}\n{}",
                    String::from_utf8_lossy(&written)
                ));
                continue;
            }
        };
        compare(&name, &original, &back, target, fidelity, &mut tally);
    }
    tally
}

/// What survives a change of format: XML has no numbers or booleans, only text, and prefixes
/// are the writer's choice.
fn loosen(elements: &mut [Element]) {
    for e in elements {
        e.name.prefix.clear();
        for (name, _) in &mut e.attributes {
            name.prefix.clear();
        }
        match &mut e.content {
            Content::Number(n) => e.content = Content::Text(std::mem::take(n)),
            Content::Bool(b) => e.content = Content::Text(b.to_string()),
            Content::Children(children) => loosen(children),
            Content::Empty | Content::Text(_) => {}
        }
    }
}

fn compare(
    name: &str,
    original: &Collect,
    back: &Collect,
    target: Target,
    fidelity: Fidelity,
    tally: &mut Tally,
) {
    let same_model = fidelity == Fidelity::Model;
    let (a, b) = (&original.document.events, &back.document.events);
    if a.len() != b.len() {
        tally.failures.push(format!(
            "{name} via {target:?}: {} events became {}",
            a.len(),
            b.len()
        ));
        return;
    }
    tally.events += a.len();
    // The writer must not introduce problems the original did not have.
    let new_problems: Vec<String> = back
        .problems
        .iter()
        .filter(|p| !original.problems.iter().any(|o| o.code == p.code))
        .map(|p| p.to_string())
        .collect();
    if !new_problems.is_empty() {
        tally.failures.push(format!("{name} via {target:?}: new problems {new_problems:#?}"));
    }
    let (h, g) = (&original.document.header, &back.document.header);
    let loose = |elements: &[Element]| {
        let mut elements = elements.to_vec();
        if !same_model {
            loosen(&mut elements);
        }
        format!("{elements:?}")
    };
    let master_data = |header: &Header| {
        let mut vocabularies = header.master_data.clone();
        for attr in
            vocabularies.iter_mut().flat_map(|v| &mut v.elements).flat_map(|e| &mut e.attributes)
        {
            if let Content::Children(children) = &mut attr.value
                && !same_model
            {
                loosen(children);
            }
        }
        format!("{vocabularies:?}")
    };
    // JSON-LD names the SBDH by its key: only its content is compared across formats.
    let sbdh = |header: &Header| match &header.sbdh {
        Some(e) if !same_model => {
            loose(std::slice::from_ref(&Element { name: Name::default(), ..e.clone() }))
        }
        other => format!("{other:?}"),
    };
    let header_parts = [
        ("kind", format!("{:?}", h.kind), format!("{:?}", g.kind)),
        ("creationDate", format!("{:?}", h.creation_date), format!("{:?}", g.creation_date)),
        ("queryName", format!("{:?}", h.query_name), format!("{:?}", g.query_name)),
        ("subscriptionID", format!("{:?}", h.subscription_id), format!("{:?}", g.subscription_id)),
        ("master data", master_data(h), master_data(g)),
        ("sbdh", sbdh(h), sbdh(g)),
        ("extensions", loose(&h.extensions), loose(&g.extensions)),
    ];
    for (part, before, after) in header_parts {
        if before != after {
            tally.failures.push(format!(
                "{name} via {target:?}: header {part} differs\n  before {before}\n  after  {after}"
            ));
        }
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if event_hash(x) != event_hash(y) {
            tally.failures.push(format!(
                "{name} via {target:?} event {i}: hashes differ\n  before {}\n  after  {}",
                pre_hash(x),
                pre_hash(y)
            ));
        } else if comparable(x, fidelity) != comparable(y, fidelity) {
            tally.failures.push(format!(
                "{name} via {target:?} event {i}: models differ\n  before {:?}\n  after  {:?}",
                comparable(x, fidelity),
                comparable(y, fidelity),
            ));
        }
    }
}

/// `event` with the differences `fidelity` allows taken out.
fn comparable(event: &Event, fidelity: Fidelity) -> Event {
    let mut e = canonical_forms(event);
    if fidelity == Fidelity::AcrossFormats {
        // XML's `<quantity xsi:nil="true"/>` reads as an empty quantity, JSON-LD leaves it out.
        for q in e.quantity_list.iter_mut().chain(&mut e.output_quantity_list) {
            if q.quantity.as_deref() == Some("") {
                q.quantity = None;
            }
        }
    }
    let adjust = |elements: &mut Vec<Element>| match fidelity {
        Fidelity::Model => {}
        Fidelity::ModelButPrefixes => strip_prefixes(elements),
        Fidelity::AcrossFormats => loosen(elements),
    };
    adjust(&mut e.extensions);
    e.ilmd.iter_mut().for_each(adjust);
    e.read_point.iter_mut().chain(&mut e.biz_location).for_each(|l| adjust(&mut l.extensions));
    e.error_declaration.iter_mut().for_each(|d| adjust(&mut d.extensions));
    for se in &mut e.sensor_element_list {
        adjust(&mut se.extensions);
        se.sensor_metadata.iter_mut().for_each(|m| adjust(&mut m.extensions));
        se.sensor_report.iter_mut().for_each(|r| adjust(&mut r.extensions));
    }
    e
}

fn strip_prefixes(elements: &mut [Element]) {
    for e in elements {
        e.name.prefix.clear();
        for (name, _) in &mut e.attributes {
            name.prefix.clear();
        }
        if let Content::Children(children) = &mut e.content {
            strip_prefixes(children);
        }
    }
}

fn json_files() -> Vec<PathBuf> {
    reference_files(&JSON_DIRS, &["jsonld", "json"])
}

fn xml_files() -> Vec<PathBuf> {
    reference_files(&XML_DIRS, &["xml"])
        .into_iter()
        // Capture job status documents are not EPCIS documents.
        .filter(|p| !p.to_string_lossy().contains("/CaptureJob/"))
        .collect()
}

#[test]
fn json_documents_round_trip_through_json_ld() {
    let tally = round_trip(&json_files(), Target::JsonLd, Fidelity::Model);
    tally.assert_clean("JSON-LD -> JSON-LD", 150);
}

#[test]
fn json_documents_round_trip_through_xml_2_0() {
    let tally = round_trip(&json_files(), Target::Xml(XmlVersion::V2_0), Fidelity::AcrossFormats);
    tally.assert_clean("JSON-LD -> XML 2.0", 150);
}

#[test]
fn json_documents_round_trip_through_xml_1_2() {
    let tally = round_trip(&json_files(), Target::Xml(XmlVersion::V1_2), Fidelity::AcrossFormats);
    tally.assert_clean("JSON-LD -> XML 1.2", 130);
}

#[test]
fn xml_documents_round_trip_through_json_ld() {
    let tally = round_trip(&xml_files(), Target::JsonLd, Fidelity::AcrossFormats);
    tally.assert_clean("XML -> JSON-LD", 200);
}

#[test]
fn xml_documents_round_trip_through_xml_2_0() {
    let tally = round_trip(&xml_files(), Target::Xml(XmlVersion::V2_0), Fidelity::ModelButPrefixes);
    tally.assert_clean("XML -> XML 2.0", 200);
}

#[test]
fn xml_documents_round_trip_through_xml_1_2() {
    let tally = round_trip(&xml_files(), Target::Xml(XmlVersion::V1_2), Fidelity::ModelButPrefixes);
    tally.assert_clean("XML -> XML 1.2", 180);
}

// ---------------------------------------------------------------------------------------------
// Streaming conversion: the reader hands each event to the writer as it is read, so the writer
// knows only the namespaces the header declares when it writes the `@context` or root element.

/// Either streaming writer, so that one piece of test code drives both.
enum Sink<W: Write> {
    Json(JsonLdWriter<W>),
    Xml(XmlWriter<W>),
}

impl<W: Write> Sink<W> {
    fn new(target: Target, out: W) -> Sink<W> {
        match target {
            Target::JsonLd => Sink::Json(JsonLdWriter::new(out)),
            Target::Xml(v) => Sink::Xml(XmlWriter::new(out, v)),
        }
    }

    fn begin(&mut self, header: &Header) -> io::Result<()> {
        match self {
            Sink::Json(w) => w.begin(header),
            Sink::Xml(w) => w.begin(header),
        }
    }

    fn event(&mut self, event: &Event) -> io::Result<()> {
        match self {
            Sink::Json(w) => w.event(event),
            Sink::Xml(w) => w.event(event),
        }
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Sink::Json(w) => w.finish(),
            Sink::Xml(w) => w.finish(),
        }
    }
}

/// A writer fed by a streaming read.
struct Convert {
    sink: Sink<Vec<u8>>,
    error: Option<io::Error>,
}

impl Convert {
    fn keep(&mut self, res: io::Result<()>) -> Result<(), Stopped> {
        res.map_err(|e| {
            self.error = Some(e);
            Stopped
        })
    }
}

impl Handler for Convert {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        let res = self.sink.begin(header);
        self.keep(res)
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        let res = self.sink.event(&event);
        self.keep(res)
    }
    fn problem(&mut self, _: Problem) -> Result<(), Stopped> {
        Ok(())
    }
}

fn convert_streaming(bytes: &[u8], target: Target) -> io::Result<Vec<u8>> {
    let mut convert = Convert { sink: Sink::new(target, Vec::new()), error: None };
    let read = read_slice(bytes, &Limits::default(), &mut convert);
    if let Some(e) = convert.error {
        return Err(e);
    }
    read.map_err(|e| io::Error::other(e.to_string()))?;
    convert.sink.finish()
}

fn stream(files: &[PathBuf], target: Target, fidelity: Fidelity) -> Tally {
    round_trip_with(files, target, fidelity, &|bytes, _| convert_streaming(bytes, target))
}

#[test]
fn json_documents_stream_into_json_ld_and_xml() {
    stream(&json_files(), Target::JsonLd, Fidelity::Model).assert_clean("JSON-LD ~> JSON-LD", 150);
    let xml = stream(&json_files(), Target::Xml(XmlVersion::V2_0), Fidelity::AcrossFormats);
    xml.assert_clean("JSON-LD ~> XML 2.0", 150);
}

#[test]
fn xml_documents_stream_into_xml() {
    let v2 = stream(&xml_files(), Target::Xml(XmlVersion::V2_0), Fidelity::ModelButPrefixes);
    v2.assert_clean("XML ~> XML 2.0", 200);
    let v12 = stream(&xml_files(), Target::Xml(XmlVersion::V1_2), Fidelity::ModelButPrefixes);
    v12.assert_clean("XML ~> XML 1.2", 180);
}

/// Namespaces an XML document declares on inner elements rather than the root are declared in
/// the event's own `@context` when streamed into JSON-LD: `json::read` must apply that context
/// inside `ilmd`, `readPoint`, `bizLocation`, `errorDeclaration` and `sensorElementList` too.
#[test]
fn xml_documents_stream_into_json_ld() {
    let tally = stream(&xml_files(), Target::JsonLd, Fidelity::AcrossFormats);
    tally.assert_clean("XML ~> JSON-LD", 200);
}

// ---------------------------------------------------------------------------------------------
// What each writer produces.

fn document_of(json: &str) -> Document {
    let c = read_document(json.as_bytes()).expect("test input reads");
    assert!(c.problems.is_empty(), "{:#?}", c.problems);
    c.document
}

/// Checks what each writer makes of the JSON-LD document `input`.
#[track_caller]
fn check_writers(input: &str, json_ld: Expect, xml_2_0: Expect, xml_1_2: Expect) {
    let doc = document_of(input);
    let text = |out: Vec<u8>| String::from_utf8(out).expect("UTF-8");
    json_ld.assert_eq(&text(to_json_ld(&doc)));
    xml_2_0.assert_eq(&text(to_xml(&doc, XmlVersion::V2_0).expect("writable")));
    xml_1_2.assert_eq(&text(to_xml(&doc, XmlVersion::V1_2).expect("writable")));
}

/// One event of type `event_type` in a document, `fields` being the JSON members after `type`.
fn one_event(fields: &str) -> String {
    format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {{"ex": "https://ex.example.com/"}}],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {{"eventList": [{{{fields}}}]}}}}"#
    )
}

const OBJECT_EVENT: &str = r#""type": "ObjectEvent", "eventTime": "2024-01-02T10:00:00.000+01:00",
    "eventTimeZoneOffset": "+01:00", "eventID": "urn:uuid:0f1b5b3c-5d4c-4a40-9c1e-8c0b2c8f0001",
    "epcList": ["https://id.gs1.org/01/09520123456788/21/A1"], "action": "ADD",
    "bizStep": "commissioning", "disposition": "active",
    "readPoint": {"id": "urn:epc:id:sgln:9520123.00000.1"},
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:9520123.045678.L1", "quantity": 2.5, "uom": "KGM"}],
    "ilmd": {"ex:lot": "L1", "ex:sizes": ["S", "M"]}, "ex:note": "a \"quoted\" <note> & more""#;

const AGGREGATION_EVENT: &str = r#""type": "AggregationEvent", "eventTime": "2024-01-02T10:00:00Z",
    "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:sscc:9520123.0000000001",
    "childEPCs": ["urn:epc:id:sgtin:9520123.045678.1"], "action": "ADD", "bizStep": "packing",
    "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:9520123.045678.L1", "quantity": 4}],
    "persistentDisposition": {"set": ["completeness_verified"]}"#;

const TRANSACTION_EVENT: &str = r#""type": "TransactionEvent", "eventTime": "2024-01-02T10:00:00Z",
    "eventTimeZoneOffset": "+00:00", "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9520123000003:PO1"}],
    "epcList": ["urn:epc:id:sgtin:9520123.045678.1"], "action": "ADD",
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:9520123.00000"}]"#;

const TRANSFORMATION_EVENT: &str = r#""type": "TransformationEvent", "eventTime": "2024-01-02T10:00:00Z",
    "eventTimeZoneOffset": "+00:00", "inputEPCList": ["urn:epc:id:sgtin:9520123.045678.1"],
    "outputEPCList": ["urn:epc:id:sgtin:9520123.045679.1"], "transformationID": "urn:epc:id:gdti:9520123.00000.1",
    "sensorElementList": [{"sensorMetadata": {"time": "2024-01-02T09:59:00Z"},
      "sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL", "booleanValue": true}]}]"#;

const ASSOCIATION_EVENT: &str = r#""type": "AssociationEvent", "eventTime": "2024-01-02T10:00:00Z",
    "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:grai:9520123.00001.1",
    "childEPCs": ["urn:epc:id:giai:9520123.1"], "action": "ADD", "bizStep": "assembling",
    "errorDeclaration": {"declarationTime": "2024-01-03T00:00:00Z", "reason": "incorrect_data"}"#;

#[test]
fn object_event_as_json_ld_and_xml() {
    check_writers(
        &one_event(OBJECT_EVENT),
        expect![[r#"
            {
              "@context": [
                "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                {
                  "ex": "https://ex.example.com/"
                }
              ],
              "type": "EPCISDocument",
              "schemaVersion": "2.0",
              "creationDate": "2024-01-01T00:00:00Z",
              "epcisBody": {
                "eventList": [
                  {
                    "type": "ObjectEvent",
                    "eventTime": "2024-01-02T10:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "eventID": "urn:uuid:0f1b5b3c-5d4c-4a40-9c1e-8c0b2c8f0001",
                    "epcList": [
                      "https://id.gs1.org/01/09520123456788/21/A1"
                    ],
                    "action": "ADD",
                    "bizStep": "commissioning",
                    "disposition": "active",
                    "readPoint": {
                      "id": "urn:epc:id:sgln:9520123.00000.1"
                    },
                    "quantityList": [
                      {
                        "epcClass": "urn:epc:class:lgtin:9520123.045678.L1",
                        "quantity": 2.5,
                        "uom": "KGM"
                      }
                    ],
                    "ilmd": {
                      "ex:lot": "L1",
                      "ex:sizes": [
                        "S",
                        "M"
                      ]
                    },
                    "ex:note": "a \"quoted\" <note> & more"
                  }
                ]
              }
            }
        "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <ObjectEvent>
                <eventTime>2024-01-02T10:00:00.000+01:00</eventTime>
                <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
                <eventID>urn:uuid:0f1b5b3c-5d4c-4a40-9c1e-8c0b2c8f0001</eventID>
                <epcList>
                  <epc>https://id.gs1.org/01/09520123456788/21/A1</epc>
                </epcList>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
                <disposition>urn:epcglobal:cbv:disp:active</disposition>
                <readPoint>
                  <id>urn:epc:id:sgln:9520123.00000.1</id>
                </readPoint>
                <quantityList>
                  <quantityElement>
                    <epcClass>urn:epc:class:lgtin:9520123.045678.L1</epcClass>
                    <quantity>2.5</quantity>
                    <uom>KGM</uom>
                  </quantityElement>
                </quantityList>
                <ilmd>
                  <ex:lot>L1</ex:lot>
                  <ex:sizes>S</ex:sizes>
                  <ex:sizes>M</ex:sizes>
                </ilmd>
                <ex:note>a "quoted" &lt;note&gt; &amp; more</ex:note>
              </ObjectEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ex.example.com/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <ObjectEvent>
                <eventTime>2024-01-02T10:00:00.000+01:00</eventTime>
                <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
                <baseExtension>
                  <eventID>urn:uuid:0f1b5b3c-5d4c-4a40-9c1e-8c0b2c8f0001</eventID>
                </baseExtension>
                <epcList>
                  <epc>https://id.gs1.org/01/09520123456788/21/A1</epc>
                </epcList>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
                <disposition>urn:epcglobal:cbv:disp:active</disposition>
                <readPoint>
                  <id>urn:epc:id:sgln:9520123.00000.1</id>
                </readPoint>
                <extension>
                  <quantityList>
                    <quantityElement>
                      <epcClass>urn:epc:class:lgtin:9520123.045678.L1</epcClass>
                      <quantity>2.5</quantity>
                      <uom>KGM</uom>
                    </quantityElement>
                  </quantityList>
                  <ilmd>
                    <ex:lot>L1</ex:lot>
                    <ex:sizes>S</ex:sizes>
                    <ex:sizes>M</ex:sizes>
                  </ilmd>
                </extension>
                <ex:note>a "quoted" &lt;note&gt; &amp; more</ex:note>
              </ObjectEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
    );
}

#[test]
fn aggregation_event_as_json_ld_and_xml() {
    check_writers(
        &one_event(AGGREGATION_EVENT),
        expect![[r#"
        {
          "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {
              "ex": "https://ex.example.com/"
            }
          ],
          "type": "EPCISDocument",
          "schemaVersion": "2.0",
          "creationDate": "2024-01-01T00:00:00Z",
          "epcisBody": {
            "eventList": [
              {
                "type": "AggregationEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "parentID": "urn:epc:id:sscc:9520123.0000000001",
                "childEPCs": [
                  "urn:epc:id:sgtin:9520123.045678.1"
                ],
                "action": "ADD",
                "bizStep": "packing",
                "childQuantityList": [
                  {
                    "epcClass": "urn:epc:class:lgtin:9520123.045678.L1",
                    "quantity": 4
                  }
                ],
                "persistentDisposition": {
                  "set": [
                    "completeness_verified"
                  ]
                }
              }
            ]
          }
        }
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <AggregationEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <parentID>urn:epc:id:sscc:9520123.0000000001</parentID>
                <childEPCs>
                  <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                </childEPCs>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
                <childQuantityList>
                  <quantityElement>
                    <epcClass>urn:epc:class:lgtin:9520123.045678.L1</epcClass>
                    <quantity>4</quantity>
                  </quantityElement>
                </childQuantityList>
                <persistentDisposition>
                  <set>urn:epcglobal:cbv:disp:completeness_verified</set>
                </persistentDisposition>
              </AggregationEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ex.example.com/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <AggregationEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <parentID>urn:epc:id:sscc:9520123.0000000001</parentID>
                <childEPCs>
                  <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                </childEPCs>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
                <extension>
                  <childQuantityList>
                    <quantityElement>
                      <epcClass>urn:epc:class:lgtin:9520123.045678.L1</epcClass>
                      <quantity>4</quantity>
                    </quantityElement>
                  </childQuantityList>
                  <extension>
                    <persistentDisposition>
                      <set>urn:epcglobal:cbv:disp:completeness_verified</set>
                    </persistentDisposition>
                  </extension>
                </extension>
              </AggregationEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
    );
}

#[test]
fn transaction_event_as_json_ld_and_xml() {
    check_writers(
        &one_event(TRANSACTION_EVENT),
        expect![[r#"
        {
          "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {
              "ex": "https://ex.example.com/"
            }
          ],
          "type": "EPCISDocument",
          "schemaVersion": "2.0",
          "creationDate": "2024-01-01T00:00:00Z",
          "epcisBody": {
            "eventList": [
              {
                "type": "TransactionEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "bizTransactionList": [
                  {
                    "type": "po",
                    "bizTransaction": "urn:epcglobal:cbv:bt:9520123000003:PO1"
                  }
                ],
                "epcList": [
                  "urn:epc:id:sgtin:9520123.045678.1"
                ],
                "action": "ADD",
                "sourceList": [
                  {
                    "type": "owning_party",
                    "source": "urn:epc:id:pgln:9520123.00000"
                  }
                ]
              }
            ]
          }
        }
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <TransactionEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <bizTransactionList>
                  <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:9520123000003:PO1</bizTransaction>
                </bizTransactionList>
                <epcList>
                  <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                </epcList>
                <action>ADD</action>
                <sourceList>
                  <source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:9520123.00000</source>
                </sourceList>
              </TransactionEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ex.example.com/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <TransactionEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <bizTransactionList>
                  <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:9520123000003:PO1</bizTransaction>
                </bizTransactionList>
                <epcList>
                  <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                </epcList>
                <action>ADD</action>
                <extension>
                  <sourceList>
                    <source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:9520123.00000</source>
                  </sourceList>
                </extension>
              </TransactionEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
    );
}

#[test]
fn transformation_event_as_json_ld_and_xml() {
    check_writers(
        &one_event(TRANSFORMATION_EVENT),
        expect![[r#"
        {
          "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {
              "ex": "https://ex.example.com/"
            }
          ],
          "type": "EPCISDocument",
          "schemaVersion": "2.0",
          "creationDate": "2024-01-01T00:00:00Z",
          "epcisBody": {
            "eventList": [
              {
                "type": "TransformationEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "inputEPCList": [
                  "urn:epc:id:sgtin:9520123.045678.1"
                ],
                "outputEPCList": [
                  "urn:epc:id:sgtin:9520123.045679.1"
                ],
                "transformationID": "urn:epc:id:gdti:9520123.00000.1",
                "sensorElementList": [
                  {
                    "sensorMetadata": {
                      "time": "2024-01-02T09:59:00Z"
                    },
                    "sensorReport": [
                      {
                        "type": "Temperature",
                        "value": 4.5,
                        "booleanValue": true,
                        "uom": "CEL"
                      }
                    ]
                  }
                ]
              }
            ]
          }
        }
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <TransformationEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <inputEPCList>
                  <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                </inputEPCList>
                <outputEPCList>
                  <epc>urn:epc:id:sgtin:9520123.045679.1</epc>
                </outputEPCList>
                <transformationID>urn:epc:id:gdti:9520123.00000.1</transformationID>
                <sensorElementList>
                  <sensorElement>
                    <sensorMetadata time="2024-01-02T09:59:00Z"/>
                    <sensorReport type="gs1:Temperature" value="4.5" booleanValue="true" uom="CEL"/>
                  </sensorElement>
                </sensorElementList>
              </TransformationEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ex.example.com/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <extension>
                <TransformationEvent>
                  <eventTime>2024-01-02T10:00:00Z</eventTime>
                  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                  <inputEPCList>
                    <epc>urn:epc:id:sgtin:9520123.045678.1</epc>
                  </inputEPCList>
                  <outputEPCList>
                    <epc>urn:epc:id:sgtin:9520123.045679.1</epc>
                  </outputEPCList>
                  <transformationID>urn:epc:id:gdti:9520123.00000.1</transformationID>
                  <extension>
                    <sensorElementList>
                      <sensorElement>
                        <sensorMetadata time="2024-01-02T09:59:00Z"/>
                        <sensorReport type="gs1:Temperature" value="4.5" booleanValue="true" uom="CEL"/>
                      </sensorElement>
                    </sensorElementList>
                  </extension>
                </TransformationEvent>
              </extension>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
    );
}

#[test]
fn association_event_as_json_ld_and_xml() {
    check_writers(
        &one_event(ASSOCIATION_EVENT),
        expect![[r#"
        {
          "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {
              "ex": "https://ex.example.com/"
            }
          ],
          "type": "EPCISDocument",
          "schemaVersion": "2.0",
          "creationDate": "2024-01-01T00:00:00Z",
          "epcisBody": {
            "eventList": [
              {
                "type": "AssociationEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "errorDeclaration": {
                  "declarationTime": "2024-01-03T00:00:00Z",
                  "reason": "incorrect_data"
                },
                "parentID": "urn:epc:id:grai:9520123.00001.1",
                "childEPCs": [
                  "urn:epc:id:giai:9520123.1"
                ],
                "action": "ADD",
                "bizStep": "assembling"
              }
            ]
          }
        }
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <AssociationEvent>
                <eventTime>2024-01-02T10:00:00Z</eventTime>
                <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                <errorDeclaration>
                  <declarationTime>2024-01-03T00:00:00Z</declarationTime>
                  <reason>urn:epcglobal:cbv:er:incorrect_data</reason>
                </errorDeclaration>
                <parentID>urn:epc:id:grai:9520123.00001.1</parentID>
                <childEPCs>
                  <epc>urn:epc:id:giai:9520123.1</epc>
                </childEPCs>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:assembling</bizStep>
              </AssociationEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="https://ex.example.com/" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <extension>
                <extension>
                  <AssociationEvent>
                    <eventTime>2024-01-02T10:00:00Z</eventTime>
                    <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
                    <baseExtension>
                      <errorDeclaration>
                        <declarationTime>2024-01-03T00:00:00Z</declarationTime>
                        <reason>urn:epcglobal:cbv:er:incorrect_data</reason>
                      </errorDeclaration>
                    </baseExtension>
                    <parentID>urn:epc:id:grai:9520123.00001.1</parentID>
                    <childEPCs>
                      <epc>urn:epc:id:giai:9520123.1</epc>
                    </childEPCs>
                    <action>ADD</action>
                    <bizStep>urn:epcglobal:cbv:bizstep:assembling</bizStep>
                  </AssociationEvent>
                </extension>
              </extension>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
    "#]],
    );
}

#[test]
fn query_document_as_json_ld_and_xml() {
    let doc = r#"{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "subscriptionID": "s1",
          "resultsBody": {"eventList": []}}}}"#;
    check_writers(
        doc,
        expect![[r#"
        {
          "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
          "type": "EPCISQueryDocument",
          "schemaVersion": "2.0",
          "creationDate": "2024-01-01T00:00:00Z",
          "epcisBody": {
            "queryResults": {
              "queryName": "SimpleEventQuery",
              "subscriptionID": "s1",
              "resultsBody": {
                "eventList": []
              }
            }
          }
        }
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <epcisq:QueryResults>
              <queryName>SimpleEventQuery</queryName>
              <subscriptionID>s1</subscriptionID>
              <resultsBody>
                <EventList>
                </EventList>
              </resultsBody>
            </epcisq:QueryResults>
          </EPCISBody>
        </epcisq:EPCISQueryDocument>
    "#]],
        expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:1" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
          <EPCISBody>
            <epcisq:QueryResults>
              <queryName>SimpleEventQuery</queryName>
              <subscriptionID>s1</subscriptionID>
              <resultsBody>
                <EventList>
                </EventList>
              </resultsBody>
            </epcisq:QueryResults>
          </EPCISBody>
        </epcisq:EPCISQueryDocument>
    "#]],
    );
}

// ---------------------------------------------------------------------------------------------
// Edge cases.

fn ext(namespace: &str, prefix: &str, local: &str, content: Content) -> Element {
    Element { name: Name::new(namespace, local, prefix), attributes: Vec::new(), content }
}

fn small_event(i: usize) -> Event {
    Event {
        event_type: Some(EventType::ObjectEvent),
        event_time: "2024-01-02T10:00:00Z".to_owned(),
        event_time_zone_offset: "+00:00".to_owned(),
        epc_list: vec![format!("urn:epc:id:sgtin:9520123.045678.{i}")],
        action: Some(Action::Observe),
        biz_step: Some("shipping".to_owned()),
        read_point: Some(Location {
            id: "urn:epc:id:sgln:9520123.00000.1".to_owned(),
            extensions: vec![],
        }),
        ..Event::default()
    }
}

fn single(event: Event) -> Document {
    Document { header: Header::default(), events: vec![event] }
}

#[test]
fn json_strings_escape_everything_json_requires() {
    let text =
        "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7f} é ☃ \u{2028}";
    let mut event = small_event(0);
    event.extensions.push(ext(
        "https://ex.example.com/",
        "ex",
        "note",
        Content::Text(text.to_owned()),
    ));
    let out = to_json_ld(&single(event.clone()));
    let line = std::str::from_utf8(&out)
        .expect("UTF-8")
        .lines()
        .find(|l| l.contains("ex:note"))
        .expect("the extension is written")
        .trim();
    expect![[
        r#""ex:note": "quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007 del  é ☃  ""#
    ]]
    .assert_eq(line);
    let back = read_document(&out).expect("reads back");
    assert_eq!(back.document.events, vec![event]);
}

#[test]
fn numbers_are_json_numbers_only_when_json_can_read_them() {
    let mut event = small_event(0);
    event.quantity_list = ["12.70", "-0", "1e400", "+5", ".5", "0x10", "12345678901234567890123"]
        .iter()
        .map(|q| QuantityElement {
            epc_class: "urn:epc:class:lgtin:9520123.045678.L1".to_owned(),
            quantity: Some((*q).to_owned()),
            uom: None,
        })
        .collect();
    let out = to_json_ld(&single(event));
    let quantities: Vec<&str> = std::str::from_utf8(&out)
        .expect("UTF-8")
        .lines()
        .filter(|l| l.contains("\"quantity\""))
        .map(str::trim)
        .collect();
    expect![[r#"
        [
            "\"quantity\": 12.70",
            "\"quantity\": -0",
            "\"quantity\": \"1e400\"",
            "\"quantity\": \"+5\"",
            "\"quantity\": \".5\"",
            "\"quantity\": \"0x10\"",
            "\"quantity\": 12345678901234567890123",
        ]
    "#]]
    .assert_debug_eq(&quantities);
    // Every one of them reads back (1e400 as a number would make the whole document unreadable).
    let back = read_document(&out).expect("reads back");
    assert_eq!(back.document.events[0].quantity_list.len(), 7);
}

#[test]
fn repeated_extension_names_become_one_json_array() {
    let mut event = small_event(0);
    let ns = "https://ex.example.com/";
    event.extensions = vec![
        ext(ns, "ex", "a", Content::Text("1".to_owned())),
        ext(ns, "ex", "b", Content::Bool(true)),
        ext(ns, "ex", "a", Content::Number("2".to_owned())),
        ext(ns, "ex", "c", Content::Empty),
        ext(
            ns,
            "ex",
            "d",
            Content::Children(vec![ext(ns, "ex", "e", Content::Text("x".to_owned()))]),
        ),
    ];
    let out = to_json_ld(&single(event.clone()));
    let text = std::str::from_utf8(&out).expect("UTF-8");
    let from = text.find("\"ex:a\"").expect("written");
    let to = text[from..].find("\n      }").expect("event end") + from;
    expect![[r#"
        "ex:a": [
                  "1",
                  2
                ],
                "ex:b": true,
                "ex:c": null,
                "ex:d": {
                  "ex:e": "x"
                }"#]]
    .assert_eq(&text[from..to]);
    // The siblings come back grouped by name: the same elements, so the same hash.
    let back = read_document(&out).expect("reads back");
    let got = &back.document.events[0];
    let names: Vec<&str> = got.extensions.iter().map(|e| e.name.local.as_str()).collect();
    assert_eq!(names, ["a", "a", "b", "c", "d"]);
    assert_eq!(event_hash(got), event_hash(&event));
}

#[test]
fn extension_attributes_are_written_under_at_attributes() {
    let mut event = small_event(0);
    let ns = "https://ex.example.com/";
    let mut weight = ext(ns, "ex", "weight", Content::Text("3.5".to_owned()));
    weight.attributes = vec![
        (Name::new("", "unit", ""), "KGM".to_owned()),
        (
            Name::new("http://www.w3.org/2001/XMLSchema-instance", "type", "xsi"),
            "xsd:decimal".to_owned(),
        ),
    ];
    let mut flag = ext(ns, "ex", "flag", Content::Empty);
    flag.attributes = vec![(Name::new("", "value", ""), "on".to_owned())];
    event.extensions = vec![weight, flag];
    let out = to_json_ld(&single(event.clone()));
    let text = std::str::from_utf8(&out).expect("UTF-8");
    let from = text.find("\"ex:weight\"").expect("written");
    let to = text[from..].find("\n      }").expect("event end") + from;
    expect![[r##"
        "ex:weight": {
                  "@attributes": {
                    "unit": "KGM",
                    "xsi:type": "xsd:decimal"
                  },
                  "#text": "3.5"
                },
                "ex:flag": {
                  "@attributes": {
                    "value": "on"
                  },
                  "#text": null
                }"##]]
    .assert_eq(&text[from..to]);
    let back = read_document(&out).expect("reads back");
    let got = &back.document.events[0];
    // The content comes back and the hash (which ignores attributes) is the same.
    assert_eq!(got.extensions[0].content, Content::Text("3.5".to_owned()));
    assert_eq!(got.extensions[1].content, Content::Empty);
    assert_eq!(event_hash(got), event_hash(&event));
    // Needs json::read to read "@attributes" (see the module docs of json::write).
    assert_eq!(got.extensions, event.extensions);
}

#[test]
fn a_namespace_first_seen_in_a_streamed_event_gets_an_event_context() {
    let mut w = JsonLdWriter::new(Vec::new());
    w.begin(&Header::default()).expect("begin");
    let mut event = small_event(0);
    event.extensions.push(ext("urn:example:ns:", "", "flag", Content::Bool(false)));
    w.event(&event).expect("event");
    w.event(&small_event(1)).expect("event");
    let out = w.finish().expect("finish");
    let text = std::str::from_utf8(&out).expect("UTF-8");
    let from = text.find("\"eventList\"").expect("written");
    expect![[r#"
        "eventList": [
              {
                "@context": {
                  "ext1": "urn:example:ns:"
                },
                "type": "ObjectEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "epcList": [
                  "urn:epc:id:sgtin:9520123.045678.0"
                ],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "readPoint": {
                  "id": "urn:epc:id:sgln:9520123.00000.1"
                },
                "ext1:flag": false
              },
              {
                "type": "ObjectEvent",
                "eventTime": "2024-01-02T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "epcList": [
                  "urn:epc:id:sgtin:9520123.045678.1"
                ],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "readPoint": {
                  "id": "urn:epc:id:sgln:9520123.00000.1"
                }
              }
            ]
          }
        }
    "#]]
    .assert_eq(&text[from..]);
    let back = read_document(&out).expect("reads back");
    assert_eq!(
        back.document.events[0].extensions[0].name,
        Name::new("urn:example:ns:", "flag", "ext1")
    );
    assert!(back.document.events[1].extensions.is_empty());
}

#[test]
fn xml_escapes_markup_in_text_and_attributes() {
    let mut event = small_event(0);
    let ns = "https://ex.example.com/";
    let mut note = ext(ns, "ex", "note", Content::Text("a <b> & \"c\" ]]> d\r\n".to_owned()));
    note.attributes = vec![(Name::new("", "why", ""), "x\"y\n<z>\t&".to_owned())];
    event.extensions.push(note);
    let out = to_xml(&single(event), XmlVersion::V2_0).expect("writable");
    let line = std::str::from_utf8(&out)
        .expect("UTF-8")
        .lines()
        .find(|l| l.contains("ex:note"))
        .expect("written")
        .trim();
    expect![[
        r#"<ex:note why="x&quot;y&#10;&lt;z&gt;&#9;&amp;">a &lt;b&gt; &amp; "c" ]]&gt; d&#13;"#
    ]]
    .assert_eq(line);
}

#[test]
fn xml_refuses_text_xml_cannot_carry_and_writes_nothing_of_that_event() {
    let mut w = XmlWriter::new(Vec::new(), XmlVersion::V2_0);
    w.begin(&Header::default()).expect("begin");
    let mut bad = small_event(0);
    bad.biz_step = Some("ship\u{1}ping".to_owned());
    let err = w.event(&bad).expect_err("U+0001 has no XML 1.0 form");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    expect![
        "event 0 (ObjectEvent): bizStep holds the character U+0001, which XML 1.0 cannot carry"
    ]
    .assert_eq(&err.to_string());
    let mut bad_name = small_event(1);
    bad_name.extensions.push(ext("https://ex.example.com/", "ex", "no good", Content::Empty));
    let err = w.event(&bad_name).expect_err("not an XML name");
    expect![[r#"event 1 (ObjectEvent): "no good" is not a valid XML element or attribute name (an XML NCName of at most 1024 bytes)"#]]
        .assert_eq(&err.to_string());
    w.event(&small_event(2)).expect("the writer goes on");
    let out = String::from_utf8(w.finish().expect("finish")).expect("UTF-8");
    assert_eq!(out.matches("<ObjectEvent>").count(), 1);
    assert!(out.contains("9520123.045678.2<"));
    assert!(!out.contains("9520123.045678.0<") && !out.contains("9520123.045678.1<"));
}

#[test]
fn xml_1_2_refuses_certification_info() {
    let mut event = small_event(0);
    event.certification_info.push("https://cert.example.com/1".to_owned());
    let err = to_xml(&single(event.clone()), XmlVersion::V1_2).expect_err("no 1.2 carrier");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    expect!["event 0 (ObjectEvent): EPCIS 1.2 XML has no place for certificationInfo"]
        .assert_eq(&err.to_string());
    assert!(to_xml(&single(event), XmlVersion::V2_0).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Streaming.

/// Counts what reaches the inner writer, to show the writers hand over output as they go.
#[derive(Default)]
struct Meter {
    bytes: usize,
    writes: usize,
    largest_write: usize,
}

impl Write for Meter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len();
        self.writes += 1;
        self.largest_write = self.largest_write.max(buf.len());
        io::sink().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn varied_event(i: usize) -> Event {
    let mut e = small_event(i);
    e.event_type = Some(EventType::ALL[i % 5]);
    if e.event_type != Some(EventType::TransformationEvent) {
        e.action = Some(Action::Add);
    }
    e.quantity_list.push(QuantityElement {
        epc_class: "urn:epc:class:lgtin:9520123.045678.L1".to_owned(),
        quantity: Some((i % 100).to_string()),
        uom: None,
    });
    e.extensions.push(ext("https://ex.example.com/", "ex", "seq", Content::Number(i.to_string())));
    e
}

const STREAMED_EVENTS: usize = 100_000;

/// Streams `STREAMED_EVENTS` events into `target` and checks the output was handed over as it
/// was made.
#[track_caller]
fn check_streamed(target: Target, header: &Header) {
    let mut w = Sink::new(target, Meter::default());
    w.begin(header).expect("begin");
    for i in 0..STREAMED_EVENTS {
        w.event(&varied_event(i)).expect("event");
    }
    let meter = w.finish().expect("finish");
    assert!(meter.bytes > STREAMED_EVENTS * 200, "{} bytes", meter.bytes);
    // Output is handed over in batches of about 64 KiB, not held until the end.
    assert!(meter.writes > meter.bytes / (128 * 1024), "{} writes", meter.writes);
    assert!(meter.largest_write < 128 * 1024, "a write of {} bytes", meter.largest_write);
}

/// A header declaring the namespace of `varied_event`'s extension.
fn header_with_ex() -> Header {
    let mut header = Header::default();
    header.namespaces.push(("ex".to_owned(), "https://ex.example.com/".to_owned()));
    header
}

#[test]
fn streaming_json_ld_writes_100_000_events() {
    check_streamed(Target::JsonLd, &header_with_ex());
}

#[test]
fn streaming_xml_2_0_writes_100_000_events() {
    check_streamed(Target::Xml(XmlVersion::V2_0), &header_with_ex());
}

/// Without the namespace in the header, each event declares it on its own element.
#[test]
fn streaming_xml_1_2_writes_100_000_events() {
    check_streamed(Target::Xml(XmlVersion::V1_2), &Header::default());
}
