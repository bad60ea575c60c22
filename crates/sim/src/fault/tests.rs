//! Tests of `fault`: the JSON line of the ground truth, and where the injector puts faults.

use expect_test::{Expect, expect};
use serialhub_core::ViolationKind::{self, *};

use super::{Fault, INJECTED, Injector};
use crate::rng::Rng;

#[test]
fn a_fault_is_one_json_line() {
    let fault = Fault::new(
        ShipUnavailableContent,
        vec![
            "urn:epc:id:sgtin:4012345.011111.77eSQRlM".to_owned(),
            "urn:epc:id:sscc:4098765.9000000003".to_owned(),
        ],
        "urn:uuid:00000000-0000-4000-8000-000000000001",
        "a \"quoted\" description".to_owned(),
    );
    expect![[r#"{"code":"ship_unavailable_content","type":"F11","epcs":["urn:epc:id:sgtin:4012345.011111.77eSQRlM","urn:epc:id:sscc:4098765.9000000003"],"event_id":"urn:uuid:00000000-0000-4000-8000-000000000001","description":"a \"quoted\" description"}"#]]
    .assert_eq(&fault.to_json_line());
}

#[test]
fn every_rule_but_an_unreadable_time_is_injected() {
    let missing: Vec<ViolationKind> =
        ViolationKind::ALL.into_iter().filter(|kind| !INJECTED.contains(kind)).collect();
    assert_eq!(missing, [EventTimeUnreadable]);
}

/// What `rate` decides at `opportunities` opportunities for `candidates`, one letter per
/// opportunity: `.` for none, else the index of the kind chosen.
#[track_caller]
fn check(rate: f64, candidates: &[ViolationKind], opportunities: usize, expect: Expect) {
    let mut injector = Injector::new(rate);
    let mut rng = Rng::new(1);
    let decisions: String = (0..opportunities)
        .map(|_| match injector.choose(&mut rng, candidates) {
            Some(kind) => {
                let at = candidates.iter().position(|k| *k == kind).expect("a candidate");
                char::from(b'0' + at as u8)
            }
            None => '.',
        })
        .collect();
    expect.assert_eq(&decisions);
}

#[test]
fn first_injections_are_forced_then_the_rate_rules() {
    check(0.0, &[LotMismatch, ExpiryMismatch], 20, expect!["...................."]);
    check(
        0.1,
        &[LotMismatch, ExpiryMismatch],
        40,
        expect!["01.....10...0...0..........1..1........."],
    );
    check(
        0.5,
        &[LotMismatch, ExpiryMismatch, UnpackNotPacked],
        40,
        expect!["012120..00111.121101.1.1...10212220..102"],
    );
    check(
        1.0,
        &[LotMismatch, ExpiryMismatch, UnpackNotPacked],
        20,
        expect!["01221202221001111201"],
    );
    check(0.5, &[], 5, expect!["....."]);
}

#[test]
fn a_cancelled_first_injection_is_tried_again() {
    let mut injector = Injector::new(0.000_001);
    let mut rng = Rng::new(1);
    assert_eq!(injector.choose(&mut rng, &[SsccReused]), Some(SsccReused));
    assert_eq!(injector.choose(&mut rng, &[SsccReused]), None);
    injector.cancel(SsccReused);
    assert_eq!(injector.choose(&mut rng, &[SsccReused]), Some(SsccReused));
}
