//! Fuzzes bracketed and unbracketed element strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::Options;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = Options { permit_unknown_ais: true, ..Options::default() };
    if let Ok(parsed) = serialhub_gs1::parse_bracketed(text, &opts) {
        let again = serialhub_gs1::parse_bracketed(&parsed.to_bracketed(), &opts).expect("own HRI parses");
        assert_eq!(again.to_bracketed(), parsed.to_bracketed());
    }
    let _ = serialhub_gs1::parse_unbracketed(text, &opts);
});
