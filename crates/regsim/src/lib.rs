//! `serialhub regulator-sim`: a local server that stands in for a regulator's hub or a trading
//! partner's system, for tests and demos (real ones are not reachable from here).
//!
//! It speaks three formats, by path, each message carrying an `Idempotency-Key` header:
//! - `POST /messages` takes one message (any body up to `BODY_MAX`).
//! - `POST /dscsa` takes an EPCIS 1.2 DSCSA document and checks it as a US trading partner
//!   does (`dscsa`: SBDH, transaction statement, NDCs, commissioning of every shipped
//!   identifier), answering 422 with a reason code when a check fails.
//! - `POST /eu-hub` takes an EU FMD hub upload (product, batch, serials) and answers per serial
//!   (`euhub`): a serial uploaded before in another message is `serial_duplicate`.
//!
//! Each idempotency key is applied once: a repeat is answered as the duplicate it is, with the
//! first answer (receipt, and the per-serial answers of an upload), and is never refused by a
//! fault (nor while a slow answer to an earlier attempt is still to apply it). At the configured fault
//! rate a request instead meets one fault, drawn from a seeded generator so that a run can be
//! replayed: a rejection with a realistic reason code (`/messages`: 422 `E_PRODUCT_UNKNOWN`;
//! `/dscsa`: 422 `po_unknown` or `product_unknown`; `/eu-hub`: the upload applied with one
//! serial refused `serial_blocked`), a server error (500), an outage (503 for the next
//! `OUTAGE_REQUESTS` requests), a slow answer, a timeout (no answer for `TIMEOUT_MS`), or a
//! malformed acknowledgement (the message IS applied, the answer is not JSON). `GET /stats`
//! counts what happened: `received`, `applied` (taken whole: an upload with a refused serial
//! is not), `duplicates`, `rejected` (refused, or an upload with a refused serial), the faults,
//! the same counts per format, and the serials the hub holds.

mod dscsa;
mod euhub;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

/// The largest message body taken.
pub const BODY_MAX: usize = 16 << 20;
/// How long a "timeout" fault holds the request before answering 504.
pub const TIMEOUT_MS: u64 = 15_000;
/// How long a "slow" answer takes.
pub const SLOW_MS: u64 = 1_500;
/// Requests an outage refuses (503) once it starts.
pub const OUTAGE_REQUESTS: u32 = 20;

/// How the simulator misbehaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The share of requests that meet a fault, 0 to 1.
    pub fault_rate: f64,
    /// The seed of the fault draws.
    pub seed: u64,
    /// How long every answer takes, in milliseconds (a remote system's latency).
    pub latency_ms: u64,
}

/// A refusal of a whole message: its HTTP status, reason code and words.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rejection {
    status: u16,
    code: &'static str,
    reason: String,
}

/// The formats the simulator takes, by path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Format {
    /// `POST /messages`: any body.
    Messages,
    /// `POST /dscsa`: an EPCIS 1.2 DSCSA document.
    Dscsa,
    /// `POST /eu-hub`: an EU FMD hub upload.
    EuHub,
}

impl Format {
    const ALL: [Format; 3] = [Format::Messages, Format::Dscsa, Format::EuHub];

    fn name(self) -> &'static str {
        match self {
            Format::Messages => "messages",
            Format::Dscsa => "dscsa",
            Format::EuHub => "eu-hub",
        }
    }
}

/// What happened to messages of one format (or all).
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    received: u64,
    applied: u64,
    duplicates: u64,
    rejected: u64,
}

impl Counts {
    fn json(&self) -> serde_json::Value {
        json!({
            "received": self.received,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        })
    }
}

/// What happened, as `GET /stats` reports it.
#[derive(Debug, Default)]
struct Stats {
    all: Counts,
    formats: HashMap<Format, Counts>,
    faults: HashMap<&'static str, u64>,
}

impl Stats {
    /// Counts one event of `format` in its counts and the totals.
    fn count(&mut self, format: Format, which: fn(&mut Counts) -> &mut u64) {
        *which(&mut self.all) += 1;
        *which(self.formats.entry(format).or_default()) += 1;
    }
}

/// The first answer to an idempotency key, repeated to its retries.
#[derive(Clone, Debug)]
struct Applied {
    receipt: String,
    /// An upload's per-serial answers.
    serials: Option<Vec<serde_json::Value>>,
}

#[derive(Debug)]
struct Sim {
    settings: Settings,
    rng: u64,
    stats: Stats,
    /// Applied idempotency keys and their first answers.
    applied: HashMap<String, Applied>,
    /// Requests the current outage still refuses.
    outage_left: u32,
    /// Keys an answer is about to apply (how many such requests each).
    in_flight: HashMap<String, u32>,
    /// The serials the EU hub holds.
    hub: euhub::Registry,
}

impl Sim {
    /// xorshift64*: a uniform draw in [0, 1).
    fn draw(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

type Shared = Arc<Mutex<Sim>>;

/// The simulator's routes.
pub fn router(settings: Settings) -> Router {
    let sim = Sim {
        settings,
        rng: settings.seed.max(1),
        stats: Stats::default(),
        applied: HashMap::new(),
        outage_left: 0,
        in_flight: HashMap::new(),
        hub: euhub::Registry::default(),
    };
    Router::new()
        .route(
            "/messages",
            post(|sim, headers, body| receive(Format::Messages, sim, headers, body)),
        )
        .route("/dscsa", post(|sim, headers, body| receive(Format::Dscsa, sim, headers, body)))
        .route("/eu-hub", post(|sim, headers, body| receive(Format::EuHub, sim, headers, body)))
        .route("/stats", get(stats))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .with_state(Arc::new(Mutex::new(sim)))
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, settings: Settings) -> std::io::Result<()> {
    axum::serve(listener, router(settings)).await
}

/// What one request meets.
enum Fate {
    Apply {
        malformed: bool,
        slow: bool,
    },
    /// A rejection; the draw picks its code (or an upload's refused serial).
    Reject {
        pick: f64,
    },
    Error,
    Outage,
    Timeout,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn refuse(rejection: &Rejection) -> Response {
    let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    answer(status, json!({"code": rejection.code, "reason": rejection.reason}))
}

/// The rejections a trading partner answers a DSCSA document with at the fault rate.
const DSCSA_FAULTS: [(&str, &str); 2] = [
    ("po_unknown", "the purchase order is not one of ours"),
    ("product_unknown", "the NDC is not in our item master"),
];

async fn receive(
    format: Format,
    State(sim): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"code": "E_NO_KEY", "reason": "an Idempotency-Key header is required"}),
        );
    };
    if body.is_empty() {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"code": "E_EMPTY", "reason": "the message is empty"}),
        );
    }
    let key = key.to_owned();
    let latency = sim.lock().map_or(0, |s| s.settings.latency_ms);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let fate = {
        let Ok(mut sim) = sim.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        sim.stats.count(format, |c| &mut c.received);
        let fate = if sim.outage_left > 0 {
            sim.outage_left -= 1;
            *sim.stats.faults.entry("outage").or_default() += 1;
            Fate::Outage
        } else if sim.draw() < sim.settings.fault_rate {
            let kinds = ["reject", "error", "outage", "slow", "timeout", "malformed"];
            let kind = kinds[((sim.draw() * kinds.len() as f64) as usize).min(kinds.len() - 1)];
            *sim.stats.faults.entry(kind).or_default() += 1;
            match kind {
                // A message applied already (or about to be, by an answer to an earlier attempt
                // still on its way) is not refused on a retry: it is a duplicate.
                "reject" if sim.applied.contains_key(&key) || sim.in_flight.contains_key(&key) => {
                    Fate::Apply { malformed: false, slow: false }
                }
                "reject" => Fate::Reject { pick: sim.draw() },
                "error" => Fate::Error,
                "outage" => {
                    sim.outage_left = OUTAGE_REQUESTS;
                    Fate::Outage
                }
                "slow" => Fate::Apply { malformed: false, slow: true },
                "timeout" => Fate::Timeout,
                _ => Fate::Apply { malformed: true, slow: false },
            }
        } else {
            Fate::Apply { malformed: false, slow: false }
        };
        if let Fate::Apply { .. } = fate {
            *sim.in_flight.entry(key.clone()).or_default() += 1;
        }
        fate
    };
    // Until the answer is made, or the request is dropped (its client gone).
    let _in_flight =
        matches!(fate, Fate::Apply { .. }).then(|| InFlight { sim: sim.clone(), key: key.clone() });
    match fate {
        Fate::Reject { pick } => match format {
            Format::Messages => {
                if let Ok(mut sim) = sim.lock() {
                    sim.stats.count(format, |c| &mut c.rejected);
                }
                answer(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"code": "E_PRODUCT_UNKNOWN", "reason": "the product code is not registered"}),
                )
            }
            Format::Dscsa => {
                if let Ok(mut sim) = sim.lock() {
                    sim.stats.count(format, |c| &mut c.rejected);
                }
                let (code, reason) = DSCSA_FAULTS[((pick * 2.0) as usize).min(1)];
                answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"code": code, "reason": reason}))
            }
            // The hub takes the upload but refuses one of its serials.
            Format::EuHub => apply(format, &sim, key, &body, Some(pick), false),
        },
        Fate::Error => {
            answer(StatusCode::INTERNAL_SERVER_ERROR, json!({"reason": "internal error"}))
        }
        Fate::Outage => {
            (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "1")], "down").into_response()
        }
        Fate::Timeout => {
            tokio::time::sleep(Duration::from_millis(TIMEOUT_MS)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Fate::Apply { malformed, slow } => {
            if slow {
                tokio::time::sleep(Duration::from_millis(SLOW_MS)).await;
            }
            apply(format, &sim, key, &body, None, malformed)
        }
    }
}

/// A request about to apply its key: counted in `Sim::in_flight` while it lives.
struct InFlight {
    sim: Shared,
    key: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let Ok(mut sim) = self.sim.lock() else { return };
        if let Some(n) = sim.in_flight.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                sim.in_flight.remove(&self.key);
            }
        }
    }
}

/// Applies a message once per key: a repeat gets the first answer; a new one is checked as
/// its format requires and, if taken, remembered. `block` (a draw) refuses one serial of an
/// upload; `malformed` answers with a broken acknowledgement after applying.
fn apply(
    format: Format,
    sim: &Shared,
    key: String,
    body: &[u8],
    block: Option<f64>,
    malformed: bool,
) -> Response {
    // The checks read the whole body: done before the lock, and only for a key not seen yet.
    let seen = sim.lock().is_ok_and(|s| s.applied.contains_key(&key));
    let checked = match format {
        _ if seen => Ok(None),
        Format::Messages => Ok(None),
        Format::Dscsa => dscsa::check(body).map(|_| None),
        Format::EuHub => euhub::parse(body).map(Some),
    };
    let Ok(mut sim) = sim.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (applied, duplicate) = match sim.applied.get(&key).cloned() {
        Some(applied) => {
            sim.stats.count(format, |c| &mut c.duplicates);
            (applied, true)
        }
        None => {
            let upload = match checked {
                Ok(upload) => upload,
                Err(rejection) => {
                    sim.stats.count(format, |c| &mut c.rejected);
                    return refuse(&rejection);
                }
            };
            let serials = match upload {
                Some(upload) if !sim.hub.has_room(&upload) => {
                    return answer(
                        StatusCode::INSUFFICIENT_STORAGE,
                        json!({"reason": "the hub holds as many serials as it may"}),
                    );
                }
                Some(upload) => {
                    let blocked = block.map(|pick| {
                        ((pick * upload.serials.len() as f64) as usize)
                            .min(upload.serials.len() - 1)
                    });
                    let answer = sim.hub.apply(&upload, blocked);
                    if answer.all_accepted {
                        sim.stats.count(format, |c| &mut c.applied);
                    } else {
                        sim.stats.count(format, |c| &mut c.rejected);
                    }
                    Some(answer.serials)
                }
                None => {
                    sim.stats.count(format, |c| &mut c.applied);
                    None
                }
            };
            let receipt = format!("R{}", sim.applied.len() + 1);
            let applied = Applied { receipt, serials };
            sim.applied.insert(key, applied.clone());
            (applied, false)
        }
    };
    drop(sim);
    if malformed {
        return (StatusCode::OK, [("content-type", "application/json")], "{\"receipt\": ")
            .into_response();
    }
    let status = if duplicate { "duplicate" } else { "accepted" };
    let mut body = json!({"status": status, "receipt": applied.receipt});
    if let Some(serials) = applied.serials {
        body["serials"] = serials.into();
    }
    answer(StatusCode::OK, body)
}

async fn stats(State(sim): State<Shared>) -> Response {
    let Ok(sim) = sim.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let s = &sim.stats;
    let faults: serde_json::Map<String, serde_json::Value> =
        s.faults.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect();
    let formats: serde_json::Map<String, serde_json::Value> = Format::ALL
        .iter()
        .map(|f| (f.name().to_owned(), s.formats.get(f).copied().unwrap_or_default().json()))
        .collect();
    answer(
        StatusCode::OK,
        json!({
            "received": s.all.received,
            "applied": s.all.applied,
            "duplicates": s.all.duplicates,
            "rejected": s.all.rejected,
            "faults": faults,
            "formats": formats,
            "serials": sim.hub.len(),
        }),
    )
}
