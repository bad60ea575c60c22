//! The journal: one append-only file of checksummed records, each a committed capture job.
//!
//! Layout: the 16-byte `MAGIC`, then records `[payload length: u32 LE][CRC-32 of the payload:
//! u32 LE][payload]`. A record is acknowledged only after `sync_data` returns, and each append
//! writes at the end of the last good record, so after a crash the file is every acknowledged
//! record followed, at most, by the torn remains of one unacknowledged append. Opening drops
//! such a tail; a bad record followed by a good one is corruption, and opening refuses it
//! rather than silently lose what comes after.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

/// The first bytes of every journal: the format and its version.
pub(crate) const MAGIC: &[u8; 16] = b"serialhub-jrnl2\n";

const HEADER_LEN: u64 = 8;

/// The size past which a record being encoded goes to the file in pieces (`Journal::stream`):
/// large enough that a piece is one cheap write, small enough that the file keeps up with the
/// encoder.
pub(crate) const PIECE_LEN: usize = 1 << 20;

/// The largest payload a record may have: a bound on what one capture job may write, and on
/// what a corrupt length can make the reader allocate.
pub(crate) const RECORD_LEN_MAX: u32 = 1 << 30;

/// Why a journal could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system failed.
    #[error("{path}: {source}")]
    Io {
        /// The journal file.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// The file is not a serialhub journal, or a record in its middle is damaged.
    #[error("{path}: {message} (at byte {offset})")]
    Corrupt {
        /// The journal file.
        path: String,
        /// What is wrong.
        message: String,
        /// Where.
        offset: u64,
    },
}

/// What `Journal::open` hands each good record to: its payload's file offset and bytes.
pub(crate) type Replayer<'a> = dyn FnMut(u64, &[u8]) -> Result<(), JournalError> + 'a;

/// Reads acknowledged records without the store's lock (`Journal::reader`).
#[derive(Debug)]
pub(crate) struct Reader {
    file: File,
    path: String,
}

impl Reader {
    pub(crate) fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, JournalError> {
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|source| JournalError::Io { path: self.path.clone(), source })?;
        Ok(buf)
    }
}

/// An open journal, positioned for appends.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: String,
    /// The end of the last good record: where the next append goes.
    len: u64,
}

/// What opening found beyond the good records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// The number of good records replayed.
    pub(crate) records: u64,
    /// Bytes of a torn, unacknowledged append dropped from the end.
    pub(crate) torn_bytes: u64,
}

impl Journal {
    /// Opens (creating if absent) the journal at `path` and hands every good record to
    /// `replay`, in order, with the file offset of its payload.
    pub(crate) fn open(
        path: &Path,
        replay: &mut Replayer<'_>,
    ) -> Result<(Journal, Recovery), JournalError> {
        let name = path.display().to_string();
        let io_error = |source| JournalError::Io { path: name.clone(), source };
        let corrupt = |message: &str, offset| JournalError::Corrupt {
            path: name.clone(),
            message: message.to_owned(),
            offset,
        };
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path);
        let file = file.map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        if file_len == 0 {
            file.write_all_at(MAGIC, 0).map_err(io_error)?;
            file.sync_data().map_err(io_error)?;
            // The new file's directory entry must be durable too, or a crash could lose it.
            if let Some(dir) = path.parent() {
                File::open(dir).and_then(|d| d.sync_all()).map_err(io_error)?;
            }
            let journal = Journal { file, path: name.clone(), len: MAGIC.len() as u64 };
            return Ok((journal, Recovery::default()));
        }
        let mut magic = [0u8; 16];
        if file_len < MAGIC.len() as u64 || file.read_exact_at(&mut magic, 0).is_err() {
            return Err(corrupt("too short to be a serialhub journal", 0));
        }
        if &magic != MAGIC {
            return Err(corrupt("not a serialhub journal (unknown magic bytes)", 0));
        }

        let mut reader = BufReader::with_capacity(1 << 20, &file);
        io::copy(&mut (&mut reader).take(MAGIC.len() as u64), &mut io::sink()).map_err(io_error)?;
        let mut pos = MAGIC.len() as u64;
        let mut recovery = Recovery::default();
        let mut payload = Vec::new();
        loop {
            if pos == file_len {
                break;
            }
            let bad = read_record(&mut reader, pos, file_len, &mut payload).err();
            if let Some(why) = bad {
                // A torn append is the last thing in the file; anything good after a bad record
                // means damage in the middle.
                if good_record_after(&file, pos, file_len) {
                    return Err(corrupt(&format!("damaged record ({why})"), pos));
                }
                recovery.torn_bytes = file_len - pos;
                file.set_len(pos).map_err(io_error)?;
                file.sync_data().map_err(io_error)?;
                break;
            }
            replay(pos + HEADER_LEN, &payload)?;
            recovery.records += 1;
            pos += HEADER_LEN + payload.len() as u64;
        }
        drop(reader);
        Ok((Journal { file, path: name, len: pos }, recovery))
    }

    /// Appends one record and waits until it is on disk; returns its payload's file offset.
    /// On error nothing counts as written: the next append overwrites whatever reached the
    /// file.
    pub(crate) fn append(&mut self, payload: &[u8]) -> Result<u64, JournalError> {
        let io_error = |source| JournalError::Io { path: self.path.clone(), source };
        let len = u32::try_from(payload.len()).ok().filter(|&n| n <= RECORD_LEN_MAX).ok_or_else(
            || {
                io_error(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("a capture job of {} bytes is over the 1 GiB limit", payload.len()),
                ))
            },
        )?;
        let mut header = [0u8; HEADER_LEN as usize];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
        // Two writes, not a copy of the payload: the checksum covers a torn pair either way.
        self.file.write_all_at(&header, self.len).map_err(io_error)?;
        self.file.write_all_at(payload, self.len + HEADER_LEN).map_err(io_error)?;
        self.file.sync_data().map_err(io_error)?;
        let at = self.len + HEADER_LEN;
        self.len = at + payload.len() as u64;
        Ok(at)
    }

    /// Reads `len` bytes at `offset` (a payload offset `append` or `open` gave, plus a
    /// position inside it).
    /// A second handle on the file for readers that do not hold the store's lock: bytes of
    /// acknowledged records never change, so reading them needs no lock.
    pub(crate) fn reader(&self) -> Result<Reader, JournalError> {
        let file = self
            .file
            .try_clone()
            .map_err(|source| JournalError::Io { path: self.path.clone(), source })?;
        Ok(Reader { file, path: self.path.clone() })
    }

    /// Appends a record whose payload is `first` followed by the `tail` a `Streamer` wrote,
    /// and waits until it is on disk; returns its payload's file offset. The header goes last:
    /// until it is written the tail is the torn remains of an unacknowledged append.
    pub(crate) fn append_streamed(
        &mut self,
        first: &[u8],
        tail: Tail,
    ) -> Result<u64, JournalError> {
        let io_error = |source| JournalError::Io { path: self.path.clone(), source };
        let total = first.len() as u64 + tail.len;
        let len = u32::try_from(total).ok().filter(|&n| n <= RECORD_LEN_MAX).ok_or_else(|| {
            io_error(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a capture job of {total} bytes is over the 1 GiB limit"),
            ))
        })?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(first);
        crc.combine(&tail.crc);
        let mut header = [0u8; HEADER_LEN as usize];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..].copy_from_slice(&crc.finalize().to_le_bytes());
        self.file.write_all_at(first, self.len + HEADER_LEN).map_err(io_error)?;
        self.file.write_all_at(&header, self.len).map_err(io_error)?;
        self.file.sync_data().map_err(io_error)?;
        let at = self.len + HEADER_LEN;
        self.len = at + total;
        Ok(at)
    }

    /// Starts writing the payload of the next record in pieces, on a helper thread of `scope`,
    /// while its encoder goes on: `first` (the payload's start) is kept back for
    /// `append_streamed`, which writes it and the header once the payload is complete.
    pub(crate) fn stream<'scope, 'env>(
        &'env self,
        scope: &'scope Scope<'scope, 'env>,
        first: Vec<u8>,
    ) -> Streamer<'scope> {
        let (pieces, received) = mpsc::sync_channel::<(u64, Vec<u8>)>(2);
        let (spare_tx, spare) = mpsc::channel();
        let file = &self.file;
        let helper = scope.spawn(move || {
            let mut tail = Tail { len: 0, crc: crc32fast::Hasher::new() };
            for (offset, mut piece) in received {
                file.write_all_at(&piece, offset)?;
                tail.crc.update(&piece);
                tail.len += piece.len() as u64;
                piece.clear();
                let _ = spare_tx.send(piece);
            }
            Ok(tail)
        });
        let next = self.next_payload_offset() + first.len() as u64;
        Streamer { first, next, pieces, spare, helper }
    }

    /// The file offset the next record's payload will have.
    pub(crate) fn next_payload_offset(&self) -> u64 {
        self.len + HEADER_LEN
    }

    /// The size of the good part of the journal, in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

/// The part of a record's payload a `Streamer` wrote: its length and checksum.
#[derive(Debug)]
pub(crate) struct Tail {
    len: u64,
    crc: crc32fast::Hasher,
}

/// Writes a record's payload, after its first piece, while the payload is being encoded (see
/// `Journal::stream`): writing to the page cache was a tenth of the capture thread's time.
#[derive(Debug)]
pub(crate) struct Streamer<'scope> {
    first: Vec<u8>,
    /// Where the next piece goes.
    next: u64,
    pieces: mpsc::SyncSender<(u64, Vec<u8>)>,
    /// Pieces written, emptied, for reuse.
    spare: mpsc::Receiver<Vec<u8>>,
    helper: ScopedJoinHandle<'scope, io::Result<Tail>>,
}

impl Streamer<'_> {
    /// Hands the bytes of `buf` to the helper to write next, leaving `buf` empty.
    pub(crate) fn piece(&mut self, buf: &mut Vec<u8>) {
        let fresh = self.spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(buf.capacity()));
        let piece = std::mem::replace(buf, fresh);
        let len = piece.len() as u64;
        // A helper that failed has stopped receiving; its error comes back from `finish`.
        let _ = self.pieces.send((self.next, piece));
        self.next += len;
    }

    /// Writes `last`, waits for the helper, and returns the first piece (for the caller to
    /// complete) and what the helper wrote.
    pub(crate) fn finish(mut self, last: &mut Vec<u8>) -> io::Result<(Vec<u8>, Tail)> {
        if !last.is_empty() {
            self.piece(last);
        }
        drop(self.pieces);
        let tail = match self.helper.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok((self.first, tail))
    }
}

/// Reads the record at `pos` into `payload`, checking its length and checksum.
fn read_record(
    reader: &mut impl Read,
    pos: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> Result<(), &'static str> {
    let mut header = [0u8; HEADER_LEN as usize];
    if file_len - pos < HEADER_LEN || reader.read_exact(&mut header).is_err() {
        return Err("incomplete record header");
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len > RECORD_LEN_MAX || u64::from(len) > file_len - pos - HEADER_LEN {
        return Err("record length past the end of the file");
    }
    // No record is empty, and zeros are what a streamed append leaves where its header and
    // first piece were not written yet (see `Journal::stream`).
    if len == 0 {
        return Err("empty record");
    }
    payload.clear();
    payload.resize(len as usize, 0);
    if reader.read_exact(payload).is_err() {
        return Err("incomplete record");
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch");
    }
    Ok(())
}

/// Whether a record with a good checksum starts right after the (bad) record at `pos`, as its
/// own header declares it.
fn good_record_after(file: &File, pos: u64, file_len: u64) -> bool {
    let mut header = [0u8; HEADER_LEN as usize];
    if file.read_exact_at(&mut header, pos).is_err() {
        return false;
    }
    let len = u64::from(u32::from_le_bytes([header[0], header[1], header[2], header[3]]));
    let next = pos + HEADER_LEN + len;
    if next >= file_len {
        return false;
    }
    let mut payload = Vec::new();
    let mut at_next = FileAt { file, offset: next };
    read_record(&mut at_next, next, file_len, &mut payload).is_ok()
}

/// A `Read` over a file from an offset, without moving the file's cursor.
struct FileAt<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for FileAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}
