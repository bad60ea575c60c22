//! Black-box tests of `serialhub serve`: the real binary on a free port, driven over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{serialhub, serialhub_env};

const NOW: (&str, &str) = ("SERIALHUB_NOW", "2025-06-01T00:00:00Z");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref");

/// Party A's and party B's GLNs (valid check digits).
const PARTY_A: &str = "4012345000009";
const PARTY_B: &str = "4098765000003";

/// A running server; killed when dropped.
struct Server {
    child: Child,
    base: String,
    data: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    #[track_caller]
    fn problem(&self, status: u16, type_: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let body = self.json();
        assert_eq!(body["type"], type_, "{body}");
        assert_eq!(body["status"], status);
        body
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("serialhub-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `serialhub keys create` in `data`; the key is the last line.
fn create_key(data: &Path, name: &str, role: &str, party: Option<&str>) -> String {
    let data = data.to_str().expect("utf-8 path");
    let mut args = vec!["keys", "create", "--data", data, "--name", name, "--role", role];
    if let Some(party) = party {
        args.extend(["--party", party]);
    }
    let out = serialhub_env(&args, b"", &[NOW]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let key = stdout.lines().last().expect("a key line").to_owned();
    assert!(key.starts_with("shk_"), "{stdout}");
    key
}

impl Server {
    fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with(data, env, true)
    }

    /// `pin_now`: capture at `NOW` (deterministic recordTime), or on the real clock (what
    /// schedules and retry backoff need).
    fn start_with(data: &Path, env: &[(&str, &str)], pin_now: bool) -> Server {
        Server::start_args(data, env, pin_now, &[])
    }

    /// `start_with`, with more arguments to `serve` (`--config FILE`).
    fn start_args(data: &Path, env: &[(&str, &str)], pin_now: bool, more: &[&str]) -> Server {
        let pinned = if pin_now { vec![NOW] } else { Vec::new() };
        let mut child = Command::new(env!("CARGO_BIN_EXE_serialhub"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(more)
            .env_remove("SERIALHUB_NOW")
            .envs(pinned.into_iter().chain(env.iter().copied()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serialhub serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(value) = serde_json::from_str::<Value>(&line)
                        && value["msg"] == "listening"
                    {
                        let _ = addr_tx.send(value["addr"].as_str().unwrap_or_default().to_owned());
                    }
                    log.lock().expect("log lock").push(line);
                }
            });
        }
        let addr = addr_rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            panic!("the server did not say where it listens: {:?}", log.lock().expect("log"))
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server { child, base: format!("http://{addr}"), data: data.to_owned(), log, agent }
    }

    fn reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.body_mut().read_to_string().expect("a UTF-8 body");
        Reply { status, headers, body }
    }

    fn get(&self, path: &str, key: Option<&str>) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        Server::reply(request.call().expect("GET answers"))
    }

    fn get_with(&self, path: &str, key: &str, header: (&str, &str)) -> Reply {
        let request = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {key}"))
            .header(header.0, header.1);
        Server::reply(request.call().expect("GET answers"))
    }

    fn post(
        &self,
        path: &str,
        key: Option<&str>,
        content_type: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request =
            self.agent.post(format!("{}{path}", self.base)).header("Content-Type", content_type);
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Server::reply(request.send(body).expect("POST answers"))
    }

    fn delete(&self, path: &str, key: &str) -> Reply {
        let request = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {key}"));
        Server::reply(request.call().expect("DELETE answers"))
    }

    fn options(&self, path: &str) -> Reply {
        Server::reply(
            self.agent.options(format!("{}{path}", self.base)).call().expect("OPTIONS answers"),
        )
    }

    /// Captures `body` and waits for its job to finish; returns the finished job.
    fn capture(&self, key: &str, body: &[u8], behaviour: &str) -> Value {
        let content_type = if body.trim_ascii_start().starts_with(b"<") {
            "application/xml"
        } else {
            "application/ld+json"
        };
        let reply = self.post(
            "/epcis/capture",
            Some(key),
            content_type,
            body,
            &[("GS1-Capture-Error-Behaviour", behaviour)],
        );
        assert_eq!(reply.status, 202, "{}", reply.body);
        let location = reply.header("location").expect("a Location").to_owned();
        self.wait(&location, key)
    }

    fn wait(&self, location: &str, key: &str) -> Value {
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        loop {
            let job = self.get(location, Some(key));
            assert_eq!(job.status, 200, "{}", job.body);
            let job = job.json();
            if job["running"] == false {
                return job;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "job still running: {job}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET /api/outbox?perPage=100` once nothing is pending (within 120 s).
    fn drained_outbox(&self, admin: &str) -> Value {
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        loop {
            let reply = self.get("/api/outbox?perPage=100", Some(admin));
            assert_eq!(reply.status, 200, "{}", reply.body);
            let outbox = reply.json();
            if outbox["pending"] == 0 {
                return outbox;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "still pending: {outbox}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }
}

/// The audit trail once `ready` holds for it (its writer thread appends shortly after the
/// request), or after 10 s.
fn audit_once(data: &Path, ready: impl Fn(&str) -> bool) -> String {
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    loop {
        let audit = std::fs::read_to_string(data.join("audit.jsonl")).unwrap_or_default();
        if ready(&audit) || started.elapsed() > Duration::from_secs(10) {
            return audit;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn document(events: &[Value]) -> Vec<u8> {
    serde_json::json!({
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    })
    .to_string()
    .into_bytes()
}

fn sgtin(serial: u32) -> String {
    format!("urn:epc:id:sgtin:4012345.011111.{serial}")
}

/// Commissioning at party A's site (its SGLN as bizLocation).
fn commission(serials: &[u32], day: u32) -> Value {
    serde_json::json!({
        "type": "ObjectEvent",
        "eventTime": format!("2025-01-{day:02}T08:00:00Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00000.1"},
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
    })
}

/// Party A ships to party B.
fn ship_to_b(serials: &[u32], day: u32) -> Value {
    serde_json::json!({
        "type": "ObjectEvent",
        "eventTime": format!("2025-01-{day:02}T09:00:00Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
        "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}],
    })
}

/// Party B receives.
fn receive_at_b(serials: &[u32], day: u32) -> Value {
    serde_json::json!({
        "type": "ObjectEvent",
        "eventTime": format!("2025-01-{day:02}T10:00:00Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": "OBSERVE",
        "bizStep": "receiving",
        "disposition": "in_progress",
        "bizLocation": {"id": "urn:epc:id:sgln:4098765.00000.0"},
    })
}

fn event_list(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["type"], "EPCISQueryDocument", "{body}");
    body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap_or_else(|| panic!("no eventList: {body}"))
        .clone()
}

fn biz_steps(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["bizStep"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn capture_query_security_and_shutdown() {
    let dir = temp_dir("main");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    // The hub's own integration captures for every partner (no party of its own).
    let line = create_key(&data, "integration", "capture", None);
    let reader_a = create_key(&data, "brand owner", "query", Some(PARTY_A));
    let reader_b = create_key(&data, "wholesaler", "query", Some(PARTY_B));
    let server = Server::start(&data, &[]);

    // Health needs no key; everything else does.
    let health = server.get("/health", None);
    assert_eq!((health.status, health.json()["status"].clone()), (200, "ok".into()));
    assert_eq!(health.header("gs1-epcis-version"), Some("2.0.0"));
    assert!(health.header("x-request-id").is_some());
    let doc =
        document(&[commission(&[1, 2, 3], 1), ship_to_b(&[1, 2], 2), receive_at_b(&[1, 2], 3)]);
    server
        .post("/epcis/capture", None, "application/ld+json", &doc, &[])
        .problem(401, "epcisException:SecurityException");
    server
        .post(
            "/epcis/capture",
            Some("shk_0000000000000000_00000000000000000000000000000000"),
            "application/ld+json",
            &doc,
            &[],
        )
        .problem(401, "epcisException:SecurityException");
    server
        .post("/epcis/capture", Some(&reader_a), "application/ld+json", &doc, &[])
        .problem(403, "epcisException:SecurityException");
    server.get("/epcis/events", Some(&line)).problem(403, "epcisException:SecurityException");
    server
        .post("/epcis/capture", Some(&line), "text/plain", &doc, &[])
        .problem(415, "epcisException:ImplementationException");

    // Capture: 202, a job to poll, and the events stored with recordTime and an eventID.
    let job = server.capture(&line, &doc, "rollback");
    assert_eq!(
        (job["success"].clone(), job["stored"].clone(), job["events"].clone()),
        (true.into(), 3.into(), 3.into()),
        "{job}"
    );
    let all = event_list(&server.get("/epcis/events", Some(&admin)));
    assert_eq!(biz_steps(&all), ["commissioning", "shipping", "receiving"]);
    for event in &all {
        assert_eq!(event["recordTime"], "2025-06-01T00:00:00.000Z", "{event}");
        let id = event["eventID"].as_str().expect("an eventID");
        assert!(id.starts_with("ni:///sha-256;"), "{id}: the hash ID became the eventID");
    }
    // The same document again: every event a duplicate, nothing changes.
    let again = server.capture(&line, &doc, "rollback");
    assert_eq!(
        (again["stored"].clone(), again["duplicates"].clone()),
        (0.into(), 3.into()),
        "{again}"
    );
    assert_eq!(event_list(&server.get("/epcis/events", Some(&admin))).len(), 3);

    // Queries: by identifier (any spelling), by bizStep, paging with Link.
    let dl = "https://id.gs1.org/01/04012345111118/21/3";
    let by_dl =
        event_list(&server.get(&format!("/epcis/events?MATCH_epc={}", percent(dl)), Some(&admin)));
    assert_eq!(biz_steps(&by_dl), ["commissioning"], "unit 3 was only commissioned");
    let shipping =
        event_list(&server.get("/epcis/events?EQ_bizStep=shipping|receiving", Some(&admin)));
    assert_eq!(biz_steps(&shipping), ["shipping", "receiving"]);
    let mut path = "/epcis/events?perPage=1".to_owned();
    let mut paged = Vec::new();
    for _ in 0..10 {
        let reply = server.get(&path, Some(&admin));
        paged.extend(event_list(&reply));
        let Some(link) = reply.header("link") else { break };
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        path = link.trim_start_matches('<').split('>').next().expect("a link target").to_owned();
    }
    assert_eq!(paged, all, "three pages of one make the whole result");
    server
        .get("/epcis/events?EQ_bizStap=shipping", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    server
        .get("/epcis/events?perPage=1&nextPageToken=s1.0.0000000000000000", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    let xml =
        server.get_with("/epcis/events?EQ_bizStep=shipping", &admin, ("Accept", "application/xml"));
    assert_eq!((xml.status, xml.header("content-type")), (200, Some("application/xml")));
    assert!(
        xml.body.contains("<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"),
        "{}",
        xml.body
    );
    server
        .get_with("/epcis/events", &admin, ("Accept", "text/csv"))
        .problem(406, "epcisException:ImplementationException");

    // Per-partner visibility: B sees the shipment to it and its receipt, never A's
    // commissioning, through every route.
    let seen_by_b = event_list(&server.get("/epcis/events", Some(&reader_b)));
    assert_eq!(biz_steps(&seen_by_b), ["shipping", "receiving"]);
    let seen_by_a = event_list(&server.get("/epcis/events", Some(&reader_a)));
    assert_eq!(biz_steps(&seen_by_a), ["commissioning", "shipping"], "A's site and A as source");
    let commissioning_id = all[0]["eventID"].as_str().expect("an id");
    let by_id = format!("/epcis/events/{}", percent(commissioning_id));
    assert_eq!(event_list(&server.get(&by_id, Some(&admin))).len(), 1);
    assert_eq!(event_list(&server.get(&by_id, Some(&reader_a))).len(), 1);
    server.get(&by_id, Some(&reader_b)).problem(404, "epcisException:NoSuchResourceException");
    let unit_1 = format!("/epcis/epcs/{}/events", percent(&sgtin(1)));
    assert_eq!(
        biz_steps(&event_list(&server.get(&unit_1, Some(&reader_b)))),
        ["shipping", "receiving"]
    );
    assert!(
        event_list(&server.get("/epcis/bizSteps/commissioning/events", Some(&reader_b))).is_empty()
    );
    assert!(
        event_list(&server.get(
            &format!("/epcis/events?EQ_eventID={}", percent(commissioning_id)),
            Some(&reader_b)
        ))
        .is_empty()
    );

    // The ledger extensions: state in force, pedigree, contents, exceptions; partners see only
    // what names them.
    let unit_1_ledger = format!("/ledger/identifiers/{}", percent(&sgtin(1)));
    let state = server.get(&unit_1_ledger, Some(&admin));
    assert_eq!(state.status, 200, "{}", state.body);
    let state = state.json();
    assert_eq!(state["status"], "received", "{state}");
    assert_eq!(state["lot"], Value::Null);
    let by_element_string = server
        .get(&format!("/ledger/identifiers/{}", percent("(01)04012345111118(21)1")), Some(&admin));
    assert_eq!(by_element_string.json()["identifier"], state["identifier"], "any code form");
    let pedigree = server.get(&format!("{unit_1_ledger}/pedigree"), Some(&admin)).json();
    let steps: Vec<&str> = pedigree["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["bizStep"].as_str())
        .collect();
    assert_eq!(steps, ["commissioning", "shipping", "receiving"]);
    let pedigree_b = server.get(&format!("{unit_1_ledger}/pedigree"), Some(&reader_b)).json();
    assert_eq!(pedigree_b["steps"].as_array().map(Vec::len), Some(2), "B sees its two events");
    let unit_3_ledger = format!("/ledger/identifiers/{}", percent(&sgtin(3)));
    server
        .get(&unit_3_ledger, Some(&reader_b))
        .problem(404, "epcisException:NoSuchResourceException");
    assert_eq!(server.get(&unit_3_ledger, Some(&reader_a)).status, 200);
    assert_eq!(server.get(&format!("{unit_1_ledger}/contents"), Some(&admin)).json()["count"], 0);
    server
        .get("/ledger/identifiers/not%20a%20code", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    // Receiving unit 3, never shipped, at B: an F1 exception, visible to B (its receipt).
    let orphan = server.capture(&line, &document(&[receive_at_b(&[3], 4)]), "rollback");
    assert_eq!(orphan["exceptions"], 1, "{orphan}");
    let listed = server.get("/ledger/exceptions?type=F1", Some(&admin));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["code"], "receive_without_ship");
    let detail = server.get(
        &format!("/ledger/exceptions/{}", listed[0]["id"].as_str().expect("an id")),
        Some(&reader_b),
    );
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.json()["event"]["bizStep"], "receiving");
    assert_eq!(
        server.get("/ledger/exceptions", Some(&reader_a)).json(),
        serde_json::json!([]),
        "not A's event"
    );
    assert!(
        server.get("/ledger/exceptions?identifier=(01)04012345111118(21)3", Some(&admin)).json()[0]
            .is_object()
    );
    server
        .get("/ledger/exceptions?type=F13", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");

    // One event: 201 with its Location, then 409.
    let single = serde_json::to_vec(&commission(&[9], 4)).expect("json");
    let created = server.post("/epcis/events", Some(&line), "application/json", &single, &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.header("location").expect("a Location").to_owned();
    assert_eq!(biz_steps(&event_list(&server.get(&location, Some(&admin)))), ["commissioning"]);
    server
        .post("/epcis/events", Some(&line), "application/json", &single, &[])
        .problem(409, "epcisException:ValidationException");

    // An error declaration of the commissioning: its CBV hash is the declared event's, yet it
    // is stored beside it (not dropped as a duplicate), raises nothing, and both answer to the
    // eventID.
    let mut declaration = all[0].clone();
    declaration["errorDeclaration"] = serde_json::json!({
        "declarationTime": "2025-01-20T00:00:00Z", "reason": "incorrect_data"});
    declaration.as_object_mut().expect("an object").remove("recordTime");
    let declared = server.capture(&line, &document(&[declaration.clone()]), "rollback");
    assert_eq!(
        (declared["stored"].clone(), declared["exceptions"].clone()),
        (1.into(), 0.into()),
        "{declared}"
    );
    let again = server.capture(&line, &document(&[declaration]), "rollback");
    assert_eq!(again["duplicates"], 1, "the same declaration twice is a duplicate: {again}");
    let both = event_list(&server.get(&by_id, Some(&admin)));
    assert_eq!(both.len(), 2);
    assert!(both[1]["errorDeclaration"].is_object());
    let declarations =
        event_list(&server.get("/epcis/events?EXISTS_errorDeclaration=", Some(&admin)));
    assert_eq!(declarations.len(), 1);

    // An invalid event: rollback refuses the document, proceed stores the rest.
    let mut bad = commission(&[20], 5);
    bad["action"] = "SIDEWAYS".into();
    let mixed = document(&[commission(&[21], 5), bad]);
    let refused = server
        .post("/epcis/capture", Some(&line), "application/ld+json", &mixed, &[])
        .problem(400, "epcisException:ValidationException");
    assert!(
        refused["errors"][0].as_str().is_some_and(|e| e.starts_with("/epcisBody/eventList/1")),
        "{refused}"
    );
    let proceeded = server.capture(&line, &mixed, "proceed");
    assert_eq!(
        (proceeded["success"].clone(), proceeded["stored"].clone()),
        (false.into(), 1.into()),
        "{proceeded}"
    );
    assert!(
        proceeded["errors"][0].as_str().is_some_and(|e| e.contains("eventList/1")),
        "{proceeded}"
    );
    server
        .post("/epcis/capture", Some(&line), "application/json", b"{\"type\": ", &[])
        .problem(400, "epcisException:ValidationException");

    // The job list: the capture key sees its own jobs, paged.
    let jobs = server.get("/epcis/capture?perPage=2", Some(&line));
    assert_eq!(jobs.status, 200);
    assert_eq!(jobs.json().as_array().map(Vec::len), Some(2));
    assert!(jobs.header("link").is_some_and(|l| l.contains("nextPageToken=")));

    // Vocabularies, event types, and version negotiation.
    let steps = server.get("/epcis/bizSteps", Some(&admin)).json();
    assert!(steps.as_array().is_some_and(|s| s.iter().any(|v| v == "shipping")), "{steps}");
    let dispositions = server.get("/epcis/dispositions", Some(&admin)).json();
    assert!(dispositions.as_array().is_some_and(|s| s.iter().any(|v| v == "in_transit")));
    assert_eq!(server.get("/epcis/eventTypes/ObjectEvent", Some(&admin)).status, 200);
    server
        .get("/epcis/eventTypes/Nothing", Some(&admin))
        .problem(404, "epcisException:NoSuchResourceException");
    server
        .get_with("/epcis/events", &admin, ("GS1-EPCIS-Version", "1.2"))
        .problem(406, "epcisException:ImplementationException");
    server
        .get_with("/epcis/events", &admin, ("GS1-EPCIS-Min", "2.1"))
        .problem(406, "epcisException:ImplementationException");
    assert_eq!(
        server.get_with("/epcis/events", &admin, ("GS1-EPCIS-Version", "2.0.0")).status,
        200
    );

    // Discovery, metrics, unknown routes.
    let discovery = server.options("/epcis/capture");
    assert_eq!(discovery.status, 204);
    assert_eq!(discovery.header("gs1-capture-error-behaviour"), Some("all"));
    assert_eq!(discovery.header("gs1-epcis-capture-limit"), Some("100000"));
    let metrics = server.get("/metrics", Some(&admin));
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("serialhub_events_captured_total 7"), "{}", metrics.body);
    assert!(metrics.body.contains("route=\"/epcis/events\",status=\"200\""), "{}", metrics.body);
    server.get("/metrics", Some(&reader_a)).problem(403, "epcisException:SecurityException");
    server.get("/nowhere", Some(&admin)).problem(404, "epcisException:NoSuchResourceException");
    let openapi = server.get("/epcis/openapi.json", None);
    assert_eq!(openapi.status, 200);
    assert!(openapi.json()["paths"]["/epcis/capture"].is_object());

    // Logs are JSON lines with request IDs; the audit trail has the writes and the denials.
    let logs = server.log_lines();
    assert!(logs.iter().any(|l| l.contains("\"msg\":\"request\"") && l.contains("\"request_id\"")));
    let audit = audit_once(&data, |a| a.contains("\"outcome\":\"denied\""));
    assert!(audit.lines().any(|l| l.contains("\"action\":\"capture\"") && l.contains("\"outcome\":\"accepted\"")));
    assert!(audit.lines().any(|l| l.contains("\"outcome\":\"denied\"")));
    assert!(!audit.contains(&line[21..]), "no secret in the audit trail");

    // A partner's key captures only events naming its party: commissioning at another
    // party's site is refused, so that a partner can neither move nor peek at others' goods.
    let line_b = create_key(&data, "wholesaler line", "capture", Some(PARTY_B));
    std::thread::sleep(Duration::from_millis(1100)); // the key file is re-read at most once a second
    let mut elsewhere = commission(&[40], 7);
    elsewhere["bizLocation"] = serde_json::json!({"id": "urn:epc:id:sgln:4055555.00000.0"});
    elsewhere["readPoint"] = serde_json::json!({"id": "urn:epc:id:sgln:4055555.00000.1"});
    let refused = server
        .post("/epcis/capture", Some(&line_b), "application/ld+json", &document(&[elsewhere]), &[])
        .problem(400, "epcisException:ValidationException");
    assert!(
        refused["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("names party 4098765000003 nowhere")),
        "{refused}"
    );
    let unit_40 = format!("/epcis/events?MATCH_epc={}", percent(&sgtin(40)));
    assert!(event_list(&server.get(&unit_40, Some(&admin))).is_empty(), "nothing was stored");

    // Subscriptions may not reach the server's own network (SSRF) unless the operator allows.
    let definition =
        serde_json::to_vec(&serde_json::json!({"name": "all", "query": {}})).expect("json");
    assert_eq!(
        server.post("/epcis/queries", Some(&admin), "application/json", &definition, &[]).status,
        201
    );
    for dest in ["http://127.0.0.1:9/hook", "https://169.254.169.254/latest", "https://localhost/x"]
    {
        let request =
            serde_json::to_vec(&serde_json::json!({"dest": dest, "stream": true})).expect("json");
        server
            .post(
                "/epcis/queries/all/subscriptions",
                Some(&admin),
                "application/json",
                &request,
                &[],
            )
            .problem(400, "epcisException:ValidationException");
    }

    // Graceful shutdown: a job accepted just before SIGTERM is still captured.
    let late = document(&[commission(&[30, 31], 6)]);
    let accepted = server.post("/epcis/capture", Some(&line), "application/ld+json", &late, &[]);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let mut server = server;
    let status = server.child.wait().expect("the server exits");
    assert!(status.success(), "{status:?}");
    let data_arg = server.data.to_str().expect("utf-8").to_owned();
    drop(server);
    let shown = serialhub_env(&["serial", "show", "--data", &data_arg, &sgtin(31)], b"", &[NOW]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("commissioned"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn limits_are_advertised_and_enforced() {
    let dir = temp_dir("limits");
    let data = dir.join("data");
    let line = create_key(&data, "line", "capture", None);
    let server = Server::start(
        &data,
        &[
            ("SERIALHUB_LIMITS__CAPTURE_BYTES_MAX", "2000"),
            ("SERIALHUB_LIMITS__CAPTURE_EVENTS_MAX", "2"),
        ],
    );
    let three = document(&[commission(&[1], 1), commission(&[2], 1), commission(&[3], 1)]);
    let over_count = server.post("/epcis/capture", Some(&line), "application/ld+json", &three, &[]);
    over_count.problem(413, "epcisException:CaptureLimitExceededException");
    assert_eq!(over_count.header("gs1-epcis-capture-limit"), Some("2"));
    let big = document(&[commission(&(1..200).collect::<Vec<_>>(), 1)]);
    let over_size = server.post("/epcis/capture", Some(&line), "application/ld+json", &big, &[]);
    over_size.problem(413, "epcisException:CaptureLimitExceededException");
    assert_eq!(over_size.header("gs1-epcis-capture-file-size-limit"), Some("2000"));
    let two = document(&[commission(&[1], 1), commission(&[2], 1)]);
    assert_eq!(server.capture(&line, &two, "rollback")["stored"], 2);
    drop(server);

    // Requests per client address: bursts of twice the rate, then 429 with Retry-After, on the
    // public endpoints too.
    let limited = Server::start(&data, &[("SERIALHUB_LIMITS__REQUESTS_PER_SECOND", "5")]);
    let statuses: Vec<u16> = (0..30).map(|_| limited.get("/health", None).status).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!((10..=12).contains(&ok), "a burst of 10 (and a refill or two): {statuses:?}");
    let refused = limited.get("/health", None);
    refused.problem(429, "epcisException:ImplementationException");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every EPCIS 2.0 JSON-LD and XML example in `../shared/ref` is captured over HTTP, and each
/// stored event reads back with the same event hash.
#[test]
fn every_reference_example_reads_back_with_equal_hashes() {
    let dir = temp_dir("examples");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let server = Server::start(&data, &[]);
    let mut files = Vec::new();
    for folder in [
        "gs1-epcis/JSON",
        "gs1-epcis/XML",
        "openepcis-test-resources/core/src/main/resources/2.0/EPCIS",
        "epcis-event-hash-generator/tests/examples",
    ] {
        walk(&Path::new(SHARED).join(folder), &mut files);
    }
    files.sort();
    let (mut documents, mut events_read_back) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(file).expect("readable");
        // `ignoreFields` is the hash generator's document-level instruction to leave fields out
        // of the hash: an event read back outside its document hashes in full, as it should.
        if String::from_utf8_lossy(&bytes).contains("ignoreFields") {
            continue;
        }
        let hashes = serialhub(&["epcis", "hash", file.to_str().expect("utf-8")], b"");
        if !hashes.status.success() {
            continue; // not an event document (a query definition, a bare event)
        }
        let hashes: Vec<String> =
            String::from_utf8(hashes.stdout).expect("utf-8").lines().map(str::to_owned).collect();
        let content_type = if bytes.trim_ascii_start().starts_with(b"<") {
            "application/xml"
        } else {
            "application/ld+json"
        };
        let reply = server.post(
            "/epcis/capture",
            Some(&admin),
            content_type,
            &bytes,
            &[("GS1-Capture-Error-Behaviour", "proceed")],
        );
        if reply.status == 400 {
            continue; // the document as a whole is not valid EPCIS 2.0 (our validator says why)
        }
        assert_eq!(reply.status, 202, "{}: {}", file.display(), reply.body);
        let job = server.wait(reply.header("location").expect("a Location"), &admin);
        let valid = job["stored"].as_u64().unwrap_or(0) + job["duplicates"].as_u64().unwrap_or(0);
        documents += 1;
        let mut found = 0;
        for hash in &hashes {
            let reply = server.get(&format!("/epcis/events/{}", percent(hash)), Some(&admin));
            if reply.status == 404 {
                continue;
            }
            let rehashed = serialhub(&["epcis", "hash", "-"], reply.body.as_bytes());
            assert!(rehashed.status.success(), "{}: {}", file.display(), reply.body);
            let rehashed = String::from_utf8(rehashed.stdout).expect("utf-8");
            assert!(
                rehashed.lines().any(|h| h == hash),
                "{}: {hash} read back as {rehashed}",
                file.display()
            );
            found += 1;
        }
        // At least every valid event; an invalid one may share its hash with an event another
        // example stored (the same event in another serialisation).
        assert!(
            found as u64 >= valid,
            "{}: {found} of {valid} valid events read back ({job})",
            file.display()
        );
        events_read_back += found;
    }
    assert!(documents >= 100, "only {documents} documents captured");
    assert!(events_read_back >= 300, "only {events_read_back} events read back");

    // The examples' master data was stored (`XML/Mimasu/Example-masterData.xml` describes a
    // site 0037000.00729.0 holding 8201 to 8203): an event at 8203 is found through it.
    let event = serde_json::json!({
        "type": "ObjectEvent", "eventTime": "2025-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": [sgtin(900)], "action": "OBSERVE", "bizStep": "inspecting",
        "bizLocation": {"id": "urn:epc:id:sgln:0037000.00729.8203"},
    });
    let job = server.capture(&admin, &document(&[event]), "rollback");
    assert_eq!(job["stored"], 1, "{job}");
    // The examples' own events within the site are found too.
    let site = |n: &str| format!("urn:epc:id:sgln:0037000.00729.{n}");
    for (query, within) in [
        ("WD_bizLocation=urn:epc:id:sgln:0037000.00729.0", vec!["0", "8201", "8202", "8203"]),
        ("EQ_ATTR_bizLocation_urn:epcglobal:cbv:mda:ssa=402", vec!["8203"]),
        ("HASATTR_bizLocation=cbvmda:sst", vec!["0", "8201", "8202", "8203"]),
    ] {
        let found = event_list(&server.get(&format!("/epcis/events?{query}"), Some(&admin)));
        assert!(biz_steps(&found).contains(&"inspecting".to_owned()), "{query}");
        let within: Vec<String> = within.iter().map(|n| site(n)).collect();
        for event in &found {
            let at = event["bizLocation"]["id"].as_str().unwrap_or_default().to_owned();
            assert!(within.contains(&at), "{query}: {event}");
        }
    }
    let wide = event_list(
        &server.get("/epcis/events?WD_bizLocation=urn:epc:id:sgln:0037000.00729.0", Some(&admin)),
    );
    assert!(wide.len() > 1, "the examples' events within the site: {wide:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "Invalid" && n != "CaptureJob") {
                walk(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "json" || e == "jsonld" || e == "xml") {
            out.push(path);
        }
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One request a subscriber answered 200: its path, its `GS1-Signature`, its body.
type Delivery = (String, Option<String>, String);

/// A subscriber's webhook endpoint: answers 200 while `up`, 503 otherwise, and keeps every
/// request it answered 200 (path, `GS1-Signature`, body) and a count of those it refused.
struct Receiver {
    port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    accepted: Arc<Mutex<Vec<Delivery>>>,
    refused: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    fn start() -> Receiver {
        use std::io::{Read as _, Write as _};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let up = Arc::new(AtomicBool::new(true));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let (up2, accepted2, refused2) = (up.clone(), accepted.clone(), refused.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (up, accepted, refused) = (up2.clone(), accepted2.clone(), refused2.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
                    let mut writer = stream;
                    // Several requests per connection (keep-alive), until it closes.
                    loop {
                        let mut request_line = String::new();
                        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                            return;
                        }
                        let path = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
                        let (mut length, mut signature) = (0usize, None);
                        loop {
                            let mut line = String::new();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let line = line.trim_end();
                            if line.is_empty() {
                                break;
                            }
                            let (name, value) = line.split_once(':').unwrap_or((line, ""));
                            match name.to_ascii_lowercase().as_str() {
                                "content-length" => length = value.trim().parse().unwrap_or(0),
                                "gs1-signature" => signature = Some(value.trim().to_owned()),
                                _ => {}
                            }
                        }
                        let mut body = vec![0u8; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        let status = if up.load(Ordering::SeqCst) {
                            let body = String::from_utf8_lossy(&body).into_owned();
                            accepted.lock().expect("lock").push((path, signature, body));
                            "200 OK"
                        } else {
                            refused.fetch_add(1, Ordering::SeqCst);
                            "503 Service Unavailable"
                        };
                        let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                        if writer.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Receiver { port, up, accepted, refused }
    }

    /// The events delivered to `path` so far, in delivery order, with each delivery's
    /// signature and body checked.
    fn events(&self, path: &str, secret: Option<&str>) -> Vec<Value> {
        let accepted = self.accepted.lock().expect("lock").clone();
        let mut events = Vec::new();
        for (at, signature, body) in accepted.iter().filter(|(p, _, _)| p == path) {
            let _ = at;
            if let Some(secret) = secret {
                let expected = hmac_sha256_hex(secret.as_bytes(), body.as_bytes());
                assert_eq!(signature.as_deref(), Some(format!("sha256={expected}").as_str()));
            }
            let document: Value = serde_json::from_str(body).expect("a JSON delivery");
            assert_eq!(document["type"], "EPCISQueryDocument");
            assert!(document["epcisBody"]["queryResults"]["subscriptionID"].is_string());
            events.extend(
                document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        events
    }

    /// Waits until `path` has received events satisfying `done`.
    fn wait_for(
        &self,
        path: &str,
        secret: Option<&str>,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        loop {
            let events = self.events(path, secret);
            if done(&events) {
                return events;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{path} got only {events:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// HMAC-SHA256 (RFC 2104) over SHA-256, written out so the test checks the server's signature
/// with code of its own.
fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; k=bytes.fromhex(sys.argv[1]); m=sys.stdin.buffer.read(); print(hmac.new(k,m,hashlib.sha256).hexdigest())",
            &key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(message)?;
            child.wait_with_output()
        })
        .expect("python3 runs");
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// Party C, neither A nor B.
fn ship_to_c(serials: &[u32], day: u32) -> Value {
    let mut event = ship_to_b(serials, day);
    event["destinationList"] = serde_json::json!([{"type": "owning_party", "destination": "urn:epc:id:pgln:4055555.00000"}]);
    event
}

#[test]
fn named_queries_and_subscriptions_deliver_at_least_once_across_an_outage() {
    use std::sync::atomic::Ordering;
    let dir = temp_dir("subscriptions");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let line = create_key(&data, "line", "capture", None);
    let reader_b = create_key(&data, "wholesaler", "query", Some(PARTY_B));
    // The receiver listens on loopback, which subscriptions may reach only when allowed.
    let server = Server::start_with(
        &data,
        &[("SERIALHUB_LIMITS__ALLOW_PRIVATE_DESTINATIONS", "true")],
        false,
    );
    let receiver = Receiver::start();

    // Named queries: create, conflict, read, run, bad definitions.
    let definition = serde_json::json!({"name": "movements", "query": {"EQ_bizStep": ["shipping", "receiving"]}});
    let body = serde_json::to_vec(&definition).expect("json");
    let created = server.post("/epcis/queries", Some(&admin), "application/json", &body, &[]);
    assert_eq!(
        (created.status, created.header("location")),
        (201, Some("/epcis/queries/movements")),
        "{}",
        created.body
    );
    server
        .post("/epcis/queries", Some(&admin), "application/json", &body, &[])
        .problem(409, "epcisException:ValidationException");
    assert_eq!(
        server.get("/epcis/queries/movements", Some(&reader_b)).json()["query"],
        definition["query"]
    );
    let bad = serde_json::to_vec(&serde_json::json!({"name": "bad", "query": {"EQ_bizStap": "x"}}))
        .expect("json");
    server
        .post("/epcis/queries", Some(&admin), "application/json", &bad, &[])
        .problem(400, "epcisException:QueryParameterException");
    server
        .get("/epcis/queries/nothing", Some(&admin))
        .problem(404, "epcisException:NoSuchResourceException");

    // Two stream subscriptions: the admin's (signed) and partner B's (sees only what names B).
    let hook = format!("http://127.0.0.1:{}/hook", receiver.port);
    let hook_b = format!("http://127.0.0.1:{}/hook-b", receiver.port);
    let subscribe = |key: &str, request: Value| {
        let reply = server.post(
            "/epcis/queries/movements/subscriptions",
            Some(key),
            "application/json",
            &serde_json::to_vec(&request).expect("json"),
            &[],
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert!(!reply.body.contains("s3cret"), "the secret is never shown");
        reply.header("location").expect("a Location").to_owned()
    };
    let admin_subscription = subscribe(
        &admin,
        serde_json::json!({"dest": hook, "signatureToken": "s3cret", "stream": true}),
    );
    subscribe(&reader_b, serde_json::json!({"dest": hook_b, "stream": true}));
    server
        .post(
            "/epcis/queries/movements/subscriptions",
            Some(&admin),
            "application/json",
            br#"{"dest": "ftp://x"}"#,
            &[],
        )
        .problem(400, "epcisException:ValidationException");

    // Delivered as captured.
    server.capture(&line, &document(&[commission(&[1, 2], 1), ship_to_b(&[1, 2], 2)]), "rollback");
    receiver.wait_for("/hook", Some("s3cret"), |e| e.len() == 1);

    // The subscriber goes down; captures go on; nothing is acknowledged.
    receiver.up.store(false, Ordering::SeqCst);
    server.capture(&line, &document(&[receive_at_b(&[1, 2], 3)]), "rollback");
    server.capture(&line, &document(&[commission(&[5], 4), ship_to_c(&[5], 5)]), "rollback");
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    while receiver.refused.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "no delivery was attempted");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        receiver.events("/hook", Some("s3cret")).len(),
        1,
        "nothing new acknowledged while down"
    );

    // Back up: everything since the last acknowledgement arrives, in capture order, none lost.
    receiver.up.store(true, Ordering::SeqCst);
    let events = receiver.wait_for("/hook", Some("s3cret"), |e| e.len() >= 3);
    let steps: Vec<&str> = events.iter().filter_map(|e| e["bizStep"].as_str()).collect();
    assert_eq!(steps, ["shipping", "receiving", "shipping"]);
    assert_eq!(events[2]["destinationList"][0]["destination"], "urn:epc:id:pgln:4055555.00000");
    let seen_by_b = receiver.wait_for("/hook-b", None, |e| e.len() >= 2);
    let steps_b: Vec<&str> = seen_by_b.iter().filter_map(|e| e["bizStep"].as_str()).collect();
    assert_eq!(steps_b, ["shipping", "receiving"], "B never gets the shipment to C");

    // The subscription's state; then it goes.
    let state = server.get(&admin_subscription, Some(&admin)).json();
    assert_eq!(state["stream"], true);
    assert!(state["lastNotifiedAt"].is_string(), "{state}");
    server
        .get(&admin_subscription, Some(&reader_b))
        .problem(404, "epcisException:NoSuchResourceException");
    assert_eq!(server.delete(&admin_subscription, &admin).status, 204);
    server
        .get(&admin_subscription, Some(&admin))
        .problem(404, "epcisException:NoSuchResourceException");

    // A schedule that fires every second, reporting even when empty.
    let scheduled = serde_json::json!({"dest": format!("http://127.0.0.1:{}/tick", receiver.port),
        "schedule": {"second": "0-59", "minute": "0-59"}, "reportIfEmpty": true});
    subscribe(&admin, scheduled);
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    while receiver.accepted.lock().expect("lock").iter().filter(|(p, _, _)| p == "/tick").count()
        < 2
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the schedule did not fire");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(receiver.events("/tick", None).is_empty(), "empty reports: nothing new since");

    // A WebSocket stream of the named query: one document per capture with matching events.
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/epcis/queries/movements/events",
        server.base.trim_start_matches("http://")
    ))
    .expect("a request");
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {admin}").parse().expect("a header value"));
    let (mut socket, handshake) = tungstenite::connect(request).expect("the stream opens");
    assert_eq!(handshake.status().as_u16(), 101);
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_mut() {
        tcp.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
    }
    server.capture(&line, &document(&[commission(&[60], 8), ship_to_c(&[60], 9)]), "rollback");
    let message = loop {
        match socket.read().expect("a message within 30 s") {
            tungstenite::Message::Text(text) => break text.to_string(),
            _ => continue,
        }
    };
    let streamed: Value = serde_json::from_str(&message).expect("JSON");
    let streamed = streamed["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone();
    assert_eq!(biz_steps(streamed.as_array().expect("events")), ["shipping"], "{streamed}");
    let _ = socket.close(None);

    // The named query runs on demand too, paged, and deleting it takes its subscriptions.
    let run = event_list(&server.get("/epcis/queries/movements/events?perPage=2", Some(&admin)));
    assert_eq!(biz_steps(&run), ["shipping", "receiving"]);
    assert_eq!(server.delete("/epcis/queries/movements", &reader_b).status, 403, "not B's query");
    assert_eq!(server.delete("/epcis/queries/movements", &admin).status, 204);
    assert!(
        server.get("/epcis/queries", Some(&admin)).json().as_array().is_some_and(Vec::is_empty)
    );
    let registry = std::fs::read_to_string(data.join("queries.json")).expect("the registry file");
    assert!(registry.contains("\"subscriptions\":[]"), "{registry}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An HS256 JWT of `claims` under `secret`, made by Python's standard library (code of the
/// test's own, not the server's).
fn hs256_token(secret: &str, claims: &Value) -> String {
    let script = "import base64,hmac,hashlib,sys\n\
        b=lambda x: base64.urlsafe_b64encode(x).rstrip(b'=').decode()\n\
        s=b(b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}')+'.'+b(sys.argv[2].encode())\n\
        print(s+'.'+b(hmac.new(sys.argv[1].encode(),s.encode(),hashlib.sha256).digest()))";
    let out = Command::new("python3")
        .args(["-c", script, secret, &claims.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

#[test]
fn jwt_bearer_tokens_authenticate_with_roles_and_parties() {
    let dir = temp_dir("jwt");
    let data = dir.join("data");
    let line = create_key(&data, "line", "capture", None);
    let jwks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../http/testdata/jwks.json");
    let secret = "0123456789abcdef0123456789abcdef";
    let server = Server::start(
        &data,
        &[
            ("SERIALHUB_JWT__JWKS_FILE", jwks.to_str().expect("utf-8")),
            ("SERIALHUB_JWT__ISSUER", "https://idp.example.com"),
            ("SERIALHUB_JWT__AUDIENCE", "serialhub"),
            ("SERIALHUB_JWT__HS256_SECRET", secret),
        ],
    );
    let doc = document(&[commission(&[1], 1), ship_to_b(&[1], 2), receive_at_b(&[1], 3)]);
    server.capture(&line, &doc, "rollback");

    // RS256 from the provider's JWKS: a query role for partner B.
    let rs256 = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../http/testdata/rs256-query-party-b.jwt"),
    )
    .expect("the token");
    let rs256 = rs256.trim();
    let seen = event_list(&server.get("/epcis/events", Some(rs256)));
    assert_eq!(biz_steps(&seen), ["shipping", "receiving"], "partner B's view");
    server
        .post("/epcis/capture", Some(rs256), "application/ld+json", &doc, &[])
        .problem(403, "epcisException:SecurityException");

    // HS256 from the shared secret: an admin sees everything.
    let claims = serde_json::json!({"sub": "ops", "role": "admin", "iss": "https://idp.example.com",
        "aud": "serialhub", "exp": 1_900_000_000});
    let admin = hs256_token(secret, &claims);
    assert_eq!(event_list(&server.get("/epcis/events", Some(&admin))).len(), 3);

    // Refused: another secret, another audience, expired (SERIALHUB_NOW is 2025-06-01).
    let refused = [
        hs256_token("another secret, long enough to be one", &claims),
        hs256_token(
            secret,
            &serde_json::json!({"sub": "ops", "role": "admin", "iss": "https://idp.example.com", "aud": "other", "exp": 1_900_000_000}),
        ),
        hs256_token(
            secret,
            &serde_json::json!({"sub": "ops", "role": "admin", "iss": "https://idp.example.com", "aud": "serialhub", "exp": 1_700_000_000}),
        ),
    ];
    for token in &refused {
        let body = server
            .get("/epcis/events", Some(token))
            .problem(401, "epcisException:SecurityException");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("not valid")), "{body}");
    }
    let audit = audit_once(&data, |a| a.contains("the audience is not serialhub"));
    assert!(audit.contains("the audience is not serialhub"), "{audit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An event with an explicit eventID, at a location, with optional source and destination
/// parties (company prefixes of pgln URIs).
fn located(
    id: &str,
    step: &str,
    serials: &[u32],
    site: &str,
    from: Option<&str>,
    to: Option<&str>,
    day: u32,
) -> Value {
    let mut event = serde_json::json!({
        "type": "ObjectEvent",
        "eventID": id,
        "eventTime": format!("2025-02-{day:02}T08:00:00Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": serials.iter().map(|s| sgtin(*s)).collect::<Vec<_>>(),
        "action": if step == "commissioning" { "ADD" } else { "OBSERVE" },
        "bizStep": step,
        "readPoint": {"id": format!("urn:epc:id:sgln:{site}.00000.1")},
        "bizLocation": {"id": format!("urn:epc:id:sgln:{site}.00000.0")},
    });
    if let Some(from) = from {
        event["sourceList"] = serde_json::json!([{"type": "owning_party", "source": format!("urn:epc:id:pgln:{from}.00000")}]);
    }
    if let Some(to) = to {
        event["destinationList"] = serde_json::json!([{"type": "owning_party", "destination": format!("urn:epc:id:pgln:{to}.00000")}]);
    }
    event
}

/// The eventIDs of a query document's events.
fn ids(reply: &Reply) -> Vec<String> {
    event_list(reply).iter().map(|e| e["eventID"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn partners_never_see_each_others_events_through_any_route() {
    let dir = temp_dir("isolation");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let capture_a = create_key(&data, "a line", "capture", Some(PARTY_A));
    let capture_b = create_key(&data, "b warehouse", "capture", Some(PARTY_B));
    let capture_ops = create_key(&data, "integration", "capture", None);
    let query_a = create_key(&data, "a", "query", Some(PARTY_A));
    let query_b = create_key(&data, "b", "query", Some(PARTY_B));
    let server = Server::start(&data, &[]);
    let (a, b, c) = ("4012345", "4098765", "4055555");
    let captures = [
        (&capture_a, located("urn:test:e1", "commissioning", &[1, 2, 3], a, None, None, 1)),
        (&capture_a, located("urn:test:e2", "shipping", &[1, 2], a, Some(a), Some(b), 2)),
        (&capture_b, located("urn:test:e3", "receiving", &[1, 2], b, None, None, 3)),
        (&capture_b, located("urn:test:e4", "shipping", &[1], b, Some(b), Some(c), 4)),
        (&capture_a, located("urn:test:e5", "commissioning", &[10], a, None, None, 5)),
        (&capture_ops, located("urn:test:e6", "commissioning", &[20], c, None, None, 6)),
        (&capture_ops, located("urn:test:e7", "receiving", &[1], c, None, None, 7)),
    ];
    for (key, event) in &captures {
        server.capture(key, &document(std::slice::from_ref(event)), "proceed");
    }
    // B's key cannot record an event that names B nowhere.
    let foreign = located("urn:test:e8", "commissioning", &[30], c, None, None, 8);
    let refused = server.capture(&capture_b, &document(&[foreign]), "proceed");
    assert_eq!(
        (refused["success"].clone(), refused["stored"].clone()),
        (false.into(), 0.into()),
        "{refused}"
    );
    let everything: Vec<String> = (1..=7).map(|n| format!("urn:test:e{n}")).collect();
    assert_eq!(ids(&server.get("/epcis/events", Some(&admin))), everything);

    let expected = [
        (&query_a, vec!["urn:test:e1", "urn:test:e2", "urn:test:e5"]),
        (&query_b, vec!["urn:test:e2", "urn:test:e3", "urn:test:e4"]),
    ];
    let units = [1, 2, 3, 10, 20];
    let sites = [a, b, c];
    for (key, visible) in &expected {
        let allowed = |got: &[String], route: &str| {
            for id in got {
                assert!(
                    visible.contains(&id.as_str()),
                    "{route} showed {id} to a partner who may not see it"
                );
            }
        };
        let mut seen: std::collections::BTreeSet<String> = Default::default();
        let mut routes: Vec<String> = vec![
            "/epcis/events".to_owned(),
            "/epcis/events?eventType=ObjectEvent".to_owned(),
            "/epcis/events?EQ_bizStep=commissioning|shipping|receiving".to_owned(),
            "/epcis/events?orderBy=eventTime&orderDirection=ASC".to_owned(),
            "/epcis/events?EXISTS_errorDeclaration=false".to_owned(),
            "/epcis/eventTypes/ObjectEvent/events".to_owned(),
        ];
        for unit in units {
            let epc = percent(&sgtin(unit));
            routes.push(format!("/epcis/events?MATCH_epc={epc}"));
            routes.push(format!("/epcis/events?MATCH_anyEPC={epc}"));
            routes.push(format!("/epcis/epcs/{epc}/events"));
        }
        for site in sites {
            let location = percent(&format!("urn:epc:id:sgln:{site}.00000.0"));
            let point = percent(&format!("urn:epc:id:sgln:{site}.00000.1"));
            let party = percent(&format!("urn:epc:id:pgln:{site}.00000"));
            routes.push(format!("/epcis/events?EQ_bizLocation={location}"));
            routes.push(format!("/epcis/bizLocations/{location}/events"));
            routes.push(format!("/epcis/readPoints/{point}/events"));
            routes.push(format!("/epcis/events?EQ_source_owning_party={party}"));
            routes.push(format!("/epcis/events?EQ_destination_owning_party={party}"));
        }
        for step in ["commissioning", "shipping", "receiving"] {
            routes.push(format!("/epcis/bizSteps/{step}/events"));
        }
        for id in &everything {
            routes.push(format!("/epcis/events?EQ_eventID={}", percent(id)));
        }
        for route in &routes {
            let got = ids(&server.get(route, Some(key)));
            allowed(&got, route);
            seen.extend(got);
        }
        // Paging one event at a time, following the Link header.
        let mut path = "/epcis/events?perPage=1".to_owned();
        for _ in 0..20 {
            let reply = server.get(&path, Some(key));
            let got = ids(&reply);
            allowed(&got, &path);
            let Some(link) = reply.header("link") else { break };
            path = link.trim_start_matches('<').split('>').next().expect("a target").to_owned();
        }
        // One by one: visible ones answer, the others are absent.
        for id in &everything {
            let reply = server.get(&format!("/epcis/events/{}", percent(id)), Some(key));
            if visible.contains(&id.as_str()) {
                assert_eq!(ids(&reply), std::slice::from_ref(id));
            } else {
                reply.problem(404, "epcisException:NoSuchResourceException");
            }
        }
        // The ledger routes.
        for unit in units {
            let reply = server
                .get(&format!("/ledger/identifiers/{}/pedigree", percent(&sgtin(unit))), Some(key));
            if reply.status == 200 {
                let steps = reply.json()["steps"].as_array().cloned().unwrap_or_default();
                let got: Vec<String> = steps
                    .iter()
                    .map(|s| s["eventID"].as_str().unwrap_or_default().to_owned())
                    .collect();
                allowed(&got, "pedigree");
            } else {
                assert_eq!(reply.status, 404, "{}", reply.body);
            }
        }
        for exception in server
            .get("/ledger/exceptions", Some(key))
            .json()
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let raised_by = exception["eventIDs"]
                .as_array()
                .and_then(|ids| ids.last())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            allowed(&[raised_by], "exceptions");
        }
        let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
        assert_eq!(seen, *visible, "the partner sees all of its own");
    }

    // A named query belongs to its partner: the other neither lists, reads, runs nor
    // subscribes to it (answered as absent); the hub's operators see it.
    let definition = br#"{"name": "a-products", "query": {"MATCH_epcClass": ["urn:epc:idpat:sgtin:4012345.011111.*"]}}"#;
    let created =
        server.post("/epcis/queries", Some(&query_a), "application/json", definition, &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    let names = |key: &str| -> Vec<Value> {
        let reply = server.get("/epcis/queries", Some(key));
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json().as_array().expect("a list").iter().map(|q| q["name"].clone()).collect()
    };
    assert_eq!(names(&query_a), ["a-products"]);
    assert!(names(&query_b).is_empty(), "B does not list A's query");
    assert_eq!(names(&admin), ["a-products"]);
    for path in [
        "/epcis/queries/a-products",
        "/epcis/queries/a-products/events",
        "/epcis/queries/a-products/subscriptions",
    ] {
        server.get(path, Some(&query_b)).problem(404, "epcisException:NoSuchResourceException");
        assert_eq!(server.get(path, Some(&query_a)).status, 200, "{path}");
    }
    let hook = br#"{"dest": "https://hooks.example.com/b", "stream": true}"#;
    server
        .post(
            "/epcis/queries/a-products/subscriptions",
            Some(&query_b),
            "application/json",
            hook,
            &[],
        )
        .problem(404, "epcisException:NoSuchResourceException");
    server
        .delete("/epcis/queries/a-products", &query_b)
        .problem(404, "epcisException:NoSuchResourceException");
    assert_eq!(server.delete("/epcis/queries/a-products", &query_a).status, 204);

    // The top-level lists and sub-resources: B lists only the units it handled (1, 2) and its
    // own sites; A's unit 3 and 10 and C's 20 are absent from its lists and as resources.
    // `sgtin(n)` as the canonical Digital Link identifiers are listed in.
    let unit = |serial: u32| format!("https://id.gs1.org/01/04012345111118/21/{serial}");
    let listed = |key: &str, path: &str| -> Vec<String> {
        let reply = server.get(&format!("{path}?perPage=1000"), Some(key));
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_value(reply.json()).expect("an array of strings")
    };
    let mut b_units = listed(&query_b, "/epcis/epcs");
    b_units.sort();
    assert_eq!(b_units, [unit(1), unit(2)]);
    let mut a_units = listed(&query_a, "/epcis/epcs");
    a_units.sort();
    assert_eq!(a_units, [unit(1), unit(10), unit(2), unit(3)], "in text order");
    for (key, own) in [(&query_a, a), (&query_b, b)] {
        for path in ["/epcis/bizLocations", "/epcis/readPoints"] {
            let sites = listed(key, path);
            assert!(
                !sites.is_empty() && sites.iter().all(|s| s.contains(own)),
                "{path}: {sites:?}"
            );
        }
    }
    for serial in [3, 10, 20] {
        server
            .get(&format!("/epcis/epcs/{}", percent(&sgtin(serial))), Some(&query_b))
            .problem(404, "epcisException:NoSuchResourceException");
    }
    assert_eq!(
        server.get(&format!("/epcis/epcs/{}", percent(&sgtin(2))), Some(&query_b)).status,
        200
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A capture the server acknowledged (202) and did not finish before it stopped is in the
/// spool, and is captured when the server starts again; finished ones leave nothing there.
#[test]
fn acknowledged_captures_survive_a_stop_in_the_spool() {
    let dir = temp_dir("spool");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    // What a killed server leaves: the spooled document of an accepted job.
    let spool = data.join("spool");
    std::fs::create_dir_all(&spool).expect("the spool");
    let header = serde_json::json!({"capture_id": "0badcafe-7", "owner_key": "x", "party": null,
        "behaviour": "rollback"});
    let mut left = format!("{header}\n").into_bytes();
    left.extend(document(&[commission(&[70, 71], 1)]));
    std::fs::write(spool.join("00000000000000000007.job"), left).expect("written");

    let server = Server::start(&data, &[]);
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let unit = format!("/epcis/events?MATCH_epc={}", percent(&sgtin(71)));
    while event_list(&server.get(&unit, Some(&admin))).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the spooled capture was not recovered"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The client polls the id it was given before the stop.
    let job = server.wait("/epcis/capture/0badcafe-7", &admin);
    assert_eq!(
        (job["captureID"].as_str(), job["success"].as_bool()),
        (Some("0badcafe-7"), Some(true))
    );
    assert_eq!(job["stored"], 1, "{job}");
    // New captures go through the spool and leave it once finished.
    server.capture(&admin, &document(&[commission(&[72], 2)]), "rollback");
    let leftovers = || std::fs::read_dir(&spool).expect("the spool").count();
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    while leftovers() > 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "finished captures stay in the spool");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every value of a top-level list, following `Link: rel="next"`; asserts each page's size.
fn follow(server: &Server, path: &str, key: &str, per_page: usize) -> Vec<String> {
    let mut values = Vec::new();
    let mut next = Some(format!("{path}?perPage={per_page}"));
    while let Some(target) = next.take() {
        let reply = server.get(&target, Some(key));
        assert_eq!(reply.status, 200, "{target}: {}", reply.body);
        let page: Vec<String> = serde_json::from_value(reply.json()).expect("an array of strings");
        assert!(page.len() <= per_page, "{target}: {page:?}");
        values.extend(page);
        next = reply.header("link").map(|link| {
            let target =
                link.split_once('<').and_then(|(_, l)| l.split_once('>')).expect("<...>").0;
            assert!(link.ends_with("rel=\"next\""), "{link}");
            target.to_owned()
        });
        assert!(values.len() < 10_000, "the pages never end");
    }
    values.sort();
    values
}

#[test]
fn master_data_queries_and_top_level_lists() {
    let dir = temp_dir("master");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let capture_b = create_key(&data, "b warehouse", "capture", Some(PARTY_B));
    let query_b = create_key(&data, "b", "query", Some(PARTY_B));
    let server = Server::start(&data, &[]);
    // Written by hand: the header must come before the body, and `json!` sorts keys.
    let with_master = |vocabularies: Value, events: &[Value]| -> Vec<u8> {
        format!(
            r#"{{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-01T00:00:00Z",
            "epcisHeader": {{"epcisMasterData": {{"vocabularyList": {vocabularies}}}}},
            "epcisBody": {{"eventList": {}}}}}"#,
            Value::from(events.to_vec())
        )
        .into_bytes()
    };
    // Party A's plant (…0) holds its line (…1, the readPoint of `commission`).
    let plant = serde_json::json!([{
        "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
        "vocabularyElementList": [{
            "id": "urn:epc:id:sgln:4012345.00000.0",
            "attributes": [{"id": "urn:epcglobal:cbv:mda:city", "attribute": "Berlin"}],
            "children": ["urn:epc:id:sgln:4012345.00000.1"],
        }],
    }]);
    let job = server.capture(
        &admin,
        &with_master(plant, &[commission(&[1, 2, 3], 1), ship_to_b(&[1, 2], 2)]),
        "rollback",
    );
    assert_eq!(job["success"], true, "{job}");
    let job = server.capture(&capture_b, &document(&[receive_at_b(&[1, 2], 3)]), "rollback");
    assert_eq!(job["success"], true, "{job}");

    let steps = |query: &str| {
        biz_steps(&event_list(&server.get(&format!("/epcis/events?{query}"), Some(&admin))))
    };
    assert_eq!(steps("HASATTR_bizLocation=cbvmda:city"), ["commissioning", "shipping"]);
    assert_eq!(steps("EQ_ATTR_bizLocation_cbvmda:city=Berlin&EQ_bizStep=shipping"), ["shipping"]);
    assert!(steps("EQ_ATTR_bizLocation_cbvmda:city=Paris").is_empty());
    assert!(steps("HASATTR_readPoint=cbvmda:city").is_empty(), "the line has no attributes");
    // The line is within the plant: WD_ of the plant finds the events read at the line.
    let plant_wide = percent("urn:epc:id:sgln:4012345.00000.0");
    assert_eq!(steps(&format!("WD_readPoint={plant_wide}")), ["commissioning"]);
    assert!(steps(&format!("EQ_readPoint={plant_wide}")).is_empty());
    let refused = server.get("/epcis/events?HASATTR_bizStep=cbvmda:city", Some(&admin));
    refused.problem(400, "epcisException:QueryParameterException");
    // B sees A's shipment to it, made at A's plant, but not A's master data: a partner's
    // master data parameters resolve against its own sites only.
    let b_sees =
        biz_steps(&event_list(&server.get("/epcis/events?EQ_bizStep=shipping", Some(&query_b))));
    assert_eq!(b_sees, ["shipping"]);
    let probe = server.get("/epcis/events?EQ_ATTR_bizLocation_cbvmda:city=Berlin", Some(&query_b));
    assert!(event_list(&probe).is_empty(), "B cannot probe A's site attributes");

    // A partner cannot describe another party's site: the element is not stored, and the job
    // says so; its events are captured (proceed).
    let renamed = serde_json::json!([{
        "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
        "vocabularyElementList": [{
            "id": "urn:epc:id:sgln:4012345.00000.0",
            "attributes": [{"id": "urn:epcglobal:cbv:mda:city", "attribute": "Elsewhere"}],
        }],
    }]);
    let job = server.capture(
        &capture_b,
        &with_master(renamed.clone(), &[receive_at_b(&[3], 4)]),
        "proceed",
    );
    assert_eq!(job["success"], false, "{job}");
    assert!(
        job["errors"][0].as_str().is_some_and(|e| e.contains("names party 4098765000003 nowhere")),
        "{job}"
    );
    assert_eq!(job["stored"], 1, "{job}");
    assert!(steps("EQ_ATTR_bizLocation_cbvmda:city=Elsewhere").is_empty());
    let refused = server.post(
        "/epcis/capture",
        Some(&capture_b),
        "application/ld+json",
        &with_master(renamed, &[receive_at_b(&[3], 5)]),
        &[("GS1-Capture-Error-Behaviour", "rollback")],
    );
    refused.problem(400, "epcisException:ValidationException");

    // The top-level lists, paged: every identifier once, as a canonical Digital Link.
    let units: Vec<String> =
        (1..=3).map(|s| format!("https://id.gs1.org/01/04012345111118/21/{s}")).collect();
    assert_eq!(follow(&server, "/epcis/epcs", &admin, 2), units);
    assert_eq!(
        follow(&server, "/epcis/bizLocations", &admin, 1),
        ["urn:epc:id:sgln:4012345.00000.0", "urn:epc:id:sgln:4098765.00000.0"]
    );
    assert_eq!(
        follow(&server, "/epcis/readPoints", &admin, 5),
        ["urn:epc:id:sgln:4012345.00000.1"]
    );
    // A partner lists what it may see: the units it received, and its own site.
    assert_eq!(follow(&server, "/epcis/epcs", &query_b, 1), units);
    assert_eq!(
        follow(&server, "/epcis/bizLocations", &query_b, 10),
        ["urn:epc:id:sgln:4098765.00000.0"]
    );
    assert!(follow(&server, "/epcis/readPoints", &query_b, 10).is_empty());
    // A token is bound to its resource and caller; other parameters are refused.
    let first = server.get("/epcis/epcs?perPage=1", Some(&admin));
    let link = first.header("link").expect("a next link").to_owned();
    let target = link.split_once('<').and_then(|(_, l)| l.split_once('>')).expect("<...>").0;
    server.get(target, Some(&query_b)).problem(400, "epcisException:QueryParameterException");
    server
        .get(&target.replace("/epcis/epcs", "/epcis/bizLocations"), Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    server
        .get("/epcis/epcs?nextPageToken=garbage", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    server
        .get("/epcis/epcs?EQ_bizStep=shipping", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    assert_eq!(server.get("/epcis/epcs", None).status, 401);

    // Sub-resources (HATEOAS): an identifier the caller has seen links to its events and to
    // the ledger's view of it; one never seen is absent.
    let unit = percent(&sgtin(1));
    let links = server.get(&format!("/epcis/epcs/{unit}"), Some(&admin));
    assert_eq!(links.status, 200, "{}", links.body);
    assert_eq!(links.json()["events"], format!("/epcis/epcs/{unit}/events"));
    assert_eq!(links.json()["pedigree"], format!("/ledger/identifiers/{unit}/pedigree"));
    let never = percent(&sgtin(999));
    server
        .get(&format!("/epcis/epcs/{never}"), Some(&admin))
        .problem(404, "epcisException:NoSuchResourceException");
    assert_eq!(
        server.get("/epcis/bizSteps/shipping", Some(&admin)).json()["events"],
        "/epcis/bizSteps/shipping/events"
    );
    server
        .get("/epcis/bizSteps/shippping", Some(&admin))
        .problem(404, "epcisException:NoSuchResourceException");
    let site = percent("urn:epc:id:sgln:4098765.00000.0");
    assert_eq!(server.get(&format!("/epcis/bizLocations/{site}"), Some(&query_b)).status, 200);
    // Page tokens hold nothing on the server: releasing one is a 204.
    assert_eq!(server.delete("/epcis/nextPageToken/anything", &admin).status, 204);
    assert_eq!(
        server.options("/epcis/nextPageToken/anything").header("allow"),
        Some("DELETE, OPTIONS")
    );
    assert_eq!(server.options("/epcis/queries").header("allow"), Some("GET, POST, OPTIONS"));
    assert_eq!(server.options("/epcis/epcs").header("allow"), Some("GET, OPTIONS"));

    // A client that reads XML only gets its problems in XML (RFC 7807 appendix A); the
    // extension mappings a request declares come back with the answer.
    let xml = server.get_with("/epcis/events?EQ_bizStap=x", &admin, ("Accept", "application/xml"));
    assert_eq!((xml.status, xml.header("content-type")), (400, Some("application/problem+xml")));
    assert!(
        xml.body.contains("<type>epcisException:QueryParameterException</type>")
            && xml.body.contains("<problem xmlns=\"urn:ietf:rfc:7807\">"),
        "{}",
        xml.body
    );
    let declared = "example=https://ns.example.com/epcis/";
    let reply = server.get_with("/epcis/events?perPage=1", &admin, ("GS1-Extensions", declared));
    assert_eq!((reply.status, reply.header("gs1-extensions")), (200, Some(declared)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serialhub regulator-sim` on a free port; killed when dropped.
struct RegulatorSim {
    child: Child,
    base: String,
}

impl Drop for RegulatorSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RegulatorSim {
    fn start(fault_rate: &str, seed: &str) -> RegulatorSim {
        RegulatorSim::start_slow(fault_rate, seed, "0")
    }

    /// `start`, every answer taking `latency_ms`.
    fn start_slow(fault_rate: &str, seed: &str, latency_ms: &str) -> RegulatorSim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serialhub"))
            .args(["regulator-sim", "--listen", "127.0.0.1:0", "--fault-rate", fault_rate])
            .args(["--seed", seed, "--latency-ms", latency_ms])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("regulator-sim starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().expect("regulator-sim says where it listens").expect("a line");
            if let Ok(value) = serde_json::from_str::<Value>(&line)
                && value["msg"] == "listening"
            {
                break value["addr"].as_str().unwrap_or_default().to_owned();
            }
        };
        RegulatorSim { child, base: format!("http://{addr}") }
    }

    fn stats(&self) -> Value {
        let mut response =
            ureq::get(format!("{}/stats", self.base)).call().expect("regulator-sim answers");
        serde_json::from_str(&response.body_mut().read_to_string().expect("a body")).expect("JSON")
    }
}

/// The outbox end to end: shipments captured over HTTP become messages in the same commit,
/// and the dispatcher delivers them to `regulator-sim` misbehaving at 30%: every message ends
/// once at the receiver (applied exactly once, whatever the retries) or as a failed message
/// (rejected), none is lost; `GET /api/outbox` reports it.
#[test]
fn shipments_reach_the_partner_through_the_outbox_at_a_30_percent_fault_rate() {
    let dir = temp_dir("outbox");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let reader = create_key(&data, "reader", "query", None);
    let sim = RegulatorSim::start("0.3", "11");
    let config = dir.join("serialhub.toml");
    std::fs::write(
        &config,
        format!(
            "[[connector]]\nname = \"partner-b\"\nkind = \"webhook\"\nurl = \"{}/messages\"\n\
             parties = [\"{PARTY_B}\"]\nsecret = \"a shared secret\"\ntimeout_ms = 300\n\
             [outbox]\nretry_base_ms = 20\nretry_max_ms = 200\nmax_attempts = 30\n\
             breaker_threshold = 4\nbreaker_cooldown_ms = 200\n",
            sim.base
        ),
    )
    .expect("config written");
    let server =
        Server::start_args(&data, &[], false, &["--config", config.to_str().expect("utf-8")]);
    let serials: Vec<u32> = (1..=40).collect();
    let mut events = vec![commission(&serials, 1)];
    events.extend(serials.iter().map(|s| ship_to_b(&[*s], 2)));
    // One shipment to another party: no connector routes it.
    events.push(ship_to_c(&[1], 3));
    let job = server.capture(&admin, &document(&events), "rollback");
    assert_eq!(job["stored"], 42, "{job}");

    let outbox = server.drained_outbox(&admin);
    let (delivered, failed) = (outbox["delivered"].as_u64(), outbox["failed"].as_u64());
    let (delivered, failed) = (delivered.unwrap_or(0), failed.unwrap_or(0));
    assert_eq!(delivered + failed, 40, "one message per shipment to B, none lost: {outbox}");
    let stats = sim.stats();
    assert_eq!(stats["applied"].as_u64(), Some(delivered), "applied once each: {stats}");
    assert_eq!(stats["rejected"].as_u64(), Some(failed), "failed = rejected: {stats}");
    assert!(stats["received"].as_u64().unwrap_or(0) > 40, "the faults happened: {stats}");
    let messages = outbox["messages"].as_array().expect("messages");
    assert!(messages.iter().all(|m| m["connector"] == "partner-b"));
    for m in messages.iter().filter(|m| m["status"] == "failed") {
        let error = m["lastError"].as_str().unwrap_or_default();
        assert!(error.starts_with("rejected E_PRODUCT_UNKNOWN"), "{m}");
    }
    // Each failed message is an exception in the workbench, none twice.
    let exceptions = server.get("/api/exceptions?code=E_PRODUCT_UNKNOWN&perPage=1", Some(&admin));
    assert_eq!(exceptions.json()["total"].as_u64(), Some(failed), "{}", exceptions.body);
    // Filters and paging.
    let reply = server.get("/api/outbox?status=delivered&perPage=5", Some(&admin));
    assert_eq!(reply.json()["messages"].as_array().map(Vec::len), Some(5.min(delivered as usize)));
    server
        .get("/api/outbox?status=lost", Some(&admin))
        .problem(400, "epcisException:QueryParameterException");
    assert_eq!(server.get("/api/outbox", Some(&reader)).status, 403, "admins only");
    let metrics = server.get("/metrics", Some(&admin)).body;
    assert!(
        metrics.contains(&format!("serialhub_outbox_messages{{status=\"delivered\"}} {delivered}")),
        "{metrics}"
    );
    assert!(metrics.contains("serialhub_outbox_oldest_pending_seconds 0"), "{metrics}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGKILL during delivery, at least 20 times at pseudo-random points: after the last restart
/// every message is delivered, each applied exactly once at the receiver (the same
/// idempotency key crosses every restart), none lost.
#[test]
fn sigkills_during_delivery_lose_nothing_and_apply_nothing_twice() {
    let dir = temp_dir("outbox-kill");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    // Every answer takes 10 ms, and the 600 messages all go to party B, one at a time in
    // order: delivery takes seconds, so kills land mid-delivery.
    let sim = RegulatorSim::start_slow("0", "5", "10");
    let config = dir.join("serialhub.toml");
    std::fs::write(
        &config,
        format!(
            "[[connector]]\nname = \"partner-b\"\nkind = \"webhook\"\nurl = \"{}/messages\"\n\
             parties = [\"{PARTY_B}\"]\n[outbox]\nlease_ms = 1000\nretry_base_ms = 20\nretry_max_ms = 200\n",
            sim.base
        ),
    )
    .expect("config written");
    let args = ["--config", config.to_str().expect("utf-8")];
    let serials: Vec<u32> = (1..=600).collect();
    {
        let server = Server::start_args(&data, &[], false, &args);
        let mut events = vec![commission(&serials, 1)];
        events.extend(serials.iter().map(|s| ship_to_b(&[*s], 2)));
        let job = server.capture(&admin, &document(&events), "rollback");
        assert_eq!(job["stored"], 601, "{job}");
        // Killed at once: most of the outbox is still to deliver.
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut kills_mid_delivery = 0;
    for _ in 0..60 {
        if kills_mid_delivery >= 20 {
            break;
        }
        let mut server = Server::start_args(&data, &[], false, &args);
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        std::thread::sleep(Duration::from_millis(50 + state % 250));
        let pending = server.get("/api/outbox?perPage=1", Some(&admin)).json()["pending"].as_u64();
        let _ = server.child.kill(); // SIGKILL
        let _ = server.child.wait();
        if pending.unwrap_or(0) > 0 {
            kills_mid_delivery += 1;
        }
    }
    assert!(kills_mid_delivery >= 20, "only {kills_mid_delivery} kills landed during delivery");
    let server = Server::start_args(&data, &[], false, &args);
    let outbox = server.drained_outbox(&admin);
    assert_eq!(
        (outbox["delivered"].as_u64(), outbox["failed"].as_u64()),
        (Some(600), Some(0)),
        "{outbox}"
    );
    let stats = sim.stats();
    assert_eq!(stats["applied"].as_u64(), Some(600), "each applied exactly once: {stats}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `epcis` connector between two serialhub hubs: A's shipments to B are captured into
/// B's repository through its capture interface (B's capture key for partner A's system,
/// bound to party B), each capture job followed to success; B then holds the same events
/// (equal hashes).
#[test]
fn the_epcis_connector_captures_shipments_into_the_partners_repository() {
    let dir = temp_dir("epcis-connector");
    let (data_a, data_b) = (dir.join("a"), dir.join("b"));
    let admin_a = create_key(&data_a, "ops a", "admin", None);
    let admin_b = create_key(&data_b, "ops b", "admin", None);
    let inbound = create_key(&data_b, "from hub a", "capture", Some(PARTY_B));
    let hub_b = Server::start_with(&data_b, &[], false);
    let config = dir.join("a.toml");
    std::fs::write(
        &config,
        format!(
            "[[connector]]\nname = \"hub-b\"\nkind = \"epcis\"\nurl = \"{}/epcis/capture\"\n\
             parties = [\"{PARTY_B}\"]\nsecret = \"{inbound}\"\ntimeout_ms = 5000\n",
            hub_b.base
        ),
    )
    .expect("config written");
    let hub_a =
        Server::start_args(&data_a, &[], false, &["--config", config.to_str().expect("utf-8")]);
    let serials: Vec<u32> = (1..=10).collect();
    let mut events = vec![commission(&serials, 1)];
    events.extend(serials.iter().map(|s| ship_to_b(&[*s], 2)));
    let job = hub_a.capture(&admin_a, &document(&events), "rollback");
    assert_eq!(job["stored"], 11, "{job}");
    let outbox = hub_a.drained_outbox(&admin_a);
    assert_eq!(
        (outbox["delivered"].as_u64(), outbox["failed"].as_u64()),
        (Some(10), Some(0)),
        "{outbox}"
    );
    let receipts: Vec<&str> = outbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["receipt"].as_str())
        .collect();
    assert_eq!(receipts.len(), 10, "each delivery names B's capture job");
    // B holds the shipments, with the same event hashes as A.
    let at_b =
        event_list(&hub_b.get("/epcis/events?EQ_bizStep=shipping&perPage=100", Some(&admin_b)));
    let at_a =
        event_list(&hub_a.get("/epcis/events?EQ_bizStep=shipping&perPage=100", Some(&admin_a)));
    let hashes = |events: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> =
            events.iter().map(|e| e["eventID"].as_str().unwrap_or_default().to_owned()).collect();
        ids.sort();
        ids
    };
    assert_eq!(at_b.len(), 10);
    assert_eq!(hashes(&at_b), hashes(&at_a), "the same events, by their hash IDs");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The exception workbench end to end: 1,000 shipments to a US partner through the `dscsa`
/// connector are refused for the product's missing master data (the connector will not send
/// a DSCSA file without an NDC), become 1,000 exceptions in one group, and one action over
/// REST corrects the master data and resubmits them all; `regulator-sim` then applies each
/// once, the exceptions close themselves, and the audit log's chain holds.
#[test]
fn one_action_corrects_and_resubmits_a_group_of_a_thousand_refused_reports() {
    let dir = temp_dir("workbench");
    let data = dir.join("data");
    let admin = create_key(&data, "qa-lead", "admin", None);
    let reader = create_key(&data, "analyst", "query", None);
    let partner = create_key(&data, "wholesaler", "query", Some(PARTY_B));
    let sim = RegulatorSim::start("0", "5");
    let config = dir.join("serialhub.toml");
    std::fs::write(
        &config,
        format!(
            "[[connector]]\nname = \"us-partner\"\nkind = \"dscsa\"\nurl = \"{}/dscsa\"\n\
             parties = [\"{PARTY_B}\"]\n\
             [workbench]\nsync_interval_ms = 0\n[workbench.sla]\n\"F5/us\" = 12\n",
            sim.base
        ),
    )
    .expect("config written");
    let server =
        Server::start_args(&data, &[], false, &["--config", config.to_str().expect("utf-8")]);
    let unit = |s: u32| format!("urn:epc:id:sgtin:0312345.012345.{s}");
    let units: Vec<String> = (1..=1_000).map(unit).collect();
    let mut events = vec![serde_json::json!({
        "type": "ObjectEvent", "eventTime": "2025-01-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": units, "action": "ADD", "bizStep": "commissioning", "disposition": "active",
        "bizLocation": {"id": "urn:epc:id:sgln:0312345.00000.0"},
        "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2027-01-31"},
    })];
    for s in 1..=1_000 {
        events.push(serde_json::json!({
            "type": "ObjectEvent", "eventTime": "2025-01-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
            "epcList": [unit(s)], "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "bizLocation": {"id": "urn:epc:id:sgln:0312345.00000.0"},
            "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:4098765000003:PO-{s}")}],
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0312345.00000"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}],
        }));
    }
    let job = server.capture(&admin, &document(&events), "rollback");
    assert_eq!(job["stored"], 1_001, "{job}");
    let outbox = server.drained_outbox(&admin);
    assert_eq!(outbox["failed"], 1_000, "refused before sending: {outbox}");
    assert_eq!(sim.stats()["applied"], 0);

    let groups = server.get("/api/exceptions/groups", Some(&reader));
    assert_eq!(groups.status, 200, "{}", groups.body);
    let groups = groups.json();
    let group = &groups["groups"][0];
    assert_eq!(group["rootCause"], "master_data_mismatch", "{groups}");
    assert_eq!(group["open"], 1_000, "{groups}");
    let group_id = group["id"].as_str().expect("an id").to_owned();
    let listed = server.get("/api/exceptions?type=F5&status=new&perPage=10", Some(&reader));
    let listed_json = listed.json();
    assert_eq!(listed_json["total"], 1_000, "{listed_json}");
    assert!(listed.header("link").is_some_and(|l| l.contains("nextPageToken=")), "paged");
    let first = &listed_json["exceptions"][0];
    assert_eq!(first["code"], "master_data_missing");
    assert_eq!(first["owner"], "master_data");
    assert_eq!(first["regime"], "us");
    // The regime's SLA: 12 hours after the failure.
    let raised =
        serialhub_epcis::time::Timestamp::parse(first["raisedAt"].as_str().expect("raisedAt"));
    let due = serialhub_epcis::time::Timestamp::parse(first["dueAt"].as_str().expect("dueAt"));
    assert_eq!(due.expect("due").unix_millis - raised.expect("raised").unix_millis, 12 * 3_600_000);
    let id = first["id"].as_str().expect("an id").to_owned();
    let detail = server.get(&format!("/api/exceptions/{id}"), Some(&reader)).json();
    assert!(
        detail["evidence"]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("GTIN 00312345123451: no EPCClass master data")),
        "the evidence names what is missing: {detail}"
    );
    assert_eq!(server.get("/api/exceptions", Some(&partner)).status, 403, "operators only");

    let fix = serde_json::json!({
        "action": "correct_master_data",
        "reason": "NDC, name, form, strength and manufacturer added for the product",
        "masterData": [{
            "type": "urn:epcglobal:epcis:vtype:EPCClass",
            "vocabularyElementList": [{
                "id": "urn:epc:idpat:sgtin:0312345.012345.*",
                "attributes": [
                    {"id": "urn:epcglobal:cbv:mda#additionalTradeItemIdentification", "attribute": "12345-1234-05"},
                    {"id": "urn:epcglobal:cbv:mda#additionalTradeItemIdentificationTypeCode", "attribute": "FDA_NDC_11"},
                    {"id": "urn:epcglobal:cbv:mda#regulatedProductName", "attribute": "Examplamab"},
                    {"id": "urn:epcglobal:cbv:mda#dosageFormType", "attribute": "TABLET"},
                    {"id": "urn:epcglobal:cbv:mda#strengthDescription", "attribute": "10 mg"},
                    {"id": "urn:epcglobal:cbv:mda#manufacturerOfTradeItemPartyName", "attribute": "Example Pharma Inc."},
                ],
            }],
        }],
    });
    let path = format!("/api/exceptions/groups/{}/actions", percent(&group_id));
    let body = fix.to_string();
    let as_reader = server.post(&path, Some(&reader), "application/json", body.as_bytes(), &[]);
    assert_eq!(as_reader.status, 403, "acting takes an admin");
    let no_reason = serde_json::json!({"action": "void"}).to_string();
    let refused = server.post(&path, Some(&admin), "application/json", no_reason.as_bytes(), &[]);
    refused.problem(400, "epcisException:ValidationException");
    let acted = server.post(&path, Some(&admin), "application/json", body.as_bytes(), &[]);
    assert_eq!(acted.status, 200, "{}", acted.body);
    let acted = acted.json();
    assert_eq!(acted["targets"].as_array().map(Vec::len), Some(1_000));
    assert_eq!(acted["messages"].as_array().map(Vec::len), Some(1_000));

    let outbox = server.drained_outbox(&admin);
    assert_eq!(outbox["delivered"], 1_000, "every resubmission delivered: {outbox}");
    let stats = sim.stats();
    assert_eq!(stats["applied"], 1_000, "each applied once: {stats}");
    let closed = server.get("/api/exceptions?status=closed&perPage=1", Some(&reader)).json();
    assert_eq!(closed["total"], 1_000, "{closed}");
    assert_eq!(closed["exceptions"][0]["closure"], "delivered");
    assert_eq!(server.get("/api/exceptions?open=true", Some(&reader)).json()["total"], 0);

    let audit = server.get("/api/audit", Some(&admin)).json();
    assert_eq!(audit["chain"], "ok", "{audit}");
    assert_eq!(audit["entries"][0]["action"], "correct_master_data");
    assert_eq!(audit["entries"][0]["actor"].as_str().map(|a| a.starts_with("qa-lead")), Some(true));
    let detail = server.get(&format!("/api/exceptions/{id}"), Some(&reader)).json();
    assert_eq!(detail["history"][0]["before"]["status"], "new", "{detail}");
    let metrics = server.get("/metrics", Some(&admin)).body;
    assert!(
        metrics.contains("serialhub_workbench_resolve_seconds_count{type=\"F5\"} 1000"),
        "{metrics}"
    );
    assert!(metrics.contains("serialhub_workbench_sla_breached{type=\"F5\"} 0"), "{metrics}");

    // A suspect product case over REST: opened on a pack and linked to an exception, determined
    // illegitimate (the 24-hour notification clock starts), notified, closed.
    let open = serde_json::json!({
        "identifiers": [unit(7)], "exceptions": [id], "regime": "us",
        "reason": "the partner reports a duplicate of this pack in the field",
    })
    .to_string();
    let opened = server.post("/api/cases", Some(&admin), "application/json", open.as_bytes(), &[]);
    assert_eq!(opened.status, 201, "{}", opened.body);
    let case = opened.json()["id"].as_str().expect("a case id").to_owned();
    let step = |body: Value| {
        let body = body.to_string();
        let path = format!("/api/cases/{case}/actions");
        server.post(&path, Some(&admin), "application/json", body.as_bytes(), &[])
    };
    let early = step(serde_json::json!({"action": "case_close", "reason": "nothing found"}));
    early.problem(409, "serialhub:StateConflict");
    let determined = step(serde_json::json!({
        "action": "case_determine", "determination": "illegitimate", "reason": "counterfeit",
    }));
    assert_eq!(determined.status, 200, "{}", determined.body);
    let shown = server.get(&format!("/api/cases/{case}"), Some(&reader)).json();
    assert_eq!(shown["status"], "determined", "{shown}");
    assert!(shown["notifyDueAt"].is_string() && shown["notificationOverdue"] == false, "{shown}");
    let notified = step(serde_json::json!({
        "action": "case_notify", "notified": "FDA Form 3911; 4098765000003", "reason": "within 24 hours",
    }));
    assert_eq!(notified.status, 200, "{}", notified.body);
    assert_eq!(step(serde_json::json!({"action": "case_close", "reason": "done"})).status, 200);
    let cases = server.get("/api/cases", Some(&reader)).json();
    assert_eq!(cases["cases"][0]["status"], "closed", "{cases}");
    assert_eq!(cases["cases"][0]["notified"], "FDA Form 3911; 4098765000003");
    assert_eq!(server.get("/api/audit", Some(&admin)).json()["chain"], "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue E's fault-injection proof through every connector kind at once: a simulated supply
/// chain (commissioning with lot and expiry, packing into cases, each case shipped to party
/// B on its own order, product master data with the NDC) reaches `regulator-sim`, misbehaving
/// at 30%, through `webhook`, `epcis`, `dscsa` and `eu-hub` connectors. Every message ends
/// exactly once: delivered (and applied once at the receiver) or failed and then an exception
/// in the workbench; none is left pending, none lost.
#[test]
fn every_connector_kind_delivers_a_supply_chain_at_a_30_percent_fault_rate() {
    const CASES: u32 = 12;
    const UNITS: u32 = 5;
    let dir = temp_dir("every-connector");
    let data = dir.join("data");
    let admin = create_key(&data, "ops", "admin", None);
    let sim = RegulatorSim::start("0.3", "23");
    let config = dir.join("serialhub.toml");
    let connector = |name: &str, kind: &str, path: &str, routing: &str| {
        format!(
            "[[connector]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = \"{}{path}\"\n{routing}\ntimeout_ms = 300\n",
            sim.base
        )
    };
    let parties = format!("parties = [\"{PARTY_B}\"]");
    std::fs::write(
        &config,
        [
            connector("b-webhook", "webhook", "/messages", &format!("{parties}\nsecret = \"s\"")),
            connector("b-repository", "epcis", "/messages", &parties),
            connector("b-dscsa", "dscsa", "/dscsa", &parties),
            connector("eu-hub", "eu-hub", "/eu-hub", "market = \"EU\""),
            "[outbox]\nretry_base_ms = 20\nretry_max_ms = 200\nmax_attempts = 30\n\
             breaker_threshold = 4\nbreaker_cooldown_ms = 200\n"
                .to_owned(),
        ]
        .concat(),
    )
    .expect("config written");
    let server =
        Server::start_args(&data, &[], false, &["--config", config.to_str().expect("utf-8")]);
    let unit = |case: u32, n: u32| format!("urn:epc:id:sgtin:0312345.012345.{}", case * 100 + n);
    let case_id = |case: u32| format!("urn:epc:id:sscc:0312345.{:010}", case + 1);
    let mut events = Vec::new();
    for case in 0..CASES {
        let units: Vec<String> = (0..UNITS).map(|n| unit(case, n)).collect();
        events.push(serde_json::json!({
            "type": "ObjectEvent", "eventTime": format!("2025-01-01T08:{case:02}:00Z"),
            "eventTimeZoneOffset": "+00:00", "epcList": units, "action": "ADD",
            "bizStep": "commissioning", "disposition": "active",
            "bizLocation": {"id": "urn:epc:id:sgln:0312345.00000.0"},
            "ilmd": {"cbvmda:lotNumber": format!("L{case}"), "cbvmda:itemExpirationDate": "2027-01-31"},
        }));
        events.push(serde_json::json!({
            "type": "AggregationEvent", "eventTime": format!("2025-01-01T09:{case:02}:00Z"),
            "eventTimeZoneOffset": "+00:00", "parentID": case_id(case), "childEPCs": units,
            "action": "ADD", "bizStep": "packing", "disposition": "in_progress",
            "bizLocation": {"id": "urn:epc:id:sgln:0312345.00000.0"},
        }));
        events.push(serde_json::json!({
            "type": "ObjectEvent", "eventTime": format!("2025-01-02T09:{case:02}:00Z"),
            "eventTimeZoneOffset": "+00:00", "epcList": [case_id(case)], "action": "OBSERVE",
            "bizStep": "shipping", "disposition": "in_transit",
            "bizLocation": {"id": "urn:epc:id:sgln:0312345.00000.0"},
            "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:4098765000003:PO-{case}")}],
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0312345.00000"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4098765.00000"}],
        }));
    }
    let master = |name: &str, value: &str| serde_json::json!({"id": format!("urn:epcglobal:cbv:mda#{name}"), "attribute": value});
    let document = serde_json::json!({
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-01T00:00:00Z",
        "epcisHeader": {"epcisMasterData": {"vocabularyList": [{
            "type": "urn:epcglobal:epcis:vtype:EPCClass",
            "vocabularyElementList": [{"id": "urn:epc:idpat:sgtin:0312345.012345.*", "attributes": [
                master("additionalTradeItemIdentification", "12345-1234-05"),
                master("additionalTradeItemIdentificationTypeCode", "FDA_NDC_11"),
                master("regulatedProductName", "Examplamab"),
                master("dosageFormType", "TABLET"),
                master("strengthDescription", "10 mg"),
                master("manufacturerOfTradeItemPartyName", "Example Pharma Inc."),
            ]}],
        }]}},
        "epcisBody": {"eventList": events},
    });
    let job = server.capture(&admin, document.to_string().as_bytes(), "rollback");
    assert_eq!(job["stored"], CASES * 3, "{job}");

    let outbox = server.drained_outbox(&admin);
    let count = |field: &str| outbox[field].as_u64().unwrap_or(0);
    // Per case: a shipment through webhook, epcis and dscsa, a commissioning through eu-hub.
    assert_eq!(count("delivered") + count("failed"), u64::from(CASES) * 4, "none lost: {outbox}");
    let mut per_kind = std::collections::BTreeMap::<String, u64>::new();
    let mut all = Vec::new();
    let mut after = String::new();
    loop {
        let page = server.get(&format!("/api/outbox?perPage=100{after}"), Some(&admin)).json();
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        let Some(last) = messages.last().map(|m| m["id"].clone()) else { break };
        all.extend(messages);
        after = format!("&nextPageToken={last}");
    }
    for m in &all {
        *per_kind.entry(m["connector"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    assert_eq!(
        per_kind.values().copied().collect::<Vec<_>>(),
        [u64::from(CASES); 4],
        "{per_kind:?}"
    );
    let stats = sim.stats();
    assert_eq!(stats["applied"].as_u64(), Some(count("delivered")), "each applied once: {stats}");
    assert!(
        stats["received"].as_u64().unwrap_or(0) > u64::from(CASES) * 4,
        "faults happened: {stats}"
    );
    assert_eq!(stats["rejected"].as_u64(), Some(count("failed")), "failed = refused: {stats}");
    for format in ["messages", "dscsa", "eu-hub"] {
        assert!(stats["formats"][format]["applied"].as_u64() > Some(0), "{format}: {stats}");
    }
    // Every failed message is one exception, classified.
    let exceptions = server.get("/api/exceptions?perPage=500", Some(&admin)).json();
    let outbox_exceptions: Vec<&Value> = exceptions["exceptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["source"] == "outbox")
        .collect();
    assert_eq!(outbox_exceptions.len() as u64, count("failed"), "{exceptions}");
    assert!(outbox_exceptions.iter().all(|e| e["type"].is_string() && e["rootCause"].is_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

mod verify;
