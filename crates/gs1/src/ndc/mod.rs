//! US National Drug Codes and the GTINs built from them: GTIN-14 = indicator digit + `03` +
//! NDC-10 (no hyphens) + check digit, as the FDA's DSCSA guidance and GS1 US describe.

use std::fmt;

use crate::lint::gs1_check_digit;

/// The hyphen layouts an NDC-10 can have: labeler-product-package digit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdcLayout {
    /// 4-4-2.
    L4_4_2,
    /// 5-3-2.
    L5_3_2,
    /// 5-4-1.
    L5_4_1,
}

impl NdcLayout {
    fn parts(self) -> [usize; 3] {
        match self {
            NdcLayout::L4_4_2 => [4, 4, 2],
            NdcLayout::L5_3_2 => [5, 3, 2],
            NdcLayout::L5_4_1 => [5, 4, 1],
        }
    }
}

/// A 10-digit National Drug Code with its hyphen layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ndc {
    digits: [u8; 10],
    layout: Option<NdcLayout>,
}

/// Why an NDC or NDC-based GTIN was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdcError {
    message: String,
}

impl fmt::Display for NdcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NdcError {}

fn err(message: impl Into<String>) -> NdcError {
    NdcError { message: message.into() }
}

impl Ndc {
    /// Parses an NDC: hyphenated 4-4-2, 5-3-2 or 5-4-1 (10 digits), the hyphenated 11-digit
    /// 5-4-2 billing form, or 10 bare digits (layout unknown).
    ///
    /// In the 5-4-2 form the padding zero is taken from the first part that starts with one,
    /// labeler first: 4-digit labeler codes are the ones padded, as 5-digit codes do not start
    /// with 0, so `00002-0800-01` is `0002-0800-01`. An unhyphenated 11-digit NDC is refused.
    pub fn parse(text: &str) -> Result<Ndc, NdcError> {
        let parts: Vec<&str> = text.split('-').collect();
        if let Some(bad) = text.chars().find(|c| !c.is_ascii_digit() && *c != '-') {
            return Err(err(format!("ndc: {bad:?} is not a digit or hyphen")));
        }
        let mut digits = [0u8; 10];
        match parts.as_slice() {
            [bare] if bare.len() == 10 => {
                digits.copy_from_slice(bare.as_bytes());
                Ok(Ndc { digits, layout: None })
            }
            [bare] if bare.len() == 11 => Err(err(
                "ndc: an unhyphenated 11-digit NDC is ambiguous; give it as 5-4-2 with hyphens",
            )),
            [a, b, c] => {
                let lens = [a.len(), b.len(), c.len()];
                let (layout, a, b, c) = match lens {
                    [4, 4, 2] => (NdcLayout::L4_4_2, *a, *b, *c),
                    [5, 3, 2] => (NdcLayout::L5_3_2, *a, *b, *c),
                    [5, 4, 1] => (NdcLayout::L5_4_1, *a, *b, *c),
                    // 5-4-2 is the 11-digit billing form: exactly one part carries a padding zero.
                    [5, 4, 2] if a.starts_with('0') => (NdcLayout::L4_4_2, &a[1..], *b, *c),
                    [5, 4, 2] if b.starts_with('0') => (NdcLayout::L5_3_2, *a, &b[1..], *c),
                    [5, 4, 2] if c.starts_with('0') => (NdcLayout::L5_4_1, *a, *b, &c[1..]),
                    [5, 4, 2] => {
                        return Err(err("ndc: a 5-4-2 NDC must have a padding zero in one part"));
                    }
                    _ => {
                        return Err(err(format!(
                            "ndc: parts of {}-{}-{} digits are not an NDC layout",
                            lens[0], lens[1], lens[2]
                        )));
                    }
                };
                let joined = format!("{a}{b}{c}");
                digits.copy_from_slice(joined.as_bytes());
                Ok(Ndc { digits, layout: Some(layout) })
            }
            _ => Err(err("ndc: expected 10 digits, or three hyphen-separated parts")),
        }
    }

    /// The 10 digits without hyphens.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.digits).expect("ASCII digits")
    }

    /// The hyphen layout, when known.
    pub fn layout(&self) -> Option<NdcLayout> {
        self.layout
    }

    /// The NDC with hyphens in its layout, e.g. `0777-3105-02`; bare digits when the layout is unknown.
    pub fn hyphenated(&self) -> String {
        let Some(layout) = self.layout else { return self.digits().to_owned() };
        let [a, b, _] = layout.parts();
        let d = self.digits();
        format!("{}-{}-{}", &d[..a], &d[a..a + b], &d[a + b..])
    }

    /// The 11-digit 5-4-2 form (with hyphens) used in billing, which needs the layout.
    pub fn to_11_digit(&self) -> Option<String> {
        let layout = self.layout?;
        let [a, b, _] = layout.parts();
        let d = self.digits();
        let (p1, p2, p3) = (&d[..a], &d[a..a + b], &d[a + b..]);
        Some(format!("{:0>5}-{:0>4}-{:0>2}", p1, p2, p3))
    }

    /// The GTIN-14 for this NDC with the given packaging indicator digit (0 for the unit of sale).
    pub fn to_gtin(&self, indicator: u8) -> Result<String, NdcError> {
        if indicator > 9 {
            return Err(err("ndc: the indicator must be one digit"));
        }
        let mut gtin = String::with_capacity(14);
        gtin.push(char::from(b'0' + indicator));
        gtin.push_str("03");
        gtin.push_str(self.digits());
        let check = gs1_check_digit(gtin.as_bytes()).expect("13 digits");
        gtin.push(char::from(b'0' + check));
        Ok(gtin)
    }

    /// The NDC inside a US pharmaceutical GTIN (12, 13 or 14 digits; `03` after the indicator).
    /// The hyphen layout cannot be recovered from a GTIN: take it from master data.
    pub fn from_gtin(gtin: &str) -> Result<Ndc, NdcError> {
        if !gtin.bytes().all(|b| b.is_ascii_digit()) || !(12..=14).contains(&gtin.len()) {
            return Err(err("ndc: a GTIN is 12 to 14 digits"));
        }
        let gtin14 = format!("{gtin:0>14}");
        if crate::lint::lint(crate::lint::Linter::Csum, gtin14.as_bytes()).is_err() {
            return Err(err("ndc: the GTIN's check digit is wrong"));
        }
        if &gtin14[1..3] != "03" {
            return Err(err("ndc: not an NDC-based GTIN (no 03 after the indicator)"));
        }
        let mut digits = [0u8; 10];
        digits.copy_from_slice(&gtin14.as_bytes()[3..13]);
        Ok(Ndc { digits, layout: None })
    }

    /// The same NDC with a known layout (from master data); any layout fits 10 digits.
    pub fn with_layout(self, layout: NdcLayout) -> Ndc {
        Ndc { layout: Some(layout), ..self }
    }
}

#[cfg(test)]
mod tests;
