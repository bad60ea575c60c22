//! Counters and latency histograms, rendered in the Prometheus text format at `/metrics`.
//!
//! Hand-rolled atomics rather than a metrics crate: a handful of series, no registry, and
//! `metrics-exporter-prometheus` would add a hundred crates to the build (STACK.md).

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the request latency buckets, in seconds.
const BUCKETS: [f64; 12] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// Label sets kept, at most (routes times statuses); beyond it requests count under `other`.
const SERIES_MAX: usize = 256;

/// Every series the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<Vec<Series>>,
    jobs_ok: AtomicU64,
    jobs_failed: AtomicU64,
    events_captured: AtomicU64,
    exceptions_raised: AtomicU64,
}

#[derive(Debug)]
struct Series {
    route: String,
    status: u16,
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

impl Metrics {
    /// Counts one request to the route template `route` (never the raw path: ids would make
    /// one series each) answered with `status` after `elapsed`.
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut series) = self.requests.lock() else { return };
        let seconds = elapsed.as_secs_f64();
        let route = if series.len() >= SERIES_MAX && !series.iter().any(|s| s.route == route) {
            "other"
        } else {
            route
        };
        let index = match series.iter().position(|s| s.route == route && s.status == status) {
            Some(i) => i,
            None => {
                series.push(Series {
                    route: route.to_owned(),
                    status,
                    count: 0,
                    sum_seconds: 0.0,
                    buckets: [0; BUCKETS.len()],
                });
                series.len() - 1
            }
        };
        let s = &mut series[index];
        s.count += 1;
        s.sum_seconds += seconds;
        for (bucket, bound) in s.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// Counts one finished capture job.
    pub fn captured(&self, events: usize, exceptions: usize, ok: bool) {
        let counter = if ok { &self.jobs_ok } else { &self.jobs_failed };
        counter.fetch_add(1, Ordering::Relaxed);
        self.events_captured.fetch_add(events as u64, Ordering::Relaxed);
        self.exceptions_raised.fetch_add(exceptions as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP serialhub_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE serialhub_http_requests_total counter\n");
        let series = self.requests.lock().map(|s| {
            s.iter()
                .map(|s| (s.route.clone(), s.status, s.count, s.sum_seconds, s.buckets))
                .collect::<Vec<_>>()
        });
        let series = series.unwrap_or_default();
        for (route, status, count, _, _) in &series {
            let _ = writeln!(
                out,
                "serialhub_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP serialhub_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE serialhub_http_request_duration_seconds histogram\n");
        for (route, status, count, sum, buckets) in &series {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            for (bound, n) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "serialhub_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "serialhub_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "serialhub_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ =
                writeln!(out, "serialhub_http_request_duration_seconds_count{{{labels}}} {count}");
        }
        let counters = [
            (
                "serialhub_capture_jobs_total{outcome=\"ok\"}",
                &self.jobs_ok,
                "Capture jobs finished.",
            ),
            ("serialhub_capture_jobs_total{outcome=\"failed\"}", &self.jobs_failed, ""),
            ("serialhub_events_captured_total", &self.events_captured, "Events stored."),
            (
                "serialhub_exceptions_raised_total",
                &self.exceptions_raised,
                "Ledger exceptions raised.",
            ),
        ];
        for (name, counter, help) in counters {
            let family = name.split('{').next().unwrap_or(name);
            if !help.is_empty() {
                let _ = writeln!(out, "# HELP {family} {help}");
                let _ = writeln!(out, "# TYPE {family} counter");
            }
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        out
    }
}
