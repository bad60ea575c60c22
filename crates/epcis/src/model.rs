//! The EPCIS 2.0 event and document model, shared by every codec, the validator and the hash.
//!
//! One `Event` struct serves all five event types: the standard gives them the same fields under
//! different names (`epcList`, `childEPCs`, `inputEPCList`), so the model stores each list once,
//! by role, and `EventType` names the field per type. Values are kept as given (an EPC URN stays
//! a URN, a Digital Link stays a Digital Link, a CBV short name stays short); `crate::cbv` and
//! `crate::hash` compute canonical forms when they are needed. Timestamps and numbers are kept
//! as their text, so conversion between formats never rounds them.

/// The five EPCIS event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    ObjectEvent,
    AggregationEvent,
    TransactionEvent,
    TransformationEvent,
    AssociationEvent,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::ObjectEvent,
        EventType::AggregationEvent,
        EventType::TransactionEvent,
        EventType::TransformationEvent,
        EventType::AssociationEvent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventType::ObjectEvent => "ObjectEvent",
            EventType::AggregationEvent => "AggregationEvent",
            EventType::TransactionEvent => "TransactionEvent",
            EventType::TransformationEvent => "TransformationEvent",
            EventType::AssociationEvent => "AssociationEvent",
        }
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The field that holds `Event::epc_list` for this type.
    pub fn epc_list_field(self) -> &'static str {
        match self {
            EventType::ObjectEvent | EventType::TransactionEvent => "epcList",
            EventType::AggregationEvent | EventType::AssociationEvent => "childEPCs",
            EventType::TransformationEvent => "inputEPCList",
        }
    }

    /// The field that holds `Event::quantity_list` for this type.
    pub fn quantity_list_field(self) -> &'static str {
        match self {
            EventType::ObjectEvent | EventType::TransactionEvent => "quantityList",
            EventType::AggregationEvent | EventType::AssociationEvent => "childQuantityList",
            EventType::TransformationEvent => "inputQuantityList",
        }
    }
}

/// `action`: how the event changes the objects' relationship to the parent or the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Add,
    Observe,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "ADD" => Some(Action::Add),
            "OBSERVE" => Some(Action::Observe),
            "DELETE" => Some(Action::Delete),
            _ => None,
        }
    }
}

/// An EPCIS event of any type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// `None` only while a reader is filling the event in; every complete event has a type.
    pub event_type: Option<EventType>,
    pub event_time: String,
    pub event_time_zone_offset: String,
    pub record_time: Option<String>,
    pub event_id: Option<String>,
    pub certification_info: Vec<String>,
    pub error_declaration: Option<ErrorDeclaration>,
    /// `parentID` (Aggregation, Transaction, Association).
    pub parent_id: Option<String>,
    /// `epcList`, `childEPCs` or `inputEPCList`, by type (see `EventType::epc_list_field`).
    pub epc_list: Vec<String>,
    /// `quantityList`, `childQuantityList` or `inputQuantityList`, by type.
    pub quantity_list: Vec<QuantityElement>,
    pub output_epc_list: Vec<String>,
    pub output_quantity_list: Vec<QuantityElement>,
    pub transformation_id: Option<String>,
    pub action: Option<Action>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub persistent_disposition: Option<PersistentDisposition>,
    pub read_point: Option<Location>,
    pub biz_location: Option<Location>,
    pub biz_transaction_list: Vec<BizTransaction>,
    pub source_list: Vec<SourceDest>,
    pub destination_list: Vec<SourceDest>,
    pub sensor_element_list: Vec<SensorElement>,
    /// Instance/lot master data; `Some(vec![])` is an empty `ilmd` element.
    pub ilmd: Option<Vec<Element>>,
    /// User extensions at event level, in document order.
    pub extensions: Vec<Element>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorDeclaration {
    pub declaration_time: String,
    pub reason: Option<String>,
    pub corrective_event_ids: Vec<String>,
    pub extensions: Vec<Element>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuantityElement {
    pub epc_class: String,
    /// The decimal as written; `None` when absent (the standard allows it).
    pub quantity: Option<String>,
    pub uom: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersistentDisposition {
    pub set: Vec<String>,
    pub unset: Vec<String>,
}

/// `readPoint` or `bizLocation`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Location {
    pub id: String,
    pub extensions: Vec<Element>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BizTransaction {
    pub type_: Option<String>,
    pub value: String,
}

/// A `source` or `destination`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceDest {
    pub type_: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SensorElement {
    pub sensor_metadata: Option<SensorMetadata>,
    pub sensor_report: Vec<SensorReport>,
    pub extensions: Vec<Element>,
}

/// The standard attributes of `sensorMetadata`, in the event hash's canonical order.
pub const SENSOR_METADATA_FIELDS: [&str; 8] = [
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
];

/// The standard attributes of `sensorReport`, in the event hash's canonical order.
/// `bizRules` is not in the hash's list (the reference omits it); it comes last here so the
/// hash can stop before it. See BENCHMARKS.md / the hash notes.
pub const SENSOR_REPORT_FIELDS: [&str; 24] = [
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
    "bizRules",
];

/// Attributes given as fixed slots indexed like `SENSOR_METADATA_FIELDS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SensorMetadata {
    pub fields: [Option<String>; 8],
    pub extensions: Vec<Element>,
}

/// Attributes given as fixed slots indexed like `SENSOR_REPORT_FIELDS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SensorReport {
    pub fields: [Option<String>; 24],
    pub extensions: Vec<Element>,
}

macro_rules! slot_accessors {
    ($ty:ty, $table:ident) => {
        impl $ty {
            pub fn slot(name: &str) -> Option<usize> {
                $table.iter().position(|f| *f == name)
            }

            pub fn get(&self, name: &str) -> Option<&str> {
                Self::slot(name).and_then(|i| self.fields[i].as_deref())
            }

            /// The fields that are present, in canonical order.
            pub fn present(&self) -> impl Iterator<Item = (&'static str, &str)> {
                $table.iter().zip(&self.fields).filter_map(|(n, v)| Some((*n, v.as_deref()?)))
            }
        }
    };
}
slot_accessors!(SensorMetadata, SENSOR_METADATA_FIELDS);
slot_accessors!(SensorReport, SENSOR_REPORT_FIELDS);

/// An expanded XML-style name: namespace URI plus local name, and the prefix it was written
/// with (kept so that writers can reuse the author's prefixes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    pub namespace: String,
    pub local: String,
    pub prefix: String,
}

impl Name {
    pub fn new(namespace: &str, local: &str, prefix: &str) -> Name {
        Name { namespace: namespace.to_owned(), local: local.to_owned(), prefix: prefix.to_owned() }
    }
}

/// A user extension element: kept losslessly, in order, with its namespace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    pub name: Name,
    pub attributes: Vec<(Name, String)>,
    pub content: Content,
}

/// What an extension element holds. XML gives only text; JSON adds numbers and booleans,
/// which are kept so that JSON round-trips exactly.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Content {
    #[default]
    Empty,
    Text(String),
    Number(String),
    Bool(bool),
    Children(Vec<Element>),
}

impl Content {
    /// The scalar's text, if this is a scalar.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Content::Text(s) | Content::Number(s) => Some(std::borrow::Cow::Borrowed(s)),
            Content::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b { "true" } else { "false" })),
            Content::Empty | Content::Children(_) => None,
        }
    }
}

/// Which document wrapper the events came in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocumentKind {
    #[default]
    EpcisDocument,
    EpcisQueryDocument,
}

/// Everything in a document except its events: read before the events stream, written before
/// them. For documents whose header follows the body, readers fill it in at the end.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub kind: DocumentKind,
    pub schema_version: Option<String>,
    pub creation_date: Option<String>,
    /// JSON-LD document `id`.
    pub id: Option<String>,
    /// Namespace prefixes in use (`@context` objects or `xmlns:` declarations), in order.
    pub namespaces: Vec<(String, String)>,
    /// The Standard Business Document Header, kept as a tree.
    pub sbdh: Option<Element>,
    pub master_data: Vec<Vocabulary>,
    /// EPCISQueryDocument: `subscriptionID` and `queryName`.
    pub subscription_id: Option<String>,
    pub query_name: Option<String>,
    /// Header or document-level extensions.
    pub extensions: Vec<Element>,
}

/// One `Vocabulary` of `EPCISMasterData` (EPCClass, Location, PartyID, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vocabulary {
    pub type_: String,
    pub elements: Vec<VocabularyElement>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VocabularyElement {
    pub id: String,
    pub attributes: Vec<VocabularyAttribute>,
    pub children: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VocabularyAttribute {
    pub id: String,
    pub value: Content,
}

/// A whole document in memory; streaming readers hand out the header and events one by one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub header: Header,
    pub events: Vec<Event>,
}
