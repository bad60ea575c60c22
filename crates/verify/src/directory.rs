//! The requester's side of DSCSA product verification (GS1 Lightweight Verification Messaging):
//! the look-up directory that says which responder verifies a GTIN, the request URL, the
//! answer parser, the answer cache, and every outcome a verification request can have.
//!
//! Pure: no IO and no clock (`now` is Unix milliseconds, handed in). The HTTP shell
//! (`serialhub-http`'s `requester`) does the request and the classification of transport
//! failures, and builds `Outcome`s from these pieces.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{Value, json};
use serialhub_gs1::lint::{Linter, lint};
use serialhub_gs1::{Gln, Gs1Date, Gtin};

/// Directory entries at most: the GS1 US look-up directory lists a few thousand company
/// prefixes, so this leaves ample room while bounding what a bad config file can make us hold.
pub const ENTRIES_MAX: usize = 100_000;

/// Bytes of a responder's answer at most: a verification response is a few hundred bytes, so
/// anything far larger is not one, and reading it whole would let a responder exhaust memory.
pub const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Characters of a responder URL at most.
pub const URL_LEN_MAX: usize = 2048;

/// The LVM `context` of every request serialhub makes: a wholesaler verifying a saleable return.
pub const CONTEXT_SALEABLE_RETURN: &str = "dscsaSaleableReturn";

/// The version of the GS1 US Lightweight Verification Messaging guideline we speak, sent as
/// `GS1US-Version`.
pub const LVM_VERSION: &str = "1.3";

/// One line of the look-up directory: the GTINs starting with `prefix` are verified by the
/// responder at `url`.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1 to 14 digits that GTIN-14s start with: a GS1 company prefix with the indicator digit
    /// in front, or a whole GTIN.
    pub prefix: String,
    /// The responder's base URL (http or https, no query or fragment); requests go to
    /// `{url}/verify/...` and `{url}/checkConnectivity`.
    pub url: String,
    /// The GLN the responder answers as (`responderGLN`), when known: an answer naming another
    /// is refused as misrouted.
    pub responder_gln: Option<String>,
    /// The bearer token the responder gave us, sent as `Authorization: Bearer ...`.
    pub token: Option<String>,
}

// By hand so that a logged directory never shows a token.
impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("prefix", &self.prefix)
            .field("url", &self.url)
            .field("responder_gln", &self.responder_gln)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The validated look-up directory: GTIN → responder, by longest prefix.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: Vec<Entry>,
    // Invariant: maps each entry's prefix to its index in `entries`; prefixes are unique.
    by_prefix: HashMap<String, usize>,
}

impl Directory {
    /// Checks every entry (prefixes of 1 to 14 digits, no prefix twice, http(s) URLs, GLNs with
    /// valid check digits, tokens that fit in a header, at most `ENTRIES_MAX` entries) and
    /// reports all problems found, separated by "; ".
    pub fn new(entries: Vec<Entry>) -> Result<Directory, String> {
        let mut problems = Vec::new();
        if entries.len() > ENTRIES_MAX {
            problems.push(format!("{} entries, at most {ENTRIES_MAX}", entries.len()));
        }
        let mut by_prefix = HashMap::with_capacity(entries.len());
        for (idx, entry) in entries.iter().enumerate() {
            let at = format!("entry {} (prefix {:?})", idx + 1, entry.prefix);
            if entry.prefix.is_empty()
                || entry.prefix.len() > 14
                || !entry.prefix.bytes().all(|b| b.is_ascii_digit())
            {
                problems.push(format!("{at}: the prefix must be 1 to 14 digits"));
            } else if let Some(first) = by_prefix.insert(entry.prefix.clone(), idx) {
                problems.push(format!("{at}: the prefix is also that of entry {}", first + 1));
            }
            if let Err(reason) = check_url(&entry.url) {
                problems.push(format!("{at}: url {:?}: {reason}", entry.url));
            }
            if let Some(gln) = &entry.responder_gln
                && let Err(e) = Gln::parse(gln)
            {
                problems.push(format!("{at}: responder GLN {gln:?}: {e}"));
            }
            if let Some(token) = &entry.token
                && (token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()))
            {
                problems.push(format!("{at}: the token must be visible ASCII without spaces"));
            }
            // A bearer token in clear text is anyone's on the way: only to this machine.
            let clear = entry.url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"));
            if entry.token.is_some() && clear && !is_loopback(&entry.url) {
                problems
                    .push(format!("{at}: a token is sent over https only (or to this machine)"));
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        Ok(Directory { entries, by_prefix })
    }

    /// The entry with the longest prefix that `gtin14` starts with.
    ///
    /// Longest, not first: a manufacturer may run several VRS providers, one per product range,
    /// so a directory can hold its company prefix for most GTINs and longer prefixes (down to
    /// single GTINs) for the ranges served elsewhere; the more specific entry must win whatever
    /// the order of the configuration.
    pub fn lookup(&self, gtin14: &str) -> Option<&Entry> {
        // At most 14 hash look-ups, whatever the directory's size.
        (1..=gtin14.len().min(14))
            .rev()
            .filter_map(|len| gtin14.get(..len))
            .find_map(|prefix| self.by_prefix.get(prefix))
            .map(|&idx| &self.entries[idx])
    }

    /// The entries, in configuration order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

fn check_url(url: &str) -> Result<(), String> {
    if url.len() > URL_LEN_MAX {
        return Err(format!("longer than {URL_LEN_MAX} characters"));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))
    else {
        return Err("the scheme must be http or https".to_owned());
    };
    if rest.split('/').next().is_none_or(str::is_empty) {
        return Err("no host".to_owned());
    }
    // We append the path and query: the base must end where a path can continue.
    if url.contains(['?', '#']) {
        return Err("a base URL has no query or fragment".to_owned());
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("only visible ASCII without spaces".to_owned());
    }
    Ok(())
}

/// A verification request, checked: what a caller asks about one pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    gtin: String,
    lot: String,
    serial: String,
    exp: String,
    corr_uuid: Option<String>,
}

impl Query {
    /// A query for the pack `gtin` (GTIN-8, -12, -13 or -14 with a valid check digit; held as
    /// GTIN-14), `lot` and `serial` (1 to 20 characters of GS1 AI encodable set 82), expiry
    /// `exp_yymmdd` (AI 17's YYMMDD), and the caller's correlation UUID if it has one (the
    /// requester makes one otherwise).
    pub fn new(
        gtin: &str,
        lot: &str,
        serial: &str,
        exp_yymmdd: &str,
        corr_uuid: Option<&str>,
    ) -> Result<Query, String> {
        let gtin = Gtin::parse(gtin).map_err(|e| e.to_string())?;
        for (what, value) in [("lot", lot), ("serial", serial)] {
            if value.is_empty() || value.len() > 20 {
                return Err(format!("{what}: {} characters, expected 1 to 20", value.len()));
            }
            if let Err(e) = lint(Linter::Cset82, value.as_bytes()) {
                return Err(format!("{what}: {} at position {}", e.code.message(), e.start));
            }
        }
        Gs1Date::parse(exp_yymmdd).map_err(|e| format!("expiry: {e}"))?;
        if let Some(uuid) = corr_uuid
            && !is_uuid(uuid)
        {
            return Err(format!("corrUUID {uuid:?} is not a UUID (8-4-4-4-12 hex digits)"));
        }
        Ok(Query {
            gtin: gtin.as_str().to_owned(),
            lot: lot.to_owned(),
            serial: serial.to_owned(),
            exp: exp_yymmdd.to_owned(),
            corr_uuid: corr_uuid.map(str::to_owned),
        })
    }

    /// The GTIN-14.
    pub fn gtin(&self) -> &str {
        &self.gtin
    }

    /// The lot (AI 10).
    pub fn lot(&self) -> &str {
        &self.lot
    }

    /// The serial (AI 21).
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The expiry, YYMMDD (AI 17).
    pub fn exp(&self) -> &str {
        &self.exp
    }

    /// The caller's correlation UUID, if it gave one.
    pub fn corr_uuid(&self) -> Option<&str> {
        self.corr_uuid.as_deref()
    }

    /// The key this query's answer is cached under, for `context`.
    pub fn cache_key(&self, context: &str) -> CacheKey {
        CacheKey {
            gtin: self.gtin.clone(),
            serial: self.serial.clone(),
            lot: self.lot.clone(),
            exp: self.exp.clone(),
            context: context.to_owned(),
        }
    }
}

/// Whether `text` is a UUID in its 8-4-4-4-12 hex form (any version, any case).
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(idx, b)| match idx {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// What goes into a verification request besides the responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestParams<'a> {
    /// GTIN-14.
    pub gtin: &'a str,
    /// Lot (AI 10).
    pub lot: &'a str,
    /// Serial (AI 21).
    pub serial: &'a str,
    /// Expiry, YYMMDD (AI 17).
    pub exp_yymmdd: &'a str,
    /// Our GLN, 13 digits (`reqGLN`).
    pub req_gln: &'a str,
    /// The request's correlation UUID (`corrUUID`).
    pub corr_uuid: &'a str,
}

/// The LVM verification request URL at `entry`'s responder, every path segment and query value
/// percent-encoded.
pub fn request_url(entry: &Entry, params: &RequestParams<'_>) -> String {
    format!(
        "{}/verify/gtin/{}/lot/{}/ser/{}?exp={}&linkType=verificationService&context={}&reqGLN={}&corrUUID={}",
        base(entry),
        segment(params.gtin),
        segment(params.lot),
        segment(params.serial),
        percent_encode(params.exp_yymmdd),
        percent_encode(CONTEXT_SALEABLE_RETURN),
        percent_encode(params.req_gln),
        percent_encode(params.corr_uuid),
    )
}

/// The LVM connectivity check URL at `entry`'s responder, asking about `gtin` as `req_gln`.
pub fn connectivity_url(entry: &Entry, gtin: &str, req_gln: &str) -> String {
    format!(
        "{}/checkConnectivity?gtin={}&reqGLN={}&context={}",
        base(entry),
        percent_encode(gtin),
        percent_encode(req_gln),
        percent_encode(CONTEXT_SALEABLE_RETURN),
    )
}

fn base(entry: &Entry) -> &str {
    entry.url.trim_end_matches('/')
}

/// `value` as one path segment: percent-encoded, and a segment of only dots ("." or "..", both
/// valid lots) encoded too, since a literal one would be read as "this" or "parent" directory.
/// A proxy that normalises `%2E` back to a dot would still collapse it; nothing in a path can
/// prevent that, and no real lot or serial is only dots.
fn segment(value: &str) -> String {
    if !value.is_empty() && value.bytes().all(|b| b == b'.') {
        return "%2E".repeat(value.len());
    }
    percent_encode(value)
}

/// Whether an `http://` URL names this machine (`localhost`, `127.x.x.x`, `[::1]`).
fn is_loopback(url: &str) -> bool {
    let rest = url.get(7..).unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.contains('@') {
        // `user@host`: a `localhost` before the `@` names no host; refuse rather than parse.
        return false;
    }
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// RFC 3986 percent-encoding: unreserved characters (letters, digits, `-._~`) kept, every other
/// byte as `%XX`. Stricter than needed in places (`!` or `'` may stand in a path), but one rule
/// for path and query cannot go wrong, and AI 82's `%`, `/`, `?`, `&`, `+` and `#` must not be
/// read as URL syntax.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    crate::tuple::percent_encode(value, &mut out);
    out
}

/// The standard's failure reasons: the requester reads the same five names the responder side
/// (`decide`) writes, so both sides share one type.
pub use crate::decide::FailureReason;

impl FailureReason {
    const ALL: [FailureReason; 5] = [
        FailureReason::GtinSerial,
        FailureReason::GtinSerialLot,
        FailureReason::GtinSerialExpiry,
        FailureReason::GtinSerialLotExpiry,
        FailureReason::NoReason,
    ];

    /// The reason of the standard's `name` (exactly, case included).
    pub fn from_name(name: &str) -> Option<FailureReason> {
        FailureReason::ALL.into_iter().find(|r| r.name() == name)
    }

    /// What it means, in plain words.
    pub fn description(self) -> &'static str {
        match self {
            FailureReason::GtinSerial => "the manufacturer has no pack with this GTIN and serial",
            FailureReason::GtinSerialLot => "the GTIN and serial exist, but not with this lot",
            FailureReason::GtinSerialExpiry => {
                "the GTIN and serial exist, but not with this expiry"
            }
            FailureReason::GtinSerialLotExpiry => {
                "the GTIN and serial exist, but with neither this lot nor this expiry"
            }
            FailureReason::NoReason => "the responder gave no reason",
        }
    }
}

/// A responder's answer to a verification request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Whether the product identifier is verified (`data.verified`).
    pub verified: bool,
    /// Why not, when not verified.
    /// Invariant: `Some` exactly when `verified` is false.
    pub failure_reason: Option<FailureReason>,
    /// The responder's note (`data.additionalInfo`), e.g. "recalled".
    pub additional_info: Option<String>,
    /// The GLN the responder answered as (`responderGLN`).
    pub responder_gln: Option<String>,
    /// The correlation UUID the responder echoed (`corrUUID`).
    pub corr_uuid: Option<String>,
    /// When the responder verified (`verificationTimestamp`), as it wrote it.
    pub verification_timestamp: Option<String>,
}

/// Reads a responder's 200 body. Strict about what the verdict rests on: `data.verified` must
/// be a boolean, a failure reason must be one of the five standard names (a false without one
/// reads as `No_reason_provided`, a true with one is contradictory), and the other fields,
/// when present, must be strings. Bodies over `ANSWER_BYTES_MAX` are refused unread.
pub fn parse_answer(body: &[u8]) -> Result<Answer, String> {
    if body.len() > ANSWER_BYTES_MAX {
        return Err(format!("the body is {} bytes, at most {ANSWER_BYTES_MAX}", body.len()));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Some(top) = value.as_object() else {
        return Err("the body is not a JSON object".to_owned());
    };
    let Some(data) = top.get("data") else {
        return Err("no \"data\" member".to_owned());
    };
    let Some(data) = data.as_object() else {
        return Err("\"data\" is not an object".to_owned());
    };
    let verified = match data.get("verified") {
        Some(Value::Bool(verified)) => *verified,
        Some(other) => return Err(format!("\"data.verified\" is not a boolean: {other}")),
        None => return Err("no \"data.verified\" member".to_owned()),
    };
    let reason = optional_string(data, "verificationFailureReason", "data.")?;
    let failure_reason = match (verified, reason) {
        (true, None) => None,
        (true, Some(reason)) => {
            return Err(format!("verified, yet with a failure reason {reason:?}"));
        }
        (false, None) => Some(FailureReason::NoReason),
        (false, Some(reason)) => Some(
            FailureReason::from_name(&reason)
                .ok_or_else(|| format!("unknown verificationFailureReason {reason:?}"))?,
        ),
    };
    Ok(Answer {
        verified,
        failure_reason,
        additional_info: optional_string(data, "additionalInfo", "data.")?,
        responder_gln: optional_string(top, "responderGLN", "")?,
        corr_uuid: optional_string(top, "corrUUID", "")?,
        verification_timestamp: optional_string(top, "verificationTimestamp", "")?,
    })
}

fn optional_string(
    object: &serde_json::Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<String>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("\"{path}{name}\" is not a string: {other}")),
    }
}

/// `Retry-After` in seconds, when the responder gave a number of them (the HTTP-date form reads
/// as none: the caller then backs off by its own rule).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// What a cached answer is keyed by: everything the responder's verdict depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey {
    /// GTIN-14.
    pub gtin: String,
    /// Serial (AI 21).
    pub serial: String,
    /// Lot (AI 10).
    pub lot: String,
    /// Expiry, YYMMDD.
    pub exp: String,
    /// The LVM context asked in.
    pub context: String,
}

/// Responders' answers, kept for `ttl_ms` and at most `capacity` of them (the oldest inserted
/// goes first), so that a return scanned twice, or a batch with repeats, asks once.
/// Only answers are cached: a transport failure says nothing about the pack, and whether a GTIN
/// has a responder is the directory's to say.
#[derive(Debug, Clone)]
pub struct Cache {
    ttl_ms: i64,
    capacity: usize,
    entries: HashMap<CacheKey, Cached>,
    // Invariant: holds `(seq, key)` for exactly the entries of `entries`; the first is the
    // oldest inserted.
    order: BTreeMap<u64, CacheKey>,
    next_seq: u64,
}

#[derive(Debug, Clone)]
struct Cached {
    answer: Answer,
    stored_at: i64,
    seq: u64,
}

impl Cache {
    /// A cache keeping answers `ttl_ms` and at most `capacity` of them; either 0 caches nothing.
    pub fn new(ttl_ms: u64, capacity: usize) -> Cache {
        Cache {
            ttl_ms: i64::try_from(ttl_ms).unwrap_or(i64::MAX),
            capacity,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// The answer cached for `key`, if still fresh at `now`; a stale one is dropped.
    pub fn get(&mut self, key: &CacheKey, now: i64) -> Option<&Answer> {
        let cached = self.entries.get(key)?;
        if !self.fresh(cached, now) {
            self.remove(key);
            return None;
        }
        self.entries.get(key).map(|cached| &cached.answer)
    }

    /// Keeps `answer` for `key` from `now`, replacing any earlier answer for it, and making room
    /// by dropping stale answers, then the oldest inserted.
    pub fn put(&mut self, key: CacheKey, answer: Answer, now: i64) {
        if self.capacity == 0 || self.ttl_ms == 0 {
            return;
        }
        self.remove(&key);
        // Stale answers sit at the front (all live as long), so this pops only stale ones and
        // each at most once.
        while let Some((_, oldest)) = self.order.first_key_value() {
            let stale = self.entries.get(oldest).is_none_or(|cached| !self.fresh(cached, now));
            if !stale && self.entries.len() < self.capacity {
                break;
            }
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, key.clone());
        self.entries.insert(key, Cached { answer, stored_at: now, seq });
        debug_assert_eq!(self.entries.len(), self.order.len());
        debug_assert!(self.entries.len() <= self.capacity);
    }

    /// Answers held, fresh or not yet found stale.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no answer is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    // An answer is only as good as what we know of its age: one stored "in the future" (the
    // wall clock stepped back) counts as stale, which costs at most a repeated request.
    fn fresh(&self, cached: &Cached, now: i64) -> bool {
        let age = now.saturating_sub(cached.stored_at);
        (0..self.ttl_ms).contains(&age)
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(cached) = self.entries.remove(key) {
            self.order.remove(&cached.seq);
        }
    }
}

/// Every result a verification (or connectivity check) can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The responder answered.
    Answered {
        /// Its answer.
        answer: Answer,
        /// Whether it came from the cache (then its corrUUID is that of the request that
        /// fetched it).
        cached: bool,
        /// The responder's base URL.
        responder: String,
    },
    /// The connectivity check passed: the responder knows and accepts us.
    Connected {
        /// The responder's base URL.
        responder: String,
    },
    /// No directory entry covers the GTIN: no request was made.
    NotInDirectory {
        /// The GTIN-14.
        gtin: String,
    },
    /// 401: the responder does not know our requester GLN.
    Unauthorized,
    /// 403: the responder knows us but does not let us verify this.
    Forbidden,
    /// 429: the responder is rate limiting us.
    RateLimited {
        /// Its `Retry-After`, in seconds, when it gave a number.
        retry_after_s: Option<u64>,
    },
    /// No answer within the timeout.
    Timeout {
        /// The timeout, in milliseconds.
        after_ms: u64,
    },
    /// No connection (refused, name not found, TLS failure, ...).
    Unreachable {
        /// What failed.
        reason: String,
    },
    /// Any other status than 200, 401, 403 and 429.
    ResponderError {
        /// The HTTP status.
        status: u16,
        /// The start of the response body, or what was wrong.
        detail: String,
    },
    /// A 200 whose body is not a verification response.
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
}

impl Outcome {
    /// The stable name of the outcome's kind (`result` in `to_json`).
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Answered { .. } => "answered",
            Outcome::Connected { .. } => "connected",
            Outcome::NotInDirectory { .. } => "not_in_directory",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Forbidden => "forbidden",
            Outcome::RateLimited { .. } => "rate_limited",
            Outcome::Timeout { .. } => "timeout",
            Outcome::Unreachable { .. } => "unreachable",
            Outcome::ResponderError { .. } => "responder_error",
            Outcome::Malformed { .. } => "malformed",
        }
    }

    /// The outcome as the API shows it: `result`, the outcome's fields, and a `message` in
    /// plain words.
    pub fn to_json(&self) -> Value {
        let mut out = json!({ "result": self.result() });
        match self {
            Outcome::Answered { answer, cached, responder } => {
                out["verified"] = answer.verified.into();
                if let Some(reason) = answer.failure_reason {
                    out["verificationFailureReason"] = reason.name().into();
                }
                if let Some(info) = &answer.additional_info {
                    out["additionalInfo"] = info.as_str().into();
                }
                out["responderGLN"] = answer.responder_gln.clone().into();
                out["corrUUID"] = answer.corr_uuid.clone().into();
                out["verificationTimestamp"] = answer.verification_timestamp.clone().into();
                out["cached"] = (*cached).into();
                out["responder"] = responder.as_str().into();
            }
            Outcome::Connected { responder } => out["responder"] = responder.as_str().into(),
            Outcome::NotInDirectory { gtin } => out["gtin"] = gtin.as_str().into(),
            Outcome::Unauthorized | Outcome::Forbidden => {}
            Outcome::RateLimited { retry_after_s } => out["retryAfterS"] = (*retry_after_s).into(),
            Outcome::Timeout { after_ms } => out["afterMs"] = (*after_ms).into(),
            Outcome::Unreachable { reason } | Outcome::Malformed { reason } => {
                out["reason"] = reason.as_str().into();
            }
            Outcome::ResponderError { status, detail } => {
                out["status"] = (*status).into();
                out["detail"] = detail.as_str().into();
            }
        }
        out["message"] = self.message().into();
        out
    }

    /// What happened, in plain words.
    pub fn message(&self) -> String {
        match self {
            Outcome::Answered { answer, cached, responder } => {
                let from = if *cached {
                    format!("the responder at {responder} (cached answer)")
                } else {
                    format!("the responder at {responder}")
                };
                let mut message = match answer.failure_reason {
                    None if answer.verified => format!("{from} verified the product identifier"),
                    reason => format!(
                        "{from} did not verify the product identifier: {}",
                        reason.unwrap_or(FailureReason::NoReason).description()
                    ),
                };
                if let Some(info) = &answer.additional_info {
                    message.push_str(&format!(" (additional information: {info})"));
                }
                message
            }
            Outcome::Connected { responder } => {
                format!("the responder at {responder} is reachable and accepts our requests")
            }
            Outcome::NotInDirectory { gtin } => format!(
                "GTIN {gtin} is in no directory entry: no verification service is known for it"
            ),
            Outcome::Unauthorized => "the responder does not know our requester GLN (HTTP 401): \
                 it must be registered with the responder's operator first"
                .to_owned(),
            Outcome::Forbidden => "the responder refused the request (HTTP 403): \
                 we are not permitted to verify this product there"
                .to_owned(),
            Outcome::RateLimited { retry_after_s: Some(seconds) } => format!(
                "the responder is limiting our request rate (HTTP 429): retry after {seconds} s"
            ),
            Outcome::RateLimited { retry_after_s: None } => {
                "the responder is limiting our request rate (HTTP 429): retry later".to_owned()
            }
            Outcome::Timeout { after_ms } => {
                format!("the responder did not answer within {after_ms} ms")
            }
            Outcome::Unreachable { reason } => {
                format!("the responder could not be reached: {reason}")
            }
            Outcome::ResponderError { status, detail } => {
                format!("the responder failed with HTTP {status}: {detail}")
            }
            Outcome::Malformed { reason } => {
                format!("the responder's answer is not a verification response: {reason}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn entry(prefix: &str, url: &str) -> Entry {
        Entry { prefix: prefix.to_owned(), url: url.to_owned(), responder_gln: None, token: None }
    }

    #[track_caller]
    fn check_lookup(directory: &Directory, gtin: &str, expect: Expect) {
        let found = directory.lookup(gtin).map_or("none", |e| e.url.as_str());
        expect.assert_eq(found);
    }

    #[test]
    fn lookup_takes_the_longest_prefix() {
        let directory = Directory::new(vec![
            entry("0031234", "https://vrs-a.example"),
            entry("00312345678906", "https://single.example"),
            entry("003123456", "https://vrs-b.example"),
            entry("1", "https://indicator-one.example"),
        ])
        .expect("valid directory");
        check_lookup(&directory, "00312345678906", expect!["https://single.example"]);
        check_lookup(&directory, "00312345600004", expect!["https://vrs-b.example"]);
        check_lookup(&directory, "00312340000000", expect!["https://vrs-a.example"]);
        check_lookup(&directory, "10312345678903", expect!["https://indicator-one.example"]);
        check_lookup(&directory, "00399999999999", expect!["none"]);
        check_lookup(&directory, "", expect!["none"]);
        check_lookup(&Directory::default(), "00312345678906", expect!["none"]);
    }

    #[track_caller]
    fn check_directory(entries: Vec<Entry>, expect: Expect) {
        let res = Directory::new(entries).map(|d| format!("ok: {} entries", d.entries().len()));
        expect.assert_eq(&res.unwrap_or_else(|e| format!("error: {e}")));
    }

    #[test]
    fn directory_validation_reports_every_problem() {
        check_directory(vec![entry("0031234", "https://vrs.example/")], expect!["ok: 1 entries"]);
        check_directory(vec![], expect!["ok: 0 entries"]);
        check_directory(
            vec![
                entry("", "https://a.example"),
                entry("00312345678906X", "https://a.example"),
                entry("12a", "https://a.example"),
                entry("0031234", "ftp://a.example"),
                entry("0031234", "https://"),
                entry("0041234", "https://a.example/x?y=1"),
                entry("0051234", "https://a example"),
                Entry {
                    responder_gln: Some("0614141000006".to_owned()),
                    token: Some("two words".to_owned()),
                    ..entry("0061234", "HTTP://a.example")
                },
            ],
            expect![[
                r#"error: entry 1 (prefix ""): the prefix must be 1 to 14 digits; entry 2 (prefix "00312345678906X"): the prefix must be 1 to 14 digits; entry 3 (prefix "12a"): the prefix must be 1 to 14 digits; entry 4 (prefix "0031234"): url "ftp://a.example": the scheme must be http or https; entry 5 (prefix "0031234"): the prefix is also that of entry 4; entry 5 (prefix "0031234"): url "https://": no host; entry 6 (prefix "0041234"): url "https://a.example/x?y=1": a base URL has no query or fragment; entry 7 (prefix "0051234"): url "https://a example": only visible ASCII without spaces; entry 8 (prefix "0061234"): responder GLN "0614141000006": gln: incorrect check digit; entry 8 (prefix "0061234"): the token must be visible ASCII without spaces; entry 8 (prefix "0061234"): a token is sent over https only (or to this machine)"#
            ]],
        );
        let too_many: Vec<Entry> = (0..=ENTRIES_MAX)
            .map(|idx| entry(&format!("{idx:014}"), "https://a.example"))
            .collect();
        check_directory(too_many, expect!["error: 100001 entries, at most 100000"]);
    }

    #[test]
    fn tokens_go_over_https_or_to_this_machine() {
        let with_token = |url: &str| Entry { token: Some("t".to_owned()), ..entry("0031234", url) };
        assert!(Directory::new(vec![with_token("https://vrs.example")]).is_ok());
        assert!(Directory::new(vec![with_token("http://127.0.0.1:8080")]).is_ok());
        assert!(Directory::new(vec![with_token("http://[::1]:8080/lvm")]).is_ok());
        assert!(Directory::new(vec![with_token("http://localhost/lvm")]).is_ok());
        let refused =
            Directory::new(vec![with_token("http://vrs.example")]).expect_err("clear text");
        assert!(refused.contains("https only"), "{refused}");
        for sly in ["HTTP://vrs.example", "http://localhost:1@vrs.example/"] {
            assert!(Directory::new(vec![with_token(sly)]).is_err(), "{sly}");
        }
        assert!(Directory::new(vec![entry("0031234", "http://vrs.example")]).is_ok(), "no token");
    }

    #[test]
    fn entry_debug_hides_the_token() {
        let entry = Entry { token: Some("s3cret".to_owned()), ..entry("0031234", "https://a") };
        expect![[
            r#"Entry { prefix: "0031234", url: "https://a", responder_gln: None, token: Some("<redacted>") }"#
        ]]
        .assert_eq(&format!("{entry:?}"));
    }

    #[track_caller]
    fn check_query(gtin: &str, lot: &str, serial: &str, exp: &str, uuid: Option<&str>, e: Expect) {
        let res = Query::new(gtin, lot, serial, exp, uuid);
        e.assert_eq(&match res {
            Ok(q) => format!(
                "ok: {} {} {} {} {:?}",
                q.gtin(),
                q.lot(),
                q.serial(),
                q.exp(),
                q.corr_uuid()
            ),
            Err(e) => format!("error: {e}"),
        });
    }

    #[test]
    fn queries_are_checked() {
        let uuid = "123e4567-e89b-42d3-a456-426614174000";
        check_query(
            "0312345678906",
            "L1",
            "S1",
            "261130",
            Some(uuid),
            expect![[
                r#"ok: 00312345678906 L1 S1 261130 Some("123e4567-e89b-42d3-a456-426614174000")"#
            ]],
        );
        check_query(
            "00312345678906",
            "A/B?C%E",
            "!\"%&'()*+,-./:;<=>?_",
            "261100",
            None,
            expect![[r#"ok: 00312345678906 A/B?C%E !"%&'()*+,-./:;<=>?_ 261100 None"#]],
        );
        check_query(
            "00312345678906",
            "A/B?C#D",
            "S1",
            "261130",
            None,
            expect!["error: lot: character is not in CSET 82 at position 5"],
        );
        check_query(
            "00312345678907",
            "L1",
            "S1",
            "261130",
            None,
            expect!["error: gtin: incorrect check digit"],
        );
        check_query(
            "00312345678906",
            "",
            "S1",
            "261130",
            None,
            expect!["error: lot: 0 characters, expected 1 to 20"],
        );
        check_query(
            "00312345678906",
            "L1",
            "S 1",
            "261130",
            None,
            expect!["error: serial: character is not in CSET 82 at position 1"],
        );
        check_query(
            "00312345678906",
            "L1",
            "S1",
            "261331",
            None,
            expect!["error: expiry: date: month is not valid at position 2"],
        );
        check_query(
            "00312345678906",
            "L1",
            "S1",
            "261130",
            Some("not-a-uuid"),
            expect![[r#"error: corrUUID "not-a-uuid" is not a UUID (8-4-4-4-12 hex digits)"#]],
        );
    }

    #[test]
    fn request_url_encodes_hostile_lot_and_serial() {
        let entry =
            Entry { token: Some("t".to_owned()), ..entry("0031234", "https://vrs.example/lvm/") };
        let params = RequestParams {
            gtin: "00312345678906",
            lot: "A/B?C#D%E",
            serial: "x y+z&'\"é",
            exp_yymmdd: "261130",
            req_gln: "0614141000005",
            corr_uuid: "123e4567-e89b-42d3-a456-426614174000",
        };
        expect![[
            r#"https://vrs.example/lvm/verify/gtin/00312345678906/lot/A%2FB%3FC%23D%25E/ser/x%20y%2Bz%26%27%22%C3%A9?exp=261130&linkType=verificationService&context=dscsaSaleableReturn&reqGLN=0614141000005&corrUUID=123e4567-e89b-42d3-a456-426614174000"#
        ]]
        .assert_eq(&request_url(&entry, &params));
        let dots = RequestParams { lot: "..", serial: ".", ..params };
        expect![[
            r#"https://vrs.example/lvm/verify/gtin/00312345678906/lot/%2E%2E/ser/%2E?exp=261130&linkType=verificationService&context=dscsaSaleableReturn&reqGLN=0614141000005&corrUUID=123e4567-e89b-42d3-a456-426614174000"#
        ]]
        .assert_eq(&request_url(&entry, &dots));
        expect![[
            r#"https://vrs.example/lvm/checkConnectivity?gtin=00312345678906&reqGLN=0614141000005&context=dscsaSaleableReturn"#
        ]]
        .assert_eq(&connectivity_url(&entry, "00312345678906", "0614141000005"));
        expect!["-._~azAZ09%21%22%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F"]
            .assert_eq(&percent_encode("-._~azAZ09!\"%&'()*+,/:;<=>?"));
    }

    #[track_caller]
    fn check_answer(body: &str, expect: Expect) {
        let res = parse_answer(body.as_bytes());
        expect.assert_eq(&match res {
            Ok(answer) => format!("{answer:?}"),
            Err(e) => format!("error: {e}"),
        });
    }

    #[test]
    fn answers_are_parsed_strictly() {
        check_answer(
            r#"{"verificationTimestamp": "2026-11-24T12:00:00.000Z", "responderGLN": "0614141000005", "corrUUID": "123e4567-e89b-42d3-a456-426614174000", "data": {"verified": true}}"#,
            expect![[
                r#"Answer { verified: true, failure_reason: None, additional_info: None, responder_gln: Some("0614141000005"), corr_uuid: Some("123e4567-e89b-42d3-a456-426614174000"), verification_timestamp: Some("2026-11-24T12:00:00.000Z") }"#
            ]],
        );
        check_answer(
            r#"{"data": {"verified": false, "verificationFailureReason": "No_match_GTIN_Serial_Lot", "additionalInfo": "recalled"}}"#,
            expect![[
                r#"Answer { verified: false, failure_reason: Some(GtinSerialLot), additional_info: Some("recalled"), responder_gln: None, corr_uuid: None, verification_timestamp: None }"#
            ]],
        );
        check_answer(
            r#"{"data": {"verified": false}}"#,
            expect![
                "Answer { verified: false, failure_reason: Some(NoReason), additional_info: None, responder_gln: None, corr_uuid: None, verification_timestamp: None }"
            ],
        );
        check_answer(
            r#"{"data": {"verified": false, "verificationFailureReason": "Expired"}}"#,
            expect![[r#"error: unknown verificationFailureReason "Expired""#]],
        );
        check_answer(
            r#"{"data": {"verified": true, "verificationFailureReason": "No_reason_provided"}}"#,
            expect![[r#"error: verified, yet with a failure reason "No_reason_provided""#]],
        );
        check_answer(
            r#"{"data": {"verified": "true"}}"#,
            expect![[r#"error: "data.verified" is not a boolean: "true""#]],
        );
        check_answer(r#"{"data": {}}"#, expect![[r#"error: no "data.verified" member"#]]);
        check_answer(r#"{"verified": true}"#, expect![[r#"error: no "data" member"#]]);
        check_answer(r#"{"data": [true]}"#, expect![[r#"error: "data" is not an object"#]]);
        check_answer(r#"[]"#, expect!["error: the body is not a JSON object"]);
        check_answer(
            r#"{"data": {"verified": true, "additionalInfo": 7}}"#,
            expect![[r#"error: "data.additionalInfo" is not a string: 7"#]],
        );
        check_answer(
            r#"{"responderGLN": 614141000005, "data": {"verified": true}}"#,
            expect![[r#"error: "responderGLN" is not a string: 614141000005"#]],
        );
        check_answer(
            "<html>",
            expect!["error: the body is not JSON: expected value at line 1 column 1"],
        );
        let huge = format!(
            r#"{{"data": {{"verified": true, "additionalInfo": "{}"}}}}"#,
            "x".repeat(ANSWER_BYTES_MAX)
        );
        check_answer(&huge, expect!["error: the body is 65586 bytes, at most 65536"]);
    }

    #[test]
    fn failure_reason_names_round_trip() {
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::from_name(reason.name()), Some(reason));
        }
        assert_eq!(FailureReason::from_name("no_match_gtin_serial"), None);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        assert_eq!(parse_retry_after(" 30 "), Some(30));
        assert_eq!(parse_retry_after("0"), Some(0));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    fn key(serial: &str) -> CacheKey {
        Query::new("00312345678906", "L1", serial, "261130", None)
            .expect("valid query")
            .cache_key(CONTEXT_SALEABLE_RETURN)
    }

    fn answer(verified: bool) -> Answer {
        Answer {
            verified,
            failure_reason: (!verified).then_some(FailureReason::GtinSerial),
            additional_info: None,
            responder_gln: None,
            corr_uuid: None,
            verification_timestamp: None,
        }
    }

    fn cached(cache: &mut Cache, serial: &str, now: i64) -> Option<bool> {
        cache.get(&key(serial), now).map(|a| a.verified)
    }

    #[test]
    fn cache_keeps_answers_for_their_ttl() {
        let mut cache = Cache::new(1_000, 10);
        cache.put(key("S1"), answer(true), 5_000);
        cache.put(key("S2"), answer(false), 5_500);
        assert_eq!(cached(&mut cache, "S1", 5_000), Some(true));
        assert_eq!(cached(&mut cache, "S1", 5_999), Some(true));
        assert_eq!(cached(&mut cache, "S2", 5_999), Some(false));
        assert_eq!(cached(&mut cache, "S3", 5_999), None);
        assert_eq!(cached(&mut cache, "S1", 6_000), None, "stale at the TTL");
        assert_eq!(cache.len(), 1, "the stale answer is dropped");
        // The wall clock stepped back: the age is unknown, so the answer is not trusted.
        assert_eq!(cached(&mut cache, "S2", 5_499), None);
        assert!(cache.is_empty());
        // Other lot, expiry or context: another key.
        cache.put(key("S1"), answer(true), 7_000);
        let mut other = key("S1");
        other.lot = "L2".to_owned();
        assert!(cache.get(&other, 7_000).is_none());
        other = key("S1");
        other.context = "dscsaOther".to_owned();
        assert!(cache.get(&other, 7_000).is_none());
        // A new answer replaces the old one and lives from its own time.
        cache.put(key("S1"), answer(false), 7_800);
        assert_eq!(cached(&mut cache, "S1", 8_500), Some(false));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_evicts_the_oldest_inserted_when_full() {
        let mut cache = Cache::new(10_000, 3);
        for (idx, serial) in ["S1", "S2", "S3"].into_iter().enumerate() {
            cache.put(key(serial), answer(true), idx as i64);
        }
        // Reading S1 does not make it younger: eviction is by insertion.
        assert_eq!(cached(&mut cache, "S1", 10), Some(true));
        cache.put(key("S4"), answer(true), 11);
        assert_eq!(cache.len(), 3);
        assert_eq!(cached(&mut cache, "S1", 12), None);
        assert_eq!(cached(&mut cache, "S2", 12), Some(true));
        // Re-inserting S2 makes it the youngest: S3 goes next.
        cache.put(key("S2"), answer(false), 13);
        cache.put(key("S5"), answer(true), 14);
        assert_eq!(cached(&mut cache, "S3", 15), None);
        assert_eq!(cached(&mut cache, "S2", 15), Some(false));
        assert_eq!(cached(&mut cache, "S4", 15), Some(true));
        assert_eq!(cached(&mut cache, "S5", 15), Some(true));
        // Stale answers make room before fresh ones are evicted.
        let mut cache = Cache::new(100, 2);
        cache.put(key("S1"), answer(true), 0);
        cache.put(key("S2"), answer(true), 50);
        cache.put(key("S3"), answer(true), 120);
        assert_eq!(cached(&mut cache, "S2", 121), Some(true));
        assert_eq!(cached(&mut cache, "S3", 121), Some(true));
    }

    #[test]
    fn a_zero_cache_caches_nothing() {
        for mut cache in [Cache::new(0, 10), Cache::new(1_000, 0)] {
            cache.put(key("S1"), answer(true), 0);
            assert_eq!(cached(&mut cache, "S1", 0), None);
            assert!(cache.is_empty());
        }
    }

    #[track_caller]
    fn check_outcome(outcome: Outcome, expect: Expect) {
        let json = serde_json::to_string_pretty(&outcome.to_json()).expect("JSON prints");
        expect.assert_eq(&json);
    }

    #[test]
    fn outcomes_as_json() {
        let responder = "https://vrs.example".to_owned();
        check_outcome(
            Outcome::Answered {
                answer: Answer {
                    responder_gln: Some("0614141000005".to_owned()),
                    corr_uuid: Some("123e4567-e89b-42d3-a456-426614174000".to_owned()),
                    verification_timestamp: Some("2026-11-24T12:00:00.000Z".to_owned()),
                    ..answer(true)
                },
                cached: false,
                responder: responder.clone(),
            },
            expect![[r#"
                {
                  "result": "answered",
                  "verified": true,
                  "responderGLN": "0614141000005",
                  "corrUUID": "123e4567-e89b-42d3-a456-426614174000",
                  "verificationTimestamp": "2026-11-24T12:00:00.000Z",
                  "cached": false,
                  "responder": "https://vrs.example",
                  "message": "the responder at https://vrs.example verified the product identifier"
                }"#]],
        );
        check_outcome(
            Outcome::Answered {
                answer: Answer { additional_info: Some("recalled".to_owned()), ..answer(false) },
                cached: true,
                responder: responder.clone(),
            },
            expect![[r#"
                {
                  "result": "answered",
                  "verified": false,
                  "verificationFailureReason": "No_match_GTIN_Serial",
                  "additionalInfo": "recalled",
                  "responderGLN": null,
                  "corrUUID": null,
                  "verificationTimestamp": null,
                  "cached": true,
                  "responder": "https://vrs.example",
                  "message": "the responder at https://vrs.example (cached answer) did not verify the product identifier: the manufacturer has no pack with this GTIN and serial (additional information: recalled)"
                }"#]],
        );
        check_outcome(
            Outcome::Connected { responder },
            expect![[r#"
                {
                  "result": "connected",
                  "responder": "https://vrs.example",
                  "message": "the responder at https://vrs.example is reachable and accepts our requests"
                }"#]],
        );
        check_outcome(
            Outcome::NotInDirectory { gtin: "00312345678906".to_owned() },
            expect![[r#"
                {
                  "result": "not_in_directory",
                  "gtin": "00312345678906",
                  "message": "GTIN 00312345678906 is in no directory entry: no verification service is known for it"
                }"#]],
        );
        check_outcome(
            Outcome::Unauthorized,
            expect![[r#"
                {
                  "result": "unauthorized",
                  "message": "the responder does not know our requester GLN (HTTP 401): it must be registered with the responder's operator first"
                }"#]],
        );
        check_outcome(
            Outcome::Forbidden,
            expect![[r#"
                {
                  "result": "forbidden",
                  "message": "the responder refused the request (HTTP 403): we are not permitted to verify this product there"
                }"#]],
        );
        check_outcome(
            Outcome::RateLimited { retry_after_s: Some(30) },
            expect![[r#"
                {
                  "result": "rate_limited",
                  "retryAfterS": 30,
                  "message": "the responder is limiting our request rate (HTTP 429): retry after 30 s"
                }"#]],
        );
        check_outcome(
            Outcome::RateLimited { retry_after_s: None },
            expect![[r#"
                {
                  "result": "rate_limited",
                  "retryAfterS": null,
                  "message": "the responder is limiting our request rate (HTTP 429): retry later"
                }"#]],
        );
        check_outcome(
            Outcome::Timeout { after_ms: 2000 },
            expect![[r#"
                {
                  "result": "timeout",
                  "afterMs": 2000,
                  "message": "the responder did not answer within 2000 ms"
                }"#]],
        );
        check_outcome(
            Outcome::Unreachable { reason: "connection refused".to_owned() },
            expect![[r#"
                {
                  "result": "unreachable",
                  "reason": "connection refused",
                  "message": "the responder could not be reached: connection refused"
                }"#]],
        );
        check_outcome(
            Outcome::ResponderError { status: 500, detail: "oops".to_owned() },
            expect![[r#"
                {
                  "result": "responder_error",
                  "status": 500,
                  "detail": "oops",
                  "message": "the responder failed with HTTP 500: oops"
                }"#]],
        );
        check_outcome(
            Outcome::Malformed { reason: "no \"data\" member".to_owned() },
            expect![[r#"
                {
                  "result": "malformed",
                  "reason": "no \"data\" member",
                  "message": "the responder's answer is not a verification response: no \"data\" member"
                }"#]],
        );
    }
}
