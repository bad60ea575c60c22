//! Framing for the streaming JSON reader: walks the document's outer structure byte by byte,
//! cuts out each event's bytes and hands them to serde_json's slice parser.
//!
//! serde_json parses a slice several times faster than an `io::Read` (it can scan strings with
//! bulk operations instead of pulling one byte at a time), so the reader keeps a window of the
//! input in memory, finds where each value ends (a string- and escape-aware bracket count), and
//! parses complete values from the window. Memory is bounded by the largest single value plus
//! one read chunk, whatever the document size.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;

use crate::problem::{ReadError, Where};

const CHUNK: usize = 1 << 20;

/// A window over the input, with line and column bookkeeping for error locations.
pub(crate) struct Scanner<'a, R> {
    input: R,
    /// The window: the whole input when it is a slice, a sliding buffer for readers.
    buf: Cow<'a, [u8]>,
    pos: usize,
    eof: bool,
    /// Line (1-based) and column (1-based) of `buf[0]`.
    line: u64,
    column: u64,
    /// Longest value accepted, in bytes.
    value_len_max: usize,
    /// A known (offset, line, column) in the window, so that locating value after value costs
    /// only the bytes in between.
    mark: (usize, u64, u64),
}

impl<'a> Scanner<'a, &'a [u8]> {
    /// A scanner over input already in memory: no copy, no refills.
    pub(crate) fn from_slice(input: &'a [u8], value_len_max: usize) -> Scanner<'a, &'a [u8]> {
        Scanner {
            input: &[],
            buf: Cow::Borrowed(input),
            pos: 0,
            eof: true,
            line: 1,
            column: 1,
            value_len_max,
            mark: (0, 1, 1),
        }
    }
}

impl<R: Read> Scanner<'_, R> {
    pub(crate) fn new(input: R, value_len_max: usize) -> Self {
        Scanner {
            input,
            buf: Cow::Owned(Vec::with_capacity(CHUNK)),
            pos: 0,
            eof: false,
            line: 1,
            column: 1,
            value_len_max,
            mark: (0, 1, 1),
        }
    }

    /// Reads another chunk, first dropping the consumed part of the window. Returns false at
    /// end of input.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            let (line, column) = advance(self.line, self.column, &self.buf[..self.pos]);
            self.line = line;
            self.column = column;
            self.buf.to_mut().drain(..self.pos);
            self.mark = match self.mark {
                (off, line, column) if off >= self.pos => (off - self.pos, line, column),
                _ => (0, self.line, self.column),
            };
            self.pos = 0;
        }
        // `read_to_end` on a `take` fills spare capacity without zeroing it first.
        let buf = self.buf.to_mut();
        let n = loop {
            match (&mut self.input).take(CHUNK as u64).read_to_end(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(crate::read::io_error(&e)),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Where byte `at` of the window is.
    pub(crate) fn location(&self, at: usize) -> Where {
        let at = at.min(self.buf.len());
        let (line, column) = advance(self.line, self.column, &self.buf[..at]);
        Where::Line { line, column }
    }

    /// Where byte `at` of the window is, for offsets that only grow between calls: the cost is
    /// the bytes since the previous call, not the whole window.
    pub(crate) fn location_forward(&mut self, at: usize) -> (u64, u64) {
        let at = at.min(self.buf.len());
        let (off, line, column) =
            if at >= self.mark.0 { self.mark } else { (0, self.line, self.column) };
        let (line, column) = advance(line, column, &self.buf[off..at]);
        self.mark = (at, line, column);
        (line, column)
    }

    fn syntax(&self, at: usize, message: impl Into<String>) -> ReadError {
        ReadError::new(
            self.location(at),
            "json_syntax",
            format!("invalid JSON: {}", message.into()),
        )
    }

    /// The next non-whitespace byte, without consuming it; `None` at end of input.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            while self.pos < self.buf.len() {
                let b = self.buf[self.pos];
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Skips a UTF-8 byte order mark at the very start (format detection skips it too).
    pub(crate) fn skip_bom(&mut self) -> Result<(), ReadError> {
        while self.buf.len() < 3 && self.fill()? {}
        if self.pos == 0 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    /// Consumes the next non-whitespace byte, which must be `want`.
    pub(crate) fn expect(&mut self, want: u8, what: &str) -> Result<(), ReadError> {
        match self.peek()? {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(self.syntax(
                self.pos,
                format!("expected {what}, found '{}'", char::from(b).escape_default()),
            )),
            None => {
                Err(self.syntax(self.pos, format!("the document ends where {what} was expected")))
            }
        }
    }

    /// After a member or element: consumes `,` and returns true, or consumes `close` and
    /// returns false.
    pub(crate) fn next_or_close(&mut self, close: u8) -> Result<bool, ReadError> {
        match self.peek()? {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            Some(b) => Err(self.syntax(
                self.pos,
                format!(
                    "expected ',' or '{}', found '{}'",
                    char::from(close),
                    char::from(b).escape_default()
                ),
            )),
            None => Err(self.syntax(self.pos, "the document ends inside an object or array")),
        }
    }

    /// Reads an object key and the `:` after it.
    pub(crate) fn key(&mut self) -> Result<String, ReadError> {
        if self.peek()? != Some(b'"') {
            return Err(self.syntax(self.pos, "expected a key (a string)"));
        }
        let span = self.value()?;
        let key: String = serde_json::from_slice(&self.buf[span.clone()])
            .map_err(|e| self.value_error(&e, span.start))?;
        self.expect(b':', "':'")?;
        Ok(key)
    }

    /// Consumes one complete JSON value and returns its span in the window. The span stays
    /// valid until the next call that reads input.
    pub(crate) fn value(&mut self) -> Result<Range<usize>, ReadError> {
        if self.peek()?.is_none() {
            return Err(self.syntax(self.pos, "the document ends where a value was expected"));
        }
        let start = self.pos;
        let mut i = start;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            if i >= self.buf.len() {
                // Keep the value's start in the window: fill drops only what is before `pos`.
                let offset = i - start;
                self.pos = start;
                if offset > self.value_len_max {
                    return Err(ReadError::new(
                        self.location(start),
                        "too_large",
                        format!("a single value is larger than {} bytes", self.value_len_max),
                    ));
                }
                if !self.fill()? {
                    return Err(self.syntax(self.buf.len(), "the document ends inside a value"));
                }
                i = self.pos + offset;
                continue;
            }
            if in_string && !escaped {
                // Most of a document is string content: jump to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &self.buf[i..]) {
                    Some(k) => i += k,
                    None => {
                        i = self.buf.len();
                        continue;
                    }
                }
            }
            if !in_string && depth > 0 {
                // Between strings inside a value only brackets and quotes matter: skip the
                // indentation, punctuation and numbers in a tight loop.
                match self.buf[i..].iter().position(|b| STRUCTURAL[usize::from(*b)]) {
                    Some(k) => i += k,
                    None => {
                        i = self.buf.len();
                        continue;
                    }
                }
            }
            let b = self.buf[i];
            i += 1;
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        break;
                    }
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        // A bare scalar (`2.0`, `true`) ends where its object or array closes.
                        if i - 1 > start {
                            i -= 1;
                            break;
                        }
                        return Err(self.syntax(i - 1, "unexpected closing bracket"));
                    }
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' | b':' if depth == 0 => {
                    // The end of a bare scalar (number, true, false, null).
                    i -= 1;
                    break;
                }
                _ => {}
            }
        }
        let start = self.pos;
        self.pos = i;
        Ok(start..i)
    }

    pub(crate) fn bytes(&self, span: Range<usize>) -> &[u8] {
        &self.buf[span]
    }

    /// A serde_json error inside the value starting at `start`, located in the whole document.
    pub(crate) fn value_error(&self, e: &serde_json::Error, start: usize) -> ReadError {
        let mut err = super::read::json_error(e);
        if let Where::Line { line: l0, column: c0 } = self.location(start) {
            let (line, column) = (e.line() as u64, e.column() as u64);
            err.problem.location = if line <= 1 {
                Where::Line { line: l0, column: c0 + column.saturating_sub(1) }
            } else {
                Where::Line { line: l0 + line - 1, column }
            };
        }
        err
    }

    /// Checks that only whitespace follows the document.
    pub(crate) fn end(&mut self) -> Result<(), ReadError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax(self.pos, "trailing characters after the document")),
        }
    }
}

/// The bytes that change the bracket count or start a string.
static STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// Line and column after `bytes`, starting from (`line`, `column`).
fn advance(mut line: u64, mut column: u64, bytes: &[u8]) -> (u64, u64) {
    // Runs over every byte of the input once: count with the vectorised searcher.
    line += memchr::memchr_iter(b'\n', bytes).count() as u64;
    let tail = match memchr::memrchr(b'\n', bytes) {
        Some(i) => {
            column = 1;
            &bytes[i + 1..]
        }
        None => bytes,
    };
    // Columns count characters, not bytes.
    column += tail.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u64;
    (line, column)
}
