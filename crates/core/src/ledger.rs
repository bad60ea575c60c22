//! The ledger's decision for one event: `apply` reads the current states through a `StateView`
//! and returns the state changes and the violations, without mutating anything; persisting the
//! `Outcome` belongs to later layers.
//!
//! How an event maps to a transition (bizStep and disposition are read in any CBV spelling):
//!
//! - `ObjectEvent` `ADD`: commissioning; the identifiers get a record (`commissioned_twice` if
//!   one exists).
//! - `ObjectEvent` `DELETE`, bizStep `decommissioning`/`destroying`/`killing`, or disposition
//!   `stolen`/`destroyed`/`disposed`: decommissioning, its EU FMD reason read from the
//!   disposition (an extension disposition whose last segment is an EU reason, such as
//!   `https://example.org/disp/locked`, names it).
//! - bizStep `shipping` (or disposition `in_transit`): in transit. bizStep `receiving` or
//!   `accepting`: received. bizStep `dispensing`/`retail_selling` (or disposition `dispensed`):
//!   dispensed.
//! - disposition `active`/`sellable_accessible`/`sellable_not_accessible` on a decommissioned
//!   or dispensed pack: an EU FMD undo (within 10 days at the same `bizLocation`; never for
//!   stolen or destroyed; locked without a time limit).
//! - `AggregationEvent` `ADD` packs the children into `parentID`, `DELETE` unpacks them (all
//!   of them when `childEPCs` is empty, as EPCIS specifies), `OBSERVE` applies its bizStep to
//!   the parent. A parent never commissioned (SSCCs usually are not) gets a record on its first
//!   packing, with no status of its own until an event gives it one.
//! - An event on a container changes the container's record only; `state::effective` reads
//!   the contents through it, and unpacking writes the state in force into the child.
//!
//! A violation leaves that identifier's record unchanged: the ledger keeps the last legal state,
//! and the event itself is still stored by the caller with its violations as evidence.
//! `event_in_future` is the exception: it is reported and the event still applies.
//!
//! **Late and out-of-order events.** The ledger applies events in capture order, and each
//! record keeps the time of the latest event applied to it. An event older than that
//! (`eventTime` before the record's `last_event_time`) is late for that identifier: it changes
//! nothing on the record and raises no rule against it, because the rules judge the current
//! state and a late event happened before it; the identifier is listed in
//! `Outcome::superseded`, so nothing is dropped silently (the event itself is stored, and a
//! history query orders by `eventTime`). Equal times apply in capture order. The result depends
//! only on the capture order and the events, never on the wall clock.

use std::collections::{BTreeMap, BTreeSet};

use serialhub_epcis::cbv::{self, Term, Vocab};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Content, Event, EventType};

use crate::exception::{Violation, ViolationKind};
use crate::state::{
    DecommissionReason, Key, NESTING_DEPTH_MAX, SerialState, StateView, Status, UndoWindow,
    effective,
};

/// How far an event time may be ahead of the capture time before it counts as in the future:
/// the clocks of packaging lines and scanners drift.
pub const EVENT_TIME_AHEAD_MS_MAX: i64 = 5 * 60 * 1000;

/// The EU FMD undo window (Delegated Regulation 2016/161, Article 13): 10 days.
pub const UNDO_WINDOW_MS: i64 = 10 * 24 * 60 * 60 * 1000;

/// One state change to persist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new record: the store has none for the key.
    Create(SerialState),
    /// The new value of an existing record.
    Update(SerialState),
}

impl Change {
    /// The record after the change.
    pub fn state(&self) -> &SerialState {
        match self {
            Change::Create(state) | Change::Update(state) => state,
        }
    }
}

/// The decision for one event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The records to write, at most one per key, in the order the event touched them.
    pub changes: Vec<(Key, Change)>,
    /// The rules the event broke, in the order found.
    pub violations: Vec<Violation>,
    /// Identifiers whose record already holds a later event: this late event did not change
    /// them (see the module docs).
    pub superseded: Vec<Key>,
}

/// Decides what `event` (whose hash ID or `eventID` is `event_id`) does to the ledger seen
/// through `view`, at capture time `now`.
pub fn apply(view: &impl StateView, event: &Event, event_id: &str, now: Timestamp) -> Outcome {
    let mut ctx = Ctx {
        ledger: Overlay { base: view, index: BTreeMap::new(), changes: Vec::new() },
        event,
        event_id,
        time: Timestamp { unix_millis: 0, has_offset: true },
        violations: Vec::new(),
        superseded: Vec::new(),
    };
    let Some(time) = Timestamp::parse(event.event_time.trim()) else {
        let epcs = event.epc_list.iter().chain(&event.parent_id).cloned().collect();
        ctx.violate(
            ViolationKind::EventTimeUnreadable,
            format!("event {event_id} has an unreadable eventTime {:?}", event.event_time),
            epcs,
            Vec::new(),
        );
        return ctx.finish();
    };
    ctx.time = time;
    if time.unix_millis > now.unix_millis.saturating_add(EVENT_TIME_AHEAD_MS_MAX) {
        let epcs = event.epc_list.iter().chain(&event.parent_id).cloned().collect();
        ctx.violate(
            ViolationKind::EventInFuture,
            format!(
                "event {event_id} has eventTime {} after the capture time {}",
                event.event_time,
                now.to_utc_millis_string()
            ),
            epcs,
            Vec::new(),
        );
    }
    match (event.event_type, event.action) {
        (Some(EventType::ObjectEvent), Some(Action::Add)) => {
            for (key, epc) in identifiers(&event.epc_list) {
                ctx.commission(key, epc);
            }
        }
        (Some(EventType::ObjectEvent), Some(action @ (Action::Observe | Action::Delete))) => {
            let step = step_of(event, action);
            for (key, epc) in identifiers(&event.epc_list) {
                ctx.observe(key, epc, step);
            }
        }
        (Some(EventType::AggregationEvent), Some(action)) => {
            let Some(parent) = event.parent_id.as_deref() else {
                // The validator (issue B) refuses ADD and DELETE without a parentID; an
                // OBSERVE without one asserts nothing the ledger keeps.
                return ctx.finish();
            };
            match action {
                Action::Add => ctx.pack(parent),
                Action::Delete => ctx.unpack(parent),
                Action::Observe => ctx.observe(Key::new(parent), parent, step_of(event, action)),
            }
        }
        (Some(EventType::TransactionEvent), _) => {
            // A business transaction changes no lifecycle state; it must still name known
            // identifiers.
            for (key, epc) in identifiers(event.epc_list.iter().chain(&event.parent_id)) {
                ctx.known(&key, epc);
            }
        }
        // FIXME: transformation (inputs consumed, outputs created) and association events are
        // not yet part of the lifecycle; they change nothing.
        _ => {}
    }
    ctx.finish()
}

/// What an observation does to the lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Ship,
    Receive,
    Dispense,
    Decommission(DecommissionReason),
    Reactivate,
    Other,
}

fn step_of(event: &Event, action: Action) -> Step {
    let biz_step = event.biz_step.as_deref().map(|v| cbv::classify(Vocab::BizStep, v));
    let disposition = event.disposition.as_deref().map(|v| cbv::classify(Vocab::Disposition, v));
    let reason = decommission_reason(biz_step.as_ref(), disposition.as_ref());
    // A theft or destruction report wins over whatever else the event says.
    if let Some(reason @ (DecommissionReason::Stolen | DecommissionReason::Destroyed)) = reason {
        return Step::Decommission(reason);
    }
    if action == Action::Delete {
        return Step::Decommission(reason.unwrap_or(DecommissionReason::Unspecified));
    }
    match biz_step {
        Some(Term::Standard("shipping")) => return Step::Ship,
        Some(Term::Standard("receiving" | "accepting")) => return Step::Receive,
        Some(Term::Standard("dispensing" | "retail_selling")) => return Step::Dispense,
        Some(Term::Standard("decommissioning" | "destroying" | "killing")) => {
            return Step::Decommission(reason.unwrap_or(DecommissionReason::Unspecified));
        }
        _ => {}
    }
    match disposition {
        Some(Term::Standard("in_transit")) => Step::Ship,
        Some(Term::Standard("dispensed")) => Step::Dispense,
        Some(Term::Standard("active" | "sellable_accessible" | "sellable_not_accessible")) => {
            Step::Reactivate
        }
        _ => match reason {
            Some(reason) => Step::Decommission(reason),
            None => Step::Other,
        },
    }
}

/// The EU FMD reason an event names, if any.
fn decommission_reason(
    biz_step: Option<&Term<'_>>,
    disposition: Option<&Term<'_>>,
) -> Option<DecommissionReason> {
    match disposition {
        Some(Term::Standard("stolen")) => return Some(DecommissionReason::Stolen),
        Some(Term::Standard("destroyed" | "disposed")) => {
            return Some(DecommissionReason::Destroyed);
        }
        Some(Term::Extension(uri)) => {
            // CBV has no terms for the other EU reasons; an extension URI names them by its
            // last segment.
            let name = uri.rsplit(['/', ':', '#']).next().unwrap_or(uri);
            if let Some(reason) = DecommissionReason::from_name(name) {
                return Some(reason);
            }
        }
        _ => {}
    }
    match biz_step {
        Some(Term::Standard("destroying")) => Some(DecommissionReason::Destroyed),
        Some(Term::Standard("sampling")) => Some(DecommissionReason::Sample),
        _ => None,
    }
}

/// The event's identifiers with their keys, each key once (first spelling kept).
fn identifiers<'a>(list: impl IntoIterator<Item = &'a String>) -> Vec<(Key, &'a str)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for epc in list {
        let key = Key::new(epc);
        if seen.insert(key.clone()) {
            out.push((key, epc.as_str()));
        }
    }
    out
}

/// `lotNumber` and `itemExpirationDate` from the event's ILMD (CBV master data attributes).
fn lot_and_expiry(event: &Event) -> (Option<String>, Option<String>) {
    const CBV_MDA: &str = "urn:epcglobal:cbv:mda";
    let mut lot = None;
    let mut expiry = None;
    for element in event.ilmd.iter().flatten() {
        // XML writes the namespace bare, the JSON-LD context with a trailing colon.
        if element.name.namespace.trim_end_matches(':') != CBV_MDA {
            continue;
        }
        let Some(text) = Content::text(&element.content) else { continue };
        match element.name.local.as_str() {
            "lotNumber" => lot = Some(text.into_owned()),
            "itemExpirationDate" => expiry = Some(text.into_owned()),
            _ => {}
        }
    }
    (lot, expiry)
}

/// The states as they will be after the changes decided so far for this event.
struct Overlay<'a, V> {
    base: &'a V,
    index: BTreeMap<Key, usize>,
    changes: Vec<(Key, Change)>,
}

impl<V: StateView> Overlay<'_, V> {
    fn put(&mut self, key: Key, state: SerialState) {
        if let Some(&at) = self.index.get(&key) {
            let change = &mut self.changes[at].1;
            *change = match change {
                Change::Create(_) => Change::Create(state),
                Change::Update(_) => Change::Update(state),
            };
        } else {
            let change = if self.base.state(&key).is_some() {
                Change::Update(state)
            } else {
                Change::Create(state)
            };
            self.index.insert(key.clone(), self.changes.len());
            self.changes.push((key, change));
        }
    }
}

impl<V: StateView> StateView for Overlay<'_, V> {
    fn state(&self, key: &Key) -> Option<&SerialState> {
        match self.index.get(key) {
            Some(&at) => Some(self.changes[at].1.state()),
            None => self.base.state(key),
        }
    }

    fn children(&self, key: &Key) -> Vec<Key> {
        let mut children: BTreeSet<Key> = self
            .base
            .children(key)
            .into_iter()
            .filter(|child| !self.index.contains_key(child))
            .collect();
        for (child, change) in &self.changes {
            if change.state().parent.as_ref() == Some(key) {
                children.insert(child.clone());
            }
        }
        children.into_iter().collect()
    }
}

struct Ctx<'a, V> {
    ledger: Overlay<'a, V>,
    event: &'a Event,
    event_id: &'a str,
    time: Timestamp,
    violations: Vec<Violation>,
    superseded: Vec<Key>,
}

impl<V: StateView> Ctx<'_, V> {
    fn finish(self) -> Outcome {
        Outcome {
            changes: self.ledger.changes,
            violations: self.violations,
            superseded: self.superseded,
        }
    }

    /// Records a violation; `evidence` are earlier events, this event is added last.
    fn violate(
        &mut self,
        kind: ViolationKind,
        message: String,
        epcs: Vec<String>,
        mut evidence: Vec<String>,
    ) {
        evidence.retain(|id| id != self.event_id);
        evidence.push(self.event_id.to_owned());
        self.violations.push(Violation::new(kind, message, epcs, evidence));
    }

    fn biz_location(&self) -> Option<&str> {
        self.event.biz_location.as_ref().map(|l| l.id.as_str())
    }

    /// The record of `key` if the event may change it: reports an unknown identifier, and
    /// lists a late one as superseded.
    fn current(&mut self, key: &Key, epc: &str) -> Option<SerialState> {
        let state = self.known(key, epc)?.clone();
        if self.time < state.last_event_time {
            self.superseded.push(key.clone());
            return None;
        }
        Some(state)
    }

    fn known(&mut self, key: &Key, epc: &str) -> Option<&SerialState> {
        if self.ledger.state(key).is_none() {
            self.violate(
                ViolationKind::NeverCommissioned,
                format!("{epc} was never commissioned but event {} names it", self.event_id),
                vec![epc.to_owned()],
                Vec::new(),
            );
            return None;
        }
        self.ledger.state(key)
    }

    /// `state` with this event's common effects: time, location, persistent dispositions.
    fn touched(&self, mut state: SerialState) -> SerialState {
        state.last_event_time = self.time;
        state.last_event = self.event_id.to_owned();
        if let Some(location) = self.biz_location() {
            state.location = Some(location.to_owned());
        }
        if let Some(persistent) = &self.event.persistent_disposition {
            for value in &persistent.unset {
                state.persistent_dispositions.remove(&*cbv::to_bare(Vocab::Disposition, value));
            }
            for value in &persistent.set {
                state
                    .persistent_dispositions
                    .insert(cbv::to_bare(Vocab::Disposition, value).into_owned());
            }
        }
        state
    }

    fn commission(&mut self, key: Key, epc: &str) {
        if let Some(existing) = self.ledger.state(&key) {
            let first = existing.commissioned_event.clone();
            self.violate(
                ViolationKind::CommissionedTwice,
                format!(
                    "{epc} was commissioned by event {first} and again by event {}",
                    self.event_id
                ),
                vec![epc.to_owned()],
                vec![first],
            );
            return;
        }
        let (lot, expiry) = lot_and_expiry(self.event);
        let state = SerialState {
            status: Status::Commissioned,
            parent: None,
            location: None,
            owner: None,
            lot,
            expiry,
            commissioned_event: self.event_id.to_owned(),
            status_time: Some(self.time),
            last_event_time: self.time,
            last_event: self.event_id.to_owned(),
            persistent_dispositions: BTreeSet::new(),
            undo: None,
        };
        let state = self.touched(state);
        self.ledger.put(key, state);
    }

    fn observe(&mut self, key: Key, epc: &str, step: Step) {
        let Some(own) = self.current(&key, epc) else { return };
        let Some(now) = effective(&self.ledger, &key) else { return };
        let illegal = |kind: ViolationKind, what: &str| {
            (kind, format!("{epc} is {} but event {} {what} it", now.status.name(), self.event_id))
        };
        let mut next = own.clone();
        let refused = match (step, now.status) {
            (Step::Ship, Status::Decommissioned(_)) => {
                Some(illegal(ViolationKind::ShipDecommissioned, "ships"))
            }
            (Step::Ship, Status::Dispensed) => Some(illegal(ViolationKind::ShipDispensed, "ships")),
            (Step::Ship, _) => {
                next.status = Status::InTransit;
                None
            }
            (Step::Receive, Status::InTransit) => {
                next.status = Status::Received;
                next.owner = self.owning_party().or(now.owner.clone());
                None
            }
            (Step::Receive, _) => Some(illegal(ViolationKind::ReceiveWithoutShip, "receives")),
            (Step::Dispense, Status::Dispensed) => {
                Some(illegal(ViolationKind::DispenseTwice, "dispenses"))
            }
            (Step::Dispense, Status::Decommissioned(_)) => {
                Some(illegal(ViolationKind::DispenseDecommissioned, "dispenses"))
            }
            (Step::Dispense, before) => {
                next.status = Status::Dispensed;
                next.undo = Some(self.undo_window(before));
                None
            }
            (Step::Decommission(_), Status::Dispensed | Status::Decommissioned(_)) => {
                Some(illegal(ViolationKind::DecommissionTwice, "decommissions"))
            }
            (Step::Decommission(reason), before) => {
                next.status = Status::Decommissioned(reason);
                next.undo = match reason {
                    DecommissionReason::Stolen | DecommissionReason::Destroyed => None,
                    _ => Some(self.undo_window(before)),
                };
                None
            }
            (Step::Reactivate, Status::Dispensed | Status::Decommissioned(_)) => {
                match self.undo_refused(&now.status, now.undo.as_ref()) {
                    Some((kind, why)) => Some((
                        kind,
                        format!(
                            "{epc} is {} and event {} cannot re-activate it: {why}",
                            now.status.name(),
                            self.event_id
                        ),
                    )),
                    None => {
                        next.status =
                            now.undo.as_ref().map_or(Status::Received, |undo| undo.status_before);
                        next.undo = None;
                        None
                    }
                }
            }
            (Step::Reactivate | Step::Other, _) => None,
        };
        if let Some((kind, message)) = refused {
            let evidence = vec![self.last_event_of(&now.source)];
            self.violate(kind, message, vec![epc.to_owned()], evidence);
            return;
        }
        if next.status != own.status {
            next.status_time = Some(self.time);
            if !matches!(next.status, Status::Dispensed | Status::Decommissioned(_)) {
                next.undo = None;
            }
        }
        let next = self.touched(next);
        self.ledger.put(key, next);
    }

    fn undo_window(&self, status_before: Status) -> UndoWindow {
        UndoWindow {
            decommissioned_time: self.time,
            location: self.biz_location().map(str::to_owned),
            status_before,
        }
    }

    /// Why EU FMD refuses this undo, if it does.
    fn undo_refused(
        &self,
        status: &Status,
        undo: Option<&UndoWindow>,
    ) -> Option<(ViolationKind, String)> {
        if matches!(
            status,
            Status::Decommissioned(DecommissionReason::Stolen | DecommissionReason::Destroyed)
        ) {
            return Some((ViolationKind::UndoForbidden, "stolen and destroyed are final".into()));
        }
        let Some(undo) = undo else {
            return Some((ViolationKind::UndoOutsideWindow, "no undo window is recorded".into()));
        };
        if undo.location.as_deref() != self.biz_location() {
            return Some((
                ViolationKind::UndoOutsideWindow,
                format!(
                    "it was decommissioned at {} and an undo must happen at the same location",
                    undo.location.as_deref().unwrap_or("an unknown location")
                ),
            ));
        }
        let locked = *status == Status::Decommissioned(DecommissionReason::Locked);
        let elapsed_ms = self.time.unix_millis.saturating_sub(undo.decommissioned_time.unix_millis);
        if !locked && elapsed_ms > UNDO_WINDOW_MS {
            return Some((
                ViolationKind::UndoOutsideWindow,
                format!(
                    "it was decommissioned at {}, more than 10 days before",
                    undo.decommissioned_time.to_utc_millis_string()
                ),
            ));
        }
        None
    }

    fn owning_party(&self) -> Option<String> {
        self.event
            .destination_list
            .iter()
            .find(|d| {
                cbv::classify(Vocab::SourceDestType, &d.type_) == Term::Standard("owning_party")
            })
            .map(|d| d.value.clone())
    }

    fn last_event_of(&self, key: &Key) -> String {
        self.ledger.state(key).map(|s| s.last_event.clone()).unwrap_or_default()
    }

    fn pack(&mut self, parent_epc: &str) {
        let parent = Key::new(parent_epc);
        let parent_state = match self.ledger.state(&parent) {
            Some(existing) if self.time < existing.last_event_time => {
                self.superseded.push(parent.clone());
                return;
            }
            Some(existing) => existing.clone(),
            None => SerialState {
                status: Status::Commissioned,
                parent: None,
                location: None,
                owner: None,
                lot: None,
                expiry: None,
                commissioned_event: self.event_id.to_owned(),
                status_time: None,
                last_event_time: self.time,
                last_event: self.event_id.to_owned(),
                persistent_dispositions: BTreeSet::new(),
                undo: None,
            },
        };
        let parent_state = self.touched(parent_state);
        self.ledger.put(parent.clone(), parent_state);
        let ancestors = self.ancestors(&parent);
        for (child, epc) in identifiers(&self.event.epc_list) {
            if child == parent || ancestors.contains(&child) {
                self.violate(
                    ViolationKind::AggregationCycle,
                    format!(
                        "event {} packs {epc} into {parent_epc}, which {}",
                        self.event_id,
                        if child == parent { "is itself" } else { "is inside it" }
                    ),
                    vec![epc.to_owned(), parent_epc.to_owned()],
                    Vec::new(),
                );
                continue;
            }
            let Some(mut state) = self.current(&child, epc) else { continue };
            match &state.parent {
                Some(current) if *current == parent => continue,
                Some(current) => {
                    let message = format!(
                        "event {} packs {epc} into {parent_epc} but it is already in {current}",
                        self.event_id
                    );
                    let evidence = vec![state.last_event.clone()];
                    self.violate(
                        ViolationKind::ChildInTwoParents,
                        message,
                        vec![epc.to_owned(), parent_epc.to_owned()],
                        evidence,
                    );
                    continue;
                }
                None => {}
            }
            state.parent = Some(parent.clone());
            let state = self.touched(state);
            self.ledger.put(child, state);
        }
    }

    /// `key`'s containers, innermost first, bounded by `NESTING_DEPTH_MAX`.
    fn ancestors(&self, key: &Key) -> Vec<Key> {
        let mut out = Vec::new();
        let mut at = self.ledger.state(key).and_then(|s| s.parent.clone());
        while let Some(parent) = at {
            if out.len() == NESTING_DEPTH_MAX || out.contains(&parent) {
                break;
            }
            at = self.ledger.state(&parent).and_then(|s| s.parent.clone());
            out.push(parent);
        }
        out
    }

    fn unpack(&mut self, parent_epc: &str) {
        let parent = Key::new(parent_epc);
        let listed = identifiers(&self.event.epc_list);
        let children: Vec<(Key, String)> = if listed.is_empty() {
            self.ledger
                .children(&parent)
                .into_iter()
                .map(|key| {
                    let epc = key.as_str().to_owned();
                    (key, epc)
                })
                .collect()
        } else {
            listed.into_iter().map(|(key, epc)| (key, epc.to_owned())).collect()
        };
        for (child, epc) in children {
            let Some(state) = self.current(&child, &epc) else { continue };
            if state.parent.as_ref() != Some(&parent) {
                let where_ = match &state.parent {
                    Some(other) => format!("it is in {other}"),
                    None => "it is not packed".to_owned(),
                };
                let evidence = vec![state.last_event.clone()];
                self.violate(
                    ViolationKind::UnpackNotPacked,
                    format!("event {} unpacks {epc} from {parent_epc} but {where_}", self.event_id),
                    vec![epc.clone(), parent_epc.to_owned()],
                    evidence,
                );
                continue;
            }
            // Invariant: the child leaves with the state its containers gave it, so that
            // nothing it inherited is lost when the parent relation goes.
            let Some(now) = effective(&self.ledger, &child) else { continue };
            let mut next = state;
            next.parent = None;
            next.status = now.status;
            next.location = now.location;
            next.owner = now.owner;
            next.status_time = now.status_time;
            next.undo = now.undo;
            let next = self.touched(next);
            self.ledger.put(child, next);
        }
        if let Some(parent_state) = self.ledger.state(&parent).cloned() {
            if self.time >= parent_state.last_event_time {
                let parent_state = self.touched(parent_state);
                self.ledger.put(parent, parent_state);
            }
        }
    }
}

#[cfg(test)]
mod tests;
