//! GS1 EPCIS 2.0 events: the model, JSON-LD and XML (2.0 and 1.2) readers and writers,
//! validation against the standard and CBV 2.0, and the CBV 2.0 event hash ID.
//!
//! Pure: no IO beyond the readers and writers callers pass in, no clock, no network (JSON-LD
//! contexts are resolved offline).

pub mod cbv;
pub mod context;
pub mod hash;
pub mod json;
pub mod model;
mod out;
pub mod problem;
pub mod query;
pub mod read;
pub mod time;
pub mod validate;
pub mod xml;

pub use model::*;
pub use problem::{Problem, ReadError, Severity, Where};
pub use read::{
    Collect, Format, Handler, Limits, RawEvent, Stopped, detect, read_document, read_slice,
    read_stream,
};

/// The canonical form of an identifier for matching: an EPC URI and any GS1 Digital Link of the
/// same object (any domain, convenience alphas, extra qualifiers and query) give the same
/// `https://id.gs1.org/...` URI, the one the event hash uses. Anything that is not a GS1
/// identifier is returned as it is. Events keep identifiers as given; this is for comparing them.
pub fn canonical_id(value: &str) -> std::borrow::Cow<'_, str> {
    match serialhub_gs1::canonical_digital_link(value.trim()) {
        Some(canonical) => std::borrow::Cow::Owned(canonical),
        None => std::borrow::Cow::Borrowed(value),
    }
}
