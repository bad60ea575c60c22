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
//! - `TransformationEvent`: each input (`inputEPCList`) ends, decommissioned as `transformed`
//!   (never undone) and taken out of its container; a dispensed or decommissioned input is
//!   `transform_unavailable`, one of a recalled or withdrawn lot or expired is refused as a
//!   shipment of it would be. Each output (`outputEPCList`) is commissioned with the event's
//!   ILMD, as an `ADD` would. Lots among inputs and outputs are touched like any lot.
//! - `AssociationEvent` changes no lifecycle state; the trade items and logistic units it
//!   names must be known (its parent is usually an asset, which is not).
//! - Lots: an LGTIN (`urn:epc:class:lgtin:`, or a Digital Link with AI 10 and no serial) in
//!   `epcList` or as a `quantityList` class names a lot record, created on first mention and
//!   never commissioned; it holds lot-level persistent dispositions (`recalled`, and
//!   `withdrawn`, the EU FMD batch status, bare or as an extension URI's last segment). A
//!   unit's lot is the `lotNumber` of its commissioning ILMD, its expiry the
//!   `itemExpirationDate`.
//! - SSCCs: a logistic unit's life ends when it is shipped, received or unpacked to empty.
//!   Commissioning its SSCC again, or packing into it again while it is empty, starts a new
//!   life: the old contents are taken out (keeping their state) and the record restarts;
//!   `sscc_reused` is reported when the previous unit was shipped less than 365 days before
//!   (GS1 counts the year from the shipment date), or, never shipped, when its life started
//!   less than 365 days before.
//!
//! The rules besides the transitions above: a shipment keeps the destination it named
//! (`owning_party` and `location` destinations) on the shipped record, and the receipt is
//! compared with it (`receipt_by_other_party`); an event giving a lot or expiry (ILMD, or the
//! lot of a Digital Link) is compared with commissioning (`lot_mismatch`, `expiry_mismatch`);
//! shipping a container walks its contents (depth bounded by `NESTING_DEPTH_MAX`, a read per
//! child) and names each dispensed or decommissioned child (`ship_unavailable_content`) and
//! each unit of a recalled or withdrawn lot and each expired unit; shipping, dispensing or
//! transforming a unit of a recalled lot is `recalled_lot`, of a withdrawn lot `withdrawn_lot`, and after its
//! expiry date (compared with the event's date in its own time zone) `expired`, except a
//! shipment with disposition `returned`, `recalled` or `expired` (the return a recall or an
//! expiry asks for). Batch-level recalled, withdrawn and expired are never undone: re-activating
//! such a pack is `undo_forbidden` (EU FMD).
//!
//! **Error declarations.** An event with `errorDeclaration` says the event it repeats did not
//! happen as recorded: `apply` changes nothing for it, and `reverse` rebuilds the records the
//! declared event touched from their other events, so that corrective events apply to the
//! state as it would have been.
//!
//! A violation leaves that identifier's record unchanged: the ledger keeps the last legal state,
//! and the event itself is still stored by the caller with its violations as evidence.
//! Findings about the data rather than the transition are reported and the event still applies,
//! because the goods are where the event says: `event_in_future`, `receipt_by_other_party`,
//! `lot_mismatch`, `expiry_mismatch`, `sscc_reused` (the new life starts), and the findings on a
//! shipped container's contents (refusing the container would strand every legal pack in it).
//!
//! **Late and out-of-order events.** The ledger applies events in capture order, and each
//! record keeps the time of the latest event applied to it. An event older than that
//! (`eventTime` before the record's `last_event_time`) is late for that identifier: it changes
//! nothing on the record and raises no rule against it, because the rules judge the current
//! state and a late event happened before it; the identifier is listed in
//! `Outcome::superseded`, so nothing is dropped silently (the event itself is stored, and a
//! history query orders by `eventTime`). Equal times apply in capture order. The result depends
//! only on the capture order and the events, never on the wall clock.

use std::collections::BTreeSet;

use serialhub_epcis::cbv::{self, Term, Vocab};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Action, Content, Event, EventType};

use crate::exception::{Violation, ViolationKind};
use crate::state::{
    DecommissionReason, EventRef, Key, NESTING_DEPTH_MAX, SerialState, Shipment, Shipped,
    StateView, Status, Text, UndoWindow, effective,
};

/// How far an event time may be ahead of the capture time before it counts as in the future:
/// the clocks of packaging lines and scanners drift.
pub const EVENT_TIME_AHEAD_MS_MAX: i64 = 5 * 60 * 1000;

/// The EU FMD undo window (Delegated Regulation 2016/161, Article 13): 10 days.
pub const UNDO_WINDOW_MS: i64 = 10 * 24 * 60 * 60 * 1000;

/// How long an SSCC's life must have lasted before its code may label a new logistic unit:
/// 365 days (GS1 General Specifications: an SSCC is not reallocated within a year).
pub const SSCC_REUSE_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// The canonical Digital Link stem every `Key` of a GS1 identifier starts with.
const DL_STEM: &str = "https://id.gs1.org/";

/// One state change to persist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new record: the store has none for the key.
    Create(SerialState),
    /// The new value of an existing record.
    Update(SerialState),
    /// The existing record goes: the error declaration of the event that created it was
    /// captured (`reverse`). `apply` never removes.
    Remove,
}

impl Change {
    /// The record after the change; `None` when it is removed.
    pub fn state(&self) -> Option<&SerialState> {
        match self {
            Change::Create(state) | Change::Update(state) => Some(state),
            Change::Remove => None,
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
///
/// An error declaration (an event with `errorDeclaration`) says that the event it repeats did
/// not happen as recorded; it is not a new occurrence, so it changes nothing here and breaks no
/// rule (applying it would commission or ship the same goods a second time).
/// Taking the declared event's effects back needs the history of the records it touched,
/// which stores hold: `reverse` does it, and the capture pipeline calls it for declarations.
pub fn apply(view: &impl StateView, event: &Event, event_id: &str, now: Timestamp) -> Outcome {
    if event.error_declaration.is_some() {
        return Outcome::default();
    }
    let mut ctx = Ctx {
        ledger: Overlay { base: view, index: crate::FxHashMap::default(), changes: Vec::new() },
        event,
        event_id,
        event_ref: EventRef::from(event_id),
        location: event.biz_location.as_ref().map(|l| Text::from(l.id.as_str())),
        ilmd: {
            let (lot, expiry) = lot_and_expiry(event);
            (lot.map(Text::from), expiry.map(Text::from))
        },
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
            let (lots, items) = split_lots(event);
            for (key, _) in lots {
                ctx.lot_event(key);
            }
            for (key, epc) in items {
                ctx.commission(key, epc);
            }
        }
        (Some(EventType::ObjectEvent), Some(action @ (Action::Observe | Action::Delete))) => {
            let step = step_of(event, action);
            let (lots, items) = split_lots(event);
            for (key, _) in lots {
                ctx.lot_event(key);
            }
            for (key, epc) in items {
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
        (Some(EventType::TransformationEvent), _) => {
            // Inputs first: a repackaging that reuses an input's code for its output (rare, but
            // legal for lots) ends the input before the output begins.
            let (lots, inputs) = split_lots(event);
            for (key, _) in lots {
                ctx.lot_event(key);
            }
            for (key, epc) in inputs {
                ctx.consume(key, epc);
            }
            let classes = event.output_quantity_list.iter().map(|q| &q.epc_class);
            let (lots, outputs): (Identifiers<'_>, Identifiers<'_>) =
                identifiers(event.output_epc_list.iter().chain(classes))
                    .into_iter()
                    .partition(|(key, _)| is_lot(key));
            for (key, _) in lots {
                ctx.lot_event(key);
            }
            for (key, epc) in outputs {
                ctx.commission(key, epc);
            }
        }
        (Some(EventType::AssociationEvent), _) => {
            // An association (a sensor or a returnable asset attached to goods) changes no
            // lifecycle state. The goods it names must be known; the parent is usually an asset
            // (GIAI, GRAI) that no commissioning creates, so only a trade item or logistic unit
            // parent is checked.
            let parent = event.parent_id.iter().filter(|p| is_serialized(&Key::new(p)));
            for (key, epc) in identifiers(event.epc_list.iter().chain(parent)) {
                if is_serialized(&key) {
                    ctx.known(&key, epc);
                }
            }
        }
        _ => {}
    }
    ctx.finish()
}

/// The changes that take back what events declared in error did to the records of `keys`
/// (the identifiers the declared event named), seen in `current`.
///
/// Each record is rebuilt by replaying, on an empty ledger and in capture order, `history`:
/// the other events naming those identifiers, the containers they were ever packed in, the
/// contents of those containers, and their lots, without the declared events and without error
/// declarations (the caller gathers and filters them; see `serialhub_store::declare`). The
/// replay's violations were reported when those events were captured: they are dropped here.
///
/// A record the replay does not create is removed, so that a corrective commissioning can
/// follow, but only when one of the `declared` events created it (compared by the ID records
/// keep, an `eventID` when the event has one, which stores do not hold unique); otherwise the
/// history given was short of what made the record, and the record is left as it is rather
/// than lost. Only `keys` are rebuilt: give every identifier whose whole history is in
/// `history`.
pub fn reverse<'e>(
    current: &impl StateView,
    keys: &[Key],
    history: impl IntoIterator<Item = (&'e Event, &'e str)>,
    declared: &std::collections::HashSet<&str>,
    now: Timestamp,
) -> Vec<(Key, Change)> {
    let mut replay = crate::MemoryLedger::default();
    for (event, event_id) in history {
        if event.error_declaration.is_some() {
            continue;
        }
        let outcome = apply(&replay, event, event_id, now);
        replay.commit(&outcome);
    }
    let mut seen = BTreeSet::new();
    let mut changes = Vec::new();
    for key in keys {
        if !seen.insert(key) {
            continue;
        }
        let change = match (current.state(key), replay.state(key)) {
            (Some(now), Some(rebuilt)) if now != rebuilt => Change::Update(rebuilt.clone()),
            (Some(now), None) if declared.contains(&*now.commissioned_event) => Change::Remove,
            (None, Some(rebuilt)) => Change::Create(rebuilt.clone()),
            _ => continue,
        };
        changes.push((key.clone(), change));
    }
    changes
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
            // Transformed is the transformation event's own, never a disposition's.
            if let Some(reason) = DecommissionReason::from_name(name)
                .filter(|r| *r != DecommissionReason::Transformed)
            {
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
fn identifiers<'a>(list: impl IntoIterator<Item = &'a String>) -> Identifiers<'a> {
    let mut out = Vec::new();
    let mut by_hash = crate::FxHashMap::default();
    for epc in list {
        crate::push_unique(&mut out, &mut by_hash, (Key::new(epc), epc.as_str()), |(key, _)| key);
    }
    out
}

/// Identifiers with their keys, as `identifiers` returns them.
type Identifiers<'a> = Vec<(Key, &'a str)>;

/// The event's lot identifiers (an LGTIN class or a Digital Link with a lot and no serial, in
/// `epcList` or as a `quantityList` class) apart from its other identifiers.
fn split_lots(event: &Event) -> (Identifiers<'_>, Identifiers<'_>) {
    let classes = event.quantity_list.iter().map(|q| &q.epc_class);
    identifiers(event.epc_list.iter().chain(classes)).into_iter().partition(|(key, _)| is_lot(key))
}

/// Whether `key` is a lot: `https://id.gs1.org/01/<gtin>/10/<lot>` and nothing after.
fn is_lot(key: &Key) -> bool {
    key.as_str()
        .strip_prefix(DL_STEM)
        .and_then(|rest| rest.strip_prefix("01/"))
        .and_then(|rest| rest.get(14..))
        .and_then(|rest| rest.strip_prefix("/10/"))
        .is_some_and(|lot| !lot.is_empty() && !lot.contains('/'))
}

/// The key of the lot `lot` of the serialized unit `unit`, if `unit` is an SGTIN: where the
/// lot's own record (recalls) lives, and what lot queries group units by.
pub fn lot_key_of(unit: &Key, lot: &str) -> Option<Key> {
    let gtin = gtin_of_unit(unit)?;
    if !lot.is_empty() && lot.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // The common case, and already canonical: skip the parse `Key::new` would do (it
        // was a tenth of capture time, once per unit shipped or dispensed).
        let key = Key::from_canonical(format!("{DL_STEM}01/{gtin}/10/{lot}"));
        debug_assert_eq!(key, Key::new(key.as_str()));
        return Some(key);
    }
    let mut link = format!("{DL_STEM}01/{gtin}/10/");
    for byte in lot.bytes() {
        // Percent-encode all but URI unreserved characters; `Key::new` canonicalises the rest,
        // so this lands on the same key as the LGTIN class of the lot.
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            link.push(char::from(byte));
        } else {
            link.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(Key::new(&link))
}

/// The lot a Digital Link identifier carries as its AI 10 path segment, percent-decoded.
fn digital_link_lot(epc: &str) -> Option<String> {
    if !epc.starts_with("http") {
        return None;
    }
    let path = epc.split(['?', '#']).next().unwrap_or(epc);
    let mut segments = path.split('/');
    segments.find(|s| *s == "10" || *s == "lot")?;
    let raw = segments.next()?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[at], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The expiry date a Digital Link identifier carries as its AI 17 query attribute
/// (`?17=YYMMDD`), as `YYYY-MM-DD`, or `YYYY-MM` when the day is `00` (the end of the month,
/// GS1 General Specifications 3.4.6). The century is 20 for YY up to 50 and 19 after (a pack's
/// expiry is never half a century away).
fn digital_link_expiry(epc: &str) -> Option<String> {
    if !epc.starts_with("http") {
        return None;
    }
    let query = epc.split('#').next()?.split_once('?')?.1;
    let value = query.split('&').find_map(|pair| pair.strip_prefix("17="))?;
    let digits = value.as_bytes();
    if digits.len() != 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let century = if value[..2] <= *"50" { "20" } else { "19" };
    let (yy, mm, dd) = (&value[..2], &value[2..4], &value[4..6]);
    Some(if dd == "00" {
        format!("{century}{yy}-{mm}")
    } else {
        format!("{century}{yy}-{mm}-{dd}")
    })
}

/// Whether `key` is an SSCC (a logistic unit, whose code is reusable after a year).
fn is_sscc(key: &Key) -> bool {
    key.as_str().strip_prefix(DL_STEM).is_some_and(|rest| rest.starts_with("00/"))
}

/// Whether `key` is what the ledger tracks a life for: a serialized trade item (SGTIN) or a
/// logistic unit (SSCC), not an asset or a location.
fn is_serialized(key: &Key) -> bool {
    is_sscc(key)
        || key
            .as_str()
            .strip_prefix(DL_STEM)
            .and_then(|rest| rest.strip_prefix("01/"))
            .and_then(|rest| rest.get(14..))
            .is_some_and(|rest| rest.starts_with("/21/"))
}

/// Whether a logistic unit's current life is over: it was shipped or received (or left the
/// chain), or unpacked to empty. Its SSCC may then label a new unit (`Ctx::new_life`).
fn life_over(state: &SerialState) -> bool {
    state.emptied
        || matches!(
            state.status,
            Status::InTransit | Status::Received | Status::Dispensed | Status::Decommissioned(_)
        )
}

/// `lotNumber` and `itemExpirationDate` from the event's ILMD (CBV master data attributes);
/// the last of each when an event repeats one.
pub fn lot_and_expiry(event: &Event) -> (Option<String>, Option<String>) {
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
    /// Hashed, not ordered: an event on a case of fifty packs looks its overlay up for each,
    /// and ordered lookups compared long keys (`perf`).
    index: crate::FxHashMap<Key, usize>,
    changes: Vec<(Key, Change)>,
}

impl<V: StateView> Overlay<'_, V> {
    fn put(&mut self, key: Key, state: SerialState) {
        if let Some(&at) = self.index.get(&key) {
            let change = &mut self.changes[at].1;
            *change = match change {
                Change::Create(_) => Change::Create(state),
                // `apply` never removes, so an overlay holds no removal to overwrite.
                Change::Update(_) | Change::Remove => Change::Update(state),
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
            Some(&at) => self.changes[at].1.state(),
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
            if change.state().and_then(|s| s.parent.as_ref()) == Some(key) {
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
    /// `event_id`, shared by every record the event touches.
    event_ref: EventRef,
    /// The event's `bizLocation`, shared likewise.
    location: Option<Text>,
    /// The lot number and expiry date of the event's ILMD, shared likewise.
    ilmd: (Option<Text>, Option<Text>),
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
        // One lookup, not `known`'s two: the copy ends the borrow.
        let Some(state) = self.ledger.state(key).cloned() else {
            self.never_commissioned(epc);
            return None;
        };
        if self.time < state.last_event_time {
            self.superseded.push(key.clone());
            return None;
        }
        Some(state)
    }

    fn known(&mut self, key: &Key, epc: &str) -> Option<&SerialState> {
        if self.ledger.state(key).is_none() {
            self.never_commissioned(epc);
            return None;
        }
        self.ledger.state(key)
    }

    fn never_commissioned(&mut self, epc: &str) {
        self.violate(
            ViolationKind::NeverCommissioned,
            format!("{epc} was never commissioned but event {} names it", self.event_id),
            vec![epc.to_owned()],
            Vec::new(),
        );
    }

    /// `state` with this event's common effects: time, location, persistent dispositions.
    fn touched(&self, mut state: SerialState) -> SerialState {
        state.last_event_time = self.time;
        state.last_event = self.event_ref.clone();
        if let Some(location) = &self.location {
            state.location = Some(location.clone());
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

    /// A record this event creates: no status time (the caller sets one if the event gives
    /// the identifier a status), no parent, no lot.
    fn new_record(&self) -> SerialState {
        SerialState {
            status: Status::Commissioned,
            parent: None,
            location: None,
            owner: None,
            lot: None,
            expiry: None,
            commissioned_event: self.event_ref.clone(),
            status_time: None,
            last_event_time: self.time,
            last_event: self.event_ref.clone(),
            persistent_dispositions: BTreeSet::new(),
            undo: None,
            packed_event: None,
            shipment: None,
            life_started: self.time,
            shipped: None,
            emptied: false,
        }
    }

    /// An event naming a lot (LGTIN): the lot's record holds lot-level persistent
    /// dispositions (`recalled`), created on first mention; lots are not commissioned.
    fn lot_event(&mut self, key: Key) {
        let state = match self.ledger.state(&key) {
            Some(existing) if self.time < existing.last_event_time => {
                self.superseded.push(key);
                return;
            }
            Some(existing) => existing.clone(),
            None => {
                let mut state = self.new_record();
                state.lot = digital_link_lot(key.as_str()).map(Text::from);
                state
            }
        };
        let state = self.touched(state);
        self.ledger.put(key, state);
    }

    /// An SSCC labels a new logistic unit: reports `sscc_reused` when the previous unit was
    /// shipped less than a year ago (GS1 General Specifications: an SSCC is not reallocated
    /// within one year of the shipment date), or, never shipped, when its life started less
    /// than a year ago; and takes the previous unit's contents out of it (they keep the state
    /// they had), so the new unit starts empty.
    fn new_life(&mut self, key: &Key, epc: &str, previous: &SerialState) {
        let (since, what, evidence) = match &previous.shipped {
            Some(shipped) => (shipped.time, "was shipped by", &shipped.event),
            None => (previous.life_started, "started its life with", &previous.commissioned_event),
        };
        let elapsed_ms = self.time.unix_millis.saturating_sub(since.unix_millis);
        if elapsed_ms < SSCC_REUSE_MS {
            self.violate(
                ViolationKind::SsccReused,
                format!(
                    "event {} uses {epc} for a new logistic unit but the previous unit {what} \
                     event {evidence} at {}, less than 365 days before",
                    self.event_id,
                    since.to_utc_millis_string()
                ),
                vec![epc.to_owned()],
                vec![evidence.to_string()],
            );
        }
        for child in self.ledger.children(key) {
            if let Some(state) = self.ledger.state(&child).cloned() {
                self.detach(child, state);
            }
        }
    }

    fn commission(&mut self, key: Key, epc: &str) {
        let reusable = self.ledger.state(&key).filter(|s| is_sscc(&key) && life_over(s)).cloned();
        if let Some(previous) = reusable {
            self.new_life(&key, epc, &previous);
        } else if let Some(existing) = self.ledger.state(&key) {
            let first = existing.commissioned_event.clone();
            self.violate(
                ViolationKind::CommissionedTwice,
                format!(
                    "{epc} was commissioned by event {first} and again by event {}",
                    self.event_id
                ),
                vec![epc.to_owned()],
                vec![first.to_string()],
            );
            return;
        }
        let mut state = self.new_record();
        state.lot = self.ilmd.0.clone();
        state.expiry = self.ilmd.1.clone();
        state.status_time = Some(self.time);
        let state = self.touched(state);
        self.ledger.put(key, state);
    }

    fn observe(&mut self, key: Key, epc: &str, step: Step) {
        let Some(own) = self.current(&key, epc) else { return };
        let Some(now) = effective(&self.ledger, &key) else { return };
        self.check_lot_data(epc, &own);
        if matches!(step, Step::Ship | Step::Dispense)
            && !now.status.is_terminal()
            && !(step == Step::Ship && self.is_return_shipment())
        {
            let what = if step == Step::Ship { "ships" } else { "dispenses" };
            if self.unavailable(&key, &own, epc, what) {
                return;
            }
        }
        let illegal = |kind: ViolationKind, what: &str| {
            (kind, format!("{epc} is {} but event {} {what} it", now.status.name(), self.event_id))
        };
        let own_status = own.status;
        // `own` itself becomes the next record: each arm below changes it only after its
        // checks have read it.
        let mut next = own;
        let refused = match (step, now.status) {
            (Step::Ship, Status::Decommissioned(_)) => {
                Some(illegal(ViolationKind::ShipDecommissioned, "ships"))
            }
            (Step::Ship, Status::Dispensed) => Some(illegal(ViolationKind::ShipDispensed, "ships")),
            (Step::Ship, _) => {
                next.status = Status::InTransit;
                next.shipment = Some(Box::new(Shipment {
                    event: self.event_ref.clone(),
                    owner: self.owning_party(),
                    location: self.destination("location"),
                }));
                // Only an SSCC may label another unit (`new_life`): a unit shipped on its own
                // needs no second box.
                if is_sscc(&key) {
                    next.shipped =
                        Some(Box::new(Shipped { time: self.time, event: self.event_ref.clone() }));
                }
                None
            }
            (Step::Receive, Status::InTransit) => {
                next.status = Status::Received;
                next.owner = self.owning_party().map(Text::from).or(now.owner.clone());
                next.shipment = None;
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
                next.undo = Some(Box::new(self.undo_window(before)));
                None
            }
            (Step::Decommission(_), Status::Dispensed | Status::Decommissioned(_)) => {
                Some(illegal(ViolationKind::DecommissionTwice, "decommissions"))
            }
            (Step::Decommission(reason), before) => {
                next.status = Status::Decommissioned(reason);
                next.undo = (!reason.is_final()).then(|| Box::new(self.undo_window(before)));
                None
            }
            (Step::Reactivate, Status::Dispensed | Status::Decommissioned(_)) => {
                let refused = self.undo_refused(&now.status, now.undo.as_deref());
                match refused.or_else(|| self.undo_refused_for_lot(&key, &next)) {
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
        match (step, &now.shipment) {
            (Step::Receive, Some(shipment)) => self.check_receiver(epc, shipment),
            (Step::Ship, _) => self.check_contents(&key, epc),
            _ => {}
        }
        if next.status != own_status {
            next.status_time = Some(self.time);
            if !matches!(next.status, Status::Dispensed | Status::Decommissioned(_)) {
                next.undo = None;
            }
        }
        let next = self.touched(next);
        self.ledger.put(key, next);
    }

    /// Reports a unit of a recalled or withdrawn lot, or past its expiry, that event `what`s
    /// (ships, dispenses, transforms): unavailable for distribution. Returns whether it did.
    fn unavailable(&mut self, key: &Key, own: &SerialState, epc: &str, what: &str) -> bool {
        if let Some(LotBlock { kind, lot_key, status, lot_event }) = self.blocked_lot(key, own) {
            self.violate(
                kind,
                format!(
                    "{epc} belongs to lot {lot_key}, which is {status}, but event {} {what} it",
                    self.event_id
                ),
                vec![epc.to_owned(), lot_key.to_string()],
                vec![lot_event],
            );
            return true;
        }
        if let Some(expiry) = self.expired(own) {
            self.violate(
                ViolationKind::Expired,
                format!(
                    "{epc} expired on {expiry} (commissioned by event {}), but event {} \
                     {what} it on {}",
                    own.commissioned_event,
                    self.event_id,
                    self.event_date().unwrap_or_default()
                ),
                vec![epc.to_owned()],
                vec![own.commissioned_event.to_string()],
            );
            return true;
        }
        false
    }

    /// A transformation input: the pack (or container, with its contents) ends, decommissioned
    /// as transformed, and leaves its container; it must be available: not dispensed nor
    /// decommissioned, nor of a recalled or withdrawn lot, nor expired (EU FMD: a repackager
    /// verifies the original pack, which fails for these, before decommissioning it).
    fn consume(&mut self, key: Key, epc: &str) {
        let Some(own) = self.current(&key, epc) else { return };
        let Some(now) = effective(&self.ledger, &key) else { return };
        if now.status.is_terminal() {
            let evidence = vec![self.last_event_of(&now.source)];
            self.violate(
                ViolationKind::TransformUnavailable,
                format!("{epc} is {} but event {} transforms it", now.status.name(), self.event_id),
                vec![epc.to_owned()],
                evidence,
            );
            return;
        }
        if self.unavailable(&key, &own, epc, "transforms") {
            return;
        }
        // Not `check_lot_data`: the event's ILMD describes its outputs, not its inputs.
        let mut next = own;
        next.parent = None;
        next.packed_event = None;
        next.shipment = None;
        next.undo = None;
        next.owner = now.owner;
        next.location = now.location;
        next.status = Status::Decommissioned(DecommissionReason::Transformed);
        next.status_time = Some(self.time);
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
        if let Status::Decommissioned(reason) = status
            && reason.is_final()
        {
            let why = if *reason == DecommissionReason::Transformed {
                "a transformation consumed it".into()
            } else {
                "stolen and destroyed are final".into()
            };
            return Some((ViolationKind::UndoForbidden, why));
        }
        let Some(undo) = undo else {
            return Some((ViolationKind::UndoOutsideWindow, "no undo window is recorded".into()));
        };
        // The same site in any spelling (an SGLN, its Digital Link): a pharmacy's system and
        // the hub's API need not write it alike.
        let same_site = match (undo.location.as_deref(), self.biz_location()) {
            (Some(then), Some(now)) => {
                then == now
                    || serialhub_epcis::canonical_id(then) == serialhub_epcis::canonical_id(now)
            }
            (then, now) => then == now,
        };
        if !same_site {
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
        self.destination("owning_party")
    }

    /// The event's destination of the CBV type `type_`, in any spelling.
    fn destination(&self, type_: &str) -> Option<String> {
        self.event
            .destination_list
            .iter()
            .find(|d| cbv::classify(Vocab::SourceDestType, &d.type_) == Term::Standard(type_))
            .map(|d| d.value.clone())
    }

    /// Compares a receipt with the destination its shipment named: the owning party, and the
    /// location (the receipt's `location` destination, else its `bizLocation`). Only what both
    /// name is compared; the receipt still applies, because the product is where it is.
    fn check_receiver(&mut self, epc: &str, shipment: &Shipment) {
        let receiver_location =
            self.destination("location").or_else(|| self.biz_location().map(str::to_owned));
        let pairs = [
            ("owning party", &shipment.owner, self.owning_party()),
            ("location", &shipment.location, receiver_location),
        ];
        for (what, named, actual) in pairs {
            let (Some(named), Some(actual)) = (named, actual) else { continue };
            if *named == actual {
                continue;
            }
            self.violate(
                ViolationKind::ReceiptByOtherParty,
                format!(
                    "event {} receives {epc} with {what} {actual} but shipping event {} named \
                     {named}",
                    self.event_id, shipment.event
                ),
                vec![epc.to_owned()],
                vec![shipment.event.to_string()],
            );
        }
    }

    /// Compares the lot and expiry this event gives for a unit (ILMD, or the lot and expiry
    /// of a Digital Link: its AI 10 segment and AI 17 attribute) with what its commissioning
    /// recorded. Reported only: the event's lifecycle meaning does not depend on the data it
    /// contradicts.
    fn check_lot_data(&mut self, epc: &str, own: &SerialState) {
        let (ilmd_lot, ilmd_expiry) = lot_and_expiry(self.event);
        let lot = ilmd_lot.or_else(|| digital_link_lot(epc));
        let expiry = ilmd_expiry.or_else(|| digital_link_expiry(epc));
        let pairs = [
            (ViolationKind::LotMismatch, "lot", lot, &own.lot),
            (ViolationKind::ExpiryMismatch, "expiry", expiry, &own.expiry),
        ];
        for (kind, what, given, recorded) in pairs {
            let (Some(given), Some(recorded)) = (given, recorded) else { continue };
            // A Digital Link's `YYMM00` names the month: it matches any day of it.
            let same_month = given.len() == 7 && recorded.starts_with(&given);
            if given.as_str() == &**recorded || same_month {
                continue;
            }
            self.violate(
                kind,
                format!(
                    "event {} gives {epc} {what} {given} but commissioning event {} recorded \
                     {recorded}",
                    self.event_id, own.commissioned_event
                ),
                vec![epc.to_owned()],
                vec![own.commissioned_event.to_string()],
            );
        }
    }

    /// Whether this event ships goods back (disposition `returned`, `recalled` or `expired`):
    /// what a recall, a withdrawal or an expiry asks for, so no finding about the lot or the
    /// expiry date.
    fn is_return_shipment(&self) -> bool {
        self.event.disposition.as_deref().is_some_and(|d| {
            matches!(
                cbv::classify(Vocab::Disposition, d),
                Term::Standard("returned" | "recalled" | "expired")
            )
        })
    }

    /// The lot `key` (a unit with record `own`) belongs to, if that lot is recalled or
    /// withdrawn, with the latest event on the lot's record. Recalled wins over withdrawn.
    fn blocked_lot(&self, key: &Key, own: &SerialState) -> Option<LotBlock> {
        let lot_key = lot_key_of(key, own.lot.as_deref()?)?;
        let lot = self.ledger.state(&lot_key)?;
        let (kind, status) = lot_status(lot)?;
        Some(LotBlock { kind, lot_key, status, lot_event: lot.last_event.to_string() })
    }

    /// `blocked_lot`, answered from `memo` when it holds the same GTIN and lot (the lot
    /// record does not change while one event is checked), and remembered there otherwise.
    fn blocked_lot_remembered(
        &self,
        key: &Key,
        own: &SerialState,
        memo: &mut Option<LotMemo>,
    ) -> Option<LotBlock> {
        let (Some(gtin), Some(lot)) = (gtin_of_unit(key), own.lot.as_deref()) else {
            // No lot key either (`lot_key_of`): nothing to block.
            return None;
        };
        if let Some(memo) = memo.as_ref().filter(|m| m.gtin == gtin && m.lot == lot) {
            return memo.block.clone();
        }
        let block = self.blocked_lot(key, own);
        *memo = Some(LotMemo { gtin: gtin.to_owned(), lot: lot.to_owned(), block: block.clone() });
        block
    }

    /// The event's date as written (`YYYY-MM-DD`, in the event's own time zone).
    fn event_date(&self) -> Option<&str> {
        let date = self.event.event_time.get(..10)?;
        is_xsd_date(date).then_some(date)
    }

    /// The expiry date of a unit with record `own`, if this event is after it. An expiry is
    /// the last day the product may be used, so the day after is the first day it is expired;
    /// dates compare as text because both are `YYYY-MM-DD`. A date in another form (checked
    /// at validation) never counts as expired.
    fn expired<'s>(&self, own: &'s SerialState) -> Option<&'s str> {
        let expiry = own.expiry.as_deref().filter(|e| is_xsd_date(e))?;
        (self.event_date()? > expiry).then_some(expiry)
    }

    /// Why EU FMD refuses to re-activate `key` (record `own`) because of its lot or expiry:
    /// batch-level recalled, withdrawn and expired are never undone.
    fn undo_refused_for_lot(
        &self,
        key: &Key,
        own: &SerialState,
    ) -> Option<(ViolationKind, String)> {
        if let Some(block) = self.blocked_lot(key, own) {
            let why = format!("its lot {} is {}", block.lot_key, block.status);
            return Some((ViolationKind::UndoForbidden, why));
        }
        let expiry = self.expired(own)?;
        Some((ViolationKind::UndoForbidden, format!("it expired on {expiry}")))
    }

    /// Shipping a container: every child, at any depth (bounded by `NESTING_DEPTH_MAX`), must
    /// be shippable itself. Each offending child is reported; the container still ships,
    /// since refusing it would strand every legal pack in it.
    fn check_contents(&mut self, key: &Key, epc: &str) {
        let mut stack: Vec<(Key, usize)> =
            self.ledger.children(key).into_iter().rev().map(|c| (c, 1)).collect();
        let mut found = Vec::new();
        let returning = self.is_return_shipment();
        // The packs of a container mostly share one GTIN and lot: its record is read once.
        let mut last_lot: Option<LotMemo> = None;
        while let Some((child, depth)) = stack.pop() {
            if depth < NESTING_DEPTH_MAX {
                stack
                    .extend(self.ledger.children(&child).into_iter().rev().map(|c| (c, depth + 1)));
            }
            let Some(state) = self.ledger.state(&child) else { continue };
            if state.status.is_terminal() {
                found.push((
                    ViolationKind::ShipUnavailableContent,
                    format!(
                        "event {} ships {epc}, which holds {child}, and {child} is {}",
                        self.event_id,
                        state.status.name()
                    ),
                    child.clone(),
                    state.last_event.to_string(),
                ));
            } else if returning {
                continue;
            } else if let Some(LotBlock { kind, lot_key, status, lot_event }) =
                self.blocked_lot_remembered(&child, state, &mut last_lot)
            {
                found.push((
                    kind,
                    format!(
                        "event {} ships {epc}, which holds {child} of lot {lot_key}, which is \
                         {status}",
                        self.event_id
                    ),
                    child.clone(),
                    lot_event,
                ));
            } else if let Some(expiry) = self.expired(state) {
                found.push((
                    ViolationKind::Expired,
                    format!(
                        "event {} ships {epc}, which holds {child}, which expired on {expiry}",
                        self.event_id
                    ),
                    child.clone(),
                    state.commissioned_event.to_string(),
                ));
            }
        }
        for (kind, message, child, evidence) in found {
            self.violate(kind, message, vec![child.to_string(), epc.to_owned()], vec![evidence]);
        }
    }

    fn last_event_of(&self, key: &Key) -> String {
        self.ledger.state(key).map(|s| s.last_event.to_string()).unwrap_or_default()
    }

    fn pack(&mut self, parent_epc: &str) {
        let parent = Key::new(parent_epc);
        let parent_state = match self.ledger.state(&parent) {
            Some(existing) if self.time < existing.last_event_time => {
                self.superseded.push(parent.clone());
                return;
            }
            Some(existing) => existing.clone(),
            None => self.new_record(),
        };
        // The children are judged first: a packing that refuses every child it names leaves
        // the parent's record as it was (a violation changes nothing on what it names).
        let ancestors = self.ancestors(&parent);
        let mut accepted: Vec<(Key, SerialState)> = Vec::new();
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
                    let evidence =
                        vec![state.packed_event.as_deref().unwrap_or(&state.last_event).to_owned()];
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
            state.packed_event = Some(self.event_ref.clone());
            accepted.push((child, state));
        }
        if accepted.is_empty() && !self.event.epc_list.is_empty() {
            return;
        }
        // The first packing into an SSCC whose unit was shipped, received or emptied labels
        // a new logistic unit with it.
        let parent_state = if is_sscc(&parent)
            && *parent_state.commissioned_event != *self.event_id
            && life_over(&parent_state)
            && self.ledger.children(&parent).is_empty()
        {
            self.new_life(&parent, parent_epc, &parent_state);
            self.new_record()
        } else {
            parent_state
        };
        let mut parent_state = self.touched(parent_state);
        parent_state.emptied = false;
        self.ledger.put(parent, parent_state);
        for (child, state) in accepted {
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
        let listed_any = !listed.is_empty();
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
        let mut detached = 0;
        for (child, epc) in children {
            let Some(state) = self.current(&child, &epc) else { continue };
            if state.parent.as_ref() != Some(&parent) {
                let where_ = match &state.parent {
                    Some(other) => format!("it is in {other}"),
                    None => "it is not packed".to_owned(),
                };
                let evidence = vec![state.last_event.to_string()];
                self.violate(
                    ViolationKind::UnpackNotPacked,
                    format!("event {} unpacks {epc} from {parent_epc} but {where_}", self.event_id),
                    vec![epc.clone(), parent_epc.to_owned()],
                    evidence,
                );
                continue;
            }
            self.detach(child, state);
            detached += 1;
        }
        // An unpacking that took nothing out (every child refused) leaves the parent as it was.
        if detached == 0 && listed_any {
            return;
        }
        if let Some(parent_state) = self.ledger.state(&parent).cloned()
            && self.time >= parent_state.last_event_time
        {
            let mut parent_state = self.touched(parent_state);
            parent_state.emptied = self.ledger.children(&parent).is_empty();
            self.ledger.put(parent, parent_state);
        }
    }

    /// The latest shipment of a container above `key` at or after `since` (`key`'s own last
    /// event, its packing): an SSCC unpacked from a shipped pallet travelled with it, and the
    /// year before its label may be used again counts from that shipment (`new_life`).
    fn shipped_inside(&self, key: &Key, since: Timestamp) -> Option<Box<Shipped>> {
        let mut latest: Option<&Shipped> = None;
        let mut above = self.ledger.state(key)?.parent.clone();
        for _ in 0..NESTING_DEPTH_MAX {
            let Some(container) = above.take().and_then(|c| self.ledger.state(&c)) else {
                break;
            };
            if let Some(shipped) = container.shipped.as_deref()
                && shipped.time >= since
                && latest.is_none_or(|l| l.time < shipped.time)
            {
                latest = Some(shipped);
            }
            above = container.parent.clone();
        }
        latest.map(|shipped| Box::new(shipped.clone()))
    }

    /// Takes `child` (whose record is `state`) out of its container.
    fn detach(&mut self, child: Key, state: SerialState) {
        // Invariant: the child leaves with the state its containers gave it, so that nothing
        // it inherited is lost when the parent relation goes.
        let Some(now) = effective(&self.ledger, &child) else { return };
        let travelled =
            if is_sscc(&child) { self.shipped_inside(&child, state.last_event_time) } else { None };
        let mut next = state;
        if let Some(shipped) = travelled
            && next.shipped.as_ref().is_none_or(|own| own.time < shipped.time)
        {
            next.shipped = Some(shipped);
        }
        next.parent = None;
        next.packed_event = None;
        next.status = now.status;
        next.location = now.location;
        next.owner = now.owner;
        next.status_time = now.status_time;
        next.undo = now.undo;
        next.shipment = now.shipment;
        let next = self.touched(next);
        self.ledger.put(child, next);
    }
}

/// A lot that blocks distribution of its units, as `Ctx::blocked_lot` finds it.
#[derive(Clone)]
struct LotBlock {
    kind: ViolationKind,
    lot_key: Key,
    /// `recalled` or `withdrawn`, for messages.
    status: &'static str,
    /// The latest event on the lot's record (evidence).
    lot_event: String,
}

/// The last GTIN and lot `Ctx::blocked_lot_remembered` looked up, and what it found.
struct LotMemo {
    gtin: String,
    lot: String,
    block: Option<LotBlock>,
}

/// The GTIN of a serialized unit's key (`…/01/<GTIN>/21/…`), the part of its lot key that
/// comes from the unit; `None` for any other key, which has no lot key (`lot_key_of`).
fn gtin_of_unit(unit: &Key) -> Option<&str> {
    let rest = unit.as_str().strip_prefix(DL_STEM)?.strip_prefix("01/")?;
    let gtin = rest.get(..14)?;
    rest.get(14..)?.starts_with("/21/").then_some(gtin)
}

/// Whether a lot record blocks distribution: the persistent disposition `recalled`, or
/// `withdrawn` (not a CBV 2.0 term: the EU FMD batch status, written bare or as the last
/// segment of an extension URI such as `https://example.org/disp/withdrawn`).
pub fn lot_status(lot: &SerialState) -> Option<(ViolationKind, &'static str)> {
    let dispositions = &lot.persistent_dispositions;
    if dispositions.contains("recalled") {
        return Some((ViolationKind::RecalledLot, "recalled"));
    }
    dispositions
        .iter()
        .any(|d| d.rsplit(['/', ':', '#']).next() == Some("withdrawn"))
        .then_some((ViolationKind::WithdrawnLot, "withdrawn"))
}

/// Whether `text` is a date `YYYY-MM-DD` (digits and dashes in place: enough to compare two
/// of them as text).
fn is_xsd_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

#[cfg(test)]
mod tests;
