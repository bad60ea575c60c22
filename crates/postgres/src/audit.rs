//! The audit log on PostgreSQL (`migrations/0008_audit_log.sql`): entries are linked under a
//! transaction-scoped advisory lock of their own (not the ledger's write lock: an action on
//! exceptions must not wait for a large capture), read in order by `seq`.

use postgres::Client;
use serialhub_store::StoreError;
use serialhub_store::audit::{AuditDraft, AuditEntry, AuditLog, ENTRIES_PER_CALL_MAX, GENESIS};

use crate::write::{millis, system_time};
use crate::{corrupt, settle, unavailable};

/// The advisory lock class of the audit log's appends (the object ID is the schema's hash).
const AUDIT_LOCK_CLASS: i32 = 0x7368_0003;

const COLUMNS: &str = "seq, prev_hash, hash, at, actor, action, targets, reason, before, after";

/// Links `drafts` after the last stored entry and inserts them, in one transaction. A commit
/// whose answer is lost is settled by asking `url` (a retry of entries already appended would
/// append them twice). Returns the entries and whether the session was lost.
pub(crate) fn append(
    client: &mut Client,
    url: &str,
    lock_id: i32,
    drafts: Vec<AuditDraft>,
) -> Result<(Vec<AuditEntry>, settle::Committed), StoreError> {
    let mut tx = client.transaction().map_err(unavailable)?;
    let row = tx
        .query_one(
            &format!("SELECT {} FROM pg_advisory_xact_lock($1, $2)", settle::TX_ID),
            &[&AUDIT_LOCK_CLASS, &lock_id],
        )
        .map_err(unavailable)?;
    let id = settle::TxId { xid: row.get(0), server_start: row.get(1) };
    let last = tx
        .query(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"), &[])
        .map_err(unavailable)?;
    let mut head = AuditLog::default();
    if let Some(row) = last.first() {
        head.push(vec![entry_of(row)?]);
    }
    let entries = head.link(drafts);
    for entry in &entries {
        let d = &entry.draft;
        let seq = i64::try_from(entry.seq).map_err(|_| corrupt("audit_log.seq", entry.seq))?;
        tx.execute(
            "INSERT INTO audit_log (seq, prev_hash, hash, at, actor, action, targets, reason, \
             before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &seq,
                &entry.prev_hash,
                &entry.hash,
                &system_time(d.at.unix_millis),
                &d.actor,
                &d.action,
                &d.targets,
                &d.reason,
                &d.before,
                &d.after,
            ],
        )
        .map_err(unavailable)?;
    }
    let committed = settle::commit(tx, url, &id)?;
    Ok((entries, committed))
}

/// The entries after `after`, at most `limit`.
pub(crate) fn read(
    client: &mut Client,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = limit.min(ENTRIES_PER_CALL_MAX) as i64;
    let rows = client
        .query(
            &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[&after, &limit],
        )
        .map_err(unavailable)?;
    rows.iter().map(entry_of).collect()
}

fn entry_of(row: &postgres::Row) -> Result<AuditEntry, StoreError> {
    let seq: i64 = row.get(0);
    let at = millis(row.get(3));
    let draft = AuditDraft {
        at: serialhub_epcis::time::Timestamp { unix_millis: at, has_offset: true },
        actor: row.get(4),
        action: row.get(5),
        targets: row.get(6),
        reason: row.get(7),
        before: row.get(8),
        after: row.get(9),
    };
    let prev_hash: String = row.get(1);
    if seq < 1 || (seq == 1 && prev_hash != GENESIS) {
        return Err(corrupt("audit_log.seq", seq));
    }
    Ok(AuditEntry { seq: seq.unsigned_abs(), draft, prev_hash, hash: row.get(2) })
}
