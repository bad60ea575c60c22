//! Committing a write transaction, and learning on a new session whether it committed when
//! the connection is lost during its `COMMIT`.
//!
//! A connection lost while `COMMIT` is in flight leaves the outcome unknown to the client: the
//! server may have committed and lost only its answer. A backend terminated right after its
//! commit does exactly that: it reports `FATAL: terminating connection` although the commit is
//! durable (seen in CI). Reporting such a job as failed breaks the trait's promise that a
//! failed job wrote nothing. `pg_xact_status` tells, for a recent transaction ID, whether it
//! committed, aborted, or is still in progress (a terminated backend finishing its commit or
//! its abort).

use std::thread;
use std::time::Duration;

use postgres::error::Severity;
use postgres::{Client, Config, NoTls, Transaction};
use serialhub_store::StoreError;

use crate::{describe, unavailable};

/// How often, and how long apart, a transaction still in progress after its session was lost
/// is asked about again: for 10 s at least. A backend told to terminate ends within
/// milliseconds; one that does not is stuck, and the outcome is reported unknown. (Counted in
/// asks, not read off a clock: sleeping is the only use of time here.)
const IN_PROGRESS_ASKS: u32 = 500;
const IN_PROGRESS_PAUSE: Duration = Duration::from_millis(20);

/// How many times, and how long apart, the session that asks is opened before giving up (a
/// server restarting refuses connections for a moment).
const CONNECTS_MAX: u32 = 5;
const CONNECT_PAUSE: Duration = Duration::from_secs(1);

/// The most the session that asks waits to connect, or for an answer: it runs while the
/// store's connection is held, so a network that drops packets must not hold every caller for
/// the operating system's TCP timeouts.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// The select list that reads a transaction's `TxId` inside it (the ID is assigned by then:
/// the transaction has written, or `pg_current_xact_id` assigns one).
pub(crate) const TX_ID: &str = "pg_current_xact_id()::text AS xid, \
     extract(epoch FROM pg_postmaster_start_time())::text AS server_start";

/// What names a transaction to another session: its ID, and the start of the server that gave
/// it (Unix time, as text: the same whatever the session's time zone). A restarted server (its
/// last log lost in a crash), or another server behind the same URL, may have given the same
/// ID to another transaction: asked about it, it would answer for that one.
#[derive(Debug, Clone)]
pub(crate) struct TxId {
    pub(crate) xid: String,
    pub(crate) server_start: String,
}

/// How a commit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Committed {
    /// The server answered on this session.
    Answered,
    /// The session was lost during the commit, and a new session learned that it committed;
    /// the old session is unusable.
    Settled,
}

/// What the server says of a transaction ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Committed,
    Aborted,
}

/// Commits `tx`, named `id` to other sessions. A lost answer is settled by asking a new session
/// to `url`. An error means the transaction did not commit (`Unavailable`), or that nobody
/// could tell (`InDoubt`).
pub(crate) fn commit(tx: Transaction<'_>, url: &str, id: &TxId) -> Result<Committed, StoreError> {
    let error = match tx.commit() {
        Ok(()) => return Ok(Committed::Answered),
        Err(error) => error,
    };
    // An ERROR (a deferred constraint, a serialization failure) leaves the session open and
    // the transaction rolled back. A FATAL or no answer at all may follow a durable commit.
    // (`parsed_severity`: the server's `severity()` is in its own language.)
    if error.as_db_error().is_some_and(|db| db.parsed_severity() == Some(Severity::Error)) {
        return Err(unavailable(error));
    }
    match status(url, id) {
        Ok(Status::Committed) => Ok(Committed::Settled),
        Ok(Status::Aborted) => Err(unavailable(error)),
        Err(why) => Err(StoreError::InDoubt(format!(
            "the commit of transaction {} lost its answer ({}), and {why}",
            id.xid,
            describe(&error)
        ))),
    }
}

/// Whether the transaction `id` committed, asked on a new session to `url`, waiting for it
/// while it is still in progress. The error says why the server could not tell.
fn status(url: &str, id: &TxId) -> Result<Status, String> {
    let mut client = connect(url)?;
    for _ in 0..IN_PROGRESS_ASKS {
        let row = client
            .query_one(
                "SELECT extract(epoch FROM pg_postmaster_start_time())::text, \
                 pg_xact_status($1::text::xid8)",
                &[&id.xid],
            )
            .map_err(|e| format!("the server could not be asked: {}", describe(&e)))?;
        let server_start: String = row.get(0);
        if server_start != id.server_start {
            return Err(format!(
                "the server that answered started at {server_start} (Unix time), not at {} \
                 as the one the transaction ran on",
                id.server_start
            ));
        }
        let status: Option<String> = row.get(1);
        match status.as_deref() {
            Some("committed") => return Ok(Status::Committed),
            Some("aborted") => return Ok(Status::Aborted),
            Some("in progress") => thread::sleep(IN_PROGRESS_PAUSE),
            Some(other) => return Err(format!("the server said {other:?} of it")),
            None => return Err("the server no longer knows it".to_owned()),
        }
    }
    let waited = IN_PROGRESS_PAUSE * IN_PROGRESS_ASKS;
    Err(format!("it was still in progress after {waited:?}"))
}

/// A session to `url` whose connection and statements time out (`ASK_TIMEOUT`), opened
/// again while the server refuses it, `CONNECTS_MAX` times at most.
fn connect(url: &str) -> Result<Client, String> {
    let mut config: Config =
        url.parse().map_err(|e| format!("the server could not be asked: {e}"))?;
    config.connect_timeout(ASK_TIMEOUT);
    let mut why = String::new();
    for attempt in 0..CONNECTS_MAX {
        if attempt > 0 {
            thread::sleep(CONNECT_PAUSE);
        }
        match config.connect(NoTls) {
            Ok(mut client) => {
                let timeout = format!("SET statement_timeout = {}", ASK_TIMEOUT.as_millis());
                client
                    .batch_execute(&timeout)
                    .map_err(|e| format!("the server could not be asked: {}", describe(&e)))?;
                return Ok(client);
            }
            Err(error) => why = describe(&error),
        }
    }
    Err(format!("the server could not be asked ({CONNECTS_MAX} tries): {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test server, as `tests/support` names it.
    fn url() -> String {
        std::env::var("SERIALHUB_TEST_POSTGRES")
            .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".to_owned())
    }

    /// A transaction's `TxId`, read as the store reads it, and the transaction ended: committed
    /// when `commit`, rolled back otherwise.
    fn ended(client: &mut Client, commit: bool) -> TxId {
        let mut tx = client.transaction().expect("a transaction begins");
        let row = tx.query_one(&format!("SELECT {TX_ID}"), &[]).expect("the ID reads");
        let id = TxId { xid: row.get(0), server_start: row.get(1) };
        if commit { tx.commit() } else { tx.rollback() }.expect("the transaction ends");
        id
    }

    /// A new session tells a committed transaction from an aborted one, and refuses to answer
    /// for a transaction of a server that started at another time.
    #[test]
    fn another_session_tells_how_a_transaction_ended() {
        let url = url();
        let mut client = Client::connect(&url, NoTls).expect("the test server is reachable");
        let committed = ended(&mut client, true);
        let aborted = ended(&mut client, false);
        assert_eq!(status(&url, &committed), Ok(Status::Committed));
        assert_eq!(status(&url, &aborted), Ok(Status::Aborted));
        let restarted = TxId { server_start: "1.5".to_owned(), ..committed };
        let why = status(&url, &restarted).expect_err("another server's transaction");
        assert!(why.contains("not at 1.5"), "{why}");
    }
}
