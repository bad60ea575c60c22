//! Streaming XML reader for EPCIS 2.0 and 1.2 documents.
//!
//! One code path reads both versions. EPCIS 1.2 puts every field added after 1.0 inside
//! `<extension>` or `<baseExtension>` wrappers (and `TransformationEvent`, `AssociationEvent`
//! inside `<extension>` in the event list); the reader unwraps them into the same model fields
//! as 2.0, and keeps a wrapper as an extension element only for the children that are not
//! standard fields. Elements are EPCIS's own when they have no namespace or an EPCIS one
//! (some writers qualify every element with the document's namespace).
//!
//! The reader pulls tokens from `pull` and hands each event to the handler as soon as its end
//! tag is read: memory is bounded by one event. Problems that leave the document readable
//! (an unknown event type, a bad `action`, a missing field, a field out of the XSD's order) are
//! reported with the line of the element concerned, and each event is handed on with the line of
//! its start tag (`Handler::event_at`); malformed or hostile input ends the read with a
//! `ReadError`.

mod event;
mod pull;
mod source;

use std::io::BufRead;

use self::pull::{Pull, Tok, XSI_NAMESPACE, is_epcis_namespace};
use crate::model::{
    DocumentKind, Element, EventType, Header, Vocabulary, VocabularyAttribute, VocabularyElement,
};
use crate::problem::{ReadError, Where};
use crate::read::{Handler, Limits, stopped};

/// How many `<extension>` wrappers inside each other are unwrapped; anything deeper is kept
/// whole as an extension element, so the call stack stays small whatever the depth limit.
const WRAPPER_NESTING_MAX: usize = 4;

/// Namespaces the document itself needs, which are not extension prefixes: they are left out
/// of `Header::namespaces` so that writers do not declare them twice.
const NOT_EXTENSION_NAMESPACES: [&str; 2] =
    [XSI_NAMESPACE, "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"];

/// Reads an EPCIS 2.0 or 1.2 XML document from `input`, event by event.
///
/// Accepts `EPCISDocument`, `EPCISQueryDocument`, `EPCISMasterDataDocument` (its vocabularies
/// become the header's master data) and a bare event as the root.
pub fn read<R: BufRead, H: Handler>(
    input: R,
    limits: &Limits,
    handler: &mut H,
) -> Result<(), ReadError> {
    let mut doc = Doc {
        pull: Pull::new(input, limits),
        handler,
        limits,
        header: Header::default(),
        header_sent: false,
        events: 0,
    };
    doc.document()
}

struct Doc<'h, 'l, R, H> {
    pull: Pull<'l, R>,
    handler: &'h mut H,
    limits: &'l Limits,
    header: Header,
    header_sent: bool,
    events: usize,
}

impl<R: BufRead, H: Handler> Doc<'_, '_, R, H> {
    fn document(&mut self) -> Result<(), ReadError> {
        if self.pull.next()? != Tok::Start {
            return Err(ReadError::new(
                Where::Document,
                "empty",
                "the document has no root element",
            ));
        }
        let root = &self.pull.start;
        let kind = if root.standard { root.local.as_str() } else { "" };
        let bare_event = EventType::from_name(kind);
        match kind {
            "EPCISDocument" | "EPCISQueryDocument" | "EPCISMasterDataDocument" => {}
            _ if bare_event.is_some() => {}
            _ => {
                let name = match root.namespace.as_str() {
                    "" => root.local.clone(),
                    ns => format!("{{{ns}}}{}", root.local),
                };
                return Err(ReadError::new(
                    root.at(),
                    "document_type",
                    format!(
                        "the root element is {name}, not EPCISDocument, EPCISQueryDocument, \
                         EPCISMasterDataDocument or an event"
                    ),
                ));
            }
        }
        if kind == "EPCISQueryDocument" {
            self.header.kind = DocumentKind::EpcisQueryDocument;
        }
        let value = |name| root.attribute(name).map(|v| pull::trim(v).to_owned());
        self.header.schema_version = value("schemaVersion");
        self.header.creation_date = value("creationDate");
        self.header.namespaces = root
            .attributes()
            .iter()
            .filter(|a| {
                a.is_declaration
                    && !is_epcis_namespace(&a.value)
                    && !NOT_EXTENSION_NAMESPACES.contains(&a.value.as_str())
            })
            .map(|a| (a.local.clone(), a.value.clone()))
            .collect();
        match bare_event {
            Some(event_type) => {
                self.send_header()?;
                self.event(event_type, true)?;
            }
            None => self.root_children()?,
        }
        match self.pull.next()? {
            Tok::Eof => {}
            Tok::Start | Tok::End => {
                return Err(ReadError::new(
                    self.pull.here(),
                    "xml_syntax",
                    "content after the root element",
                ));
            }
        }
        self.send_header()?;
        self.flush()
    }

    /// Hands on the problems found so far, in document order.
    fn flush(&mut self) -> Result<(), ReadError> {
        for problem in self.pull.problems.drain(..) {
            self.handler.problem(problem).map_err(|_| stopped())?;
        }
        Ok(())
    }

    fn send_header(&mut self) -> Result<(), ReadError> {
        if !self.header_sent {
            self.header_sent = true;
            self.flush()?;
            self.handler.header(&self.header).map_err(|_| stopped())?;
        }
        Ok(())
    }

    fn is(&self, local: &str) -> bool {
        self.pull.start.standard && self.pull.start.local == local
    }

    fn root_children(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.is("EPCISHeader") {
                self.epcis_header()?;
            } else if self.is("EPCISBody") {
                self.body()?;
            } else if !self.header_sent {
                let element = self.pull.element()?;
                self.header.extensions.push(element);
            } else {
                self.pull.ignore("the header, which holds document extensions, is handed on before the first event")?;
            }
        }
        Ok(())
    }

    fn epcis_header(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.pull.start.local == "StandardBusinessDocumentHeader" {
                self.header.sbdh = Some(self.pull.element()?);
            } else if self.is("EPCISMasterData") {
                self.master_data()?;
            } else if self.is("extension") {
                if let Some(kept) = self.header_extension(0)? {
                    self.header.extensions.push(kept);
                }
            } else {
                let element = self.pull.element()?;
                self.header.extensions.push(element);
            }
        }
        Ok(())
    }

    /// The header's `extension` wrapper, which holds `EPCISMasterData` in 1.2 (and 2.0); other
    /// children are kept in a wrapper of the same name.
    fn header_extension(&mut self, nest: usize) -> Result<Option<Element>, ReadError> {
        let attributes = self.pull.start.model_attributes();
        let mut kept = Vec::new();
        while self.pull.next_child()? {
            if self.is("EPCISMasterData") {
                self.master_data()?;
            } else if self.is("extension") && nest < WRAPPER_NESTING_MAX {
                kept.extend(self.header_extension(nest + 1)?);
            } else {
                kept.push(self.pull.element()?);
            }
        }
        Ok(event::wrapper_element("extension", attributes, kept))
    }

    fn master_data(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.is("VocabularyList") {
                self.vocabulary_list()?;
            } else {
                self.pull.ignore("master data has no place for it")?;
            }
        }
        Ok(())
    }

    fn vocabulary_list(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.is("Vocabulary") {
                let vocabulary = self.vocabulary()?;
                self.header.master_data.push(vocabulary);
            } else {
                self.pull.ignore("a vocabulary list holds only <Vocabulary> elements")?;
            }
        }
        Ok(())
    }

    fn vocabulary(&mut self) -> Result<Vocabulary, ReadError> {
        let pull = &mut self.pull;
        let mut vocabulary = Vocabulary::default();
        match pull.start.attribute("type") {
            Some(type_) => vocabulary.type_ = pull::trim(type_).to_owned(),
            None => {
                let at = pull.start.at();
                pull.problem(at, "required", "a Vocabulary needs a type attribute");
            }
        }
        while pull.next_child()? {
            if !(pull.start.standard && pull.start.local == "VocabularyElementList") {
                pull.ignore("vocabulary extensions have no place in the model")?;
                continue;
            }
            while pull.next_child()? {
                if pull.start.standard && pull.start.local == "VocabularyElement" {
                    vocabulary.elements.push(vocabulary_element(pull)?);
                } else {
                    pull.ignore("a vocabulary element list holds only <VocabularyElement>s")?;
                }
            }
        }
        Ok(vocabulary)
    }

    fn body(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.is("EventList") {
                self.event_list(0)?;
            } else if self.is("QueryResults") {
                self.query_results()?;
            } else if self.is("VocabularyList") && !self.header_sent {
                // The body of an EPCISMasterDataDocument.
                self.vocabulary_list()?;
            } else {
                self.pull.ignore("the body holds only the event list")?;
            }
        }
        Ok(())
    }

    fn query_results(&mut self) -> Result<(), ReadError> {
        while self.pull.next_child()? {
            if self.is("queryName") {
                self.header.query_name = Some(self.pull.text()?);
            } else if self.is("subscriptionID") {
                self.header.subscription_id = Some(self.pull.text()?);
            } else if self.is("resultsBody") {
                while self.pull.next_child()? {
                    if self.is("EventList") {
                        self.event_list(0)?;
                    } else if self.is("VocabularyList") && !self.header_sent {
                        self.vocabulary_list()?;
                    } else {
                        self.pull.ignore("query results hold only an event list here")?;
                    }
                }
            } else {
                self.pull.ignore("query results have no place for it")?;
            }
        }
        Ok(())
    }

    /// The events of an `EventList`, or of an `extension` inside it (where EPCIS 1.2 puts
    /// TransformationEvent, and 2.0 events written for 1.2 readers).
    fn event_list(&mut self, nest: usize) -> Result<(), ReadError> {
        self.send_header()?;
        while self.pull.next_child()? {
            let start = &self.pull.start;
            let event_type = if start.standard { EventType::from_name(&start.local) } else { None };
            if let Some(event_type) = event_type {
                // EPCIS 1.2 declares the events of `EventList` and of `EventList/extension`
                // (TransformationEvent); deeper wrappers are `xsd:any`, with no sequence to check.
                self.event(event_type, nest <= 1)?;
            } else if self.is("extension") && nest < WRAPPER_NESTING_MAX {
                self.event_list(nest + 1)?;
            } else {
                let message = format!("unknown event type {}; the event is skipped", start.tag());
                let at = start.at();
                self.pull.problem(at, "event_type", message);
                self.pull.skip()?;
                self.flush()?;
            }
        }
        Ok(())
    }

    fn event(&mut self, event_type: EventType, check_order: bool) -> Result<(), ReadError> {
        self.limits.check_events(self.events, || self.pull.start.at())?;
        // The start tag's place locates the validator's problems about the event.
        let at = self.pull.start.at();
        let event = event::read_event(&mut self.pull, event_type, check_order)?;
        self.flush()?;
        self.events += 1;
        self.handler.event_at(event, at).map_err(|_| stopped())
    }
}

fn vocabulary_element<R: BufRead>(pull: &mut Pull<'_, R>) -> Result<VocabularyElement, ReadError> {
    let mut element = VocabularyElement::default();
    match pull.start.attribute("id") {
        Some(id) => element.id = pull::trim(id).to_owned(),
        None => {
            let at = pull.start.at();
            pull.problem(at, "required", "a VocabularyElement needs an id attribute");
        }
    }
    while pull.next_child()? {
        if pull.start.standard && pull.start.local == "attribute" {
            let id = pull.start.attribute("id").map(|id| pull::trim(id).to_owned());
            let at = pull.start.at();
            let value = pull.element()?.content;
            if id.is_none() {
                pull.problem(at, "required", "a master data attribute needs an id attribute");
            }
            element.attributes.push(VocabularyAttribute { id: id.unwrap_or_default(), value });
        } else if pull.start.standard && pull.start.local == "children" {
            while pull.next_child()? {
                if pull.start.standard && pull.start.local == "id" {
                    element.children.push(pull.text()?);
                } else {
                    pull.ignore("children holds only <id> elements")?;
                }
            }
        } else {
            pull.ignore("vocabulary element extensions have no place in the model")?;
        }
    }
    Ok(element)
}
