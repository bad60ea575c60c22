//! Tests of the generated AI table and its look-up.

use super::*;

#[test]
fn every_entry_is_found_by_its_digits() {
    for dictionary in [Dictionary::current(), Dictionary::release_2026_01_27()] {
        for spec in dictionary.entries() {
            assert_eq!(dictionary.get(spec.ai).map(|s| s.ai), Some(spec.ai));
            let mut data = spec.ai.as_bytes().to_vec();
            data.extend_from_slice(b"123");
            assert_eq!(dictionary.match_prefix(&data).map(|s| s.ai), Some(spec.ai));
        }
    }
}

#[test]
fn well_known_entries() {
    let d = Dictionary::current();
    let gtin = d.get("01").expect("GTIN");
    assert!(gtin.predefined_length);
    assert_eq!((gtin.min_len(), gtin.max_len()), (14, 14));
    assert_eq!(gtin.components[0].linters, &[Linter::Csum, Linter::Gcppos2]);
    let serial = d.get("21").expect("SERIAL");
    assert!(serial.needs_fnc1());
    assert_eq!((serial.min_len(), serial.max_len()), (1, 20));
    assert_eq!(d.get("235").map(|s| s.title), Some("TPX"));
    assert_eq!(d.get("3103").map(|s| s.ex[0].to_string()).as_deref(), Some("310n"));
    assert!(d.get("89").is_none());
    assert!(d.get("0").is_none());
    assert!(d.get("12345").is_none());
    assert_eq!(d.ai_len(b"8004"), Some(4));
    assert_eq!(d.ai_len(b"710"), Some(3));
}
