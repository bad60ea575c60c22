//! Operations and discovery: `/health`, `/metrics`, the served OpenAPI document, `OPTIONS`
//! discovery with the GS1 headers, and the 404 for everything else.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::Role;
use crate::problem::{ExceptionKind, Problem};
use crate::routes::json_response;

/// The OpenAPI 3 description of every route this server answers, serialhub's extensions
/// included.
const OPENAPI: &str = include_str!("../openapi.json");

/// `GET /health`: up, and whether the store answers.
pub(crate) async fn health(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    let events = tokio::task::spawn_blocking(move || store.last_seq()).await;
    match events {
        Ok(Ok(events)) => {
            json_response(StatusCode::OK, &serde_json::json!({"status": "ok", "events": events}))
        }
        Ok(Err(error)) => {
            // The detail goes to the log, not to an unauthenticated caller.
            crate::log::warn(
                "health: the store is unavailable",
                &[("error", error.to_string().into())],
            );
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({"status": "unavailable"}),
            )
        }
        Err(_) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "unavailable"}),
        ),
    }
}

/// `GET /metrics` (admin): the Prometheus exposition.
pub(crate) async fn metrics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Admin])?;
    let mut text = state.metrics.render();
    // The outbox, read from the store at scrape time: its backlog and how old it is.
    let now = (state.clock)();
    let outbox = crate::routes::ledger::blocking(&state, move |store| {
        let counts = store.outbox_counts()?;
        let oldest = store.outbox_messages(&serialhub_store::outbox::MessageFilter {
            status: Some(serialhub_store::outbox::MessageStatus::Pending),
            limit: 1,
            ..Default::default()
        })?;
        Ok((counts, oldest.first().map(|m| m.created_at)))
    })
    .await?;
    let (counts, oldest) = outbox;
    text.push_str("# HELP serialhub_outbox_messages Outbox messages by status.\n");
    text.push_str("# TYPE serialhub_outbox_messages gauge\n");
    for (status, n) in
        [("pending", counts.pending), ("delivered", counts.delivered), ("failed", counts.failed)]
    {
        text.push_str(&format!("serialhub_outbox_messages{{status=\"{status}\"}} {n}\n"));
    }
    let age = oldest.map_or(0, |t| (now.unix_millis - t.unix_millis).max(0) / 1000);
    text.push_str(
        "# HELP serialhub_outbox_oldest_pending_seconds Age of the oldest pending message.\n",
    );
    text.push_str("# TYPE serialhub_outbox_oldest_pending_seconds gauge\n");
    text.push_str(&format!("serialhub_outbox_oldest_pending_seconds {age}\n"));
    // The workbench's KPIs: backlog by type, owner and age, SLA breaches, time to resolve,
    // failures per 1,000 messages per partner.
    if let Some(workbench) = state.workbench.get().cloned() {
        let kpis = tokio::task::spawn_blocking(move || workbench.metrics(now.unix_millis))
            .await
            .map_err(|e| Problem::internal(format!("the workbench failed: {e}")))??;
        text.push_str(&kpis);
    }
    if let Some(verifier) = state.verifier.get() {
        text.push_str(&verifier.metrics());
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// `GET /epcis/openapi.json`.
pub(crate) async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `GET /epcis`: where things are.
pub(crate) async fn root() -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "capture": "/epcis/capture",
            "events": "/epcis/events",
            "eventTypes": "/epcis/eventTypes",
            "epcs": "/epcis/epcs",
            "bizSteps": "/epcis/bizSteps",
            "bizLocations": "/epcis/bizLocations",
            "readPoints": "/epcis/readPoints",
            "dispositions": "/epcis/dispositions",
            "queries": "/epcis/queries",
            "openapi": "/epcis/openapi.json",
        }),
    )
}

fn discovery(state: &AppState, capture: bool, route: Option<&str>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    // The methods of the route asked about.
    let allow = match route {
        _ if capture => "GET, POST, OPTIONS",
        Some("/epcis/queries" | "/epcis/queries/{name}/subscriptions") => "GET, POST, OPTIONS",
        Some("/epcis/queries/{name}" | "/epcis/queries/{name}/subscriptions/{id}") => {
            "GET, DELETE, OPTIONS"
        }
        Some("/epcis/nextPageToken/{token}") => "DELETE, OPTIONS",
        _ => "GET, OPTIONS",
    };
    headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    for (name, value) in [
        ("gs1-epcis-min", "2.0.0"),
        ("gs1-epcis-max", "2.0.0"),
        ("gs1-cbv-min", "2.0.0"),
        ("gs1-cbv-max", "2.0.0"),
        ("gs1-epc-format", "Never_Translates"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if capture {
        headers.insert("gs1-capture-error-behaviour", HeaderValue::from_static("all"));
        headers
            .insert("gs1-epcis-capture-limit", HeaderValue::from(state.limits.capture_events_max));
        headers.insert(
            "gs1-epcis-capture-file-size-limit",
            HeaderValue::from(state.limits.capture_bytes_max),
        );
    }
    response
}

/// `OPTIONS` on any EPCIS resource.
pub(crate) async fn discover(
    State(state): State<Arc<AppState>>,
    route: Option<axum::extract::MatchedPath>,
) -> Response {
    discovery(&state, false, route.as_ref().map(axum::extract::MatchedPath::as_str))
}

/// `OPTIONS /epcis/capture` and `/epcis/events` (both take POST): also the capture limits
/// and error behaviours.
pub(crate) async fn discover_capture(State(state): State<Arc<AppState>>) -> Response {
    discovery(&state, true, None)
}

/// Everything else.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::new(ExceptionKind::NoSuchResource, format!("no resource at {}", uri.path()))
}
