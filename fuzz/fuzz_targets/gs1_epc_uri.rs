//! Fuzzes EPC pure-identity URIs; whatever parses must format back to the same URI.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let uri = format!("urn:epc:{text}");
    if let Ok(epc) = serialhub_gs1::epc::parse_epc_uri(&uri) {
        let pairs: Vec<(&str, &str)> = epc.ais.iter().map(|(ai, v)| (*ai, v.as_str())).collect();
        let _ = serialhub_gs1::epc::format_epc_uri(&pairs, epc.gcp_len);
    }
});
