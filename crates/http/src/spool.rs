//! The capture spool: a document accepted by `POST /epcis/capture` is written here, synced,
//! before the 202 answers, and removed once its job has finished. A server that dies between
//! the two finds the file when it starts again and captures the document then: a capture the
//! server acknowledged is never lost, and its job keeps the id the client was told (the job
//! table itself is in memory: jobs that finished before the stop are forgotten).
//!
//! A file is `<number>.job`: one JSON line (the job's id, who captured it, for which party,
//! how errors were to be handled, when it was accepted), then the request body as received.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// The spool directory and the next file number.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    next: AtomicU64,
}

/// A document found in the spool at start: accepted, never finished.
#[derive(Debug)]
pub struct Pending {
    /// Its file.
    pub path: PathBuf,
    /// The header line.
    pub header: Value,
    /// The request body.
    pub body: Vec<u8>,
}

impl Spool {
    /// Opens (creates) the spool in `dir`, returning what an earlier run left in it, oldest
    /// first.
    pub fn open(dir: &Path) -> std::io::Result<(Spool, Vec<Pending>)> {
        std::fs::create_dir_all(dir)?;
        let mut found: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let number = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".job"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(number) = number {
                found.push((number, path));
            }
        }
        found.sort();
        let next = found.last().map_or(0, |(n, _)| n + 1);
        let mut pending = Vec::new();
        for (_, path) in found {
            let bytes = std::fs::read(&path)?;
            let split = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
            let header = serde_json::from_slice(&bytes[..split]).unwrap_or(Value::Null);
            let body = bytes.get(split + 1..).unwrap_or_default().to_vec();
            pending.push(Pending { path, header, body });
        }
        Ok((Spool { dir: dir.to_owned(), next: AtomicU64::new(next) }, pending))
    }

    /// Writes and syncs one accepted document; returns its file.
    pub fn write(&self, header: &Value, body: &[u8]) -> std::io::Result<PathBuf> {
        let number = self.next.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.join(format!("{number:020}.job"));
        let temp = self.dir.join(format!("{number:020}.tmp"));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(format!("{header}\n").as_bytes())?;
        file.write_all(body)?;
        file.sync_data()?;
        std::fs::rename(&temp, &path)?;
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_found_again_in_order() {
        let dir = std::env::temp_dir().join(format!("serialhub-spool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (spool, pending) = Spool::open(&dir).expect("opens");
        assert!(pending.is_empty());
        let first = spool.write(&serde_json::json!({"n": 1}), b"{\"a\": 1}\n").expect("writes");
        spool.write(&serde_json::json!({"n": 2}), b"<xml/>").expect("writes");
        let (again, pending) = Spool::open(&dir).expect("reopens");
        assert_eq!(pending.len(), 2);
        assert_eq!(
            (pending[0].header["n"].as_u64(), pending[0].body.as_slice()),
            (Some(1), &b"{\"a\": 1}\n"[..])
        );
        assert_eq!(pending[1].body, b"<xml/>");
        std::fs::remove_file(first).expect("removes");
        let third = again.write(&serde_json::json!({"n": 3}), b"x").expect("writes");
        assert!(
            third
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("00000000000000000002"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
