//! The outbox on PostgreSQL (`migrations/0007_outbox.sql`): messages caused by a capture are
//! inserted in its transaction; claims, settlements and enqueues outside a capture are single
//! statements, so they do not take the ledger's write lock (a dispatcher settling thousands of
//! messages a second must not stall captures, nor make the capture writer reload its records).

use std::time::SystemTime;

use postgres::Row;
use serialhub_epcis::time::Timestamp;
use serialhub_store::StoreError;
use serialhub_store::outbox::{MessageStatus, NewMessage, Settlement, StoredMessage};

use crate::write::{millis, system_time};
use crate::{Db, corrupt, unavailable};

/// The columns `message_of` reads, in order.
pub(crate) const COLUMNS: &str = "id, connector, destination, idempotency_key, ordering_key, \
     payload, event_seq, created_at, status, attempts, next_attempt_at, lease_owner, \
     lease_until, last_error, receipt, settled_at";

pub(crate) const INSERT: &str = "INSERT INTO outbox (connector, destination, idempotency_key, \
     ordering_key, payload, event_seq, created_at, next_attempt_at) \
     SELECT u.connector, u.destination, u.key, u.ordering_key, u.payload, u.event_seq, $7, $7 \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) \
     AS u (connector, destination, key, ordering_key, payload, event_seq) \
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id";

/// Due, unleased (or lease run out), and the oldest pending message of its ordering key;
/// locked rows are skipped, so concurrent dispatchers take disjoint messages.
pub(crate) fn claim_sql() -> String {
    format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $3 WHERE id IN ( \
         SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= $2 \
         AND (o.lease_until IS NULL OR o.lease_until <= $2) \
         AND (o.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p \
              WHERE p.status = 'pending' AND p.ordering_key = o.ordering_key AND p.id < o.id)) \
         ORDER BY o.id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    )
}

/// `StoredMessage::settle` in SQL, for the messages whose lease `$1` holds at `$2`.
pub(crate) const SETTLE: &str = "UPDATE outbox o SET status = u.status, \
     attempts = o.attempts + u.counted, lease_owner = NULL, lease_until = NULL, \
     last_error = coalesce(u.error, o.last_error), receipt = coalesce(u.receipt, o.receipt), \
     next_attempt_at = coalesce(u.next_at, o.next_attempt_at), \
     settled_at = CASE WHEN u.status = 'pending' THEN o.settled_at ELSE $2 END \
     FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], \
     $8::integer[]) AS u (id, status, error, receipt, next_at, counted) \
     WHERE o.id = u.id AND o.status = 'pending' AND o.lease_owner = $1 AND o.lease_until > $2 \
     RETURNING o.id";

/// Inserts `messages` (`(event seq, message)`), created at `now`; returns the ids added, in
/// order.
pub(crate) fn insert<C: postgres::GenericClient>(
    db: &mut Db<'_, C>,
    statement: &postgres::Statement,
    messages: &[(Option<u64>, &NewMessage)],
    now: Timestamp,
) -> Result<Vec<u64>, StoreError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let column =
        |f: fn(&NewMessage) -> &str| -> Vec<&str> { messages.iter().map(|(_, m)| f(m)).collect() };
    let connectors = column(|m| &m.connector);
    let destinations = column(|m| &m.destination);
    let keys = column(|m| &m.idempotency_key);
    let ordering: Vec<Option<&str>> =
        messages.iter().map(|(_, m)| m.ordering_key.as_deref()).collect();
    let payloads: Vec<&[u8]> = messages.iter().map(|(_, m)| m.payload.as_slice()).collect();
    let seqs: Vec<Option<i64>> =
        messages.iter().map(|(seq, _)| seq.and_then(|s| i64::try_from(s).ok())).collect();
    let created = system_time(now.unix_millis);
    let rows = db
        .query(
            statement,
            &[&connectors, &destinations, &keys, &ordering, &payloads, &seqs, &created],
        )
        .map_err(unavailable)?;
    let mut ids: Vec<u64> = rows.iter().map(|r| r.get::<_, i64>(0).unsigned_abs()).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The settlement columns of `SETTLE` for each of `settlements`.
pub(crate) type SettleColumns = (
    Vec<i64>,
    Vec<&'static str>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<Option<SystemTime>>,
    Vec<i32>,
);

pub(crate) fn settle_columns(settlements: &[(u64, Settlement)]) -> SettleColumns {
    let mut columns: SettleColumns = Default::default();
    for (id, settlement) in settlements {
        let (status, error, receipt, next_at) = match settlement {
            Settlement::Delivered { receipt } => ("delivered", None, Some(receipt.clone()), None),
            Settlement::Retry { error, at } => {
                ("pending", Some(error.clone()), None, Some(system_time(at.unix_millis)))
            }
            Settlement::Failed { error } => ("failed", Some(error.clone()), None, None),
            Settlement::Deferred { at } => {
                ("pending", None, None, Some(system_time(at.unix_millis)))
            }
        };
        // A deferral is not an attempt.
        columns.5.push(i32::from(!matches!(settlement, Settlement::Deferred { .. })));
        columns.0.push(i64::try_from(*id).unwrap_or(i64::MAX));
        columns.1.push(status);
        columns.2.push(error);
        columns.3.push(receipt);
        columns.4.push(next_at);
    }
    columns
}

fn time(row: &Row, column: usize) -> Timestamp {
    Timestamp { unix_millis: millis(row.get::<_, SystemTime>(column)), has_offset: true }
}

fn opt_time(row: &Row, column: usize) -> Option<Timestamp> {
    row.get::<_, Option<SystemTime>>(column)
        .map(|t| Timestamp { unix_millis: millis(t), has_offset: true })
}

/// A row of `COLUMNS`.
pub(crate) fn message_of(row: &Row) -> Result<StoredMessage, StoreError> {
    let status: &str = row.get(8);
    let status =
        MessageStatus::from_name(status).ok_or_else(|| corrupt("outbox.status", status))?;
    let lease = match (row.get::<_, Option<String>>(11), opt_time(row, 12)) {
        (Some(owner), Some(until)) => Some((owner, until)),
        _ => None,
    };
    Ok(StoredMessage {
        id: row.get::<_, i64>(0).unsigned_abs(),
        message: NewMessage {
            connector: row.get(1),
            destination: row.get(2),
            idempotency_key: row.get(3),
            ordering_key: row.get(4),
            payload: row.get(5),
        },
        event_seq: row.get::<_, Option<i64>>(6).map(i64::unsigned_abs),
        created_at: time(row, 7),
        status,
        attempts: u32::try_from(row.get::<_, i32>(9)).unwrap_or(0),
        next_attempt_at: time(row, 10),
        lease,
        last_error: row.get(13),
        receipt: row.get(14),
        settled_at: opt_time(row, 15),
    })
}
