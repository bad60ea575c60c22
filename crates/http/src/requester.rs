//! serialhub as a DSCSA verification requester: asks the manufacturer's verification service
//! (GS1 Lightweight Verification Messaging) whether a returned pack's product identifier is
//! genuine, through the look-up directory, with a cache and a timeout.
//!
//! The IO half of `serialhub_verify::directory`, which decides everything that needs no
//! network: which responder, the URL, what an answer says, what is cached. Here: the HTTP
//! exchange and the sorting of what can go wrong into `Outcome`s. Nothing here panics or
//! returns an error: every failure is an outcome the caller can show.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serialhub_gs1::Gln;
use serialhub_verify::directory::{
    ANSWER_BYTES_MAX, CONTEXT_SALEABLE_RETURN, Cache, Directory, Entry, LVM_VERSION, Outcome,
    Query, RequestParams, connectivity_url, parse_answer, parse_retry_after, request_url,
};

/// How long a responder has to answer, by default: LVM responders answer in well under a
/// second, and a return is scanned by a person who should not wait long for a dead one.
pub const TIMEOUT_MS_DEFAULT: u64 = 2_000;
/// The longest timeout accepted.
pub const TIMEOUT_MS_MAX: u64 = 60_000;
/// How long an answer is reused, by default: long enough for a return scanned twice, short
/// enough that a manufacturer's correction (a pack recalled, a serial uploaded late) is seen.
pub const CACHE_TTL_MS_DEFAULT: u64 = 300_000;
/// Answers cached at most, by default.
pub const CACHE_CAPACITY_DEFAULT: usize = 100_000;
/// The largest cache accepted (an answer takes a few hundred bytes).
pub const CACHE_CAPACITY_MAX: usize = 10_000_000;
/// Characters of a failing responder's body kept in `ResponderError::detail`.
pub const DETAIL_LEN_MAX: usize = 200;

/// What a `Requester` is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterConfig {
    /// The look-up directory (GTIN prefix → responder).
    pub entries: Vec<Entry>,
    /// Our GLN, sent as `reqGLN`: the responders know us by it.
    pub our_gln: String,
    /// How long a responder has to answer, in milliseconds (1 to `TIMEOUT_MS_MAX`).
    pub timeout_ms: u64,
    /// How long an answer is reused, in milliseconds (0: never).
    pub cache_ttl_ms: u64,
    /// Answers cached at most (0: none).
    pub cache_capacity: usize,
}

impl Default for RequesterConfig {
    fn default() -> RequesterConfig {
        RequesterConfig {
            entries: Vec::new(),
            our_gln: String::new(),
            timeout_ms: TIMEOUT_MS_DEFAULT,
            cache_ttl_ms: CACHE_TTL_MS_DEFAULT,
            cache_capacity: CACHE_CAPACITY_DEFAULT,
        }
    }
}

/// Asks responders, shares one connection pool and one answer cache between callers.
pub struct Requester {
    directory: Directory,
    cache: Mutex<Cache>,
    timeout_ms: u64,
    our_gln: String,
    agent: ureq::Agent,
    // Makes correlation UUIDs unique when the system has no randomness to give.
    uuid_counter: AtomicU64,
}

impl fmt::Debug for Requester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requester")
            .field("directory_entries", &self.directory.entries().len())
            .field("timeout_ms", &self.timeout_ms)
            .field("our_gln", &self.our_gln)
            .finish_non_exhaustive()
    }
}

impl Requester {
    /// Checks `config` (the directory, our GLN, the bounds) and builds the HTTP client.
    pub fn new(config: RequesterConfig) -> Result<Requester, String> {
        let mut problems = Vec::new();
        let directory = match Directory::new(config.entries) {
            Ok(directory) => directory,
            Err(e) => {
                problems.push(format!("directory: {e}"));
                Directory::default()
            }
        };
        if let Err(e) = Gln::parse(&config.our_gln) {
            problems.push(format!("our GLN {:?}: {e}", config.our_gln));
        }
        if !(1..=TIMEOUT_MS_MAX).contains(&config.timeout_ms) {
            problems
                .push(format!("timeout {} ms: expected 1 to {TIMEOUT_MS_MAX}", config.timeout_ms));
        }
        if config.cache_capacity > CACHE_CAPACITY_MAX {
            problems.push(format!(
                "cache capacity {}: at most {CACHE_CAPACITY_MAX}",
                config.cache_capacity
            ));
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        // Redirects are not followed: the directory names the responder we trust with our
        // token and our GLN, and a redirect elsewhere is reported, not obeyed.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(config.timeout_ms)))
            .max_redirects(0)
            .build()
            .into();
        Ok(Requester {
            directory,
            cache: Mutex::new(Cache::new(config.cache_ttl_ms, config.cache_capacity)),
            timeout_ms: config.timeout_ms,
            our_gln: config.our_gln,
            agent,
            uuid_counter: AtomicU64::new(0),
        })
    }

    /// The GLN this hub asks as (`reqGLN`).
    pub fn our_gln(&self) -> &str {
        &self.our_gln
    }

    /// The look-up directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Asks the responder of `query`'s GTIN whether the product identifier is genuine, in the
    /// context of a saleable return, at `now_ms` (Unix milliseconds, for the cache).
    /// Answers come from the cache while fresh; only answers are cached.
    pub fn verify(&self, query: &Query, now_ms: i64) -> Outcome {
        let Some(entry) = self.directory.lookup(query.gtin()) else {
            return Outcome::NotInDirectory { gtin: query.gtin().to_owned() };
        };
        let key = query.cache_key(CONTEXT_SALEABLE_RETURN);
        if let Some(answer) = self.cache().get(&key, now_ms) {
            return Outcome::Answered {
                answer: answer.clone(),
                cached: true,
                responder: entry.url.clone(),
            };
        }
        let corr_uuid = match query.corr_uuid() {
            Some(uuid) => uuid.to_owned(),
            None => self.new_uuid(now_ms),
        };
        let url = request_url(
            entry,
            &RequestParams {
                gtin: query.gtin(),
                lot: query.lot(),
                serial: query.serial(),
                exp_yymmdd: query.exp(),
                req_gln: &self.our_gln,
                corr_uuid: &corr_uuid,
            },
        );
        let outcome = self.ask(entry, &url, &corr_uuid);
        if let Outcome::Answered { answer, .. } = &outcome {
            self.cache().put(key, answer.clone(), now_ms);
        }
        outcome
    }

    /// Asks the responder of `gtin` (a GTIN-14) whether it is reachable and accepts our
    /// requests (LVM `checkConnectivity`): `Connected`, or what went wrong.
    pub fn check_connectivity(&self, gtin: &str) -> Outcome {
        let Some(entry) = self.directory.lookup(gtin) else {
            return Outcome::NotInDirectory { gtin: gtin.to_owned() };
        };
        let url = connectivity_url(entry, gtin, &self.our_gln);
        let mut response = match self.get(entry, &url) {
            Ok(response) => response,
            Err(error) => return self.transport(error),
        };
        match response.status().as_u16() {
            200..=299 => Outcome::Connected { responder: entry.url.clone() },
            status => self.not_ok(status, &mut response),
        }
    }

    // The cache survives a panic elsewhere while it was held: each of its operations leaves it
    // consistent, and at worst it forgets answers.
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One verification request to `entry`'s responder, its answer checked.
    fn ask(&self, entry: &Entry, url: &str, corr_uuid: &str) -> Outcome {
        let mut response = match self.get(entry, url) {
            Ok(response) => response,
            Err(error) => return self.transport(error),
        };
        let status = response.status().as_u16();
        if status != 200 {
            return self.not_ok(status, &mut response);
        }
        let body = match read_limited(&mut response) {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Outcome::Malformed {
                    reason: format!("the body is over {ANSWER_BYTES_MAX} bytes"),
                };
            }
            Err(error) => return self.transport(error),
        };
        let answer = match parse_answer(&body) {
            Ok(answer) => answer,
            Err(reason) => return Outcome::Malformed { reason },
        };
        // An answer to another request (a responder or a proxy mixing up connections) must not
        // be taken, let alone cached, as the answer to this one.
        if let Some(echoed) = &answer.corr_uuid
            && !echoed.eq_ignore_ascii_case(corr_uuid)
        {
            return Outcome::Malformed {
                reason: format!("the answer is for corrUUID {echoed}, we asked with {corr_uuid}"),
            };
        }
        if let (Some(expected), Some(answered)) = (&entry.responder_gln, &answer.responder_gln)
            && expected != answered
        {
            return Outcome::Malformed {
                reason: format!(
                    "the answer comes from responder GLN {answered}, the directory names {expected}"
                ),
            };
        }
        Outcome::Answered { answer, cached: false, responder: entry.url.clone() }
    }

    fn get(
        &self,
        entry: &Entry,
        url: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let mut request = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .header("GS1US-Version", LVM_VERSION);
        if let Some(token) = &entry.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        request.call()
    }

    /// The outcome of any status but 200 to a verification (and but 2xx to a check).
    fn not_ok(&self, status: u16, response: &mut ureq::http::Response<ureq::Body>) -> Outcome {
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        match status {
            401 => Outcome::Unauthorized,
            403 => Outcome::Forbidden,
            429 => Outcome::RateLimited {
                retry_after_s: header("Retry-After").as_deref().and_then(parse_retry_after),
            },
            200..=299 => Outcome::Malformed {
                reason: format!("HTTP {status} instead of 200 with a verification response"),
            },
            300..=399 => Outcome::ResponderError {
                status,
                detail: format!(
                    "redirected to {}; redirects are not followed (the directory should name \
                     the responder's URL)",
                    header("Location").as_deref().map_or("nowhere".to_owned(), shorten)
                ),
            },
            _ => {
                // What the body says helps whoever reads the outcome; a part of it is enough.
                let body = read_limited(response).unwrap_or_default();
                let detail = shorten(&String::from_utf8_lossy(&body));
                let detail =
                    if detail.is_empty() { "no explanation given".to_owned() } else { detail };
                Outcome::ResponderError { status, detail }
            }
        }
    }

    fn transport(&self, error: ureq::Error) -> Outcome {
        match error {
            ureq::Error::Timeout(_) => Outcome::Timeout { after_ms: self.timeout_ms },
            ureq::Error::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Outcome::Timeout { after_ms: self.timeout_ms }
            }
            other => Outcome::Unreachable { reason: other.to_string() },
        }
    }

    /// A random (version 4) UUID for a request the caller gave none.
    fn new_uuid(&self, now_ms: i64) -> String {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No system randomness: time and a counter still make it unique, which is all a
            // correlation identifier needs.
            bytes[..8].copy_from_slice(&now_ms.to_be_bytes());
            let count = self.uuid_counter.fetch_add(1, Ordering::Relaxed);
            bytes[8..].copy_from_slice(&count.to_be_bytes());
        }
        uuid_v4(bytes)
    }
}

/// The body, if at most `ANSWER_BYTES_MAX` bytes: a responder cannot make us hold more.
fn read_limited(response: &mut ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, ureq::Error> {
    response.body_mut().with_config().limit(ANSWER_BYTES_MAX as u64).read_to_vec()
}

/// `text` on one line, control characters as spaces, at most `DETAIL_LEN_MAX` characters.
fn shorten(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= DETAIL_LEN_MAX {
        return flat;
    }
    let mut short: String = flat.chars().take(DETAIL_LEN_MAX).collect();
    short.push('…');
    short
}

/// `bytes` as a version 4 (random) UUID: the version and variant bits set, the rest kept.
fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    use serialhub_verify::directory::is_uuid;

    use super::*;

    const GTIN: &str = "00312345678906";
    const OUR_GLN: &str = "0614141000005";
    const RESPONDER_GLN: &str = "0614141000005";
    const CORR: &str = "123e4567-e89b-42d3-a456-426614174000";
    const TIMEOUT_MS: u64 = 300;

    /// Compares with an indented multi-line literal, as `expect-test` would (this crate does
    /// without it): the first line break and the common indentation are not part of it.
    #[track_caller]
    fn same(actual: &str, expected: &str) {
        let expected = expected.strip_prefix('\n').unwrap_or(expected);
        let indent = expected
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| line.len() - line.trim_start().len())
            .min()
            .unwrap_or(0);
        let expected: Vec<&str> =
            expected.lines().map(|line| line.get(indent..).unwrap_or(line.trim_start())).collect();
        assert_eq!(actual, expected.join("\n"), "\nactual:\n{actual}\n");
    }

    /// A responder on 127.0.0.1 answering by what the request path holds; keeps every request
    /// head it receives.
    struct Fake {
        url: String,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl Fake {
        fn start() -> Fake {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
            let url = format!("http://{}", listener.local_addr().expect("local address"));
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let seen = seen.clone();
                    std::thread::spawn(move || serve(stream, &seen));
                }
            });
            Fake { url, requests }
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().expect("request log").clone()
        }
    }

    fn serve(mut stream: TcpStream, seen: &Mutex<Vec<String>>) {
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("read timeout");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        seen.lock().expect("request log").push(head.clone());
        let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
        let corr = target
            .split_once("corrUUID=")
            .map(|(_, rest)| rest.split('&').next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let verified = format!(
            r#"{{"verificationTimestamp": "2026-11-24T12:00:00.000Z", "responderGLN": "{RESPONDER_GLN}", "corrUUID": "{corr}", "data": {{"verified": true}}}}"#
        );
        let (status, extra, body) = if target.starts_with("/checkConnectivity") {
            ("200 OK", "", "{}".to_owned())
        } else if target.contains("NOTVERIFIED") {
            (
                "200 OK",
                "",
                r#"{"responderGLN": "0614141000005", "data": {"verified": false, "verificationFailureReason": "No_match_GTIN_Serial_Lot", "additionalInfo": "recalled"}}"#.to_owned(),
            )
        } else if target.contains("S401") {
            ("401 Unauthorized", "", String::new())
        } else if target.contains("S403") {
            ("403 Forbidden", "", String::new())
        } else if target.contains("S429") {
            ("429 Too Many Requests", "Retry-After: 30\r\n", String::new())
        } else if target.contains("S500") {
            ("500 Internal Server Error", "", "database\n  down".to_owned())
        } else if target.contains("S302") {
            ("302 Found", "Location: https://elsewhere.example/v\r\n", String::new())
        } else if target.contains("MALFORMED") {
            ("200 OK", "", r#"{"data": {"verified": "yes"}}"#.to_owned())
        } else if target.contains("HUGE") {
            (
                "200 OK",
                "",
                format!(
                    r#"{{"data": {{"verified": true, "additionalInfo": "{}"}}}}"#,
                    "x".repeat(70_000)
                ),
            )
        } else if target.contains("OTHERGLN") {
            ("200 OK", "", verified.replace(RESPONDER_GLN, "0614141000012"))
        } else if target.contains("OTHERCORR") {
            ("200 OK", "", verified.replace(&corr, "00000000-0000-4000-8000-000000000000"))
        } else if target.contains("SLOW") {
            std::thread::sleep(Duration::from_millis(TIMEOUT_MS * 4));
            ("200 OK", "", verified)
        } else {
            ("200 OK", "", verified)
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
        // The requester may have given up (the slow case): nothing to do about it.
        let _ = stream.write_all(response.as_bytes());
    }

    fn requester(url: &str) -> Requester {
        Requester::new(RequesterConfig {
            entries: vec![Entry {
                prefix: "0031234".to_owned(),
                url: format!("{url}/lvm/"),
                responder_gln: Some(RESPONDER_GLN.to_owned()),
                token: Some("tok-123".to_owned()),
            }],
            our_gln: OUR_GLN.to_owned(),
            timeout_ms: TIMEOUT_MS,
            ..RequesterConfig::default()
        })
        .expect("valid config")
    }

    fn query(lot: &str, serial: &str) -> Query {
        Query::new(GTIN, lot, serial, "261130", Some(CORR)).expect("valid query")
    }

    /// The request line and the headers that matter, names in lower case.
    fn shown(head: &str) -> String {
        let mut lines = head.lines();
        let mut out = vec![lines.next().unwrap_or_default().to_owned()];
        let mut headers: Vec<String> = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .filter(|(name, _)| {
                matches!(name.as_str(), "accept" | "authorization" | "gs1us-version")
            })
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        headers.sort();
        out.extend(headers);
        out.join("\n")
    }

    #[test]
    fn a_verified_answer_is_cached() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        let first = requester.verify(&query("L1", "S1"), 1_000);
        same(
            &json(&fake, &first),
            r#"
            {
              "result": "answered",
              "verified": true,
              "responderGLN": "0614141000005",
              "corrUUID": "123e4567-e89b-42d3-a456-426614174000",
              "verificationTimestamp": "2026-11-24T12:00:00.000Z",
              "cached": false,
              "responder": "http://127.0.0.1:PORT/lvm/",
              "message": "the responder at http://127.0.0.1:PORT/lvm/ verified the product identifier"
            }"#,
        );
        let second = requester.verify(&query("L1", "S1"), 2_000);
        assert!(matches!(second, Outcome::Answered { cached: true, .. }), "{second:?}");
        assert_eq!(fake.requests().len(), 1, "the second answer came from the cache");
        // Past the TTL, the responder is asked again.
        let third = requester.verify(&query("L1", "S1"), 1_000 + CACHE_TTL_MS_DEFAULT as i64);
        assert!(matches!(third, Outcome::Answered { cached: false, .. }), "{third:?}");
        assert_eq!(fake.requests().len(), 2);
    }

    fn json(fake: &Fake, outcome: &Outcome) -> String {
        let port = fake.url.rsplit(':').next().unwrap_or_default();
        serde_json::to_string_pretty(&outcome.to_json())
            .expect("JSON prints")
            .replace(&format!(":{port}/"), ":PORT/")
    }

    #[test]
    fn the_request_carries_the_lvm_parameters_encoded() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        requester.verify(&query("A/B?C%E", "x&y+z=1"), 0);
        let requests = fake.requests();
        same(
            &requests.iter().map(|r| shown(r)).collect::<Vec<_>>().join("\n\n"),
            r#"
            GET /lvm/verify/gtin/00312345678906/lot/A%2FB%3FC%25E/ser/x%26y%2Bz%3D1?exp=261130&linkType=verificationService&context=dscsaSaleableReturn&reqGLN=0614141000005&corrUUID=123e4567-e89b-42d3-a456-426614174000 HTTP/1.1
            accept: application/json
            authorization: Bearer tok-123
            gs1us-version: 1.3"#,
        );
    }

    #[test]
    fn a_missing_corr_uuid_is_made_up() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        let query = Query::new(GTIN, "L1", "S1", "261130", None).expect("valid query");
        let outcome = requester.verify(&query, 0);
        let Outcome::Answered { answer, .. } = outcome else { panic!("{outcome:?}") };
        let uuid = answer.corr_uuid.expect("the fake echoes corrUUID");
        assert!(is_uuid(&uuid), "{uuid}");
        assert_eq!(&uuid[14..15], "4", "version 4: {uuid}");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "RFC 4122 variant: {uuid}");
        let again = Query::new(GTIN, "L1", "S2", "261130", None).expect("valid query");
        requester.verify(&again, 0);
        let requests = fake.requests();
        assert_eq!(requests.len(), 2);
        assert_ne!(requests[0].split("corrUUID=").nth(1), requests[1].split("corrUUID=").nth(1));
    }

    #[test]
    fn every_outcome_of_a_request() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        let shown: Vec<String> = [
            "NOTVERIFIED",
            "S401",
            "S403",
            "S429",
            "S500",
            "S302",
            "MALFORMED",
            "HUGE",
            "OTHERGLN",
            "OTHERCORR",
            "SLOW",
        ]
        .into_iter()
        .map(|serial| {
            let outcome = requester.verify(&query("L1", serial), 0);
            format!("{serial}: {outcome:?}").replace(&fake.url, "http://127.0.0.1:PORT")
        })
        .collect();
        same(
            &shown.join("\n"),
            r#"
                NOTVERIFIED: Answered { answer: Answer { verified: false, failure_reason: Some(GtinSerialLot), additional_info: Some("recalled"), responder_gln: Some("0614141000005"), corr_uuid: None, verification_timestamp: None }, cached: false, responder: "http://127.0.0.1:PORT/lvm/" }
                S401: Unauthorized
                S403: Forbidden
                S429: RateLimited { retry_after_s: Some(30) }
                S500: ResponderError { status: 500, detail: "database down" }
                S302: ResponderError { status: 302, detail: "redirected to https://elsewhere.example/v; redirects are not followed (the directory should name the responder's URL)" }
                MALFORMED: Malformed { reason: "\"data.verified\" is not a boolean: \"yes\"" }
                HUGE: Malformed { reason: "the body is over 65536 bytes" }
                OTHERGLN: Malformed { reason: "the answer comes from responder GLN 0614141000012, the directory names 0614141000005" }
                OTHERCORR: Malformed { reason: "the answer is for corrUUID 00000000-0000-4000-8000-000000000000, we asked with 123e4567-e89b-42d3-a456-426614174000" }
                SLOW: Timeout { after_ms: 300 }"#,
        );
        // None of them is cached but the answer: asking again asks again.
        let before = fake.requests().len();
        for serial in ["S401", "S500", "MALFORMED"] {
            requester.verify(&query("L1", serial), 1);
        }
        assert_eq!(fake.requests().len(), before + 3);
        requester.verify(&query("L1", "NOTVERIFIED"), 1);
        assert_eq!(fake.requests().len(), before + 3, "a not-verified answer is cached");
    }

    #[test]
    fn a_gtin_in_no_entry_is_never_asked_about() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        let query = Query::new("4006381333931", "L1", "S1", "261130", None).expect("valid query");
        same(
            &format!("{:?}", requester.verify(&query, 0)),
            r#"NotInDirectory { gtin: "04006381333931" }"#,
        );
        same(
            &format!("{:?}", requester.check_connectivity("04006381333931")),
            r#"NotInDirectory { gtin: "04006381333931" }"#,
        );
        assert!(fake.requests().is_empty());
    }

    #[test]
    fn a_closed_port_is_unreachable() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
            listener.local_addr().expect("local address").port()
        };
        let requester = requester(&format!("http://127.0.0.1:{port}"));
        let outcome = requester.verify(&query("L1", "S1"), 0);
        assert!(matches!(outcome, Outcome::Unreachable { .. }), "{outcome:?}");
        let outcome = requester.check_connectivity(GTIN);
        assert!(matches!(outcome, Outcome::Unreachable { .. }), "{outcome:?}");
    }

    #[test]
    fn connectivity_is_checked() {
        let fake = Fake::start();
        let requester = requester(&fake.url);
        let outcome = requester.check_connectivity(GTIN);
        same(
            &json(&fake, &outcome),
            r#"
                {
                  "result": "connected",
                  "responder": "http://127.0.0.1:PORT/lvm/",
                  "message": "the responder at http://127.0.0.1:PORT/lvm/ is reachable and accepts our requests"
                }"#,
        );
        same(
            &shown(&fake.requests()[0]),
            r#"
                GET /lvm/checkConnectivity?gtin=00312345678906&reqGLN=0614141000005&context=dscsaSaleableReturn HTTP/1.1
                accept: application/json
                authorization: Bearer tok-123
                gs1us-version: 1.3"#,
        );
    }

    #[track_caller]
    fn check_config(config: RequesterConfig, expected: &str) {
        let res = Requester::new(config).map(|r| format!("{r:?}"));
        same(&res.unwrap_or_else(|e| format!("error: {e}")), expected);
    }

    #[test]
    fn the_config_is_checked() {
        check_config(
            RequesterConfig { our_gln: OUR_GLN.to_owned(), ..RequesterConfig::default() },
            r#"Requester { directory_entries: 0, timeout_ms: 2000, our_gln: "0614141000005", .. }"#,
        );
        check_config(
            RequesterConfig {
                entries: vec![Entry {
                    prefix: "x".to_owned(),
                    url: "https://a.example".to_owned(),
                    responder_gln: None,
                    token: None,
                }],
                our_gln: "123".to_owned(),
                timeout_ms: 0,
                cache_ttl_ms: 0,
                cache_capacity: CACHE_CAPACITY_MAX + 1,
            },
            "error: directory: entry 1 (prefix \"x\"): the prefix must be 1 to 14 digits; \
             our GLN \"123\": gln: 3 digits, expected 13; timeout 0 ms: expected 1 to 60000; \
             cache capacity 10000001: at most 10000000",
        );
    }

    #[test]
    fn uuids_have_version_and_variant_bits() {
        same(&uuid_v4([0xFF; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        same(&uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
