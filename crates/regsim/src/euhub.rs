//! `POST /eu-hub`: an EU FMD hub taking uploads (product, batch, pack serials: the JSON
//! `serialhub_connectors::euhub` writes) and answering per serial.
//!
//! An upload that is not well formed is refused whole (400 `upload_unreadable`, else 422):
//! `product_code_invalid` (no GS1 product code with a valid GTIN), `product_data_missing` (no
//! product name), `batch_id_invalid` (no lot, or over 20 characters), `expiry_invalid` (the
//! expiry is not a valid YYMMDD, DD 00 meaning the month's last day, nor a YYYY-MM-DD date),
//! `packs_missing`, `upload_too_large` (over `PACKS_MAX` packs). Otherwise each serial is
//! answered: `accepted` (remembered for its GTIN), or `rejected` with `serial_invalid` (not 1
//! to 20 characters of GS1 CSET 82) or `serial_duplicate` (uploaded before, in another message
//! or earlier in this one). A retry of the same idempotency key is answered with the first
//! answer, not checked again.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::Rejection;

/// Packs one upload may carry, at most.
pub(crate) const PACKS_MAX: usize = 200_000;
/// Serials the hub remembers, at most: beyond, it answers 507 (a test server is bounded too).
pub(crate) const SERIALS_KEPT_MAX: usize = 10_000_000;

/// A well-formed upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Upload {
    /// The product code (GTIN-14).
    pub(crate) gtin: String,
    /// The serials, in upload order.
    pub(crate) serials: Vec<String>,
}

fn reject(code: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection { status: 422, code, reason: reason.into() }
}

/// Reads and checks an upload (see the module docs).
pub(crate) fn parse(body: &[u8]) -> Result<Upload, Rejection> {
    let upload: Value = serde_json::from_slice(body).map_err(|e| Rejection {
        status: 400,
        code: "upload_unreadable",
        reason: format!("not JSON: {e}"),
    })?;
    let product = &upload["product"];
    let code = product["productCode"].as_str().unwrap_or_default();
    let gtin =
        serialhub_gs1::Gtin::parse(code).ok().filter(|_| product["productCodeScheme"] == "GS1");
    let Some(gtin) = gtin else {
        return Err(reject(
            "product_code_invalid",
            format!("product code {code:?} is not a GTIN in the GS1 scheme"),
        ));
    };
    if product["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
        return Err(reject("product_data_missing", format!("product {code} has no name")));
    }
    let batch = &upload["batch"];
    let lot = batch["id"].as_str().unwrap_or_default();
    if lot.is_empty() || lot.chars().count() > 20 {
        return Err(reject(
            "batch_id_invalid",
            format!("batch id {lot:?} is not 1 to 20 characters"),
        ));
    }
    let expiry = batch["expiry"].as_str().unwrap_or_default();
    if !valid_expiry(expiry) {
        return Err(reject(
            "expiry_invalid",
            format!("batch {lot}: expiry {expiry:?} is not a date"),
        ));
    }
    let Some(packs) = upload["packs"].as_array().filter(|p| !p.is_empty()) else {
        return Err(reject("packs_missing", format!("batch {lot}: no packs")));
    };
    if packs.len() > PACKS_MAX {
        return Err(reject(
            "upload_too_large",
            format!("{} packs, more than {PACKS_MAX}", packs.len()),
        ));
    }
    let serials =
        packs.iter().map(|p| p["serial"].as_str().unwrap_or_default().to_owned()).collect();
    Ok(Upload { gtin: gtin.as_str().to_owned(), serials })
}

/// YYMMDD (DD 00: the month's last day, as GS1 AI (17) allows) or YYYY-MM-DD.
fn valid_expiry(expiry: &str) -> bool {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (year, month, day, day_zero_ok) = match expiry.len() {
        6 if digits(expiry) => {
            (2000 + num(&expiry[..2]), num(&expiry[2..4]), num(&expiry[4..]), true)
        }
        10 if expiry.as_bytes()[4] == b'-' && expiry.as_bytes()[7] == b'-' => {
            let (y, m, d) = (&expiry[..4], &expiry[5..7], &expiry[8..]);
            if !(digits(y) && digits(m) && digits(d)) {
                return false;
            }
            (num(y), num(m), num(d), false)
        }
        _ => return false,
    };
    let last = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (day == 0 && day_zero_ok) || (1..=last).contains(&day)
}

fn num(digits: &str) -> u32 {
    digits.parse().unwrap_or(u32::MAX)
}

/// The serials the hub holds, per GTIN.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    serials: HashMap<String, HashSet<String>>,
    kept: usize,
}

/// The answer to one upload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Answer {
    /// One answer per serial, in upload order.
    pub(crate) serials: Vec<Value>,
    /// Whether every serial was accepted.
    pub(crate) all_accepted: bool,
}

impl Registry {
    /// Serials remembered.
    pub(crate) fn len(&self) -> usize {
        self.kept
    }

    /// Whether `upload` fits in what the hub may still remember.
    pub(crate) fn has_room(&self, upload: &Upload) -> bool {
        self.kept + upload.serials.len() <= SERIALS_KEPT_MAX
    }

    /// Answers each serial of `upload` and remembers those accepted; `blocked` (an index) is
    /// refused if it would have been accepted: a fault the simulator injects.
    pub(crate) fn apply(&mut self, upload: &Upload, blocked: Option<usize>) -> Answer {
        let known = self.serials.entry(upload.gtin.clone()).or_default();
        let gtin = serialhub_gs1::Gtin::parse(&upload.gtin).expect("parse checked the GTIN");
        let mut all_accepted = true;
        let mut answers = Vec::with_capacity(upload.serials.len());
        for (i, serial) in upload.serials.iter().enumerate() {
            // A blocked pack is one the hub would otherwise take.
            let refused = if serialhub_gs1::Sgtin::new(gtin, serial).is_err() {
                Some(("serial_invalid", "a serial is 1 to 20 characters of GS1 CSET 82"))
            } else if known.contains(serial) {
                Some(("serial_duplicate", "this serial was uploaded before for this product"))
            } else if blocked == Some(i) {
                Some(("serial_blocked", "the pack code is blocked in the national system"))
            } else {
                None
            };
            match refused {
                Some((code, reason)) => {
                    all_accepted = false;
                    answers.push(json!({"serial": serial, "status": "rejected", "code": code, "reason": reason}));
                }
                None => {
                    known.insert(serial.clone());
                    self.kept += 1;
                    answers.push(json!({"serial": serial, "status": "accepted"}));
                }
            }
        }
        Answer { serials: answers, all_accepted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str, lot: &str, expiry: &str, serials: &[&str]) -> Vec<u8> {
        let packs: Vec<Value> = serials.iter().map(|s| json!({"serial": s})).collect();
        json!({
            "product": {"productCode": code, "productCodeScheme": "GS1", "name": "Examplamab"},
            "batch": {"id": lot, "expiry": expiry},
            "packs": packs,
        })
        .to_string()
        .into_bytes()
    }

    #[track_caller]
    fn check(body: &[u8], expect: &str) {
        let actual = match parse(body) {
            Ok(upload) => format!("{} {:?}", upload.gtin, upload.serials),
            Err(r) => format!("{} {}: {}", r.status, r.code, r.reason),
        };
        assert_eq!(actual, expect);
    }

    #[test]
    fn uploads_are_checked_whole_then_answered_per_serial() {
        let gtin = "04012345000016";
        check(&body(gtin, "L1", "270630", &["A"]), r#"04012345000016 ["A"]"#);
        check(&body("4012345000016", "L1", "2027-06-30", &["A"]), r#"04012345000016 ["A"]"#);
        check(&body(gtin, "L1", "270200", &["A"]), r#"04012345000016 ["A"]"#);
        check(
            &body(gtin, "L1", "271332", &["A"]),
            r#"422 expiry_invalid: batch L1: expiry "271332" is not a date"#,
        );
        check(
            &body(gtin, "L1", "2027-02-29", &["A"]),
            r#"422 expiry_invalid: batch L1: expiry "2027-02-29" is not a date"#,
        );
        check(
            &body(gtin, "L1", "2027-02-00", &["A"]),
            r#"422 expiry_invalid: batch L1: expiry "2027-02-00" is not a date"#,
        );
        check(
            &body("04012345000017", "L1", "270630", &["A"]),
            r#"422 product_code_invalid: product code "04012345000017" is not a GTIN in the GS1 scheme"#,
        );
        check(
            &body(gtin, "", "270630", &["A"]),
            r#"422 batch_id_invalid: batch id "" is not 1 to 20 characters"#,
        );
        check(&body(gtin, "L1", "270630", &[]), "422 packs_missing: batch L1: no packs");
        check(
            b"{",
            "400 upload_unreadable: not JSON: EOF while parsing an object at line 1 column 1",
        );

        let mut hub = Registry::default();
        let first =
            parse(&body(gtin, "L1", "270630", &["A", "B", "A", "bad serial"])).expect("an upload");
        let answer = hub.apply(&first, None);
        let codes: Vec<&str> =
            answer.serials.iter().map(|s| s["code"].as_str().unwrap_or("accepted")).collect();
        assert_eq!(codes, ["accepted", "accepted", "serial_duplicate", "serial_invalid"]);
        assert!(!answer.all_accepted);
        let second = parse(&body(gtin, "L2", "270630", &["B", "C"])).expect("an upload");
        let codes: Vec<String> = hub
            .apply(&second, Some(1))
            .serials
            .iter()
            .map(|s| s["code"].as_str().unwrap_or("accepted").to_owned())
            .collect();
        assert_eq!(codes, ["serial_duplicate", "serial_blocked"]);
        // A block falls on a serial the hub would take: a duplicate stays a duplicate.
        let third = parse(&body(gtin, "L3", "270630", &["B", "E"])).expect("an upload");
        let answer = hub.apply(&third, Some(0));
        assert_eq!(answer.serials[0]["code"], "serial_duplicate");
        assert_eq!(answer.serials[1]["status"], "accepted");
        assert_eq!(hub.len(), 3);
    }
}
