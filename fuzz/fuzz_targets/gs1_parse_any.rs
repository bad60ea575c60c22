//! Fuzzes the form-detecting entry point; whatever parses must write out and read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::{Options, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = Options::default();
    if let Ok((parsed, _)) = parse(text, &opts) {
        let hri = parsed.to_bracketed();
        let (again, _) = parse(&hri, &opts).expect("own HRI parses");
        assert_eq!(again.to_bracketed(), hri);
        let mut dl = String::new();
        if serialhub_gs1::digital_link::format_digital_link(&parsed, "https://id.gs1.org", &opts, &mut dl).is_ok() {
            let (from_dl, _) = parse(&dl, &opts).expect("own digital link parses");
            // A Digital Link reorders AIs and drops exact repeats: compare the distinct pairs.
            let distinct = |d: &serialhub_gs1::AiData| {
                let mut pairs: Vec<(String, String)> = d.iter().map(|(a, v)| (a.to_string(), v.to_owned())).collect();
                pairs.sort();
                pairs.dedup();
                pairs
            };
            assert_eq!(distinct(&from_dl), distinct(&parsed));
        }
    }
});
