//! A deterministic simulation of a pharmaceutical supply chain, with fault injection: EPCIS 2.0
//! events from packaging line to pharmacy, grouped into documents, and the ground truth of
//! every fault injected (the violation `serialhub_core::apply` must report for it).
//!
//! Pure: no IO, no clock, no threads, no randomness but its own seeded generator (`rng`), so a
//! seed and a configuration replay the same bytes. Memory is bounded by the goods in the chain
//! at one time, not by the run's size: ten million packs stream through in under 70 MB when
//! the caller drains the faults as it goes (`Simulation::drain_faults`; see `simulation`).
//!
//! # The flow
//!
//! Four manufacturers (two EU, two US with NDC-based GTINs) run six packaging lines. A line
//! makes a lot of one to three pallets: it commissions each case's packs in one event
//! (`ObjectEvent` `ADD`, `commissioning`, ILMD lot and expiry; SGTIN case labels are
//! commissioned with their packs), packs the case (`AggregationEvent` `ADD`, `packing`, into an
//! SSCC or an SGTIN case) and the cases into a pallet SSCC. The pallet ships to a wholesaler of
//! its market (`shipping`, `in_transit`, purchase order and despatch advice, owning party and
//! location as source and destination), which receives it (`receiving`, `in_progress`, the
//! destination the shipment named), unpacks it, and picks its cases into totes (SSCCs of its
//! own) for pharmacy orders over the next days; now and then it takes a pack out of a case and
//! repackages it (`TransformationEvent`, `repackaging`: the pack ends and a new code of the same
//! product, lot and expiry is commissioned), as EU parallel distributors do. Pharmacies (chains with branches, and
//! independents) receive and unpack totes, open cases, and over up to 30 days dispense packs
//! (`dispensing`, `dispensed`), now and then undo a dispensing within minutes (EU FMD), return
//! packs (shipped back, received and destroyed by the wholesaler), destroy damaged ones or
//! report thefts (`stolen`). A tote is now and then stolen on the road. The second lot finished
//! and 2% of the others are recalled some days later (the lot's LGTIN gets the persistent
//! disposition `recalled`), the third and 1% of the others withdrawn (EU FMD batch status: the
//! persistent disposition `https://example.org/fmd/disp/withdrawn`); from then on, containers
//! and packs of the lot are destroyed where they are instead of being shipped or dispensed.
//!
//! # The faults
//!
//! With `Config::fault_rate` above zero, each rule below is injected at that rate per
//! opportunity (see `fault::Injector`; a kind never injected yet is taken at its first
//! opportunity, so a run of 2,000 packs shows every kind). Each fault is an extra event, or a
//! legal step followed by an illegal one, on identifiers that take no further part in the
//! flow or whose records the violation leaves unchanged, so that it causes exactly one
//! violation and the clean flow none.
//!
//! | code | what happens |
//! |------|--------------|
//! | `never_commissioned` | a pharmacy dispenses a counterfeit: a serial never commissioned |
//! | `commissioned_twice` | a line commissions a pack of the case it just commissioned again |
//! | `child_in_two_parents` | a packed pack is scanned into a second case label, then thrown away |
//! | `aggregation_cycle` | a pallet is recorded as packed into one of its own cases |
//! | `unpack_not_packed` | after receipt, a pack is unpacked from the pallet, but it is in a case |
//! | `ship_decommissioned` | a pharmacy destroys a pack, then ships it back as a return |
//! | `ship_dispensed` | a pharmacy dispenses a pack, then ships it back as a return |
//! | `dispense_decommissioned` | a pack stolen at one pharmacy is dispensed at another |
//! | `dispense_twice` | a dispensed pack is dispensed again, here or at another pharmacy |
//! | `decommission_twice` | a destroyed pack is reported destroyed again |
//! | `undo_forbidden` | a stolen pack is put back on sale |
//! | `undo_outside_window` | a dispensing is undone after 10 days, or at another pharmacy |
//! | `event_in_future` | a line with its clock ten years ahead commissions one to three spare packs |
//! | `receive_without_ship` | a pharmacy receives a tote a second time |
//! | `receipt_by_other_party` | a tote is received at another branch of the chain it was shipped to |
//! | `lot_mismatch` | a wholesaler's scan of a pack's Digital Link reads the next lot's number |
//! | `expiry_mismatch` | a wholesaler's scan of a pack's Digital Link reads another expiry (`?17=YYMMDD`) |
//! | `sscc_reused` | a wholesaler labels a tote with the SSCC of a pallet it unpacked lately |
//! | `ship_unavailable_content` | a wholesaler destroys a damaged pack but leaves it in its case, and ships the tote |
//! | `recalled_lot` | a pharmacy dispenses a pack of a recalled lot |
//! | `withdrawn_lot` | a pharmacy dispenses a pack of a withdrawn lot |
//! | `transform_unavailable` | a wholesaler's system repackages a pack it repackaged minutes before |
//! | `expired` | a line labels a spare pack from an old template (expiry a year past) and ships it alone as a sample |
//!
//! `event_in_future` dates its event ten years after the simulated time: it is in the future for
//! any capture time before 2035 (the simulated period ends before 2026-11-01).

#![warn(missing_docs)]

mod calendar;
mod events;
mod fault;
mod identifiers;
mod manufacturer;
mod network;
mod pharmacy;
mod rng;
mod simulation;
mod wholesaler;

pub use fault::Fault;
pub use simulation::Simulation;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The seed: the same seed and configuration give the same documents, byte for byte.
    pub seed: u64,
    /// How many packs the packaging lines commission (spare packs of faults aside).
    pub packs: u64,
    /// The probability, `0.0..=1.0`, that a fault is injected at each opportunity for one.
    pub fault_rate: f64,
    /// The most events in one document (the last one may hold fewer); 0 counts as 1.
    pub events_per_document: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config { seed: 0, packs: 10_000, fault_rate: 0.0, events_per_document: 10_000 }
    }
}

/// What a simulation has produced so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packs commissioned by the clean flow.
    pub packs: u64,
    /// Events handed out in documents.
    pub events: u64,
    /// Distinct identifiers allocated so far: packs, case labels, SSCCs, and the serials of
    /// faults (spare packs, counterfeits, thrown-away labels).
    pub epcs: u64,
    /// Documents handed out.
    pub documents: u64,
    /// Faults in the documents handed out.
    pub faults: u64,
}
