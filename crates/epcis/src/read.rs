//! Reading documents of any supported format: format detection, limits, and the `Handler`
//! that receives the header, each event and each problem as they are read.

use crate::model::{Document, Event, Header};
use crate::problem::{Problem, ReadError, Where};

/// The consumer of a streaming read. Returning `Err(Stopped)` ends the read early.
pub trait Handler {
    /// Called once, before the first event (or at the end for a document without events).
    fn header(&mut self, header: &Header) -> Result<(), Stopped>;
    fn event(&mut self, event: Event) -> Result<(), Stopped>;
    /// An event with where it starts: readers call this rather than `event`, so that handlers
    /// such as `crate::validate::Validator` can locate problems. The JSON-LD pointer of the event
    /// (`/epcisBody/eventList/3`) or the line of its XML start tag.
    fn event_at(&mut self, event: Event, at: Where) -> Result<(), Stopped> {
        let _ = at;
        self.event(event)
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped>;

    /// Whether this handler takes events undecoded (`raw_event`), to decode them itself, on
    /// other threads say, with `crate::json::read::decode_event`. Only the JSON-LD reader asks,
    /// and only once the document's `@context` is known; otherwise it decodes as usual.
    fn wants_raw(&self) -> bool {
        false
    }

    /// One event's bytes, as framed by the JSON-LD reader, when `wants_raw` says so.
    fn raw_event(&mut self, raw: RawEvent<'_>) -> Result<(), Stopped> {
        let _ = raw;
        Err(Stopped)
    }
}

/// An event's JSON bytes and where they are in the document.
#[derive(Clone, Copy, Debug)]
pub struct RawEvent<'a> {
    pub bytes: &'a [u8],
    /// Which event of the document this is (0-based), and in which list.
    pub index: usize,
    pub query_results: bool,
    /// Line and column (1-based) of the event's first byte.
    pub line: u64,
    pub column: u64,
}

/// The consumer asked the reader to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped;

/// Bounds on the work a document may cause. Every reader enforces them.
#[derive(Clone, Debug)]
pub struct Limits {
    pub events_max: usize,
    /// Deepest element nesting accepted (XML; serde_json has its own limit of 128).
    pub depth_max: usize,
    /// Longest element or attribute name, and longest single text value, in bytes.
    pub name_len_max: usize,
    pub text_len_max: usize,
    pub attributes_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            events_max: usize::MAX,
            depth_max: 64,
            name_len_max: 1024,
            text_len_max: 1 << 20,
            attributes_max: 256,
        }
    }
}

impl Limits {
    /// Refuses one more event when `events_read` is already `events_max`; `at` (where the event
    /// starts) is worked out only then.
    pub(crate) fn check_events(
        &self,
        events_read: usize,
        at: impl FnOnce() -> Where,
    ) -> Result<(), ReadError> {
        if events_read >= self.events_max {
            return Err(ReadError::new(
                at(),
                "too_many_events",
                format!("more than {} events in one document", self.events_max),
            ));
        }
        Ok(())
    }
}

/// The serialisations serialhub reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonLd,
    /// XML, EPCIS 2.0 or 1.2: the reader tells them apart by namespace and handles both.
    Xml,
}

/// Detects the format from the first non-blank byte (after a UTF-8 byte order mark).
pub fn detect(prefix: &[u8]) -> Option<Format> {
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    match prefix.iter().find(|b| !b.is_ascii_whitespace())? {
        b'{' => Some(Format::JsonLd),
        b'<' => Some(Format::Xml),
        _ => None,
    }
}

/// Collects a whole document in memory, with every problem found while reading.
#[derive(Debug, Default)]
pub struct Collect {
    pub document: Document,
    pub problems: Vec<Problem>,
}

impl Handler for Collect {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.document.header = header.clone();
        Ok(())
    }
    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        self.document.events.push(event);
        Ok(())
    }
    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        self.problems.push(problem);
        Ok(())
    }
}

/// Reads a document held in memory, in whichever format it is.
pub fn read_slice<H: Handler>(
    input: &[u8],
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    match detect(input) {
        Some(Format::JsonLd) => crate::json::read::read_slice(input, limits, handler),
        Some(Format::Xml) => crate::xml::read::read(input, limits, handler),
        None => Err(unknown_format()),
    }
}

/// Reads a stream in whichever format it is, in bounded memory.
pub fn read_stream<R: std::io::BufRead, H: Handler>(
    mut input: R,
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    let head = input.fill_buf().map_err(|e| io_error(&e))?;
    match detect(head) {
        Some(Format::JsonLd) => crate::json::read::read_reader(input, limits, handler),
        Some(Format::Xml) => crate::xml::read::read(input, limits, handler),
        None if head.is_empty() => {
            Err(ReadError::new(Where::Document, "empty", "the document is empty"))
        }
        None => Err(unknown_format()),
    }
}

/// Reads a whole document into memory (tests, small documents, the REST capture path).
pub fn read_document(input: &[u8]) -> Result<Collect, ReadError> {
    let mut c = Collect::default();
    read_slice(input, &Limits::default(), &mut c)?;
    Ok(c)
}

fn unknown_format() -> ReadError {
    ReadError::new(
        Where::Document,
        "format",
        "not an EPCIS document: expected JSON-LD (starting with '{') or XML (starting with '<')",
    )
}

/// What a reader returns when the handler asked it to stop.
pub(crate) fn stopped() -> ReadError {
    ReadError::new(Where::Document, "stopped", "reading stopped by the consumer")
}

pub(crate) fn io_error(e: &std::io::Error) -> ReadError {
    ReadError::new(Where::Document, "io", format!("could not read the document: {e}"))
}
