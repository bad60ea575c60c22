//! Tests of the value rules of the event hash (the goldens in `tests/hash_goldens.rs` test the
//! whole pre-hash string).

use expect_test::expect;

use super::{canonical_number, canonical_value, normalize_timestamp};

#[track_caller]
fn check(inputs: &[&str], f: fn(&str) -> String, expect: expect_test::Expect) {
    let actual: Vec<String> = inputs.iter().map(|i| format!("{i:?} -> {}", f(i))).collect();
    expect.assert_eq(&actual.join("\n"));
}

#[test]
fn numbers_are_written_as_python_writes_them() {
    check(
        &[
            "1",
            "1.0",
            "007",
            "+5",
            "-0.50",
            "0.3434",
            "1e3",
            "1.5e-7",
            "12345678901234567890",
            "1.",
            ".5",
            "1e",
            "abc",
            "1,5",
            "--1",
            "nan",
            "9.999999999999999e-05",
            "0.0001",
            "1e16",
            "1.5e16",
        ],
        |i| canonical_number(i).unwrap_or_else(|| "not a number".to_owned()),
        expect![[r#"
            "1" -> 1
            "1.0" -> 1
            "007" -> 7
            "+5" -> 5
            "-0.50" -> -0.5
            "0.3434" -> 0.3434
            "1e3" -> 1000
            "1.5e-7" -> 1.5e-07
            "12345678901234567890" -> 12345678901234567168
            "1." -> 1
            ".5" -> 0.5
            "1e" -> not a number
            "abc" -> not a number
            "1,5" -> not a number
            "--1" -> not a number
            "nan" -> not a number
            "9.999999999999999e-05" -> 9.999999999999999e-05
            "0.0001" -> 0.0001
            "1e16" -> 10000000000000000
            "1.5e16" -> 15000000000000000"#]],
    );
}

#[test]
fn timestamps_become_utc_milliseconds_rounding_on_the_fourth_digit() {
    check(
        &[
            "2023-01-18T11:04:03.1415Z",
            "2023-01-18T11:04:03.1414Z",
            "2020-12-31T23:59:59.9995Z",
            "2020-03-04T11:00:30+01:00",
            "2020-03-01T00:30:00+01:00",
            "2016-02-29T23:00:00-01:00",
            "2019-10-21T14:58:56.5",
            "2019-02-29T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T24:00:00.5Z",
            "not a time",
        ],
        |i| normalize_timestamp(i).unwrap_or_else(|| "not a timestamp".to_owned()),
        expect![[r#"
            "2023-01-18T11:04:03.1415Z" -> 2023-01-18T11:04:03.142Z
            "2023-01-18T11:04:03.1414Z" -> 2023-01-18T11:04:03.141Z
            "2020-12-31T23:59:59.9995Z" -> 2021-01-01T00:00:00.000Z
            "2020-03-04T11:00:30+01:00" -> 2020-03-04T10:00:30.000Z
            "2020-03-01T00:30:00+01:00" -> 2020-02-29T23:30:00.000Z
            "2016-02-29T23:00:00-01:00" -> 2016-03-01T00:00:00.000Z
            "2019-10-21T14:58:56.5" -> 2019-10-21T14:58:56.500Z
            "2019-02-29T00:00:00Z" -> not a timestamp
            "2020-01-01T24:00:00Z" -> 2020-01-02T00:00:00.000Z
            "2020-01-01T24:00:00.5Z" -> not a timestamp
            "not a time" -> not a timestamp"#]],
    );
}

#[test]
fn values_map_vocabularies_and_identifiers_to_their_canonical_forms() {
    check(
        &[
            "urn:epcglobal:cbv:bizstep:shipping",
            "urn:epcglobal:cbv:bt:4012345000009:ASN1099",
            "urn:epc:id:sgtin:4012345.011111.9876",
            "https://example.com/01/04012345111118/21/9876?17=261231",
            "https://ref.gs1.org/cbv/BizStep-receiving",
            "https://example.com/no/key/here",
            "0042",
        ],
        |i| canonical_value(i).into_owned(),
        expect![[r#"
            "urn:epcglobal:cbv:bizstep:shipping" -> https://ref.gs1.org/cbv/BizStep-shipping
            "urn:epcglobal:cbv:bt:4012345000009:ASN1099" -> urn:epcglobal:cbv:bt:4012345000009:ASN1099
            "urn:epc:id:sgtin:4012345.011111.9876" -> https://id.gs1.org/01/04012345111118/21/9876
            "https://example.com/01/04012345111118/21/9876?17=261231" -> https://id.gs1.org/01/04012345111118/21/9876
            "https://ref.gs1.org/cbv/BizStep-receiving" -> https://ref.gs1.org/cbv/BizStep-receiving
            "https://example.com/no/key/here" -> https://example.com/no/key/here
            "0042" -> 42"#]],
    );
}
