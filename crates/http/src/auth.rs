//! API keys: creation, the key file, and checking a `Bearer` token against it.
//!
//! A key is `shk_<id>_<secret>`: the id (8 bytes, hex) finds the entry, the secret (16 bytes
//! from the operating system's random source, hex) is kept only as its SHA-256, compared in
//! constant time. The file holds one JSON object per line, so `serialhub keys create` appends
//! while a server runs; the server re-reads it when it meets an id it does not know (at most once
//! a second, so unknown ids cannot make it read the file in a loop).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, and every partner's data.
    Admin,
    /// Capture events and read its capture jobs.
    Capture,
    /// Query events.
    Query,
    /// Verify products (the verification endpoints).
    Verify,
}

impl Role {
    /// Every role, in the order `--role` lists them.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Capture, Role::Query, Role::Verify];

    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Capture => "capture",
            Role::Query => "query",
            Role::Verify => "verify",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The key's id (never the secret): what the audit log names.
    pub key_id: String,
    /// The key's name, as given at creation.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The GLN of the trading partner it acts for; `None` for an operator of this hub.
    pub party: Option<String>,
    /// When the credentials end (Unix seconds): a JWT's `exp`, plus the accepted clock skew.
    /// `None` for API keys, which last until removed from the key file.
    pub expires_at: Option<i64>,
}

impl Caller {
    /// Whether the caller sees every partner's data.
    pub fn sees_everything(&self) -> bool {
        self.role == Role::Admin || self.party.is_none()
    }
}

/// A stored key: what the key file holds per line.
#[derive(Clone, Debug)]
struct Entry {
    caller: Caller,
    secret_sha256: [u8; 32],
}

/// Why a key could not be created or the key file read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A line of the key file is not a key entry.
    #[error("key file {path}, line {line}: {message}")]
    Malformed {
        /// The file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The party is not a valid GLN.
    #[error("--party {0:?} is not a GLN (13 digits with a valid check digit)")]
    Party(String),
    /// The name is empty or too long.
    #[error("--name must be 1 to 100 characters")]
    Name,
    /// The random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// The keys the server accepts, loaded from the key file.
#[derive(Debug)]
pub struct KeyRing {
    path: PathBuf,
    inner: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    entries: HashMap<String, Entry>,
    /// When the file was last looked at, and its modification time then: a changed file
    /// (a key added or removed, so revoked) is read again within `RELOAD_INTERVAL`.
    read_at: Option<Instant>,
    modified: Option<std::time::SystemTime>,
}

/// The least time between two re-reads of the key file.
const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// The most a key file may hold; a bound on what a server reads.
const KEYS_MAX: usize = 100_000;

impl KeyRing {
    /// The keys in `path` (none if the file does not exist yet).
    pub fn load(path: &Path) -> Result<KeyRing, KeyError> {
        let entries = read_file(path)?;
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Ok(KeyRing {
            path: path.to_owned(),
            inner: Mutex::new(Loaded { entries, read_at: Some(now), modified }),
        })
    }

    /// The caller whose key is `token`, or `None`.
    pub fn check(&self, token: &str) -> Option<Caller> {
        let (id, secret) = split_key(token)?;
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut loaded = self.inner.lock().ok()?;
        self.refresh(&mut loaded);
        let entry = loaded.entries.get(id)?;
        constant_time_eq(&entry.secret_sha256, &digest).then(|| entry.caller.clone())
    }

    /// Whether the key `key_id` (a `Caller::key_id`) is still in the key file: what a
    /// subscription or stream it opened checks before it delivers, so that removing a key
    /// revokes them too. Callers authenticated otherwise (`jwt:` ids) are not keys: true.
    pub fn still_valid(&self, key_id: &str) -> bool {
        if key_id.starts_with("jwt:") {
            return true;
        }
        let Ok(mut loaded) = self.inner.lock() else { return false };
        self.refresh(&mut loaded);
        loaded.entries.contains_key(key_id)
    }

    /// Re-reads the key file when it changed, at most once per `RELOAD_INTERVAL`.
    fn refresh(&self, loaded: &mut Loaded) {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        if loaded.read_at.is_none_or(|t| now.duration_since(t) >= RELOAD_INTERVAL) {
            loaded.read_at = Some(now);
            let modified = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
            if modified != loaded.modified
                && let Ok(entries) = read_file(&self.path)
            {
                loaded.entries = entries;
                loaded.modified = modified;
            }
        }
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `shk_<16 hex>_<32 hex>` into id and secret.
fn split_key(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("shk_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 32)).then_some((id, secret))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn read_file(path: &Path) -> Result<HashMap<String, Entry>, KeyError> {
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(io(e)),
    };
    let mut entries = HashMap::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let malformed = |message: &str| KeyError::Malformed {
            path: path.display().to_string(),
            line: n + 1,
            message: message.to_owned(),
        };
        if entries.len() >= KEYS_MAX {
            return Err(malformed("more keys than the server reads (100,000)"));
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| malformed(&e.to_string()))?;
        let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
        let id = field("id").ok_or_else(|| malformed("no id"))?;
        let role = field("role").and_then(Role::parse).ok_or_else(|| malformed("no valid role"))?;
        let secret_sha256 = field("secret_sha256")
            .and_then(unhex32)
            .ok_or_else(|| malformed("no valid secret_sha256"))?;
        let caller = Caller {
            key_id: id.to_owned(),
            name: field("name").unwrap_or_default().to_owned(),
            role,
            party: field("party").map(str::to_owned),
            expires_at: None,
        };
        entries.insert(id.to_owned(), Entry { caller, secret_sha256 });
    }
    Ok(entries)
}

/// Creates a key, appends its entry to the key file at `path` (created with mode 0600 if
/// absent) and returns the key, which is shown once and never stored.
pub fn create_key(
    path: &Path,
    name: &str,
    role: Role,
    party: Option<&str>,
    created: &str,
) -> Result<String, KeyError> {
    if name.is_empty() || name.chars().count() > 100 {
        return Err(KeyError::Name);
    }
    if let Some(party) = party {
        let valid = serialhub_gs1::Gln::parse(party).is_ok();
        if !valid {
            return Err(KeyError::Party(party.to_owned()));
        }
    }
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| KeyError::Random(e.to_string()))?;
    let id = hex(&random[..8]);
    let secret = hex(&random[8..]);
    let digest = Sha256::digest(secret.as_bytes());
    let entry = serde_json::json!({
        "id": id,
        "name": name,
        "role": role.name(),
        "party": party,
        "secret_sha256": hex(&digest),
        "created": created,
    });
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(format!("{entry}\n").as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    Ok(format!("shk_{id}_{secret}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_checks_and_others_do_not() {
        let dir = std::env::temp_dir().join(format!("serialhub-keys-{}", std::process::id()));
        let path = dir.join("keys.jsonl");
        let _ = std::fs::remove_file(&path);
        let ring = KeyRing::load(&path).expect("no file is no keys");
        let key = create_key(&path, "line 1", Role::Capture, Some("4012345000009"), "now")
            .expect("created");
        // Created after the ring loaded: found by the re-read on an unknown id.
        std::thread::sleep(RELOAD_INTERVAL);
        let caller = ring.check(&key).expect("the key checks");
        assert_eq!(caller.role, Role::Capture);
        assert_eq!(caller.party.as_deref(), Some("4012345000009"));
        assert!(!caller.sees_everything());
        let mut wrong = key.clone();
        wrong.pop();
        wrong.push(if key.ends_with('0') { '1' } else { '0' });
        assert_eq!(ring.check(&wrong), None, "a wrong secret");
        assert_eq!(ring.check("shk_nothing"), None);
        assert_eq!(ring.check(""), None);
        let text = std::fs::read_to_string(&path).expect("file");
        assert!(!text.contains(&key[21..]), "the secret is not stored");
        assert!(matches!(
            create_key(&path, "x", Role::Query, Some("4012345000008"), "now"),
            Err(KeyError::Party(_))
        ));
        // Removing a key's line revokes it, and what it opened (`still_valid`).
        assert!(ring.still_valid(&caller.key_id));
        assert!(ring.still_valid("jwt:someone"), "not a key: not the key file's to revoke");
        std::thread::sleep(RELOAD_INTERVAL);
        std::fs::write(&path, "").expect("every key removed");
        assert!(!ring.still_valid(&caller.key_id));
        assert_eq!(ring.check(&key), None, "revoked");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
