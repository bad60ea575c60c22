//! Benchmarks of the EPCIS readers and the event hash, on a generated document of ObjectEvents
//! with ten SGTINs each (the shape of `bench/gen_epcis.py`, built in memory here).
//!
//! `cargo bench -p serialhub-epcis`; figures and peers are in BENCHMARKS.md.

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use serialhub_epcis::hash::EventHasher;
use serialhub_epcis::{Collect, Event, Handler, Header, Limits, Problem, Stopped};

fn main() {
    divan::main();
}

const EVENTS: usize = 2_000;

/// A JSON-LD document like `bench/gen_epcis.py --events N --epcs 10`.
fn document(n: usize) -> String {
    let mut s = String::from(
        "{\n  \"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", \
         {\"ex\": \"https://ns.example.com/epcis/\"}],\n  \"type\": \"EPCISDocument\",\n  \
         \"schemaVersion\": \"2.0\",\n  \"creationDate\": \"2024-03-01T00:00:00.000Z\",\n  \
         \"epcisBody\": {\n    \"eventList\": [\n",
    );
    let steps = ["commissioning", "packing", "shipping", "receiving"];
    let disps = ["active", "in_progress", "in_transit", "in_progress"];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        if i > 0 {
            s.push_str(",\n");
        }
        let item = 100_000 + (i * 7919) % 900_000;
        let mut epcs = Vec::new();
        for _ in 0..10 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            epcs.push(format!(
                "\"urn:epc:id:sgtin:4012345.{item:06}.{}\"",
                100_000_000_000 + x % 900_000_000_000
            ));
        }
        s.push_str(&format!(
            "      {{\n        \"type\": \"ObjectEvent\",\n        \"eventTime\": \
             \"2024-03-{:02}T{:02}:{:02}:{:02}.{:03}+01:00\",\n        \"eventTimeZoneOffset\": \
             \"+01:00\",\n        \"epcList\": [\n          {}\n        ],\n        \"action\": \
             \"OBSERVE\",\n        \"bizStep\": \"{}\",\n        \"disposition\": \"{}\",\n        \
             \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4012345.00001.{}\"}},\n        \
             \"bizLocation\": {{\"id\": \"urn:epc:id:sgln:4012345.00001.0\"}},\n        \
             \"bizTransactionList\": [{{\"type\": \"po\", \"bizTransaction\": \
             \"urn:epcglobal:cbv:bt:4012345000009:PO{i:08}\"}}],\n        \"ex:lot\": \
             \"LOT{:04}\"\n      }}",
            1 + i % 28,
            (i / 60) % 24,
            i % 60,
            i % 60,
            i % 1000,
            epcs.join(",\n          "),
            steps[i % 4],
            disps[i % 4],
            i % 7,
            i % 1000
        ));
    }
    s.push_str("\n    ]\n  }\n}\n");
    s
}

/// Counts events without keeping them: the reader's cost alone.
#[derive(Default)]
struct Count(usize);

impl Handler for Count {
    fn header(&mut self, _: &Header) -> Result<(), Stopped> {
        Ok(())
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        black_box(&event);
        self.0 += 1;
        Ok(())
    }
    fn problem(&mut self, _: Problem) -> Result<(), Stopped> {
        Ok(())
    }
}

#[divan::bench]
fn parse_jsonld(bencher: Bencher) {
    let doc = document(EVENTS);
    bencher.counter(BytesCount::new(doc.len())).bench(|| {
        let mut c = Count::default();
        serialhub_epcis::read_slice(black_box(doc.as_bytes()), &Limits::default(), &mut c)
            .expect("valid document");
        assert_eq!(c.0, EVENTS);
    });
}

/// The XML twin of `document(n)`, written by the XML writer from the parsed JSON-LD.
fn xml_document(n: usize) -> Vec<u8> {
    let doc = serialhub_epcis::read_document(document(n).as_bytes()).expect("valid").document;
    serialhub_epcis::xml::write::to_xml(&doc, serialhub_epcis::xml::write::XmlVersion::V2_0)
        .expect("writable")
}

#[divan::bench]
fn parse_xml(bencher: Bencher) {
    let doc = xml_document(EVENTS);
    bencher.counter(BytesCount::new(doc.len())).bench(|| {
        let mut c = Count::default();
        serialhub_epcis::read_slice(black_box(&doc), &Limits::default(), &mut c).expect("valid");
        assert_eq!(c.0, EVENTS);
    });
}

#[divan::bench]
fn validate_jsonld(bencher: Bencher) {
    let doc = document(EVENTS);
    bencher.counter(BytesCount::new(doc.len())).bench(|| {
        let mut v = serialhub_epcis::validate::Validator::new(Count::default());
        serialhub_epcis::read_slice(black_box(doc.as_bytes()), &Limits::default(), &mut v)
            .expect("valid document");
        assert_eq!(v.inner().0, EVENTS);
    });
}

#[divan::bench]
fn convert_jsonld_to_xml(bencher: Bencher) {
    let doc = serialhub_epcis::read_document(document(EVENTS).as_bytes()).expect("valid").document;
    let bytes = document(EVENTS).len();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        let mut w = serialhub_epcis::xml::write::XmlWriter::new(
            std::io::sink(),
            serialhub_epcis::xml::write::XmlVersion::V2_0,
        );
        w.begin(&doc.header).expect("sink");
        for e in &doc.events {
            w.event(black_box(e)).expect("sink");
        }
        w.finish().expect("sink");
    });
}

#[divan::bench]
fn convert_xml_to_jsonld(bencher: Bencher) {
    let doc = serialhub_epcis::read_document(&xml_document(EVENTS)).expect("valid").document;
    let bytes = xml_document(EVENTS).len();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        let mut w = serialhub_epcis::json::write::JsonLdWriter::new(std::io::sink());
        w.begin(&doc.header).expect("sink");
        for e in &doc.events {
            w.event(black_box(e)).expect("sink");
        }
        w.finish().expect("sink");
    });
}

#[divan::bench]
fn hash_events(bencher: Bencher) {
    let doc = document(EVENTS);
    let mut c = Collect::default();
    serialhub_epcis::read_slice(doc.as_bytes(), &Limits::default(), &mut c).expect("valid");
    let events = c.document.events;
    let mut hasher = EventHasher::new(&c.document.header);
    bencher.counter(ItemsCount::new(events.len())).bench_local(|| {
        for e in &events {
            black_box(hasher.hash(black_box(e)));
        }
    });
}

/// Peer: serde_json parsing the same document into its generic `Value` (no EPCIS model, no
/// checks), the floor a serde-based reader starts from.
#[divan::bench]
fn peer_serde_json_value(bencher: Bencher) {
    let doc = document(EVENTS);
    bencher.counter(BytesCount::new(doc.len())).bench(|| {
        let v: serde_json::Value = serde_json::from_slice(black_box(doc.as_bytes())).expect("json");
        black_box(v);
    });
}

/// Physical limit of the hash: SHA-256 alone over the same pre-hash strings, per event.
#[divan::bench]
fn limit_sha256_of_prehashes(bencher: Bencher) {
    use sha2::Digest;
    let doc = serialhub_epcis::read_document(document(EVENTS).as_bytes()).expect("valid").document;
    let mut hasher = EventHasher::new(&doc.header);
    let pre: Vec<String> = doc.events.iter().map(|e| hasher.pre_hash(e).to_owned()).collect();
    bencher.counter(ItemsCount::new(pre.len())).bench(|| {
        for p in &pre {
            black_box(sha2::Sha256::digest(black_box(p.as_bytes())));
        }
    });
}
