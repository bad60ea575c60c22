//! Ordered parallel processing of a line stream: a reader cuts the input into chunks of whole
//! lines, workers turn each chunk into output, and the caller's thread writes the outputs in
//! input order.
//!
//! Memory is bounded whatever the input: at most `chunks_in_flight_max` chunks exist at once
//! (a token is taken per chunk read and given back once its output is written), and a line
//! longer than `line_len_max` is not kept, only its first bytes.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::Context;

/// Bounds on the pipeline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes of input gathered before a chunk is handed to a worker.
    pub(crate) chunk_len: usize,
    /// The longest line kept whole; longer lines reach the worker as [`Line::TooLong`].
    pub(crate) line_len_max: usize,
    /// Worker threads.
    pub(crate) workers: usize,
    /// Chunks read but not yet written.
    pub(crate) chunks_in_flight_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
        Limits {
            chunk_len: 256 * 1024,
            line_len_max: 64 * 1024,
            workers,
            chunks_in_flight_max: workers * 4,
        }
    }
}

/// One input line, without its line end.
#[derive(Debug)]
pub(crate) enum Line<'a> {
    /// The whole line.
    Text(&'a [u8]),
    /// A line over the limit: its first bytes and its full length.
    TooLong { head: &'a [u8], len: usize },
}

/// Lines of input, stored back to back.
#[derive(Debug, Default)]
struct Chunk {
    seq: u64,
    data: Vec<u8>,
    /// (start, end, full length) of each line in `data`; full length exceeds `end - start` when cut.
    lines: Vec<(usize, usize, usize)>,
}

/// Runs `work` on every line of `input` on `limits.workers` threads and writes each line's output
/// to `output` in input order. `make_worker` builds one per-thread state; `work` appends a line's
/// output to the buffer and returns whether the line succeeded. Returns whether all did.
pub(crate) fn process_lines<S>(
    input: &mut (dyn BufRead + Send),
    output: &mut dyn Write,
    limits: Limits,
    make_worker: &(dyn Fn() -> S + Sync),
    work: &(dyn Fn(&mut S, Line<'_>, &mut Vec<u8>) -> bool + Sync),
) -> anyhow::Result<bool> {
    assert!(limits.workers >= 1 && limits.chunks_in_flight_max >= limits.workers);
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(limits.workers);
    let chunk_rx = Arc::new(Mutex::new(chunk_rx));
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<u8>, bool)>(limits.chunks_in_flight_max);
    let (token_tx, token_rx) = sync_channel::<()>(limits.chunks_in_flight_max);
    for _ in 0..limits.chunks_in_flight_max {
        token_tx.send(()).expect("the channel holds every token");
    }
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_chunks(input, limits, &chunk_tx, &token_rx));
        for _ in 0..limits.workers {
            let chunk_rx = Arc::clone(&chunk_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut state = make_worker();
                loop {
                    // Hold the lock only to take the next chunk.
                    let next = chunk_rx.lock().expect("no worker panics holding the lock").recv();
                    let Ok(chunk) = next else { break };
                    let mut out = Vec::with_capacity(chunk.data.len() * 4);
                    let mut all_ok = true;
                    for &(start, end, len) in &chunk.lines {
                        let line = if len > end - start {
                            Line::TooLong { head: &chunk.data[start..end], len }
                        } else {
                            Line::Text(&chunk.data[start..end])
                        };
                        all_ok &= work(&mut state, line, &mut out);
                    }
                    if done_tx.send((chunk.seq, out, all_ok)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers hold the queue's receiving end now: when they stop (because writing
        // failed), a reader blocked on a full queue is woken with an error instead of hanging.
        drop(chunk_rx);
        drop(done_tx);
        let written = write_in_order(output, &done_rx, &token_tx);
        // Stop the reader if writing failed, so the scope can end.
        drop(done_rx);
        drop(token_tx);
        let read = reader.join().expect("the reader does not panic");
        let all_ok = written?;
        read?;
        Ok(all_ok)
    })
}

fn write_in_order(
    output: &mut dyn Write,
    done_rx: &Receiver<(u64, Vec<u8>, bool)>,
    token_tx: &SyncSender<()>,
) -> anyhow::Result<bool> {
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    let mut all_ok = true;
    for (seq, out, ok) in done_rx {
        all_ok &= ok;
        pending.insert(seq, out);
        while let Some(out) = pending.remove(&next) {
            output.write_all(&out).context("could not write standard output")?;
            next += 1;
            // The reader may go on: one chunk fewer is in flight.
            let _ = token_tx.send(());
        }
    }
    output.flush().context("could not write standard output")?;
    Ok(all_ok)
}

fn read_chunks(
    input: &mut (dyn BufRead + Send),
    limits: Limits,
    chunk_tx: &SyncSender<Chunk>,
    token_rx: &Receiver<()>,
) -> anyhow::Result<()> {
    let mut seq = 0;
    let mut chunk = Chunk::default();
    // The current line: where it starts in `chunk.data` and its full length so far.
    let mut line_start = 0;
    let mut line_len = 0usize;
    let mut at_line_start = true;
    loop {
        let buf = input.fill_buf().context("could not read standard input")?;
        if buf.is_empty() {
            if !at_line_start {
                finish_line(&mut chunk, line_start, line_len);
            }
            break;
        }
        let (piece, consumed, ends_line) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        if at_line_start {
            line_start = chunk.data.len();
            line_len = 0;
            at_line_start = false;
        }
        let room = limits.line_len_max.saturating_sub(line_len);
        chunk.data.extend_from_slice(&piece[..piece.len().min(room)]);
        line_len += piece.len();
        input.consume(consumed);
        if ends_line {
            finish_line(&mut chunk, line_start, line_len);
            at_line_start = true;
            if chunk.data.len() >= limits.chunk_len {
                if token_rx.recv().is_err() {
                    return Ok(());
                }
                chunk.seq = seq;
                seq += 1;
                if chunk_tx.send(std::mem::take(&mut chunk)).is_err() {
                    return Ok(());
                }
            }
        }
    }
    if !chunk.lines.is_empty() {
        if token_rx.recv().is_err() {
            return Ok(());
        }
        chunk.seq = seq;
        let _ = chunk_tx.send(chunk);
    }
    Ok(())
}

/// Records the line that started at `start`, dropping a final `\r` of a CRLF line end.
fn finish_line(chunk: &mut Chunk, start: usize, len: usize) {
    let mut end = chunk.data.len();
    let mut len = len;
    if end > start && chunk.data[end - 1] == b'\r' && len == end - start {
        end -= 1;
        len -= 1;
    }
    chunk.lines.push((start, end, len));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], limits: Limits) -> (String, bool) {
        let mut reader = std::io::BufReader::with_capacity(7, input);
        let mut out = Vec::new();
        let ok = process_lines(&mut reader, &mut out, limits, &|| 0usize, &|count, line, out| {
            *count += 1;
            match line {
                Line::Text(text) => {
                    out.extend_from_slice(text);
                    out.push(b'\n');
                    !text.is_empty()
                }
                Line::TooLong { head, len } => {
                    out.extend_from_slice(
                        format!("<{} of {len}>\n", String::from_utf8_lossy(head)).as_bytes(),
                    );
                    false
                }
            }
        })
        .expect("no IO error");
        (String::from_utf8(out).expect("utf-8"), ok)
    }

    fn small() -> Limits {
        Limits { chunk_len: 10, line_len_max: 8, workers: 3, chunks_in_flight_max: 4 }
    }

    #[test]
    fn keeps_order_and_line_ends() {
        let input: String = (0..1000).map(|i| format!("line{i}\r\n")).collect();
        let (out, ok) = run(input.as_bytes(), Limits { line_len_max: 100, ..small() });
        let want: String = (0..1000).map(|i| format!("line{i}\n")).collect();
        assert_eq!(out, want);
        assert!(ok);
    }

    /// A reader that stops early (`| head`): the pipeline must stop too, not hang.
    #[test]
    fn a_failing_writer_stops_the_pipeline() {
        struct Closed(usize);
        impl Write for Closed {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::ErrorKind::BrokenPipe.into());
                }
                self.0 -= 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let input: String = (0..100_000).map(|i| format!("line{i}\n")).collect();
        let mut reader = std::io::BufReader::new(input.as_bytes());
        let limits =
            Limits { chunk_len: 64, line_len_max: 100, workers: 1, chunks_in_flight_max: 8 };
        let result =
            process_lines(&mut reader, &mut Closed(0), limits, &|| (), &|(), line, out| {
                // A slow worker lets the reader fill the queue and block on it.
                std::thread::sleep(std::time::Duration::from_millis(1));
                if let Line::Text(text) = line {
                    out.extend_from_slice(text);
                }
                true
            });
        let error = result.expect_err("the writer failed");
        assert!(format!("{error:#}").contains("could not write standard output"), "{error:#}");
    }

    #[test]
    fn cuts_long_lines_and_reports_failures() {
        let (out, ok) = run(b"short\n0123456789abcdef\n\nlast-no-newline", small());
        assert_eq!(out, "short\n<01234567 of 16>\n\n<last-no- of 15>\n");
        assert!(!ok);
        let (out, ok) = run(b"", small());
        assert_eq!((out.as_str(), ok), ("", true));
    }
}
