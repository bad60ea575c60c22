//! Wholesaler steps: pallets are received and unpacked, their cases picked into totes (an SSCC
//! of the wholesaler's) for pharmacy orders, and the totes shipped; now and then a tote is
//! stolen on the road.
//!
//! Faults placed here: `unpack_not_packed`, `lot_mismatch` and `expiry_mismatch` (after a
//! pallet's receipt), `sscc_reused` (a tote labelled with the SSCC of a pallet unpacked lately)
//! and `ship_unavailable_content` (a tote shipped with a pack destroyed inside it), and
//! `transform_unavailable` (a pack repackaged a second time).
//!
//! Repackaging: now and then a wholesaler takes a pack out of a case it is picking and
//! repackages it (a `TransformationEvent`: the pack ends, a new code of the same product, lot
//! and expiry is commissioned), as EU parallel distributors do; the new pack stays in stock.

use std::sync::Arc;

use serialhub_core::ViolationKind;

use crate::calendar::{DAY, HOUR, MINUTE, timestamp};
use crate::events::{self, Site, transaction_id};
use crate::fault::Fault;
use crate::manufacturer::{Case, Lot, Pallet};
use crate::simulation::{Simulation, Task};

/// A tote of cases on its way from a wholesaler to a pharmacy.
#[derive(Debug)]
pub(crate) struct Tote {
    /// Set when the tote is packed.
    pub(crate) sscc: String,
    pub(crate) lot: Lot,
    pub(crate) cases: Vec<Case>,
    pub(crate) wholesaler: usize,
    pub(crate) pharmacy: usize,
    pub(crate) order: u64,
    /// A pack destroyed inside the tote before it shipped (`ship_unavailable_content`).
    pub(crate) unavailable: Option<u64>,
}

/// The SSCC of a pallet a wholesaler unpacked, and when its life started.
#[derive(Clone, Debug)]
pub(crate) struct EmptiedPallet {
    sscc: String,
    packed: i64,
}

/// How many unpacked pallet SSCCs a wholesaler remembers for `sscc_reused`.
const EMPTIED_PALLETS_MAX: usize = 16;

/// An SSCC reused after this long is reused legally; the fault picks younger ones only.
const SSCC_REUSE_BEFORE_MS: i64 = 364 * DAY;

/// The share of totes stolen on the road.
const TOTE_THEFT_RATE: f64 = 0.002;

/// The share of totes from which the wholesaler takes one pack to repackage.
const REPACK_RATE: f64 = 0.05;

/// The first serial counter of repackaged packs: far above any counter the packaging lines
/// reach, so that a repackaged pack's serial (a bijection of its counter) is new.
pub(crate) const REPACKED_BASE: u64 = 1 << 40;

impl Simulation {
    pub(crate) fn receive_pallet(&mut self, pallet: Pallet) {
        let net = Arc::clone(&self.net);
        let manufacturer = &net.manufacturers[pallet.manufacturer];
        let wholesaler = &net.wholesalers[pallet.wholesaler];
        let from = Site { party: &manufacturer.party, location: &manufacturer.site };
        let to = Site { party: &wholesaler.party, location: &wholesaler.site };
        let business = [("po", transaction_id(&wholesaler.gln, "PO", pallet.order))];
        let stamp = self.stamp(self.clock, wholesaler.offset);
        self.emit(events::receiving(stamp, vec![pallet.sscc.clone()], from, to, &business));
        let kinds = [
            ViolationKind::UnpackNotPacked,
            ViolationKind::LotMismatch,
            ViolationKind::ExpiryMismatch,
        ];
        if let Some(kind) = self.injector.choose(&mut self.rng, &kinds) {
            let case = &pallet.cases[self.rng.index(pallet.cases.len())];
            let pack = case.packs[self.rng.index(case.packs.len())];
            let epc = self.pack_epc(pallet.lot, pack);
            // Before the pallet is unpacked, which is half an hour after the receipt at least.
            let when = self.clock + self.rng.millis(MINUTE, 10 * MINUTE);
            let stamp = self.stamp(when, wholesaler.offset);
            let id = stamp.id.clone();
            let site = &wholesaler.site;
            let (event, description) = match kind {
                ViolationKind::UnpackNotPacked => (
                    events::unpacking(stamp, &pallet.sscc, vec![epc.clone()], site),
                    format!(
                        "{site} unpacked {epc} from pallet {} but it is inside case {}",
                        pallet.sscc, case.label
                    ),
                ),
                ViolationKind::LotMismatch => {
                    let lot = self.lot_number(pallet.lot);
                    let misread = self.lot_number(Lot { seq: pallet.lot.seq + 1, ..pallet.lot });
                    let product = &net.products[pallet.lot.product];
                    let link = product.pack.digital_link(pack, &misread);
                    (
                        events::inspecting(stamp, vec![link], site, None),
                        format!(
                            "a verification scan at {site} read lot {misread} on {epc}, \
                             commissioned with lot {lot}"
                        ),
                    )
                }
                _ => {
                    let expiry = self.expiry(pallet.lot);
                    let months = net.products[pallet.lot.product].shelf_life_months + 12;
                    let misread = crate::calendar::month_end_after(pallet.lot.started, months);
                    // The expiry as a Digital Link data attribute (`?17=YYMMDD`), as a scan of
                    // the pack's 2D code gives it: ILMD is only for commissioning (`ADD`).
                    let yymmdd: String = [&misread[2..4], &misread[5..7], &misread[8..10]].concat();
                    let lot = self.lot_number(pallet.lot);
                    let product = &net.products[pallet.lot.product];
                    let link = format!("{}?17={yymmdd}", product.pack.digital_link(pack, &lot));
                    (
                        events::inspecting(stamp, vec![link], site, None),
                        format!(
                            "a verification scan at {site} read expiry {misread} on {epc}, \
                             commissioned with {expiry}"
                        ),
                    )
                }
            };
            let epcs = match kind {
                ViolationKind::UnpackNotPacked => vec![epc, pallet.sscc.clone()],
                _ => vec![epc],
            };
            self.emit_at(when, event, Some(Fault::new(kind, epcs, &id, description)));
        }
        let when = self.clock + self.rng.millis(30 * MINUTE, 4 * HOUR);
        self.schedule(when, Task::UnpackPallet(Box::new(pallet)));
    }

    pub(crate) fn unpack_pallet(&mut self, pallet: Pallet) {
        let net = Arc::clone(&self.net);
        let wholesaler = &net.wholesalers[pallet.wholesaler];
        let stamp = self.stamp(self.clock, wholesaler.offset);
        if self.is_recalled(pallet.lot) {
            self.emit(events::destroying(stamp, vec![pallet.sscc], &wholesaler.site));
            return;
        }
        let labels = pallet.cases.iter().map(|case| case.label.clone()).collect();
        self.emit(events::unpacking(stamp, &pallet.sscc, labels, &wholesaler.site));
        let emptied = &mut self.emptied_pallets[pallet.wholesaler];
        if emptied.len() == EMPTIED_PALLETS_MAX {
            emptied.pop_front();
        }
        emptied.push_back(EmptiedPallet { sscc: pallet.sscc, packed: pallet.packed });
        // Pharmacy orders take the cases one to four at a time over the next days.
        let pharmacies = net.pharmacies_in(wholesaler.market);
        let mut cases = pallet.cases;
        while !cases.is_empty() {
            let take = (self.rng.range(1, 4) as usize).min(cases.len());
            let rest = cases.split_off(take);
            let tote = Tote {
                sscc: String::new(),
                lot: pallet.lot,
                cases,
                wholesaler: pallet.wholesaler,
                pharmacy: pharmacies[self.rng.index(pharmacies.len())],
                order: self.next_order(),
                unavailable: None,
            };
            let when = self.clock + self.rng.millis(HOUR, 5 * DAY);
            self.schedule(when, Task::PackTote(Box::new(tote)));
            cases = rest;
        }
    }

    pub(crate) fn pack_tote(&mut self, mut tote: Tote) {
        let net = Arc::clone(&self.net);
        let wholesaler = &net.wholesalers[tote.wholesaler];
        let site = &wholesaler.site;
        if self.is_recalled(tote.lot) {
            let stamp = self.stamp(self.clock, wholesaler.offset);
            let labels = tote.cases.iter().map(|case| case.label.clone()).collect();
            self.emit(events::destroying(stamp, labels, site));
            return;
        }
        let now = self.clock;
        if self.rng.chance(REPACK_RATE) {
            self.repackage(&mut tote);
        }
        let reusable = self.emptied_pallets[tote.wholesaler]
            .front()
            .is_some_and(|pallet| now - pallet.packed < SSCC_REUSE_BEFORE_MS);
        let breakable = tote.cases.iter().any(|case| case.packs.len() >= 2);
        let mut kinds = Vec::with_capacity(2);
        if reusable {
            kinds.push(ViolationKind::SsccReused);
        }
        if breakable {
            kinds.push(ViolationKind::ShipUnavailableContent);
        }
        let kind = self.injector.choose(&mut self.rng, &kinds);
        let stamp = self.stamp(now, wholesaler.offset);
        let fault = if kind == Some(ViolationKind::SsccReused) {
            let pallet = self.emptied_pallets[tote.wholesaler]
                .pop_front()
                .expect("reusable says there is one");
            tote.sscc = pallet.sscc;
            Some(Fault::new(
                ViolationKind::SsccReused,
                vec![tote.sscc.clone()],
                &stamp.id,
                format!(
                    "{site} labelled a tote with SSCC {}, the label of a pallet packed at {} and \
                     unpacked there",
                    tote.sscc,
                    timestamp(pallet.packed)
                ),
            ))
        } else {
            let serial_ref = self.wholesaler_ssccs[tote.wholesaler];
            self.wholesaler_ssccs[tote.wholesaler] += 1;
            tote.sscc = wholesaler.company.sscc(9, serial_ref);
            self.stats.epcs += 1;
            None
        };
        let labels = tote.cases.iter().map(|case| case.label.clone()).collect();
        self.emit_at(now, events::packing(stamp, &tote.sscc, labels, site, site), fault);
        if kind == Some(ViolationKind::ShipUnavailableContent) {
            // A pack found damaged during picking is destroyed but left in its case.
            let breakable: Vec<usize> =
                (0..tote.cases.len()).filter(|&c| tote.cases[c].packs.len() >= 2).collect();
            let case = &mut tote.cases[breakable[self.rng.index(breakable.len())]];
            let pack = case.packs.remove(self.rng.index(case.packs.len()));
            tote.unavailable = Some(pack);
            let when = now + self.rng.millis(MINUTE, 10 * MINUTE);
            let stamp = self.stamp(when, wholesaler.offset);
            let event = events::destroying(stamp, vec![self.pack_epc(tote.lot, pack)], site);
            self.emit_at(when, event, None);
        }
        let when = now + self.rng.millis(20 * MINUTE, 90 * MINUTE);
        self.schedule(when, Task::ShipTote(Box::new(tote)));
    }

    /// Takes a pack out of one of `tote`'s cases (one of two packs or more, so that no case
    /// empties) and repackages it, now; and with a fault, repackages it again minutes later.
    fn repackage(&mut self, tote: &mut Tote) {
        let breakable: Vec<usize> =
            (0..tote.cases.len()).filter(|&c| tote.cases[c].packs.len() >= 2).collect();
        if breakable.is_empty() {
            return;
        }
        let net = Arc::clone(&self.net);
        let site = &net.wholesalers[tote.wholesaler].site;
        let offset = net.wholesalers[tote.wholesaler].offset;
        let case = &mut tote.cases[breakable[self.rng.index(breakable.len())]];
        let pack = case.packs.remove(self.rng.index(case.packs.len()));
        let (lot, expiry) = (self.lot_number(tote.lot), self.expiry(tote.lot));
        let input = self.pack_epc(tote.lot, pack);
        let first = self.repacked_epc(tote.lot);
        let when = self.clock;
        let stamp = self.stamp(when, offset);
        let event =
            events::repackaging(stamp, vec![input.clone()], vec![first], site, &lot, &expiry);
        self.emit_at(when, event, None);
        if self.injector.choose(&mut self.rng, &[ViolationKind::TransformUnavailable]).is_some() {
            let when = self.clock + self.rng.millis(MINUTE, 10 * MINUTE);
            let stamp = self.stamp(when, offset);
            let id = stamp.id.clone();
            let second = self.repacked_epc(tote.lot);
            let event = events::repackaging(
                stamp,
                vec![input.clone()],
                vec![second.clone()],
                site,
                &lot,
                &expiry,
            );
            let description = format!(
                "{site} repackaged {input} a second time, into {second}, after it had \
                 repackaged it already"
            );
            let fault =
                Fault::new(ViolationKind::TransformUnavailable, vec![input], &id, description);
            self.emit_at(when, event, Some(fault));
        }
    }

    /// A new code for a repackaged pack of `lot`'s product.
    fn repacked_epc(&mut self, lot: Lot) -> String {
        let counter = REPACKED_BASE + self.repacked;
        self.repacked += 1;
        self.stats.epcs += 1;
        self.pack_epc(lot, counter)
    }

    pub(crate) fn ship_tote(&mut self, tote: Tote) {
        let net = Arc::clone(&self.net);
        let wholesaler = &net.wholesalers[tote.wholesaler];
        let pharmacy = &net.pharmacies[tote.pharmacy];
        let chain = &net.chains[pharmacy.chain];
        let stamp = self.stamp(self.clock, wholesaler.offset);
        if self.is_recalled(tote.lot) {
            self.emit(events::destroying(stamp, vec![tote.sscc], &wholesaler.site));
            if tote.unavailable.is_some() {
                self.injector.cancel(ViolationKind::ShipUnavailableContent);
            }
            return;
        }
        let from = Site { party: &wholesaler.party, location: &wholesaler.site };
        let to = Site { party: &chain.party, location: &pharmacy.site };
        let business = [
            ("po", transaction_id(&chain.gln, "PO", tote.order)),
            ("desadv", transaction_id(&wholesaler.gln, "DA", tote.order)),
        ];
        let fault = tote.unavailable.map(|pack| {
            let epc = self.pack_epc(tote.lot, pack);
            Fault::new(
                ViolationKind::ShipUnavailableContent,
                vec![epc.clone(), tote.sscc.clone()],
                &stamp.id,
                format!(
                    "{} shipped tote {} with {epc} inside, destroyed before shipping",
                    wholesaler.site, tote.sscc
                ),
            )
        });
        let event = events::shipping(stamp, vec![tote.sscc.clone()], from, to, &business);
        self.emit_at(self.clock, event, fault);
        if self.rng.chance(TOTE_THEFT_RATE) {
            let when = self.clock + self.rng.millis(2 * HOUR, 10 * HOUR);
            let stamp = self.stamp(when, wholesaler.offset);
            self.emit_at(when, events::theft(stamp, vec![tote.sscc], None), None);
            return;
        }
        let when = self.clock + self.rng.millis(4 * HOUR, 30 * HOUR);
        self.schedule(when, Task::ReceiveTote(Box::new(tote)));
    }
}

#[cfg(test)]
mod tests;
