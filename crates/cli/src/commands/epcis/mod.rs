//! `serialhub epcis ...`: hash, validate and convert EPCIS documents (JSON-LD, XML 2.0, XML 1.2).
//!
//! Every command streams: events are read, processed and written one at a time, so a document
//! of any size runs in memory bounded by its largest event.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod parallel_hash;

use anyhow::Context;
use clap::Subcommand;
use serialhub_epcis::hash::EventHasher;
use serialhub_epcis::{Event, Handler, Header, Limits, Problem, Stopped};

#[derive(Debug, Subcommand)]
pub(crate) enum EpcisCommand {
    /// Print the CBV 2.0 event hash ID of every event, one per line, in document order.
    Hash {
        /// The document (JSON-LD or XML, detected by content); `-` reads standard input.
        file: PathBuf,
        /// Print the canonical pre-hash strings instead of the hashes (for debugging).
        #[arg(long)]
        prehash: bool,
    },
    /// Check documents against the EPCIS 2.0 schemas and the CBV 2.0 vocabularies; lists every
    /// error as `FILE:LOCATION: message` and every warning as `FILE:LOCATION: warning: message`,
    /// and exits 1 if any document has an error or cannot be read (warnings alone exit 0).
    ///
    /// JSON-LD is held to the JSON Schema and XML to the XSD of its version; a warning is
    /// something the schema accepts but the standard does not define, such as a URI in the CBV
    /// namespace that names no CBV value.
    Validate {
        /// The documents (JSON-LD or XML, detected by content); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Convert a document to JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML on standard output.
    Convert {
        /// The output format.
        #[arg(long, value_enum)]
        to: Target,
        /// The document (JSON-LD or XML, detected by content); `-` reads standard input.
        file: PathBuf,
    },
}

/// `--to` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Target {
    /// JSON-LD (EPCIS 2.0).
    Jsonld,
    /// XML, EPCIS 2.0.
    Xml,
    /// XML, EPCIS 1.2 (what most US trading partners still exchange).
    Xml12,
}

pub(crate) fn run(command: EpcisCommand) -> anyhow::Result<ExitCode> {
    match command {
        EpcisCommand::Hash { file, prehash } => hash(&file, prehash),
        EpcisCommand::Validate { files } => validate(&files),
        EpcisCommand::Convert { to, file } => convert(to, &file),
    }
}

/// Opens `path` for buffered reading; `-` is standard input.
fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    const BUF: usize = 1 << 20;
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(BUF, std::io::stdin().lock())));
    }
    let f = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(BUF, f)))
}

/// Reports a problem on standard error as `FILE:LOCATION: message` (`warning: message` for a
/// warning).
/// Never panics: with standard error closed (`2>&1 | head`) a report is simply lost, where
/// `eprintln!` would panic and take a worker thread down with it.
fn report(path: &Path, p: &Problem) {
    let _ = writeln!(std::io::stderr().lock(), "{}:{p}", path.display());
}

/// What the reading thread hands to the hashing thread.
enum Batch {
    Header(Box<Header>),
    Events(Vec<Event>),
}

/// Events per hand-over: large enough to make the channel's cost vanish, small enough to
/// keep memory flat (at most `BATCHES_IN_FLIGHT` batches wait).
const BATCH_EVENTS: usize = 256;
const BATCHES_IN_FLIGHT: usize = 4;

/// The reading side of `epcis hash`: forwards events in batches, reports problems.
struct Forward<'a> {
    tx: std::sync::mpsc::SyncSender<Batch>,
    /// Hashed batches coming back, to be dropped here: freeing memory on the thread that
    /// allocated it keeps glibc's allocator from contending between the two threads.
    done: std::sync::mpsc::Receiver<Vec<Event>>,
    batch: Vec<Event>,
    path: &'a Path,
}

impl Forward<'_> {
    fn send(&mut self) -> Result<(), Stopped> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let next = match self.done.try_recv() {
            Ok(mut used) => {
                used.clear();
                used
            }
            Err(_) => Vec::with_capacity(BATCH_EVENTS),
        };
        let batch = std::mem::replace(&mut self.batch, next);
        // The hashing thread only hangs up when it cannot write: stop reading then.
        self.tx.send(Batch::Events(batch)).map_err(|_| Stopped)
    }
}

impl Handler for Forward<'_> {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.send()?;
        self.tx.send(Batch::Header(Box::new(header.clone()))).map_err(|_| Stopped)
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        self.batch.push(event);
        if self.batch.len() >= BATCH_EVENTS {
            self.send()?;
        }
        Ok(())
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        // The hash is defined for what the document says, even where it breaks a rule;
        // `epcis validate` is the place for problems. Warn, and go on.
        report(self.path, &problem);
        Ok(())
    }
}

/// XML: reads on this thread and hashes on another, so parsing and hashing overlap on two
/// cores; a single consumer keeps the output in document order.
fn hash(path: &Path, prehash: bool) -> anyhow::Result<ExitCode> {
    let mut input = open(path)?;
    let head = input.fill_buf().with_context(|| format!("could not read {}", path.display()))?;
    // JSON-LD events can be cut apart before decoding, so they are decoded on every core.
    if serialhub_epcis::detect(head) == Some(serialhub_epcis::Format::JsonLd) {
        return Ok(match parallel_hash::hash_json(input, path, prehash)? {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                report(path, &e.problem);
                ExitCode::from(1)
            }
        });
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let (done_tx, done) = std::sync::mpsc::sync_channel::<Vec<Event>>(BATCHES_IN_FLIGHT + 2);
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let mut hasher = EventHasher::default();
        for batch in rx {
            match batch {
                Batch::Header(h) => hasher = EventHasher::new(&h),
                Batch::Events(events) => {
                    for e in &events {
                        if prehash {
                            out.write_all(hasher.pre_hash(e).as_bytes())?;
                        } else {
                            out.write_all(hasher.hash(e).as_bytes())?;
                        }
                        out.write_all(b"\n")?;
                    }
                    // Back to the reader to be freed; if it is not waiting, free here.
                    let _ = done_tx.try_send(events);
                }
            }
        }
        out.flush()
    });
    let mut forward = Forward { tx, done, batch: Vec::with_capacity(BATCH_EVENTS), path };
    let mut result = serialhub_epcis::read_stream(input, &Limits::default(), &mut forward);
    if result.is_ok() && forward.send().is_err() {
        result = Err(serialhub_epcis::ReadError::new(
            serialhub_epcis::Where::Document,
            "stopped",
            "the hashes could not be written",
        ));
    }
    drop(forward);
    match writer.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e).context("could not write the hashes"),
        Err(_) => anyhow::bail!("the hashing thread failed"),
    }
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            report(path, &e.problem);
            Ok(ExitCode::from(1))
        }
    }
}

/// Prints problems as they come and drops the events: validation streams in bounded memory.
struct ProblemPrinter<'a, W: Write> {
    out: W,
    path: &'a Path,
    /// Only errors fail a document; warnings are printed and do not count.
    errors: usize,
    /// Writing the listing failed.
    error: Option<std::io::Error>,
}

impl<W: Write> Handler for ProblemPrinter<'_, W> {
    fn header(&mut self, _: &Header) -> Result<(), Stopped> {
        Ok(())
    }
    fn event(&mut self, _: Event) -> Result<(), Stopped> {
        Ok(())
    }
    fn problem(&mut self, p: Problem) -> Result<(), Stopped> {
        if p.is_error() {
            self.errors += 1;
        }
        // `Problem`'s `Display` is `LOCATION: message`, or `LOCATION: warning: message`.
        writeln!(self.out, "{}:{p}", self.path.display()).map_err(|e| {
            self.error = Some(e);
            Stopped
        })
    }
}

fn validate(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut all_valid = true;
    for path in files {
        let input = match open(path) {
            Ok(input) => input,
            Err(e) => {
                writeln!(out, "{}:0: {e:#}", path.display())?;
                all_valid = false;
                continue;
            }
        };
        let printer = ProblemPrinter { out: &mut out, path, errors: 0, error: None };
        let mut validator = serialhub_epcis::validate::Validator::new(printer);
        let result = serialhub_epcis::read_stream(input, &Limits::default(), &mut validator);
        let printer = validator.into_inner();
        if let Some(e) = printer.error {
            return Err(e).context("could not write the problems");
        }
        let errors = printer.errors;
        if let Err(e) = result {
            writeln!(out, "{}:{}", path.display(), e.problem)?;
            all_valid = false;
        } else if errors > 0 {
            all_valid = false;
        }
    }
    out.flush().context("could not write the problems")?;
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Writes each event as it is read.
enum Converter<W: Write> {
    Json(serialhub_epcis::json::write::JsonLdWriter<W>),
    Xml(serialhub_epcis::xml::write::XmlWriter<W>),
}

struct ConvertSink<'a, W: Write> {
    writer: Option<Converter<W>>,
    path: &'a Path,
    error: Option<std::io::Error>,
}

impl<W: Write> ConvertSink<'_, W> {
    fn fail(&mut self, e: std::io::Error) -> Stopped {
        self.error = Some(e);
        Stopped
    }
}

impl<W: Write> Handler for ConvertSink<'_, W> {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        let result = match self.writer.as_mut() {
            Some(Converter::Json(w)) => w.begin(header),
            Some(Converter::Xml(w)) => w.begin(header),
            None => Ok(()),
        };
        result.map_err(|e| self.fail(e))
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        let result = match self.writer.as_mut() {
            Some(Converter::Json(w)) => w.event(&event),
            Some(Converter::Xml(w)) => w.event(&event),
            None => Ok(()),
        };
        result.map_err(|e| self.fail(e))
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        // Conversion carries what the document says; `epcis validate` judges it. Warn.
        report(self.path, &problem);
        Ok(())
    }
}

fn convert(to: Target, path: &Path) -> anyhow::Result<ExitCode> {
    use serialhub_epcis::xml::write::{XmlVersion, XmlWriter};
    let input = open(path)?;
    let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let writer = match to {
        Target::Jsonld => Converter::Json(serialhub_epcis::json::write::JsonLdWriter::new(out)),
        Target::Xml => Converter::Xml(XmlWriter::new(out, XmlVersion::V2_0)),
        Target::Xml12 => Converter::Xml(XmlWriter::new(out, XmlVersion::V1_2)),
    };
    let mut sink = ConvertSink { writer: Some(writer), path, error: None };
    let result = serialhub_epcis::read_stream(input, &Limits::default(), &mut sink);
    if let Some(e) = sink.error.take() {
        // A writer refusal (data the target format cannot carry) is the user's to see.
        if e.kind() == std::io::ErrorKind::InvalidInput
            || e.kind() == std::io::ErrorKind::InvalidData
        {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{}: cannot convert: {e}", path.display());
            }
            return Ok(ExitCode::from(1));
        }
        return Err(e).context("could not write the converted document");
    }
    if let Err(e) = result {
        report(path, &e.problem);
        return Ok(ExitCode::from(1));
    }
    let mut out = match sink.writer.take() {
        Some(Converter::Json(w)) => w.finish(),
        Some(Converter::Xml(w)) => w.finish(),
        None => return Ok(ExitCode::SUCCESS),
    }
    .context("could not write the converted document")?;
    out.flush().context("could not write the converted document")?;
    Ok(ExitCode::SUCCESS)
}
