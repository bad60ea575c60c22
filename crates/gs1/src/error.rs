//! The one error type of GS1 parsing and validation: what is wrong, in which AI, at which
//! character of the input.

use std::fmt;

use crate::ai::Ai;
use crate::lint::LintErrorCode;

/// Why a GS1 input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// The AI concerned, when there is one.
    pub ai: Option<Ai>,
    /// 0-based character (not byte) offset in the input of the first offending character, when known.
    pub position: Option<usize>,
    /// The offending characters, when they are worth quoting.
    pub found: Option<String>,
}

/// The kinds of problem, each with a stable [`ErrorKind::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is empty.
    Empty,
    /// The input is not in any form this crate reads.
    UnknownForm,
    /// `]` is not followed by a known AIM symbology identifier.
    UnknownSymbology,
    /// The symbology carries no GS1 data (a non-GS1 mode, or an empty message).
    NotGs1Data,
    /// The data holds no AI at all.
    NoAi,
    /// An AI is not digits, or has the wrong number of digits.
    MalformedAi,
    /// A bracketed AI is not closed.
    UnterminatedAi,
    /// The AI is not in the GS1 syntax dictionary.
    UnknownAi,
    /// An AI has no value.
    EmptyValue,
    /// The value is shorter than its format allows.
    ValueTooShort,
    /// The value is longer than its format allows.
    ValueTooLong,
    /// A character outside ASCII, which no GS1 character set has.
    NonAscii,
    /// The input is longer than any GS1 code can be.
    InputTooLong,
    /// The message holds more AIs than any GS1 symbol can.
    TooManyAis,
    /// A `^` appears in a bracketed value, where it would be mistaken for FNC1.
    CaretInValue,
    /// A syntax test (linter) failed on part of the value.
    Lint(LintErrorCode),
    /// One AI appears twice with different values.
    RepeatedAiDiffers,
    /// Two AIs that must not appear together do.
    MutuallyExclusive,
    /// An AI appears without the AIs it requires.
    MissingRequisite,
    /// A digital signature (8030) accompanies a key without its serial component.
    DigSigNeedsSerialisedKey,
    /// A GS1 Digital Link URI is malformed.
    DigitalLink(DigitalLinkProblem),
    /// An EPC URI is malformed.
    Epc,
    /// A data-attribute AI is not permitted in a Digital Link URI, or is in the wrong place.
    NotDigitalLinkAttribute,
    /// The data has no primary key, so it has no Digital Link form.
    NoDigitalLinkKey,
    /// The data does not start with a GTIN that an EAN/UPC symbol can carry.
    NoLinearForm,
}

/// What is wrong with a GS1 Digital Link URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitalLinkProblem {
    /// The scheme is not `http` or `https` (all lower or all upper case).
    Scheme,
    /// The host is missing or has a character a host cannot have.
    Host,
    /// The path holds no GS1 primary key.
    NoPrimaryKey,
    /// The path ends with `/`, or has an empty segment.
    EmptySegment,
    /// A character that must be percent-encoded appears bare.
    BadCharacter,
    /// A `%` escape is malformed or decodes to a forbidden byte.
    BadEscape,
    /// Key qualifiers are out of order, repeated, or not qualifiers of the key.
    QualifierOrder,
    /// A query parameter named by an AI has no value.
    EmptyAttribute,
    /// A query parameter is all digits but not a known AI.
    UnknownAttribute,
    /// An AI appears twice in the URI.
    DuplicateAi,
}

impl ErrorKind {
    /// A stable, machine-readable code for the problem.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::UnknownForm => "unknown_form",
            ErrorKind::UnknownSymbology => "unknown_symbology",
            ErrorKind::NotGs1Data => "not_gs1_data",
            ErrorKind::NoAi => "no_ai",
            ErrorKind::MalformedAi => "malformed_ai",
            ErrorKind::UnterminatedAi => "unterminated_ai",
            ErrorKind::UnknownAi => "unknown_ai",
            ErrorKind::EmptyValue => "empty_value",
            ErrorKind::ValueTooShort => "value_too_short",
            ErrorKind::ValueTooLong => "value_too_long",
            ErrorKind::NonAscii => "non_ascii",
            ErrorKind::InputTooLong => "input_too_long",
            ErrorKind::TooManyAis => "too_many_ais",
            ErrorKind::CaretInValue => "caret_in_value",
            ErrorKind::Lint(code) => code.name(),
            ErrorKind::RepeatedAiDiffers => "repeated_ai_differs",
            ErrorKind::MutuallyExclusive => "mutually_exclusive",
            ErrorKind::MissingRequisite => "missing_requisite",
            ErrorKind::DigSigNeedsSerialisedKey => "digsig_needs_serialised_key",
            ErrorKind::DigitalLink(_) => "digital_link",
            ErrorKind::Epc => "epc_uri",
            ErrorKind::NotDigitalLinkAttribute => "not_digital_link_attribute",
            ErrorKind::NoDigitalLinkKey => "no_digital_link_key",
            ErrorKind::NoLinearForm => "no_linear_form",
        }
    }

    fn message(self) -> &'static str {
        match self {
            ErrorKind::Empty => "no data",
            ErrorKind::UnknownForm => "not a GS1 element string, Digital Link URI or EPC URI",
            ErrorKind::UnknownSymbology => "unknown symbology identifier",
            ErrorKind::NotGs1Data => "the symbology carries no GS1 data",
            ErrorKind::NoAi => "no AI in the data",
            ErrorKind::MalformedAi => "an AI must be 2 to 4 digits",
            ErrorKind::UnterminatedAi => "the AI is not closed with ')'",
            ErrorKind::UnknownAi => "unknown AI",
            ErrorKind::EmptyValue => "the value is empty",
            ErrorKind::ValueTooShort => "the value is too short",
            ErrorKind::ValueTooLong => "the value is too long",
            ErrorKind::NonAscii => "character is not in any GS1 character set",
            ErrorKind::InputTooLong => "the input is longer than any GS1 code",
            ErrorKind::TooManyAis => "more AIs than any GS1 symbol holds",
            ErrorKind::CaretInValue => "'^' is not allowed in a value",
            ErrorKind::Lint(code) => code.message(),
            ErrorKind::RepeatedAiDiffers => "the AI is repeated with a different value",
            ErrorKind::MutuallyExclusive => "the AI must not appear together with",
            ErrorKind::MissingRequisite => "the AI requires",
            ErrorKind::DigSigNeedsSerialisedKey => {
                "a digital signature (8030) needs a serialised key"
            }
            ErrorKind::DigitalLink(problem) => match problem {
                DigitalLinkProblem::Scheme => "digital link: the scheme must be http or https",
                DigitalLinkProblem::Host => "digital link: the host is missing or malformed",
                DigitalLinkProblem::NoPrimaryKey => "digital link: the path holds no primary key",
                DigitalLinkProblem::EmptySegment => "digital link: empty path segment",
                DigitalLinkProblem::BadCharacter => {
                    "digital link: character must be percent-encoded"
                }
                DigitalLinkProblem::BadEscape => "digital link: invalid percent escape",
                DigitalLinkProblem::QualifierOrder => {
                    "digital link: key qualifiers are not valid for the key or out of order"
                }
                DigitalLinkProblem::EmptyAttribute => {
                    "digital link: the query attribute has no value"
                }
                DigitalLinkProblem::UnknownAttribute => {
                    "digital link: numeric query parameter is not a known AI"
                }
                DigitalLinkProblem::DuplicateAi => "digital link: the AI appears twice",
            },
            ErrorKind::Epc => "epc uri",
            ErrorKind::NotDigitalLinkAttribute => {
                "the AI is not permitted as a digital link attribute"
            }
            ErrorKind::NoDigitalLinkKey => "no digital link primary key in the data",
            ErrorKind::NoLinearForm => "the data has no EAN/UPC form",
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind, ai: None, position: None, found: None }
    }

    pub(crate) fn at(mut self, position: usize) -> Error {
        self.position = Some(position);
        self
    }

    pub(crate) fn ai(mut self, ai: Ai) -> Error {
        self.ai = Some(ai);
        self
    }

    pub(crate) fn found(mut self, found: impl Into<String>) -> Error {
        self.found = Some(found.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ai) = &self.ai {
            write!(f, "AI ({ai}): ")?;
        }
        f.write_str(self.kind.message())?;
        match (&self.kind, &self.found) {
            (ErrorKind::Epc, Some(detail)) => write!(f, ": {detail}")?,
            (_, Some(found)) => write!(f, " {found:?}")?,
            (_, None) => {}
        }
        if let Some(position) = self.position {
            write!(f, " (position {position})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Runs `parse` on `input` within the crate's bounds, and turns the error's position from a byte
/// offset (what the parsers track) into the character offset that [`Error::position`] promises.
/// Every public parsing function goes through here exactly once.
pub(crate) fn guarded<T>(
    input: &str,
    parse: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    if input.len() > crate::ai_data::INPUT_LEN_MAX {
        return Err(Error::new(ErrorKind::InputTooLong)
            .at(char_offset(input, crate::ai_data::INPUT_LEN_MAX)));
    }
    parse().map_err(|mut e| {
        e.position = e.position.map(|p| char_offset(input, p));
        e
    })
}

/// The number of characters before byte `at` (the character it falls in, if inside one).
fn char_offset(input: &str, at: usize) -> usize {
    if input.is_ascii() {
        return at;
    }
    let mut at = at.min(input.len());
    while !input.is_char_boundary(at) {
        at -= 1;
    }
    input[..at].chars().count()
}
