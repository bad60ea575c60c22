//! Root-cause suggestions: from an exception's evidence, the likely cause and the scope one
//! correction covers (the group key), with the evidence that led there.
//!
//! The rules, in the order they are tried:
//!
//! | Evidence | Cause | Scope |
//! |---|---|---|
//! | a serial nobody commissioned, whose case-inverted form was | `serial_case_inverted` | GTIN |
//! | ... whose form with O/0, I/1 swapped was | `serial_character_confusion` | GTIN |
//! | ... which is a commissioned serial with the GTIN's digits before or after it | `gtin_appended` | GTIN |
//! | a lot that is the commissioned lot with digits appended | `gtin_appended` | GTIN |
//! | an expiry that contradicts commissioning; a receiver refusing an expiry | `wrong_expiry` | GTIN or lot |
//! | an aggregation rule (F4), a reused SSCC, a container shipped with unavailable content | `aggregation_error` | the container |
//! | a second commissioning, dispense or decommission; a receiver's duplicate | `duplicate` | GTIN |
//! | a receiver refusing the product or its master data; master data missing to build a report | `master_data_mismatch` | GTIN, else the destination |
//! | a receiver that does not know the batch or its serials | `pack_data_not_uploaded` | GTIN, else the destination |
//! | a message out of attempts without an answer | `partner_outage` | connector and destination |
//!
//! A suggestion is only a suggestion: the exception keeps its evidence, and the person who
//! investigates may correct the cause (the `assign` action takes one).

use serialhub_core::{ExceptionType, Key, Violation, ViolationKind};

use crate::model::RootCause;

/// What the suggestion rules may ask of the ledger.
pub trait Lookup {
    /// Whether the identifier with this key was commissioned (has a record).
    fn commissioned(&self, key: &Key) -> bool;
}

/// A suggested cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The likely cause.
    pub cause: RootCause,
    /// What one correction of this cause covers: a GTIN, a lot, a container, a connector and
    /// destination. Exceptions with the same cause and scope form a group.
    pub scope: String,
    /// Why: the fact that made the rule match, for the person investigating.
    pub evidence: String,
}

/// The Digital Link stem of canonical keys.
const STEM: &str = "https://id.gs1.org/";

/// The GTIN-14 and the serial of an SGTIN key, the serial as written in the key
/// (percent-encoded where it must be).
fn gtin_and_serial(key: &Key) -> Option<(&str, &str)> {
    let rest = key.as_str().strip_prefix(STEM)?.strip_prefix("01/")?;
    let gtin = gtin_at_start(rest)?;
    let serial = rest.get(14..)?.strip_prefix("/21/")?;
    (!serial.contains('/')).then_some((gtin, serial))
}

/// The 14 ASCII digits `text` starts with, if it does (a key that is not a GS1 identifier is
/// kept as given, so nothing here may assume digits or byte boundaries).
fn gtin_at_start(text: &str) -> Option<&str> {
    text.get(..14).filter(|g| g.bytes().all(|b| b.is_ascii_digit()))
}

/// The GTIN the identifier names (an SGTIN's or a lot's), else the identifier itself.
fn scope_of(epc: &str) -> String {
    let key = Key::new(epc);
    match key
        .as_str()
        .strip_prefix(STEM)
        .and_then(|r| r.strip_prefix("01/"))
        .and_then(gtin_at_start)
    {
        Some(gtin) => gtin.to_owned(),
        None => key.as_str().to_owned(),
    }
}

fn suggestion(cause: RootCause, scope: String, evidence: String) -> Suggestion {
    Suggestion { cause, scope, evidence }
}

/// The SGTIN key of `gtin` with `serial`, if it is a valid one.
fn sgtin(gtin: &str, serial: &str) -> Option<Key> {
    if serial.is_empty() {
        return None;
    }
    let key = Key::new(&format!("{STEM}01/{gtin}/21/{serial}"));
    gtin_and_serial(&key).is_some().then_some(key)
}

/// Swaps the case of every letter.
fn case_inverted(serial: &str) -> String {
    serial
        .chars()
        .map(
            |c| {
                if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() }
            },
        )
        .collect()
}

/// The serials a misread of O/0 and I/1 (and l/1) could have come from: each confusable
/// character swapped alone, then all of them at once (at most `len + 1` candidates).
fn confusions(serial: &str) -> Vec<String> {
    let swap = |c: char| match c {
        'O' => Some('0'),
        '0' => Some('O'),
        'I' | 'l' => Some('1'),
        '1' => Some('I'),
        _ => None,
    };
    let chars: Vec<char> = serial.chars().collect();
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if let Some(other) = swap(*c) {
            let mut variant = chars.clone();
            variant[i] = other;
            out.push(variant.into_iter().collect());
        }
    }
    let all: String = chars.iter().map(|c| swap(*c).unwrap_or(*c)).collect();
    if all != serial && !out.contains(&all) {
        out.push(all);
    }
    out
}

/// The serials left when the GTIN's digits (14, or the 13 of a GTIN-13, with or without the
/// `01` AI) are cut off the front or the back.
fn without_gtin(gtin: &str, serial: &str) -> Vec<String> {
    let mut out = Vec::new();
    // A GTIN-14 with a leading 0 is a GTIN-13 scanned without it.
    let short = gtin.strip_prefix('0').unwrap_or(gtin);
    for digits in [format!("01{gtin}"), gtin.to_owned(), short.to_owned()] {
        if let Some(rest) = serial.strip_prefix(digits.as_str()) {
            out.push(rest.to_owned());
        }
        if let Some(rest) = serial.strip_suffix(digits.as_str()) {
            out.push(rest.to_owned());
        }
    }
    out
}

/// The cause of an identifier nobody commissioned: a misread of one that was.
fn misread(epc: &str, lookup: &dyn Lookup) -> Option<Suggestion> {
    let key = Key::new(epc);
    let (gtin, serial) = gtin_and_serial(&key)?;
    let found = |variant: &str| sgtin(gtin, variant).filter(|k| lookup.commissioned(k));
    let inverted = case_inverted(serial);
    if inverted != serial
        && let Some(k) = found(&inverted)
    {
        let why =
            format!("{epc} was never commissioned; {} was (letter case inverted)", k.as_str());
        return Some(suggestion(RootCause::SerialCaseInverted, gtin.to_owned(), why));
    }
    for variant in confusions(serial) {
        if let Some(k) = found(&variant) {
            let why =
                format!("{epc} was never commissioned; {} was (O/0 or I/1 read wrong)", k.as_str());
            return Some(suggestion(RootCause::SerialCharacterConfusion, gtin.to_owned(), why));
        }
    }
    for variant in without_gtin(gtin, serial) {
        if let Some(k) = found(&variant) {
            let why =
                format!("{epc} was never commissioned; {} was (GTIN digits appended)", k.as_str());
            return Some(suggestion(RootCause::GtinAppended, gtin.to_owned(), why));
        }
    }
    None
}

/// The lot given and the lot recorded in a `lot_mismatch` message ("... lot GIVEN but
/// commissioning event ID recorded RECORDED").
fn lots_of(message: &str) -> Option<(&str, &str)> {
    let (head, recorded) = message.rsplit_once(" recorded ")?;
    let given = head.split_once(" lot ")?.1.split_once(" but ")?.0;
    Some((given, recorded))
}

/// The likely cause of a ledger violation.
pub fn for_violation(violation: &Violation, lookup: &dyn Lookup) -> Suggestion {
    let first = violation.epcs.first().map(String::as_str).unwrap_or_default();
    let scope = scope_of(first);
    let unknown = || suggestion(RootCause::Unknown, scope.clone(), String::new());
    match violation.kind {
        // Only a serial nobody commissioned can be a misread of one that was (a receipt without
        // a shipment names a commissioned serial).
        ViolationKind::NeverCommissioned => {
            violation.epcs.iter().find_map(|e| misread(e, lookup)).unwrap_or_else(unknown)
        }
        ViolationKind::LotMismatch => match lots_of(&violation.message) {
            // The digits appended must be the unit's GTIN (14, or 13 without its leading 0,
            // with or without the AI 01): other digits (a date, a counter) are no sign of it.
            Some((given, recorded))
                if !recorded.is_empty()
                    && without_gtin(&scope, given).iter().any(|rest| rest == recorded) =>
            {
                let why =
                    format!("lot {given} is the commissioned lot {recorded} with digits appended");
                suggestion(RootCause::GtinAppended, scope, why)
            }
            _ => unknown(),
        },
        ViolationKind::ExpiryMismatch => {
            suggestion(RootCause::WrongExpiry, scope, violation.message.clone())
        }
        ViolationKind::ChildInTwoParents
        | ViolationKind::AggregationCycle
        | ViolationKind::UnpackNotPacked
        | ViolationKind::SsccReused
        | ViolationKind::ShipUnavailableContent => suggestion(
            RootCause::AggregationError,
            Key::new(first).as_str().to_owned(),
            violation.message.clone(),
        ),
        ViolationKind::CommissionedTwice
        | ViolationKind::DispenseTwice
        | ViolationKind::DecommissionTwice => {
            suggestion(RootCause::Duplicate, scope, violation.message.clone())
        }
        _ => unknown(),
    }
}

/// A failed message's error as the dispatcher wrote it: `rejected CODE: REASON` for a
/// receiver's refusal, anything else for attempts run out without an answer.
pub fn rejection(error: &str) -> Option<(&str, &str)> {
    let rest = error.strip_prefix("rejected ")?;
    Some(rest.split_once(": ").unwrap_or((rest, "")))
}

/// The GTIN-14 a receiver's reason names: the 14 digits after the word `GTIN`, else the first
/// 14 digits standing alone whose check digit holds (a serial or an order number rarely does).
fn gtin_in(text: &str) -> Option<&str> {
    let mut candidates = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_digit() {
            let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count();
            if end - start == 14 {
                let labelled = text[..start].trim_end().to_ascii_uppercase().ends_with("GTIN");
                candidates.push((labelled, &text[start..end]));
            }
            start = end;
        } else {
            start += 1;
        }
    }
    let check_digit_holds = |digits: &str| serialhub_gs1::Gtin::parse(digits).is_ok();
    candidates
        .iter()
        .find(|(labelled, _)| *labelled)
        .or_else(|| candidates.iter().find(|(_, d)| check_digit_holds(d)))
        .map(|(_, d)| *d)
}

/// Receiver and connector codes meaning the product's master data is missing or differs
/// (`serialhub_connectors::refusal` and `regulator-sim`'s codes among them).
const MASTER_DATA_CODES: &[&str] = &[
    "master_data_missing",
    "master_data_mismatch",
    "ndc_missing",
    "ndc_mismatch",
    "product_data_missing",
    "product_code_invalid",
    "product_unknown",
    "unknown_product",
    "gtin_unknown",
];
/// Codes meaning the receiver lacks the batch or its serials, or the data to send them.
const PACK_DATA_CODES: &[&str] = &[
    "pack_data_missing",
    "packs_missing",
    "batch_unknown",
    "batch_data_missing",
    "serial_unknown",
    "hierarchy_incomplete",
];
/// Codes meaning a wrong expiry.
const EXPIRY_CODES: &[&str] =
    &["expiry_invalid", "expiry_mismatch", "wrong_expiry", "batch_data_invalid"];
/// Codes meaning the receiver had it already.
const DUPLICATE_CODES: &[&str] = &["duplicate", "serial_duplicate", "duplicate_message"];

/// The exception type of a failed message with this code (`delivery_gave_up` for attempts run
/// out) and suggested cause: the data's class where the code names one (F5 master data, F1 a
/// serial never commissioned, F3 data that contradicts the product), else F10, a report
/// refused or not taken.
pub fn failure_type(code: &str, cause: RootCause) -> ExceptionType {
    match (code.to_ascii_lowercase().as_str(), cause) {
        ("hierarchy_incomplete", _) => ExceptionType::ProductWithoutData,
        // The NDC stored is not the one the GTIN encodes: the data contradicts the product.
        ("ndc_mismatch" | "batch_data_missing" | "batch_data_invalid", _) => {
            ExceptionType::DataProductMismatch
        }
        (_, RootCause::MasterDataMismatch) => ExceptionType::MasterData,
        _ => ExceptionType::RegulatorRejection,
    }
}

/// The likely cause of a failed message to `destination` through `connector`.
pub fn for_failure(connector: &str, destination: &str, error: &str) -> Suggestion {
    let route = format!("{connector}:{destination}");
    let Some((code, reason)) = rejection(error) else {
        let why = format!("no delivery to {destination} through {connector}: {error}");
        return suggestion(RootCause::PartnerOutage, route, why);
    };
    let code = code.to_ascii_lowercase();
    let reason_codes: Vec<String> = reason
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .collect();
    let names = |codes: &[&str]| {
        codes.contains(&code.as_str()) || reason_codes.iter().any(|r| codes.contains(&r.as_str()))
    };
    let by_gtin = || gtin_in(reason).map_or_else(|| route.clone(), str::to_owned);
    // The connector's own refusal (the regime's data is missing) or the receiver's answer.
    let why = format!("refused for {destination} ({code}): {reason}");
    // The serial-level codes first: a `serials_rejected` answer names the codes of its serials.
    let cause = if names(EXPIRY_CODES) {
        RootCause::WrongExpiry
    } else if names(DUPLICATE_CODES) {
        RootCause::Duplicate
    } else if names(MASTER_DATA_CODES) {
        RootCause::MasterDataMismatch
    } else if names(PACK_DATA_CODES) {
        RootCause::PackDataNotUploaded
    } else {
        return suggestion(RootCause::Unknown, route, why);
    };
    suggestion(cause, by_gtin(), why)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serialhub_core::Violation;

    use super::*;

    struct Commissioned(HashSet<Key>);

    impl Lookup for Commissioned {
        fn commissioned(&self, key: &Key) -> bool {
            self.0.contains(key)
        }
    }

    fn ledger(serials: &[&str]) -> Commissioned {
        Commissioned(
            serials
                .iter()
                .map(|s| Key::new(&format!("urn:epc:id:sgtin:4012345.011111.{s}")))
                .collect(),
        )
    }

    fn never(serial: &str) -> Violation {
        let epc = format!("urn:epc:id:sgtin:4012345.011111.{serial}");
        Violation::new(
            ViolationKind::NeverCommissioned,
            format!("{epc} was never commissioned"),
            vec![epc],
            vec![],
        )
    }

    #[test]
    fn misread_serials_are_found_among_the_commissioned() {
        let lookup = ledger(&["AbC123", "X0O1", "7001"]);
        let cause = |serial: &str| for_violation(&never(serial), &lookup).cause;
        assert_eq!(cause("aBc123"), RootCause::SerialCaseInverted);
        assert_eq!(cause("XOO1"), RootCause::SerialCharacterConfusion);
        assert_eq!(cause("X0OI"), RootCause::SerialCharacterConfusion);
        assert_eq!(cause("700I"), RootCause::SerialCharacterConfusion);
        assert_eq!(cause("9999"), RootCause::Unknown, "no commissioned serial is near it");
        assert_eq!(cause("040123451111187001"), RootCause::GtinAppended);
        assert_eq!(cause("01040123451111187001"), RootCause::GtinAppended);
        assert_eq!(cause("700104012345111118"), RootCause::GtinAppended);
        assert_eq!(cause("ZZZ"), RootCause::Unknown);
        // A receipt without a shipment names a commissioned serial: no misread to suggest.
        let epc = "urn:epc:id:sgtin:4012345.011111.aBc123".to_owned();
        let receipt =
            Violation::new(ViolationKind::ReceiveWithoutShip, String::new(), vec![epc], vec![]);
        assert_eq!(for_violation(&receipt, &lookup).cause, RootCause::Unknown);
        // Keys that are not GS1 identifiers (kept as given) never panic, whatever bytes.
        for odd in [
            "https://id.gs1.org/01/é234567890123/21/x",
            "https://id.gs1.org/01/0401234511111é/21/x",
            "é",
        ] {
            let v = Violation::new(
                ViolationKind::NeverCommissioned,
                String::new(),
                vec![odd.to_owned()],
                vec![],
            );
            let _ = for_violation(&v, &lookup);
            let lot = Violation::new(
                ViolationKind::LotMismatch,
                format!("e gives {odd} lot é but x recorded é"),
                vec![odd.to_owned()],
                vec![],
            );
            let _ = for_violation(&lot, &lookup);
        }
        let s = for_violation(&never("aBc123"), &lookup);
        assert_eq!(s.scope, "04012345111118");
        assert!(s.evidence.contains("/21/AbC123"), "{}", s.evidence);
    }

    #[test]
    fn lots_with_digits_appended_and_wrong_expiries() {
        let lot = |given: &str| {
            let v = Violation::new(
                ViolationKind::LotMismatch,
                format!(
                    "event e2 gives urn:epc:id:sgtin:4012345.011111.1 lot {given} but commissioning event e1 recorded L42"
                ),
                vec!["urn:epc:id:sgtin:4012345.011111.1".to_owned()],
                vec![],
            );
            for_violation(&v, &ledger(&[])).cause
        };
        assert_eq!(lot("L4204012345111118"), RootCause::GtinAppended);
        assert_eq!(lot("010401234511111 8L42".replace(' ', "").as_str()), RootCause::GtinAppended);
        assert_eq!(lot("L4220270131"), RootCause::Unknown, "a date appended is not a GTIN");
        assert_eq!(lot("L43"), RootCause::Unknown);
        let expiry = Violation::new(ViolationKind::ExpiryMismatch, "x".to_owned(), vec![], vec![]);
        assert_eq!(for_violation(&expiry, &ledger(&[])).cause, RootCause::WrongExpiry);
    }

    #[test]
    fn failures_by_the_receivers_code() {
        let cause = |error: &str| for_failure("us", "4098765000003", error);
        let master = cause("rejected master_data_missing: no NDC for GTIN 00312345678906");
        assert_eq!(
            (master.cause, master.scope.as_str()),
            (RootCause::MasterDataMismatch, "00312345678906")
        );
        assert_eq!(
            cause("rejected serials_rejected: 3 of 10: X1: expiry_invalid").cause,
            RootCause::WrongExpiry
        );
        assert_eq!(
            cause("rejected serials_rejected: 3 of 10: X1: batch_unknown").cause,
            RootCause::PackDataNotUploaded
        );
        assert_eq!(cause("rejected SERIAL_DUPLICATE: seen").cause, RootCause::Duplicate);
        assert_eq!(cause("rejected HTTP400: bad").cause, RootCause::Unknown);
        let incomplete = cause("rejected hierarchy_incomplete: urn:epc:id:sgtin:0312345.067890.1");
        assert_eq!(incomplete.cause, RootCause::PackDataNotUploaded);
        assert_eq!(
            failure_type("hierarchy_incomplete", incomplete.cause),
            ExceptionType::ProductWithoutData
        );
        assert_eq!(failure_type("master_data_missing", master.cause), ExceptionType::MasterData);
        assert_eq!(
            failure_type("delivery_gave_up", RootCause::PartnerOutage),
            ExceptionType::RegulatorRejection
        );
        let outage = cause("gave up after 8 attempts: 503");
        assert_eq!(
            (outage.cause, outage.scope.as_str()),
            (RootCause::PartnerOutage, "us:4098765000003")
        );
    }
}
