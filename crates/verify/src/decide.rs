//! The verification decision: a tuple against what the ledger holds for its pack.
//!
//! Two audiences, one decision. A trading partner's VRS request (GS1 Lightweight Verification
//! Messaging) gets `verified` and, when false, the standard failure reason naming which of the
//! four values did not match; `additionalInfo` adds the pack's standing (recalled, expired,
//! dispensed...) for a saleable return. A member of the public gets one plain status, and any
//! mismatch is `unknown`, whichever value was wrong: telling a stranger "the serial exists but
//! the lot is wrong" would let them harvest serials one value at a time.
//!
//! The order of the consumer statuses is what a patient must act on first: a recall outranks
//! everything (the pack must go back even if dispensed), then dispensed and the other
//! decommissionings, then expiry, then a pack the maker never released.

use serialhub_core::{DecommissionReason, Status};
use serialhub_epcis::time::Timestamp;

use crate::tuple::Tuple;

/// What the ledger holds for the pack the tuple names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// `lotNumber` of its commissioning.
    pub lot: Option<&'a str>,
    /// `itemExpirationDate` of its commissioning (`YYYY-MM-DD`).
    pub expiry: Option<&'a str>,
    /// The status in force (read through its containers).
    pub status: Status,
    /// When its current life started (commissioning).
    pub commissioned_at: Timestamp,
}

/// A batch-level status that blocks the pack whatever its own state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LotStatus {
    /// The lot's record carries the persistent disposition `recalled`.
    Recalled,
    /// The EU FMD batch status withdrawn.
    Withdrawn,
}

/// The ledger's facts about the tuple.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The pack's record; `None` when no pack with this GTIN and serial was ever commissioned.
    pub record: Option<Record<'a>>,
    /// The status of the lot the pack was commissioned with.
    pub lot_status: Option<LotStatus>,
}

/// The responder's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How long after commissioning a pack that has not left its maker is `pending` rather
    /// than `not_in_circulation`: shipping data lags the goods (EPCIS files are sent in
    /// batches, a wholesaler's receipt a day or two later).
    pub grace_ms: i64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy { grace_ms: 3 * 24 * 60 * 60 * 1000 }
    }
}

/// The standard's failure reasons (GS1 Lightweight Verification Messaging).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No pack with this GTIN and serial.
    GtinSerial,
    /// GTIN and serial match, the lot does not.
    GtinSerialLot,
    /// GTIN and serial match, the expiry does not.
    GtinSerialExpiry,
    /// GTIN and serial match, neither lot nor expiry does.
    GtinSerialLotExpiry,
    /// The responder gives no reason.
    NoReason,
}

impl FailureReason {
    /// The standard's name.
    pub fn name(self) -> &'static str {
        match self {
            FailureReason::GtinSerial => "No_match_GTIN_Serial",
            FailureReason::GtinSerialLot => "No_match_GTIN_Serial_Lot",
            FailureReason::GtinSerialExpiry => "No_match_GTIN_Serial_Expiry",
            FailureReason::GtinSerialLotExpiry => "No_match_GTIN_Serial_Lot_Expiry",
            FailureReason::NoReason => "No_reason_provided",
        }
    }
}

/// What the public is told, in the consumer page's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsumerStatus {
    /// Known, matching, in circulation.
    Genuine,
    /// No pack with these four values (whichever was wrong).
    Unknown,
    /// Already supplied to a patient.
    Dispensed,
    /// Its batch is recalled or withdrawn.
    Recalled,
    /// Past its expiry date.
    Expired,
    /// Made recently and not yet reported leaving its maker (within the grace window).
    Pending,
    /// Known but never released into the supply chain, past the grace window.
    NotInCirculation,
    /// Taken out of the supply chain (destroyed, stolen, exported, a sample, locked...).
    Inactive,
}

impl ConsumerStatus {
    /// The stable name the API answers with.
    pub fn name(self) -> &'static str {
        match self {
            ConsumerStatus::Genuine => "genuine",
            ConsumerStatus::Unknown => "unknown",
            ConsumerStatus::Dispensed => "dispensed",
            ConsumerStatus::Recalled => "recalled",
            ConsumerStatus::Expired => "expired",
            ConsumerStatus::Pending => "pending",
            ConsumerStatus::NotInCirculation => "not_in_circulation",
            ConsumerStatus::Inactive => "inactive",
        }
    }

    /// Every status, in a stable order (metrics).
    pub const ALL: [ConsumerStatus; 8] = [
        ConsumerStatus::Genuine,
        ConsumerStatus::Unknown,
        ConsumerStatus::Dispensed,
        ConsumerStatus::Recalled,
        ConsumerStatus::Expired,
        ConsumerStatus::Pending,
        ConsumerStatus::NotInCirculation,
        ConsumerStatus::Inactive,
    ];
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// All four values match a commissioned pack.
    pub verified: bool,
    /// Why not, when not.
    pub failure: Option<FailureReason>,
    /// The pack's standing, for a partner (`recalled`, `withdrawn`, `expired`, `dispensed`,
    /// `decommissioned:stolen`...), when it is not simply saleable.
    pub additional_info: Option<String>,
    /// What the public is told.
    pub consumer: ConsumerStatus,
}

/// Decides `tuple` against `facts` at `now`.
pub fn decide(tuple: &Tuple, facts: &Facts<'_>, now: Timestamp, policy: &Policy) -> Verdict {
    let Some(record) = &facts.record else {
        return Verdict {
            verified: false,
            failure: Some(FailureReason::GtinSerial),
            additional_info: None,
            consumer: ConsumerStatus::Unknown,
        };
    };
    let lot_ok = record.lot == Some(tuple.lot.as_str());
    let expiry_ok = record.expiry.is_some_and(|e| expiry_matches(&tuple.expiry, e));
    let failure = match (lot_ok, expiry_ok) {
        (true, true) => None,
        (false, true) => Some(FailureReason::GtinSerialLot),
        (true, false) => Some(FailureReason::GtinSerialExpiry),
        (false, false) => Some(FailureReason::GtinSerialLotExpiry),
    };
    if failure.is_some() {
        return Verdict {
            verified: false,
            failure,
            additional_info: None,
            consumer: ConsumerStatus::Unknown,
        };
    }
    let today = now.to_utc_millis_string();
    let expired = record.expiry.is_some_and(|e| e < &today[..10]);
    let (consumer, info) = match (facts.lot_status, record.status) {
        (Some(LotStatus::Recalled), _) => (ConsumerStatus::Recalled, Some("recalled".to_owned())),
        (Some(LotStatus::Withdrawn), _) => (ConsumerStatus::Recalled, Some("withdrawn".to_owned())),
        (None, Status::Dispensed) => (ConsumerStatus::Dispensed, Some("dispensed".to_owned())),
        (None, Status::Decommissioned(reason)) => {
            (ConsumerStatus::Inactive, Some(Status::Decommissioned(reason).name()))
        }
        (None, _) if expired => (ConsumerStatus::Expired, Some("expired".to_owned())),
        (None, Status::Commissioned) => {
            let fresh = now.unix_millis.saturating_sub(record.commissioned_at.unix_millis)
                <= policy.grace_ms;
            let status =
                if fresh { ConsumerStatus::Pending } else { ConsumerStatus::NotInCirculation };
            (status, None)
        }
        (None, Status::InTransit | Status::Received) => (ConsumerStatus::Genuine, None),
    };
    Verdict { verified: true, failure: None, additional_info: info, consumer }
}

/// Whether a printed expiry `YYMMDD` matches the commissioning's `YYYY-MM-DD`. A printed day
/// `00` means the end of the month (GS1 General Specifications 3.4.6), which the line writes as
/// the month's last day or leaves at `00`: the month decides.
pub fn expiry_matches(printed: &str, stored: &str) -> bool {
    let (Some(yy), Some(mm), Some(dd)) = (stored.get(2..4), stored.get(5..7), stored.get(8..10))
    else {
        return false;
    };
    if printed.get(..2) != Some(yy) || printed.get(2..4) != Some(mm) {
        return false;
    }
    let day = printed.get(4..6);
    if day == Some("00") {
        // Only the month's last day: accepting any day would let a guess name just the month.
        let (Some(Ok(year)), Ok(month)) =
            (stored.get(..4).map(str::parse::<i64>), mm.parse::<i64>())
        else {
            return false;
        };
        // The line may have written the printed 00 as it is.
        return dd == "00"
            || dd.parse::<i64>().ok() == Some(serialhub_epcis::time::days_in_month(year, month));
    }
    day == Some(dd)
}

/// Whether a decommissioning reason leaves a pack that a pharmacy may still put back into
/// stock (EU FMD undo): everything but destroyed and stolen (and a transformed input, which
/// is no longer a pack).
pub fn undoable(reason: DecommissionReason) -> bool {
    !reason.is_final()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("a timestamp")
    }

    #[test]
    fn every_status_and_mismatch() {
        let tuple = Tuple::from_code("(01)09506000134352(17)280630(10)L1(21)S1").expect("reads");
        let now = at("2026-11-24T12:00:00Z");
        let made = |days_ago: i64| Timestamp {
            unix_millis: now.unix_millis - days_ago * DAY,
            has_offset: true,
        };
        let record = |lot: &'static str, expiry: &'static str, status: Status, days_ago: i64| {
            Record { lot: Some(lot), expiry: Some(expiry), status, commissioned_at: made(days_ago) }
        };
        let cases: Vec<(&str, Facts<'_>)> = vec![
            ("no record", Facts::default()),
            (
                "in transit",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::InTransit, 30)),
                    lot_status: None,
                },
            ),
            (
                "received",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Received, 30)),
                    lot_status: None,
                },
            ),
            (
                "wrong lot",
                Facts {
                    record: Some(record("L2", "2028-06-30", Status::Received, 30)),
                    lot_status: None,
                },
            ),
            (
                "wrong expiry",
                Facts {
                    record: Some(record("L1", "2028-06-29", Status::Received, 30)),
                    lot_status: None,
                },
            ),
            (
                "both wrong",
                Facts {
                    record: Some(record("L2", "2029-06-30", Status::Received, 30)),
                    lot_status: None,
                },
            ),
            (
                "recalled",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Dispensed, 30)),
                    lot_status: Some(LotStatus::Recalled),
                },
            ),
            (
                "withdrawn",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Received, 30)),
                    lot_status: Some(LotStatus::Withdrawn),
                },
            ),
            (
                "dispensed",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Dispensed, 30)),
                    lot_status: None,
                },
            ),
            (
                "stolen",
                Facts {
                    record: Some(record(
                        "L1",
                        "2028-06-30",
                        Status::Decommissioned(DecommissionReason::Stolen),
                        30,
                    )),
                    lot_status: None,
                },
            ),
            (
                "made an hour ago",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Commissioned, 0)),
                    lot_status: None,
                },
            ),
            (
                "made 60 days ago, never shipped",
                Facts {
                    record: Some(record("L1", "2028-06-30", Status::Commissioned, 60)),
                    lot_status: None,
                },
            ),
        ];
        let mut out = String::new();
        for (name, facts) in &cases {
            let v = decide(&tuple, facts, now, &Policy::default());
            out.push_str(&format!(
                "{name}: verified={} failure={} info={} consumer={}\n",
                v.verified,
                v.failure.map_or("-", FailureReason::name),
                v.additional_info.as_deref().unwrap_or("-"),
                v.consumer.name()
            ));
        }
        let expired = Tuple::from_code("(01)09506000134352(17)260100(10)L1(21)S1").expect("reads");
        let facts = Facts {
            record: Some(record("L1", "2026-01-31", Status::Received, 300)),
            lot_status: None,
        };
        let v = decide(&expired, &facts, now, &Policy::default());
        out.push_str(&format!("expired (day 00): {} {:?}\n", v.consumer.name(), v.additional_info));
        expect![[r#"
            no record: verified=false failure=No_match_GTIN_Serial info=- consumer=unknown
            in transit: verified=true failure=- info=- consumer=genuine
            received: verified=true failure=- info=- consumer=genuine
            wrong lot: verified=false failure=No_match_GTIN_Serial_Lot info=- consumer=unknown
            wrong expiry: verified=false failure=No_match_GTIN_Serial_Expiry info=- consumer=unknown
            both wrong: verified=false failure=No_match_GTIN_Serial_Lot_Expiry info=- consumer=unknown
            recalled: verified=true failure=- info=recalled consumer=recalled
            withdrawn: verified=true failure=- info=withdrawn consumer=recalled
            dispensed: verified=true failure=- info=dispensed consumer=dispensed
            stolen: verified=true failure=- info=decommissioned:stolen consumer=inactive
            made an hour ago: verified=true failure=- info=- consumer=pending
            made 60 days ago, never shipped: verified=true failure=- info=- consumer=not_in_circulation
            expired (day 00): expired Some("expired")
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn expiry_day_zero_is_the_month() {
        assert!(expiry_matches("280600", "2028-06-30"));
        assert!(!expiry_matches("280600", "2028-06-15"), "00 is the month's last day only");
        assert!(expiry_matches("280200", "2028-02-29"), "a leap year");
        assert!(expiry_matches("280600", "2028-06-00"), "00 stored as printed");
        assert!(expiry_matches("280630", "2028-06-30"));
        assert!(!expiry_matches("280629", "2028-06-30"));
        assert!(!expiry_matches("280700", "2028-06-30"));
        assert!(!expiry_matches("280630", "garbage"));
    }
}
