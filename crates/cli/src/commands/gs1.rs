//! `serialhub gs1 ...`: parse and convert GS1 codes from the command line or a stream.
//!
//! `parse` streams standard input through `stream::process_lines`: lines are parsed on every
//! core into reused buffers and written in input order, so a ten-million-line input runs in
//! constant memory.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serialhub_gs1::epc::GcpLengthTable;
use serialhub_gs1::serial::{RandomSource, SerialAlphabet, SerialPool};
use serialhub_gs1::{AiData, Form, Options};

use crate::{json, stream};

#[derive(Debug, Subcommand)]
pub(crate) enum Gs1Command {
    /// Parse codes (scan data, bracketed or unbracketed element strings, Digital Link or EPC
    /// URIs) and print one JSON object per code; reads standard input, one code per line, when
    /// no CODE is given.
    Parse {
        /// The codes to parse.
        codes: Vec<String>,
        /// Stem for the Digital Link output.
        #[arg(long, default_value = serialhub_gs1::digital_link::DEFAULT_STEM)]
        stem: String,
        /// GS1 Company Prefix lengths, one `prefix,length` per line, for EPC URIs of GTINs, SSCCs and GLNs.
        #[arg(long, value_name = "FILE")]
        gcp_lengths: Option<PathBuf>,
    },
    /// Generate random serial numbers for one GTIN from the operating system's CSPRNG, unique
    /// among themselves and the already issued ones, refusing counts that would make a serial
    /// guessable with probability 1 in 10,000 or more (EU FMD).
    Serials {
        /// How many serials to print, one per line.
        #[arg(long)]
        count: usize,
        /// Characters per serial, 1 to 20.
        #[arg(long, default_value_t = 12)]
        length: usize,
        /// The characters serials are drawn from.
        #[arg(long, value_enum, default_value_t = Alphabet::Alphanumeric)]
        alphabet: Alphabet,
        /// Serials already issued for the GTIN, one per line, never to be issued again.
        #[arg(long, value_name = "FILE")]
        issued: Option<PathBuf>,
    },
}

/// `--alphabet` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Alphabet {
    /// 0-9.
    Numeric,
    /// 0-9, A-Z, a-z.
    Alphanumeric,
    /// All of GS1 CSET 82.
    Cset82,
}

/// The operating system's CSPRNG.
struct OsRandom;

impl RandomSource for OsRandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        // Without the OS generator there is no safe way to make serials: stop rather than
        // fall back to something predictable.
        getrandom::fill(buf).expect("the operating system's random generator is available");
    }
}

pub(crate) fn run(command: Gs1Command) -> anyhow::Result<ExitCode> {
    match command {
        Gs1Command::Serials { count, length, alphabet, issued } => {
            let alphabet = match alphabet {
                Alphabet::Numeric => SerialAlphabet::Numeric,
                Alphabet::Alphanumeric => SerialAlphabet::Alphanumeric,
                Alphabet::Cset82 => SerialAlphabet::Cset82,
            };
            let mut pool = SerialPool::new(alphabet, length)?;
            if let Some(path) = issued {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("could not read {}", path.display()))?;
                pool.extend_issued(text.lines().map(str::trim).filter(|l| !l.is_empty()));
            }
            let serials = pool.generate(&mut OsRandom, count)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for serial in serials {
                writeln!(out, "{serial}").context("could not write standard output")?;
            }
            out.flush().context("could not write standard output")?;
            Ok(ExitCode::SUCCESS)
        }
        Gs1Command::Parse { codes, stem, gcp_lengths } => {
            let gcp = match gcp_lengths {
                Some(path) => read_gcp_table(&path)?,
                None => GcpLengthTable::new(),
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            let make_parser = || LineParser::new(stem.clone(), gcp.clone());
            let all_ok = if codes.is_empty() {
                let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin());
                let limits =
                    stream::Limits { line_len_max: CODE_LEN_MAX, ..stream::Limits::default() };
                stream::process_lines(
                    &mut input,
                    &mut out,
                    limits,
                    &make_parser,
                    &|parser, line, out| match line {
                        stream::Line::Text(code) => parser.parse_bytes(code, out),
                        stream::Line::TooLong { head, len } => {
                            too_long(head, len, out);
                            false
                        }
                    },
                )?
            } else {
                let mut parser = make_parser();
                let mut line = Vec::new();
                let mut all_ok = true;
                for code in &codes {
                    line.clear();
                    if code.len() > CODE_LEN_MAX {
                        too_long(&code.as_bytes()[..CODE_LEN_MAX], code.len(), &mut line);
                        all_ok = false;
                    } else {
                        all_ok &= parser.parse_bytes(code.as_bytes(), &mut line);
                    }
                    out.write_all(&line).context("could not write standard output")?;
                }
                out.flush().context("could not write standard output")?;
                all_ok
            };
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

/// The longest code read whole: far above any GS1 symbol's capacity or any real Digital Link,
/// low enough that a hostile input cannot make lines pile up in memory.
const CODE_LEN_MAX: usize = 64 * 1024;

fn too_long(head: &[u8], len: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"input\":");
    json::write_str(out, &String::from_utf8_lossy(&head[..head.len().min(64)]));
    out.extend_from_slice(
        format!(",\"ok\":false,\"error\":\"the input is {len} bytes long, more than the {CODE_LEN_MAX} allowed\",\"position\":{CODE_LEN_MAX}}}\n")
            .as_bytes(),
    );
}

/// Parses one code at a time into reused buffers and renders its JSON line into `out`.
struct LineParser {
    opts: Options,
    stem: String,
    gcp: GcpLengthTable,
    data: AiData,
    scratch: String,
}

impl LineParser {
    fn new(stem: String, gcp: GcpLengthTable) -> LineParser {
        LineParser {
            opts: Options::default(),
            stem,
            gcp,
            data: AiData::default(),
            scratch: String::new(),
        }
    }

    /// Appends the JSON line for `code` to `out`; returns whether it parsed.
    fn parse_bytes(&mut self, code: &[u8], out: &mut Vec<u8>) -> bool {
        match std::str::from_utf8(code) {
            Ok(text) => self.parse(text, out),
            Err(e) => {
                let lossy = String::from_utf8_lossy(code);
                out.extend_from_slice(b"{\"input\":");
                json::write_str(out, &lossy);
                out.extend_from_slice(
                    b",\"ok\":false,\"error\":\"the input is not valid UTF-8\",\"position\":",
                );
                out.extend_from_slice(e.valid_up_to().to_string().as_bytes());
                out.extend_from_slice(b"}\n");
                false
            }
        }
    }

    fn parse(&mut self, code: &str, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(b"{\"input\":");
        json::write_str(out, code);
        let form = match serialhub_gs1::parse_into(&mut self.data, code, &self.opts) {
            Ok(form) => form,
            Err(e) => {
                out.extend_from_slice(b",\"ok\":false,\"error\":");
                json::write_str(out, &e.to_string());
                out.extend_from_slice(b",\"position\":");
                match e.position {
                    Some(p) => out.extend_from_slice(p.to_string().as_bytes()),
                    None => out.extend_from_slice(b"null"),
                }
                out.extend_from_slice(b"}\n");
                return false;
            }
        };
        out.extend_from_slice(b",\"ok\":true,\"ais\":[");
        for (i, (ai, value)) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"[\"");
            out.extend_from_slice(ai.as_str().as_bytes());
            out.extend_from_slice(b"\",");
            json::write_str(out, value);
            out.push(b']');
        }
        out.extend_from_slice(b"],\"hri\":");
        self.scratch.clear();
        self.data.write_bracketed(&mut self.scratch);
        json::write_str(out, &self.scratch);
        out.extend_from_slice(b",\"digital_link\":");
        self.scratch.clear();
        match serialhub_gs1::digital_link::format_digital_link(
            &self.data,
            &self.stem,
            &self.opts,
            &mut self.scratch,
        ) {
            Ok(()) => json::write_str(out, &self.scratch),
            Err(_) => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"epc\":");
        let gcp_len = match form {
            Form::EpcUri { gcp_len } => Some(gcp_len),
            _ => self.data.elements().iter().find_map(|key| {
                let digits =
                    serialhub_gs1::company_prefix_digits(key.ai_str(), self.data.value(key))?;
                self.gcp.gcp_len(digits)
            }),
        };
        let epc = gcp_len.and_then(|len| {
            let pairs: Vec<(&str, &str)> =
                self.data.elements().iter().map(|e| (e.ai_str(), self.data.value(e))).collect();
            serialhub_gs1::epc::format_epc_uri(&pairs, len).ok().flatten()
        });
        match epc {
            Some(uri) => json::write_str(out, &uri),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b"}\n");
        true
    }
}

/// Reads a `--gcp-lengths` file (`prefix,length` per line).
pub(crate) fn read_gcp_table(path: &std::path::Path) -> anyhow::Result<GcpLengthTable> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    GcpLengthTable::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
