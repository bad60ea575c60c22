//! Fuzzes scan data with GS separators, the form barcode readers send.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::{AiData, Options};

fuzz_target!(|data: &[u8]| {
    let mut input = String::from("]d2");
    input.push_str(&String::from_utf8_lossy(data));
    let mut out = AiData::default();
    let opts = Options::default();
    if let Ok((symbology, _)) = serialhub_gs1::scan::parse_scan_data_into(&mut out, &input, &opts) {
        let scan = out.to_scan_data(symbology).expect("data read from scan data writes back");
        let mut again = AiData::default();
        serialhub_gs1::scan::parse_scan_data_into(&mut again, &scan, &opts).expect("own scan data parses");
        assert_eq!(again.to_bracketed(), out.to_bracketed());
    }
    let _ = serialhub_gs1::scan::process_scan_data(&input, &opts);
});
