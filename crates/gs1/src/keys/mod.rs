//! The GS1 keys serialisation keys on, as validated newtypes: `Gtin`, `Sscc`, `Gln`, and the
//! pack identity `Sgtin` (GTIN + serial); plus `Gs1Date`, the YYMMDD dates of AIs (11) to (17).
//!
//! Each type can only hold a valid value, so code further on (EPCIS, the ledger) never checks
//! twice. Values are stored inline and compare byte for byte: serials are case-sensitive.

use std::fmt;

use crate::lint::{Linter, lint};

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    what: &'static str,
    reason: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.reason)
    }
}

impl std::error::Error for KeyError {}

fn key_error(what: &'static str, reason: impl Into<String>) -> KeyError {
    KeyError { what, reason: reason.into() }
}

fn check_digits(what: &'static str, digits: &str) -> Result<(), KeyError> {
    if let Err(e) = lint(Linter::Csetnumeric, digits.as_bytes()) {
        return Err(key_error(what, format!("non-digit at position {}", e.start)));
    }
    if lint(Linter::Csum, digits.as_bytes()).is_err() {
        return Err(key_error(what, "incorrect check digit"));
    }
    Ok(())
}

/// Exactly `N` digits ending in a valid check digit.
fn fixed_key<const N: usize>(what: &'static str, digits: &str) -> Result<[u8; N], KeyError> {
    if digits.len() != N {
        return Err(key_error(what, format!("{} digits, expected {N}", digits.len())));
    }
    check_digits(what, digits)?;
    let mut out = [0; N];
    out.copy_from_slice(digits.as_bytes());
    Ok(out)
}

/// A Global Trade Item Number, held as GTIN-14 (shorter GTINs are padded with leading zeros).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin([u8; 14]);

impl Gtin {
    /// Parses a GTIN-8, -12, -13 or -14 with a valid check digit.
    pub fn parse(digits: &str) -> Result<Gtin, KeyError> {
        if !matches!(digits.len(), 8 | 12 | 13 | 14) {
            return Err(key_error(
                "gtin",
                format!("{} digits, expected 8, 12, 13 or 14", digits.len()),
            ));
        }
        check_digits("gtin", digits)?;
        let mut out = [b'0'; 14];
        out[14 - digits.len()..].copy_from_slice(digits.as_bytes());
        Ok(Gtin(out))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits")
    }

    /// The packaging indicator digit (the first of the 14).
    pub fn indicator(&self) -> u8 {
        self.0[0] - b'0'
    }
}

/// A Serial Shipping Container Code (18 digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sscc([u8; 18]);

impl Sscc {
    /// Parses 18 digits with a valid check digit.
    pub fn parse(digits: &str) -> Result<Sscc, KeyError> {
        fixed_key("sscc", digits).map(Sscc)
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits")
    }
}

/// A Global Location Number (13 digits), for locations and parties.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gln([u8; 13]);

impl Gln {
    /// Parses 13 digits with a valid check digit.
    pub fn parse(digits: &str) -> Result<Gln, KeyError> {
        fixed_key("gln", digits).map(Gln)
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits")
    }
}

/// A serialised trade item: the identity of one pack, GTIN and serial (AI 21: 1 to 20
/// characters of CSET 82, case-sensitive, kept byte for byte).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sgtin {
    gtin: Gtin,
    serial: Box<str>,
}

impl Sgtin {
    /// A pack identity from a GTIN and a serial.
    pub fn new(gtin: Gtin, serial: &str) -> Result<Sgtin, KeyError> {
        if serial.is_empty() || serial.len() > 20 {
            return Err(key_error(
                "serial",
                format!("{} characters, expected 1 to 20", serial.len()),
            ));
        }
        if let Err(e) = lint(Linter::Cset82, serial.as_bytes()) {
            return Err(key_error(
                "serial",
                format!("character not in CSET 82 at position {}", e.start),
            ));
        }
        Ok(Sgtin { gtin, serial: serial.into() })
    }

    /// The GTIN.
    pub fn gtin(&self) -> Gtin {
        self.gtin
    }

    /// The serial, exactly as issued.
    pub fn serial(&self) -> &str {
        &self.serial
    }
}

macro_rules! debug_display {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.as_str())
            }
        }
    )*};
}
debug_display!(Gtin, Sscc, Gln);

impl fmt::Display for Sgtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(01){}(21){}", self.gtin, self.serial)
    }
}

impl fmt::Debug for Sgtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sgtin({self})")
    }
}

/// A GS1 date, YYMMDD, as AIs (11), (13), (15), (16) and (17) carry it. Day 00 means the last
/// day of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gs1Date {
    yy: u8,
    month: u8,
    day: u8,
}

impl Gs1Date {
    /// Parses YYMMDD; the day may be 00, otherwise it must exist in the month (29 February only
    /// in leap years; a two-digit year is a leap year when divisible by 4, true for 2000 to 2099).
    pub fn parse(text: &str) -> Result<Gs1Date, KeyError> {
        if let Err(e) = lint(Linter::Yymmd0, text.as_bytes()) {
            return Err(key_error("date", format!("{} at position {}", e.code.message(), e.start)));
        }
        let b = text.as_bytes();
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        Ok(Gs1Date { yy: two(0), month: two(2), day: two(4) })
    }

    /// The full year by the GS1 General Specifications' sliding window (section 7.12): seen from
    /// `current_year`, a two-digit year 51 to 99 years ahead is in the previous century, one
    /// 50 to 99 years behind is in the next century, otherwise in the current century.
    pub fn year(&self, current_year: u16) -> u16 {
        let century = current_year / 100 * 100;
        let current_yy = i32::from(current_year % 100);
        let diff = i32::from(self.yy) - current_yy;
        let base = if (51..=99).contains(&diff) {
            century - 100
        } else if (-99..=-50).contains(&diff) {
            century + 100
        } else {
            century
        };
        base + u16::from(self.yy)
    }

    /// The calendar date `(year, month, day)`, with day 00 resolved to the month's last day.
    pub fn to_calendar(&self, current_year: u16) -> (u16, u8, u8) {
        let year = self.year(current_year);
        let day = if self.day == 0 { days_in_month(year, self.month) } else { self.day };
        (year, self.month, day)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl crate::AiData {
    /// The pack identity, when the data has a GTIN (01) and a serial (21).
    pub fn sgtin(&self) -> Option<Sgtin> {
        let gtin = Gtin::parse(self.get("01")?).ok()?;
        Sgtin::new(gtin, self.get("21")?).ok()
    }

    /// The expiry date (17), when present.
    pub fn expiry(&self) -> Option<Gs1Date> {
        Gs1Date::parse(self.get("17")?).ok()
    }
}

#[cfg(test)]
mod tests;
