//! Simulated time: milliseconds since the Unix epoch, written as EPCIS timestamps and as the
//! `xsd:date` of an expiry. No clock is read: the simulation's time starts at `START` and only
//! moves when the scheduler takes the next task.

use serialhub_epcis::time::Timestamp;

pub(crate) const SECOND: i64 = 1000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// 2025-01-06T08:00:00Z, a Monday morning: when the first packaging line starts.
pub(crate) const START: i64 = 1_736_150_400_000;

/// Every event of the clean flow happens before 2026-11-01T00:00:00Z (the production span is
/// sized for it; see `flow::PRODUCTION_DAYS_MAX`).
pub(crate) const END: i64 = 1_793_491_200_000;

/// `YYYY-MM-DDThh:mm:ss.fffZ`, the form the event hash uses too.
pub(crate) fn timestamp(unix_millis: i64) -> String {
    Timestamp { unix_millis, has_offset: true }.to_utc_millis_string()
}

/// The last day of the month `months` months after the month of `unix_millis`, as `xsd:date`:
/// expiry dates of medicines are month ends.
pub(crate) fn month_end_after(unix_millis: i64, months: u32) -> String {
    let (year, month, _) = civil_from_days(unix_millis.div_euclid(DAY));
    let index = year * 12 + (month - 1) + i64::from(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    format!("{year:04}-{month:02}-{:02}", days_in_month(year, month))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01), after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

#[cfg(test)]
mod tests;
