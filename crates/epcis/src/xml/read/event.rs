//! One EPCIS event read from XML into the model, with the same mapping as the JSON-LD reader.
//!
//! Fields are read in any order and at any level of `extension`/`baseExtension` wrapper (1.2
//! nests them, 2.0 does not); a field out of its XSD sequence is reported (`element_order`) and
//! read all the same. An element that is not a standard field is kept as an extension,
//! losslessly. An optional field marked `xsi:nil="true"` is absent.

use std::io::BufRead;

use super::WRAPPER_NESTING_MAX;
use super::pull::{Pull, trim};
use crate::model::{
    Action, BizTransaction, Content, Element, ErrorDeclaration, Event, EventType, Location, Name,
    PersistentDisposition, QuantityElement, SensorElement, SensorMetadata, SensorReport,
    SourceDest,
};
use crate::problem::{ReadError, Where};
use crate::xml::write::{Field as BodyField, body_fields};

/// The standard fields of an event, by element name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    EventTime,
    RecordTime,
    EventTimeZoneOffset,
    EventId,
    ErrorDeclaration,
    CertificationInfo,
    BaseExtension,
    ParentId,
    EpcList,
    ChildEpcs,
    InputEpcList,
    OutputEpcList,
    QuantityList,
    ChildQuantityList,
    InputQuantityList,
    OutputQuantityList,
    TransformationId,
    Action,
    BizStep,
    Disposition,
    ReadPoint,
    BizLocation,
    BizTransactionList,
    SourceList,
    DestinationList,
    SensorElementList,
    PersistentDisposition,
    Ilmd,
    Extension,
}

impl Field {
    const ALL: [Field; 29] = [
        Field::EventTime,
        Field::RecordTime,
        Field::EventTimeZoneOffset,
        Field::EventId,
        Field::ErrorDeclaration,
        Field::CertificationInfo,
        Field::BaseExtension,
        Field::ParentId,
        Field::EpcList,
        Field::ChildEpcs,
        Field::InputEpcList,
        Field::OutputEpcList,
        Field::QuantityList,
        Field::ChildQuantityList,
        Field::InputQuantityList,
        Field::OutputQuantityList,
        Field::TransformationId,
        Field::Action,
        Field::BizStep,
        Field::Disposition,
        Field::ReadPoint,
        Field::BizLocation,
        Field::BizTransactionList,
        Field::SourceList,
        Field::DestinationList,
        Field::SensorElementList,
        Field::PersistentDisposition,
        Field::Ilmd,
        Field::Extension,
    ];

    fn of(local: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == local)
    }

    /// The element name.
    fn name(self) -> &'static str {
        match self {
            Field::EventTime => "eventTime",
            Field::RecordTime => "recordTime",
            Field::EventTimeZoneOffset => "eventTimeZoneOffset",
            Field::EventId => "eventID",
            Field::ErrorDeclaration => "errorDeclaration",
            Field::CertificationInfo => "certificationInfo",
            Field::BaseExtension => "baseExtension",
            Field::ParentId => "parentID",
            Field::EpcList => "epcList",
            Field::ChildEpcs => "childEPCs",
            Field::InputEpcList => "inputEPCList",
            Field::OutputEpcList => "outputEPCList",
            Field::QuantityList => "quantityList",
            Field::ChildQuantityList => "childQuantityList",
            Field::InputQuantityList => "inputQuantityList",
            Field::OutputQuantityList => "outputQuantityList",
            Field::TransformationId => "transformationID",
            Field::Action => "action",
            Field::BizStep => "bizStep",
            Field::Disposition => "disposition",
            Field::ReadPoint => "readPoint",
            Field::BizLocation => "bizLocation",
            Field::BizTransactionList => "bizTransactionList",
            Field::SourceList => "sourceList",
            Field::DestinationList => "destinationList",
            Field::SensorElementList => "sensorElementList",
            Field::PersistentDisposition => "persistentDisposition",
            Field::Ilmd => "ilmd",
            Field::Extension => "extension",
        }
    }
}

// Element order. The XSDs give each event type an `xsd:sequence`; the EPCIS 2.0 ones
// (`EPCglobal-epcis-2_0.xsd`) are common `EPCISEventType` fields first (`COMMON`), then the
// type's own fields in the order the writers write them (`xml::write::body_fields`), then
// `extension`. EPCIS 1.2 (`EPCglobal-epcis-1_2.xsd`) moves fields added after 1.0 into
// `baseExtension` and `extension` wrappers, and the sequence at each of its wrapper levels is a
// subsequence of the 2.0 one (its event level: eventTime, recordTime, eventTimeZoneOffset,
// baseExtension, epcList, action, ...; `baseExtension`: eventID, errorDeclaration, extension;
// ObjectEvent's `extension`: quantityList, sourceList, destinationList, ilmd, extension). So one
// rank table per event type serves both versions, checked level by level. Deeper wrappers are
// `xsd:any`, in any order.

/// The fields common to every event, in the 2.0 `EPCISEventType` sequence.
const COMMON: [Field; 7] = [
    Field::EventTime,
    Field::RecordTime,
    Field::EventTimeZoneOffset,
    Field::EventId,
    Field::ErrorDeclaration,
    Field::CertificationInfo,
    Field::BaseExtension,
];

/// A field's place in its event type's sequence, from 1, indexed by `Field as usize`; 0 for a
/// field the type does not have (that is the validator's `not_allowed`, not an order problem).
type Ranks = [u8; Field::ALL.len()];

/// The rank of elements in another namespace, which the XSD's closing `xsd:any ##other` puts
/// after every standard field.
const OTHER_RANK: u8 = u8::MAX;

/// The element a writer's field is for `event_type`: the role-shared lists go by the name the
/// type gives them (`EventType::epc_list_field`, `quantity_list_field`).
const fn element_of(field: BodyField, event_type: EventType) -> Field {
    use EventType as T;
    match (field, event_type) {
        (BodyField::EpcList, T::ObjectEvent | T::TransactionEvent) => Field::EpcList,
        (BodyField::EpcList, T::AggregationEvent | T::AssociationEvent) => Field::ChildEpcs,
        (BodyField::EpcList, T::TransformationEvent) => Field::InputEpcList,
        (BodyField::QuantityList, T::ObjectEvent | T::TransactionEvent) => Field::QuantityList,
        (BodyField::QuantityList, T::AggregationEvent | T::AssociationEvent) => {
            Field::ChildQuantityList
        }
        (BodyField::QuantityList, T::TransformationEvent) => Field::InputQuantityList,
        (BodyField::ParentId, _) => Field::ParentId,
        (BodyField::OutputEpcList, _) => Field::OutputEpcList,
        (BodyField::OutputQuantityList, _) => Field::OutputQuantityList,
        (BodyField::TransformationId, _) => Field::TransformationId,
        (BodyField::Action, _) => Field::Action,
        (BodyField::BizStep, _) => Field::BizStep,
        (BodyField::Disposition, _) => Field::Disposition,
        (BodyField::PersistentDisposition, _) => Field::PersistentDisposition,
        (BodyField::ReadPoint, _) => Field::ReadPoint,
        (BodyField::BizLocation, _) => Field::BizLocation,
        (BodyField::BizTransactionList, _) => Field::BizTransactionList,
        (BodyField::SourceList, _) => Field::SourceList,
        (BodyField::DestinationList, _) => Field::DestinationList,
        (BodyField::SensorElementList, _) => Field::SensorElementList,
        (BodyField::Ilmd, _) => Field::Ilmd,
    }
}

const fn ranks(event_type: EventType) -> Ranks {
    let mut ranks = [0; Field::ALL.len()];
    let mut rank = 0;
    let mut i = 0;
    while i < COMMON.len() {
        rank += 1;
        ranks[COMMON[i] as usize] = rank;
        i += 1;
    }
    let own = body_fields(event_type);
    let mut j = 0;
    while j < own.len() {
        rank += 1;
        ranks[element_of(own[j], event_type) as usize] = rank;
        j += 1;
    }
    ranks[Field::Extension as usize] = rank + 1;
    ranks
}

const OBJECT_EVENT_RANKS: Ranks = ranks(EventType::ObjectEvent);
const AGGREGATION_EVENT_RANKS: Ranks = ranks(EventType::AggregationEvent);
const TRANSACTION_EVENT_RANKS: Ranks = ranks(EventType::TransactionEvent);
const TRANSFORMATION_EVENT_RANKS: Ranks = ranks(EventType::TransformationEvent);
const ASSOCIATION_EVENT_RANKS: Ranks = ranks(EventType::AssociationEvent);

fn ranks_of(event_type: EventType) -> &'static Ranks {
    match event_type {
        EventType::ObjectEvent => &OBJECT_EVENT_RANKS,
        EventType::AggregationEvent => &AGGREGATION_EVENT_RANKS,
        EventType::TransactionEvent => &TRANSACTION_EVENT_RANKS,
        EventType::TransformationEvent => &TRANSFORMATION_EVENT_RANKS,
        EventType::AssociationEvent => &ASSOCIATION_EVENT_RANKS,
    }
}

/// The wrapper levels whose order is checked: the event's children (0) and a wrapper's (1).
const ORDER_NEST_MAX: usize = 1;

/// A child that came with a rank higher than every child before it at its level.
#[derive(Clone, Copy, Debug)]
struct Placed {
    rank: u8,
    name: &'static str,
    line: u64,
    column: u64,
    /// The last child of lower rank that came after this one, which this one must follow.
    after: Option<&'static str>,
}

const UNPLACED: Placed = Placed { rank: 0, name: "", line: 0, column: 0, after: None };

/// How many children can each raise the highest rank of a level: one per rank at most.
const PLACED_MAX: usize = Field::ALL.len() + 1;

/// The order check of one level of children (the event's, or a wrapper's). In order, each
/// child costs one comparison with the highest rank so far. A child of lower rank is out of
/// order with the children of higher rank before it; which one to blame is a guess, made to
/// point at the fewest moves:
/// - one child of higher rank came before it: that one came too early, and is reported when the
///   level ends, at its place, naming the last child it must follow (`action` first and
///   `epcList` last give "action must come after epcList" at `action`);
/// - more came before it: it came too late, and is reported at once, at its place, naming the
///   first of them.
#[derive(Debug)]
struct Order {
    // Invariant: ranks strictly increase along `placed[..len]`, so `len` stays within the
    // number of ranks, which `PLACED_MAX` bounds.
    placed: [Placed; PLACED_MAX],
    len: usize,
}

impl Default for Order {
    fn default() -> Order {
        Order { placed: [UNPLACED; PLACED_MAX], len: 0 }
    }
}

impl Order {
    /// Checks the child whose start tag was just read, of `rank` (0: not in the sequence).
    fn see<R: BufRead>(
        &mut self,
        pull: &mut Pull<'_, R>,
        event_type: EventType,
        rank: u8,
        name: &'static str,
    ) {
        if rank == 0 {
            return;
        }
        let placed = &mut self.placed[..self.len];
        let highest = placed.last().map_or(0, |p| p.rank);
        if rank > highest {
            debug_assert!(self.len < PLACED_MAX, "ranks increase and are fewer than PLACED_MAX");
            if let Some(slot) = self.placed.get_mut(self.len) {
                let (line, column) = (pull.start.line, pull.start.column);
                *slot = Placed { rank, name, line, column, after: None };
                self.len += 1;
            }
        } else if rank < highest {
            let Some(first) = placed.iter().position(|p| p.rank > rank) else {
                return;
            };
            if first + 1 == placed.len() {
                placed[first].after = Some(name);
            } else {
                let (event, earlier) = (event_type.name(), placed[first].name);
                let message = format!("{event}: {name} must come before {earlier} (XSD sequence)");
                let at = pull.start.at();
                pull.problem(at, "element_order", message);
            }
        }
    }

    /// Reports the children that came too early, in document order.
    fn finish<R: BufRead>(&mut self, pull: &mut Pull<'_, R>, event_type: EventType) {
        let event = event_type.name();
        for p in &self.placed[..self.len] {
            if let Some(after) = p.after {
                let at = Where::Line { line: p.line, column: p.column };
                let message = format!("{event}: {} must come after {after} (XSD sequence)", p.name);
                pull.problem(at, "element_order", message);
            }
        }
        self.len = 0;
    }
}

/// The event being read, and what it has shown so far, for the checks at its end.
#[derive(Debug)]
struct Seen {
    event_type: EventType,
    /// Whether the XSD gives the event a sequence to check (see `read_event`).
    check_order: bool,
    event_time: bool,
    time_zone_offset: bool,
    action: bool,
    /// The name and place of the role-shared lists, which must fit the event type.
    epc_list: Option<(&'static str, Where)>,
    quantity_list: Option<(&'static str, Where)>,
}

/// Reads the event whose start tag was just read, up to its end tag. `check_order` is false for
/// an event in an `xsd:any` of the XSD (EPCIS 1.2 puts the events it does not know, such as
/// AssociationEvent, in `EventList/extension/extension`), where no sequence applies.
pub(super) fn read_event<R: BufRead>(
    pull: &mut Pull<'_, R>,
    event_type: EventType,
    check_order: bool,
) -> Result<Event, ReadError> {
    let at = pull.start.at();
    let mut event = Event { event_type: Some(event_type), ..Event::default() };
    let mut seen = Seen {
        event_type,
        check_order,
        event_time: false,
        time_zone_offset: false,
        action: false,
        epc_list: None,
        quantity_list: None,
    };
    let mut order = Order::default();
    while pull.next_child()? {
        if let Some(extension) = read_field(pull, &mut event, &mut seen, &mut order, 0)? {
            event.extensions.push(extension);
        }
    }
    order.finish(pull, event_type);
    let name = event_type.name();
    if !seen.event_time {
        pull.problem(at.clone(), "required", format!("{name} needs eventTime"));
    }
    if !seen.time_zone_offset {
        pull.problem(at.clone(), "required", format!("{name} needs eventTimeZoneOffset"));
    }
    if !seen.action && event_type != EventType::TransformationEvent {
        pull.problem(at, "required", format!("{name} needs action"));
    }
    for (given, expected) in [
        (seen.epc_list, event_type.epc_list_field()),
        (seen.quantity_list, event_type.quantity_list_field()),
    ] {
        if let Some((field, here)) = given.filter(|(field, _)| *field != expected) {
            pull.problem(
                here,
                "unknown_field",
                format!("{name} has no field {field} (it uses {expected})"),
            );
        }
    }
    Ok(event)
}

/// Reads one child of the event (or of a wrapper inside it) into its field. Returns the
/// element when it is not a standard field, for the caller to keep as an extension. `order`
/// is the order check of the child's level, `nest` the number of wrappers around it.
fn read_field<R: BufRead>(
    pull: &mut Pull<'_, R>,
    event: &mut Event,
    seen: &mut Seen,
    order: &mut Order,
    nest: usize,
) -> Result<Option<Element>, ReadError> {
    let event_type = seen.event_type;
    let field = if pull.start.standard { Field::of(&pull.start.local) } else { None };
    let Some(field) = field else {
        // Only the event's own level ends with `xsd:any ##other`; inside 1.2 wrappers other
        // elements have no place at all, and inside 2.0 ones everything is `xsd:any`.
        if seen.check_order && nest == 0 {
            order.see(pull, event_type, OTHER_RANK, "user extension elements");
        }
        return pull.element().map(Some);
    };
    if seen.check_order && nest <= ORDER_NEST_MAX {
        order.see(pull, event_type, ranks_of(event_type)[field as usize], field.name());
    }
    // An element marked nil (`xsi:nil="true"`) stands for an absent field.
    if pull.nil()? {
        return Ok(None);
    }
    let here = pull.start.at();
    match field {
        Field::EventTime => {
            seen.event_time = true;
            event.event_time = pull.text()?;
        }
        Field::RecordTime => event.record_time = Some(pull.text()?),
        Field::EventTimeZoneOffset => {
            seen.time_zone_offset = true;
            event.event_time_zone_offset = pull.text()?;
        }
        Field::EventId => event.event_id = Some(pull.text()?),
        Field::CertificationInfo => event.certification_info.push(pull.text()?),
        Field::ErrorDeclaration => event.error_declaration = Some(error_declaration(pull)?),
        Field::ParentId => event.parent_id = Some(pull.text()?),
        Field::EpcList | Field::ChildEpcs | Field::InputEpcList => {
            shared_list(pull, &mut seen.epc_list, field.name(), here);
            event.epc_list = epc_list(pull)?;
        }
        Field::OutputEpcList => event.output_epc_list = epc_list(pull)?,
        Field::QuantityList | Field::ChildQuantityList | Field::InputQuantityList => {
            shared_list(pull, &mut seen.quantity_list, field.name(), here);
            event.quantity_list = quantity_list(pull)?;
        }
        Field::OutputQuantityList => event.output_quantity_list = quantity_list(pull)?,
        Field::TransformationId => event.transformation_id = Some(pull.text()?),
        Field::Action => {
            seen.action = true;
            let text = pull.text()?;
            match Action::parse(&text) {
                Some(action) => event.action = Some(action),
                None => pull.problem(
                    here,
                    "action",
                    format!("action must be ADD, OBSERVE or DELETE, found \"{text}\""),
                ),
            }
        }
        Field::BizStep => event.biz_step = Some(pull.text()?),
        Field::Disposition => event.disposition = Some(pull.text()?),
        Field::PersistentDisposition => {
            let disposition = event.persistent_disposition.get_or_insert_with(Default::default);
            persistent_disposition(pull, disposition)?;
        }
        Field::ReadPoint => event.read_point = Some(location(pull)?),
        Field::BizLocation => event.biz_location = Some(location(pull)?),
        Field::BizTransactionList => biz_transactions(pull, &mut event.biz_transaction_list)?,
        Field::SourceList => source_dests(pull, "source", &mut event.source_list)?,
        Field::DestinationList => source_dests(pull, "destination", &mut event.destination_list)?,
        Field::SensorElementList => sensor_elements(pull, &mut event.sensor_element_list)?,
        Field::Ilmd => {
            let ilmd = event.ilmd.get_or_insert_with(Vec::new);
            while pull.next_child()? {
                ilmd.push(pull.element()?);
            }
        }
        Field::Extension | Field::BaseExtension if nest < WRAPPER_NESTING_MAX => {
            let attributes = pull.start.model_attributes();
            let mut kept = Vec::new();
            let mut inner = Order::default();
            while pull.next_child()? {
                kept.extend(read_field(pull, event, seen, &mut inner, nest + 1)?);
            }
            inner.finish(pull, event_type);
            return Ok(wrapper_element(field.name(), attributes, kept));
        }
        Field::Extension | Field::BaseExtension => return pull.element().map(Some),
    }
    Ok(None)
}

/// What is kept of an `extension` wrapper once its standard fields are read: the other
/// children, under an element of the wrapper's name without namespace; nothing if none.
pub(super) fn wrapper_element(
    local: &str,
    attributes: Vec<(Name, String)>,
    kept: Vec<Element>,
) -> Option<Element> {
    if kept.is_empty() && attributes.is_empty() {
        return None;
    }
    let content = if kept.is_empty() { Content::Empty } else { Content::Children(kept) };
    Some(Element { name: Name::new("", local, ""), attributes, content })
}

/// Notes that the role-shared list `field` (of `epcList`, `childEPCs` and `inputEPCList`, or of
/// the quantity lists) was given at `at`, in `seen`; one given before is a conflict.
fn shared_list<R: BufRead>(
    pull: &mut Pull<'_, R>,
    seen: &mut Option<(&'static str, Where)>,
    field: &'static str,
    at: Where,
) {
    let Some((previous, _)) = seen.replace((field, at.clone())) else {
        return;
    };
    let message = if previous == field {
        format!("{field} is given twice; the last one is kept")
    } else {
        format!("both {previous} and {field} are given; the last one is kept")
    };
    pull.problem(at, "field_conflict", message);
}

/// Skips a child that the standard does not allow here.
fn unknown<R: BufRead>(pull: &mut Pull<'_, R>, container: &str) -> Result<(), ReadError> {
    let message = format!("{container} has no field {}; it is not kept", pull.start.tag());
    let at = pull.start.at();
    pull.problem(at, "unknown_field", message);
    pull.skip()
}

fn is<R>(pull: &Pull<'_, R>, local: &str) -> bool {
    pull.start.standard && pull.start.local == local
}

fn epc_list<R: BufRead>(pull: &mut Pull<'_, R>) -> Result<Vec<String>, ReadError> {
    let mut epcs = Vec::new();
    texts(pull, "epc", "an EPC list", &mut epcs)?;
    Ok(epcs)
}

/// Reads the text of each `child` of the element just started (`container` in problems) into
/// `list`.
fn texts<R: BufRead>(
    pull: &mut Pull<'_, R>,
    child: &str,
    container: &str,
    list: &mut Vec<String>,
) -> Result<(), ReadError> {
    while pull.next_child()? {
        if is(pull, child) {
            list.push(pull.text()?);
        } else {
            unknown(pull, container)?;
        }
    }
    Ok(())
}

fn quantity_list<R: BufRead>(pull: &mut Pull<'_, R>) -> Result<Vec<QuantityElement>, ReadError> {
    let mut list = Vec::new();
    while pull.next_child()? {
        if !is(pull, "quantityElement") {
            unknown(pull, "a quantity list")?;
            continue;
        }
        let at = pull.start.at();
        let mut element = QuantityElement::default();
        let mut has_class = false;
        while pull.next_child()? {
            if is(pull, "epcClass") {
                has_class = true;
                element.epc_class = pull.text()?;
            } else if is(pull, "quantity") {
                // The XSD makes quantity nillable: `<quantity xsi:nil="true"/>` is no quantity.
                if !pull.nil()? {
                    element.quantity = Some(pull.text()?);
                }
            } else if is(pull, "uom") {
                if !pull.nil()? {
                    element.uom = Some(pull.text()?);
                }
            } else {
                unknown(pull, "quantityElement")?;
            }
        }
        if !has_class {
            pull.problem(at, "required", "quantityElement needs epcClass");
        }
        list.push(element);
    }
    Ok(list)
}

fn persistent_disposition<R: BufRead>(
    pull: &mut Pull<'_, R>,
    disposition: &mut PersistentDisposition,
) -> Result<(), ReadError> {
    while pull.next_child()? {
        if is(pull, "set") {
            disposition.set.push(pull.text()?);
        } else if is(pull, "unset") {
            disposition.unset.push(pull.text()?);
        } else {
            unknown(pull, "persistentDisposition")?;
        }
    }
    Ok(())
}

/// `readPoint` or `bizLocation`: the id, and every other child as an extension (a 1.2
/// `<extension>` wrapper included: nothing inside it is standard).
fn location<R: BufRead>(pull: &mut Pull<'_, R>) -> Result<Location, ReadError> {
    let at = pull.start.at();
    let mut location = Location::default();
    let mut has_id = false;
    while pull.next_child()? {
        if is(pull, "id") {
            has_id = true;
            location.id = pull.text()?;
        } else {
            location.extensions.push(pull.element()?);
        }
    }
    if !has_id {
        pull.problem(at, "required", "a location needs an id");
    }
    Ok(location)
}

fn biz_transactions<R: BufRead>(
    pull: &mut Pull<'_, R>,
    list: &mut Vec<BizTransaction>,
) -> Result<(), ReadError> {
    while pull.next_child()? {
        if is(pull, "bizTransaction") {
            let type_ = pull.start.attribute("type").map(|t| trim(t).to_owned());
            list.push(BizTransaction { type_, value: pull.text()? });
        } else {
            unknown(pull, "bizTransactionList")?;
        }
    }
    Ok(())
}

fn source_dests<R: BufRead>(
    pull: &mut Pull<'_, R>,
    kind: &str,
    list: &mut Vec<SourceDest>,
) -> Result<(), ReadError> {
    while pull.next_child()? {
        if !is(pull, kind) {
            unknown(pull, if kind == "source" { "sourceList" } else { "destinationList" })?;
            continue;
        }
        let type_ = match pull.start.attribute("type") {
            Some(t) => trim(t).to_owned(),
            None => {
                let at = pull.start.at();
                pull.problem(at, "required", format!("{kind} needs a type attribute"));
                String::new()
            }
        };
        list.push(SourceDest { type_, value: pull.text()? });
    }
    Ok(())
}

fn sensor_elements<R: BufRead>(
    pull: &mut Pull<'_, R>,
    list: &mut Vec<SensorElement>,
) -> Result<(), ReadError> {
    while pull.next_child()? {
        if !is(pull, "sensorElement") {
            unknown(pull, "sensorElementList")?;
            continue;
        }
        let mut element = SensorElement::default();
        while pull.next_child()? {
            if is(pull, "sensorMetadata") {
                let mut metadata = SensorMetadata::default();
                sensor_attributes(
                    pull,
                    SensorMetadata::slot,
                    &mut metadata.fields,
                    &mut metadata.extensions,
                )?;
                element.sensor_metadata = Some(metadata);
            } else if is(pull, "sensorReport") {
                let mut report = SensorReport::default();
                sensor_attributes(
                    pull,
                    SensorReport::slot,
                    &mut report.fields,
                    &mut report.extensions,
                )?;
                element.sensor_report.push(report);
            } else {
                element.extensions.push(pull.element()?);
            }
        }
        list.push(element);
    }
    Ok(())
}

/// Reads `sensorMetadata` or `sensorReport`: standard attributes go to their slots, attributes
/// in other namespaces and any child elements are extensions.
fn sensor_attributes<R: BufRead>(
    pull: &mut Pull<'_, R>,
    slot: fn(&str) -> Option<usize>,
    fields: &mut [Option<String>],
    extensions: &mut Vec<Element>,
) -> Result<(), ReadError> {
    let at = pull.start.at();
    for attr in pull.start.attributes() {
        if attr.is_declaration {
            continue;
        }
        if !attr.namespace.is_empty() {
            extensions.push(Element {
                name: Name::new(&attr.namespace, &attr.local, &attr.prefix),
                attributes: Vec::new(),
                content: Content::Text(attr.value.clone()),
            });
            continue;
        }
        match slot(&attr.local) {
            Some(i) => fields[i] = Some(trim(&attr.value).to_owned()),
            None => pull.problems.push(crate::problem::Problem::new(
                at.clone(),
                "unknown_field",
                format!("no standard sensor attribute is called {}; it is not kept", attr.local),
            )),
        }
    }
    while pull.next_child()? {
        extensions.push(pull.element()?);
    }
    Ok(())
}

fn error_declaration<R: BufRead>(pull: &mut Pull<'_, R>) -> Result<ErrorDeclaration, ReadError> {
    let at = pull.start.at();
    let mut declaration = ErrorDeclaration::default();
    let mut has_time = false;
    while pull.next_child()? {
        if is(pull, "declarationTime") {
            has_time = true;
            declaration.declaration_time = pull.text()?;
        } else if is(pull, "reason") {
            if !pull.nil()? {
                declaration.reason = Some(pull.text()?);
            }
        } else if is(pull, "correctiveEventIDs") {
            if !pull.nil()? {
                let ids = &mut declaration.corrective_event_ids;
                texts(pull, "correctiveEventID", "correctiveEventIDs", ids)?;
            }
        } else {
            declaration.extensions.push(pull.element()?);
        }
    }
    if !has_time {
        pull.problem(at, "required", "errorDeclaration needs declarationTime");
    }
    Ok(declaration)
}
