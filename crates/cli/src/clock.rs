//! The one place the binary reads the wall clock. Tests and replays pin the capture time with
//! `SERIALHUB_NOW` (an RFC 3339 timestamp), so that "event in the future" and undo windows
//! decide the same way on every run.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serialhub_epcis::time::Timestamp;

/// The environment variable that pins `now()`.
pub(crate) const NOW_VAR: &str = "SERIALHUB_NOW";

/// The capture time: `SERIALHUB_NOW` when set, the system clock otherwise.
pub(crate) fn now() -> anyhow::Result<Timestamp> {
    if let Ok(text) = std::env::var(NOW_VAR) {
        return Timestamp::parse(text.trim())
            .ok_or_else(|| anyhow::anyhow!("{NOW_VAR}={text:?} is not an RFC 3339 timestamp"));
    }
    #[allow(clippy::disallowed_methods)]
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let millis = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
    Ok(Timestamp { unix_millis: millis, has_offset: true })
}

/// A stopwatch for progress and summaries (never for decisions).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch(Instant);

impl Stopwatch {
    pub(crate) fn start() -> Stopwatch {
        #[allow(clippy::disallowed_methods)]
        Stopwatch(Instant::now())
    }

    pub(crate) fn secs(self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}
