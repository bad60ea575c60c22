//! Tests of `keys`.
use super::*;

#[test]
fn keys_validate_and_pad() {
    assert_eq!(Gtin::parse("9506000134352").expect("GTIN-13").as_str(), "09506000134352");
    assert_eq!(Gtin::parse("02345673").expect("GTIN-8").as_str(), "00000002345673");
    assert_eq!(Gtin::parse("50307773105020").expect("GTIN-14").indicator(), 5);
    assert_eq!(
        Gtin::parse("09506000134353").expect_err("check digit").to_string(),
        "gtin: incorrect check digit"
    );
    assert_eq!(
        Gtin::parse("0950600013").expect_err("length").to_string(),
        "gtin: 10 digits, expected 8, 12, 13 or 14"
    );
    assert!(Gtin::parse("0950600013435A").is_err());
    assert_eq!(Sscc::parse("106141412345678908").expect("SSCC").to_string(), "106141412345678908");
    assert!(Sscc::parse("106141412345678909").is_err());
    assert_eq!(Gln::parse("9520123456788").expect("GLN").to_string(), "9520123456788");
    let gtin = Gtin::parse("09506000134352").expect("GTIN");
    let pack = Sgtin::new(gtin, "aB/1").expect("serial");
    assert_eq!(pack.to_string(), "(01)09506000134352(21)aB/1");
    assert_ne!(pack, Sgtin::new(gtin, "Ab/1").expect("serial"), "serials are case-sensitive");
    assert!(Sgtin::new(gtin, "").is_err());
    assert!(Sgtin::new(gtin, "123456789012345678901").is_err());
    assert!(Sgtin::new(gtin, "A B").is_err());
}

#[test]
fn dates_use_the_sliding_window_and_day_zero() {
    let date = |s| Gs1Date::parse(s).expect("valid date");
    assert_eq!(date("261231").to_calendar(2026), (2026, 12, 31));
    assert_eq!(date("280200").to_calendar(2026), (2028, 2, 29));
    assert_eq!(date("270200").to_calendar(2026), (2027, 2, 28));
    assert_eq!(date("990101").year(2026), 1999, "73 years ahead is the previous century");
    assert_eq!(date("760101").year(2026), 2076, "50 years ahead stays in this century");
    assert_eq!(date("770101").year(2026), 1977, "51 years ahead is the previous century");
    assert_eq!(date("010101").year(2090), 2101, "89 years behind is the next century");
    assert_eq!(date("400101").year(2090), 2140, "50 years behind is the next century");
    assert_eq!(date("410101").year(2090), 2041, "49 years behind stays in this century");
    assert!(Gs1Date::parse("261232").is_err());
    assert!(Gs1Date::parse("250229").is_err());
    assert!(Gs1Date::parse("2612").is_err());
}

#[test]
fn pack_identity_from_a_scan() {
    let opts = crate::Options::default();
    let (data, _) =
        crate::parse("]d201095060001343521726010010AB\u{1d}21Xy1", &opts).expect("valid");
    let pack = data.sgtin().expect("serialised");
    assert_eq!((pack.gtin().as_str(), pack.serial()), ("09506000134352", "Xy1"));
    assert_eq!(data.expiry().map(|d| d.to_calendar(2026)), Some((2026, 1, 31)));
}
