//! `serialhub epcis hash|validate|convert`: the command-line contract other tools rely on.

use std::path::{Path, PathBuf};

use crate::serialhub;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ref")
}

fn example(name: &str) -> String {
    shared()
        .join("epcis-event-hash-generator/tests/examples")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn hash_prints_one_line_per_event_and_nothing_else() {
    for name in ["epcisDocWithVariousEventTypes.jsonld", "epcisDocWithVariousEventTypes.xml"] {
        let out = serialhub(&["epcis", "hash", &example(name)], b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let want = std::fs::read_to_string(example("epcisDocWithVariousEventTypes.hashes"))
            .expect("golden hashes");
        assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), want.lines().collect::<Vec<_>>());
    }
}

#[test]
fn hash_reads_standard_input() {
    let doc = std::fs::read(example("epcisDocWithSingleEvent.jsonld")).expect("example");
    let out = serialhub(&["epcis", "hash", "-"], &doc);
    assert_eq!(out.status.code(), Some(0));
    let want = std::fs::read_to_string(example("epcisDocWithSingleEvent.hashes")).expect("golden");
    assert_eq!(text(&out.stdout).trim(), want.trim());
}

#[test]
fn hash_of_a_broken_document_fails_with_its_location() {
    let out = serialhub(&["epcis", "hash", "-"], b"{\"epcisBody\": {\"eventList\": [ {\"type\": ");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.starts_with("-:1:"), "{err}");
    assert!(err.contains("invalid JSON"), "{err}");
}

#[test]
fn validate_exits_0_for_valid_files_and_1_with_located_problems() {
    let good = example("epcisDocWithSingleEvent.jsonld");
    let out =
        serialhub(&["epcis", "validate", &good, &example("ReferenceEventHashAlgorithm.xml")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(out.stdout.is_empty());

    let bad = shared().join(
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS/JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep.json",
    );
    let bad = bad.to_str().expect("UTF-8 path");
    let out = serialhub(&["epcis", "validate", &good, bad], b"");
    assert_eq!(out.status.code(), Some(1));
    let listing = text(&out.stdout);
    let first = listing.lines().next().expect("a problem line");
    assert!(first.starts_with(&format!("{bad}:/epcisBody/eventList/0/bizStep: ")), "{listing}");
}

#[test]
fn validate_prints_warnings_and_exits_0_when_there_is_no_error() {
    // The JSON Schema takes any URI outside its excluded prefixes as a bizStep, but this one is
    // in the CBV namespace, where CBV 2.0 defines no such value (it misspells BizStep-).
    let doc = br#"{
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2020-06-01T10:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent",
            "eventTime": "2020-06-01T10:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
            "bizStep": "https://ref.gs1.org/cbv/Bizstep-shipping"
        }]}
    }"#;
    let out = serialhub(&["epcis", "validate", "-"], doc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stdout),
        "-:/epcisBody/eventList/0/bizStep: warning: non-standard bizStep: \
         \"https://ref.gs1.org/cbv/Bizstep-shipping\" is in the CBV namespace but is not a CBV \
         2.0 value\n"
    );
}

#[test]
fn validate_reports_unreadable_files() {
    let out = serialhub(&["epcis", "validate", "/nonexistent/doc.jsonld"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("/nonexistent/doc.jsonld:0: could not open"));
}

#[test]
fn convert_keeps_every_event_hash_in_every_direction() {
    for name in ["epcisDocWithVariousEventTypes.jsonld", "ReferenceEventHashAlgorithm2.xml"] {
        let original = serialhub(&["epcis", "hash", &example(name)], b"");
        assert_eq!(original.status.code(), Some(0));
        for to in ["jsonld", "xml", "xml12"] {
            let converted = serialhub(&["epcis", "convert", "--to", to, &example(name)], b"");
            assert_eq!(
                converted.status.code(),
                Some(0),
                "{name} to {to}: {}",
                text(&converted.stderr)
            );
            let again = serialhub(&["epcis", "hash", "-"], &converted.stdout);
            assert_eq!(again.status.code(), Some(0), "{name} to {to}: {}", text(&again.stderr));
            assert_eq!(text(&again.stdout), text(&original.stdout), "{name} to {to}");
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = serialhub(&["epcis", "convert", "--to", "yaml", "x"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = serialhub(&["epcis", "validate"], b"");
    assert_eq!(out.status.code(), Some(2));
}

/// JSON-LD is hashed on every core; a bad event after good ones still gives the good ones'
/// hashes in order, then the error with its place, as a one-thread reader would.
#[test]
fn hash_keeps_order_and_stops_at_the_first_bad_event() {
    let mut doc = String::from(
        r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z", "epcisBody": {"eventList": ["#,
    );
    for i in 0..2000 {
        doc.push_str(&format!(
            "\n{{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-01-01T00:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": [\"urn:epc:id:sgtin:4012345.012345.{i}\"]}},"
        ));
    }
    let good = format!("{}\n{{\"type\": \"ObjectEvent\"}}]}}}}", doc);
    let out = serialhub(&["epcis", "hash", "-"], good.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let hashes: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(hashes.len(), 2001);
    // Each event differs only in its serial: all hashes differ, and their order is the
    // document's (the same as hashing the first event alone, and so on).
    let unique: std::collections::HashSet<_> = hashes.iter().collect();
    assert_eq!(unique.len(), 2001);
    let first = format!(
        "{}]}}}}",
        doc.split_once('\n').map_or("", |(head, _)| head).to_owned()
            + "\n"
            + doc.lines().nth(1).unwrap_or_default().trim_end_matches(',')
    );
    let one = serialhub(&["epcis", "hash", "-"], first.as_bytes());
    assert_eq!(text(&one.stdout).trim(), hashes[0]);

    let bad = format!("{}\n{{\"type\": \"ObjectEvent\", \"action\": OBSERVE}}]}}}}", doc);
    let out = serialhub(&["epcis", "hash", "-"], bad.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        hashes[..2000].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let err = text(&out.stderr);
    assert!(err.starts_with("-:2002:"), "{err}");
}

/// `serialhub epcis hash big.jsonld | head -1` must end, not hang: when standard output closes,
/// the writer, the workers and the reader all stop. See: fix after the reviewer's finding.
#[test]
fn hash_stops_when_its_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("serialhub-it-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.jsonld");
    let mut doc = String::from(
        r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument", "epcisBody": {"eventList": ["#,
    );
    for i in 0..100_000 {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            "{{\"type\": \"ObjectEvent\", \"eventTime\": \"2024-01-01T00:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"epcList\": [\"urn:epc:id:sgtin:4012345.012345.{i}\"]}}"
        ));
    }
    doc.push_str("]}}");
    std::fs::write(&path, doc).expect("write the document");
    let mut child = Command::new(env!("CARGO_BIN_EXE_serialhub"))
        .args(["epcis", "hash", path.to_str().expect("UTF-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serialhub starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut first).expect("a line");
    assert!(first.starts_with("ni:///sha-256;"));
    // The pipe's read end is gone now; the process must finish on its own.
    // Up to 30 s in 20 ms steps (no wall clock in tests: counting sleeps is enough here).
    let mut waited = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        waited += 1;
        if waited > 1500 {
            let _ = child.kill();
            panic!("serialhub epcis hash hung after its standard output closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
