//! The input under the XML reader: counts lines as quick-xml consumes bytes, and stops a
//! single token (tag, text run, comment, DTD) from growing without bound.
//!
//! quick-xml copies each token whole into its buffer before returning it, so a 1 GB name or
//! text run would be buffered before any check on the event could refuse it. This wrapper sees
//! every byte as it is consumed, and fails the next read once a token passes its limit; the
//! reader then reports the limit rather than the IO error quick-xml sees.

use std::io::{self, BufRead, Read};

/// Which guard stopped the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Overflow {
    /// A tag, comment or other markup grew past `token_len_max` bytes.
    Markup,
    /// A run of character data grew past `token_len_max` bytes.
    Text,
    /// An element name grew past `name_len_max` bytes.
    Name,
}

/// Where the name of the current tag is, while its first bytes are consumed.
#[derive(Clone, Copy, Debug)]
enum NameScan {
    Done,
    /// Just after `<`: the next byte tells whether a name follows.
    AfterOpen,
    /// Inside the name, this many bytes so far.
    InName(usize),
}

#[derive(Debug)]
pub(super) struct Source<R> {
    inner: R,
    /// Bytes consumed so far.
    offset: u64,
    /// 1-based line of `offset`, and the offset where that line starts.
    line: u64,
    line_start: u64,
    /// Bytes consumed since `mark`, that is, in the token being read, and whether it is markup.
    token_len: usize,
    token_is_markup: bool,
    token_len_max: usize,
    name: NameScan,
    name_len_max: usize,
    overflow: Option<Overflow>,
}

impl<R: BufRead> Source<R> {
    pub(super) fn new(inner: R, token_len_max: usize, name_len_max: usize) -> Source<R> {
        Source {
            inner,
            offset: 0,
            line: 1,
            line_start: 0,
            token_len: 0,
            token_is_markup: false,
            token_len_max,
            name: NameScan::Done,
            name_len_max,
            overflow: None,
        }
    }

    /// Starts a new token: quick-xml consumes exactly one token per event, so the caller marks
    /// before each read.
    pub(super) fn mark(&mut self) {
        self.token_len = 0;
        self.name = NameScan::Done;
    }

    /// The 1-based line and column (in bytes) of the next byte to be consumed.
    pub(super) fn position(&self) -> (u64, u64) {
        (self.line, self.offset - self.line_start + 1)
    }

    pub(super) fn overflow(&self) -> Option<Overflow> {
        self.overflow
    }
}

/// Follows the element name at the start of a tag through the bytes just consumed; returns the
/// new state and whether the name is now longer than `max`.
fn scan_name(mut state: NameScan, mut bytes: &[u8], max: usize) -> (NameScan, bool) {
    loop {
        match state {
            NameScan::Done => return (state, false),
            NameScan::AfterOpen => match bytes.first() {
                None => return (state, false),
                // Comments, CDATA, DTDs and processing instructions have no element name.
                Some(b'!' | b'?') => return (NameScan::Done, false),
                Some(b'/') => {
                    bytes = &bytes[1..];
                    state = NameScan::InName(0);
                }
                Some(_) => state = NameScan::InName(0),
            },
            NameScan::InName(len) => {
                let end = bytes
                    .iter()
                    .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'));
                let len = len.saturating_add(end.unwrap_or(bytes.len()));
                let state = if end.is_some() { NameScan::Done } else { NameScan::InName(len) };
                return (state, len > max);
            }
        }
    }
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.overflow.is_some() {
            return Err(io::Error::other("input limit exceeded"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if amount == 0 {
            return;
        }
        // `fill_buf` on a buffer that still holds data does no IO and returns the same bytes, so
        // this sees exactly what is consumed. An error here cannot happen after a successful
        // `fill_buf`; if it did, only the line count would suffer.
        let consumed = match self.inner.fill_buf() {
            Ok(bytes) => &bytes[..amount.min(bytes.len())],
            Err(_) => &[][..],
        };
        // One pass for both the count and the last position: chunks are mostly one short token,
        // where a plain loop beats a vectorized count followed by a search.
        let mut newlines = 0u64;
        let mut last_newline = 0;
        for (i, byte) in consumed.iter().enumerate() {
            if *byte == b'\n' {
                newlines += 1;
                last_newline = i;
            }
        }
        if newlines > 0 {
            self.line += newlines;
            self.line_start = self.offset + last_newline as u64 + 1;
        }
        let open = self.token_len == 0 && consumed.first() == Some(&b'<');
        if self.token_len == 0 {
            self.token_is_markup = open;
        }
        let name = if open { NameScan::AfterOpen } else { self.name };
        let (name, name_overflow) =
            scan_name(name, &consumed[usize::from(open)..], self.name_len_max);
        self.name = name;
        self.inner.consume(amount);

        self.offset += amount as u64;
        self.token_len = self.token_len.saturating_add(amount);
        if name_overflow {
            self.overflow = Some(Overflow::Name);
        } else if self.token_len > self.token_len_max {
            self.overflow =
                Some(if self.token_is_markup { Overflow::Markup } else { Overflow::Text });
        }
    }
}
