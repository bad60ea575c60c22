//! GS1 identifiers and barcodes: AI element strings, GS1 Digital Link and EPC URIs, parsed,
//! validated and formatted exactly as the GS1 standards say, with no IO.
//!
//! The AI table comes from the GS1 Barcode Syntax Dictionary (see [`dictionary`]); every value
//! is checked with the dictionary's linters ([`lint`]). Any input form reads into [`AiData`],
//! from which every output form is written.
#![warn(missing_docs)]

mod ai;
mod ai_data;
mod canonical;
mod code;
pub mod dictionary;
pub mod digital_link;
pub mod epc;
pub(crate) mod epc_bridge;
mod error;
mod format;
mod keys;
pub mod lint;
pub mod ndc;
pub mod nhrn;
pub mod scan;
pub mod serial;

pub use ai::Ai;
pub use ai_data::{
    AiData, ELEMENTS_MAX, Element, INPUT_LEN_MAX, Options, parse_bracketed, parse_bracketed_into,
    parse_unbracketed, parse_unbracketed_into,
};
pub use canonical::{CanonicalCache, canonical_digital_link, canonical_digital_link_into};
pub use code::{Form, parse, parse_into};
pub use epc_bridge::company_prefix_digits;
pub use error::{DigitalLinkProblem, Error, ErrorKind};
pub use keys::{Gln, Gs1Date, Gtin, KeyError, Sgtin, Sscc};
