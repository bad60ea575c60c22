//! Manufacturer steps: packaging lines commission packs (with case labels when cases are
//! SGTINs), pack them into cases and cases into pallets, one lot at a time; pallets ship to a
//! wholesaler; a finished lot may be recalled.
//!
//! A lot is made of whole pallets, and a pallet holds one lot, so every container in the chain
//! holds a single lot: a recall can be honoured by destroying containers whole.
//!
//! Faults placed here: `commissioned_twice` and `event_in_future` (at a case's commissioning),
//! `child_in_two_parents` (at a case's packing), `aggregation_cycle` (at a pallet's packing).

use std::sync::Arc;

use serialhub_core::ViolationKind;

use crate::calendar::{DAY, HOUR, MINUTE, SECOND, month_end_after, timestamp};
use crate::events::{self, Site, transaction_id};
use crate::fault::Fault;
use crate::network::CaseLabel;
use crate::simulation::{Simulation, Task};

/// One packaging line and the lot it is running.
#[derive(Debug)]
pub(crate) struct Line {
    manufacturer: usize,
    read_point: String,
    /// Which of the manufacturer's products the next lot is (round robin).
    rotation: usize,
    run: Option<Run>,
}

impl Line {
    pub(crate) fn new(manufacturer: usize, read_point: String) -> Line {
        Line { manufacturer, read_point, rotation: manufacturer, run: None }
    }
}

/// A lot being made.
#[derive(Debug)]
struct Run {
    lot: Lot,
    pallets_left: u32,
    /// Packs commissioned in the lot so far.
    packs: u64,
    /// Cases of the pallet being built.
    cases: Vec<Case>,
    /// A case whose packs are commissioned and not yet packed.
    commissioned: Option<Case>,
}

/// A lot: the product, its sequence number among the product's lots, and when it started
/// (its expiry counts from then). The lot number and expiry are derived, not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lot {
    pub(crate) product: usize,
    pub(crate) seq: u32,
    pub(crate) started: i64,
}

/// A case: its label's EPC URI and the serial counters of the packs in it.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub(crate) label: String,
    pub(crate) packs: Vec<u64>,
}

/// A pallet on its way from the line to a wholesaler.
#[derive(Debug)]
pub(crate) struct Pallet {
    pub(crate) sscc: String,
    /// When the pallet was packed: the start of its SSCC's life (`sscc_reused`).
    pub(crate) packed: i64,
    pub(crate) lot: Lot,
    pub(crate) cases: Vec<Case>,
    pub(crate) manufacturer: usize,
    pub(crate) wholesaler: usize,
    pub(crate) order: u64,
}

/// Seconds a line takes per pack while it runs (60 packs a minute).
const LINE_MS_PER_PACK: i64 = SECOND;

/// The share of lots recalled, besides the second lot finished in a run, which is always
/// recalled so that every run of more than one lot exercises the recall path.
const RECALL_RATE: f64 = 0.02;

/// The share of lots withdrawn (EU FMD batch status), besides the third lot finished, which is
/// always withdrawn for the same reason.
const WITHDRAW_RATE: f64 = 0.01;

impl Simulation {
    pub(crate) fn line_step(&mut self, idx: usize) {
        let now = self.clock;
        if self.lines[idx].run.is_none() {
            if self.packs_left == 0 {
                return;
            }
            self.start_run(idx);
        }
        let mut run = self.lines[idx].run.take().expect("a run was started above");
        let product = &self.net.products[run.lot.product];
        let cases_per_pallet = product.cases_per_pallet as usize;
        if let Some(case) = run.commissioned.take() {
            self.pack_case(idx, &run, &case);
            run.cases.push(case);
            self.lines[idx].run = Some(run);
            let next = now + self.rng.millis(5 * SECOND, 20 * SECOND);
            self.schedule(next, Task::Line(idx));
            return;
        }
        if run.cases.len() >= cases_per_pallet || (self.packs_left == 0 && !run.cases.is_empty()) {
            self.pack_pallet(idx, &mut run);
            if run.pallets_left == 0 || self.packs_left == 0 {
                self.finish_run(idx, run);
            } else {
                self.lines[idx].run = Some(run);
                let next = now + self.rng.millis(MINUTE, 3 * MINUTE);
                self.schedule(next, Task::Line(idx));
            }
            return;
        }
        if self.packs_left == 0 {
            // Other lines used up the packs: the lot ends with the pallets it has.
            self.finish_run(idx, run);
            return;
        }
        let packs = self.commission_case(idx, &mut run);
        self.lines[idx].run = Some(run);
        let next = now + packs as i64 * LINE_MS_PER_PACK + self.rng.millis(SECOND, 10 * SECOND);
        self.schedule(next, Task::Line(idx));
    }

    fn start_run(&mut self, idx: usize) {
        let line = &mut self.lines[idx];
        let products = &self.net.manufacturers[line.manufacturer].products;
        let product = products[line.rotation % products.len()];
        line.rotation += 1;
        let seq = self.lot_counters[product];
        self.lot_counters[product] += 1;
        let lot = Lot { product, seq, started: self.clock };
        let pallets_left = self.rng.range(1, 3) as u32;
        self.lines[idx].run =
            Some(Run { lot, pallets_left, packs: 0, cases: Vec::new(), commissioned: None });
    }

    /// A lot is finished: maybe recalled some days later; the line pauses to keep its average
    /// pace (`Simulation::pack_interval_ms`).
    fn finish_run(&mut self, idx: usize, run: Run) {
        let now = self.clock;
        self.lots_completed += 1;
        let recall_in = if self.lots_completed == 2 || self.lots_completed == 3 {
            // Late enough that some of the lot is on pharmacy shelves.
            Some((self.rng.millis(5 * DAY, 9 * DAY), self.lots_completed == 3))
        } else if self.rng.chance(RECALL_RATE) {
            // Anywhere from a release test failing at the plant to a complaint from the field.
            Some((self.rng.millis(6 * HOUR, 9 * DAY), false))
        } else if self.rng.chance(WITHDRAW_RATE) {
            Some((self.rng.millis(6 * HOUR, 9 * DAY), true))
        } else {
            None
        };
        if let Some((delay, withdraw)) = recall_in {
            self.recall_at.insert((run.lot.product, run.lot.seq), now + delay);
            self.schedule(now + delay, Task::Recall(Box::new((run.lot, run.packs, withdraw))));
        }
        if self.packs_left > 0 {
            // The pause keeps the line at its average pace; its jitter averages out.
            let busy = now - run.lot.started;
            let budget = run.packs as i64 * self.pack_interval_ms;
            let jitter = self.rng.millis(0, budget / 5) - budget / 10;
            let pause = (budget - busy + jitter).max(10 * MINUTE);
            self.schedule(now + pause, Task::Line(idx));
        }
    }

    /// The lot number of `lot`: the product's prefix and the lot's sequence number.
    pub(crate) fn lot_number(&self, lot: Lot) -> String {
        format!("{}{:05}", self.net.products[lot.product].lot_prefix, lot.seq + 1)
    }

    /// The expiry of `lot`: its product's shelf life from the lot's start, at a month end.
    pub(crate) fn expiry(&self, lot: Lot) -> String {
        month_end_after(lot.started, self.net.products[lot.product].shelf_life_months)
    }

    /// Commissions the packs of the next case (and its label, for SGTIN cases); returns how
    /// many packs.
    fn commission_case(&mut self, idx: usize, run: &mut Run) -> u64 {
        let net = Arc::clone(&self.net);
        let manufacturer_idx = self.lines[idx].manufacturer;
        let manufacturer = &net.manufacturers[manufacturer_idx];
        let read_point = self.lines[idx].read_point.clone();
        let lot = run.lot;
        let product = &net.products[lot.product];
        let count = u64::from(product.case_size).min(self.packs_left);
        self.packs_left -= count;
        let first = self.pack_counters[lot.product];
        self.pack_counters[lot.product] += count;
        let packs: Vec<u64> = (first..first + count).collect();
        let mut epcs = self.pack_epcs(lot, &packs);
        let label = match manufacturer.case_label {
            CaseLabel::Sgtin => {
                let counter = self.case_counters[lot.product];
                self.case_counters[lot.product] += 1;
                let label = product.case.epc(counter);
                epcs.push(label.clone());
                label
            }
            CaseLabel::Sscc => self.manufacturer_sscc(manufacturer_idx, 0),
        };
        self.stats.packs += count;
        self.stats.epcs += count + 1;
        run.packs += count;
        let (lot_number, expiry) = (self.lot_number(lot), self.expiry(lot));
        let stamp = self.stamp(self.clock, manufacturer.offset);
        self.emit(events::commissioning(
            stamp,
            epcs,
            &read_point,
            &manufacturer.site,
            &lot_number,
            &expiry,
        ));
        let kinds = [
            ViolationKind::CommissionedTwice,
            ViolationKind::EventInFuture,
            ViolationKind::Expired,
        ];
        match self.injector.choose(&mut self.rng, &kinds) {
            Some(ViolationKind::CommissionedTwice) => {
                let pack = packs[self.rng.index(packs.len())];
                let epc = self.pack_epc(lot, pack);
                let when = self.clock + self.rng.millis(5 * SECOND, MINUTE);
                let stamp = self.stamp(when, manufacturer.offset);
                let fault = Fault::new(
                    ViolationKind::CommissionedTwice,
                    vec![epc.clone()],
                    &stamp.id,
                    format!("packaging line {read_point} commissioned {epc} a second time"),
                );
                let event = events::commissioning(
                    stamp,
                    vec![epc],
                    &read_point,
                    &manufacturer.site,
                    &lot_number,
                    &expiry,
                );
                self.emit_at(when, event, Some(fault));
            }
            Some(ViolationKind::EventInFuture) => {
                // Packs commissioned on a machine whose clock is set ten years ahead; they are
                // set aside and take no further part.
                let count = self.rng.range(1, 3);
                let first = self.pack_counters[lot.product];
                self.pack_counters[lot.product] += count;
                let spare: Vec<u64> = (first..first + count).collect();
                let epcs = self.pack_epcs(lot, &spare);
                self.stats.epcs += count;
                let when = self.clock + self.rng.millis(10 * SECOND, 2 * MINUTE);
                let stamp = self.stamp(ten_years_after(when), manufacturer.offset);
                let fault = Fault::new(
                    ViolationKind::EventInFuture,
                    epcs.clone(),
                    &stamp.id,
                    format!(
                        "packaging line {read_point} commissioned {count} pack(s) with eventTime \
                         {}, its clock set ten years ahead",
                        timestamp(stamp.time)
                    ),
                );
                let event = events::commissioning(
                    stamp,
                    epcs,
                    &read_point,
                    &manufacturer.site,
                    &lot_number,
                    &expiry,
                );
                self.emit_at(when, event, Some(fault));
            }
            Some(ViolationKind::Expired) => {
                // A spare pack labelled from an old template, its expiry a year past, is sent
                // on its own to a wholesaler as a sample, and takes no further part.
                let pack = self.pack_counters[lot.product];
                self.pack_counters[lot.product] += 1;
                let epc = self.pack_epc(lot, pack);
                self.stats.epcs += 1;
                let stale = month_end_after(self.clock - 400 * DAY, 0);
                let when = self.clock + self.rng.millis(10 * SECOND, 2 * MINUTE);
                let stamp = self.stamp(when, manufacturer.offset);
                let event = events::commissioning(
                    stamp,
                    vec![epc.clone()],
                    &read_point,
                    &manufacturer.site,
                    &lot_number,
                    &stale,
                );
                self.emit_at(when, event, None);
                let wholesaler = &net.wholesalers[self.rng.index(net.wholesalers.len())];
                let from = Site { party: &manufacturer.party, location: &manufacturer.site };
                let to = Site { party: &wholesaler.party, location: &wholesaler.site };
                let when = when + self.rng.millis(MINUTE, 10 * MINUTE);
                let stamp = self.stamp(when, manufacturer.offset);
                let fault = Fault::new(
                    ViolationKind::Expired,
                    vec![epc.clone()],
                    &stamp.id,
                    format!("{} shipped {epc}, labelled to expire on {stale}", manufacturer.site),
                );
                let event = events::shipping(stamp, vec![epc], from, to, &[]);
                self.emit_at(when, event, Some(fault));
            }
            _ => {}
        }
        run.commissioned = Some(Case { label, packs });
        count
    }

    fn pack_case(&mut self, idx: usize, run: &Run, case: &Case) {
        let net = Arc::clone(&self.net);
        let manufacturer_idx = self.lines[idx].manufacturer;
        let manufacturer = &net.manufacturers[manufacturer_idx];
        let read_point = self.lines[idx].read_point.clone();
        let stamp = self.stamp(self.clock, manufacturer.offset);
        let children = self.pack_epcs(run.lot, &case.packs);
        self.emit(events::packing(stamp, &case.label, children, &read_point, &manufacturer.site));
        if self.injector.choose(&mut self.rng, &[ViolationKind::ChildInTwoParents]).is_some() {
            // The pack is scanned again into a case label that is then thrown away.
            let pack = case.packs[self.rng.index(case.packs.len())];
            let epc = self.pack_epc(run.lot, pack);
            let other = match manufacturer.case_label {
                CaseLabel::Sgtin => {
                    let counter = self.case_counters[run.lot.product];
                    self.case_counters[run.lot.product] += 1;
                    net.products[run.lot.product].case.epc(counter)
                }
                CaseLabel::Sscc => self.manufacturer_sscc(manufacturer_idx, 0),
            };
            self.stats.epcs += 1;
            let when = self.clock + self.rng.millis(5 * SECOND, MINUTE);
            let stamp = self.stamp(when, manufacturer.offset);
            let fault = Fault::new(
                ViolationKind::ChildInTwoParents,
                vec![epc.clone(), other.clone()],
                &stamp.id,
                format!("{epc}, packed in case {}, was scanned into case {other} too", case.label),
            );
            let event = events::packing(stamp, &other, vec![epc], &read_point, &manufacturer.site);
            self.emit_at(when, event, Some(fault));
        }
    }

    fn pack_pallet(&mut self, idx: usize, run: &mut Run) {
        let net = Arc::clone(&self.net);
        let manufacturer_idx = self.lines[idx].manufacturer;
        let manufacturer = &net.manufacturers[manufacturer_idx];
        let read_point = self.lines[idx].read_point.clone();
        let sscc = self.manufacturer_sscc(manufacturer_idx, 3);
        self.stats.epcs += 1;
        let cases = std::mem::take(&mut run.cases);
        let labels = cases.iter().map(|case| case.label.clone()).collect();
        let stamp = self.stamp(self.clock, manufacturer.offset);
        self.emit(events::packing(stamp, &sscc, labels, &read_point, &manufacturer.site));
        if self.injector.choose(&mut self.rng, &[ViolationKind::AggregationCycle]).is_some() {
            let case = &cases[self.rng.index(cases.len())].label;
            let when = self.clock + self.rng.millis(5 * SECOND, MINUTE);
            let stamp = self.stamp(when, manufacturer.offset);
            let fault = Fault::new(
                ViolationKind::AggregationCycle,
                vec![sscc.clone(), case.clone()],
                &stamp.id,
                format!("pallet {sscc} was recorded as packed into {case}, one of its own cases"),
            );
            let event =
                events::packing(stamp, case, vec![sscc.clone()], &read_point, &manufacturer.site);
            self.emit_at(when, event, Some(fault));
        }
        let wholesalers = net.wholesalers_in(manufacturer.market);
        let wholesaler = wholesalers[self.rng.index(wholesalers.len())];
        let order = self.next_order();
        let pallet = Pallet {
            sscc,
            packed: self.clock,
            lot: run.lot,
            cases,
            manufacturer: manufacturer_idx,
            wholesaler,
            order,
        };
        run.pallets_left -= 1;
        let when = self.clock + self.rng.millis(HOUR, 12 * HOUR);
        self.schedule(when, Task::ShipPallet(Box::new(pallet)));
    }

    /// The EPC URI of the manufacturer's next SSCC, with `extension` as its extension digit.
    fn manufacturer_sscc(&mut self, manufacturer: usize, extension: u8) -> String {
        let serial_ref = self.manufacturer_ssccs[manufacturer];
        self.manufacturer_ssccs[manufacturer] += 1;
        self.net.manufacturers[manufacturer].company.sscc(extension, serial_ref)
    }

    pub(crate) fn ship_pallet(&mut self, pallet: Pallet) {
        let net = Arc::clone(&self.net);
        let manufacturer = &net.manufacturers[pallet.manufacturer];
        let wholesaler = &net.wholesalers[pallet.wholesaler];
        let stamp = self.stamp(self.clock, manufacturer.offset);
        if self.is_recalled(pallet.lot) {
            // A recalled lot still at the plant is destroyed there, pallet and all.
            self.emit(events::destroying(stamp, vec![pallet.sscc], &manufacturer.site));
            return;
        }
        let from = Site { party: &manufacturer.party, location: &manufacturer.site };
        let to = Site { party: &wholesaler.party, location: &wholesaler.site };
        let business = [
            ("po", transaction_id(&wholesaler.gln, "PO", pallet.order)),
            ("desadv", transaction_id(&manufacturer.gln, "DA", pallet.order)),
        ];
        self.emit(events::shipping(stamp, vec![pallet.sscc.clone()], from, to, &business));
        let when = self.clock + self.rng.millis(20 * HOUR, 72 * HOUR);
        self.schedule(when, Task::ReceivePallet(Box::new(pallet)));
    }

    /// Recalls `lot` (`quantity` units), or withdraws it when `withdraw` is set.
    pub(crate) fn recall(&mut self, lot: Lot, quantity: u64, withdraw: bool) {
        let net = Arc::clone(&self.net);
        let product = &net.products[lot.product];
        let manufacturer = &net.manufacturers[product.manufacturer];
        let lgtin = product.pack.lgtin(&self.lot_number(lot));
        let stamp = self.stamp(self.clock, manufacturer.offset);
        let event = if withdraw {
            events::withdrawal(stamp, lgtin, quantity, &manufacturer.site)
        } else {
            events::recall(stamp, lgtin, quantity, &manufacturer.site)
        };
        self.emit(event);
        self.recalled.insert((lot.product, lot.seq));
        if withdraw {
            self.withdrawn.insert((lot.product, lot.seq));
        }
    }
}

/// The same time of day ten years on (leap days counted): a clock set to the wrong decade.
fn ten_years_after(time: i64) -> i64 {
    time + (365 * 10 + 3) * DAY
}

#[cfg(test)]
mod tests;
