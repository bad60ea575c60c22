//! Capture jobs: the queue of accepted documents, the one writer thread that captures them in
//! order, and the table of job states that `GET /epcis/capture` reports.
//!
//! Why one writer thread: the store decides every event against the states the previous ones
//! left (`Store::capture` holds its write lock anyway), so parallel writers would only queue
//! on it; reading, validating and hashing happen before, on the request's blocking thread.
//! The queue is bounded (`QUEUE_LEN_MAX`): a full queue answers 503 rather than holding
//! unbounded documents in memory.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serialhub_epcis::Vocabulary;
use serialhub_epcis::time::Timestamp;
use serialhub_store::outbox::{NoRoute, Route};
use serialhub_store::{CommitReceipt, EventRecord, Store, StoreError};

use crate::ingest::Ingested;

use crate::deliver::Wake;
use crate::metrics::Metrics;

/// The capture time source (the binary owns the wall clock).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Documents accepted and not yet captured, at most.
pub const QUEUE_LEN_MAX: usize = 64;
/// Finished jobs remembered, at most; the oldest finished are forgotten first.
pub const JOBS_KEPT_MAX: usize = 10_000;
/// Errors a job keeps, at most; the rest are counted in a last line.
pub const JOB_ERRORS_MAX: usize = 1_000;

/// `GS1-Capture-Error-Behaviour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorBehaviour {
    /// All or nothing (the default).
    Rollback,
    /// Capture every valid event; list the invalid ones.
    Proceed,
}

impl ErrorBehaviour {
    /// The header value.
    pub fn name(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}

/// One capture job as `GET /epcis/capture/{id}` shows it.
#[derive(Clone, Debug)]
pub struct JobState {
    /// The job's id.
    pub id: String,
    /// The key that submitted it (jobs are visible to it and to admins).
    pub owner_key: String,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// Still queued or capturing.
    pub running: bool,
    /// No error so far.
    pub success: bool,
    /// How errors were to be handled.
    pub behaviour: ErrorBehaviour,
    /// Every error, `LOCATION: message`.
    pub errors: Vec<String>,
    /// Events in the document.
    pub events: usize,
    /// Events stored, duplicates skipped, exceptions raised (when finished).
    pub receipt: Option<(usize, usize, usize)>,
}

impl JobState {
    /// The job document of the REST binding, with serialhub's counts.
    pub fn to_json(&self) -> serde_json::Value {
        let mut job = serde_json::json!({
            "captureID": self.id,
            "createdAt": self.created_at.to_utc_millis_string(),
            "running": self.running,
            "success": self.success,
            "captureErrorBehaviour": self.behaviour.name(),
            "errors": self.errors,
            "events": self.events,
        });
        if let Some(t) = self.finished_at {
            job["finishedAt"] = t.to_utc_millis_string().into();
        }
        if let Some((stored, duplicates, exceptions)) = self.receipt {
            job["stored"] = stored.into();
            job["duplicates"] = duplicates.into();
            job["exceptions"] = exceptions.into();
        }
        job
    }
}

/// The route the writer thread captures with, set once before serving (`Jobs::route_with`).
type SharedRoute = Arc<std::sync::OnceLock<Arc<dyn Route>>>;

/// What the writer thread is handed.
struct Work {
    id: String,
    /// The job's number in the table.
    number: u64,
    records: Vec<EventRecord>,
    /// The document's master data, stored before its events.
    master_data: Vec<Vocabulary>,
    /// The spool file of the document, removed once the job has finished.
    spooled: Option<std::path::PathBuf>,
    /// For `POST /epcis/events`, which answers when the event is stored.
    reply: Option<tokio::sync::oneshot::Sender<Result<CommitReceipt, StoreError>>>,
}

/// The capture queue, its writer thread and the job table.
pub struct Jobs {
    table: Arc<Mutex<Table>>,
    /// Which outbox messages captured events cause (`route_with`); none until set.
    route: SharedRoute,
    sender: Mutex<Option<SyncSender<Work>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    clock: Clock,
    prefix: String,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Table {
    next: u64,
    jobs: BTreeMap<u64, JobState>,
    /// Ids given by an earlier run to jobs this run captured from the spool, to their number.
    recovered: std::collections::HashMap<String, u64>,
}

/// A job number and id taken before the job is queued, so that the spool can record the id
/// the client is told (`Jobs::ticket`).
#[derive(Debug)]
pub struct Ticket {
    number: u64,
    /// The id of the job.
    pub id: String,
}

impl Table {
    fn forget_oldest_finished(&mut self) {
        while self.jobs.len() > JOBS_KEPT_MAX {
            let Some(oldest) = self.jobs.iter().find(|(_, j)| !j.running).map(|(n, _)| *n) else {
                return;
            };
            if let Some(job) = self.jobs.remove(&oldest) {
                self.recovered.remove(&job.id);
            }
        }
    }

    fn number_of(&self, prefix: &str, id: &str) -> Option<u64> {
        match id.strip_prefix(prefix).and_then(|n| n.parse().ok()) {
            Some(number) => Some(number),
            None => self.recovered.get(id).copied(),
        }
    }
}

/// Why a job was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue is full: try again later.
    QueueFull,
    /// The server is shutting down.
    ShuttingDown,
}

impl Jobs {
    /// Starts the writer thread over `store`.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Clock,
        metrics: Arc<Metrics>,
        wake: Arc<Wake>,
    ) -> Jobs {
        let (sender, receiver) = sync_channel::<Work>(QUEUE_LEN_MAX);
        let table = Arc::new(Mutex::new(Table::default()));
        let route: SharedRoute = Arc::default();
        let worker = {
            let table = table.clone();
            let clock = clock.clone();
            let route = route.clone();
            std::thread::Builder::new()
                .name("capture".to_owned())
                .spawn(move || write_loop(receiver, (store, route), table, clock, metrics, wake))
                .expect("spawning the capture thread")
        };
        let mut random = [0u8; 4];
        // A restarted server must not hand out the ids of the previous one's jobs.
        let prefix = match getrandom::fill(&mut random) {
            Ok(()) => format!("{:08x}-", u32::from_le_bytes(random)),
            Err(_) => format!("{:x}-", clock().unix_millis),
        };
        Jobs {
            table,
            route,
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
            clock,
            prefix,
        }
    }

    /// Routes every job captured from now on through `route` (the outbox's connectors); the
    /// first call counts, later ones are ignored (set it once, before serving).
    pub fn route_with(&self, route: Arc<dyn Route>) {
        let _ = self.route.set(route);
    }

    /// Takes the next job number and id (a job that is then never submitted leaves a gap).
    pub fn ticket(&self) -> Result<Ticket, SubmitError> {
        let mut table = self.table.lock().map_err(|_| SubmitError::ShuttingDown)?;
        let number = table.next;
        table.next += 1;
        Ok(Ticket { number, id: format!("{}{number}", self.prefix) })
    }

    /// A ticket for a job an earlier run accepted as `id` and this one captures from the
    /// spool: the client polls the id it was given.
    pub fn ticket_recovered(&self, id: &str) -> Result<Ticket, SubmitError> {
        let mut ticket = self.ticket()?;
        let mut table = self.table.lock().map_err(|_| SubmitError::ShuttingDown)?;
        table.recovered.insert(id.to_owned(), ticket.number);
        ticket.id = id.to_owned();
        Ok(ticket)
    }

    /// Queues the valid events of `ingested` (and its master data) as the job of `ticket`.
    /// `ingested.event_errors` are the invalid events set apart already (`proceed`); they make
    /// the job unsuccessful whatever the capture does. `spooled`: the document's spool file,
    /// removed when the job has finished.
    pub fn submit(
        &self,
        ticket: Ticket,
        owner_key: &str,
        behaviour: ErrorBehaviour,
        ingested: Ingested,
        spooled: Option<std::path::PathBuf>,
    ) -> Result<String, SubmitError> {
        let Ingested { records, event_errors, events_total, master_data } = ingested;
        let work = (ticket, records, master_data);
        self.enqueue(owner_key, behaviour, work, events_total, event_errors, (None, spooled))
    }

    /// Queues one event and returns a receiver of its outcome (`POST /epcis/events`).
    pub fn submit_and_wait(
        &self,
        owner_key: &str,
        record: EventRecord,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<CommitReceipt, StoreError>>, SubmitError>
    {
        let (reply, receiver) = tokio::sync::oneshot::channel();
        self.enqueue(
            owner_key,
            ErrorBehaviour::Rollback,
            (self.ticket()?, vec![record], Vec::new()),
            1,
            Vec::new(),
            (Some(reply), None),
        )?;
        Ok(receiver)
    }

    fn enqueue(
        &self,
        owner_key: &str,
        behaviour: ErrorBehaviour,
        (ticket, records, master_data): (Ticket, Vec<EventRecord>, Vec<Vocabulary>),
        events: usize,
        errors: Vec<String>,
        (reply, spooled): (
            Option<tokio::sync::oneshot::Sender<Result<CommitReceipt, StoreError>>>,
            Option<std::path::PathBuf>,
        ),
    ) -> Result<String, SubmitError> {
        let sender = self.sender.lock().map_err(|_| SubmitError::ShuttingDown)?.clone();
        let Some(sender) = sender else {
            return Err(SubmitError::ShuttingDown);
        };
        let mut table = self.table.lock().map_err(|_| SubmitError::ShuttingDown)?;
        let Ticket { number, id } = ticket;
        let work = Work { id: id.clone(), number, records, master_data, spooled, reply };
        // Under the table lock, so that the writer cannot finish a job not yet in the table.
        match sender.try_send(work) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(SubmitError::QueueFull),
            Err(TrySendError::Disconnected(_)) => return Err(SubmitError::ShuttingDown),
        }
        let success = errors.is_empty();
        let mut errors = errors;
        if errors.len() > JOB_ERRORS_MAX {
            let more = errors.len() - JOB_ERRORS_MAX;
            errors.truncate(JOB_ERRORS_MAX);
            errors.push(format!("... and {more} more errors"));
        }
        table.jobs.insert(
            number,
            JobState {
                id: id.clone(),
                owner_key: owner_key.to_owned(),
                created_at: (self.clock)(),
                finished_at: None,
                running: true,
                success,
                behaviour,
                errors,
                events,
                receipt: None,
            },
        );
        table.forget_oldest_finished();
        Ok(id)
    }

    /// The job `id`, if it is known.
    pub fn get(&self, id: &str) -> Option<JobState> {
        let table = self.table.lock().ok()?;
        let number = table.number_of(&self.prefix, id)?;
        table.jobs.get(&number).cloned()
    }

    /// Jobs after the job numbered `after` (exclusive; `None` from the start), oldest first,
    /// at most `limit`, visible to `owner_key` (`None`: all). Returns them and whether more
    /// follow.
    pub fn list(
        &self,
        owner_key: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> (Vec<(u64, JobState)>, bool) {
        let Ok(table) = self.table.lock() else {
            return (Vec::new(), false);
        };
        let start = after.map_or(0, |a| a.saturating_add(1));
        let mut visible = table
            .jobs
            .range(start..)
            .filter(|(_, j)| owner_key.is_none_or(|k| j.owner_key == k))
            .map(|(n, j)| (*n, j.clone()));
        let page: Vec<_> = visible.by_ref().take(limit).collect();
        let more = visible.next().is_some();
        (page, more)
    }

    /// Stops accepting jobs and waits until every accepted one is captured.
    pub fn shut_down(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(worker) = worker {
            let _ = worker.join();
        }
    }
}

fn write_loop(
    receiver: Receiver<Work>,
    (store, route): (Arc<dyn Store>, SharedRoute),
    table: Arc<Mutex<Table>>,
    clock: Clock,
    metrics: Arc<Metrics>,
    wake: Arc<Wake>,
) {
    // Ends when every sender is gone (shutdown) and the queue is drained.
    for work in receiver {
        let events = work.records.len();
        // A panic in the store (a bug) fails this job, not the thread and every job after it.
        let records = work.records;
        let master_data = work.master_data;
        let now = clock();
        // Master data first: events that follow may be queried by it. Merging is idempotent,
        // so a job that then fails and is captured again stores nothing twice.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if !master_data.is_empty() {
                store.put_master_data(&master_data)?;
            }
            let route: &dyn Route = route.get().map_or(&NoRoute, |r| r.as_ref());
            store.capture_routed(records, now, route)
        }))
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the capture failed unexpectedly (a bug; logged)".to_owned(),
            ))
        });
        let finished_at = clock();
        match &result {
            Ok(receipt) => {
                metrics.captured(receipt.stored.len(), receipt.exceptions, true);
                if !receipt.stored.is_empty() {
                    wake.notify();
                }
            }
            Err(_) => metrics.captured(0, 0, false),
        }
        if let Ok(mut table) = table.lock()
            && let Some(job) = table.jobs.get_mut(&work.number)
        {
            job.running = false;
            job.finished_at = Some(finished_at);
            match &result {
                Ok(receipt) => {
                    job.receipt =
                        Some((receipt.stored.len(), receipt.duplicates.len(), receipt.exceptions));
                }
                Err(error @ StoreError::InDoubt(_)) => {
                    job.success = false;
                    let again = if work.spooled.is_some() {
                        "it stays in the spool and is captured again when the server next starts"
                    } else {
                        "submit it again"
                    };
                    job.errors.push(format!(
                        "the store may or may not have captured the job (whole or nothing); \
                         {again}: what is stored comes back as duplicates ({error})"
                    ));
                }
                Err(error) => {
                    job.success = false;
                    job.errors.push(format!(
                        "the store refused the job, nothing of it was captured: {error}"
                    ));
                }
            }
        }
        crate::log::info(
            "capture job finished",
            &[
                ("capture_id", work.id.as_str().into()),
                ("events", events.into()),
                ("ok", result.is_ok().into()),
            ],
        );
        // Finished (stored, or refused by the store and reported): the spool copy goes. A job
        // that may or may not be stored stays, to be captured again at the next start.
        if let Some(spooled) = &work.spooled
            && !matches!(result, Err(StoreError::InDoubt(_)))
            && let Err(error) = std::fs::remove_file(spooled)
        {
            crate::log::warn(
                "could not remove a finished capture from the spool; it will be captured again at start, as duplicates",
                &[
                    ("file", spooled.display().to_string().into()),
                    ("error", error.to_string().into()),
                ],
            );
        }
        if let Some(reply) = work.reply {
            let _ = reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use serialhub_store::MemStore;
    use serialhub_store::faulty::FaultyStore;

    use super::*;

    /// A job the store may or may not have captured (its commit's answer lost) stays in the
    /// spool, to be captured again at the next start, and says so; a job the store refused
    /// leaves the spool, its failure reported.
    #[test]
    fn a_job_the_store_may_have_captured_stays_in_the_spool() {
        let store = Arc::new(FaultyStore::new(Arc::new(MemStore::new())));
        store.fail_next_captures([
            StoreError::InDoubt("the answer was lost".to_owned()),
            StoreError::Unavailable("the server is down".to_owned()),
        ]);
        let clock: Clock = Arc::new(|| Timestamp { unix_millis: 0, has_offset: true });
        let jobs = Jobs::start(store, clock, Arc::default(), Arc::default());
        let dir = std::env::temp_dir().join(format!(
            "serialhub-jobs-{:016x}",
            getrandom::u64().expect("the OS gives random bytes")
        ));
        std::fs::create_dir_all(&dir).expect("the spool is made");
        let mut submitted = Vec::new();
        for name in ["in-doubt", "refused"] {
            let spooled = dir.join(name);
            std::fs::write(&spooled, "{}").expect("the spool file is written");
            let ticket = jobs.ticket().expect("a ticket");
            let ingested = Ingested { events_total: 0, ..Ingested::default() };
            let id = jobs
                .submit(ticket, "k", ErrorBehaviour::Rollback, ingested, Some(spooled.clone()))
                .expect("the job is queued");
            submitted.push((id, spooled));
        }
        jobs.shut_down();

        let (in_doubt, refused) = (&submitted[0], &submitted[1]);
        let job = jobs.get(&in_doubt.0).expect("the job is known");
        assert!(!job.success && !job.running, "{job:?}");
        assert!(job.errors[0].contains("may or may not have captured"), "{:?}", job.errors);
        assert!(job.errors[0].contains("captured again when the server next starts"));
        assert!(in_doubt.1.exists(), "the in-doubt job stays in the spool");
        let job = jobs.get(&refused.0).expect("the job is known");
        assert!(!job.success && !job.running, "{job:?}");
        assert!(job.errors[0].contains("nothing of it was captured"), "{:?}", job.errors);
        assert!(!refused.1.exists(), "the refused job leaves the spool");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
