//! The audit log: every action taken on an exception (who, when, why, before and after), in an
//! append-only, hash-chained log that a store keeps beside the events.
//!
//! Tamper evidence: each entry's `hash` is the SHA-256 of its `seq`, the previous entry's hash
//! and its own fields, each length-prefixed (`entry_hash`). Changing, removing or reordering
//! any entry breaks every later link, and `verify` names the first entry that does not follow.
//! The chain proves the log was not edited after the fact by anyone without the power to
//! rewrite it whole; anchoring its head elsewhere (printing `head` in a report, say) extends the
//! proof to them.
//!
//! Stores assign `seq` and link the hash under their write lock (`AuditLog::append` is the
//! state machine both backends apply), so the chain is one line even with several writers.

use sha2::{Digest, Sha256};

use serialhub_epcis::time::Timestamp;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The most targets one entry may name (a bulk action on a group names them all).
pub const TARGETS_MAX: usize = 100_000;
/// The longest `actor`, `action` or `reason`, in bytes.
pub const TEXT_MAX: usize = 4_096;
/// The longest `before` or `after`, in bytes: a bulk action's `before` holds each target's
/// state (about 110 bytes each at most), so `TARGETS_MAX` of them fit.
pub const STATE_MAX: usize = 16 << 20;
/// The most entries one call appends or reads.
pub const ENTRIES_PER_CALL_MAX: usize = 10_000;

/// An entry as the caller writes it; the store numbers and links it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDraft {
    /// When the action was taken.
    pub at: Timestamp,
    /// Who took it: the API key's name, or the CLI user.
    pub actor: String,
    /// What was done: a stable action name (`assign`, `resubmit`, `void`...).
    pub action: String,
    /// What it was done to: exception, group or case ids.
    pub targets: Vec<String>,
    /// Why: the justification the actor gave.
    pub reason: String,
    /// The targets' state before the action (JSON).
    pub before: String,
    /// Their state after it, and what the action caused (JSON: new message ids, events).
    pub after: String,
}

impl AuditDraft {
    /// Checks the bounds a store enforces before writing.
    pub fn check(&self) -> Result<(), String> {
        for (name, text) in [("actor", &self.actor), ("action", &self.action)] {
            if text.is_empty() || text.len() > TEXT_MAX {
                return Err(format!("audit entry: {name} must be 1 to {TEXT_MAX} bytes"));
            }
        }
        if self.reason.len() > TEXT_MAX {
            return Err(format!("audit entry: reason is over {TEXT_MAX} bytes"));
        }
        if self.targets.len() > TARGETS_MAX {
            return Err(format!("audit entry: over {TARGETS_MAX} targets"));
        }
        if self.before.len() > STATE_MAX || self.after.len() > STATE_MAX {
            return Err(format!("audit entry: before or after is over {STATE_MAX} bytes"));
        }
        // PostgreSQL's text refuses NUL; refusing it everywhere keeps the backends alike.
        let texts = [&self.actor, &self.action, &self.reason, &self.before, &self.after];
        if texts.into_iter().chain(&self.targets).any(|t| t.contains('\0')) {
            return Err("audit entry: a field holds a NUL character".to_owned());
        }
        Ok(())
    }
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1, 2, 3...: no gaps, never reused.
    pub seq: u64,
    /// The entry as written.
    pub draft: AuditDraft,
    /// The hash of entry `seq - 1` (`GENESIS` for the first).
    pub prev_hash: String,
    /// `entry_hash(seq, prev_hash, draft)`, lower-case hex.
    pub hash: String,
}

/// The link of entry `seq` after `prev_hash`: SHA-256 over a version tag, then every field
/// length-prefixed (so that no two different entries serialise alike), in lower-case hex.
pub fn entry_hash(seq: u64, prev_hash: &str, draft: &AuditDraft) -> String {
    let mut h = Sha256::new();
    h.update(b"serialhub-audit-v1");
    h.update(seq.to_be_bytes());
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&draft.at.unix_millis.to_be_bytes());
    field(draft.actor.as_bytes());
    field(draft.action.as_bytes());
    field(&(draft.targets.len() as u64).to_be_bytes());
    for target in &draft.targets {
        field(target.as_bytes());
    }
    field(draft.reason.as_bytes());
    field(draft.before.as_bytes());
    field(draft.after.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a log stops being a chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at entry {seq}: {what}")]
pub struct ChainBreak {
    /// The first entry that does not follow.
    pub seq: u64,
    /// How it does not.
    pub what: String,
}

/// Checks that `entries` (in order) continue a chain whose last entry is `after` (its seq and
/// hash; `(0, GENESIS)` from the start): numbered on, each linked to the one before, each hash
/// its own.
pub fn verify(after: (u64, &str), entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    let (mut seq, mut prev) = (after.0, after.1.to_owned());
    for entry in entries {
        let fail = |what: String| Err(ChainBreak { seq: entry.seq, what });
        if entry.seq != seq + 1 {
            return fail(format!("numbered {} after {seq}", entry.seq));
        }
        if entry.prev_hash != prev {
            return fail("its previous hash is not the hash of the entry before".to_owned());
        }
        if entry.hash != entry_hash(entry.seq, &entry.prev_hash, &entry.draft) {
            return fail("its hash does not match its contents".to_owned());
        }
        seq = entry.seq;
        prev.clone_from(&entry.hash);
    }
    Ok(())
}

/// The log in memory: what `MemStore` keeps and the embedded store replays into.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    entries: Vec<AuditEntry>,
}

impl AuditLog {
    /// The entries `drafts` become when appended now: numbered and linked after the last.
    pub fn link(&self, drafts: Vec<AuditDraft>) -> Vec<AuditEntry> {
        let (mut seq, mut prev) = self.head();
        drafts
            .into_iter()
            .map(|draft| {
                seq += 1;
                let hash = entry_hash(seq, &prev, &draft);
                let entry = AuditEntry { seq, draft, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                entry
            })
            .collect()
    }

    /// Adds entries `link` made (replay adds the stored ones).
    pub fn push(&mut self, entries: Vec<AuditEntry>) {
        self.entries.extend(entries);
    }

    /// The last entry's seq and hash, `(0, GENESIS)` when empty.
    pub fn head(&self) -> (u64, String) {
        self.entries.last().map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()))
    }

    /// The entries with `seq > after`, at most `limit`.
    pub fn read(&self, after: u64, limit: usize) -> Vec<AuditEntry> {
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(self.entries.len());
        let limit = limit.min(ENTRIES_PER_CALL_MAX);
        self.entries[start..].iter().take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(action: &str, targets: &[&str]) -> AuditDraft {
        AuditDraft {
            at: Timestamp { unix_millis: 1_700_000_000_000, has_offset: true },
            actor: "qa-lead".to_owned(),
            action: action.to_owned(),
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            reason: "master data fixed".to_owned(),
            before: r#"{"status":"new"}"#.to_owned(),
            after: r#"{"status":"resubmitted"}"#.to_owned(),
        }
    }

    #[test]
    fn a_chain_verifies_and_any_edit_breaks_it_where_it_was_made() {
        let mut log = AuditLog::default();
        let first = log.link(vec![draft("assign", &["1-0"]), draft("resubmit", &["1-0", "m7"])]);
        log.push(first);
        let more = log.link(vec![draft("close", &["1-0"])]);
        assert_eq!(more[0].seq, 3);
        log.push(more);
        let entries = log.read(0, 100);
        assert_eq!(verify((0, GENESIS), &entries), Ok(()));
        assert_eq!(verify((1, &entries[0].hash), &entries[1..]), Ok(()));

        // Each kind of tampering is caught at the entry tampered with.
        let mut edited = entries.clone();
        edited[1].draft.reason = "no reason".to_owned();
        assert_eq!(verify((0, GENESIS), &edited).expect_err("broken").seq, 2);
        let mut rehashed = edited.clone();
        rehashed[1].hash = entry_hash(2, &rehashed[1].prev_hash, &rehashed[1].draft);
        assert_eq!(
            verify((0, GENESIS), &rehashed).expect_err("broken").seq,
            3,
            "the next link breaks"
        );
        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify((0, GENESIS), &removed).expect_err("broken").seq, 3);
        let mut moved_target = entries.clone();
        moved_target[0].draft.targets = vec!["1-0m7".to_owned()];
        moved_target[1].draft.targets = vec![];
        assert_eq!(verify((0, GENESIS), &moved_target).expect_err("broken").seq, 1);
    }

    #[test]
    fn reads_page_and_bounds_are_checked() {
        let mut log = AuditLog::default();
        let entries = log.link((0..5).map(|i| draft("assign", &[&i.to_string()])).collect());
        log.push(entries);
        assert_eq!(log.read(3, 10).iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
        assert!(log.read(9, 10).is_empty());
        assert!(draft("assign", &[]).check().is_ok());
        assert!(draft("", &[]).check().is_err());
        let mut long = draft("assign", &[]);
        long.reason = "x".repeat(TEXT_MAX + 1);
        assert!(long.check().expect_err("too long").contains("reason"));
        let mut nul = draft("assign", &[]);
        nul.reason = "a\0b".to_owned();
        assert!(nul.check().expect_err("NUL").contains("NUL"));
    }
}
