//! The EPCIS 2.0 simple event query (`SimpleEventQuery`, EPCIS 2.0 section 8.2.7.1) as the GS1
//! REST binding passes it in a URL query string: `EventQuery::parse` reads the parameters once,
//! `EventQuery::matches` tests one event against them.
//!
//! Pure: no IO, no clock. Parsing does the expensive work up front (canonical identifiers, CBV
//! names, resolved extension namespaces, times and numbers), because a store calls `matches` for
//! every event it scans. Matching allocates nothing for EPC URIs (canonicalised into a reused
//! per-thread buffer) nor for Digital Links of SGTINs, SSCCs and GLNs already in canonical form
//! (the form events usually carry); other Digital Links go through the gs1 crate's general
//! reader, which allocates, and so does an EPC pattern of another scheme tested against one.
//!
//! How values compare:
//! - Identifiers compare canonically (`crate::canonical_id`): an EPC URI and any GS1 Digital Link
//!   of the same object are the same identifier (MATCH_, EQ_readPoint, EQ_bizLocation,
//!   EQ_transformationID, source, destination, business transaction, sensor device values).
//! - EPC pattern URIs (`urn:epc:idpat:<scheme>:<fields>`, wildcards `*` only at the end, as the Tag
//!   Data Standard writes them) match EPC URIs of the scheme field by field. A Digital Link has no
//!   company prefix length, so it is converted to an EPC URI with the pattern's: the match is then
//!   on the key's digits. Class patterns of the SGTIN scheme match trade item classes (LGTIN URIs,
//!   GTIN patterns, Digital Links with or without a lot) by GTIN; class patterns of other schemes
//!   match only classes written as patterns of that scheme.
//! - CBV values compare in any of their spellings (bare, URN, Web URI; `crate::cbv`).
//! - Extension fields compare as numbers when both sides read as numbers, as instants when both
//!   read as timestamps, and as strings otherwise (the repository keeps no field types).
//! - Sensor measurements (`GE_value_CEL`) convert between the units of one dimension in `UNITS`;
//!   a report in a unit outside that table compares only with the same unit code.
//! - Master data parameters (WD_readPoint, WD_bizLocation, HASATTR_ and EQ_ATTR_ of readPoint,
//!   bizLocation and epcClass) need the repository's master data, which this pure module does
//!   not have: `EventQuery::master_data_needed` says which, and the caller passes the elements
//!   to `EventQuery::resolve_master_data`, which turns each such parameter into the set of
//!   element ids it selects. Unresolved, WD_ finds the given locations only (as EQ_ does) and
//!   HASATTR_ / EQ_ATTR_ find nothing (no element has master data). Location vocabulary types
//!   (BusinessLocation, ReadPoint and the US pharma Location) are one namespace: a site
//!   described once serves as either field. Attribute names compare as given or with a
//!   standard or declared prefix expanded (`cbvmda:name` is `urn:epcglobal:cbv:mda:name`);
//!   EQ_ATTR_ values compare with an attribute's scalar text. Descendants follow `children`
//!   transitively (cycles are harmless).

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

use serialhub_gs1::epc::{EpcScheme, GCP_LEN_MAX, GCP_LEN_MIN, format_epc_uri};

use crate::cbv::{self, Term, Vocab};
use crate::model::{
    Action, Content, Element, Event, EventType, Name, SensorElement, SensorMetadata, SensorReport,
    VocabularyElement,
};
use crate::time::Timestamp;

/// The most values one parameter may list (`a|b|c`): a bound on the work one query asks of
/// every scanned event, and on what parsing it holds in memory.
pub const VALUES_MAX: usize = 10_000;

/// A parsed simple event query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventQuery {
    /// One test per parameter (and per visibility restriction), cheapest first; an event
    /// matches when every test holds.
    filters: Vec<Filter>,
    order: Option<(OrderBy, Direction)>,
    event_count_limit: Option<usize>,
    max_event_count: Option<usize>,
    indexed_epcs: Option<Vec<String>>,
    event_ids: Option<Vec<String>>,
}

/// A parameter the query cannot accept: which one and why (the server answers it as
/// `epcisException:QueryParameterException`, 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub param: String,
    pub message: String,
}

impl QueryError {
    fn new(param: &str, message: impl Into<String>) -> QueryError {
        QueryError { param: param.to_owned(), message: message.into() }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

impl std::error::Error for QueryError {}

/// What `orderBy` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderBy {
    EventTime,
    RecordTime,
    /// A top-level extension field, its namespace resolved through `GS1-Extensions`.
    Field(Name),
}

/// `orderDirection`; the standard's default is `Descending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// The value an event sorts by under an `OrderBy`. Keys of different kinds order by kind
/// (instants, then numbers, then strings): the standard expects one field to hold one type,
/// and this keeps a mixed result in a stable order rather than an arbitrary one.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub enum OrderKey<'e> {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    Time(i64),
    Number(f64),
    /// Compared by code points, as the standard asks for String fields.
    Text(&'e str),
}

impl OrderBy {
    /// The key `event` sorts by, or `None` when the event lacks the field (the standard lets
    /// such events go anywhere in the result).
    pub fn key<'e>(&self, event: &'e Event) -> Option<OrderKey<'e>> {
        match self {
            OrderBy::EventTime => {
                Timestamp::parse(&event.event_time).map(|t| OrderKey::Time(t.unix_millis))
            }
            OrderBy::RecordTime => Timestamp::parse(event.record_time.as_deref()?)
                .map(|t| OrderKey::Time(t.unix_millis)),
            OrderBy::Field(name) => {
                let element = event.extensions.iter().find(|element| {
                    names_field(&element.name, &name.prefix, &name.local, Some(&name.namespace))
                })?;
                let text = scalar(&element.content)?;
                Some(if let Some(n) = parse_number(text) {
                    OrderKey::Number(n)
                } else if let Some(t) = Timestamp::parse(text) {
                    OrderKey::Time(t.unix_millis)
                } else {
                    OrderKey::Text(text)
                })
            }
        }
    }
}

impl EventQuery {
    /// `params`: the URL query pairs, already percent-decoded, in order. The caller removes
    /// `perPage` and `nextPageToken` (REST paging) before calling. `extensions`: prefix ->
    /// namespace declared by the request's `GS1-Extensions` header (e.g. `("example",
    /// "https://ns.example.com/epcis/")`), used to resolve `prefix:local` extension field names in
    /// EQ_/GT_/.../EXISTS_/orderBy parameters.
    pub fn parse<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        extensions: &[(String, String)],
    ) -> Result<EventQuery, QueryError> {
        let namespaces = Namespaces(extensions);
        let mut query = EventQuery::default();
        let mut seen: HashSet<&'a str> = HashSet::new();
        let mut order_by: Option<OrderBy> = None;
        let mut direction: Option<Direction> = None;
        for (name, value) in params {
            // The query schema and the REST binding spell these two ways; either is one parameter.
            let key = match name {
                "GE_errorDeclaration_Time" => "GE_errorDeclarationTime",
                "LT_errorDeclaration_Time" => "LT_errorDeclarationTime",
                "EXISTS_sensorElement" => "EXISTS_sensorElementList",
                other => other,
            };
            if !seen.insert(key) {
                return Err(QueryError::new(
                    name,
                    "is given more than once (list several values in one parameter, separated by |)",
                ));
            }
            let param = Param { name, value };
            match key {
                "orderBy" => order_by = Some(parse_order_by(&param, &namespaces)?),
                "orderDirection" => {
                    direction = Some(match value {
                        "ASC" => Direction::Ascending,
                        "DESC" => Direction::Descending,
                        _ => return Err(param.error("must be ASC or DESC")),
                    })
                }
                "eventCountLimit" => query.event_count_limit = Some(param.positive()?),
                "maxEventCount" => query.max_event_count = Some(param.positive()?),
                _ => {
                    if let Some(filter) = parse_filter(key, &param, &namespaces)? {
                        query.filters.push(filter);
                    }
                }
            }
        }
        if query.event_count_limit.is_some() && query.max_event_count.is_some() {
            return Err(QueryError::new(
                "eventCountLimit",
                "cannot be combined with maxEventCount (the standard makes them exclusive)",
            ));
        }
        if query.event_count_limit.is_some() && order_by.is_none() {
            return Err(QueryError::new(
                "eventCountLimit",
                "needs orderBy, which says which events come first",
            ));
        }
        // orderDirection alone orders nothing: the standard applies it only with orderBy.
        query.order = order_by.map(|by| (by, direction.unwrap_or(Direction::Descending)));
        query.filters.sort_by_key(Filter::cost);
        query.indexed_epcs = query.choose_indexed_epcs();
        query.event_ids = query.filters.iter().find_map(|f| match f {
            Filter::EventId(ids) => Some(ids.given.clone()),
            _ => None,
        });
        Ok(query)
    }

    /// Whether `event` satisfies every parameter (AND across parameters, OR across the
    /// pipe-separated values of one). recordTime is `event.record_time`.
    pub fn matches(&self, event: &Event) -> bool {
        self.filters.iter().all(|filter| filter.holds(event))
    }

    /// The order asked for; the direction defaults to `Descending` when only orderBy is given.
    pub fn order(&self) -> Option<(&OrderBy, Direction)> {
        self.order.as_ref().map(|(by, direction)| (by, *direction))
    }

    /// `eventCountLimit`: keep only the first N events in `order()`.
    pub fn event_count_limit(&self) -> Option<usize> {
        self.event_count_limit
    }

    /// `maxEventCount`: more matching events than this is a `QueryTooLargeException`.
    pub fn max_event_count(&self) -> Option<usize> {
        self.max_event_count
    }

    /// Exact identifiers (no patterns) of which every matching event must name one through
    /// MATCH_epc / MATCH_parentID / MATCH_inputEPC / MATCH_outputEPC / MATCH_anyEPC: when `Some`,
    /// a store can take candidates from its per-identifier history index instead of scanning.
    /// Of several such parameters, the one with the fewest values is given (each alone is a
    /// sufficient candidate set, since parameters combine with AND); a parameter that lists a
    /// pattern cannot be given. `None` when no parameter qualifies. The values are as given: the
    /// caller canonicalises them with `crate::canonical_id`.
    pub fn indexed_epcs(&self) -> Option<&[String]> {
        self.indexed_epcs.as_deref()
    }

    /// The EQ_eventID values, if given (the caller can look them up directly).
    pub fn event_ids(&self) -> Option<&[String]> {
        self.event_ids.as_deref()
    }

    /// Adds a visibility restriction the server applies per caller: only events naming one of
    /// `parties` as a source, destination, readPoint or bizLocation. GLN-based identifiers (SGLN
    /// and PGLN EPC URIs, Digital Links with (414) or (417), bare 13-digit GLNs) compare by GLN,
    /// so an SGLN of any extension names its GLN's party; other values compare canonically.
    /// Each call adds one more restriction; an empty `parties` lets no event through.
    pub fn restrict_to_parties(&mut self, parties: Vec<String>) {
        let mut glns = Vec::new();
        let mut others = Vec::new();
        for party in &parties {
            match gln_of(party) {
                Some(gln) => glns.push(gln),
                None => others.push(party.as_str()),
            }
        }
        glns.sort_unstable();
        glns.dedup();
        self.filters.push(Filter::Parties { glns, others: IdSet::new(&others) });
    }

    /// The kinds of master data this query's master data parameters need (none, one or
    /// both), for `resolve_master_data`.
    pub fn master_data_needed(&self) -> Vec<MasterDataKind> {
        let mut kinds: Vec<MasterDataKind> = self
            .filters
            .iter()
            .filter_map(|f| match f {
                Filter::Master(m) => Some(m.field.kind()),
                _ => None,
            })
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// Resolves the master data parameters of `kind` against `elements` (every stored
    /// element of that kind's vocabulary types; see the module comment).
    pub fn resolve_master_data(&mut self, kind: MasterDataKind, elements: &[&VocabularyElement]) {
        for filter in &mut self.filters {
            if let Filter::Master(m) = filter
                && m.field.kind() == kind
            {
                m.resolve(elements);
            }
        }
    }

    fn choose_indexed_epcs(&self) -> Option<Vec<String>> {
        self.filters
            .iter()
            .filter_map(|f| match f {
                Filter::Epc { matcher, .. } if matcher.patterns.is_empty() => Some(&matcher.given),
                _ => None,
            })
            .min_by_key(|given| given.len())
            .cloned()
    }
}

// -------------------------------------------------------------------------------------------
// Parsing

/// One query pair, for reading its value and naming it in errors.
struct Param<'a> {
    name: &'a str,
    value: &'a str,
}

impl<'a> Param<'a> {
    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError::new(self.name, message)
    }

    /// The pipe-separated values (`style: pipeDelimited`).
    fn list(&self) -> Result<Vec<&'a str>, QueryError> {
        if self.value.is_empty() {
            return Err(self.error("needs a value"));
        }
        let values: Vec<&str> = self.value.split('|').collect();
        if values.iter().any(|v| v.is_empty()) {
            return Err(self.error("has an empty value in its |-separated list"));
        }
        if values.len() > VALUES_MAX {
            return Err(self.error(format!("lists more than {VALUES_MAX} values")));
        }
        Ok(values)
    }

    fn single(&self) -> Result<&'a str, QueryError> {
        if self.value.is_empty() {
            return Err(self.error("needs a value"));
        }
        Ok(self.value)
    }

    /// An RFC 3339 date-time with its offset, as milliseconds since the epoch.
    fn time(&self) -> Result<i64, QueryError> {
        let value = self.single()?;
        // Form decoding turns an unescaped `+` into a space; in the offset's place a space can
        // only be that `+`.
        let fixed;
        let text = match value.len().checked_sub(6) {
            Some(at) if value.as_bytes()[at] == b' ' => {
                fixed = format!("{}+{}", &value[..at], &value[at + 1..]);
                fixed.as_str()
            }
            _ => value,
        };
        match Timestamp::parse(text) {
            Some(t) if t.has_offset => Ok(t.unix_millis),
            _ => Err(self.error(format!(
                "\"{value}\" is not an RFC 3339 date-time with a time zone (2024-01-31T09:00:00Z)"
            ))),
        }
    }

    fn number(&self) -> Result<f64, QueryError> {
        let value = self.single()?;
        parse_number(value).ok_or_else(|| self.error(format!("\"{value}\" is not a number")))
    }

    fn numbers(&self) -> Result<Vec<f64>, QueryError> {
        self.list()?
            .into_iter()
            .map(|v| parse_number(v).ok_or_else(|| self.error(format!("\"{v}\" is not a number"))))
            .collect()
    }

    fn positive(&self) -> Result<usize, QueryError> {
        let value = self.single()?;
        match value.parse::<usize>() {
            Ok(n) if n > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(self.error(format!("\"{value}\" is not a positive integer"))),
        }
    }

    /// An EXISTS_ parameter: the SOAP binding gives it no value, the REST binding a boolean.
    fn flag(&self) -> Result<bool, QueryError> {
        match self.value {
            "" | "true" => Ok(true),
            "false" => Ok(false),
            other => Err(self.error(format!("\"{other}\" is not true or false"))),
        }
    }
}

/// The `GS1-Extensions` prefixes of the request.
struct Namespaces<'a>(&'a [(String, String)]);

impl Namespaces<'_> {
    /// `prefix:local` with a declared or standard prefix expanded; anything else as it is.
    fn expand(&self, name: &str) -> String {
        expand_standard(name, Some(self))
    }

    /// The request's declaration first, then the prefixes of the standard EPCIS context.
    fn resolve(&self, prefix: &str) -> Option<String> {
        if let Some((_, namespace)) = self.0.iter().find(|(p, _)| p == prefix) {
            return Some(namespace.clone());
        }
        crate::context::STANDARD_PREFIXES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|(_, namespace)| (*namespace).to_owned())
    }
}

fn parse_order_by(param: &Param<'_>, namespaces: &Namespaces<'_>) -> Result<OrderBy, QueryError> {
    match param.single()? {
        "eventTime" => Ok(OrderBy::EventTime),
        "recordTime" => Ok(OrderBy::RecordTime),
        other => {
            let Some(field) = FieldName::parse(other, namespaces) else {
                return Err(param.error(format!(
                    "\"{other}\" is neither eventTime, recordTime nor an extension field prefix:name"
                )));
            };
            let Some(namespace) = field.namespace else {
                return Err(param.error(format!(
                    "the prefix of \"{other}\" is not declared in the GS1-Extensions header"
                )));
            };
            Ok(OrderBy::Field(Name::new(&namespace, &field.local, &field.prefix)))
        }
    }
}

/// The test for one parameter; `None` when the parameter restricts nothing (`EXISTS_x=false`).
fn parse_filter(
    key: &str,
    param: &Param<'_>,
    namespaces: &Namespaces<'_>,
) -> Result<Option<Filter>, QueryError> {
    let time = |field: TimeField, op: Op| -> Result<Filter, QueryError> {
        Ok(Filter::Time { field, op, at: param.time()? })
    };
    let vocab = |field: VocabField, vocab: Vocab| -> Result<Filter, QueryError> {
        Ok(Filter::Vocab {
            field,
            values: VocabValues::parse(param, vocab, &param.list()?, namespaces)?,
        })
    };
    let epc = |field: EpcField| -> Result<Filter, QueryError> {
        Ok(Filter::Epc { field, matcher: IdMatcher::parse(param)? })
    };
    let class = |field: ClassField| -> Result<Filter, QueryError> {
        Ok(Filter::Class { field, matcher: IdMatcher::parse(param)? })
    };
    let quantity = |op: Op| -> Result<Filter, QueryError> {
        Ok(Filter::Quantity { op, values: vec![param.number()?], unit: None })
    };
    let sensor_time = |name: &str, op: Op| -> Result<Filter, QueryError> {
        Ok(Filter::SensorTime {
            metadata_slot: SensorMetadata::slot(name),
            report_slot: SensorReport::slot(name),
            op,
            at: param.time()?,
        })
    };
    let sensor_text = |name: &str, values: SensorValues| -> Result<Filter, QueryError> {
        Ok(Filter::SensorText {
            metadata_slot: SensorMetadata::slot(name),
            report_slot: SensorReport::slot(name),
            values,
        })
    };
    let perc_rank = |op: Op| -> Result<Filter, QueryError> {
        Ok(Filter::SensorNumber {
            slot: report_slot("percRank"),
            uom_slot: report_slot("uom"),
            op,
            values: vec![param.number()?],
            unit: None,
            difference: false,
        })
    };
    let filter = match key {
        "eventType" => Filter::EventType(event_types(param)?),
        "GE_eventTime" => time(TimeField::Event, Op::Ge)?,
        "LT_eventTime" => time(TimeField::Event, Op::Lt)?,
        "GE_recordTime" => time(TimeField::Record, Op::Ge)?,
        "LT_recordTime" => time(TimeField::Record, Op::Lt)?,
        "EQ_action" => Filter::Action(actions(param)?),
        "EQ_bizStep" => vocab(VocabField::BizStep, Vocab::BizStep)?,
        "EQ_disposition" => vocab(VocabField::Disposition, Vocab::Disposition)?,
        "EQ_persistentDisposition_set" => vocab(VocabField::PersistentSet, Vocab::Disposition)?,
        "EQ_persistentDisposition_unset" => vocab(VocabField::PersistentUnset, Vocab::Disposition)?,
        "EQ_readPoint" => {
            Filter::Location { field: LocationField::ReadPoint, ids: IdSet::new(&param.list()?) }
        }
        "EQ_bizLocation" => {
            Filter::Location { field: LocationField::BizLocation, ids: IdSet::new(&param.list()?) }
        }
        "WD_readPoint" | "WD_bizLocation" => {
            let field = if key == "WD_readPoint" {
                MasterField::ReadPoint
            } else {
                MasterField::BizLocation
            };
            let given: Vec<String> = param.list()?.iter().map(|v| (*v).to_owned()).collect();
            let ids = IdSet::new(&param.list()?);
            Filter::Master(MasterFilter { field, test: MasterTest::WithDescendants(given), ids })
        }
        "EQ_transformationID" => Filter::TransformationId(IdSet::new(&param.list()?)),
        "MATCH_epc" => epc(EpcField::Epc)?,
        "MATCH_parentID" => epc(EpcField::ParentId)?,
        "MATCH_inputEPC" => epc(EpcField::InputEpc)?,
        "MATCH_outputEPC" => epc(EpcField::OutputEpc)?,
        "MATCH_anyEPC" => epc(EpcField::AnyEpc)?,
        "MATCH_epcClass" => class(ClassField::Quantity)?,
        "MATCH_inputEPCClass" => class(ClassField::Input)?,
        "MATCH_outputEPCClass" => class(ClassField::Output)?,
        "MATCH_anyEPCClass" => class(ClassField::Any)?,
        "EQ_quantity" => Filter::Quantity { op: Op::Eq, values: param.numbers()?, unit: None },
        "GT_quantity" => quantity(Op::Gt)?,
        "GE_quantity" => quantity(Op::Ge)?,
        "LT_quantity" => quantity(Op::Lt)?,
        "LE_quantity" => quantity(Op::Le)?,
        "EQ_eventID" => Filter::EventId(StrSet::new(&param.list()?)),
        "EXISTS_errorDeclaration" => return Ok(param.flag()?.then_some(Filter::ErrorDeclaration)),
        "GE_errorDeclarationTime" => time(TimeField::ErrorDeclaration, Op::Ge)?,
        "LT_errorDeclarationTime" => time(TimeField::ErrorDeclaration, Op::Lt)?,
        "EQ_errorReason" => vocab(VocabField::ErrorReason, Vocab::ErrorReason)?,
        "EQ_correctiveEventID" => Filter::CorrectiveEventId(StrSet::new(&param.list()?)),
        "EXISTS_sensorElementList" => return Ok(param.flag()?.then_some(Filter::SensorElement)),
        "GE_time" => sensor_time("time", Op::Ge)?,
        "LT_time" => sensor_time("time", Op::Lt)?,
        "GE_startTime" => sensor_time("startTime", Op::Ge)?,
        "LT_startTime" => sensor_time("startTime", Op::Lt)?,
        "GE_endTime" => sensor_time("endTime", Op::Ge)?,
        "LT_endTime" => sensor_time("endTime", Op::Lt)?,
        "EQ_type" => sensor_text(
            "type",
            SensorValues::Vocabulary(param.list()?.iter().map(|v| voc_key(v).to_owned()).collect()),
        )?,
        // Device and method identifiers may be GS1 keys in either form; `deviceMetadata` and
        // `rawData` are not in the query schema but the conformance test TCR-53 queries them.
        "EQ_deviceID"
        | "EQ_deviceMetadata"
        | "EQ_rawData"
        | "EQ_dataProcessingMethod"
        | "EQ_bizRules" => sensor_text(&key[3..], SensorValues::Ids(IdSet::new(&param.list()?)))?,
        "EQ_microorganism" | "EQ_chemicalSubstance" | "EQ_stringValue" | "EQ_uriValue" => {
            sensor_text(&key[3..], SensorValues::Exact(StrSet::new(&param.list()?)))?
        }
        "EQ_hexBinaryValue" => sensor_text(
            "hexBinaryValue",
            SensorValues::Hex(param.list()?.iter().map(|v| (*v).to_owned()).collect()),
        )?,
        "EQ_booleanValue" => match param.value {
            "true" => sensor_text("booleanValue", SensorValues::Bool(true))?,
            "false" => sensor_text("booleanValue", SensorValues::Bool(false))?,
            other => return Err(param.error(format!("\"{other}\" is not true or false"))),
        },
        "GT_percRank" => perc_rank(Op::Gt)?,
        "GE_percRank" => perc_rank(Op::Ge)?,
        "LT_percRank" => perc_rank(Op::Lt)?,
        "LE_percRank" => perc_rank(Op::Le)?,
        _ => return parse_family(key, param, namespaces),
    };
    Ok(Some(filter))
}

/// The parameters whose names carry a value: a type, a unit or a field name.
fn parse_family(
    key: &str,
    param: &Param<'_>,
    namespaces: &Namespaces<'_>,
) -> Result<Option<Filter>, QueryError> {
    if let Some(field) = key.strip_prefix("HASATTR_") {
        let field = MasterField::parse(field, param)?;
        let names = param.list()?.iter().map(|n| namespaces.expand(n)).collect();
        return Ok(Some(Filter::Master(MasterFilter {
            field,
            test: MasterTest::HasAttribute(names),
            ids: IdSet::new(&[]),
        })));
    }
    if let Some(rest) = key.strip_prefix("EQ_ATTR_") {
        // `EQ_ATTR_<field>_<attribute>`: the standard fields have no `_`, an attribute name
        // (a URI) may.
        let Some((field, attribute)) = rest.split_once('_').filter(|(_, a)| !a.is_empty()) else {
            return Err(param.error("needs a field and an attribute name: EQ_ATTR_field_attribute"));
        };
        let field = MasterField::parse(field, param)?;
        let values = param.list()?.iter().map(|v| (*v).to_owned()).collect();
        return Ok(Some(Filter::Master(MasterFilter {
            field,
            test: MasterTest::AttributeEquals { name: namespaces.expand(attribute), values },
            ids: IdSet::new(&[]),
        })));
    }
    // `None` for business transactions, else whether the list is the destination list.
    let typed = [
        ("EQ_bizTransaction_", None),
        ("EQ_source_", Some(false)),
        ("EQ_destination_", Some(true)),
    ];
    for (prefix, destination) in typed {
        let Some(type_) = key.strip_prefix(prefix) else { continue };
        if type_.is_empty() {
            return Err(param.error(format!("needs a type after {prefix}")));
        }
        let vocab = match destination {
            None => Vocab::BizTransactionType,
            Some(_) => Vocab::SourceDestType,
        };
        let type_ = VocabValues::parse(param, vocab, &[type_], namespaces)?;
        let ids = IdSet::new(&param.list()?);
        return Ok(Some(match destination {
            None => Filter::BizTransaction { type_, ids },
            Some(destination) => Filter::SourceDest { destination, type_, ids },
        }));
    }
    if let Some((op, rest)) = split_op(key) {
        for measure in MEASURES {
            let Some(after) = rest.strip_prefix(measure) else { continue };
            if after.is_empty() {
                return Err(param.error(format!(
                    "needs a unit of measure: {}_{measure}_<UN/ECE Rec 20 code>, e.g. _CEL",
                    &key[..2]
                )));
            }
            let Some(code) = after.strip_prefix('_').filter(|code| is_unit_code(code)) else {
                continue;
            };
            let values = if op == Op::Eq { param.numbers()? } else { vec![param.number()?] };
            let unit = Some(Unit::new(code));
            return Ok(Some(if measure == "quantity" {
                Filter::Quantity { op, values, unit }
            } else {
                Filter::SensorNumber {
                    slot: report_slot(measure),
                    uom_slot: report_slot("uom"),
                    op,
                    values,
                    unit,
                    // A standard deviation is a difference: converting it ignores the offset
                    // between scales (1 K of spread is 1 degree Celsius of spread).
                    difference: measure == "sDev",
                }
            }));
        }
    }
    if let Some((test, inner, scope, field)) = split_extension(key) {
        let Some(field) = FieldName::parse(field, namespaces) else {
            return Err(param.error(format!("\"{field}\" is not an extension field prefix:name")));
        };
        let test = match test {
            None => {
                if !param.flag()? {
                    return Ok(None);
                }
                ValueTest::Exists
            }
            Some(Op::Eq) => ValueTest::Equals(param.list()?.into_iter().map(Scalar::new).collect()),
            Some(op) => ValueTest::Compare(op, Scalar::new(param.single()?)),
        };
        return Ok(Some(Filter::Extension { scope, inner, field, test }));
    }
    Err(param.error("is not a query parameter of the EPCIS 2.0 simple event query"))
}

fn event_types(param: &Param<'_>) -> Result<u8, QueryError> {
    let mut mask = 0;
    for value in param.list()? {
        match EventType::from_name(value) {
            Some(t) => mask |= event_type_bit(t),
            // An extension event type is a URI; the model holds the five standard types only,
            // so it selects no stored event.
            None if cbv::is_absolute_uri(value) => {}
            None => {
                return Err(param.error(format!(
                    "\"{value}\" is not an event type (ObjectEvent, AggregationEvent, \
                     TransactionEvent, TransformationEvent, AssociationEvent or a URI)"
                )));
            }
        }
    }
    Ok(mask)
}

fn event_type_bit(t: EventType) -> u8 {
    match t {
        EventType::ObjectEvent => 1,
        EventType::AggregationEvent => 2,
        EventType::TransactionEvent => 4,
        EventType::TransformationEvent => 8,
        EventType::AssociationEvent => 16,
    }
}

fn actions(param: &Param<'_>) -> Result<u8, QueryError> {
    let mut mask = 0;
    for value in param.list()? {
        match Action::parse(value) {
            Some(action) => mask |= action_bit(action),
            None => {
                return Err(
                    param.error(format!("\"{value}\" is not an action (ADD, OBSERVE or DELETE)"))
                );
            }
        }
    }
    Ok(mask)
}

fn action_bit(action: Action) -> u8 {
    match action {
        Action::Add => 1,
        Action::Observe => 2,
        Action::Delete => 4,
    }
}

/// `EQ_`, `GT_`, `GE_`, `LT_`, `LE_`.
fn split_op(key: &str) -> Option<(Op, &str)> {
    let (op, rest) = key.split_at_checked(3)?;
    let op = match op {
        "EQ_" => Op::Eq,
        "GT_" => Op::Gt,
        "GE_" => Op::Ge,
        "LT_" => Op::Lt,
        "LE_" => Op::Le,
        _ => return None,
    };
    Some((op, rest))
}

/// `<EQ|GT|GE|LT|LE|EXISTS>_[INNER_][<scope>_]<prefix:local>`: the comparison (`None` for
/// EXISTS_), whether the field is nested, where it is, and the field name.
fn split_extension(key: &str) -> Option<(Option<Op>, bool, Scope, &str)> {
    let (test, rest) = match key.strip_prefix("EXISTS_") {
        Some(rest) => (None, rest),
        None => split_op(key).map(|(op, rest)| (Some(op), rest))?,
    };
    let (inner, rest) = match rest.strip_prefix("INNER_") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let scopes = [
        ("ILMD_", Scope::Ilmd),
        ("ERROR_DECLARATION_", Scope::ErrorDeclaration),
        ("SENSORELEMENT_", Scope::SensorElement),
        ("SENSORMETADATA_", Scope::SensorMetadata),
        ("SENSORREPORT_", Scope::SensorReport),
        ("readPoint_", Scope::ReadPoint),
        ("bizLocation_", Scope::BizLocation),
    ];
    let (scope, field) = scopes
        .iter()
        .find_map(|(prefix, scope)| Some((*scope, rest.strip_prefix(prefix)?)))
        .unwrap_or((Scope::Event, rest));
    // A field name is `prefix:local`; without the colon this is no extension parameter.
    field.contains(':').then_some((test, inner, scope, field))
}

// -------------------------------------------------------------------------------------------
// Tests on events

/// The comparison a parameter name starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    /// Whether `value` compared with the parameter's value (`ordering` is value vs parameter)
    /// satisfies the operator.
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Op::Eq => ordering == Ordering::Equal,
            Op::Gt => ordering == Ordering::Greater,
            Op::Ge => ordering != Ordering::Less,
            Op::Lt => ordering == Ordering::Less,
            Op::Le => ordering != Ordering::Greater,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeField {
    Event,
    Record,
    ErrorDeclaration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VocabField {
    BizStep,
    Disposition,
    PersistentSet,
    PersistentUnset,
    ErrorReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LocationField {
    ReadPoint,
    BizLocation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EpcField {
    /// `epcList` or `childEPCs`: every type but TransformationEvent.
    Epc,
    ParentId,
    /// `inputEPCList`: TransformationEvent.
    InputEpc,
    OutputEpc,
    AnyEpc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClassField {
    /// `quantityList` or `childQuantityList`: every type but TransformationEvent.
    Quantity,
    /// `inputQuantityList`: TransformationEvent.
    Input,
    Output,
    Any,
}

/// Where an extension field is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Event,
    Ilmd,
    ErrorDeclaration,
    ReadPoint,
    BizLocation,
    SensorElement,
    SensorMetadata,
    SensorReport,
}

/// One parameter's test, with its values prepared for comparison.
#[derive(Clone, Debug, PartialEq)]
enum Filter {
    /// A bit per event type (`event_type_bit`).
    EventType(u8),
    /// A bit per action (`action_bit`).
    Action(u8),
    Time {
        field: TimeField,
        op: Op,
        at: i64,
    },
    Vocab {
        field: VocabField,
        values: VocabValues,
    },
    Location {
        field: LocationField,
        ids: IdSet,
    },
    TransformationId(IdSet),
    EventId(StrSet),
    CorrectiveEventId(StrSet),
    Epc {
        field: EpcField,
        matcher: IdMatcher,
    },
    Class {
        field: ClassField,
        matcher: IdMatcher,
    },
    /// Quantity elements of every list; with a unit, only those in a unit convertible to it.
    Quantity {
        op: Op,
        values: Vec<f64>,
        unit: Option<Unit>,
    },
    ErrorDeclaration,
    BizTransaction {
        type_: VocabValues,
        ids: IdSet,
    },
    SourceDest {
        destination: bool,
        type_: VocabValues,
        ids: IdSet,
    },
    Extension {
        scope: Scope,
        inner: bool,
        field: FieldName,
        test: ValueTest,
    },
    SensorElement,
    /// A master data parameter: the ids it selects, once resolved.
    Master(MasterFilter),
    /// A sensor attribute in `sensorMetadata`, in any `sensorReport`, or both.
    SensorTime {
        metadata_slot: Option<usize>,
        report_slot: Option<usize>,
        op: Op,
        at: i64,
    },
    SensorText {
        metadata_slot: Option<usize>,
        report_slot: Option<usize>,
        values: SensorValues,
    },
    /// A numeric `sensorReport` attribute (`slot`), in the parameter's unit when it names one
    /// (the report's `uom` is in `uom_slot`).
    SensorNumber {
        slot: usize,
        uom_slot: usize,
        op: Op,
        values: Vec<f64>,
        unit: Option<Unit>,
        difference: bool,
    },
    /// `restrict_to_parties`: GLNs (sorted) and other party identifiers.
    Parties {
        glns: Vec<[u8; 13]>,
        others: IdSet,
    },
}

impl Filter {
    /// Cheap tests run first, so that most events are rejected before identifiers are
    /// canonicalised.
    fn cost(&self) -> u8 {
        match self {
            Filter::EventType(_) | Filter::Action(_) => 0,
            Filter::Time { .. } | Filter::ErrorDeclaration | Filter::SensorElement => 1,
            Filter::Master(_) => 5,
            Filter::Vocab { .. } | Filter::EventId(_) | Filter::CorrectiveEventId(_) => 2,
            Filter::Quantity { .. }
            | Filter::SensorTime { .. }
            | Filter::SensorText { .. }
            | Filter::SensorNumber { .. } => 3,
            Filter::Extension { .. } => 4,
            Filter::Location { .. }
            | Filter::TransformationId(_)
            | Filter::BizTransaction { .. }
            | Filter::SourceDest { .. } => 5,
            Filter::Epc { .. } | Filter::Class { .. } => 6,
            Filter::Parties { .. } => 7,
        }
    }

    fn holds(&self, event: &Event) -> bool {
        match self {
            Filter::EventType(mask) => {
                event.event_type.is_some_and(|t| mask & event_type_bit(t) != 0)
            }
            Filter::Action(mask) => event.action.is_some_and(|a| mask & action_bit(a) != 0),
            Filter::Time { field, op, at } => {
                let text = match field {
                    TimeField::Event => Some(event.event_time.as_str()),
                    TimeField::Record => event.record_time.as_deref(),
                    TimeField::ErrorDeclaration => {
                        event.error_declaration.as_ref().map(|d| d.declaration_time.as_str())
                    }
                };
                text.is_some_and(|text| time_holds(text, *op, *at))
            }
            Filter::Vocab { field, values } => match field {
                VocabField::BizStep => {
                    event.biz_step.as_deref().is_some_and(|v| values.contains(v))
                }
                VocabField::Disposition => {
                    event.disposition.as_deref().is_some_and(|v| values.contains(v))
                }
                VocabField::PersistentSet => event
                    .persistent_disposition
                    .as_ref()
                    .is_some_and(|pd| pd.set.iter().any(|v| values.contains(v))),
                VocabField::PersistentUnset => event
                    .persistent_disposition
                    .as_ref()
                    .is_some_and(|pd| pd.unset.iter().any(|v| values.contains(v))),
                VocabField::ErrorReason => event
                    .error_declaration
                    .as_ref()
                    .and_then(|d| d.reason.as_deref())
                    .is_some_and(|v| values.contains(v)),
            },
            Filter::Location { field, ids } => {
                let location = match field {
                    LocationField::ReadPoint => event.read_point.as_ref(),
                    LocationField::BizLocation => event.biz_location.as_ref(),
                };
                location.is_some_and(|l| ids.contains(&l.id))
            }
            Filter::TransformationId(ids) => {
                event.transformation_id.as_deref().is_some_and(|id| ids.contains(id))
            }
            Filter::EventId(ids) => event.event_id.as_deref().is_some_and(|id| ids.contains(id)),
            Filter::CorrectiveEventId(ids) => event
                .error_declaration
                .as_ref()
                .is_some_and(|d| d.corrective_event_ids.iter().any(|id| ids.contains(id))),
            Filter::Epc { field, matcher } => {
                let transformation = event.event_type == Some(EventType::TransformationEvent);
                let any = |list: &[String]| list.iter().any(|v| matcher.matches_instance(v));
                let parent =
                    || event.parent_id.as_deref().is_some_and(|v| matcher.matches_instance(v));
                match field {
                    EpcField::Epc => !transformation && any(&event.epc_list),
                    EpcField::ParentId => parent(),
                    EpcField::InputEpc => transformation && any(&event.epc_list),
                    EpcField::OutputEpc => any(&event.output_epc_list),
                    EpcField::AnyEpc => {
                        any(&event.epc_list) || parent() || any(&event.output_epc_list)
                    }
                }
            }
            Filter::Class { field, matcher } => {
                let transformation = event.event_type == Some(EventType::TransformationEvent);
                let any = |list: &[crate::model::QuantityElement]| {
                    list.iter().any(|q| matcher.matches_class(&q.epc_class))
                };
                match field {
                    ClassField::Quantity => !transformation && any(&event.quantity_list),
                    ClassField::Input => transformation && any(&event.quantity_list),
                    ClassField::Output => any(&event.output_quantity_list),
                    ClassField::Any => {
                        any(&event.quantity_list) || any(&event.output_quantity_list)
                    }
                }
            }
            Filter::Quantity { op, values, unit } => {
                event.quantity_list.iter().chain(&event.output_quantity_list).any(|q| {
                    q.quantity.as_deref().and_then(parse_number).is_some_and(|quantity| {
                        measure_holds(quantity, q.uom.as_deref(), *op, values, unit.as_ref(), false)
                    })
                })
            }
            Filter::ErrorDeclaration => event.error_declaration.is_some(),
            Filter::BizTransaction { type_, ids } => event.biz_transaction_list.iter().any(|bt| {
                bt.type_.as_deref().is_some_and(|t| type_.contains(t)) && ids.contains(&bt.value)
            }),
            Filter::SourceDest { destination, type_, ids } => {
                let list = if *destination { &event.destination_list } else { &event.source_list };
                list.iter().any(|sd| type_.contains(&sd.type_) && ids.contains(&sd.value))
            }
            Filter::Extension { scope, inner, field, test } => {
                let found = |elements: &[Element]| {
                    let named = |element: &Element| {
                        field.names(&element.name) && test.holds(&element.content)
                    };
                    if *inner {
                        elements.iter().any(|top| match &top.content {
                            Content::Children(children) => any_descendant(children, &named),
                            _ => false,
                        })
                    } else {
                        elements.iter().any(named)
                    }
                };
                let sensors = &event.sensor_element_list;
                match scope {
                    Scope::Event => found(&event.extensions),
                    Scope::Ilmd => event.ilmd.as_deref().is_some_and(found),
                    Scope::ErrorDeclaration => {
                        event.error_declaration.as_ref().is_some_and(|d| found(&d.extensions))
                    }
                    Scope::ReadPoint => {
                        event.read_point.as_ref().is_some_and(|l| found(&l.extensions))
                    }
                    Scope::BizLocation => {
                        event.biz_location.as_ref().is_some_and(|l| found(&l.extensions))
                    }
                    Scope::SensorElement => sensors.iter().any(|se| found(&se.extensions)),
                    Scope::SensorMetadata => sensors.iter().any(|se| {
                        se.sensor_metadata.as_ref().is_some_and(|m| found(&m.extensions))
                    }),
                    Scope::SensorReport => sensors
                        .iter()
                        .any(|se| se.sensor_report.iter().any(|r| found(&r.extensions))),
                }
            }
            Filter::SensorElement => !event.sensor_element_list.is_empty(),
            Filter::Master(m) => m.holds(event),
            Filter::SensorTime { metadata_slot, report_slot, op, at } => {
                sensor_any(&event.sensor_element_list, *metadata_slot, *report_slot, |text| {
                    time_holds(text, *op, *at)
                })
            }
            Filter::SensorText { metadata_slot, report_slot, values } => {
                sensor_any(&event.sensor_element_list, *metadata_slot, *report_slot, |text| {
                    values.contains(text)
                })
            }
            Filter::SensorNumber { slot, uom_slot, op, values, unit, difference } => {
                event.sensor_element_list.iter().flat_map(|se| &se.sensor_report).any(|report| {
                    report.fields[*slot].as_deref().and_then(parse_number).is_some_and(|value| {
                        let uom = report.fields[*uom_slot].as_deref();
                        measure_holds(value, uom, *op, values, unit.as_ref(), *difference)
                    })
                })
            }
            Filter::Parties { glns, others } => {
                let names_party = |value: &str| match gln_of(value) {
                    Some(gln) => glns.binary_search(&gln).is_ok(),
                    None => others.contains(value),
                };
                event
                    .source_list
                    .iter()
                    .chain(&event.destination_list)
                    .any(|sd| names_party(&sd.value))
                    || event.read_point.as_ref().is_some_and(|l| names_party(&l.id))
                    || event.biz_location.as_ref().is_some_and(|l| names_party(&l.id))
            }
        }
    }
}

fn time_holds(text: &str, op: Op, at: i64) -> bool {
    Timestamp::parse(text).is_some_and(|t| op.holds(t.unix_millis.cmp(&at)))
}

/// Whether `test` holds for a sensor attribute found in any element's metadata (`metadata_slot`)
/// or any of its reports (`report_slot`).
fn sensor_any(
    sensors: &[SensorElement],
    metadata_slot: Option<usize>,
    report_slot: Option<usize>,
    test: impl Fn(&str) -> bool,
) -> bool {
    sensors.iter().any(|se| {
        let in_metadata = metadata_slot.is_some_and(|slot| {
            se.sensor_metadata.as_ref().and_then(|m| m.fields[slot].as_deref()).is_some_and(&test)
        });
        in_metadata
            || report_slot.is_some_and(|slot| {
                se.sensor_report.iter().any(|r| r.fields[slot].as_deref().is_some_and(&test))
            })
    })
}

/// The slot of a standard `sensorReport` attribute this module names.
fn report_slot(name: &str) -> usize {
    SensorReport::slot(name).expect("the module names only standard sensorReport attributes")
}

fn any_descendant(elements: &[Element], test: &impl Fn(&Element) -> bool) -> bool {
    elements.iter().any(|element| {
        test(element)
            || match &element.content {
                Content::Children(children) => any_descendant(children, test),
                _ => false,
            }
    })
}

/// A scalar element's text; `None` for an element with children or none.
fn scalar(content: &Content) -> Option<&str> {
    match content {
        Content::Text(s) | Content::Number(s) => Some(s),
        Content::Bool(true) => Some("true"),
        Content::Bool(false) => Some("false"),
        Content::Empty | Content::Children(_) => None,
    }
}

/// A decimal number as EPCIS and XML Schema write them (no `inf`, `NaN` or hex).
fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let plain =
        bytes.iter().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !plain || !bytes.iter().any(u8::is_ascii_digit) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

// -------------------------------------------------------------------------------------------
// Prepared values

/// Strings compared exactly (event IDs).
#[derive(Clone, Debug, Default, PartialEq)]
struct StrSet {
    /// As given, for `event_ids`.
    given: Vec<String>,
    sorted: Vec<String>,
}

impl StrSet {
    fn new(values: &[&str]) -> StrSet {
        let given: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let mut sorted = given.clone();
        sorted.sort_unstable();
        sorted.dedup();
        StrSet { given, sorted }
    }

    fn contains(&self, value: &str) -> bool {
        self.sorted.binary_search_by(|s| s.as_str().cmp(value)).is_ok()
    }
}

/// Identifiers compared canonically: the values as given (a byte-equal event value needs no
/// canonicalisation) and their canonical forms, both sorted.
#[derive(Clone, Debug, Default, PartialEq)]
struct IdSet {
    given: Vec<String>,
    canonical: Vec<String>,
}

impl IdSet {
    fn new(values: &[&str]) -> IdSet {
        let mut given: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let mut canonical: Vec<String> =
            values.iter().map(|v| crate::canonical_id(v).into_owned()).collect();
        for list in [&mut given, &mut canonical] {
            list.sort_unstable();
            list.dedup();
        }
        IdSet { given, canonical }
    }

    fn contains(&self, value: &str) -> bool {
        if self.given.is_empty() {
            return false;
        }
        self.given.binary_search_by(|g| g.as_str().cmp(value)).is_ok()
            || with_canonical(value, |c| {
                self.canonical.binary_search_by(|x| x.as_str().cmp(c)).is_ok()
            })
    }
}

/// Calls `f` with `crate::canonical_id(value)`, written into a buffer kept per thread: a scan
/// canonicalises every identifier of every event it tests, and EPC URIs then cost no allocation.
/// A Digital Link already in canonical form (as events usually write them) is passed as it is.
fn with_canonical<R>(value: &str, f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
    }
    if is_canonical_digital_link(value) {
        debug_assert_eq!(crate::canonical_id(value), value, "the fast path agrees with gs1");
        return f(value);
    }
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            if serialhub_gs1::canonical_digital_link_into(value.trim(), &mut buffer) {
                f(&buffer)
            } else {
                f(value)
            }
        }
        // Only a nested call finds the buffer in use; `f` never makes one, but stay correct.
        Err(_) => f(&crate::canonical_id(value)),
    })
}

/// Whether `value` is the canonical Digital Link of an SGTIN, SSCC or GLN with a plain serial or
/// extension, which `crate::canonical_id` returns unchanged: the general Digital Link reader
/// costs about a microsecond and allocates, and these are most of the Digital Links events hold.
fn is_canonical_digital_link(value: &str) -> bool {
    let Some(path) = value.strip_prefix("https://id.gs1.org/") else { return false };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    // The characters the canonical form writes unescaped, at most 20 (a serial's limit).
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 20
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    };
    if let Some(rest) = path.strip_prefix("01/") {
        return rest
            .split_once("/21/")
            .is_some_and(|(gtin, serial)| digits(gtin, 14) && plain(serial));
    }
    if let Some(rest) = path.strip_prefix("00/") {
        return digits(rest, 18);
    }
    if let Some(rest) = path.strip_prefix("414/") {
        // Extension 0 is the GLN itself, which the canonical form writes without (254).
        return match rest.split_once("/254/") {
            Some((gln, extension)) => digits(gln, 13) && plain(extension) && extension != "0",
            None => digits(rest, 13),
        };
    }
    false
}

/// CBV values of one vocabulary, by standard name whatever the spelling.
#[derive(Clone, Debug, PartialEq)]
struct VocabValues {
    vocab: Vocab,
    standard: Vec<&'static str>,
    /// Names of URN or Web URI spellings that are not in the vocabulary.
    unknown_standard: Vec<String>,
    /// User vocabulary URIs, and the expansion of each CURIE whose prefix the request declares.
    other: Vec<String>,
}

impl VocabValues {
    fn parse(
        param: &Param<'_>,
        vocab: Vocab,
        values: &[&str],
        namespaces: &Namespaces<'_>,
    ) -> Result<VocabValues, QueryError> {
        let mut out = VocabValues {
            vocab,
            standard: Vec::new(),
            unknown_standard: Vec::new(),
            other: Vec::new(),
        };
        for value in values {
            match cbv::classify(vocab, value) {
                Term::Standard(name) => {
                    let name = vocab.values().iter().find(|v| **v == name).copied();
                    out.standard.extend(name);
                }
                Term::UnknownStandard(name) => out.unknown_standard.push(name.to_owned()),
                Term::Extension(uri) => {
                    out.other.push(uri.to_owned());
                    if let Some((prefix, rest)) = uri.split_once(':')
                        && let Some(namespace) = namespaces.resolve(prefix)
                    {
                        out.other.push(format!("{namespace}{rest}"));
                    }
                }
                Term::Invalid(_) => {
                    return Err(param.error(format!(
                        "\"{value}\" is neither a CBV {} nor a URI",
                        vocab.label()
                    )));
                }
            }
        }
        Ok(out)
    }

    fn contains(&self, value: &str) -> bool {
        match cbv::classify(self.vocab, value) {
            Term::Standard(name) => self.standard.contains(&name),
            Term::UnknownStandard(name) => self.unknown_standard.iter().any(|n| n == name),
            Term::Extension(v) | Term::Invalid(v) => self.other.iter().any(|o| o == v),
        }
    }
}

/// Sensor attribute values prepared for their kind of comparison.
#[derive(Clone, Debug, PartialEq)]
enum SensorValues {
    Ids(IdSet),
    Exact(StrSet),
    /// Hex digits compare without regard to case.
    Hex(Vec<String>),
    /// GS1 Web Vocabulary terms by `voc_key`.
    Vocabulary(Vec<String>),
    Bool(bool),
}

impl SensorValues {
    fn contains(&self, value: &str) -> bool {
        match self {
            SensorValues::Ids(ids) => ids.contains(value),
            SensorValues::Exact(values) => values.contains(value),
            SensorValues::Hex(values) => values.iter().any(|v| v.eq_ignore_ascii_case(value)),
            SensorValues::Vocabulary(values) => {
                let key = voc_key(value);
                values.iter().any(|v| v == key)
            }
            // xsd:boolean also allows 1 and 0, which XML documents may use.
            SensorValues::Bool(b) => match value {
                "true" | "1" => *b,
                "false" | "0" => !*b,
                _ => false,
            },
        }
    }
}

/// A GS1 Web Vocabulary term (`Temperature`, `gs1:Temperature`, `https://gs1.org/voc/Temperature`)
/// reduced to its bare name; other URIs stay whole.
fn voc_key(value: &str) -> &str {
    value
        .strip_prefix("https://gs1.org/voc/")
        .or_else(|| value.strip_prefix("gs1:"))
        .unwrap_or(value)
}

// -------------------------------------------------------------------------------------------
// EPCs, classes and patterns

/// A MATCH_ parameter's values: exact identifiers and EPC patterns.
#[derive(Clone, Debug, Default, PartialEq)]
struct IdMatcher {
    /// Every value as given, in order: what `indexed_epcs` hands out when there is no pattern.
    given: Vec<String>,
    exact: IdSet,
    patterns: Vec<EpcPattern>,
}

impl IdMatcher {
    fn parse(param: &Param<'_>) -> Result<IdMatcher, QueryError> {
        let values = param.list()?;
        let mut exact = Vec::new();
        let mut patterns = Vec::new();
        for value in &values {
            match EpcPattern::parse(value) {
                Ok(Some(pattern)) => patterns.push(pattern),
                Ok(None) => exact.push(*value),
                Err(why) => return Err(param.error(format!("\"{value}\" {why}"))),
            }
        }
        Ok(IdMatcher {
            given: values.iter().map(|v| (*v).to_owned()).collect(),
            exact: IdSet::new(&exact),
            patterns,
        })
    }

    fn matches_instance(&self, value: &str) -> bool {
        self.exact.contains(value) || self.patterns.iter().any(|p| p.matches_instance(value))
    }

    fn matches_class(&self, value: &str) -> bool {
        self.exact.contains(value) || self.patterns.iter().any(|p| p.matches_class(value))
    }
}

/// An EPC pure identity pattern URI: `urn:epc:idpat:sgtin:0614141.112345.*`.
#[derive(Clone, Debug, PartialEq)]
struct EpcPattern {
    scheme: EpcScheme,
    /// The fields before the first `*` (the standard allows wildcards only at the end).
    literals: Vec<String>,
    /// How many fields the scheme's URIs have.
    fields: usize,
}

impl EpcPattern {
    /// `Ok(None)` for a value that is not a pattern; `Err` for a malformed pattern.
    fn parse(text: &str) -> Result<Option<EpcPattern>, String> {
        if text.starts_with("urn:epc:pat:") {
            return Err("is a tag pattern; MATCH_ parameters take pure identity patterns \
                        (urn:epc:idpat:...)"
                .to_owned());
        }
        let Some(rest) = text.strip_prefix("urn:epc:idpat:") else { return Ok(None) };
        let (name, body) = rest.split_once(':').ok_or("has no EPC scheme")?;
        let scheme = EpcScheme::ALL
            .into_iter()
            .find(|s| !s.is_class() && s.name() == name)
            .ok_or_else(|| format!("names no EPC scheme this repository knows (\"{name}\")"))?;
        let fields = field_count(scheme);
        // The last field may hold dots (serials may), so it takes the rest.
        let parts: Vec<&str> = body.splitn(fields, '.').collect();
        if parts.len() != fields {
            return Err(format!("needs {fields} fields for {name}, separated by dots"));
        }
        let literals: Vec<String> =
            parts.iter().take_while(|p| **p != "*").map(|p| (*p).to_owned()).collect();
        if parts[literals.len()..].iter().any(|p| *p != "*")
            || literals.iter().any(|l| l.contains('*'))
        {
            return Err("may have wildcards only as whole fields at the end".to_owned());
        }
        if let Some(company_prefix) = literals.first() {
            let len = company_prefix.len();
            let digits = company_prefix.bytes().all(|b| b.is_ascii_digit());
            if !digits || len < usize::from(GCP_LEN_MIN) || len > usize::from(GCP_LEN_MAX) {
                return Err("needs a company prefix of 6 to 12 digits (or *)".to_owned());
            }
        }
        Ok(Some(EpcPattern { scheme, literals, fields }))
    }

    /// `body`, an EPC URI or pattern after its `<scheme>:`, field by field: equal where the
    /// pattern names a field, present where it has `*`.
    fn fields_match(&self, body: &str) -> bool {
        let mut parts = body.splitn(self.fields, '.');
        for literal in &self.literals {
            if parts.next() != Some(literal.as_str()) {
                return false;
            }
        }
        parts.count() == self.fields - self.literals.len()
    }

    fn matches_instance(&self, value: &str) -> bool {
        let value = value.trim();
        let prefix = self.scheme.uri_prefix();
        if let Some(body) = value.strip_prefix(prefix) {
            return self.fields_match(body);
        }
        if !serialhub_gs1::digital_link::looks_like_digital_link(value) {
            return false;
        }
        // A Digital Link carries no company prefix length: written as an EPC URI with the
        // pattern's, its fields line up with the pattern's wherever the key's digits agree.
        // The common keys are compared on their canonical digits; the rest are converted.
        with_canonical(value, |canonical| self.canonical_matches(canonical))
            .unwrap_or_else(|| self.digital_link_matches(value))
    }

    /// The pattern against the canonical Digital Link of an SGTIN, SSCC or GLN, digit by digit,
    /// with the pattern's company prefix length; `None` when this takes the general way (other
    /// schemes, or a pattern naming a serial, which the two forms escape differently).
    fn canonical_matches(&self, canonical: &str) -> Option<bool> {
        if self.literals.len() == self.fields {
            return None;
        }
        let path = canonical.strip_prefix("https://id.gs1.org/");
        let company_prefix = self.literals.first().map(String::as_str);
        let len = company_prefix.map_or(0, str::len);
        match self.scheme {
            EpcScheme::Sgtin => {
                Some(path.and_then(|p| p.strip_prefix("01/")).is_some_and(|rest| {
                    rest.split_once("/21/")
                        .is_some_and(|(gtin, _)| gtin_has_fields(gtin, &self.literals))
                }))
            }
            EpcScheme::Sscc => Some(path.and_then(|p| p.strip_prefix("00/")).is_some_and(|sscc| {
                // The extension digit leads the SSCC and moves behind the company prefix.
                company_prefix.is_none_or(|cp| sscc.get(1..1 + len) == Some(cp))
            })),
            EpcScheme::Sgln => {
                Some(path.and_then(|p| p.strip_prefix("414/")).is_some_and(|rest| {
                    let gln = rest.get(..13).unwrap_or_default();
                    let location_ref = self.literals.get(1).map(String::as_str);
                    company_prefix.is_none_or(|cp| gln.get(..len) == Some(cp))
                        && location_ref.is_none_or(|lr| gln.get(len..12) == Some(lr))
                }))
            }
            _ => None,
        }
    }

    /// The pattern against a Digital Link converted to an EPC URI with the pattern's company
    /// prefix length (allocating; for the schemes `canonical_matches` leaves).
    fn digital_link_matches(&self, value: &str) -> bool {
        let prefix = self.scheme.uri_prefix();
        let options = serialhub_gs1::Options {
            permit_convenience_alphas: true,
            permit_zero_suppressed_gtin: true,
            validate_requisites: false,
            // As `crate::canonical_id` does: identity is structure, not check digits.
            verify_check_digits: false,
            ..serialhub_gs1::Options::default()
        };
        let Ok(data) = serialhub_gs1::digital_link::parse_digital_link(value, &options) else {
            return false;
        };
        let ais: Vec<(&str, &str)> = data.iter().map(|(ai, v)| (ai.as_str(), v)).collect();
        let gcp_len =
            self.literals.first().and_then(|cp| u8::try_from(cp.len()).ok()).unwrap_or(GCP_LEN_MIN);
        match format_epc_uri(&ais, gcp_len) {
            Ok(Some(uri)) => uri.strip_prefix(prefix).is_some_and(|body| self.fields_match(body)),
            _ => false,
        }
    }

    fn matches_class(&self, value: &str) -> bool {
        let value = value.trim();
        // A class written as a pattern of this scheme must name our fields where we name one.
        if let Some(body) = value
            .strip_prefix("urn:epc:idpat:")
            .and_then(|rest| rest.strip_prefix(self.scheme.name()))
            .and_then(|rest| rest.strip_prefix(':'))
        {
            return self.fields_match(body);
        }
        // Trade item classes in their other forms (LGTIN URI, Digital Link with or without a
        // lot) compare by GTIN; a pattern naming a serial names an instance, not a class.
        if self.scheme != EpcScheme::Sgtin || self.literals.len() == self.fields {
            return false;
        }
        with_canonical(value, |canonical| {
            let Some(rest) = canonical.strip_prefix("https://id.gs1.org/01/") else {
                return false;
            };
            let Some((gtin, tail)) = rest.split_at_checked(14) else { return false };
            (tail.is_empty() || tail.starts_with("/10/")) && gtin_has_fields(gtin, &self.literals)
        })
    }
}

/// Whether a GTIN-14 has the SGTIN company prefix and item reference (indicator first) given.
fn gtin_has_fields(gtin: &str, literals: &[String]) -> bool {
    let Some(company_prefix) = literals.first() else { return true };
    let len = company_prefix.len();
    if gtin.get(1..1 + len) != Some(company_prefix.as_str()) {
        return false;
    }
    match literals.get(1) {
        None => true,
        Some(item_ref) => {
            item_ref.len() == 13 - len
                && item_ref.as_bytes().first() == gtin.as_bytes().first()
                && item_ref.get(1..) == gtin.get(1 + len..13)
        }
    }
}

/// The number of dot-separated fields in the scheme's pure identity URIs (TDS section 6).
fn field_count(scheme: EpcScheme) -> usize {
    match scheme {
        EpcScheme::Sscc
        | EpcScheme::Giai
        | EpcScheme::Gsrn
        | EpcScheme::Gsrnp
        | EpcScheme::Ginc
        | EpcScheme::Gsin
        | EpcScheme::Pgln => 2,
        EpcScheme::Itip => 5,
        _ => 3,
    }
}

/// The GLN a GLN-based party or location identifier names, check digit included.
/// The GLN `value` names, as 13 digits, if it is GLN-based (an SGLN or PGLN EPC URI, a
/// Digital Link with (414) or (417), or a bare GLN): how parties are compared.
pub fn party_gln(value: &str) -> Option<String> {
    gln_of(value).map(|digits| digits.iter().map(|d| char::from(*d)).collect())
}

/// Whether `value` names the party `party` as `restrict_to_parties` compares them: by GLN
/// for GLN-based identifiers (an SGLN of any extension names its GLN's party), canonically
/// otherwise.
pub fn names_party(value: &str, party: &str) -> bool {
    match (gln_of(value), gln_of(party)) {
        (Some(a), Some(b)) => a == b,
        _ => crate::canonical_id(value) == crate::canonical_id(party),
    }
}

fn gln_of(value: &str) -> Option<[u8; 13]> {
    let value = value.trim();
    let urn =
        value.strip_prefix("urn:epc:id:sgln:").or_else(|| value.strip_prefix("urn:epc:id:pgln:"));
    if let Some(body) = urn {
        // Company prefix and location (or party) reference make the GLN's first 12 digits.
        let mut parts = body.splitn(3, '.');
        let (company_prefix, reference) = (parts.next()?, parts.next()?);
        let digits = company_prefix.bytes().chain(reference.bytes());
        if company_prefix.is_empty() || company_prefix.len() + reference.len() != 12 {
            return None;
        }
        let mut gln = [0u8; 13];
        for (slot, digit) in gln.iter_mut().zip(digits) {
            if !digit.is_ascii_digit() {
                return None;
            }
            *slot = digit;
        }
        gln[12] = check_digit(&gln[..12]);
        return Some(gln);
    }
    let from_digits = |digits: &str| -> Option<[u8; 13]> {
        let bytes = digits.as_bytes();
        (bytes.len() == 13 && bytes.iter().all(u8::is_ascii_digit)).then(|| {
            let mut gln = [0u8; 13];
            gln.copy_from_slice(bytes);
            gln
        })
    };
    if let Some(gln) = from_digits(value) {
        return Some(gln);
    }
    with_canonical(value, |canonical| {
        let rest = canonical
            .strip_prefix("https://id.gs1.org/414/")
            .or_else(|| canonical.strip_prefix("https://id.gs1.org/417/"))?;
        let (digits, tail) = rest.split_at_checked(13)?;
        if !tail.is_empty() && !tail.starts_with('/') {
            return None;
        }
        from_digits(digits)
    })
}

/// The GS1 check digit of ASCII data digits (weights 3, 1, 3, ... from the right).
fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

// -------------------------------------------------------------------------------------------
// Extension fields

/// An extension field name `prefix:local`, its namespace resolved when the request declares
/// the prefix (or the standard context does).
#[derive(Clone, Debug, PartialEq)]
struct FieldName {
    prefix: String,
    local: String,
    namespace: Option<String>,
}

impl FieldName {
    fn parse(text: &str, namespaces: &Namespaces<'_>) -> Option<FieldName> {
        let (prefix, local) = text.split_once(':')?;
        let mut prefix_chars = prefix.chars();
        let prefix_ok = prefix_chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && prefix_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let local_ok = !local.is_empty()
            && !local.contains(|c: char| matches!(c, ':' | '/' | '#' | '|') || c.is_whitespace());
        (prefix_ok && local_ok).then(|| FieldName {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
            namespace: namespaces.resolve(prefix),
        })
    }

    fn names(&self, name: &Name) -> bool {
        names_field(name, &self.prefix, &self.local, self.namespace.as_deref())
    }
}

/// Whether an element `name` is the field `prefix:local`: by namespace when it is known, else
/// by the prefix the document wrote. A document that used a prefix without declaring it leaves
/// the whole `prefix:local` as the local name, with no namespace.
fn names_field(name: &Name, prefix: &str, local: &str, namespace: Option<&str>) -> bool {
    if name.local == local {
        let same = match namespace {
            Some(namespace) => name.namespace == namespace,
            None => name.prefix == prefix,
        };
        if same {
            return true;
        }
    }
    name.namespace.is_empty()
        && name.local.strip_prefix(prefix).and_then(|rest| rest.strip_prefix(':')) == Some(local)
}

/// What an extension field parameter asks of the field's value.
#[derive(Clone, Debug, PartialEq)]
enum ValueTest {
    Exists,
    Equals(Vec<Scalar>),
    Compare(Op, Scalar),
}

impl ValueTest {
    fn holds(&self, content: &Content) -> bool {
        match self {
            ValueTest::Exists => true,
            ValueTest::Equals(values) => {
                scalar(content).is_some_and(|text| values.iter().any(|v| v.equals(text)))
            }
            ValueTest::Compare(op, value) => scalar(content)
                .and_then(|text| value.compare(text))
                .is_some_and(|ordering| op.holds(ordering)),
        }
    }
}

/// A parameter value read every way an untyped field may need it.
#[derive(Clone, Debug, PartialEq)]
struct Scalar {
    text: String,
    number: Option<f64>,
    time: Option<i64>,
}

impl Scalar {
    fn new(text: &str) -> Scalar {
        Scalar {
            text: text.to_owned(),
            number: parse_number(text),
            time: Timestamp::parse(text).map(|t| t.unix_millis),
        }
    }

    fn equals(&self, text: &str) -> bool {
        text == self.text
            || self.number.is_some_and(|n| parse_number(text) == Some(n))
            || self.time.is_some_and(|t| Timestamp::parse(text).is_some_and(|x| x.unix_millis == t))
    }

    /// `text` compared with this value: as numbers when this is one, as instants when this is
    /// a time, else as strings; `None` when `text` is not of this value's kind.
    fn compare(&self, text: &str) -> Option<Ordering> {
        if let Some(n) = self.number {
            return parse_number(text)?.partial_cmp(&n);
        }
        if let Some(t) = self.time {
            return Some(Timestamp::parse(text)?.unix_millis.cmp(&t));
        }
        Some(text.cmp(self.text.as_str()))
    }
}

// -------------------------------------------------------------------------------------------
// Measurements and units

/// The measurements whose parameters carry a unit: `EQ_quantity_KGM`, `GE_value_CEL`.
const MEASURES: [&str; 7] =
    ["quantity", "value", "minValue", "maxValue", "meanValue", "sDev", "percValue"];

/// UN/ECE Recommendation 20 codes are two or three characters; the query schema allows four.
fn is_unit_code(code: &str) -> bool {
    (2..=4).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dimension {
    Temperature,
    Length,
    Mass,
    Volume,
    Area,
    Time,
    Pressure,
    Speed,
    Energy,
    Power,
    Ratio,
    Frequency,
    Voltage,
    Current,
}

/// Units that convert: a value `v` in the unit is `v * factor + offset` in the dimension's SI
/// unit. Codes from UN/ECE Recommendation 20; the common units of sensor data and quantities.
const UNITS: &[(&str, Dimension, f64, f64)] = &[
    ("KEL", Dimension::Temperature, 1.0, 0.0),
    ("CEL", Dimension::Temperature, 1.0, 273.15),
    ("FAH", Dimension::Temperature, 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
    ("MTR", Dimension::Length, 1.0, 0.0),
    ("KMT", Dimension::Length, 1e3, 0.0),
    ("DMT", Dimension::Length, 1e-1, 0.0),
    ("CMT", Dimension::Length, 1e-2, 0.0),
    ("MMT", Dimension::Length, 1e-3, 0.0),
    ("4H", Dimension::Length, 1e-6, 0.0),
    ("INH", Dimension::Length, 0.0254, 0.0),
    ("FOT", Dimension::Length, 0.3048, 0.0),
    ("YRD", Dimension::Length, 0.9144, 0.0),
    ("SMI", Dimension::Length, 1609.344, 0.0),
    ("NMI", Dimension::Length, 1852.0, 0.0),
    ("KGM", Dimension::Mass, 1.0, 0.0),
    ("GRM", Dimension::Mass, 1e-3, 0.0),
    ("MGM", Dimension::Mass, 1e-6, 0.0),
    ("MC", Dimension::Mass, 1e-9, 0.0),
    ("TNE", Dimension::Mass, 1e3, 0.0),
    ("LBR", Dimension::Mass, 0.453_592_37, 0.0),
    ("ONZ", Dimension::Mass, 0.028_349_523_125, 0.0),
    ("MTQ", Dimension::Volume, 1.0, 0.0),
    ("LTR", Dimension::Volume, 1e-3, 0.0),
    ("DMQ", Dimension::Volume, 1e-3, 0.0),
    ("DLT", Dimension::Volume, 1e-4, 0.0),
    ("CLT", Dimension::Volume, 1e-5, 0.0),
    ("MLT", Dimension::Volume, 1e-6, 0.0),
    ("CMQ", Dimension::Volume, 1e-6, 0.0),
    ("MMQ", Dimension::Volume, 1e-9, 0.0),
    ("GLL", Dimension::Volume, 3.785_411_784e-3, 0.0),
    ("GLI", Dimension::Volume, 4.546_09e-3, 0.0),
    ("MTK", Dimension::Area, 1.0, 0.0),
    ("KMK", Dimension::Area, 1e6, 0.0),
    ("CMK", Dimension::Area, 1e-4, 0.0),
    ("MMK", Dimension::Area, 1e-6, 0.0),
    ("FTK", Dimension::Area, 0.092_903_04, 0.0),
    ("INK", Dimension::Area, 6.4516e-4, 0.0),
    ("SEC", Dimension::Time, 1.0, 0.0),
    ("C26", Dimension::Time, 1e-3, 0.0),
    ("MIN", Dimension::Time, 60.0, 0.0),
    ("HUR", Dimension::Time, 3600.0, 0.0),
    ("DAY", Dimension::Time, 86_400.0, 0.0),
    ("WEE", Dimension::Time, 604_800.0, 0.0),
    ("PAL", Dimension::Pressure, 1.0, 0.0),
    ("A97", Dimension::Pressure, 1e2, 0.0),
    ("KPA", Dimension::Pressure, 1e3, 0.0),
    ("MPA", Dimension::Pressure, 1e6, 0.0),
    ("MBR", Dimension::Pressure, 1e2, 0.0),
    ("BAR", Dimension::Pressure, 1e5, 0.0),
    ("ATM", Dimension::Pressure, 101_325.0, 0.0),
    ("PS", Dimension::Pressure, 6_894.757_293_168, 0.0),
    ("MTS", Dimension::Speed, 1.0, 0.0),
    ("KMH", Dimension::Speed, 1.0 / 3.6, 0.0),
    ("HM", Dimension::Speed, 0.447_04, 0.0),
    ("KNT", Dimension::Speed, 1852.0 / 3600.0, 0.0),
    ("FS", Dimension::Speed, 0.3048, 0.0),
    ("JOU", Dimension::Energy, 1.0, 0.0),
    ("KJO", Dimension::Energy, 1e3, 0.0),
    ("WHR", Dimension::Energy, 3.6e3, 0.0),
    ("KWH", Dimension::Energy, 3.6e6, 0.0),
    ("WTT", Dimension::Power, 1.0, 0.0),
    ("KWT", Dimension::Power, 1e3, 0.0),
    ("MAW", Dimension::Power, 1e6, 0.0),
    ("C62", Dimension::Ratio, 1.0, 0.0),
    ("P1", Dimension::Ratio, 1e-2, 0.0),
    ("59", Dimension::Ratio, 1e-6, 0.0),
    ("61", Dimension::Ratio, 1e-9, 0.0),
    ("HTZ", Dimension::Frequency, 1.0, 0.0),
    ("KHZ", Dimension::Frequency, 1e3, 0.0),
    ("MHZ", Dimension::Frequency, 1e6, 0.0),
    ("VLT", Dimension::Voltage, 1.0, 0.0),
    ("KVT", Dimension::Voltage, 1e3, 0.0),
    ("AMP", Dimension::Current, 1.0, 0.0),
    ("4K", Dimension::Current, 1e-3, 0.0),
];

/// The unit a measurement parameter names, with its conversion when `UNITS` has one.
#[derive(Clone, Debug, PartialEq)]
struct Unit {
    code: String,
    conversion: Option<(Dimension, f64, f64)>,
}

impl Unit {
    fn new(code: &str) -> Unit {
        Unit { code: code.to_owned(), conversion: conversion(code) }
    }

    /// `value` given in `uom`, in this unit; `None` when it does not convert. The flag says
    /// whether it was converted (and may carry rounding).
    fn convert(&self, value: f64, uom: &str, difference: bool) -> Option<(f64, bool)> {
        if uom == self.code {
            return Some((value, false));
        }
        let (dimension, factor, offset) = self.conversion?;
        let (from_dimension, from_factor, from_offset) = conversion(uom)?;
        if from_dimension != dimension {
            return None;
        }
        let converted = if difference {
            value * from_factor / factor
        } else {
            (value * from_factor + from_offset - offset) / factor
        };
        Some((converted, true))
    }
}

fn conversion(code: &str) -> Option<(Dimension, f64, f64)> {
    UNITS.iter().find(|(c, ..)| *c == code).map(|(_, d, f, o)| (*d, *f, *o))
}

/// Whether a measured `value` in `uom` satisfies `op` against any of `bounds` (in `unit`, or
/// in whatever unit the value has when the parameter names none).
fn measure_holds(
    value: f64,
    uom: Option<&str>,
    op: Op,
    bounds: &[f64],
    unit: Option<&Unit>,
    difference: bool,
) -> bool {
    let (value, converted) = match unit {
        None => (value, false),
        Some(unit) => match uom.and_then(|uom| unit.convert(value, uom, difference)) {
            Some(converted) => converted,
            None => return false,
        },
    };
    bounds.iter().any(|bound| {
        // Conversion factors are not exact in binary: 26.85 CEL is 300 KEL give or take a
        // rounding error, and should compare equal to it.
        let close =
            converted && (value - bound).abs() <= 1e-9 * value.abs().max(bound.abs()).max(1.0);
        let ordering = if close { Some(Ordering::Equal) } else { value.partial_cmp(bound) };
        ordering.is_some_and(|o| op.holds(o))
    })
}

#[cfg(test)]
mod tests;

// -------------------------------------------------------------------------------------------
// Master data

/// Which master data a query needs: location elements, or trade item class elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MasterDataKind {
    /// Vocabulary types `BusinessLocation`, `ReadPoint` and `Location`.
    Location,
    /// Vocabulary type `EPCClass`.
    EpcClass,
}

impl MasterDataKind {
    /// The kind of a vocabulary type (`urn:epcglobal:epcis:vtype:BusinessLocation`, or its
    /// last segment), if it is one a query uses.
    pub fn of_vocabulary_type(type_: &str) -> Option<MasterDataKind> {
        let name = type_.rsplit([':', '/', '#']).next().unwrap_or(type_);
        match name {
            "BusinessLocation" | "ReadPoint" | "Location" => Some(MasterDataKind::Location),
            "EPCClass" => Some(MasterDataKind::EpcClass),
            _ => None,
        }
    }
}

/// The event fields master data parameters may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MasterField {
    ReadPoint,
    BizLocation,
    /// The classes of every quantity list.
    EpcClass,
}

impl MasterField {
    fn parse(name: &str, param: &Param<'_>) -> Result<MasterField, QueryError> {
        match name {
            "readPoint" => Ok(MasterField::ReadPoint),
            "bizLocation" => Ok(MasterField::BizLocation),
            "epcClass" => Ok(MasterField::EpcClass),
            other => Err(param.error(format!(
                "\"{other}\" is not a field with master data here (readPoint, bizLocation, epcClass)"
            ))),
        }
    }

    fn kind(self) -> MasterDataKind {
        match self {
            MasterField::ReadPoint | MasterField::BizLocation => MasterDataKind::Location,
            MasterField::EpcClass => MasterDataKind::EpcClass,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum MasterTest {
    /// WD_: the given ids and their descendants.
    WithDescendants(Vec<String>),
    /// HASATTR_: elements with an attribute of one of these names (expanded).
    HasAttribute(Vec<String>),
    /// EQ_ATTR_: elements whose attribute `name` has one of these values.
    AttributeEquals { name: String, values: Vec<String> },
}

#[derive(Clone, Debug, PartialEq)]
struct MasterFilter {
    field: MasterField,
    test: MasterTest,
    /// The ids the test selects: before resolution, the given ids of WD_ and none otherwise.
    ids: IdSet,
}

impl MasterFilter {
    fn resolve(&mut self, elements: &[&VocabularyElement]) {
        let attribute_named = |element: &VocabularyElement, names: &[String]| {
            element.attributes.iter().any(|a| names.contains(&expand_standard(&a.id, None)))
        };
        let selected: Vec<String> = match &self.test {
            MasterTest::HasAttribute(names) => elements
                .iter()
                .filter(|e| attribute_named(e, names))
                .map(|e| e.id.clone())
                .collect(),
            MasterTest::AttributeEquals { name, values } => elements
                .iter()
                .filter(|e| {
                    e.attributes.iter().any(|a| {
                        expand_standard(&a.id, None) == *name
                            && a.value.text().is_some_and(|t| values.iter().any(|v| *v == t))
                    })
                })
                .map(|e| e.id.clone())
                .collect(),
            MasterTest::WithDescendants(given) => descendants(given, elements),
        };
        let selected: Vec<&str> = selected.iter().map(String::as_str).collect();
        self.ids = IdSet::new(&selected);
    }

    fn holds(&self, event: &Event) -> bool {
        match self.field {
            MasterField::ReadPoint => {
                event.read_point.as_ref().is_some_and(|l| self.ids.contains(&l.id))
            }
            MasterField::BizLocation => {
                event.biz_location.as_ref().is_some_and(|l| self.ids.contains(&l.id))
            }
            MasterField::EpcClass => event
                .quantity_list
                .iter()
                .chain(&event.output_quantity_list)
                .any(|q| self.ids.contains(&q.epc_class)),
        }
    }
}

/// `given` and every element reachable from them through `children`, compared canonically.
fn descendants(given: &[String], elements: &[&VocabularyElement]) -> Vec<String> {
    // One location may be described under several vocabulary types (BusinessLocation and
    // ReadPoint): the children of every description count.
    let mut by_id: std::collections::HashMap<String, Vec<&VocabularyElement>> =
        std::collections::HashMap::new();
    for element in elements {
        by_id.entry(crate::canonical_id(&element.id).into_owned()).or_default().push(element);
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<String> = given.to_vec();
    while let Some(id) = stack.pop() {
        if !seen.insert(crate::canonical_id(&id).into_owned()) {
            continue;
        }
        for element in by_id.get(crate::canonical_id(&id).as_ref()).into_iter().flatten() {
            stack.extend(element.children.iter().cloned());
        }
        out.push(id);
    }
    out
}

/// `name` with a standard prefix (or, with `namespaces`, a declared one) expanded.
fn expand_standard(name: &str, namespaces: Option<&Namespaces<'_>>) -> String {
    if let Some((prefix, local)) = name.split_once(':')
        && !local.starts_with("//")
        && prefix != "urn"
        && prefix != "http"
        && prefix != "https"
    {
        let namespace = match namespaces {
            Some(n) => n.resolve(prefix),
            None => crate::context::STANDARD_PREFIXES
                .iter()
                .find(|(p, _)| *p == prefix)
                .map(|(_, ns)| (*ns).to_owned()),
        };
        if let Some(namespace) = namespace {
            return format!("{namespace}{local}");
        }
    }
    name.to_owned()
}
