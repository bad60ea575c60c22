//! One entry point for any code a person or a scanner hands us: scan data, bracketed or
//! unbracketed element strings, GS1 Digital Link URIs and EPC URIs, told apart by their first characters.

use crate::ai_data::{AiData, Options};
use crate::error::{Error, ErrorKind};
use crate::scan::{self, GS, Symbology};

/// The form an input was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Scan data with an AIM symbology identifier.
    ScanData(Symbology),
    /// Bracketed element strings, `(01)...`.
    Bracketed,
    /// Unbracketed element strings with `^` for FNC1, `^01...`.
    Unbracketed,
    /// Element strings without symbology identifier, GS for FNC1 (a keyboard-wedge scan).
    ElementString,
    /// A GS1 Digital Link URI.
    DigitalLink,
    /// An EPC pure-identity URI or EPC class URI, with the GS1 Company Prefix length it encodes.
    EpcUri {
        /// Digits of the GS1 Company Prefix.
        gcp_len: u8,
    },
}

/// Parses any supported form into `out`, reusing its buffers, and returns the form found.
pub fn parse_into(out: &mut AiData, input: &str, opts: &Options) -> Result<Form, Error> {
    crate::error::guarded(input, || dispatch(out, input, opts))
}

fn dispatch(out: &mut AiData, input: &str, opts: &Options) -> Result<Form, Error> {
    let bytes = input.as_bytes();
    match bytes.first() {
        None => Err(Error::new(ErrorKind::Empty).at(0)),
        Some(b']') => scan::scan_data_into(out, input, opts).map(|(s, _)| Form::ScanData(s)),
        Some(b'(') => crate::ai_data::bracketed_into(out, input, opts).map(|()| Form::Bracketed),
        Some(b'^') => {
            crate::ai_data::unbracketed_into(out, input, opts).map(|()| Form::Unbracketed)
        }
        Some(b'0'..=b'9') => {
            out.clear();
            out.read_unbracketed(input, 0..input.len(), GS, opts)?;
            out.check_relations(opts)?;
            Ok(Form::ElementString)
        }
        Some(_) if crate::digital_link::looks_like_digital_link(input) => {
            crate::digital_link::digital_link_into(out, input, opts).map(|()| Form::DigitalLink)
        }
        Some(_) if input.starts_with("urn:epc:") => {
            let gcp_len = crate::epc_bridge::parse_epc_into(out, input, opts)?;
            Ok(Form::EpcUri { gcp_len })
        }
        Some(_) => Err(Error::new(ErrorKind::UnknownForm).at(0)),
    }
}

/// Parses any supported form into a new [`AiData`].
pub fn parse(input: &str, opts: &Options) -> Result<(AiData, Form), Error> {
    let mut data = AiData::default();
    let form = parse_into(&mut data, input, opts)?;
    Ok((data, form))
}
