//! The product identifier a verification asks about: GTIN, serial, lot and expiry, all four.
//!
//! Anti-harvesting starts here: a request missing any of the four is refused before anything is
//! looked up, so no one can enumerate serials by GTIN alone, nor learn a lot or an expiry by
//! asking with a serial. Every form a person or a partner gives (a Digital Link URI or its
//! path, element strings, scan data, the VRS path's four values) goes through the `gs1` crate's
//! parser, so the values are checked against the GS1 syntax dictionary (check digit, character
//! set, lengths, a real date) with the same messages everywhere.

use std::fmt;

use serialhub_core::Key;
use serialhub_gs1::digital_link::DEFAULT_STEM;
use serialhub_gs1::{AiData, Options};

/// The longest code accepted (a Digital Link with the four AIs and a few attributes is under
/// 200 bytes; the parser's own bound is higher).
pub const CODE_LEN_MAX: usize = 1024;

/// A complete product identifier, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuple {
    /// The GTIN-14.
    pub gtin: String,
    /// The serial number (AI 21), case-sensitive.
    pub serial: String,
    /// The batch or lot number (AI 10).
    pub lot: String,
    /// The expiry date as printed (AI 17, `YYMMDD`; the day may be `00`).
    pub expiry: String,
    /// The market of a national reimbursement number in the code (AIs 710 to 717), if any:
    /// a pack carries the number of the market it was made for.
    pub nhrn_market: Option<&'static str>,
}

/// Why a code is not a complete product identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TupleError(pub String);

impl fmt::Display for TupleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TupleError {}

impl Tuple {
    /// Reads any GS1 code form: a Digital Link URI (any host), a Digital Link path
    /// (`/01/.../21/...?17=...`, as a resolver receives it), element strings with or without
    /// brackets, or scan data.
    pub fn from_code(code: &str) -> Result<Tuple, TupleError> {
        // Some scanners send the FNC1 in first position as a group separator.
        let code = code.trim().trim_start_matches('\u{1d}');
        if code.len() > CODE_LEN_MAX {
            return Err(TupleError(format!(
                "the code is {} bytes long; at most {CODE_LEN_MAX} are read",
                code.len()
            )));
        }
        if code.is_empty() {
            return Err(TupleError("the code is empty".to_owned()));
        }
        let opts = Options::default();
        let parsed = if code.starts_with('/') {
            // A resolver path: give it a stem so it reads as a Digital Link.
            serialhub_gs1::parse(&format!("{DEFAULT_STEM}{code}"), &opts)
        } else {
            serialhub_gs1::parse(code, &opts)
        };
        let (data, _) = parsed.map_err(|e| TupleError(format!("the code does not read: {e}")))?;
        Tuple::from_data(&data)
    }

    /// The four values of a VRS request path (`/verify/gtin/{gtin}/lot/{lot}/ser/{serial}?exp=`),
    /// as decoded from the URL.
    pub fn from_parts(
        gtin: &str,
        lot: &str,
        serial: &str,
        expiry: &str,
    ) -> Result<Tuple, TupleError> {
        for (name, value) in [("gtin", gtin), ("lot", lot), ("ser", serial), ("exp", expiry)] {
            if value.is_empty() {
                return Err(TupleError(format!(
                    "{name} is empty: all four of gtin, lot, ser and exp are required"
                )));
            }
            if value.len() > 64 {
                return Err(TupleError(format!(
                    "{name} is {} bytes long; no GS1 value is over 20",
                    value.len()
                )));
            }
        }
        if gtin.len() != 14 {
            return Err(TupleError(format!(
                "gtin {gtin:?} has {} characters; a verification names the GTIN-14",
                gtin.chars().count()
            )));
        }
        let mut link = format!("{DEFAULT_STEM}/01/{gtin}/10/");
        percent_encode(lot, &mut link);
        link.push_str("/21/");
        percent_encode(serial, &mut link);
        link.push_str("?17=");
        percent_encode(expiry, &mut link);
        let data = serialhub_gs1::digital_link::parse_digital_link(&link, &Options::default())
            .map_err(|mut e| {
                // The position is in a link the caller never saw: name the parameter instead.
                e.position = None;
                let name = match e.ai.as_ref().map(|ai| ai.to_string()).as_deref() {
                    Some("01") => "gtin",
                    Some("10") => "lot",
                    Some("21") => "ser",
                    Some("17") => "exp",
                    _ => "the identifier",
                };
                TupleError(format!("{name} does not read: {e}"))
            })?;
        Tuple::from_data(&data)
    }

    fn from_data(data: &AiData) -> Result<Tuple, TupleError> {
        let mut missing = Vec::new();
        let mut take = |ai: &str, name: &str| match data.get(ai) {
            Some(value) => value.to_owned(),
            None => {
                missing.push(format!("{name} ({ai})"));
                String::new()
            }
        };
        let gtin = take("01", "GTIN");
        let expiry = take("17", "expiry date");
        let lot = take("10", "batch/lot");
        let serial = take("21", "serial number");
        if !missing.is_empty() {
            return Err(TupleError(format!(
                "the code has no {}: a verification needs the GTIN, serial, batch and expiry as printed on the pack",
                missing.join(", no ")
            )));
        }
        let nhrn_market = data
            .iter()
            .find_map(|(ai, _)| serialhub_gs1::nhrn::nhrn_scheme(ai).and_then(|s| s.country));
        Ok(Tuple { gtin, serial, lot, expiry, nhrn_market })
    }

    /// The ledger key of the pack (GTIN and serial).
    pub fn key(&self) -> Key {
        let mut link = format!("{DEFAULT_STEM}/01/{}/21/", self.gtin);
        percent_encode(&self.serial, &mut link);
        Key::new(&link)
    }

    /// The canonical Digital Link path of the tuple, as the consumer page's address
    /// (`/01/{gtin}/10/{lot}/21/{serial}?17={expiry}`).
    pub fn link_path(&self) -> String {
        let mut path = format!("/01/{}/10/", self.gtin);
        percent_encode(&self.lot, &mut path);
        path.push_str("/21/");
        percent_encode(&self.serial, &mut path);
        path.push_str("?17=");
        path.push_str(&self.expiry);
        path
    }

    /// The expiry as an ISO date (`YYYY-MM-DD`; day `00`, "end of the month", as the month's
    /// last day), the century by the GS1 sliding window seen from `current_year`.
    pub fn expiry_date(&self, current_year: i64) -> String {
        expiry_iso(&self.expiry, current_year)
    }
}

/// `YYMMDD` (validated) as `YYYY-MM-DD`.
fn expiry_iso(yymmdd: &str, current_year: i64) -> String {
    let two = |i: usize| yymmdd.get(i..i + 2).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let (yy, month, day) = (two(0), two(2), two(4));
    // GS1 General Specifications 7.12: 51 to 99 years ahead is the previous century, 50 to 99
    // behind the next one.
    let century = current_year - current_year.rem_euclid(100);
    let mut year = century + yy;
    if year - current_year >= 51 {
        year -= 100;
    } else if current_year - year >= 50 {
        year += 100;
    }
    let day = if day == 0 { serialhub_epcis::time::days_in_month(year, month) } else { day };
    format!("{year:04}-{month:02}-{day:02}")
}

/// Appends `value` percent-encoded, all but the URI unreserved characters (RFC 3986).
pub fn percent_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn show(result: Result<Tuple, TupleError>) -> String {
        match result {
            Ok(t) => format!(
                "{} {} {} {} {:?} key={} link={}",
                t.gtin,
                t.serial,
                t.lot,
                t.expiry,
                t.nhrn_market,
                t.key(),
                t.link_path()
            ),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn every_form_reads_to_one_tuple() {
        let forms = [
            "https://id.gs1.org/01/09506000134352/10/ABC1/21/XYZ?17=270331",
            "https://example.com/01/09506000134352/10/ABC1/21/XYZ?17=270331",
            "/01/09506000134352/10/ABC1/21/XYZ?17=270331",
            "(01)09506000134352(17)270331(10)ABC1(21)XYZ",
            "]d201095060001343521727033110ABC1\u{1d}21XYZ",
        ];
        for form in forms {
            expect![[r#"09506000134352 XYZ ABC1 270331 None key=https://id.gs1.org/01/09506000134352/21/XYZ link=/01/09506000134352/10/ABC1/21/XYZ?17=270331"#]]
                .assert_eq(&show(Tuple::from_code(form)));
        }
        expect![[r#"09506000134352 XYZ ABC1 270331 None key=https://id.gs1.org/01/09506000134352/21/XYZ link=/01/09506000134352/10/ABC1/21/XYZ?17=270331"#]]
            .assert_eq(&show(Tuple::from_parts("09506000134352", "ABC1", "XYZ", "270331")));
    }

    #[test]
    fn values_with_reserved_characters_keep_their_identity() {
        expect!["09506000134352 A/B?C% L/1 270300 None key=https://id.gs1.org/01/09506000134352/21/A%2FB%3FC%25 link=/01/09506000134352/10/L%2F1/21/A%2FB%3FC%25?17=270300"]
            .assert_eq(&show(Tuple::from_parts("09506000134352", "L/1", "A/B?C%", "270300")));
        let t = Tuple::from_parts("09506000134352", "L/1", "A/B?C%", "270300").expect("reads");
        assert_eq!(show(Tuple::from_code(&t.link_path())), show(Ok(t.clone())));
        assert_eq!(t.expiry_date(2026), "2027-03-31", "day 00 is the month's end");
    }

    /// Hostile and mangled codes: a deterministic stream of mutations of valid ones (the
    /// fuzz target `verify_tuple` explores further). Nothing panics, and what reads names a
    /// link that reads back to the same pack.
    #[test]
    fn mangled_codes_never_panic_and_what_reads_round_trips() {
        let seeds = [
            "https://id.gs1.org/01/09506000134352/10/ABC1/21/XYZ?17=270331",
            "/01/09506000134352/10/A%2FB/21/%25%26?17=270300&710=12345678",
            "(01)09506000134352(17)270331(10)ABC1(21)XYZ",
            "]d201095060001343521727033110ABC1\u{1d}21XYZ",
        ];
        let alphabet: &[u8] = b"0123456789/?&=%()]d\x1dABCxyz-._~!\"'*+,:;<>#\\ \x00\xff";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut read = 0;
        for round in 0..20_000 {
            let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % (bytes.len() + 1);
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, byte),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(tuple) = Tuple::from_code(&text) {
                read += 1;
                let again = Tuple::from_code(&tuple.link_path()).expect("its own link reads");
                assert_eq!(again.key(), tuple.key(), "{text:?}");
                assert_eq!((&again.lot, &again.expiry), (&tuple.lot, &tuple.expiry), "{text:?}");
            }
            let mut parts = text.splitn(4, '/');
            if let (Some(g), Some(l), Some(s), Some(e)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
                && let Ok(tuple) = Tuple::from_parts(g, l, s, e)
            {
                assert_eq!(Tuple::from_code(&tuple.link_path()).map(|t| t.key()), Ok(tuple.key()));
            }
        }
        assert!(read > 1_000, "the mutations stay close enough to codes to read: {read}");
    }

    #[test]
    fn the_market_of_a_reimbursement_number_is_kept() {
        expect![[r#"09506000134352 XYZ ABC1 270331 Some("DE") key=https://id.gs1.org/01/09506000134352/21/XYZ link=/01/09506000134352/10/ABC1/21/XYZ?17=270331"#]]
            .assert_eq(&show(Tuple::from_code("(01)09506000134352(17)270331(10)ABC1(21)XYZ(710)12345678")));
    }

    #[test]
    fn an_incomplete_or_invalid_code_says_what_is_wrong() {
        let cases = [
            (
                "(01)09506000134352(21)XYZ",
                expect![[
                    r#"error: the code has no expiry date (17), no batch/lot (10): a verification needs the GTIN, serial, batch and expiry as printed on the pack"#
                ]],
            ),
            (
                "https://id.gs1.org/01/09506000134352",
                expect![[
                    r#"error: the code has no expiry date (17), no batch/lot (10), no serial number (21): a verification needs the GTIN, serial, batch and expiry as printed on the pack"#
                ]],
            ),
            (
                "(01)09506000134353(17)270331(10)A(21)X",
                expect![[
                    r#"error: the code does not read: AI (01): incorrect check digit "3" (position 17)"#
                ]],
            ),
            (
                "(01)09506000134352(17)271332(10)A(21)X",
                expect![[
                    r#"error: the code does not read: AI (17): month is not valid "13" (position 24)"#
                ]],
            ),
            ("", expect![[r#"error: the code is empty"#]]),
            (
                "hello",
                expect![
                    "error: the code does not read: not a GS1 element string, Digital Link URI or EPC URI (position 0)"
                ],
            ),
        ];
        for (code, expected) in cases {
            expected.assert_eq(&show(Tuple::from_code(code)));
        }
        let cases = [
            (
                ("9506000134352", "A", "X", "270331"),
                expect![[
                    r#"error: gtin "9506000134352" has 13 characters; a verification names the GTIN-14"#
                ]],
            ),
            (
                ("09506000134352", "", "X", "270331"),
                expect![[
                    r#"error: lot is empty: all four of gtin, lot, ser and exp are required"#
                ]],
            ),
            (
                ("09506000134352", "A", "X", "2703"),
                expect!["error: exp does not read: AI (17): the value is too short"],
            ),
            (
                ("09506000134352", "A", "X Y", "270331"),
                expect![[r#"error: ser does not read: AI (21): character is not in CSET 82 " ""#]],
            ),
        ];
        for ((g, l, s, e), expected) in cases {
            expected.assert_eq(&show(Tuple::from_parts(g, l, s, e)));
        }
        let long = "9".repeat(CODE_LEN_MAX + 1);
        expect![[r#"error: the code is 1025 bytes long; at most 1024 are read"#]]
            .assert_eq(&show(Tuple::from_code(&long)));
    }
}
