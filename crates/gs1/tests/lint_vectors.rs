//! Runs every linter vector extracted from the GS1 Barcode Syntax Dictionary's reference unit
//! tests and checks the error code and the marked span of each.

use std::cell::Cell;

use serialhub_gs1::lint::{GcpLookup, GcpStatus, LintError, Linter, lint_with};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/gs1-syntax-dictionary/extracted-vectors/lint.json"
);

/// Mismatches to show in the failure message; the count covers all of them.
const MISMATCHES_SHOWN_MAX: usize = 50;

/// Reproduces the reference's test stub (`src/test-gcp-lookup.h`): it answers "valid" for the
/// first `countdown` lookups, then answers with its configured status.
struct StubGcpLookup {
    status: GcpStatus,
    countdown: Cell<u32>,
}

impl GcpLookup for StubGcpLookup {
    fn lookup(&self, _data: &[u8]) -> GcpStatus {
        match self.countdown.get() {
            0 => self.status,
            remaining => {
                self.countdown.set(remaining - 1);
                GcpStatus::Valid
            }
        }
    }
}

/// How the reference test configured its stub before a case.
///
/// The reference tests set the stub's result before each lookup-failure case, which the vector
/// records as the expected GCP error. Coupon cases that carry several company prefixes also
/// set a countdown of one so that the primary GCP passes and the later one fails
/// (`src/lint_couponcode.c`, the tests after the NACAG examples); the vectors do not record
/// the countdown, so it is listed here.
fn stub_for(linter: &str, input: &str, expected_error: Option<&str>) -> StubGcpLookup {
    let status = match expected_error {
        Some("GS1_LINTER_INVALID_GCP_PREFIX") => GcpStatus::InvalidPrefix,
        Some("GS1_LINTER_GCP_DATASOURCE_OFFLINE") => GcpStatus::Offline,
        _ => GcpStatus::Valid,
    };
    let countdown = match (linter, input) {
        (
            "gs1_lint_couponcode",
            "012345612345611110123101101230123456"
            | "01234561234561111012321101230123456"
            | "012345612345611110123611234567",
        ) => 1,
        _ => 0,
    };
    StubGcpLookup { status, countdown: Cell::new(countdown) }
}

/// The vectors hold C strings as JSON text, one char per byte (bytes 0x80-0xFF appear as
/// U+0080-U+00FF), so offsets in the markup are byte offsets.
fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|ch| u8::try_from(u32::from(ch)).expect("vector text is one byte per char"))
        .collect()
}

/// Marks the span as the reference does: the offending bytes wrapped in `*`.
fn markup(input: &[u8], err: &LintError) -> Vec<u8> {
    let mut marked = Vec::with_capacity(input.len() + 2);
    marked.extend_from_slice(&input[..err.start]);
    marked.push(b'*');
    marked.extend_from_slice(&input[err.start..err.start + err.len]);
    marked.push(b'*');
    marked.extend_from_slice(&input[err.start + err.len..]);
    marked
}

fn describe(result: &Result<(), LintError>, input: &[u8]) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(err) if err.start + err.len <= input.len() => {
            format!("{} {}", err.code.name(), String::from_utf8_lossy(&markup(input, err)))
        }
        Err(err) => format!("{} span {:?} outside the input", err.code.name(), err.span()),
    }
}

#[test]
fn reference_lint_vectors() {
    let text = std::fs::read_to_string(VECTORS).expect("vectors are readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("vectors are JSON");
    let cases = json["cases"].as_array().expect("vectors have cases");
    assert_eq!(Some(cases.len() as u64), json["count"].as_u64(), "count matches the cases");

    let mut mismatches = Vec::new();
    for case in cases {
        let linter_name = case["linter"].as_str().expect("case has a linter");
        let input_text = case["input"].as_str().expect("case has an input");
        let should_succeed = case["should_succeed"].as_bool().expect("case has an outcome");
        let expected_error = case["expected_error"].as_str();
        let expected_markup = case["expected_markup"].as_str().map(latin1_bytes);
        let source = case["source"].as_str().unwrap_or("?");

        let Some(linter) = linter_name.strip_prefix("gs1_lint_").and_then(Linter::from_name) else {
            mismatches.push(format!("{source}: unknown linter {linter_name}"));
            continue;
        };
        let input = latin1_bytes(input_text);
        let stub = stub_for(linter_name, input_text, expected_error);
        let result = lint_with(linter, &input, &stub);

        let matches = match (&result, should_succeed) {
            (Ok(()), true) => true,
            (Err(err), false) => {
                Some(err.code.name()) == expected_error
                    && err.start + err.len <= input.len()
                    && Some(markup(&input, err)) == expected_markup
            }
            _ => false,
        };
        if !matches {
            let expected = if should_succeed {
                "ok".to_owned()
            } else {
                format!(
                    "{} {}",
                    expected_error.unwrap_or("?"),
                    String::from_utf8_lossy(&expected_markup.unwrap_or_default())
                )
            };
            mismatches.push(format!(
                "{source}: {linter_name}({input_text:?}): expected {expected}, got {}",
                describe(&result, &input)
            ));
        }
    }

    assert!(
        mismatches.is_empty(),
        "{} of {} vectors mismatch; the first {}:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.len().min(MISMATCHES_SHOWN_MAX),
        mismatches[..mismatches.len().min(MISMATCHES_SHOWN_MAX)].join("\n")
    );
}
