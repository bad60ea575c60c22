//! The consumer verification page in a real browser: `tests/browser/consumer.mjs` drives
//! Chromium (through playwright-core) against the real `serialhub serve`.
//!
//! Like the PostgreSQL tests, this fails loudly when its tools are missing rather than passing
//! without having run: CI installs them in `.ci/run`.

use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser/consumer.mjs");
const NODE_MODULES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser/node_modules/playwright-core");
const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn consumer_page_in_chromium() {
    let mut missing = Vec::new();
    if !Path::new(NODE_MODULES).is_dir() {
        missing.push("playwright-core: run `npm ci --prefix tests/browser`");
    }
    if !Path::new(CHROMIUM).is_file() {
        missing.push("Chromium: run `apt-get install chromium`");
    }
    assert!(missing.is_empty(), "the browser test cannot run; missing {}", missing.join("; "));

    let output = Command::new("node")
        .arg(SCRIPT)
        .env("SERIALHUB_BIN", env!("CARGO_BIN_EXE_serialhub"))
        .output()
        .expect("node starts (install Node.js 18 or later)");
    assert!(
        output.status.success(),
        "{SCRIPT} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
