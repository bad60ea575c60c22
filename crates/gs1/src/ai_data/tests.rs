//! Data-driven tests of reading element strings: one line per case, the outcome as an inline snapshot.

use expect_test::{Expect, expect};

use crate::Options;

#[track_caller]
fn check(input: &str, expect: Expect) {
    let opts = Options::default();
    let actual = match crate::parse(input, &opts) {
        Ok((data, form)) => format!("{form:?} {}", data.to_bracketed()),
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn reads_every_form() {
    check(
        "]d201095060001343521725123110ABC\u{1d}21X1",
        expect!["ScanData(DataMatrix) (01)09506000134352(17)251231(10)ABC(21)X1"],
    );
    check(
        "(01)09506000134352(17)251231(10)ABC(21)X1",
        expect!["Bracketed (01)09506000134352(17)251231(10)ABC(21)X1"],
    );
    check(
        "^010950600013435217251231^10ABC^21X1",
        expect!["Unbracketed (01)09506000134352(17)251231(10)ABC(21)X1"],
    );
    check(
        "01095060001343521725123110ABC\u{1d}21X1",
        expect!["ElementString (01)09506000134352(17)251231(10)ABC(21)X1"],
    );
    check(
        "https://id.gs1.org/01/09506000134352/10/ABC/21/X1?17=251231",
        expect!["DigitalLink (01)09506000134352(10)ABC(21)X1(17)251231"],
    );
}

#[test]
fn names_the_ai_and_position() {
    check(
        "]d2010950600013435217251232",
        expect![[r#"error: AI (17): day is not valid "32" (position 25)"#]],
    );
    check(
        "]d2010950600013435317251231",
        expect![[r#"error: AI (01): incorrect check digit "3" (position 18)"#]],
    );
    check(
        "]d20109506000134352\u{1d}21X 1",
        expect![[r#"error: AI (21): character is not in CSET 82 " " (position 23)"#]],
    );
    check(
        "(21)X1",
        expect![[r#"error: AI (21): the AI requires "01 or 03 or 8006" (position 0)"#]],
    );
    check(
        "(01)09506000134352(02)09506000134352",
        expect![[r#"error: AI (02): the AI must not appear together with "01" (position 0)"#]],
    );
    check(
        "(01)09506000134352(21)A(21)B",
        expect!["error: AI (21): the AI is repeated with a different value (position 23)"],
    );
    check("(89)ABC", expect!["error: AI (89): unknown AI (position 1)"]);
    check("^0112345678901231^^10A", expect!["Unbracketed (01)12345678901231(10)A"]);
    check("", expect!["error: no data (position 0)"]);
    check(
        "hello",
        expect!["error: not a GS1 element string, Digital Link URI or EPC URI (position 0)"],
    );
}
