//! Tests of `identifiers`: serials, and every identifier against `serialhub_gs1`'s own
//! formatting, parsing and check digits.

use std::collections::HashSet;

use expect_test::{Expect, expect};
use serialhub_gs1::epc::{format_epc_uri, format_lgtin_class_uri, parse_epc_uri};
use serialhub_gs1::lint::{Linter, lint};

use super::{Company, SerialStyle, TradeItem, permute, serial};

#[track_caller]
fn check_serials(key: u64, style: SerialStyle, expect: Expect) {
    let serials: Vec<String> = (0..5).map(|counter| serial(counter, key, style)).collect();
    expect.assert_eq(&serials.join(" "));
}

#[test]
fn serials_look_random() {
    check_serials(
        0,
        SerialStyle::Numeric,
        expect!["13267992619751 27641880586223 00769286177275 19199284907517 66277764202523"],
    );
    check_serials(
        0,
        SerialStyle::Alphanumeric,
        expect!["77eSQRlM HnVmQNut 0DXi2Oux 5S0sUs97 BsBbz9Ld"],
    );
    check_serials(
        0x1234_5678_9ABC_DEF0,
        SerialStyle::Alphanumeric,
        expect!["K5CCyjML CPNJwTuZ ZivddrVM QSIkzabg SCzVV72W"],
    );
    assert_eq!(serial((1 << 46) - 1, 7, SerialStyle::Numeric).len(), 14);
    assert_eq!(serial((1 << 47) - 1, 7, SerialStyle::Alphanumeric).len(), 8);
}

#[test]
fn serials_are_unique_per_key() {
    for style in [SerialStyle::Numeric, SerialStyle::Alphanumeric] {
        let mut seen = HashSet::new();
        // Neighbouring counters, and counters that differ in their high bits only.
        for counter in (0..100_000).chain((1..1000).map(|n| n << 30)) {
            assert!(seen.insert(serial(counter, 99, style)), "counter {counter} repeats");
        }
    }
}

#[test]
fn the_permutation_is_a_bijection() {
    // Exhaustively over small domains: the steps are the same for 46 and 47 bits.
    for bits in [12, 16, 19] {
        let mut seen = vec![false; 1 << bits];
        for value in 0..1u64 << bits {
            let image = permute(value, 0xDEAD_BEEF, bits) as usize;
            assert!(!seen[image], "{bits} bits: {value} collides");
            seen[image] = true;
        }
    }
}

/// The identifiers of a company, with what `serialhub_gs1` makes of them.
#[track_caller]
fn check_company(prefix: &'static str, expect: Expect) {
    let company = Company { prefix };
    let gcp_len = u8::try_from(prefix.len()).expect("short");
    let gln = company.gln(1);
    lint(Linter::Csum, gln.as_bytes()).expect("the GLN check digit is right");
    let sscc_digits = company.sscc_digits(3, 42);
    lint(Linter::Csum, sscc_digits.as_bytes()).expect("the SSCC check digit is right");
    let sscc = company.sscc(3, 42);
    let from_gs1 = format_epc_uri(&[("00", &sscc_digits)], gcp_len).expect("formats");
    assert_eq!(from_gs1.as_deref(), Some(sscc.as_str()));
    let sgln = company.sgln(1, "0");
    let from_gs1 = format_epc_uri(&[("414", &gln)], gcp_len).expect("formats");
    assert_eq!(from_gs1.as_deref(), Some(sgln.as_str()));
    for uri in [&sscc, &sgln, &company.pgln(0), &company.sgln(1, "2")] {
        parse_epc_uri(uri).expect("the URI parses");
    }
    expect.assert_eq(&format!("{gln} {} {sgln} {sscc_digits} {sscc}", company.pgln(0)));
}

#[test]
fn company_identifiers_agree_with_gs1() {
    check_company(
        "4012345",
        expect![
            "4012345000016 urn:epc:id:pgln:4012345.00000 urn:epc:id:sgln:4012345.00001.0 340123450000000420 urn:epc:id:sscc:4012345.3000000042"
        ],
    );
    check_company(
        "030999",
        expect![
            "0309990000015 urn:epc:id:pgln:030999.000000 urn:epc:id:sgln:030999.000001.0 303099900000000429 urn:epc:id:sscc:030999.30000000042"
        ],
    );
    check_company(
        "80012345",
        expect![
            "8001234500016 urn:epc:id:pgln:80012345.0000 urn:epc:id:sgln:80012345.0001.0 380012345000000420 urn:epc:id:sscc:80012345.300000042"
        ],
    );
}

#[track_caller]
fn check_item(gtin: &str, prefix_len: usize, expect: Expect) {
    let item = TradeItem::new(gtin.to_owned(), prefix_len, 5, SerialStyle::Alphanumeric);
    let gcp_len = u8::try_from(prefix_len).expect("short");
    let epc = item.epc(0);
    let from_gs1 = format_epc_uri(&[("01", gtin), ("21", &item.serial(0))], gcp_len);
    assert_eq!(from_gs1.expect("formats").as_deref(), Some(epc.as_str()));
    let lgtin = item.lgtin("L00001");
    assert_eq!(format_lgtin_class_uri(gtin, "L00001", gcp_len).expect("formats"), lgtin);
    let link = item.digital_link(0, "L00001");
    assert_eq!(serialhub_epcis::canonical_id(&link), serialhub_epcis::canonical_id(&epc));
    expect.assert_eq(&format!("{epc} {lgtin} {link}"));
}

#[test]
fn trade_item_identifiers_agree_with_gs1() {
    check_item(
        "04012345111118",
        7,
        expect![
            "urn:epc:id:sgtin:4012345.011111.TgozxtmB urn:epc:class:lgtin:4012345.011111.L00001 https://id.gs1.org/01/04012345111118/10/L00001/21/TgozxtmB"
        ],
    );
    check_item(
        "00377333101309",
        7,
        expect![
            "urn:epc:id:sgtin:0377333.010130.TgozxtmB urn:epc:class:lgtin:0377333.010130.L00001 https://id.gs1.org/01/00377333101309/10/L00001/21/TgozxtmB"
        ],
    );
    check_item(
        "50309993105026",
        6,
        expect![
            "urn:epc:id:sgtin:030999.5310502.TgozxtmB urn:epc:class:lgtin:030999.5310502.L00001 https://id.gs1.org/01/50309993105026/10/L00001/21/TgozxtmB"
        ],
    );
}
