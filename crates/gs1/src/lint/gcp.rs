//! GS1 Company Prefix linters and the port through which callers supply GCP allocation data.

use super::{LintError, LintErrorCode, fail};

/// The shortest GS1 Company Prefix currently allocated has four digits.
const GCP_LEN_MIN: usize = 4;

/// What a [`GcpLookup`] knows about the start of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GcpStatus {
    /// The data starts with an allocated GS1 Company Prefix (or should be treated as if it did).
    Valid,
    /// The data does not start with an allocated GS1 Company Prefix.
    InvalidPrefix,
    /// The data source cannot answer; linting fails with
    /// [`LintErrorCode::GcpDatasourceOffline`].
    Offline,
}

/// A source of GS1 Company Prefix allocations, consulted by `gcppos1`, `gcppos2` and for the
/// company prefixes inside coupon codes (`couponcode`).
///
/// Contract:
/// - `lookup` is called only after the linter has checked the shape, so `data` always starts
///   with at least four ASCII digits. It is the component from the position where a GCP must
///   start to the end of the component: it may be longer than any GCP and may contain
///   non-digits after the prefix (for example a GIAI's asset reference). The implementation
///   decides whether some prefix of `data` is an allocated GCP. Prefixes arrive in their
///   normalised 13-digit-key forms: a U.P.C. Company Prefix is preceded by `0`, a GS1-8 Prefix
///   by `00000`, exactly as they sit inside a GTIN-14.
/// - It may be called several times for one component (a coupon carries up to four GCPs), in
///   order from left to right, and should give the same answer for the same `data`.
/// - It must not panic, and should be fast: it runs on the hot path of parsing.
/// - [`GcpStatus::Offline`] fails closed. To fail open when the source is down, return
///   [`GcpStatus::Valid`] instead.
///
/// On [`GcpStatus::InvalidPrefix`] and [`GcpStatus::Offline`] the reported span covers all of
/// `data`: the whole value for `gcppos1`, everything after the first character for `gcppos2`,
/// and the company prefix field for a coupon.
pub trait GcpLookup {
    /// Says whether `data` starts with an allocated GS1 Company Prefix.
    fn lookup(&self, data: &[u8]) -> GcpStatus;
}

/// The lookup used by [`lint`](super::lint): every well-formed prefix is valid, so only the
/// shape of a GCP is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoGcpLookup;

impl GcpLookup for NoGcpLookup {
    fn lookup(&self, _data: &[u8]) -> GcpStatus {
        GcpStatus::Valid
    }
}

pub(super) fn gcppos1(value: &[u8], gcp: &dyn GcpLookup) -> Result<(), LintError> {
    let Some(shortest_gcp) = value.get(..GCP_LEN_MIN) else {
        return fail(LintErrorCode::TooShortForGcp, 0, value.len());
    };
    if let Some(pos) = shortest_gcp.iter().position(|byte| !byte.is_ascii_digit()) {
        return fail(LintErrorCode::InvalidGcpPrefix, pos, 1);
    }
    match gcp.lookup(value) {
        GcpStatus::Valid => Ok(()),
        GcpStatus::InvalidPrefix => fail(LintErrorCode::InvalidGcpPrefix, 0, value.len()),
        GcpStatus::Offline => fail(LintErrorCode::GcpDatasourceOffline, 0, value.len()),
    }
}

/// Used where the first character is something else, such as the indicator digit of a GTIN-14
/// or the extension digit of an SSCC.
pub(super) fn gcppos2(value: &[u8], gcp: &dyn GcpLookup) -> Result<(), LintError> {
    let Some((_, rest)) = value.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return fail(LintErrorCode::TooShortForGcp, 0, value.len());
    };
    gcppos1(rest, gcp).map_err(|err| LintError { start: err.start + 1, ..err })
}
