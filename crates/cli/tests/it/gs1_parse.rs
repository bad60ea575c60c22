//! `serialhub gs1 parse`: the JSON-lines contract that tools outside the test suite rely on.

use serde_json::{Value, json};

use crate::serialhub;

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .expect("stdout is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

#[test]
fn parses_arguments_into_the_documented_shape() {
    let out = serialhub(&["gs1", "parse", "]d201095060001343521726123110AB-12\u{1d}21X1"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        lines(&out.stdout),
        vec![json!({
            "input": "]d201095060001343521726123110AB-12\u{1d}21X1",
            "ok": true,
            "ais": [["01", "09506000134352"], ["17", "261231"], ["10", "AB-12"], ["21", "X1"]],
            "hri": "(01)09506000134352(17)261231(10)AB-12(21)X1",
            "digital_link": "https://id.gs1.org/01/09506000134352/10/AB-12/21/X1?17=261231",
            "epc": null
        })]
    );
}

#[test]
fn reads_standard_input_in_order_and_reports_failures() {
    let input = "(01)09506000134352(21)X1\n]d2010950600013435217261232\r\nurn:epc:id:sgtin:0614141.112345.400\n\n";
    let out = serialhub(&["gs1", "parse"], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out.stdout);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0]["ok"], json!(true));
    assert_eq!(
        got[1],
        json!({"input": "]d2010950600013435217261232", "ok": false, "error": "AI (17): day is not valid \"32\" (position 25)", "position": 25})
    );
    assert_eq!(got[2]["epc"], json!("urn:epc:id:sgtin:0614141.112345.400"));
    assert_eq!(got[2]["ais"], json!([["01", "10614141123459"], ["21", "400"]]));
    assert_eq!(got[3]["ok"], json!(false));
    assert_eq!(got[3]["position"], json!(0));
}

#[test]
fn gcp_length_table_gives_epc_uris() {
    let dir = std::env::temp_dir().join(format!("serialhub-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let table = dir.join("gcp.txt");
    std::fs::write(&table, "# prefix,length\n950600,7\n").expect("write table");
    let out = serialhub(
        &[
            "gs1",
            "parse",
            "--gcp-lengths",
            table.to_str().expect("utf-8 path"),
            "(01)09506000134352(21)X/1",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines(&out.stdout)[0]["epc"], json!("urn:epc:id:sgtin:9506000.013435.X%2F1"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn invalid_utf8_is_an_error_line_not_a_crash() {
    let out = serialhub(&["gs1", "parse"], b"(01)0950600013435\xff2\n(01)09506000134352\n");
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out.stdout);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["ok"], json!(false));
    assert_eq!(got[0]["position"], json!(17));
    assert_eq!(got[1]["ok"], json!(true));
}

#[test]
fn usage_errors_exit_2() {
    let out = serialhub(&["gs1", "parse", "--no-such-flag"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = serialhub(&["gs1", "parse", "--gcp-lengths", "/nonexistent/table"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/table"));
}

#[test]
fn streams_large_inputs() {
    // 200,000 lines pass through without the output being held back until the end.
    let mut input = String::new();
    for i in 0..200_000u32 {
        input.push_str(&format!("(01)09506000134352(21)S{i}\n"));
    }
    let out = serialhub(&["gs1", "parse"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 200_000);
    assert!(text.lines().last().expect("last line").contains("\"S199999\""));
}

#[test]
fn oversized_lines_are_refused_without_holding_them() {
    let mut input = vec![b'('; 200_000];
    input.extend_from_slice(b"\n(01)09506000134352\n");
    let out = serialhub(&["gs1", "parse"], &input);
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out.stdout);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["ok"], json!(false));
    assert_eq!(
        got[0]["error"],
        json!("the input is 200000 bytes long, more than the 65536 allowed")
    );
    assert_eq!(got[0]["input"].as_str().map(str::len), Some(64));
    assert_eq!(got[1]["ok"], json!(true));
}

#[test]
fn serials_are_unique_and_respect_the_guessing_bound() {
    let out = serialhub(&["gs1", "serials", "--count", "1000", "--length", "10"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let serials: std::collections::HashSet<&str> = text.lines().collect();
    assert_eq!(serials.len(), 1000);
    assert!(serials.iter().all(|s| s.len() == 10 && s.bytes().all(|b| b.is_ascii_alphanumeric())));
    // 10^6 numeric serials of 6 digits allow fewer than 100 issued.
    let out = serialhub(
        &["gs1", "serials", "--count", "100", "--length", "6", "--alphabet", "numeric"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("above the allowed 1e-4"));
}
