//! The lifecycle as data: the `Status` of a serialized unit or container, the `SerialState` the
//! ledger keeps per identifier, and how a packed child's state is read through its parents.
//!
//! Packed is not a status but a relation (`SerialState::parent`): an event on a container
//! changes the container's record only, and `effective` resolves what that means for everything
//! inside it. This keeps a pallet shipment one write however many packs it holds.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serialhub_epcis::time::Timestamp;

/// The canonical identifier of a unit, container or lot: one key for an EPC URI and every GS1
/// Digital Link of the same object (`serialhub_epcis::canonical_id`).
///
/// A key carries the hash of its text, taken once where the key is made (on the reading
/// thread, for an import): the deciding thread looks up each identifier several times per event
/// in maps of millions of keys, and hashing the 45-byte texts again at each lookup, and at each
/// doubling of a map, was a tenth of its time (`perf`, 1 M packs). It hashes as that one word,
/// so it cannot be looked up in a hash map by `&str`; it compares and orders as its text.
#[derive(Clone)]
pub struct Key {
    text: Box<str>,
    hash: u64,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        // The hash first: two different keys nearly always differ there, without reading the
        // texts behind their pointers.
        self.hash == other.hash && self.text == other.text
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key").field(&&*self.text).finish()
    }
}

impl Key {
    /// The key of an identifier written in any form the events use.
    pub fn new(identifier: &str) -> Key {
        Key::from_canonical(serialhub_epcis::canonical_id(identifier).into_owned())
    }

    /// A key from text that already is a key's canonical form (`as_str` of a `Key`), as stores
    /// read back what they wrote; it skips the parse `new` does.
    pub fn from_canonical(canonical: String) -> Key {
        let hash = Key::hash_of(&canonical);
        Key { text: canonical.into_boxed_str(), hash }
    }

    /// The 64-bit hash a key of this canonical text carries (`hash64`), for indexes keyed by
    /// it that meet the text without its key. Fx with a final mix: the same in every run of
    /// one build, but not a format: nothing may store it.
    pub fn hash_of(canonical: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&crate::fxhash::FxBuildHasher::default(), canonical)
    }

    /// The hash of the key's text, taken when the key was made (`hash_of`).
    pub fn hash64(&self) -> u64 {
        self.hash
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key of a code in any form the `gs1` crate reads, as a person or a scanner gives it:
    /// EPC URIs and Digital Links directly, element strings (`(01)...(21)...`) and scan data
    /// (`]d2...`) through their Digital Link. The error says why the code names no identifier.
    pub fn from_code(code: &str) -> Result<Key, String> {
        let code = code.trim();
        if code.starts_with("urn:") || code.starts_with("http://") || code.starts_with("https://") {
            return Ok(Key::new(code));
        }
        let opts = serialhub_gs1::Options::default();
        let (data, _) = serialhub_gs1::parse(code, &opts)
            .map_err(|e| format!("{code:?} is not a GS1 code: {e}"))?;
        let mut link = String::new();
        serialhub_gs1::digital_link::format_digital_link(
            &data,
            serialhub_gs1::digital_link::DEFAULT_STEM,
            &opts,
            &mut link,
        )
        .map_err(|e| format!("{code:?} names no identifier: {e}"))?;
        Ok(Key::new(&link))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Pushes `item` onto `items` unless an item with the same key (`key_of`) is there already,
/// keeping first mentions in order; returns whether it was pushed. `by_hash` (empty at first,
/// kept with `items`) indexes positions by key hash once the list is long: an event names
/// one to a few identifiers, a pallet's aggregation thousands, and neither copies a key.
pub fn push_unique<T>(
    items: &mut Vec<T>,
    by_hash: &mut crate::FxHashMap<u64, u32>,
    item: T,
    key_of: impl Fn(&T) -> &Key,
) -> bool {
    const SCAN_MAX: usize = 8;
    let key = key_of(&item);
    if items.len() < SCAN_MAX {
        if items.iter().any(|seen| key_of(seen) == key) {
            return false;
        }
    } else {
        if by_hash.is_empty() {
            for (at, seen) in items.iter().enumerate() {
                by_hash.entry(key_of(seen).hash64()).or_insert(at as u32);
            }
        }
        match by_hash.entry(key.hash64()) {
            std::collections::hash_map::Entry::Occupied(first) => {
                // Another key with this hash (64 bits: all but never) falls back to a scan.
                if key_of(&items[*first.get() as usize]) == key
                    || items.iter().any(|seen| key_of(seen) == key)
                {
                    return false;
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(items.len() as u32);
            }
        }
    }
    items.push(item);
    true
}

/// Why a pack left the supply chain: the EU FMD decommissioning reasons, plus `Unspecified`
/// for an EPCIS decommissioning that names none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DecommissionReason {
    /// Destroyed; never undone.
    Destroyed,
    /// Stolen; never undone.
    Stolen,
    /// Taken as a sample (by an authority).
    Sample,
    /// Given as a free sample.
    FreeSample,
    /// Exported out of the market.
    Exported,
    /// Locked (e.g. held during an investigation); undone without a time limit.
    Locked,
    /// Checked out of the repository (e.g. for a clinical trial or a recall).
    CheckedOut,
    /// The event did not say why.
    Unspecified,
    /// Consumed as an input of a transformation (repackaging, relabelling, kitting): the code
    /// no longer labels a pack; never undone.
    Transformed,
}

impl DecommissionReason {
    /// A stable name for reports.
    pub fn name(self) -> &'static str {
        match self {
            DecommissionReason::Destroyed => "destroyed",
            DecommissionReason::Stolen => "stolen",
            DecommissionReason::Sample => "sample",
            DecommissionReason::FreeSample => "free_sample",
            DecommissionReason::Exported => "exported",
            DecommissionReason::Locked => "locked",
            DecommissionReason::CheckedOut => "checked_out",
            DecommissionReason::Unspecified => "unspecified",
            DecommissionReason::Transformed => "transformed",
        }
    }

    /// Whether the decommissioning is final: EU FMD never undoes stolen or destroyed, and a
    /// transformed input no longer exists as a pack.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DecommissionReason::Destroyed
                | DecommissionReason::Stolen
                | DecommissionReason::Transformed
        )
    }

    /// Every reason, in declaration order. Append only: stores write a reason as its index
    /// here (`serialhub_store::codec`).
    pub const ALL: [DecommissionReason; 9] = {
        use DecommissionReason::*;
        [
            Destroyed,
            Stolen,
            Sample,
            FreeSample,
            Exported,
            Locked,
            CheckedOut,
            Unspecified,
            Transformed,
        ]
    };

    /// The reason for a name (`name()`), for extension dispositions that carry one.
    pub fn from_name(name: &str) -> Option<DecommissionReason> {
        DecommissionReason::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Where an identifier is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Created by a commissioning event (active, not yet shipped).
    Commissioned,
    /// Shipped and not yet received.
    InTransit,
    /// Received by a trading partner (active, saleable).
    Received,
    /// Supplied to the public; terminal.
    Dispensed,
    /// Out of the supply chain for a reason; some reasons can be undone (`UndoWindow`).
    Decommissioned(DecommissionReason),
}

impl Status {
    /// Dispensed and decommissioned belong to the unit itself: a later event on its container
    /// does not change them (see `effective`).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Dispensed | Status::Decommissioned(_))
    }

    /// A stable name for reports (`decommissioned:stolen`).
    pub fn name(self) -> String {
        match self {
            Status::Commissioned => "commissioned".to_owned(),
            Status::InTransit => "in_transit".to_owned(),
            Status::Received => "received".to_owned(),
            Status::Dispensed => "dispensed".to_owned(),
            Status::Decommissioned(reason) => format!("decommissioned:{}", reason.name()),
        }
    }
}

/// What EU FMD needs to decide on an undo of a decommissioning: when and where it happened, and
/// the status to return to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoWindow {
    /// The decommissioning event's time.
    pub decommissioned_time: Timestamp,
    /// The decommissioning event's `bizLocation`; an undo must happen at the same one.
    pub location: Option<String>,
    /// The status before the decommissioning.
    pub status_before: Status,
}

/// The ID of an event as records keep it: shared, because one event touches every record it
/// names and each keeps its ID (a pallet's packing, thousands of times), and a clone is a
/// reference count rather than an allocation.
pub type EventRef = Arc<str>;

/// Text a record shares with others (a location, a party, a lot number, an expiry date): an
/// event sets the same value on every record it touches, and copying a record (which the
/// ledger does per change) then costs reference counts rather than allocations.
pub type Text = Arc<str>;

/// What a shipping event named as its destination, kept on the shipped record until receipt so
/// that the receipt can be compared with it (`receipt_by_other_party`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// The shipping event's ID (evidence for a mismatch).
    pub event: EventRef,
    /// The `owning_party` destination, if the shipment named one.
    pub owner: Option<String>,
    /// The `location` destination, if the shipment named one.
    pub location: Option<String>,
}

/// The latest shipment of a record in its current life, kept after receipt: GS1 counts the
/// year before an SSCC may label another logistic unit from the shipment date
/// (`sscc_reused`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipped {
    /// The shipping event's time.
    pub time: Timestamp,
    /// The shipping event's ID (evidence).
    pub event: EventRef,
}

/// What the ledger knows about one identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialState {
    /// The identifier's own status; for a packed child read `effective` instead.
    pub status: Status,
    /// The container this identifier is packed in, if any.
    pub parent: Option<Key>,
    /// The last `bizLocation` an event gave.
    pub location: Option<Text>,
    /// The owning party, from the `owning_party` destination of the last receipt.
    pub owner: Option<Text>,
    /// `lotNumber` from the commissioning event's ILMD.
    pub lot: Option<Text>,
    /// `itemExpirationDate` from the commissioning event's ILMD, as written.
    pub expiry: Option<Text>,
    /// The ID of the event that created this record (for a container first seen as a parent,
    /// the aggregation event).
    pub commissioned_event: EventRef,
    /// The time of the event that set `status` and `location`; `None` for a container first
    /// seen as a parent, which has no lifecycle event of its own yet and so never overrides
    /// its contents (see `effective`).
    pub status_time: Option<Timestamp>,
    /// The time of the latest event applied to this record; late events compare against it.
    pub last_event_time: Timestamp,
    /// The ID of the latest event applied to this record (evidence for violations).
    pub last_event: EventRef,
    /// Persistent dispositions in force (`recalled`, `needs_replacement`, ...), as bare CBV
    /// names or extension URIs.
    pub persistent_dispositions: BTreeSet<String>,
    /// Set while the status is an undoable decommissioning (boxed: rare, and records are many).
    pub undo: Option<Box<UndoWindow>>,
    /// The event that packed this record into `parent` (evidence for `child_in_two_parents`).
    pub packed_event: Option<EventRef>,
    /// The destination named by the shipment that put this record in transit, until receipt
    /// (boxed: only records in transit have one).
    pub shipment: Option<Box<Shipment>>,
    /// The time of the event that created this record, or started its current life (an SSCC
    /// label used again); `sscc_reused` measures from it when the unit was never shipped.
    pub life_started: Timestamp,
    /// The latest shipment in this life, kept for SSCCs only (boxed: most records are
    /// units); `sscc_reused` measures from it.
    pub shipped: Option<Box<Shipped>>,
    /// Set when an unpacking took the last child out of this container: with a shipment or a
    /// receipt, it marks the end of a logistic unit's life, after which its SSCC may only be
    /// used again a year on.
    pub emptied: bool,
}

/// The state of an identifier as its readers should see it, with its containers applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The status in force.
    pub status: Status,
    /// The location in force.
    pub location: Option<Text>,
    /// The owner in force.
    pub owner: Option<Text>,
    /// When that status was set (`SerialState::status_time` of the source).
    pub status_time: Option<Timestamp>,
    /// The undo window of the source record.
    pub undo: Option<Box<UndoWindow>>,
    /// The pending shipment of the source record.
    pub shipment: Option<Box<Shipment>>,
    /// The record the status comes from: the identifier itself or one of its containers.
    pub source: Key,
}

/// A bound on the depth of container nesting walked (pack, bundle, case, pallet, and margin):
/// the ledger refuses cycles, and this keeps a corrupted store from looping forever.
pub const NESTING_DEPTH_MAX: usize = 32;

/// Read access to the ledger's current states: what `ledger::apply` decides against. Stores
/// implement it; `memory::MemoryLedger` is the reference.
pub trait StateView {
    /// The record of `key`, if any event created one.
    fn state(&self, key: &Key) -> Option<&SerialState>;

    /// The identifiers whose `parent` is `key` (direct children only), in key order.
    fn children(&self, key: &Key) -> Vec<Key>;
}

/// The state in force for `key`, read through its containers.
///
/// Rule: a terminal status (dispensed, decommissioned) is the unit's own. Otherwise the record
/// on the chain from the unit up to the outermost container whose status was set last
/// (`status_time`) wins, the unit's own (then the inner one) on a tie; packing sets no status,
/// so it never makes a container override what was packed into it: an event on a container applies to its contents from its time
/// on, so a pallet shipped after its cases were packed makes every pack in transit, and a pack
/// received on its own later than its pallet's shipment is received.
pub fn effective(view: &impl StateView, key: &Key) -> Option<Effective> {
    let own = view.state(key)?;
    let mut best = (own, key);
    if !own.status.is_terminal() {
        let mut parent = own.parent.as_ref();
        for _ in 0..NESTING_DEPTH_MAX {
            let Some(parent_key) = parent else { break };
            let Some(parent_state) = view.state(parent_key) else { break };
            if parent_state.status_time > best.0.status_time {
                best = (parent_state, parent_key);
            }
            parent = parent_state.parent.as_ref();
        }
    }
    let (state, source) = best;
    Some(Effective {
        status: state.status,
        location: state.location.clone(),
        owner: state.owner.clone(),
        status_time: state.status_time,
        undo: state.undo.clone(),
        shipment: state.shipment.clone(),
        source: source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Short lists (a scan) and long ones (the hash index) keep exactly the first mention
        /// of each key, in order, as a naive scan of the whole list would.
        #[test]
        fn push_unique_keeps_first_mentions(picks in proptest::collection::vec(0u8..40, 0..200)) {
            let mut items = Vec::new();
            let mut by_hash = crate::FxHashMap::default();
            let mut expected: Vec<(Key, usize)> = Vec::new();
            for (at, pick) in picks.iter().enumerate() {
                let key = Key::from_canonical(format!("https://id.gs1.org/00/{pick:018}"));
                let fresh = !expected.iter().any(|(seen, _)| *seen == key);
                if fresh {
                    expected.push((key.clone(), at));
                }
                let pushed = push_unique(&mut items, &mut by_hash, (key, at), |(key, _)| key);
                proptest::prop_assert_eq!(pushed, fresh);
            }
            proptest::prop_assert_eq!(items, expected);
        }
    }

    #[test]
    fn a_key_equals_hashes_and_orders_as_its_text() {
        let a = Key::new("urn:epc:id:sgtin:0614141.812345.6789");
        let b = Key::from_canonical("https://id.gs1.org/01/80614141123458/21/6789".to_owned());
        assert_eq!(a, b);
        assert_eq!(a.hash64(), b.hash64());
        assert_eq!(a.hash64(), Key::hash_of(b.as_str()));
        let c = Key::from_canonical("https://id.gs1.org/01/80614141123458/21/679".to_owned());
        assert_ne!(a, c);
        assert!(a < c, "ordered by text: '8' < '9'");
        assert_eq!(format!("{a:?}"), "Key(\"https://id.gs1.org/01/80614141123458/21/6789\")");
    }
}
