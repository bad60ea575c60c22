//! The binary encoding backends persist records in (the embedded journal, PostgreSQL's state
//! column): varint lengths, UTF-8 strings, little-endian timestamps. Hand-written because the
//! format is the durability contract: every byte is decided here, and a decoder meeting bytes
//! it did not write says where.
//!
//! Strings inside records (`istr`) are interned per encoder: the first occurrence is written
//! in full and numbered, later ones as their number. A ledger record repeats the same event
//! IDs, locations and parents across every identifier an event touches, so this shrinks a job
//! several times over; a decoder numbers strings in the same order, so no table is stored.

use serialhub_core::{
    DecommissionReason, EventRef, Key, SerialState, Shipment, Shipped, Status, UndoWindow,
    Violation, ViolationKind,
};
use serialhub_epcis::time::Timestamp;

use crate::outbox::{NewMessage, Settlement};

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub struct Encoder {
    /// The bytes so far.
    pub buf: Vec<u8>,
    /// A 64-bit hash of each string `istr` numbered, to its number. Hashes rather than the
    /// strings: a key per string was an allocation per identifier per job (13% of the capture
    /// thread, `perf`). Two strings with one hash cost only a repeat written in full: the
    /// decoder numbers every string written in full, so a repeat is still read right.
    interned: serialhub_core::FxHashMap<u64, u32>,
    /// Every string `istr` wrote in full, one after another, for checking a hash's match.
    strings: String,
    /// Where each of `strings` ends, by number.
    ends: Vec<u32>,
}

impl Encoder {
    /// An encoder appending to `buf` (emptied; its capacity kept), with no strings interned.
    pub fn with_buffer(mut buf: Vec<u8>) -> Encoder {
        buf.clear();
        Encoder { buf, ..Encoder::default() }
    }

    /// Empties the buffer and forgets every interned string, keeping the memory: the next
    /// value starts a record of its own, as from `with_buffer`.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.interned.clear();
        self.strings.clear();
        self.ends.clear();
    }

    /// Appends an interned string: `(number << 1) | 1` for one written before, or
    /// `length << 1` and the bytes for a new one (which takes the next number).
    pub fn istr(&mut self, s: &str) {
        self.istr_hashed(s, Key::hash_of(s));
    }

    /// `istr` of a key's text, with the hash the key carries: the same bytes, without hashing
    /// the text again.
    pub fn ikey(&mut self, key: &Key) {
        self.istr_hashed(key.as_str(), key.hash64());
    }

    /// `istr` of `s`, whose `Key::hash_of` is `hash`.
    fn istr_hashed(&mut self, s: &str, hash: u64) {
        let n = self.ends.len() as u32;
        match self.interned.entry(hash) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                let seen = *entry.get();
                if self.string(seen) == s {
                    self.varint((u64::from(seen) << 1) | 1);
                    return;
                }
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(n);
            }
        }
        self.varint((s.len() as u64) << 1);
        self.buf.extend_from_slice(s.as_bytes());
        self.strings.push_str(s);
        self.ends.push(self.strings.len() as u32);
    }

    /// The string `istr` numbered `n`.
    fn string(&self, n: u32) -> &str {
        let end = self.ends[n as usize] as usize;
        let start = n.checked_sub(1).map_or(0, |before| self.ends[before as usize] as usize);
        &self.strings[start..end]
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Appends `v` in LEB128 (7 bits a byte, low first).
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    /// Appends a length, then the bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// Appends a length, then the UTF-8 bytes.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn time(&mut self, t: Timestamp) {
        self.buf.extend_from_slice(&t.unix_millis.to_le_bytes());
        self.u8(u8::from(t.has_offset));
    }

    fn opt_time(&mut self, t: Option<Timestamp>) {
        match t {
            None => self.u8(0),
            Some(t) => {
                self.u8(1);
                self.time(t);
            }
        }
    }

    fn opt_istr(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.istr(s);
            }
        }
    }

    fn strs(&mut self, items: impl ExactSizeIterator<Item = impl AsRef<str>>) {
        self.varint(items.len() as u64);
        for item in items {
            self.str(item.as_ref());
        }
    }

    fn status(&mut self, status: Status) {
        let (tag, reason) = match status {
            Status::Commissioned => (0, 0),
            Status::InTransit => (1, 0),
            Status::Received => (2, 0),
            Status::Dispensed => (3, 0),
            // Invariant: REASONS lists every reason.
            Status::Decommissioned(reason) => {
                (4, REASONS.iter().position(|r| *r == reason).unwrap_or(0) as u8)
            }
        };
        self.u8(tag);
        self.u8(reason);
    }

    /// Appends a timestamp: Unix milliseconds and whether it had an offset.
    pub fn timestamp(&mut self, t: Timestamp) {
        self.time(t);
    }

    /// Appends an outbox message (connector and destination interned: they repeat).
    pub fn message(&mut self, m: &NewMessage) {
        self.istr(&m.connector);
        self.istr(&m.destination);
        self.str(&m.idempotency_key);
        self.opt_istr(m.ordering_key.as_deref());
        self.bytes(&m.payload);
    }

    /// Appends an audit entry as stored: its number, links and fields.
    pub fn audit_entry(&mut self, entry: &crate::audit::AuditEntry) {
        self.varint(entry.seq);
        self.str(&entry.prev_hash);
        self.str(&entry.hash);
        let d = &entry.draft;
        self.time(d.at);
        self.str(&d.actor);
        self.str(&d.action);
        self.varint(d.targets.len() as u64);
        for target in &d.targets {
            self.str(target);
        }
        self.str(&d.reason);
        self.str(&d.before);
        self.str(&d.after);
    }

    /// Appends how an outbox delivery attempt ended.
    pub fn settlement(&mut self, s: &Settlement) {
        match s {
            Settlement::Delivered { receipt } => {
                self.u8(0);
                self.str(receipt);
            }
            Settlement::Retry { error, at } => {
                self.u8(1);
                self.str(error);
                self.time(*at);
            }
            Settlement::Failed { error } => {
                self.u8(2);
                self.str(error);
            }
            Settlement::Deferred { at } => {
                self.u8(3);
                self.time(*at);
            }
        }
    }

    /// Appends a ledger record, every field.
    pub fn state(&mut self, s: &SerialState) {
        self.status(s.status);
        match &s.parent {
            None => self.u8(0),
            Some(parent) => {
                self.u8(1);
                self.ikey(parent);
            }
        }
        self.opt_istr(s.location.as_deref());
        self.opt_istr(s.owner.as_deref());
        self.opt_istr(s.lot.as_deref());
        self.opt_istr(s.expiry.as_deref());
        self.istr(&s.commissioned_event);
        self.opt_time(s.status_time);
        self.time(s.last_event_time);
        self.istr(&s.last_event);
        self.varint(s.persistent_dispositions.len() as u64);
        for disposition in &s.persistent_dispositions {
            self.istr(disposition);
        }
        match &s.undo {
            None => self.u8(0),
            Some(undo) => {
                self.u8(1);
                self.time(undo.decommissioned_time);
                self.opt_istr(undo.location.as_deref());
                self.status(undo.status_before);
            }
        }
        self.opt_istr(s.packed_event.as_deref());
        match &s.shipment {
            None => self.u8(0),
            Some(shipment) => {
                self.u8(1);
                self.istr(&shipment.event);
                self.opt_istr(shipment.owner.as_deref());
                self.opt_istr(shipment.location.as_deref());
            }
        }
        self.time(s.life_started);
        // One byte: bit 0 `emptied`, bit 1 a latest shipment follows. Records written before
        // shipments were kept have 0 or 1 here, and read back without one.
        self.u8(u8::from(s.emptied) | (u8::from(s.shipped.is_some()) << 1));
        if let Some(shipped) = &s.shipped {
            self.time(shipped.time);
            self.istr(&shipped.event);
        }
    }

    /// Appends a violation (its kind by code).
    pub fn violation(&mut self, v: &Violation) {
        self.str(v.kind.code());
        self.str(&v.message);
        self.strs(v.epcs.iter());
        self.strs(v.event_ids.iter());
    }
}

// A reason is stored as its index in `DecommissionReason::ALL`, which only grows at its end.
const REASONS: [DecommissionReason; 9] = DecommissionReason::ALL;

/// Why bytes did not decode: what was expected, at which offset of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The offset in the decoded bytes.
    pub at: usize,
    /// What was expected there.
    pub what: &'static str,
}

/// A decoding result.
pub type Decoded<T> = Result<T, DecodeError>;

/// Reads values back from a record's bytes.
#[derive(Debug)]
pub struct Decoder<'a> {
    /// The bytes.
    pub buf: &'a [u8],
    /// The next byte to read.
    pub pos: usize,
    /// The strings `istr` has read, by number.
    defined: Vec<&'a str>,
    /// The shared copies `iref` made, by string number: records decoded from one buffer share
    /// their event IDs, as they did when encoded.
    shared: Vec<Option<EventRef>>,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Decoder<'a> {
        Decoder { buf, pos: 0, defined: Vec::new(), shared: Vec::new() }
    }

    fn fail<T>(&self, what: &'static str) -> Decoded<T> {
        Err(DecodeError { at: self.pos, what })
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Decoded<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.fail("a byte"),
        }
    }

    fn flag(&mut self) -> Decoded<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => self.fail("a flag (0 or 1)"),
        }
    }

    /// Reads a LEB128 varint of at most 10 bytes.
    pub fn varint(&mut self) -> Decoded<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.fail("a varint of at most 10 bytes")
    }

    /// Reads a length that must fit in what is left of the buffer.
    pub fn length(&mut self) -> Decoded<usize> {
        let n = self.varint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.buf.len() - self.pos => Ok(n),
            _ => self.fail("a length within the record"),
        }
    }

    /// Reads a length, then that many bytes.
    pub fn bytes(&mut self) -> Decoded<&'a [u8]> {
        let n = self.length()?;
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    /// Reads a length, then that many bytes of UTF-8.
    pub fn str(&mut self) -> Decoded<&'a str> {
        let at = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| DecodeError { at, what: "UTF-8 text" })
    }

    /// Reads a string written by `Encoder::istr`.
    pub fn istr(&mut self) -> Decoded<&'a str> {
        self.istr_numbered().map(|(_, s)| s)
    }

    /// `istr`, with the string's number.
    fn istr_numbered(&mut self) -> Decoded<(usize, &'a str)> {
        let at = self.pos;
        let v = self.varint()?;
        if v & 1 == 1 {
            let n = usize::try_from(v >> 1).ok();
            return match n.and_then(|n| Some((n, *self.defined.get(n)?))) {
                Some(found) => Ok(found),
                None => Err(DecodeError { at, what: "the number of a string read before" }),
            };
        }
        let n = match usize::try_from(v >> 1) {
            Ok(n) if n <= self.buf.len() - self.pos => n,
            _ => return Err(DecodeError { at, what: "a length within the record" }),
        };
        let bytes = &self.buf[self.pos..self.pos + n];
        let s = std::str::from_utf8(bytes).map_err(|_| DecodeError { at, what: "UTF-8 text" })?;
        self.pos += n;
        self.defined.push(s);
        Ok((self.defined.len() - 1, s))
    }

    /// Reads an interned string as a shared `EventRef`, one allocation per distinct string.
    pub fn iref(&mut self) -> Decoded<EventRef> {
        let (n, s) = self.istr_numbered()?;
        if self.shared.len() <= n {
            self.shared.resize(n + 1, None);
        }
        Ok(self.shared[n].get_or_insert_with(|| EventRef::from(s)).clone())
    }

    fn istring(&mut self) -> Decoded<String> {
        self.istr().map(str::to_owned)
    }

    fn opt_istring(&mut self) -> Decoded<Option<String>> {
        if self.flag()? { self.istring().map(Some) } else { Ok(None) }
    }

    /// An optional interned string, shared (`iref`) with the other records of the job that
    /// name it.
    fn opt_iref(&mut self) -> Decoded<Option<EventRef>> {
        if self.flag()? { self.iref().map(Some) } else { Ok(None) }
    }

    fn string(&mut self) -> Decoded<String> {
        self.str().map(str::to_owned)
    }

    fn time(&mut self) -> Decoded<Timestamp> {
        let Some(b) = self.buf.get(self.pos..self.pos + 8) else {
            return self.fail("a timestamp");
        };
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        self.pos += 8;
        Ok(Timestamp { unix_millis: i64::from_le_bytes(raw), has_offset: self.flag()? })
    }

    fn opt_time(&mut self) -> Decoded<Option<Timestamp>> {
        if self.flag()? { self.time().map(Some) } else { Ok(None) }
    }

    /// Reads what `Encoder::timestamp` wrote.
    pub fn timestamp(&mut self) -> Decoded<Timestamp> {
        self.time()
    }

    /// Reads what `Encoder::message` wrote.
    pub fn message(&mut self) -> Decoded<NewMessage> {
        let connector = self.istr()?.to_owned();
        let destination = self.istr()?.to_owned();
        let idempotency_key = self.string()?;
        let ordering_key = if self.flag()? { Some(self.istr()?.to_owned()) } else { None };
        let payload = self.bytes()?.to_vec();
        Ok(NewMessage { connector, destination, idempotency_key, ordering_key, payload })
    }

    /// Reads what `Encoder::audit_entry` wrote.
    pub fn audit_entry(&mut self) -> Decoded<crate::audit::AuditEntry> {
        let seq = self.varint()?;
        let prev_hash = self.string()?;
        let hash = self.string()?;
        let at = self.time()?;
        let actor = self.string()?;
        let action = self.string()?;
        let targets = self.strings()?;
        let reason = self.string()?;
        let before = self.string()?;
        let after = self.string()?;
        let draft = crate::audit::AuditDraft { at, actor, action, targets, reason, before, after };
        Ok(crate::audit::AuditEntry { seq, draft, prev_hash, hash })
    }

    /// Reads what `Encoder::settlement` wrote.
    pub fn settlement(&mut self) -> Decoded<Settlement> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(Settlement::Delivered { receipt: self.string()? }),
            1 => Ok(Settlement::Retry { error: self.string()?, at: self.time()? }),
            2 => Ok(Settlement::Failed { error: self.string()? }),
            3 => Ok(Settlement::Deferred { at: self.time()? }),
            _ => Err(DecodeError { at, what: "a settlement tag (0 to 3)" }),
        }
    }

    fn strings(&mut self) -> Decoded<Vec<String>> {
        let n = self.length()?;
        (0..n).map(|_| self.string()).collect()
    }

    fn status(&mut self) -> Decoded<Status> {
        let tag = self.u8()?;
        let reason = self.u8()?;
        Ok(match tag {
            0 => Status::Commissioned,
            1 => Status::InTransit,
            2 => Status::Received,
            3 => Status::Dispensed,
            4 => match REASONS.get(usize::from(reason)) {
                Some(&r) => Status::Decommissioned(r),
                None => return self.fail("a decommissioning reason"),
            },
            _ => return self.fail("a status"),
        })
    }

    /// Reads a ledger record written by `Encoder::state`.
    pub fn state(&mut self) -> Decoded<SerialState> {
        let status = self.status()?;
        let parent = self.opt_istring()?.map(Key::from_canonical);
        let mut state = SerialState {
            status,
            parent,
            location: self.opt_iref()?,
            owner: self.opt_iref()?,
            lot: self.opt_iref()?,
            expiry: self.opt_iref()?,
            commissioned_event: self.iref()?,
            status_time: self.opt_time()?,
            last_event_time: self.time()?,
            last_event: self.iref()?,
            persistent_dispositions: {
                let n = self.length()?;
                (0..n).map(|_| self.istring()).collect::<Decoded<_>>()?
            },
            undo: if self.flag()? {
                Some(Box::new(UndoWindow {
                    decommissioned_time: self.time()?,
                    location: self.opt_istring()?,
                    status_before: self.status()?,
                }))
            } else {
                None
            },
            packed_event: if self.flag()? { Some(self.iref()?) } else { None },
            shipment: if self.flag()? {
                Some(Box::new(Shipment {
                    event: self.iref()?,
                    owner: self.opt_istring()?,
                    location: self.opt_istring()?,
                }))
            } else {
                None
            },
            life_started: self.time()?,
            shipped: None,
            emptied: false,
        };
        // `Encoder::state`'s last byte.
        let at = self.pos;
        let tail = self.u8()?;
        if tail > 3 {
            return Err(DecodeError { at, what: "a record's last byte (0 to 3)" });
        }
        state.emptied = tail & 1 != 0;
        if tail & 2 != 0 {
            state.shipped = Some(Box::new(Shipped { time: self.time()?, event: self.iref()? }));
        }
        Ok(state)
    }

    /// Reads a violation written by `Encoder::violation`.
    pub fn violation(&mut self) -> Decoded<Violation> {
        let at = self.pos;
        let code = self.str()?;
        let Some(kind) = ViolationKind::ALL.into_iter().find(|k| k.code() == code) else {
            return Err(DecodeError { at, what: "a known violation code" });
        };
        Ok(Violation::new(kind, self.string()?, self.strings()?, self.strings()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SerialState {
        let t = Timestamp { unix_millis: 1_736_150_400_000, has_offset: true };
        SerialState {
            status: Status::Decommissioned(DecommissionReason::Locked),
            parent: Some(Key::new("urn:epc:id:sscc:4012345.0000000001")),
            location: Some("urn:epc:id:sgln:4012345.00001.0".into()),
            owner: None,
            lot: Some("L1".into()),
            expiry: Some("2027-01-31".into()),
            commissioned_event: "urn:uuid:1".into(),
            status_time: Some(t),
            last_event_time: t,
            last_event: "urn:uuid:2".into(),
            persistent_dispositions: ["recalled".to_owned()].into_iter().collect(),
            undo: Some(Box::new(UndoWindow {
                decommissioned_time: t,
                location: None,
                status_before: Status::Received,
            })),
            packed_event: Some("urn:uuid:3".into()),
            shipment: Some(Box::new(Shipment { event: "e".into(), owner: None, location: None })),
            life_started: Timestamp { unix_millis: -5, has_offset: false },
            shipped: Some(Box::new(Shipped { time: t, event: "urn:uuid:4".into() })),
            emptied: true,
        }
    }

    #[test]
    fn records_without_a_shipment_keep_the_form_written_before_shipments_were_kept() {
        let old = SerialState { shipped: None, ..state() };
        let mut e = Encoder::default();
        e.state(&old);
        // The last byte is the old `emptied` flag: records written then read the same now.
        assert_eq!(e.buf.last(), Some(&1));
        assert_eq!(Decoder::new(&e.buf).state(), Ok(old));
        let end = e.buf.len() - 1;
        e.buf[end] = 4;
        let error = Decoder::new(&e.buf).state().expect_err("an unknown last byte");
        assert_eq!(error, DecodeError { at: end, what: "a record's last byte (0 to 3)" });
    }

    #[test]
    fn a_cleared_encoder_writes_as_a_new_one() {
        let mut fresh = Encoder::default();
        fresh.state(&state());
        let mut reused = Encoder::default();
        reused.state(&state());
        reused.istr("a string interned before the clear");
        reused.clear();
        reused.state(&state());
        // Nothing interned before the clear is referred to after it.
        assert_eq!(reused.buf, fresh.buf);
        assert_eq!(Decoder::new(&reused.buf).state(), Ok(state()));
    }

    #[test]
    fn state_round_trips() {
        let mut e = Encoder::default();
        e.state(&state());
        e.varint(u64::MAX);
        let mut d = Decoder::new(&e.buf);
        assert_eq!(d.state(), Ok(state()));
        assert_eq!(d.varint(), Ok(u64::MAX));
        assert_eq!(d.pos, e.buf.len());
    }

    #[test]
    fn strings_whose_hashes_collide_are_written_in_full_and_read_right() {
        let hash = |s: &str| {
            std::hash::BuildHasher::hash_one(&serialhub_core::FxBuildHasher::default(), s)
        };
        let mut e = Encoder::default();
        e.istr("a");
        // Make "b" collide with "a": the table says its hash is string 0.
        e.interned.insert(hash("b"), 0);
        e.istr("b");
        e.istr("b");
        e.istr("a");
        // "a" in full, "b" in full twice (never mistaken for "a"), then "a" by number.
        assert_eq!(e.buf, [2, b'a', 2, b'b', 2, b'b', 1]);
        let mut d = Decoder::new(&e.buf);
        let read: Vec<&str> = (0..4).map(|_| d.istr().expect("decodes")).collect();
        assert_eq!(read, ["a", "b", "b", "a"]);
    }

    #[test]
    fn truncated_bytes_fail_where_they_end() {
        let mut e = Encoder::default();
        e.state(&state());
        for cut in 0..e.buf.len() {
            let mut d = Decoder::new(&e.buf[..cut]);
            let error = d.state().expect_err("a cut record does not decode");
            assert!(error.at <= cut, "error at {} past the cut {cut}", error.at);
        }
    }

    #[test]
    fn repeated_strings_are_written_once() {
        let mut e = Encoder::default();
        e.state(&state());
        let one = e.buf.len();
        e.state(&state());
        assert!(e.buf.len() - one < one / 2, "{} bytes for a repeat of {one}", e.buf.len() - one);
        let mut d = Decoder::new(&e.buf);
        assert_eq!(d.state(), Ok(state()));
        assert_eq!(d.state(), Ok(state()));
        // A reference to a string never defined is refused where it stands.
        let mut d = Decoder::new(&[(5 << 1) | 1]);
        assert_eq!(
            d.istr(),
            Err(DecodeError { at: 0, what: "the number of a string read before" })
        );
    }

    #[test]
    fn hostile_lengths_are_refused() {
        let mut d = Decoder::new(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'a']);
        assert_eq!(d.str(), Err(DecodeError { at: 5, what: "a length within the record" }));
        let mut d = Decoder::new(&[0x80; 11]);
        assert_eq!(d.varint(), Err(DecodeError { at: 10, what: "a varint of at most 10 bytes" }));
    }
}
