//! Validation of events and document headers against EPCIS 2.0 and CBV 2.0: the rules of the
//! JSON Schema, the XSD and the standard's text that hold beyond the shape the readers check.
//!
//! The readers report what breaks a document's structure (a wrong JSON type, an unknown field in
//! a nested object, a bad `action`). This module checks what a well-formed event can still get
//! wrong: required fields per event type and action, fields a type does not have, timestamp and
//! offset formats, identifier syntax (EPC URIs and GS1 Digital Link URIs are parsed with
//! `serialhub_gs1`), CBV vocabulary values, quantities, units and sensor values. It collects every
//! problem and never stops at the first.
//!
//! Codes, one per rule family, are stable (`crate::problem::Problem::code`):
//!
//! | code | meaning |
//! |------|---------|
//! | `required` | a required field is missing or empty |
//! | `not_allowed` | the field is not allowed for this event type or action |
//! | `unknown_field` | an extension field without a namespace |
//! | `date_time` | not an `xsd:dateTime` with a zone offset |
//! | `time_zone_offset` | not `±hh:mm` between -14:00 and +14:00 |
//! | `uri` | not an absolute URI |
//! | `epc` | an EPC URI or GS1 Digital Link URI that does not parse, or names the wrong kind of thing |
//! | `duplicate` | a value repeated in a list that must hold each once |
//! | `decimal`, `boolean`, `hex_binary`, `uom` | a value of the wrong lexical form |
//! | `biz_step`, `disposition`, `biz_transaction_type`, `source_dest_type`, `error_reason` | a value that is neither a CBV 2.0 standard value nor an extension URI |
//! | `sensor_type`, `sensor_exception`, `sensor_component` | likewise for the GS1 Web Vocabulary terms of sensor reports |
//! | `schema_version` | a `schemaVersion` serialhub does not read |
//!
//! # Forms and severities
//!
//! JSON-LD is judged by the JSON Schema (`EPCIS-JSON-Schema.json`), XML by the XSD
//! (`EPCglobal-epcis-2_0.xsd`, or `EPCglobal-epcis-1_2.xsd` for `schemaVersion` 1.2). The
//! `Form` comes from where an event is (a JSON pointer or an XML line); with no location, the
//! stricter of the two applies. A rule that a form's schema or the standard's text makes
//! mandatory gives an error (`E`); a rule that goes beyond both, such as a URI in a GS1 namespace
//! that names no GS1 term, gives a warning (`W`); `-` is no problem. "Text" is the EPCIS 2.0
//! definition as the GS1 ontology (`Ontology/EPCIS.ttl`) quotes it, "SHACL" GS1's
//! `Ontology/EPCIS-SHACL.ttl`, "TDS" the GS1 Tag Data Standard and Digital Link syntax.
//!
//! | rule (code) | JSON-LD | XML 2.0 | XML 1.2 | from |
//! |-------------|---------|---------|---------|------|
//! | eventTime, eventTimeZoneOffset, action (not TransformationEvent), epcClass, readPoint/bizLocation id, source/destination type and value, bizTransaction value, at least one sensorReport (`required`) | E | E | E | JSON `required`; XSD `minOccurs`/`use="required"` |
//! | declarationTime (`required`) | E | E | E | JSON `required`; XSD 2.0 leaves it optional, the text says it is required |
//! | parentID of an AssociationEvent (`required`) | E | E | E | JSON `required`; XSD `minOccurs="1"` |
//! | parentID of an AggregationEvent with ADD or DELETE (`required`) | E | E | E | text: "optional when action is OBSERVE, required otherwise" |
//! | non-empty bizTransactionList of a TransactionEvent (`required`) | E | E | E | JSON `minItems: 1`; XSD `bizTransaction` `minOccurs="1"` |
//! | children of an Aggregation- or AssociationEvent unless DELETE (`required`) | E | E | E | JSON `anyOf`; text: "SHALL contain either a non-empty childEPCs, a non-empty childQuantityList, or both" |
//! | objects of an ObjectEvent (or sensor data with readPoint), of a TransactionEvent unless DELETE (`required`) | E | W | W | JSON `anyOf`; the XSD and the text leave both lists optional |
//! | inputs or outputs of a TransformationEvent, transformationID when one side is missing (`required`) | E | E | E | JSON `anyOf`; SHACL `TransformationIDConditionsShape` |
//! | sensorReport `type` (`required`) | E | - | - | JSON `required: ["type"]`; XSD `use="optional"` |
//! | fields a type does not have, action on a TransformationEvent (`not_allowed`) | E | E | E | JSON `propertyNames`; XSD sequence |
//! | ilmd only with action ADD (`not_allowed`) | E | E | E | JSON `anyOf` on action; SHACL `ILMDConditionallyForbiddenShape` |
//! | uom without quantity (`not_allowed`) | W | E | E | XSD: `uom` follows `quantity` in one optional sequence; the JSON Schema allows it |
//! | non-empty persistentDisposition (`required`) | E | E | E | JSON `anyOf`/`minItems`; SHACL |
//! | timestamp shape, impossible date, no seconds (`date_time`) | E | E | E | JSON `format: date-time` (RFC 3339); XSD `DateTimeStamp` pattern, 1.2 `xsd:dateTime` |
//! | timestamp without offset (`date_time`) | E | E | W | RFC 3339 and `DateTimeStamp` need one; 1.2's `xsd:dateTime` does not |
//! | hour 24 (`date_time`) | E | E | W | RFC 3339 and `DateTimeStamp` stop at 23; `xsd:dateTime` allows 24:00:00 |
//! | lower-case `t` or `z` (`date_time`) | W | E | E | RFC 3339 allows them, but the JSON-LD context types times `xsd:dateTimeStamp`, which does not |
//! | offset beyond ±14:00 in a timestamp (`date_time`) | W | E | E | RFC 3339 allows it; `DateTimeStamp` and `xsd:dateTime` do not |
//! | eventTimeZoneOffset `±hh:mm` up to ±14:00 (`time_zone_offset`) | E | E | E | JSON `pattern`; XSD `xsd:string`, but the text says the value SHALL be of that form |
//! | identifiers and other URI fields are absolute URIs (`uri`) | E | E | E | JSON `format: uri`; XSD `xsd:anyURI` also takes relative references, but the text's types are URIs (RFC 3986) |
//! | EPC URIs and Digital Links parse, check digits included (`epc`) | E | E | E | TDS; a partner that decodes identifiers rejects them |
//! | EPC class or pattern in an instance list, an instance EPC as epcClass (`epc`) | E | E | E | text: epcList names objects, epcClass "a class-level identifier" |
//! | repeated EPC in epcList, inputEPCList, outputEPCList, persistentDisposition set/unset (`duplicate`) | E | W | W | JSON `uniqueItems`; the XSD has no uniqueness |
//! | repeated EPC in childEPCs or a TransactionEvent's epcList (`duplicate`) | W | W | W | neither schema; the lists are unordered sets of objects |
//! | quantity is a decimal (`decimal`) | E | E | E | JSON `number` (the reader); XSD `xsd:decimal`, which has no exponent |
//! | sensor values are numbers, booleanValue, hexBinaryValue of hexadecimal digits (`decimal`, `boolean`, `hex_binary`) | E | E | E | JSON types and `hexBinary` pattern; XSD `xsd:double`, `xsd:boolean`, `xsd:hexBinary` |
//! | hexBinaryValue of odd length (`hex_binary`) | W | E | E | the JSON pattern `^[A-Fa-f0-9]+$` allows it; `xsd:hexBinary` does not |
//! | empty hexBinaryValue (`hex_binary`) | E | - | - | the JSON pattern needs a digit; `xsd:hexBinary` may be empty |
//! | uom is a UN/ECE Rec. 20 code, in quantities and sensor reports (`uom`) | E | E | E | JSON `pattern` (quantities); the text: "SHALL be the 2- or 3-character code" |
//! | CBV value (bizStep, disposition, persistentDisposition, bizTransaction type, source/destination type, error reason, component): bare standard name, `https://ref.gs1.org/cbv/` URI or `cbv:` CURIE of a standard value, or an extension URI outside the CBV namespaces | - | - | - | JSON enum and `vocab-other-uri`; XSD `xsd:anyURI` |
//! | standard CBV value written as an EPCIS 1.x URN (`biz_step`, `disposition`, ...) | E | - | - | JSON `vocab-other-uri` keeps `urn:epcglobal:cbv` out on purpose (gs1/EPCIS pull request 421): bare names in JSON-LD; the XSD takes the URN |
//! | other value under `urn:epcglobal:cbv` or `https://ns.gs1.org/cbv/` (`biz_step`, ...) | E | W | W | JSON `vocab-other-uri` keeps the prefixes out; the XSD takes any URI, and CBV 2.0 defines no such value |
//! | value under `https://ref.gs1.org/cbv/` or `cbv:` that CBV 2.0 does not define (`biz_step`, ..., `sensor_component`) | W | W | W | both schemas take it as a URI; CBV 2.0 defines every value of its namespace, and not this one |
//! | bare name that is no standard value (`biz_step`, ..., `sensor_component`) | E | E | E | JSON enum; not a URI, which the text's types require |
//! | sensor type or exception as a `https://gs1.org/voc/` URI of a term the vocabulary has (`sensor_type`, `sensor_exception`) | E | - | - | JSON `vocab-nonGS1WebVoc-uri` keeps the prefix out: bare names in JSON-LD; the XSD takes it |
//! | sensor type or exception under `https://gs1.org/voc/` or `gs1:` that the GS1 Web Vocabulary does not have (`sensor_type`, `sensor_exception`) | E | W | W | JSON: neither in the enum nor a URI outside the GS1 Web Vocabulary (`gs1:` expands into it); XSD `xsd:anyURI`, and the vocabulary lacks the term |
//! | sensor type or exception: bare name that is neither a term nor a URI (`sensor_type`, `sensor_exception`) | E | E | E | JSON enum; not a URI, which the text's types require |
//! | extension field without a namespace (`unknown_field`) | E | E | E | JSON `propertyNames` (a URI); XSD `##other` excludes unqualified elements |
//! | extension field with an undeclared prefix (`unknown_field`) | W | E | E | JSON: `nope:lot` is a URI to the schema and JSON-LD; XML Namespaces: an error |
//! | schemaVersion, creationDate (`required`, `schema_version`, `date_time`) | E | E | E | JSON `required`; `EPCglobal.xsd` `use="required"` |
//!
//! FIXME: a header does not say its form, so `creationDate` is held to `DateTimeStamp` even in
//! XML, whose `EPCglobal.xsd` types it `xsd:dateTime` (offset optional). And the model does not
//! keep an empty `epcList` apart from a missing one, though the JSON Schema accepts
//! `"epcList": []` on its own.

use std::collections::HashSet;

use serialhub_gs1::epc::{EpcErrorKind, parse_epc_uri};
use serialhub_gs1::{DigitalLinkProblem, ErrorKind, Options};

use crate::cbv::{self, Term, Vocab};
use crate::model::{
    Action, Content, DocumentKind, Element, Event, EventType, Header, PersistentDisposition,
    QuantityElement, SensorElement,
};
use crate::problem::{Pointer, Problem, Severity, Where};
use crate::read::{Collect, Handler, Stopped};
use crate::time::{Timestamp, is_time_zone_offset};

#[cfg(test)]
mod tests;

/// Where an event is. Problems in a JSON event get the field's path appended to the event's
/// pointer (`/epcisBody/eventList/3/bizStep`); problems in an XML event keep the line of the
/// event's start tag, since the model does not remember lines per field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLocation(pub Where);

impl From<Where> for EventLocation {
    fn from(at: Where) -> EventLocation {
        EventLocation(at)
    }
}

/// The serialisation an event was read from, which decides the schema whose rules apply where
/// the JSON Schema and the XSDs differ (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// JSON-LD: `EPCIS-JSON-Schema.json`.
    JsonLd,
    /// XML with `schemaVersion` 2.x: `EPCglobal-epcis-2_0.xsd`.
    Xml,
    /// XML with `schemaVersion` 1.2: `EPCglobal-epcis-1_2.xsd`.
    Xml12,
}

impl Form {
    /// The form a location implies: readers locate JSON-LD events by pointer and XML events by
    /// line. XML is taken to be 2.0; a location that says nothing (`Where::Document`) gives `None`.
    pub fn of(at: &Where) -> Option<Form> {
        match at {
            Where::Pointer(_) => Some(Form::JsonLd),
            Where::Line { .. } => Some(Form::Xml),
            Where::Document => None,
        }
    }
}

/// Checks one event against the standard's rules; pushes every problem found (never stops at the
/// first). The form is the one `at` implies (`Form::of`).
pub fn validate_event(event: &Event, at: &EventLocation, problems: &mut Vec<Problem>) {
    validate_event_as(event, at, Form::of(&at.0), problems);
}

/// Checks one event as `validate_event` does, under the rules of `form`; with `None`, a rule on
/// which the forms differ applies as the stricter of the two.
pub fn validate_event_as(
    event: &Event,
    at: &EventLocation,
    form: Option<Form>,
    problems: &mut Vec<Problem>,
) {
    let mut c = Checker { at: &at.0, form, problems, action_unreadable: false };
    c.event(event);
}

/// Checks a header: `schemaVersion`, `creationDate` and the master data's identifiers.
///
/// Problems are located at the whole document (`Where::Document`): a header holds no event, and
/// the model does not say which format it came from. Messages name the field.
pub fn validate_header(header: &Header, problems: &mut Vec<Problem>) {
    let at = Where::Document;
    let mut c = Checker { at: &at, form: None, problems, action_unreadable: false };
    c.header(header);
}

/// A `Handler` that validates the header and each event as they stream past, and hands the
/// reader's problems, its own, and the events on to `inner` (by default it collects them).
///
/// Readers give each event's location through `Handler::event_at`; an event handed over with
/// plain `Handler::event` has none, and its problems are located at the whole document. The
/// location also gives the form (`Form::of`), and an XML header's `schemaVersion` 1.2 makes it
/// `Form::Xml12`.
///
/// A validator problem is dropped when the reader already reported one at the same place: at
/// the same JSON pointer (the reader's problem is about that value already), or with the same
/// code at the same place or, for `required`, at the enclosing object (the JSON reader reports a
/// missing member at its object).
#[derive(Debug)]
pub struct Validator<H = Collect> {
    inner: H,
    /// The reader's problems since the last event, to drop the validator's repeats.
    reader_problems: Vec<(Where, &'static str)>,
    buffer: Vec<Problem>,
    /// The header said `schemaVersion` 1.x: XML events follow the 1.2 XSD.
    version_1: bool,
}

/// The most reader problems remembered per event for de-duplication; beyond it, repeats may show.
const READER_PROBLEMS_MAX: usize = 256;

impl<H: Handler> Validator<H> {
    pub fn new(inner: H) -> Validator<H> {
        Validator { inner, reader_problems: Vec::new(), buffer: Vec::new(), version_1: false }
    }

    pub fn inner(&self) -> &H {
        &self.inner
    }

    pub fn into_inner(self) -> H {
        self.inner
    }

    /// Hands the validator's problems on, leaving out those that repeat the reader's.
    fn forward(&mut self) -> Result<(), Stopped> {
        // Taken and put back, so that the buffer's allocation serves every event.
        let mut buffer = std::mem::take(&mut self.buffer);
        let mut result = Ok(());
        for p in buffer.drain(..) {
            if result.is_ok() && !repeats_reader(&self.reader_problems, &p) {
                result = self.inner.problem(p);
            }
        }
        self.buffer = buffer;
        result
    }
}

impl Default for Validator<Collect> {
    fn default() -> Validator<Collect> {
        Validator::new(Collect::default())
    }
}

impl<H: Handler> Handler for Validator<H> {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.version_1 = header.schema_version.as_deref().is_some_and(|v| v.starts_with("1."));
        validate_header(header, &mut self.buffer);
        self.forward()?;
        self.inner.header(header)
    }

    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        self.event_at(event, Where::Document)
    }

    fn event_at(&mut self, event: Event, at: Where) -> Result<(), Stopped> {
        // A reader's `action` problem means an action was given but unreadable: the event's
        // `None` does not mean a missing one.
        let action_unreadable = self.reader_problems.iter().any(|(_, code)| *code == "action");
        let form = match Form::of(&at) {
            Some(Form::Xml) if self.version_1 => Some(Form::Xml12),
            form => form,
        };
        let mut c = Checker { at: &at, form, problems: &mut self.buffer, action_unreadable };
        c.event(&event);
        let result = self.forward();
        self.reader_problems.clear();
        result?;
        self.inner.event_at(event, at)
    }

    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        if self.reader_problems.len() < READER_PROBLEMS_MAX {
            self.reader_problems.push((problem.location.clone(), problem.code));
        }
        self.inner.problem(problem)
    }
}

fn repeats_reader(reader: &[(Where, &'static str)], p: &Problem) -> bool {
    reader.iter().any(|(at, code)| match (at, &p.location) {
        (Where::Pointer(r), Where::Pointer(v)) => {
            r == v || (*code == p.code && p.code == "required" && is_parent(r, v))
        }
        (r, v) => r == v && *code == p.code,
    })
}

/// Whether pointer `parent` is `child` without its last segment.
fn is_parent(parent: &str, child: &str) -> bool {
    child
        .strip_prefix(parent)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|last| !last.contains('/'))
}

// ---------------------------------------------------------------------------------------------
// Paths: where in the event a problem is, built without allocating until a problem is pushed.

#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The deepest standard field, `sensorElementList/0/sensorReport/1/value`, plus one.
const DEPTH_MAX: usize = 6;

#[derive(Clone, Copy, Debug)]
struct Path<'a> {
    segs: [Seg<'a>; DEPTH_MAX],
    len: usize,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { segs: [Seg::Index(0); DEPTH_MAX], len: 0 };

    fn key(self, key: &'a str) -> Path<'a> {
        self.push(Seg::Key(key))
    }

    fn index(self, i: usize) -> Path<'a> {
        self.push(Seg::Index(i))
    }

    fn push(mut self, seg: Seg<'a>) -> Path<'a> {
        // Standard fields nest at most DEPTH_MAX deep; only nested 1.x `extension` wrappers go
        // deeper, and for those the location names the deepest field that fits.
        if let Some(slot) = self.segs.get_mut(self.len) {
            *slot = seg;
            self.len += 1;
        }
        self
    }
}

fn root() -> Path<'static> {
    Path::ROOT
}

struct Checker<'a> {
    at: &'a Where,
    /// Whose rules apply where the schemas differ; `None`: the stricter.
    form: Option<Form>,
    problems: &'a mut Vec<Problem>,
    /// The reader found an `action` it could not read, so a missing action is not a problem.
    action_unreadable: bool,
}

/// What kind of thing an identifier field names, which decides the EPC URI forms it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdKind {
    /// One object: `epcList`, `childEPCs`, `parentID`, ...
    Instance,
    /// A class of objects: `epcClass`.
    Class,
    /// Anything a URI may name: locations, parties, transactions.
    Any,
}

impl Checker<'_> {
    /// An error: a rule that every form's schema or the standard's text makes mandatory.
    fn push(&mut self, path: Path<'_>, code: &'static str, message: String) {
        self.report(Some(Severity::Error), path, code, || message);
    }

    /// A problem of `severity`, or none; the message is only built for a problem.
    fn report(
        &mut self,
        severity: Option<Severity>,
        path: Path<'_>,
        code: &'static str,
        message: impl FnOnce() -> String,
    ) {
        let Some(severity) = severity else { return };
        let location = match self.at {
            Where::Pointer(p) => {
                let mut ptr = Pointer(p.clone());
                for seg in path.segs.iter().take(path.len) {
                    ptr = match *seg {
                        Seg::Key(k) => ptr.child(k),
                        Seg::Index(i) => ptr.index(i),
                    };
                }
                ptr.at()
            }
            other => other.clone(),
        };
        self.problems.push(match severity {
            Severity::Error => Problem::new(location, code, message()),
            Severity::Warning => Problem::warning(location, code, message()),
        });
    }

    /// The severity of a rule the forms judge differently: `json` under the JSON Schema, `xml`
    /// under the XSDs; `None` where the form accepts the value. With the form unknown, the
    /// stricter applies, so that nothing either schema rejects passes unseen.
    fn by_form(&self, json: Option<Severity>, xml: Option<Severity>) -> Option<Severity> {
        match self.form {
            Some(Form::JsonLd) => json,
            Some(Form::Xml | Form::Xml12) => xml,
            None => stricter(json, xml),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Events

    fn event(&mut self, ev: &Event) {
        self.common(ev);
        let Some(t) = ev.event_type else {
            // The reader reported the missing or unknown type; type rules cannot apply.
            return;
        };
        self.fields_of_type(ev, t);
        self.objects(ev, t);
        // The JSON Schema's `epcList` (ObjectEvent, and TransformationEvent's lists) has
        // `uniqueItems`; childEPCs and a TransactionEvent's epcList do not, nor does the XSD.
        let unique = match t {
            EventType::ObjectEvent | EventType::TransformationEvent => self.by_form(ERROR, WARNING),
            _ => WARNING,
        };
        self.epc_list(root().key(t.epc_list_field()), t.epc_list_field(), &ev.epc_list, unique);
        self.quantity_list(root().key(t.quantity_list_field()), &ev.quantity_list);
        if t == EventType::TransformationEvent {
            self.epc_list(
                root().key("outputEPCList"),
                "outputEPCList",
                &ev.output_epc_list,
                unique,
            );
            self.quantity_list(root().key("outputQuantityList"), &ev.output_quantity_list);
        }
        if let Some(parent) = &ev.parent_id {
            self.id(root().key("parentID"), "parentID", parent, IdKind::Instance);
        }
        if let Some(id) = &ev.transformation_id {
            self.id(root().key("transformationID"), "transformationID", id, IdKind::Any);
        }
        self.what_why(ev);
    }

    /// Fields every event type has.
    fn common(&mut self, ev: &Event) {
        self.required_date_time(root().key("eventTime"), "eventTime", &ev.event_time);
        let offset = &ev.event_time_zone_offset;
        if offset.is_empty() {
            self.push(
                root().key("eventTimeZoneOffset"),
                "required",
                "the event has no eventTimeZoneOffset".to_owned(),
            );
        } else if !is_offset(offset) {
            self.push(
                root().key("eventTimeZoneOffset"),
                "time_zone_offset",
                format!("eventTimeZoneOffset \"{offset}\" is not ±hh:mm between -14:00 and +14:00"),
            );
        }
        if let Some(t) = &ev.record_time {
            self.date_time(root().key("recordTime"), "recordTime", t);
        }
        if let Some(id) = &ev.event_id {
            self.uri(root().key("eventID"), "eventID", id);
        }
        // certificationInfo may be one string or an array in JSON; the model keeps a list.
        let one = ev.certification_info.len() == 1;
        for (i, info) in ev.certification_info.iter().enumerate() {
            let path = if one {
                root().key("certificationInfo")
            } else {
                root().key("certificationInfo").index(i)
            };
            self.uri(path, "certificationInfo", info);
        }
        if let Some(ed) = &ev.error_declaration {
            let at = root().key("errorDeclaration");
            self.required_date_time(
                at.key("declarationTime"),
                "declarationTime",
                &ed.declaration_time,
            );
            if let Some(reason) = &ed.reason {
                self.vocab(at.key("reason"), Vocab::ErrorReason, "reason", "error_reason", reason);
            }
            for (i, id) in ed.corrective_event_ids.iter().enumerate() {
                self.uri(at.key("correctiveEventIDs").index(i), "correctiveEventID", id);
            }
            self.extensions(at, "errorDeclaration", &ed.extensions);
        }
        self.extensions(root(), "the event", &ev.extensions);
    }

    /// Fields that only some types have, and `action`, which all but TransformationEvent need.
    fn fields_of_type(&mut self, ev: &Event, t: EventType) {
        use EventType::*;
        let name = t.name();
        let not_allowed = |c: &mut Self, field: &'static str| {
            c.push(root().key(field), "not_allowed", format!("{name} has no field {field}"));
        };
        if ev.parent_id.is_some() && matches!(t, ObjectEvent | TransformationEvent) {
            not_allowed(self, "parentID");
        }
        if t != TransformationEvent {
            if ev.transformation_id.is_some() {
                not_allowed(self, "transformationID");
            }
            if !ev.output_epc_list.is_empty() {
                not_allowed(self, "outputEPCList");
            }
            if !ev.output_quantity_list.is_empty() {
                not_allowed(self, "outputQuantityList");
            }
        }
        if ev.ilmd.is_some() && !matches!(t, ObjectEvent | TransformationEvent) {
            not_allowed(self, "ilmd");
        }
        match (t, ev.action) {
            (TransformationEvent, Some(a)) => self.push(
                root().key("action"),
                "not_allowed",
                format!("TransformationEvent has no action, found \"{}\"", a.as_str()),
            ),
            (TransformationEvent, None) | (_, Some(_)) => {}
            (_, None) if self.action_unreadable => {}
            (_, None) => {
                self.push(root().key("action"), "required", format!("{name} needs an action"))
            }
        }
        if t == ObjectEvent
            && ev.ilmd.is_some()
            && let Some(a @ (Action::Observe | Action::Delete)) = ev.action
        {
            self.push(
                root().key("ilmd"),
                "not_allowed",
                format!("ilmd is only for action ADD, found \"{}\"", a.as_str()),
            );
        }
        // parentID: an AssociationEvent always has one (XSD and JSON Schema); an
        // AggregationEvent names the parent it adds children to or deletes them from (EPCIS 2.0
        // text; the JSON Schema leaves it optional).
        let parent_required = match t {
            AssociationEvent => true,
            AggregationEvent => matches!(ev.action, Some(Action::Add | Action::Delete)),
            _ => false,
        };
        if parent_required && ev.parent_id.as_deref().is_none_or(str::is_empty) {
            let why = match ev.action {
                Some(a) if t == AggregationEvent => format!(" with action {}", a.as_str()),
                _ => String::new(),
            };
            self.push(root().key("parentID"), "required", format!("{name}{why} needs a parentID"));
        }
        if t == TransactionEvent && ev.biz_transaction_list.is_empty() {
            self.push(
                root().key("bizTransactionList"),
                "required",
                "TransactionEvent needs a non-empty bizTransactionList".to_owned(),
            );
        }
    }

    /// The objects an event is about: each type's `anyOf` in the JSON Schema.
    fn objects(&mut self, ev: &Event, t: EventType) {
        let has_epcs = !ev.epc_list.is_empty();
        let has_quantities = !ev.quantity_list.is_empty();
        let epcs = t.epc_list_field();
        let quantities = t.quantity_list_field();
        match t {
            EventType::ObjectEvent => {
                // A sensor-only ObjectEvent observes its read point (the JSON Schema's third
                // alternative).
                let sensor_only = !ev.sensor_element_list.is_empty() && ev.read_point.is_some();
                if !has_epcs && !has_quantities && !sensor_only {
                    // The JSON Schema's `anyOf`; the XSD and the text leave both lists optional.
                    let severity = self.by_form(ERROR, WARNING);
                    self.report(severity, root().key(epcs), "required", || {
                        format!(
                            "ObjectEvent needs a non-empty {epcs} or {quantities} \
                             (or sensorElementList with readPoint)"
                        )
                    });
                }
            }
            EventType::AggregationEvent
            | EventType::AssociationEvent
            | EventType::TransactionEvent => {
                // Deleting may name no objects: it then applies to all of them. The text makes
                // children mandatory for aggregations and associations; for a TransactionEvent
                // only the JSON Schema's `anyOf` does.
                if !has_epcs && !has_quantities && ev.action != Some(Action::Delete) {
                    let severity = match t {
                        EventType::TransactionEvent => self.by_form(ERROR, WARNING),
                        _ => ERROR,
                    };
                    let with =
                        ev.action.map_or(String::new(), |a| format!(" with action {}", a.as_str()));
                    self.report(severity, root().key(epcs), "required", || {
                        format!("{}{with} needs a non-empty {epcs} or {quantities}", t.name())
                    });
                }
            }
            EventType::TransformationEvent => {
                let inputs = has_epcs || has_quantities;
                let outputs = !ev.output_epc_list.is_empty() || !ev.output_quantity_list.is_empty();
                if !inputs && !outputs {
                    self.push(
                        root().key(epcs),
                        "required",
                        "TransformationEvent needs at least one input or output".to_owned(),
                    );
                } else if !(inputs && outputs) && ev.transformation_id.is_none() {
                    let (has, lacks) =
                        if inputs { ("inputs", "outputs") } else { ("outputs", "inputs") };
                    self.push(
                        root().key("transformationID"),
                        "required",
                        format!(
                            "a TransformationEvent with {has} but no {lacks} needs a transformationID"
                        ),
                    );
                }
            }
        }
    }

    /// `unique`: how much a repeated identifier matters in this list.
    fn epc_list(&mut self, at: Path<'_>, field: &str, list: &[String], unique: Option<Severity>) {
        let mut seen = HashSet::with_capacity(list.len());
        for (i, epc) in list.iter().enumerate() {
            if !seen.insert(epc.as_str()) {
                self.report(unique, at.index(i), "duplicate", || {
                    format!("{field} lists \"{epc}\" twice")
                });
                continue;
            }
            self.id(at.index(i), field, epc, IdKind::Instance);
        }
    }

    fn quantity_list(&mut self, at: Path<'_>, list: &[QuantityElement]) {
        for (i, q) in list.iter().enumerate() {
            let at = at.index(i);
            if q.epc_class.is_empty() {
                self.push(
                    at.key("epcClass"),
                    "required",
                    "quantityElement needs epcClass".to_owned(),
                );
            } else {
                self.id(at.key("epcClass"), "epcClass", &q.epc_class, IdKind::Class);
            }
            if let Some(quantity) = &q.quantity {
                // A JSON number may have an exponent; `xsd:decimal` may not.
                let number = match self.form {
                    Some(Form::JsonLd) => Number::Json,
                    _ => Number::Decimal,
                };
                if !is_number(quantity, number) {
                    self.push(
                        at.key("quantity"),
                        "decimal",
                        format!("quantity \"{quantity}\" is not a decimal number"),
                    );
                }
            }
            if let Some(uom) = &q.uom {
                self.uom(at.key("uom"), uom);
                if q.quantity.is_none() {
                    let severity = self.by_form(WARNING, ERROR);
                    self.report(severity, at.key("uom"), "not_allowed", || {
                        format!("uom \"{uom}\" is given without a quantity")
                    });
                }
            }
        }
    }

    /// The what, where and why dimensions.
    fn what_why(&mut self, ev: &Event) {
        if let Some(step) = &ev.biz_step {
            self.vocab(root().key("bizStep"), Vocab::BizStep, "bizStep", "biz_step", step);
        }
        if let Some(disp) = &ev.disposition {
            self.vocab(
                root().key("disposition"),
                Vocab::Disposition,
                "disposition",
                "disposition",
                disp,
            );
        }
        if let Some(pd) = &ev.persistent_disposition {
            self.persistent_disposition(pd);
        }
        for (field, loc) in [("readPoint", &ev.read_point), ("bizLocation", &ev.biz_location)] {
            let Some(loc) = loc else { continue };
            let at = root().key(field);
            if loc.id.is_empty() {
                self.push(at.key("id"), "required", format!("{field} needs an id"));
            } else {
                self.id(at.key("id"), field, &loc.id, IdKind::Any);
            }
            self.extensions(at, field, &loc.extensions);
        }
        for (i, bt) in ev.biz_transaction_list.iter().enumerate() {
            let at = root().key("bizTransactionList").index(i);
            if let Some(t) = &bt.type_ {
                self.vocab(
                    at.key("type"),
                    Vocab::BizTransactionType,
                    "bizTransaction type",
                    "biz_transaction_type",
                    t,
                );
            }
            if bt.value.is_empty() {
                self.push(
                    at.key("bizTransaction"),
                    "required",
                    "bizTransaction needs a value".to_owned(),
                );
            } else {
                self.id(at.key("bizTransaction"), "bizTransaction", &bt.value, IdKind::Any);
            }
        }
        for (list, kind, entries) in [
            ("sourceList", "source", &ev.source_list),
            ("destinationList", "destination", &ev.destination_list),
        ] {
            for (i, sd) in entries.iter().enumerate() {
                let at = root().key(list).index(i);
                if sd.type_.is_empty() {
                    self.push(at.key("type"), "required", format!("{kind} needs type"));
                } else {
                    self.vocab(
                        at.key("type"),
                        Vocab::SourceDestType,
                        &format!("{kind} type"),
                        "source_dest_type",
                        &sd.type_,
                    );
                }
                if sd.value.is_empty() {
                    self.push(at.key(kind), "required", format!("{kind} needs {kind}"));
                } else {
                    self.id(at.key(kind), kind, &sd.value, IdKind::Any);
                }
            }
        }
        for (i, se) in ev.sensor_element_list.iter().enumerate() {
            self.sensor_element(root().key("sensorElementList").index(i), se);
        }
        if let Some(ilmd) = &ev.ilmd {
            self.extensions(root().key("ilmd"), "ilmd", ilmd);
        }
    }

    fn persistent_disposition(&mut self, pd: &PersistentDisposition) {
        let at = root().key("persistentDisposition");
        if pd.set.is_empty() && pd.unset.is_empty() {
            self.push(
                at,
                "required",
                "persistentDisposition needs a non-empty set or unset".to_owned(),
            );
        }
        for (name, list) in [("set", &pd.set), ("unset", &pd.unset)] {
            let mut seen = HashSet::with_capacity(list.len());
            for (i, d) in list.iter().enumerate() {
                if !seen.insert(d.as_str()) {
                    // JSON Schema `uniqueItems`; the XSD repeats `set` and `unset` freely.
                    let severity = self.by_form(ERROR, WARNING);
                    self.report(severity, at.key(name).index(i), "duplicate", || {
                        format!("persistentDisposition {name} lists \"{d}\" twice")
                    });
                    continue;
                }
                self.vocab(
                    at.key(name).index(i),
                    Vocab::Disposition,
                    "persistentDisposition",
                    "disposition",
                    d,
                );
            }
        }
    }

    fn sensor_element(&mut self, at: Path<'_>, se: &SensorElement) {
        if se.sensor_report.is_empty() {
            self.push(
                at.key("sensorReport"),
                "required",
                "sensorElement needs at least one sensorReport".to_owned(),
            );
        }
        if let Some(md) = &se.sensor_metadata {
            let at = at.key("sensorMetadata");
            for (name, value) in md.present() {
                match name {
                    "time" | "startTime" | "endTime" => self.date_time(at.key(name), name, value),
                    _ => self.uri(at.key(name), name, value),
                }
            }
            self.extensions(at, "sensorMetadata", &md.extensions);
        }
        for (j, report) in se.sensor_report.iter().enumerate() {
            let at = at.key("sensorReport").index(j);
            if report.get("type").is_none() {
                // JSON Schema `required: ["type"]`; the XSD's attribute is optional.
                let severity = self.by_form(ERROR, None);
                self.report(severity, at.key("type"), "required", || {
                    "sensorReport needs a type".to_owned()
                });
            }
            for (name, value) in report.present() {
                let here = at.key(name);
                match name {
                    "type" => self.gs1_term(here, name, "sensor_type", MEASUREMENT_TYPES, value),
                    "exception" => {
                        self.gs1_term(here, name, "sensor_exception", SENSOR_ALERT_TYPES, value)
                    }
                    "component" => self.component(here, value),
                    "time" => self.date_time(here, name, value),
                    "value" | "minValue" | "maxValue" | "meanValue" | "sDev" | "percRank"
                    | "percValue" => {
                        if !is_number(value, Number::Double) {
                            self.push(
                                here,
                                "decimal",
                                format!("{name} \"{value}\" is not a number"),
                            );
                        }
                    }
                    "booleanValue" => {
                        if !matches!(value, "true" | "false" | "1" | "0") {
                            self.push(
                                here,
                                "boolean",
                                format!("booleanValue \"{value}\" is not true or false"),
                            );
                        }
                    }
                    "hexBinaryValue" => self.hex_binary(here, value),
                    "uom" => self.uom(here, value),
                    "stringValue" => {}
                    _ => self.uri(here, name, value),
                }
            }
            self.extensions(at, "sensorReport", &report.extensions);
        }
        self.extensions(at, "sensorElement", &se.extensions);
    }

    /// Extension fields must be namespaced: JSON-LD drops a key its context does not define, and
    /// the XSD takes extension elements only from other namespaces (`##other`).
    fn extensions(&mut self, at: Path<'_>, owner: &str, extensions: &[Element]) {
        for e in extensions {
            if e.name.namespace.is_empty()
                && matches!(e.name.local.as_str(), "extension" | "baseExtension")
            {
                // An EPCIS 1.x `<extension>` wrapper the XML reader kept for its non-standard
                // children: those are the extensions to check.
                if let Content::Children(children) = &e.content {
                    self.extensions(at.key(&e.name.local), owner, children);
                }
                continue;
            }
            if e.name.namespace.is_empty() {
                let key = &e.name.local;
                let (severity, why) = match key.split_once(':') {
                    // To the JSON Schema and to JSON-LD, `nope:lot` is a URI of scheme `nope`,
                    // which is allowed though likely a missing context prefix; in XML an
                    // undeclared prefix breaks XML Namespaces.
                    Some((prefix, _)) => (
                        self.by_form(WARNING, ERROR),
                        format!("its prefix \"{prefix}\" is not declared"),
                    ),
                    None => (ERROR, "it has no namespace".to_owned()),
                };
                self.report(severity, at.key(key), "unknown_field", || {
                    format!("{owner} has no standard field {key}, and as an extension {why}")
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Headers

    fn header(&mut self, header: &Header) {
        let document = header.kind == DocumentKind::EpcisDocument;
        match header.schema_version.as_deref() {
            None | Some("") if document => {
                self.push(root(), "required", "the document has no schemaVersion".to_owned())
            }
            None | Some("") => {}
            Some(v) if is_schema_version(v) => {}
            Some(v) => self.push(
                root(),
                "schema_version",
                format!("schemaVersion \"{v}\" is not one serialhub reads (1.2 or 2.x)"),
            ),
        }
        match header.creation_date.as_deref() {
            None | Some("") if document => {
                self.push(root(), "required", "the document has no creationDate".to_owned())
            }
            None | Some("") => {}
            Some(d) => self.date_time(root(), "creationDate", d),
        }
        for vocabulary in &header.master_data {
            if vocabulary.type_.is_empty() {
                self.push(root(), "required", "a master data vocabulary has no type".to_owned());
            } else {
                self.uri(root(), "vocabulary type", &vocabulary.type_);
            }
            for element in &vocabulary.elements {
                if element.id.is_empty() {
                    let t = &vocabulary.type_;
                    self.push(root(), "required", format!("a vocabulary element of {t} has no id"));
                } else {
                    self.id(root(), "vocabulary element id", &element.id, IdKind::Any);
                }
                for attribute in &element.attributes {
                    if attribute.id.is_empty() {
                        let id = &element.id;
                        self.push(root(), "required", format!("an attribute of {id} has no id"));
                    } else {
                        self.uri(root(), "attribute id", &attribute.id);
                    }
                }
                for child in &element.children {
                    self.id(root(), "children id", child, IdKind::Any);
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Values

    fn required_date_time(&mut self, at: Path<'_>, field: &str, value: &str) {
        if value.is_empty() {
            self.push(at, "required", format!("{field} is missing"));
        } else {
            self.date_time(at, field, value);
        }
    }

    fn date_time(&mut self, at: Path<'_>, field: &str, value: &str) {
        let Some(flaw) = date_time_flaw(value) else { return };
        // RFC 3339 (the JSON Schema's `date-time`) and 1.2's `xsd:dateTime` each allow a little
        // that `DateTimeStamp` does not; what they allow is a warning in that form.
        let severity = match (flaw, self.form) {
            (TimeFlaw::LowerCase | TimeFlaw::OffsetBeyond14, Some(Form::JsonLd)) => WARNING,
            (TimeFlaw::NoOffset | TimeFlaw::Hour24, Some(Form::Xml12)) => WARNING,
            _ => ERROR,
        };
        self.report(severity, at, "date_time", || {
            format!("{field} \"{value}\" {}", flaw.message())
        });
    }

    fn uri(&mut self, at: Path<'_>, field: &str, value: &str) {
        if !is_uri(value) {
            self.push(at, "uri", format!("{field} \"{value}\" is not an absolute URI"));
        }
    }

    fn uom(&mut self, at: Path<'_>, value: &str) {
        // UN/ECE Recommendation 20 common codes: two or three upper-case letters or digits.
        let ok = (2..=3).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            self.push(
                at,
                "uom",
                format!(
                    "uom \"{value}\" is not a UN/ECE Recommendation 20 code (2 or 3 of A-Z, 0-9)"
                ),
            );
        }
    }

    /// An identifier: any absolute URI, and if it is an EPC URI or a GS1 Digital Link URI, one
    /// that parses and names the right kind of thing.
    fn id(&mut self, at: Path<'_>, field: &str, value: &str, kind: IdKind) {
        // Nearly every identifier is a plain SGTIN, SSCC or SGLN: a valid URI and a valid
        // instance, checked without the full parse (a fifth of reading an import, `perf`).
        if kind != IdKind::Class && serialhub_gs1::epc::is_plain_identity_uri(value) {
            return;
        }
        if !is_uri(value) {
            self.push(at, "uri", format!("{field} \"{value}\" is not an absolute URI"));
            return;
        }
        if let Some(why) = epc_problem(value, kind) {
            self.push(at, "epc", format!("{field} \"{value}\" {why}"));
        }
    }

    fn vocab(&mut self, at: Path<'_>, vocab: Vocab, field: &str, code: &'static str, value: &str) {
        // The JSON Schema's `vocab-other-uri` keeps these prefixes out of JSON-LD whatever
        // follows them: standard values are bare names there.
        let json_excluded = is_excluded_from_json_vocab(value);
        let (severity, why) = match cbv::classify(vocab, value) {
            Term::Standard(name) if json_excluded => {
                let severity = self.by_form(ERROR, None);
                self.report(severity, at, code, || {
                    format!(
                        "{field} \"{value}\" is an EPCIS 1.x URN, which the JSON Schema does not \
                         take in JSON-LD: write the bare name \"{name}\""
                    )
                });
                return;
            }
            Term::Standard(_) => return,
            Term::Extension(uri) if !is_reserved_cbv(uri) => return,
            // Both schemas take any other URI; that CBV 2.0 has no such value is a warning.
            Term::Extension(_) => (
                self.by_form(if json_excluded { ERROR } else { WARNING }, WARNING),
                "is in the CBV namespace but is not a CBV 2.0 value",
            ),
            Term::UnknownStandard(_) => (
                self.by_form(if json_excluded { ERROR } else { WARNING }, WARNING),
                "is not a CBV 2.0 value",
            ),
            Term::Invalid(_) => (ERROR, "is neither a CBV 2.0 value nor an extension URI"),
        };
        self.report(severity, at, code, || format!("non-standard {field}: \"{value}\" {why}"));
    }

    /// A GS1 Web Vocabulary term as sensor reports write it: a bare name, `gs1:Name`, the full
    /// `https://gs1.org/voc/Name`, or an extension URI outside that namespace.
    fn gs1_term(
        &mut self,
        at: Path<'_>,
        field: &str,
        code: &'static str,
        terms: &[&str],
        value: &str,
    ) {
        let full = GS1_VOC.iter().find_map(|ns| value.strip_prefix(ns));
        let (severity, why) = match (full, value.strip_prefix("gs1:")) {
            // The JSON Schema's `vocab-nonGS1WebVoc-uri` keeps the GS1 Web Vocabulary's own
            // URIs out of JSON-LD, where its terms are bare names; the XSD takes any URI.
            (Some(name), _) if terms.contains(&name) => {
                let severity = self.by_form(ERROR, None);
                self.report(severity, at, code, || {
                    format!(
                        "{field} \"{value}\" is a GS1 Web Vocabulary URI, which the JSON Schema \
                         does not take in JSON-LD: write the bare name \"{name}\""
                    )
                });
                return;
            }
            // `gs1:Temperature` expands to the same term as the bare name in JSON-LD.
            (None, Some(name)) if terms.contains(&name) => return,
            // A name the vocabulary does not have, in its namespace: JSON-LD expands `gs1:` into
            // the namespace the JSON Schema keeps out, and the name is not in its enum; the
            // XSD's `xsd:anyURI` takes it, and only the vocabulary lacks it.
            (Some(_), _) | (None, Some(_)) => {
                (self.by_form(ERROR, WARNING), "is not a GS1 Web Vocabulary term")
            }
            (None, None) if terms.contains(&value) || is_uri(value) => return,
            (None, None) => (ERROR, "is neither a GS1 Web Vocabulary term nor an extension URI"),
        };
        self.report(severity, at, code, || format!("non-standard {field}: \"{value}\" {why}"));
    }

    fn component(&mut self, at: Path<'_>, value: &str) {
        let name = ["https://ref.gs1.org/cbv/Comp-", "cbv:Comp-"]
            .iter()
            .find_map(|p| value.strip_prefix(p));
        let (severity, why) = match name {
            Some(n) if COMPONENTS.contains(&n) => return,
            None if COMPONENTS.contains(&value) => return,
            None if is_uri(value) && !is_reserved_cbv(value) => return,
            // As for CBV values: the JSON Schema keeps some CBV prefixes out, both schemas take
            // the rest, and CBV 2.0 has no such component.
            _ if is_uri(value) => (
                self.by_form(
                    if is_excluded_from_json_vocab(value) { ERROR } else { WARNING },
                    WARNING,
                ),
                "is in the CBV namespace but is not a CBV 2.0 component",
            ),
            _ => (ERROR, "is neither a CBV 2.0 component nor an extension URI"),
        };
        self.report(severity, at, "sensor_component", || {
            format!("non-standard component: \"{value}\" {why}")
        });
    }

    fn hex_binary(&mut self, at: Path<'_>, value: &str) {
        let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
        // `xsd:hexBinary` is whole bytes and may be empty; the JSON Schema's pattern
        // `^[A-Fa-f0-9]+$` is one digit or more, of any count.
        let (severity, why) = if !hex {
            (ERROR, "is not hexadecimal digits")
        } else if value.is_empty() {
            (self.by_form(ERROR, None), "is empty")
        } else if value.len() % 2 == 1 {
            (self.by_form(WARNING, ERROR), "has an odd number of digits, not whole bytes")
        } else {
            return;
        };
        self.report(severity, at, "hex_binary", || format!("hexBinaryValue \"{value}\" {why}"));
    }
}

const ERROR: Option<Severity> = Some(Severity::Error);
const WARNING: Option<Severity> = Some(Severity::Warning);

fn stricter(a: Option<Severity>, b: Option<Severity>) -> Option<Severity> {
    match (a, b) {
        (Some(Severity::Error), _) | (_, Some(Severity::Error)) => ERROR,
        (Some(Severity::Warning), _) | (_, Some(Severity::Warning)) => WARNING,
        (None, None) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Lexical forms

/// How a timestamp departs from the XSD's `DateTimeStamp` pattern, the strictest of the forms'
/// rules; `Checker::date_time` decides what each flaw means in each form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeFlaw {
    /// Not a date and time at all, or an impossible one, or one without seconds.
    Shape,
    LowerCase,
    Hour24,
    NoOffset,
    OffsetBeyond14,
}

impl TimeFlaw {
    fn message(self) -> &'static str {
        match self {
            TimeFlaw::Shape => {
                "is not a date and time of the form YYYY-MM-DDThh:mm:ss[.fff] with Z or ±hh:mm"
            }
            TimeFlaw::LowerCase => "has a lower-case t or z, which xsd:dateTime does not allow",
            TimeFlaw::Hour24 => "has the hour 24 (00:00:00 of the next day is meant)",
            TimeFlaw::NoOffset => "has no time zone offset (Z or ±hh:mm)",
            TimeFlaw::OffsetBeyond14 => "has a time zone offset beyond ±14:00",
        }
    }
}

fn date_time_flaw(text: &str) -> Option<TimeFlaw> {
    let Some(ts) = Timestamp::parse(text) else {
        return Some(TimeFlaw::Shape);
    };
    // Timestamp::parse is lenient where reading is best (lower-case t and z, 24:00:00, offsets
    // up to 14:59); the schemas are not.
    let b = text.as_bytes();
    match b.get(10) {
        Some(b'T') => {}
        Some(b't') => return Some(TimeFlaw::LowerCase),
        _ => return Some(TimeFlaw::Shape),
    }
    if text.ends_with('z') {
        return Some(TimeFlaw::LowerCase);
    }
    if b.get(11..13) == Some(b"24") {
        return Some(TimeFlaw::Hour24);
    }
    if !ts.has_offset {
        return Some(TimeFlaw::NoOffset);
    }
    let offset = text.get(text.len().saturating_sub(6)..).unwrap_or_default();
    if !text.ends_with('Z') && !is_offset(offset) {
        return Some(TimeFlaw::OffsetBeyond14);
    }
    None
}

/// `±hh:mm` from -14:00 to +14:00, the JSON Schema's `eventTimeZoneOffset` pattern.
fn is_offset(text: &str) -> bool {
    is_time_zone_offset(text) && (text.get(1..3) != Some("14") || text.get(4..6) == Some("00"))
}

fn is_schema_version(v: &str) -> bool {
    v == "1.2"
        || v.strip_prefix("2.").is_some_and(|minor| {
            !minor.is_empty()
                && minor.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// An absolute URI: a scheme, a non-empty rest, and no character RFC 3986 never allows.
fn is_uri(value: &str) -> bool {
    cbv::is_absolute_uri(value)
        && !value.chars().any(|c| {
            c.is_control() || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// The lexical forms of numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Number {
    /// A JSON number: an exponent is allowed.
    Json,
    /// `xsd:decimal`: no exponent.
    Decimal,
    /// `xsd:double`: an exponent and the special values `INF`, `-INF`, `NaN`.
    Double,
}

fn is_number(text: &str, number: Number) -> bool {
    if number == Number::Double && matches!(text, "INF" | "-INF" | "+INF" | "NaN") {
        return true;
    }
    let s = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(_) if number == Number::Decimal => return false,
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// The prefixes the JSON Schema's `vocab-other-uri` pattern excludes,
/// `^(?!(urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/))`.
fn is_excluded_from_json_vocab(value: &str) -> bool {
    ["urn:epcglobal:cbv", "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/"]
        .iter()
        .any(|p| value.starts_with(p))
}

/// Whether `value` is in one of the CBV's own namespaces (current, EPCIS 1.x, or the 2.0 drafts'):
/// CBV 2.0 defines every value there, so one it does not define is a mistake, not an extension.
fn is_reserved_cbv(value: &str) -> bool {
    [
        cbv::URN_VOCAB,
        cbv::WEB_VOCAB,
        "http://ref.gs1.org/cbv/",
        "https://ns.gs1.org/cbv/",
        "http://ns.gs1.org/cbv/",
        "cbv:",
    ]
    .iter()
    .any(|p| value.starts_with(p))
}

/// What is wrong with an EPC URI or GS1 Digital Link URI for a field that names `kind`; `None`
/// for other URIs, which the standard allows.
fn epc_problem(value: &str, kind: IdKind) -> Option<String> {
    if let Some(pattern) = value.strip_prefix("urn:epc:idpat:") {
        if kind == IdKind::Instance {
            return Some("is an EPC pattern, not the identifier of one object".to_owned());
        }
        return idpat_problem(pattern);
    }
    if value.starts_with("urn:epc:") {
        return match parse_epc_uri(value) {
            Ok(epc) if epc.scheme.is_class() && kind == IdKind::Instance => {
                Some("is an EPC class, not the identifier of one object".to_owned())
            }
            Ok(epc) if !epc.scheme.is_class() && kind == IdKind::Class => Some(
                "is the EPC of one object; epcClass needs a class (urn:epc:class:lgtin:, \
                 urn:epc:idpat:, or a GS1 Digital Link)"
                    .to_owned(),
            ),
            Ok(_) => None,
            // TDS schemes without a GS1 key (gid, usdod, adi, bic, imovn) are valid EPCs that
            // serialhub_gs1 does not decode.
            Err(e) if matches!(e.kind(), EpcErrorKind::NonGs1Scheme { .. }) => None,
            Err(e) => Some(format!("is not a valid EPC URI: {e}")),
        };
    }
    if serialhub_gs1::digital_link::looks_like_digital_link(value) {
        let opts = Options::default();
        return match serialhub_gs1::digital_link::parse_digital_link(value, &opts) {
            Ok(_) => None,
            // A web URI with no GS1 key in its path is an ordinary URI, not a Digital Link.
            Err(e) if e.kind == ErrorKind::DigitalLink(DigitalLinkProblem::NoPrimaryKey) => None,
            Err(e) => Some(format!("is not a valid GS1 Digital Link URI: {e}")),
        };
    }
    None
}

/// An `idpat` class pattern `scheme:GCP.ref.*`: checked as the identity it would match with a
/// placeholder serial, as `serialhub_gs1::canonical_digital_link` reads it.
fn idpat_problem(pattern: &str) -> Option<String> {
    let Some((scheme, body)) = pattern.split_once(':') else {
        return Some("is not an EPC pattern: no scheme".to_owned());
    };
    let Some(key) = body.strip_suffix(".*") else {
        return Some("is not an EPC class pattern: it must end with \".*\"".to_owned());
    };
    let placeholder = format!("urn:epc:id:{scheme}:{key}.1");
    match parse_epc_uri(&placeholder) {
        Ok(_) => None,
        Err(e) if matches!(e.kind(), EpcErrorKind::NonGs1Scheme { .. }) => None,
        // `urn:epc:idpat:` is three characters longer than the placeholder's `urn:epc:id:`.
        Err(e) => Some(match e.position() {
            Some(p) => format!("is not a valid EPC pattern: {} (position {})", e.kind(), p + 3),
            None => format!("is not a valid EPC pattern: {}", e.kind()),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// GS1 Web Vocabulary terms of sensor reports (EPCIS 2.0 JSON Schema `measurementType`,
// `sensorAlertType`; CBV 2.0 section 7.6 components)

const GS1_VOC: [&str; 4] = [
    "https://gs1.org/voc/",
    "http://gs1.org/voc/",
    "https://www.gs1.org/voc/",
    "http://www.gs1.org/voc/",
];

const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Radioactivity",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

const SENSOR_ALERT_TYPES: &[&str] = &["ALARM_CONDITION", "ERROR_CONDITION"];

const COMPONENTS: &[&str] = &[
    "x",
    "y",
    "z",
    "axial_distance",
    "azimuth",
    "height",
    "spherical_radius",
    "polar_angle",
    "elevation_angle",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "altitude",
];
