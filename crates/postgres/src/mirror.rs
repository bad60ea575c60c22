//! The writer's copy of committed records: what `capture` decides against, kept across capture
//! jobs so that a job re-reads only what no earlier job of this connection loaded.
//!
//! Valid only while this connection is the schema's only writer: every write transaction bumps
//! `ledger_generation` under the write lock, and a mirror whose generation is not the one just
//! before the bump (another process wrote, or a job of ours did not commit) is emptied.
//!
//! What the ledger may read for a key is its closure, the rows `READS_FOR_BATCH` loads for it:
//! its record, its containers, its contents, and the lot records of every GTIN among the units
//! named or reached. Invariant: for every key in `closed`, its whole closure is in `ledger`,
//! equal to the committed rows (a key without a record is known to have none). It holds across
//! jobs because every later change goes through `capture::decide` on this ledger, and a key a
//! job adds to a closure (a unit packed into a closed case) is named by that job, so its own
//! closure is loaded before the job is decided.
//!
//! A mirror that began on a store without records or events (a first import, a new tenant) is
//! *complete*: it holds every committed record and knows every stored event, so a job loads
//! nothing and asks the server about no hash it has not written itself. Measured at a million
//! packs, those reads were a tenth of the server's time, mostly probes for the identifiers
//! being commissioned, which have no record.

use std::collections::HashSet;

use postgres::Row;
use serialhub_core::{FxBuildHasher, Key, MemoryLedger, StateView};
use serialhub_store::StoreError;

use crate::{decode_state, gtin_stem};

/// The most records a mirror keeps; past it, the next job starts from an empty mirror and
/// loads what it needs again, and the pipelined capture no longer decides ahead (it needs a
/// complete mirror). A record costs about 500 bytes with the indexes (the peak memory of the
/// embedded import of ten million packs, whose ledger is the same `MemoryLedger`, is 8.7 GB
/// for 11 million records plus the event indexes), so about 8 GiB: a writer that keeps a
/// ten-million-pack supply chain warm, what the embedded store holds in memory at that scale.
/// At 4 million, the import of ten million packs emptied its mirror a third of the way in and
/// read back every job's records from then on: 54,074 EPCs/s against 104,000 to 107,000 at a
/// million packs.
const RECORDS_MAX: usize = 16_000_000;

/// The most event fingerprints a mirror keeps (8 bytes each, about 256 MiB with the table);
/// past it, the mirror forgets them and asks the server about every hash from then on.
const HASHES_MAX: usize = 16_000_000;

/// A hash ID's fingerprint in `Mirror::hashes`.
fn fingerprint(hash_id: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&FxBuildHasher::default(), hash_id)
}

/// The committed records this connection loaded or wrote, with what is known complete.
#[derive(Debug, Default)]
pub(crate) struct Mirror {
    /// The records; the ledger `capture::decide` runs on.
    pub(crate) ledger: MemoryLedger,
    /// The keys whose closure `ledger` holds.
    closed: HashSet<Box<str>, FxBuildHasher>,
    /// The `https://id.gs1.org/01/<GTIN>` stems whose lot records `ledger` holds.
    stems: HashSet<Box<str>, FxBuildHasher>,
    /// The generation this mirror matches; `None` for an empty mirror never committed against.
    generation: Option<i64>,
    /// Whether `ledger` holds every committed record: the store had none when this mirror
    /// began, and every change since went through `ledger`.
    complete: bool,
    /// The fingerprints of every stored event's hash ID, when this mirror began on a store
    /// without events (`None` otherwise): a hash ID whose fingerprint is absent is not stored.
    hashes: Option<HashSet<u64, FxBuildHasher>>,
    /// The seq the next job's first event will take, as far as this connection knows: one
    /// past the last it allocated. The sequence is not transactional, so another session's
    /// rolled-back job can leave a gap; a job encoded on this guess is checked against the
    /// allocation (`stream`).
    pub(crate) next_seq: Option<i64>,
    /// Whether this connection saw the store hold records and events. Kept by `clear`: a
    /// mirror begun after that stays incomplete without asking (events are never deleted,
    /// records only by declarations, and an incomplete mirror is always right), which saves
    /// a round trip per job when writers take turns.
    held_data: bool,
}

impl Mirror {
    /// Starts a write transaction that bumped the schema's generation to `generation`: keeps
    /// the records only if the last bump was this mirror's own committed one.
    pub(crate) fn begin(&mut self, generation: i64) {
        if self.generation != Some(generation - 1) || self.ledger.len() > RECORDS_MAX {
            self.clear();
        }
        if self.hashes.as_ref().is_some_and(|known| known.len() > HASHES_MAX) {
            self.hashes = None;
        }
    }

    /// Whether this mirror starts empty in this transaction, so that `start` may tell it what
    /// the store holds.
    pub(crate) fn is_new(&self) -> bool {
        !self.held_data
            && self.generation.is_none()
            && self.ledger.is_empty()
            && self.closed.is_empty()
    }

    /// Tells a new mirror (`is_new`) whether the store, under the write lock, has no records
    /// (`no_records`) and no events (`no_events`).
    pub(crate) fn start(&mut self, no_records: bool, no_events: bool) {
        debug_assert!(self.is_new());
        self.complete = no_records;
        self.hashes = no_events.then(HashSet::default);
        self.held_data = !no_events && !no_records;
    }

    /// The hash IDs among `hashes` that may be stored: all of them, unless this mirror knows
    /// every stored event, in which case only those whose fingerprint it holds (a fingerprint
    /// shared by two hash IDs only costs the server a look).
    pub(crate) fn maybe_stored<'h>(&self, hashes: &[&'h str]) -> Vec<&'h str> {
        match &self.hashes {
            Some(known) => {
                hashes.iter().copied().filter(|h| known.contains(&fingerprint(h))).collect()
            }
            None => hashes.to_vec(),
        }
    }

    /// Notes events written by the transaction in progress (forgotten with the rest of the
    /// mirror if it does not commit).
    pub(crate) fn stored<'h>(&mut self, hashes: impl Iterator<Item = &'h str>) {
        if let Some(known) = &mut self.hashes {
            known.extend(hashes.map(fingerprint));
        }
    }

    /// Records that the transaction which bumped the generation to `generation` committed
    /// after it applied its changes to `ledger`.
    pub(crate) fn committed(&mut self, generation: i64) {
        self.generation = Some(generation);
    }

    /// Forgets everything: the transaction did not commit (its changes may be in `ledger`), or
    /// it changed rows without this ledger.
    pub(crate) fn clear(&mut self) {
        *self = Mirror { held_data: self.held_data, ..Mirror::default() };
    }

    /// Whether the mirror holds every committed record, so that no job reads any back.
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }

    /// The generation of this mirror's last committed job, when a job may be decided on it
    /// before that commit's successor is written (`stream`): the mirror holds every record and
    /// knows every stored event, and is below its bounds, so deciding reads nothing from the
    /// server.
    pub(crate) fn ahead_of(&self) -> Option<i64> {
        let bounded = self.ledger.len() <= RECORDS_MAX
            && self.hashes.as_ref().is_some_and(|known| known.len() <= HASHES_MAX);
        self.generation.filter(|_| self.complete && bounded)
    }

    /// The keys among `named` whose closure is not loaded.
    pub(crate) fn missing<'k>(&self, named: &[&'k str]) -> Vec<&'k str> {
        if self.complete {
            return Vec::new();
        }
        named.iter().copied().filter(|key| !self.closed.contains(*key)).collect()
    }

    /// The GTIN stems of the units among `keys` whose lot records are not loaded, sorted and
    /// without repeats.
    pub(crate) fn missing_stems<'k>(&self, keys: &[&'k str]) -> Vec<&'k str> {
        let mut stems: Vec<&str> = keys
            .iter()
            .filter_map(|key| gtin_stem(key))
            .filter(|stem| !self.stems.contains(*stem))
            .collect();
        stems.sort_unstable();
        stems.dedup();
        stems
    }

    /// Adds the rows `READS_FOR_BATCH` returned for the keys `missing` and the stems `stems`:
    /// `(key, state, closed)`, `closed` true for the rows read as a named key or as contents.
    pub(crate) fn load(
        &mut self,
        rows: &[Row],
        missing: &[&str],
        stems: &[&str],
    ) -> Result<(), StoreError> {
        for row in rows {
            let key = Key::from_canonical(row.get(0));
            // A record already here equals the committed row (the invariant): skip decoding.
            if self.ledger.state(&key).is_none() {
                let state = decode_state(key.as_str(), row.get(1))?;
                self.ledger.restore(key.clone(), Some(state));
            }
            // The query loaded the lots of every unit it reached as contents.
            if row.get::<_, bool>(2)
                && let Some(stem) = gtin_stem(key.as_str())
                && !self.stems.contains(stem)
            {
                self.stems.insert(stem.into());
            }
        }
        self.stems.extend(stems.iter().map(|stem| Box::<str>::from(*stem)));
        self.closed.extend(missing.iter().map(|key| Box::<str>::from(*key)));
        Ok(())
    }
}
