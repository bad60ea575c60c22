//! The GS1 Barcode Syntax Tests ("linters") that the syntax dictionary names after a component's type.
//!
//! Each linter checks one component of an AI's value and, on failure, reports which bytes are at
//! fault, so callers can point at the exact position in the input.
//! The rules, error codes and spans follow the reference implementation that ships with the
//! GS1 Barcode Syntax Dictionary, and are checked against its unit-test vectors
//! (`tests/lint_vectors.rs`).
//!
//! Linters run on every parsed barcode, so they never allocate, never panic, and look data up in
//! constant tables rather than maps.
//!
//! Span convention: a [`LintError`] names `len` bytes starting at `start` within the linted
//! value, exactly the text the reference marks between `*...*` in its vectors. The span may be
//! empty (`len == 0`), for example for an empty value, and always lies within the value.

mod charset;
mod checksum;
mod codes;
mod coupon;
mod dates;
mod error;
mod gcp;
mod numeric;
#[cfg(test)]
mod tests;

use std::fmt;

pub use checksum::{gs1_check_digit, gs1_check_pair};
pub use error::LintErrorCode;
pub use gcp::{GcpLookup, GcpStatus, NoGcpLookup};

/// Declares [`Linter`] together with its dictionary names, so the two cannot drift apart.
macro_rules! linters {
    ($($(#[$attr:meta])* $variant:ident => $name:literal,)*) => {
        /// A GS1 Barcode Syntax Test, as named after the commas in the syntax dictionary's
        /// specification column (for example `N14,csum,gcppos2`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Linter {
            $($(#[$attr])* $variant,)*
        }

        impl Linter {
            /// Every linter, in alphabetical order of name.
            pub const ALL: &'static [Linter] = &[$(Linter::$variant,)*];

            /// The linter that the syntax dictionary calls `name` (for example `"csum"`), if any.
            pub fn from_name(name: &str) -> Option<Linter> {
                match name {
                    $($name => Some(Linter::$variant),)*
                    _ => None,
                }
            }

            /// The syntax dictionary's name for this linter, for example `"iso3166alpha2"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Linter::$variant => $name,)*
                }
            }
        }
    };
}

linters! {
    /// A North American coupon code, as carried in AI (8110).
    Couponcode => "couponcode",
    /// A positive offer file coupon code, as carried in AI (8112).
    Couponposoffer => "couponposoffer",
    /// Only characters of CSET 39 (`#`, `-`, `/`, digits, upper-case letters).
    Cset39 => "cset39",
    /// Only characters of CSET 64 (file-safe base64), with optional `=` padding.
    Cset64 => "cset64",
    /// Only characters of CSET 82.
    Cset82 => "cset82",
    /// Only digits.
    Csetnumeric => "csetnumeric",
    /// A GS1 mod-10 check digit in the last position.
    Csum => "csum",
    /// A GS1 alphanumeric check character pair in the last two positions.
    Csumalpha => "csumalpha",
    /// Starts with a GS1 Company Prefix.
    Gcppos1 => "gcppos1",
    /// Starts with a GS1 Company Prefix at the second character.
    Gcppos2 => "gcppos2",
    /// Contains at least one non-digit.
    Hasnondigit => "hasnondigit",
    /// An hour, `HH`.
    Hh => "hh",
    /// An hour and minute, `HHMI`.
    Hhmi => "hhmi",
    /// Only hyphens.
    Hyphen => "hyphen",
    /// An International Bank Account Number.
    Iban => "iban",
    /// An EU 2018/574 importer index: one character of `-`, digits, letters, `_`.
    Importeridx => "importeridx",
    /// An ISO 3166 numeric country code.
    Iso3166 => "iso3166",
    /// An ISO 3166 numeric country code or `999`.
    Iso3166999 => "iso3166999",
    /// An ISO 3166 alpha-2 country code.
    Iso3166alpha2 => "iso3166alpha2",
    /// An ISO 4217 numeric currency code.
    Iso4217 => "iso4217",
    /// An ISO/IEC 5218 biological sex code.
    Iso5218 => "iso5218",
    /// A latitude in ten digits, `0000000000` to `1800000000`.
    Latitude => "latitude",
    /// A longitude in ten digits, `0000000000` to `3600000000`.
    Longitude => "longitude",
    /// An AIDC media type.
    Mediatype => "mediatype",
    /// A minute, `MI`.
    Mi => "mi",
    /// Digits whose value is not zero.
    Nonzero => "nonzero",
    /// Digits without a leading zero.
    Nozeroprefix => "nozeroprefix",
    /// A PackageTypeCode.
    Packagetype => "packagetype",
    /// Valid `%hh` percent-encoding.
    Pcenc => "pcenc",
    /// A piece number followed by a total of the same width.
    Pieceoftotal => "pieceoftotal",
    /// A position in a sequence, `<pos>/<end>`.
    Posinseqslash => "posinseqslash",
    /// A second, `SS`.
    Ss => "ss",
    /// A winding direction, `0`, `1` or `9`.
    Winding => "winding",
    /// A flag, `0` or `1`.
    Yesno => "yesno",
    /// A date `YYMMDD` whose day may be `00`.
    Yymmd0 => "yymmd0",
    /// A date `YYMMDD`.
    Yymmdd => "yymmdd",
    /// A date `YYYYMMDD` whose day may be `00`.
    Yyyymmd0 => "yyyymmd0",
    /// A date `YYYYMMDD`.
    Yyyymmdd => "yyyymmdd",
    /// Digits whose value is zero.
    Zero => "zero",
}

/// Why and where a linter rejected a component.
///
/// The span is `len` bytes from `start`, within the linted value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintError {
    /// What is wrong.
    pub code: LintErrorCode,
    /// Offset of the first offending byte.
    pub start: usize,
    /// Number of offending bytes; zero when the fault is an absence, as for an empty value.
    pub len: usize,
}

impl LintError {
    /// The offending bytes as a range of the linted value.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len
    }
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}..{}", self.code.message(), self.start, self.start + self.len)
    }
}

impl std::error::Error for LintError {}

/// The error that every linter builds; kept short because almost every rule returns one.
const fn fail(code: LintErrorCode, start: usize, len: usize) -> Result<(), LintError> {
    Err(LintError { code, start, len })
}

/// Runs `linter` on one component `value`.
///
/// No GS1 Company Prefix data source is consulted: `gcppos1`, `gcppos2` and the company
/// prefixes inside coupon codes are checked for shape only (length and leading digits), as the
/// reference does when built without a lookup.
pub fn lint(linter: Linter, value: &[u8]) -> Result<(), LintError> {
    lint_with(linter, value, &NoGcpLookup)
}

/// Runs `linter` on one component `value`, asking `gcp` whether GS1 Company Prefixes are
/// allocated (see [`GcpLookup`] for when it is called and which spans its answers produce).
pub fn lint_with(linter: Linter, value: &[u8], gcp: &dyn GcpLookup) -> Result<(), LintError> {
    match linter {
        Linter::Couponcode => coupon::couponcode(value, gcp),
        Linter::Couponposoffer => coupon::couponposoffer(value),
        Linter::Cset39 => charset::cset39(value),
        Linter::Cset64 => charset::cset64(value),
        Linter::Cset82 => charset::cset82(value),
        Linter::Csetnumeric => charset::csetnumeric(value),
        Linter::Csum => checksum::csum(value),
        Linter::Csumalpha => checksum::csumalpha(value),
        Linter::Gcppos1 => gcp::gcppos1(value, gcp),
        Linter::Gcppos2 => gcp::gcppos2(value, gcp),
        Linter::Hasnondigit => charset::hasnondigit(value),
        Linter::Hh => dates::hh(value),
        Linter::Hhmi => dates::hhmi(value),
        Linter::Hyphen => charset::hyphen(value),
        Linter::Iban => checksum::iban(value),
        Linter::Importeridx => charset::importeridx(value),
        Linter::Iso3166 => codes::iso3166(value),
        Linter::Iso3166999 => codes::iso3166999(value),
        Linter::Iso3166alpha2 => codes::iso3166alpha2(value),
        Linter::Iso4217 => codes::iso4217(value),
        Linter::Iso5218 => codes::iso5218(value),
        Linter::Latitude => numeric::latitude(value),
        Linter::Longitude => numeric::longitude(value),
        Linter::Mediatype => codes::mediatype(value),
        Linter::Mi => dates::mi(value),
        Linter::Nonzero => numeric::nonzero(value),
        Linter::Nozeroprefix => numeric::nozeroprefix(value),
        Linter::Packagetype => codes::packagetype(value),
        Linter::Pcenc => charset::pcenc(value),
        Linter::Pieceoftotal => numeric::pieceoftotal(value),
        Linter::Posinseqslash => numeric::posinseqslash(value),
        Linter::Ss => dates::ss(value),
        Linter::Winding => codes::winding(value),
        Linter::Yesno => codes::yesno(value),
        Linter::Yymmd0 => dates::yymmd0(value),
        Linter::Yymmdd => dates::yymmdd(value),
        Linter::Yyyymmd0 => dates::yyyymmd0(value),
        Linter::Yyyymmdd => dates::yyyymmdd(value),
        Linter::Zero => numeric::zero(value),
    }
}
