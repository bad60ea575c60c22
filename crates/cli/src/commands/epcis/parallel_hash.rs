//! `epcis hash` for JSON-LD on every core: the reader only frames events; workers decode and
//! hash batches of them; one writer puts the hashes back in document order.
//!
//! Memory stays bounded: at most `IN_FLIGHT` batches of `BATCH_EVENTS` raw events wait between
//! the stages, whatever the document size.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use serialhub_epcis::context::Context;
use serialhub_epcis::hash::EventHasher;
use serialhub_epcis::json::read::decode_event;
use serialhub_epcis::{Event, Handler, Header, Limits, Problem, RawEvent, ReadError, Stopped};

const BATCH_EVENTS: usize = 256;
const BATCH_BYTES: usize = 4 << 20;
const IN_FLIGHT: usize = 8;

/// The document's header as the workers need it.
struct Shared {
    header: Header,
    ctx: Context,
}

/// Events for one worker: raw bytes with their places, or events the reader decoded itself
/// (those that came before the document's `@context`).
enum Work {
    Raw { bytes: Vec<u8>, events: Vec<(Range<usize>, usize, u64, u64)> },
    Decoded(Vec<Event>),
}

struct Batch {
    seq: u64,
    shared: Arc<Shared>,
    work: Work,
}

/// A batch's hashes, and the error that cut it short, if any.
struct Done {
    seq: u64,
    lines: Vec<String>,
    error: Option<ReadError>,
}

/// The reading side: cuts the document into batches.
struct Framer<'a> {
    tx: SyncSender<Batch>,
    shared: Option<Arc<Shared>>,
    seq: u64,
    bytes: Vec<u8>,
    events: Vec<(Range<usize>, usize, u64, u64)>,
    decoded: Vec<Event>,
    failed: &'a AtomicBool,
    path: &'a Path,
}

impl Framer<'_> {
    fn send(&mut self) -> Result<(), Stopped> {
        let Some(shared) = self.shared.clone() else { return Ok(()) };
        let work = if !self.decoded.is_empty() {
            Work::Decoded(std::mem::take(&mut self.decoded))
        } else if !self.events.is_empty() {
            Work::Raw {
                bytes: std::mem::replace(&mut self.bytes, Vec::with_capacity(1 << 18)),
                events: std::mem::replace(&mut self.events, Vec::with_capacity(BATCH_EVENTS)),
            }
        } else {
            return Ok(());
        };
        let batch = Batch { seq: self.seq, shared, work };
        self.seq += 1;
        self.tx.send(batch).map_err(|_| Stopped)
    }
}

impl Handler for Framer<'_> {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        let ctx = Context { declared: header.namespaces.clone(), urls: Vec::new() };
        self.shared = Some(Arc::new(Shared { header: header.clone(), ctx }));
        Ok(())
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(Stopped);
        }
        if !self.events.is_empty() {
            self.send()?;
        }
        self.decoded.push(event);
        if self.decoded.len() >= BATCH_EVENTS {
            self.send()?;
        }
        Ok(())
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        super::report(self.path, &problem);
        Ok(())
    }
    fn wants_raw(&self) -> bool {
        true
    }
    fn raw_event(&mut self, raw: RawEvent<'_>) -> Result<(), Stopped> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(Stopped);
        }
        if !self.decoded.is_empty() {
            self.send()?;
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(raw.bytes);
        self.events.push((start..self.bytes.len(), raw.index, raw.line, raw.column));
        // Count and size both bound a batch: a few huge aggregation events weigh as much as
        // thousands of small ones.
        if self.events.len() >= BATCH_EVENTS || self.bytes.len() >= BATCH_BYTES {
            self.send()?;
        }
        Ok(())
    }
}

fn work(
    rx: &Mutex<Receiver<Batch>>,
    done: &SyncSender<Done>,
    prehash: bool,
    path: &Path,
    failed: &AtomicBool,
) {
    let mut hasher = EventHasher::default();
    let mut current: Option<Arc<Shared>> = None;
    loop {
        // Hold the lock only to take a batch, not while working on it.
        let batch = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(batch) = batch else { return };
        if !current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &batch.shared)) {
            hasher = EventHasher::new(&batch.shared.header);
            current = Some(batch.shared.clone());
        }
        let mut lines = Vec::new();
        let mut error = None;
        let line_of = |e: &Event, hasher: &mut EventHasher| {
            if prehash { hasher.pre_hash(e).to_owned() } else { hasher.hash(e) }
        };
        match &batch.work {
            Work::Decoded(events) => {
                lines.extend(events.iter().map(|e| line_of(e, &mut hasher)));
            }
            Work::Raw { bytes, events } => {
                lines.reserve(events.len());
                for (range, index, line, column) in events {
                    let raw = RawEvent {
                        bytes: &bytes[range.clone()],
                        index: *index,
                        query_results: batch.shared.header.kind
                            == serialhub_epcis::DocumentKind::EpcisQueryDocument,
                        line: *line,
                        column: *column,
                    };
                    match decode_event(&batch.shared.ctx, &raw) {
                        Ok((event, problems)) => {
                            problems.iter().for_each(|p| super::report(path, p));
                            lines.push(line_of(&event, &mut hasher));
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            error = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        if done.send(Done { seq: batch.seq, lines, error }).is_err() {
            // The writer is gone (say, standard output was closed). Tell the reader to stop,
            // and keep taking batches so that a reader blocked on a full queue wakes up.
            failed.store(true, Ordering::Relaxed);
        }
    }
}

/// Hashes a JSON-LD document on all cores; the result is what the one-thread path gives.
pub(crate) fn hash_json(
    input: Box<dyn BufRead>,
    path: &Path,
    prehash: bool,
) -> anyhow::Result<Result<(), ReadError>> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 16);
    let failed = AtomicBool::new(false);
    let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);
    let rx = Mutex::new(rx);
    let (done_tx, done_rx) = sync_channel::<Done>(IN_FLIGHT * 2);
    std::thread::scope(|scope| -> anyhow::Result<Result<(), ReadError>> {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (rx, failed) = (&rx, &failed);
            scope.spawn(move || work(rx, &done_tx, prehash, path, failed));
        }
        drop(done_tx);
        let failed_ref = &failed;
        let writer = scope.spawn(move || -> std::io::Result<Option<ReadError>> {
            let result = write_in_order(done_rx);
            if result.is_err() {
                // Nobody will print what the workers make: stop the reader.
                failed_ref.store(true, Ordering::Relaxed);
            }
            result
        });

        let mut framer = Framer {
            tx,
            shared: None,
            seq: 0,
            bytes: Vec::with_capacity(1 << 18),
            events: Vec::with_capacity(BATCH_EVENTS),
            decoded: Vec::new(),
            failed: &failed,
            path,
        };
        let mut result =
            serialhub_epcis::json::read::read_reader(input, &Limits::default(), &mut framer);
        if result.is_err() && !failed.load(Ordering::Relaxed) {
            // The reader failed on its own (bad syntax): the events framed before the error
            // still get their hashes, as on the one-thread path.
            let _ = framer.send();
        }
        if result.is_ok() && framer.send().is_err() {
            result = Err(ReadError::new(
                serialhub_epcis::Where::Document,
                "stopped",
                "the hashes could not be written",
            ));
        }
        drop(framer);
        let worker_error = match writer.join() {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return Err(anyhow::Error::new(e).context("could not write the hashes")),
            Err(_) => anyhow::bail!("the hash writer failed"),
        };
        // A worker's decode error comes first in document order: it stopped the reader.
        Ok(match worker_error {
            Some(e) => Err(e),
            None => result,
        })
    })
}

/// Writes each batch's hashes once all batches before it are written; returns the first
/// decode error, after the hashes of the events before it.
fn write_in_order(done_rx: Receiver<Done>) -> std::io::Result<Option<ReadError>> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut first_error = None;
    for done in done_rx {
        waiting.insert(done.seq, done);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            if first_error.is_some() {
                continue;
            }
            for line in &done.lines {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            first_error = done.error;
        }
    }
    out.flush()?;
    Ok(first_error)
}
