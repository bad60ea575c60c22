//! Fuzzes the JSON-LD reader: any bytes behind a JSON-LD document's opening, read, hashed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_epcis::{Collect, Limits};

fuzz_target!(|data: &[u8]| {
    // Half the inputs go in raw; the other half are put inside a document's event list, where
    // the interesting code is.
    let mut doc = Vec::with_capacity(data.len() + 128);
    if data.first().is_some_and(|b| b % 2 == 0) {
        doc.extend_from_slice(br#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ns.example.com/"}],"type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent","#);
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
