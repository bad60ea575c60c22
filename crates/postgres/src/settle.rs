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

use postgres::{Client, NoTls, Transaction};
use serialhub_store::StoreError;

use crate::{describe, unavailable};

/// How often, and how long apart, a transaction still in progress after its session was lost
/// is asked about again: for 10 s at least. A backend told to terminate ends within
/// milliseconds; one that does not is stuck, and the outcome is reported unknown. (Counted in
/// asks, not read off a clock: sleeping is the only use of time here.)
const IN_PROGRESS_ASKS: u32 = 500;
const IN_PROGRESS_PAUSE: Duration = Duration::from_millis(20);

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

/// Commits `tx`, whose transaction ID is `xid` (`pg_current_xact_id()` as text). A lost answer
/// is settled by asking a new session to `url`. An error means the transaction did not
/// commit (`Unavailable`), or that nobody could tell (`InDoubt`).
pub(crate) fn commit(tx: Transaction<'_>, url: &str, xid: &str) -> Result<Committed, StoreError> {
    let error = match tx.commit() {
        Ok(()) => return Ok(Committed::Answered),
        Err(error) => error,
    };
    // An ERROR (a deferred constraint, a serialization failure) leaves the session open and
    // the transaction rolled back. A FATAL or no answer at all may follow a durable commit.
    if error.as_db_error().is_some_and(|db| db.severity() == "ERROR") {
        return Err(unavailable(error));
    }
    match status(url, xid) {
        Ok(Status::Committed) => Ok(Committed::Settled),
        Ok(Status::Aborted) => Err(unavailable(error)),
        Err(why) => Err(StoreError::InDoubt(format!(
            "the commit of transaction {xid} got no answer ({}), and {why}",
            describe(&error)
        ))),
    }
}

/// Whether the transaction `xid` committed, asked on a new session to `url`, waiting for it
/// while it is still in progress. The error says why the server could not tell.
fn status(url: &str, xid: &str) -> Result<Status, String> {
    let mut client = Client::connect(url, NoTls)
        .map_err(|e| format!("the server could not be asked: {}", describe(&e)))?;
    for _ in 0..IN_PROGRESS_ASKS {
        let row = client
            .query_one("SELECT pg_xact_status($1::text::xid8)", &[&xid])
            .map_err(|e| format!("the server could not be asked: {}", describe(&e)))?;
        let status: Option<String> = row.get(0);
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
