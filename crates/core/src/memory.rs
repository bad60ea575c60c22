//! `MemoryLedger`: the states in a hash map, the reference model every storage backend is
//! tested against, the simplest way to run the ledger in tests, and the embedded store's live
//! state.

use std::collections::BTreeSet;

use crate::fxhash::FxHashMap;

use crate::ledger::{Change, Outcome};
use crate::state::{Key, SerialState, StateView};

/// All records in memory, with the parent-to-children index `StateView::children` needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryLedger {
    /// Hashed, not ordered: the ledger reads a record per identifier per event, and a hash
    /// lookup beats a tree walk comparing long, common-prefixed keys (measured in `import`).
    states: FxHashMap<Key, SerialState>,
    /// Ordered per parent: `children` answers in key order.
    children: FxHashMap<Key, BTreeSet<Key>>,
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
        let previous = match &change {
            Change::Create(_) => {
                assert!(!self.states.contains_key(&key), "create of an existing record {key}");
                None
            }
            Change::Update(_) => {
                let previous = self.states.get(&key);
                assert!(previous.is_some(), "update of a missing record {key}");
                previous.and_then(|s| s.parent.clone())
            }
        };
        let state = match change {
            Change::Create(state) | Change::Update(state) => state,
        };
        if previous != state.parent {
            if let Some(old_parent) = &previous
                && let Some(set) = self.children.get_mut(old_parent)
            {
                set.remove(&key);
                if set.is_empty() {
                    self.children.remove(old_parent);
                }
            }
            if let Some(new_parent) = &state.parent {
                self.children.entry(new_parent.clone()).or_default().insert(key.clone());
            }
        }
        self.states.insert(key, state);
    }

    /// Sets the record of `key` to `previous` (removing it for `None`), keeping the children
    /// index right: how a store takes back changes it could not persist.
    pub fn restore(&mut self, key: Key, previous: Option<SerialState>) {
        let old_parent = self.states.get(&key).and_then(|s| s.parent.clone());
        if let Some(old_parent) = old_parent
            && let Some(set) = self.children.get_mut(&old_parent)
        {
            set.remove(&key);
            if set.is_empty() {
                self.children.remove(&old_parent);
            }
        }
        match previous {
            Some(state) => {
                if let Some(parent) = &state.parent {
                    self.children.entry(parent.clone()).or_default().insert(key.clone());
                }
                self.states.insert(key, state);
            }
            None => {
                self.states.remove(&key);
            }
        }
    }

    /// Every record, in key order (sorted on each call: for tests and exports).
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &SerialState)> {
        let mut all: Vec<(&Key, &SerialState)> = self.states.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The serialized units commissioned with the lot `lot` (a lot key, see `lot_key_of`), in
    /// key order. A scan of every record: fine for a query, never on the capture path.
    pub fn units_of_lot(&self, lot: &Key) -> Vec<Key> {
        let Some(gtin_prefix) = lot.as_str().split("/10/").next() else { return Vec::new() };
        let mut units: Vec<Key> = self
            .states
            .iter()
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

    /// Everything inside `key`, recursively, depth first in key order (explode).
    pub fn contents(&self, key: &Key) -> Vec<Key> {
        let mut out = Vec::new();
        let mut stack: Vec<Key> = self.children(key).into_iter().rev().collect();
        while let Some(child) = stack.pop() {
            stack.extend(self.children(&child).into_iter().rev());
            out.push(child);
        }
        out
    }
}

impl StateView for MemoryLedger {
    fn state(&self, key: &Key) -> Option<&SerialState> {
        self.states.get(key)
    }

    fn children(&self, key: &Key) -> Vec<Key> {
        self.children.get(key).map(|set| set.iter().cloned().collect()).unwrap_or_default()
    }
}
