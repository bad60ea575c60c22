//! Fuzzes the XML reader (EPCIS 2.0 and 1.2): any bytes, raw or inside an EventList.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_epcis::{Collect, Limits};

fuzz_target!(|data: &[u8]| {
    let mut doc = Vec::with_capacity(data.len() + 256);
    if data.first().is_some_and(|b| b % 2 == 0) {
        doc.extend_from_slice(br#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ns.example.com/" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent>"#);
        doc.extend_from_slice(&data[1..]);
    } else {
        doc.extend_from_slice(data);
    }
    let mut c = Collect::default();
    if serialhub_epcis::read::read_slice(&doc, &Limits::default(), &mut c).is_ok() {
        let mut hasher = serialhub_epcis::hash::EventHasher::new(&c.document.header);
        for e in &c.document.events {
            let h = hasher.hash(e);
            assert!(h.starts_with("ni:///sha-256;"));
        }
    }
});
