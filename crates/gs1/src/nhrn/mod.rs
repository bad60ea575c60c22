//! National Healthcare Reimbursement Numbers (AIs 710 to 717): which national scheme each AI
//! carries and the market it belongs to, so later stages can tell a pack's target market.

use crate::Ai;

/// A national healthcare reimbursement number scheme, as its AI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NhrnScheme {
    /// The AI, 710 to 717.
    pub ai: &'static str,
    /// The scheme's short name as the GS1 syntax dictionary titles it.
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 code of the market, where the scheme belongs to one we can name.
    pub country: Option<&'static str>,
}

const SCHEMES: &[NhrnScheme] = &[
    NhrnScheme { ai: "710", name: "PZN", country: Some("DE") },
    NhrnScheme { ai: "711", name: "CIP", country: Some("FR") },
    NhrnScheme { ai: "712", name: "CN", country: Some("ES") },
    NhrnScheme { ai: "713", name: "DRN", country: Some("BR") },
    NhrnScheme { ai: "714", name: "AIM", country: Some("PT") },
    NhrnScheme { ai: "715", name: "NDC", country: Some("US") },
    NhrnScheme { ai: "716", name: "AIC", country: Some("IT") },
    // The dictionary names this scheme only by its abbreviation; no market is claimed for it.
    NhrnScheme { ai: "717", name: "SRN", country: None },
];

/// The NHRN scheme an AI carries, if it is one of 710 to 717.
pub fn nhrn_scheme(ai: Ai) -> Option<&'static NhrnScheme> {
    SCHEMES.iter().find(|s| ai.is(s.ai))
}

#[cfg(test)]
mod tests;
