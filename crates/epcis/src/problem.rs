//! Problems found while reading or validating a document, each with where it is.

use std::fmt;

/// Where a problem is: a JSON pointer for JSON-LD, a line (and column) for XML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Where {
    /// RFC 6901 JSON pointer, e.g. `/epcisBody/eventList/3/action`.
    Pointer(String),
    /// 1-based line and column in the XML text.
    Line { line: u64, column: u64 },
    /// The whole document (for example an empty input).
    Document,
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Where::Pointer(p) if p.is_empty() => f.write_str("/"),
            Where::Pointer(p) => f.write_str(p),
            Where::Line { line, column } => write!(f, "{line}:{column}"),
            Where::Document => f.write_str("0"),
        }
    }
}

/// How much a problem matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The document breaks a rule of its form's schema or of the standard's text: a partner
    /// that validates will reject it.
    Error,
    /// The schemas accept the document, but it says something the standard does not define
    /// (a URI in the CBV namespace that CBV 2.0 has no value for, for example).
    Warning,
}

/// One problem: where, how much it matters, a stable code, and a plain message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub location: Where,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    /// An error: readers report only errors, so this is the constructor they use.
    pub fn new(location: Where, code: &'static str, message: impl Into<String>) -> Problem {
        Problem { location, severity: Severity::Error, code, message: message.into() }
    }

    /// A warning: the validator's word for what the schemas accept but the standard does not
    /// define.
    pub fn warning(location: Where, code: &'static str, message: impl Into<String>) -> Problem {
        Problem { location, severity: Severity::Warning, code, message: message.into() }
    }

    /// Whether the problem fails the document.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}: {}", self.location, self.message),
            Severity::Warning => write!(f, "{}: warning: {}", self.location, self.message),
        }
    }
}

/// A document that cannot be read any further (bad syntax, hostile input, IO failure).
/// Problems that leave the rest readable are reported as `Problem`s instead.
#[derive(Debug)]
pub struct ReadError {
    pub problem: Problem,
}

impl ReadError {
    pub fn new(location: Where, code: &'static str, message: impl Into<String>) -> ReadError {
        ReadError { problem: Problem::new(location, code, message) }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl std::error::Error for ReadError {}

/// A JSON pointer under construction: segments are escaped as RFC 6901 says.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pointer(pub(crate) String);

impl Pointer {
    pub(crate) fn child(&self, segment: &str) -> Pointer {
        let mut s = String::with_capacity(self.0.len() + segment.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        for c in segment.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Pointer(s)
    }

    pub(crate) fn index(&self, i: usize) -> Pointer {
        Pointer(format!("{}/{i}", self.0))
    }

    pub(crate) fn at(&self) -> Where {
        Where::Pointer(self.0.clone())
    }
}
