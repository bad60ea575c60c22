//! `POST /dscsa`: what a US trading partner checks in an EPCIS 1.2 DSCSA document before it
//! takes a shipment's data (the GS1 US guideline's rules a receiver can check from the file
//! alone). Each failed check is a 422 with one of these codes (400 when the body is not an
//! EPCIS document at all), naming what is wrong:
//!
//! | code                              | what is wrong |
//! |-----------------------------------|---------------|
//! | `document_unreadable`             | not an EPCIS document (400) |
//! | `format_unsupported`              | not XML: partners take EPCIS 1.2 XML |
//! | `schema_version_unsupported`      | `schemaVersion` is not 1.2 |
//! | `schema_invalid`                  | the EPCIS schema or CBV is broken (the first problems named) |
//! | `sbdh_missing`                    | no StandardBusinessDocumentHeader |
//! | `receiver_missing`                | the SBDH names no receiver (or no sender) |
//! | `transaction_statement_missing`   | no `gs1ushc:dscsaTransactionStatement` affirmed `true` in the header |
//! | `shipment_missing`                | no shipping event |
//! | `transaction_information_missing` | a shipping event without a business transaction |
//! | `ndc_missing`                     | a shipped product (GTIN) without an EPCClass element giving its NDC |
//! | `hierarchy_incomplete`            | a shipped identifier (every SGTIN, and every identifier holding nothing) without a commissioning event in the file |

use std::collections::{HashMap, HashSet};

use serialhub_epcis::cbv::{self, Term, Vocab};
use serialhub_epcis::validate::Validator;
use serialhub_epcis::{Action, Content, Element, Event, EventType, Header};

use crate::Rejection;

/// The GS1 US healthcare extension namespace.
const GS1USHC_NS: &str = "http://epcis.gs1us.org/hc/ns";
/// The NDC type codes taken.
const NDC_TYPE_CODES: [&str; 2] = ["FDA_NDC_11", "US_FDA_NDC"];
/// Identifiers, GTINs or problems named in one reason, at most.
const NAMED_MAX: usize = 5;
/// Packing levels followed, at most.
const DEPTH_MAX: usize = 8;

/// What an accepted document held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// Its events.
    pub(crate) events: usize,
    /// The identifiers shipped, packed contents included.
    pub(crate) shipped: usize,
}

fn reject(code: &'static str, reason: impl Into<String>) -> Rejection {
    Rejection { status: 422, code, reason: reason.into() }
}

fn listing(items: &[String]) -> String {
    let mut text = items.iter().take(NAMED_MAX).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > NAMED_MAX {
        text.push_str(&format!("; and {} more", items.len() - NAMED_MAX));
    }
    text
}

/// Checks a DSCSA document (see the module docs).
pub(crate) fn check(body: &[u8]) -> Result<Accepted, Rejection> {
    if serialhub_epcis::detect(body) != Some(serialhub_epcis::Format::Xml) {
        return Err(reject("format_unsupported", "the document is not EPCIS 1.2 XML"));
    }
    let mut validator = Validator::default();
    if let Err(error) =
        serialhub_epcis::read_slice(body, &serialhub_epcis::Limits::default(), &mut validator)
    {
        return Err(Rejection {
            status: 400,
            code: "document_unreadable",
            reason: error.to_string(),
        });
    }
    let collected = validator.into_inner();
    let header = &collected.document.header;
    let events = &collected.document.events;
    if header.schema_version.as_deref() != Some("1.2") {
        return Err(reject(
            "schema_version_unsupported",
            format!("schemaVersion {:?}: EPCIS 1.2 is expected", header.schema_version),
        ));
    }
    let errors: Vec<String> =
        collected.problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect();
    if !errors.is_empty() {
        return Err(reject("schema_invalid", listing(&errors)));
    }
    let Some(sbdh) = &header.sbdh else {
        return Err(reject(
            "sbdh_missing",
            "the EPCIS header has no StandardBusinessDocumentHeader",
        ));
    };
    for party in ["Receiver", "Sender"] {
        let named = child(sbdh, party).and_then(|p| child(p, "Identifier")).and_then(text);
        if named.is_none_or(str::is_empty) {
            return Err(reject(
                "receiver_missing",
                format!("the SBDH names no {party} identifier"),
            ));
        }
    }
    if !affirmed(header) {
        return Err(reject(
            "transaction_statement_missing",
            "the header has no gs1ushc:dscsaTransactionStatement with affirmTransactionStatement true",
        ));
    }
    let step = |event: &Event, name: &str| {
        event
            .biz_step
            .as_deref()
            .is_some_and(|s| cbv::classify(Vocab::BizStep, s) == Term::Standard(name))
    };
    let shipments: Vec<&Event> = events.iter().filter(|e| step(e, "shipping")).collect();
    if shipments.is_empty() {
        return Err(reject("shipment_missing", "the document has no shipping event"));
    }
    if shipments.iter().any(|e| e.biz_transaction_list.is_empty()) {
        return Err(reject(
            "transaction_information_missing",
            "a shipping event has no bizTransactionList (purchase order, invoice, despatch advice)",
        ));
    }
    // The shipped hierarchy, as the file packs it (identifiers compared canonically).
    let mut contents: HashMap<String, Vec<String>> = HashMap::new();
    for event in events.iter().filter(|e| e.event_type == Some(EventType::AggregationEvent)) {
        let Some(parent) = &event.parent_id else { continue };
        let inside = contents.entry(canonical(parent)).or_default();
        match event.action {
            Some(Action::Add) => inside.extend(event.epc_list.iter().map(|c| canonical(c))),
            Some(Action::Delete) if event.epc_list.is_empty() => inside.clear(),
            Some(Action::Delete) => {
                let out: HashSet<String> = event.epc_list.iter().map(|c| canonical(c)).collect();
                inside.retain(|c| !out.contains(c));
            }
            _ => {}
        }
    }
    let mut shipped: Vec<(String, bool)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut level: Vec<String> =
        shipments.iter().flat_map(|e| e.epc_list.iter().map(|c| canonical(c))).collect();
    for _ in 0..=DEPTH_MAX {
        let mut next = Vec::new();
        for id in level {
            if !seen.insert(id.clone()) {
                continue;
            }
            let inside = contents.get(&id).map(Vec::as_slice).unwrap_or_default();
            shipped.push((id, inside.is_empty()));
            next.extend(inside.iter().cloned());
        }
        level = next;
    }
    let commissioned: HashSet<String> = events
        .iter()
        .filter(|e| {
            e.event_type == Some(EventType::ObjectEvent)
                && e.action == Some(Action::Add)
                && step(e, "commissioning")
        })
        .flat_map(|e| e.epc_list.iter().map(|c| canonical(c)))
        .collect();
    let never: Vec<String> = shipped
        .iter()
        .filter(|(id, empty)| (*empty || gtin_of(id).is_some()) && !commissioned.contains(id))
        .map(|(id, _)| id.clone())
        .collect();
    // The products first: a partner refuses a file whose NDCs it cannot match to its item
    // master before it looks at the packs.
    let with_ndc = ndcs(header);
    let mut without: Vec<String> = shipped
        .iter()
        .filter_map(|(id, _)| gtin_of(id))
        .filter(|g| !with_ndc.contains(g))
        .collect();
    without.sort();
    without.dedup();
    if !without.is_empty() {
        let gtins: Vec<String> = without.iter().map(|g| format!("GTIN {g}")).collect();
        return Err(reject(
            "ndc_missing",
            format!("no EPCClass master data with an NDC for {}", listing(&gtins)),
        ));
    }
    if !never.is_empty() {
        // Named as the file writes them.
        let mut named: Vec<String> =
            never.iter().take(NAMED_MAX).map(|id| written(events, id)).collect();
        named.extend(never.iter().skip(NAMED_MAX).cloned());
        return Err(reject(
            "hierarchy_incomplete",
            format!("shipped but never commissioned in this file: {}", listing(&named)),
        ));
    }
    Ok(Accepted { events: events.len(), shipped: shipped.len() })
}

/// How `events` first write the identifier whose canonical form is `id`.
fn written(events: &[Event], id: &str) -> String {
    let named = events.iter().flat_map(|e| e.parent_id.iter().chain(&e.epc_list));
    named.into_iter().find(|n| canonical(n) == id).map_or_else(|| id.to_owned(), Clone::clone)
}

fn canonical(id: &str) -> String {
    serialhub_epcis::canonical_id(id).into_owned()
}

/// The GTIN of a canonical SGTIN.
fn gtin_of(canonical: &str) -> Option<String> {
    let rest = canonical.strip_prefix("https://id.gs1.org/01/")?;
    let (gtin, tail) = rest.split_at_checked(14)?;
    tail.starts_with("/21/").then(|| gtin.to_owned())
}

fn child<'e>(element: &'e Element, local: &str) -> Option<&'e Element> {
    match &element.content {
        Content::Children(children) => children.iter().find(|c| c.name.local == local),
        _ => None,
    }
}

fn text(element: &Element) -> Option<&str> {
    match &element.content {
        Content::Text(text) => Some(text.trim()),
        _ => None,
    }
}

/// Whether the header affirms the transaction statement.
fn affirmed(header: &Header) -> bool {
    header
        .extensions
        .iter()
        .filter(|e| e.name.namespace == GS1USHC_NS && e.name.local == "dscsaTransactionStatement")
        .filter_map(|e| child(e, "affirmTransactionStatement"))
        .any(|a| text(a) == Some("true"))
}

/// The GTINs whose EPCClass element gives an NDC (an `additionalTradeItemIdentification`
/// typed by a type code in `NDC_TYPE_CODES`).
fn ndcs(header: &Header) -> HashSet<String> {
    let mut gtins = HashSet::new();
    let classes = header.master_data.iter().filter(|v| v.type_.ends_with("EPCClass"));
    for element in classes.flat_map(|v| &v.elements) {
        let named = |suffix: &str| -> Vec<String> {
            element
                .attributes
                .iter()
                .filter(|a| a.id.ends_with(suffix))
                .filter_map(|a| a.value.text().map(|t| t.trim().to_owned()))
                .collect()
        };
        let values = named("#additionalTradeItemIdentification");
        let types = named("#additionalTradeItemIdentificationTypeCode");
        let typed = values.len() == types.len()
            && values
                .iter()
                .zip(&types)
                .any(|(v, t)| !v.is_empty() && NDC_TYPE_CODES.contains(&t.as_str()));
        let class = canonical(&element.id);
        let gtin = class.strip_prefix("https://id.gs1.org/01/").and_then(|r| r.get(..14));
        if let (true, Some(gtin)) = (typed, gtin) {
            gtins.insert(gtin.to_owned());
        }
    }
    gtins
}

#[cfg(test)]
mod tests;
