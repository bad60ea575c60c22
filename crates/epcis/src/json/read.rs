//! Streaming JSON-LD reader: the document is walked with serde's visitor API, so the event
//! list is never held in memory; each event is decoded straight into the model and handed on.
//!
//! Keys are matched without allocating (`FieldSeed`), EPC lists decode straight into strings,
//! and only extensions and rare nested objects go through `serde_json::Value`.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::frame::Scanner;
use crate::context::Context;
use crate::model::{
    Action, BizTransaction, Content, DocumentKind, Element, ErrorDeclaration, Event, EventType,
    Header, Location, PersistentDisposition, QuantityElement, SensorElement, SensorMetadata,
    SensorReport, SourceDest, Vocabulary, VocabularyAttribute, VocabularyElement,
};
use crate::problem::{Pointer, Problem, ReadError, Where};
use crate::read::{Handler, Limits, RawEvent, stopped};

/// Reads a JSON-LD EPCISDocument or EPCISQueryDocument held in memory.
pub fn read_slice<H: Handler>(
    input: &[u8],
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    run(Scanner::from_slice(input, value_len_max(limits)), limits, handler)
}

/// The largest single value (an event, a header) accepted.
fn value_len_max(limits: &Limits) -> usize {
    limits.text_len_max.max(16 << 20)
}

/// Reads from any `io::Read`; memory stays bounded by the largest single event.
pub fn read_reader<R: std::io::Read, H: Handler>(
    input: R,
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    run(Scanner::new(input, value_len_max(limits)), limits, handler)
}

fn run<R: std::io::Read, H: Handler>(
    sc: Scanner<'_, R>,
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    let mut st = DocState {
        sc,
        handler,
        limits,
        header: Header::default(),
        ctx: Context::default(),
        header_sent: false,
        context_seen: false,
        pending: Vec::new(),
        pending_bytes: 0,
        events: 0,
    };
    st.document()?;
    if !st.context_seen {
        // JSON-LD needs a context; without one the names mean nothing (EPCIS 2.0, 10.2).
        st.problem(Problem::new(
            Pointer::default().child("@context").at(),
            "required",
            "the document has no @context (it must name the EPCIS 2.0 context)",
        ))?;
    }
    st.flush_pending()?;
    st.send_header()?;
    st.sc.end()
}

/// Decodes one event handed out by `Handler::raw_event`, with the document's context (rebuild
/// it from `Header::namespaces`). Problems and errors are located as the streaming reader
/// locates them.
pub fn decode_event(ctx: &Context, raw: &RawEvent<'_>) -> Result<(Event, Vec<Problem>), ReadError> {
    let list = if raw.query_results {
        "/epcisBody/queryResults/resultsBody/eventList"
    } else {
        "/epcisBody/eventList"
    };
    let at = Pointer(format!("{list}/{}", raw.index));
    let mut problems = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(raw.bytes);
    match (EventSeed { ctx, at: &at, problems: &mut problems }).deserialize(&mut de) {
        Ok(event) => Ok((event, problems)),
        Err(e) => {
            let mut err = json_error(&e);
            let (line, column) = (e.line() as u64, e.column() as u64);
            err.problem.location = if line <= 1 {
                Where::Line { line: raw.line, column: raw.column + column.saturating_sub(1) }
            } else {
                Where::Line { line: raw.line + line - 1, column }
            };
            Err(err)
        }
    }
}

pub(crate) fn json_error(e: &serde_json::Error) -> ReadError {
    let location = Where::Line { line: e.line() as u64, column: e.column() as u64 };
    let message = e.to_string();
    // serde_json appends " at line L column C"; the location says it already.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    ReadError::new(location, "json_syntax", format!("invalid JSON: {message}"))
}

struct DocState<'a, 's, R, H> {
    sc: Scanner<'s, R>,
    handler: &'a mut H,
    limits: &'a Limits,
    header: Header,
    ctx: Context,
    header_sent: bool,
    /// Whether `@context` came before the events. When it does not, events are kept as JSON
    /// values until the end of the document, since their extension names depend on it.
    context_seen: bool,
    pending: Vec<(Pointer, Value)>,
    /// JSON bytes of the events held in `pending`, bounded by `PENDING_BYTES_MAX`.
    pending_bytes: usize,
    events: usize,
}

/// How many bytes of events a document may put before its `@context` (they are held until it
/// comes); beyond that the reader refuses, since it could no longer stream.
const PENDING_BYTES_MAX: usize = 256 << 20;

impl<R: std::io::Read, H: Handler> DocState<'_, '_, R, H> {
    fn send_header(&mut self) -> Result<(), ReadError> {
        if !self.header_sent {
            self.header_sent = true;
            self.handler.header(&self.header).map_err(|_| stopped())?;
        }
        Ok(())
    }

    fn problem(&mut self, p: Problem) -> Result<(), ReadError> {
        self.handler.problem(p).map_err(|_| stopped())
    }

    /// Parses the value just framed by the scanner.
    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        span: std::ops::Range<usize>,
    ) -> Result<T, ReadError> {
        serde_json::from_slice(self.sc.bytes(span.clone()))
            .map_err(|e| self.sc.value_error(&e, span.start))
    }

    fn document(&mut self) -> Result<(), ReadError> {
        let root = Pointer::default();
        self.sc.skip_bom()?;
        self.sc.expect(b'{', "a JSON object (an EPCIS document)")?;
        if self.sc.peek()? == Some(b'}') {
            return self.sc.expect(b'}', "'}'");
        }
        loop {
            let key = self.sc.key()?;
            if self.header_sent && key != "epcisBody" && key != "@context" {
                // The header went to the consumer with the first event; a streaming reader
                // cannot take it back. Say so rather than let the member vanish.
                self.problem(Problem::new(
                    root.child(&key).at(),
                    "late_header",
                    format!(
                        "{key} comes after the events: readers that stream have already used \
                         the header (put it before epcisBody)"
                    ),
                ))?;
            }
            match key.as_str() {
                "epcisBody" => self.body()?,
                "@context" => {
                    let span = self.sc.value()?;
                    let v: Value = self.parse(span)?;
                    self.ctx.add(&v);
                    self.header.namespaces = self.ctx.declared.clone();
                    self.context_seen = true;
                }
                "type" => {
                    let span = self.sc.value()?;
                    let v: Value = self.parse(span)?;
                    match v.as_str() {
                        Some("EPCISDocument") => self.header.kind = DocumentKind::EpcisDocument,
                        Some("EPCISQueryDocument") => {
                            self.header.kind = DocumentKind::EpcisQueryDocument
                        }
                        _ => self.problem(Problem::new(
                            root.child("type").at(),
                            "document_type",
                            format!(
                                "document type must be EPCISDocument or EPCISQueryDocument, found {v}"
                            ),
                        ))?,
                    }
                }
                "schemaVersion" | "creationDate" | "id" => {
                    let span = self.sc.value()?;
                    let text = scalar_text(self.parse(span)?);
                    match key.as_str() {
                        "schemaVersion" => self.header.schema_version = Some(text),
                        "creationDate" => self.header.creation_date = Some(text),
                        _ => self.header.id = Some(text),
                    }
                }
                "epcisHeader" => {
                    let span = self.sc.value()?;
                    let v: Value = self.parse(span)?;
                    let mut problems = Vec::new();
                    read_header(
                        &v,
                        &self.ctx,
                        &mut self.header,
                        &root.child("epcisHeader"),
                        &mut |p| problems.push(p),
                    );
                    for p in problems {
                        self.problem(p)?;
                    }
                }
                _ => {
                    let span = self.sc.value()?;
                    let v: Value = self.parse(span)?;
                    let el = value_to_element(&self.ctx, &key, &v);
                    self.header.extensions.extend(el);
                }
            }
            if !self.sc.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    fn body(&mut self) -> Result<(), ReadError> {
        let body = Pointer::default().child("epcisBody");
        self.object(|st, key| match key {
            "eventList" => st.event_list(&body.child("eventList")),
            "event" => {
                let at = body.child("event");
                st.one_event(at)
            }
            "queryResults" => {
                let qr = body.child("queryResults");
                st.object(|st, key| match key {
                    "subscriptionID" | "queryName" => {
                        let span = st.sc.value()?;
                        let text = scalar_text(st.parse(span)?);
                        if key == "queryName" {
                            st.header.query_name = Some(text);
                        } else {
                            st.header.subscription_id = Some(text);
                        }
                        Ok(())
                    }
                    "resultsBody" => {
                        let rb = qr.child("resultsBody");
                        st.object(|st, key| match key {
                            "eventList" => st.event_list(&rb.child("eventList")),
                            _ => st.sc.value().map(drop),
                        })
                    }
                    _ => st.sc.value().map(drop),
                })
            }
            _ => st.sc.value().map(drop),
        })
    }

    /// Walks an object member by member; `member` must consume each value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &str) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        self.sc.expect(b'{', "an object")?;
        if self.sc.peek()? == Some(b'}') {
            return self.sc.expect(b'}', "'}'");
        }
        loop {
            let key = self.sc.key()?;
            member(self, &key)?;
            if !self.sc.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    fn event_list(&mut self, at: &Pointer) -> Result<(), ReadError> {
        if self.context_seen {
            self.send_header()?;
        }
        self.sc.expect(b'[', "an array of events")?;
        if self.sc.peek()? == Some(b']') {
            return self.sc.expect(b']', "']'");
        }
        let mut i = 0usize;
        loop {
            self.one_event(at.index(i))?;
            i += 1;
            if !self.sc.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    fn one_event(&mut self, at: Pointer) -> Result<(), ReadError> {
        self.limits.check_events(self.events, || at.at())?;
        self.events += 1;
        let span = self.sc.value()?;
        if !self.context_seen {
            self.pending_bytes += span.len();
            if self.pending_bytes > PENDING_BYTES_MAX {
                return Err(ReadError::new(
                    at.at(),
                    "too_large",
                    format!(
                        "more than {} MiB of events before the document's @context: put \
                         @context first to stream a document this large",
                        PENDING_BYTES_MAX >> 20
                    ),
                ));
            }
            let v: Value = self.parse(span)?;
            self.pending.push((at, v));
            return Ok(());
        }
        self.send_header()?;
        if self.handler.wants_raw() {
            let (line, column) = self.sc.location_forward(span.start);
            let raw = RawEvent {
                bytes: self.sc.bytes(span),
                index: self.events - 1,
                query_results: self.header.kind == DocumentKind::EpcisQueryDocument,
                line,
                column,
            };
            return self.handler.raw_event(raw).map_err(|_| stopped());
        }
        let mut problems = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(self.sc.bytes(span.clone()));
        let event = EventSeed { ctx: &self.ctx, at: &at, problems: &mut problems }
            .deserialize(&mut de)
            .map_err(|e| self.sc.value_error(&e, span.start))?;
        for p in problems {
            self.problem(p)?;
        }
        self.handler.event_at(event, at.at()).map_err(|_| stopped())
    }

    /// Decodes the events read before the document's `@context`.
    fn flush_pending(&mut self) -> Result<(), ReadError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.send_header()?;
        for (at, v) in std::mem::take(&mut self.pending) {
            let mut problems = Vec::new();
            let event = EventSeed { ctx: &self.ctx, at: &at, problems: &mut problems }
                .deserialize(v)
                .map_err(|e| ReadError::new(at.at(), "type", e.to_string()))?;
            for p in problems {
                self.problem(p)?;
            }
            self.handler.event_at(event, at.at()).map_err(|_| stopped())?;
        }
        Ok(())
    }
}

/// Matches a key to a known field without allocating.
struct KeySeed<'k>(&'k [&'static str]);

enum Key {
    Known(usize),
    Other(String),
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match self.0.iter().position(|k| *k == v) {
            Some(i) => Key::Known(i),
            None => Key::Other(v.to_owned()),
        })
    }
}

/// Decodes one event object. Public within the crate: bare-event documents and the REST
/// capture path read single events too.
pub(crate) struct EventSeed<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) at: &'a Pointer,
    pub(crate) problems: &'a mut Vec<Problem>,
}

const EVENT_KEYS: &[&str] = &[
    "type",                  // 0
    "eventTime",             // 1
    "eventTimeZoneOffset",   // 2
    "recordTime",            // 3
    "eventID",               // 4
    "certificationInfo",     // 5
    "errorDeclaration",      // 6
    "parentID",              // 7
    "epcList",               // 8
    "childEPCs",             // 9
    "inputEPCList",          // 10
    "quantityList",          // 11
    "childQuantityList",     // 12
    "inputQuantityList",     // 13
    "outputEPCList",         // 14
    "outputQuantityList",    // 15
    "transformationID",      // 16
    "action",                // 17
    "bizStep",               // 18
    "disposition",           // 19
    "persistentDisposition", // 20
    "readPoint",             // 21
    "bizLocation",           // 22
    "bizTransactionList",    // 23
    "sourceList",            // 24
    "destinationList",       // 25
    "sensorElementList",     // 26
    "ilmd",                  // 27
    "@context",              // 28
    "id",                    // 29: JSON-LD's own name for the event's IRI, i.e. its eventID
];

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = Event;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = Event;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut ev = Event::default();
        let at = self.at;
        let problems = self.problems;
        let mut raw_type: Option<String> = None;
        // Which of the role-shared lists were given, to catch an event that names two.
        let mut epc_field: Option<&'static str> = None;
        let mut qty_field: Option<&'static str> = None;
        let mut extensions: Vec<(String, Value)> = Vec::new();
        let mut local_ctx: Option<Context> = None;
        // Members whose extensions need the event's @context, which may come after them.
        let mut later: Vec<(usize, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed(EVENT_KEYS))? {
            let i = match key {
                Key::Known(i) => i,
                Key::Other(name) => {
                    let v: Value = map.next_value()?;
                    extensions.push((name, v));
                    continue;
                }
            };
            let field = EVENT_KEYS[i];
            let here = || at.child(field);
            match i {
                0 => raw_type = Some(string(map.next_value()?, &Field(at, field), problems)),
                1 => ev.event_time = string(map.next_value()?, &Field(at, field), problems),
                2 => {
                    ev.event_time_zone_offset =
                        string(map.next_value()?, &Field(at, field), problems)
                }
                3 => ev.record_time = Some(string(map.next_value()?, &Field(at, field), problems)),
                4 => ev.event_id = Some(string(map.next_value()?, &Field(at, field), problems)),
                5 => {
                    let v: Value = map.next_value()?;
                    match v {
                        Value::Array(items) => {
                            for (k, item) in items.into_iter().enumerate() {
                                let s = string(Scalar::from(item), &Index(&here(), k), problems);
                                ev.certification_info.push(s);
                            }
                        }
                        v => ev.certification_info.push(string(
                            Scalar::from(v),
                            &Field(at, field),
                            problems,
                        )),
                    }
                }
                // Decoded after the loop, with the event's own @context wherever it stood.
                6 | 21 | 22 | 26 | 27 => later.push((i, map.next_value::<Value>()?)),
                7 => ev.parent_id = Some(string(map.next_value()?, &Field(at, field), problems)),
                8..=10 => {
                    if let Some(prev) = epc_field.replace(field) {
                        problems.push(Problem::new(
                            here().at(),
                            "field_conflict",
                            format!("both {prev} and {field} are given"),
                        ));
                    }
                    ev.epc_list = map.next_value_seed(StrListSeed { at: &here(), problems })?;
                }
                11..=13 => {
                    if let Some(prev) = qty_field.replace(field) {
                        problems.push(Problem::new(
                            here().at(),
                            "field_conflict",
                            format!("both {prev} and {field} are given"),
                        ));
                    }
                    let v: Value = map.next_value()?;
                    ev.quantity_list = quantity_list(&v, &here(), problems);
                }
                14 => {
                    ev.output_epc_list =
                        map.next_value_seed(StrListSeed { at: &here(), problems })?
                }
                15 => {
                    let v: Value = map.next_value()?;
                    ev.output_quantity_list = quantity_list(&v, &here(), problems);
                }
                16 => {
                    ev.transformation_id =
                        Some(string(map.next_value()?, &Field(at, field), problems))
                }
                17 => {
                    let s = string(map.next_value()?, &Field(at, field), problems);
                    match Action::parse(&s) {
                        Some(a) => ev.action = Some(a),
                        None => problems.push(Problem::new(
                            here().at(),
                            "action",
                            format!("action must be ADD, OBSERVE or DELETE, found \"{s}\""),
                        )),
                    }
                }
                18 => ev.biz_step = Some(string(map.next_value()?, &Field(at, field), problems)),
                19 => ev.disposition = Some(string(map.next_value()?, &Field(at, field), problems)),
                20 => {
                    let v: Value = map.next_value()?;
                    ev.persistent_disposition = Some(persistent_disposition(&v, &here(), problems));
                }
                23 => {
                    let v: Value = map.next_value()?;
                    ev.biz_transaction_list = biz_transactions(&v, &here(), problems);
                }
                24 | 25 => {
                    let v: Value = map.next_value()?;
                    let kind = if i == 24 { "source" } else { "destination" };
                    let list = source_dests(&v, kind, &here(), problems);
                    if i == 24 {
                        ev.source_list = list;
                    } else {
                        ev.destination_list = list;
                    }
                }
                28 => {
                    let v: Value = map.next_value()?;
                    let mut c = self.ctx.clone();
                    c.add(&v);
                    local_ctx = Some(c);
                }
                29 => {
                    // Both contexts map `id` and `eventID` to `@id`; the simple-context
                    // examples write `id`.
                    let id = string(map.next_value()?, &Field(at, field), problems);
                    if ev.event_id.as_ref().is_some_and(|e| *e != id) {
                        problems.push(Problem::new(
                            at.child(field).at(),
                            "field_conflict",
                            "id and eventID name the event's identifier twice, differently",
                        ));
                    }
                    ev.event_id = Some(id);
                }
                _ => unreachable!("EVENT_KEYS has {} entries", EVENT_KEYS.len()),
            }
        }
        let ctx = local_ctx.as_ref().unwrap_or(self.ctx);
        for (i, v) in later {
            let field = EVENT_KEYS[i];
            let here = || at.child(field);
            match i {
                6 => {
                    ev.error_declaration = Some(error_declaration(&v, ctx, &here(), problems));
                }
                21 | 22 => {
                    let loc = location(&v, ctx, &here(), problems);
                    if i == 21 {
                        ev.read_point = Some(loc);
                    } else {
                        ev.biz_location = Some(loc);
                    }
                }
                26 => {
                    ev.sensor_element_list = sensor_elements(&v, ctx, &here(), problems);
                }
                _ => {
                    ev.ilmd = Some(match &v {
                        Value::Object(m) => object_children(ctx, m),
                        _ => {
                            problems.push(expected(&here(), "an object", &v));
                            Vec::new()
                        }
                    });
                }
            }
        }
        for (name, v) in &extensions {
            ev.extensions.extend(value_to_element(ctx, name, v));
        }
        match raw_type.as_deref().map(|t| (t, EventType::from_name(t))) {
            Some((_, Some(t))) => {
                ev.event_type = Some(t);
                check_list_names(&ev, t, epc_field, qty_field, at, problems);
            }
            Some((t, None)) => problems.push(Problem::new(
                at.child("type").at(),
                "event_type",
                format!("unknown event type \"{t}\""),
            )),
            None => problems.push(Problem::new(at.at(), "required", "the event has no \"type\"")),
        }
        Ok(ev)
    }
}

/// The shared slots hold `epcList`/`childEPCs`/`inputEPCList`: check the name fits the type.
fn check_list_names(
    ev: &Event,
    t: EventType,
    epc_field: Option<&str>,
    qty_field: Option<&str>,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) {
    let _ = ev;
    for (given, expected) in [(epc_field, t.epc_list_field()), (qty_field, t.quantity_list_field())]
    {
        if let Some(f) = given.filter(|f| *f != expected) {
            problems.push(Problem::new(
                at.child(f).at(),
                "unknown_field",
                format!("{} has no field {f} (it uses {expected})", t.name()),
            ));
        }
    }
}

/// A JSON scalar as text, or what else was found.
pub(crate) enum Scalar {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl From<Value> for Scalar {
    fn from(v: Value) -> Scalar {
        match v {
            Value::String(s) => Scalar::Str(s),
            Value::Number(n) => Scalar::Num(n.to_string()),
            Value::Bool(b) => Scalar::Bool(b),
            Value::Null => Scalar::Null,
            Value::Array(_) => Scalar::Array,
            Value::Object(_) => Scalar::Object,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        ))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

fn kind_of(s: &Scalar) -> &'static str {
    match s {
        Scalar::Str(_) => "a string",
        Scalar::Num(_) => "a number",
        Scalar::Bool(_) => "a boolean",
        Scalar::Null => "null",
        Scalar::Array => "an array",
        Scalar::Object => "an object",
    }
}

/// The string a field must hold; anything else is a problem and reads as "".
/// Where a value is, computed only when a problem needs it (most values have none).
trait Locate {
    fn at(&self) -> Where;
}

impl Locate for Pointer {
    fn at(&self) -> Where {
        Pointer::at(self)
    }
}

/// A member of the object at the pointer.
struct Field<'a>(&'a Pointer, &'a str);

impl Locate for Field<'_> {
    fn at(&self) -> Where {
        self.0.child(self.1).at()
    }
}

/// An item of the array at the pointer.
struct Index<'a>(&'a Pointer, usize);

impl Locate for Index<'_> {
    fn at(&self) -> Where {
        self.0.index(self.1).at()
    }
}

fn string(s: Scalar, at: &dyn Locate, problems: &mut Vec<Problem>) -> String {
    match s {
        Scalar::Str(s) => s,
        other => {
            problems.push(Problem::new(
                at.at(),
                "type",
                format!("expected a string, found {}", kind_of(&other)),
            ));
            String::new()
        }
    }
}

/// A scalar's text whatever its JSON type (header fields are lenient).
fn scalar_text(s: Scalar) -> String {
    match s {
        Scalar::Str(s) | Scalar::Num(s) => s,
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null | Scalar::Array | Scalar::Object => String::new(),
    }
}

/// A decimal field: numbers are the standard's form; numeric strings are accepted with a note.
fn decimal(v: &Value, at: &Pointer, problems: &mut Vec<Problem>) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => {
            problems.push(Problem::new(
                at.at(),
                "type",
                format!("expected a number, found the string \"{s}\""),
            ));
            Some(s.clone())
        }
        other => {
            problems.push(expected(at, "a number", other));
            None
        }
    }
}

fn expected(at: &Pointer, what: &str, found: &Value) -> Problem {
    let kind = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Problem::new(at.at(), "type", format!("expected {what}, found {kind}"))
}

struct StrListSeed<'a> {
    at: &'a Pointer,
    problems: &'a mut Vec<Problem>,
}

impl<'de> DeserializeSeed<'de> for StrListSeed<'_> {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrListSeed<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(8));
        // Counts every item, kept or not, so that a problem names the item's own index.
        let mut index = 0;
        while let Some(s) = seq.next_element::<Scalar>()? {
            index += 1;
            match s {
                Scalar::Str(s) => out.push(s),
                other => self.problems.push(Problem::new(
                    self.at.index(index - 1).at(),
                    "type",
                    format!("expected a string, found {}", kind_of(&other)),
                )),
            }
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        self.problems.push(Problem::new(
            self.at.at(),
            "type",
            "expected an array of strings, found a string",
        ));
        Ok(vec![v.to_owned()])
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.problems.push(Problem::new(
            self.at.at(),
            "type",
            "expected an array, found an object",
        ));
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vec<String>, E> {
        self.problems.push(Problem::new(self.at.at(), "type", "expected an array, found a number"));
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
        self.visit_u64(v.unsigned_abs())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<String>, E> {
        self.visit_u64(0)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vec<String>, E> {
        self.problems.push(Problem::new(
            self.at.at(),
            "type",
            "expected an array, found a boolean",
        ));
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
        self.problems.push(Problem::new(self.at.at(), "type", "expected an array, found null"));
        Ok(Vec::new())
    }
}

fn str_field(
    m: &serde_json::Map<String, Value>,
    key: &str,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let v = m.get(key)?;
    match v {
        Value::String(s) => Some(s.clone()),
        other => {
            problems.push(expected(&at.child(key), "a string", other));
            None
        }
    }
}

/// An array of objects, each decoded by `one` (given the object and where it is). A value that
/// is not an array, or an item that is not an object, is a problem and gives nothing.
fn object_list<T>(
    v: &Value,
    at: &Pointer,
    problems: &mut Vec<Problem>,
    mut one: impl FnMut(&serde_json::Map<String, Value>, &Pointer, &mut Vec<Problem>) -> T,
) -> Vec<T> {
    let Value::Array(items) = v else {
        problems.push(expected(at, "an array", v));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = at.index(i);
        let Value::Object(m) = item else {
            problems.push(expected(&here, "an object", item));
            continue;
        };
        out.push(one(m, &here, problems));
    }
    out
}

/// Appends the strings of `v`, member `key` of the object at `at`, to `list`; anything that is
/// not an array of strings is a problem.
fn strings_into(
    v: &Value,
    at: &Pointer,
    key: &str,
    list: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) {
    let Value::Array(items) = v else {
        problems.push(expected(&at.child(key), "an array", v));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => list.push(s.clone()),
            other => problems.push(expected(&at.child(key).index(i), "a string", other)),
        }
    }
}

fn quantity_list(v: &Value, at: &Pointer, problems: &mut Vec<Problem>) -> Vec<QuantityElement> {
    object_list(v, at, problems, |m, here, problems| {
        let mut q = QuantityElement::default();
        for (k, v) in m {
            match k.as_str() {
                "epcClass" => q.epc_class = str_field(m, k, here, problems).unwrap_or_default(),
                "quantity" => q.quantity = decimal(v, &here.child(k), problems),
                "uom" => q.uom = str_field(m, k, here, problems),
                other => problems.push(Problem::new(
                    here.child(other).at(),
                    "unknown_field",
                    format!("quantityElement has no field {other}"),
                )),
            }
        }
        if !m.contains_key("epcClass") {
            problems.push(Problem::new(here.at(), "required", "quantityElement needs epcClass"));
        }
        q
    })
}

fn persistent_disposition(
    v: &Value,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) -> PersistentDisposition {
    let mut pd = PersistentDisposition::default();
    let Value::Object(m) = v else {
        problems.push(expected(at, "an object", v));
        return pd;
    };
    for (k, v) in m {
        let list = match k.as_str() {
            "set" => &mut pd.set,
            "unset" => &mut pd.unset,
            other => {
                problems.push(Problem::new(
                    at.child(other).at(),
                    "unknown_field",
                    format!("persistentDisposition has no field {other}"),
                ));
                continue;
            }
        };
        strings_into(v, at, k, list, problems);
    }
    pd
}

fn location(v: &Value, ctx: &Context, at: &Pointer, problems: &mut Vec<Problem>) -> Location {
    let mut loc = Location::default();
    let Value::Object(m) = v else {
        problems.push(expected(at, "an object", v));
        return loc;
    };
    for (k, v) in m {
        if k == "id" {
            loc.id = str_field(m, k, at, problems).unwrap_or_default();
        } else {
            loc.extensions.extend(value_to_element(ctx, k, v));
        }
    }
    if !m.contains_key("id") {
        problems.push(Problem::new(at.at(), "required", "a location needs an id"));
    }
    loc
}

fn biz_transactions(v: &Value, at: &Pointer, problems: &mut Vec<Problem>) -> Vec<BizTransaction> {
    object_list(v, at, problems, |m, here, problems| {
        let mut bt = BizTransaction::default();
        for k in m.keys() {
            match k.as_str() {
                "type" => bt.type_ = str_field(m, k, here, problems),
                "bizTransaction" => bt.value = str_field(m, k, here, problems).unwrap_or_default(),
                other => problems.push(Problem::new(
                    here.child(other).at(),
                    "unknown_field",
                    format!("bizTransaction has no field {other}"),
                )),
            }
        }
        if !m.contains_key("bizTransaction") {
            problems.push(Problem::new(here.at(), "required", "bizTransaction needs a value"));
        }
        bt
    })
}

fn source_dests(
    v: &Value,
    kind: &str,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) -> Vec<SourceDest> {
    object_list(v, at, problems, |m, here, problems| {
        let mut sd = SourceDest::default();
        for k in m.keys() {
            if k == "type" {
                sd.type_ = str_field(m, k, here, problems).unwrap_or_default();
            } else if k == kind {
                sd.value = str_field(m, k, here, problems).unwrap_or_default();
            } else {
                problems.push(Problem::new(
                    here.child(k).at(),
                    "unknown_field",
                    format!("{kind} has no field {k}"),
                ));
            }
        }
        for required in ["type", kind] {
            if !m.contains_key(required) {
                problems.push(Problem::new(
                    here.at(),
                    "required",
                    format!("{kind} needs {required}"),
                ));
            }
        }
        sd
    })
}

fn sensor_elements(
    v: &Value,
    ctx: &Context,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) -> Vec<SensorElement> {
    object_list(v, at, problems, |m, here, problems| {
        let mut se = SensorElement::default();
        for (k, v) in m {
            match k.as_str() {
                // A JSON-LD node type the simple-context examples give sensor elements; it says
                // nothing the structure does not.
                "type" if matches!(v.as_str(), Some("epcis:SensorElement" | "SensorElement")) => {}
                "sensorMetadata" => {
                    let mut md = SensorMetadata::default();
                    sensor_fields(
                        v,
                        ctx,
                        &here.child(k),
                        problems,
                        &mut |name, value| {
                            SensorMetadata::slot(name).map(|s| md.fields[s] = Some(value))
                        },
                        &mut md.extensions,
                    );
                    se.sensor_metadata = Some(md);
                }
                "sensorReport" => {
                    let Value::Array(reports) = v else {
                        problems.push(expected(&here.child(k), "an array", v));
                        continue;
                    };
                    for (j, r) in reports.iter().enumerate() {
                        let mut sr = SensorReport::default();
                        let mut ext = Vec::new();
                        sensor_fields(
                            r,
                            ctx,
                            &here.child(k).index(j),
                            problems,
                            &mut |name, value| {
                                SensorReport::slot(name).map(|s| sr.fields[s] = Some(value))
                            },
                            &mut ext,
                        );
                        sr.extensions = ext;
                        se.sensor_report.push(sr);
                    }
                }
                _ => se.extensions.extend(value_to_element(ctx, k, v)),
            }
        }
        se
    })
}

/// Reads a sensorMetadata or sensorReport object: standard attributes go to `set`, the rest
/// are extensions.
fn sensor_fields(
    v: &Value,
    ctx: &Context,
    at: &Pointer,
    problems: &mut Vec<Problem>,
    set: &mut dyn FnMut(&str, String) -> Option<()>,
    extensions: &mut Vec<Element>,
) {
    let Value::Object(m) = v else {
        problems.push(expected(at, "an object", v));
        return;
    };
    for (k, v) in m {
        let text = match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let is_standard = !k.contains(':') && !k.contains('/');
        if is_standard {
            match text {
                Some(t) => {
                    if set(k, t).is_none() {
                        problems.push(Problem::new(
                            at.child(k).at(),
                            "unknown_field",
                            format!("no standard sensor attribute is called {k}"),
                        ));
                    }
                }
                None => problems.push(expected(&at.child(k), "a scalar", v)),
            }
        } else {
            extensions.extend(value_to_element(ctx, k, v));
        }
    }
}

fn error_declaration(
    v: &Value,
    ctx: &Context,
    at: &Pointer,
    problems: &mut Vec<Problem>,
) -> ErrorDeclaration {
    let mut ed = ErrorDeclaration::default();
    let Value::Object(m) = v else {
        problems.push(expected(at, "an object", v));
        return ed;
    };
    for (k, v) in m {
        match k.as_str() {
            "declarationTime" => {
                ed.declaration_time = str_field(m, k, at, problems).unwrap_or_default()
            }
            "reason" => ed.reason = str_field(m, k, at, problems),
            "correctiveEventIDs" => strings_into(v, at, k, &mut ed.corrective_event_ids, problems),
            _ => ed.extensions.extend(value_to_element(ctx, k, v)),
        }
    }
    if !m.contains_key("declarationTime") {
        problems.push(Problem::new(at.at(), "required", "errorDeclaration needs declarationTime"));
    }
    ed
}

/// Converts a JSON extension member into elements: an array gives one element per item (the
/// XML form repeats the element), an object gives children, a scalar gives text.
pub(crate) fn value_to_element(ctx: &Context, key: &str, v: &Value) -> Vec<Element> {
    let name = ctx.resolve_key(key);
    let one = |v: &Value| Element {
        name: name.clone(),
        attributes: attributes_of(ctx, v),
        content: content_of(ctx, v),
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        _ => vec![one(v)],
    }
}

/// XML attributes of an extension element, as `json::write` puts them: `"@attributes": {..}`.
fn attributes_of(ctx: &Context, v: &Value) -> Vec<(crate::model::Name, String)> {
    match v.get("@attributes") {
        Some(Value::Object(attrs)) => attrs
            .iter()
            .filter_map(|(k, v)| Some((ctx.resolve_key(k), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

fn content_of(ctx: &Context, v: &Value) -> Content {
    match v {
        Value::Null => Content::Empty,
        Value::Bool(b) => Content::Bool(*b),
        Value::Number(n) => Content::Number(n.to_string()),
        Value::String(s) => Content::Text(s.clone()),
        Value::Array(items) => Content::Children(
            items.iter().flat_map(|item| value_to_element(ctx, "item", item)).collect(),
        ),
        Value::Object(m) => {
            if let Some(text) = m.get("#text").or_else(|| m.get("@value")) {
                return content_of(ctx, text);
            }
            Content::Children(object_children(ctx, m))
        }
    }
}

fn object_children(ctx: &Context, m: &serde_json::Map<String, Value>) -> Vec<Element> {
    m.iter()
        .filter(|(k, _)| !k.starts_with('@'))
        .flat_map(|(k, v)| value_to_element(ctx, k, v))
        .collect()
}

fn read_header(
    v: &Value,
    ctx: &Context,
    header: &mut Header,
    at: &Pointer,
    problem: &mut dyn FnMut(Problem),
) {
    let Value::Object(m) = v else {
        problem(Problem::new(at.at(), "type", "epcisHeader must be an object"));
        return;
    };
    header.master_data.clear();
    header.extensions.retain(|e| e.name.local != "epcisHeader");
    for (k, v) in m {
        if k == "epcisMasterData" {
            if let Some(Value::Array(vocabs)) = v.get("vocabularyList") {
                for voc in vocabs {
                    header.master_data.push(vocabulary(ctx, voc));
                }
            }
        } else if k == "sbdh" || k == "StandardBusinessDocumentHeader" {
            header.sbdh = value_to_element(ctx, k, v).into_iter().next();
        } else {
            header.extensions.extend(value_to_element(ctx, k, v));
        }
    }
}

fn vocabulary(ctx: &Context, v: &Value) -> Vocabulary {
    let mut voc = Vocabulary {
        type_: v.get("type").and_then(Value::as_str).unwrap_or_default().to_owned(),
        ..Vocabulary::default()
    };
    if let Some(Value::Array(elements)) = v.get("vocabularyElementList") {
        for e in elements {
            let mut el = VocabularyElement {
                id: e.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                ..VocabularyElement::default()
            };
            if let Some(Value::Array(attrs)) = e.get("attributes") {
                for a in attrs {
                    el.attributes.push(VocabularyAttribute {
                        id: a.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        value: a.get("attribute").map_or(Content::Empty, |x| content_of(ctx, x)),
                    });
                }
            }
            if let Some(Value::Array(children)) = e.get("children") {
                el.children =
                    children.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            }
            voc.elements.push(el);
        }
    }
    voc
}
