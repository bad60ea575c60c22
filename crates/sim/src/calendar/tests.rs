//! Tests of `calendar`: the period's bounds and month-end expiry dates.

use expect_test::{Expect, expect};
use serialhub_epcis::time::Timestamp;

use super::{END, START, month_end_after, timestamp};

#[test]
fn the_period_is_what_the_docs_say() {
    let at = |text: &str| Timestamp::parse(text).expect("a timestamp").unix_millis;
    assert_eq!(START, at("2025-01-06T08:00:00Z"));
    assert_eq!(END, at("2026-11-01T00:00:00Z"));
    assert_eq!(timestamp(START), "2025-01-06T08:00:00.000Z");
}

/// The expiry `months` after the day `date`.
#[track_caller]
fn check(date: &str, months: u32, expect: Expect) {
    let time = Timestamp::parse(&format!("{date}T12:00:00Z")).expect("a date").unix_millis;
    expect.assert_eq(&month_end_after(time, months));
}

#[test]
fn expiry_is_a_month_end() {
    check("2025-01-06", 0, expect!["2025-01-31"]);
    check("2025-01-31", 1, expect!["2025-02-28"]);
    check("2025-02-10", 12, expect!["2026-02-28"]);
    check("2026-02-10", 24, expect!["2028-02-29"]);
    check("2025-11-30", 2, expect!["2026-01-31"]);
    check("2025-12-01", 36, expect!["2028-12-31"]);
    check("2025-03-15", 1, expect!["2025-04-30"]);
}
