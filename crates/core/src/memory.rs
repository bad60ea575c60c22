//! `MemoryLedger`: the states in a hash map, the reference model every storage backend is
//! tested against, the simplest way to run the ledger in tests, and the embedded store's live
//! state.

use std::collections::BTreeSet;

use crate::fxhash::FxHashMap;

use crate::ledger::{Change, Outcome};
use crate::state::{Key, SerialState, StateView};

/// A change `MemoryLedger::put_checked` refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRefused {
    /// The record's key.
    pub key: Key,
    /// What was refused: `create of an existing record`, `update of a missing record` or
    /// `removal of a missing record`.
    pub what: &'static str,
}

/// All records in memory, with the parent-to-children index `StateView::children` needs.
#[derive(Clone, Debug, Default)]
pub struct MemoryLedger {
    /// Each key's slot in `records`. Hashed, not ordered: the ledger reads a record per
    /// identifier per event, and a hash lookup beats a tree walk comparing long,
    /// common-prefixed keys (measured in `import`). Slots rather than the records themselves:
    /// growing a table of 264-byte records moved every record at each doubling, a tenth of
    /// the import's time at a million packs (`perf`), and left half of a 4.8 GB table empty at
    /// ten million.
    index: FxHashMap<Key, u32>,
    records: Slab,
    /// Ordered per parent: `children` answers in key order.
    children: FxHashMap<Key, BTreeSet<Key>>,
}

/// Records in fixed-size chunks: growing adds a chunk and never moves a record.
#[derive(Clone, Debug, Default)]
struct Slab {
    chunks: Vec<Vec<Option<SerialState>>>,
    /// Slots emptied by `restore` (rare: only a store taking back a failed commit).
    free: Vec<u32>,
}

/// Records per chunk, as a power of two: 16,384 records of 264 bytes, about 4 MB.
const CHUNK_BITS: u32 = 14;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;

impl Slab {
    fn get(&self, slot: u32) -> Option<&SerialState> {
        let chunk = self.chunks.get((slot >> CHUNK_BITS) as usize)?;
        chunk.get(slot as usize & (CHUNK_LEN - 1))?.as_ref()
    }

    /// The record in `slot`, which must be occupied.
    fn get_mut(&mut self, slot: u32) -> &mut Option<SerialState> {
        &mut self.chunks[(slot >> CHUNK_BITS) as usize][slot as usize & (CHUNK_LEN - 1)]
    }

    fn insert(&mut self, state: SerialState) -> u32 {
        if let Some(slot) = self.free.pop() {
            *self.get_mut(slot) = Some(state);
            return slot;
        }
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK_LEN) {
            self.chunks.push(Vec::with_capacity(CHUNK_LEN));
        }
        let full = (self.chunks.len() - 1) * CHUNK_LEN;
        // Invariant: `chunks` has a chunk with room (pushed above).
        let chunk = self.chunks.last_mut().expect("a chunk with room");
        chunk.push(Some(state));
        let slot = full + chunk.len() - 1;
        // Invariant: four billion records is beyond any memory this store runs in.
        u32::try_from(slot).expect("fewer than 2^32 records")
    }

    fn remove(&mut self, slot: u32) {
        *self.get_mut(slot) = None;
        self.free.push(slot);
    }
}

impl MemoryLedger {
    /// Writes the changes of `outcome` (its violations are the caller's to keep).
    pub fn commit(&mut self, outcome: &Outcome) {
        for (key, change) in &outcome.changes {
            self.put(key.clone(), change.clone());
        }
    }

    /// Writes `changes`, taking them: the copy-free `commit` for a caller done with them.
    pub fn commit_owned(&mut self, changes: Vec<(Key, Change)>) {
        for (key, change) in changes {
            self.put(key, change);
        }
    }

    fn put(&mut self, key: Key, change: Change) {
        // Invariant: `apply` creates only what is absent and updates only what exists;
        // anything else is a bug in the ledger, not bad input.
        if let Err(refused) = self.put_checked(key, change) {
            panic!("{} {}", refused.what, refused.key);
        }
    }

    /// Writes one change, refusing a create of a record that exists and an update or removal
    /// of one that does not: a store replaying what it wrote checks it this way, in the lookup
    /// that applies a create or an update.
    pub fn put_checked(&mut self, key: Key, change: Change) -> Result<(), ChangeRefused> {
        match change {
            Change::Create(state) => match self.index.entry(key) {
                std::collections::hash_map::Entry::Occupied(entry) => Err(ChangeRefused {
                    key: entry.key().clone(),
                    what: "create of an existing record",
                }),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    link(&mut self.children, entry.key(), None, state.parent.as_ref());
                    let slot = self.records.insert(state);
                    entry.insert(slot);
                    Ok(())
                }
            },
            Change::Update(state) => {
                let slot = self.index.get(&key).copied();
                let Some(Some(record)) = slot.map(|slot| self.records.get_mut(slot)) else {
                    return Err(ChangeRefused { key, what: "update of a missing record" });
                };
                let previous = std::mem::replace(record, state);
                link(&mut self.children, &key, previous.parent, record.parent.as_ref());
                Ok(())
            }
            Change::Remove => {
                if !self.index.contains_key(&key) {
                    return Err(ChangeRefused { key, what: "removal of a missing record" });
                }
                self.restore(key, None);
                Ok(())
            }
        }
    }

    /// Sets the record of `key` to `previous` (removing it for `None`), keeping the children
    /// index right: how a store takes back changes it could not persist.
    pub fn restore(&mut self, key: Key, previous: Option<SerialState>) {
        let slot = self.index.get(&key).copied();
        let old_parent = slot.and_then(|slot| self.records.get(slot)?.parent.clone());
        match previous {
            Some(state) => {
                link(&mut self.children, &key, old_parent, state.parent.as_ref());
                match slot {
                    Some(slot) => *self.records.get_mut(slot) = Some(state),
                    None => {
                        let slot = self.records.insert(state);
                        self.index.insert(key, slot);
                    }
                }
            }
            None => {
                link(&mut self.children, &key, old_parent, None);
                if let Some(slot) = self.index.remove(&key) {
                    self.records.remove(slot);
                }
            }
        }
    }

    /// Every record, in no particular order.
    fn records(&self) -> impl Iterator<Item = (&Key, &SerialState)> {
        self.index.iter().filter_map(|(key, &slot)| Some((key, self.records.get(slot)?)))
    }

    /// Every record, in key order (sorted on each call: for tests and exports).
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &SerialState)> {
        let mut all: Vec<(&Key, &SerialState)> = self.records().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The serialized units commissioned with the lot `lot` (a lot key, see `lot_key_of`), in
    /// key order. A scan of every record: fine for a query, never on the capture path.
    pub fn units_of_lot(&self, lot: &Key) -> Vec<Key> {
        let Some(gtin_prefix) = lot.as_str().split("/10/").next() else { return Vec::new() };
        let mut units: Vec<Key> = self
            .records()
            .filter(|(key, state)| {
                key.as_str().starts_with(gtin_prefix)
                    && state
                        .lot
                        .as_deref()
                        .and_then(|l| crate::ledger::lot_key_of(key, l))
                        .is_some_and(|k| k == *lot)
            })
            .map(|(key, _)| key.clone())
            .collect();
        units.sort_unstable();
        units
    }

    /// Everything inside `key`, recursively, depth first in key order (explode), each once.
    /// The ledger never makes a cycle (`aggregation_cycle`), but records restored from a
    /// damaged store may hold one: the walk visits each key at most once, so it ends.
    pub fn contents(&self, key: &Key) -> Vec<Key> {
        let children = |of: &Key| self.children.get(of).into_iter().flatten().rev();
        let mut out = Vec::new();
        let mut seen: std::collections::HashSet<&Key, crate::FxBuildHasher> =
            std::collections::HashSet::default();
        let mut stack: Vec<&Key> = children(key).collect();
        while let Some(child) = stack.pop() {
            if child == key || !seen.insert(child) {
                continue;
            }
            stack.extend(children(child));
            out.push(child.clone());
        }
        out
    }
}

/// Moves `key` in the children index from its `previous` parent to `parent`.
fn link(
    children: &mut FxHashMap<Key, BTreeSet<Key>>,
    key: &Key,
    previous: Option<Key>,
    parent: Option<&Key>,
) {
    if previous.as_ref() == parent {
        return;
    }
    if let Some(old_parent) = &previous
        && let Some(set) = children.get_mut(old_parent)
    {
        set.remove(key);
        if set.is_empty() {
            children.remove(old_parent);
        }
    }
    if let Some(new_parent) = parent {
        children.entry(new_parent.clone()).or_default().insert(key.clone());
    }
}

/// Two ledgers are equal when they hold the same records under the same keys, wherever their
/// slots are.
impl PartialEq for MemoryLedger {
    fn eq(&self, other: &MemoryLedger) -> bool {
        self.len() == other.len()
            && self.children == other.children
            && self.records().all(|(key, state)| other.state(key) == Some(state))
    }
}

impl Eq for MemoryLedger {}

impl StateView for MemoryLedger {
    fn state(&self, key: &Key) -> Option<&SerialState> {
        self.records.get(*self.index.get(key)?)
    }

    fn children(&self, key: &Key) -> Vec<Key> {
        self.children.get(key).map(|set| set.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::state::Status;
    use serialhub_epcis::time::Timestamp;

    fn record(parent: Option<&Key>, lot: &str) -> SerialState {
        let time = Timestamp { unix_millis: 0, has_offset: true };
        let event: Arc<str> = Arc::from("urn:uuid:e");
        SerialState {
            status: Status::Commissioned,
            parent: parent.cloned(),
            location: None,
            owner: None,
            lot: Some(lot.into()),
            expiry: None,
            commissioned_event: event.clone(),
            status_time: Some(time),
            last_event_time: time,
            last_event: event,
            persistent_dispositions: BTreeSet::new(),
            undo: None,
            packed_event: None,
            shipment: None,
            life_started: time,
            shipped: None,
            emptied: false,
        }
    }

    fn key(i: usize) -> Key {
        Key::from_canonical(format!("k{i:06}"))
    }

    #[test]
    fn records_stay_put_across_chunks_and_freed_slots_are_reused() {
        let mut ledger = MemoryLedger::default();
        let count = CHUNK_LEN + 3;
        ledger.commit_owned(
            (0..count).map(|i| (key(i), Change::Create(record(None, &i.to_string())))).collect(),
        );
        assert_eq!(ledger.len(), count);
        assert_eq!(ledger.records.chunks.len(), 2);
        for i in [0, CHUNK_LEN - 1, CHUNK_LEN, count - 1] {
            assert_eq!(
                ledger.state(&key(i)).and_then(|s| s.lot.as_deref().map(str::to_owned)),
                Some(i.to_string())
            );
        }

        ledger.restore(key(5), None);
        assert_eq!(ledger.state(&key(5)), None);
        assert_eq!(ledger.len(), count - 1);
        ledger.commit_owned(vec![(key(count), Change::Create(record(None, "new")))]);
        assert_eq!(ledger.records.chunks.iter().map(Vec::len).sum::<usize>(), count, "slot reused");
        assert_eq!(ledger.state(&key(count)).and_then(|s| s.lot.clone()).as_deref(), Some("new"));
        assert_eq!(ledger.state(&key(6)).and_then(|s| s.lot.clone()).as_deref(), Some("6"));
    }

    #[test]
    fn contents_of_a_cycle_from_damaged_records_end() {
        let (a, b, c) = (key(1), key(2), key(3));
        let mut ledger = MemoryLedger::default();
        ledger.restore(a.clone(), Some(record(Some(&b), "a")));
        ledger.restore(b.clone(), Some(record(Some(&a), "b")));
        ledger.restore(c.clone(), Some(record(Some(&b), "c")));
        assert_eq!(ledger.contents(&a), vec![b.clone(), c.clone()]);
        assert_eq!(ledger.contents(&c), Vec::<Key>::new());
    }

    #[test]
    fn updates_and_restores_keep_the_children_index() {
        let (pallet, case) = (key(1), key(2));
        let mut ledger = MemoryLedger::default();
        ledger.commit_owned(vec![
            (pallet.clone(), Change::Create(record(None, "p"))),
            (case.clone(), Change::Create(record(None, "c"))),
        ]);
        ledger.commit_owned(vec![(case.clone(), Change::Update(record(Some(&pallet), "c")))]);
        assert_eq!(ledger.children(&pallet), vec![case.clone()]);
        ledger.restore(case.clone(), Some(record(None, "c")));
        assert_eq!(ledger.children(&pallet), Vec::<Key>::new());
        ledger.restore(case.clone(), Some(record(Some(&pallet), "c")));
        ledger.restore(case.clone(), None);
        assert_eq!(ledger.children(&pallet), Vec::<Key>::new());
        assert_eq!(ledger.state(&case), None);
    }

    #[test]
    fn equality_ignores_where_records_sit() {
        let mut a = MemoryLedger::default();
        let mut b = MemoryLedger::default();
        a.commit_owned(vec![
            (key(1), Change::Create(record(None, "1"))),
            (key(2), Change::Create(record(None, "2"))),
        ]);
        b.commit_owned(vec![
            (key(2), Change::Create(record(None, "2"))),
            (key(1), Change::Create(record(None, "1"))),
        ]);
        assert_eq!(a, b);
        b.commit_owned(vec![(key(2), Change::Update(record(None, "changed")))]);
        assert_ne!(a, b);
    }
}
