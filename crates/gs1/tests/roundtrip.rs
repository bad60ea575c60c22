//! Property tests: random valid pharma element data survives every conversion, in every
//! direction: element strings (bracketed, unbracketed, scan data of each GS1 symbology, plain GS),
//! GS1 Digital Link and EPC URIs.

use proptest::prelude::*;
use serialhub_gs1::lint::gs1_check_digit;
use serialhub_gs1::scan::Symbology;
use serialhub_gs1::{AiData, Options, parse};

const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(CSET82), 1..=max)
        .prop_map(|bytes| String::from_utf8(bytes).expect("ASCII"))
}

fn gtin() -> impl Strategy<Value = String> {
    "[0-9]{13}".prop_map(|body| {
        let check = gs1_check_digit(body.as_bytes()).expect("digits");
        format!("{body}{check}")
    })
}

fn date() -> impl Strategy<Value = String> {
    // DD = 00 means the last day of the month, which AI (17) allows.
    (0u32..100, 1u32..=12, 0u32..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

/// (AI, value) pairs of a pack's DataMatrix: GTIN first, then expiry, lot, serial, NHRN in
/// random presence.
fn pack() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        gtin(),
        proptest::option::of(date()),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        proptest::option::of((710u32..=717, "[0-9A-Z]{1,20}")),
    )
        .prop_map(|(gtin, expiry, lot, serial, nhrn)| {
            let mut ais = vec![("01".to_owned(), gtin)];
            if let Some(v) = expiry {
                ais.push(("17".into(), v));
            }
            if let Some(v) = lot {
                ais.push(("10".into(), v));
            }
            if let Some(v) = serial {
                ais.push(("21".into(), v));
            }
            if let Some((ai, v)) = nhrn {
                ais.push((ai.to_string(), v));
            }
            ais
        })
}

fn bracketed(ais: &[(String, String)]) -> String {
    ais.iter().map(|(ai, v)| format!("({ai}){}", v.replace('(', "\\("))).collect()
}

fn pairs(data: &AiData) -> Vec<(String, String)> {
    data.iter().map(|(ai, v)| (ai.as_str().to_owned(), v.to_owned())).collect()
}

fn sorted(mut ais: Vec<(String, String)>) -> Vec<(String, String)> {
    ais.sort();
    ais
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn element_string_forms_round_trip(ais in pack()) {
        let opts = Options::default();
        let (data, _) = parse(&bracketed(&ais), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(pairs(&data), ais.clone());
        prop_assert_eq!(data.to_bracketed(), bracketed(&ais));
        let (again, _) = parse(&data.to_unbracketed(), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(pairs(&again), ais.clone());
        for symbology in [Symbology::DataMatrix, Symbology::QrCode, Symbology::DotCode, Symbology::Gs1_128, Symbology::DataBar] {
            let scan = data.to_scan_data(symbology).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (again, _) = parse(&scan, &opts).map_err(|e| TestCaseError::fail(format!("{scan:?}: {e}")))?;
            prop_assert_eq!(pairs(&again), ais.clone());
        }
        // EAN-13 carries GTINs with a leading zero, the other AIs in a composite component.
        match data.to_scan_data(Symbology::Ean13) {
            Ok(scan) => {
                let (again, _) = parse(&scan, &opts).map_err(|e| TestCaseError::fail(format!("{scan:?}: {e}")))?;
                prop_assert_eq!(pairs(&again), ais.clone());
            }
            Err(_) => prop_assert!(!ais[0].1.starts_with('0')),
        }
        let mut wedge = String::new();
        data.write_element_string("\u{1d}", &mut wedge);
        let (again, _) = parse(&wedge, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(pairs(&again), ais);
    }

    #[test]
    fn digital_link_round_trips(ais in pack(), stem in prop_oneof![Just("https://id.gs1.org"), Just("https://brand.example.com/some/path")]) {
        let opts = Options::default();
        let (data, _) = parse(&bracketed(&ais), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut uri = String::new();
        serialhub_gs1::digital_link::format_digital_link(&data, stem, &opts, &mut uri).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (from_uri, _) = parse(&uri, &opts).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
        // A Digital Link orders AIs its own way (key, qualifiers, attributes): compare as sets.
        prop_assert_eq!(sorted(pairs(&from_uri)), sorted(ais));
        let mut again = String::new();
        serialhub_gs1::digital_link::format_digital_link(&from_uri, stem, &opts, &mut again).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, uri);
    }

    #[test]
    fn epc_uri_round_trips(ais in pack(), gcp_len in 6u8..=12) {
        let opts = Options::default();
        let (data, _) = parse(&bracketed(&ais), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let elements: Vec<(&str, &str)> = data.elements().iter().map(|e| (e.ai_str(), data.value(e))).collect();
        let epc = serialhub_gs1::epc::format_epc_uri(&elements, gcp_len).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let has_serial = ais.iter().any(|(ai, _)| ai == "21");
        prop_assert_eq!(epc.is_some(), has_serial);
        if let Some(uri) = epc {
            let (from_uri, form) = parse(&uri, &opts).map_err(|e| TestCaseError::fail(format!("{uri}: {e}")))?;
            prop_assert_eq!(form, serialhub_gs1::Form::EpcUri { gcp_len });
            let key: Vec<(String, String)> = ais.iter().filter(|(ai, _)| ai == "01" || ai == "21").cloned().collect();
            prop_assert_eq!(pairs(&from_uri), key);
            let canonical = serialhub_gs1::canonical_digital_link(&uri).expect("an SGTIN has a canonical link");
            let from_canonical = serialhub_gs1::canonical_digital_link(&canonical).expect("canonical links are fixed points");
            prop_assert_eq!(from_canonical, canonical);
        }
    }

    #[test]
    fn digital_link_to_epc_and_back(ais in pack(), gcp_len in 6u8..=12) {
        let opts = Options::default();
        let (data, _) = parse(&bracketed(&ais), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut uri = String::new();
        serialhub_gs1::digital_link::format_digital_link(&data, "https://example.com", &opts, &mut uri).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (from_dl, _) = parse(&uri, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let elements: Vec<(&str, &str)> = from_dl.elements().iter().map(|e| (e.ai_str(), from_dl.value(e))).collect();
        let Some(epc) = serialhub_gs1::epc::format_epc_uri(&elements, gcp_len).map_err(|e| TestCaseError::fail(e.to_string()))? else {
            prop_assert!(!ais.iter().any(|(ai, _)| ai == "21"));
            return Ok(());
        };
        let (from_epc, _) = parse(&epc, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut back = String::new();
        serialhub_gs1::digital_link::format_digital_link(&from_epc, "https://example.com", &opts, &mut back).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let key_only = format!("https://example.com/01/{}/21/{}", data.get("01").unwrap_or_default(), {
            let mut s = String::new();
            serialhub_gs1::digital_link::percent_encode(data.get("21").unwrap_or_default(), false, &mut s);
            s
        });
        prop_assert_eq!(back, key_only);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}", prefix in prop_oneof![Just(""), Just("]d2"), Just("("), Just("^"), Just("https://a/01/"), Just("urn:epc:id:sgtin:")]) {
        let input = format!("{prefix}{text}");
        let opts = Options::default();
        if let Err(e) = parse(&input, &opts)
            && let Some(position) = e.position {
                prop_assert!(position <= input.len(), "{e} for {input:?}");
            }
    }
}
