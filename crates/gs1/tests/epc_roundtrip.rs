//! EPC URI round trips: random element data and random URIs of every scheme survive conversion
//! both ways byte for byte, every EPC URI in the shared reference data does too, and no input
//! makes the converter panic.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serialhub_gs1::epc::{Epc, EpcScheme, format_epc_uri, format_lgtin_class_uri, parse_epc_uri};

/// GS1 AI encodable character set 82.
const CSET82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// GS1 AI encodable character set 39.
const CSET39: &str = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Third-party reference data (EPCIS examples and test vectors), read at run time.
const REF_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref");

/// Element data of one scheme and the company prefix length to write it with.
#[derive(Debug, Clone)]
struct Case {
    scheme: EpcScheme,
    gcp_len: u8,
    ais: Vec<(&'static str, String)>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn ai_to_uri_to_ai(case in select(EpcScheme::ALL.to_vec()).prop_flat_map(ai_case)) {
        let uri = format_ais(case.scheme, &case.ais, case.gcp_len)
            .map_err(TestCaseError::fail)?;
        let epc = parse_epc_uri(&uri).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
        prop_assert_eq!(epc.scheme, case.scheme);
        prop_assert_eq!(epc.gcp_len, case.gcp_len);
        prop_assert_eq!(epc.ais, case.ais);
    }

    #[test]
    fn uri_to_ai_to_uri(uri in select(EpcScheme::ALL.to_vec()).prop_flat_map(uri_case)) {
        let epc = parse_epc_uri(&uri).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
        let back = format_epc(&epc).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
        prop_assert_eq!(back, uri);
    }

    /// Valid URIs with one character replaced, inserted or removed: whatever still parses is
    /// canonical, and errors point inside the input.
    #[test]
    fn mutated_uris(
        uri in select(EpcScheme::ALL.to_vec()).prop_flat_map(uri_case),
        at in any::<Index>(),
        c in select(URI_ALPHABET.chars().collect::<Vec<_>>()),
        op in 0..3,
    ) {
        let mut chars: Vec<char> = uri.chars().collect();
        let at = at.index(chars.len());
        match op {
            0 => chars[at] = c,
            1 => chars.insert(at, c),
            _ => { chars.remove(at); }
        }
        let mutated: String = chars.into_iter().collect();
        check_parse_total(&mutated)?;
    }

    #[test]
    fn arbitrary_text(text in prop_oneof![uri_like(), any::<String>()]) {
        check_parse_total(&text)?;
    }

    /// Any element data either formats to a URI that parses back to the given AIs, or is
    /// refused with an error that points inside the value it is about.
    #[test]
    fn arbitrary_element_data(
        ais in proptest::collection::vec((select(EPC_AIS.to_vec()), ai_value()), 0..4),
        gcp_len in prop_oneof![6u8..=12, any::<u8>()],
    ) {
        let pairs: Vec<(&str, &str)> = ais.iter().map(|(ai, v)| (*ai, v.as_str())).collect();
        match format_epc_uri(&pairs, gcp_len) {
            Ok(Some(uri)) => {
                let epc = parse_epc_uri(&uri).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
                for (ai, value) in &epc.ais {
                    prop_assert!(pairs.contains(&(*ai, value.as_str())), "({}){} not given", ai, value);
                }
            }
            Ok(None) => {}
            Err(error) => {
                if let (Some(ai), Some(position)) = (error.ai(), error.position()) {
                    let longest = pairs.iter().filter(|(a, _)| *a == ai).map(|(_, v)| v.chars().count()).max();
                    prop_assert!(longest.is_some_and(|len| position <= len), "{}", error);
                }
            }
        }
    }
}

/// Parsing never panics; what parses formats back to the same text, and errors point at most
/// one past the input's last character.
fn check_parse_total(text: &str) -> Result<(), TestCaseError> {
    match parse_epc_uri(text) {
        Ok(epc) => {
            let back = format_epc(&epc).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(back, text);
        }
        Err(error) => {
            let position = error.position().expect("uri errors have a position");
            prop_assert!(position <= text.chars().count(), "{}: {}", text, error);
            prop_assert!(!error.to_string().is_empty());
        }
    }
    Ok(())
}

#[test]
fn reference_data_uris_round_trip() {
    // EPC URIs in the reference data that are deliberately invalid examples, with the reason.
    // None are: every one found is a valid pure identity or LGTIN class URI.
    const SKIPPED: &[(&str, &str)] = &[];

    let mut uris = BTreeSet::new();
    collect_uris(Path::new(REF_DIR), &mut uris);
    // The files hold 269 distinct URIs (grep -rhoE 'urn:epc:(id|class):[a-z]+:[^"< ]+', with
    // Turtle's closing '>', JSON-escaped newlines and REST query strings cut off).
    assert_eq!(uris.len(), 269, "reference data changed: {uris:#?}");
    let mut failures = Vec::new();
    for uri in &uris {
        if SKIPPED.iter().any(|(skipped, _)| skipped == uri) {
            continue;
        }
        match parse_epc_uri(uri).and_then(|epc| format_epc(&epc)) {
            Ok(back) if back == *uri => {}
            Ok(back) => failures.push(format!("{uri} came back as {back}")),
            Err(error) => failures.push(format!("{uri}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The EPC URI to GS1 Digital Link cases of the EPCIS event hash generator: the AIs of each EPC
/// URI are those of its canonical Digital Link.
#[test]
fn digital_link_known_answers() {
    let path = format!(
        "{REF_DIR}/epcis-event-hash-generator/extracted-vectors/dl_normaliser_vectors.json"
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let vectors: serde_json::Value = serde_json::from_str(&text).expect("valid json");
    let mut checked = 0;
    for case in vectors["cases"].as_array().expect("cases") {
        // Some inputs are not even strings (the number 42).
        let Some(input) = case["input"].as_str() else { continue };
        if !(input.starts_with("urn:epc:id:") || input.starts_with("urn:epc:class:")) {
            continue;
        }
        let expected = case["expected"].as_str().expect("an epc uri has a digital link");
        let path = expected.strip_prefix("https://id.gs1.org/").expect("canonical digital link");
        let segments: Vec<String> = path.split('/').map(percent_decode).collect();
        let expected_ais: Vec<(String, String)> =
            segments.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
        let epc = parse_epc_uri(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let ais: Vec<(String, String)> =
            epc.ais.iter().map(|(ai, value)| ((*ai).to_owned(), value.clone())).collect();
        assert_eq!(ais, expected_ais, "{input}");
        assert_eq!(format_epc(&epc).as_deref(), Ok(input));
        checked += 1;
    }
    assert_eq!(checked, 18);
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn format_ais(
    scheme: EpcScheme,
    ais: &[(&'static str, String)],
    gcp_len: u8,
) -> Result<String, String> {
    if scheme == EpcScheme::Lgtin {
        return format_lgtin_class_uri(&ais[0].1, &ais[1].1, gcp_len).map_err(|e| e.to_string());
    }
    let pairs: Vec<(&str, &str)> = ais.iter().map(|(ai, value)| (*ai, value.as_str())).collect();
    match format_epc_uri(&pairs, gcp_len) {
        Ok(Some(uri)) => Ok(uri),
        Ok(None) => Err(format!("no epc for {pairs:?}")),
        Err(error) => Err(error.to_string()),
    }
}

fn format_epc(epc: &Epc) -> Result<String, serialhub_gs1::epc::EpcError> {
    if epc.scheme == EpcScheme::Lgtin {
        return format_lgtin_class_uri(&epc.ais[0].1, &epc.ais[1].1, epc.gcp_len);
    }
    let pairs: Vec<(&str, &str)> =
        epc.ais.iter().map(|(ai, value)| (*ai, value.as_str())).collect();
    Ok(format_epc_uri(&pairs, epc.gcp_len)?.expect("a parsed epc has a key"))
}

fn with_check_digit(digits: String) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(idx, d)| u32::from(d - b'0') * if idx % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// TDS percent-encoding, written independently of the library's.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' | '%' | '&' | '/' | '<' | '>' | '?' | '#' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            _ => out.push(c),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// Walks `dir` and collects what `grep -rhoE 'urn:epc:(id|class):[a-z]+:[^"< ]+'` finds, except
/// that a URI also ends at whitespace, '>', '\' and '?'. None of these can appear unescaped in an
/// EPC URI; in the files they are Turtle's `<...>` brackets, JSON-escaped newlines in the REST
/// binding, and query strings appended to URIs in REST examples.
fn collect_uris(dir: &Path, uris: &mut BTreeSet<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_uris(&path, uris);
            continue;
        }
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        for (start, _) in text.match_indices("urn:epc:") {
            let rest = &text[start + "urn:epc:".len()..];
            let Some(after_kind) = rest.strip_prefix("id:").or_else(|| rest.strip_prefix("class:"))
            else {
                continue;
            };
            let name_len = after_kind.bytes().take_while(u8::is_ascii_lowercase).count();
            if name_len == 0 || after_kind.as_bytes().get(name_len) != Some(&b':') {
                continue;
            }
            let body = &after_kind[name_len + 1..];
            let body_len = body
                .find(|c: char| matches!(c, '"' | '<' | '>' | '\\' | '?') || c.is_whitespace())
                .unwrap_or(body.len());
            if body_len > 0 {
                let end = start
                    + "urn:epc:".len()
                    + (rest.len() - after_kind.len())
                    + name_len
                    + 1
                    + body_len;
                uris.insert(text[start..end].to_owned());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// Characters that make up EPC URIs, and some that must not appear in them.
const URI_ALPHABET: &str = "0123456789.:%2FAZaz!*-_\"#/? é\u{0}";

/// AIs that take part in EPC keys, and two that do not.
const EPC_AIS: [&str; 20] = [
    "00", "01", "10", "17", "21", "235", "253", "254", "255", "401", "402", "414", "417", "8003",
    "8004", "8006", "8010", "8011", "8017", "8018",
];

fn gcp_len() -> impl Strategy<Value = u8> {
    6u8..=12
}

fn digits(n: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(select(b"0123456789".to_vec()), n)
        .prop_map(|d| String::from_utf8(d).expect("ascii"))
        .boxed()
}

fn key(n_without_check: usize) -> BoxedStrategy<String> {
    digits(n_without_check).prop_map(with_check_digit).boxed()
}

fn chars_of(set: &'static str, min: usize, max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(select(set.chars().collect::<Vec<_>>()), min..=max)
        .prop_map(String::from_iter)
        .boxed()
}

fn cset82(min: usize, max: usize) -> BoxedStrategy<String> {
    chars_of(CSET82, min, max)
}

/// A CPI serial: a positive number without leading zeros (the dictionary refuses `0` for (8011)), small ones often.
fn cpi_serial() -> BoxedStrategy<String> {
    prop_oneof![1u64..100, 1u64..=999_999_999_999].prop_map(|n| n.to_string()).boxed()
}

fn sgcn_serial() -> BoxedStrategy<String> {
    (1usize..=12).prop_flat_map(digits).boxed()
}

fn ai_case(scheme: EpcScheme) -> BoxedStrategy<Case> {
    use EpcScheme as S;
    let case = move |gcp_len: u8, ais: Vec<(&'static str, String)>| Case { scheme, gcp_len, ais };
    match scheme {
        S::Sgtin | S::Upui | S::Lgtin => {
            let (qualifier, max) = match scheme {
                S::Sgtin => ("21", 20),
                S::Upui => ("235", 28),
                _ => ("10", 20),
            };
            (gcp_len(), key(13), cset82(1, max))
                .prop_map(move |(l, gtin, q)| case(l, vec![("01", gtin), (qualifier, q)]))
                .boxed()
        }
        S::Sscc => (gcp_len(), key(17)).prop_map(move |(l, k)| case(l, vec![("00", k)])).boxed(),
        S::Sgln => {
            let extension =
                proptest::option::of(cset82(1, 20).prop_filter("0 means none", |e| e != "0"));
            (gcp_len(), key(12), extension)
                .prop_map(move |(l, gln, extension)| {
                    let mut ais = vec![("414", gln)];
                    ais.extend(extension.map(|e| ("254", e)));
                    case(l, ais)
                })
                .boxed()
        }
        S::Grai => (gcp_len(), key(12), cset82(1, 16))
            .prop_map(move |(l, k, s)| case(l, vec![("8003", format!("0{k}{s}"))]))
            .boxed(),
        S::Giai | S::Ginc | S::Cpi => gcp_len()
            .prop_flat_map(move |l| {
                let max = 30 - usize::from(l);
                let reference =
                    if scheme == S::Cpi { chars_of(CSET39, 1, max) } else { cset82(1, max) };
                (Just(l), digits(usize::from(l)), reference, cpi_serial())
            })
            .prop_map(move |(l, gcp, reference, serial)| match scheme {
                S::Giai => case(l, vec![("8004", gcp + &reference)]),
                S::Ginc => case(l, vec![("401", gcp + &reference)]),
                _ => case(l, vec![("8010", gcp + &reference), ("8011", serial)]),
            })
            .boxed(),
        S::Gsrn | S::Gsrnp => {
            let ai = if scheme == S::Gsrn { "8018" } else { "8017" };
            (gcp_len(), key(17)).prop_map(move |(l, k)| case(l, vec![(ai, k)])).boxed()
        }
        S::Gdti => (gcp_len(), key(12), cset82(1, 17))
            .prop_map(move |(l, k, s)| case(l, vec![("253", k + &s)]))
            .boxed(),
        S::Sgcn => (gcp_len(), key(12), sgcn_serial())
            .prop_map(move |(l, k, s)| case(l, vec![("255", k + &s)]))
            .boxed(),
        S::Gsin => (gcp_len(), key(16)).prop_map(move |(l, k)| case(l, vec![("402", k)])).boxed(),
        S::Itip => (gcp_len(), key(13), digits(2), digits(2), cset82(1, 20))
            .prop_map(move |(l, gtin, piece, total, s)| {
                case(l, vec![("8006", format!("{gtin}{piece}{total}")), ("21", s)])
            })
            .boxed(),
        S::Pgln => (gcp_len(), key(12)).prop_map(move |(l, k)| case(l, vec![("417", k)])).boxed(),
    }
}

/// A valid URI of `scheme`, built from random components.
fn uri_case(scheme: EpcScheme) -> BoxedStrategy<String> {
    use EpcScheme as S;
    gcp_len()
        .prop_flat_map(move |l| {
            let l = usize::from(l);
            let text = |max| cset82(1, max).prop_map(|t| escape(&t)).boxed();
            let parts: Vec<BoxedStrategy<String>> = match scheme {
                S::Sgtin | S::Lgtin => vec![digits(l), digits(13 - l), text(20)],
                S::Upui => vec![digits(l), digits(13 - l), text(28)],
                S::Sscc => vec![digits(l), digits(17 - l)],
                S::Sgln => vec![digits(l), digits(12 - l), text(20)],
                S::Grai => vec![digits(l), digits(12 - l), text(16)],
                S::Giai | S::Ginc => vec![digits(l), text(30 - l)],
                S::Gsrn | S::Gsrnp => vec![digits(l), digits(17 - l)],
                S::Gdti => vec![digits(l), digits(12 - l), text(17)],
                S::Cpi => vec![
                    digits(l),
                    chars_of(CSET39, 1, 30 - l).prop_map(|t| escape(&t)).boxed(),
                    cpi_serial(),
                ],
                S::Sgcn => vec![digits(l), digits(12 - l), sgcn_serial()],
                S::Gsin => vec![digits(l), digits(16 - l)],
                S::Itip => vec![digits(l), digits(13 - l), digits(2), digits(2), text(20)],
                S::Pgln => vec![digits(l), digits(12 - l)],
            };
            parts
        })
        .prop_map(move |parts| format!("{}{}", scheme.uri_prefix(), parts.join(".")))
        .boxed()
}

/// Text that starts like an EPC URI more often than random text does.
fn uri_like() -> impl Strategy<Value = String> {
    let mut prefixes: Vec<String> =
        EpcScheme::ALL.iter().map(|s| s.uri_prefix().to_owned()).collect();
    prefixes.extend(
        ["urn:epc:", "urn:epc:id:", "urn:epc:id:gid:", "urn:epc:tag:sgtin-96:", ""]
            .map(String::from),
    );
    (
        select(prefixes),
        proptest::collection::vec(select(URI_ALPHABET.chars().collect::<Vec<_>>()), 0..40),
    )
        .prop_map(|(prefix, body)| prefix + &String::from_iter(body))
}

fn ai_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..=20).prop_flat_map(digits),
        key(13),
        key(17),
        key(12).prop_map(|k| format!("0{k}X")),
        cset82(0, 32),
        any::<String>(),
    ]
}
