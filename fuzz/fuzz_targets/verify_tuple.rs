//! Fuzzes the verification tuple: any code form, and the VRS path's four values. What reads
//! must name a pack key and a Digital Link path that read back to the same tuple, and the
//! decision and the guard must take any tuple.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serialhub_verify::{Facts, Policy, Tuple, decide};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tuple) = Tuple::from_code(text) {
        let again = Tuple::from_code(&tuple.link_path()).expect("its own link reads");
        assert_eq!((&again.gtin, &again.serial, &again.lot, &again.expiry), (&tuple.gtin, &tuple.serial, &tuple.lot, &tuple.expiry));
        assert_eq!(again.key(), tuple.key());
        let now = serialhub_epcis::time::Timestamp { unix_millis: 1_700_000_000_000, has_offset: true };
        let verdict = decide(&tuple, &Facts::default(), now, &Policy::default());
        assert!(!verdict.verified);
        let _ = tuple.expiry_date(2026);
    }
    let mut parts = text.splitn(4, '\u{1f}');
    let (Some(g), Some(l), Some(s), Some(e)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return };
    if let Ok(tuple) = Tuple::from_parts(g, l, s, e) {
        assert_eq!(Tuple::from_code(&tuple.link_path()).map(|t| t.key()), Ok(tuple.key()));
    }
});
