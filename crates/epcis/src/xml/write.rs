//! Streaming XML writers for EPCIS 2.0 and EPCIS 1.2 documents, plus the pieces the JSON-LD
//! writer shares with them: the namespace-prefix table, the per-type field order and the
//! walk over every extension name an event carries.
//!
//! The header is written by `begin`, each event by `event`, the closing tags by `finish`, so a
//! document of any size needs memory for one event only. Output goes to an internal buffer that
//! is handed to the caller's writer every `out::FLUSH_LEN` bytes: one `write_all` per batch of
//! events, whether or not the caller buffers.
//!
//! Layout decisions (the XSDs are order-sensitive, so every sequence below is the XSD's):
//! - Vocabulary values are written as EPCIS 1.x URNs (`cbv::to_urn`), which both schema versions
//!   accept; sensor `type`/`exception` bare GS1 terms become `gs1:` CURIEs as in the GS1 examples.
//! - `epcList` (ObjectEvent, TransactionEvent) and `childEPCs` (AggregationEvent) are always
//!   written, empty when the event has quantities only: EPCIS 1.2 requires them and 2.0 allows it.
//! - Extension elements are written in place, in model order, after the standard fields of the
//!   element that holds them (the schemas' `##other` slots). The model already holds any
//!   `<extension>` wrapper a source document had around its own elements (`xml::read` keeps them
//!   as elements), so writing them as they are gives the source structure back.
//! - Namespaces the header lists (and, for `to_xml`, every namespace any event uses) are declared
//!   on the root element with the author's prefixes; a namespace that only shows up in a streamed
//!   event is declared on that event's element.
//! - Header extensions are written between `EPCISHeader` and `EPCISBody`. The schema puts
//!   document extensions after the body, but a streaming reader hands the header on before the
//!   first event, and some of them (`ignoreFields`) change how the events hash; the
//!   hash generator's examples put them there too.
//! - EPCIS 1.2 carries the 2.0 additions the way the GS1 1.2/2.0 XSLT mapping
//!   (`gs1/EPCIS` `XSL/convert-2.0-to-1.2.xsl`, and the OpenEPCIS 1.2 test documents) does:
//!   `eventID`/`errorDeclaration` in `baseExtension`; `sensorElementList` and
//!   `persistentDisposition` in the innermost `##local` extension (`extension/extension` for
//!   Object, Aggregation and Transaction events, `extension` for TransformationEvent);
//!   AssociationEvent as `EventList/extension/extension/AssociationEvent`. `certificationInfo` has
//!   no carrier in that mapping (the XSLT drops it), so it is refused with
//!   `io::ErrorKind::InvalidInput` rather than lost. (OpenEPCIS writes a bare `<certificationInfo>`
//!   after the event's `<extension>`, which no schema allows.)
//! - An empty `quantity` (what `<quantity xsi:nil="true"/>` reads as) is written back as
//!   `xsi:nil`. Several `certificationInfo` values (JSON-LD allows a list) are written as
//!   repeated elements although the 2.0 schema allows one; `Header::id` (JSON-LD's document
//!   `id`) has no XML counterpart and is not written. A header without `creationDate` or
//!   `queryName` is written without them: the writer has no clock and invents nothing.
//! - Text XML 1.0 cannot carry (control characters other than tab, newline and carriage return;
//!   U+FFFE, U+FFFF) is refused with `io::ErrorKind::InvalidData` naming the event and field, as
//!   are extension names that are not XML names. A refused event leaves no trace in the output:
//!   the writer stays usable for the next one.

use std::io::{self, Write};

use crate::cbv::{self, Vocab};
use crate::model::{
    BizTransaction, Content, DocumentKind, Element, ErrorDeclaration, Event, EventType, Header,
    Location, Name, PersistentDisposition, QuantityElement, SensorElement, SourceDest, Vocabulary,
};
use crate::out;

/// Which XML binding to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmlVersion {
    /// EPCIS 2.0, `urn:epcglobal:epcis:xsd:2`.
    V2_0,
    /// EPCIS 1.2, `urn:epcglobal:epcis:xsd:1`, with the 2.0 additions in its extension points.
    V1_2,
}

impl XmlVersion {
    fn schema_version(self) -> &'static str {
        match self {
            XmlVersion::V2_0 => "2.0",
            XmlVersion::V1_2 => "1.2",
        }
    }

    fn epcis_namespace(self) -> &'static str {
        match self {
            XmlVersion::V2_0 => EPCIS_NS_2,
            XmlVersion::V1_2 => EPCIS_NS_1,
        }
    }

    fn query_namespace(self) -> &'static str {
        match self {
            XmlVersion::V2_0 => "urn:epcglobal:epcis-query:xsd:2",
            XmlVersion::V1_2 => "urn:epcglobal:epcis-query:xsd:1",
        }
    }
}

const EPCIS_NS_2: &str = "urn:epcglobal:epcis:xsd:2";
const EPCIS_NS_1: &str = "urn:epcglobal:epcis:xsd:1";
const SBDH_NS: &str = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Namespaces a writer declares itself (or that XML never declares): an author's declaration of
/// one of them is not copied.
const INFRASTRUCTURE_NAMESPACES: [&str; 8] = [
    EPCIS_NS_1,
    EPCIS_NS_2,
    "urn:epcglobal:epcis-query:xsd:1",
    "urn:epcglobal:epcis-query:xsd:2",
    "urn:epcglobal:epcis-masterdata:xsd:1",
    "urn:epcglobal:epcis-masterdata:xsd:2",
    XML_NS,
    "http://www.w3.org/2000/xmlns/",
];

/// XML binds `xml` without a declaration.
const XML_IMPLICIT: [(&str, &str); 1] = [("xml", XML_NS)];

/// Writes `doc` as an EPCIS XML document of version `version`. Every namespace the events use is
/// declared on the root element.
pub fn to_xml(doc: &crate::model::Document, version: XmlVersion) -> io::Result<Vec<u8>> {
    let mut w = XmlWriter::new(Vec::new(), version);
    w.begin_with(&doc.header, &doc.events)?;
    for event in &doc.events {
        w.event(event)?;
    }
    w.finish()
}

/// A streaming EPCIS XML writer: `begin`, then `event` for each event, then `finish`.
#[derive(Debug)]
pub struct XmlWriter<W: Write> {
    out: W,
    x: XmlOut,
    version: XmlVersion,
    prefixes: Prefixes,
    kind: DocumentKind,
    began: bool,
    n_events: usize,
}

impl<W: Write> XmlWriter<W> {
    pub fn new(out: W, version: XmlVersion) -> XmlWriter<W> {
        XmlWriter {
            out,
            x: XmlOut::default(),
            version,
            prefixes: Prefixes::new(&XML_IMPLICIT),
            kind: DocumentKind::EpcisDocument,
            began: false,
            n_events: 0,
        }
    }

    /// Writes the XML declaration, the root element with its namespace declarations, the
    /// `EPCISHeader` (SBDH and master data) and opens the event list.
    pub fn begin(&mut self, header: &Header) -> io::Result<()> {
        self.begin_with(header, &[])
    }

    /// `begin`, declaring on the root element the namespaces `events` use as well.
    fn begin_with(&mut self, header: &Header, events: &[Event]) -> io::Result<()> {
        assert!(!self.began, "XmlWriter::begin called twice");
        self.began = true;
        self.kind = header.kind;
        let (root_prefix, root_ns) = match header.kind {
            DocumentKind::EpcisDocument => ("epcis", self.version.epcis_namespace()),
            DocumentKind::EpcisQueryDocument => ("epcisq", self.version.query_namespace()),
        };
        self.prefixes.fixed(root_prefix, root_ns);
        for (prefix, namespace) in &header.namespaces {
            self.prefixes.declare(prefix, namespace);
        }
        if header.sbdh.is_some() {
            self.prefixes.bind("sbdh", SBDH_NS);
        }
        let prefixes = &mut self.prefixes;
        for_each_header_name(header, &mut |n| bind_name(prefixes, n));
        for event in events {
            for_each_event_name(event, &mut |n| bind_name(prefixes, n));
        }
        self.prefixes.seal_document();
        let mut doc = XmlDoc { x: &mut self.x, p: &self.prefixes, version: self.version };
        doc.header(header, root_prefix).map_err(|f| f.into_io("the document header"))?;
        self.flush_if_full()
    }

    /// Writes one event. An event the chosen version cannot express, or that holds text XML
    /// cannot carry, is refused with an error and nothing of it is written.
    pub fn event(&mut self, event: &Event) -> io::Result<()> {
        assert!(self.began, "XmlWriter::event called before begin");
        let mark = self.x.buf.len();
        let depth = self.x.depth;
        let event_idx = self.n_events;
        self.n_events += 1;
        let prefixes = &mut self.prefixes;
        for_each_event_name(event, &mut |n| bind_name(prefixes, n));
        let mut doc = XmlDoc { x: &mut self.x, p: &self.prefixes, version: self.version };
        let res = doc.event(event);
        self.prefixes.end_event();
        if let Err(fault) = res {
            self.x.buf.truncate(mark);
            self.x.depth = depth;
            return Err(fault.into_io(&event_label(event_idx, event)));
        }
        self.flush_if_full()
    }

    /// Closes the event list and the document, flushes, and hands back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        assert!(self.began, "XmlWriter::finish called before begin");
        let mut doc = XmlDoc { x: &mut self.x, p: &self.prefixes, version: self.version };
        doc.close_body(self.kind);
        out::finish(&self.x.buf, self.out)
    }

    fn flush_if_full(&mut self) -> io::Result<()> {
        out::flush_if_full(&mut self.x.buf, &mut self.out)
    }
}

/// "event 3 (ObjectEvent)", for error messages.
pub(crate) fn event_label(event_idx: usize, event: &Event) -> String {
    match event.event_type {
        Some(t) => format!("event {event_idx} ({})", t.name()),
        None => format!("event {event_idx}"),
    }
}

fn bind_name(prefixes: &mut Prefixes, name: &Name) {
    if !name.namespace.is_empty() {
        prefixes.bind(&name.prefix, &name.namespace);
    }
}

/// Why a value could not be written.
#[derive(Debug)]
pub(crate) enum Fault {
    /// A character XML 1.0 cannot carry, not even as a character reference.
    Char {
        field: String,
        c: char,
    },
    /// An extension name that is not an XML name.
    Name {
        name: String,
    },
    /// A field EPCIS 1.2 has no place for.
    NotIn12 {
        field: &'static str,
    },
    /// A value whose shape the target cannot hold.
    Structure {
        field: String,
        why: &'static str,
    },
    NoType,
}

impl Fault {
    pub(crate) fn into_io(self, what: &str) -> io::Error {
        match self {
            Fault::Char { field, c } => io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{what}: {field} holds the character U+{:04X}, which XML 1.0 cannot carry",
                    c as u32
                ),
            ),
            Fault::Name { name } => io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{what}: \"{name}\" is not a valid XML element or attribute name (an XML \
                     NCName of at most 1024 bytes)"
                ),
            ),
            Fault::NotIn12 { field } => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what}: EPCIS 1.2 XML has no place for {field}"),
            ),
            Fault::Structure { field, why } => {
                io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {field}: {why}"))
            }
            Fault::NoType => {
                io::Error::new(io::ErrorKind::InvalidInput, format!("{what} has no event type"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared with the JSON-LD writer.

/// The namespace prefixes a writer has declared: document-wide bindings first, then those one
/// event brought along, which are declared on that event alone and dropped after it.
#[derive(Debug)]
pub(crate) struct Prefixes {
    /// (prefix, namespace), in declaration order.
    bindings: Vec<(String, String)>,
    /// Prefixes bound without a declaration (XML's `xml`, the standard EPCIS JSON-LD context).
    implicit: &'static [(&'static str, &'static str)],
    document_len: usize,
    invented: usize,
    document_invented: usize,
}

impl Prefixes {
    pub(crate) fn new(implicit: &'static [(&'static str, &'static str)]) -> Prefixes {
        Prefixes {
            bindings: Vec::new(),
            implicit,
            document_len: 0,
            invented: 0,
            document_invented: 0,
        }
    }

    /// The prefix bound to `namespace`, if any.
    pub(crate) fn resolve(&self, namespace: &str) -> Option<&str> {
        if let Some((p, _)) = self.bindings.iter().rev().find(|(_, ns)| ns == namespace) {
            return Some(p);
        }
        // An implicit prefix the author rebound no longer names its standard namespace.
        self.implicit
            .iter()
            .find(|(p, ns)| *ns == namespace && !self.bindings.iter().any(|(b, _)| b == p))
            .map(|(p, _)| *p)
    }

    /// Whether `prefix` names anything, declared or implicit.
    pub(crate) fn is_bound(&self, prefix: &str) -> bool {
        self.bindings.iter().any(|(p, _)| p == prefix)
            || self.implicit.iter().any(|(p, _)| *p == prefix)
    }

    /// A binding the writer itself needs (the EPCIS root namespace).
    fn fixed(&mut self, prefix: &str, namespace: &str) {
        debug_assert!(!self.is_bound(prefix));
        self.bindings.push((prefix.to_owned(), namespace.to_owned()));
    }

    /// An author's declaration from the header: kept with its prefix where possible, even when
    /// that rebinds an implicit prefix (a document may give `cbvmda` its own namespace).
    pub(crate) fn declare(&mut self, prefix: &str, namespace: &str) {
        if namespace.is_empty() || INFRASTRUCTURE_NAMESPACES.contains(&namespace) {
            return;
        }
        if self.bindings.iter().any(|(_, ns)| ns == namespace)
            || self.implicit.iter().any(|(p, ns)| *p == prefix && *ns == namespace)
        {
            return;
        }
        let prefix = if is_prefix(prefix) && !self.bindings.iter().any(|(p, _)| p == prefix) {
            prefix.to_owned()
        } else {
            self.invent()
        };
        self.bindings.push((prefix, namespace.to_owned()));
    }

    /// Makes sure `namespace` has a prefix: `preferred` if it is free, else a new `extN`.
    pub(crate) fn bind(&mut self, preferred: &str, namespace: &str) {
        if self.resolve(namespace).is_some() {
            return;
        }
        let prefix = if is_prefix(preferred) && !self.is_bound(preferred) {
            preferred.to_owned()
        } else {
            self.invent()
        };
        self.bindings.push((prefix, namespace.to_owned()));
    }

    fn invent(&mut self) -> String {
        loop {
            self.invented += 1;
            let p = format!("ext{}", self.invented);
            if !self.is_bound(&p) {
                return p;
            }
        }
    }

    /// Ends the document-wide declarations; later bindings belong to the current event.
    pub(crate) fn seal_document(&mut self) {
        self.document_len = self.bindings.len();
        self.document_invented = self.invented;
    }

    pub(crate) fn document_bindings(&self) -> &[(String, String)] {
        &self.bindings[..self.document_len]
    }

    pub(crate) fn event_bindings(&self) -> &[(String, String)] {
        &self.bindings[self.document_len..]
    }

    pub(crate) fn end_event(&mut self) {
        self.bindings.truncate(self.document_len);
        self.invented = self.document_invented;
    }
}

/// A prefix a writer may declare: an XML NCName not starting with `xml` (reserved).
fn is_prefix(p: &str) -> bool {
    p.len() <= 64 && is_ncname(p) && !p.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("xml"))
}

/// XML 1.0 (5th edition) `NCName`: a `Name` without colons.
pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_rest(c))
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_rest(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Calls `f` with every extension element and attribute name in `event`, at any depth.
pub(crate) fn for_each_event_name<'a>(event: &'a Event, f: &mut dyn FnMut(&'a Name)) {
    for_each_name(&event.extensions, f);
    if let Some(ilmd) = &event.ilmd {
        for_each_name(ilmd, f);
    }
    for loc in [&event.read_point, &event.biz_location].into_iter().flatten() {
        for_each_name(&loc.extensions, f);
    }
    if let Some(ed) = &event.error_declaration {
        for_each_name(&ed.extensions, f);
    }
    for se in &event.sensor_element_list {
        for_each_name(&se.extensions, f);
        if let Some(md) = &se.sensor_metadata {
            for_each_name(&md.extensions, f);
        }
        for r in &se.sensor_report {
            for_each_name(&r.extensions, f);
        }
    }
}

/// Calls `f` with every element and attribute name in the header's trees.
pub(crate) fn for_each_header_name<'a>(header: &'a Header, f: &mut dyn FnMut(&'a Name)) {
    if let Some(sbdh) = &header.sbdh {
        for_each_name(std::slice::from_ref(sbdh), f);
    }
    for_each_name(&header.extensions, f);
    for voc in &header.master_data {
        for el in &voc.elements {
            for attr in &el.attributes {
                if let Content::Children(children) = &attr.value {
                    for_each_name(children, f);
                }
            }
        }
    }
}

fn for_each_name<'a>(elements: &'a [Element], f: &mut dyn FnMut(&'a Name)) {
    for el in elements {
        f(&el.name);
        for (name, _) in &el.attributes {
            f(name);
        }
        if let Content::Children(children) = &el.content {
            for_each_name(children, f);
        }
    }
}

/// The standard event fields after the common ones (`eventTime` .. `certificationInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    ParentId,
    /// `epcList`, `childEPCs` or `inputEPCList`.
    EpcList,
    /// `quantityList`, `childQuantityList` or `inputQuantityList`.
    QuantityList,
    OutputEpcList,
    OutputQuantityList,
    TransformationId,
    Action,
    BizStep,
    Disposition,
    PersistentDisposition,
    ReadPoint,
    BizLocation,
    BizTransactionList,
    SourceList,
    DestinationList,
    SensorElementList,
    Ilmd,
}

use Field as F;

/// The EPCIS 2.0 XSD sequence of each event type. The JSON-LD writer writes in this order too,
/// and the XML reader checks it.
#[rustfmt::skip]
pub(crate) const fn body_fields(t: EventType) -> &'static [Field] {
    match t {
        EventType::ObjectEvent => &[
            F::EpcList, F::Action, F::BizStep, F::Disposition, F::ReadPoint, F::BizLocation,
            F::BizTransactionList, F::QuantityList, F::SourceList, F::DestinationList,
            F::SensorElementList, F::PersistentDisposition, F::Ilmd,
        ],
        EventType::AggregationEvent => &[
            F::ParentId, F::EpcList, F::Action, F::BizStep, F::Disposition, F::ReadPoint,
            F::BizLocation, F::BizTransactionList, F::QuantityList, F::SourceList,
            F::DestinationList, F::SensorElementList, F::PersistentDisposition,
        ],
        EventType::TransactionEvent => &[
            F::BizTransactionList, F::ParentId, F::EpcList, F::Action, F::BizStep, F::Disposition,
            F::ReadPoint, F::BizLocation, F::QuantityList, F::SourceList, F::DestinationList,
            F::SensorElementList, F::PersistentDisposition,
        ],
        EventType::TransformationEvent => &[
            F::EpcList, F::QuantityList, F::OutputEpcList, F::OutputQuantityList,
            F::TransformationId, F::BizStep, F::Disposition, F::ReadPoint, F::BizLocation,
            F::BizTransactionList, F::SourceList, F::DestinationList, F::SensorElementList,
            F::PersistentDisposition, F::Ilmd,
        ],
        EventType::AssociationEvent => &[
            F::ParentId, F::EpcList, F::QuantityList, F::Action, F::BizStep, F::Disposition,
            F::ReadPoint, F::BizLocation, F::BizTransactionList, F::SourceList,
            F::DestinationList, F::SensorElementList, F::PersistentDisposition,
        ],
    }
}

/// Fields some types lack. When an event holds one its type has no place for, it is still
/// written (after the type's own fields) rather than dropped; validation reports it.
const EXTRA_FIELDS: [Field; 6] =
    [F::ParentId, F::OutputEpcList, F::OutputQuantityList, F::TransformationId, F::Action, F::Ilmd];

/// The fields of `event` its type has no place for.
pub(crate) fn extra_fields(t: EventType, event: &Event) -> impl Iterator<Item = Field> + '_ {
    let own = body_fields(t);
    EXTRA_FIELDS.into_iter().filter(move |f| !own.contains(f) && is_present(event, *f))
}

pub(crate) fn is_present(ev: &Event, f: Field) -> bool {
    match f {
        F::ParentId => ev.parent_id.is_some(),
        F::EpcList => !ev.epc_list.is_empty(),
        F::QuantityList => !ev.quantity_list.is_empty(),
        F::OutputEpcList => !ev.output_epc_list.is_empty(),
        F::OutputQuantityList => !ev.output_quantity_list.is_empty(),
        F::TransformationId => ev.transformation_id.is_some(),
        F::Action => ev.action.is_some(),
        F::BizStep => ev.biz_step.is_some(),
        F::Disposition => ev.disposition.is_some(),
        F::PersistentDisposition => ev.persistent_disposition.is_some(),
        F::ReadPoint => ev.read_point.is_some(),
        F::BizLocation => ev.biz_location.is_some(),
        F::BizTransactionList => !ev.biz_transaction_list.is_empty(),
        F::SourceList => !ev.source_list.is_empty(),
        F::DestinationList => !ev.destination_list.is_empty(),
        F::SensorElementList => !ev.sensor_element_list.is_empty(),
        F::Ilmd => ev.ilmd.is_some(),
    }
}

/// The EPC list both schema versions require for these types (1.2 makes it mandatory).
fn epc_list_required(t: EventType) -> bool {
    matches!(t, EventType::ObjectEvent | EventType::AggregationEvent | EventType::TransactionEvent)
}

/// Where an EPCIS 1.2 event puts its fields: `main` in the event, `middle` inside its
/// `<extension>`, `inner` in the innermost `##local` extension (`extension/extension` when
/// `levels` is 2, `extension` when 1). With `levels` 0 everything is written in place.
struct Layout12 {
    main: &'static [Field],
    middle: &'static [Field],
    inner: &'static [Field],
    levels: u8,
    /// `EventList` wrappers around the event: 1 for TransformationEvent, 2 for AssociationEvent.
    wrappers: u8,
}

#[rustfmt::skip]
fn layout_12(t: EventType) -> Layout12 {
    const SENSOR_PD: &[Field] = &[F::SensorElementList, F::PersistentDisposition];
    match t {
        EventType::ObjectEvent => Layout12 {
            main: &[
                F::EpcList, F::Action, F::BizStep, F::Disposition, F::ReadPoint, F::BizLocation,
                F::BizTransactionList,
            ],
            middle: &[F::QuantityList, F::SourceList, F::DestinationList, F::Ilmd],
            inner: SENSOR_PD,
            levels: 2,
            wrappers: 0,
        },
        EventType::AggregationEvent => Layout12 {
            main: &[
                F::ParentId, F::EpcList, F::Action, F::BizStep, F::Disposition, F::ReadPoint,
                F::BizLocation, F::BizTransactionList,
            ],
            middle: &[F::QuantityList, F::SourceList, F::DestinationList],
            inner: SENSOR_PD,
            levels: 2,
            wrappers: 0,
        },
        EventType::TransactionEvent => Layout12 {
            main: &[
                F::BizTransactionList, F::ParentId, F::EpcList, F::Action, F::BizStep,
                F::Disposition, F::ReadPoint, F::BizLocation,
            ],
            middle: &[F::QuantityList, F::SourceList, F::DestinationList],
            inner: SENSOR_PD,
            levels: 2,
            wrappers: 0,
        },
        EventType::TransformationEvent => Layout12 {
            main: &[
                F::EpcList, F::QuantityList, F::OutputEpcList, F::OutputQuantityList,
                F::TransformationId, F::BizStep, F::Disposition, F::ReadPoint, F::BizLocation,
                F::BizTransactionList, F::SourceList, F::DestinationList, F::Ilmd,
            ],
            middle: &[],
            inner: SENSOR_PD,
            levels: 1,
            wrappers: 1,
        },
        // The GS1 mapping keeps the 2.0 body inside the list's second extension.
        EventType::AssociationEvent => Layout12 {
            main: body_fields(EventType::AssociationEvent),
            middle: &[],
            inner: &[],
            levels: 0,
            wrappers: 2,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Output.

/// The output buffer with its indentation depth.
#[derive(Debug, Default)]
struct XmlOut {
    buf: Vec<u8>,
    depth: usize,
}

impl XmlOut {
    fn indent(&mut self) {
        out::newline(&mut self.buf, self.depth);
    }

    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn name(&mut self, prefix: Option<&str>, local: &str) {
        if let Some(p) = prefix {
            self.raw(p);
            self.buf.push(b':');
        }
        self.raw(local);
    }

    /// `<name>` on a new line; children follow one level deeper.
    fn open(&mut self, name: &str) {
        self.indent();
        self.buf.push(b'<');
        self.raw(name);
        self.buf.push(b'>');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.close_q(None, name);
    }

    fn close_q(&mut self, prefix: Option<&str>, local: &str) {
        self.depth -= 1;
        self.indent();
        self.raw("</");
        self.name(prefix, local);
        self.buf.push(b'>');
    }

    fn empty(&mut self, name: &str) {
        self.indent();
        self.buf.push(b'<');
        self.raw(name);
        self.raw("/>");
    }

    /// `<name>text</name>` on one line.
    fn leaf(&mut self, name: &str, text: &str) -> Result<(), Fault> {
        self.indent();
        self.buf.push(b'<');
        self.raw(name);
        self.buf.push(b'>');
        escape(&mut self.buf, text, false)
            .map_err(|c| Fault::Char { field: name.to_owned(), c })?;
        self.raw("</");
        self.raw(name);
        self.buf.push(b'>');
        Ok(())
    }

    /// ` name="value"` inside a start tag.
    fn attr(&mut self, prefix: Option<&str>, local: &str, value: &str) -> Result<(), Fault> {
        self.buf.push(b' ');
        self.name(prefix, local);
        self.raw("=\"");
        escape(&mut self.buf, value, true).map_err(|c| Fault::Char {
            field: match prefix {
                Some(p) => format!("attribute {p}:{local}"),
                None => format!("attribute {local}"),
            },
            c,
        })?;
        self.buf.push(b'"');
        Ok(())
    }
}

/// Escapes `s` for XML text or a double-quoted attribute value. Carriage returns (and in
/// attributes tabs and newlines) become character references, so a reader's end-of-line and
/// attribute-value normalisation gives back the same text. Returns the first character XML 1.0
/// cannot carry at all.
fn escape(buf: &mut Vec<u8>, s: &str, attribute: bool) -> Result<(), char> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' if attribute => b"&quot;",
            b'\r' => b"&#13;",
            b'\n' if attribute => b"&#10;",
            b'\t' if attribute => b"&#9;",
            b'\n' | b'\t' => continue,
            0..=0x1F => return Err(char::from(b)),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                return Err(if bytes[i + 2] == 0xBE { '\u{FFFE}' } else { '\u{FFFF}' });
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(replacement);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    Ok(())
}

/// Writes document parts and events into `x` with the prefixes in `p`.
struct XmlDoc<'a> {
    x: &'a mut XmlOut,
    p: &'a Prefixes,
    version: XmlVersion,
}

impl<'a> XmlDoc<'a> {
    fn prefix_of(&self, namespace: &str) -> Option<&'a str> {
        if namespace.is_empty() {
            return None;
        }
        let prefixes: &'a Prefixes = self.p;
        // Invariant: every namespace in the header and the current event was bound before
        // anything of them was written.
        Some(prefixes.resolve(namespace).expect("namespaces are bound before they are written"))
    }

    fn header(&mut self, header: &Header, root_prefix: &str) -> Result<(), Fault> {
        let root_local = match header.kind {
            DocumentKind::EpcisDocument => "EPCISDocument",
            DocumentKind::EpcisQueryDocument => "EPCISQueryDocument",
        };
        self.x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        self.x.name(Some(root_prefix), root_local);
        for (prefix, namespace) in self.p.document_bindings() {
            self.x.attr(Some("xmlns"), prefix, namespace)?;
        }
        self.x.attr(None, "schemaVersion", self.version.schema_version())?;
        if let Some(date) = &header.creation_date {
            self.x.attr(None, "creationDate", date)?;
        }
        self.x.buf.push(b'>');
        self.x.depth = 1;
        if header.sbdh.is_some() || !header.master_data.is_empty() {
            self.x.open("EPCISHeader");
            if let Some(sbdh) = &header.sbdh {
                self.sbdh(sbdh)?;
            }
            if !header.master_data.is_empty() {
                self.x.open("extension");
                self.x.open("EPCISMasterData");
                self.x.open("VocabularyList");
                for voc in &header.master_data {
                    self.vocabulary(voc)?;
                }
                self.x.close("VocabularyList");
                self.x.close("EPCISMasterData");
                self.x.close("extension");
            }
            self.x.close("EPCISHeader");
        }
        self.extensions(&header.extensions)?;
        self.x.open("EPCISBody");
        if header.kind == DocumentKind::EpcisQueryDocument {
            let q = self.prefix_of(self.version.query_namespace());
            self.x.indent();
            self.x.buf.push(b'<');
            self.x.name(q, "QueryResults");
            self.x.buf.push(b'>');
            self.x.depth += 1;
            // Required by the schema; a document read without one has none to give.
            if let Some(name) = &header.query_name {
                self.x.leaf("queryName", name)?;
            }
            if let Some(id) = &header.subscription_id {
                self.x.leaf("subscriptionID", id)?;
            }
            self.x.open("resultsBody");
        }
        self.x.open("EventList");
        Ok(())
    }

    fn close_body(&mut self, kind: DocumentKind) {
        self.x.close("EventList");
        if kind == DocumentKind::EpcisQueryDocument {
            self.x.close("resultsBody");
            let q = self.prefix_of(self.version.query_namespace());
            self.x.close_q(q, "QueryResults");
        }
        self.x.close("EPCISBody");
        let (prefix, local) = match kind {
            DocumentKind::EpcisDocument => (self.version.epcis_namespace(), "EPCISDocument"),
            DocumentKind::EpcisQueryDocument => {
                (self.version.query_namespace(), "EPCISQueryDocument")
            }
        };
        let prefix = self.prefix_of(prefix);
        self.x.close_q(prefix, local);
        self.x.buf.push(b'\n');
    }

    /// The SBDH tree. One that did not come from XML (JSON-LD has no namespace for it) is put in
    /// the SBDH namespace, whose schema qualifies every element.
    fn sbdh(&mut self, sbdh: &Element) -> Result<(), Fault> {
        if sbdh.name.namespace == SBDH_NS {
            return self.element(sbdh, None);
        }
        let root = Name::new(SBDH_NS, "StandardBusinessDocumentHeader", "sbdh");
        self.element_as(&root, &sbdh.attributes, &sbdh.content, Some(SBDH_NS))
    }

    fn vocabulary(&mut self, voc: &Vocabulary) -> Result<(), Fault> {
        self.x.indent();
        self.x.raw("<Vocabulary");
        self.x.attr(None, "type", &voc.type_)?;
        self.x.buf.push(b'>');
        self.x.depth += 1;
        if !voc.elements.is_empty() {
            self.x.open("VocabularyElementList");
            for el in &voc.elements {
                self.x.indent();
                self.x.raw("<VocabularyElement");
                self.x.attr(None, "id", &el.id)?;
                self.x.buf.push(b'>');
                self.x.depth += 1;
                for attr in &el.attributes {
                    self.x.indent();
                    self.x.raw("<attribute");
                    self.x.attr(None, "id", &attr.id)?;
                    self.content_of("attribute", None, &attr.value, None)?;
                }
                if !el.children.is_empty() {
                    self.x.open("children");
                    for id in &el.children {
                        self.x.leaf("id", id)?;
                    }
                    self.x.close("children");
                }
                self.x.close("VocabularyElement");
            }
            self.x.close("VocabularyElementList");
        }
        self.x.close("Vocabulary");
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> Result<(), Fault> {
        let t = ev.event_type.ok_or(Fault::NoType)?;
        let layout = match self.version {
            XmlVersion::V2_0 => {
                Layout12 { main: body_fields(t), middle: &[], inner: &[], levels: 0, wrappers: 0 }
            }
            XmlVersion::V1_2 => layout_12(t),
        };
        for _ in 0..layout.wrappers {
            self.x.open("extension");
        }
        self.x.indent();
        self.x.buf.push(b'<');
        self.x.raw(t.name());
        for (prefix, namespace) in self.p.event_bindings() {
            self.x.attr(Some("xmlns"), prefix, namespace)?;
        }
        self.x.buf.push(b'>');
        self.x.depth += 1;
        self.base(ev)?;
        for f in layout.main {
            self.field(ev, t, *f)?;
        }
        if layout.levels == 0 {
            for f in extra_fields(t, ev) {
                self.field(ev, t, f)?;
            }
        } else {
            let inner_needed = layout.inner.iter().any(|f| is_present(ev, *f))
                || extra_fields(t, ev).next().is_some();
            let middle_needed = layout.middle.iter().any(|f| is_present(ev, *f)) || inner_needed;
            if layout.levels == 2 && middle_needed {
                self.x.open("extension");
                for f in layout.middle {
                    self.field(ev, t, *f)?;
                }
            }
            if inner_needed {
                self.x.open("extension");
                for f in layout.inner {
                    self.field(ev, t, *f)?;
                }
                for f in extra_fields(t, ev) {
                    self.field(ev, t, f)?;
                }
                self.x.close("extension");
            }
            if layout.levels == 2 && middle_needed {
                self.x.close("extension");
            }
        }
        self.extensions(&ev.extensions)?;
        self.x.close(t.name());
        for _ in 0..layout.wrappers {
            self.x.close("extension");
        }
        Ok(())
    }

    /// `eventTime` .. `certificationInfo`, or 1.2's `baseExtension`.
    fn base(&mut self, ev: &Event) -> Result<(), Fault> {
        if !ev.event_time.is_empty() {
            self.x.leaf("eventTime", &ev.event_time)?;
        }
        if let Some(t) = &ev.record_time {
            self.x.leaf("recordTime", t)?;
        }
        if !ev.event_time_zone_offset.is_empty() {
            self.x.leaf("eventTimeZoneOffset", &ev.event_time_zone_offset)?;
        }
        match self.version {
            XmlVersion::V2_0 => {
                if let Some(id) = &ev.event_id {
                    self.x.leaf("eventID", id)?;
                }
                if let Some(ed) = &ev.error_declaration {
                    self.error_declaration(ed)?;
                }
                // The schema allows one; the model (after JSON-LD, which allows a list) may hold
                // more, and they are all written rather than some dropped.
                for c in &ev.certification_info {
                    self.x.leaf("certificationInfo", c)?;
                }
            }
            XmlVersion::V1_2 => {
                if !ev.certification_info.is_empty() {
                    return Err(Fault::NotIn12 { field: "certificationInfo" });
                }
                if ev.event_id.is_some() || ev.error_declaration.is_some() {
                    self.x.open("baseExtension");
                    if let Some(id) = &ev.event_id {
                        self.x.leaf("eventID", id)?;
                    }
                    if let Some(ed) = &ev.error_declaration {
                        self.error_declaration(ed)?;
                    }
                    self.x.close("baseExtension");
                }
            }
        }
        Ok(())
    }

    fn error_declaration(&mut self, ed: &ErrorDeclaration) -> Result<(), Fault> {
        self.x.open("errorDeclaration");
        self.x.leaf("declarationTime", &ed.declaration_time)?;
        if let Some(r) = &ed.reason {
            self.x.leaf("reason", &cbv::to_urn(Vocab::ErrorReason, r))?;
        }
        if !ed.corrective_event_ids.is_empty() {
            self.x.open("correctiveEventIDs");
            for id in &ed.corrective_event_ids {
                self.x.leaf("correctiveEventID", id)?;
            }
            self.x.close("correctiveEventIDs");
        }
        self.extensions(&ed.extensions)?;
        self.x.close("errorDeclaration");
        Ok(())
    }

    fn field(&mut self, ev: &Event, t: EventType, f: Field) -> Result<(), Fault> {
        match f {
            F::ParentId => {
                if let Some(p) = &ev.parent_id {
                    self.x.leaf("parentID", p)?;
                }
            }
            F::EpcList => {
                if !ev.epc_list.is_empty() || epc_list_required(t) {
                    self.epc_list(t.epc_list_field(), &ev.epc_list)?;
                }
            }
            F::QuantityList => self.quantity_list(t.quantity_list_field(), &ev.quantity_list)?,
            F::OutputEpcList => {
                if !ev.output_epc_list.is_empty() {
                    self.epc_list("outputEPCList", &ev.output_epc_list)?;
                }
            }
            F::OutputQuantityList => {
                self.quantity_list("outputQuantityList", &ev.output_quantity_list)?
            }
            F::TransformationId => {
                if let Some(id) = &ev.transformation_id {
                    self.x.leaf("transformationID", id)?;
                }
            }
            F::Action => {
                if let Some(a) = ev.action {
                    self.x.leaf("action", a.as_str())?;
                }
            }
            F::BizStep => {
                if let Some(v) = &ev.biz_step {
                    self.x.leaf("bizStep", &cbv::to_urn(Vocab::BizStep, v))?;
                }
            }
            F::Disposition => {
                if let Some(v) = &ev.disposition {
                    self.x.leaf("disposition", &cbv::to_urn(Vocab::Disposition, v))?;
                }
            }
            F::PersistentDisposition => {
                if let Some(pd) = &ev.persistent_disposition {
                    self.persistent_disposition(pd)?;
                }
            }
            F::ReadPoint => {
                if let Some(loc) = &ev.read_point {
                    self.location("readPoint", loc)?;
                }
            }
            F::BizLocation => {
                if let Some(loc) = &ev.biz_location {
                    self.location("bizLocation", loc)?;
                }
            }
            F::BizTransactionList => self.biz_transactions(&ev.biz_transaction_list)?,
            F::SourceList => self.source_dests("sourceList", "source", &ev.source_list)?,
            F::DestinationList => {
                self.source_dests("destinationList", "destination", &ev.destination_list)?
            }
            F::SensorElementList => {
                if !ev.sensor_element_list.is_empty() {
                    self.x.open("sensorElementList");
                    for se in &ev.sensor_element_list {
                        self.sensor_element(se)?;
                    }
                    self.x.close("sensorElementList");
                }
            }
            F::Ilmd => {
                if let Some(ilmd) = &ev.ilmd {
                    if ilmd.is_empty() {
                        self.x.empty("ilmd");
                    } else {
                        self.x.open("ilmd");
                        self.extensions(ilmd)?;
                        self.x.close("ilmd");
                    }
                }
            }
        }
        Ok(())
    }

    fn epc_list(&mut self, name: &str, epcs: &[String]) -> Result<(), Fault> {
        if epcs.is_empty() {
            self.x.empty(name);
            return Ok(());
        }
        self.x.open(name);
        for epc in epcs {
            self.x.leaf("epc", epc)?;
        }
        self.x.close(name);
        Ok(())
    }

    fn quantity_list(&mut self, name: &str, list: &[QuantityElement]) -> Result<(), Fault> {
        if list.is_empty() {
            return Ok(());
        }
        self.x.open(name);
        for q in list {
            self.x.open("quantityElement");
            self.x.leaf("epcClass", &q.epc_class)?;
            match q.quantity.as_deref() {
                // What `<quantity xsi:nil="true"/>` reads as: the schema's way to give a
                // quantityElement a uom but no quantity.
                Some("") => {
                    self.x.indent();
                    self.x.raw("<quantity");
                    match self.p.resolve(XSI_NS) {
                        Some(xsi) => self.x.attr(Some(xsi), "nil", "true")?,
                        None => {
                            self.x.attr(Some("xmlns"), "xsi", XSI_NS)?;
                            self.x.attr(Some("xsi"), "nil", "true")?;
                        }
                    }
                    self.x.raw("/>");
                }
                Some(n) => self.x.leaf("quantity", n)?,
                None => {}
            }
            if let Some(u) = &q.uom {
                self.x.leaf("uom", u)?;
            }
            self.x.close("quantityElement");
        }
        self.x.close(name);
        Ok(())
    }

    fn persistent_disposition(&mut self, pd: &PersistentDisposition) -> Result<(), Fault> {
        if pd.set.is_empty() && pd.unset.is_empty() {
            self.x.empty("persistentDisposition");
            return Ok(());
        }
        self.x.open("persistentDisposition");
        for v in &pd.unset {
            self.x.leaf("unset", &cbv::to_urn(Vocab::Disposition, v))?;
        }
        for v in &pd.set {
            self.x.leaf("set", &cbv::to_urn(Vocab::Disposition, v))?;
        }
        self.x.close("persistentDisposition");
        Ok(())
    }

    fn location(&mut self, name: &str, loc: &Location) -> Result<(), Fault> {
        self.x.open(name);
        self.x.leaf("id", &loc.id)?;
        self.extensions(&loc.extensions)?;
        self.x.close(name);
        Ok(())
    }

    fn biz_transactions(&mut self, list: &[BizTransaction]) -> Result<(), Fault> {
        if list.is_empty() {
            return Ok(());
        }
        self.x.open("bizTransactionList");
        for bt in list {
            self.x.indent();
            self.x.raw("<bizTransaction");
            if let Some(t) = &bt.type_ {
                self.x.attr(None, "type", &cbv::to_urn(Vocab::BizTransactionType, t))?;
            }
            self.x.buf.push(b'>');
            escape(&mut self.x.buf, &bt.value, false)
                .map_err(|c| Fault::Char { field: "bizTransaction".to_owned(), c })?;
            self.x.raw("</bizTransaction>");
        }
        self.x.close("bizTransactionList");
        Ok(())
    }

    fn source_dests(
        &mut self,
        list_name: &str,
        name: &str,
        list: &[SourceDest],
    ) -> Result<(), Fault> {
        if list.is_empty() {
            return Ok(());
        }
        self.x.open(list_name);
        for sd in list {
            self.x.indent();
            self.x.buf.push(b'<');
            self.x.raw(name);
            self.x.attr(None, "type", &cbv::to_urn(Vocab::SourceDestType, &sd.type_))?;
            self.x.buf.push(b'>');
            escape(&mut self.x.buf, &sd.value, false)
                .map_err(|c| Fault::Char { field: name.to_owned(), c })?;
            self.x.raw("</");
            self.x.raw(name);
            self.x.buf.push(b'>');
        }
        self.x.close(list_name);
        Ok(())
    }

    fn sensor_element(&mut self, se: &SensorElement) -> Result<(), Fault> {
        self.x.open("sensorElement");
        if let Some(md) = &se.sensor_metadata {
            self.x.indent();
            self.x.raw("<sensorMetadata");
            for (name, value) in md.present() {
                self.x.attr(None, name, value)?;
            }
            self.sensor_extension_attributes("sensorMetadata", &md.extensions)?;
            self.x.raw("/>");
        }
        for r in &se.sensor_report {
            self.x.indent();
            self.x.raw("<sensorReport");
            for (name, value) in r.present() {
                if matches!(name, "type" | "exception") && is_bare_term(value) {
                    // A bare GS1 term is written as the `gs1:` CURIE the GS1 XML examples use.
                    self.x.buf.push(b' ');
                    self.x.raw(name);
                    self.x.raw("=\"gs1:");
                    escape(&mut self.x.buf, value, true)
                        .map_err(|c| Fault::Char { field: format!("sensorReport {name}"), c })?;
                    self.x.buf.push(b'"');
                } else {
                    self.x.attr(None, name, value)?;
                }
            }
            self.sensor_extension_attributes("sensorReport", &r.extensions)?;
            self.x.raw("/>");
        }
        self.extensions(&se.extensions)?;
        self.x.close("sensorElement");
        Ok(())
    }

    /// sensorMetadata and sensorReport take extensions as attributes (the schema's
    /// `anyAttribute`), so only scalar values fit.
    fn sensor_extension_attributes(&mut self, owner: &str, list: &[Element]) -> Result<(), Fault> {
        for el in list {
            check_name(&el.name.local)?;
            let text = match &el.content {
                Content::Empty => std::borrow::Cow::Borrowed(""),
                Content::Children(_) => {
                    return Err(Fault::Structure {
                        field: format!("{owner} extension {}", el.name.local),
                        why: "a structured value cannot be an XML attribute",
                    });
                }
                scalar => scalar.text().unwrap_or_default(),
            };
            let prefix = self.prefix_of(&el.name.namespace);
            self.x.attr(prefix, &el.name.local, &text)?;
        }
        Ok(())
    }

    fn extensions(&mut self, list: &[Element]) -> Result<(), Fault> {
        for el in list {
            self.element(el, None)?;
        }
        Ok(())
    }

    /// One extension element; names without a namespace take `default_ns` if given.
    fn element(&mut self, el: &Element, default_ns: Option<&str>) -> Result<(), Fault> {
        self.element_as(&el.name, &el.attributes, &el.content, default_ns)
    }

    fn element_as(
        &mut self,
        name: &Name,
        attributes: &[(Name, String)],
        content: &Content,
        default_ns: Option<&str>,
    ) -> Result<(), Fault> {
        check_name(&name.local)?;
        let namespace = match (name.namespace.as_str(), default_ns) {
            ("", Some(d)) => d,
            (ns, _) => ns,
        };
        let prefix = self.prefix_of(namespace);
        self.x.indent();
        self.x.buf.push(b'<');
        self.x.name(prefix, &name.local);
        for (attr_name, value) in attributes {
            check_name(&attr_name.local)?;
            let attr_prefix = self.prefix_of(&attr_name.namespace);
            self.x.attr(attr_prefix, &attr_name.local, value)?;
        }
        self.content_of(&name.local, prefix, content, default_ns)
    }

    /// Finishes a start tag already written up to its attributes: the content and the end tag.
    fn content_of(
        &mut self,
        local: &str,
        prefix: Option<&str>,
        content: &Content,
        default_ns: Option<&str>,
    ) -> Result<(), Fault> {
        match content {
            Content::Empty => self.x.raw("/>"),
            Content::Children(children) if children.is_empty() => self.x.raw("/>"),
            Content::Children(children) => {
                self.x.buf.push(b'>');
                self.x.depth += 1;
                for child in children {
                    self.element(child, default_ns)?;
                }
                self.x.close_q(prefix, local);
            }
            scalar => {
                self.x.buf.push(b'>');
                let text = scalar.text().unwrap_or_default();
                escape(&mut self.x.buf, &text, false).map_err(|c| Fault::Char {
                    field: match prefix {
                        Some(p) => format!("{p}:{local}"),
                        None => local.to_owned(),
                    },
                    c,
                })?;
                self.x.raw("</");
                self.x.name(prefix, local);
                self.x.buf.push(b'>');
            }
        }
        Ok(())
    }
}

/// A name the XML reader takes back: an NCName no longer than the readers' default limit
/// (a JSON-LD key may be longer; writing it would make a document we refuse to read).
fn check_name(local: &str) -> Result<(), Fault> {
    let fits = local.len() <= crate::read::Limits::default().name_len_max;
    if fits && is_ncname(local) { Ok(()) } else { Err(Fault::Name { name: local.to_owned() }) }
}

/// A GS1 Web Vocabulary term written without prefix or URI (`Temperature`), which JSON-LD's
/// context expands and XML needs spelled out (the same rule as `cbv::gs1_voc_uri`).
fn is_bare_term(value: &str) -> bool {
    !value.is_empty() && !value.contains(':') && !value.contains('/')
}
