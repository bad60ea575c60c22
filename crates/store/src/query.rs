//! The ledger's read models, built on any `Store`: the pedigree of an identifier (its history
//! with the events of every container it was in, while it was in it), the recursive contents
//! of a container, and a lot's serials counted by state.

use std::collections::BTreeMap;

use serialhub_core::{Key, NESTING_DEPTH_MAX, StateView, effective};
use serialhub_epcis::{Action, EventType};

use crate::{ExceptionFilter, Store, StoreError, StoredEvent, StoredException};

/// One step of a pedigree.
#[derive(Clone, Debug, PartialEq)]
pub struct PedigreeStep {
    /// The event.
    pub event: StoredEvent,
    /// The containers through which the event applies, outermost last; empty when the event
    /// names the identifier itself.
    pub via: Vec<Key>,
}

/// The full history of `key`: its own events and, for each time it was packed, the events of
/// its container (and of that container's containers) from the packing to the unpacking, in
/// capture order. Containers are followed to `NESTING_DEPTH_MAX` levels.
pub fn pedigree(store: &dyn Store, key: &Key) -> Result<Vec<PedigreeStep>, StoreError> {
    let mut steps = Vec::new();
    collect(store, key, 0, u64::MAX, &mut Vec::new(), &mut steps)?;
    steps.sort_by_key(|s| s.event.seq);
    steps.dedup_by_key(|s| s.event.seq);
    Ok(steps)
}

/// Adds the events of `key` with `from <= seq <= to`, then recurses into each container it was
/// packed in during that range.
fn collect(
    store: &dyn Store,
    key: &Key,
    from: u64,
    to: u64,
    via: &mut Vec<Key>,
    steps: &mut Vec<PedigreeStep>,
) -> Result<(), StoreError> {
    let history = store.history(key)?;
    // Open packings: container -> seq of the packing event.
    let mut packed: BTreeMap<Key, u64> = BTreeMap::new();
    let mut intervals: Vec<(Key, u64, u64)> = Vec::new();
    for event in history.into_iter().filter(|e| e.seq <= to) {
        let e = &event.record.event;
        if e.event_type == Some(EventType::AggregationEvent)
            && let Some(parent) = e.parent_id.as_deref().map(Key::new)
            && parent != *key
        {
            let named = e.epc_list.is_empty() || e.epc_list.iter().any(|c| Key::new(c) == *key);
            match e.action {
                Some(Action::Add) if named => {
                    packed.insert(parent, event.seq);
                }
                Some(Action::Delete) if named => {
                    if let Some(start) = packed.remove(&parent) {
                        intervals.push((parent, start, event.seq));
                    }
                }
                _ => {}
            }
        }
        if event.seq >= from {
            steps.push(PedigreeStep { event, via: via.clone() });
        }
    }
    intervals.extend(packed.into_iter().map(|(parent, start)| (parent, start, to)));
    if via.len() >= NESTING_DEPTH_MAX {
        return Ok(());
    }
    for (parent, start, end) in intervals {
        // Only the part of the packing inside the requested range.
        let (lo, hi) = (start.max(from), end.min(to));
        if lo > hi || via.contains(&parent) {
            continue;
        }
        via.push(parent.clone());
        collect(store, &parent, lo, hi, via, steps)?;
        via.pop();
    }
    Ok(())
}

/// The exceptions passing `filter` that name the lot `lot` itself or a unit commissioned with
/// it, in the store's order.
pub fn lot_exceptions(
    store: &dyn Store,
    lot: &Key,
    filter: &ExceptionFilter,
) -> Result<Vec<StoredException>, StoreError> {
    let units: std::collections::HashSet<Key> = store.lot_units(lot)?.into_iter().collect();
    let all = store.exceptions(filter)?;
    Ok(all
        .into_iter()
        .filter(|e| {
            e.violation.epcs.iter().any(|epc| {
                let key = Key::new(epc);
                key == *lot || units.contains(&key)
            })
        })
        .collect())
}

/// Everything inside `key`, recursively, depth first in key order (explode); bounded by
/// `NESTING_DEPTH_MAX` levels.
pub fn contents(store: &dyn Store, key: &Key) -> Result<Vec<Key>, StoreError> {
    let mut out = Vec::new();
    let mut stack: Vec<(Key, usize)> =
        store.children(key)?.into_iter().rev().map(|k| (k, 1)).collect();
    while let Some((child, depth)) = stack.pop() {
        if depth < NESTING_DEPTH_MAX {
            stack.extend(store.children(&child)?.into_iter().rev().map(|k| (k, depth + 1)));
        }
        out.push(child);
    }
    Ok(out)
}

/// The state in force for `key` read through its containers (`serialhub_core::effective`),
/// from the store.
pub fn effective_state(
    store: &dyn Store,
    key: &Key,
) -> Result<Option<serialhub_core::Effective>, StoreError> {
    // Load the chain of records `effective` reads, then decide with the core's rule.
    let mut chain = Chain::default();
    let mut next = Some(key.clone());
    while let Some(k) = next.take() {
        if chain.states.len() > NESTING_DEPTH_MAX || chain.states.contains_key(&k) {
            break;
        }
        let Some(state) = store.state(&k)? else { break };
        next = state.parent.clone();
        chain.states.insert(k, state);
    }
    Ok(effective(&chain, key))
}

#[derive(Default)]
struct Chain {
    states: BTreeMap<Key, serialhub_core::SerialState>,
}

impl StateView for Chain {
    fn state(&self, key: &Key) -> Option<&serialhub_core::SerialState> {
        self.states.get(key)
    }
    fn children(&self, _: &Key) -> Vec<Key> {
        Vec::new()
    }
}

/// The exceptions the event with `seq` raised, in the order the ledger found them (what an
/// exception's public id `{seq}-{n}` counts in).
pub fn event_exceptions(store: &dyn Store, seq: u64) -> Result<Vec<StoredException>, StoreError> {
    if seq == 0 {
        return Ok(Vec::new());
    }
    let one = ExceptionFilter {
        after_seq: Some(seq - 1),
        through_seq: Some(seq),
        ..ExceptionFilter::default()
    };
    store.exceptions(&one)
}

/// The place of `exception` among its event's exceptions (`{seq}-{n}`), whatever filter found
/// it: a filtered list leaves out some of an event's exceptions, so counting within the list
/// would name another one.
pub fn place_in_event(
    store: &dyn Store,
    exception: &StoredException,
) -> Result<Option<usize>, StoreError> {
    Ok(event_exceptions(store, exception.event_seq)?.iter().position(|e| e == exception))
}
