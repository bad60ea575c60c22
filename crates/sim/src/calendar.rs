//! Simulated time: milliseconds since the Unix epoch, written as EPCIS timestamps and as the
//! `xsd:date` of an expiry. No clock is read: the simulation's time starts at `START` and only
//! moves when the scheduler takes the next task.

use serialhub_epcis::time::{Timestamp, civil_from_days, days_in_month};

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

#[cfg(test)]
mod tests;
