//! The `dscsa` document: what a US trading partner expects for one shipment under DSCSA, as
//! the GS1 US Implementation Guideline lays it out in EPCIS 1.2 XML.
//!
//! - `EPCISHeader`: the SBDH (`HeaderVersion` 1.0; sender and receiver as GLNs; document
//!   identification `EPCglobal`, `TypeVersion` 1.0, `Type` `Events`, an `InstanceIdentifier`
//!   derived from the message's idempotency key, so every retry sends the same document, and
//!   the message's creation time); `EPCISMasterData` with an EPCClass element per product in
//!   the shipment (the NDC typed as stored, `FDA_NDC_11` or `US_FDA_NDC`; regulated product
//!   name, dosage form, strength, manufacturer, and whatever else the stored element says) and
//!   a Location element for each SGLN the events name whose master data is stored; then the
//!   transaction statement (`gs1ushc:dscsaTransactionStatement` with
//!   `affirmTransactionStatement` true and the legal notice).
//! - The events of exactly the shipped hierarchy, in capture order: from the shipping event's
//!   `epcList` down through packing (`AggregationEvent` `ADD` with that `parentID` captured
//!   before the shipment, less what a later `DELETE` before it took out) to every unit; the
//!   commissioning event of every identifier in it, the packing events, and the shipping
//!   event. The transaction information is the shipping event's `bizTransactionList` (a
//!   purchase order, invoice or despatch advice).
//! - A commissioning or packing event that also names identifiers outside this shipment is
//!   cut down to the shipped ones (a partner must not learn other serials), and gets as its
//!   `eventID` the hash ID of what is sent. Events declared in error are left out.
//!
//! What the regime requires and the stored data does not give is refused with a
//! `refusal::Code` (see there) instead of sending a non-compliant file.
//!
//! Pure: the stored events and master data come in through the caller (`history`, a
//! `Shipment`); nothing here reads a clock or does IO.

use std::collections::{BTreeMap, HashSet};

use serialhub_core::Key;
use serialhub_epcis::cbv::{self, Term, Vocab};
use serialhub_epcis::xml::write::{XmlVersion, XmlWriter};
use serialhub_epcis::{
    Action, Content, DocumentKind, Element, Event, EventType, Header, Name, Vocabulary,
    VocabularyAttribute, VocabularyElement,
};
use serialhub_store::{StoreError, StoredEvent};
use sha2::{Digest, Sha256};

use crate::product::{self, MDA, Product};
use crate::refusal::{Code, Refusal, listing};

/// The most identifiers one shipped hierarchy may hold: each is one `history` read.
pub const IDS_MAX: usize = 100_000;
/// The deepest packing followed (pallet, case, bundle, pack is four).
pub const DEPTH_MAX: usize = 8;
/// The GS1 US healthcare extension namespace.
pub const GS1USHC_NS: &str = "http://epcis.gs1us.org/hc/ns";
/// The SBDH namespace.
pub const SBDH_NS: &str = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader";
/// The legal notice of the transaction statement.
pub const LEGAL_NOTICE: &str =
    "Seller has complied with each applicable subsection of FDCA Sec. 581(27)(A)-(G).";
/// The CBV master data namespace of ILMD elements in EPCIS 1.2.
const CBV_MDA_NS: &str = "urn:epcglobal:cbv:mda";
/// Identifiers and GTINs named in one reason, at most.
const NAMED_MAX: usize = 10;

/// What one document is built from.
#[derive(Clone, Copy, Debug)]
pub struct Shipment<'a> {
    /// The shipping event, as stored.
    pub shipping: &'a StoredEvent,
    /// The receiving party (the message's destination: a GLN).
    pub receiver: &'a str,
    /// The sending party as configured (`Connector::sender`); `None` takes the shipping
    /// event's source party.
    pub sender: Option<&'a str>,
    /// The message's idempotency key: the document's `InstanceIdentifier` is derived from it.
    pub idempotency_key: &'a str,
    /// The message's creation time (`xsd:dateTime`): the document's creation time.
    pub created: &'a str,
    /// The stored master data (`Store::master_data`).
    pub master_data: &'a [Vocabulary],
}

/// Why no document was built.
#[derive(Debug)]
pub enum Failure {
    /// The regime's requirements are not met: the message is refused.
    Refused(Refusal),
    /// The store could not be read: try again.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Store(error)
    }
}

fn refused(code: Code, reason: impl Into<String>) -> Failure {
    Failure::Refused(Refusal::new(code, reason))
}

/// The EPCIS 1.2 document of `shipment`; `history` gives every stored event naming a key, in
/// capture order (`Store::history`).
pub fn document(
    shipment: &Shipment<'_>,
    history: &mut dyn FnMut(&Key) -> Result<Vec<StoredEvent>, StoreError>,
) -> Result<Vec<u8>, Failure> {
    let shipping = &shipment.shipping.record.event;
    let (sender, receiver) = parties(shipment)?;
    transaction_information(shipping)?;
    let walk = walk(shipment.shipping, history)?;
    let products = product_master_data(&walk, shipment.master_data)?;
    let mut events = walk.events();
    events.push(shipping.clone());
    for event in &mut events {
        ilmd_in_12(event);
    }
    let mut master_data = vec![products];
    if let Some(locations) = location_master_data(&events, shipment.master_data) {
        master_data.push(locations);
    }
    let header = Header {
        kind: DocumentKind::EpcisDocument,
        schema_version: Some("1.2".to_owned()),
        creation_date: Some(shipment.created.to_owned()),
        namespaces: vec![
            ("cbvmda".to_owned(), CBV_MDA_NS.to_owned()),
            ("gs1ushc".to_owned(), GS1USHC_NS.to_owned()),
        ],
        sbdh: Some(sbdh(&sender, &receiver, shipment.idempotency_key, shipment.created)),
        master_data,
        ..Header::default()
    };
    let unwritable = |e: std::io::Error| refused(Code::DocumentUnwritable, e.to_string());
    let mut writer = XmlWriter::new(Vec::new(), XmlVersion::V1_2);
    writer.begin(&header).map_err(unwritable)?;
    for event in &events {
        writer.event(event).map_err(unwritable)?;
    }
    let document = writer.finish().map_err(unwritable)?;
    Ok(with_transaction_statement(document))
}

/// The document's `InstanceIdentifier`: a UUID (RFC 9562 version 8 layout) from the SHA-256
/// of the message's idempotency key, the same for every retry of the message.
pub fn instance_identifier(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The seller's and the buyer's GLNs.
fn parties(shipment: &Shipment<'_>) -> Result<(String, String), Failure> {
    let event = &shipment.shipping.record.event;
    let sender = match shipment.sender {
        Some(configured) => crate::gln_of(configured),
        // The owning party first: the seller, where the event tells owner and possessor apart.
        None => {
            let owning = event.source_list.iter().filter(|s| s.type_.ends_with("owning_party"));
            owning.chain(&event.source_list).find_map(|s| crate::gln_of(&s.value))
        }
    };
    let Some(sender) = sender else {
        return Err(refused(
            Code::TransactionInformationMissing,
            "the seller is not named: the shipping event has no source party with a GLN, and \
             the connector has no sender",
        ));
    };
    let Some(receiver) = crate::gln_of(shipment.receiver) else {
        return Err(refused(
            Code::TransactionInformationMissing,
            format!("the buyer {:?} is not named by a GLN", shipment.receiver),
        ));
    };
    Ok((sender, receiver))
}

/// Refuses a shipment without a purchase order, invoice or despatch advice.
fn transaction_information(shipping: &Event) -> Result<(), Failure> {
    let typed = shipping.biz_transaction_list.iter().any(|t| {
        t.type_.as_deref().is_some_and(|type_| {
            matches!(
                cbv::classify(Vocab::BizTransactionType, type_),
                Term::Standard("po" | "inv" | "desadv")
            )
        }) && !t.value.trim().is_empty()
    });
    if typed {
        return Ok(());
    }
    Err(refused(
        Code::TransactionInformationMissing,
        "the shipping event's bizTransactionList has no purchase order (po), invoice (inv) or \
         despatch advice (desadv)",
    ))
}

/// The shipped hierarchy as walked: every identifier in it, and the events to send.
#[derive(Debug, Default)]
struct Walk {
    /// Every identifier, as first named, with its key, in walk order.
    ids: Vec<(String, Key)>,
    /// Commissioning and packing events by capture `seq`, with the keys of the shipment they
    /// name (the children, for packing).
    events: BTreeMap<u64, (Event, HashSet<Key>)>,
}

impl Walk {
    /// The events, in capture order, each cut down to the shipped identifiers.
    fn events(&self) -> Vec<Event> {
        self.events.values().map(|(event, keep)| cut(event, keep)).collect()
    }
}

fn is_commissioning(event: &Event) -> bool {
    event.event_type == Some(EventType::ObjectEvent)
        && event.action == Some(Action::Add)
        && event
            .biz_step
            .as_deref()
            .is_some_and(|s| cbv::classify(Vocab::BizStep, s) == Term::Standard("commissioning"))
}

/// Walks the hierarchy from the shipping event's `epcList` down (see the module docs).
fn walk(
    shipping: &StoredEvent,
    history: &mut dyn FnMut(&Key) -> Result<Vec<StoredEvent>, StoreError>,
) -> Result<Walk, Failure> {
    let top = &shipping.record.event.epc_list;
    if top.is_empty() {
        return Err(refused(
            Code::HierarchyIncomplete,
            "the shipping event names no serialised identifier (quantities only)",
        ));
    }
    let mut walk = Walk::default();
    let mut seen: HashSet<Key> = HashSet::new();
    let mut uncommissioned: Vec<String> = Vec::new();
    // Declared in error (the declared events' hash IDs): left out wherever they appear.
    let mut declared: HashSet<String> = HashSet::new();
    let mut queue: Vec<(String, Key, usize)> = Vec::new();
    for id in top {
        let key = Key::new(id);
        if seen.insert(key.clone()) {
            queue.push((id.clone(), key, 0));
        }
    }
    // Breadth first, in the order each container lists its contents.
    let mut next = 0;
    while let Some((id, key, depth)) = queue.get(next).cloned() {
        next += 1;
        walk.ids.push((id.clone(), key.clone()));
        let events: Vec<StoredEvent> =
            history(&key)?.into_iter().filter(|e| e.seq < shipping.seq).collect();
        for stored in &events {
            if stored.record.event.error_declaration.is_some() {
                declared
                    .insert(serialhub_store::hash_of_capture_id(&stored.record.hash_id).to_owned());
            }
        }
        let live: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| {
                e.record.event.error_declaration.is_none() && !declared.contains(&e.record.hash_id)
            })
            .collect();
        // The first commissioning: history names the key in the event's epcList.
        let commissioned = live.iter().find(|e| is_commissioning(&e.record.event));
        if let Some(stored) = commissioned {
            let entry = walk
                .events
                .entry(stored.seq)
                .or_insert_with(|| (stored.record.event.clone(), HashSet::new()));
            entry.1.insert(key.clone());
        }
        // What the container held when it was shipped, and the packing that put each in.
        let mut inside: Vec<(String, Key, u64)> = Vec::new();
        for stored in &live {
            let event = &stored.record.event;
            let packs_this = event.event_type == Some(EventType::AggregationEvent)
                && event.parent_id.as_deref().is_some_and(|p| Key::new(p) == key);
            if !packs_this {
                continue;
            }
            match event.action {
                Some(Action::Add) => {
                    for child in &event.epc_list {
                        let child_key = Key::new(child);
                        if !inside.iter().any(|(_, k, _)| *k == child_key) {
                            inside.push((child.clone(), child_key, stored.seq));
                        }
                    }
                }
                Some(Action::Delete) if event.epc_list.is_empty() => inside.clear(),
                Some(Action::Delete) => {
                    let out: HashSet<Key> = event.epc_list.iter().map(|c| Key::new(c)).collect();
                    inside.retain(|(_, k, _)| !out.contains(k));
                }
                Some(Action::Observe) | None => {}
            }
        }
        // A unit, and any SGTIN, is commissioned; a logistic unit may have been started by
        // its packing (SSCCs usually are not commissioned).
        if commissioned.is_none() && (inside.is_empty() || product::is_sgtin(key.as_str())) {
            uncommissioned.push(id.clone());
        }
        if !inside.is_empty() && depth + 1 > DEPTH_MAX {
            return Err(refused(
                Code::ShipmentTooLarge,
                format!("{id} is packed more than {DEPTH_MAX} levels below the shipment"),
            ));
        }
        for (child, child_key, seq) in inside {
            let packing =
                live.iter().find(|e| e.seq == seq).expect("the packing event is in the history");
            let entry = walk
                .events
                .entry(seq)
                .or_insert_with(|| (packing.record.event.clone(), HashSet::new()));
            entry.1.insert(child_key.clone());
            if seen.insert(child_key.clone()) {
                if seen.len() > IDS_MAX {
                    return Err(refused(
                        Code::ShipmentTooLarge,
                        format!("the shipment holds more than {IDS_MAX} identifiers"),
                    ));
                }
                queue.push((child, child_key, depth + 1));
            }
        }
    }
    if !uncommissioned.is_empty() {
        return Err(refused(
            Code::HierarchyIncomplete,
            format!(
                "{} shipped identifier(s) never commissioned before the shipment: {}",
                uncommissioned.len(),
                listing(&uncommissioned, NAMED_MAX)
            ),
        ));
    }
    Ok(walk)
}

/// `event` naming only the keys in `keep` (its epcList or childEPCs), with the hash ID of the
/// result as its eventID; the event itself when it names nothing else.
fn cut(event: &Event, keep: &HashSet<Key>) -> Event {
    if event.epc_list.iter().all(|epc| keep.contains(&Key::new(epc))) {
        return event.clone();
    }
    let mut cut = Event {
        epc_list: event
            .epc_list
            .iter()
            .filter(|epc| keep.contains(&Key::new(epc)))
            .cloned()
            .collect(),
        event_id: None,
        ..event.clone()
    };
    cut.event_id = Some(serialhub_epcis::hash::event_hash(&cut));
    cut
}

/// ILMD elements captured from JSON-LD carry the namespace with the context's trailing colon;
/// EPCIS 1.2 documents declare it without.
fn ilmd_in_12(event: &mut Event) {
    for element in event.ilmd.iter_mut().flatten() {
        if element.name.namespace == "urn:epcglobal:cbv:mda:" {
            element.name.namespace = CBV_MDA_NS.to_owned();
            element.name.prefix = "cbvmda".to_owned();
        }
    }
}

/// The CBV attributes a DSCSA EPCClass element must have besides the NDC.
const PRODUCT_ATTRIBUTES: [&str; 4] = [
    "regulatedProductName",
    "dosageFormType",
    "strengthDescription",
    "manufacturerOfTradeItemPartyName",
];

/// The EPCClass vocabulary of the shipped products, or the refusal naming what is missing.
fn product_master_data(walk: &Walk, master_data: &[Vocabulary]) -> Result<Vocabulary, Failure> {
    // Each GTIN once, with an SGTIN URN naming it (for the class pattern), in GTIN order.
    let mut gtins: BTreeMap<String, Option<&str>> = BTreeMap::new();
    for (id, key) in &walk.ids {
        if !product::is_sgtin(key.as_str()) {
            continue;
        }
        let Some(gtin) = product::gtin_of_canonical(key.as_str()) else { continue };
        let urn = id.starts_with("urn:epc:id:sgtin:").then_some(id.as_str());
        let slot = gtins.entry(gtin.to_owned()).or_default();
        if slot.is_none() {
            *slot = urn;
        }
    }
    let stored = product::products(master_data);
    let mut missing: Vec<String> = Vec::new();
    let mut mismatched: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    for (gtin, urn) in &gtins {
        let Some(product) = stored.get(gtin) else {
            missing.push(format!("GTIN {gtin}: no EPCClass master data"));
            continue;
        };
        let ndc = product.ndc();
        let mut lacking: Vec<&str> = Vec::new();
        if ndc.is_none() {
            lacking.push("NDC (additionalTradeItemIdentification typed FDA_NDC_11 or US_FDA_NDC)");
        }
        lacking.extend(PRODUCT_ATTRIBUTES.iter().filter(|a| product.text(a).is_none()));
        if !lacking.is_empty() {
            missing.push(format!("GTIN {gtin}: no {}", lacking.join(", ")));
            continue;
        }
        let (ndc, type_code) = ndc.expect("checked above");
        if !ndc_fits_gtin(&ndc, gtin) {
            mismatched.push(format!("GTIN {gtin}: NDC {ndc} is not the one it encodes"));
            continue;
        }
        elements.push(epc_class(gtin, *urn, product, &ndc, &type_code));
    }
    if !missing.is_empty() {
        return Err(refused(
            Code::MasterDataMissing,
            format!("product master data missing: {}", listing(&missing, NAMED_MAX)),
        ));
    }
    if !mismatched.is_empty() {
        return Err(refused(Code::NdcMismatch, listing(&mismatched, NAMED_MAX)));
    }
    Ok(Vocabulary { type_: "urn:epcglobal:epcis:vtype:EPCClass".to_owned(), elements })
}

/// Whether `ndc` (10 digits, hyphenated, or 11 digits as 5-4-2) is the NDC an NDC-based `gtin`
/// encodes; a GTIN that encodes none is not compared.
fn ndc_fits_gtin(ndc: &str, gtin: &str) -> bool {
    let Ok(encoded) = serialhub_gs1::ndc::Ndc::from_gtin(gtin) else { return true };
    let encoded = encoded.digits();
    let digits: String = ndc.chars().filter(char::is_ascii_digit).collect();
    match (ndc.contains('-'), digits.len()) {
        (true, _) => serialhub_gs1::ndc::Ndc::parse(ndc).is_ok_and(|n| n.digits() == encoded),
        (false, 10) => digits == encoded,
        // The 11-digit form pads one of the three parts with a zero: one of the layouts fits.
        (false, 11) => [(4, 4), (5, 3), (5, 4)].iter().any(|&(a, b)| {
            let padded =
                format!("{:0>5}{:0>4}{:0>2}", &encoded[..a], &encoded[a..a + b], &encoded[a + b..]);
            padded == digits
        }),
        _ => false,
    }
}

/// The EPCClass element sent for one product: the NDC pair first, then the stored text
/// attributes in the EPCIS 1.2 spelling (other trade item identifications left out).
fn epc_class(
    gtin: &str,
    urn: Option<&str>,
    product: &Product,
    ndc: &str,
    type_code: &str,
) -> VocabularyElement {
    // The guideline names a product by its GTIN pattern; without an SGTIN URN to take the
    // company prefix from, the stored element's id is kept.
    let id = match urn
        .and_then(|u| u.strip_prefix("urn:epc:id:sgtin:"))
        .and_then(|r| r.rsplit_once('.'))
    {
        Some((class, _serial)) => format!("urn:epc:idpat:sgtin:{class}.*"),
        None => match product::gtin_of(&product.id) {
            Some(_) if product.id.starts_with("urn:epc:idpat:sgtin:") => product.id.clone(),
            _ => format!("https://id.gs1.org/01/{gtin}"),
        },
    };
    let text = |name: &str, value: &str| VocabularyAttribute {
        id: format!("{MDA}{name}"),
        value: Content::Text(value.to_owned()),
    };
    let mut attributes = vec![
        text("additionalTradeItemIdentification", ndc),
        text("additionalTradeItemIdentificationTypeCode", type_code),
    ];
    let others = product.attributes.iter().filter(|a| {
        !product::mda_name(&a.id)
            .is_some_and(|n| n.starts_with("additionalTradeItemIdentification"))
    });
    attributes.extend(product::attributes_12(others));
    VocabularyElement { id, attributes, children: Vec::new() }
}

/// The Location vocabulary of the SGLNs `events` name whose master data is stored.
fn location_master_data(events: &[Event], master_data: &[Vocabulary]) -> Option<Vocabulary> {
    let stored = product::locations(master_data);
    let mut named: Vec<&str> = Vec::new();
    for event in events {
        named.extend(event.read_point.iter().map(|l| l.id.as_str()));
        named.extend(event.biz_location.iter().map(|l| l.id.as_str()));
        named.extend(event.source_list.iter().map(|s| s.value.as_str()));
        named.extend(event.destination_list.iter().map(|d| d.value.as_str()));
    }
    let mut done: HashSet<String> = HashSet::new();
    let mut elements = Vec::new();
    for id in named {
        let canonical = serialhub_epcis::canonical_id(id).into_owned();
        if !canonical.starts_with("https://id.gs1.org/414/") || done.contains(&canonical) {
            continue;
        }
        if let Some(element) = stored.get(&canonical) {
            elements.push(VocabularyElement {
                id: id.to_owned(),
                attributes: product::attributes_12(&element.attributes),
                children: Vec::new(),
            });
        }
        done.insert(canonical);
    }
    (!elements.is_empty())
        .then(|| Vocabulary { type_: "urn:epcglobal:epcis:vtype:Location".to_owned(), elements })
}

/// The SBDH: header version, sender, receiver, document identification.
fn sbdh(sender: &str, receiver: &str, idempotency_key: &str, created: &str) -> Element {
    let leaf = |local: &str, text: &str| Element {
        name: Name::new(SBDH_NS, local, "sbdh"),
        attributes: Vec::new(),
        content: Content::Text(text.to_owned()),
    };
    let node = |local: &str, children: Vec<Element>| Element {
        name: Name::new(SBDH_NS, local, "sbdh"),
        attributes: Vec::new(),
        content: Content::Children(children),
    };
    let identifier = |gln: &str| Element {
        attributes: vec![(Name::new("", "Authority", ""), "GLN".to_owned())],
        ..leaf("Identifier", gln)
    };
    node(
        "StandardBusinessDocumentHeader",
        vec![
            leaf("HeaderVersion", "1.0"),
            node("Sender", vec![identifier(sender)]),
            node("Receiver", vec![identifier(receiver)]),
            node(
                "DocumentIdentification",
                vec![
                    leaf("Standard", "EPCglobal"),
                    leaf("TypeVersion", "1.0"),
                    leaf("InstanceIdentifier", &instance_identifier(idempotency_key)),
                    leaf("Type", "Events"),
                    leaf("CreationDateAndTime", created),
                ],
            ),
        ],
    )
}

/// `document` with the transaction statement as the last child of `EPCISHeader`, where the
/// GS1 US guideline puts it (the XML writer puts header extensions after the header, where
/// the EPCIS 1.2 schema has no place for them).
fn with_transaction_statement(document: Vec<u8>) -> Vec<u8> {
    const CLOSE: &[u8] = b"</EPCISHeader>";
    // Invariant: the document has a header (it has an SBDH), written before any event, so the
    // first closing tag is the header's.
    let at = document
        .windows(CLOSE.len())
        .position(|w| w == CLOSE)
        .expect("the document has an EPCISHeader");
    let line_start = document[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    // The writer indents by depth: `EPCISHeader` is one level in.
    let (line_start, indent) = match std::str::from_utf8(&document[line_start..at]) {
        Ok(indent) if indent.bytes().all(|b| b == b' ') => (line_start, indent.to_owned()),
        // Not on a line of its own: no indentation to follow.
        _ => (at, String::new()),
    };
    let (child, grandchild) = (indent.repeat(2), indent.repeat(3));
    let statement = format!(
        "{child}<gs1ushc:dscsaTransactionStatement>\n\
         {grandchild}<gs1ushc:affirmTransactionStatement>true</gs1ushc:affirmTransactionStatement>\n\
         {grandchild}<gs1ushc:legalNotice>{LEGAL_NOTICE}</gs1ushc:legalNotice>\n\
         {child}</gs1ushc:dscsaTransactionStatement>\n{indent}"
    );
    let mut out = Vec::with_capacity(document.len() + statement.len());
    out.extend_from_slice(&document[..line_start]);
    out.extend_from_slice(statement.as_bytes());
    out.extend_from_slice(&document[at..]);
    out
}

#[cfg(test)]
mod tests;
