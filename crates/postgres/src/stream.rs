//! `Store::capture_stream` on PostgreSQL: decides each batch while the server writes the one
//! before, so that the client's work and the server's overlap.
//!
//! Measured at a million packs, a capture job's client phases (deciding, encoding rows) and
//! server phases (copies, the update of the records, the commit) ran one after the other: the
//! backend ran in 64% of samples, the importer in 44%, both at once in 13%. Deciding a batch
//! needs only the mirror when the mirror is complete (`Mirror::ahead_of`), so the next batch
//! can be decided on the mirror as the batch in flight leaves it, before that batch commits.
//!
//! What keeps it equal to one `capture_routed` per batch:
//! - At most one batch is in flight, and the next one is decided only on a complete mirror,
//!   without master data, error declarations (their replay reads stored history) or a hash
//!   the mirror may have stored; any other batch waits for the pipeline to empty and goes
//!   through `capture_routed`.
//! - A decided batch names the generation it expects to bump the schema to. If another writer
//!   came in between, the generation differs: the batch is not written, the mirror is emptied
//!   and the batch is captured again through `capture_routed`, as is the batch decided after it.
//! - A batch that fails empties the mirror; the batch decided after it (on the failed batch's
//!   changes) is captured again from its records. Deciding does not change records.
//! - A result is reported only once its transaction committed or failed.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use postgres::Client;
use serialhub_epcis::time::Timestamp;
use serialhub_store::capture::{self, Decided};
use serialhub_store::declare::Declarations;
use serialhub_store::outbox::Route;
use serialhub_store::{CaptureFeed, CommitReceipt, Store, StoreError, StreamBatch};

use crate::mirror::Mirror;
use crate::{
    Conn, Db, PgStore, Statements, Tx, begin_write, container_before, fresh, route_messages,
    settle, unavailable, write,
};

/// A batch decided on the mirror ahead of its write.
struct Ahead {
    decided: Decided,
    /// Which of the job's events are fresh (not repeated earlier in the batch).
    fresh: Vec<bool>,
    now: Timestamp,
    /// The generation the batch's transaction must bump the schema to: one past the batch
    /// decided before it. Any other means another writer wrote in between.
    generation: i64,
    /// The guess of the seq its first event will take, and its rows encoded on that guess.
    first: Option<i64>,
    encoded: Option<Encoded>,
    n_fresh: i64,
}

impl Ahead {
    /// The guess of the seq the next batch's first event will take.
    fn next_seq(&self) -> Option<i64> {
        self.first.map(|first| first + self.n_fresh)
    }

    /// Takes `first` as the seq of this batch's first event: the rows encoded on another
    /// guess are dropped, to be encoded again by the writer.
    fn rebase(&mut self, first: Option<i64>) {
        if self.first != first {
            self.first = first;
            self.encoded = None;
        }
    }

    /// The batch as it came, to be captured again.
    fn into_batch(self) -> StreamBatch {
        let records = self.decided.job.events.into_iter().map(|c| c.record).collect();
        StreamBatch { records, master_data: Vec::new(), now: self.now }
    }
}

/// A job's journal and ledger rows, encoded before its transaction allocated its seqs, on
/// the guess that its first seq is `first`.
struct Encoded {
    first: i64,
    journal: write::Journal,
    rows: write::LedgerRows,
}

impl Encoded {
    /// Encodes the fresh events of `decided` (`fresh[i]` for its `i`th event) as a job
    /// captured at `now` whose first seq is `first`.
    fn new(decided: &capture::Decided, fresh: &[bool], now: Timestamp, first: i64) -> Encoded {
        let block = write::Block::guessed(first, now);
        let job = &decided.job;
        let records = job.events.iter().zip(fresh).filter(|(_, f)| **f).map(|(c, _)| &c.record);
        let journal = write::journal(records, &block);
        let rows = write::ledger_rows(job, fresh, &block, |key| container_before(decided, key));
        Encoded { first, journal, rows }
    }
}

/// How writing a decided batch ended.
enum Written {
    Committed {
        receipt: CommitReceipt,
        generation: i64,
        /// The month whose partition the batch created.
        month: Option<i32>,
        /// The seq the next batch's first event will take (`None`: unchanged).
        next_seq: Option<i64>,
        /// Whether the session was lost during the commit (`settle::Committed::Settled`).
        lost: bool,
    },
    /// Not written: another writer bumped the generation since the batch was decided.
    Stale,
    Failed(StoreError),
}

/// Decides and encodes `batch` on `mirror`, as the batch after `after` (after the mirror's
/// last commit when `None`), or gives it back when it cannot be decided ahead.
fn decide_ahead(
    mirror: &mut Mirror,
    batch: StreamBatch,
    after: Option<&Ahead>,
) -> Result<Ahead, StreamBatch> {
    let Some(committed) = mirror.ahead_of() else { return Err(batch) };
    let reads_server = !batch.master_data.is_empty()
        || batch.records.iter().any(|r| r.event.error_declaration.is_some());
    if reads_server {
        return Err(batch);
    }
    let hashes: Vec<&str> = batch.records.iter().map(|r| r.hash_id.as_str()).collect();
    if !mirror.maybe_stored(&hashes).is_empty() {
        return Err(batch);
    }
    let fresh = fresh(hashes.iter().copied(), &HashSet::new());
    mirror.stored(hashes.into_iter());
    let StreamBatch { records, now, .. } = batch;
    let decided =
        capture::decide(&mut mirror.ledger, &|_| false, records, now, &Declarations::default());
    // Invariant: `decide` keeps one event per record, in order.
    assert_eq!(decided.job.events.len(), fresh.len(), "decide keeps every event");
    let generation = after.map_or(committed, |after| after.generation) + 1;
    let first = after.map_or(mirror.next_seq, Ahead::next_seq);
    let n_fresh = fresh.iter().filter(|f| **f).count();
    // Encoding here, while the server writes the batch before, takes it off the writer's
    // path: measured at a million packs, it was a fifth of the client's time.
    let encoded =
        first.filter(|_| n_fresh > 0).map(|first| Encoded::new(&decided, &fresh, now, first));
    let n_fresh = i64::try_from(n_fresh).unwrap_or(i64::MAX);
    Ok(Ahead { decided, fresh, now, generation, first, encoded, n_fresh })
}

/// What the writer thread borrows from the connection.
struct Writer<'c> {
    client: &'c mut Client,
    statements: &'c Statements,
    partitions: &'c HashSet<i32>,
    lock_id: i32,
    queries: &'c AtomicU64,
    /// Where to ask whether a commit whose answer was lost went through.
    url: &'c str,
}

/// Writes `ahead` in one transaction holding the write lock, as `capture_routed` would have
/// after deciding it, with its rows `encoded` ahead if they were.
fn write_ahead(
    Writer { client, statements, partitions, lock_id, queries, url }: Writer<'_>,
    route: &dyn Route,
    ahead: &Ahead,
    encoded: Option<Encoded>,
) -> Written {
    queries.fetch_add(1, Ordering::Relaxed);
    let mut tx = match client.transaction() {
        Ok(tx) => tx,
        Err(error) => return Written::Failed(unavailable(error)),
    };
    let mut db = Db { client: &mut tx, queries };
    let began = match begin_write(&mut db, lock_id) {
        Ok(began) => began,
        Err(error) => return Written::Failed(error),
    };
    if began.generation != ahead.generation {
        // Dropping the transaction rolls the bump back.
        return Written::Stale;
    }
    let written = write_decided(&mut db, statements, partitions, ahead, route, encoded);
    queries.fetch_add(1, Ordering::Relaxed);
    match written {
        Ok((receipt, month, next_seq)) => match settle::commit(tx, url, &began.id) {
            Ok(committed) => Written::Committed {
                receipt,
                generation: began.generation,
                month,
                next_seq,
                lost: committed == settle::Committed::Settled,
            },
            Err(error) => Written::Failed(error),
        },
        Err(error) => Written::Failed(error),
    }
}

/// Writes a batch decided `ahead` of its transaction, as `capture_routed` does after deciding:
/// the journal, then the ledger's rows and the outbox messages. `encoded` is used when its
/// guess of the first seq was right; otherwise the rows are encoded here, while the server
/// copies the journal in. The caller holds the write lock. Returns the receipt, the month
/// whose partition this created and the seq the next batch's first event will take (`None`:
/// this batch took none).
fn write_decided(
    db: &mut Tx<'_, '_>,
    statements: &Statements,
    partitions: &HashSet<i32>,
    ahead: &Ahead,
    route: &dyn Route,
    encoded: Option<Encoded>,
) -> Result<(CommitReceipt, Option<i32>, Option<i64>), StoreError> {
    let Ahead { decided, fresh, now, .. } = ahead;
    let (fresh, now) = (fresh.as_slice(), *now);
    let job = &decided.job;
    let n_fresh = fresh.iter().filter(|f| **f).count();
    let Some(block) = write::allocate(db, statements, partitions, n_fresh, Some(now))? else {
        return Ok((write::duplicates(job.events.iter().map(|c| &c.record)), None, None));
    };
    let next_seq = block.first + i64::try_from(n_fresh).unwrap_or(i64::MAX);
    let rows = match encoded.filter(|encoded| encoded.first == block.first) {
        Some(Encoded { journal, rows, .. }) => {
            write::send_journal(db, statements, &journal)?;
            rows
        }
        None => {
            let records = job.events.iter().zip(fresh).filter(|(_, f)| **f).map(|(c, _)| &c.record);
            let journal = write::journal(records, &block);
            let (rows, sent) = std::thread::scope(|scope| {
                let sender = scope.spawn(|| write::send_journal(db, statements, &journal));
                let rows =
                    write::ledger_rows(job, fresh, &block, |key| container_before(decided, key));
                (rows, sender.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            });
            sent?;
            rows
        }
    };
    let mut receipt = write::ledger(db, statements, job, fresh, &block, rows)?;
    receipt.late = decided.late;
    receipt.messages = route_messages(db, statements, job, fresh, block.first, route, now)?;
    Ok((receipt, block.created, Some(next_seq)))
}

/// Where the stream's batches come from: batches taken back to capture again, in order, then
/// the feed's. A feed that has ended is not asked again (a batch taken back after it ended
/// would otherwise have it asked once more).
#[derive(Default)]
struct Source {
    again: VecDeque<StreamBatch>,
    ended: bool,
}

impl Source {
    fn next(&mut self, feed: &mut dyn CaptureFeed) -> Option<StreamBatch> {
        if let Some(batch) = self.again.pop_front() {
            return Some(batch);
        }
        if self.ended {
            return None;
        }
        let batch = feed.next_batch();
        self.ended = batch.is_none();
        batch
    }
}

/// `Store::capture_stream` for `store`.
pub(crate) fn capture_stream(store: &PgStore, feed: &mut dyn CaptureFeed, route: &dyn Route) {
    let mut source = Source::default();
    while let Some(batch) = source.next(feed) {
        let mut conn = match store.conn() {
            Ok(conn) => conn,
            Err(error) => {
                if feed.done(Err(error)) {
                    continue;
                }
                return;
            }
        };
        let mut ahead = match decide_ahead(&mut conn.mirror, batch, None) {
            Ok(ahead) => ahead,
            Err(batch) => {
                // The connection is free between batches the pipeline does not decide ahead.
                drop(conn);
                let result = if batch.master_data.is_empty() {
                    Ok(())
                } else {
                    store.put_master_data(&batch.master_data)
                };
                let result =
                    result.and_then(|()| store.capture_routed(batch.records, batch.now, route));
                if feed.done(result) {
                    continue;
                }
                return;
            }
        };
        // Write `ahead` while the next batch is taken and decided, until a batch cannot be.
        loop {
            let (written, following) = std::thread::scope(|scope| {
                let Conn { client, statements, lock_id, partitions, mirror, .. } = &mut *conn;
                let encoded = ahead.encoded.take();
                let ahead = &ahead;
                let (lock_id, queries, url) = (*lock_id, &store.queries, store.url.as_str());
                let writer = Writer { client, statements, partitions, lock_id, queries, url };
                let writer = scope.spawn(move || write_ahead(writer, route, ahead, encoded));
                let following =
                    source.next(feed).map(|batch| decide_ahead(mirror, batch, Some(ahead)));
                let written =
                    writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (written, following)
            });
            let following = match written {
                Written::Committed { receipt, generation, month, next_seq, lost } => {
                    store.written_ahead.fetch_add(1, Ordering::Relaxed);
                    conn.broken |= lost;
                    conn.mirror.committed(generation);
                    conn.partitions.extend(month);
                    if next_seq.is_some() {
                        conn.mirror.next_seq = next_seq;
                    }
                    store.discard(ahead.decided);
                    if !feed.done(Ok(receipt)) {
                        if matches!(following, Some(Ok(_))) {
                            // Decided after it, in the mirror, and never to be written.
                            conn.mirror.clear();
                        }
                        return;
                    }
                    following.map(|following| {
                        following.map(|mut ahead| {
                            // A guess made on a wrong one (a gap in the sequence) is wrong too.
                            ahead.rebase(conn.mirror.next_seq);
                            ahead
                        })
                    })
                }
                Written::Stale => {
                    // Both were decided on records another writer has changed since.
                    conn.mirror.clear();
                    if let Some(following) = following {
                        source
                            .again
                            .push_front(following.map_or_else(|batch| batch, Ahead::into_batch));
                    }
                    source.again.push_front(ahead.into_batch());
                    break;
                }
                Written::Failed(error) => {
                    conn.mirror.clear();
                    let error = Err(error);
                    conn.check(&error);
                    if let Some(following) = following {
                        source
                            .again
                            .push_front(following.map_or_else(|batch| batch, Ahead::into_batch));
                    }
                    if !feed.done(error) {
                        return;
                    }
                    break;
                }
            };
            match following {
                None => return,
                Some(Ok(decided)) => ahead = decided,
                Some(Err(batch)) => {
                    source.again.push_front(batch);
                    break;
                }
            }
            if conn.broken && store.reopen(&mut conn).is_err() {
                // `ahead` was decided on the mirror but will not be written on this session:
                // it is captured again, and `store.conn()` reports the server's error.
                conn.mirror.clear();
                source.again.push_front(ahead.into_batch());
                break;
            }
        }
    }
}
