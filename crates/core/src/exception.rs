//! The exception taxonomy shared by every layer (F1 to F12, after the HDA DSCSA exception
//! categories and the EU FMD alert and undo rules), and the violations the ledger's consistency
//! rules produce.
//!
//! Each rule has a `ViolationKind` with a stable `code()`, and each kind belongs to exactly one
//! `ExceptionType`. The mapping, and why:
//!
//! | `ViolationKind` code      | Type | Why this class |
//! |---------------------------|------|----------------|
//! | `never_commissioned`      | F1   | the product is handled but no commissioning data exists ("serial never commissioned") |
//! | `receive_without_ship`    | F1   | product arrived with no shipping data for it ("file missing") |
//! | `commissioned_twice`      | F11  | commissioning is an entry state only; a duplicate serial may escalate to F12 |
//! | `child_in_two_parents`    | F4   | aggregation: one child, two parents |
//! | `aggregation_cycle`       | F4   | aggregation: a container would contain itself |
//! | `unpack_not_packed`       | F4   | aggregation: the child is not in that parent |
//! | `ship_decommissioned`     | F11  | illegal transition out of a decommissioned state |
//! | `ship_dispensed`          | F11  | a dispensed pack re-entering distribution |
//! | `dispense_decommissioned` | F11  | illegal transition out of a decommissioned state |
//! | `dispense_twice`          | F11  | a pack is dispensed once |
//! | `decommission_twice`      | F11  | "second decommission" (DOMAIN.md section 3) |
//! | `undo_forbidden`          | F11  | EU FMD: stolen and destroyed can never be undone |
//! | `undo_outside_window`     | F11  | EU FMD: undo after 10 days or at another site |
//! | `event_in_future`         | F3   | the event's data contradicts reality (its time is ahead of capture) |
//! | `event_time_unreadable`   | F3   | the event's data cannot be placed in time |
//! | `receipt_by_other_party`  | F3   | the shipment's data named one receiver, the product reached another (possible diversion; may escalate to F12) |
//! | `lot_mismatch`            | F3   | "lot or expiry differs", "conflicting ILMD" (DOMAIN.md section 3) |
//! | `expiry_mismatch`         | F3   | as `lot_mismatch`, for `itemExpirationDate` |
//! | `sscc_reused`             | F6   | see below |
//! | `ship_unavailable_content` | F11 | a container ships a child whose own state (dispensed, decommissioned) forbids shipping |
//! | `recalled_lot`            | F7   | "recall": the lot is unavailable for distribution |
//! | `withdrawn_lot`           | F7   | the lot is withdrawn (EU FMD batch status): unavailable |
//! | `expired`                 | F7   | "expired": past its expiry date, unavailable |
//! | `transform_unavailable`   | F11  | a dispensed or decommissioned pack cannot be an input of a transformation |
//!
//! `sscc_reused` is F6 rather than F4: DOMAIN.md lists "SSCC reused" among the F4 examples
//! because a reused label confuses the hierarchy, but the fault is in the label itself: the
//! packing line printed (or re-applied) a serial shipping container code that is still within
//! the year a partner's records may refer to it (GS1 General Specifications: an SSCC is not
//! reallocated within one year of shipment), and the rectification is F6's ("relabel; fix the
//! line"). The aggregation the event records is otherwise valid, so it is applied.
//!
//! F2 (data without product, a shortage) needs a shipment reconciled against its receipt and
//! is not a per-event rule; F5, F8 to F10 and F12 come from master data, verification,
//! regulators and investigations (later issues), so no ledger rule produces them yet.

use std::fmt;

/// The exception classes every report, queue and KPI of serialhub is keyed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExceptionType {
    /// F1: product without data.
    ProductWithoutData,
    /// F2: data without product.
    DataWithoutProduct,
    /// F3: data and product mismatch.
    DataProductMismatch,
    /// F4: aggregation.
    Aggregation,
    /// F5: master data.
    MasterData,
    /// F6: packaging and labelling.
    PackagingLabelling,
    /// F7: unavailable for distribution.
    UnavailableForDistribution,
    /// F8: verification failure.
    VerificationFailure,
    /// F9: regulator alert.
    RegulatorAlert,
    /// F10: regulator rejection or outage.
    RegulatorRejection,
    /// F11: illegal transition.
    IllegalTransition,
    /// F12: suspect or illegitimate product.
    SuspectProduct,
}

impl ExceptionType {
    /// Every type, in code order.
    pub const ALL: [ExceptionType; 12] = [
        ExceptionType::ProductWithoutData,
        ExceptionType::DataWithoutProduct,
        ExceptionType::DataProductMismatch,
        ExceptionType::Aggregation,
        ExceptionType::MasterData,
        ExceptionType::PackagingLabelling,
        ExceptionType::UnavailableForDistribution,
        ExceptionType::VerificationFailure,
        ExceptionType::RegulatorAlert,
        ExceptionType::RegulatorRejection,
        ExceptionType::IllegalTransition,
        ExceptionType::SuspectProduct,
    ];

    /// The stable code, `F1` to `F12`.
    pub fn code(self) -> &'static str {
        match self {
            ExceptionType::ProductWithoutData => "F1",
            ExceptionType::DataWithoutProduct => "F2",
            ExceptionType::DataProductMismatch => "F3",
            ExceptionType::Aggregation => "F4",
            ExceptionType::MasterData => "F5",
            ExceptionType::PackagingLabelling => "F6",
            ExceptionType::UnavailableForDistribution => "F7",
            ExceptionType::VerificationFailure => "F8",
            ExceptionType::RegulatorAlert => "F9",
            ExceptionType::RegulatorRejection => "F10",
            ExceptionType::IllegalTransition => "F11",
            ExceptionType::SuspectProduct => "F12",
        }
    }

    /// The type for a code (`F1` to `F12`).
    pub fn from_code(code: &str) -> Option<ExceptionType> {
        ExceptionType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// One line saying what the class covers.
    pub fn description(self) -> &'static str {
        match self {
            ExceptionType::ProductWithoutData => {
                "product without data: the product is there, its serialization data is not"
            }
            ExceptionType::DataWithoutProduct => {
                "data without product: the data announced product that did not arrive"
            }
            ExceptionType::DataProductMismatch => {
                "data and product mismatch: lot, expiry, identifier or time contradict each other"
            }
            ExceptionType::Aggregation => {
                "aggregation: the parent-child hierarchy is missing, contradictory or cyclic"
            }
            ExceptionType::MasterData => {
                "master data: vocabulary, product or location data is wrong or missing"
            }
            ExceptionType::PackagingLabelling => {
                "packaging and labelling: the code is unreadable or disagrees with the printed text"
            }
            ExceptionType::UnavailableForDistribution => {
                "unavailable for distribution: recalled, on hold or expired"
            }
            ExceptionType::VerificationFailure => {
                "verification failure: the product identifier could not be verified"
            }
            ExceptionType::RegulatorAlert => "regulator alert: a national system raised an alert",
            ExceptionType::RegulatorRejection => {
                "regulator rejection or outage: a submission was refused or could not be made"
            }
            ExceptionType::IllegalTransition => {
                "illegal transition: the event is not allowed in the identifier's current state"
            }
            ExceptionType::SuspectProduct => {
                "suspect or illegitimate product: under investigation, notify within 24 hours"
            }
        }
    }
}

impl fmt::Display for ExceptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One consistency rule of the ledger. The module docs map each to its `ExceptionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// An event names an identifier no commissioning event created.
    NeverCommissioned,
    /// A receiving event for an identifier that is not in transit.
    ReceiveWithoutShip,
    /// A second commissioning of an identifier.
    CommissionedTwice,
    /// Packing a child that is already in another parent.
    ChildInTwoParents,
    /// Packing that would make a container contain itself.
    AggregationCycle,
    /// Unpacking a child that is not in the named parent.
    UnpackNotPacked,
    /// Shipping a decommissioned identifier.
    ShipDecommissioned,
    /// Shipping a dispensed pack.
    ShipDispensed,
    /// Dispensing a decommissioned pack.
    DispenseDecommissioned,
    /// Dispensing a pack already dispensed.
    DispenseTwice,
    /// Decommissioning an identifier already decommissioned.
    DecommissionTwice,
    /// Re-activating a stolen or destroyed pack (EU FMD: never allowed).
    UndoForbidden,
    /// Re-activating a pack after 10 days or at another location (EU FMD).
    UndoOutsideWindow,
    /// The event time is after the capture time (`now`) beyond the allowed clock skew.
    EventInFuture,
    /// The event time cannot be read.
    EventTimeUnreadable,
    /// A receipt whose owning party or location differs from the destination the shipment
    /// named.
    ReceiptByOtherParty,
    /// A later event gives a lot that differs from the commissioning ILMD.
    LotMismatch,
    /// A later event gives an expiry date that differs from the commissioning ILMD.
    ExpiryMismatch,
    /// An SSCC labels a new logistic unit less than 365 days after its previous unit shipped
    /// (or, never shipped, started its life).
    SsccReused,
    /// Shipping a container that holds a dispensed or decommissioned child.
    ShipUnavailableContent,
    /// Shipping, dispensing or transforming a unit of a lot with the persistent disposition
    /// `recalled`.
    RecalledLot,
    /// Shipping, dispensing or transforming a unit of a withdrawn lot (a persistent disposition `withdrawn`,
    /// bare or as the last segment of an extension URI).
    WithdrawnLot,
    /// Shipping, dispensing or transforming a unit after its expiry date.
    Expired,
    /// A transformation (repackaging, relabelling) consuming an input that is dispensed or
    /// decommissioned.
    TransformUnavailable,
}

impl ViolationKind {
    /// Every kind, in declaration order.
    pub const ALL: [ViolationKind; 24] = [
        ViolationKind::NeverCommissioned,
        ViolationKind::ReceiveWithoutShip,
        ViolationKind::CommissionedTwice,
        ViolationKind::ChildInTwoParents,
        ViolationKind::AggregationCycle,
        ViolationKind::UnpackNotPacked,
        ViolationKind::ShipDecommissioned,
        ViolationKind::ShipDispensed,
        ViolationKind::DispenseDecommissioned,
        ViolationKind::DispenseTwice,
        ViolationKind::DecommissionTwice,
        ViolationKind::UndoForbidden,
        ViolationKind::UndoOutsideWindow,
        ViolationKind::EventInFuture,
        ViolationKind::EventTimeUnreadable,
        ViolationKind::ReceiptByOtherParty,
        ViolationKind::LotMismatch,
        ViolationKind::ExpiryMismatch,
        ViolationKind::SsccReused,
        ViolationKind::ShipUnavailableContent,
        ViolationKind::RecalledLot,
        ViolationKind::WithdrawnLot,
        ViolationKind::Expired,
        ViolationKind::TransformUnavailable,
    ];

    /// The stable code (snake case); reports and the command line use it.
    pub fn code(self) -> &'static str {
        match self {
            ViolationKind::NeverCommissioned => "never_commissioned",
            ViolationKind::ReceiveWithoutShip => "receive_without_ship",
            ViolationKind::CommissionedTwice => "commissioned_twice",
            ViolationKind::ChildInTwoParents => "child_in_two_parents",
            ViolationKind::AggregationCycle => "aggregation_cycle",
            ViolationKind::UnpackNotPacked => "unpack_not_packed",
            ViolationKind::ShipDecommissioned => "ship_decommissioned",
            ViolationKind::ShipDispensed => "ship_dispensed",
            ViolationKind::DispenseDecommissioned => "dispense_decommissioned",
            ViolationKind::DispenseTwice => "dispense_twice",
            ViolationKind::DecommissionTwice => "decommission_twice",
            ViolationKind::UndoForbidden => "undo_forbidden",
            ViolationKind::UndoOutsideWindow => "undo_outside_window",
            ViolationKind::EventInFuture => "event_in_future",
            ViolationKind::EventTimeUnreadable => "event_time_unreadable",
            ViolationKind::ReceiptByOtherParty => "receipt_by_other_party",
            ViolationKind::LotMismatch => "lot_mismatch",
            ViolationKind::ExpiryMismatch => "expiry_mismatch",
            ViolationKind::SsccReused => "sscc_reused",
            ViolationKind::ShipUnavailableContent => "ship_unavailable_content",
            ViolationKind::RecalledLot => "recalled_lot",
            ViolationKind::WithdrawnLot => "withdrawn_lot",
            ViolationKind::Expired => "expired",
            ViolationKind::TransformUnavailable => "transform_unavailable",
        }
    }

    /// The exception class the rule reports in (the table in the module docs).
    pub fn exception_type(self) -> ExceptionType {
        match self {
            ViolationKind::NeverCommissioned | ViolationKind::ReceiveWithoutShip => {
                ExceptionType::ProductWithoutData
            }
            ViolationKind::ChildInTwoParents
            | ViolationKind::AggregationCycle
            | ViolationKind::UnpackNotPacked => ExceptionType::Aggregation,
            ViolationKind::CommissionedTwice
            | ViolationKind::ShipDecommissioned
            | ViolationKind::ShipDispensed
            | ViolationKind::DispenseDecommissioned
            | ViolationKind::DispenseTwice
            | ViolationKind::DecommissionTwice
            | ViolationKind::UndoForbidden
            | ViolationKind::UndoOutsideWindow
            | ViolationKind::ShipUnavailableContent
            | ViolationKind::TransformUnavailable => ExceptionType::IllegalTransition,
            ViolationKind::EventInFuture
            | ViolationKind::EventTimeUnreadable
            | ViolationKind::ReceiptByOtherParty
            | ViolationKind::LotMismatch
            | ViolationKind::ExpiryMismatch => ExceptionType::DataProductMismatch,
            ViolationKind::SsccReused => ExceptionType::PackagingLabelling,
            ViolationKind::RecalledLot | ViolationKind::WithdrawnLot | ViolationKind::Expired => {
                ExceptionType::UnavailableForDistribution
            }
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A broken consistency rule, with its evidence: a domain finding returned as a value, never an
/// error (the event is still stored; see `ledger`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub kind: ViolationKind,
    /// Always `kind.exception_type()`; stored so that readers need not know the mapping.
    pub exception_type: ExceptionType,
    /// A plain sentence naming the identifiers and events.
    pub message: String,
    /// The identifiers concerned, as the events wrote them.
    pub epcs: Vec<String>,
    /// The evidence: the IDs of the events involved, the triggering event last.
    pub event_ids: Vec<String>,
}

impl Violation {
    /// A violation of `kind`, its type taken from the mapping.
    pub fn new(
        kind: ViolationKind,
        message: String,
        epcs: Vec<String>,
        event_ids: Vec<String>,
    ) -> Violation {
        Violation { kind, exception_type: kind.exception_type(), message, epcs, event_ids }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.exception_type, self.kind, self.message)
    }
}

#[cfg(test)]
mod tests;
