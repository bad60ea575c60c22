//! `serialhub epcis ...`: hash, validate and convert EPCIS documents (JSON-LD, XML 2.0, XML 1.2).
//!
//! Every command streams: events are read, processed and written one at a time, so a document
//! of any size runs in memory bounded by its largest event.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
}

pub(crate) fn run(command: EpcisCommand) -> anyhow::Result<ExitCode> {
    match command {
        EpcisCommand::Hash { file, prehash } => hash(&file, prehash),
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

/// Reports a problem on standard error as `FILE:LOCATION: message`.
fn report(path: &Path, p: &Problem) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{}:{}: {}", path.display(), p.location, p.message);
    }
}

struct HashSink<'a, W: Write> {
    out: W,
    hasher: EventHasher,
    prehash: bool,
    path: &'a Path,
    error: Option<std::io::Error>,
}

impl<W: Write> Handler for HashSink<'_, W> {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.hasher = EventHasher::new(header);
        Ok(())
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        let written = if self.prehash {
            let s = self.hasher.pre_hash(&event);
            self.out.write_all(s.as_bytes()).and_then(|()| self.out.write_all(b"\n"))
        } else {
            let h = self.hasher.hash(&event);
            self.out.write_all(h.as_bytes()).and_then(|()| self.out.write_all(b"\n"))
        };
        written.map_err(|e| {
            self.error = Some(e);
            Stopped
        })
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        // The hash is defined for what the document says, even where it breaks a rule;
        // `epcis validate` is the place for problems. Warn, and go on.
        report(self.path, &problem);
        Ok(())
    }
}

fn hash(path: &Path, prehash: bool) -> anyhow::Result<ExitCode> {
    let input = open(path)?;
    let stdout = std::io::stdout().lock();
    let mut sink = HashSink {
        out: BufWriter::with_capacity(1 << 16, stdout),
        hasher: EventHasher::default(),
        prehash,
        path,
        error: None,
    };
    let result = serialhub_epcis::read_stream(input, &Limits::default(), &mut sink);
    if let Some(e) = sink.error.take() {
        return Err(e).context("could not write the hashes");
    }
    sink.out.flush().context("could not write the hashes")?;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            report(path, &e.problem);
            Ok(ExitCode::from(1))
        }
    }
}
