//! The US DSCSA shape: an EPCIS 1.2 document with an SBDH, EPCClass and Location master data
//! (NDCs), the GS1 US healthcare `gs1ushc` extensions in the header and on events; read, kept,
//! and carried through conversion to JSON-LD and back to 1.2.

use std::path::Path;

use serialhub_epcis::xml::write::{XmlVersion, to_xml};
use serialhub_epcis::{Content, Document, read_document};

const GS1USHC: &str = "http://epcis.gs1us.org/hc/ns";

fn pharma() -> Document {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/ref/openepcis-test-resources/core/src/main/resources/1.2/EPCIS/XML/Capture/Documents/GS1_US_Pharma_Example_2_2_1_1.xml",
    );
    let c = read_document(&std::fs::read(path).expect("the GS1 US pharma example")).expect("reads");
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    c.document
}

/// The DSCSA facts a trading partner must not lose, as text.
fn dscsa_facts(doc: &Document) -> Vec<String> {
    let mut facts = Vec::new();
    for e in &doc.header.extensions {
        if e.name.namespace == GS1USHC {
            facts.push(format!("header {} {:?}", e.name.local, text_of(&e.content)));
        }
    }
    for (i, ev) in doc.events.iter().enumerate() {
        for e in ev.extensions.iter().filter(|e| e.name.namespace == GS1USHC) {
            facts.push(format!("event {i} {} {:?}", e.name.local, text_of(&e.content)));
        }
    }
    facts.sort();
    facts
}

fn text_of(c: &Content) -> String {
    match c {
        Content::Children(children) => children
            .iter()
            .map(|e| format!("{}={}", e.name.local, text_of(&e.content)))
            .collect::<Vec<_>>()
            .join(","),
        other => other.text().unwrap_or_default().into_owned(),
    }
}

#[test]
fn gs1ushc_extensions_sbdh_and_master_data_are_read() {
    let doc = pharma();
    let facts = dscsa_facts(&doc);
    assert!(
        facts.iter().any(|f| f.starts_with("header guidelineVersion \"GS1 US DSCSA R1.3\"")),
        "{facts:?}"
    );
    assert!(
        facts.iter().any(|f| f.contains("dscsaTransactionStatement")
            && f.contains("affirmTransactionStatement=true")
            && f.contains("legalNotice=Seller has complied")),
        "{facts:?}"
    );
    assert!(facts.iter().any(|f| f.contains("dropShipment \"false\"")), "{facts:?}");
    assert!(doc.header.sbdh.is_some());
    // NDC-bearing EPCClass master data survives as attributes.
    let epc_class = &doc.header.master_data[0];
    assert!(epc_class.elements.iter().any(|e| e.attributes.iter().any(|a| a.id.contains("mda"))));
}

#[test]
fn conversion_to_json_ld_and_back_to_1_2_keeps_every_dscsa_fact() {
    let doc = pharma();
    let want = dscsa_facts(&doc);
    let json = serialhub_epcis::json::write::to_json_ld(&doc);
    let from_json = read_document(&json).expect("JSON-LD reads back").document;
    assert_eq!(dscsa_facts(&from_json), want);
    let xml12 = to_xml(&from_json, XmlVersion::V1_2).expect("1.2 can carry it");
    let back = read_document(&xml12).expect("1.2 reads back").document;
    assert_eq!(dscsa_facts(&back), want);
    assert_eq!(back.header.master_data, doc.header.master_data);
    assert_eq!(back.header.sbdh.is_some(), doc.header.sbdh.is_some());
}
