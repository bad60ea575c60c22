//! `serialhub import`, `serialhub serial show` and `serialhub exceptions list`: the serial
//! ledger from the command line, on the embedded store (`--data DIR`) or PostgreSQL
//! (`--postgres URL`).
//!
//! `import` is the capture pipeline for files: a reader thread reads, validates and hashes
//! one document at a time while the main thread decides and commits the previous one, so
//! parsing and the ledger overlap on two cores. The documents go to the store through
//! `Store::capture_stream`, so that a store which can decide a document while it writes the
//! one before (PostgreSQL) does. A document is one capture job: stored whole or, when it does
//! not read or validate, not at all.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serialhub_core::{ExceptionType, Key, Status};
use serialhub_epcis::hash::EventHasher;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{Collect, Limits};
use serialhub_gs1::epc::GcpLengthTable;
use serialhub_store::{
    CaptureFeed, CommitReceipt, EventRecord, ExceptionFilter, Store, StoreError, StreamBatch, query,
};

use crate::clock::Stopwatch;
use crate::json;

/// Where the ledger is: the options every ledger command takes.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The embedded store's data directory (created if absent).
    #[arg(long, value_name = "DIR", default_value = "./serialhub-data")]
    data: PathBuf,
    /// Use the PostgreSQL store at this URL instead of the embedded one.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

impl StoreArgs {
    fn open(&self) -> anyhow::Result<Box<dyn Store>> {
        if let Some(url) = &self.postgres {
            return crate::commands::postgres::open(url);
        }
        let store = serialhub_embedded::EmbeddedStore::open(&self.data)?;
        let report = store.open_report();
        if report.torn_bytes > 0 {
            log_warning(&format!(
                "dropped {} bytes of an unacknowledged capture at the end of {}",
                report.torn_bytes,
                self.data.join("journal.shj").display()
            ));
        }
        Ok(Box::new(store))
    }
}

#[allow(clippy::print_stderr)]
fn log_warning(message: &str) {
    eprintln!("serialhub: warning: {message}");
}

/// `serialhub import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// EPCIS documents (JSON-LD, XML 2.0 or 1.2, detected by content), or folders searched
    /// recursively for `*.json`, `*.jsonld` and `*.xml`, imported in name order.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Store nothing: print, for each document, how many of its events the store holds
    /// (`PATH: N of M events stored`), and exit 0 only if it holds them all.
    #[arg(long)]
    check: bool,
    /// Print `stored PATH: N events, D duplicates` on standard error as each document commits
    /// (its acknowledgement: it is on disk).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// A read, validated and hashed document, or why it was rejected.
struct Parsed {
    path: PathBuf,
    bytes: u64,
    /// The events' records, and the header's master data.
    result: Result<(Vec<EventRecord>, Vec<serialhub_epcis::Vocabulary>), Vec<String>>,
}

/// The largest document `import` reads: it holds one document's events in memory at a time.
const DOCUMENT_BYTES_MAX: u64 = 4 << 30;

/// The files `paths` name, folders expanded, in order.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonld" | "xml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads, validates and hashes one document.
/// Reads, validates and hashes the document at `path`; `bytes` is the reading buffer, kept by
/// the caller between documents so that each does not fault in fresh pages.
fn parse(path: &Path, bytes: &mut Vec<u8>) -> Parsed {
    let fail =
        |message: String| Parsed { path: path.to_owned(), bytes: 0, result: Err(vec![message]) };
    bytes.clear();
    match std::fs::File::open(path).and_then(|file| Ok((file.metadata()?, file))) {
        Ok((meta, _)) if meta.len() > DOCUMENT_BYTES_MAX => {
            return fail(format!(
                "0: the document is {} bytes, over the {DOCUMENT_BYTES_MAX}-byte limit of one capture job",
                meta.len()
            ));
        }
        Ok((_, mut file)) => {
            // The limit again while reading: the file may have grown since its size was read.
            let read = (&mut file).take(DOCUMENT_BYTES_MAX + 1).read_to_end(bytes);
            match read {
                Ok(n) if n as u64 > DOCUMENT_BYTES_MAX => {
                    return fail(format!(
                        "0: the document is over the {DOCUMENT_BYTES_MAX}-byte limit of one capture job"
                    ));
                }
                Ok(_) => {}
                Err(e) => return fail(format!("0: {e}")),
            }
        }
        Err(e) => return fail(format!("0: {e}")),
    }
    let mut validator = serialhub_epcis::validate::Validator::new(Collect::default());
    let read = serialhub_epcis::read_slice(bytes, &Limits::default(), &mut validator);
    let collect = validator.into_inner();
    let mut errors: Vec<String> =
        collect.problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect();
    if let Err(e) = read {
        errors.push(e.problem.to_string());
    }
    let size = bytes.len() as u64;
    if !errors.is_empty() {
        return Parsed { path: path.to_owned(), bytes: size, result: Err(errors) };
    }
    let mut document = collect.document;
    let master_data = std::mem::take(&mut document.header.master_data);
    let mut hasher = EventHasher::new(&document.header);
    // The repository sets recordTime (EPCIS 2.0 section 7.3.1); it is outside the event hash.
    let recorded = crate::clock::now().ok().map(|t| t.to_utc_millis_string());
    let records = document
        .events
        .into_iter()
        .map(|mut e| {
            let hash_id = serialhub_store::capture_id(hasher.hash(&e), &e);
            e.record_time.clone_from(&recorded);
            EventRecord::new(hash_id, e).with_body()
        })
        .collect();
    Parsed { path: path.to_owned(), bytes: size, result: Ok((records, master_data)) }
}

/// The identifiers an event moves: its EPC lists and its parent.
fn epc_count(record: &EventRecord) -> u64 {
    let e = &record.event;
    (e.epc_list.len() + e.output_epc_list.len() + usize::from(e.parent_id.is_some())) as u64
}

#[derive(Default)]
struct Tally {
    documents: u64,
    rejected: u64,
    events: u64,
    epcs: u64,
    duplicates: u64,
    late: u64,
    bytes: u64,
    exceptions: BTreeMap<ExceptionType, u64>,
}

/// The documents of an import as `Store::capture_stream` takes them: the reader thread's
/// parsed documents in, each document's result out, in order.
struct Feed<'p> {
    parsed: mpsc::Receiver<Parsed>,
    /// The path and EPC count of each document handed to the store and not yet reported.
    taken: VecDeque<(PathBuf, u64)>,
    tally: Tally,
    progress: &'p indicatif::ProgressBar,
    verbose: bool,
    started: Stopwatch,
    /// What stopped the import.
    failure: Option<anyhow::Error>,
}

impl Feed<'_> {
    fn show_progress(&self) {
        let secs = self.started.secs().max(1e-3);
        self.progress.set_position(self.tally.bytes);
        self.progress.set_message(format!(
            "{} events/s, {} EPCs/s",
            grouped(self.tally.events as f64 / secs),
            grouped(self.tally.epcs as f64 / secs)
        ));
    }
}

impl CaptureFeed for Feed<'_> {
    fn next_batch(&mut self) -> Option<StreamBatch> {
        if self.failure.is_some() {
            return None;
        }
        loop {
            let parsed = self.parsed.recv().ok()?;
            self.tally.bytes += parsed.bytes;
            match parsed.result {
                Err(problems) => {
                    self.tally.rejected += 1;
                    self.progress.suspend(|| {
                        let mut stderr = std::io::stderr().lock();
                        for problem in &problems {
                            let _ = writeln!(stderr, "{}:{problem}", parsed.path.display());
                        }
                        let _ = writeln!(
                            stderr,
                            "{}: rejected, nothing of it stored",
                            parsed.path.display()
                        );
                    });
                    self.show_progress();
                }
                Ok((records, master_data)) => {
                    let now = match crate::clock::now() {
                        Ok(now) => now,
                        Err(e) => {
                            self.failure = Some(e);
                            return None;
                        }
                    };
                    let epcs = records.iter().map(epc_count).sum();
                    self.taken.push_back((parsed.path, epcs));
                    // Master data goes first, as the server does: merging is idempotent.
                    return Some(StreamBatch { records, master_data, now });
                }
            }
        }
    }

    fn done(&mut self, result: Result<CommitReceipt, StoreError>) -> bool {
        // Invariant: one result per batch taken, in order.
        let (path, epcs) = self.taken.pop_front().expect("a result follows a batch");
        match result {
            Ok(receipt) => {
                if self.verbose {
                    self.progress.suspend(|| {
                        let _ = writeln!(
                            std::io::stderr(),
                            "stored {}: {} events, {} duplicates",
                            path.display(),
                            receipt.stored.len(),
                            receipt.duplicates.len()
                        );
                    });
                }
                self.tally.documents += 1;
                self.tally.events += receipt.stored.len() as u64;
                self.tally.duplicates += receipt.duplicates.len() as u64;
                self.tally.late += receipt.late as u64;
                self.tally.epcs += epcs;
                self.show_progress();
                true
            }
            Err(e) => {
                let e =
                    anyhow::Error::new(e).context(format!("could not store {}", path.display()));
                self.failure = Some(e);
                false
            }
        }
    }
}

pub(crate) fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let files = expand(&args.paths)?;
    let store = args.store.open()?;
    if args.check {
        return check(&files, store.as_ref());
    }
    let total_bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).sum();
    let progress = indicatif::ProgressBar::new(total_bytes);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {msg}",
        )
        .context("progress template")?
        .progress_chars("=> "),
    );
    progress.enable_steady_tick(Duration::from_millis(200));

    let (tx, rx) = mpsc::sync_channel::<Parsed>(1);
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        for path in files {
            if tx.send(parse(&path, &mut bytes)).is_err() {
                break;
            }
        }
    });

    crate::clock::now()?; // a bad SERIALHUB_NOW fails before anything is read
    let mut feed = Feed {
        parsed: rx,
        taken: VecDeque::new(),
        tally: Tally::default(),
        progress: &progress,
        verbose: args.verbose,
        started: Stopwatch::start(),
        failure: None,
    };
    store.capture_stream(&mut feed, &serialhub_store::outbox::NoRoute);
    // The receiver goes first: the reader, blocked on a full channel after a failure,
    // stops at its next send once the channel is gone.
    let Feed { parsed, mut tally, started, failure, .. } = feed;
    drop(parsed);
    progress.finish_and_clear();
    // The reader stops at its next send once the channel is gone.
    let _ = reader.join();
    if let Some(e) = failure {
        return Err(e);
    }
    for exception in store.exceptions(&ExceptionFilter::default())? {
        // Only what this import added would need a bookmark; the whole store's count is what
        // an operator reads here.
        *tally.exceptions.entry(exception.violation.exception_type).or_default() += 1;
    }
    let secs = started.secs();
    let mut out = String::new();
    let _ = writeln!(out, "documents: {} stored, {} rejected", tally.documents, tally.rejected);
    let _ = writeln!(
        out,
        "events: {} stored, {} duplicates, {} late",
        tally.events, tally.duplicates, tally.late
    );
    let _ = writeln!(out, "EPCs: {}", tally.epcs);
    let by_type: Vec<String> = tally.exceptions.iter().map(|(t, n)| format!("{t} {n}")).collect();
    let total: u64 = tally.exceptions.values().sum();
    let _ = writeln!(
        out,
        "exceptions in the store: {total}{}{}",
        if by_type.is_empty() { "" } else { " (" },
        if by_type.is_empty() { String::new() } else { by_type.join(", ") + ")" }
    );
    let _ = writeln!(
        out,
        "time: {secs:.2} s ({} events/s, {} EPCs/s)",
        grouped(tally.events as f64 / secs.max(1e-3)),
        grouped(tally.epcs as f64 / secs.max(1e-3))
    );
    std::io::stdout().lock().write_all(out.as_bytes())?;
    // Everything is on disk; freeing millions of in-memory records one by one would only
    // delay the exit (8% of an import's time, measured), so the process takes them back.
    std::mem::forget(store);
    Ok(if tally.rejected > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `import --check`: how much of each document the store holds.
fn check(files: &[PathBuf], store: &dyn Store) -> anyhow::Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut complete = true;
    let mut bytes = Vec::new();
    for path in files {
        let parsed = parse(path, &mut bytes);
        match parsed.result {
            Err(problems) => {
                complete = false;
                for problem in problems {
                    writeln!(out, "{}:{problem}", path.display())?;
                }
            }
            Ok((records, _)) => {
                let mut stored = 0;
                for record in &records {
                    stored += usize::from(store.has_event(&record.hash_id)?);
                }
                complete &= stored == records.len();
                writeln!(out, "{}: {stored} of {} events stored", path.display(), records.len())?;
            }
        }
    }
    out.flush()?;
    Ok(if complete { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `12345.6` as `12,346`.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The ledger key of a code in any form the `gs1` crate reads (`Key::from_code`).
fn key_of(code: &str) -> anyhow::Result<Key> {
    Key::from_code(code).map_err(|e| anyhow::anyhow!(e))
}

/// `serialhub serial show`.
#[derive(Debug, Args)]
pub(crate) struct SerialShowArgs {
    /// The identifier: an EPC URI, a GS1 Digital Link, an element string or scan data.
    code: String,
    #[command(flatten)]
    store: StoreArgs,
}

pub(crate) fn serial_show(args: SerialShowArgs) -> anyhow::Result<ExitCode> {
    let key = key_of(&args.code)?;
    let store = args.store.open()?;
    let mut out = String::new();
    let _ = writeln!(out, "identifier: {key}");
    let Some(state) = store.state(&key)? else {
        let _ = writeln!(out, "not in the ledger: no event has named it");
        std::io::stdout().lock().write_all(out.as_bytes())?;
        return Ok(ExitCode::from(1));
    };
    // Invariant: a key with a record has an effective state.
    let effective = query::effective_state(store.as_ref(), &key)?;
    let (status, via) = match &effective {
        Some(e) if e.source != key => (e.status, format!(" (through container {})", e.source)),
        Some(e) => (e.status, String::new()),
        None => (state.status, String::new()),
    };
    let shown = |s: &Option<serialhub_core::Text>| s.as_deref().unwrap_or("-").to_owned();
    let status_name = if state.status_time.is_none() && via.is_empty() {
        "packed container (no lifecycle event of its own)".to_owned()
    } else {
        status.name()
    };
    let _ = writeln!(out, "status: {status_name}{via}");
    let location = effective.as_ref().and_then(|e| e.location.clone()).or(state.location.clone());
    let owner = effective.as_ref().and_then(|e| e.owner.clone()).or(state.owner.clone());
    let _ = writeln!(out, "location: {}", shown(&location));
    let _ = writeln!(out, "owner: {}", shown(&owner));
    let _ = writeln!(out, "lot: {}", shown(&state.lot));
    let _ = writeln!(out, "expiry: {}", shown(&state.expiry));
    let _ = writeln!(
        out,
        "parent: {}",
        state.parent.as_ref().map_or_else(|| "-".to_owned(), Key::to_string)
    );
    if !state.persistent_dispositions.is_empty() {
        let list: Vec<&str> = state.persistent_dispositions.iter().map(String::as_str).collect();
        let _ = writeln!(out, "persistent dispositions: {}", list.join(", "));
    }
    if matches!(status, Status::Decommissioned(_))
        && let Some(undo) = &state.undo
    {
        let _ = writeln!(
            out,
            "undo: possible back to {} (decommissioned {})",
            undo.status_before.name(),
            undo.decommissioned_time.to_utc_millis_string()
        );
    }
    let children = store.children(&key)?;
    let all = query::contents(store.as_ref(), &key)?;
    let _ = writeln!(out, "children: {} direct, {} in all", children.len(), all.len());
    for child in &children {
        let _ = writeln!(out, "  {child}");
    }
    let _ = writeln!(out, "history:");
    for step in query::pedigree(store.as_ref(), &key)? {
        let e = &step.event.record.event;
        let kind = e.event_type.map_or("?", |t| t.name());
        let action = e.action.map_or("", |a| a.as_str());
        let via = match step.via.last() {
            Some(container) => format!(" via {container}"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {kind} {action} {} {}{via} [{}]",
            e.event_time,
            e.biz_step.as_deref().unwrap_or("-"),
            e.disposition.as_deref().unwrap_or("-"),
            e.event_id.as_deref().unwrap_or(&step.event.record.hash_id),
        );
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `serialhub exceptions list`.
#[derive(Debug, Args)]
pub(crate) struct ExceptionsListArgs {
    /// One JSON object per line (`type`, `code`, `message`, `epcs` as EPC URIs, `event_ids`,
    /// `event_hash_id`, `seq`).
    #[arg(long)]
    json: bool,
    /// Only this type (F1 to F12).
    #[arg(long = "type", value_name = "TYPE")]
    exception_type: Option<String>,
    /// Only exceptions naming this identifier (any form the `gs1` crate reads).
    #[arg(long, value_name = "CODE")]
    serial: Option<String>,
    /// Only exceptions naming this lot or a unit commissioned with it (an LGTIN EPC class, a
    /// Digital Link with AI 10, or an element string with AIs 01 and 10).
    #[arg(long, value_name = "CODE")]
    lot: Option<String>,
    /// Only exceptions captured at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only exceptions captured before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// GS1 Company Prefix lengths, one `prefix,length` per line, to write identifiers given as
    /// Digital Links as EPC URIs.
    #[arg(long, value_name = "FILE")]
    gcp_lengths: Option<PathBuf>,
    #[command(flatten)]
    workbench: crate::commands::workbench::WorkbenchFilters,
    #[command(flatten)]
    config: crate::commands::serve::ConfigArgs,
}

/// `id` as an EPC pure-identity URI when it is not one already: with the company prefix length
/// from `gcp`, or else as a stored event wrote the same identifier (the commissioning event
/// usually names it as an EPC URI); as given when neither knows.
fn epc_uri(id: &str, gcp: &GcpLengthTable, store: &dyn Store) -> String {
    if id.starts_with("urn:epc:") {
        return id.to_owned();
    }
    if let Ok((data, _)) = serialhub_gs1::parse(id, &serialhub_gs1::Options::default()) {
        let pairs: Vec<(&str, &str)> =
            data.elements().iter().map(|e| (e.ai_str(), data.value(e))).collect();
        if let Ok(Some(uri)) = serialhub_gs1::epc::format_epc_uri_with_table(&pairs, gcp) {
            return uri;
        }
    }
    let key = Key::new(id);
    let history = store.history(&key).unwrap_or_default();
    let named = history.iter().flat_map(|stored| {
        let e = &stored.record.event;
        let classes = e.quantity_list.iter().chain(&e.output_quantity_list).map(|q| &q.epc_class);
        e.epc_list.iter().chain(&e.output_epc_list).chain(&e.parent_id).chain(classes)
    });
    for candidate in named {
        // `urn:epc:id:` for instances, `urn:epc:class:lgtin:` for lots.
        if candidate.starts_with("urn:epc:") && Key::new(candidate) == key {
            return candidate.clone();
        }
    }
    id.to_owned()
}

pub(crate) fn exceptions_list(args: ExceptionsListArgs) -> anyhow::Result<ExitCode> {
    let exception_type = match &args.exception_type {
        None => None,
        Some(code) => Some(
            ExceptionType::from_code(&code.to_ascii_uppercase())
                .ok_or_else(|| anyhow::anyhow!("--type {code}: expected F1 to F12"))?,
        ),
    };
    let key = args.serial.as_deref().map(key_of).transpose()?;
    let time = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        text.as_deref()
            .map(|t| {
                Timestamp::parse(t.trim())
                    .ok_or_else(|| anyhow::anyhow!("--{flag} {t:?}: expected an RFC 3339 time"))
            })
            .transpose()
    };
    let (since, until) = (time("since", &args.since)?, time("until", &args.until)?);
    let lot = args.lot.as_deref().map(key_of).transpose()?;
    let gcp = match &args.gcp_lengths {
        Some(path) => crate::commands::gs1::read_gcp_table(path)?,
        None => GcpLengthTable::new(),
    };
    if args.workbench.wanted() {
        anyhow::ensure!(
            lot.is_none() && since.is_none() && until.is_none(),
            "--lot, --since and --until filter the ledger's exceptions, not the workbench's rows"
        );
        return crate::commands::workbench::list(
            &args.config,
            &args.workbench,
            exception_type,
            key,
        );
    }
    let store = crate::commands::serve::open_store(&args.config)?;
    let filter =
        ExceptionFilter { exception_type, key, since, until, after_seq: None, through_seq: None };
    let exceptions = match &lot {
        Some(lot) => query::lot_exceptions(store.as_ref(), lot, &filter)?,
        None => store.exceptions(&filter)?,
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    for exception in exceptions {
        let v = &exception.violation;
        line.clear();
        if args.json {
            line.extend_from_slice(b"{\"type\":");
            json::write_str(&mut line, v.exception_type.code());
            line.extend_from_slice(b",\"code\":");
            json::write_str(&mut line, v.kind.code());
            line.extend_from_slice(b",\"message\":");
            json::write_str(&mut line, &v.message);
            line.extend_from_slice(b",\"epcs\":[");
            for (i, epc) in v.epcs.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                json::write_str(&mut line, &epc_uri(epc, &gcp, store.as_ref()));
            }
            line.extend_from_slice(b"],\"event_ids\":[");
            for (i, id) in v.event_ids.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                json::write_str(&mut line, id);
            }
            line.extend_from_slice(b"],\"event_hash_id\":");
            json::write_str(&mut line, &exception.event_hash_id);
            line.extend_from_slice(format!(",\"seq\":{}}}\n", exception.event_seq).as_bytes());
        } else {
            line.extend_from_slice(
                format!("{} {}: {}\n", v.exception_type, v.kind, v.message).as_bytes(),
            );
        }
        stdout.write_all(&line)?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `serialhub lot show`.
#[derive(Debug, Args)]
pub(crate) struct LotShowArgs {
    /// The lot: an LGTIN EPC class (`urn:epc:class:lgtin:...`), a Digital Link with AI 10, or
    /// an element string with AIs 01 and 10.
    code: String,
    /// Also list every unit with its state.
    #[arg(long)]
    units: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub(crate) fn lot_show(args: LotShowArgs) -> anyhow::Result<ExitCode> {
    let lot = key_of(&args.code)?;
    let store = args.store.open()?;
    let units = store.lot_units(&lot)?;
    let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
    let mut listing = String::new();
    for unit in &units {
        let state = query::effective_state(store.as_ref(), unit)?;
        let name = state.as_ref().map_or_else(|| "unknown".to_owned(), |s| s.status.name());
        if args.units {
            let _ = writeln!(listing, "  {unit} {name}");
        }
        *by_state.entry(name).or_default() += 1;
    }
    let mut out = String::new();
    let _ = writeln!(out, "lot: {lot}");
    let record = store.state(&lot)?;
    // A lot no event named has no record, and nothing blocks it.
    let status = record.as_ref().and_then(serialhub_core::lot_status).map_or("released", |s| s.1);
    let _ = writeln!(out, "status: {status}");
    if let Some(record) = record
        && !record.persistent_dispositions.is_empty()
    {
        let list: Vec<&str> = record.persistent_dispositions.iter().map(String::as_str).collect();
        let _ = writeln!(out, "persistent dispositions: {}", list.join(", "));
    }
    let _ = writeln!(out, "units: {}", units.len());
    for (state, n) in &by_state {
        let _ = writeln!(out, "  {state}: {n}");
    }
    if args.units {
        let _ = writeln!(out, "by unit:");
        out.push_str(&listing);
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    std::mem::forget(store);
    Ok(if units.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
