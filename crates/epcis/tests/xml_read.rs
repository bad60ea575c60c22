//! The streaming XML reader against the shared reference corpus, its XML/JSON-LD twins, hostile
//! input, and the lines it gives problems.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Debug;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serialhub_epcis::cbv::{self, Vocab};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{
    Collect, Event, Limits, ReadError, SENSOR_METADATA_FIELDS, SENSOR_REPORT_FIELDS, Where,
    read_document,
};

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref/");

const CORPUS: [&str; 7] = [
    "gs1-epcis/XML",
    "gs1-epcis/XSL/1.2/XML",
    "openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML",
    "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML",
    "epcis-event-hash-generator/tests/examples",
    "epcis-event-hash-generator/tests/expected_equal",
    "quartet-epcis/tests/data",
];

/// Corpus files that are not EPCIS event documents, with the error code they must give.
const NOT_DOCUMENTS: [(&str, &str, &str); 3] = [
    (
        "gs1-epcis/XML/CaptureJob/Example-CaptureJobRunning.xml",
        "document_type",
        "an EPCISCaptureJob (REST binding response), not a document",
    ),
    (
        "gs1-epcis/XML/CaptureJob/Example-CaptureJobSuccess.xml",
        "document_type",
        "an EPCISCaptureJob (REST binding response), not a document",
    ),
    (
        "gs1-epcis/XML/CaptureJob/Example-CaptureJobWithErrors.xml",
        "document_type",
        "an EPCISCaptureJob (REST binding response), not a document",
    ),
];

/// Problems the corpus gives, as (file, lines, code): each is a real flaw of the file.
const KNOWN_PROBLEMS: &[(&str, &[u64], &str)] = &[
    // OpenEPCIS tests that its converter accepts fields in any order, which the XSD does not:
    // an extension element first, eventTime last.
    (
        "openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML/Capture/Documents/Jumbled_attributes_order.xml",
        &[6],
        "element_order",
    ),
    // certificationInfo, which 1.2 does not have, after the event's `extension`: the 1.2 XSD's
    // closing wildcard takes only elements of other namespaces, and 2.0 puts it before
    // baseExtension (the TransactionEvent twin puts it in extension/extension, where any
    // element may go).
    (
        "openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML/Capture/Documents/ObjectEvent_all_possible_fields.xml",
        &[142],
        "element_order",
    ),
    // Jumbled on purpose, as the 1.2 file above. Children that came too late are reported as
    // they come (21, 25, 52), those that came too early when the event ends (8, 18, 29).
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Capture/Documents/JumbledFieldsOrder.xml",
        &[21, 25, 52, 8, 18, 29],
        "element_order",
    ),
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Query/JumbledFieldsOrder.xml",
        &[21, 25, 52, 8, 18, 29],
        "element_order",
    ),
    // A 2.0 draft's TransformationEvent with ilmd before sensorElementList; GS1's published
    // copy (gs1-epcis/XML/WithSensorData/SensorDataExamples.xml) has them in XSD order.
    ("epcis-event-hash-generator/tests/examples/SensorDataExamples.xml", &[326], "element_order"),
    // epcList after action and bizStep in every event: these files test time zones, and the
    // hash does not depend on the order.
    (
        "epcis-event-hash-generator/tests/expected_equal/timestampTimeZone.xml",
        &[13, 22, 31],
        "element_order",
    ),
    (
        "epcis-event-hash-generator/tests/expected_equal/timestampTimeZone3.xml",
        &[13, 22],
        "element_order",
    ),
    // quartet writes a stray "x" after </destinationList> in several scenarios.
    ("quartet-epcis/tests/data/bad_repack.xml", &[88], "ignored"),
    ("quartet-epcis/tests/data/commission.xml", &[59], "ignored"),
    ("quartet-epcis/tests/data/decomissioned_parent.xml", &[60], "ignored"),
    ("quartet-epcis/tests/data/epcis-bad.xml", &[91], "ignored"),
    ("quartet-epcis/tests/data/namespaced.xml", &[52], "ignored"),
    ("quartet-epcis/tests/data/pack_uncommissioned.xml", &[92], "ignored"),
    ("quartet-epcis/tests/data/top_in_new_top.xml", &[46], "ignored"),
];

const EVENT_NAMES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

fn read_xml(input: &[u8]) -> Result<Collect, ReadError> {
    read_with(input, &Limits::default())
}

fn read_with(input: &[u8], limits: &Limits) -> Result<Collect, ReadError> {
    let mut collect = Collect::default();
    serialhub_epcis::xml::read::read(input, limits, &mut collect)?;
    Ok(collect)
}

fn read_file(relative: &str) -> Vec<u8> {
    let path = Path::new(REF).join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file with the given extension under `dir`, except `Invalid` folders, relative to REF.
fn files_under(dir: &str, extension: &str) -> Vec<String> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path.file_name().is_none_or(|name| name != "Invalid") {
                    walk(&path, extension, out);
                }
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&Path::new(REF).join(dir), extension, &mut paths);
    let mut files: Vec<String> = paths
        .iter()
        .map(|p| p.strip_prefix(REF).expect("under REF").to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Counts event start tags in the plain text, comments left out: a count that does not
/// depend on the reader.
fn count_event_tags(text: &str) -> usize {
    let mut count = 0;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let name_len = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/');
        let name = &rest[..name_len.unwrap_or(rest.len())];
        let local = name.rsplit(':').next().unwrap_or(name);
        if EVENT_NAMES.contains(&local) {
            count += 1;
        }
    }
    count
}

#[test]
fn corpus_reads_with_every_event() {
    let mut n_files = 0;
    let mut n_events = 0;
    let mut problems_seen = Vec::new();
    for dir in CORPUS {
        for file in files_under(dir, "xml") {
            let bytes = read_file(&file);
            let result = read_xml(&bytes);
            if let Some((_, code, why)) = NOT_DOCUMENTS.iter().find(|(f, _, _)| *f == file) {
                let err = result.err().unwrap_or_else(|| panic!("{file} ({why}) should not read"));
                assert_eq!(err.problem.code, *code, "{file}: {err}");
                continue;
            }
            let collect = result.unwrap_or_else(|e| panic!("{file}: {e}"));
            let text = std::str::from_utf8(&bytes).expect("the corpus is UTF-8");
            assert_eq!(collect.document.events.len(), count_event_tags(text), "{file}");
            for problem in &collect.problems {
                let Where::Line { line, .. } = problem.location else {
                    panic!("{file}: a problem without a line: {problem}");
                };
                problems_seen.push((file.clone(), line, problem.code));
            }
            n_files += 1;
            n_events += collect.document.events.len();
        }
    }
    let known: Vec<_> = KNOWN_PROBLEMS
        .iter()
        .flat_map(|(f, lines, c)| lines.iter().map(|l| ((*f).to_owned(), *l, *c)))
        .collect();
    assert_eq!(problems_seen, known);
    // Guards against a corpus that silently went missing.
    assert!(n_files >= 120, "only {n_files} files read");
    assert!(n_events >= 250, "only {n_events} events read");
}

/// XML/JSON-LD twins: the same base name in two folders.
fn twins() -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let openepcis = "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/";
    for xml in files_under(&format!("{openepcis}XML/Capture/Documents"), "xml") {
        let json = xml.replace("/XML/", "/JSON/").replace(".xml", ".json");
        if Path::new(REF).join(&json).exists() {
            pairs.push((xml, json));
        }
    }
    for xml in files_under("epcis-event-hash-generator/tests/examples", "xml") {
        let json = xml.replace(".xml", ".jsonld");
        if Path::new(REF).join(&json).exists() {
            pairs.push((xml, json));
        }
    }
    pairs
}

/// The twins write the same values in different lexical forms: `...00Z` and `...00.000Z`,
/// `+01:00` and `Z`, `50` and `50.0`. Equal text, the same instant or the same number agree.
fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (Timestamp::parse(a), Timestamp::parse(b)) {
        return x.unix_millis == y.unix_millis;
    }
    matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

fn same_option(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_value(a, b),
        (a, b) => a == b,
    }
}

/// The fields on which twins disagree, as "field: xml .. json ..".
#[derive(Default)]
struct Differences(Vec<String>);

impl Differences {
    fn check(&mut self, field: &str, same: bool, x: &dyn Debug, j: &dyn Debug) {
        if !same {
            self.0.push(format!("{field}: xml {x:?} json {j:?}"));
        }
    }

    fn equal<T: PartialEq + Debug>(&mut self, field: &str, x: &T, j: &T) {
        self.check(field, x == j, x, j);
    }
}

/// Where an XML event and its JSON-LD twin disagree on what both formats must carry.
fn differences(xml: &Event, json: &Event) -> Vec<String> {
    let mut out = Differences::default();
    out.equal("type", &xml.event_type, &json.event_type);
    let same_time = same_value(&xml.event_time, &json.event_time);
    out.check("eventTime", same_time, &xml.event_time, &json.event_time);
    out.equal("epcList", &xml.epc_list, &json.epc_list);
    out.equal("outputEPCList", &xml.output_epc_list, &json.output_epc_list);
    out.equal("action", &xml.action, &json.action);
    out.equal("parentID", &xml.parent_id, &json.parent_id);
    for (name, x, j) in [
        ("quantityList", &xml.quantity_list, &json.quantity_list),
        ("outputQuantityList", &xml.output_quantity_list, &json.output_quantity_list),
    ] {
        let same = x.len() == j.len()
            && x.iter().zip(j).all(|(a, b)| {
                a.epc_class == b.epc_class
                    && a.uom == b.uom
                    && same_option(a.quantity.as_deref(), b.quantity.as_deref())
            });
        out.check(name, same, x, j);
    }
    let id = |l: &Option<serialhub_epcis::Location>| l.as_ref().map(|l| l.id.clone());
    out.equal("readPoint", &id(&xml.read_point), &id(&json.read_point));
    out.equal("bizLocation", &id(&xml.biz_location), &id(&json.biz_location));
    for (name, vocab, x, j) in [
        ("bizStep", Vocab::BizStep, &xml.biz_step, &json.biz_step),
        ("disposition", Vocab::Disposition, &xml.disposition, &json.disposition),
    ] {
        let x = x.as_deref().map(|v| cbv::to_web_uri(vocab, v).into_owned());
        let j = j.as_deref().map(|v| cbv::to_web_uri(vocab, v).into_owned());
        out.equal(name, &x, &j);
    }
    let transactions = |e: &Event| -> Vec<(Option<String>, String)> {
        e.biz_transaction_list
            .iter()
            .map(|t| {
                let type_ = t
                    .type_
                    .as_deref()
                    .map(|v| cbv::to_web_uri(Vocab::BizTransactionType, v).into_owned());
                (type_, t.value.clone())
            })
            .collect()
    };
    out.equal("bizTransactionList", &transactions(xml), &transactions(json));
    let source_dests = |list: &[serialhub_epcis::SourceDest]| -> Vec<(String, String)> {
        list.iter()
            .map(|s| {
                (cbv::to_web_uri(Vocab::SourceDestType, &s.type_).into_owned(), s.value.clone())
            })
            .collect()
    };
    for (name, x, j) in [
        ("sourceList", source_dests(&xml.source_list), source_dests(&json.source_list)),
        (
            "destinationList",
            source_dests(&xml.destination_list),
            source_dests(&json.destination_list),
        ),
    ] {
        out.equal(name, &x, &j);
    }
    let x_sensors = &xml.sensor_element_list;
    let j_sensors = &json.sensor_element_list;
    out.equal("sensorElementList", &x_sensors.len(), &j_sensors.len());
    for (i, (xs, js)) in x_sensors.iter().zip(j_sensors).enumerate() {
        let metadata = |s: &serialhub_epcis::SensorElement| {
            s.sensor_metadata.as_ref().map(|m| m.fields.clone()).unwrap_or_default()
        };
        let (xm, jm) = (metadata(xs), metadata(js));
        for (k, name) in SENSOR_METADATA_FIELDS.iter().enumerate() {
            let same = same_option(xm[k].as_deref(), jm[k].as_deref());
            out.check(&format!("sensorMetadata[{i}].{name}"), same, &xm[k], &jm[k]);
        }
        let (xr, jr) = (&xs.sensor_report, &js.sensor_report);
        out.equal(&format!("sensorReport[{i}]"), &xr.len(), &jr.len());
        for (r, (xr, jr)) in xr.iter().zip(jr).enumerate() {
            for (k, name) in SENSOR_REPORT_FIELDS.iter().enumerate() {
                let (a, b) = (xr.fields[k].as_deref(), jr.fields[k].as_deref());
                // JSON-LD may write GS1 vocabulary terms short ("Temperature").
                let (a, b) = match *name {
                    "type" | "exception" | "component" => {
                        (a.map(cbv::gs1_voc_uri), b.map(cbv::gs1_voc_uri))
                    }
                    _ => (a.map(Cow::Borrowed), b.map(Cow::Borrowed)),
                };
                let same = same_option(a.as_deref(), b.as_deref());
                out.check(&format!("sensorReport[{i}][{r}].{name}"), same, &a, &b);
            }
        }
    }
    out.check(
        "extensions",
        xml.extensions.len() == json.extensions.len(),
        &xml.extensions.iter().map(|e| &e.name.local).collect::<Vec<_>>(),
        &json.extensions.iter().map(|e| &e.name.local).collect::<Vec<_>>(),
    );
    out.0
}

/// Where twins genuinely differ in content, as (XML file, event index, field, why).
const TWIN_DIFFERENCES: [(&str, usize, &str, &str); 4] = [
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Capture/Documents/ObjectEvent_with_comment.xml",
        0,
        "extensions",
        "the JSON twin has an rdfs:comment field; the XML twin has only XML comments, which are not content",
    ),
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Capture/Documents/epcisDocWithAllGS1Keys.xml",
        0,
        "epcList",
        "the third EPC is an SSCC URN in XML and the same SSCC as a GS1 Digital Link in JSON",
    ),
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Capture/Documents/epcisDocWithSensorComponent.xml",
        0,
        "epcList",
        "the GRAI is an EPC URN in XML and an id.example.com Digital Link in JSON",
    ),
    (
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Capture/Documents/epcisDocWithSensorComponent.xml",
        0,
        "readPoint",
        "the read point is an SGLN URN in XML and an id.example.com Digital Link in JSON",
    ),
];

#[test]
fn twins_agree() {
    let pairs = twins();
    // 29 openepcis twins and 10 hash generator twins are in the shared data.
    assert!(pairs.len() >= 35, "only {} twins found", pairs.len());
    let mut found = Vec::new();
    for (xml_file, json_file) in pairs {
        let xml = read_xml(&read_file(&xml_file)).unwrap_or_else(|e| panic!("{xml_file}: {e}"));
        let json =
            read_document(&read_file(&json_file)).unwrap_or_else(|e| panic!("{json_file}: {e}"));
        let (x, j) = (&xml.document.events, &json.document.events);
        assert_eq!(x.len(), j.len(), "{xml_file}: events in XML and in JSON");
        for (i, (a, b)) in x.iter().zip(j).enumerate() {
            for difference in differences(a, b) {
                let field = difference.split(':').next().unwrap_or_default().to_owned();
                found.push((xml_file.clone(), i, field, difference));
            }
        }
    }
    let fields: Vec<_> =
        found.iter().map(|(f, i, field, _)| (f.as_str(), *i, field.as_str())).collect();
    let expected: Vec<_> =
        TWIN_DIFFERENCES.iter().map(|(f, i, field, _)| (*f, *i, *field)).collect();
    assert_eq!(fields, expected, "differences: {found:#?}");
}

/// An EPCIS 2.0 document around `events`, with the first event on line 5.
fn document(events: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\">\n<EPCISBody>\n<EventList>\n{events}\n</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n"
    )
}

fn problems(collect: &Collect) -> Vec<String> {
    collect.problems.iter().map(|p| format!("{} {} {}", p.location, p.code, p.message)).collect()
}

#[test]
fn problems_have_the_line_of_their_element() {
    let xml = document(
        "<ObjectEvent>
  <eventTime>2024-01-01T00:00:00Z</eventTime>
  <action>OBSERVED</action>
  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
</ObjectEvent>
<ObjectEvent>
  <action>ADD</action>  stray
</ObjectEvent>
    <QuantityEvent><eventTime>2024-01-01T00:00:00Z</eventTime></QuantityEvent>
<TransformationEvent>
  <eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>Z</eventTimeZoneOffset>
  <inputQuantityList>
    <quantityElement><quantity>1</quantity></quantityElement>
  </inputQuantityList>
</TransformationEvent>",
    );
    let collect = read_xml(xml.as_bytes()).expect("readable");
    assert_eq!(
        problems(&collect),
        [
            "7:3 action action must be ADD, OBSERVE or DELETE, found \"OBSERVED\"",
            "7:3 element_order ObjectEvent: action must come after eventTimeZoneOffset (XSD sequence)",
            "11:25 ignored text here is not part of any field and is not kept",
            "10:1 required ObjectEvent needs eventTime",
            "10:1 required ObjectEvent needs eventTimeZoneOffset",
            "13:5 event_type unknown event type <QuantityEvent>; the event is skipped",
            "17:5 required quantityElement needs epcClass",
        ]
    );
    assert_eq!(collect.document.events.len(), 3);
    assert_eq!(collect.document.events[0].action, None);
}

#[test]
fn fatal_errors_have_their_line() {
    let mismatched = document("<ObjectEvent>\n<eventTime>x</eventTime>\n</AggregationEvent>");
    let err = read_xml(mismatched.as_bytes()).expect_err("mismatched end tag");
    assert_eq!(
        (err.problem.code, err.problem.location.to_string()),
        ("xml_syntax", "7:1".to_owned())
    );

    let entity = document("<ObjectEvent>\n<eventTime>&nbsp;</eventTime>\n</ObjectEvent>");
    let err = read_xml(entity.as_bytes()).expect_err("unknown entity");
    assert_eq!((err.problem.code, err.problem.location.to_string()), ("entity", "6:12".to_owned()));
}

#[test]
fn predefined_entities_and_character_references_are_text() {
    let xml = document(
        "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>Z</eventTimeZoneOffset><action>ADD</action>
<bizTransactionList><bizTransaction type=\"a&amp;b\">x&lt;y&#x41;&#66;<![CDATA[<c>]]></bizTransaction></bizTransactionList></ObjectEvent>",
    );
    let collect = read_xml(xml.as_bytes()).expect("readable");
    let transaction = &collect.document.events[0].biz_transaction_list[0];
    assert_eq!(
        (transaction.type_.as_deref(), transaction.value.as_str()),
        (Some("a&b"), "x<yAB<c>")
    );
}

/// A reader that counts the bytes taken from it: the measure of the work a refusal costs.
struct Counting<'a> {
    input: &'a [u8],
    taken: &'a Cell<usize>,
}

impl Read for Counting<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(out)?;
        self.taken.set(self.taken.get() + n);
        Ok(n)
    }
}

/// Checks that `input` fails with `code`, whole and streamed, and that the streamed read takes
/// at most `taken_max` bytes before it gives up.
#[track_caller]
fn refused(input: &[u8], code: &str, taken_max: usize) {
    let err = read_xml(input).expect_err("hostile input must be refused");
    assert_eq!(err.problem.code, code, "{err}");
    let taken = Cell::new(0);
    let reader = BufReader::with_capacity(64, Counting { input, taken: &taken });
    let err = serialhub_epcis::xml::read::read(reader, &Limits::default(), &mut Collect::default())
        .expect_err("hostile input must be refused when streamed");
    assert_eq!(err.problem.code, code, "{err}");
    assert!(
        taken.get() <= taken_max,
        "read {} bytes of {} before refusing",
        taken.get(),
        input.len()
    );
}

#[test]
fn hostile_input_is_refused() {
    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let previous = if i == 1 { "lol".to_owned() } else { format!("lol{}", i - 1) };
        laughs.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", format!("&{previous};").repeat(10)));
    }
    laughs.push_str("]>\n<lolz>&lol9;</lolz>\n");
    refused(laughs.as_bytes(), "dtd", laughs.len());

    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<foo>&x;</foo>";
    refused(external.as_bytes(), "dtd", external.len());
    let external_subset = b"<!DOCTYPE foo SYSTEM \"http://example.com/foo.dtd\"><foo/>";
    refused(external_subset, "dtd", external_subset.len());
    // Without a DTD an entity has no definition.
    let entity = document("<ObjectEvent>&x;</ObjectEvent>");
    refused(entity.as_bytes(), "entity", entity.len());

    let deep = document(&format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000)));
    refused(deep.as_bytes(), "depth", 1024);

    let long_name = document(&format!("<{}/>", "a".repeat(10 << 20)));
    refused(long_name.as_bytes(), "name_too_long", 4096);
    let long_attribute = document(&format!("<ObjectEvent {}=\"1\"/>", "a".repeat(4096)));
    refused(long_attribute.as_bytes(), "name_too_long", long_attribute.len());
    let long_text = document(&format!(
        "<ObjectEvent><eventTime>{}</eventTime></ObjectEvent>",
        "1".repeat(10 << 20)
    ));
    refused(long_text.as_bytes(), "text_too_long", 2 << 20);
    let long_comment = document(&format!("<!--{}-->", "-".repeat(10 << 20)));
    refused(long_comment.as_bytes(), "markup_too_long", 2 << 20);
    let many_attributes: String = (0..10_000).map(|i| format!(" a{i}=\"\"")).collect();
    let many_attributes = document(&format!("<ObjectEvent{many_attributes}/>"));
    refused(many_attributes.as_bytes(), "too_many_attributes", many_attributes.len());

    let mut invalid =
        document("<ObjectEvent><eventTime>2024</eventTime></ObjectEvent>").into_bytes();
    let at = invalid.windows(4).position(|w| w == b"2024").expect("the time is there");
    invalid[at] = 0xff;
    refused(&invalid, "utf8", invalid.len());

    let whole = document("<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime></ObjectEvent>");
    for cut in [whole.len() / 2, whole.find("<ObjectEvent").expect("an event") + 5] {
        refused(&whole.as_bytes()[..cut], "truncated", cut);
    }
    refused(b"", "empty", 0);
    let two_roots = b"<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\"/><again/>";
    refused(two_roots, "xml_syntax", two_roots.len());
    refused(b"<p:EPCISDocument/>", "namespace", 64);
}

#[test]
fn a_bare_doctype_declares_nothing_and_is_accepted() {
    let xml = document("")
        .replace("<?xml version=\"1.0\"?>\n", "<?xml version=\"1.0\"?>\n<!DOCTYPE project>");
    read_xml(xml.as_bytes()).expect("a DOCTYPE with only a name is harmless");
}

#[test]
fn streaming_through_a_small_buffer_reads_the_same() {
    for file in [
        "quartet-epcis/tests/data/commission.xml",
        "gs1-epcis/XML/WithSensorData/SensorDataExamples.xml",
    ] {
        let bytes = read_file(file);
        let whole = read_xml(&bytes).expect("readable");
        let mut streamed = Collect::default();
        let reader = std::io::BufReader::with_capacity(7, &bytes[..]);
        serialhub_epcis::xml::read::read(reader, &Limits::default(), &mut streamed)
            .expect("readable");
        assert_eq!(streamed.document, whole.document, "{file}");
        assert_eq!(streamed.problems, whole.problems, "{file}");
    }
}

#[test]
fn limits_on_events_and_a_stopping_consumer_end_the_read() {
    let xml = read_file("gs1-epcis/XML/WithSensorData/SensorDataExamples.xml");
    let limits = Limits { events_max: 3, ..Limits::default() };
    let err = read_with(&xml, &limits).expect_err("too many events");
    assert_eq!(err.problem.code, "too_many_events");

    struct StopAtSecond(usize);
    impl serialhub_epcis::Handler for StopAtSecond {
        fn header(&mut self, _: &serialhub_epcis::Header) -> Result<(), serialhub_epcis::Stopped> {
            Ok(())
        }
        fn event(&mut self, _: Event) -> Result<(), serialhub_epcis::Stopped> {
            self.0 += 1;
            if self.0 == 2 { Err(serialhub_epcis::Stopped) } else { Ok(()) }
        }
        fn problem(&mut self, _: serialhub_epcis::Problem) -> Result<(), serialhub_epcis::Stopped> {
            Ok(())
        }
    }
    let mut handler = StopAtSecond(0);
    let err = serialhub_epcis::xml::read::read(&xml[..], &Limits::default(), &mut handler)
        .expect_err("stopped");
    assert_eq!((err.problem.code, handler.0), ("stopped", 2));
}

#[test]
fn epcis_1_2_wrappers_are_unwrapped() {
    let base = "openepcis-test-resources/core/src/main/resources/";
    let old = read_xml(&read_file(&format!(
        "{base}1.2/EPCIS/XML/Capture/Documents/ObjectEvent_all_possible_fields.xml"
    )))
    .expect("readable");
    let event = &old.document.events[0];
    assert_eq!(event.event_id.as_deref().map(|id| &id[..14]), Some("ni:///sha-256;"));
    let declaration = event.error_declaration.as_ref().expect("baseExtension/errorDeclaration");
    assert_eq!(declaration.corrective_event_ids.len(), 1);
    assert_eq!(declaration.extensions[0].name.local, "vendorExtension");
    assert_eq!(event.quantity_list[0].quantity.as_deref(), Some("200"));
    assert_eq!((event.source_list.len(), event.destination_list.len()), (3, 3));
    assert_eq!(event.ilmd.as_ref().map(Vec::len), Some(19));
    // extension/extension holds the 2.0 fields in this 1.2 document.
    let sensor = &event.sensor_element_list[0];
    assert_eq!(sensor.sensor_report[0].get("value"), Some("26.0"));
    assert_eq!(
        sensor.sensor_metadata.as_ref().and_then(|m| m.get("bizRules")),
        Some("https://example.com/253/4012345000054987")
    );
    let metadata_extension = &sensor.sensor_metadata.as_ref().expect("metadata").extensions[0];
    assert_eq!(
        (metadata_extension.name.namespace.as_str(), metadata_extension.name.local.as_str()),
        ("http://example.com/ext1/", "someFurtherMetadata")
    );
    assert_eq!(metadata_extension.content, serialhub_epcis::Content::Text("someText".to_owned()));
    let disposition = event.persistent_disposition.as_ref().expect("persistentDisposition");
    assert_eq!((disposition.set.len(), disposition.unset.len()), (1, 1));
    assert_eq!(event.certification_info, ["test certification"]);
    // No extension wrapper is left: every child of them was a standard field.
    assert!(event.extensions.iter().all(|e| e.name.local != "extension"), "{:?}", event.extensions);
    // Its only flaw, listed in KNOWN_PROBLEMS: certificationInfo after the 1.2 wrappers.
    let codes: Vec<_> = old.problems.iter().map(|p| (p.location.to_string(), p.code)).collect();
    assert_eq!(codes, [("142:17".to_owned(), "element_order")]);

    let transformation =
        read_xml(&read_file("gs1-epcis/XSL/1.2/XML/TransformationEvent.xml")).expect("readable");
    assert_eq!(
        transformation.document.events[0].event_type,
        Some(serialhub_epcis::EventType::TransformationEvent)
    );
}

#[test]
fn extension_wrappers_without_standard_fields_are_kept() {
    let collect =
        read_xml(&read_file("gs1-epcis/XML/WithExtension/ObjectEvent.xml")).expect("readable");
    let event = &collect.document.events[1];
    let names: Vec<_> = event
        .extensions
        .iter()
        .map(|e| (e.name.namespace.as_str(), e.name.local.as_str()))
        .collect();
    assert_eq!(names, [("", "extension"), ("http://ns.example.com/epcis", "userElement")]);
    let serialhub_epcis::Content::Children(children) = &event.extensions[0].content else {
        panic!("the wrapper keeps its children: {:?}", event.extensions[0]);
    };
    assert_eq!(
        (children[0].name.prefix.as_str(), children[0].name.local.as_str()),
        ("example", "extension")
    );
    let ilmd = event.ilmd.as_ref().expect("ilmd");
    let serialhub_epcis::Content::Children(parts) = &ilmd[0].content else { panic!("{ilmd:?}") };
    assert_eq!(
        parts.iter().map(|p| p.content.text().unwrap_or_default().into_owned()).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert_eq!(
        collect.document.header.namespaces,
        [("example".to_owned(), "http://ns.example.com/epcis".to_owned())]
    );
}

#[test]
fn headers_keep_sbdh_master_data_and_query_fields() {
    let pharma = read_xml(&read_file(
        "openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML/Capture/Documents/GS1_US_Pharma_Example_2_2_1_1.xml",
    ))
    .expect("readable");
    let header = &pharma.document.header;
    let sbdh = header.sbdh.as_ref().expect("the SBDH");
    assert_eq!(
        sbdh.name.namespace,
        "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
    );
    assert_eq!(header.schema_version.as_deref(), Some("1.2"));
    let types: Vec<_> = header.master_data.iter().map(|v| v.type_.as_str()).collect();
    assert_eq!(types, ["urn:epcglobal:epcis:vtype:EPCClass", "urn:epcglobal:epcis:vtype:Location"]);
    assert!(header.master_data.iter().all(|v| !v.elements.is_empty()));

    let query = read_xml(&read_file(
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/XML/Query/queryDocument.xml",
    ))
    .expect("readable");
    let header = &query.document.header;
    assert_eq!(header.kind, serialhub_epcis::DocumentKind::EpcisQueryDocument);
    assert_eq!(header.query_name.as_deref(), Some("SimpleEventQuery"));
    assert_eq!(header.subscription_id.as_deref(), Some("32d2aec1-a6d2-46d9-900a-24124288cce1"));

    let master =
        read_xml(&read_file("gs1-epcis/XML/Mimasu/Example-masterData.xml")).expect("readable");
    let location = &master.document.header.master_data[0].elements[0];
    assert_eq!(location.children.len(), 3);
    assert!(matches!(location.attributes[2].value, serialhub_epcis::Content::Children(_)));
}

/// A handler that records where each event is, as `Handler::event_at` gives it.
#[derive(Default)]
struct EventPlaces(Vec<String>);

impl serialhub_epcis::Handler for EventPlaces {
    fn header(&mut self, _: &serialhub_epcis::Header) -> Result<(), serialhub_epcis::Stopped> {
        Ok(())
    }
    fn event(&mut self, _: Event) -> Result<(), serialhub_epcis::Stopped> {
        self.0.push("event without a place".to_owned());
        Ok(())
    }
    fn event_at(&mut self, _: Event, at: Where) -> Result<(), serialhub_epcis::Stopped> {
        self.0.push(at.to_string());
        Ok(())
    }
    fn problem(&mut self, _: serialhub_epcis::Problem) -> Result<(), serialhub_epcis::Stopped> {
        Ok(())
    }
}

#[test]
fn events_are_handed_on_with_the_place_of_their_start_tag() {
    let xml = document(
        "<ObjectEvent><action>ADD</action></ObjectEvent>
  <extension><TransformationEvent/></extension>",
    );
    let mut places = EventPlaces::default();
    serialhub_epcis::xml::read::read(xml.as_bytes(), &Limits::default(), &mut places)
        .expect("readable");
    assert_eq!(places.0, ["5:1", "6:14"]);

    let bare = "<ObjectEvent xmlns=\"urn:epcglobal:epcis:xsd:2\">\n</ObjectEvent>";
    let mut places = EventPlaces::default();
    serialhub_epcis::xml::read::read(bare.as_bytes(), &Limits::default(), &mut places)
        .expect("readable");
    assert_eq!(places.0, ["1:1"]);
}

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[test]
fn nil_elements_are_absent() {
    let xml = document(&format!(
        "<ObjectEvent xmlns:xsi=\"{XSI}\" xmlns:i=\"{XSI}\">
<eventTime>2024-01-01T00:00:00Z</eventTime><recordTime xsi:nil=\"true\"/>
<eventTimeZoneOffset>Z</eventTimeZoneOffset>
<epcList xsi:nil=\"true\"/><action>ADD</action>
<bizStep xsi:nil=\" true \"/><disposition i:nil=\"1\"></disposition>
<readPoint xsi:nil=\"false\"><id>urn:x</id></readPoint>
<bizLocation nil=\"true\"><id>urn:y</id></bizLocation>
<quantityList><quantityElement><epcClass>urn:c</epcClass><quantity xsi:nil=\"true\"/>
<uom xsi:nil=\"true\"/></quantityElement></quantityList>
<ilmd xsi:nil=\"true\">text</ilmd>
</ObjectEvent>
<ObjectEvent xmlns:xsi=\"{XSI}\">
<eventTime xsi:nil=\"true\"/><eventTimeZoneOffset>Z</eventTimeZoneOffset>
<errorDeclaration><declarationTime>2024-01-01T00:00:00Z</declarationTime>
<reason xsi:nil=\"true\"/><correctiveEventIDs xsi:nil=\"true\"/></errorDeclaration>
<action>ADD</action></ObjectEvent>"
    ));
    let collect = read_xml(xml.as_bytes()).expect("readable");
    let [first, second] = &collect.document.events[..] else {
        panic!("two events: {:?}", collect.document.events);
    };
    assert_eq!(first.record_time, None);
    assert!(first.epc_list.is_empty());
    assert_eq!((first.biz_step.as_deref(), first.disposition.as_deref()), (None, None));
    // `xsi:nil="false"` is a value, and a `nil` attribute without namespace is not XSI's.
    assert_eq!(first.read_point.as_ref().map(|l| l.id.as_str()), Some("urn:x"));
    assert_eq!(first.biz_location.as_ref().map(|l| l.id.as_str()), Some("urn:y"));
    let quantity = &first.quantity_list[0];
    assert_eq!((quantity.quantity.as_deref(), quantity.uom.as_deref()), (None, None));
    assert_eq!(first.ilmd, None);
    assert_eq!(second.event_time, "");
    let declaration = second.error_declaration.as_ref().expect("errorDeclaration");
    assert_eq!(declaration.reason, None);
    assert!(declaration.corrective_event_ids.is_empty());
    assert_eq!(
        problems(&collect),
        [
            "14:1 ignored the content of a nil element (xsi:nil=\"true\") is not kept",
            "16:1 required ObjectEvent needs eventTime",
        ]
    );
}

/// The reader's `element_order` problems for `events` in a 2.0 document.
fn order_problems(events: &str) -> Vec<String> {
    let collect = read_xml(document(events).as_bytes()).expect("readable");
    collect
        .problems
        .iter()
        .filter(|p| p.code == "element_order")
        .map(|p| format!("{} {}", p.location, p.message))
        .collect()
}

/// The children of each event type in the sequence of `EPCglobal-epcis-2_0.xsd`, copied from
/// it rather than from the reader's table.
const SEQUENCES_2_0: [(&str, &[&str]); 5] = [
    (
        "ObjectEvent",
        &[
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
            "extension",
        ],
    ),
    (
        "AggregationEvent",
        &[
            "parentID",
            "childEPCs",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "childQuantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "extension",
        ],
    ),
    (
        "TransactionEvent",
        &[
            "bizTransactionList",
            "parentID",
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "extension",
        ],
    ),
    (
        "TransformationEvent",
        &[
            "inputEPCList",
            "inputQuantityList",
            "outputEPCList",
            "outputQuantityList",
            "transformationID",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
            "extension",
        ],
    ),
    (
        "AssociationEvent",
        &[
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "extension",
        ],
    ),
];

/// `EPCISEventType`'s children in 2.0, before each type's own.
const COMMON_2_0: [&str; 7] = [
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
    "baseExtension",
];

/// One child element, with the content the reader needs to read it without problems.
fn child(name: &str) -> String {
    match name {
        "action" => "<action>ADD</action>".to_owned(),
        "readPoint" | "bizLocation" => format!("<{name}><id>urn:x</id></{name}>"),
        "errorDeclaration" => "<errorDeclaration><declarationTime>2024-01-01T00:00:00Z\
                               </declarationTime></errorDeclaration>"
            .to_owned(),
        _ => format!("<{name}/>"),
    }
}

fn event_of(event_type: &str, children: &[&str]) -> String {
    let children: String = children.iter().map(|c| child(c)).collect();
    format!("<{event_type}>{children}<ext:field xmlns:ext=\"urn:x\"/></{event_type}>")
}

#[test]
fn each_event_type_in_xsd_order_has_no_order_problem_and_each_swap_has_one() {
    for (event_type, own) in SEQUENCES_2_0 {
        let sequence: Vec<&str> = COMMON_2_0.iter().chain(own).copied().collect();
        assert_eq!(order_problems(&event_of(event_type, &sequence)), Vec::<String>::new());
        for i in 0..sequence.len() - 1 {
            let mut swapped = sequence.clone();
            swapped.swap(i, i + 1);
            let problems = order_problems(&event_of(event_type, &swapped));
            let expected = format!(
                "{event_type}: {} must come after {} (XSD sequence)",
                sequence[i + 1],
                sequence[i]
            );
            assert!(
                problems.len() == 1 && problems[0].ends_with(&expected),
                "{event_type} with {} and {} swapped: {problems:?}",
                sequence[i],
                sequence[i + 1]
            );
        }
    }
}

#[test]
fn order_problems_point_at_the_fewest_moves() {
    // One field too early: it is reported, naming the last field it must follow.
    assert_eq!(
        order_problems(&event_of(
            "ObjectEvent",
            &["action", "eventTime", "eventTimeZoneOffset", "epcList", "bizStep"]
        )),
        ["5:14 ObjectEvent: action must come after epcList (XSD sequence)"]
    );
    // One field too late, after several: it is reported, naming the first it must precede.
    assert_eq!(
        order_problems(&event_of(
            "ObjectEvent",
            &["eventTime", "eventTimeZoneOffset", "action", "bizStep", "disposition", "epcList"]
        )),
        ["5:92 ObjectEvent: epcList must come before action (XSD sequence)"]
    );
    // Elements of other namespaces come after every standard field.
    let late = "<ObjectEvent><eventTime/><ext:a xmlns:ext=\"urn:x\"/><eventTimeZoneOffset/>\
                <ext:b xmlns:ext=\"urn:x\"/><action>ADD</action></ObjectEvent>";
    assert_eq!(
        order_problems(late),
        ["5:26 ObjectEvent: user extension elements must come after action (XSD sequence)"]
    );
}

#[test]
fn misplaced_fields_are_read_all_the_same() {
    let xml = document(&event_of("ObjectEvent", &["action", "eventTime", "epcList"]));
    let collect = read_xml(xml.as_bytes()).expect("readable");
    let event = &collect.document.events[0];
    assert_eq!(event.action, Some(serialhub_epcis::Action::Add));
    assert_eq!(collect.problems.iter().filter(|p| p.code == "element_order").count(), 1);
}

#[test]
fn epcis_1_2_order_is_checked_within_each_wrapper() {
    // Every 1.2 field, in the sequence of each level of `EPCglobal-epcis-1_2.xsd`; the 2.0
    // fields in extension/extension, which is `xsd:any`, in any order.
    let in_order = "<ObjectEvent><eventTime/><recordTime/><eventTimeZoneOffset/>\
        <baseExtension><eventID/><errorDeclaration><declarationTime/></errorDeclaration>\
        <extension/></baseExtension>\
        <epcList/><action>ADD</action><bizStep/><disposition/><readPoint><id>x</id></readPoint>\
        <bizLocation><id>y</id></bizLocation><bizTransactionList/>\
        <extension><quantityList/><sourceList/><destinationList/><ilmd/>\
        <extension><persistentDisposition/><certificationInfo/><sensorElementList/></extension>\
        </extension><ext:field xmlns:ext=\"urn:x\"/></ObjectEvent>";
    assert_eq!(order_problems(in_order), Vec::<String>::new());
    let swapped = in_order.replace(
        "<eventID/><errorDeclaration><declarationTime/></errorDeclaration>",
        "<errorDeclaration><declarationTime/></errorDeclaration><eventID/>",
    );
    assert_eq!(
        order_problems(&swapped),
        ["5:76 ObjectEvent: errorDeclaration must come after eventID (XSD sequence)"]
    );
    let swapped =
        in_order.replace("<sourceList/><destinationList/>", "<destinationList/><sourceList/>");
    assert_eq!(order_problems(&swapped).len(), 1, "{swapped}");

    // 1.2 has no AssociationEvent: its events in EventList/extension/extension are `xsd:any`,
    // and GS1's own 1.2 rendering puts childQuantityList last.
    let association = "<extension><extension><AssociationEvent><eventTime/>\
        <eventTimeZoneOffset/><parentID/><action>ADD</action><childQuantityList/>\
        </AssociationEvent></extension></extension>";
    assert_eq!(order_problems(association), Vec::<String>::new());
    let association =
        association.replace("<extension><extension>", "").replace("</extension></extension>", "");
    assert_eq!(order_problems(&association).len(), 1, "{association}");
}
