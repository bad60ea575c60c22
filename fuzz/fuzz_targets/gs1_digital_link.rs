//! Fuzzes GS1 Digital Link URIs behind a valid scheme and host, where the interesting rules are.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::Options;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let uri = format!("https://example.com/{text}");
    for opts in [Options::default(), Options { permit_convenience_alphas: true, permit_zero_suppressed_gtin: true, ..Options::default() }] {
        if let Ok(parsed) = serialhub_gs1::digital_link::parse_digital_link(&uri, &opts) {
            let mut out = String::new();
            match serialhub_gs1::digital_link::format_digital_link(&parsed, "https://id.gs1.org", &opts, &mut out) {
                Ok(()) => {
                    let again = serialhub_gs1::digital_link::parse_digital_link(&out, &opts).expect("own output parses");
                    assert_eq!(again.to_bracketed().len(), parsed.to_bracketed().len());
                }
                // The one documented case: a tie between qualifier sequences puts an AI that
                // may not be an attribute into the query (as the GS1 Syntax Engine does).
                Err(e) => assert_eq!(e.kind, serialhub_gs1::ErrorKind::NotDigitalLinkAttribute, "{e}"),
            }
        }
    }
});
