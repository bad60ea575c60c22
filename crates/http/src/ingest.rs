//! From a request body to capture records: read, validate and hash a document, telling which
//! events are invalid (for `GS1-Capture-Error-Behaviour: proceed`) from problems that spoil
//! the whole document.

use serialhub_epcis::hash::EventHasher;
use serialhub_epcis::read::{Handler, Stopped};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::validate::Validator;
use serialhub_epcis::{Event, Header, Limits, Problem, Vocabulary, Where};
use serialhub_store::EventRecord;

/// A document read and validated: its good events as records, and each invalid event's errors.
#[derive(Debug, Default)]
pub struct Ingested {
    /// The valid events, hashed, with `recordTime` set and an `eventID` where they had none.
    pub records: Vec<EventRecord>,
    /// `LOCATION: message` for every error of an invalid event (those events are not in
    /// `records`).
    pub event_errors: Vec<String>,
    /// How many events the document held.
    pub events_total: usize,
    /// The header's master data (for a partner's key, only the elements naming its party).
    pub master_data: Vec<Vocabulary>,
}

/// Why a document was refused whole.
#[derive(Debug)]
pub enum IngestError {
    /// It does not read, or its header or outer structure is invalid: `LOCATION: message`.
    Invalid(Vec<String>),
    /// It holds more events than one capture may.
    TooManyEvents(String),
}

/// Collects each event with the errors reported before it (readers and the validator report an
/// event's problems before handing it over), and the header's errors separately.
#[derive(Default)]
struct Attribute {
    header: Option<Header>,
    pending: Vec<Problem>,
    document_errors: Vec<Problem>,
    events: Vec<(Event, Where, Vec<Problem>)>,
}

impl Handler for Attribute {
    fn header(&mut self, header: &Header) -> Result<(), Stopped> {
        self.header = Some(header.clone());
        self.document_errors.append(&mut self.pending);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), Stopped> {
        self.event_at(event, Where::Document)
    }

    fn event_at(&mut self, event: Event, at: Where) -> Result<(), Stopped> {
        let problems = std::mem::take(&mut self.pending);
        self.events.push((event, at, problems));
        Ok(())
    }

    fn problem(&mut self, problem: Problem) -> Result<(), Stopped> {
        if !problem.is_error() {
            return Ok(());
        }
        // An XML event of an unknown type is skipped by the reader: its problem belongs to no
        // event that follows.
        if problem.code == "event_type" {
            self.document_errors.push(problem);
        } else {
            self.pending.push(problem);
        }
        Ok(())
    }
}

/// Reads `bytes` (JSON-LD or XML, 2.0 or 1.2), validates every event, and makes the records
/// of the valid ones, captured at `record_time` by `captured_by` (the caller's party).
pub fn ingest(
    bytes: &[u8],
    events_max: usize,
    record_time: Timestamp,
    captured_by: Option<&str>,
) -> Result<Ingested, IngestError> {
    let limits = Limits { events_max, ..Limits::default() };
    let mut validator = Validator::new(Attribute::default());
    let read = serialhub_epcis::read_slice(bytes, &limits, &mut validator);
    let mut attributed = validator.into_inner();
    if let Err(error) = read {
        if error.problem.code == "too_many_events" {
            return Err(IngestError::TooManyEvents(error.problem.to_string()));
        }
        let mut errors: Vec<String> =
            attributed.document_errors.iter().map(Problem::to_string).collect();
        errors.push(error.problem.to_string());
        return Err(IngestError::Invalid(errors));
    }
    // Problems after the last event concern the document's end.
    attributed.document_errors.append(&mut attributed.pending);
    if !attributed.document_errors.is_empty() {
        return Err(IngestError::Invalid(
            attributed.document_errors.iter().map(Problem::to_string).collect(),
        ));
    }
    let mut header = attributed.header.unwrap_or_default();
    let elements: usize = header.master_data.iter().map(|v| v.elements.len()).sum();
    if elements > serialhub_store::master::ELEMENTS_PER_CAPTURE_MAX {
        return Err(IngestError::Invalid(vec![format!(
            "EPCISMasterData: {elements} vocabulary elements, more than the {} one capture may carry",
            serialhub_store::master::ELEMENTS_PER_CAPTURE_MAX
        )]));
    }
    let mut master_errors = Vec::new();
    let mut master_data = std::mem::take(&mut header.master_data);
    if let Some(gln) = captured_by {
        // A partner describes its own locations and no one else's: another party's master
        // data would change how that party's events are queried.
        for vocabulary in &mut master_data {
            vocabulary.elements.retain(|element| {
                let own = serialhub_epcis::query::names_party(&element.id, gln);
                if !own {
                    master_errors.push(format!(
                        "EPCISMasterData: element {} names party {gln} nowhere, and a partner's key describes only its own locations (not stored)",
                        element.id
                    ));
                }
                own
            });
        }
        master_data.retain(|v| !v.elements.is_empty());
    }
    let mut hasher = EventHasher::new(&header);
    let recorded = record_time.to_utc_millis_string();
    let mut ingested = Ingested {
        events_total: attributed.events.len(),
        master_data,
        event_errors: master_errors,
        ..Ingested::default()
    };
    // A partner records what happens at its own places or between it and others: an event
    // naming none of its party's locations or roles is refused (it would change another
    // company's goods and let the partner read their state).
    let own = captured_by.map(|gln| {
        let mut names = serialhub_epcis::query::EventQuery::default();
        names.restrict_to_parties(vec![gln.to_owned()]);
        names
    });
    for (mut event, at, problems) in attributed.events {
        if !problems.is_empty() {
            ingested.event_errors.extend(problems.iter().map(Problem::to_string));
            continue;
        }
        if let (Some(names), Some(gln)) = (&own, captured_by)
            && !names.matches(&event)
        {
            ingested.event_errors.push(format!(
                "{at}: the event names party {gln} nowhere (readPoint, bizLocation, source or destination), and a partner's key captures only its own events"
            ));
            continue;
        }
        // recordTime and eventID are outside the event hash, so setting them changes no hash.
        let hash = hasher.hash(&event);
        event.record_time = Some(recorded.clone());
        if event.event_id.is_none() {
            // A declaration without an eventID names its event by the event's hash.
            event.event_id = Some(hash.clone());
        }
        let hash_id = serialhub_store::capture_id(hash, &event);
        let mut record = EventRecord::new(hash_id, event).with_body();
        record.captured_by = captured_by.map(str::to_owned);
        ingested.records.push(record);
    }
    Ok(ingested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2025-06-01T00:00:00Z").expect("a timestamp")
    }

    const GOOD: &str = r#"{"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "commissioning",
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00000.0"},
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"]}"#;
    const BAD: &str = r#"{"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00", "action": "SIDEWAYS",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.2"]}"#;

    fn document(events: &[&str]) -> Vec<u8> {
        format!(
            r#"{{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-01T00:00:00Z",
            "epcisBody": {{"eventList": [{}]}}}}"#,
            events.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn invalid_events_are_set_apart_and_valid_ones_get_record_time_and_event_id() {
        let ingested =
            ingest(&document(&[GOOD, BAD, GOOD]), 10, now(), Some("4012345000009")).expect("reads");
        assert_eq!(ingested.events_total, 3);
        assert_eq!(ingested.records.len(), 2, "the two valid events");
        assert!(ingested.event_errors.iter().all(|e| e.starts_with("/epcisBody/eventList/1")));
        assert!(!ingested.event_errors.is_empty());
        let record = &ingested.records[0];
        assert_eq!(record.event.record_time.as_deref(), Some("2025-06-01T00:00:00.000Z"));
        assert_eq!(record.event.event_id.as_deref(), Some(record.hash_id.as_str()));
        assert_eq!(record.captured_by.as_deref(), Some("4012345000009"));
        assert_eq!(
            record.hash_id,
            serialhub_epcis::hash::event_hash(&record.event),
            "eventID and recordTime leave the hash alone"
        );
    }

    #[test]
    fn a_partner_captures_only_events_naming_its_party() {
        let ingested = ingest(&document(&[GOOD]), 10, now(), Some("4098765000003")).expect("reads");
        assert!(ingested.records.is_empty());
        assert!(
            ingested.event_errors[0].contains("names party 4098765000003 nowhere"),
            "{:?}",
            ingested.event_errors
        );
        let own = ingest(&document(&[GOOD]), 10, now(), Some("4012345000009")).expect("reads");
        assert_eq!(own.records.len(), 1, "its own site");
    }

    #[test]
    fn unreadable_and_oversized_documents_are_refused_whole() {
        match ingest(b"{\"type\": \"EPCISDocument\", ", 10, now(), None) {
            Err(IngestError::Invalid(errors)) => assert!(!errors.is_empty()),
            other => panic!("expected Invalid, got {other:?}"),
        }
        match ingest(b"hello", 10, now(), None) {
            Err(IngestError::Invalid(errors)) => assert!(!errors.is_empty()),
            other => panic!("expected Invalid, got {other:?}"),
        }
        match ingest(&document(&[GOOD, GOOD, GOOD]), 2, now(), None) {
            Err(IngestError::TooManyEvents(message)) => assert!(message.contains('2'), "{message}"),
            other => panic!("expected TooManyEvents, got {other:?}"),
        }
    }
}
