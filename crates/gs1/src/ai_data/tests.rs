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
    check("]d201095060001343521725123110ABC\u{1d}21X1", expect![[""]]);
    check("(01)09506000134352(17)251231(10)ABC(21)X1", expect![[""]]);
    check("^010950600013435217251231^10ABC^21X1", expect![[""]]);
    check("01095060001343521725123110ABC\u{1d}21X1", expect![[""]]);
    check("https://id.gs1.org/01/09506000134352/10/ABC/21/X1?17=251231", expect![[""]]);
}

#[test]
fn names_the_ai_and_position() {
    check("]d2010950600013435217251232", expect![[""]]);
    check("]d2010950600013435317251231", expect![[""]]);
    check("]d20109506000134352\u{1d}21X 1", expect![[""]]);
    check("(21)X1", expect![[""]]);
    check("(01)09506000134352(02)09506000134352", expect![[""]]);
    check("(01)09506000134352(21)A(21)B", expect![[""]]);
    check("(89)ABC", expect![[""]]);
    check("^0112345678901231^^10A", expect![[""]]);
    check("", expect![[""]]);
    check("hello", expect![[""]]);
}
