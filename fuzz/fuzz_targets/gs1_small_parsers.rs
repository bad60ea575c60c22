//! Fuzzes the small parsers: NDC, key newtypes, GS1 dates, the GCP length table, percent
//! decoding and the event-hash identifier normaliser. None may panic; what parses must print
//! back to something that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_gs1::ndc::Ndc;
use serialhub_gs1::{Gln, Gs1Date, Gtin, Sscc};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(ndc) = Ndc::parse(text) {
        let gtin = ndc.to_gtin(0).expect("an NDC has a GTIN");
        assert_eq!(Ndc::from_gtin(&gtin).expect("own GTIN").digits(), ndc.digits());
        assert_eq!(Ndc::parse(&ndc.hyphenated()).expect("own form").digits(), ndc.digits());
    }
    let _ = Ndc::from_gtin(text);
    if let Ok(gtin) = Gtin::parse(text) {
        assert_eq!(Gtin::parse(gtin.as_str()), Ok(gtin));
    }
    let _ = (Sscc::parse(text), Gln::parse(text));
    if let Ok(date) = Gs1Date::parse(text) {
        let (year, month, day) = date.to_calendar(2026);
        assert!((1927..=2126).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day));
    }
    let _ = serialhub_gs1::epc::GcpLengthTable::parse(text);
    let mut decoded = String::new();
    let _ = serialhub_gs1::digital_link::percent_decode(text, true, &mut decoded);
    if let Some(canonical) = serialhub_gs1::canonical_digital_link(text) {
        assert_eq!(serialhub_gs1::canonical_digital_link(&canonical).as_deref(), Some(canonical.as_str()));
    }
});
