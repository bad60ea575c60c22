//! Named queries and their subscriptions, kept in one JSON file beside the store
//! (`queries.json` in the data directory), rewritten whole and atomically (a temporary file,
//! `fsync`, rename) on every change of a definition, so that a crash leaves the old or the new
//! registry and never half of one. Delivery cursors change far more often (every delivery):
//! each advance is one synced line appended to `queries.cursors.jsonl`, replayed over the
//! file at open and folded into it (the log then emptied) on the next rewrite or after
//! `CURSOR_LOG_LINES_MAX` lines. A subscription resumes from the last event its subscriber
//! acknowledged, after an outage of the subscriber or of this server.
//!
//! A named query made by a partner's key belongs to that partner: callers acting for another
//! partner neither see nor run it (its parameters name products and places). Queries made by
//! the hub's own keys (no partner) are shared; operators and admins see all.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::auth::Caller;

use serde_json::{Value, json};

/// Named queries kept, at most.
pub const QUERIES_MAX: usize = 1_000;
/// Subscriptions kept, at most.
pub const SUBSCRIPTIONS_MAX: usize = 1_000;
/// Cursor advances logged before the registry file is rewritten with them.
const CURSOR_LOG_LINES_MAX: usize = 4_096;

/// A named query: the simple event query's parameters, as `GET /epcis/events` takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedQuery {
    /// Its name (the URL segment).
    pub name: String,
    /// The parameters, pipe-joined values, in the order given.
    pub params: Vec<(String, String)>,
    /// The key that created it.
    pub owner_key: String,
    /// The trading partner that key acts for, if any: whose query it is.
    pub party: Option<String>,
    /// When.
    pub created_at: String,
}

impl NamedQuery {
    /// Whether `caller` may see and run it: the hub's own queries (made by a key acting for
    /// no partner) are shared with every caller, which runs them with its own visibility; a
    /// partner's are its own (and the operators').
    pub fn visible_to(&self, caller: &Caller) -> bool {
        caller.sees_everything() || self.party.is_none() || caller.party == self.party
    }
}

/// How a subscription is triggered.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// After every capture that brings matching events.
    Stream,
    /// At the times a cron-like schedule names.
    Schedule(Box<Schedule>),
}

/// A subscription to a named query.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// Its id.
    pub id: String,
    /// The named query.
    pub query: String,
    /// Where results are POSTed.
    pub dest: String,
    /// The HMAC-SHA256 key of `GS1-Signature` (the subscriber's `signatureToken`).
    pub secret: Option<String>,
    /// What triggers a delivery.
    pub trigger: Trigger,
    /// Whether a scheduled delivery goes out when nothing matched.
    pub report_if_empty: bool,
    /// Only events recorded at or after this time (`initialRecordTime`).
    pub initial_record_time: Option<String>,
    /// The key that created it, and the party it acts for (what it may see).
    pub owner_key: String,
    /// The party restriction of the owner (`None`: sees everything).
    pub party: Option<String>,
    /// The seq of the last event examined and acknowledged (delivered, or not matching).
    pub cursor: u64,
    /// When it was created.
    pub created_at: String,
    /// When the subscriber last answered 2xx.
    pub last_notified_at: Option<String>,
}

/// A cron-like schedule (EPCIS query schedule): each field a list of values and ranges
/// (`"1,5,10-12"`); an omitted field matches every value, except `second`, which defaults to
/// 0 (so that `{"minute": "5"}` means once, at second 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    fields: [Option<Vec<(u32, u32)>>; 6],
    text: [Option<String>; 6],
}

/// The schedule's fields, in order, with their ranges.
const SCHEDULE_FIELDS: [(&str, u32, u32); 6] = [
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("dayOfMonth", 1, 31),
    ("month", 1, 12),
    ("dayOfWeek", 1, 7),
];

impl Schedule {
    /// Reads a schedule object; the error names the field.
    pub fn parse(value: &Value) -> Result<Schedule, String> {
        let object = value.as_object().ok_or("schedule must be an object")?;
        for name in object.keys() {
            if !SCHEDULE_FIELDS.iter().any(|(f, _, _)| f == name) {
                return Err(format!("schedule.{name}: not a schedule field"));
            }
        }
        let mut fields: [Option<Vec<(u32, u32)>>; 6] = Default::default();
        let mut text: [Option<String>; 6] = Default::default();
        for (i, (name, low, high)) in SCHEDULE_FIELDS.iter().enumerate() {
            let Some(v) = object.get(*name) else { continue };
            let raw = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(format!("schedule.{name}: expected a string such as \"1,5-7\"")),
            };
            let mut ranges = Vec::new();
            for part in raw.split(',') {
                let part = part.trim();
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                let parse =
                    |t: &str| t.trim().parse::<u32>().ok().filter(|n| (low..=high).contains(&n));
                let (Some(a), Some(b)) = (parse(a), parse(b)) else {
                    return Err(format!(
                        "schedule.{name}: {part:?} is not a value or range in {low}..{high}"
                    ));
                };
                if a > b {
                    return Err(format!("schedule.{name}: range {part:?} is backwards"));
                }
                ranges.push((a, b));
            }
            fields[i] = Some(ranges);
            text[i] = Some(raw);
        }
        if fields.iter().all(Option::is_none) {
            return Err(
                "schedule names no field: it would fire every minute; use stream".to_owned()
            );
        }
        Ok(Schedule { fields, text })
    }

    /// Whether the schedule fires at this UTC second (`unix_seconds`).
    pub fn fires_at(&self, unix_seconds: i64) -> bool {
        let days = unix_seconds.div_euclid(86_400);
        let secs = unix_seconds.rem_euclid(86_400);
        let (_, month, day) = serialhub_epcis::time::civil_from_days(days);
        // 1970-01-01 was a Thursday; ISO weekday: Monday 1 .. Sunday 7.
        let weekday = (days + 3).rem_euclid(7) + 1;
        let values = [secs % 60, secs / 60 % 60, secs / 3600, day, month, weekday];
        self.fields.iter().zip(values).enumerate().all(|(i, (field, value))| match field {
            Some(ranges) => {
                ranges.iter().any(|(a, b)| (i64::from(*a)..=i64::from(*b)).contains(&value))
            }
            None => i != 0 || value == 0,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        for ((name, _, _), text) in SCHEDULE_FIELDS.iter().zip(&self.text) {
            if let Some(text) = text {
                out.insert((*name).to_owned(), text.clone().into());
            }
        }
        Value::Object(out)
    }
}

impl Subscription {
    /// The subscription as its owner sees it (the secret is never shown).
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "subscriptionID": self.id,
            "queryName": self.query,
            "dest": self.dest,
            "createdAt": self.created_at,
            "signed": self.secret.is_some(),
        });
        match &self.trigger {
            Trigger::Stream => out["stream"] = true.into(),
            Trigger::Schedule(s) => {
                out["schedule"] = s.to_json();
                out["reportIfEmpty"] = self.report_if_empty.into();
            }
        }
        if let Some(t) = &self.initial_record_time {
            out["initialRecordTime"] = t.clone().into();
        }
        if let Some(t) = &self.last_notified_at {
            out["lastNotifiedAt"] = t.clone().into();
        }
        out
    }

    fn to_file(&self) -> Value {
        let mut out = self.to_json();
        out["secret"] = self.secret.clone().into();
        out["ownerKey"] = self.owner_key.clone().into();
        out["party"] = self.party.clone().into();
        out["cursor"] = self.cursor.into();
        out
    }

    fn from_file(v: &Value) -> Option<Subscription> {
        let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        let trigger = match v.get("schedule") {
            Some(schedule) => Trigger::Schedule(Box::new(Schedule::parse(schedule).ok()?)),
            None => Trigger::Stream,
        };
        Some(Subscription {
            id: s("subscriptionID")?,
            query: s("queryName")?,
            dest: s("dest")?,
            secret: s("secret"),
            trigger,
            report_if_empty: v.get("reportIfEmpty").and_then(Value::as_bool).unwrap_or(false),
            initial_record_time: s("initialRecordTime"),
            owner_key: s("ownerKey")?,
            party: s("party"),
            cursor: v.get("cursor").and_then(Value::as_u64)?,
            created_at: s("createdAt")?,
            last_notified_at: s("lastNotifiedAt"),
        })
    }
}

impl NamedQuery {
    /// The query definition as the binding shows it: `{"name", "query": {param: [values]}}`.
    pub fn to_json(&self) -> Value {
        let mut query = serde_json::Map::new();
        for (name, value) in &self.params {
            let values: Vec<Value> = value.split('|').map(Value::from).collect();
            query.insert(name.clone(), Value::from(values));
        }
        json!({"name": self.name, "query": query, "createdAt": self.created_at})
    }
}

fn lock_poisoned() -> RegistryError {
    RegistryError::Full("registry lock poisoned".to_owned())
}

impl Subscription {
    /// Moves the cursor forward (never back) and records a notification time.
    fn advance(&mut self, cursor: u64, notified_at: Option<String>) {
        self.cursor = self.cursor.max(cursor);
        if notified_at.is_some() {
            self.last_notified_at = notified_at;
        }
    }
}

/// Why the registry could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be written (nothing changed).
    #[error("the query registry {path} could not be written: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The registry is full.
    #[error("{0}")]
    Full(String),
}

#[derive(Debug, Default)]
struct Contents {
    queries: BTreeMap<String, NamedQuery>,
    subscriptions: BTreeMap<String, Subscription>,
}

/// The registry, shared by the routes and the delivery thread.
#[derive(Debug)]
pub struct Registry {
    path: Option<PathBuf>,
    contents: Mutex<Contents>,
    cursor_log: Mutex<CursorLog>,
}

/// The open cursor log and how many lines it holds.
#[derive(Debug, Default)]
struct CursorLog {
    file: Option<std::fs::File>,
    lines: usize,
}

fn cursor_log_path(path: &Path) -> PathBuf {
    path.with_extension("cursors.jsonl")
}

impl Registry {
    /// The registry in `path` (empty if the file does not exist).
    pub fn open(path: &Path) -> Result<Registry, String> {
        let mut contents = Contents::default();
        match std::fs::read(path) {
            Ok(bytes) => {
                let value: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                for q in value["queries"].as_array().into_iter().flatten() {
                    let name = q["name"].as_str().unwrap_or_default().to_owned();
                    let params = q["params"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| {
                            Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned()))
                        })
                        .collect();
                    let query = NamedQuery {
                        name: name.clone(),
                        params,
                        owner_key: q["ownerKey"].as_str().unwrap_or_default().to_owned(),
                        party: q["party"].as_str().map(str::to_owned),
                        created_at: q["createdAt"].as_str().unwrap_or_default().to_owned(),
                    };
                    contents.queries.insert(name, query);
                }
                for s in value["subscriptions"].as_array().into_iter().flatten() {
                    let subscription = Subscription::from_file(s).ok_or_else(|| {
                        format!("{}: a subscription does not read: {s}", path.display())
                    })?;
                    contents.subscriptions.insert(subscription.id.clone(), subscription);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        let log_path = cursor_log_path(path);
        let mut lines = 0;
        match std::fs::read_to_string(&log_path) {
            Ok(log) => {
                // A torn last line (a crash mid-append) was never acknowledged: cut off, so
                // that the next advance starts a line of its own.
                let whole = log.rfind('\n').map_or(0, |at| at + 1);
                if whole < log.len() {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&log_path)
                        .map_err(|e| format!("{}: {e}", log_path.display()))?;
                    file.set_len(whole as u64)
                        .and_then(|()| file.sync_data())
                        .map_err(|e| format!("{}: {e}", log_path.display()))?;
                }
                for line in log[..whole].lines() {
                    let Ok(entry) = serde_json::from_str::<Value>(line) else { continue };
                    let (Some(id), Some(cursor)) = (entry["id"].as_str(), entry["cursor"].as_u64())
                    else {
                        continue;
                    };
                    if let Some(s) = contents.subscriptions.get_mut(id) {
                        s.advance(cursor, entry["at"].as_str().map(str::to_owned));
                    }
                    lines += 1;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", log_path.display())),
        }
        Ok(Registry {
            path: Some(path.to_owned()),
            contents: Mutex::new(contents),
            cursor_log: Mutex::new(CursorLog { file: None, lines }),
        })
    }

    /// A registry kept in memory only (tests of other concerns).
    pub fn in_memory() -> Registry {
        Registry {
            path: None,
            contents: Mutex::new(Contents::default()),
            cursor_log: Mutex::new(CursorLog::default()),
        }
    }

    fn save(&self, contents: &Contents) -> Result<(), RegistryError> {
        let Some(path) = &self.path else { return Ok(()) };
        let io = |source| RegistryError::Io { path: path.display().to_string(), source };
        let queries: Vec<Value> = contents
            .queries
            .values()
            .map(|q| {
                json!({"name": q.name, "params": q.params, "ownerKey": q.owner_key,
                    "party": q.party, "createdAt": q.created_at})
            })
            .collect();
        let subscriptions: Vec<Value> =
            contents.subscriptions.values().map(Subscription::to_file).collect();
        let body = json!({"queries": queries, "subscriptions": subscriptions}).to_string();
        let temp = path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // It holds the subscribers' signature secrets.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&temp).map_err(io)?;
        file.write_all(body.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&temp, path).map_err(io)?;
        // The rename is durable only once the directory is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        // The file holds every cursor now: the log starts again. (A crash before this only
        // replays advances the file has already; cursors never go back.)
        let mut log = self.cursor_log.lock().map_err(|_| lock_poisoned())?;
        log.file = None;
        log.lines = 0;
        match std::fs::remove_file(cursor_log_path(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }

    /// Appends one cursor advance to the log, synced.
    fn log_advance(&self, id: &str, cursor: u64, at: Option<&str>) -> Result<usize, RegistryError> {
        let Some(path) = &self.path else { return Ok(0) };
        let log_path = cursor_log_path(path);
        let io = |source| RegistryError::Io { path: log_path.display().to_string(), source };
        let mut log = self.cursor_log.lock().map_err(|_| lock_poisoned())?;
        if log.file.is_none() {
            let mut options = std::fs::OpenOptions::new();
            options.append(true).create(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            log.file = Some(options.open(&log_path).map_err(io)?);
        }
        let line = format!("{}\n", json!({"id": id, "cursor": cursor, "at": at}));
        // Invariant: opened above.
        let file = log.file.as_mut().expect("the cursor log is open");
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        log.lines += 1;
        Ok(log.lines)
    }

    fn change<T>(
        &self,
        edit: impl FnOnce(&mut Contents) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let mut contents = self.contents.lock().map_err(|_| lock_poisoned())?;
        let mut next = Contents {
            queries: contents.queries.clone(),
            subscriptions: contents.subscriptions.clone(),
        };
        let out = edit(&mut next)?;
        // Written before it is visible: a failed write changes nothing.
        self.save(&next)?;
        *contents = next;
        Ok(out)
    }

    /// Adds a named query; `Ok(false)` when the name is taken.
    pub fn add_query(&self, query: NamedQuery) -> Result<bool, RegistryError> {
        self.change(|c| {
            if c.queries.contains_key(&query.name) {
                return Ok(false);
            }
            if c.queries.len() >= QUERIES_MAX {
                return Err(RegistryError::Full(format!(
                    "{QUERIES_MAX} named queries exist already"
                )));
            }
            c.queries.insert(query.name.clone(), query);
            Ok(true)
        })
    }

    /// The named query `name`.
    pub fn query(&self, name: &str) -> Option<NamedQuery> {
        self.contents.lock().ok()?.queries.get(name).cloned()
    }

    /// Every named query, by name.
    pub fn queries(&self) -> Vec<NamedQuery> {
        self.contents.lock().map(|c| c.queries.values().cloned().collect()).unwrap_or_default()
    }

    /// Deletes a named query and its subscriptions; `Ok(false)` when there is none.
    pub fn delete_query(&self, name: &str) -> Result<bool, RegistryError> {
        self.change(|c| {
            let found = c.queries.remove(name).is_some();
            c.subscriptions.retain(|_, s| s.query != name);
            Ok(found)
        })
    }

    /// Adds a subscription.
    pub fn add_subscription(&self, subscription: Subscription) -> Result<(), RegistryError> {
        self.change(|c| {
            if c.subscriptions.len() >= SUBSCRIPTIONS_MAX {
                return Err(RegistryError::Full(format!(
                    "{SUBSCRIPTIONS_MAX} subscriptions exist already"
                )));
            }
            c.subscriptions.insert(subscription.id.clone(), subscription);
            Ok(())
        })
    }

    /// Every subscription (of one query, when `query` is given).
    pub fn subscriptions(&self, query: Option<&str>) -> Vec<Subscription> {
        self.contents
            .lock()
            .map(|c| {
                c.subscriptions
                    .values()
                    .filter(|s| query.is_none_or(|q| s.query == q))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Deletes a subscription; `Ok(false)` when there is none.
    pub fn delete_subscription(&self, id: &str) -> Result<bool, RegistryError> {
        self.change(|c| Ok(c.subscriptions.remove(id).is_some()))
    }

    /// Records a delivery's acknowledgement: the cursor and, when something was sent, the time.
    pub fn advance(
        &self,
        id: &str,
        cursor: u64,
        notified_at: Option<String>,
    ) -> Result<(), RegistryError> {
        let mut contents = self.contents.lock().map_err(|_| lock_poisoned())?;
        if !contents.subscriptions.contains_key(id) {
            return Ok(());
        }
        // Logged before it is visible, under the contents lock so that a rewrite cannot
        // fold the log in between.
        let lines = self.log_advance(id, cursor, notified_at.as_deref())?;
        if let Some(s) = contents.subscriptions.get_mut(id) {
            s.advance(cursor, notified_at);
        }
        if lines >= CURSOR_LOG_LINES_MAX {
            self.save(&contents)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        serialhub_epcis::time::Timestamp::parse(text).expect("a time").unix_millis / 1000
    }

    #[test]
    fn schedules_fire_when_their_fields_match() {
        let daily = Schedule::parse(&json!({"hour": "1", "minute": "5"})).expect("parses");
        assert!(daily.fires_at(at("2025-06-02T01:05:00Z")));
        assert!(!daily.fires_at(at("2025-06-02T01:05:01Z")), "second defaults to 0");
        assert!(!daily.fires_at(at("2025-06-02T02:05:00Z")));
        let mondays = Schedule::parse(&json!({"dayOfWeek": "1", "hour": "0-1", "minute": "0,30"}))
            .expect("parses");
        assert!(mondays.fires_at(at("2025-06-02T01:30:00Z")), "2025-06-02 is a Monday");
        assert!(!mondays.fires_at(at("2025-06-03T01:30:00Z")));
        let every_ten = Schedule::parse(&json!({"second": "0,10,20,30,40,50", "minute": "0-59"}))
            .expect("parses");
        assert!(every_ten.fires_at(at("2025-06-02T13:47:20Z")));
        for bad in [
            json!({}),
            json!({"hour": "24"}),
            json!({"hour": "5-1"}),
            json!({"hours": "1"}),
            json!({"hour": true}),
        ] {
            assert!(Schedule::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_registry_survives_a_reopen_and_keeps_secrets_out_of_views() {
        let dir = std::env::temp_dir().join(format!("serialhub-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("queries.json");
        let registry = Registry::open(&path).expect("opens empty");
        let query = NamedQuery {
            name: "shipments".to_owned(),
            params: vec![("EQ_bizStep".to_owned(), "shipping|receiving".to_owned())],
            owner_key: "k1".to_owned(),
            party: Some("4012345000009".to_owned()),
            created_at: "2025-06-01T00:00:00.000Z".to_owned(),
        };
        assert!(registry.add_query(query.clone()).expect("adds"));
        assert!(!registry.add_query(query.clone()).expect("answers"), "the name is taken");
        let subscription = Subscription {
            id: "s1".to_owned(),
            query: "shipments".to_owned(),
            dest: "http://127.0.0.1:9/hook".to_owned(),
            secret: Some("very secret".to_owned()),
            trigger: Trigger::Schedule(Box::new(
                Schedule::parse(&json!({"minute": "5"})).expect("parses"),
            )),
            report_if_empty: true,
            initial_record_time: None,
            owner_key: "k1".to_owned(),
            party: Some("4012345000009".to_owned()),
            cursor: 7,
            created_at: "2025-06-01T00:00:00.000Z".to_owned(),
            last_notified_at: None,
        };
        registry.add_subscription(subscription.clone()).expect("adds");
        registry.advance("s1", 9, Some("2025-06-01T00:05:00.000Z".to_owned())).expect("advances");
        registry.advance("s1", 8, None).expect("a late acknowledgement does not go back");
        // Advances are appended to the log, not written into the registry file.
        let file = std::fs::read_to_string(&path).expect("the registry file");
        assert!(file.contains("\"cursor\":7"), "{file}");
        let log = std::fs::read_to_string(cursor_log_path(&path)).expect("the cursor log");
        assert_eq!(log.lines().count(), 2, "{log}");
        let reopened = Registry::open(&path).expect("reopens");
        assert_eq!(reopened.query("shipments"), Some(query));
        let read = &reopened.subscriptions(Some("shipments"))[0];
        assert_eq!(
            (read.cursor, read.last_notified_at.as_deref()),
            (9, Some("2025-06-01T00:05:00.000Z"))
        );
        assert_eq!(read.secret.as_deref(), Some("very secret"));
        assert!(!read.to_json().to_string().contains("very secret"));
        assert_eq!(read.to_json()["schedule"], json!({"minute": "5"}));
        assert!(reopened.delete_query("shipments").expect("deletes"));
        assert!(reopened.subscriptions(None).is_empty(), "its subscriptions go with it");
        assert!(Registry::open(&path).expect("reopens").queries().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod cursor_log_tests {
    use super::*;

    fn subscription(id: &str) -> Subscription {
        Subscription {
            id: id.to_owned(),
            query: "q".to_owned(),
            dest: "http://127.0.0.1:9/hook".to_owned(),
            secret: None,
            trigger: Trigger::Stream,
            report_if_empty: false,
            initial_record_time: None,
            owner_key: "k1".to_owned(),
            party: None,
            cursor: 0,
            created_at: "2025-06-01T00:00:00.000Z".to_owned(),
            last_notified_at: None,
        }
    }

    #[test]
    fn the_cursor_log_is_folded_in_and_a_torn_line_is_skipped() {
        let dir = std::env::temp_dir().join(format!("serialhub-cursors-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("queries.json");
        let registry = Registry::open(&path).expect("opens");
        let query = NamedQuery {
            name: "q".to_owned(),
            params: Vec::new(),
            owner_key: "k1".to_owned(),
            party: None,
            created_at: "2025-06-01T00:00:00.000Z".to_owned(),
        };
        registry.add_query(query).expect("adds");
        registry.add_subscription(subscription("a")).expect("adds");
        registry.add_subscription(subscription("b")).expect("adds");
        for cursor in 1..=(CURSOR_LOG_LINES_MAX as u64 + 10) {
            registry.advance("a", cursor, None).expect("advances");
        }
        registry.advance("b", 3, None).expect("advances");
        registry.advance("gone", 3, None).expect("an unknown id changes nothing");
        // Folded in at the limit: the log holds only what came after.
        let log = std::fs::read_to_string(cursor_log_path(&path)).expect("the log");
        assert_eq!(log.lines().count(), 11, "{log}");
        // A crash mid-append leaves a torn line: skipped at open.
        std::fs::OpenOptions::new()
            .append(true)
            .open(cursor_log_path(&path))
            .and_then(|mut f| f.write_all(b"{\"id\":\"b\",\"curs"))
            .expect("appends");
        let reopened = Registry::open(&path).expect("reopens");
        let cursors: Vec<(String, u64)> =
            reopened.subscriptions(None).into_iter().map(|s| (s.id, s.cursor)).collect();
        let last = CURSOR_LOG_LINES_MAX as u64 + 10;
        assert_eq!(cursors, [("a".to_owned(), last), ("b".to_owned(), 3)]);
        // The torn line was cut off: the next advance is a line of its own, and kept.
        reopened.advance("b", 4, None).expect("advances");
        drop(reopened);
        let reopened = Registry::open(&path).expect("reopens");
        assert_eq!(reopened.subscriptions(None)[1].cursor, 4);
        // A definition change rewrites the file with the cursors and empties the log.
        reopened.add_subscription(subscription("c")).expect("adds");
        assert!(!cursor_log_path(&path).exists());
        let again = Registry::open(&path).expect("reopens");
        assert_eq!(again.subscriptions(None)[0].cursor, last);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
