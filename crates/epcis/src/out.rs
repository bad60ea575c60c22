//! The output buffer the streaming writers (`json::write`, `xml::write`) fill: its indentation,
//! and the batches in which it is handed to the caller's writer.
//!
//! Both writers pretty-print into a `Vec<u8>` and hand it over every `FLUSH_LEN` bytes, so that
//! a caller that does not buffer still gets one `write_all` per batch of events, and memory
//! stays bounded by one batch plus one event.

use std::io::{self, Write};

/// Bytes buffered before they are handed to the caller's writer.
pub(crate) const FLUSH_LEN: usize = 64 * 1024;

const SPACES: &[u8; 64] = b"                                                                ";

/// Starts a new line indented two spaces per level of `depth`.
pub(crate) fn newline(buf: &mut Vec<u8>, depth: usize) {
    buf.push(b'\n');
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        buf.extend_from_slice(&SPACES[..k]);
        n -= k;
    }
}

/// Hands `buf` to `out` once it holds a batch.
pub(crate) fn flush_if_full<W: Write>(buf: &mut Vec<u8>, out: &mut W) -> io::Result<()> {
    if buf.len() >= FLUSH_LEN {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

/// Hands the rest of the document to `out`, flushes it, and gives it back.
pub(crate) fn finish<W: Write>(buf: &[u8], mut out: W) -> io::Result<W> {
    out.write_all(buf)?;
    out.flush()?;
    Ok(out)
}
