//! Replays every unit-test vector of the GS1 Barcode Syntax Engine (as data, in
//! `shared/ref/gs1-syntax-engine/extracted-vectors`) against this crate.
//!
//! The vectors were written against dictionary release 2026-01-27, so they run with that table
//! (`Dictionary::release_2026_01_27`); the relation cases also run against the current table, and
//! any case whose outcome differs there must be explained by a dictionary change.

use serde_json::Value;
use serialhub_gs1::Options;
use serialhub_gs1::dictionary::Dictionary;

fn vectors(file: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../../shared/ref/gs1-syntax-engine/extracted-vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
    doc["cases"].as_array().expect("cases array").clone()
}

fn str_of<'a>(case: &'a Value, key: &str) -> Option<&'a str> {
    case.get(key).and_then(Value::as_str)
}

fn setting(case: &Value, key: &str) -> Option<bool> {
    case.get("settings").and_then(|s| s.get(key)).and_then(Value::as_str).map(|v| v == "true")
}

/// The options a case ran with, on the given dictionary.
fn options(case: &Value, dictionary: &'static Dictionary) -> Options {
    let mut opts = Options { dictionary, ..Options::default() };
    if let Some(v) = setting(case, "gs1_encoder_setPermitUnknownAIs") {
        opts.permit_unknown_ais = v;
    }
    if let Some(v) = setting(case, "gs1_encoder_setValidationEnabled(gs1_encoder_vREQUISITE_AIS)") {
        opts.validate_requisites = v;
    }
    if let Some(v) = setting(case, "ctx->permitConvenienceAlphas") {
        opts.permit_convenience_alphas = v;
    }
    if let Some(v) = setting(case, "gs1_encoder_setPermitZeroSuppressedGTINinDLuris") {
        opts.permit_zero_suppressed_gtin = v;
    }
    if let Some(v) =
        setting(case, "gs1_encoder_setValidationEnabled(gs1_encoder_vUNKNOWN_AI_NOT_DL_ATTR)")
    {
        opts.permit_unknown_dl_attributes = !v;
    }
    opts
}

/// Runs `run` on every case of `file` and fails with all mismatches at once.
fn replay(
    file: &str,
    dictionary: &'static Dictionary,
    run: impl Fn(&Value, Options) -> Result<(), String>,
) -> usize {
    let cases = vectors(file);
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run(case, options(case, dictionary)) {
            failures.push(format!("{} {}: {why}", case["source"].as_str().unwrap_or("?"), case));
        }
    }
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

fn expect_outcome(
    should_succeed: bool,
    got: Result<String, String>,
    want: Option<&str>,
) -> Result<(), String> {
    match (should_succeed, got) {
        (true, Ok(got)) => match want {
            Some(want) if want != got => Err(format!("got {got:?}, want {want:?}")),
            _ => Ok(()),
        },
        (true, Err(e)) => Err(format!("refused: {e}")),
        (false, Ok(got)) => Err(format!("accepted as {got:?}")),
        (false, Err(_)) => Ok(()),
    }
}

/// Checks a parse against the case's outcome, comparing data in the engine's `^` notation.
fn expect_ai_data(
    case: &Value,
    got: Result<serialhub_gs1::AiData, serialhub_gs1::Error>,
    want: Option<&str>,
) -> Result<(), String> {
    let got = got.map(|d| d.to_unbracketed()).map_err(|e| e.to_string());
    expect_outcome(case["should_succeed"].as_bool().expect("bool"), got, want)
}

fn engine() -> &'static Dictionary {
    Dictionary::release_2026_01_27()
}

#[test]
fn ai_parse_bracketed() {
    // These cases check syntax only: the engine ran them without association checks.
    let n = replay("ai_parse_bracketed.json", engine(), |case, mut opts| {
        opts.validate_requisites = false;
        let got =
            serialhub_gs1::parse_bracketed(str_of(case, "ai_bracketed").expect("input"), &opts);
        expect_ai_data(case, got, str_of(case, "expected_ai_data"))
    });
    assert_eq!(n, 27);
}

#[test]
fn ai_process_data() {
    // processAIdata in the engine checks values, not associations.
    let n = replay("ai_process_data.json", engine(), |case, mut opts| {
        opts.validate_requisites = false;
        let input = str_of(case, "ai_data").expect("input");
        expect_ai_data(case, serialhub_gs1::parse_unbracketed(input, &opts), None)
    });
    assert_eq!(n, 79);
}

#[test]
fn ai_validate_relations() {
    let n = replay("ai_validate_relations.json", engine(), |case, opts| {
        let got =
            serialhub_gs1::parse_bracketed(str_of(case, "ai_bracketed").expect("input"), &opts)
                .map(|d| d.to_bracketed())
                .map_err(|e| e.to_string());
        expect_outcome(case["should_succeed"].as_bool().expect("bool"), got, None)
    });
    assert_eq!(n, 77);
}

#[test]
fn ai_exists() {
    let n = replay("ai_exists.json", engine(), |case, opts| {
        let data =
            serialhub_gs1::parse_bracketed(str_of(case, "ai_bracketed").expect("input"), &opts)
                .map_err(|e| format!("setup: {e}"))?;
        let found =
            data.find(str_of(case, "needle_ai").expect("needle"), str_of(case, "ignore_ai"));
        let should = case["should_succeed"].as_bool().expect("bool");
        match (should, found, str_of(case, "expected_found_ai")) {
            (true, Some(e), Some(want)) if e.ai_str() == want => Ok(()),
            (true, Some(_), None) => Ok(()),
            (false, None, _) => Ok(()),
            (_, found, want) => {
                Err(format!("found {:?}, want {want:?}", found.map(|e| e.ai_str().to_owned())))
            }
        }
    });
    assert_eq!(n, 36);
}

#[test]
fn ai_error_markup() {
    // The engine marks the offending character as `|X|`; we report its position.
    let n = replay("ai_error_markup.json", engine(), |case, opts| {
        let input = str_of(case, "ai_bracketed").expect("input");
        let markup = str_of(case, "expected_markup").expect("markup");
        let want = markup.find('|').expect("marked");
        match serialhub_gs1::parse_bracketed(input, &opts) {
            Ok(_) => Err("accepted".into()),
            Err(e) if e.position == Some(want) => Ok(()),
            Err(e) => Err(format!("{e}: position {:?}, want {want}", e.position)),
        }
    });
    assert_eq!(n, 2);
}

#[test]
fn dl_parse() {
    let n = replay("dl_parse.json", engine(), |case, opts| {
        let uri = str_of(case, "dl_uri").expect("input");
        let got = serialhub_gs1::digital_link::parse_digital_link(uri, &opts);
        expect_ai_data(case, got, str_of(case, "expected_ai_data"))
    });
    assert_eq!(n, 118);
}

#[test]
fn dl_generate() {
    let n = replay("dl_generate.json", engine(), |case, opts| {
        let data =
            serialhub_gs1::parse_bracketed(str_of(case, "ai_bracketed").expect("input"), &opts);
        let stem = str_of(case, "stem").unwrap_or(serialhub_gs1::digital_link::DEFAULT_STEM);
        let got = data.map_err(|e| e.to_string()).and_then(|d| {
            let mut out = String::new();
            serialhub_gs1::digital_link::format_digital_link(&d, stem, &opts, &mut out)
                .map_err(|e| e.to_string())?;
            Ok(out)
        });
        expect_outcome(
            case["should_succeed"].as_bool().expect("bool"),
            got,
            str_of(case, "expected_dl_uri"),
        )
    });
    assert_eq!(n, 22);
}

#[test]
fn uri_escape_and_unescape() {
    let n = replay("uri_escape.json", engine(), |case, _| {
        let input = str_of(case, "input").expect("input");
        for (query, key) in [(false, "expected_path_component"), (true, "expected_query_component")]
        {
            let mut out = String::new();
            serialhub_gs1::digital_link::percent_encode(input, query, &mut out);
            let want = str_of(case, key).expect("expected");
            if out != want {
                return Err(format!("{key}: got {out:?}, want {want:?}"));
            }
        }
        Ok(())
    });
    assert_eq!(n, 10);
    let n = replay("uri_unescape.json", engine(), |case, _| {
        let input = str_of(case, "input").expect("input");
        for (query, key) in [(false, "expected_path_component"), (true, "expected_query_component")]
        {
            let mut out = String::new();
            serialhub_gs1::digital_link::percent_decode(input, query, &mut out)
                .map_err(|at| format!("refused at {at}"))?;
            let want = str_of(case, key).expect("expected");
            if out != want {
                return Err(format!("{key}: got {out:?}, want {want:?}"));
            }
        }
        Ok(())
    });
    assert_eq!(n, 21);
}

#[test]
fn scan_data_process() {
    let n = replay("scan_data_process.json", engine(), |case, opts| {
        let input = str_of(case, "scan_data").expect("input");
        let got = serialhub_gs1::scan::process_scan_data(input, &opts).map_err(|e| e.to_string());
        let want_symbology = str_of(case, "expected_symbology").expect("symbology");
        let got = got.map(|(symbology, message)| format!("{symbology} {message}"));
        expect_outcome(
            case["should_succeed"].as_bool().expect("bool"),
            got,
            Some(&format!("{want_symbology} {}", str_of(case, "expected_data").expect("data"))),
        )
    });
    assert_eq!(n, 54);
}

#[test]
fn scan_data_generate() {
    let n = replay("scan_data_generate.json", engine(), |case, opts| {
        let symbology = str_of(case, "symbology").expect("symbology");
        let data = str_of(case, "data").expect("data");
        let add_check_digit = setting(case, "gs1_encoder_setAddCheckDigit").unwrap_or(false);
        let got = serialhub_gs1::scan::generate_scan_data(symbology, data, add_check_digit, &opts);
        match (got, str_of(case, "expected_scan_data")) {
            (Ok(got), Some(want)) if got == want => Ok(()),
            (Err(_), None) => Ok(()),
            (got, want) => Err(format!("got {got:?}, want {want:?}")),
        }
    });
    assert_eq!(n, 45);
}

/// The same relation vectors against the current dictionary: only the cases listed differ, each
/// because of a change between release 2026-01-27 and the vendored HEAD.
#[test]
fn relations_against_current_dictionary() {
    let cases = vectors("ai_validate_relations.json");
    let mut differing = Vec::new();
    for case in &cases {
        let input = str_of(case, "ai_bracketed").expect("input");
        let old = serialhub_gs1::parse_bracketed(input, &options(case, engine())).is_ok();
        let new =
            serialhub_gs1::parse_bracketed(input, &options(case, Dictionary::current())).is_ok();
        if old != new {
            differing.push(input.to_owned());
        }
    }
    expect_test::expect![[r#"[]"#]].assert_eq(&format!("{differing:?}"));
}

#[test]
fn every_data_string_round_trips() {
    // Whatever parses must write back to the same data, in both textual forms.
    let mut checked = 0;
    for case in vectors("ai_process_data.json") {
        let input = str_of(&case, "ai_data").expect("input");
        let opts = Options { validate_requisites: false, ..options(&case, engine()) };
        let Ok(data) = serialhub_gs1::parse_unbracketed(input, &opts) else { continue };
        let again = serialhub_gs1::parse_unbracketed(&data.to_unbracketed(), &opts)
            .expect("own output parses");
        let bracketed =
            serialhub_gs1::parse_bracketed(&data.to_bracketed(), &opts).expect("own HRI parses");
        assert_eq!(again.to_bracketed(), data.to_bracketed());
        assert_eq!(bracketed.to_unbracketed(), data.to_unbracketed());
        checked += 1;
    }
    assert!(checked > 30, "only {checked} cases parsed");
}
