//! EPC pure-identity URIs of the GS1 EPC Tag Data Standard (TDS 2.x, sections 6 and 7), converted
//! to and from the GS1 AI element data they stand for.
//!
//! An EPC URI such as `urn:epc:id:sgtin:0614141.112345.400` carries the same key as the element
//! strings `(01)80614141123458 (21)400`, rearranged: the GS1 Company Prefix comes first and ends at
//! the first dot, the indicator or extension digit moves behind it, and check digits are left out.
//! Reading a URI therefore needs nothing else, while writing one needs the length of the company
//! prefix, which only GS1's prefix allocation knows (see [`GcpLengthTable`]).
//!
//! Conversions are lossless in both directions: serials keep their case, every character of GS1
//! character set 82 survives (percent-encoded in the URI where TDS says so), and a URI that parses
//! is written back byte for byte. Errors say what is wrong and at which character.

use std::collections::BTreeMap;
use std::fmt;

#[cfg(test)]
mod tests;

/// The shortest GS1 Company Prefix an EPC URI may carry (TDS 2.0 section 6.3).
pub const GCP_LEN_MIN: u8 = 6;
/// The longest GS1 Company Prefix an EPC URI may carry (TDS 2.0 section 6.3).
pub const GCP_LEN_MAX: u8 = 12;

/// The EPC schemes that stand for GS1 keys: the pure identity schemes of `urn:epc:id:` and the
/// class scheme `urn:epc:class:lgtin:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EpcScheme {
    /// Serialised GTIN: (01) + (21).
    Sgtin,
    /// Serial Shipping Container Code: (00).
    Sscc,
    /// GLN with optional extension: (414) + (254).
    Sgln,
    /// Global Returnable Asset Identifier with serial: (8003).
    Grai,
    /// Global Individual Asset Identifier: (8004).
    Giai,
    /// Global Service Relation Number, recipient: (8018).
    Gsrn,
    /// Global Service Relation Number, provider: (8017).
    Gsrnp,
    /// Global Document Type Identifier with serial: (253).
    Gdti,
    /// Component / Part Identifier: (8010) + (8011).
    Cpi,
    /// Global Coupon Number with serial: (255).
    Sgcn,
    /// Global Identification Number for Consignment: (401).
    Ginc,
    /// Global Shipment Identification Number: (402).
    Gsin,
    /// Individual Trade Item Piece: (8006) + (21).
    Itip,
    /// Unit pack identifier, GTIN with third-party extension: (01) + (235).
    Upui,
    /// Party GLN: (417).
    Pgln,
    /// GTIN with batch/lot, an EPC class rather than an instance: (01) + (10).
    Lgtin,
}

impl EpcScheme {
    /// Every scheme, in declaration order.
    pub const ALL: [EpcScheme; 16] = [
        EpcScheme::Sgtin,
        EpcScheme::Sscc,
        EpcScheme::Sgln,
        EpcScheme::Grai,
        EpcScheme::Giai,
        EpcScheme::Gsrn,
        EpcScheme::Gsrnp,
        EpcScheme::Gdti,
        EpcScheme::Cpi,
        EpcScheme::Sgcn,
        EpcScheme::Ginc,
        EpcScheme::Gsin,
        EpcScheme::Itip,
        EpcScheme::Upui,
        EpcScheme::Pgln,
        EpcScheme::Lgtin,
    ];

    /// The scheme's name as written in the URI, e.g. `"sgtin"`.
    pub fn name(self) -> &'static str {
        match self {
            EpcScheme::Sgtin => "sgtin",
            EpcScheme::Sscc => "sscc",
            EpcScheme::Sgln => "sgln",
            EpcScheme::Grai => "grai",
            EpcScheme::Giai => "giai",
            EpcScheme::Gsrn => "gsrn",
            EpcScheme::Gsrnp => "gsrnp",
            EpcScheme::Gdti => "gdti",
            EpcScheme::Cpi => "cpi",
            EpcScheme::Sgcn => "sgcn",
            EpcScheme::Ginc => "ginc",
            EpcScheme::Gsin => "gsin",
            EpcScheme::Itip => "itip",
            EpcScheme::Upui => "upui",
            EpcScheme::Pgln => "pgln",
            EpcScheme::Lgtin => "lgtin",
        }
    }

    /// Whether the scheme names a class of objects (`urn:epc:class:`) rather than one object.
    pub fn is_class(self) -> bool {
        self == EpcScheme::Lgtin
    }

    /// The fixed start of the scheme's URIs, e.g. `"urn:epc:id:sgtin:"`.
    pub fn uri_prefix(self) -> &'static str {
        match self {
            EpcScheme::Sgtin => "urn:epc:id:sgtin:",
            EpcScheme::Sscc => "urn:epc:id:sscc:",
            EpcScheme::Sgln => "urn:epc:id:sgln:",
            EpcScheme::Grai => "urn:epc:id:grai:",
            EpcScheme::Giai => "urn:epc:id:giai:",
            EpcScheme::Gsrn => "urn:epc:id:gsrn:",
            EpcScheme::Gsrnp => "urn:epc:id:gsrnp:",
            EpcScheme::Gdti => "urn:epc:id:gdti:",
            EpcScheme::Cpi => "urn:epc:id:cpi:",
            EpcScheme::Sgcn => "urn:epc:id:sgcn:",
            EpcScheme::Ginc => "urn:epc:id:ginc:",
            EpcScheme::Gsin => "urn:epc:id:gsin:",
            EpcScheme::Itip => "urn:epc:id:itip:",
            EpcScheme::Upui => "urn:epc:id:upui:",
            EpcScheme::Pgln => "urn:epc:id:pgln:",
            EpcScheme::Lgtin => "urn:epc:class:lgtin:",
        }
    }

    /// The AIs the element data needs for this scheme, as users write them, e.g. `"(01)+(21)"`.
    fn key_ais(self) -> &'static str {
        match self {
            EpcScheme::Sgtin => "(01)+(21)",
            EpcScheme::Sscc => "(00)",
            EpcScheme::Sgln => "(414)",
            EpcScheme::Grai => "(8003)",
            EpcScheme::Giai => "(8004)",
            EpcScheme::Gsrn => "(8018)",
            EpcScheme::Gsrnp => "(8017)",
            EpcScheme::Gdti => "(253)",
            EpcScheme::Cpi => "(8010)+(8011)",
            EpcScheme::Sgcn => "(255)",
            EpcScheme::Ginc => "(401)",
            EpcScheme::Gsin => "(402)",
            EpcScheme::Itip => "(8006)+(21)",
            EpcScheme::Upui => "(01)+(235)",
            EpcScheme::Pgln => "(417)",
            EpcScheme::Lgtin => "(01)+(10)",
        }
    }

    /// The URI components after the scheme name.
    fn layout(self) -> &'static [Part] {
        match self {
            EpcScheme::Sgtin => SGTIN_LAYOUT,
            EpcScheme::Sscc => SSCC_LAYOUT,
            EpcScheme::Sgln => SGLN_LAYOUT,
            EpcScheme::Grai => GRAI_LAYOUT,
            EpcScheme::Giai => GIAI_LAYOUT,
            EpcScheme::Gsrn | EpcScheme::Gsrnp => GSRN_LAYOUT,
            EpcScheme::Gdti => GDTI_LAYOUT,
            EpcScheme::Cpi => CPI_LAYOUT,
            EpcScheme::Sgcn => SGCN_LAYOUT,
            EpcScheme::Ginc => GINC_LAYOUT,
            EpcScheme::Gsin => GSIN_LAYOUT,
            EpcScheme::Itip => ITIP_LAYOUT,
            EpcScheme::Upui => UPUI_LAYOUT,
            EpcScheme::Pgln => PGLN_LAYOUT,
            EpcScheme::Lgtin => LGTIN_LAYOUT,
        }
    }
}

impl fmt::Display for EpcScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed EPC URI: its scheme, the GS1 Company Prefix length it encodes, and the AI element
/// strings it stands for, in standard order (e.g. `[("01", "09506000134352"), ("21", "X1")]`).
///
/// Check digits are computed, escapes decoded; an SGLN with extension `0` yields no (254).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epc {
    /// The scheme the URI names.
    pub scheme: EpcScheme,
    /// The number of digits before the first dot: the GS1 Company Prefix length, 6 to 12.
    pub gcp_len: u8,
    /// The AIs and values the URI stands for, key first.
    pub ais: Vec<(&'static str, String)>,
}

/// Parses an EPC pure identity URI (`urn:epc:id:...`) or LGTIN class URI
/// (`urn:epc:class:lgtin:...`) into the AI element data it stands for.
///
/// The URI must be in the canonical form TDS defines: lowercase `urn:epc:`, only the escapes TDS
/// lists (with uppercase hex digits), and no others. Tag, raw and pattern URIs are refused.
pub fn parse_epc_uri(uri: &str) -> Result<Epc, EpcError> {
    let (scheme, body_start) = parse_prefix(uri)?;
    let layout = scheme.layout();
    let components = split_components(uri, body_start, layout)?;

    // Invariant: the company prefix is the first part of every layout.
    let Some(&(gcp_start, gcp)) = components.first() else {
        return Err(uri_error(uri, body_start, EpcErrorKind::MissingScheme));
    };
    check_digits(gcp, "company prefix")
        .map_err(|(at, kind)| uri_error(uri, gcp_start + at, kind))?;
    if !(usize::from(GCP_LEN_MIN)..=usize::from(GCP_LEN_MAX)).contains(&gcp.len()) {
        let kind = EpcErrorKind::CompanyPrefixLength { len: gcp.len() };
        return Err(uri_error(uri, gcp_start, kind));
    }
    let gcp_len = gcp.len();

    let mut parts = Vec::with_capacity(layout.len());
    parts.push(gcp.to_owned());
    for (part, &(start, text)) in layout.iter().zip(&components).skip(1) {
        let decoded = decode_part(part, text, gcp_len)
            .map_err(|(at, kind)| uri_error(uri, start + at, kind))?;
        parts.push(decoded);
    }
    let ais = assemble_ais(scheme, parts);
    // gcp_len is at most GCP_LEN_MAX, so it fits a u8.
    Ok(Epc { scheme, gcp_len: u8::try_from(gcp_len).unwrap_or(GCP_LEN_MAX), ais })
}

/// Whether `uri` is an SGTIN, SSCC or SGLN pure identity URI of the plain shape nearly all
/// event data takes (digits where TDS puts digits, no escapes), and one [`parse_epc_uri`]
/// accepts: a check without the parse and its allocations, for validators reading millions
/// of them. `false` says nothing about validity: [`parse_epc_uri`] then says what is wrong.
pub fn is_plain_identity_uri(uri: &str) -> bool {
    crate::canonical::PlainEpc::parse(uri)
        .is_some_and(|epc| epc.company_prefix().len() <= usize::from(GCP_LEN_MAX))
}

/// Formats the EPC URI for the element data, choosing the scheme from the key AI present.
///
/// `ais` are (AI, value) pairs as found in a barcode: order is free, and AIs that are not part of
/// an EPC key, like (17) or (10), are ignored. `gcp_len` is the length of the key's GS1 Company
/// Prefix, 6 to 12 (see [`GcpLengthTable`]).
///
/// Returns `Ok(None)` when the data holds no key that maps to an EPC pure identity: (01) without
/// (21) or (235), (8006) without (21), (8010) without (8011), and a GRAI (8003), GDTI (253) or
/// GCN (255) without its serial component. A GTIN with batch/lot maps to an EPC class, not an
/// identity; ask for it with [`format_lgtin_class_uri`]. When (21) is present, (01) is an SGTIN.
///
/// Two keys in one element data string (say (00) and (01)+(21)) are an error rather than a
/// guess, and so is one AI given twice with different values.
pub fn format_epc_uri(ais: &[(&str, &str)], gcp_len: u8) -> Result<Option<String>, EpcError> {
    let data = ElementData::collect(ais)?;
    let Some(scheme) = data.key_scheme()? else {
        return Ok(None);
    };
    let gcp_len = check_gcp_len(gcp_len)?;
    let parts = split_ais(scheme, &data, gcp_len)?;
    Ok(Some(render(scheme, &parts)))
}

/// Like [`format_epc_uri`], with the company prefix length looked up in `table` for the key
/// present. It is an error when the table knows no length for that key.
pub fn format_epc_uri_with_table(
    ais: &[(&str, &str)],
    table: &GcpLengthTable,
) -> Result<Option<String>, EpcError> {
    let data = ElementData::collect(ais)?;
    let Some(scheme) = data.key_scheme()? else {
        return Ok(None);
    };
    let key_ai = scheme.key_ai();
    let key = data.get(key_ai).unwrap_or_default();
    let gcp_len = crate::company_prefix_digits(key_ai, key)
        .and_then(|digits| table.gcp_len(digits))
        .ok_or(EpcError {
            kind: EpcErrorKind::UnknownGcpLen,
            subject: Subject::Ai(key_ai),
            position: None,
        })?;
    let parts = split_ais(scheme, &data, check_gcp_len(gcp_len)?)?;
    Ok(Some(render(scheme, &parts)))
}

/// Formats the EPC class URI `urn:epc:class:lgtin:CompanyPrefix.ItemRefAndIndicator.Lot` for a
/// GTIN (01) and batch/lot (10).
pub fn format_lgtin_class_uri(gtin: &str, lot: &str, gcp_len: u8) -> Result<String, EpcError> {
    let gcp_len = check_gcp_len(gcp_len)?;
    let (gcp, item_ref) = split_key(AI_GTIN, gtin, 14, 1, gcp_len)?;
    let lot = check_text(AI_LOT, lot, 0, &LGTIN_LAYOUT[2], gcp_len)?;
    Ok(render(EpcScheme::Lgtin, &[gcp, item_ref, lot.to_owned()]))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why an EPC URI or element data could not be converted: what is wrong, about which input, and
/// at which character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcError {
    kind: EpcErrorKind,
    subject: Subject,
    position: Option<usize>,
}

/// What an [`EpcError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// The URI given to [`parse_epc_uri`].
    Uri,
    /// The value of this AI in the element data.
    Ai(&'static str),
    /// The element data as a whole, or the company prefix length argument.
    Input,
}

/// What is wrong, with the details an error message quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EpcErrorKind {
    /// The text does not start with `urn:epc:`.
    NotEpcUri,
    /// An EPC URI of another kind than pure identity or class, e.g. `urn:epc:tag:`.
    UnsupportedUriKind {
        /// The kind as written (at most 32 characters of it).
        kind: String,
    },
    /// No `:` ends the scheme name.
    MissingScheme,
    /// The scheme name is not one TDS defines for that kind of URI.
    UnknownScheme {
        /// The name as written (at most 32 characters of it).
        scheme: String,
        /// Whether the URI is a class URI (`urn:epc:class:`).
        class: bool,
    },
    /// A TDS scheme that carries no GS1 key (gid, usdod, adi, bic, imovn).
    NonGs1Scheme {
        /// The scheme name.
        scheme: &'static str,
    },
    /// The URI has too few or too many `.`-separated components.
    ComponentCount {
        /// How many the scheme has.
        expected: usize,
        /// How many the URI has.
        found: usize,
    },
    /// A numeric part holds something else than a digit.
    NonDigit {
        /// The part, e.g. `"company prefix"`.
        component: &'static str,
        /// The offending character.
        found: char,
    },
    /// The GS1 Company Prefix is not 6 to 12 digits.
    CompanyPrefixLength {
        /// Its length.
        len: usize,
    },
    /// A fixed-length numeric part has the wrong number of digits.
    Length {
        /// The part.
        component: &'static str,
        /// Its number of digits.
        len: usize,
        /// The number it must have.
        expected: usize,
        /// The company prefix length that decides `expected`, when it does.
        gcp_len: Option<usize>,
    },
    /// A part that must hold at least one character is empty.
    Empty {
        /// The part.
        component: &'static str,
    },
    /// A variable-length part is too long.
    TooLong {
        /// The part.
        component: &'static str,
        /// Its length in (decoded) characters.
        len: usize,
        /// The longest allowed.
        max: usize,
        /// The company prefix length that decides `max`, when it does.
        gcp_len: Option<usize>,
    },
    /// A character outside the part's character set.
    CharNotAllowed {
        /// The part.
        component: &'static str,
        /// The offending character.
        found: char,
    },
    /// A `%` that does not start one of the escapes TDS allows in that part.
    InvalidEscape {
        /// The part.
        component: &'static str,
        /// The escape as written (up to 3 characters from the `%`).
        escape: String,
        /// The escapes the part allows.
        allowed: &'static str,
    },
    /// A number that must not have leading zeros has one (CPI serial, AI (8011)).
    LeadingZero {
        /// The part.
        component: &'static str,
    },
    /// A key's check digit is wrong.
    CheckDigit {
        /// The digit given.
        found: char,
        /// The digit the key's other digits call for.
        expected: char,
    },
    /// AI (8003) does not start with its zero padding digit.
    ExpectedZero {
        /// The digit given.
        found: char,
    },
    /// AI (254) is `0`, which the SGLN reserves for "no extension", so it has no EPC.
    ReservedExtension,
    /// The element data holds two keys that each make an EPC.
    AmbiguousKeys {
        /// The first key's AIs, e.g. `"(00)"`.
        first: &'static str,
        /// The second key's AIs.
        second: &'static str,
    },
    /// One AI is given twice with different values.
    DuplicateAi,
    /// The company prefix length table knows no length for the key.
    UnknownGcpLen,
}

impl EpcError {
    /// What is wrong.
    pub fn kind(&self) -> &EpcErrorKind {
        &self.kind
    }

    /// The AI whose value is wrong, for errors about element data; `None` for URI errors.
    pub fn ai(&self) -> Option<&'static str> {
        match self.subject {
            Subject::Ai(ai) => Some(ai),
            Subject::Uri | Subject::Input => None,
        }
    }

    /// The 0-based character position of the problem: in the URI for URI errors (always given),
    /// in the AI value for element data errors. A length error points at the start of the part
    /// whose length is wrong. `None` when the problem has no single place, e.g. two keys.
    pub fn position(&self) -> Option<usize> {
        self.position
    }
}

impl fmt::Display for EpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subject {
            Subject::Uri => f.write_str("epc uri: ")?,
            Subject::Ai(ai) => write!(f, "ai ({ai}): ")?,
            Subject::Input => f.write_str("epc: ")?,
        }
        write!(f, "{}", self.kind)?;
        if let Some(position) = self.position {
            write!(f, " (position {position})")?;
        }
        Ok(())
    }
}

impl std::error::Error for EpcError {}

impl fmt::Display for EpcErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpcErrorKind::NotEpcUri => {
                f.write_str("not an epc uri: expected \"urn:epc:id:\" or \"urn:epc:class:\"")
            }
            EpcErrorKind::UnsupportedUriKind { kind } => write!(
                f,
                "\"urn:epc:{kind}:\" uris are not supported, only pure identity \"urn:epc:id:\" \
                 and class \"urn:epc:class:\" uris"
            ),
            EpcErrorKind::MissingScheme => f.write_str("expected a scheme name followed by ':'"),
            EpcErrorKind::UnknownScheme { scheme, class } => {
                let kind = if *class { "class" } else { "id" };
                write!(f, "unknown epc {kind} scheme \"{scheme}\"")
            }
            EpcErrorKind::NonGs1Scheme { scheme } => {
                write!(f, "scheme \"{scheme}\" carries no gs1 key")
            }
            EpcErrorKind::ComponentCount { expected, found } => {
                write!(f, "expected {expected} components separated by '.', found {found}")
            }
            EpcErrorKind::NonDigit { component, found } => {
                write!(f, "non-digit {found:?} in {component}")
            }
            EpcErrorKind::CompanyPrefixLength { len } if *len > usize::from(GCP_LEN_MAX) => {
                write!(f, "company prefix is {}, at most {GCP_LEN_MAX} allowed", digits(*len))
            }
            EpcErrorKind::CompanyPrefixLength { len } => {
                write!(f, "company prefix is {}, at least {GCP_LEN_MIN} required", digits(*len))
            }
            EpcErrorKind::Length { component, len, expected, gcp_len } => {
                write!(f, "{component} is {}, expected {expected}", digits(*len))?;
                if let Some(gcp_len) = gcp_len {
                    write!(f, " with a {gcp_len}-digit company prefix")?;
                }
                Ok(())
            }
            EpcErrorKind::Empty { component } => write!(f, "{component} is empty"),
            EpcErrorKind::TooLong { component, len, max, gcp_len } => {
                write!(f, "{component} is {len} characters, at most {max} allowed")?;
                if let Some(gcp_len) = gcp_len {
                    write!(f, " with a {gcp_len}-digit company prefix")?;
                }
                Ok(())
            }
            EpcErrorKind::CharNotAllowed { component, found } => {
                write!(f, "character {found:?} not allowed in {component}")
            }
            EpcErrorKind::InvalidEscape { component, escape, allowed } => {
                write!(
                    f,
                    "invalid escape \"{escape}\" in {component}, allowed escapes are {allowed}"
                )
            }
            EpcErrorKind::LeadingZero { component } => {
                write!(f, "{component} must not start with 0")
            }
            EpcErrorKind::CheckDigit { found, expected } => {
                write!(f, "check digit is {found}, expected {expected}")
            }
            EpcErrorKind::ExpectedZero { found } => {
                write!(f, "first digit must be 0, found {found:?}")
            }
            EpcErrorKind::ReservedExtension => f.write_str(
                "extension \"0\" has no epc: the sgln uses extension 0 to mean no (254)",
            ),
            EpcErrorKind::AmbiguousKeys { first, second } => write!(
                f,
                "element data holds two keys, {first} and {second}; give only the one to convert"
            ),
            EpcErrorKind::DuplicateAi => f.write_str("given twice with different values"),
            EpcErrorKind::UnknownGcpLen => {
                f.write_str("no company prefix length known for this key")
            }
        }
    }
}

/// "1 digit", "5 digits".
fn digits(n: usize) -> String {
    if n == 1 { "1 digit".to_owned() } else { format!("{n} digits") }
}

/// An error in the URI at byte offset `at`, reported as a character position.
fn uri_error(uri: &str, at: usize, kind: EpcErrorKind) -> EpcError {
    // Offsets always fall on character boundaries; counting characters keeps positions right
    // when a non-ASCII character precedes the problem.
    let position = uri.get(..at).map_or(at, |before| before.chars().count());
    EpcError { kind, subject: Subject::Uri, position: Some(position) }
}

fn ai_error(ai: &'static str, at: usize, kind: EpcErrorKind) -> EpcError {
    EpcError { kind, subject: Subject::Ai(ai), position: Some(at) }
}

/// Keeps text quoted from the input in an error short.
fn truncated(text: &str) -> String {
    text.chars().take(32).collect()
}

// ---------------------------------------------------------------------------------------------
// URI components

/// One `.`-separated component of an EPC URI after the scheme name.
#[derive(Debug, Clone, Copy)]
struct Part {
    name: &'static str,
    kind: PartKind,
}

#[derive(Debug, Clone, Copy)]
enum PartKind {
    /// The GS1 Company Prefix: 6 to 12 digits.
    CompanyPrefix,
    /// Exactly `total - gcp_len` digits, leading zeros significant, possibly none (TDS
    /// PaddedNumericComponent and PaddedNumericComponentOrEmpty).
    Padded { total: usize },
    /// Exactly two digits (ITIP piece and total).
    TwoDigits,
    /// 1 to `max` digits, leading zeros significant (SGCN serial).
    Digits { max: usize },
    /// 1 to `max` digits without leading zeros (TDS NumericComponent; CPI serial); a lone `0`
    /// is refused too, as (8011) refuses it.
    Numeric { max: usize },
    /// 1 to `max` characters of `charset` (minus the company prefix length when `after_gcp`),
    /// percent-encoded in the URI where TDS says so. Only ever a URI's last component or a
    /// component whose charset excludes `.`, so the dots that separate components stay unambiguous.
    Text { charset: Charset, max: usize, after_gcp: bool },
}

impl Part {
    const fn padded(name: &'static str, total: usize) -> Part {
        Part { name, kind: PartKind::Padded { total } }
    }

    const fn text(name: &'static str, max: usize) -> Part {
        Part { name, kind: PartKind::Text { charset: Charset::Cset82, max, after_gcp: false } }
    }

    const fn text_after_gcp(name: &'static str, max: usize) -> Part {
        Part { name, kind: PartKind::Text { charset: Charset::Cset82, max, after_gcp: true } }
    }

    /// Whether the part may contain a `.` of its own.
    fn may_contain_dot(self) -> bool {
        matches!(self.kind, PartKind::Text { charset: Charset::Cset82, .. })
    }
}

const GCP: Part = Part { name: "company prefix", kind: PartKind::CompanyPrefix };
const ITEM_REF: Part = Part::padded("item reference and indicator", 13);
const LOCATION_REF: Part = Part::padded("location reference", 12);
const SERIAL_20: Part = Part::text("serial", 20);

// The URI components of each scheme after its name, in order (TDS 2.0 section 6.3 grammar).
const SGTIN_LAYOUT: &[Part] = &[GCP, ITEM_REF, SERIAL_20];
const SSCC_LAYOUT: &[Part] = &[GCP, Part::padded("serial reference", 17)];
const SGLN_LAYOUT: &[Part] = &[GCP, LOCATION_REF, Part::text("extension", 20)];
const GRAI_LAYOUT: &[Part] = &[GCP, Part::padded("asset type", 12), Part::text("serial", 16)];
const GIAI_LAYOUT: &[Part] = &[GCP, Part::text_after_gcp("individual asset reference", 30)];
const GSRN_LAYOUT: &[Part] = &[GCP, Part::padded("service reference", 17)];
const GDTI_LAYOUT: &[Part] = &[GCP, Part::padded("document type", 12), Part::text("serial", 17)];
const CPI_LAYOUT: &[Part] = &[
    GCP,
    Part {
        name: "component/part reference",
        kind: PartKind::Text { charset: Charset::Cset39, max: 30, after_gcp: true },
    },
    Part { name: "serial", kind: PartKind::Numeric { max: 12 } },
];
const SGCN_LAYOUT: &[Part] = &[
    GCP,
    Part::padded("coupon reference", 12),
    Part { name: "serial", kind: PartKind::Digits { max: 12 } },
];
const GINC_LAYOUT: &[Part] = &[GCP, Part::text_after_gcp("consignment reference", 30)];
const GSIN_LAYOUT: &[Part] = &[GCP, Part::padded("shipper reference", 16)];
const ITIP_LAYOUT: &[Part] = &[
    GCP,
    ITEM_REF,
    Part { name: "piece", kind: PartKind::TwoDigits },
    Part { name: "total", kind: PartKind::TwoDigits },
    SERIAL_20,
];
const UPUI_LAYOUT: &[Part] = &[GCP, ITEM_REF, Part::text("third party extension", 28)];
const PGLN_LAYOUT: &[Part] = &[GCP, Part::padded("party reference", 12)];
const LGTIN_LAYOUT: &[Part] = &[GCP, ITEM_REF, Part::text("lot", 20)];

/// The character sets of GS1 AI values that EPC URIs carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    /// GS1 AI encodable character set 82 (TDS GS3A3Component).
    Cset82,
    /// GS1 AI encodable character set 39 (TDS CPRefComponent).
    Cset39,
}

impl Charset {
    /// Whether `c` stands for itself in a URI.
    fn is_plain(self, c: u8) -> bool {
        match self {
            Charset::Cset82 => c.is_ascii_alphanumeric() || b"!'()*+,-.:;=_".contains(&c),
            Charset::Cset39 => c.is_ascii_digit() || c.is_ascii_uppercase() || c == b'-',
        }
    }

    /// Whether `c` belongs to the set but must be percent-encoded in a URI (TDS section 5).
    fn is_escaped(self, c: u8) -> bool {
        match self {
            Charset::Cset82 => b"\"%&/<>?".contains(&c),
            Charset::Cset39 => b"#/".contains(&c),
        }
    }

    fn contains(self, c: char) -> bool {
        u8::try_from(c).is_ok_and(|c| self.is_plain(c) || self.is_escaped(c))
    }

    fn allowed_escapes(self) -> &'static str {
        match self {
            Charset::Cset82 => "%22 %25 %26 %2F %3C %3E %3F",
            Charset::Cset39 => "%23 %2F",
        }
    }
}

/// Reads `urn:epc:id:<scheme>:` or `urn:epc:class:<scheme>:`; returns the scheme and the offset
/// of the first component.
fn parse_prefix(uri: &str) -> Result<(EpcScheme, usize), EpcError> {
    const URN_EPC: &str = "urn:epc:";
    if !uri.starts_with(URN_EPC) {
        return Err(uri_error(uri, 0, EpcErrorKind::NotEpcUri));
    }
    let rest = &uri[URN_EPC.len()..];
    let Some(kind_len) = rest.find(':') else {
        return Err(uri_error(uri, 0, EpcErrorKind::NotEpcUri));
    };
    let kind = &rest[..kind_len];
    let class = match kind {
        "id" => false,
        "class" => true,
        _ => {
            let kind = EpcErrorKind::UnsupportedUriKind { kind: truncated(kind) };
            return Err(uri_error(uri, URN_EPC.len(), kind));
        }
    };
    let scheme_start = URN_EPC.len() + kind_len + 1;
    let rest = &uri[scheme_start..];
    let Some(name_len) = rest.find(':') else {
        return Err(uri_error(uri, uri.len(), EpcErrorKind::MissingScheme));
    };
    let name = &rest[..name_len];
    let scheme = EpcScheme::ALL.into_iter().find(|s| s.name() == name && s.is_class() == class);
    match scheme {
        Some(scheme) => Ok((scheme, scheme_start + name_len + 1)),
        None => {
            let non_gs1 = ["gid", "usdod", "adi", "bic", "imovn"];
            let kind = match non_gs1.into_iter().find(|s| !class && *s == name) {
                Some(scheme) => EpcErrorKind::NonGs1Scheme { scheme },
                None => EpcErrorKind::UnknownScheme { scheme: truncated(name), class },
            };
            Err(uri_error(uri, scheme_start, kind))
        }
    }
}

/// Splits the URI body into one `(offset, text)` per layout part. The last part takes the rest of
/// the URI, dots included, when its character set allows dots (TDS puts such parts last).
fn split_components<'a>(
    uri: &'a str,
    body_start: usize,
    layout: &[Part],
) -> Result<Vec<(usize, &'a str)>, EpcError> {
    let expected = layout.len();
    let mut components = Vec::with_capacity(expected);
    let mut start = body_start;
    for _ in 1..expected {
        let Some(len) = uri[start..].find('.') else {
            let kind = EpcErrorKind::ComponentCount { expected, found: components.len() + 1 };
            return Err(uri_error(uri, uri.len(), kind));
        };
        components.push((start, &uri[start..start + len]));
        start += len + 1;
    }
    let last = &uri[start..];
    let may_contain_dot = layout.last().is_some_and(|part| part.may_contain_dot());
    if let (false, Some(dot)) = (may_contain_dot, last.find('.')) {
        let found = expected + last.matches('.').count();
        return Err(uri_error(uri, start + dot, EpcErrorKind::ComponentCount { expected, found }));
    }
    components.push((start, last));
    Ok(components)
}

/// An error inside one part: byte offset in the part, and what is wrong.
type PartError = (usize, EpcErrorKind);

/// Checks that `text` is all digits.
fn check_digits(text: &str, component: &'static str) -> Result<(), PartError> {
    match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, found)) => Err((at, EpcErrorKind::NonDigit { component, found })),
        None => Ok(()),
    }
}

/// Validates one URI component (not the company prefix) and returns its decoded value.
fn decode_part(part: &Part, text: &str, gcp_len: usize) -> Result<String, PartError> {
    let component = part.name;
    match part.kind {
        PartKind::CompanyPrefix => {
            check_digits(text, component)?;
            Ok(text.to_owned())
        }
        PartKind::Padded { total } => {
            check_digits(text, component)?;
            check_len(text, component, total - gcp_len, Some(gcp_len))?;
            Ok(text.to_owned())
        }
        PartKind::TwoDigits => {
            check_digits(text, component)?;
            check_len(text, component, 2, None)?;
            Ok(text.to_owned())
        }
        PartKind::Digits { max } => {
            check_digits(text, component)?;
            check_len_range(text.len(), component, max, None)?;
            Ok(text.to_owned())
        }
        PartKind::Numeric { max } => {
            check_digits(text, component)?;
            check_len_range(text.len(), component, max, None)?;
            check_no_leading_zero(text, component)?;
            Ok(text.to_owned())
        }
        PartKind::Text { charset, max, after_gcp } => {
            let decoded = unescape(text, component, charset)?;
            let (max, gcp_len) =
                if after_gcp { (max - gcp_len, Some(gcp_len)) } else { (max, None) };
            check_len_range(decoded.len(), component, max, gcp_len)?;
            Ok(decoded)
        }
    }
}

fn check_len(
    text: &str,
    component: &'static str,
    expected: usize,
    gcp_len: Option<usize>,
) -> Result<(), PartError> {
    if text.len() == expected {
        Ok(())
    } else {
        Err((0, EpcErrorKind::Length { component, len: text.len(), expected, gcp_len }))
    }
}

fn check_len_range(
    len: usize,
    component: &'static str,
    max: usize,
    gcp_len: Option<usize>,
) -> Result<(), PartError> {
    if len == 0 {
        Err((0, EpcErrorKind::Empty { component }))
    } else if len > max {
        Err((0, EpcErrorKind::TooLong { component, len, max, gcp_len }))
    } else {
        Ok(())
    }
}

fn check_no_leading_zero(digits: &str, component: &'static str) -> Result<(), PartError> {
    // TDS would allow a lone `0`, but the element string it stands for, (8011), is `N..12` with
    // the dictionary's `nozeroprefix` linter, which refuses it: an EPC must map to valid AI data.
    if digits.starts_with('0') { Err((0, EpcErrorKind::LeadingZero { component })) } else { Ok(()) }
}

/// Decodes a TDS escaped component: plain characters stand for themselves, and each escape TDS
/// lists stands for the character it encodes. Anything else is refused, so that decoding and
/// [`escape`] are exact inverses.
fn unescape(text: &str, component: &'static str, charset: Charset) -> Result<String, PartError> {
    let bytes = text.as_bytes();
    let mut decoded = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%' {
            let escaped = bytes.get(at + 1..at + 3).and_then(|hex| {
                let value = (upper_hex(hex[0])? << 4) | upper_hex(hex[1])?;
                charset.is_escaped(value).then_some(value)
            });
            let Some(value) = escaped else {
                // Quote up to 3 characters, stopping early rather than splitting a character.
                let escape: String = text.get(at..).unwrap_or_default().chars().take(3).collect();
                let allowed = charset.allowed_escapes();
                return Err((at, EpcErrorKind::InvalidEscape { component, escape, allowed }));
            };
            decoded.push(char::from(value));
            at += 3;
        } else if charset.is_plain(byte) {
            decoded.push(char::from(byte));
            at += 1;
        } else {
            // Every byte before `at` was ASCII, so `at` starts a character.
            let found = text.get(at..).and_then(|rest| rest.chars().next());
            let found = found.unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err((at, EpcErrorKind::CharNotAllowed { component, found }));
        }
    }
    Ok(decoded)
}

/// The value of an uppercase hex digit; TDS writes escapes in uppercase only.
fn upper_hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes the characters of `value` that TDS escapes. `value` holds only characters of
/// `charset` (checked by the caller).
fn escape(out: &mut String, value: &str, charset: Charset) {
    for byte in value.bytes() {
        if charset.is_escaped(byte) {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        } else {
            out.push(char::from(byte));
        }
    }
}

/// Writes the URI for decoded parts, one per layout part.
fn render(scheme: EpcScheme, parts: &[String]) -> String {
    let mut uri = String::with_capacity(64);
    uri.push_str(scheme.uri_prefix());
    for (idx, (part, value)) in scheme.layout().iter().zip(parts).enumerate() {
        if idx > 0 {
            uri.push('.');
        }
        match part.kind {
            PartKind::Text { charset, .. } => escape(&mut uri, value, charset),
            _ => uri.push_str(value),
        }
    }
    uri
}

// ---------------------------------------------------------------------------------------------
// Parts to AIs

const AI_SSCC: &str = "00";
const AI_GTIN: &str = "01";
const AI_LOT: &str = "10";
const AI_SERIAL: &str = "21";
const AI_TPX: &str = "235";
const AI_GDTI: &str = "253";
const AI_GLN_EXTENSION: &str = "254";
const AI_GCN: &str = "255";
const AI_GINC: &str = "401";
const AI_GSIN: &str = "402";
const AI_LOCATION_GLN: &str = "414";
const AI_PARTY_GLN: &str = "417";
const AI_GRAI: &str = "8003";
const AI_GIAI: &str = "8004";
const AI_ITIP: &str = "8006";
const AI_CPID: &str = "8010";
const AI_CPID_SERIAL: &str = "8011";
const AI_GSRNP: &str = "8017";
const AI_GSRN: &str = "8018";

impl EpcScheme {
    /// The AI that holds the scheme's key, whose value holds the company prefix.
    fn key_ai(self) -> &'static str {
        match self {
            EpcScheme::Sgtin | EpcScheme::Upui | EpcScheme::Lgtin => AI_GTIN,
            EpcScheme::Sscc => AI_SSCC,
            EpcScheme::Sgln => AI_LOCATION_GLN,
            EpcScheme::Grai => AI_GRAI,
            EpcScheme::Giai => AI_GIAI,
            EpcScheme::Gsrn => AI_GSRN,
            EpcScheme::Gsrnp => AI_GSRNP,
            EpcScheme::Gdti => AI_GDTI,
            EpcScheme::Cpi => AI_CPID,
            EpcScheme::Sgcn => AI_GCN,
            EpcScheme::Ginc => AI_GINC,
            EpcScheme::Gsin => AI_GSIN,
            EpcScheme::Itip => AI_ITIP,
            EpcScheme::Pgln => AI_PARTY_GLN,
        }
    }
}

/// Builds the element strings from the decoded parts of a URI.
fn assemble_ais(scheme: EpcScheme, parts: Vec<String>) -> Vec<(&'static str, String)> {
    // Invariant: `parts` holds one string per layout part, company prefix first; a missing one
    // would be a bug, and an empty string keeps that bug from panicking.
    let mut parts = parts.into_iter();
    let mut next = || parts.next().unwrap_or_default();
    let gcp = next();
    match scheme {
        EpcScheme::Sgtin => vec![(AI_GTIN, indicator_key(&gcp, &next())), (AI_SERIAL, next())],
        EpcScheme::Sscc => vec![(AI_SSCC, indicator_key(&gcp, &next()))],
        EpcScheme::Sgln => {
            let gln = with_check_digit(gcp + &next());
            let extension = next();
            let mut ais = vec![(AI_LOCATION_GLN, gln)];
            // TDS: extension 0 stands for "no (254)".
            if extension != "0" {
                ais.push((AI_GLN_EXTENSION, extension));
            }
            ais
        }
        EpcScheme::Grai => {
            let grai = with_check_digit(gcp + &next());
            vec![(AI_GRAI, format!("0{grai}{}", next()))]
        }
        EpcScheme::Giai => vec![(AI_GIAI, gcp + &next())],
        EpcScheme::Gsrn => vec![(AI_GSRN, with_check_digit(gcp + &next()))],
        EpcScheme::Gsrnp => vec![(AI_GSRNP, with_check_digit(gcp + &next()))],
        EpcScheme::Gdti => vec![(AI_GDTI, with_check_digit(gcp + &next()) + &next())],
        EpcScheme::Cpi => vec![(AI_CPID, gcp + &next()), (AI_CPID_SERIAL, next())],
        EpcScheme::Sgcn => vec![(AI_GCN, with_check_digit(gcp + &next()) + &next())],
        EpcScheme::Ginc => vec![(AI_GINC, gcp + &next())],
        EpcScheme::Gsin => vec![(AI_GSIN, with_check_digit(gcp + &next()))],
        EpcScheme::Itip => {
            let gtin = indicator_key(&gcp, &next());
            let (piece, total) = (next(), next());
            vec![(AI_ITIP, format!("{gtin}{piece}{total}")), (AI_SERIAL, next())]
        }
        EpcScheme::Upui => vec![(AI_GTIN, indicator_key(&gcp, &next())), (AI_TPX, next())],
        EpcScheme::Pgln => vec![(AI_PARTY_GLN, with_check_digit(gcp + &next()))],
        EpcScheme::Lgtin => vec![(AI_GTIN, indicator_key(&gcp, &next())), (AI_LOT, next())],
    }
}

/// A GTIN or SSCC from its company prefix and its reference whose first digit is the indicator
/// (or extension) digit, which goes back in front (TDS 2.0 section 7).
fn indicator_key(gcp: &str, reference: &str) -> String {
    let (indicator, rest) = reference.split_at_checked(1).unwrap_or(("", reference));
    with_check_digit(format!("{indicator}{gcp}{rest}"))
}

fn with_check_digit(mut digits: String) -> String {
    digits.push(char::from(b'0' + check_digit(digits.as_bytes())));
    digits
}

/// The GS1 mod-10 check digit of `digits` (ASCII digits, check digit excluded): weights 3 and 1
/// alternate from the rightmost digit.
fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(idx, d)| u32::from(d.wrapping_sub(b'0')) * if idx % 2 == 0 { 3 } else { 1 })
        .sum();
    // The remainder is below 10, so it fits a u8.
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// AIs to parts

/// The values of the AIs that EPC keys are made of, picked out of the element data.
#[derive(Debug)]
struct ElementData<'a> {
    values: [Option<&'a str>; KEY_AIS.len()],
}

/// Every AI an EPC identity is made of. (10) is missing on purpose: LGTIN is formatted through
/// [`format_lgtin_class_uri`] only.
const KEY_AIS: [&str; 18] = [
    AI_SSCC,
    AI_GTIN,
    AI_SERIAL,
    AI_TPX,
    AI_GDTI,
    AI_GLN_EXTENSION,
    AI_GCN,
    AI_GINC,
    AI_GSIN,
    AI_LOCATION_GLN,
    AI_PARTY_GLN,
    AI_GRAI,
    AI_GIAI,
    AI_ITIP,
    AI_CPID,
    AI_CPID_SERIAL,
    AI_GSRNP,
    AI_GSRN,
];

impl<'a> ElementData<'a> {
    fn collect(ais: &[(&str, &'a str)]) -> Result<Self, EpcError> {
        let mut values = [None; KEY_AIS.len()];
        for &(ai, value) in ais {
            let Some(idx) = KEY_AIS.iter().position(|known| *known == ai) else { continue };
            match values[idx] {
                Some(previous) if previous != value => {
                    return Err(EpcError {
                        kind: EpcErrorKind::DuplicateAi,
                        subject: Subject::Ai(KEY_AIS[idx]),
                        position: None,
                    });
                }
                _ => values[idx] = Some(value),
            }
        }
        Ok(ElementData { values })
    }

    fn get(&self, ai: &str) -> Option<&'a str> {
        let idx = KEY_AIS.iter().position(|known| *known == ai)?;
        self.values[idx]
    }

    fn has(&self, ai: &str) -> bool {
        self.get(ai).is_some()
    }

    /// The scheme of the one key present, if any.
    fn key_scheme(&self) -> Result<Option<EpcScheme>, EpcError> {
        // A GRAI, GDTI or GCN is an EPC only with its serial component; a value of exactly the
        // key's length has none. Shorter values still count, so that their error is reported.
        let serialised = |ai, key_len| self.get(ai).is_some_and(|v| v.len() != key_len);
        let candidates = [
            (EpcScheme::Sscc, self.has(AI_SSCC)),
            (EpcScheme::Sgtin, self.has(AI_GTIN) && self.has(AI_SERIAL)),
            (EpcScheme::Upui, self.has(AI_GTIN) && self.has(AI_TPX)),
            (EpcScheme::Itip, self.has(AI_ITIP) && self.has(AI_SERIAL)),
            (EpcScheme::Sgln, self.has(AI_LOCATION_GLN)),
            (EpcScheme::Pgln, self.has(AI_PARTY_GLN)),
            (EpcScheme::Grai, serialised(AI_GRAI, 14)),
            (EpcScheme::Giai, self.has(AI_GIAI)),
            (EpcScheme::Gsrn, self.has(AI_GSRN)),
            (EpcScheme::Gsrnp, self.has(AI_GSRNP)),
            (EpcScheme::Gdti, serialised(AI_GDTI, 13)),
            (EpcScheme::Cpi, self.has(AI_CPID) && self.has(AI_CPID_SERIAL)),
            (EpcScheme::Sgcn, serialised(AI_GCN, 13)),
            (EpcScheme::Ginc, self.has(AI_GINC)),
            (EpcScheme::Gsin, self.has(AI_GSIN)),
        ];
        let mut present = candidates.into_iter().filter(|(_, present)| *present).map(|(s, _)| s);
        match (present.next(), present.next()) {
            (Some(first), Some(second)) => Err(EpcError {
                kind: EpcErrorKind::AmbiguousKeys {
                    first: first.key_ais(),
                    second: second.key_ais(),
                },
                subject: Subject::Input,
                position: None,
            }),
            (first, _) => Ok(first),
        }
    }

    fn value(&self, ai: &'static str) -> &'a str {
        // Invariant: key_scheme only picks a scheme whose AIs are present.
        self.get(ai).unwrap_or_default()
    }
}

fn check_gcp_len(gcp_len: u8) -> Result<usize, EpcError> {
    if (GCP_LEN_MIN..=GCP_LEN_MAX).contains(&gcp_len) {
        Ok(usize::from(gcp_len))
    } else {
        Err(EpcError {
            kind: EpcErrorKind::CompanyPrefixLength { len: usize::from(gcp_len) },
            subject: Subject::Input,
            position: None,
        })
    }
}

/// Splits the element data of `scheme` into the decoded URI parts, checking every value.
fn split_ais(
    scheme: EpcScheme,
    data: &ElementData,
    gcp_len: usize,
) -> Result<Vec<String>, EpcError> {
    let layout = scheme.layout();
    // Text parts are checked against the layout entry at this index.
    let text =
        |ai: &'static str, value: &str, offset: usize, idx: usize| -> Result<String, EpcError> {
            let part = layout.get(idx).unwrap_or(&SERIAL_20);
            check_text(ai, value, offset, part, gcp_len).map(str::to_owned)
        };
    let parts = match scheme {
        EpcScheme::Sgtin | EpcScheme::Upui => {
            let (gcp, item_ref) = split_key(AI_GTIN, data.value(AI_GTIN), 14, 1, gcp_len)?;
            let qualifier = if scheme == EpcScheme::Sgtin { AI_SERIAL } else { AI_TPX };
            vec![gcp, item_ref, text(qualifier, data.value(qualifier), 0, 2)?]
        }
        EpcScheme::Sscc => {
            let (gcp, serial_ref) = split_key(AI_SSCC, data.value(AI_SSCC), 18, 1, gcp_len)?;
            vec![gcp, serial_ref]
        }
        EpcScheme::Sgln => {
            let (gcp, location_ref) =
                split_key(AI_LOCATION_GLN, data.value(AI_LOCATION_GLN), 13, 0, gcp_len)?;
            let extension = match data.get(AI_GLN_EXTENSION) {
                None => "0".to_owned(),
                Some("0") => {
                    return Err(ai_error(AI_GLN_EXTENSION, 0, EpcErrorKind::ReservedExtension));
                }
                Some(extension) => text(AI_GLN_EXTENSION, extension, 0, 2)?,
            };
            vec![gcp, location_ref, extension]
        }
        EpcScheme::Grai => {
            let value = data.value(AI_GRAI);
            if value.is_empty() {
                let kind =
                    EpcErrorKind::Length { component: "grai", len: 0, expected: 14, gcp_len: None };
                return Err(ai_error(AI_GRAI, 0, kind));
            }
            if let Some(found) = value.chars().next().filter(|c| *c != '0') {
                let kind = if found.is_ascii_digit() {
                    EpcErrorKind::ExpectedZero { found }
                } else {
                    EpcErrorKind::NonDigit { component: "grai", found }
                };
                return Err(ai_error(AI_GRAI, 0, kind));
            }
            // The leading zero is ASCII when present, so this slices at a character boundary.
            let padded = value.get(1..).unwrap_or_default();
            let (grai, serial) = digit_head(AI_GRAI, padded, 1, 13, "grai")?;
            let (gcp, asset_type) = split_key(AI_GRAI, grai, 13, 0, gcp_len)
                .map_err(|e| EpcError { position: e.position.map(|p| p + 1), ..e })?;
            vec![gcp, asset_type, text(AI_GRAI, serial, 14, 2)?]
        }
        EpcScheme::Gdti | EpcScheme::Sgcn => {
            let (ai, component) =
                if scheme == EpcScheme::Gdti { (AI_GDTI, "gdti") } else { (AI_GCN, "gcn") };
            let value = data.value(ai);
            let (key, serial) = digit_head(ai, value, 0, 13, component)?;
            let (gcp, reference) = split_key(ai, key, 13, 0, gcp_len)?;
            let serial = if scheme == EpcScheme::Gdti {
                text(ai, serial, 13, 2)?
            } else {
                check_digits(serial, "serial")
                    .and_then(|()| check_len_range(serial.len(), "serial", 12, None))
                    .map_err(|(at, kind)| ai_error(ai, 13 + at, kind))?;
                serial.to_owned()
            };
            vec![gcp, reference, serial]
        }
        EpcScheme::Giai | EpcScheme::Ginc | EpcScheme::Cpi => {
            let ai = scheme.key_ai();
            let value = data.value(ai);
            let (gcp, reference) = digit_head(ai, value, 0, gcp_len, "company prefix")?;
            let mut parts = vec![gcp.to_owned(), text(ai, reference, gcp_len, 1)?];
            if scheme == EpcScheme::Cpi {
                let serial = data.value(AI_CPID_SERIAL);
                check_digits(serial, "serial")
                    .and_then(|()| check_len_range(serial.len(), "serial", 12, None))
                    .and_then(|()| check_no_leading_zero(serial, "serial"))
                    .map_err(|(at, kind)| ai_error(AI_CPID_SERIAL, at, kind))?;
                parts.push(serial.to_owned());
            }
            parts
        }
        EpcScheme::Gsrn | EpcScheme::Gsrnp | EpcScheme::Gsin | EpcScheme::Pgln => {
            let ai = scheme.key_ai();
            let len = match scheme {
                EpcScheme::Gsrn | EpcScheme::Gsrnp => 18,
                EpcScheme::Gsin => 17,
                _ => 13,
            };
            let (gcp, reference) = split_key(ai, data.value(ai), len, 0, gcp_len)?;
            vec![gcp, reference]
        }
        EpcScheme::Itip => {
            let value = data.value(AI_ITIP);
            let (gtin, piece_total) = digit_head(AI_ITIP, value, 0, 14, "itip")?;
            let (gcp, item_ref) = split_key(AI_ITIP, gtin, 14, 1, gcp_len)?;
            check_digits(piece_total, "piece and total")
                .and_then(|()| check_len(piece_total, "piece and total", 4, None))
                .map_err(|(at, kind)| ai_error(AI_ITIP, 14 + at, kind))?;
            let (piece, total) = piece_total.split_at(2);
            let serial = text(AI_SERIAL, data.value(AI_SERIAL), 0, 4)?;
            vec![gcp, item_ref, piece.to_owned(), total.to_owned(), serial]
        }
        EpcScheme::Lgtin => {
            // Lgtin is no key_scheme result; format_lgtin_class_uri handles it.
            let (gcp, item_ref) = split_key(AI_GTIN, data.value(AI_GTIN), 14, 1, gcp_len)?;
            vec![gcp, item_ref, text(AI_LOT, data.value(AI_LOT), 0, 2)?]
        }
    };
    Ok(parts)
}

/// Splits `value` after its first `n` characters, which must be digits. `offset` is the
/// position of `value` in the AI's value, for errors.
fn digit_head<'v>(
    ai: &'static str,
    value: &'v str,
    offset: usize,
    n: usize,
    component: &'static str,
) -> Result<(&'v str, &'v str), EpcError> {
    let head_end = value.char_indices().nth(n).map_or(value.len(), |(at, _)| at);
    let head = &value[..head_end];
    check_digits(head, component).map_err(|(at, kind)| ai_error(ai, offset + at, kind))?;
    if head.len() < n {
        let kind = EpcErrorKind::Length { component, len: head.len(), expected: n, gcp_len: None };
        return Err(ai_error(ai, offset, kind));
    }
    Ok(value.split_at(head_end))
}

/// Checks a fixed-length numeric key of `len` digits (check digit last) and splits it into the
/// company prefix and the URI reference: the `lead` digits before the prefix (indicator or
/// extension digit) followed by the digits between prefix and check digit.
fn split_key(
    ai: &'static str,
    key: &str,
    len: usize,
    lead: usize,
    gcp_len: usize,
) -> Result<(String, String), EpcError> {
    let component = match ai {
        AI_SSCC => "sscc",
        AI_GTIN | AI_ITIP => "gtin",
        AI_LOCATION_GLN | AI_PARTY_GLN => "gln",
        AI_GRAI => "grai",
        AI_GDTI => "gdti",
        AI_GCN => "gcn",
        AI_GSIN => "gsin",
        _ => "gsrn",
    };
    check_digits(key, component).map_err(|(at, kind)| ai_error(ai, at, kind))?;
    if key.len() != len {
        let kind = EpcErrorKind::Length { component, len: key.len(), expected: len, gcp_len: None };
        return Err(ai_error(ai, 0, kind));
    }
    let digits = key.as_bytes();
    let (data, check) = digits.split_at(len - 1);
    let expected = b'0' + check_digit(data);
    if check[0] != expected {
        let kind = EpcErrorKind::CheckDigit {
            found: char::from(check[0]),
            expected: char::from(expected),
        };
        return Err(ai_error(ai, len - 1, kind));
    }
    // Invariant: lead + gcp_len <= 1 + 12 < len - 1 for every key, so these ranges are in bounds.
    let gcp = &key[lead..lead + gcp_len];
    let reference = format!("{}{}", &key[..lead], &key[lead + gcp_len..len - 1]);
    Ok((gcp.to_owned(), reference))
}

/// Checks a text part of an AI value (at `offset` in it) against its layout part: characters,
/// then length.
fn check_text<'v>(
    ai: &'static str,
    value: &'v str,
    offset: usize,
    part: &Part,
    gcp_len: usize,
) -> Result<&'v str, EpcError> {
    let PartKind::Text { charset, max, after_gcp } = part.kind else {
        return Ok(value);
    };
    let component = part.name;
    if let Some((at, found)) = value.char_indices().find(|(_, c)| !charset.contains(*c)) {
        return Err(ai_error(ai, offset + at, EpcErrorKind::CharNotAllowed { component, found }));
    }
    let (max, gcp) = if after_gcp { (max - gcp_len, Some(gcp_len)) } else { (max, None) };
    check_len_range(value.len(), component, max, gcp)
        .map_err(|(at, kind)| ai_error(ai, offset + at, kind))?;
    Ok(value)
}

// ---------------------------------------------------------------------------------------------
// Company prefix lengths

/// Maps GS1 prefixes (leading digits of the GS1 Company Prefix) to company prefix lengths; the
/// longest matching prefix wins.
///
/// Look up with the digits where the company prefix starts: for a GTIN-14 (01) or ITIP (8006)
/// after the indicator digit (digits 2..), for an SSCC (00) after the extension digit, for a GRAI
/// (8003) after its leading zero, and for GLN-based and other keys (414, 417, 253, 255, 401, 402,
/// 8004, 8010, 8017, 8018) from digit 1. [`crate::company_prefix_digits`] picks those digits, and
/// [`format_epc_uri_with_table`] does the whole lookup.
///
/// A length of 0 marks prefixes under which numbers hold no company prefix (restricted
/// circulation, coupons); lookups under them give `None`, as GS1's own prefix format list does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcpLengthTable {
    lengths: BTreeMap<String, u8>,
}

impl GcpLengthTable {
    /// The most entries a table holds, a bound on memory for untrusted input.
    pub const ENTRIES_MAX: usize = 1 << 20;

    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that company prefixes starting with `prefix` (1 to 12 digits) are `len` digits
    /// long (6 to 12, or 0 for "no company prefix"). A prefix given again gets the new length.
    pub fn insert(&mut self, prefix: &str, len: u8) -> Result<(), GcpTableError> {
        if prefix.is_empty()
            || prefix.len() > usize::from(GCP_LEN_MAX)
            || !prefix.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(GcpTableError::new(GcpTableErrorKind::Prefix(truncated(prefix))));
        }
        if len != 0 && !(GCP_LEN_MIN..=GCP_LEN_MAX).contains(&len) {
            return Err(GcpTableError::new(GcpTableErrorKind::Length(len.to_string())));
        }
        if self.lengths.len() >= Self::ENTRIES_MAX && !self.lengths.contains_key(prefix) {
            return Err(GcpTableError::new(GcpTableErrorKind::TooManyEntries));
        }
        self.lengths.insert(prefix.to_owned(), len);
        Ok(())
    }

    /// The company prefix length for a key whose company prefix starts at `key_digits`: the
    /// length recorded for the longest matching prefix, `None` if none matches or it is 0.
    pub fn gcp_len(&self, key_digits: &str) -> Option<u8> {
        let longest = key_digits.len().min(usize::from(GCP_LEN_MAX));
        (1..=longest)
            .rev()
            .find_map(|n| self.lengths.get(key_digits.get(..n)?))
            .copied()
            .filter(|len| *len != 0)
    }

    /// Reads a table of `prefix,length` lines. Blank lines and `#` comments (whole lines or
    /// line ends) are skipped, and spaces around fields are ignored. A prefix given twice with
    /// different lengths is an error.
    pub fn parse(text: &str) -> Result<Self, GcpTableError> {
        let mut table = GcpLengthTable::new();
        for (idx, line) in text.lines().enumerate() {
            let at_line = |kind| GcpTableError { line: Some(idx + 1), kind };
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let Some((prefix, len)) = line.split_once(',') else {
                return Err(at_line(GcpTableErrorKind::MissingComma));
            };
            let (prefix, len) = (prefix.trim(), len.trim());
            let len_value = len
                .parse::<u8>()
                .map_err(|_| at_line(GcpTableErrorKind::Length(truncated(len))))?;
            if table.lengths.get(prefix).is_some_and(|known| *known != len_value) {
                return Err(at_line(GcpTableErrorKind::Conflict(prefix.to_owned())));
            }
            table.insert(prefix, len_value).map_err(|e| at_line(e.kind))?;
        }
        Ok(table)
    }

    /// The number of prefixes recorded.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether no prefix is recorded.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }
}

/// Why a company prefix length table entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpTableError {
    line: Option<usize>,
    kind: GcpTableErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GcpTableErrorKind {
    Prefix(String),
    Length(String),
    MissingComma,
    Conflict(String),
    TooManyEntries,
}

impl GcpTableError {
    fn new(kind: GcpTableErrorKind) -> Self {
        GcpTableError { line: None, kind }
    }

    /// The 1-based line of the table text at fault, for errors from [`GcpLengthTable::parse`].
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for GcpTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("gcp length table: ")?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match &self.kind {
            GcpTableErrorKind::Prefix(prefix) => {
                write!(f, "prefix \"{prefix}\" is not 1 to {GCP_LEN_MAX} digits")
            }
            GcpTableErrorKind::Length(len) => write!(
                f,
                "length \"{len}\" is not 0 (no company prefix) or {GCP_LEN_MIN} to {GCP_LEN_MAX}"
            ),
            GcpTableErrorKind::MissingComma => f.write_str("expected \"prefix,length\""),
            GcpTableErrorKind::Conflict(prefix) => {
                write!(f, "prefix {prefix} is given twice with different lengths")
            }
            GcpTableErrorKind::TooManyEntries => {
                write!(f, "more than {} entries", GcpLengthTable::ENTRIES_MAX)
            }
        }
    }
}

impl std::error::Error for GcpTableError {}
