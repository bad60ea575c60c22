//! `POST /epcis/capture` (asynchronous capture jobs), `GET /epcis/capture[/{id}]` (their
//! state) and `POST /epcis/events` (one event, answered when it is stored).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::Role;
use crate::ingest::{IngestError, ingest};
use crate::jobs::{ErrorBehaviour, SubmitError};
use crate::problem::{ExceptionKind, Problem};
use crate::routes::{drained, json_response, link_next, page_params, percent_encode};

/// The media types a capture body may have (parameters such as `charset` aside).
fn readable(headers: &HeaderMap, json_only: bool) -> Result<(), Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let ok = match content_type.as_deref() {
        Some("application/json" | "application/ld+json") => true,
        Some("application/xml" | "text/xml") => !json_only,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let accepted = if json_only {
        "application/json or application/ld+json"
    } else {
        "application/json, application/ld+json, application/xml or text/xml"
    };
    Err(Problem::new(
        ExceptionKind::UnsupportedMediaType,
        format!(
            "Content-Type {} is not read here; send {accepted}",
            content_type.as_deref().unwrap_or("(none)")
        ),
    ))
}

/// The 413 for a body or document over the limits, with the limits as headers.
fn too_large(state: &AppState, detail: String) -> Problem {
    let limits = &state.limits;
    Problem::new(ExceptionKind::CaptureLimitExceeded, detail)
        .with_header(
            header::HeaderName::from_static("gs1-epcis-capture-limit"),
            HeaderValue::from(limits.capture_events_max),
        )
        .with_header(
            header::HeaderName::from_static("gs1-epcis-capture-file-size-limit"),
            HeaderValue::from(limits.capture_bytes_max),
        )
}

/// The body, refused with 413 as soon as it is known to exceed the byte limit.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Problem> {
    let max = state.limits.capture_bytes_max;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(
            state,
            format!("the body is {} bytes, over the limit of {max}", declared.unwrap_or_default()),
        ));
    }
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(_) => Err(too_large(state, format!("the body is over the limit of {max} bytes"))),
    }
}

fn behaviour(headers: &HeaderMap) -> Result<ErrorBehaviour, Problem> {
    match headers.get("gs1-capture-error-behaviour").map(|v| v.to_str()) {
        None => Ok(ErrorBehaviour::Rollback),
        Some(Ok(v)) if v.trim().eq_ignore_ascii_case("rollback") => Ok(ErrorBehaviour::Rollback),
        Some(Ok(v)) if v.trim().eq_ignore_ascii_case("proceed") => Ok(ErrorBehaviour::Proceed),
        Some(v) => Err(Problem::new(
            ExceptionKind::Validation,
            format!(
                "GS1-Capture-Error-Behaviour {:?} is not rollback or proceed",
                v.unwrap_or("(not text)")
            ),
        )),
    }
}

fn queue_problem(error: SubmitError) -> Problem {
    match error {
        SubmitError::QueueFull => Problem::new(
            ExceptionKind::Unavailable,
            "the capture queue is full; retry after the running jobs finish",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")),
        SubmitError::ShuttingDown => {
            Problem::new(ExceptionKind::Unavailable, "the server is shutting down")
        }
    }
}

/// `POST /epcis/capture`.
pub(crate) async fn post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let checked = state.authorize(&headers, &[Role::Capture]).and_then(|caller| {
        readable(&headers, false)?;
        Ok((caller, behaviour(&headers)?))
    });
    let (caller, behaviour) = match checked {
        Ok(checked) => checked,
        Err(problem) => return Err(drained(body, problem).await),
    };
    let _permit = state
        .ingest_permits
        .acquire()
        .await
        .map_err(|_| Problem::new(ExceptionKind::Unavailable, "the server is shutting down"))?;
    let bytes = read_body(&state, &headers, body).await?;
    let now = (state.clock)();
    let events_max = state.limits.capture_events_max;
    let party = caller.party.clone();
    let spooling = state.spool.get().is_some();
    let ingested = tokio::task::spawn_blocking(move || {
        let ingested = ingest(&bytes, events_max, now, party.as_deref());
        (ingested, spooling.then_some(bytes))
    })
    .await
    .map_err(|e| Problem::internal(format!("reading the document failed: {e}")))?;
    let (ingested, mut spool_body) = ingested;
    let ingested = match ingested {
        Ok(ingested) => ingested,
        Err(IngestError::Invalid(errors)) => {
            return Err(Problem::new(
                ExceptionKind::Validation,
                format!(
                    "the document is not valid EPCIS ({} problems); nothing was captured",
                    errors.len()
                ),
            )
            .with_errors(errors));
        }
        Err(IngestError::TooManyEvents(message)) => {
            return Err(too_large(&state, format!("{message}; nothing was captured")));
        }
    };
    if behaviour == ErrorBehaviour::Rollback && !ingested.event_errors.is_empty() {
        let invalid = ingested.events_total - ingested.records.len();
        let what = if invalid == 0 {
            "the document's master data has problems".to_owned()
        } else {
            format!("{invalid} of {} events are invalid", ingested.events_total)
        };
        return Err(Problem::new(
            ExceptionKind::Validation,
            format!("{what}, and GS1-Capture-Error-Behaviour is rollback: nothing was captured"),
        )
        .with_errors(ingested.event_errors));
    }
    let events = ingested.events_total;
    let ticket = state.jobs.ticket().map_err(queue_problem)?;
    // On disk before the 202: an acknowledged capture survives a crash of this server.
    let spooled = match state.spool.get() {
        None => None,
        Some(spool) => {
            let header = serde_json::json!({
                "capture_id": ticket.id,
                "owner_key": caller.key_id,
                "party": caller.party,
                "behaviour": behaviour.name(),
                "accepted_at": now.to_utc_millis_string(),
            });
            let spool_body = spool_body.take().unwrap_or_default();
            let written = tokio::task::block_in_place(|| spool.write(&header, &spool_body));
            Some(written.map_err(|e| {
                Problem::new(
                    ExceptionKind::Unavailable,
                    format!("the capture could not be spooled: {e}"),
                )
            })?)
        }
    };
    let id = state
        .jobs
        .submit(ticket, &caller.key_id, behaviour, ingested, spooled.clone())
        .map_err(|e| {
            // Refused (503): the client captures again, so the spool copy must not.
            if let Some(spooled) = &spooled {
                let _ = std::fs::remove_file(spooled);
            }
            queue_problem(e)
        })?;
    state.audit.record(
        &now.to_utc_millis_string(),
        "capture",
        "accepted",
        &[
            ("key_id", caller.key_id.as_str().into()),
            ("capture_id", id.as_str().into()),
            ("events", events.into()),
        ],
    );
    let job = state.jobs.get(&id).map(|j| j.to_json()).unwrap_or_default();
    let mut response = json_response(StatusCode::ACCEPTED, &job);
    let location = format!("/epcis/capture/{id}");
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /epcis/capture`: the caller's jobs (an admin's: every job), oldest first, paged.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Capture])?;
    let (per_page, token, rest) = page_params(query.as_deref(), state.limits.page_len_max)?;
    if let Some((name, _)) = rest.first() {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            format!("{name}: not a parameter of GET /epcis/capture (perPage, nextPageToken)"),
        ));
    }
    let after = match token {
        None => None,
        Some(t) => Some(t.parse::<u64>().map_err(|_| {
            Problem::new(
                ExceptionKind::QueryParameter,
                "nextPageToken: not a token this server gave",
            )
        })?),
    };
    let owner = (caller.role != Role::Admin).then_some(caller.key_id.as_str());
    let (jobs, more) = state.jobs.list(owner, after, per_page);
    let body: Vec<serde_json::Value> = jobs.iter().map(|(_, j)| j.to_json()).collect();
    let mut response = json_response(StatusCode::OK, &serde_json::Value::from(body));
    if let (true, Some((last, _))) = (more, jobs.last()) {
        link_next(
            &mut response,
            &format!("/epcis/capture?perPage={per_page}&nextPageToken={last}"),
        );
    }
    Ok(response)
}

/// `GET /epcis/capture/{captureID}`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Capture])?;
    let job =
        state.jobs.get(&id).filter(|j| caller.role == Role::Admin || j.owner_key == caller.key_id);
    // Another caller's job is answered as absent: its existence is not theirs to know.
    let Some(job) = job else {
        return Err(Problem::new(ExceptionKind::NoSuchResource, format!("no capture job {id}")));
    };
    Ok(json_response(StatusCode::OK, &job.to_json()))
}

/// `POST /epcis/events`: one event (JSON-LD), stored before the answer: 201 with its
/// Location, or 409 when an event with its hash ID is stored already.
pub(crate) async fn post_event(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let checked = state.authorize(&headers, &[Role::Capture]).and_then(|caller| {
        readable(&headers, true)?;
        Ok(caller)
    });
    let caller = match checked {
        Ok(caller) => caller,
        Err(problem) => return Err(drained(body, problem).await),
    };
    let bytes = read_body(&state, &headers, body).await?;
    let now = (state.clock)();
    let party = caller.party.clone();
    let ingested = tokio::task::spawn_blocking(move || {
        let document = wrap_event(&bytes)?;
        ingest(&document, 1, now, party.as_deref()).map_err(|e| match e {
            IngestError::Invalid(errors) => Problem::new(
                ExceptionKind::Validation,
                format!("the event is not valid EPCIS ({} problems)", errors.len()),
            )
            .with_errors(errors),
            IngestError::TooManyEvents(m) => Problem::new(ExceptionKind::Validation, m),
        })
    })
    .await
    .map_err(|e| Problem::internal(format!("reading the event failed: {e}")))??;
    if !ingested.event_errors.is_empty() {
        return Err(Problem::new(ExceptionKind::Validation, "the event is not valid EPCIS")
            .with_errors(ingested.event_errors));
    }
    let Some(record) = ingested.records.into_iter().next() else {
        return Err(Problem::new(ExceptionKind::Validation, "the body holds no event"));
    };
    let event_id = record.event.event_id.clone().unwrap_or_else(|| record.hash_id.clone());
    let hash_id = record.hash_id.clone();
    let reply = state.jobs.submit_and_wait(&caller.key_id, record).map_err(queue_problem)?;
    let receipt = reply
        .await
        .map_err(|_| Problem::internal("the capture thread ended"))?
        .map_err(Problem::from)?;
    let outcome = if receipt.duplicates.is_empty() { "stored" } else { "duplicate" };
    state.audit.record(
        &now.to_utc_millis_string(),
        "capture_event",
        outcome,
        &[
            ("key_id", caller.key_id.as_str().into()),
            ("event_id", event_id.as_str().into()),
            ("hash_id", hash_id.as_str().into()),
        ],
    );
    if !receipt.duplicates.is_empty() {
        return Err(Problem::new(
            ExceptionKind::Conflict,
            format!("an event with hash ID {hash_id} is stored already; nothing changed"),
        ));
    }
    let mut response = StatusCode::CREATED.into_response();
    let location = format!("/epcis/events/{}", percent_encode(&event_id));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// One bare JSON-LD event as a one-event EPCISDocument, its `@context` moved to the document.
fn wrap_event(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    let invalid = |detail: String| Problem::new(ExceptionKind::Validation, detail);
    let mut event: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("the body is not a JSON object: {e}")))?;
    let context = event.remove("@context").unwrap_or_else(|| {
        serde_json::Value::from("https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld")
    });
    let document = serde_json::json!({
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "1970-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    });
    Ok(document.to_string().into_bytes())
}
