//! The pull layer of the XML reader: quick-xml events become start and end tokens with resolved
//! names, character data is gathered between them with entities resolved, every start tag knows
//! its line, and the limits on hostile input are enforced.
//!
//! Reading is allocation-free in the steady state: the event buffer, the current start tag with
//! its attributes, and the text buffer are reused from token to token.

use std::io::BufRead;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::{NamespaceResolver, PrefixDeclaration, ResolveResult};

use super::source::{Overflow, Source};
use crate::model::{Content, Element, Name};
use crate::problem::{Problem, ReadError, Where};
use crate::read::Limits;

/// The namespaces whose elements are EPCIS's own: the standard's children are unqualified,
/// but some writers qualify them with the document's namespace, which means the same.
const EPCIS_NAMESPACES: [&str; 6] = [
    "urn:epcglobal:epcis:xsd:2",
    "urn:epcglobal:epcis:xsd:1",
    "urn:epcglobal:epcis-query:xsd:2",
    "urn:epcglobal:epcis-query:xsd:1",
    "urn:epcglobal:epcis-masterdata:xsd:2",
    "urn:epcglobal:epcis-masterdata:xsd:1",
];

pub(super) fn is_epcis_namespace(namespace: &str) -> bool {
    EPCIS_NAMESPACES.contains(&namespace)
}

/// XML Schema's instance namespace, whose `nil` attribute says an element is absent.
pub(super) const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Bytes a single token may take beyond the longest text: room for a tag's attribute names.
const TOKEN_SLACK: usize = 64 * 1024;

/// What `Pull::next` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A start tag (or an empty-element tag, whose `End` follows); see `Pull::start`.
    Start,
    End,
    /// The end of the input, outside the root element.
    Eof,
}

/// One attribute of the current start tag.
#[derive(Debug, Default)]
pub(super) struct Attr {
    pub(super) namespace: String,
    pub(super) local: String,
    pub(super) prefix: String,
    pub(super) value: String,
    /// An `xmlns` or `xmlns:p` declaration: `local` holds the declared prefix (empty for the
    /// default namespace) and `value` the namespace.
    pub(super) is_declaration: bool,
}

/// The start tag last read.
#[derive(Debug, Default)]
pub(super) struct Start {
    pub(super) namespace: String,
    pub(super) local: String,
    pub(super) prefix: String,
    /// No namespace or an EPCIS one: the element may be a standard field.
    pub(super) standard: bool,
    pub(super) line: u64,
    pub(super) column: u64,
    // Invariant: `attrs[..attrs_len]` are this tag's; the rest are kept for their buffers.
    attrs: Vec<Attr>,
    attrs_len: usize,
}

impl Start {
    pub(super) fn at(&self) -> Where {
        Where::Line { line: self.line, column: self.column }
    }

    pub(super) fn attributes(&self) -> &[Attr] {
        &self.attrs[..self.attrs_len]
    }

    /// The value of the attribute `local` without namespace.
    pub(super) fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes()
            .iter()
            .find(|a| !a.is_declaration && a.namespace.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Whether the tag says `xsi:nil="true"` (or `"1"`, the other xsd:boolean true): the
    /// element stands for no value.
    pub(super) fn is_nil(&self) -> bool {
        self.attributes().iter().any(|a| {
            !a.is_declaration
                && a.local == "nil"
                && a.namespace == XSI_NAMESPACE
                && matches!(trim(&a.value), "true" | "1")
        })
    }

    /// The element's name as the model keeps it.
    pub(super) fn name(&self) -> Name {
        Name::new(&self.namespace, &self.local, &self.prefix)
    }

    /// The attributes as the model keeps them (namespace declarations are not attributes).
    pub(super) fn model_attributes(&self) -> Vec<(Name, String)> {
        self.attributes()
            .iter()
            .filter(|a| !a.is_declaration)
            .map(|a| (Name::new(&a.namespace, &a.local, &a.prefix), a.value.clone()))
            .collect()
    }

    /// Starts an extension element from this tag; its content comes later.
    fn element(&self) -> Element {
        Element { name: self.name(), attributes: self.model_attributes(), content: Content::Empty }
    }

    /// Describes the tag for messages: `<prefix:local>`.
    pub(super) fn tag(&self) -> String {
        if self.prefix.is_empty() {
            format!("<{}>", self.local)
        } else {
            format!("<{}:{}>", self.prefix, self.local)
        }
    }

    fn next_attr(&mut self) -> &mut Attr {
        if self.attrs_len == self.attrs.len() {
            self.attrs.push(Attr::default());
        }
        self.attrs_len += 1;
        let attr = &mut self.attrs[self.attrs_len - 1];
        attr.namespace.clear();
        attr.local.clear();
        attr.prefix.clear();
        attr.value.clear();
        attr.is_declaration = false;
        attr
    }
}

/// XML whitespace (the standard's S production), which is what may surround a value.
fn is_xml_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// `text` without surrounding XML whitespace. Works on bytes: whitespace is ASCII, so the cuts
/// fall on character boundaries.
pub(super) fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    let Some(start) = bytes.iter().position(|b| !is_xml_space(*b)) else {
        return "";
    };
    let end = bytes.iter().rposition(|b| !is_xml_space(*b)).map_or(start, |i| i + 1);
    &text[start..end]
}

pub(super) fn is_blank(text: &str) -> bool {
    text.bytes().all(is_xml_space)
}

pub(super) struct Pull<'l, R> {
    reader: NsReader<Source<R>>,
    buf: Vec<u8>,
    /// The start tag last returned by `next`.
    pub(super) start: Start,
    /// Character data read before the token last returned, entities resolved.
    pub(super) text: String,
    /// Problems found and not yet handed to the consumer.
    pub(super) problems: Vec<Problem>,
    limits: &'l Limits,
    /// Elements open, the one last started included.
    depth: usize,
    /// The token last returned was an empty-element tag: its end comes next.
    pending_end: bool,
    /// Where the token last returned starts.
    line: u64,
    column: u64,
    /// Where `text` starts.
    text_start: (u64, u64),
}

impl<'l, R: BufRead> Pull<'l, R> {
    pub(super) fn new(input: R, limits: &'l Limits) -> Pull<'l, R> {
        let token_len_max = limits.text_len_max.saturating_add(TOKEN_SLACK);
        let source = Source::new(input, token_len_max, limits.name_len_max);
        let mut reader = NsReader::from_reader(source);
        // The defaults already check end names and refuse lone `&`; state them, since the
        // reader depends on both.
        let config = reader.config_mut();
        config.check_end_names = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Pull {
            reader,
            buf: Vec::with_capacity(4096),
            start: Start::default(),
            text: String::new(),
            problems: Vec::new(),
            limits,
            depth: 0,
            pending_end: false,
            line: 1,
            column: 1,
            text_start: (1, 1),
        }
    }

    /// Where the token last returned starts.
    pub(super) fn here(&self) -> Where {
        Where::Line { line: self.line, column: self.column }
    }

    /// Where the first character of the text last read that is not whitespace is. Only
    /// problems need it, so it is worked out from `text` rather than tracked.
    fn text_at(&self) -> Where {
        let (mut line, mut column) = self.text_start;
        let blank_len =
            self.text.len() - self.text.trim_start_matches([' ', '\t', '\r', '\n']).len();
        let blank = &self.text.as_bytes()[..blank_len];
        match blank.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                line += blank.iter().filter(|b| **b == b'\n').count() as u64;
                column = (blank_len - last) as u64;
            }
            None => column += blank_len as u64,
        }
        Where::Line { line, column }
    }

    pub(super) fn problem(&mut self, at: Where, code: &'static str, message: impl Into<String>) {
        self.problems.push(Problem::new(at, code, message));
    }

    fn fatal(&self, code: &'static str, message: impl Into<String>) -> ReadError {
        ReadError::new(self.here(), code, message)
    }

    /// Reads up to the next start tag, end tag or the end of input. Character data on the way is
    /// left in `text`, comments and processing instructions are skipped.
    pub(super) fn next(&mut self) -> Result<Tok, ReadError> {
        self.text.clear();
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            return Ok(Tok::End);
        }
        let limits = self.limits;
        // The event borrows `buf` until it is handled: only field-level access from here on.
        loop {
            self.buf.clear();
            let source = self.reader.get_mut();
            source.mark();
            (self.line, self.column) = source.position();
            let at = Where::Line { line: self.line, column: self.column };
            if self.text.is_empty() {
                self.text_start = (self.line, self.column);
            }
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => return Err(xml_error(&e, self.reader.get_ref().overflow(), limits, at)),
            };
            // Only start tags need their namespace; quick-xml's resolved read would resolve end
            // tags too.
            let mut unknown_prefix = None;
            if let XmlEvent::Start(tag) | XmlEvent::Empty(tag) = &event {
                self.start.namespace.clear();
                match self.reader.resolver().resolve_element(tag.name()).0 {
                    ResolveResult::Bound(ns) => self.start.namespace.push_str(ns.0),
                    ResolveResult::Unbound => {}
                    ResolveResult::Unknown(prefix) => unknown_prefix = Some(prefix),
                }
            }
            if let Some(overflow) = self.reader.get_ref().overflow() {
                return Err(overflow_error(overflow, limits, at));
            }
            if let Some(prefix) = unknown_prefix {
                return Err(unbound_prefix(at, &prefix));
            }
            let (tag, empty) = match event {
                XmlEvent::Start(tag) => (tag, false),
                XmlEvent::Empty(tag) => (tag, true),
                XmlEvent::End(_) => {
                    self.depth -= 1;
                    return Ok(Tok::End);
                }
                XmlEvent::Text(text) => {
                    let content = text.xml10_content();
                    if self.depth == 0 && !is_blank(&content) {
                        return Err(ReadError::new(
                            at,
                            "xml_syntax",
                            "text outside the root element",
                        ));
                    }
                    push_text(&mut self.text, &content, limits, at)?;
                    continue;
                }
                XmlEvent::CData(data) => {
                    if self.depth == 0 {
                        return Err(ReadError::new(
                            at,
                            "xml_syntax",
                            "CDATA outside the root element",
                        ));
                    }
                    push_text(&mut self.text, &data.xml10_content(), limits, at)?;
                    continue;
                }
                XmlEvent::GeneralRef(reference) => {
                    if self.depth == 0 {
                        return Err(ReadError::new(
                            at,
                            "xml_syntax",
                            "a reference outside the root element",
                        ));
                    }
                    if reference.is_char_ref() {
                        let Ok(Some(c)) = reference.resolve_char_ref() else {
                            return Err(ReadError::new(
                                at,
                                "entity",
                                format!("invalid character reference &{};", &*reference),
                            ));
                        };
                        push_text(&mut self.text, c.encode_utf8(&mut [0u8; 4]), limits, at)?;
                    } else {
                        let Some(replacement) = resolve_xml_entity(&reference) else {
                            return Err(ReadError::new(
                                at,
                                "entity",
                                format!(
                                    "unknown entity &{};: only the five predefined XML entities \
                                     and character references are accepted",
                                    &*reference
                                ),
                            ));
                        };
                        push_text(&mut self.text, replacement, limits, at)?;
                    }
                    continue;
                }
                // `<!DOCTYPE name>` alone declares nothing and loads nothing (some editors add it
                // to every file, GS1's own examples included); an external identifier or an
                // internal subset is what brings entity expansion and external entities.
                XmlEvent::DocType(doctype) if self.depth == 0 && is_bare_doctype(&doctype) => {
                    continue;
                }
                XmlEvent::DocType(_) => {
                    return Err(ReadError::new(
                        at,
                        "dtd",
                        "document type declarations with an external identifier or an internal \
                         subset are not accepted: EPCIS needs none, and they open the door to \
                         entity expansion and external entities",
                    ));
                }
                XmlEvent::Comment(_) | XmlEvent::PI(_) | XmlEvent::Decl(_) => continue,
                XmlEvent::Eof => {
                    if self.depth > 0 {
                        return Err(ReadError::new(
                            at,
                            "truncated",
                            format!("the document ends with {} element(s) still open", self.depth),
                        ));
                    }
                    return Ok(Tok::Eof);
                }
            };
            self.depth += 1;
            if self.depth > limits.depth_max {
                return Err(ReadError::new(
                    at,
                    "depth",
                    format!("elements are nested deeper than {}", limits.depth_max),
                ));
            }
            self.start.line = self.line;
            self.start.column = self.column;
            let resolver = self.reader.resolver();
            if let Err((code, message)) = read_start(&mut self.start, resolver, &tag, limits) {
                return Err(ReadError::new(at, code, message));
            }
            self.pending_end = empty;
            return Ok(Tok::Start);
        }
    }

    /// Reads to the next child of the current element: `true` with `start` filled in, `false` at
    /// the element's end. Text between children is not content; any that is not blank is reported.
    pub(super) fn next_child(&mut self) -> Result<bool, ReadError> {
        let tok = self.next()?;
        if !is_blank(&self.text) {
            let at = self.text_at();
            self.problem(at, "ignored", "text here is not part of any field and is not kept");
        }
        Ok(tok == Tok::Start)
    }

    /// Skips the rest of the element last started.
    pub(super) fn skip(&mut self) -> Result<(), ReadError> {
        let depth = self.depth;
        loop {
            if self.next()? == Tok::End && self.depth < depth {
                return Ok(());
            }
        }
    }

    /// Consumes the element last started if it is nil (`xsi:nil="true"`), which the caller then
    /// reads as absent: `true` if it was. A nil element must be empty; content is reported and
    /// not kept.
    pub(super) fn nil(&mut self) -> Result<bool, ReadError> {
        if !self.start.is_nil() {
            return Ok(false);
        }
        let at = self.start.at();
        let depth = self.depth;
        let mut has_content = false;
        loop {
            let tok = self.next()?;
            has_content |= tok == Tok::Start || !is_blank(&self.text);
            match tok {
                Tok::End if self.depth < depth => break,
                Tok::Eof => {
                    return Err(self.fatal("truncated", "the document ends inside an element"));
                }
                _ => {}
            }
        }
        if has_content {
            self.problem(
                at,
                "ignored",
                "the content of a nil element (xsi:nil=\"true\") is not kept",
            );
        }
        Ok(true)
    }

    /// Skips the element last started and reports it as not kept.
    pub(super) fn ignore(&mut self, why: &str) -> Result<(), ReadError> {
        let message = format!("{} is not kept: {why}", self.start.tag());
        let at = self.start.at();
        self.problem(at, "ignored", message);
        self.skip()
    }

    /// Reads the text of the element last started: a field value, trimmed. Child elements have
    /// no place in a value; they are reported and skipped.
    pub(super) fn text(&mut self) -> Result<String, ReadError> {
        // Only a value interrupted by child elements needs its own buffer.
        let mut pieces: Option<String> = None;
        loop {
            match self.next()? {
                Tok::End => {
                    return Ok(match pieces {
                        None => trim(&self.text).to_owned(),
                        Some(mut pieces) => {
                            pieces.push_str(&self.text);
                            trim(&pieces).to_owned()
                        }
                    });
                }
                Tok::Start => {
                    let pieces = pieces.get_or_insert_with(String::new);
                    push_text(pieces, &self.text, self.limits, self.start.at())?;
                    self.ignore("a value cannot hold elements")?;
                }
                Tok::Eof => return Err(self.fatal("truncated", "the document ends inside a value")),
            }
        }
    }

    /// Reads the element last started, whole, as an extension element. Iterative, so that the
    /// depth limit and not the call stack bounds the nesting.
    pub(super) fn element(&mut self) -> Result<Element, ReadError> {
        let mut stack = vec![self.start.element()];
        loop {
            let tok = self.next()?;
            let blank = is_blank(&self.text);
            match tok {
                Tok::Start => {
                    if !blank {
                        self.mixed_content();
                    }
                    stack.push(self.start.element());
                }
                Tok::End => {
                    let mut element =
                        stack.pop().expect("every end closes an element started here");
                    if !blank {
                        match element.content {
                            Content::Empty => {
                                element.content = Content::Text(trim(&self.text).to_owned())
                            }
                            _ => self.mixed_content(),
                        }
                    }
                    let Some(parent) = stack.last_mut() else {
                        return Ok(element);
                    };
                    match &mut parent.content {
                        Content::Children(children) => children.push(element),
                        content => *content = Content::Children(vec![element]),
                    }
                }
                Tok::Eof => {
                    return Err(self.fatal("truncated", "the document ends inside an element"));
                }
            }
        }
    }

    fn mixed_content(&mut self) {
        let at = self.text_at();
        self.problem(
            at,
            "ignored",
            "text mixed with child elements is not kept (only the elements are)",
        );
    }
}

/// A DOCTYPE that only names the root element: `<!DOCTYPE project>`.
fn is_bare_doctype(content: &str) -> bool {
    let name = trim(content);
    !name.is_empty() && !name.contains([' ', '\t', '\r', '\n', '[', '"', '\''])
}

fn push_text(text: &mut String, add: &str, limits: &Limits, at: Where) -> Result<(), ReadError> {
    if text.len() + add.len() > limits.text_len_max {
        return Err(text_too_long(limits, at));
    }
    text.push_str(add);
    Ok(())
}

fn text_too_long(limits: &Limits, at: Where) -> ReadError {
    ReadError::new(
        at,
        "text_too_long",
        format!("a text is longer than {} bytes", limits.text_len_max),
    )
}

fn unbound_prefix(at: Where, prefix: &str) -> ReadError {
    ReadError::new(at, "namespace", unbound_prefix_message(prefix))
}

fn unbound_prefix_message(prefix: &str) -> String {
    format!("the prefix \"{prefix}\" is not bound to a namespace")
}

fn overflow_error(overflow: Overflow, limits: &Limits, at: Where) -> ReadError {
    match overflow {
        Overflow::Name => ReadError::new(
            at,
            "name_too_long",
            format!("a name is longer than {} bytes", limits.name_len_max),
        ),
        Overflow::Markup => ReadError::new(
            at,
            "markup_too_long",
            format!(
                "a tag, comment or other markup is longer than {} bytes",
                limits.text_len_max.saturating_add(TOKEN_SLACK)
            ),
        ),
        Overflow::Text => text_too_long(limits, at),
    }
}

fn xml_error(e: &XmlError, overflow: Option<Overflow>, limits: &Limits, at: Where) -> ReadError {
    // quick-xml sees the guard's refusal as an IO error; the guard knows the reason.
    if let Some(overflow) = overflow {
        return overflow_error(overflow, limits, at);
    }
    match e {
        XmlError::Io(e) => ReadError::new(at, "io", format!("could not read the document: {e}")),
        XmlError::Encoding(_) => ReadError::new(at, "utf8", "the document is not valid UTF-8"),
        // quick-xml reads a construct up to its closing delimiter, so an unclosed one is always
        // the end of the input.
        XmlError::Syntax(
            e @ (SyntaxError::UnclosedPI
            | SyntaxError::UnclosedXmlDecl
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedDoctype
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedTag
            | SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue),
        ) => ReadError::new(at, "truncated", format!("the document is cut short: {e}")),
        XmlError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            ReadError::new(
                at,
                "xml_syntax",
                format!("the end tag </{found}> does not match the start tag <{expected}>"),
            )
        }
        XmlError::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            ReadError::new(at, "xml_syntax", format!("the end tag </{name}> has no start tag"))
        }
        XmlError::Escape(_) => ReadError::new(at, "entity", format!("invalid reference: {e}")),
        XmlError::Namespace(_) => ReadError::new(at, "namespace", format!("malformed XML: {e}")),
        _ => ReadError::new(at, "xml_syntax", format!("malformed XML: {e}")),
    }
}

/// Fills `start` from a start tag: name length, attribute count and attribute values are
/// checked against the limits. Errors are a code and a message.
fn read_start(
    start: &mut Start,
    resolver: &NamespaceResolver,
    tag: &BytesStart<'_>,
    limits: &Limits,
) -> Result<(), (&'static str, String)> {
    let name = tag.name();
    if name.0.len() > limits.name_len_max {
        return Err((
            "name_too_long",
            format!("a name is longer than {} bytes", limits.name_len_max),
        ));
    }
    let (local, prefix) = name.decompose();
    start.local.clear();
    start.local.push_str(local.as_ref());
    start.prefix.clear();
    if let Some(prefix) = prefix {
        start.prefix.push_str(prefix.as_ref());
    }
    start.standard = start.namespace.is_empty() || is_epcis_namespace(&start.namespace);
    start.attrs_len = 0;
    // Unchecked iteration, then a duplicate check over at most `attributes_max` attributes:
    // quick-xml's own check compares every pair, whatever their number.
    for attr in tag.attributes().with_checks(false) {
        let attr = attr.map_err(|e| ("xml_syntax", format!("malformed attribute: {e}")))?;
        if start.attrs_len >= limits.attributes_max {
            return Err((
                "too_many_attributes",
                format!("an element has more than {} attributes", limits.attributes_max),
            ));
        }
        let key = attr.key;
        if key.0.len() > limits.name_len_max {
            return Err((
                "name_too_long",
                format!("a name is longer than {} bytes", limits.name_len_max),
            ));
        }
        if attr.value.len() > limits.text_len_max {
            return Err((
                "text_too_long",
                format!("a text is longer than {} bytes", limits.text_len_max),
            ));
        }
        let value = attr
            .normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_xml_entity)
            .map_err(|e| ("entity", format!("invalid reference in an attribute value: {e}")))?;
        let slot = start.next_attr();
        slot.value.push_str(&value);
        if let Some(declaration) = key.as_namespace_binding() {
            slot.is_declaration = true;
            if let PrefixDeclaration::Named(prefix) = declaration {
                slot.local.push_str(prefix);
            }
        } else {
            let (resolved, local) = resolver.resolve_attribute(key);
            match resolved {
                ResolveResult::Bound(ns) => slot.namespace.push_str(ns.0),
                ResolveResult::Unbound => {}
                ResolveResult::Unknown(prefix) => {
                    return Err(("namespace", unbound_prefix_message(&prefix)));
                }
            }
            slot.local.push_str(local.as_ref());
            if let Some(prefix) = key.prefix() {
                slot.prefix.push_str(prefix.as_ref());
            }
        }
    }
    let attrs = &start.attrs[..start.attrs_len];
    for (i, a) in attrs.iter().enumerate() {
        let duplicate = attrs[..i].iter().any(|b| {
            a.is_declaration == b.is_declaration && a.local == b.local && a.namespace == b.namespace
        });
        if duplicate {
            return Err(("xml_syntax", format!("the attribute {} is given twice", a.local)));
        }
    }
    Ok(())
}
