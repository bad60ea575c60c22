//! `serialhub simulate` then `serialhub import`: the ledger finds exactly the faults the
//! simulator injected (precision and recall 100%), and a clean simulation raises none.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::serialhub_env;

const NOW: (&str, &str) = ("SERIALHUB_NOW", "2026-11-24T00:00:00Z");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("serialhub-sim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    fn join(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What identifies a finding: its rule, the identifiers (sorted) and the triggering event.
type Finding = (String, Vec<String>, String);

fn finding(
    code: &serde_json::Value,
    epcs: &serde_json::Value,
    event: &serde_json::Value,
) -> Finding {
    let mut epcs: Vec<String> = epcs
        .as_array()
        .expect("epcs is an array")
        .iter()
        .map(|e| e.as_str().expect("an EPC URI").to_owned())
        .collect();
    epcs.sort();
    let code = code.as_str().expect("a code").to_owned();
    (code, epcs, event.as_str().expect("an event ID").to_owned())
}

/// Counts each finding (a multiset).
fn tally(findings: impl Iterator<Item = Finding>) -> BTreeMap<Finding, usize> {
    let mut counts = BTreeMap::new();
    for f in findings {
        *counts.entry(f).or_default() += 1;
    }
    counts
}

fn run(
    seed: &str,
    packs: &str,
    rate: &str,
) -> (BTreeMap<Finding, usize>, BTreeMap<Finding, usize>, String) {
    let tmp = TempDir::new(&format!("{seed}-{rate}"));
    let out = tmp.join("docs");
    let sim = serialhub_env(
        &[
            "simulate",
            "--seed",
            seed,
            "--packs",
            packs,
            "--faults",
            rate,
            "--events-per-document",
            "2000",
            "--out",
            &out,
        ],
        b"",
        &[],
    );
    assert_eq!(sim.status.code(), Some(0), "{}", String::from_utf8_lossy(&sim.stderr));
    let data = tmp.join("data");
    let import = serialhub_env(&["import", "--data", &data, &out], b"", &[NOW]);
    let summary = String::from_utf8_lossy(&import.stdout).into_owned();
    assert_eq!(
        import.status.code(),
        Some(0),
        "every simulated document is valid EPCIS\n{summary}{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let list = serialhub_env(&["exceptions", "list", "--json", "--data", &data], b"", &[]);
    assert_eq!(list.status.code(), Some(0));
    let found = tally(String::from_utf8_lossy(&list.stdout).lines().map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let last = v["event_ids"].as_array().and_then(|ids| ids.last()).cloned();
        finding(&v["code"], &v["epcs"], &last.expect("evidence names the event"))
    }));
    let truth_text =
        std::fs::read_to_string(tmp.0.join("docs/faults.jsonl")).expect("faults.jsonl");
    let injected = tally(truth_text.lines().map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        finding(&v["code"], &v["epcs"], &v["event_id"])
    }));
    // The lots the recall and withdrawal faults name show their status.
    for (code, status) in [("recalled_lot", "recalled"), ("withdrawn_lot", "withdrawn")] {
        let Some(lot) = truth_text.lines().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            (v["code"] == code).then(|| v["epcs"][1].as_str().expect("the lot").to_owned())
        }) else {
            continue;
        };
        let shown = serialhub_env(&["lot", "show", &lot, "--data", &data], b"", &[]);
        let text = String::from_utf8_lossy(&shown.stdout).into_owned();
        assert!(text.contains(&format!("status: {status}\n")), "{lot}: {text}");
    }
    (found, injected, summary)
}

#[test]
fn the_ledger_finds_exactly_the_injected_faults() {
    let (found, injected, summary) = run("11", "3000", "0.02");
    let kinds: std::collections::BTreeSet<&str> = injected.keys().map(|f| f.0.as_str()).collect();
    assert_eq!(kinds.len(), 23, "every kind of fault is injected: {kinds:?}");
    let missed: Vec<_> = injected.iter().filter(|(f, n)| found.get(*f) != Some(n)).collect();
    let extra: Vec<_> = found.iter().filter(|(f, n)| injected.get(*f) != Some(n)).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "recall misses {missed:#?}\nprecision misses {extra:#?}\n{summary}"
    );
}

#[test]
fn a_clean_simulation_raises_nothing() {
    let (found, injected, summary) = run("5", "3000", "0");
    assert!(injected.is_empty());
    assert!(found.is_empty(), "{found:#?}\n{summary}");
    assert!(summary.contains("exceptions in the store: 0"), "{summary}");
}
