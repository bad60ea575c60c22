//! `AiData`: a message of GS1 AI element strings, read from unbracketed data (FNC1 as GS or `^`)
//! or bracketed text, and validated against the syntax dictionary.
//!
//! Values are copied into one reusable buffer, so a caller that parses millions of codes with
//! one `AiData` allocates nothing in the steady state.

use std::ops::Range;

use crate::ai::{Ai, AiPattern};
use crate::dictionary::{AiSpec, Cset, Dictionary};
use crate::error::{Error, ErrorKind};
use crate::lint::{self, Linter};

/// Options for reading and validating AI data.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The AI table to validate against.
    pub dictionary: &'static Dictionary,
    /// Accept AIs missing from the dictionary (bracketed input only, where their extent is explicit).
    pub permit_unknown_ais: bool,
    /// Check the `req=` associations (for example, (21) requires (01)).
    pub validate_requisites: bool,
    /// Accept Digital Link convenience alphas (`/gtin/`, `/ser/`, ...) instead of AI digits.
    pub permit_convenience_alphas: bool,
    /// Accept GTIN-8, GTIN-12 and GTIN-13 in Digital Link URIs and pad them to 14 digits.
    pub permit_zero_suppressed_gtin: bool,
    /// Accept AIs missing from the dictionary as Digital Link query attributes (with `permit_unknown_ais`).
    pub permit_unknown_dl_attributes: bool,
    /// Verify check digits and check character pairs. Only identifier normalisation for the
    /// EPCIS event hash turns this off, to match the reference implementation.
    pub verify_check_digits: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dictionary: Dictionary::current(),
            permit_unknown_ais: false,
            validate_requisites: true,
            permit_convenience_alphas: false,
            permit_zero_suppressed_gtin: false,
            permit_unknown_dl_attributes: false,
            verify_check_digits: true,
        }
    }
}

/// How a value's characters were written in the input, to map value offsets back to input positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Each value byte is the input byte at the same offset.
    Verbatim,
    /// `\(` stands for `(`.
    BracketEscaped,
    /// `%XX` escapes, and in a query `+` for space.
    Percent { query: bool },
    /// Written verbatim after `pad` zeros that the input left out (a zero-suppressed GTIN).
    Padded { pad: u8 },
}

/// The most AIs one message may hold, as in the GS1 Syntax Engine: far more than any symbol
/// carries, and it keeps the association checks (quadratic in the count) cheap.
pub const ELEMENTS_MAX: usize = 64;

/// The longest input read: GS1 DataMatrix holds at most 3,116 digits, and no Digital Link or
/// EPC URI that identifies a pack comes near this.
pub const INPUT_LEN_MAX: usize = 8192;

/// One AI and its value.
#[derive(Debug, Clone, Copy)]
pub struct Element {
    ai: Ai,
    spec: Option<&'static AiSpec>,
    value: (u32, u32),
    /// Where the value's text starts and ends in the input.
    raw: (u32, u32),
    /// Where the AI itself starts in the input.
    ai_pos: u32,
    encoding: Encoding,
}

impl Element {
    /// The AI.
    pub fn ai(&self) -> Ai {
        self.ai
    }

    /// The AI digits, borrowed from the element.
    pub fn ai_str(&self) -> &str {
        self.ai.as_str()
    }

    /// The dictionary entry, absent for an unknown AI that the options permitted.
    pub fn spec(&self) -> Option<&'static AiSpec> {
        self.spec
    }

    /// Whether FNC1 must follow this value when another AI comes after it.
    pub fn needs_fnc1(&self) -> bool {
        self.spec.is_none_or(AiSpec::needs_fnc1)
    }

    /// 0-based character offset of the AI in the input.
    pub fn position(&self) -> usize {
        self.ai_pos as usize
    }
}

/// A parsed GS1 message: AIs with their values, in input order.
#[derive(Debug, Default, Clone)]
pub struct AiData {
    values: String,
    elements: Vec<Element>,
}

impl AiData {
    /// Empties the message, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.values.clear();
        self.elements.clear();
    }

    /// The elements in input order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The value of an element.
    pub fn value(&self, element: &Element) -> &str {
        &self.values[element.value.0 as usize..element.value.1 as usize]
    }

    /// `(AI, value)` pairs in input order.
    pub fn iter(&self) -> impl Iterator<Item = (Ai, &str)> + '_ {
        self.elements.iter().map(|e| (e.ai, self.value(e)))
    }

    /// The value of the first occurrence of `ai`.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements.iter().find(|e| e.ai.as_str() == ai).map(|e| self.value(e))
    }

    /// The first element whose AI matches `pattern` and is not `ignore`. A pattern is AI digits
    /// whose trailing digits may be `n` for any digit (`"31nn"`); it must start with a digit.
    pub fn find(&self, pattern: &str, ignore: Option<&str>) -> Option<&Element> {
        let pattern = AiPattern::parse(pattern)?;
        let ignore = ignore.and_then(Ai::new);
        self.elements.iter().find(|e| Some(e.ai) != ignore && pattern.matches(e.ai))
    }

    /// Whether the message has no elements.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Refuses a message that would grow past [`ELEMENTS_MAX`].
    pub(crate) fn check_room(&self, position: usize) -> Result<(), Error> {
        if self.elements.len() >= ELEMENTS_MAX {
            return Err(Error::new(ErrorKind::TooManyAis).at(position));
        }
        Ok(())
    }

    pub(crate) fn push(
        &mut self,
        ai: Ai,
        spec: Option<&'static AiSpec>,
        value: &str,
        raw: Range<usize>,
        ai_pos: usize,
        encoding: Encoding,
    ) {
        let start = self.values.len() as u32;
        self.values.push_str(value);
        self.elements.push(Element {
            ai,
            spec,
            value: (start, self.values.len() as u32),
            raw: (raw.start as u32, raw.end as u32),
            ai_pos: ai_pos as u32,
            encoding,
        });
    }

    /// Pushes a value by decoding it with `decode`, which appends decoded bytes to the buffer.
    pub(crate) fn push_with(
        &mut self,
        ai: Ai,
        spec: Option<&'static AiSpec>,
        raw: Range<usize>,
        ai_pos: usize,
        encoding: Encoding,
        decode: impl FnOnce(&mut String),
    ) {
        let start = self.values.len() as u32;
        decode(&mut self.values);
        self.elements.push(Element {
            ai,
            spec,
            value: (start, self.values.len() as u32),
            raw: (raw.start as u32, raw.end as u32),
            ai_pos: ai_pos as u32,
            encoding,
        });
    }

    /// Reads the unbracketed AI data at byte range `data` of `input`, where `separator` (GS or
    /// `^`) stands for FNC1. Appends to `self` and validates each value; positions in errors
    /// are offsets into `input`.
    pub(crate) fn read_unbracketed(
        &mut self,
        input: &str,
        data: Range<usize>,
        separator: u8,
        opts: &Options,
    ) -> Result<(), Error> {
        let bytes = input.as_bytes();
        let end = data.end;
        let mut pos = data.start;
        let first = self.elements.len();
        // Every GS1 character set is ASCII; refusing anything else up front also keeps every
        // slice below on a character boundary.
        if !bytes[pos..end].is_ascii() {
            let at = bytes[pos..end].iter().position(|b| !b.is_ascii()).expect("not all ASCII");
            let ch = input[pos + at..].chars().next().map(String::from).unwrap_or_default();
            return Err(Error::new(ErrorKind::NonAscii).at(pos + at).found(ch));
        }
        while pos < end {
            if bytes[pos] == separator {
                // A separator after a predefined-length AI, or at the end, is superfluous but harmless.
                if pos == data.start {
                    return Err(Error::new(ErrorKind::NoAi).at(pos));
                }
                pos += 1;
                continue;
            }
            self.check_room(pos)?;
            let rest = &bytes[pos..end];
            let spec = opts.dictionary.match_prefix(rest);
            let spec_ref = match spec {
                Some(spec) => spec,
                None => {
                    let digits = rest.iter().take(4).take_while(|b| b.is_ascii_digit()).count();
                    let shown = &input[pos..pos + digits.max(2).min(rest.len())];
                    let kind =
                        if digits < 2 { ErrorKind::MalformedAi } else { ErrorKind::UnknownAi };
                    return Err(Error::new(kind).at(pos).found(shown));
                }
            };
            let ai_len = spec_ref.ai.len();
            let ai = Ai::new(spec_ref.ai).expect("dictionary AIs are digits");
            let value_start = pos + ai_len;
            let next_sep = |from: usize| {
                bytes[from..end].iter().position(|&b| b == separator).map_or(end, |i| from + i)
            };
            let value_end = if spec_ref.predefined_length {
                // A predefined-length value ends where its length says; only a separator (or
                // the end) inside that window makes it short.
                let want = value_start + spec_ref.max_len();
                let window_end = want.min(end);
                let cut = bytes[value_start..window_end]
                    .iter()
                    .position(|&b| b == separator)
                    .map_or(window_end, |i| value_start + i);
                if want > cut {
                    return Err(Error::new(ErrorKind::ValueTooShort).ai(ai).at(cut));
                }
                want
            } else {
                let next_sep = next_sep(value_start);
                if next_sep - value_start > spec_ref.max_len() {
                    return Err(Error::new(ErrorKind::ValueTooLong)
                        .ai(ai)
                        .at(value_start + spec_ref.max_len()));
                }
                next_sep
            };
            if value_end == value_start {
                return Err(Error::new(ErrorKind::EmptyValue).ai(ai).at(value_start));
            }
            self.push(
                ai,
                spec,
                &input[value_start..value_end],
                value_start..value_end,
                pos,
                Encoding::Verbatim,
            );
            pos = value_end;
        }
        if self.elements.len() == first {
            return Err(Error::new(ErrorKind::NoAi).at(data.start));
        }
        self.check_values_from(input, first, opts)
    }

    /// Reads bracketed text such as `(01)09506000134352(21)X1`, where `\(` is a literal `(`.
    pub(crate) fn read_bracketed(
        &mut self,
        input: &str,
        data: Range<usize>,
        opts: &Options,
    ) -> Result<(), Error> {
        let bytes = input.as_bytes();
        let end = data.end;
        let mut pos = data.start;
        let first = self.elements.len();
        if pos >= end {
            return Err(Error::new(ErrorKind::Empty).at(pos));
        }
        while pos < end {
            if bytes[pos] != b'(' {
                return Err(Error::new(ErrorKind::MalformedAi).at(pos));
            }
            self.check_room(pos)?;
            let close = bytes[pos + 1..end]
                .iter()
                .position(|&b| b == b')')
                .map(|i| pos + 1 + i)
                .ok_or_else(|| Error::new(ErrorKind::UnterminatedAi).at(pos))?;
            let digits = &input[pos + 1..close];
            let ai = Ai::new(digits)
                .ok_or_else(|| Error::new(ErrorKind::MalformedAi).at(pos + 1).found(digits))?;
            let spec = opts.dictionary.get(digits);
            if spec.is_none() && !opts.permit_unknown_ais {
                return Err(Error::new(ErrorKind::UnknownAi).ai(ai).at(pos + 1));
            }
            let value_start = close + 1;
            let mut value_end = value_start;
            let mut escaped = false;
            while value_end < end {
                match bytes[value_end] {
                    b'\\' if bytes.get(value_end + 1) == Some(&b'(') => {
                        escaped = true;
                        value_end += 2;
                    }
                    b'(' => break,
                    b'^' => return Err(Error::new(ErrorKind::CaretInValue).ai(ai).at(value_end)),
                    _ => value_end += 1,
                }
            }
            if value_end == value_start {
                return Err(Error::new(ErrorKind::EmptyValue).ai(ai).at(value_start));
            }
            let raw = &input[value_start..value_end];
            if escaped {
                self.push_with(
                    ai,
                    spec,
                    value_start..value_end,
                    pos,
                    Encoding::BracketEscaped,
                    |out| {
                        out.push_str(&raw.replace("\\(", "("));
                    },
                );
            } else {
                self.push(ai, spec, raw, value_start..value_end, pos, Encoding::Verbatim);
            }
            pos = value_end;
        }
        self.check_values_from(input, first, opts)
    }

    /// The input position of the character that decodes to byte `offset` of the element's value.
    pub(crate) fn input_position(&self, input: &str, element: &Element, offset: usize) -> usize {
        let (raw_start, raw_end) = (element.raw.0 as usize, element.raw.1 as usize);
        let raw = &input.as_bytes()[raw_start..raw_end];
        match element.encoding {
            Encoding::Verbatim => raw_start + offset,
            Encoding::Padded { pad } => raw_start + offset.saturating_sub(usize::from(pad)),
            Encoding::BracketEscaped | Encoding::Percent { .. } => {
                let (mut i, mut decoded) = (0, 0);
                while i < raw.len() && decoded < offset {
                    i += match (element.encoding, raw[i]) {
                        (Encoding::BracketEscaped, b'\\') if raw.get(i + 1) == Some(&b'(') => 2,
                        (Encoding::Percent { .. }, b'%') => 3,
                        _ => 1,
                    };
                    decoded += 1;
                }
                raw_start + i.min(raw.len())
            }
        }
    }

    /// Checks every value from element `first` on against its format: component lengths,
    /// character sets and linters.
    pub(crate) fn check_values_from(
        &self,
        input: &str,
        first: usize,
        opts: &Options,
    ) -> Result<(), Error> {
        for element in &self.elements[first..] {
            let value = self.value(element).as_bytes();
            let Some(spec) = element.spec else {
                // Unknown AIs that the options allow are checked as CSET 82, up to 90 characters.
                if value.len() > 90 {
                    return Err(Error::new(ErrorKind::ValueTooLong)
                        .ai(element.ai)
                        .at(self.input_position(input, element, 90)));
                }
                if let Err(e) = lint::lint(Linter::Cset82, value) {
                    return Err(self.lint_error(input, element, 0, e));
                }
                continue;
            };
            let mut offset = 0;
            for component in spec.components {
                let rest = value.len() - offset;
                if rest == 0 && component.optional {
                    break;
                }
                let len = if component.min_len == component.max_len {
                    usize::from(component.min_len)
                } else {
                    rest.min(usize::from(component.max_len))
                };
                if rest < len || (len < usize::from(component.min_len)) {
                    return Err(Error::new(ErrorKind::ValueTooShort)
                        .ai(element.ai)
                        .at(self.input_position(input, element, value.len())));
                }
                let part = &value[offset..offset + len];
                let cset = match component.cset {
                    Cset::Numeric => Linter::Csetnumeric,
                    Cset::Cset82 => Linter::Cset82,
                    Cset::Cset39 => Linter::Cset39,
                    Cset::Cset64 => Linter::Cset64,
                };
                for &linter in std::iter::once(&cset).chain(component.linters) {
                    if !opts.verify_check_digits
                        && matches!(linter, Linter::Csum | Linter::Csumalpha)
                    {
                        continue;
                    }
                    if let Err(e) = lint::lint(linter, part) {
                        return Err(self.lint_error(input, element, offset, e));
                    }
                }
                offset += len;
            }
            if offset < value.len() {
                return Err(Error::new(ErrorKind::ValueTooLong)
                    .ai(element.ai)
                    .at(self.input_position(input, element, offset)));
            }
        }
        Ok(())
    }

    fn lint_error(
        &self,
        input: &str,
        element: &Element,
        offset: usize,
        e: lint::LintError,
    ) -> Error {
        // Quote whole characters even when the span cuts a multi-byte one.
        let value = self.value(element);
        let mut start = (offset + e.start).min(value.len());
        let mut end = (offset + e.start + e.len).min(value.len());
        while !value.is_char_boundary(start) {
            start -= 1;
        }
        while !value.is_char_boundary(end) {
            end += 1;
        }
        let found = value[start..end].to_owned();
        let mut error = Error::new(ErrorKind::Lint(e.code)).ai(element.ai).at(self.input_position(
            input,
            element,
            offset + e.start,
        ));
        if !found.is_empty() {
            error = error.found(found);
        }
        error
    }

    /// Checks the associations between AIs: repeats, mutual exclusions, requisites and the
    /// digital-signature rule.
    pub(crate) fn check_relations(&self, opts: &Options) -> Result<(), Error> {
        let elements = &self.elements;
        for (i, a) in elements.iter().enumerate() {
            for b in &elements[..i] {
                if a.ai == b.ai && self.value(a) != self.value(b) {
                    return Err(Error::new(ErrorKind::RepeatedAiDiffers).ai(a.ai).at(a.position()));
                }
            }
        }
        for a in elements {
            let Some(spec) = a.spec else { continue };
            for pattern in spec.ex {
                if let Some(b) = elements.iter().find(|b| b.ai != a.ai && pattern.matches(b.ai)) {
                    return Err(Error::new(ErrorKind::MutuallyExclusive)
                        .ai(a.ai)
                        .found(b.ai.as_str())
                        .at(b.position()));
                }
            }
        }
        if opts.validate_requisites {
            for a in elements {
                let Some(spec) = a.spec else { continue };
                for rule in spec.req {
                    let satisfied = rule.iter().any(|group| {
                        group.iter().all(|pattern| elements.iter().any(|b| pattern.matches(b.ai)))
                    });
                    if !satisfied {
                        let wanted: Vec<String> = rule
                            .iter()
                            .map(|g| {
                                g.iter().map(AiPattern::to_string).collect::<Vec<_>>().join("+")
                            })
                            .collect();
                        return Err(Error::new(ErrorKind::MissingRequisite)
                            .ai(a.ai)
                            .found(wanted.join(" or "))
                            .at(a.position()));
                    }
                }
            }
        }
        if let Some(digsig) = elements.iter().find(|e| e.ai.is("8030")) {
            for key in elements {
                let Some(spec) = key.spec else { continue };
                // Keys whose serial is an optional trailing component (GDTI, GCN, GRAI) are
                // serialised only when it is there.
                let serial_optional =
                    spec.dl_pkey.is_some() && spec.components.last().is_some_and(|c| c.optional);
                if serial_optional && self.value(key).len() <= spec.min_len() {
                    return Err(Error::new(ErrorKind::DigSigNeedsSerialisedKey)
                        .ai(key.ai)
                        .at(digsig.position()));
                }
            }
        }
        Ok(())
    }
}

/// Parses unbracketed data after FNC1-in-first written as `^`, for example `^0109506000134352^10AB`.
pub fn parse_unbracketed(input: &str, opts: &Options) -> Result<AiData, Error> {
    let mut data = AiData::default();
    parse_unbracketed_into(&mut data, input, opts)?;
    Ok(data)
}

/// As [`parse_unbracketed`], reusing `out`'s buffers.
pub fn parse_unbracketed_into(out: &mut AiData, input: &str, opts: &Options) -> Result<(), Error> {
    crate::error::guarded(input, || unbracketed_into(out, input, opts))
}

pub(crate) fn unbracketed_into(out: &mut AiData, input: &str, opts: &Options) -> Result<(), Error> {
    out.clear();
    if !input.starts_with('^') {
        let kind = if input.is_empty() { ErrorKind::Empty } else { ErrorKind::NoAi };
        return Err(Error::new(kind).at(0));
    }
    out.read_unbracketed(input, 1..input.len(), b'^', opts)?;
    out.check_relations(opts)
}

/// Parses bracketed text such as `(01)09506000134352(17)261231(10)AB(21)X1`.
pub fn parse_bracketed(input: &str, opts: &Options) -> Result<AiData, Error> {
    let mut data = AiData::default();
    parse_bracketed_into(&mut data, input, opts)?;
    Ok(data)
}

/// As [`parse_bracketed`], reusing `out`'s buffers.
pub fn parse_bracketed_into(out: &mut AiData, input: &str, opts: &Options) -> Result<(), Error> {
    crate::error::guarded(input, || bracketed_into(out, input, opts))
}

pub(crate) fn bracketed_into(out: &mut AiData, input: &str, opts: &Options) -> Result<(), Error> {
    out.clear();
    out.read_bracketed(input, 0..input.len(), opts)?;
    out.check_relations(opts)
}

#[cfg(test)]
mod tests;
