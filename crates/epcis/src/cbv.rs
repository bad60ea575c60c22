//! The CBV 2.0 standard vocabularies and the three ways of writing their values: the bare
//! name JSON-LD uses (`shipping`), the EPCIS 1.x URN (`urn:epcglobal:cbv:bizstep:shipping`)
//! and the GS1 Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`).

use std::borrow::Cow;

/// A CBV vocabulary with standard values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocab {
    BizStep,
    Disposition,
    BizTransactionType,
    SourceDestType,
    ErrorReason,
}

impl Vocab {
    /// The term prefix of the Web URI (`BizStep-`) and the URN segment (`bizstep`).
    fn parts(self) -> (&'static str, &'static str) {
        match self {
            Vocab::BizStep => ("BizStep", "bizstep"),
            Vocab::Disposition => ("Disp", "disp"),
            Vocab::BizTransactionType => ("BTT", "btt"),
            Vocab::SourceDestType => ("SDT", "sdt"),
            Vocab::ErrorReason => ("ER", "er"),
        }
    }

    pub fn values(self) -> &'static [&'static str] {
        match self {
            Vocab::BizStep => BIZ_STEPS,
            Vocab::Disposition => DISPOSITIONS,
            Vocab::BizTransactionType => BIZ_TRANSACTION_TYPES,
            Vocab::SourceDestType => SOURCE_DEST_TYPES,
            Vocab::ErrorReason => ERROR_REASONS,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Vocab::BizStep => "bizStep",
            Vocab::Disposition => "disposition",
            Vocab::BizTransactionType => "business transaction type",
            Vocab::SourceDestType => "source/destination type",
            Vocab::ErrorReason => "error reason",
        }
    }
}

pub const WEB_VOCAB: &str = "https://ref.gs1.org/cbv/";
pub const URN_VOCAB: &str = "urn:epcglobal:cbv:";

pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

pub const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

pub const BIZ_TRANSACTION_TYPES: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

pub const SOURCE_DEST_TYPES: &[&str] = &["location", "owning_party", "possessing_party"];

pub const ERROR_REASONS: &[&str] = &["did_not_occur", "incorrect_data"];

/// What a written vocabulary value turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term<'a> {
    /// A standard value, by its bare name.
    Standard(&'a str),
    /// A standard-looking form (bare, URN or Web URI) whose name is not in the vocabulary.
    UnknownStandard(&'a str),
    /// Any other absolute URI: a user extension value.
    Extension(&'a str),
    /// Neither a standard name nor a URI.
    Invalid(&'a str),
}

/// Classifies `value` as written in any form.
pub fn classify(vocab: Vocab, value: &str) -> Term<'_> {
    let (web, urn) = vocab.parts();
    let name = value
        .strip_prefix(WEB_VOCAB)
        .and_then(|rest| rest.strip_prefix(web)?.strip_prefix('-'))
        .or_else(|| {
            value.strip_prefix("cbv:").and_then(|rest| rest.strip_prefix(web)?.strip_prefix('-'))
        })
        .or_else(|| value.strip_prefix(URN_VOCAB)?.strip_prefix(urn)?.strip_prefix(':'));
    match name {
        Some(n) if vocab.values().contains(&n) => Term::Standard(n),
        Some(n) => Term::UnknownStandard(n),
        None if vocab.values().contains(&value) => Term::Standard(value),
        None if is_absolute_uri(value) => Term::Extension(value),
        None => Term::Invalid(value),
    }
}

/// The GS1 Web URI of a standard value written in any form; other values are returned as given.
pub fn to_web_uri(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match classify(vocab, value) {
        // A Web URI is already in this form; bare names, URNs and `cbv:` CURIEs are rewritten.
        Term::Standard(n) | Term::UnknownStandard(n) if !value.starts_with(WEB_VOCAB) => {
            let (web, _) = vocab.parts();
            Cow::Owned(format!("{WEB_VOCAB}{web}-{n}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// For a standard value written in any form, the Web URI's term prefix and the name
/// (`("BizStep", "shipping")`), without allocating; `None` for anything else.
pub fn web_uri_parts(vocab: Vocab, value: &str) -> Option<(&'static str, &str)> {
    match classify(vocab, value) {
        Term::Standard(n) => Some((vocab.parts().0, n)),
        _ => None,
    }
}

/// The EPCIS 1.x URN of a standard value (XML writers use it); other values as given.
pub fn to_urn(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match classify(vocab, value) {
        Term::Standard(n) | Term::UnknownStandard(n) if !value.starts_with(URN_VOCAB) => {
            let (_, urn) = vocab.parts();
            Cow::Owned(format!("{URN_VOCAB}{urn}:{n}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// The bare name JSON-LD uses for a standard value; other values as given.
pub fn to_bare(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match classify(vocab, value) {
        Term::Standard(n) => Cow::Borrowed(n),
        _ => Cow::Borrowed(value),
    }
}

/// `scheme:rest` with an RFC 3986 scheme: what the standard means by "a URI" for extensions.
pub fn is_absolute_uri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !value.contains(char::is_whitespace)
}

/// GS1 Web Vocabulary terms (sensor measurement types, alert types, components) as written in
/// JSON-LD: bare names and `gs1:` CURIEs expand to `https://gs1.org/voc/`.
pub fn gs1_voc_uri(value: &str) -> Cow<'_, str> {
    if let Some(rest) = value.strip_prefix("gs1:") {
        return Cow::Owned(format!("https://gs1.org/voc/{rest}"));
    }
    if let Some(rest) = value.strip_prefix("cbv:") {
        return Cow::Owned(format!("{WEB_VOCAB}{rest}"));
    }
    if !value.is_empty() && !value.contains(':') && !value.contains('/') {
        return Cow::Owned(format!("https://gs1.org/voc/{value}"));
    }
    Cow::Borrowed(value)
}

/// The short form of a GS1 Web Vocabulary URI for JSON-LD (the context maps it back).
pub fn gs1_voc_bare(value: &str) -> &str {
    value
        .strip_prefix("https://gs1.org/voc/")
        .or_else(|| value.strip_prefix("gs1:"))
        .unwrap_or(value)
}
