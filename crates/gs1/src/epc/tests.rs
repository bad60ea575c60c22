//! Tests of EPC URI conversion through the module's public functions, one case per line.

use expect_test::{Expect, expect};

use super::*;

/// Parses `uri` and shows the scheme, company prefix length and AIs, or the error. A URI that
/// parses must format back to itself byte for byte.
#[track_caller]
fn check(uri: &str, expect: Expect) {
    let actual = match parse_epc_uri(uri) {
        Ok(epc) => {
            assert_eq!(uri_of(&epc).as_deref(), Ok(uri), "formatting the parsed AIs must give the uri back");
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
    check("urn:epc:id:sgtin:0614141.112345.400", expect![[""]]);
    check("urn:epc:id:sscc:0614141.1234567890", expect![[""]]);
    check("urn:epc:id:sgln:0614141.12345.400", expect![[""]]);
    check("urn:epc:id:sgln:0614141.12345.0", expect![[""]]);
    check("urn:epc:id:grai:0614141.12345.400", expect![[""]]);
    check("urn:epc:id:giai:0614141.12345400", expect![[""]]);
    check("urn:epc:id:gsrn:0614141.1234567890", expect![[""]]);
    check("urn:epc:id:gsrnp:0614141.1234567890", expect![[""]]);
    check("urn:epc:id:gdti:0614141.12345.400", expect![[""]]);
    check("urn:epc:id:cpi:0614141.123ABC.123456789", expect![[""]]);
    check("urn:epc:id:sgcn:4012345.67890.04711", expect![[""]]);
    check("urn:epc:id:ginc:0614141.xyz47%2F11", expect![[""]]);
    check("urn:epc:id:gsin:0614141.123456789", expect![[""]]);
    check("urn:epc:id:itip:4012345.012345.01.02.987", expect![[""]]);
    check("urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", expect![[""]]);
    check("urn:epc:id:pgln:0614141.12345", expect![[""]]);
    check("urn:epc:class:lgtin:4012345.012345.998877", expect![[""]]);
}

#[test]
fn parse_edge_cases() {
    // Every escape TDS defines, and characters that stand for themselves.
    check("urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.812345.%22%25%26%2F%3C%3E%3F", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.812345.!'()*+,-.:;=_", expect![[""]]);
    check("urn:epc:id:cpi:0614141.5PQ7%2F%23-Z.0", expect![[""]]);
    // Serials are case-sensitive, may hold dots, and '*' is a serial, not a pattern.
    check("urn:epc:id:sgtin:0614141.112345.AbC", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.a.b.c", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.*", expect![[""]]);
    check("urn:epc:id:giai:0614141.A.B", expect![[""]]);
    // Shortest and longest company prefixes; a 12-digit one leaves some references empty.
    check("urn:epc:id:sgtin:030001.0012345.11", expect![[""]]);
    check("urn:epc:id:sgtin:415056789012.0.987654", expect![[""]]);
    check("urn:epc:id:pgln:999999999999.", expect![[""]]);
    check("urn:epc:id:gdti:987659999999..9", expect![[""]]);
    check("urn:epc:id:sgln:061414112345..0", expect![[""]]);
    check("urn:epc:id:grai:061414112345..X", expect![[""]]);
    check("urn:epc:id:sgcn:061414112345..0", expect![[""]]);
    // Longest values.
    check("urn:epc:id:sgtin:0614141.112345.ABCDEFGHIJKLMNOPQRS%2F", expect![[""]]);
    check("urn:epc:id:giai:061414.123456789012345678901234", expect![[""]]);
    check("urn:epc:id:cpi:061414112345.ABCDEFGHIJKLMNOPQR.999999999999", expect![[""]]);
    check("urn:epc:id:upui:0614141.112345.ABCDEFGHIJKLMNOPQRSTUVWXYZ01", expect![[""]]);
    check("urn:epc:id:sgcn:4012345.67890.000000000000", expect![[""]]);
    // A GLN extension other than 0, even one that is all zeros, is an AI (254).
    check("urn:epc:id:sgln:0614141.12345.00", expect![[""]]);
}

#[test]
fn parse_errors() {
    check("", expect![[""]]);
    check("urn:epc:", expect![[""]]);
    check("URN:EPC:ID:SGTIN:0614141.112345.400", expect![[""]]);
    check("urn:epc:tag:sgtin-96:3.0614141.112345.400", expect![[""]]);
    check("urn:epc:idpat:sgtin:0614141.112345.*", expect![[""]]);
    check("urn:epc:id:sgtin", expect![[""]]);
    check("urn:epc:id:foo:0614141.1", expect![[""]]);
    check("urn:epc:id:lgtin:4012345.012345.998877", expect![[""]]);
    check("urn:epc:class:sgtin:0614141.112345.400", expect![[""]]);
    check("urn:epc:id:gid:95100000.12345.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345", expect![[""]]);
    check("urn:epc:id:sgtin:", expect![[""]]);
    check("urn:epc:id:sscc:0614141.1234567890.1", expect![[""]]);
    check("urn:epc:id:cpi:0614141.A.1.2", expect![[""]]);
    check("urn:epc:id:sgtin:06141A1.112345.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141234567.1.400", expect![[""]]);
    check("urn:epc:id:sgtin:06141.12345678.400", expect![[""]]);
    check("urn:epc:id:sgtin:.112345.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.12345.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.1234567.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.11234x.400", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.ABCDEFGHIJKLMNOPQRSTU", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.4 0", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.a#b", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.a/b", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.a\"b", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.%2f", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.%21", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.%23", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.%00", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.ab%", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.ab%2", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.%é1", expect![[""]]);
    check("urn:epc:id:sscc:0614141.123456789", expect![[""]]);
    check("urn:epc:id:sgln:0614141.12345.", expect![[""]]);
    check("urn:epc:id:grai:0614141.12345.ABCDEFGHIJKLMNOPQ", expect![[""]]);
    check("urn:epc:id:giai:0614141.123456789012345678901234", expect![[""]]);
    check("urn:epc:id:giai:0614141.", expect![[""]]);
    check("urn:epc:id:gsrn:0614141.123456789", expect![[""]]);
    check("urn:epc:id:gdti:0614141.12345.ABCDEFGHIJKLMNOPQR", expect![[""]]);
    check("urn:epc:id:cpi:0614141.abc.1", expect![[""]]);
    check("urn:epc:id:cpi:0614141.A%22.1", expect![[""]]);
    check("urn:epc:id:cpi:0614141.A.01", expect![[""]]);
    check("urn:epc:id:cpi:0614141.A.", expect![[""]]);
    check("urn:epc:id:cpi:0614141.A.1234567890123", expect![[""]]);
    check("urn:epc:id:cpi:0614141..1", expect![[""]]);
    check("urn:epc:id:cpi:0614141.ABCDEFGHIJKLMNOPQRSTUVWX.1", expect![[""]]);
    check("urn:epc:id:sgcn:4012345.67890.1234567890123", expect![[""]]);
    check("urn:epc:id:sgcn:4012345.67890.12A", expect![[""]]);
    check("urn:epc:id:ginc:0614141.ABCDEFGHIJKLMNOPQRSTUVWX", expect![[""]]);
    check("urn:epc:id:gsin:0614141.12345678", expect![[""]]);
    check("urn:epc:id:itip:4012345.012345.1.02.987", expect![[""]]);
    check("urn:epc:id:itip:4012345.012345.01.0x.987", expect![[""]]);
    check("urn:epc:id:itip:4012345.012345.01.02", expect![[""]]);
    check("urn:epc:id:upui:1234567.098765.ABCDEFGHIJKLMNOPQRSTUVWXYZ012", expect![[""]]);
    check("urn:epc:id:pgln:0614141.1234", expect![[""]]);
    check("urn:epc:class:lgtin:4012345.012345.", expect![[""]]);
    // Positions count characters, not bytes.
    check("urn:epc:id:sgtin:0614141.11234é.400", expect![[""]]);
    check("urn:epc:id:sscc:é", expect![[""]]);
    check("urn:epc:id:sgtin:0614141.112345.aé", expect![[""]]);
}

#[test]
fn format_each_scheme() {
    check_format(&[("01", "80614141123458"), ("21", "400")], 7, expect![[""]]);
    check_format(&[("00", "106141412345678908")], 7, expect![[""]]);
    check_format(&[("414", "0614141123452"), ("254", "400")], 7, expect![[""]]);
    check_format(&[("414", "0614141123452")], 7, expect![[""]]);
    check_format(&[("8003", "006141411234525400")], 7, expect![[""]]);
    check_format(&[("8004", "061414112345400")], 7, expect![[""]]);
    check_format(&[("8018", "061414112345678902")], 7, expect![[""]]);
    check_format(&[("8017", "061414112345678902")], 7, expect![[""]]);
    check_format(&[("253", "0614141123452400")], 7, expect![[""]]);
    check_format(&[("8010", "0614141123ABC"), ("8011", "123456789")], 7, expect![[""]]);
    check_format(&[("8010", "06141415PQ7/#-Z"), ("8011", "0")], 7, expect![[""]]);
    check_format(&[("255", "401234567890104711")], 7, expect![[""]]);
    check_format(&[("401", "0614141xyz47/11")], 7, expect![[""]]);
    check_format(&[("402", "06141411234567890")], 7, expect![[""]]);
    check_format(&[("8006", "040123451234560102"), ("21", "987")], 7, expect![[""]]);
    check_format(&[("01", "01234567987651"), ("235", "51qIgY)<&Jp3*j7'SDB")], 7, expect![[""]]);
    check_format(&[("417", "0614141123452")], 7, expect![[""]]);
    // Order is free and other AIs are ignored.
    check_format(&[("17", "251231"), ("21", "X1"), ("10", "L1"), ("01", "09506000134352")], 7, expect![[""]]);
    // The same company prefix length splits keys differently per scheme.
    check_format(&[("01", "80614141123458"), ("21", "400")], 6, expect![[""]]);
    check_format(&[("01", "80614141123458"), ("21", "400")], 12, expect![[""]]);
    check_format(&[("417", "0614141123452")], 12, expect![[""]]);
    check_format(&[("8004", "061414112345400")], 12, expect![[""]]);
    // Every character of GS1 character set 82 that TDS escapes.
    check_format(&[("01", "80614141123458"), ("21", "\"%&/<>?!")], 7, expect![[""]]);
    // The same AI twice with the same value is fine.
    check_format(&[("00", "106141412345678908"), ("00", "106141412345678908")], 7, expect![[""]]);
}

#[test]
fn format_without_epc() {
    check_format(&[], 7, expect![[""]]);
    check_format(&[("17", "251231"), ("10", "ABC")], 7, expect![[""]]);
    check_format(&[("01", "09506000134352")], 7, expect![[""]]);
    check_format(&[("01", "09506000134352"), ("10", "L1")], 7, expect![[""]]);
    check_format(&[("8006", "040123451234560102")], 7, expect![[""]]);
    check_format(&[("8010", "0614141123ABC")], 7, expect![[""]]);
    check_format(&[("8011", "1")], 7, expect![[""]]);
    check_format(&[("21", "1"), ("254", "1")], 7, expect![[""]]);
    // A GRAI, GDTI or GCN without its serial component has no EPC.
    check_format(&[("8003", "00614141123452")], 7, expect![[""]]);
    check_format(&[("253", "0614141123452")], 7, expect![[""]]);
    check_format(&[("255", "4012345678901")], 7, expect![[""]]);
    // Without a key, the company prefix length is not even looked at.
    check_format(&[("10", "L1")], 0, expect![[""]]);
}

#[test]
fn format_errors() {
    let sgtin = |gtin, serial| [("01", gtin), ("21", serial)];
    check_format(&sgtin("80614141123458", "400"), 5, expect![[""]]);
    check_format(&sgtin("80614141123458", "400"), 13, expect![[""]]);
    check_format(&sgtin("8061414112345", "400"), 7, expect![[""]]);
    check_format(&sgtin("806141411234588", "400"), 7, expect![[""]]);
    check_format(&sgtin("80614141123459", "400"), 7, expect![[""]]);
    check_format(&sgtin("8061414112345X", "400"), 7, expect![[""]]);
    check_format(&sgtin("80614141123458", ""), 7, expect![[""]]);
    check_format(&sgtin("80614141123458", "ABCDEFGHIJKLMNOPQRSTU"), 7, expect![[""]]);
    check_format(&sgtin("80614141123458", "a b"), 7, expect![[""]]);
    check_format(&sgtin("80614141123458", "a#b"), 7, expect![[""]]);
    check_format(&sgtin("80614141123458", "é"), 7, expect![[""]]);
    check_format(&[("00", "10614141234567890")], 7, expect![[""]]);
    check_format(&[("00", "106141412345678909")], 7, expect![[""]]);
    check_format(&[("414", "0614141123452"), ("254", "0")], 7, expect![[""]]);
    check_format(&[("414", "0614141123452"), ("254", "")], 7, expect![[""]]);
    check_format(&[("8003", "106141411234525400")], 7, expect![[""]]);
    check_format(&[("8003", "A06141411234525400")], 7, expect![[""]]);
    check_format(&[("8003", "006141411234535400")], 7, expect![[""]]);
    check_format(&[("8003", "0061414112345")], 7, expect![[""]]);
    check_format(&[("8003", "00614141123452ABCDEFGHIJKLMNOPQ")], 7, expect![[""]]);
    check_format(&[("8004", "06141411234567890123456789012345")], 7, expect![[""]]);
    check_format(&[("8004", "0614141")], 7, expect![[""]]);
    check_format(&[("8004", "06141A1123")], 7, expect![[""]]);
    check_format(&[("8004", "0614")], 7, expect![[""]]);
    check_format(&[("8018", "06141411234567890")], 7, expect![[""]]);
    check_format(&[("253", "0614141123452ABCDEFGHIJKLMNOPQR")], 7, expect![[""]]);
    check_format(&[("253", "06141411X3452400")], 7, expect![[""]]);
    check_format(&[("8010", "0614141abc"), ("8011", "1")], 7, expect![[""]]);
    check_format(&[("8010", "0614141ABC"), ("8011", "01")], 7, expect![[""]]);
    check_format(&[("8010", "0614141ABC"), ("8011", "1234567890123")], 7, expect![[""]]);
    check_format(&[("8010", "0614141ABC"), ("8011", "1A")], 7, expect![[""]]);
    check_format(&[("8010", "0614141ABC"), ("8011", "")], 7, expect![[""]]);
    check_format(&[("255", "4012345678901A")], 7, expect![[""]]);
    check_format(&[("255", "40123456789011234567890123")], 7, expect![[""]]);
    check_format(&[("401", "0614141ABCDEFGHIJKLMNOPQRSTUVWX")], 7, expect![[""]]);
    check_format(&[("8006", "04012345123456010"), ("21", "1")], 7, expect![[""]]);
    check_format(&[("8006", "0401234512345601X2"), ("21", "1")], 7, expect![[""]]);
    check_format(&[("8006", "040123451234570102"), ("21", "1")], 7, expect![[""]]);
    check_format(&[("01", "01234567987651"), ("235", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012")], 7, expect![[""]]);
    check_format(&[("00", "106141412345678908"), ("01", "80614141123458"), ("21", "1")], 7, expect![[""]]);
    check_format(&[("8017", "061414112345678902"), ("8018", "061414112345678902")], 7, expect![[""]]);
    check_format(&[("01", "80614141123458"), ("21", "1"), ("21", "2")], 7, expect![[""]]);
}

#[test]
fn format_lgtin() {
    check_lgtin("04012345123456", "998877", 7, expect![[""]]);
    check_lgtin("04012345123456", "Lot/987", 7, expect![[""]]);
    check_lgtin("04012345123456", "", 7, expect![[""]]);
    check_lgtin("04012345123456", "ABCDEFGHIJKLMNOPQRSTU", 7, expect![[""]]);
    check_lgtin("04012345123457", "1", 7, expect![[""]]);
    check_lgtin("04012345123456", "1", 4, expect![[""]]);
}

#[test]
fn gcp_length_table() {
    let table = "# prefix,length\n0614141,7\n06,9 # a whole range\n40123,7\n0,0\n\n";
    check_table(
        table,
        &[
            ("01", "80614141123458"),
            ("414", "0614141123452"),
            ("414", "0699999999991"),
            ("00", "340123453111111115"),
            ("8003", "04012345000221334455"),
            ("417", "0123456789012"),
            ("417", "9999999999994"),
            ("01", "09506000134352"),
            ("99", "1"),
        ],
        expect![[""]],
    );
    check_table("0614141", &[], expect![[""]]);
    check_table("0614141,13", &[], expect![[""]]);
    check_table("0614141,5", &[], expect![[""]]);
    check_table("0614141,x", &[], expect![[""]]);
    check_table("06141A1,7", &[], expect![[""]]);
    check_table(",7", &[], expect![[""]]);
    check_table("0614141234567,12", &[], expect![[""]]);
    check_table("0614141,7\n0614141,8", &[], expect![[""]]);
    check_table("0614141,7\n0614141,7", &[("414", "0614141123452")], expect![[""]]);
}

#[test]
fn gcp_length_table_insert() {
    let mut table = GcpLengthTable::new();
    assert!(table.is_empty());
    assert_eq!(table.insert("0614141", 7), Ok(()));
    assert_eq!(table.insert("0614141", 8), Ok(()));
    assert_eq!(table.gcp_len("06141411234"), Some(8));
    assert_eq!(table.gcp_len("0614"), None);
    assert_eq!(table.gcp_len("é"), None);
    let error = table.insert("", 7).expect_err("empty prefix");
    expect![[""]].assert_eq(&error.to_string());
    assert_eq!(error.line(), None);
    assert_eq!(table.len(), 1);
}

#[test]
fn error_accessors() {
    let error = parse_epc_uri("urn:epc:id:sgtin:0614141234567.1.400").expect_err("13-digit prefix");
    assert_eq!(error.position(), Some(17));
    assert_eq!(error.ai(), None);
    assert_eq!(error.kind(), &EpcErrorKind::CompanyPrefixLength { len: 13 });
    let error = format_epc_uri(&[("01", "80614141123459"), ("21", "1")], 7).expect_err("check digit");
    assert_eq!((error.ai(), error.position()), (Some("01"), Some(13)));
    let error = format_epc_uri(&[("01", "80614141123458"), ("21", "1")], 3).expect_err("gcp length");
    assert_eq!((error.ai(), error.position()), (None, None));
}

#[test]
fn scheme_names() {
    let names: Vec<String> = EpcScheme::ALL.iter().map(|s| format!("{s}={}", s.uri_prefix())).collect();
    expect![[""]].assert_eq(&names.join(" "));
}
