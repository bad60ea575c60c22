//! The JSON-LD reader: the streaming path (any reader, any chunk size) reads exactly what the
//! in-memory path reads, error locations included, and hostile input is refused with bounded work.

use std::io::Read;
use std::path::{Path, PathBuf};

use serialhub_epcis::context::Context;
use serialhub_epcis::json::read::{decode_event, read_reader, read_slice};
use serialhub_epcis::{Collect, Event, Handler, Header, Limits, Problem, RawEvent, Stopped, Where};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ref")
}

/// Hands out at most `n` bytes per read, to cut values at every possible place.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn json_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![
        shared().join("gs1-epcis/JSON"),
        shared().join("gs1-epcis/JSON-simple-context"),
        shared().join("openepcis-test-resources/core/src/main/resources/2.0/EPCIS/JSON"),
        shared().join("epcis-event-hash-generator/tests/examples"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "jsonld")) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read_both(bytes: &[u8], chunk: usize) -> (Result<Collect, String>, Result<Collect, String>) {
    let mut a = Collect::default();
    let ra = read_slice(bytes, &Limits::default(), &mut a).map(|()| a).map_err(|e| e.to_string());
    let mut b = Collect::default();
    let rb = read_reader(Trickle { data: bytes, n: chunk }, &Limits::default(), &mut b)
        .map(|()| b)
        .map_err(|e| e.to_string());
    (ra, rb)
}

#[test]
fn streaming_reads_what_the_slice_reader_reads() {
    let files = json_files();
    assert!(files.len() > 60, "{} files", files.len());
    for path in files {
        let bytes = std::fs::read(&path).expect("file");
        for chunk in [1, 7, 4096] {
            let (a, b) = read_both(&bytes, chunk);
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.document, b.document, "{} chunk {chunk}", path.display());
                    assert_eq!(a.problems, b.problems, "{} chunk {chunk}", path.display());
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{}", path.display()),
                (a, b) => panic!("{}: {:?} vs {:?}", path.display(), a.err(), b.err()),
            }
        }
    }
}

#[test]
fn syntax_errors_have_the_same_location_on_both_paths() {
    let doc = b"{\n  \"type\": \"EPCISDocument\",\n  \"epcisBody\": {\"eventList\": [\n    {\"type\": \"ObjectEvent\", \"action\": OBSERVE}\n  ]}\n}";
    let (a, b) = read_both(doc, 3);
    let (a, b) = (a.expect_err("fails"), b.expect_err("fails"));
    assert_eq!(a, b);
    assert!(a.starts_with("4:"), "{a}");
}

#[test]
fn hostile_documents_are_refused_quickly() {
    // Deep nesting inside an event: serde_json's recursion limit answers, not a stack overflow.
    let mut deep =
        String::from(r#"{"@context":[],"epcisBody":{"eventList":[{"type":"ObjectEvent","ex:x":"#);
    deep.push_str(&"[".repeat(100_000));
    let (a, _) = read_both(deep.as_bytes(), 4096);
    let err = a.expect_err("refused");
    assert!(err.contains("recursion limit") || err.contains("ends inside"), "{err}");

    // A value larger than the limit is refused before it is all in memory.
    let limits = Limits { text_len_max: 1 << 10, ..Limits::default() };
    let mut big =
        String::from(r#"{"@context":[],"epcisBody":{"eventList":[{"type":"ObjectEvent","ex:x":""#);
    big.push_str(&"a".repeat(64 << 20));
    big.push_str(r#""}]}}"#);
    let mut c = Collect::default();
    let err = read_reader(big.as_bytes(), &limits, &mut c).expect_err("too large");
    assert_eq!(err.problem.code, "too_large");
    assert!(matches!(err.problem.location, Where::Line { line: 1, .. }));

    // Invalid UTF-8 inside a string.
    let bad = b"{\"type\":\"EPCISDocument\",\"epcisBody\":{\"eventList\":[{\"type\":\"Object\xffEvent\"}]}}";
    let (a, _) = read_both(bad, 5);
    assert!(a.expect_err("refused").contains("invalid JSON"));

    // Trailing garbage after the document.
    let (a, _) = read_both(br#"{"type":"EPCISDocument"} {"#, 5);
    assert!(a.expect_err("refused").contains("trailing"));
}

/// Takes events raw and decodes them itself, as a parallel consumer would.
#[derive(Default)]
struct RawCollect {
    inner: Collect,
    ctx: Context,
    error: Option<String>,
}

impl Handler for RawCollect {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.ctx = Context { declared: header.namespaces.clone(), urls: Vec::new() };
        self.inner.header(header)
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        self.inner.event(event)
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        self.inner.problem(problem)
    }
    fn wants_raw(&self) -> bool {
        true
    }
    fn raw_event(&mut self, raw: RawEvent<'_>) -> Result<(), Stopped> {
        match decode_event(&self.ctx, &raw) {
            Ok((event, problems)) => {
                problems.into_iter().try_for_each(|p| self.inner.problem(p))?;
                self.inner.event(event)
            }
            Err(e) => {
                self.error = Some(e.to_string());
                Err(Stopped)
            }
        }
    }
}

#[test]
fn raw_events_decoded_by_the_consumer_equal_the_reader_s_own() {
    for path in json_files() {
        let bytes = std::fs::read(&path).expect("file");
        let mut plain = Collect::default();
        let a = read_reader(Trickle { data: &bytes, n: 4096 }, &Limits::default(), &mut plain);
        let mut raw = RawCollect::default();
        let b = read_reader(Trickle { data: &bytes, n: 4096 }, &Limits::default(), &mut raw);
        match (a, b) {
            (Ok(()), Ok(())) => {
                assert_eq!(plain.document, raw.inner.document, "{}", path.display());
                assert_eq!(plain.problems, raw.inner.problems, "{}", path.display());
            }
            (Err(a), Err(_)) => {
                // The raw path stops at the consumer's decode error: it must be the same one.
                assert_eq!(Some(a.to_string()), raw.error, "{}", path.display());
            }
            (a, b) => panic!("{}: {a:?} vs {b:?}", path.display()),
        }
    }
    // A decode error inside an event is located the same way on both paths.
    let doc = b"{\"@context\": [],\n \"epcisBody\": {\"eventList\": [\n  {\"type\": \"ObjectEvent\"},\n  {\"type\": \"ObjectEvent\",\n   \"action\": OBSERVE}]}}";
    let mut plain = Collect::default();
    let a = read_slice(doc, &Limits::default(), &mut plain).expect_err("fails");
    let mut raw = RawCollect::default();
    let _ = read_slice(doc, &Limits::default(), &mut raw);
    assert_eq!(Some(a.to_string()), raw.error);
    assert!(a.to_string().starts_with("5:"), "{a}");
}

// See: review of 2026-11-24 (a scalar just before a closing bracket; a byte order mark).
#[test]
fn minified_scalars_before_brackets_and_byte_order_marks_read() {
    let doc = br#"{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":2.0,"epcisBody":{"eventList":[{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[],"ex:n":1}],"ex:flag":true},"ex:last":2}"#;
    for bom in [&b""[..], b"\xEF\xBB\xBF"] {
        let bytes = [bom, &doc[..]].concat();
        for chunk in [1, 3, 4096] {
            let (a, b) = read_both(&bytes, chunk);
            let (a, b) = (a.expect("reads"), b.expect("reads"));
            assert_eq!(a.document.events.len(), 1);
            assert_eq!(a.document.header.schema_version.as_deref(), Some("2.0"));
            assert_eq!(a.document, b.document);
        }
    }
}
