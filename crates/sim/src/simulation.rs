//! The engine: a discrete-event scheduler whose tasks are the business steps of the supply
//! chain, and the documents it hands out.
//!
//! Every task runs at its time, emits the events of its step at that time and schedules the
//! steps that follow, always later; the queue gives tasks out in time order (ties in the order
//! they were scheduled), so events come out with non-decreasing `eventTime` and every
//! identifier sees its events in order: the ledger never finds one late. A task holds what its
//! step needs (a pallet with its cases, a few packs on a pharmacy shelf), and the queue is all
//! the state there is, so memory follows the goods in the chain at one time, not the run's
//! size (see `PRODUCTION_DAYS_MAX`).
//!
//! Faults are decided where they can happen (`fault::Injector`) and their events are built
//! then, with the ground truth; an event that happens later waits in the queue as a
//! `Task::Emit`. A fault is recorded when its event is put into a document.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::sync::Arc;

use serialhub_epcis::model::{Document, Event, Header};

use crate::calendar::{self, DAY, END, START, timestamp};
use crate::events::Stamp;
use crate::fault::{Fault, Injector};
use crate::manufacturer::{Case, Line, Lot, Pallet};
use crate::network::Network;
use crate::pharmacy::Shelf;
use crate::rng::Rng;
use crate::wholesaler::{EmptiedPallet, Tote};
use crate::{Config, Stats};

/// The pace of production: 20,000 packs a day over all lines. Memory follows the goods in the
/// chain at one time, which this pace fixes: runs of up to 9.6 million packs (this pace for
/// `PRODUCTION_DAYS_MAX` days) hold the same amount whatever their size.
const PACKS_PER_DAY_MIN: u64 = 20_000;

/// Production ends about this many days after `START`, however many packs are asked for:
/// larger runs produce faster (and hold more goods in the chain at once), so that every clean
/// event, distribution and dispensing included (up to 80 days after the last pack is made),
/// stays before `calendar::END`.
pub(crate) const PRODUCTION_DAYS_MAX: u64 = 480;

/// A scheduled business step.
#[derive(Debug)]
pub(crate) enum Task {
    /// The next step of packaging line `usize`.
    Line(usize),
    ShipPallet(Box<Pallet>),
    ReceivePallet(Box<Pallet>),
    UnpackPallet(Box<Pallet>),
    PackTote(Box<Tote>),
    ShipTote(Box<Tote>),
    ReceiveTote(Box<Tote>),
    UnpackTote(Box<Tote>),
    /// A pharmacy opens a case: the wholesaler, the pharmacy, the lot and the case.
    UnpackCase(Box<(Shelf, Case)>),
    /// Packs on a pharmacy shelf meet their fate.
    Shelf(Box<Shelf>),
    /// The manufacturer recalls (or, when the flag is set, withdraws) a lot of so many units.
    Recall(Box<(Lot, u64, bool)>),
    /// An event decided earlier, with its fault if it is one.
    Emit(Box<(Event, Option<Fault>)>),
}

struct Scheduled {
    time: i64,
    seq: u64,
    task: Task,
}

// The queue is a max-heap: order by (time, seq) reversed, so the earliest task comes first.
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl Eq for Scheduled {}

/// A deterministic supply-chain simulation: `next_document` hands out the events in time
/// order, `faults` the ground truth of the faults in the documents handed out so far.
///
/// Memory is bounded by the goods in the chain at one time (and by the faults not yet taken
/// with `drain_faults`), not by the number of packs.
pub struct Simulation {
    pub(crate) config: Config,
    pub(crate) net: Arc<Network>,
    /// Every business decision.
    pub(crate) rng: Rng,
    /// Event IDs only, so that they do not shift when a decision draws more or less.
    ids: Rng,
    pub(crate) injector: Injector,
    queue: BinaryHeap<Scheduled>,
    seq: u64,
    /// The time of the task running, or of the last one run.
    pub(crate) clock: i64,
    pub(crate) lines: Vec<Line>,
    /// Packs the lines have still to commission.
    pub(crate) packs_left: u64,
    /// The average time per pack of one line, its pauses included (`PACKS_PER_DAY_MIN`).
    pub(crate) pack_interval_ms: i64,
    /// Per product: the next pack serial counter, the next case serial counter, the next lot.
    pub(crate) pack_counters: Vec<u64>,
    pub(crate) case_counters: Vec<u64>,
    pub(crate) lot_counters: Vec<u32>,
    /// Per manufacturer and per wholesaler: the next SSCC serial reference.
    pub(crate) manufacturer_ssccs: Vec<u64>,
    pub(crate) wholesaler_ssccs: Vec<u64>,
    /// Packs repackaged so far: the output serials' counters (`wholesaler::REPACKED_BASE` on).
    pub(crate) repacked: u64,
    /// The next order (purchase order, despatch advice, return authorisation) number.
    pub(crate) orders: u64,
    pub(crate) lots_completed: u64,
    /// Recalled or withdrawn lots, as (product, lot sequence): their goods are destroyed
    /// instead of shipped or dispensed.
    pub(crate) recalled: BTreeSet<(usize, u32)>,
    /// The withdrawn ones among `recalled`.
    pub(crate) withdrawn: BTreeSet<(usize, u32)>,
    /// When each recall or withdrawal already decided will happen, for steps that must not
    /// straddle it (an undo of a dispensing cannot be legal after a recall).
    pub(crate) recall_at: BTreeMap<(usize, u32), i64>,
    /// Per wholesaler: the SSCCs of pallets it unpacked lately, most recent last.
    pub(crate) emptied_pallets: Vec<VecDeque<EmptiedPallet>>,
    /// Events emitted and not yet put into a document.
    pending: VecDeque<(Event, Option<Fault>)>,
    faults: Vec<Fault>,
    pub(crate) stats: Stats,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("config", &self.config)
            .field("clock", &timestamp(self.clock))
            .field("queued", &self.queue.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Simulation {
    /// A simulation of `config`.
    ///
    /// # Panics
    ///
    /// If `config.fault_rate` is not within `0.0..=1.0`.
    pub fn new(config: Config) -> Simulation {
        let mut rng = Rng::new(config.seed);
        let ids = Rng::new(config.seed ^ 0x5EED_1D5E_ED1D_5EED);
        let net = Network::new(&mut rng);
        let lines: Vec<Line> = net
            .manufacturers
            .iter()
            .enumerate()
            .flat_map(|(idx, m)| m.lines.iter().map(move |rp| Line::new(idx, rp.clone())))
            .collect();
        let packs_per_day = PACKS_PER_DAY_MIN.max(config.packs.div_ceil(PRODUCTION_DAYS_MAX));
        let pack_interval_ms = (DAY as u64 * lines.len() as u64 / packs_per_day).max(1) as i64;
        let mut sim = Simulation {
            injector: Injector::new(config.fault_rate),
            pack_counters: vec![0; net.products.len()],
            case_counters: vec![0; net.products.len()],
            lot_counters: vec![0; net.products.len()],
            manufacturer_ssccs: vec![0; net.manufacturers.len()],
            wholesaler_ssccs: vec![0; net.wholesalers.len()],
            repacked: 0,
            emptied_pallets: vec![VecDeque::new(); net.wholesalers.len()],
            net: Arc::new(net),
            rng,
            ids,
            queue: BinaryHeap::new(),
            seq: 0,
            clock: START,
            lines,
            packs_left: config.packs,
            pack_interval_ms,
            orders: 0,
            lots_completed: 0,
            recalled: BTreeSet::new(),
            withdrawn: BTreeSet::new(),
            recall_at: BTreeMap::new(),
            pending: VecDeque::new(),
            faults: Vec::new(),
            stats: Stats::default(),
            config,
        };
        // Lines start a few minutes apart, as shifts do.
        for idx in 0..sim.lines.len() {
            let start = START + calendar::MINUTE * 7 * idx as i64;
            sim.schedule(start, Task::Line(idx));
        }
        sim
    }

    /// The next document of at most `Config::events_per_document` events, in time order;
    /// `None` when the simulation is over.
    pub fn next_document(&mut self) -> Option<Document> {
        let len_max = self.config.events_per_document.max(1);
        let mut events = Vec::with_capacity(len_max.min(4096));
        while events.len() < len_max {
            if let Some((event, fault)) = self.pending.pop_front() {
                if let Some(fault) = fault {
                    assert_eq!(event.event_id.as_ref(), Some(&fault.event_id));
                    self.faults.push(fault);
                    self.stats.faults += 1;
                }
                events.push(event);
                continue;
            }
            let Some(next) = self.queue.pop() else { break };
            // Invariant: tasks only schedule later tasks, so time never goes back.
            assert!(next.time >= self.clock, "the queue went back in time");
            self.clock = next.time;
            self.run(next.task);
        }
        if events.is_empty() {
            return None;
        }
        self.stats.events += events.len() as u64;
        self.stats.documents += 1;
        let header = Header {
            schema_version: Some("2.0".to_owned()),
            creation_date: Some(timestamp(self.clock)),
            ..Header::default()
        };
        Some(Document { header, events })
    }

    /// The faults of the documents handed out so far and not yet drained, in event order.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Takes the faults `faults` would return, so that a long run keeps none in memory.
    pub fn drain_faults(&mut self) -> Vec<Fault> {
        std::mem::take(&mut self.faults)
    }

    /// Counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn run(&mut self, task: Task) {
        match task {
            Task::Line(idx) => self.line_step(idx),
            Task::ShipPallet(pallet) => self.ship_pallet(*pallet),
            Task::ReceivePallet(pallet) => self.receive_pallet(*pallet),
            Task::UnpackPallet(pallet) => self.unpack_pallet(*pallet),
            Task::PackTote(tote) => self.pack_tote(*tote),
            Task::ShipTote(tote) => self.ship_tote(*tote),
            Task::ReceiveTote(tote) => self.receive_tote(*tote),
            Task::UnpackTote(tote) => self.unpack_tote(*tote),
            Task::UnpackCase(shelf_case) => {
                let (shelf, case) = *shelf_case;
                self.unpack_case(shelf, case);
            }
            Task::Shelf(shelf) => self.shelf(*shelf),
            Task::Recall(recall) => self.recall(recall.0, recall.1, recall.2),
            Task::Emit(event_fault) => self.pending.push_back(*event_fault),
        }
    }

    /// Runs `task` at `time`, which is now or later.
    pub(crate) fn schedule(&mut self, time: i64, task: Task) {
        assert!(time >= self.clock, "a task scheduled in the past");
        assert!(time < END, "a task scheduled after the simulated period: {}", timestamp(time));
        self.seq += 1;
        self.queue.push(Scheduled { time, seq: self.seq, task });
    }

    /// `event` happens at `time` (now or later), with its fault if it is one.
    pub(crate) fn emit_at(&mut self, time: i64, event: Event, fault: Option<Fault>) {
        if time == self.clock {
            self.pending.push_back((event, fault));
        } else {
            self.schedule(time, Task::Emit(Box::new((event, fault))));
        }
    }

    /// `event` happens now.
    pub(crate) fn emit(&mut self, event: Event) {
        self.pending.push_back((event, None));
    }

    /// A fresh `eventID` with `time` and `offset`.
    pub(crate) fn stamp(&mut self, time: i64, offset: &'static str) -> Stamp {
        Stamp { time, offset, id: self.ids.uuid_urn() }
    }

    /// The next order number.
    pub(crate) fn next_order(&mut self) -> u64 {
        self.orders += 1;
        self.orders
    }

    pub(crate) fn is_recalled(&self, lot: Lot) -> bool {
        self.recalled.contains(&(lot.product, lot.seq))
    }

    /// Whether `lot` is recalled or withdrawn at `time` or before (as far as decided now).
    pub(crate) fn is_recalled_by(&self, lot: Lot, time: i64) -> bool {
        self.recall_at.get(&(lot.product, lot.seq)).is_some_and(|&at| at <= time)
    }

    /// Whether `lot` was withdrawn (rather than recalled).
    pub(crate) fn is_withdrawn(&self, lot: Lot) -> bool {
        self.withdrawn.contains(&(lot.product, lot.seq))
    }

    /// The SGTIN EPC URI of pack `counter` of `lot`'s product.
    pub(crate) fn pack_epc(&self, lot: Lot, counter: u64) -> String {
        self.net.products[lot.product].pack.epc(counter)
    }

    /// The EPC URIs of packs of `lot`'s product.
    pub(crate) fn pack_epcs(&self, lot: Lot, counters: &[u64]) -> Vec<String> {
        let item = &self.net.products[lot.product].pack;
        counters.iter().map(|&counter| item.epc(counter)).collect()
    }
}

#[cfg(test)]
mod tests;
