//! `serialhub import`, `serial show` and `exceptions list` on the embedded store.

use std::path::{Path, PathBuf};

use crate::serialhub_env;

const NOW: (&str, &str) = ("SERIALHUB_NOW", "2025-03-01T00:00:00Z");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("serialhub-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn doc(events: &str) -> String {
    format!(
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-02-01T00:00:00Z",
"epcisBody":{{"eventList":[{events}]}}}}"#
    )
}

const U1: &str = "urn:epc:id:sgtin:4012345.011111.1001";
const U2: &str = "urn:epc:id:sgtin:4012345.011111.1002";
const CASE: &str = "urn:epc:id:sscc:4012345.0000000017";

fn packaging() -> String {
    doc(&format!(
        r#"{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000001",
"eventTime":"2025-01-06T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{U1}","{U2}"],
"action":"ADD","bizStep":"commissioning","disposition":"active",
"bizLocation":{{"id":"urn:epc:id:sgln:4012345.00001.0"}},
"ilmd":{{"cbvmda:lotNumber":"L1","cbvmda:itemExpirationDate":"2027-01-31"}}}},
{{"type":"AggregationEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000002",
"eventTime":"2025-01-06T09:00:00Z","eventTimeZoneOffset":"+01:00","parentID":"{CASE}",
"childEPCs":["{U1}","{U2}"],"action":"ADD","bizStep":"packing"}},
{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000003",
"eventTime":"2025-01-07T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{CASE}"],
"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit"}}"#
    ))
}

fn pharmacy() -> String {
    doc(&format!(
        r#"{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000004",
"eventTime":"2025-01-09T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{CASE}"],
"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress"}},
{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000005",
"eventTime":"2025-01-10T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{U1}"],
"action":"OBSERVE","bizStep":"dispensing","disposition":"dispensed"}},
{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000006",
"eventTime":"2025-01-11T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{U1}"],
"action":"OBSERVE","bizStep":"dispensing","disposition":"dispensed"}}"#
    ))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

#[test]
fn import_show_and_list() {
    let tmp = TempDir::new("import");
    let docs = tmp.0.join("docs");
    std::fs::create_dir_all(&docs).expect("docs dir");
    write(&docs, "1-packaging.jsonld", &packaging());
    write(&docs, "2-pharmacy.json", &pharmacy());
    write(&docs, "3-broken.json", r#"{"type":"EPCISDocument","epcisBody":{"eventList":[{"#);
    write(&docs, "notes.txt", "not EPCIS, and not imported");
    let data = tmp.0.join("data").display().to_string();
    let docs = docs.display().to_string();

    let out = serialhub_env(&["import", "--data", &data, &docs], b"", &[NOW]);
    let text = stdout(&out);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a rejected document: exit 1\n{text}{errors}");
    assert!(text.contains("documents: 2 stored, 1 rejected"), "{text}");
    assert!(text.contains("events: 6 stored, 0 duplicates, 0 late"), "{text}");
    assert!(text.contains("EPCs: 9"), "{text}");
    assert!(text.contains("exceptions in the store: 1 (F11 1)"), "{text}");
    assert!(errors.contains("3-broken.json:"), "{errors}");
    assert!(errors.contains("3-broken.json: rejected, nothing of it stored"), "{errors}");

    // Importing again stores nothing new: every event is a duplicate.
    let again = serialhub_env(&["import", "--data", &data, &docs], b"", &[NOW]);
    let text = stdout(&again);
    assert!(text.contains("events: 0 stored, 6 duplicates"), "{text}");
    assert!(text.contains("exceptions in the store: 1 (F11 1)"), "{text}");

    let list = serialhub_env(&["exceptions", "list", "--json", "--data", &data], b"", &[]);
    assert_eq!(list.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&list)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["type"], "F11");
    assert_eq!(lines[0]["code"], "dispense_twice");
    assert_eq!(lines[0]["epcs"], serde_json::json!([U1]));
    let ids = lines[0]["event_ids"].as_array().expect("event_ids");
    assert_eq!(
        ids.last(),
        Some(&serde_json::json!("urn:uuid:00000000-0000-4000-8000-000000000006"))
    );
    assert!(lines[0]["message"].as_str().expect("message").contains(U1));
    let filtered =
        serialhub_env(&["exceptions", "list", "--type", "F4", "--data", &data], b"", &[]);
    assert_eq!(stdout(&filtered), "");

    // The lot: what a recall of L1 reaches, and its exceptions.
    let lot = "urn:epc:class:lgtin:4012345.011111.L1";
    let shown = serialhub_env(&["lot", "show", lot, "--units", "--data", &data], b"", &[]);
    let text = stdout(&shown);
    assert_eq!(shown.status.code(), Some(0), "{text}");
    assert!(text.contains("units: 2\n  dispensed: 1\n  received: 1\n"), "{text}");
    assert!(text.contains("status: released\n"), "no recall or withdrawal: {text}");
    assert!(text.contains("https://id.gs1.org/01/04012345111118/21/1001 dispensed"), "{text}");
    let by_lot = serialhub_env(
        &["exceptions", "list", "--lot", "(01)04012345111118(10)L1", "--data", &data],
        b"",
        &[],
    );
    assert!(stdout(&by_lot).starts_with("F11 dispense_twice"), "{}", stdout(&by_lot));
    let other = serialhub_env(
        &["exceptions", "list", "--lot", "(01)04012345111118(10)L2", "--data", &data],
        b"",
        &[],
    );
    assert_eq!(stdout(&other), "");
    let later = serialhub_env(
        &["exceptions", "list", "--since", "2025-03-01T00:00:01Z", "--data", &data],
        b"",
        &[],
    );
    assert_eq!(stdout(&later), "", "captured at SERIALHUB_NOW, before --since");
    let window = serialhub_env(
        &[
            "exceptions",
            "list",
            "--since",
            "2025-03-01T00:00:00Z",
            "--until",
            "2025-03-02T00:00:00Z",
            "--data",
            &data,
        ],
        b"",
        &[],
    );
    assert_eq!(stdout(&window).lines().count(), 1);
    let bad =
        serialhub_env(&["exceptions", "list", "--since", "yesterday", "--data", &data], b"", &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--since \"yesterday\": expected an RFC 3339 time")
    );

    // U2 is in the received case: its state comes through the container; its pedigree
    // holds the case's events after the packing.
    let show =
        serialhub_env(&["serial", "show", "(01)04012345111118(21)1002", "--data", &data], b"", &[]);
    let text = stdout(&show);
    assert_eq!(show.status.code(), Some(0), "{text}");
    assert!(text.contains("identifier: https://id.gs1.org/01/04012345111118/21/1002"), "{text}");
    assert!(
        text.contains(
            "status: received (through container https://id.gs1.org/00/040123450000000177)"
        ),
        "{text}"
    );
    assert!(text.contains("lot: L1"), "{text}");
    assert!(text.contains("expiry: 2027-01-31"), "{text}");
    assert!(text.contains("via https://id.gs1.org/00/"), "{text}");
    let history: Vec<&str> = text.lines().skip_while(|l| *l != "history:").skip(1).collect();
    assert_eq!(history.len(), 4, "commission, pack, ship and receive of the case\n{text}");
    assert!(history[2].contains("shipping") && history[3].contains("receiving"), "{text}");

    let case = serialhub_env(&["serial", "show", CASE, "--data", &data], b"", &[]);
    let text = stdout(&case);
    assert!(text.contains("children: 2 direct, 2 in all"), "{text}");

    let missing = serialhub_env(
        &["serial", "show", "urn:epc:id:sgtin:4012345.011111.9", "--data", &data],
        b"",
        &[],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("not in the ledger"));
    let bad = serialhub_env(&["serial", "show", "(01)04012345111119", "--data", &data], b"", &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a GS1 code"));
}

/// The workbench from a terminal, over the same store: `exceptions list --workbench` and its
/// filters, `exceptions groups`, `exceptions show`, and `exceptions act`, audited (the
/// history shows the action); a refused action exits 1 and records nothing.
#[test]
fn the_workbench_from_the_command_line() {
    let tmp = TempDir::new("workbench");
    let docs = tmp.0.join("docs");
    std::fs::create_dir_all(&docs).expect("docs dir");
    write(&docs, "1-packaging.jsonld", &packaging());
    write(&docs, "2-pharmacy.json", &pharmacy());
    let data = tmp.0.join("data").display().to_string();
    let docs = docs.display().to_string();
    // Away from any serialhub.toml of the working directory.
    let config = write(&tmp.0, "serialhub.toml", "");
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", &data, "--config", &config]);
        serialhub_env(&all, b"", &[NOW])
    };
    let imported = serialhub_env(&["import", "--data", &data, &docs], b"", &[NOW]);
    assert_eq!(imported.status.code(), Some(0), "{}", stdout(&imported));

    let listed = run(&["exceptions", "list", "--workbench"]);
    assert_eq!(listed.status.code(), Some(0), "{}", String::from_utf8_lossy(&listed.stderr));
    let rows: Vec<serde_json::Value> =
        stdout(&listed).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!((row["type"].as_str(), row["code"].as_str()), (Some("F11"), Some("dispense_twice")));
    assert_eq!(
        (row["status"].as_str(), row["rootCause"].as_str()),
        (Some("new"), Some("duplicate"))
    );
    let id = row["id"].as_str().expect("an id").to_owned();
    assert_eq!(stdout(&run(&["exceptions", "list", "--status", "closed"])), "");
    assert_eq!(stdout(&run(&["exceptions", "list", "--open", "--type", "F11"])).lines().count(), 1);
    let bad = run(&["exceptions", "list", "--status", "lost"]);
    assert_eq!(bad.status.code(), Some(2)); // an error before any work: 2
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--status \"lost\""));

    let groups = stdout(&run(&["exceptions", "groups"]));
    assert!(
        groups.contains("1 open") && groups.contains("duplicate:ledger/04012345111118"),
        "{groups}"
    );

    let refused = run(&["exceptions", "act", "resend", "--id", &id, "--reason", "try"]);
    assert_eq!(refused.status.code(), Some(1), "a ledger exception is not resent");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only failed messages"));
    let acted = run(&[
        "exceptions",
        "act",
        "accept",
        "--id",
        &id,
        "--actor",
        "qa-lead",
        "--reason",
        "the pharmacy scanned the pack twice; one dispense",
    ]);
    assert_eq!(acted.status.code(), Some(0), "{}", String::from_utf8_lossy(&acted.stderr));
    let outcome: serde_json::Value = serde_json::from_str(stdout(&acted).trim()).expect("JSON");
    assert_eq!(outcome["auditSeq"], 1, "{outcome}");

    let shown = run(&["exceptions", "show", &id]);
    assert_eq!(shown.status.code(), Some(0));
    let detail: serde_json::Value = serde_json::from_str(&stdout(&shown)).expect("JSON");
    assert_eq!(
        (detail["status"].as_str(), detail["closure"].as_str()),
        (Some("closed"), Some("accepted"))
    );
    assert_eq!(detail["history"][0]["actor"], "qa-lead (cli)");
    assert_eq!(detail["history"][0]["before"]["status"], "new");
    assert_eq!(detail["evidence"]["rule"], "dispense_twice");
    assert_eq!(run(&["exceptions", "show", "99-0"]).status.code(), Some(1));
}

/// The F3 rectification of DOMAIN.md, from files: a pack commissioned with the wrong lot, then
/// the error declaration of that commissioning with the corrective commissioning. The ledger
/// takes the wrong one back, so the correction is no second commissioning, and the pack shows
/// the right lot.
#[test]
fn an_error_declaration_takes_its_event_back() {
    let tmp = TempDir::new("declaration");
    let commissioning = |lot: &str, id: &str, declaration: &str| {
        format!(
            r#"{{"type":"ObjectEvent","eventID":"{id}","eventTime":"2025-01-06T08:00:00Z",
"eventTimeZoneOffset":"+01:00","epcList":["{U1}"],"action":"ADD","bizStep":"commissioning",
"disposition":"active","ilmd":{{"cbvmda:lotNumber":"{lot}"}}{declaration}}}"#
        )
    };
    let wrong_id = "urn:uuid:00000000-0000-4000-8000-0000000000a1";
    let right_id = "urn:uuid:00000000-0000-4000-8000-0000000000a2";
    let wrong = commissioning("WRONG", wrong_id, "");
    let declared = commissioning(
        "WRONG",
        wrong_id,
        &format!(
            r#","errorDeclaration":{{"declarationTime":"2025-01-08T08:00:00Z",
"reason":"incorrect_data","correctiveEventIDs":["{right_id}"]}}"#
        ),
    );
    let right = commissioning("L1", right_id, "");
    let first = write(&tmp.0, "1-line.jsonld", &doc(&wrong));
    let second = write(&tmp.0, "2-correction.jsonld", &doc(&format!("{declared},{right}")));
    let data = tmp.0.join("data").display().to_string();
    for file in [&first, &second] {
        let out = serialhub_env(&["import", "--data", &data, file], b"", &[NOW]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
    let show = serialhub_env(&["serial", "show", U1, "--data", &data], b"", &[]);
    let text = stdout(&show);
    assert!(text.contains("lot: L1"), "the correction made the record: {text}");
    let list = serialhub_env(&["exceptions", "list", "--json", "--data", &data], b"", &[]);
    assert_eq!(stdout(&list), "", "no commissioned_twice");
}

/// Commissions a third pack and ships it, beside a resend of the packaging's first event.
fn more() -> String {
    let packaging = packaging();
    let start = packaging.find(r#"{"type":"ObjectEvent""#).expect("the first event");
    let end = packaging.find(r#"{"type":"AggregationEvent""#).expect("the second event");
    let resent = packaging[start..end].trim_end().trim_end_matches(',');
    doc(&format!(
        r#"{resent},
{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000007",
"eventTime":"2025-01-12T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{U3}"],
"action":"ADD","bizStep":"commissioning","disposition":"active"}},
{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-000000000008",
"eventTime":"2025-01-13T08:00:00Z","eventTimeZoneOffset":"+01:00","epcList":["{U3}"],
"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit"}}"#
    ))
}

const U3: &str = "urn:epc:id:sgtin:4012345.011111.1003";

/// The summary lines an import prints, without its timing.
fn summary(output: &std::process::Output) -> String {
    stdout(output).lines().filter(|l| !l.starts_with("time:")).collect::<Vec<_>>().join("\n")
}

/// `import --postgres` (whose documents PostgreSQL decides while it writes the one before)
/// prints what the embedded store's import prints, and stores the same findings; a second
/// import finds every event stored.
#[test]
fn import_into_postgresql_as_into_the_embedded_store() {
    let tmp = TempDir::new("import-pg");
    let docs = tmp.0.join("docs");
    std::fs::create_dir_all(&docs).expect("docs dir");
    write(&docs, "1-packaging.jsonld", &packaging());
    write(&docs, "2-pharmacy.json", &pharmacy());
    write(&docs, "3-broken.json", r#"{"type":"EPCISDocument","epcisBody":{"eventList":[{"#);
    write(&docs, "4-more.json", &more());
    let data = tmp.0.join("data").display().to_string();
    let docs = docs.display().to_string();
    let schema = crate::PgSchema::new("import_it");
    let pg = schema.store_url();

    let embedded = serialhub_env(&["import", "--data", &data, &docs], b"", &[NOW]);
    let imported = serialhub_env(&["import", "--postgres", &pg, &docs], b"", &[NOW]);
    let errors = String::from_utf8_lossy(&imported.stderr);
    assert_eq!(imported.status.code(), Some(1), "a rejected document: exit 1\n{errors}");
    assert!(errors.contains("3-broken.json: rejected, nothing of it stored"), "{errors}");
    let text = summary(&imported);
    assert!(text.contains("documents: 3 stored, 1 rejected"), "{text}");
    assert!(text.contains("events: 8 stored, 1 duplicates, 0 late"), "{text}");
    assert_eq!(text, summary(&embedded));

    let again = serialhub_env(&["import", "--postgres", &pg, &docs], b"", &[NOW]);
    assert!(summary(&again).contains("events: 0 stored, 9 duplicates"), "{}", summary(&again));

    let list = |store: &[&str]| {
        let out = serialhub_env(&[&["exceptions", "list", "--json"], store].concat(), b"", &[]);
        assert_eq!(out.status.code(), Some(0));
        stdout(&out)
    };
    let findings = list(&["--postgres", &pg]);
    assert!(findings.contains("dispense_twice"), "{findings}");
    assert_eq!(findings, list(&["--data", &data]));
    let show = |store: &[&str]| {
        let out = serialhub_env(&[&["serial", "show", U3], store].concat(), b"", &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        stdout(&out)
    };
    let shown = show(&["--postgres", &pg]);
    assert!(shown.contains("status: "), "{shown}");
    assert_eq!(shown, show(&["--data", &data]));
}

/// A document commissioning the pack with serial `serial`, its event ID ending in `serial`.
fn commissioning_doc(serial: u32) -> String {
    doc(&format!(
        r#"{{"type":"ObjectEvent","eventID":"urn:uuid:00000000-0000-4000-8000-{serial:012}",
"eventTime":"2025-01-06T08:00:00Z","eventTimeZoneOffset":"+01:00",
"epcList":["urn:epc:id:sgtin:4012345.011111.{serial}"],"action":"ADD","bizStep":"commissioning"}}"#
    ))
}

/// A document the database refuses stops the import with its name, after the documents
/// before it were stored and with none after it stored, even with more of them read ahead.
#[test]
fn import_into_postgresql_stops_at_a_document_it_cannot_store() {
    let tmp = TempDir::new("import-pg-fault");
    let docs = tmp.0.join("docs");
    std::fs::create_dir_all(&docs).expect("docs dir");
    for serial in 1..=8 {
        write(&docs, &format!("{serial}.json"), &commissioning_doc(2000 + serial));
    }
    let docs = docs.display().to_string();
    let schema = crate::PgSchema::new("import_fault_it");
    let pg = schema.store_url();
    let first = serialhub_env(&["import", "--postgres", &pg, &format!("{docs}/1.json")], b"", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    schema.sql(
        "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.event_id LIKE '%000000002003' THEN RAISE EXCEPTION 'refused by the test'; \
         END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse_event BEFORE INSERT ON events \
         FOR EACH ROW EXECUTE FUNCTION refuse_event();",
    );

    // Under a time limit: a reader left blocked on a full channel would hang the import.
    let out = std::process::Command::new("timeout")
        .args(["120", env!("CARGO_BIN_EXE_serialhub"), "import", "--postgres", &pg, &docs])
        .env(NOW.0, NOW.1)
        .output()
        .expect("timeout runs serialhub");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(124), "the import hung:\n{errors}");
    assert_ne!(out.status.code(), Some(0), "{errors}");
    assert!(errors.contains("could not store") && errors.contains("3.json"), "{errors}");
    assert!(errors.contains("refused by the test"), "{errors}");
    let show = |serial: u32| {
        let code = format!("urn:epc:id:sgtin:4012345.011111.{serial}");
        serialhub_env(&["serial", "show", &code, "--postgres", &pg], b"", &[]).status.code()
    };
    assert_eq!(show(2001), Some(0), "stored by the first import");
    assert_eq!(show(2002), Some(0), "stored before the refused document");
    for serial in 2003..=2008 {
        assert_eq!(show(serial), Some(1), "{serial}: nothing at or after the refused document");
    }
}
