//! Structured logs: one JSON object per line on standard error, and the audit trail: one JSON
//! object per line in the audit file, for every write and every denied access.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

/// Writes one log line: `{"level", "msg", ...fields}`.
#[allow(clippy::print_stderr)]
pub fn write(level: &str, msg: &str, fields: &[(&str, Value)]) {
    let mut line = serde_json::Map::new();
    line.insert("level".to_owned(), level.into());
    line.insert("msg".to_owned(), msg.into());
    for (name, value) in fields {
        line.insert((*name).to_owned(), value.clone());
    }
    eprintln!("{}", Value::Object(line));
}

/// An informational line.
pub fn info(msg: &str, fields: &[(&str, Value)]) {
    write("info", msg, fields);
}

/// A warning line.
pub fn warn(msg: &str, fields: &[(&str, Value)]) {
    write("warn", msg, fields);
}

/// The audit trail: appended and flushed per entry (it is evidence: a crash must not lose
/// what was acknowledged).
#[derive(Debug)]
pub struct Audit {
    file: Option<Mutex<std::fs::File>>,
}

impl Audit {
    /// Appends to `path` (created if absent).
    pub fn open(path: &Path) -> std::io::Result<Audit> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Audit { file: Some(Mutex::new(file)) })
    }

    /// An audit trail that records nothing (tests of other concerns).
    pub fn disabled() -> Audit {
        Audit { file: None }
    }

    /// Records one entry: `{"at", "action", "outcome", ...fields}`.
    pub fn record(&self, at: &str, action: &str, outcome: &str, fields: &[(&str, Value)]) {
        let Some(file) = &self.file else { return };
        let mut entry = serde_json::Map::new();
        entry.insert("at".to_owned(), at.into());
        entry.insert("action".to_owned(), action.into());
        entry.insert("outcome".to_owned(), outcome.into());
        for (name, value) in fields {
            entry.insert((*name).to_owned(), value.clone());
        }
        let line = format!("{}\n", Value::Object(entry));
        let written =
            file.lock().map(|mut f| f.write_all(line.as_bytes()).and_then(|()| f.sync_data()));
        if !matches!(written, Ok(Ok(()))) {
            warn("audit trail write failed", &[("entry", line.trim_end().into())]);
        }
    }
}
