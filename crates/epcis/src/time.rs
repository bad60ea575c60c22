//! `xsd:dateTime` timestamps as EPCIS uses them: parsing, UTC conversion, and the
//! millisecond form the event hash needs. No clock: these are values, not readings.

/// A parsed timestamp: milliseconds since 1970-01-01T00:00:00Z (after rounding), plus whether
/// the text carried a zone offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub unix_millis: i64,
    pub has_offset: bool,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDThh:mm:ss[.f+][Z|±hh:mm]`. Fractions beyond milliseconds round half up
    /// on the fourth digit. A missing offset reads as UTC (`has_offset` says it was missing).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let s = b.get(from..from + len)?;
            s.iter()
                .all(u8::is_ascii_digit)
                .then(|| s.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 24 || minute > 59 || second > 59 || (hour == 24 && (minute, second) != (0, 0)) {
            return None;
        }
        let mut i = 19;
        let mut millis = 0i64;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() {
                return None;
            }
            for k in 0..3 {
                millis = millis * 10 + frac.get(k).map_or(0, |d| i64::from(d - b'0'));
            }
            if frac.get(3).is_some_and(|d| *d >= b'5') {
                millis += 1;
            }
        }
        // 24:00:00 is the end of the day only without a fraction (xsd:dateTime).
        if hour == 24 && b[19..i].iter().any(|d| d.is_ascii_digit() && *d != b'0') {
            return None;
        }
        let (offset_minutes, has_offset) = match &b[i..] {
            [] => (0, false),
            [b'Z' | b'z'] => (0, true),
            [sign @ (b'+' | b'-'), ..] if b.len() - i == 6 && b[i + 3] == b':' => {
                let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
                // Offsets up to +14:59 parse: the validator says how far beyond ±14:00 they are.
                if h > 14 || m > 59 {
                    return None;
                }
                let o = h * 60 + m;
                (if *sign == b'-' { -o } else { o }, true)
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let local = ((days * 24 + hour) * 60 + minute) * 60 + second;
        let unix_millis = (local - offset_minutes * 60) * 1000 + millis;
        Some(Timestamp { unix_millis, has_offset })
    }

    /// `YYYY-MM-DDThh:mm:ss.fffZ`.
    pub fn to_utc_millis_string(self) -> String {
        let mut s = String::with_capacity(24);
        self.write_utc_millis(&mut s);
        s
    }

    /// Appends `YYYY-MM-DDThh:mm:ss.fffZ`. Years 0000 to 9999 are written by hand (the hash's
    /// hot path); a carry or offset past either end gives a five-digit or negative year.
    pub fn write_utc_millis(self, out: &mut String) {
        let ms = self.unix_millis.rem_euclid(1000);
        let secs = self.unix_millis.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            out.push_str(&format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
                rem / 3600,
                rem / 60 % 60,
                rem % 60
            ));
            return;
        }
        let mut b = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (0..width).rev() {
                b[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, rem / 3600);
        put(14, 2, rem / 60 % 60);
        put(17, 2, rem % 60);
        put(20, 3, ms);
        // Only ASCII digits and punctuation were written.
        out.push_str(std::str::from_utf8(&b).unwrap_or_default());
    }
}

/// `±hh:mm` as EPCIS writes `eventTimeZoneOffset`.
pub fn is_time_zone_offset(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 6
        && matches!(b[0], b'+' | b'-')
        && b[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit())
        && (b[1] - b'0') * 10 + (b[2] - b'0') <= 14
        && (b[4] - b'0') * 10 + (b[5] - b'0') <= 59
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The number of days in month `m` (1 to 12) of the proleptic Gregorian year `y`.
pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day number (days since 1970-01-01),
/// after Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}
