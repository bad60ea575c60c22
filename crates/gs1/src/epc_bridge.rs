//! Reading EPC URIs into AI data: the EPC module decodes the URI, then the element strings it
//! stands for go through the same validation as any barcode.

use crate::ai_data::{AiData, Options};
use crate::error::{Error, ErrorKind};

/// Reads an EPC URI into `out`; returns the GS1 Company Prefix length the URI encodes.
pub(crate) fn parse_epc_into(out: &mut AiData, input: &str, opts: &Options) -> Result<u8, Error> {
    let epc = crate::epc::parse_epc_uri(input).map_err(|e| {
        // The EPC layer's own words say what is wrong; the position travels separately.
        let mut error = Error::new(ErrorKind::Epc).found(e.kind().to_string());
        error.position = e.position();
        error
    })?;
    let mut bracketed = String::with_capacity(input.len() + 8);
    for (ai, value) in &epc.ais {
        bracketed.push('(');
        bracketed.push_str(ai);
        bracketed.push(')');
        bracketed.push_str(&value.replace('(', "\\("));
    }
    crate::ai_data::bracketed_into(out, &bracketed, opts).map_err(|mut e| {
        // Positions refer to the element strings the URI stands for, not to the URI.
        e.position = None;
        e
    })?;
    Ok(epc.gcp_len)
}

/// The digits of a key's value in which its GS1 Company Prefix starts, for looking up the prefix
/// length: after the indicator digit of a GTIN or ITIP, after the extension digit of an SSCC,
/// after the leading zero of a GRAI, and from the first digit for GLN-based and other keys.
/// `None` for AIs that are not EPC keys.
pub fn company_prefix_digits<'a>(ai: &str, value: &'a str) -> Option<&'a str> {
    match ai {
        "00" | "01" | "8006" | "8003" => value.get(1..),
        "414" | "417" | "253" | "255" | "401" | "402" | "8004" | "8010" | "8017" | "8018" => {
            Some(value)
        }
        _ => None,
    }
}
