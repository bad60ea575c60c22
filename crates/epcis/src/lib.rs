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
pub mod problem;
pub mod read;
pub mod time;
pub mod validate;
pub mod xml;

pub use model::*;
pub use problem::{Problem, ReadError, Severity, Where};
pub use read::{
    Collect, Format, Handler, Limits, Stopped, detect, read_document, read_slice, read_stream,
};
