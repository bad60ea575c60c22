//! Pharmacy steps: totes are received and unpacked, cases opened, and each pack meets its fate
//! on the shelf: dispensed (most), dispensed and undone within minutes then dispensed again
//! (EU FMD undo), returned to the wholesaler (who receives and destroys it), destroyed, or
//! stolen. Packs of a recalled lot are destroyed instead of dispensed.
//!
//! Faults placed here: `receive_without_ship` and `receipt_by_other_party` (at a tote's
//! receipt), and, on shelf packs, `never_commissioned` (a counterfeit serial dispensed),
//! `recalled_lot`, and the illegal transitions: `ship_decommissioned`, `ship_dispensed`,
//! `dispense_decommissioned`, `dispense_twice`, `decommission_twice`, `undo_forbidden`,
//! `undo_outside_window`. A pack used for one of those takes no further part in the flow.

use std::sync::Arc;

use serialhub_core::ViolationKind;

use crate::calendar::{DAY, HOUR, MINUTE};
use crate::events::{self, Site, transaction_id};
use crate::fault::Fault;
use crate::manufacturer::{Case, Lot};
use crate::simulation::{Simulation, Task};
use crate::wholesaler::Tote;

/// Packs at a pharmacy (supplied by `wholesaler`) waiting for their `fate`.
#[derive(Debug)]
pub(crate) struct Shelf {
    pub(crate) pharmacy: usize,
    pub(crate) wholesaler: usize,
    pub(crate) lot: Lot,
    pub(crate) packs: Vec<u64>,
    pub(crate) fate: Fate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Dispense,
    /// Dispensed, undone at once (same pharmacy, within the EU FMD window), dispensed later.
    Undo,
    /// The later dispensing after an undo.
    Redispense,
    Return,
    Destroy,
    Steal,
}

/// Per mille of shelf groups with each fate other than `Dispense`.
const UNDO_PER_MILLE: u64 = 10;
const RETURN_PER_MILLE: u64 = 20;
const DESTROY_PER_MILLE: u64 = 15;
const STEAL_PER_MILLE: u64 = 5;

/// The faults a group of shelf packs offers when its lot is not recalled.
const SHELF_FAULTS: [ViolationKind; 8] = [
    ViolationKind::NeverCommissioned,
    ViolationKind::ShipDecommissioned,
    ViolationKind::ShipDispensed,
    ViolationKind::DispenseDecommissioned,
    ViolationKind::DispenseTwice,
    ViolationKind::DecommissionTwice,
    ViolationKind::UndoForbidden,
    ViolationKind::UndoOutsideWindow,
];

impl Simulation {
    pub(crate) fn receive_tote(&mut self, mut tote: Tote) {
        let net = Arc::clone(&self.net);
        let wholesaler = &net.wholesalers[tote.wholesaler];
        let planned = &net.pharmacies[tote.pharmacy];
        let chain = &net.chains[planned.chain];
        let mut kinds = vec![ViolationKind::ReceiveWithoutShip];
        if chain.branches.len() >= 2 {
            kinds.push(ViolationKind::ReceiptByOtherParty);
        }
        let kind = self.injector.choose(&mut self.rng, &kinds);
        let actual = if kind == Some(ViolationKind::ReceiptByOtherParty) {
            // Delivered to another branch of the same chain: same owning party, other place.
            let others: Vec<usize> =
                chain.branches.iter().copied().filter(|&b| b != tote.pharmacy).collect();
            others[self.rng.index(others.len())]
        } else {
            tote.pharmacy
        };
        let pharmacy = &net.pharmacies[actual];
        let from = Site { party: &wholesaler.party, location: &wholesaler.site };
        let to = Site { party: &chain.party, location: &pharmacy.site };
        let business = [("po", transaction_id(&chain.gln, "PO", tote.order))];
        let now = self.clock;
        let stamp = self.stamp(now, pharmacy.offset);
        let fault = (kind == Some(ViolationKind::ReceiptByOtherParty)).then(|| {
            Fault::new(
                ViolationKind::ReceiptByOtherParty,
                vec![tote.sscc.clone()],
                &stamp.id,
                format!(
                    "tote {} shipped to {} was received at {}",
                    tote.sscc, planned.site, pharmacy.site
                ),
            )
        });
        let event = events::receiving(stamp, vec![tote.sscc.clone()], from, to, &business);
        self.emit_at(now, event, fault);
        tote.pharmacy = actual;
        if kind == Some(ViolationKind::ReceiveWithoutShip) {
            let when = now + self.rng.millis(MINUTE, 5 * MINUTE);
            let stamp = self.stamp(when, pharmacy.offset);
            let fault = Fault::new(
                ViolationKind::ReceiveWithoutShip,
                vec![tote.sscc.clone()],
                &stamp.id,
                format!("{} received tote {} a second time", pharmacy.site, tote.sscc),
            );
            let event = events::receiving(stamp, vec![tote.sscc.clone()], from, to, &business);
            self.emit_at(when, event, Some(fault));
        }
        let when = now + self.rng.millis(10 * MINUTE, HOUR);
        self.schedule(when, Task::UnpackTote(Box::new(tote)));
    }

    pub(crate) fn unpack_tote(&mut self, tote: Tote) {
        let net = Arc::clone(&self.net);
        let pharmacy = &net.pharmacies[tote.pharmacy];
        let stamp = self.stamp(self.clock, pharmacy.offset);
        let labels = tote.cases.iter().map(|case| case.label.clone()).collect();
        self.emit(events::unpacking(stamp, &tote.sscc, labels, &pharmacy.site));
        for case in tote.cases {
            let shelf = Shelf {
                pharmacy: tote.pharmacy,
                wholesaler: tote.wholesaler,
                lot: tote.lot,
                packs: Vec::new(),
                fate: Fate::Dispense,
            };
            let when = self.clock + self.rng.millis(MINUTE, 20 * MINUTE);
            self.schedule(when, Task::UnpackCase(Box::new((shelf, case))));
        }
    }

    /// Opens a case and puts its packs on the shelf in groups of one to three, each with its
    /// fate and the time it comes (sooner more often than later, up to 30 days).
    pub(crate) fn unpack_case(&mut self, shelf: Shelf, case: Case) {
        let net = Arc::clone(&self.net);
        let pharmacy = &net.pharmacies[shelf.pharmacy];
        assert!(!case.packs.is_empty(), "an unpacking that lists no child unpacks everything");
        let stamp = self.stamp(self.clock, pharmacy.offset);
        let children = self.pack_epcs(shelf.lot, &case.packs);
        self.emit(events::unpacking(stamp, &case.label, children, &pharmacy.site));
        let mut packs = case.packs;
        while !packs.is_empty() {
            let take = (self.rng.range(1, 3) as usize).min(packs.len());
            let rest = packs.split_off(take);
            let fate = match self.rng.below(1000) {
                n if n < UNDO_PER_MILLE => Fate::Undo,
                n if n < UNDO_PER_MILLE + RETURN_PER_MILLE => Fate::Return,
                n if n < UNDO_PER_MILLE + RETURN_PER_MILLE + DESTROY_PER_MILLE => Fate::Destroy,
                n if n < UNDO_PER_MILLE
                    + RETURN_PER_MILLE
                    + DESTROY_PER_MILLE
                    + STEAL_PER_MILLE =>
                {
                    Fate::Steal
                }
                _ => Fate::Dispense,
            };
            let wait = self.rng.millis(HOUR, 30 * DAY).min(self.rng.millis(HOUR, 30 * DAY));
            let group = Shelf { packs, fate, ..shelf };
            self.schedule(self.clock + wait, Task::Shelf(Box::new(group)));
            packs = rest;
        }
    }

    pub(crate) fn shelf(&mut self, shelf: Shelf) {
        let net = Arc::clone(&self.net);
        let Shelf { pharmacy: pharmacy_idx, wholesaler, lot, mut packs, fate } = shelf;
        let pharmacy = &net.pharmacies[pharmacy_idx];
        let site = &pharmacy.site;
        let now = self.clock;
        if self.is_recalled(lot) {
            let (kind, status) = if self.is_withdrawn(lot) {
                (ViolationKind::WithdrawnLot, "withdrawn")
            } else {
                (ViolationKind::RecalledLot, "recalled")
            };
            if self.injector.choose(&mut self.rng, &[kind]).is_some() {
                let pack = packs.pop().expect("a shelf group holds packs");
                let epc = self.pack_epc(lot, pack);
                let lgtin = net.products[lot.product].pack.lgtin(&self.lot_number(lot));
                let stamp = self.stamp(now, pharmacy.offset);
                let fault = Fault::new(
                    kind,
                    vec![epc.clone(), lgtin.clone()],
                    &stamp.id,
                    format!("{site} dispensed {epc} of {status} lot {lgtin}"),
                );
                self.emit_at(now, events::dispensing(stamp, vec![epc], site), Some(fault));
            }
            if !packs.is_empty() {
                let stamp = self.stamp(now, pharmacy.offset);
                let epcs = self.pack_epcs(lot, &packs);
                self.emit(events::destroying(stamp, epcs, site));
            }
            return;
        }
        if fate != Fate::Redispense {
            match self.injector.choose(&mut self.rng, &SHELF_FAULTS) {
                Some(ViolationKind::NeverCommissioned) => self.counterfeit(pharmacy_idx, lot),
                Some(kind) => {
                    let pack = packs.pop().expect("a shelf group holds packs");
                    self.shelf_fault(kind, pharmacy_idx, wholesaler, lot, pack);
                }
                None => {}
            }
        }
        if packs.is_empty() {
            return;
        }
        let stamp = self.stamp(now, pharmacy.offset);
        let epcs = self.pack_epcs(lot, &packs);
        match fate {
            Fate::Dispense | Fate::Redispense => self.emit(events::dispensing(stamp, epcs, site)),
            Fate::Undo => {
                self.emit(events::dispensing(stamp, epcs.clone(), site));
                let when = now + self.rng.millis(2 * MINUTE, 90 * MINUTE);
                if self.is_recalled_by(lot, when) {
                    // A recall before the undo makes the pack final (EU FMD): it stays
                    // dispensed.
                    return;
                }
                let stamp = self.stamp(when, pharmacy.offset);
                self.emit_at(when, events::restocking(stamp, epcs, site), None);
                let again = when + self.rng.millis(HOUR, 7 * DAY);
                let group = Shelf {
                    pharmacy: pharmacy_idx,
                    wholesaler,
                    lot,
                    packs,
                    fate: Fate::Redispense,
                };
                self.schedule(again, Task::Shelf(Box::new(group)));
            }
            Fate::Return => {
                let wholesaler = &net.wholesalers[wholesaler];
                let chain = &net.chains[pharmacy.chain];
                let from = Site { party: &chain.party, location: site };
                let to = Site { party: &wholesaler.party, location: &wholesaler.site };
                let business = [("rma", transaction_id(&chain.gln, "RA", self.next_order()))];
                self.emit(events::shipping(stamp, epcs.clone(), from, to, &business));
                let back = now + self.rng.millis(DAY, 3 * DAY);
                let stamp = self.stamp(back, wholesaler.offset);
                let event = events::receiving(stamp, epcs.clone(), from, to, &business);
                self.emit_at(back, event, None);
                let gone = back + self.rng.millis(DAY, 10 * DAY);
                let stamp = self.stamp(gone, wholesaler.offset);
                self.emit_at(gone, events::destroying(stamp, epcs, &wholesaler.site), None);
            }
            Fate::Destroy => self.emit(events::destroying(stamp, epcs, site)),
            Fate::Steal => self.emit(events::theft(stamp, epcs, Some(site))),
        }
    }

    /// A pharmacy dispenses a pack whose serial its manufacturer never commissioned.
    fn counterfeit(&mut self, pharmacy_idx: usize, lot: Lot) {
        let net = Arc::clone(&self.net);
        let pharmacy = &net.pharmacies[pharmacy_idx];
        // A counter the lines have passed and never used: a serial that looks right.
        let counter = self.pack_counters[lot.product];
        self.pack_counters[lot.product] += 1;
        self.stats.epcs += 1;
        let epc = self.pack_epc(lot, counter);
        let when = self.clock + self.rng.millis(MINUTE, 30 * MINUTE);
        let stamp = self.stamp(when, pharmacy.offset);
        let fault = Fault::new(
            ViolationKind::NeverCommissioned,
            vec![epc.clone()],
            &stamp.id,
            format!(
                "{} dispensed {epc}, a serial its manufacturer never commissioned (a counterfeit)",
                pharmacy.site
            ),
        );
        self.emit_at(when, events::dispensing(stamp, vec![epc], &pharmacy.site), Some(fault));
    }

    /// A legal step on `pack` now, and later the illegal one `kind` names.
    fn shelf_fault(
        &mut self,
        kind: ViolationKind,
        pharmacy_idx: usize,
        wholesaler_idx: usize,
        lot: Lot,
        pack: u64,
    ) {
        let net = Arc::clone(&self.net);
        let here = &net.pharmacies[pharmacy_idx];
        let others: Vec<usize> =
            net.pharmacies_in(here.market).into_iter().filter(|&p| p != pharmacy_idx).collect();
        let there = &net.pharmacies[others[self.rng.index(others.len())]];
        let epc = self.pack_epc(lot, pack);
        let now = self.clock;
        let stamp = self.stamp(now, here.offset);
        let setup = match kind {
            ViolationKind::ShipDecommissioned | ViolationKind::DecommissionTwice => {
                events::destroying(stamp, vec![epc.clone()], &here.site)
            }
            ViolationKind::DispenseDecommissioned | ViolationKind::UndoForbidden => {
                events::theft(stamp, vec![epc.clone()], Some(&here.site))
            }
            _ => events::dispensing(stamp, vec![epc.clone()], &here.site),
        };
        self.emit(setup);
        let (when, place) = match kind {
            ViolationKind::ShipDecommissioned | ViolationKind::ShipDispensed => {
                (now + self.rng.millis(DAY, 10 * DAY), here)
            }
            ViolationKind::DispenseDecommissioned => {
                (now + self.rng.millis(2 * DAY, 20 * DAY), there)
            }
            ViolationKind::DispenseTwice => {
                let place = if self.rng.chance(0.5) { here } else { there };
                (now + self.rng.millis(MINUTE, 3 * DAY), place)
            }
            ViolationKind::DecommissionTwice => (now + self.rng.millis(DAY, 10 * DAY), here),
            ViolationKind::UndoForbidden => (now + self.rng.millis(DAY, 15 * DAY), here),
            _ => {
                // Undo outside the EU FMD window: too late at the same pharmacy, or soon at
                // another one.
                if self.rng.chance(0.5) {
                    (now + self.rng.millis(11 * DAY, 40 * DAY), here)
                } else {
                    (now + self.rng.millis(MINUTE, 2 * DAY), there)
                }
            }
        };
        let stamp = self.stamp(when, place.offset);
        let id = stamp.id.clone();
        let (event, description) = match kind {
            ViolationKind::ShipDecommissioned | ViolationKind::ShipDispensed => {
                let wholesaler = &net.wholesalers[wholesaler_idx];
                let chain = &net.chains[here.chain];
                let from = Site { party: &chain.party, location: &here.site };
                let to = Site { party: &wholesaler.party, location: &wholesaler.site };
                let business = [("rma", transaction_id(&chain.gln, "RA", self.next_order()))];
                let done =
                    if kind == ViolationKind::ShipDispensed { "dispensed" } else { "destroyed" };
                (
                    events::shipping(stamp, vec![epc.clone()], from, to, &business),
                    format!(
                        "{} {done} {epc}, then shipped it to {} as a return",
                        here.site, wholesaler.site
                    ),
                )
            }
            ViolationKind::DispenseDecommissioned => (
                events::dispensing(stamp, vec![epc.clone()], &place.site),
                format!("{epc}, reported stolen at {}, was dispensed at {}", here.site, place.site),
            ),
            ViolationKind::DispenseTwice => (
                events::dispensing(stamp, vec![epc.clone()], &place.site),
                format!("{epc}, dispensed at {}, was dispensed again at {}", here.site, place.site),
            ),
            ViolationKind::DecommissionTwice => (
                events::destroying(stamp, vec![epc.clone()], &place.site),
                format!("{} reported {epc} destroyed twice", here.site),
            ),
            ViolationKind::UndoForbidden => (
                events::restocking(stamp, vec![epc.clone()], &place.site),
                format!("{} put {epc} back on sale after reporting it stolen", here.site),
            ),
            _ if place.site == here.site => (
                events::restocking(stamp, vec![epc.clone()], &place.site),
                format!("{} undid the dispensing of {epc} more than 10 days after it", here.site),
            ),
            _ => (
                events::restocking(stamp, vec![epc.clone()], &place.site),
                format!(
                    "{} undid the dispensing of {epc}, which {} had dispensed",
                    place.site, here.site
                ),
            ),
        };
        self.emit_at(when, event, Some(Fault::new(kind, vec![epc], &id, description)));
    }
}

#[cfg(test)]
mod tests;
