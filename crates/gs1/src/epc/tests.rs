//! Tests of EPC URI conversion through the module's public functions, one case per line.

use expect_test::{Expect, expect};

use super::*;

/// Parses `uri` and shows the scheme, company prefix length and AIs, or the error. A URI that
/// parses must format back to itself byte for byte.
#[track_caller]
fn check(uri: &str, expect: Expect) {
    let actual = match parse_epc_uri(uri) {
        Ok(epc) => {
            assert_eq!(
                uri_of(&epc).as_deref(),
                Ok(uri),
                "formatting the parsed AIs must give the uri back"
            );
            show_epc(&epc)
        }
        Err(error) => format!("error: {error}"),
    };
    expect.assert_eq(&actual);
}

/// Formats `ais` and shows the URI, `none`, or the error. A URI that is written must parse back
/// to AIs that were given.
#[track_caller]
fn check_format(ais: &[(&str, &str)], gcp_len: u8, expect: Expect) {
    let actual = match format_epc_uri(ais, gcp_len) {
        Ok(Some(uri)) => {
            let epc = parse_epc_uri(&uri).expect("a formatted uri parses");
            assert_eq!(epc.gcp_len, gcp_len);
            for (ai, value) in &epc.ais {
                assert!(ais.contains(&(*ai, value.as_str())), "({ai}){value} was not given");
            }
            uri
        }
        Ok(None) => "none".to_owned(),
        Err(error) => format!("error: {error}"),
    };
    expect.assert_eq(&actual);
}

#[track_caller]
fn check_lgtin(gtin: &str, lot: &str, gcp_len: u8, expect: Expect) {
    let actual = match format_lgtin_class_uri(gtin, lot, gcp_len) {
        Ok(uri) => {
            let epc = parse_epc_uri(&uri).expect("a formatted uri parses");
            assert_eq!(epc.ais, [("01", gtin.to_owned()), ("10", lot.to_owned())]);
            uri
        }
        Err(error) => format!("error: {error}"),
    };
    expect.assert_eq(&actual);
}

/// Reads a company prefix length table and looks up each of `keys`, given as `(AI)value`.
#[track_caller]
fn check_table(text: &str, keys: &[(&str, &str)], expect: Expect) {
    let actual = match GcpLengthTable::parse(text) {
        Ok(table) => keys
            .iter()
            .map(|&(ai, value)| {
                let len = crate::company_prefix_digits(ai, value).and_then(|d| table.gcp_len(d));
                let uri = format_epc_uri_with_table(&[(ai, value)], &table);
                let uri = match uri {
                    Ok(uri) => uri.unwrap_or_else(|| "none".to_owned()),
                    Err(error) => format!("error: {error}"),
                };
                format!("{len:?} {uri}")
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Err(error) => format!("error: {error}"),
    };
    expect.assert_eq(&actual);
}

fn show_epc(epc: &Epc) -> String {
    let ais: Vec<String> = epc.ais.iter().map(|(ai, value)| format!("({ai}){value}")).collect();
    format!("{} gcp={} {}", epc.scheme, epc.gcp_len, ais.join(" "))
}

fn uri_of(epc: &Epc) -> Result<String, EpcError> {
    if epc.scheme == EpcScheme::Lgtin {
        return format_lgtin_class_uri(&epc.ais[0].1, &epc.ais[1].1, epc.gcp_len);
    }
    let ais: Vec<(&str, &str)> = epc.ais.iter().map(|(ai, value)| (*ai, value.as_str())).collect();
    Ok(format_epc_uri(&ais, epc.gcp_len)?.expect("a parsed epc has a key"))
}

#[test]
fn parse_each_scheme() {
    // Known answers from TDS 2.0 section 6.3 and the EPCIS 2.0 examples.
    check("urn:epc:id:sgtin:0614141.112345.400", expect!["sgtin gcp=7 (01)10614141123459 (21)400"]);
    check("urn:epc:id:sscc:0614141.1234567890", expect!["sscc gcp=7 (00)106141412345678908"]);
    check("urn:epc:id:sgln:0614141.12345.400", expect!["sgln gcp=7 (414)0614141123452 (254)400"]);
    check("urn:epc:id:sgln:0614141.12345.0", expect!["sgln gcp=7 (414)0614141123452"]);
    check("urn:epc:id:grai:0614141.12345.400", expect!["grai gcp=7 (8003)00614141123452400"]);
    check("urn:epc:id:giai:0614141.12345400", expect!["giai gcp=7 (8004)061414112345400"]);
    check("urn:epc:id:gsrn:0614141.1234567890", expect!["gsrn gcp=7 (8018)061414112345678902"]);
    check("urn:epc:id:gsrnp:0614141.1234567890", expect!["gsrnp gcp=7 (8017)061414112345678902"]);
    check("urn:epc:id:gdti:0614141.12345.400", expect!["gdti gcp=7 (253)0614141123452400"]);
    check(
        "urn:epc:id:cpi:0614141.123ABC.123456789",
        expect!["cpi gcp=7 (8010)0614141123ABC (8011)123456789"],
    );
    check("urn:epc:id:sgcn:4012345.67890.04711", expect!["sgcn gcp=7 (255)401234567890104711"]);
    check("urn:epc:id:ginc:0614141.xyz47%2F11", expect!["ginc gcp=7 (401)0614141xyz47/11"]);
    check("urn:epc:id:gsin:0614141.123456789", expect!["gsin gcp=7 (402)06141411234567890"]);
    check(
        "urn:epc:id:itip:4012345.012345.01.02.987",
        expect!["itip gcp=7 (8006)040123451234560102 (21)987"],
    );
    check(
        "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
        expect!["upui gcp=7 (01)01234567987651 (235)51qIgY)<&Jp3*j7'SDB"],
    );
    check("urn:epc:id:pgln:0614141.12345", expect!["pgln gcp=7 (417)0614141123452"]);
    check(
        "urn:epc:class:lgtin:4012345.012345.998877",
        expect!["lgtin gcp=7 (01)04012345123456 (10)998877"],
    );
}

#[test]
fn parse_edge_cases() {
    // Every escape TDS defines, and characters that stand for themselves.
    check(
        "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
        expect![[r#"sgtin gcp=7 (01)80614141123458 (21)6789/&%"!?()"#]],
    );
    check(
        "urn:epc:id:sgtin:0614141.812345.%22%25%26%2F%3C%3E%3F",
        expect![[r#"sgtin gcp=7 (01)80614141123458 (21)"%&/<>?"#]],
    );
    check(
        "urn:epc:id:sgtin:0614141.812345.!'()*+,-.:;=_",
        expect!["sgtin gcp=7 (01)80614141123458 (21)!'()*+,-.:;=_"],
    );
    check(
        "urn:epc:id:cpi:0614141.5PQ7%2F%23-Z.0",
        expect!["error: epc uri: serial must not start with 0 (position 36)"],
    );
    // Serials are case-sensitive, may hold dots, and '*' is a serial, not a pattern.
    check("urn:epc:id:sgtin:0614141.112345.AbC", expect!["sgtin gcp=7 (01)10614141123459 (21)AbC"]);
    check(
        "urn:epc:id:sgtin:0614141.112345.a.b.c",
        expect!["sgtin gcp=7 (01)10614141123459 (21)a.b.c"],
    );
    check("urn:epc:id:sgtin:0614141.112345.*", expect!["sgtin gcp=7 (01)10614141123459 (21)*"]);
    check("urn:epc:id:giai:0614141.A.B", expect!["giai gcp=7 (8004)0614141A.B"]);
    // Shortest and longest company prefixes; a 12-digit one leaves some references empty.
    check("urn:epc:id:sgtin:030001.0012345.11", expect!["sgtin gcp=6 (01)00300010123455 (21)11"]);
    check(
        "urn:epc:id:sgtin:415056789012.0.987654",
        expect!["sgtin gcp=12 (01)04150567890128 (21)987654"],
    );
    check("urn:epc:id:pgln:999999999999.", expect!["pgln gcp=12 (417)9999999999994"]);
    check("urn:epc:id:gdti:987659999999..9", expect!["gdti gcp=12 (253)98765999999929"]);
    check("urn:epc:id:sgln:061414112345..0", expect!["sgln gcp=12 (414)0614141123452"]);
    check("urn:epc:id:grai:061414112345..X", expect!["grai gcp=12 (8003)00614141123452X"]);
    check("urn:epc:id:sgcn:061414112345..0", expect!["sgcn gcp=12 (255)06141411234520"]);
    // Longest values.
    check(
        "urn:epc:id:sgtin:0614141.112345.ABCDEFGHIJKLMNOPQRS%2F",
        expect!["sgtin gcp=7 (01)10614141123459 (21)ABCDEFGHIJKLMNOPQRS/"],
    );
    check(
        "urn:epc:id:giai:061414.123456789012345678901234",
        expect!["giai gcp=6 (8004)061414123456789012345678901234"],
    );
    check(
        "urn:epc:id:cpi:061414112345.ABCDEFGHIJKLMNOPQR.999999999999",
        expect!["cpi gcp=12 (8010)061414112345ABCDEFGHIJKLMNOPQR (8011)999999999999"],
    );
    check(
        "urn:epc:id:upui:0614141.112345.ABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        expect!["upui gcp=7 (01)10614141123459 (235)ABCDEFGHIJKLMNOPQRSTUVWXYZ01"],
    );
    check(
        "urn:epc:id:sgcn:4012345.67890.000000000000",
        expect!["sgcn gcp=7 (255)4012345678901000000000000"],
    );
    // A GLN extension other than 0, even one that is all zeros, is an AI (254).
    check("urn:epc:id:sgln:0614141.12345.00", expect!["sgln gcp=7 (414)0614141123452 (254)00"]);
}

#[test]
fn parse_errors() {
    check(
        "",
        expect![[
            r#"error: epc uri: not an epc uri: expected "urn:epc:id:" or "urn:epc:class:" (position 0)"#
        ]],
    );
    check(
        "urn:epc:",
        expect![[
            r#"error: epc uri: not an epc uri: expected "urn:epc:id:" or "urn:epc:class:" (position 0)"#
        ]],
    );
    check(
        "URN:EPC:ID:SGTIN:0614141.112345.400",
        expect![[
            r#"error: epc uri: not an epc uri: expected "urn:epc:id:" or "urn:epc:class:" (position 0)"#
        ]],
    );
    check(
        "urn:epc:tag:sgtin-96:3.0614141.112345.400",
        expect![[
            r#"error: epc uri: "urn:epc:tag:" uris are not supported, only pure identity "urn:epc:id:" and class "urn:epc:class:" uris (position 8)"#
        ]],
    );
    check(
        "urn:epc:idpat:sgtin:0614141.112345.*",
        expect![[
            r#"error: epc uri: "urn:epc:idpat:" uris are not supported, only pure identity "urn:epc:id:" and class "urn:epc:class:" uris (position 8)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin",
        expect!["error: epc uri: expected a scheme name followed by ':' (position 16)"],
    );
    check(
        "urn:epc:id:foo:0614141.1",
        expect![[r#"error: epc uri: unknown epc id scheme "foo" (position 11)"#]],
    );
    check(
        "urn:epc:id:lgtin:4012345.012345.998877",
        expect![[r#"error: epc uri: unknown epc id scheme "lgtin" (position 11)"#]],
    );
    check(
        "urn:epc:class:sgtin:0614141.112345.400",
        expect![[r#"error: epc uri: unknown epc class scheme "sgtin" (position 14)"#]],
    );
    check(
        "urn:epc:id:gid:95100000.12345.400",
        expect![[r#"error: epc uri: scheme "gid" carries no gs1 key (position 11)"#]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345",
        expect!["error: epc uri: expected 3 components separated by '.', found 2 (position 31)"],
    );
    check(
        "urn:epc:id:sgtin:",
        expect!["error: epc uri: expected 3 components separated by '.', found 1 (position 17)"],
    );
    check(
        "urn:epc:id:sscc:0614141.1234567890.1",
        expect!["error: epc uri: expected 2 components separated by '.', found 3 (position 34)"],
    );
    check(
        "urn:epc:id:cpi:0614141.A.1.2",
        expect!["error: epc uri: expected 3 components separated by '.', found 4 (position 26)"],
    );
    check(
        "urn:epc:id:sgtin:06141A1.112345.400",
        expect!["error: epc uri: non-digit 'A' in company prefix (position 22)"],
    );
    check(
        "urn:epc:id:sgtin:0614141234567.1.400",
        expect!["error: epc uri: company prefix is 13 digits, at most 12 allowed (position 17)"],
    );
    check(
        "urn:epc:id:sgtin:06141.12345678.400",
        expect!["error: epc uri: company prefix is 5 digits, at least 6 required (position 17)"],
    );
    check(
        "urn:epc:id:sgtin:.112345.400",
        expect!["error: epc uri: company prefix is 0 digits, at least 6 required (position 17)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.12345.400",
        expect![
            "error: epc uri: item reference and indicator is 5 digits, expected 6 with a 7-digit company prefix (position 25)"
        ],
    );
    check(
        "urn:epc:id:sgtin:0614141.1234567.400",
        expect![
            "error: epc uri: item reference and indicator is 7 digits, expected 6 with a 7-digit company prefix (position 25)"
        ],
    );
    check(
        "urn:epc:id:sgtin:0614141.11234x.400",
        expect!["error: epc uri: non-digit 'x' in item reference and indicator (position 30)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.",
        expect!["error: epc uri: serial is empty (position 32)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.ABCDEFGHIJKLMNOPQRSTU",
        expect!["error: epc uri: serial is 21 characters, at most 20 allowed (position 32)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.4 0",
        expect!["error: epc uri: character ' ' not allowed in serial (position 33)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.a#b",
        expect!["error: epc uri: character '#' not allowed in serial (position 33)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.a/b",
        expect!["error: epc uri: character '/' not allowed in serial (position 33)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.a\"b",
        expect![[r#"error: epc uri: character '"' not allowed in serial (position 33)"#]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.%2f",
        expect![[
            r#"error: epc uri: invalid escape "%2f" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 32)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.%21",
        expect![[
            r#"error: epc uri: invalid escape "%21" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 32)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.%23",
        expect![[
            r#"error: epc uri: invalid escape "%23" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 32)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.%00",
        expect![[
            r#"error: epc uri: invalid escape "%00" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 32)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.ab%",
        expect![[
            r#"error: epc uri: invalid escape "%" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 34)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.ab%2",
        expect![[
            r#"error: epc uri: invalid escape "%2" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 34)"#
        ]],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.%é1",
        expect![[
            r#"error: epc uri: invalid escape "%é1" in serial, allowed escapes are %22 %25 %26 %2F %3C %3E %3F (position 32)"#
        ]],
    );
    check(
        "urn:epc:id:sscc:0614141.123456789",
        expect![
            "error: epc uri: serial reference is 9 digits, expected 10 with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:id:sgln:0614141.12345.",
        expect!["error: epc uri: extension is empty (position 30)"],
    );
    check(
        "urn:epc:id:grai:0614141.12345.ABCDEFGHIJKLMNOPQ",
        expect!["error: epc uri: serial is 17 characters, at most 16 allowed (position 30)"],
    );
    check(
        "urn:epc:id:giai:0614141.123456789012345678901234",
        expect![
            "error: epc uri: individual asset reference is 24 characters, at most 23 allowed with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:id:giai:0614141.",
        expect!["error: epc uri: individual asset reference is empty (position 24)"],
    );
    check(
        "urn:epc:id:gsrn:0614141.123456789",
        expect![
            "error: epc uri: service reference is 9 digits, expected 10 with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:id:gdti:0614141.12345.ABCDEFGHIJKLMNOPQR",
        expect!["error: epc uri: serial is 18 characters, at most 17 allowed (position 30)"],
    );
    check(
        "urn:epc:id:cpi:0614141.abc.1",
        expect![
            "error: epc uri: character 'a' not allowed in component/part reference (position 23)"
        ],
    );
    check(
        "urn:epc:id:cpi:0614141.A%22.1",
        expect![[
            r#"error: epc uri: invalid escape "%22" in component/part reference, allowed escapes are %23 %2F (position 24)"#
        ]],
    );
    check(
        "urn:epc:id:cpi:0614141.A.01",
        expect!["error: epc uri: serial must not start with 0 (position 25)"],
    );
    check("urn:epc:id:cpi:0614141.A.", expect!["error: epc uri: serial is empty (position 25)"]);
    check(
        "urn:epc:id:cpi:0614141.A.1234567890123",
        expect!["error: epc uri: serial is 13 characters, at most 12 allowed (position 25)"],
    );
    check(
        "urn:epc:id:cpi:0614141..1",
        expect!["error: epc uri: component/part reference is empty (position 23)"],
    );
    check(
        "urn:epc:id:cpi:0614141.ABCDEFGHIJKLMNOPQRSTUVWX.1",
        expect![
            "error: epc uri: component/part reference is 24 characters, at most 23 allowed with a 7-digit company prefix (position 23)"
        ],
    );
    check(
        "urn:epc:id:sgcn:4012345.67890.1234567890123",
        expect!["error: epc uri: serial is 13 characters, at most 12 allowed (position 30)"],
    );
    check(
        "urn:epc:id:sgcn:4012345.67890.12A",
        expect!["error: epc uri: non-digit 'A' in serial (position 32)"],
    );
    check(
        "urn:epc:id:ginc:0614141.ABCDEFGHIJKLMNOPQRSTUVWX",
        expect![
            "error: epc uri: consignment reference is 24 characters, at most 23 allowed with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:id:gsin:0614141.12345678",
        expect![
            "error: epc uri: shipper reference is 8 digits, expected 9 with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:id:itip:4012345.012345.1.02.987",
        expect!["error: epc uri: piece is 1 digit, expected 2 (position 31)"],
    );
    check(
        "urn:epc:id:itip:4012345.012345.01.0x.987",
        expect!["error: epc uri: non-digit 'x' in total (position 35)"],
    );
    check(
        "urn:epc:id:itip:4012345.012345.01.02",
        expect!["error: epc uri: expected 5 components separated by '.', found 4 (position 36)"],
    );
    check(
        "urn:epc:id:upui:1234567.098765.ABCDEFGHIJKLMNOPQRSTUVWXYZ012",
        expect![
            "error: epc uri: third party extension is 29 characters, at most 28 allowed (position 31)"
        ],
    );
    check(
        "urn:epc:id:pgln:0614141.1234",
        expect![
            "error: epc uri: party reference is 4 digits, expected 5 with a 7-digit company prefix (position 24)"
        ],
    );
    check(
        "urn:epc:class:lgtin:4012345.012345.",
        expect!["error: epc uri: lot is empty (position 35)"],
    );
    // Positions count characters, not bytes.
    check(
        "urn:epc:id:sgtin:0614141.11234é.400",
        expect!["error: epc uri: non-digit 'é' in item reference and indicator (position 30)"],
    );
    check(
        "urn:epc:id:sscc:é",
        expect!["error: epc uri: expected 2 components separated by '.', found 1 (position 17)"],
    );
    check(
        "urn:epc:id:sgtin:0614141.112345.aé",
        expect!["error: epc uri: character 'é' not allowed in serial (position 33)"],
    );
}

#[test]
fn format_each_scheme() {
    check_format(
        &[("01", "80614141123458"), ("21", "400")],
        7,
        expect!["urn:epc:id:sgtin:0614141.812345.400"],
    );
    check_format(&[("00", "106141412345678908")], 7, expect!["urn:epc:id:sscc:0614141.1234567890"]);
    check_format(
        &[("414", "0614141123452"), ("254", "400")],
        7,
        expect!["urn:epc:id:sgln:0614141.12345.400"],
    );
    check_format(&[("414", "0614141123452")], 7, expect!["urn:epc:id:sgln:0614141.12345.0"]);
    check_format(&[("8003", "00614141123452400")], 7, expect!["urn:epc:id:grai:0614141.12345.400"]);
    check_format(&[("8004", "061414112345400")], 7, expect!["urn:epc:id:giai:0614141.12345400"]);
    check_format(
        &[("8018", "061414112345678902")],
        7,
        expect!["urn:epc:id:gsrn:0614141.1234567890"],
    );
    check_format(
        &[("8017", "061414112345678902")],
        7,
        expect!["urn:epc:id:gsrnp:0614141.1234567890"],
    );
    check_format(&[("253", "0614141123452400")], 7, expect!["urn:epc:id:gdti:0614141.12345.400"]);
    check_format(
        &[("8010", "0614141123ABC"), ("8011", "123456789")],
        7,
        expect!["urn:epc:id:cpi:0614141.123ABC.123456789"],
    );
    check_format(
        &[("8010", "06141415PQ7/#-Z"), ("8011", "0")],
        7,
        expect!["error: ai (8011): serial must not start with 0 (position 0)"],
    );
    check_format(
        &[("255", "401234567890104711")],
        7,
        expect!["urn:epc:id:sgcn:4012345.67890.04711"],
    );
    check_format(&[("401", "0614141xyz47/11")], 7, expect!["urn:epc:id:ginc:0614141.xyz47%2F11"]);
    check_format(&[("402", "06141411234567890")], 7, expect!["urn:epc:id:gsin:0614141.123456789"]);
    check_format(
        &[("8006", "040123451234560102"), ("21", "987")],
        7,
        expect!["urn:epc:id:itip:4012345.012345.01.02.987"],
    );
    check_format(
        &[("01", "01234567987651"), ("235", "51qIgY)<&Jp3*j7'SDB")],
        7,
        expect!["urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB"],
    );
    check_format(&[("417", "0614141123452")], 7, expect!["urn:epc:id:pgln:0614141.12345"]);
    // Order is free and other AIs are ignored.
    check_format(
        &[("17", "251231"), ("21", "X1"), ("10", "L1"), ("01", "09506000134352")],
        7,
        expect!["urn:epc:id:sgtin:9506000.013435.X1"],
    );
    // The same company prefix length splits keys differently per scheme.
    check_format(
        &[("01", "80614141123458"), ("21", "400")],
        6,
        expect!["urn:epc:id:sgtin:061414.8112345.400"],
    );
    check_format(
        &[("01", "80614141123458"), ("21", "400")],
        12,
        expect!["urn:epc:id:sgtin:061414112345.8.400"],
    );
    check_format(&[("417", "0614141123452")], 12, expect!["urn:epc:id:pgln:061414112345."]);
    check_format(&[("8004", "061414112345400")], 12, expect!["urn:epc:id:giai:061414112345.400"]);
    // Every character of GS1 character set 82 that TDS escapes.
    check_format(
        &[("01", "80614141123458"), ("21", "\"%&/<>?!")],
        7,
        expect!["urn:epc:id:sgtin:0614141.812345.%22%25%26%2F%3C%3E%3F!"],
    );
    // The same AI twice with the same value is fine.
    check_format(
        &[("00", "106141412345678908"), ("00", "106141412345678908")],
        7,
        expect!["urn:epc:id:sscc:0614141.1234567890"],
    );
}

#[test]
fn format_without_epc() {
    check_format(&[], 7, expect!["none"]);
    check_format(&[("17", "251231"), ("10", "ABC")], 7, expect!["none"]);
    check_format(&[("01", "09506000134352")], 7, expect!["none"]);
    check_format(&[("01", "09506000134352"), ("10", "L1")], 7, expect!["none"]);
    check_format(&[("8006", "040123451234560102")], 7, expect!["none"]);
    check_format(&[("8010", "0614141123ABC")], 7, expect!["none"]);
    check_format(&[("8011", "1")], 7, expect!["none"]);
    check_format(&[("21", "1"), ("254", "1")], 7, expect!["none"]);
    // A GRAI, GDTI or GCN without its serial component has no EPC.
    check_format(&[("8003", "00614141123452")], 7, expect!["none"]);
    check_format(&[("253", "0614141123452")], 7, expect!["none"]);
    check_format(&[("255", "4012345678901")], 7, expect!["none"]);
    // Without a key, the company prefix length is not even looked at.
    check_format(&[("10", "L1")], 0, expect!["none"]);
}

#[test]
fn format_errors() {
    let sgtin = |gtin, serial| [("01", gtin), ("21", serial)];
    check_format(
        &sgtin("80614141123458", "400"),
        5,
        expect!["error: epc: company prefix is 5 digits, at least 6 required"],
    );
    check_format(
        &sgtin("80614141123458", "400"),
        13,
        expect!["error: epc: company prefix is 13 digits, at most 12 allowed"],
    );
    check_format(
        &sgtin("8061414112345", "400"),
        7,
        expect!["error: ai (01): gtin is 13 digits, expected 14 (position 0)"],
    );
    check_format(
        &sgtin("806141411234588", "400"),
        7,
        expect!["error: ai (01): gtin is 15 digits, expected 14 (position 0)"],
    );
    check_format(
        &sgtin("80614141123459", "400"),
        7,
        expect!["error: ai (01): check digit is 9, expected 8 (position 13)"],
    );
    check_format(
        &sgtin("8061414112345X", "400"),
        7,
        expect!["error: ai (01): non-digit 'X' in gtin (position 13)"],
    );
    check_format(
        &sgtin("80614141123458", ""),
        7,
        expect!["error: ai (21): serial is empty (position 0)"],
    );
    check_format(
        &sgtin("80614141123458", "ABCDEFGHIJKLMNOPQRSTU"),
        7,
        expect!["error: ai (21): serial is 21 characters, at most 20 allowed (position 0)"],
    );
    check_format(
        &sgtin("80614141123458", "a b"),
        7,
        expect!["error: ai (21): character ' ' not allowed in serial (position 1)"],
    );
    check_format(
        &sgtin("80614141123458", "a#b"),
        7,
        expect!["error: ai (21): character '#' not allowed in serial (position 1)"],
    );
    check_format(
        &sgtin("80614141123458", "é"),
        7,
        expect!["error: ai (21): character 'é' not allowed in serial (position 0)"],
    );
    check_format(
        &[("00", "10614141234567890")],
        7,
        expect!["error: ai (00): sscc is 17 digits, expected 18 (position 0)"],
    );
    check_format(
        &[("00", "106141412345678909")],
        7,
        expect!["error: ai (00): check digit is 9, expected 8 (position 17)"],
    );
    check_format(
        &[("414", "0614141123452"), ("254", "0")],
        7,
        expect![[
            r#"error: ai (254): extension "0" has no epc: the sgln uses extension 0 to mean no (254) (position 0)"#
        ]],
    );
    check_format(
        &[("414", "0614141123452"), ("254", "")],
        7,
        expect!["error: ai (254): extension is empty (position 0)"],
    );
    check_format(
        &[("8003", "106141411234525400")],
        7,
        expect!["error: ai (8003): first digit must be 0, found '1' (position 0)"],
    );
    check_format(
        &[("8003", "A06141411234525400")],
        7,
        expect!["error: ai (8003): non-digit 'A' in grai (position 0)"],
    );
    check_format(
        &[("8003", "006141411234535400")],
        7,
        expect!["error: ai (8003): check digit is 3, expected 2 (position 13)"],
    );
    check_format(
        &[("8003", "0061414112345")],
        7,
        expect!["error: ai (8003): grai is 12 digits, expected 13 (position 1)"],
    );
    check_format(
        &[("8003", "00614141123452ABCDEFGHIJKLMNOPQ")],
        7,
        expect!["error: ai (8003): serial is 17 characters, at most 16 allowed (position 14)"],
    );
    check_format(
        &[("8004", "06141411234567890123456789012345")],
        7,
        expect![
            "error: ai (8004): individual asset reference is 25 characters, at most 23 allowed with a 7-digit company prefix (position 7)"
        ],
    );
    check_format(
        &[("8004", "0614141")],
        7,
        expect!["error: ai (8004): individual asset reference is empty (position 7)"],
    );
    check_format(
        &[("8004", "06141A1123")],
        7,
        expect!["error: ai (8004): non-digit 'A' in company prefix (position 5)"],
    );
    check_format(
        &[("8004", "0614")],
        7,
        expect!["error: ai (8004): company prefix is 4 digits, expected 7 (position 0)"],
    );
    check_format(
        &[("8018", "06141411234567890")],
        7,
        expect!["error: ai (8018): gsrn is 17 digits, expected 18 (position 0)"],
    );
    check_format(
        &[("253", "0614141123452ABCDEFGHIJKLMNOPQR")],
        7,
        expect!["error: ai (253): serial is 18 characters, at most 17 allowed (position 13)"],
    );
    check_format(
        &[("253", "06141411X3452400")],
        7,
        expect!["error: ai (253): non-digit 'X' in gdti (position 8)"],
    );
    check_format(
        &[("8010", "0614141abc"), ("8011", "1")],
        7,
        expect![
            "error: ai (8010): character 'a' not allowed in component/part reference (position 7)"
        ],
    );
    check_format(
        &[("8010", "0614141ABC"), ("8011", "01")],
        7,
        expect!["error: ai (8011): serial must not start with 0 (position 0)"],
    );
    check_format(
        &[("8010", "0614141ABC"), ("8011", "1234567890123")],
        7,
        expect!["error: ai (8011): serial is 13 characters, at most 12 allowed (position 0)"],
    );
    check_format(
        &[("8010", "0614141ABC"), ("8011", "1A")],
        7,
        expect!["error: ai (8011): non-digit 'A' in serial (position 1)"],
    );
    check_format(
        &[("8010", "0614141ABC"), ("8011", "")],
        7,
        expect!["error: ai (8011): serial is empty (position 0)"],
    );
    check_format(
        &[("255", "4012345678901A")],
        7,
        expect!["error: ai (255): non-digit 'A' in serial (position 13)"],
    );
    check_format(
        &[("255", "40123456789011234567890123")],
        7,
        expect!["error: ai (255): serial is 13 characters, at most 12 allowed (position 13)"],
    );
    check_format(
        &[("401", "0614141ABCDEFGHIJKLMNOPQRSTUVWX")],
        7,
        expect![
            "error: ai (401): consignment reference is 24 characters, at most 23 allowed with a 7-digit company prefix (position 7)"
        ],
    );
    check_format(
        &[("8006", "04012345123456010"), ("21", "1")],
        7,
        expect!["error: ai (8006): piece and total is 3 digits, expected 4 (position 14)"],
    );
    check_format(
        &[("8006", "0401234512345601X2"), ("21", "1")],
        7,
        expect!["error: ai (8006): non-digit 'X' in piece and total (position 16)"],
    );
    check_format(
        &[("8006", "040123451234570102"), ("21", "1")],
        7,
        expect!["error: ai (8006): check digit is 7, expected 6 (position 13)"],
    );
    check_format(
        &[("01", "01234567987651"), ("235", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012")],
        7,
        expect![
            "error: ai (235): third party extension is 29 characters, at most 28 allowed (position 0)"
        ],
    );
    check_format(
        &[("00", "106141412345678908"), ("01", "80614141123458"), ("21", "1")],
        7,
        expect![
            "error: epc: element data holds two keys, (00) and (01)+(21); give only the one to convert"
        ],
    );
    check_format(
        &[("8017", "061414112345678902"), ("8018", "061414112345678902")],
        7,
        expect![
            "error: epc: element data holds two keys, (8018) and (8017); give only the one to convert"
        ],
    );
    check_format(
        &[("01", "80614141123458"), ("21", "1"), ("21", "2")],
        7,
        expect!["error: ai (21): given twice with different values"],
    );
}

#[test]
fn format_lgtin() {
    check_lgtin(
        "04012345123456",
        "998877",
        7,
        expect!["urn:epc:class:lgtin:4012345.012345.998877"],
    );
    check_lgtin(
        "04012345123456",
        "Lot/987",
        7,
        expect!["urn:epc:class:lgtin:4012345.012345.Lot%2F987"],
    );
    check_lgtin("04012345123456", "", 7, expect!["error: ai (10): lot is empty (position 0)"]);
    check_lgtin(
        "04012345123456",
        "ABCDEFGHIJKLMNOPQRSTU",
        7,
        expect!["error: ai (10): lot is 21 characters, at most 20 allowed (position 0)"],
    );
    check_lgtin(
        "04012345123457",
        "1",
        7,
        expect!["error: ai (01): check digit is 7, expected 6 (position 13)"],
    );
    check_lgtin(
        "04012345123456",
        "1",
        4,
        expect!["error: epc: company prefix is 4 digits, at least 6 required"],
    );
}

#[test]
fn gcp_length_table() {
    let table = "# prefix,length\n0614141,7\n06,9 # a whole range\n40123,7\n0,0\n\n";
    check_table(
        table,
        &[
            ("01", "80614141123458"),
            ("414", "0614141123452"),
            ("414", "0699999999992"),
            ("00", "340123453111111115"),
            ("8003", "04012345000221334455"),
            ("417", "0123456789012"),
            ("417", "9999999999994"),
            ("01", "09506000134352"),
            ("99", "1"),
        ],
        expect![
            "Some(7) none | Some(7) urn:epc:id:sgln:0614141.12345.0 | Some(9) urn:epc:id:sgln:069999999.999.0 | Some(7) urn:epc:id:sscc:4012345.3311111111 | Some(7) urn:epc:id:grai:4012345.00022.334455 | None error: ai (417): no company prefix length known for this key | None error: ai (417): no company prefix length known for this key | None none | None none"
        ],
    );
    check_table(
        "0614141",
        &[],
        expect![[r#"error: gcp length table: line 1: expected "prefix,length""#]],
    );
    check_table(
        "0614141,13",
        &[],
        expect![[
            r#"error: gcp length table: line 1: length "13" is not 0 (no company prefix) or 6 to 12"#
        ]],
    );
    check_table(
        "0614141,5",
        &[],
        expect![[
            r#"error: gcp length table: line 1: length "5" is not 0 (no company prefix) or 6 to 12"#
        ]],
    );
    check_table(
        "0614141,x",
        &[],
        expect![[
            r#"error: gcp length table: line 1: length "x" is not 0 (no company prefix) or 6 to 12"#
        ]],
    );
    check_table(
        "06141A1,7",
        &[],
        expect![[r#"error: gcp length table: line 1: prefix "06141A1" is not 1 to 12 digits"#]],
    );
    check_table(
        ",7",
        &[],
        expect![[r#"error: gcp length table: line 1: prefix "" is not 1 to 12 digits"#]],
    );
    check_table(
        "0614141234567,12",
        &[],
        expect![[
            r#"error: gcp length table: line 1: prefix "0614141234567" is not 1 to 12 digits"#
        ]],
    );
    check_table(
        "0614141,7\n0614141,8",
        &[],
        expect![
            "error: gcp length table: line 2: prefix 0614141 is given twice with different lengths"
        ],
    );
    check_table(
        "0614141,7\n0614141,7",
        &[("414", "0614141123452")],
        expect!["Some(7) urn:epc:id:sgln:0614141.12345.0"],
    );
}

#[test]
fn gcp_length_table_insert() {
    let mut table = GcpLengthTable::new();
    assert!(table.is_empty());
    assert_eq!(table.insert("0614141", 7), Ok(()));
    assert_eq!(table.insert("0614141", 8), Ok(()));
    assert_eq!(table.insert("1", 0), Ok(()));
    assert_eq!(table.gcp_len("06141411234"), Some(8));
    assert_eq!(table.gcp_len("0614"), None);
    assert_eq!(table.gcp_len("é"), None);
    let error = table.insert("", 7).expect_err("empty prefix");
    expect![[r#"gcp length table: prefix "" is not 1 to 12 digits"#]].assert_eq(&error.to_string());
    assert_eq!(error.line(), None);
    assert_eq!(table.len(), 2);
    let sgtin = [("01", "80614141123458"), ("21", "400"), ("10", "L1")];
    let uri = format_epc_uri_with_table(&sgtin, &table).expect("the prefix is known");
    assert_eq!(uri.as_deref(), Some("urn:epc:id:sgtin:06141411.82345.400"));
}

#[test]
fn error_accessors() {
    let error = parse_epc_uri("urn:epc:id:sgtin:0614141234567.1.400").expect_err("13-digit prefix");
    assert_eq!(error.position(), Some(17));
    assert_eq!(error.ai(), None);
    assert_eq!(error.kind(), &EpcErrorKind::CompanyPrefixLength { len: 13 });
    let error =
        format_epc_uri(&[("01", "80614141123459"), ("21", "1")], 7).expect_err("check digit");
    assert_eq!((error.ai(), error.position()), (Some("01"), Some(13)));
    let error =
        format_epc_uri(&[("01", "80614141123458"), ("21", "1")], 3).expect_err("gcp length");
    assert_eq!((error.ai(), error.position()), (None, None));
}

#[test]
fn scheme_names() {
    let names: Vec<String> =
        EpcScheme::ALL.iter().map(|s| format!("{s}={}", s.uri_prefix())).collect();
    expect!["sgtin=urn:epc:id:sgtin: sscc=urn:epc:id:sscc: sgln=urn:epc:id:sgln: grai=urn:epc:id:grai: giai=urn:epc:id:giai: gsrn=urn:epc:id:gsrn: gsrnp=urn:epc:id:gsrnp: gdti=urn:epc:id:gdti: cpi=urn:epc:id:cpi: sgcn=urn:epc:id:sgcn: ginc=urn:epc:id:ginc: gsin=urn:epc:id:gsin: itip=urn:epc:id:itip: upui=urn:epc:id:upui: pgln=urn:epc:id:pgln: lgtin=urn:epc:class:lgtin:"].assert_eq(&names.join(" "));
}

#[test]
fn plain_identity_uris() {
    for uri in [
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:id:sgtin:061414123456.1.a-b_c.d",
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:id:sgln:0614141.12345.0",
        "urn:epc:id:sgln:061414123456..ext",
    ] {
        assert!(is_plain_identity_uri(uri), "{uri}");
        assert!(parse_epc_uri(uri).is_ok(), "{uri}");
    }
    for uri in [
        // A 13-digit company prefix: the digits fit an SSCC, TDS refuses the prefix.
        "urn:epc:id:sscc:0614141234567.1234",
        "urn:epc:id:sgtin:0614141.812345.%2F",
        "urn:epc:id:sgtin:0614141.812345.123456789012345678901",
        "urn:epc:id:sgtin:0614141.81234.6789",
        "urn:epc:id:sgtin:06141.41812345.6789",
        "urn:epc:id:sscc:0614141.1234567890.1",
        "urn:epc:class:lgtin:0614141.812345.6789",
        "urn:epc:id:grai:0614141.12345.400",
        "urn:epc:id:sgtin:0614141.812345.",
    ] {
        assert!(!is_plain_identity_uri(uri), "{uri}");
    }
}

proptest::proptest! {
    /// The shortcut never says yes to a URI the parse refuses. The parts are built around the
    /// lengths and characters that matter (each scheme's key length, one digit either side),
    /// so that most generated URIs are near misses.
    #[test]
    fn a_plain_identity_uri_always_parses(
        scheme in proptest::sample::select(vec!["sgtin", "sscc", "sgln", "grai"]),
        cp_len in 4usize..=16,
        off_by in -1i64..=1,
        last in proptest::option::of("[0-9A-Za-z._%/-]{0,22}"),
    ) {
        let key_len: i64 = match scheme { "sgtin" => 13, "sscc" => 17, _ => 12 };
        let cp = "0".repeat(cp_len);
        let middle = "1".repeat(usize::try_from(key_len - cp_len as i64 + off_by).unwrap_or(0));
        let uri = match &last {
            Some(last) => format!("urn:epc:id:{scheme}:{cp}.{middle}.{last}"),
            None => format!("urn:epc:id:{scheme}:{cp}.{middle}"),
        };
        if is_plain_identity_uri(&uri) {
            let epc = parse_epc_uri(&uri);
            proptest::prop_assert!(epc.is_ok(), "{uri}: {epc:?}");
        }
    }
}
