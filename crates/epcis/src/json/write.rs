//! Streaming JSON-LD writer for EPCIS 2.0 documents: `begin` writes everything before the first
//! event, `event` one event, `finish` the closing brackets, so a document of any size needs
//! memory for one event only. Output goes to an internal buffer handed to the caller's writer
//! every `out::FLUSH_LEN` bytes.
//!
//! What the reader (`json::read`) gets back is the model that was written, with these forms:
//! - `@context` is the standard context URL, then one object declaring every namespace the
//!   header lists (`Header::namespaces`, the author's prefixes) and, for `to_json_ld`, every
//!   namespace any event uses. A namespace that first shows up in a streamed event is declared in
//!   that event's own `@context`, written first in the event (FIXME: `json::read` applies an
//!   event's `@context` to its top-level extension keys only, not inside `ilmd`, `readPoint`,
//!   `bizLocation`, `errorDeclaration` or `sensorElementList`; until it does, streaming an XML
//!   document that declares namespaces on inner elements into JSON-LD loses them there).
//!   Prefixes the standard context defines are used undeclared; a
//!   namespace without a usable prefix gets `ext1`, `ext2`, ... A namespace not ending in an IRI
//!   delimiter (`urn:epcglobal:cbv:mda` from XML) is declared `{"@id": ..., "@prefix": true}`,
//!   the JSON-LD 1.1 form that lets such a term act as a prefix.
//! - CBV values are bare names (`cbv::to_bare`); sensor `type`/`exception` GS1 terms are bare
//!   (`cbv::gs1_voc_bare`); anything else is written as given.
//! - `quantity` and the numeric sensor fields are JSON numbers when their text is a JSON number
//!   serde_json can read (finite as an `f64`), strings otherwise; `booleanValue` is a boolean when
//!   it is `true` or `false`.
//! - Extension elements: siblings with the same name become one key with an array (the reader
//!   turns an array back into repeated elements); children become an object; text a string;
//!   `Content::Number`/`Bool` a number/boolean; `Content::Empty` `null`.
//! - XML attributes of extension elements (which JSON-LD has no notion of) are written as
//!   `"@attributes": {"qname": "value", ...}` next to the element's content, with the text under
//!   `"#text"` (`null` for an empty element). `@attributes` has the form of a JSON-LD keyword,
//!   so JSON-LD processors ignore it, and it cannot collide with any XML attribute or element
//!   name. FIXME: `json::read` skips `@` keys, so it reads the content back but not the
//!   attributes (which the event hash includes); it must read `@attributes` back into
//!   `Element::attributes` for XML -> JSON-LD to keep them.
//! - An empty `quantity` (XML's `xsi:nil`) is left out. The SBDH goes under `epcisHeader.sbdh`
//!   (the key the reader knows it by) and header extensions are top-level members.

use std::io::{self, Write};

use crate::cbv::{self, Vocab};
use crate::context::{STANDARD_CONTEXT_URL, STANDARD_PREFIXES};
use crate::model::{
    BizTransaction, Content, Document, DocumentKind, Element, ErrorDeclaration, Event, EventType,
    Header, Location, Name, PersistentDisposition, QuantityElement, SensorElement, SourceDest,
    Vocabulary,
};
use crate::out;
use crate::xml::write::{
    Field, Prefixes, body_fields, extra_fields, for_each_event_name, for_each_header_name,
};

/// Writes `doc` as a JSON-LD EPCIS document, declaring every namespace its events use in the
/// document's `@context`.
pub fn to_json_ld(doc: &Document) -> Vec<u8> {
    let mut w = JsonLdWriter::new(Vec::new());
    // Invariant: a Vec never fails to take bytes, and every model value has a JSON form.
    w.begin_with(&doc.header, &doc.events).expect("writing JSON to a Vec cannot fail");
    for event in &doc.events {
        w.event(event).expect("writing JSON to a Vec cannot fail");
    }
    w.finish().expect("writing JSON to a Vec cannot fail")
}

/// A streaming JSON-LD writer: `begin`, then `event` for each event, then `finish`.
#[derive(Debug)]
pub struct JsonLdWriter<W: Write> {
    out: W,
    j: JsonOut,
    prefixes: Prefixes,
    kind: DocumentKind,
    began: bool,
}

impl<W: Write> JsonLdWriter<W> {
    pub fn new(out: W) -> JsonLdWriter<W> {
        JsonLdWriter {
            out,
            j: JsonOut::default(),
            prefixes: Prefixes::new(&STANDARD_PREFIXES),
            kind: DocumentKind::EpcisDocument,
            began: false,
        }
    }

    /// Writes `@context`, `type`, `schemaVersion`, `creationDate`, the header extensions and
    /// `epcisHeader` (SBDH, master data), and opens `epcisBody.eventList` (or
    /// `epcisBody.queryResults.resultsBody.eventList` for an EPCISQueryDocument).
    pub fn begin(&mut self, header: &Header) -> io::Result<()> {
        self.begin_with(header, &[])
    }

    fn begin_with(&mut self, header: &Header, events: &[Event]) -> io::Result<()> {
        assert!(!self.began, "JsonLdWriter::begin called twice");
        self.began = true;
        self.kind = header.kind;
        for (prefix, namespace) in &header.namespaces {
            self.prefixes.declare(prefix, namespace);
        }
        let prefixes = &mut self.prefixes;
        for_each_header_name(header, &mut |n| bind_name(prefixes, n));
        for event in events {
            for_each_event_name(event, &mut |n| bind_name(prefixes, n));
        }
        self.prefixes.seal_document();
        JsonDoc { j: &mut self.j, p: &self.prefixes }.header(header);
        self.flush_if_full()
    }

    /// Writes one event.
    pub fn event(&mut self, event: &Event) -> io::Result<()> {
        assert!(self.began, "JsonLdWriter::event called before begin");
        let prefixes = &mut self.prefixes;
        for_each_event_name(event, &mut |n| bind_name(prefixes, n));
        JsonDoc { j: &mut self.j, p: &self.prefixes }.event(event);
        self.prefixes.end_event();
        self.flush_if_full()
    }

    /// Closes the event list and the document, flushes, and hands back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        assert!(self.began, "JsonLdWriter::finish called before begin");
        let j = &mut self.j;
        j.close(b']');
        if self.kind == DocumentKind::EpcisQueryDocument {
            j.close(b'}');
            j.close(b'}');
        }
        j.close(b'}');
        j.close(b'}');
        j.buf.push(b'\n');
        out::finish(&self.j.buf, self.out)
    }

    fn flush_if_full(&mut self) -> io::Result<()> {
        out::flush_if_full(&mut self.j.buf, &mut self.out)
    }
}

/// Binds the namespace of a name that needs a prefix in JSON-LD.
fn bind_name(prefixes: &mut Prefixes, name: &Name) {
    if !name.namespace.is_empty() && !writes_as_iri(name) {
        prefixes.bind(&name.prefix, &name.namespace);
    }
}

/// A name the author wrote without a prefix is written as its full IRI when the reader's split
/// (at the last `/` or `#`, `Context::resolve_key`) gives the same namespace and local name
/// back; it then needs no declaration and keeps its empty prefix. Only `scheme://` namespaces
/// qualify: the reader would take the scheme of any other IRI for a prefix.
fn writes_as_iri(name: &Name) -> bool {
    name.prefix.is_empty()
        && !name.local.is_empty()
        && !name.local.contains(['/', '#'])
        && name.namespace.ends_with(['/', '#'])
        && name.namespace.split_once(':').is_some_and(|(_, rest)| rest.starts_with("//"))
}

/// The output buffer with the state pretty-printing needs.
#[derive(Debug, Default)]
struct JsonOut {
    buf: Vec<u8>,
    depth: usize,
    /// Nothing written yet in the innermost open object or array.
    first: bool,
}

impl JsonOut {
    fn newline(&mut self) {
        out::newline(&mut self.buf, self.depth);
    }

    fn open(&mut self, bracket: u8) {
        self.buf.push(bracket);
        self.depth += 1;
        self.first = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.first {
            self.newline();
        }
        self.buf.push(bracket);
        self.first = false;
    }

    /// Starts the next member or item: a comma unless it is the first, then a new line.
    fn next(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.newline();
    }

    fn key(&mut self, key: &str) {
        self.next();
        self.string(key);
        self.buf.extend_from_slice(b": ");
    }

    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        escape_into(&mut self.buf, s);
        self.buf.push(b'"');
    }

    fn string_member(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// A decimal as a JSON number when it is one, else as a string (the reader accepts both).
    fn number(&mut self, text: &str) {
        if is_json_number(text) {
            self.raw(text);
        } else {
            self.string(text);
        }
    }

    fn string_array(&mut self, items: &[String]) {
        self.open(b'[');
        for item in items {
            self.next();
            self.string(item);
        }
        self.close(b']');
    }
}

/// Escapes `s` as the inside of a JSON string: quotes, backslashes and control characters;
/// everything else, non-ASCII included, is copied as UTF-8.
fn escape_into(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0..=0x1F => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[usize::from(b >> 4)]);
            buf.push(HEX[usize::from(b & 0xF)]);
        } else {
            buf.extend_from_slice(short);
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// RFC 8259 number syntax, and finite as an `f64`: serde_json refuses to read larger ones,
/// which would make the whole document unreadable.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i > from)
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        let (end, any) = digits(i + 1);
        if !any {
            return false;
        }
        i = end;
    }
    let mut exponent = false;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        exponent = true;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (end, any) = digits(i);
        if !any {
            return false;
        }
        i = end;
    }
    // Without an exponent, fewer than 300 digits cannot overflow an f64.
    i == b.len() && ((!exponent && b.len() < 300) || s.parse::<f64>().is_ok_and(f64::is_finite))
}

/// Writes document parts and events into `j` with the prefixes in `p`.
struct JsonDoc<'a> {
    j: &'a mut JsonOut,
    p: &'a Prefixes,
}

impl JsonDoc<'_> {
    fn header(&mut self, header: &Header) {
        self.j.open(b'{');
        self.j.key("@context");
        let declared = self.p.document_bindings();
        if declared.is_empty() {
            self.j.string(STANDARD_CONTEXT_URL);
        } else {
            self.j.open(b'[');
            self.j.next();
            self.j.string(STANDARD_CONTEXT_URL);
            self.j.next();
            self.context_object(declared);
            self.j.close(b']');
        }
        self.j.string_member(
            "type",
            match header.kind {
                DocumentKind::EpcisDocument => "EPCISDocument",
                DocumentKind::EpcisQueryDocument => "EPCISQueryDocument",
            },
        );
        if let Some(id) = &header.id {
            self.j.string_member("id", id);
        }
        // JSON-LD is an EPCIS 2.0 binding whatever version the source document was.
        self.j.string_member("schemaVersion", "2.0");
        if let Some(date) = &header.creation_date {
            self.j.string_member("creationDate", date);
        }
        self.members(&header.extensions);
        if header.sbdh.is_some() || !header.master_data.is_empty() {
            self.j.key("epcisHeader");
            self.j.open(b'{');
            if let Some(sbdh) = &header.sbdh {
                // The reader knows the SBDH by this key; its own element name is not kept.
                self.j.key("sbdh");
                self.value(sbdh);
            }
            if !header.master_data.is_empty() {
                self.j.key("epcisMasterData");
                self.j.open(b'{');
                self.j.key("vocabularyList");
                self.j.open(b'[');
                for voc in &header.master_data {
                    self.j.next();
                    self.vocabulary(voc);
                }
                self.j.close(b']');
                self.j.close(b'}');
            }
            self.j.close(b'}');
        }
        self.j.key("epcisBody");
        self.j.open(b'{');
        if header.kind == DocumentKind::EpcisQueryDocument {
            self.j.key("queryResults");
            self.j.open(b'{');
            if let Some(name) = &header.query_name {
                self.j.string_member("queryName", name);
            }
            if let Some(id) = &header.subscription_id {
                self.j.string_member("subscriptionID", id);
            }
            self.j.key("resultsBody");
            self.j.open(b'{');
        }
        self.j.key("eventList");
        self.j.open(b'[');
    }

    fn context_object(&mut self, bindings: &[(String, String)]) {
        self.j.open(b'{');
        for (prefix, namespace) in bindings {
            self.j.key(prefix);
            if namespace.ends_with([':', '/', '?', '#', '[', ']', '@']) {
                self.j.string(namespace);
            } else {
                self.j.open(b'{');
                self.j.string_member("@id", namespace);
                self.j.key("@prefix");
                self.j.raw("true");
                self.j.close(b'}');
            }
        }
        self.j.close(b'}');
    }

    fn vocabulary(&mut self, voc: &Vocabulary) {
        self.j.open(b'{');
        self.j.string_member("type", &voc.type_);
        if !voc.elements.is_empty() {
            self.j.key("vocabularyElementList");
            self.j.open(b'[');
            for el in &voc.elements {
                self.j.next();
                self.j.open(b'{');
                self.j.string_member("id", &el.id);
                if !el.attributes.is_empty() {
                    self.j.key("attributes");
                    self.j.open(b'[');
                    for attr in &el.attributes {
                        self.j.next();
                        self.j.open(b'{');
                        self.j.string_member("id", &attr.id);
                        if attr.value != Content::Empty {
                            self.j.key("attribute");
                            self.content(&attr.value);
                        }
                        self.j.close(b'}');
                    }
                    self.j.close(b']');
                }
                if !el.children.is_empty() {
                    self.j.key("children");
                    self.j.string_array(&el.children);
                }
                self.j.close(b'}');
            }
            self.j.close(b']');
        }
        self.j.close(b'}');
    }

    fn event(&mut self, ev: &Event) {
        self.j.next();
        self.j.open(b'{');
        let scoped = self.p.event_bindings();
        if !scoped.is_empty() {
            // First, so that the reader knows the prefixes before it meets them.
            self.j.key("@context");
            self.context_object(scoped);
        }
        // An event without a type is written without one: the reader reports it.
        if let Some(t) = ev.event_type {
            self.j.string_member("type", t.name());
        }
        if !ev.event_time.is_empty() {
            self.j.string_member("eventTime", &ev.event_time);
        }
        if let Some(t) = &ev.record_time {
            self.j.string_member("recordTime", t);
        }
        if !ev.event_time_zone_offset.is_empty() {
            self.j.string_member("eventTimeZoneOffset", &ev.event_time_zone_offset);
        }
        if let Some(id) = &ev.event_id {
            self.j.string_member("eventID", id);
        }
        match ev.certification_info.as_slice() {
            [] => {}
            [one] => self.j.string_member("certificationInfo", one),
            many => {
                self.j.key("certificationInfo");
                self.j.string_array(many);
            }
        }
        if let Some(ed) = &ev.error_declaration {
            self.error_declaration(ed);
        }
        // Without a type, the role-named lists are written under the ObjectEvent names.
        let t = ev.event_type.unwrap_or(EventType::ObjectEvent);
        for f in body_fields(t) {
            self.field(ev, t, *f);
        }
        for f in extra_fields(t, ev) {
            self.field(ev, t, f);
        }
        self.members(&ev.extensions);
        self.j.close(b'}');
    }

    fn error_declaration(&mut self, ed: &ErrorDeclaration) {
        self.j.key("errorDeclaration");
        self.j.open(b'{');
        self.j.string_member("declarationTime", &ed.declaration_time);
        if let Some(r) = &ed.reason {
            self.j.string_member("reason", &cbv::to_bare(Vocab::ErrorReason, r));
        }
        if !ed.corrective_event_ids.is_empty() {
            self.j.key("correctiveEventIDs");
            self.j.string_array(&ed.corrective_event_ids);
        }
        self.members(&ed.extensions);
        self.j.close(b'}');
    }

    fn field(&mut self, ev: &Event, t: EventType, f: Field) {
        match f {
            Field::ParentId => {
                if let Some(p) = &ev.parent_id {
                    self.j.string_member("parentID", p);
                }
            }
            Field::EpcList => {
                // An ObjectEvent needs epcList or quantityList (JSON schema), so an event with
                // neither still says it has no EPCs.
                let needed = t == EventType::ObjectEvent && ev.quantity_list.is_empty();
                if !ev.epc_list.is_empty() || needed {
                    self.j.key(t.epc_list_field());
                    self.j.string_array(&ev.epc_list);
                }
            }
            Field::QuantityList => self.quantity_list(t.quantity_list_field(), &ev.quantity_list),
            Field::OutputEpcList => {
                if !ev.output_epc_list.is_empty() {
                    self.j.key("outputEPCList");
                    self.j.string_array(&ev.output_epc_list);
                }
            }
            Field::OutputQuantityList => {
                self.quantity_list("outputQuantityList", &ev.output_quantity_list)
            }
            Field::TransformationId => {
                if let Some(id) = &ev.transformation_id {
                    self.j.string_member("transformationID", id);
                }
            }
            Field::Action => {
                if let Some(a) = ev.action {
                    self.j.string_member("action", a.as_str());
                }
            }
            Field::BizStep => {
                if let Some(v) = &ev.biz_step {
                    self.j.string_member("bizStep", &cbv::to_bare(Vocab::BizStep, v));
                }
            }
            Field::Disposition => {
                if let Some(v) = &ev.disposition {
                    self.j.string_member("disposition", &cbv::to_bare(Vocab::Disposition, v));
                }
            }
            Field::PersistentDisposition => {
                if let Some(pd) = &ev.persistent_disposition {
                    self.persistent_disposition(pd);
                }
            }
            Field::ReadPoint => {
                if let Some(loc) = &ev.read_point {
                    self.location("readPoint", loc);
                }
            }
            Field::BizLocation => {
                if let Some(loc) = &ev.biz_location {
                    self.location("bizLocation", loc);
                }
            }
            Field::BizTransactionList => self.biz_transactions(&ev.biz_transaction_list),
            Field::SourceList => self.source_dests("sourceList", "source", &ev.source_list),
            Field::DestinationList => {
                self.source_dests("destinationList", "destination", &ev.destination_list)
            }
            Field::SensorElementList => {
                if !ev.sensor_element_list.is_empty() {
                    self.j.key("sensorElementList");
                    self.j.open(b'[');
                    for se in &ev.sensor_element_list {
                        self.j.next();
                        self.sensor_element(se);
                    }
                    self.j.close(b']');
                }
            }
            Field::Ilmd => {
                if let Some(ilmd) = &ev.ilmd {
                    self.j.key("ilmd");
                    self.j.open(b'{');
                    self.members(ilmd);
                    self.j.close(b'}');
                }
            }
        }
    }

    fn quantity_list(&mut self, key: &str, list: &[QuantityElement]) {
        if list.is_empty() {
            return;
        }
        self.j.key(key);
        self.j.open(b'[');
        for q in list {
            self.j.next();
            self.j.open(b'{');
            self.j.string_member("epcClass", &q.epc_class);
            // An empty quantity is XML's `xsi:nil`: JSON-LD says "no quantity" by leaving it out.
            if let Some(n) = q.quantity.as_deref().filter(|n| !n.is_empty()) {
                self.j.key("quantity");
                self.j.number(n);
            }
            if let Some(u) = &q.uom {
                self.j.string_member("uom", u);
            }
            self.j.close(b'}');
        }
        self.j.close(b']');
    }

    fn persistent_disposition(&mut self, pd: &PersistentDisposition) {
        self.j.key("persistentDisposition");
        self.j.open(b'{');
        for (key, list) in [("set", &pd.set), ("unset", &pd.unset)] {
            if !list.is_empty() {
                self.j.key(key);
                self.j.open(b'[');
                for v in list {
                    self.j.next();
                    self.j.string(&cbv::to_bare(Vocab::Disposition, v));
                }
                self.j.close(b']');
            }
        }
        self.j.close(b'}');
    }

    fn location(&mut self, key: &str, loc: &Location) {
        self.j.key(key);
        self.j.open(b'{');
        self.j.string_member("id", &loc.id);
        self.members(&loc.extensions);
        self.j.close(b'}');
    }

    fn biz_transactions(&mut self, list: &[BizTransaction]) {
        if list.is_empty() {
            return;
        }
        self.j.key("bizTransactionList");
        self.j.open(b'[');
        for bt in list {
            self.j.next();
            self.j.open(b'{');
            if let Some(t) = &bt.type_ {
                self.j.string_member("type", &cbv::to_bare(Vocab::BizTransactionType, t));
            }
            self.j.string_member("bizTransaction", &bt.value);
            self.j.close(b'}');
        }
        self.j.close(b']');
    }

    fn source_dests(&mut self, key: &str, value_key: &str, list: &[SourceDest]) {
        if list.is_empty() {
            return;
        }
        self.j.key(key);
        self.j.open(b'[');
        for sd in list {
            self.j.next();
            self.j.open(b'{');
            self.j.string_member("type", &cbv::to_bare(Vocab::SourceDestType, &sd.type_));
            self.j.string_member(value_key, &sd.value);
            self.j.close(b'}');
        }
        self.j.close(b']');
    }

    fn sensor_element(&mut self, se: &SensorElement) {
        self.j.open(b'{');
        if let Some(md) = &se.sensor_metadata {
            self.j.key("sensorMetadata");
            self.j.open(b'{');
            for (name, value) in md.present() {
                self.j.string_member(name, value);
            }
            self.members(&md.extensions);
            self.j.close(b'}');
        }
        if !se.sensor_report.is_empty() {
            self.j.key("sensorReport");
            self.j.open(b'[');
            for r in &se.sensor_report {
                self.j.next();
                self.j.open(b'{');
                for (name, value) in r.present() {
                    self.j.key(name);
                    match name {
                        "value" | "minValue" | "maxValue" | "meanValue" | "sDev" | "percRank"
                        | "percValue" => self.j.number(value),
                        "booleanValue" if value == "true" || value == "false" => self.j.raw(value),
                        "type" | "exception" => self.j.string(cbv::gs1_voc_bare(value)),
                        _ => self.j.string(value),
                    }
                }
                self.members(&r.extensions);
                self.j.close(b'}');
            }
            self.j.close(b']');
        }
        self.members(&se.extensions);
        self.j.close(b'}');
    }

    /// Extension elements as members of the open object: one key per distinct name, in order of
    /// first appearance, with an array when the name repeats.
    fn members(&mut self, list: &[Element]) {
        let same = |a: &Name, b: &Name| a.local == b.local && a.namespace == b.namespace;
        for (i, el) in list.iter().enumerate() {
            if list[..i].iter().any(|e| same(&e.name, &el.name)) {
                continue;
            }
            self.name_key(&el.name);
            let mut group = list[i..].iter().filter(|e| same(&e.name, &el.name));
            if list[i + 1..].iter().any(|e| same(&e.name, &el.name)) {
                self.j.open(b'[');
                for e in group {
                    self.j.next();
                    self.value(e);
                }
                self.j.close(b']');
            } else if let Some(e) = group.next() {
                self.value(e);
            }
        }
    }

    /// The key for an extension name: `prefix:local`, the full IRI, or the bare local name.
    fn name_key(&mut self, name: &Name) {
        self.j.next();
        self.j.buf.push(b'"');
        if !name.namespace.is_empty() {
            if writes_as_iri(name) {
                escape_into(&mut self.j.buf, &name.namespace);
            } else {
                // Invariant: every namespace of the header and the current event is bound
                // before anything of them is written.
                let prefix = self.p.resolve(&name.namespace).expect("namespaces are bound first");
                escape_into(&mut self.j.buf, prefix);
                self.j.buf.push(b':');
            }
        }
        escape_into(&mut self.j.buf, &name.local);
        self.j.buf.extend_from_slice(b"\": ");
    }

    fn value(&mut self, el: &Element) {
        if el.attributes.is_empty() {
            self.content(&el.content);
            return;
        }
        self.j.open(b'{');
        self.j.key("@attributes");
        self.j.open(b'{');
        for (name, value) in &el.attributes {
            self.name_key(name);
            self.j.string(value);
        }
        self.j.close(b'}');
        match &el.content {
            Content::Children(children) => self.members(children),
            scalar => {
                self.j.key("#text");
                self.content(scalar);
            }
        }
        self.j.close(b'}');
    }

    fn content(&mut self, content: &Content) {
        match content {
            Content::Empty => self.j.raw("null"),
            Content::Text(s) => self.j.string(s),
            Content::Number(n) => self.j.number(n),
            Content::Bool(b) => self.j.raw(if *b { "true" } else { "false" }),
            Content::Children(children) => {
                self.j.open(b'{');
                self.members(children);
                self.j.close(b'}');
            }
        }
    }
}
