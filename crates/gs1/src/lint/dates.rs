//! Date and time linters: `YYMMDD`, `YYYYMMDD` (optionally with day `00`), `HH`, `MI`, `SS`
//! and `HHMI`.

use super::charset::require_digits;
use super::{LintError, LintErrorCode, fail};

/// The value of two ASCII digits at `at`; callers have already checked that they are digits.
fn two_digits(value: &[u8], at: usize) -> u8 {
    (value[at] - b'0') * 10 + (value[at + 1] - b'0')
}

fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether a day of `00` (meaning "no particular day of the month") is accepted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DayZero {
    Allowed,
    Forbidden,
}

/// Checks a date whose year has `year_len` digits (2 or 4), followed by `MMDD`.
fn date(value: &[u8], year_len: usize, day_zero: DayZero) -> Result<(), LintError> {
    let date_len = year_len + 4;
    if value.len() != date_len {
        let code = if value.len() < date_len {
            LintErrorCode::DateTooShort
        } else {
            LintErrorCode::DateTooLong
        };
        return fail(code, 0, value.len());
    }
    require_digits(value)?;
    let year = if year_len == 4 {
        u16::from(two_digits(value, 0)) * 100 + u16::from(two_digits(value, 2))
    } else {
        // GS1 resolves a two-digit year to the century that puts it within 49 years before and
        // 50 years after the current year, which would need a clock. Reading YY as 20YY gives
        // the same leap years as that window for every current year from 2000 to 2049: only
        // "00" can change (2100 is not a leap year), and not before 2050.
        2000 + u16::from(two_digits(value, 0))
    };
    let month = two_digits(value, year_len);
    if !(1..=12).contains(&month) {
        return fail(LintErrorCode::IllegalMonth, year_len, 2);
    }
    let day = two_digits(value, year_len + 2);
    let day_is_valid = match day {
        0 => day_zero == DayZero::Allowed,
        _ => day <= days_in_month(year, month),
    };
    if !day_is_valid {
        return fail(LintErrorCode::IllegalDay, year_len + 2, 2);
    }
    Ok(())
}

pub(super) fn yymmd0(value: &[u8]) -> Result<(), LintError> {
    date(value, 2, DayZero::Allowed)
}

pub(super) fn yymmdd(value: &[u8]) -> Result<(), LintError> {
    date(value, 2, DayZero::Forbidden)
}

pub(super) fn yyyymmd0(value: &[u8]) -> Result<(), LintError> {
    date(value, 4, DayZero::Allowed)
}

pub(super) fn yyyymmdd(value: &[u8]) -> Result<(), LintError> {
    date(value, 4, DayZero::Forbidden)
}

/// The codes one two-digit time field reports.
struct TimeField {
    too_short: LintErrorCode,
    too_long: LintErrorCode,
    illegal: LintErrorCode,
    max: u8,
}

const HOUR: TimeField = TimeField {
    too_short: LintErrorCode::HourTooShort,
    too_long: LintErrorCode::HourTooLong,
    illegal: LintErrorCode::IllegalHour,
    max: 23,
};

const MINUTE: TimeField = TimeField {
    too_short: LintErrorCode::MinuteTooShort,
    too_long: LintErrorCode::MinuteTooLong,
    illegal: LintErrorCode::IllegalMinute,
    max: 59,
};

// Leap seconds are not representable, as in the reference.
const SECOND: TimeField = TimeField {
    too_short: LintErrorCode::SecondTooShort,
    too_long: LintErrorCode::SecondTooLong,
    illegal: LintErrorCode::IllegalSecond,
    max: 59,
};

/// Checks the digits and range of a two-byte time field; the caller has checked the length.
fn time_field_value(value: &[u8], field: &TimeField) -> Result<(), LintError> {
    require_digits(value)?;
    if two_digits(value, 0) > field.max {
        return fail(field.illegal, 0, 2);
    }
    Ok(())
}

fn time_field(value: &[u8], field: &TimeField) -> Result<(), LintError> {
    match value.len() {
        2 => time_field_value(value, field),
        0 | 1 => fail(field.too_short, 0, value.len()),
        _ => fail(field.too_long, 0, value.len()),
    }
}

pub(super) fn hh(value: &[u8]) -> Result<(), LintError> {
    time_field(value, &HOUR)
}

pub(super) fn mi(value: &[u8]) -> Result<(), LintError> {
    time_field(value, &MINUTE)
}

pub(super) fn ss(value: &[u8]) -> Result<(), LintError> {
    time_field(value, &SECOND)
}

/// The hour is checked completely before the minute, so `24x0` reports the hour.
pub(super) fn hhmi(value: &[u8]) -> Result<(), LintError> {
    if value.len() != 4 {
        let code = if value.len() < 4 {
            LintErrorCode::HourWithMinuteTooShort
        } else {
            LintErrorCode::HourWithMinuteTooLong
        };
        return fail(code, 0, value.len());
    }
    let (hour, minute) = value.split_at(2);
    time_field_value(hour, &HOUR)?;
    time_field_value(minute, &MINUTE).map_err(|err| LintError { start: err.start + 2, ..err })
}
