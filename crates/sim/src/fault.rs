//! The ground truth of injected faults: one `Fault` per violation the ledger must report, and
//! the `Injector` that decides where faults go.

use serialhub_core::ViolationKind;

use crate::rng::Rng;

/// One injected fault: the violation `serialhub_core::apply` must report for it, exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The rule broken: a `serialhub_core::ViolationKind::code()`.
    pub code: &'static str,
    /// Its exception type, `F1` to `F12` (`ViolationKind::exception_type().code()`).
    pub exception_type: &'static str,
    /// The identifiers the violation names, in its order, as EPC pure identity URIs (a lot as
    /// its `urn:epc:class:lgtin:` class URI).
    pub epcs: Vec<String>,
    /// The `eventID` of the event that triggers the violation.
    pub event_id: String,
    /// What happened, in a sentence.
    pub description: String,
}

impl Fault {
    pub(crate) fn new(
        kind: ViolationKind,
        epcs: Vec<String>,
        event_id: &str,
        description: String,
    ) -> Fault {
        Fault {
            code: kind.code(),
            exception_type: kind.exception_type().code(),
            epcs,
            event_id: event_id.to_owned(),
            description,
        }
    }

    /// One JSON object on one line:
    /// `{"code":..,"type":..,"epcs":[..],"event_id":..,"description":..}`.
    pub fn to_json_line(&self) -> String {
        serde_json::json!({
            "code": self.code,
            "type": self.exception_type,
            "epcs": self.epcs,
            "event_id": self.event_id,
            "description": self.description,
        })
        .to_string()
    }
}

/// Every rule the simulation injects (all but `event_time_unreadable`), in the order the
/// forced first injections are tried.
pub(crate) const INJECTED: [ViolationKind; 23] = [
    ViolationKind::NeverCommissioned,
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
    ViolationKind::ReceiveWithoutShip,
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

/// Decides, at each place where faults of some kinds could go (an opportunity), whether one
/// goes there and which.
///
/// Each candidate kind is drawn with probability `rate`, in an order rotated at random so that
/// no kind is favoured, and the first drawn is injected: at most one fault per opportunity, so
/// that faults never combine into violations nobody planned. With a positive rate, a kind never
/// injected yet is taken at its first opportunity, so that every kind shows up in any run large
/// enough to offer it.
#[derive(Clone, Debug)]
pub(crate) struct Injector {
    rate: f64,
    injected: [u64; INJECTED.len()],
}

impl Injector {
    pub(crate) fn new(rate: f64) -> Injector {
        assert!((0.0..=1.0).contains(&rate), "fault_rate {rate} is not a probability");
        Injector { rate, injected: [0; INJECTED.len()] }
    }

    /// The kind to inject at an opportunity for `candidates`, if any; it counts as injected.
    pub(crate) fn choose(
        &mut self,
        rng: &mut Rng,
        candidates: &[ViolationKind],
    ) -> Option<ViolationKind> {
        if self.rate <= 0.0 || candidates.is_empty() {
            return None;
        }
        let first = candidates.iter().copied().find(|kind| self.injected[slot(*kind)] == 0);
        let chosen = first.or_else(|| {
            let start = rng.index(candidates.len());
            (0..candidates.len())
                .map(|step| candidates[(start + step) % candidates.len()])
                .find(|_| rng.chance(self.rate))
        })?;
        self.injected[slot(chosen)] += 1;
        Some(chosen)
    }

    /// Takes back a decision whose fault could not be placed after all (the business step it
    /// was attached to did not happen), so that a first injection is tried again.
    pub(crate) fn cancel(&mut self, kind: ViolationKind) {
        let count = &mut self.injected[slot(kind)];
        *count = count.saturating_sub(1);
    }
}

fn slot(kind: ViolationKind) -> usize {
    INJECTED.iter().position(|k| *k == kind).expect("only injected kinds are chosen")
}

#[cfg(test)]
mod tests;
