//! Structured logs: one JSON object per line on standard error, and the audit trail: one JSON
//! object per line in the audit file, for every write and every denied access.

use std::io::Write as _;
use std::path::Path;

use serde_json::Value;

/// Writes one log line: `{"level", "msg", ...fields}`.
pub fn write(level: &str, msg: &str, fields: &[(&str, Value)]) {
    let mut line = serde_json::Map::new();
    line.insert("level".to_owned(), level.into());
    line.insert("msg".to_owned(), msg.into());
    for (name, value) in fields {
        line.insert((*name).to_owned(), value.clone());
    }
    // One write per line: standard error is unbuffered, and printing the value directly
    // made a system call per JSON fragment (dozens per request, measured under load).
    let mut text = Value::Object(line).to_string();
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// An informational line.
pub fn info(msg: &str, fields: &[(&str, Value)]) {
    write("info", msg, fields);
}

/// A warning line.
pub fn warn(msg: &str, fields: &[(&str, Value)]) {
    write("warn", msg, fields);
}

/// The audit trail: one JSON line per entry, appended by a writer thread that syncs each
/// batch to disk. Request handlers only queue the line (they run on the async workers, where a
/// write and an `fsync` per denied request would let unauthenticated traffic stall the
/// server); the queue is bounded (`AUDIT_QUEUE_LEN_MAX`) and a full queue makes the caller
/// wait rather than drop an entry. Field values are cut at `AUDIT_VALUE_LEN_MAX` bytes.
#[derive(Debug)]
pub struct Audit {
    sender: Option<std::sync::mpsc::SyncSender<String>>,
}

/// Entries queued for the writer, at most.
pub const AUDIT_QUEUE_LEN_MAX: usize = 4096;
/// The longest field value kept, in bytes (a token's claims can be long and chosen by anyone).
pub const AUDIT_VALUE_LEN_MAX: usize = 512;

impl Audit {
    /// Appends to `path` (created if absent), from a writer thread of its own.
    pub fn open(path: &Path) -> std::io::Result<Audit> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<String>(AUDIT_QUEUE_LEN_MAX);
        std::thread::Builder::new().name("audit".to_owned()).spawn(move || {
            // Ends when the last sender is dropped, after writing what was queued.
            while let Ok(first) = receiver.recv() {
                let mut batch = first;
                while let Ok(more) = receiver.try_recv() {
                    batch.push_str(&more);
                }
                if file.write_all(batch.as_bytes()).and_then(|()| file.sync_data()).is_err() {
                    warn("audit trail write failed", &[("entries", batch.trim_end().into())]);
                }
            }
        })?;
        Ok(Audit { sender: Some(sender) })
    }

    /// An audit trail that records nothing (tests of other concerns).
    pub fn disabled() -> Audit {
        Audit { sender: None }
    }

    /// Records one entry: `{"at", "action", "outcome", ...fields}`.
    pub fn record(&self, at: &str, action: &str, outcome: &str, fields: &[(&str, Value)]) {
        let Some(sender) = &self.sender else { return };
        let mut entry = serde_json::Map::new();
        entry.insert("at".to_owned(), at.into());
        entry.insert("action".to_owned(), action.into());
        entry.insert("outcome".to_owned(), outcome.into());
        for (name, value) in fields {
            let value = match value {
                Value::String(text) if text.len() > AUDIT_VALUE_LEN_MAX => {
                    let mut end = AUDIT_VALUE_LEN_MAX;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    Value::from(format!("{}...", &text[..end]))
                }
                other => other.clone(),
            };
            entry.insert((*name).to_owned(), value);
        }
        if sender.send(format!("{}\n", Value::Object(entry))).is_err() {
            warn("audit trail writer is gone", &[("action", action.into())]);
        }
    }
}
