//! Tests of `ndc`.
use expect_test::{Expect, expect};

use super::*;

#[track_caller]
fn check(ndc: &str, expect: Expect) {
    let actual = match Ndc::parse(ndc) {
        Ok(n) => format!(
            "{} {:?} gtin={} 11={}",
            n.hyphenated(),
            n.layout(),
            n.to_gtin(0).expect("gtin"),
            n.to_11_digit().unwrap_or_default()
        ),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&actual);
}

#[test]
fn layouts() {
    check(
        "0777-3105-02",
        expect!["0777-3105-02 Some(L4_4_2) gtin=00307773105025 11=00777-3105-02"],
    );
    check(
        "50242-040-62",
        expect!["50242-040-62 Some(L5_3_2) gtin=00350242040624 11=50242-0040-62"],
    );
    check(
        "60505-2508-1",
        expect!["60505-2508-1 Some(L5_4_1) gtin=00360505250813 11=60505-2508-01"],
    );
    check(
        "00777-3105-02",
        expect!["0777-3105-02 Some(L4_4_2) gtin=00307773105025 11=00777-3105-02"],
    );
    check(
        "50242-0040-62",
        expect!["50242-040-62 Some(L5_3_2) gtin=00350242040624 11=50242-0040-62"],
    );
    check("0777310502", expect!["0777310502 None gtin=00307773105025 11="]);
    check("007773105002", expect!["ndc: expected 10 digits, or three hyphen-separated parts"]);
    check("0777-31A5-02", expect![[r#"ndc: 'A' is not a digit or hyphen"#]]);
    check("123-4567-89", expect!["ndc: parts of 3-4-2 digits are not an NDC layout"]);
}

#[test]
fn from_gtin_round_trips() {
    let ndc = Ndc::from_gtin("00307773105025").expect("NDC GTIN");
    assert_eq!(ndc.digits(), "0777310502");
    assert_eq!(ndc.with_layout(NdcLayout::L4_4_2).hyphenated(), "0777-3105-02");
    assert_eq!(Ndc::from_gtin("307773105025").expect("GTIN-12").digits(), "0777310502");
    assert!(Ndc::from_gtin("09506000134352").is_err());
    assert!(Ndc::from_gtin("00307773105026").is_err());
    assert_eq!(ndc.to_gtin(5).expect("case GTIN"), "50307773105020");
}
