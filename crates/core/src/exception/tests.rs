//! The taxonomy's codes are stable: a change here breaks stored exceptions and reports.

use expect_test::expect;

use crate::exception::{ExceptionType, ViolationKind};

#[test]
fn exception_types() {
    let table: Vec<String> = ExceptionType::ALL
        .iter()
        .map(|t| {
            assert_eq!(ExceptionType::from_code(t.code()), Some(*t));
            format!("{} {}", t.code(), t.description())
        })
        .collect();
    expect![[r#"
        F1 product without data: the product is there, its serialization data is not
        F2 data without product: the data announced product that did not arrive
        F3 data and product mismatch: lot, expiry, identifier or time contradict each other
        F4 aggregation: the parent-child hierarchy is missing, contradictory or cyclic
        F5 master data: vocabulary, product or location data is wrong or missing
        F6 packaging and labelling: the code is unreadable or disagrees with the printed text
        F7 unavailable for distribution: recalled, on hold or expired
        F8 verification failure: the product identifier could not be verified
        F9 regulator alert: a national system raised an alert
        F10 regulator rejection or outage: a submission was refused or could not be made
        F11 illegal transition: the event is not allowed in the identifier's current state
        F12 suspect or illegitimate product: under investigation, notify within 24 hours"#]]
    .assert_eq(&table.join("\n"));
}

#[test]
fn violation_kinds_and_their_types() {
    let table: Vec<String> =
        ViolationKind::ALL.iter().map(|k| format!("{} {}", k.code(), k.exception_type())).collect();
    expect![[r#"
        never_commissioned F1
        receive_without_ship F1
        commissioned_twice F11
        child_in_two_parents F4
        aggregation_cycle F4
        unpack_not_packed F4
        ship_decommissioned F11
        ship_dispensed F11
        dispense_decommissioned F11
        dispense_twice F11
        decommission_twice F11
        undo_forbidden F11
        undo_outside_window F11
        event_in_future F3
        event_time_unreadable F3
        receipt_by_other_party F3
        lot_mismatch F3
        expiry_mismatch F3
        sscc_reused F6
        ship_unavailable_content F11
        recalled_lot F7
        withdrawn_lot F7
        expired F7
        transform_unavailable F11"#]]
    .assert_eq(&table.join("\n"));
}
