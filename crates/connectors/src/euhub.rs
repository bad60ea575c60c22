//! The `eu-hub` upload: what a marketing authorisation holder sends the EU FMD hub (EMVS)
//! before a batch is released, and how the hub's per-serial answer ends an attempt.
//!
//! Routing (`route`): an `eu-hub` connector names a market (`market = "EU"`) instead of
//! parties. Every commissioning event (`ObjectEvent` `ADD`, business step `commissioning`,
//! not an error declaration) of serialised packs is routed to it, one message per event and
//! GTIN (an event commissioning two products is two uploads), limited to the connector's
//! `gtins` when it lists some. The message's destination is the market, its idempotency key
//! `connector:event hash:GTIN`, its ordering key `connector:GTIN` (a product's uploads reach
//! the hub in capture order), its payload the event's hash ID.
//!
//! The upload (`upload`), built when the message is sent, is one JSON document:
//!
//! ```json
//! {"uploadId": "<derived from the idempotency key>", "market": "EU", "sender": "<GLN>",
//!  "product": {"productCode": "<GTIN-14>", "productCodeScheme": "GS1", "name": "...",
//!              "pharmaForm": "...", "strength": "...", "packSize": "...", "manufacturer": "..."},
//!  "batch": {"id": "<lot>", "expiry": "YYMMDD"},
//!  "packs": [{"serial": "..."}, ...]}
//! ```
//!
//! Product data comes from the stored EPCClass master data of the GTIN (a name is required:
//! `regulatedProductName`, else `tradeItemDescription`; the others when stored; `sender` only
//! when the connector names one), the batch from the event's ILMD (`lotNumber`,
//! `itemExpirationDate` as YYMMDD), the serials from the event's SGTINs of that GTIN. What is
//! missing is refused before sending (`master_data_missing`, `batch_data_missing`,
//! `batch_data_invalid`, `upload_too_large`).
//!
//! The hub answers 2xx with a receipt and one answer per serial (`classify`):
//! `{"status": "accepted"|"duplicate", "receipt": "...", "serials": [{"serial": "...",
//! "status": "accepted"}, {"serial": "...", "status": "rejected", "code": "...", "reason":
//! "..."}]}`. Every serial accepted: delivered, with the receipt. Any serial rejected: the
//! message is rejected with `serials_rejected` and a reason listing each rejected serial with
//! the hub's code (bounded), so the exception says what to investigate. A 2xx without the
//! per-serial answers is a malformed acknowledgement (tried again: the hub answers a repeat of
//! the same idempotency key with its first answer). Other statuses are classified as for every
//! kind (`transport::classify`).

use serde_json::{Value, json};
use serialhub_dispatch::Attempt;
use serialhub_epcis::{Content, Event};

use crate::product;
use crate::refusal::{Code, Refusal, listing};

/// The most serials one upload may carry.
pub const SERIALS_MAX: usize = 100_000;
/// Rejected serials named in one reason, at most.
const NAMED_MAX: usize = 20;

/// What one upload is built from.
#[derive(Clone, Copy, Debug)]
pub struct Upload<'a> {
    /// The commissioning event.
    pub event: &'a Event,
    /// The product uploaded (GTIN-14): the event's packs of other GTINs go in other uploads.
    pub gtin: &'a str,
    /// The market (`Connector::market`).
    pub market: &'a str,
    /// The uploader (`Connector::sender`), when configured.
    pub sender: Option<&'a str>,
    /// The message's idempotency key: the upload's id is derived from it.
    pub idempotency_key: &'a str,
    /// The stored master data (`Store::master_data`).
    pub master_data: &'a [serialhub_epcis::Vocabulary],
}

/// The GTINs (14 digits, sorted, each once) whose packs `event` commissions, when it is a
/// commissioning event; empty otherwise.
pub fn commissioned_gtins(event: &Event) -> Vec<String> {
    let commissioning = event.event_type == Some(serialhub_epcis::EventType::ObjectEvent)
        && event.action == Some(serialhub_epcis::Action::Add)
        && event.error_declaration.is_none()
        && event.biz_step.as_deref().is_some_and(|s| {
            serialhub_epcis::cbv::classify(serialhub_epcis::cbv::Vocab::BizStep, s)
                == serialhub_epcis::cbv::Term::Standard("commissioning")
        });
    if !commissioning {
        return Vec::new();
    }
    let mut gtins: Vec<String> = event
        .epc_list
        .iter()
        .filter_map(|epc| {
            let canonical = serialhub_epcis::canonical_id(epc);
            product::is_sgtin(&canonical)
                .then(|| product::gtin_of_canonical(&canonical).map(str::to_owned))
                .flatten()
        })
        .collect();
    gtins.sort();
    gtins.dedup();
    gtins
}

/// The GTIN an `eu-hub` message uploads: the last segment of its idempotency key.
pub fn gtin_of_key(idempotency_key: &str) -> Option<&str> {
    let (_, gtin) = idempotency_key.rsplit_once(':')?;
    (gtin.len() == 14 && gtin.bytes().all(|b| b.is_ascii_digit())).then_some(gtin)
}

/// The upload's JSON, or the refusal naming what is missing.
pub fn upload(upload: &Upload<'_>) -> Result<Vec<u8>, Refusal> {
    let gtin = upload.gtin;
    let products = product::products(upload.master_data);
    let Some(stored) = products.get(gtin) else {
        return Err(Refusal::new(
            Code::MasterDataMissing,
            format!("GTIN {gtin}: no EPCClass master data"),
        ));
    };
    let Some(name) =
        stored.text("regulatedProductName").or_else(|| stored.text("tradeItemDescription"))
    else {
        return Err(Refusal::new(
            Code::MasterDataMissing,
            format!("GTIN {gtin}: no product name (regulatedProductName or tradeItemDescription)"),
        ));
    };
    let mut product = json!({"productCode": gtin, "productCodeScheme": "GS1", "name": name});
    for (field, attribute) in [
        ("pharmaForm", "dosageFormType"),
        ("strength", "strengthDescription"),
        ("packSize", "netContentDescription"),
        ("manufacturer", "manufacturerOfTradeItemPartyName"),
    ] {
        if let Some(value) = stored.text(attribute) {
            product[field] = value.into();
        }
    }
    let (lot, expiry) = lot_and_expiry(upload.event);
    let (Some(lot), Some(expiry)) = (lot.clone(), expiry.clone()) else {
        return Err(Refusal::new(
            Code::BatchDataMissing,
            format!(
                "GTIN {gtin}: the commissioning event's ILMD gives no {}",
                match (lot, expiry) {
                    (None, None) => "lotNumber and no itemExpirationDate",
                    (None, Some(_)) => "lotNumber",
                    _ => "itemExpirationDate",
                }
            ),
        ));
    };
    let Some(yymmdd) = yymmdd(&expiry) else {
        return Err(Refusal::new(
            Code::BatchDataInvalid,
            format!("GTIN {gtin}, lot {lot}: itemExpirationDate {expiry:?} is not a date"),
        ));
    };
    let serials: Vec<Value> = upload
        .event
        .epc_list
        .iter()
        .filter_map(|epc| product::sgtin_of(epc))
        .filter(|(g, _)| g == gtin)
        .map(|(_, serial)| json!({"serial": serial}))
        .collect();
    if serials.len() > SERIALS_MAX {
        return Err(Refusal::new(
            Code::UploadTooLarge,
            format!("GTIN {gtin}, lot {lot}: {} serials, more than {SERIALS_MAX}", serials.len()),
        ));
    }
    let mut body = json!({
        "uploadId": crate::dscsa::instance_identifier(upload.idempotency_key),
        "market": upload.market,
        "product": product,
        "batch": {"id": lot, "expiry": yymmdd},
        "packs": serials,
    });
    if let Some(sender) = upload.sender.and_then(crate::gln_of) {
        body["sender"] = sender.into();
    }
    Ok(body.to_string().into_bytes())
}

/// `lotNumber` and `itemExpirationDate` of the event's ILMD (CBV master data elements, in
/// either namespace spelling).
fn lot_and_expiry(event: &Event) -> (Option<String>, Option<String>) {
    let mut lot = None;
    let mut expiry = None;
    for element in event.ilmd.iter().flatten() {
        if element.name.namespace.trim_end_matches(':') != "urn:epcglobal:cbv:mda" {
            continue;
        }
        let Some(text) = Content::text(&element.content) else { continue };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match element.name.local.as_str() {
            "lotNumber" => lot = Some(text.to_owned()),
            "itemExpirationDate" => expiry = Some(text.to_owned()),
            _ => {}
        }
    }
    (lot, expiry)
}

/// An `xsd:date` (`YYYY-MM-DD`, an optional time zone after it) as the YYMMDD the hub takes.
fn yymmdd(date: &str) -> Option<String> {
    let day = date.get(..10)?;
    let zone = &date[10..];
    if !(zone.is_empty() || zone == "Z" || zone.starts_with('+') || zone.starts_with('-')) {
        return None;
    }
    let b = day.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = day.get(range)?;
        digits.bytes().all(|d| d.is_ascii_digit()).then(|| digits.parse().ok()).flatten()
    };
    let (year, month, dd) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || dd == 0 || dd > days_in_month(year, month) {
        return None;
    }
    Some(format!("{:02}{month:02}{dd:02}", year % 100))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How the hub's answer ends an attempt (see the module docs).
pub fn classify(status: u16, body: &str) -> Attempt {
    if !(200..=299).contains(&status) {
        return crate::transport::classify(status, body);
    }
    let answer: Option<Value> = serde_json::from_str(body).ok();
    let Some(serials) = answer.as_ref().and_then(|a| a["serials"].as_array()) else {
        return Attempt::Transient {
            error: format!(
                "malformed acknowledgement ({status}): no per-serial answers: {}",
                crate::transport::shorten(body)
            ),
        };
    };
    let rejected: Vec<String> = serials
        .iter()
        .filter(|s| s["status"] != "accepted")
        .map(|s| {
            let serial = s["serial"].as_str().unwrap_or("?");
            let code = s["code"].as_str().unwrap_or("unknown");
            format!("{} {}", crate::transport::shorten(serial), crate::transport::shorten(code))
        })
        .collect();
    if rejected.is_empty() {
        let receipt = answer.as_ref().and_then(|a| a["receipt"].as_str()).unwrap_or("accepted");
        return Attempt::Delivered { receipt: receipt.to_owned() };
    }
    Refusal::new(
        Code::SerialsRejected,
        format!(
            "{} of {} serials rejected: {}",
            rejected.len(),
            serials.len(),
            listing(&rejected, NAMED_MAX)
        ),
    )
    .into_attempt()
}

#[cfg(test)]
mod tests;
