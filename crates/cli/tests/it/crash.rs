//! Crash safety of `serialhub import` on the embedded store: the process is killed with
//! SIGKILL at pseudo-random points, restarted, and the store must show no acknowledged capture
//! lost, no partial capture job, and no event applied twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::serialhub_env;

const NOW: (&str, &str) = ("SERIALHUB_NOW", "2025-06-01T00:00:00Z");
const DOCUMENTS: usize = 40;
const EVENTS_PER_DOCUMENT: usize = 60;
/// Every eighth document is this large instead: its journal record (about 2 MB) goes to the
/// file in pieces while it is encoded, so kills also land inside a streamed append.
const EVENTS_PER_LARGE_DOCUMENT: usize = 800;
const KILLS: usize = 24;
/// Rounds allowed to reach `KILLS` kills: a round that finishes before its kill counts none.
const ROUNDS_MAX: usize = 3 * KILLS;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many events document `d` has.
fn events_in(d: usize) -> usize {
    if d % 8 == 3 { EVENTS_PER_LARGE_DOCUMENT } else { EVENTS_PER_DOCUMENT }
}

/// Document `d`: commissioning events of 10 packs each, then a packing of each event's packs
/// into a case; every document touches its own serials, so its events only depend on it.
fn document(d: usize) -> String {
    let mut events = Vec::new();
    for e in 0..events_in(d) / 2 {
        let serials: Vec<String> = (0..10)
            .map(|i| format!("\"urn:epc:id:sgtin:4012345.011111.{}\"", (d * 1000 + e) * 10 + i))
            .collect();
        let list = serials.join(",");
        let minute = e % 60;
        events.push(format!(
            r#"{{"type":"ObjectEvent","eventTime":"2025-01-{day:02}T08:{minute:02}:00Z","eventTimeZoneOffset":"+00:00","epcList":[{list}],"action":"ADD","bizStep":"commissioning","disposition":"active"}}"#,
            day = 1 + d % 28
        ));
        events.push(format!(
            r#"{{"type":"AggregationEvent","eventTime":"2025-01-{day:02}T09:{minute:02}:00Z","eventTimeZoneOffset":"+00:00","parentID":"urn:epc:id:sscc:4012345.{case:010}","childEPCs":[{list}],"action":"ADD","bizStep":"packing"}}"#,
            day = 1 + d % 28,
            case = d * 1000 + e
        ));
    }
    format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-02-01T00:00:00Z","epcisBody":{{"eventList":[{}]}}}}"#,
        events.join(",")
    )
}

/// A small deterministic generator for the kill points (no clock, no OS randomness: a failure
/// replays).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

fn check(data: &str, docs: &str) -> Vec<(String, usize, usize)> {
    let out = serialhub_env(&["import", "--check", "--data", data, docs], b"", &[NOW]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    text.lines()
        .map(|line| {
            // `PATH: N of M events stored`
            let (path, rest) = line.rsplit_once(": ").expect("PATH: counts");
            let words: Vec<&str> = rest.split(' ').collect();
            let n = words[0].parse().expect("stored count");
            let m = words[2].parse().expect("total count");
            (path.to_owned(), n, m)
        })
        .collect()
}

#[test]
fn sigkill_loses_nothing_acknowledged_and_shows_no_partial_job() {
    let root =
        TempDir(std::env::temp_dir().join(format!("serialhub-crash-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&root.0);
    let docs_dir = root.0.join("docs");
    std::fs::create_dir_all(&docs_dir).expect("docs dir");
    for d in 0..DOCUMENTS {
        std::fs::write(docs_dir.join(format!("{d:03}.json")), document(d)).expect("write");
    }
    let docs = docs_dir.display().to_string();
    let clean = root.0.join("clean").display().to_string();
    let crashed = root.0.join("crashed").display().to_string();

    // The reference: one uninterrupted import. Its duration bounds the kill times, so that
    // the kills land mid-way however fast this build and machine are; a round that finishes
    // before its kill (less is left to store each round) narrows the bound to its own time.
    #[allow(clippy::disallowed_methods, reason = "the real duration of a real process")]
    let now = std::time::Instant::now;
    let started = now();
    let out = serialhub_env(&["import", "--data", &clean, &docs], b"", &[NOW]);
    let mut bound_ms = started.elapsed().as_millis() as u64 * 3 / 4;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let mut rng = Lcg(20261124);
    let mut acknowledged: Vec<String> = Vec::new();
    let mut killed_mid_way = 0;
    for round in 0..ROUNDS_MAX {
        if killed_mid_way == KILLS {
            break;
        }
        let started = now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_serialhub"))
            .args(["import", "--verbose", "--data", &crashed, &docs])
            .envs([NOW])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serialhub starts");
        std::thread::sleep(Duration::from_millis(rng.next(bound_ms.max(10))));
        // `Child::kill` sends SIGKILL on Unix: no destructor, no flush, no goodbye.
        let _ = child.kill();
        let output = child.wait_with_output().expect("the import ends");
        if output.status.code().is_none() {
            killed_mid_way += 1;
        } else {
            bound_ms = started.elapsed().as_millis() as u64 * 3 / 4;
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A kill can cut the last line short: only a whole line is an acknowledgement.
        let whole = stderr.rfind('\n').map_or("", |end| &stderr[..end]);
        for line in whole.lines() {
            if let Some(rest) = line.strip_prefix("stored ") {
                let (path, counts) = rest.rsplit_once(": ").expect("stored PATH: counts");
                assert!(counts.ends_with(" duplicates"), "{line}");
                acknowledged.push(path.to_owned());
            }
        }
        for (path, stored, total) in check(&crashed, &docs) {
            assert!(
                stored == 0 || stored == total,
                "round {round}: {path} is partly stored ({stored} of {total} events)"
            );
            if acknowledged.contains(&path) {
                assert_eq!(stored, total, "round {round}: acknowledged {path} was lost");
            }
        }
    }
    assert!(killed_mid_way >= 20, "only {killed_mid_way} imports were killed mid-way");

    // Finish, then compare with the uninterrupted import: the same journal, byte for byte,
    // means every event was applied once, in the same order, with the same decisions.
    let out = serialhub_env(&["import", "--data", &crashed, &docs], b"", &[NOW]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let journal = |dir: &str| std::fs::read(Path::new(dir).join("journal.shj")).expect("journal");
    assert!(journal(&crashed) == journal(&clean), "the journals differ");
    let again = serialhub_env(&["import", "--data", &crashed, &docs], b"", &[NOW]);
    let text = String::from_utf8_lossy(&again.stdout);
    let total: usize = (0..DOCUMENTS).map(events_in).sum();
    let expected = format!("events: 0 stored, {total} duplicates");
    assert!(text.contains(&expected), "{text}");
}
