//! Scan data: what a barcode reader transmits, an AIM symbology identifier (`]d2`, `]Q3`, ...)
//! followed by the message, with FNC1 separators sent as GS (0x1D).

use crate::ai_data::{AiData, Options};
use crate::error::{Error, ErrorKind};
use crate::lint::{self, Linter};

/// The GS (group separator) byte that readers send for FNC1.
pub const GS: u8 = 0x1D;

/// A barcode symbology, as its AIM identifier tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    /// GS1 DataMatrix (`]d2`) or plain Data Matrix (`]d1`).
    DataMatrix,
    /// GS1 QR Code (`]Q3`) or plain QR Code (`]Q1`).
    QrCode,
    /// GS1 DotCode (`]J1`) or plain DotCode (`]J0`).
    DotCode,
    /// GS1-128 (`]C1`).
    Gs1_128,
    /// GS1 DataBar and composite components (`]e0`).
    DataBar,
    /// EAN-13 and UPC-A (`]E0`).
    Ean13,
    /// EAN-8 (`]E4`).
    Ean8,
}

/// What a scan carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanContent {
    /// GS1 element strings (FNC1 in first position), now in the `AiData`.
    Gs1,
    /// A GS1 Digital Link URI in a plain-data symbol, parsed into the `AiData`.
    DigitalLink,
    /// A linear EAN/UPC GTIN, held as (01), with any composite component's AIs after it.
    Gtin,
}

impl Symbology {
    /// The AIM symbology identifier used when the symbol carries GS1 element strings.
    pub fn gs1_identifier(self) -> &'static str {
        match self {
            Symbology::DataMatrix => "]d2",
            Symbology::QrCode => "]Q3",
            Symbology::DotCode => "]J1",
            Symbology::Gs1_128 => "]C1",
            Symbology::DataBar => "]e0",
            Symbology::Ean13 => "]E0",
            Symbology::Ean8 => "]E4",
        }
    }
}

/// Reads scan data into `out`; the message may be GS1 element strings, a Digital Link URI in a
/// plain-data symbol, or an EAN/UPC with an optional composite component.
pub fn parse_scan_data_into(
    out: &mut AiData,
    input: &str,
    opts: &Options,
) -> Result<(Symbology, ScanContent), Error> {
    crate::error::guarded(input, || scan_data_into(out, input, opts))
}

pub(crate) fn scan_data_into(
    out: &mut AiData,
    input: &str,
    opts: &Options,
) -> Result<(Symbology, ScanContent), Error> {
    out.clear();
    let bytes = input.as_bytes();
    if bytes.is_empty() {
        return Err(Error::new(ErrorKind::Empty).at(0));
    }
    if bytes.len() < 3 || bytes[0] != b']' {
        return Err(Error::new(ErrorKind::UnknownSymbology).at(0));
    }
    let (symbology, gs1) = match &bytes[1..3] {
        b"d2" => (Symbology::DataMatrix, true),
        b"d1" => (Symbology::DataMatrix, false),
        b"Q3" => (Symbology::QrCode, true),
        b"Q1" => (Symbology::QrCode, false),
        b"J1" => (Symbology::DotCode, true),
        b"J0" => (Symbology::DotCode, false),
        b"C1" => (Symbology::Gs1_128, true),
        b"e0" => (Symbology::DataBar, true),
        b"E0" => (Symbology::Ean13, true),
        b"E4" => (Symbology::Ean8, true),
        _ => {
            let id = String::from_utf8_lossy(&bytes[..3]).into_owned();
            return Err(Error::new(ErrorKind::UnknownSymbology).at(0).found(id));
        }
    };
    let payload = 3..input.len();
    if payload.is_empty() {
        return Err(Error::new(ErrorKind::NotGs1Data).at(3));
    }
    match symbology {
        Symbology::Ean13 | Symbology::Ean8 => {
            let digits = if symbology == Symbology::Ean13 { 13 } else { 8 };
            let end = input.find('|').unwrap_or(input.len());
            let gtin = &input[3..end];
            if gtin.len() != digits {
                let kind = if gtin.len() < digits {
                    ErrorKind::ValueTooShort
                } else {
                    ErrorKind::ValueTooLong
                };
                return Err(Error::new(kind).at(3));
            }
            if let Err(e) = lint::lint(Linter::Csum, gtin.as_bytes()) {
                return Err(Error::new(ErrorKind::Lint(e.code)).at(3 + e.start));
            }
            let ai = crate::ai::Ai::new("01").expect("valid AI");
            let spec = opts.dictionary.get("01");
            let pad = crate::ai_data::Encoding::Padded { pad: (14 - digits) as u8 };
            out.push_with(ai, spec, 3..end, 3, pad, |buf| {
                for _ in digits..14 {
                    buf.push('0');
                }
                buf.push_str(gtin);
            });
            if end < input.len() {
                let composite = &input[end + 1..];
                if !composite.starts_with("]e0") {
                    return Err(Error::new(ErrorKind::UnknownSymbology).at(end + 1));
                }
                out.read_unbracketed(input, end + 4..input.len(), GS, opts)?;
            }
            out.check_relations(opts)?;
            Ok((symbology, ScanContent::Gtin))
        }
        _ if gs1 => {
            out.read_unbracketed(input, payload, GS, opts)?;
            out.check_relations(opts)?;
            Ok((symbology, ScanContent::Gs1))
        }
        _ => {
            let text = &input[3..];
            if crate::digital_link::looks_like_digital_link(text) {
                crate::digital_link::read_digital_link(out, input, 3, opts)?;
                Ok((symbology, ScanContent::DigitalLink))
            } else {
                Err(Error::new(ErrorKind::NotGs1Data).at(3))
            }
        }
    }
}

/// The GS1 Syntax Engine's name for the symbology that scan data came from.
fn engine_symbology_name(symbology: Symbology) -> &'static str {
    match symbology {
        Symbology::DataMatrix => "DM",
        Symbology::QrCode => "QR",
        Symbology::DotCode => "DotCode",
        Symbology::Gs1_128 => "GS1_128_CCA",
        Symbology::DataBar => "DataBarExpanded",
        Symbology::Ean13 => "EAN13",
        Symbology::Ean8 => "EAN8",
    }
}

/// Processes scan data as a reader hands it over, returning the symbology's name and the message
/// in the GS1 Syntax Engine's notation (see the crate's vector tests). Plain-data messages are
/// accepted here (a Digital Link URI in them must be valid); [`parse_scan_data_into`] is the
/// stricter entry point that wants GS1 data.
pub fn process_scan_data(input: &str, opts: &Options) -> Result<(&'static str, String), Error> {
    crate::error::guarded(input, || process(input, opts))
}

fn process(input: &str, opts: &Options) -> Result<(&'static str, String), Error> {
    let bytes = input.as_bytes();
    let plain = match bytes.get(..3) {
        Some(b"]d1") => Some(Symbology::DataMatrix),
        Some(b"]Q1") => Some(Symbology::QrCode),
        Some(b"]J0") => Some(Symbology::DotCode),
        _ => None,
    };
    if let Some(symbology) = plain {
        let text = &input[3..];
        if crate::digital_link::looks_like_digital_link(text) {
            let mut data = AiData::default();
            crate::digital_link::read_digital_link(&mut data, input, 3, opts)?;
        }
        return Ok((engine_symbology_name(symbology), text.replace('^', "\\^")));
    }
    let mut data = AiData::default();
    let (symbology, content) = scan_data_into(&mut data, input, opts)?;
    let message = match content {
        ScanContent::Gtin => {
            let end = input.find('|').unwrap_or(input.len());
            let mut message = input[3..end].to_owned();
            if end < input.len() {
                message.push('|');
                message.push('^');
                message.push_str(&input[end + 4..].replace('\u{1d}', "^"));
            }
            message
        }
        // GS1 data in the engine's notation: `^` first and for each FNC1.
        _ => data.to_unbracketed(),
    };
    Ok((engine_symbology_name(symbology), message))
}

/// Generates scan data from a message in the GS1 Syntax Engine's notation (`^` for FNC1, `|`
/// before a composite component) for the symbology the engine calls `symbology`. With
/// `add_check_digit`, a linear barcode's data omits its check digit and it is computed.
pub fn generate_scan_data(
    symbology: &str,
    data: &str,
    add_check_digit: bool,
    opts: &Options,
) -> Result<String, Error> {
    let (primary, composite) = match data.split_once('|') {
        Some((p, c)) => (p, Some(c)),
        None => (data, None),
    };
    let check_gs1 = |message: &str| -> Result<(), Error> {
        let relaxed = Options { validate_requisites: false, ..*opts };
        crate::ai_data::parse_unbracketed(message.trim_end_matches('^'), &relaxed).map(|_| ())
    };
    let composite_suffix = |out: &mut String| -> Result<(), Error> {
        if let Some(c) = composite {
            if !c.starts_with('^') {
                return Err(Error::new(ErrorKind::NotGs1Data));
            }
            check_gs1(c)?;
            out.push_str(&c[1..].replace('^', "\u{1d}"));
        }
        Ok(())
    };
    match symbology {
        "QR" | "DM" | "DotCode" => {
            let (plain_id, gs1_id) = match symbology {
                "QR" => ("]Q1", "]Q3"),
                "DM" => ("]d1", "]d2"),
                _ => ("]J0", "]J1"),
            };
            if let Some(rest) = data.strip_prefix('^') {
                check_gs1(data)?;
                Ok(format!("{gs1_id}{}", rest.replace('^', "\u{1d}")))
            } else if data.is_empty() {
                Err(Error::new(ErrorKind::Empty))
            } else {
                Ok(format!("{plain_id}{}", data.replace("\\^", "^")))
            }
        }
        "DataBarExpanded" | "GS1_128_CCA" | "GS1_128_CCC" => {
            let Some(rest) = primary.strip_prefix('^') else {
                return Err(Error::new(ErrorKind::NotGs1Data));
            };
            check_gs1(primary)?;
            let id =
                if symbology == "DataBarExpanded" || composite.is_some() { "]e0" } else { "]C1" };
            let mut out = format!("{id}{}", rest.replace('^', "\u{1d}"));
            if composite.is_some() {
                let last = crate::ai_data::parse_unbracketed(
                    primary.trim_end_matches('^'),
                    &Options { validate_requisites: false, ..*opts },
                )?;
                if last.elements().last().is_some_and(|e| e.needs_fnc1())
                    && !out.ends_with('\u{1d}')
                {
                    out.push('\u{1d}');
                }
            }
            composite_suffix(&mut out)?;
            Ok(out)
        }
        "DataBarOmni" | "DataBarLimited" | "UPCA" | "UPCE" | "EAN13" | "EAN8" => {
            let digits = match symbology {
                "DataBarOmni" | "DataBarLimited" => 14,
                "UPCA" | "UPCE" => 12,
                "EAN13" => 13,
                _ => 8,
            };
            let gtin = linear_gtin(primary, digits, add_check_digit)?;
            if symbology == "DataBarLimited" && !matches!(gtin.as_bytes()[0], b'0' | b'1') {
                return Err(Error::new(ErrorKind::NoLinearForm).at(0));
            }
            if symbology == "UPCE" && !upce_encodable(&gtin) {
                return Err(Error::new(ErrorKind::NoLinearForm).at(0));
            }
            let mut out = match symbology {
                "DataBarOmni" | "DataBarLimited" => format!("]e001{gtin}"),
                "UPCA" | "UPCE" => format!("]E00{gtin}"),
                "EAN13" => format!("]E0{gtin}"),
                _ => format!("]E4{gtin}"),
            };
            if composite.is_some() {
                if !symbology.starts_with("DataBar") {
                    out.push_str("|]e0");
                }
                composite_suffix(&mut out)?;
            }
            Ok(out)
        }
        _ => Err(Error::new(ErrorKind::UnknownSymbology)),
    }
}

/// Whether UPC-E can carry this GTIN-12: number system 0 or 1 and a manufacturer/product split
/// that zero suppression can drop (GS1 General Specifications, UPC-E zero suppression).
fn upce_encodable(gtin12: &str) -> bool {
    let d = gtin12.as_bytes();
    if d.len() != 12 || !matches!(d[0], b'0' | b'1') {
        return false;
    }
    let (manufacturer, product) = (&d[1..6], &d[6..11]);
    let zeros = |s: &[u8]| s.iter().all(|&b| b == b'0');
    if matches!(&manufacturer[2..], b"000" | b"100" | b"200") {
        zeros(&product[..2])
    } else if &manufacturer[3..] == b"00" {
        zeros(&product[..3])
    } else if manufacturer[4] == b'0' {
        zeros(&product[..4])
    } else {
        zeros(&product[..4]) && (b'5'..=b'9').contains(&product[4])
    }
}

/// The `digits`-long GTIN of a linear barcode, from either `^01` and a GTIN-14 whose leading
/// zeros make room for it, or the bare digits (without check digit when `add_check_digit`).
fn linear_gtin(primary: &str, digits: usize, add_check_digit: bool) -> Result<String, Error> {
    let gtin = if let Some(gtin14) = primary.strip_prefix("^01") {
        if gtin14.len() != 14 || !gtin14.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::ValueTooShort).at(3));
        }
        let (pad, gtin) = gtin14.split_at(14 - digits);
        if !pad.bytes().all(|b| b == b'0') {
            return Err(Error::new(ErrorKind::ValueTooLong).at(3));
        }
        gtin.to_owned()
    } else if add_check_digit {
        if primary.len() + 1 != digits || !primary.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::ValueTooShort).at(0));
        }
        let check = lint::gs1_check_digit(primary.as_bytes())
            .ok_or_else(|| Error::new(ErrorKind::ValueTooShort))?;
        format!("{primary}{}", char::from(b'0' + check))
    } else {
        if primary.len() != digits {
            return Err(Error::new(ErrorKind::ValueTooShort).at(0));
        }
        primary.to_owned()
    };
    if let Err(e) = lint::lint(Linter::Csetnumeric, gtin.as_bytes())
        .and_then(|()| lint::lint(Linter::Csum, gtin.as_bytes()))
    {
        return Err(Error::new(ErrorKind::Lint(e.code)).at(e.start));
    }
    Ok(gtin)
}

#[cfg(test)]
mod tests;
