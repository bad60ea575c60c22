//! The EPCIS event-hash identifier normalisation vectors of the reference hash generator
//! (`shared/ref/epcis-event-hash-generator/extracted-vectors/dl_normaliser_vectors.json`).

use serde_json::Value;

#[test]
fn every_normaliser_vector() {
    let path = format!(
        "{}/../../../shared/ref/epcis-event-hash-generator/extracted-vectors/dl_normaliser_vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("vector file")).expect("JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        // One case feeds a number, not a string: it is not an identifier in any form.
        let got = case["input"].as_str().and_then(serialhub_gs1::canonical_digital_link);
        let want = case["expected"].as_str();
        if got.as_deref() != want {
            failures
                .push(format!("{} {}: got {got:?}, want {want:?}", case["source"], case["input"]));
        }
    }
    assert_eq!(cases.len(), 54);
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
