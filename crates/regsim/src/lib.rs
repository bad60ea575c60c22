//! `serialhub regulator-sim`: a local server that stands in for a regulator's hub or a trading
//! partner's system, for tests and demos (real ones are not reachable from here).
//!
//! `POST /messages` takes one message (any body up to `BODY_MAX`) with an `Idempotency-Key`
//! header and applies each key once: a repeat is answered as the duplicate it is, with the
//! first receipt. At the configured fault rate a request instead meets one fault, drawn from a
//! seeded generator so that a run can be replayed: a rejection with a reason code (422), a
//! server error (500), an outage (503 for the next `OUTAGE_REQUESTS` requests), a slow answer,
//! a timeout (no answer for `TIMEOUT_MS`), or a malformed acknowledgement (the message IS
//! applied, the answer is not JSON). `GET /stats` counts what happened.

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

/// What happened, as `GET /stats` reports it.
#[derive(Debug, Default)]
struct Stats {
    received: u64,
    applied: u64,
    duplicates: u64,
    rejected: u64,
    faults: HashMap<&'static str, u64>,
}

#[derive(Debug)]
struct Sim {
    settings: Settings,
    rng: u64,
    stats: Stats,
    /// Applied idempotency keys and their receipts.
    applied: HashMap<String, String>,
    /// Requests the current outage still refuses.
    outage_left: u32,
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
    };
    Router::new()
        .route("/messages", post(receive))
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
    Apply { malformed: bool, slow: bool },
    Reject,
    Error,
    Outage,
    Timeout,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

async fn receive(State(sim): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
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
        sim.stats.received += 1;
        if sim.outage_left > 0 {
            sim.outage_left -= 1;
            *sim.stats.faults.entry("outage").or_default() += 1;
            Fate::Outage
        } else if sim.draw() < sim.settings.fault_rate {
            let kinds = ["reject", "error", "outage", "slow", "timeout", "malformed"];
            let kind = kinds[((sim.draw() * kinds.len() as f64) as usize).min(kinds.len() - 1)];
            *sim.stats.faults.entry(kind).or_default() += 1;
            match kind {
                // A message applied already is not refused on a retry: it is a duplicate.
                "reject" if sim.applied.contains_key(&key) => {
                    Fate::Apply { malformed: false, slow: false }
                }
                "reject" => Fate::Reject,
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
        }
    };
    match fate {
        Fate::Reject => {
            if let Ok(mut sim) = sim.lock() {
                sim.stats.rejected += 1;
            }
            answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"code": "E_PRODUCT_UNKNOWN", "reason": "the product code is not registered"}),
            )
        }
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
            let (receipt, duplicate) = {
                let Ok(mut sim) = sim.lock() else {
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                };
                match sim.applied.get(&key).cloned() {
                    Some(receipt) => {
                        sim.stats.duplicates += 1;
                        (receipt, true)
                    }
                    None => {
                        sim.stats.applied += 1;
                        let receipt = format!("R{}", sim.stats.applied);
                        sim.applied.insert(key, receipt.clone());
                        (receipt, false)
                    }
                }
            };
            if malformed {
                return (StatusCode::OK, [("content-type", "application/json")], "{\"receipt\": ")
                    .into_response();
            }
            let status = if duplicate { "duplicate" } else { "accepted" };
            answer(StatusCode::OK, json!({"status": status, "receipt": receipt}))
        }
    }
}

async fn stats(State(sim): State<Shared>) -> Response {
    let Ok(sim) = sim.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let s = &sim.stats;
    let faults: serde_json::Map<String, serde_json::Value> =
        s.faults.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect();
    answer(
        StatusCode::OK,
        json!({
            "received": s.received,
            "applied": s.applied,
            "duplicates": s.duplicates,
            "rejected": s.rejected,
            "faults": faults,
        }),
    )
}
