//! The EPCIS 2.0 REST binding of serialhub (`serialhub serve`): capture jobs, event queries,
//! API-key authentication with per-partner visibility, RFC 7807 errors, health, metrics and
//! structured logs, over any `Store`.
//!
//! The store is synchronous (the embedded journal syncs to disk; PostgreSQL's client blocks),
//! so handlers run store calls and document parsing on tokio's blocking pool, and captures go
//! through one writer thread (`jobs`). This crate knows the HTTP wire shapes and nothing
//! below it does.

#![warn(missing_docs)]

pub mod auth;
pub mod deliver;
pub mod destination;
pub mod ingest;
pub mod jobs;
pub mod jwt;
pub mod log;
pub mod metrics;
pub mod problem;
pub mod ratelimit;
pub mod registry;
pub mod requester;
mod routes;
pub mod spool;
pub mod verifier;
pub mod visibility;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serialhub_store::Store;

use crate::auth::{Caller, KeyRing, Role};
use crate::deliver::{Deliverer, Wake};
use crate::jobs::{Clock, Jobs};
use crate::log::Audit;
use crate::metrics::Metrics;
use crate::problem::{ExceptionKind, Problem};
use crate::registry::Registry;

/// The bounds the server enforces; each is advertised where the binding has a header for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Events per capture request (`GS1-EPCIS-Capture-Limit`).
    pub capture_events_max: usize,
    /// Bytes per capture request (`GS1-EPCIS-Capture-File-Size-Limit`).
    pub capture_bytes_max: usize,
    /// Events per query page (`perPage` above it is lowered to it).
    pub page_len_max: usize,
    /// Stored events one query request may examine when no index serves it.
    pub query_scan_max: usize,
    /// Requests a second per client address (bursts of twice that); 0 for no limit.
    pub requests_per_second: u32,
    /// Whether subscriptions may deliver to plain http and to private, loopback and
    /// link-local addresses (development, tests, a hub inside a private network).
    pub allow_private_destinations: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            capture_events_max: 100_000,
            capture_bytes_max: 256 << 20,
            page_len_max: 1_000,
            query_scan_max: 200_000,
            requests_per_second: 1_000,
            allow_private_destinations: false,
        }
    }
}

/// Capture bodies in memory at once, at most: with 256 MiB bodies, a gigabyte.
pub const INGESTS_MAX: usize = 4;
/// Materialised query results at once, at most.
pub const SORTS_MAX: usize = 2;
/// WebSocket streams open at once, at most.
pub const STREAMS_MAX: usize = 256;
/// How long shutdown waits for requests in flight before it stops serving them.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything a handler needs.
pub struct AppState {
    /// The ledger.
    pub store: Arc<dyn Store>,
    /// The accepted API keys.
    pub keys: Arc<KeyRing>,
    /// The accepted JWT bearer tokens.
    pub jwt: jwt::JwtConfig,
    /// The capture queue and job table.
    pub jobs: Jobs,
    /// The limits.
    pub limits: Limits,
    /// The capture time source.
    pub clock: Clock,
    /// Request and capture counters.
    pub metrics: Arc<Metrics>,
    /// The audit trail.
    pub audit: Audit,
    /// Named queries and subscriptions.
    pub registry: Arc<Registry>,
    /// The subscription delivery thread.
    pub deliverer: Deliverer,
    /// Requests per client.
    pub rate_limiter: ratelimit::RateLimiter,
    /// Capture notifications (delivery thread, WebSocket streams).
    pub wake: Arc<Wake>,
    /// Capture bodies read and parsed at once, at most (each may be `capture_bytes_max`).
    pub(crate) ingest_permits: tokio::sync::Semaphore,
    /// Queries that hold a whole result in memory (sorted or counted), at once, at most.
    pub(crate) sort_permits: tokio::sync::Semaphore,
    /// Open WebSocket streams.
    pub(crate) streams: std::sync::atomic::AtomicUsize,
    /// Where accepted capture documents wait until their job has finished (`spool`); unset,
    /// nothing is spooled.
    pub spool: std::sync::OnceLock<spool::Spool>,
    /// The exception workbench (`/api/exceptions`); unset, those routes answer 503.
    pub workbench: std::sync::OnceLock<Arc<serialhub_workbench::Service>>,
    /// The verification service; unset, it runs with the default settings.
    pub verifier: std::sync::OnceLock<Arc<verifier::Verifier>>,
    /// The requester of other companies' verification services; unset, `/api/requests`
    /// answers 503.
    pub requester: std::sync::OnceLock<Arc<requester::Requester>>,
    request_ids: AtomicU64,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl AppState {
    /// The state over `store`, starting the capture writer thread and the subscription
    /// delivery thread.
    pub fn new(
        store: Arc<dyn Store>,
        keys: KeyRing,
        limits: Limits,
        clock: Clock,
        audit: Audit,
        registry: Registry,
        jwt: jwt::JwtConfig,
    ) -> Arc<AppState> {
        let metrics = Arc::new(Metrics::default());
        let keys = Arc::new(keys);
        let wake = Arc::new(Wake::default());
        let jobs = Jobs::start(store.clone(), clock.clone(), metrics.clone(), wake.clone());
        let registry = Arc::new(registry);
        let limits_rate = limits.requests_per_second;
        let deliverer = Deliverer::start(
            store.clone(),
            registry.clone(),
            (clock.clone(), keys.clone()),
            wake.clone(),
            limits.allow_private_destinations,
        );
        Arc::new(AppState {
            store,
            keys,
            jwt,
            jobs,
            limits,
            clock,
            metrics,
            audit,
            registry,
            deliverer,
            rate_limiter: ratelimit::RateLimiter::new(limits_rate),
            wake,
            ingest_permits: tokio::sync::Semaphore::new(INGESTS_MAX),
            sort_permits: tokio::sync::Semaphore::new(SORTS_MAX),
            streams: std::sync::atomic::AtomicUsize::new(0),
            spool: std::sync::OnceLock::new(),
            workbench: std::sync::OnceLock::new(),
            verifier: std::sync::OnceLock::new(),
            requester: std::sync::OnceLock::new(),
            request_ids: AtomicU64::new(0),
        })
    }

    /// The caller of a request holding one of `roles` (admin always passes), or the problem
    /// to answer; denials go to the audit trail.
    pub(crate) fn authorize(&self, headers: &HeaderMap, roles: &[Role]) -> Result<Caller, Problem> {
        let now = (self.clock)().to_utc_millis_string();
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // RFC 7235: the scheme is case-insensitive.
            .and_then(|v| v.get(..7).filter(|s| s.eq_ignore_ascii_case("bearer ")).map(|_| &v[7..]))
            .map(str::trim);
        let Some(token) = token else {
            return Err(unauthorized("send an API key or a JWT as `Authorization: Bearer TOKEN`"));
        };
        let caller = if token.starts_with("shk_") || !self.jwt.enabled() {
            self.keys.check(token).ok_or("unknown API key".to_owned())
        } else {
            self.jwt.verify(token, (self.clock)().unix_millis.div_euclid(1000))
        };
        let caller = match caller {
            Ok(caller) => caller,
            Err(reason) => {
                self.audit.record(
                    &now,
                    "authenticate",
                    "denied",
                    &[("reason", reason.as_str().into())],
                );
                return Err(unauthorized(&format!("the bearer token is not valid: {reason}")));
            }
        };
        if caller.role != Role::Admin && !roles.contains(&caller.role) {
            self.audit.record(
                &now,
                "authorize",
                "denied",
                &[("key_id", caller.key_id.as_str().into()), ("role", caller.role.name().into())],
            );
            let wanted: Vec<&str> = roles.iter().map(|r| r.name()).collect();
            return Err(Problem::new(
                ExceptionKind::Security,
                format!(
                    "the key's role {} may not do this (needs {} or admin)",
                    caller.role.name(),
                    wanted.join(" or ")
                ),
            ));
        }
        Ok(caller)
    }
}

fn unauthorized(detail: &str) -> Problem {
    Problem::new(ExceptionKind::Unauthorized, detail)
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
}

/// The application: every route with its middleware.
pub fn router(state: Arc<AppState>) -> Router {
    routes::router().layer(middleware::from_fn_with_state(state.clone(), observe)).with_state(state)
}

/// Request IDs, the GS1 version headers, the access log and the request metrics.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("r{}", state.request_ids.fetch_add(1, Ordering::Relaxed)));
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let version_problem = unsupported_version(request.headers());
    // The mappings the caller declared are the ones its answer may use: echoed back.
    let extensions = request.headers().get("gs1-extensions").cloned();
    let wants_xml = matches!(
        crate::routes::events::negotiate(request.headers()),
        Ok(crate::routes::events::Form::Xml)
    );
    let mut response = if let Some(problem) = version_problem {
        routes::drained(request.into_body(), problem).await.into_response()
    } else if state.rate_limiter.allow(client, started) {
        next.run(request).await
    } else {
        let problem = Problem::new(
            ExceptionKind::TooManyRequests,
            format!(
                "more than {} requests a second from this address",
                state.limits.requests_per_second
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
        routes::drained(request.into_body(), problem).await.into_response()
    };
    if wants_xml {
        response = problem_as_xml(response).await;
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", value);
    }
    if let Some(extensions) = extensions {
        headers.insert("gs1-extensions", extensions);
    }
    headers.insert("gs1-epcis-version", HeaderValue::from_static("2.0.0"));
    headers.insert("gs1-cbv-version", HeaderValue::from_static("2.0.0"));
    headers.insert("gs1-vendor-version", HeaderValue::from_static(env!("CARGO_PKG_VERSION")));
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    state.metrics.request(&route, status, elapsed);
    log::info(
        "request",
        &[
            ("request_id", request_id.into()),
            ("method", method.into()),
            ("path", path.into()),
            ("route", route.into()),
            ("status", status.into()),
            ("micros", (elapsed.as_micros() as u64).into()),
        ],
    );
    response
}

/// `response` with a problem+json body rewritten as problem+xml (`problem::json_to_xml`);
/// any other response as it is.
async fn problem_as_xml(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Problems are built here and small; one that is not is left alone.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+xml"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(problem::json_to_xml(&json)))
}

/// The 406 for a request that asks for an EPCIS version this server does not speak: a
/// `GS1-EPCIS-Version` other than 2.0.x, or a `GS1-EPCIS-Min` above 2.0 or a
/// `GS1-EPCIS-Max` below it.
fn unsupported_version(headers: &HeaderMap) -> Option<Problem> {
    let version = |name: &str| -> Option<Option<(u32, u32)>> {
        let text = headers.get(name)?.to_str().ok()?.trim().to_owned();
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        Some(match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), minor) => Some((major, minor.unwrap_or(0))),
            _ => None,
        })
    };
    let refuse = |detail: String| {
        Some(Problem::new(
            ExceptionKind::NotAcceptable,
            format!("{detail}; this server speaks EPCIS 2.0"),
        ))
    };
    match version("gs1-epcis-version") {
        Some(Some((2, 0))) | None => {}
        Some(_) => return refuse("GS1-EPCIS-Version asks for another version".to_owned()),
    }
    if let Some(min) = version("gs1-epcis-min")
        && min.is_none_or(|m| m > (2, 0))
    {
        return refuse("GS1-EPCIS-Min is above 2.0".to_owned());
    }
    if let Some(max) = version("gs1-epcis-max")
        && max.is_none_or(|m| m < (2, 0))
    {
        return refuse("GS1-EPCIS-Max is below 2.0".to_owned());
    }
    None
}

/// Spools accepted captures in `dir`, and captures again what an earlier run accepted and
/// never finished (in the order accepted). Call before serving.
pub fn recover_spool(state: &AppState, dir: &std::path::Path) -> std::io::Result<usize> {
    let (spool, pending) = spool::Spool::open(dir)?;
    let recovered = pending.len();
    for document in pending {
        let header = &document.header;
        let party = header["party"].as_str();
        let behaviour = match header["behaviour"].as_str() {
            Some("proceed") => jobs::ErrorBehaviour::Proceed,
            _ => jobs::ErrorBehaviour::Rollback,
        };
        let owner = header["owner_key"].as_str().unwrap_or("spool");
        let now = (state.clock)();
        match ingest::ingest(&document.body, state.limits.capture_events_max, now, party) {
            Ok(ingested) => {
                let events = ingested.events_total;
                // The id the client was given, when the file says it (files of older builds
                // do not: those jobs get a new one).
                let ticket = match header["capture_id"].as_str() {
                    Some(id) => state.jobs.ticket_recovered(id),
                    None => state.jobs.ticket(),
                };
                let submitted = ticket.and_then(|ticket| {
                    state.jobs.submit(
                        ticket,
                        owner,
                        behaviour,
                        ingested,
                        Some(document.path.clone()),
                    )
                });
                log::info(
                    "capture recovered from the spool",
                    &[
                        ("file", document.path.display().to_string().into()),
                        ("capture_id", submitted.unwrap_or_default().into()),
                        ("events", events.into()),
                    ],
                );
            }
            Err(_) => {
                // It was accepted once; keep it for a person rather than drop it.
                let kept = document.path.with_extension("unreadable");
                let _ = std::fs::rename(&document.path, &kept);
                log::warn(
                    "a spooled capture no longer reads; kept",
                    &[("file", kept.display().to_string().into())],
                );
            }
        }
    }
    let _ = state.spool.set(spool);
    Ok(recovered)
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the requests in flight
/// and every accepted capture job.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // WebSocket streams are told first, so that the connections they hold close and the
    // graceful shutdown does not wait on them.
    let wake = state.wake.clone();
    let signalled = Arc::new(tokio::sync::Notify::new());
    let signal = signalled.clone();
    let shutdown = async move {
        shutdown.await;
        wake.close_streams();
        signal.notify_one();
    };
    let serving = axum::serve(listener, app).with_graceful_shutdown(shutdown);
    // A slow upload must not hold the shutdown forever: after the grace period the requests
    // still in flight are dropped (they were never acknowledged); accepted jobs still finish.
    let deadline = async move {
        signalled.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = serving => served?,
        () = deadline => log::warn("shutdown: requests still in flight after the grace period were dropped", &[]),
    }
    let drained = tokio::task::spawn_blocking(move || {
        state.jobs.shut_down();
        state.deliverer.shut_down();
    })
    .await;
    if drained.is_err() {
        log::warn("the capture thread ended abnormally", &[]);
    }
    Ok(())
}
