//! Data-driven tests of Digital Link reading and writing: one line per case.

use expect_test::{Expect, expect};

use super::*;

#[track_caller]
fn check(uri: &str, expect: Expect) {
    let opts = Options::default();
    let actual = match parse_digital_link(uri, &opts) {
        Ok(data) => {
            let mut canonical = String::new();
            match format_digital_link(&data, DEFAULT_STEM, &opts, &mut canonical) {
                Ok(()) => format!("{} -> {canonical}", data.to_bracketed()),
                Err(e) => format!("{} -> error: {e}", data.to_bracketed()),
            }
        }
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn reads_pharma_links() {
    check(
        "https://id.gs1.org/01/09506000134352/10/AB-12/21/X1?17=261231",
        expect![
            "(01)09506000134352(10)AB-12(21)X1(17)261231 -> https://id.gs1.org/01/09506000134352/10/AB-12/21/X1?17=261231"
        ],
    );
    check(
        "https://brand.example.com/pack/info/01/09506000134352/21/A%2FB%25?17=261231&715=0777-3105-02&utm=x",
        expect![
            "(01)09506000134352(21)A/B%(17)261231(715)0777-3105-02 -> https://id.gs1.org/01/09506000134352/21/A%2FB%25?17=261231&715=0777-3105-02"
        ],
    );
    check(
        "https://id.gs1.org/00/106141412345678908?02=09506000134352&37=10",
        expect![
            "(00)106141412345678908(02)09506000134352(37)10 -> https://id.gs1.org/00/106141412345678908?02=09506000134352&37=10"
        ],
    );
    check(
        "https://id.gs1.org/414/9520123456788/254/32a%2Fb",
        expect!["(414)9520123456788(254)32a/b -> https://id.gs1.org/414/9520123456788/254/32a%2Fb"],
    );
}

#[test]
fn refuses_with_the_position_of_the_fault() {
    check(
        "https://id.gs1.org/01/09506000134353",
        expect![[r#"error: AI (01): incorrect check digit "3" (position 35)"#]],
    );
    check(
        "https://id.gs1.org/01/09506000134352/21/X1/10/AB",
        expect![[
            r#"error: AI (10): digital link: key qualifiers are not valid for the key or out of order (position 43)"#
        ]],
    );
    check(
        "https://id.gs1.org/01/09506000134352?10=AB",
        expect![
            "error: AI (10): the AI is not permitted as a digital link attribute (position 37)"
        ],
    );
    check(
        "https://id.gs1.org/01/09506000134352?17=261231&17=261231",
        expect!["error: AI (17): digital link: the AI appears twice (position 47)"],
    );
    check(
        "https://id.gs1.org/01/09506000134352/21/X%001",
        expect!["error: AI (21): digital link: invalid percent escape (position 41)"],
    );
    check(
        "https://id.gs1.org/01/09506000134352/21/X 1",
        expect![[r#"error: digital link: character must be percent-encoded " " (position 41)"#]],
    );
    check(
        "https://id.gs1.org/products/9506000134352",
        expect!["error: digital link: the path holds no primary key (position 18)"],
    );
    check(
        "https://id.gs1.org/01/09506000134352/",
        expect!["error: digital link: empty path segment (position 36)"],
    );
    check(
        "https://exa$mple.com/01/09506000134352",
        expect!["error: digital link: the host is missing or malformed (position 11)"],
    );
    check(
        "Https://id.gs1.org/01/09506000134352",
        expect!["error: digital link: the scheme must be http or https (position 0)"],
    );
    check(
        "https://id.gs1.org/01/09506000134352/21/X1?17=261232",
        expect![[r#"error: AI (17): day is not valid "32" (position 50)"#]],
    );
}

#[test]
fn positions_count_characters_and_padding() {
    let opts = Options { permit_zero_suppressed_gtin: true, ..Options::default() };
    let e = parse_digital_link("https://id.gs1.org/01/9506000134353", &opts)
        .expect_err("bad check digit");
    assert_eq!(e.position, Some(34), "{e}");
    // The `~` decoded from `%7E` is not in CSET 82: the position is that of its escape.
    let e = parse_digital_link("https://id.gs1.org/01/09506000134352/21/%21%22%7Ex", &opts)
        .expect_err("bad char");
    assert_eq!(e.position, Some(46), "{e}");
    let e = crate::parse_bracketed("(10)é(1x)", &opts).expect_err("bad AI");
    assert_eq!(e.position, Some(6), "{e}");
    let e = crate::parse_bracketed("(01)09506000134352(10)é", &opts).expect_err("not CSET 82");
    assert_eq!((e.position, e.found.as_deref()), (Some(22), Some("é")), "{e}");
}

#[test]
fn refuses_floods_of_ais_quickly() {
    let opts = Options { permit_unknown_ais: true, ..Options::default() };
    let e = crate::parse_bracketed(&"(91)A".repeat(1000), &opts).expect_err("too many");
    assert_eq!(e.kind, ErrorKind::TooManyAis);
    let e = crate::parse_bracketed(&"(91)A".repeat(100_000), &opts).expect_err("too long");
    assert_eq!(e.kind, ErrorKind::InputTooLong);
}

#[test]
fn percent_encoding_round_trips_every_cset82_character() {
    let cset82 =
        "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    for query in [false, true] {
        let mut encoded = String::new();
        percent_encode(cset82, query, &mut encoded);
        let mut decoded = String::new();
        percent_decode(&encoded, query, &mut decoded).expect("valid escapes");
        assert_eq!(decoded, cset82);
    }
}
