//! Linters on the value of digit strings: zero and non-zero, leading zeros, piece counts,
//! positions in a sequence, and coordinates.

use super::charset::require_digits;
use super::{LintError, LintErrorCode, fail};

pub(super) fn zero(value: &[u8]) -> Result<(), LintError> {
    if value.is_empty() || value.iter().any(|&byte| byte != b'0') {
        return fail(LintErrorCode::NotZero, 0, value.len());
    }
    Ok(())
}

/// An empty value counts as zero: there is no non-zero digit in it.
pub(super) fn nonzero(value: &[u8]) -> Result<(), LintError> {
    require_digits(value)?;
    if value.iter().all(|&byte| byte == b'0') {
        return fail(LintErrorCode::IllegalZeroValue, 0, value.len());
    }
    Ok(())
}

/// The leading zero is reported before any non-digit, as the reference does.
pub(super) fn nozeroprefix(value: &[u8]) -> Result<(), LintError> {
    if value.first() == Some(&b'0') {
        return fail(LintErrorCode::IllegalZeroPrefix, 0, 1);
    }
    require_digits(value)
}

/// Compares two equal-length digit strings by value; for equal widths the bytewise order is
/// the numeric order.
fn exceeds(left: &[u8], right: &[u8]) -> bool {
    debug_assert_eq!(left.len(), right.len());
    left > right
}

/// A piece number and a total of equal width, such as `0103` for piece 1 of 3.
pub(super) fn pieceoftotal(value: &[u8]) -> Result<(), LintError> {
    require_digits(value)?;
    if value.is_empty() || !value.len().is_multiple_of(2) {
        return fail(LintErrorCode::InvalidLengthForPieceOfTotal, 0, value.len());
    }
    let half = value.len() / 2;
    let (piece, total) = value.split_at(half);
    if piece.iter().all(|&byte| byte == b'0') {
        return fail(LintErrorCode::ZeroPieceNumber, 0, half);
    }
    if total.iter().all(|&byte| byte == b'0') {
        return fail(LintErrorCode::ZeroTotalPieces, half, half);
    }
    if exceeds(piece, total) {
        return fail(LintErrorCode::PieceNumberExceedsTotal, 0, value.len());
    }
    Ok(())
}

/// `<pos>/<end>` with both numbers free of leading zeros (which also rules out zero).
pub(super) fn posinseqslash(value: &[u8]) -> Result<(), LintError> {
    let malformed =
        LintError { code: LintErrorCode::PositionInSequenceMalformed, start: 0, len: value.len() };
    let slash = value.iter().position(|byte| !byte.is_ascii_digit()).ok_or(malformed)?;
    let (position, end) = (&value[..slash], &value[slash + 1..]);
    if value[slash] != b'/'
        || position.is_empty()
        || end.is_empty()
        || !end.iter().all(u8::is_ascii_digit)
    {
        return Err(malformed);
    }
    if position[0] == b'0' {
        return fail(LintErrorCode::IllegalZeroPrefix, 0, slash);
    }
    if end[0] == b'0' {
        return fail(LintErrorCode::IllegalZeroPrefix, slash + 1, end.len());
    }
    // Without leading zeros, a longer number is a larger one.
    let position_exceeds_end = match position.len().cmp(&end.len()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => exceeds(position, end),
    };
    if position_exceeds_end {
        return fail(LintErrorCode::PositionExceedsEnd, 0, value.len());
    }
    Ok(())
}

/// Ten digits holding a coordinate offset so that it is never negative, checked against
/// `max`: the shared shape of latitude and longitude.
fn coordinate(
    value: &[u8],
    max: u64,
    invalid_length: LintErrorCode,
    out_of_range: LintErrorCode,
) -> Result<(), LintError> {
    if value.len() != 10 {
        return fail(invalid_length, 0, value.len());
    }
    require_digits(value)?;
    let number = value.iter().fold(0u64, |acc, &byte| acc * 10 + u64::from(byte - b'0'));
    if number > max {
        return fail(out_of_range, 0, 10);
    }
    Ok(())
}

/// Latitude plus 90 degrees, in units of 10^-7 degree.
pub(super) fn latitude(value: &[u8]) -> Result<(), LintError> {
    coordinate(
        value,
        1_800_000_000,
        LintErrorCode::LatitudeInvalidLength,
        LintErrorCode::InvalidLatitude,
    )
}

/// Longitude plus 180 degrees, in units of 10^-7 degree.
pub(super) fn longitude(value: &[u8]) -> Result<(), LintError> {
    coordinate(
        value,
        3_600_000_000,
        LintErrorCode::LongitudeInvalidLength,
        LintErrorCode::InvalidLongitude,
    )
}
