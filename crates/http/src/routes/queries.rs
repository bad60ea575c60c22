//! Named queries (`/epcis/queries`) and their subscriptions
//! (`/epcis/queries/{queryName}/subscriptions`): create, list, read, delete, run.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use serialhub_epcis::query::EventQuery;
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{DocumentKind, Header};
use serialhub_store::StoredEvent;

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::deliver::DELIVERY_EVENTS_MAX;
use crate::problem::{ExceptionKind, Problem};
use crate::registry::{NamedQuery, RegistryError, Schedule, Subscription, Trigger};
use crate::routes::{drained, json_response, percent_encode};
use crate::visibility::Visibility;

/// The largest query definition or subscription body read.
const DEFINITION_BYTES_MAX: usize = 64 * 1024;

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(ExceptionKind::Validation, detail)
}

/// Runs a registry change (a file rewrite and sync) on the blocking pool.
async fn registry_write<T: Send + 'static>(
    state: &AppState,
    change: impl FnOnce(&crate::registry::Registry) -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, Problem> {
    let registry = state.registry.clone();
    tokio::task::spawn_blocking(move || change(&registry))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(registry_problem)
}

fn registry_problem(error: RegistryError) -> Problem {
    match error {
        RegistryError::Full(message) => Problem::new(ExceptionKind::Validation, message),
        RegistryError::Io { .. } => Problem::new(ExceptionKind::Unavailable, error.to_string()),
    }
}

async fn json_body(headers: &HeaderMap, body: axum::body::Body) -> Result<Value, Problem> {
    json_body_max(headers, body, DEFINITION_BYTES_MAX).await
}

/// A JSON request body of at most `max` bytes (`application/json` or `application/ld+json`).
pub(crate) async fn json_body_max(
    headers: &HeaderMap,
    body: axum::body::Body,
    max: usize,
) -> Result<Value, Problem> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !matches!(media, "application/json" | "application/ld+json") {
        let refused = Problem::new(
            ExceptionKind::UnsupportedMediaType,
            format!("Content-Type {content_type:?} is not read here; send application/json"),
        );
        return Err(drained(body, refused).await);
    }
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        Problem::new(
            ExceptionKind::CaptureLimitExceeded,
            format!("the body is over the limit of {max} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(format!("the body is not JSON: {e}")))
}

/// A query name: what can sit in a URL path segment unescaped.
fn valid_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The `query` object of a definition as query parameters: arrays become pipe-joined values.
fn params_of(query: &Value) -> Result<Vec<(String, String)>, Problem> {
    let object =
        query.as_object().ok_or_else(|| invalid("query must be an object of parameters"))?;
    let mut params = Vec::new();
    for (name, value) in object {
        if name == "@context" {
            continue;
        }
        let scalar = |v: &Value| -> Result<String, Problem> {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    return Err(invalid(format!(
                        "query.{name}: expected a string, a number or an array of them"
                    )));
                }
            };
            if text.contains('|') {
                return Err(invalid(format!("query.{name}: a value may not contain '|'")));
            }
            Ok(text)
        };
        let joined = match value {
            Value::Array(values) => {
                values.iter().map(scalar).collect::<Result<Vec<_>, _>>()?.join("|")
            }
            other => scalar(other)?,
        };
        params.push((name.clone(), joined));
    }
    Ok(params)
}

fn query_not_found(name: &str) -> Problem {
    Problem::new(ExceptionKind::NoSuchResource, format!("no named query {name}"))
}

/// The named query `name`, if `caller` may see it; another partner's query is answered as
/// absent, as one that does not exist.
fn visible_query(state: &AppState, caller: &Caller, name: &str) -> Result<NamedQuery, Problem> {
    state.registry.query(name).filter(|q| q.visible_to(caller)).ok_or_else(|| query_not_found(name))
}

fn may_change(caller: &Caller, owner_key: &str) -> bool {
    caller.role == Role::Admin || caller.key_id == owner_key
}

/// `POST /epcis/queries`: `{"name": ..., "query": {param: value or [values]}}`.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let caller = match state.authorize(&headers, &[Role::Query]) {
        Ok(caller) => caller,
        Err(problem) => return Err(drained(body, problem).await),
    };
    let body = json_body(&headers, body).await?;
    let name = body["name"].as_str().ok_or_else(|| invalid("name: required, a string"))?.to_owned();
    if !valid_name(&name) {
        return Err(invalid(format!("name {name:?}: 1 to 100 of A-Z, a-z, 0-9, '-', '_', '.'")));
    }
    let params = params_of(&body["query"])?;
    EventQuery::parse(params.iter().map(|(n, v)| (n.as_str(), v.as_str())), &[])
        .map_err(|e| Problem::new(ExceptionKind::QueryParameter, format!("query.{e}")))?;
    let now = (state.clock)().to_utc_millis_string();
    let query = NamedQuery {
        name: name.clone(),
        params,
        owner_key: caller.key_id.clone(),
        party: caller.party.clone(),
        created_at: now.clone(),
    };
    let added = registry_write(&state, move |r| r.add_query(query)).await?;
    if !added {
        return Err(Problem::new(
            ExceptionKind::Conflict,
            format!("a query named {name} exists already"),
        ));
    }
    state.audit.record(
        &now,
        "create_query",
        "created",
        &[("key_id", caller.key_id.as_str().into()), ("query", name.as_str().into())],
    );
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("/epcis/queries/{name}")) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /epcis/queries`.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let queries: Vec<Value> = state
        .registry
        .queries()
        .iter()
        .filter(|q| q.visible_to(&caller))
        .map(NamedQuery::to_json)
        .collect();
    Ok(json_response(StatusCode::OK, &Value::from(queries)))
}

/// `GET /epcis/queries/{queryName}`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let query = visible_query(&state, &caller, &name)?;
    Ok(json_response(StatusCode::OK, &query.to_json()))
}

/// `DELETE /epcis/queries/{queryName}`: the query and its subscriptions (its creator or an
/// admin).
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let query = visible_query(&state, &caller, &name)?;
    if !may_change(&caller, &query.owner_key) {
        return Err(Problem::new(
            ExceptionKind::Security,
            "only its creator or an admin may delete a query",
        ));
    }
    let deleting = name.clone();
    registry_write(&state, move |r| r.delete_query(&deleting)).await?;
    state.audit.record(
        &(state.clock)().to_utc_millis_string(),
        "delete_query",
        "deleted",
        &[("key_id", caller.key_id.as_str().into()), ("query", name.as_str().into())],
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /epcis/queries/{queryName}/events`: the query run now, paged, as the caller may see;
/// or, with `Upgrade: websocket`, a stream: one EPCISQueryDocument per capture that brings
/// matching events, from the moment of connecting.
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let query = visible_query(&state, &caller, &name)?;
    // Not a WebSocket handshake: the plain query.
    let Ok(upgrade) = upgrade else {
        let path = format!("/epcis/queries/{}/events", percent_encode(&name));
        return crate::routes::events::answer(state, headers, raw, query.params, &path).await;
    };
    use std::sync::atomic::Ordering;
    if state.streams.fetch_add(1, Ordering::SeqCst) >= crate::STREAMS_MAX {
        state.streams.fetch_sub(1, Ordering::SeqCst);
        return Err(Problem::new(
            ExceptionKind::Unavailable,
            format!("{} streams are open, the most this server keeps", crate::STREAMS_MAX),
        ));
    }
    // Counted down when the stream ends, however it ends (the guard moves into the task).
    let guard = StreamSlot(state.clone());
    let matcher =
        EventQuery::parse(query.params.iter().map(|(n, v)| (n.as_str(), v.as_str())), &[])
            .map_err(|e| {
                Problem::new(ExceptionKind::QueryParameter, format!("the named query: {e}"))
            })?;
    let visibility = Visibility::of(&caller);
    // Subscribed before the cursor is read: a capture in between wakes the stream.
    let captures = state.wake.captures();
    let store = state.store.clone();
    let cursor = tokio::task::spawn_blocking(move || store.last_seq())
        .await
        .map_err(|e| Problem::internal(e.to_string()))??;
    state.audit.record(
        &(state.clock)().to_utc_millis_string(),
        "stream",
        "opened",
        &[("key_id", caller.key_id.as_str().into()), ("query", name.as_str().into())],
    );
    // Clients only send control frames: anything big is not a client of ours.
    let upgrade = upgrade.max_message_size(64 * 1024);
    let key_id = caller.key_id.clone();
    // A JWT's stream ends with the token: the client reconnects with a fresh one.
    let ends = caller.expires_at.map(|exp| {
        let now = (state.clock)().unix_millis.div_euclid(1000);
        let left = u64::try_from(exp.saturating_sub(now)).unwrap_or(0);
        tokio::time::Instant::now() + std::time::Duration::from_secs(left)
    });
    Ok(upgrade.on_upgrade(move |socket| async move {
        stream(socket, state, (name, key_id, ends), matcher, visibility, captures, cursor).await;
        drop(guard);
    }))
}

/// One of the `STREAMS_MAX` stream slots, given back when dropped.
struct StreamSlot(Arc<AppState>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Sends the matching events of each capture after `cursor` until the client or the server
/// closes.
async fn stream(
    mut socket: WebSocket,
    state: Arc<AppState>,
    (name, key_id, ends): (String, String, Option<tokio::time::Instant>),
    matcher: EventQuery,
    visibility: Visibility,
    mut captures: tokio::sync::watch::Receiver<u64>,
    mut cursor: u64,
) {
    let expiry = async move {
        match ends {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = &mut expiry => {
                let _ = socket.send(Message::Close(Some(axum::extract::ws::CloseFrame {
                    code: 4001,
                    reason: "the token has expired".into(),
                }))).await;
                return;
            }
            changed = captures.changed() => {
                // A stream lives no longer than the key that opened it.
                if changed.is_err()
                    || *captures.borrow() == crate::deliver::STREAMS_CLOSED
                    || !state.keys.still_valid(&key_id)
                {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
            message = socket.recv() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            },
        }
        loop {
            let store = state.store.clone();
            let from = cursor + 1;
            let mut resolved = matcher.clone();
            let party = visibility.party().map(str::to_owned);
            let batch = tokio::task::spawn_blocking(move || {
                // Each batch: master data captured meanwhile counts from now on.
                serialhub_store::master::resolve(store.as_ref(), &mut resolved, party.as_deref())?;
                store.events(from, DELIVERY_EVENTS_MAX).map(|batch| (batch, resolved))
            })
            .await;
            let Ok(Ok((batch, matcher))) = batch else { return };
            let Some(last) = batch.last() else { break };
            cursor = last.seq;
            let matched: Vec<StoredEvent> = batch
                .into_iter()
                .filter(|e| matcher.matches(&e.record.event) && visibility.sees(e))
                .collect();
            if matched.is_empty() {
                continue;
            }
            let header = Header {
                kind: DocumentKind::EpcisQueryDocument,
                schema_version: Some("2.0".to_owned()),
                creation_date: Some((state.clock)().to_utc_millis_string()),
                query_name: Some(name.clone()),
                ..Header::default()
            };
            let mut w = serialhub_epcis::json::write::JsonLdWriter::new(Vec::new());
            let written = w.begin(&header).and_then(|()| {
                matched.iter().try_for_each(|e| w.event(&e.record.event))?;
                w.finish()
            });
            let Ok(body) = written.map(String::from_utf8) else { return };
            let Ok(body) = body else { return };
            if socket.send(Message::Text(body.into())).await.is_err() {
                return;
            }
        }
    }
}

/// `POST /epcis/queries/{queryName}/subscriptions`: `{"dest", "signatureToken"?, "stream":
/// true | "schedule": {...}, "reportIfEmpty"?, "initialRecordTime"?}`.
pub(crate) async fn subscribe(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let checked = state
        .authorize(&headers, &[Role::Query])
        .and_then(|caller| visible_query(&state, &caller, &name).map(|_| caller));
    let caller = match checked {
        Ok(caller) => caller,
        Err(problem) => return Err(drained(body, problem).await),
    };
    let body = json_body(&headers, body).await?;
    let dest = body["dest"].as_str().ok_or_else(|| invalid("dest: required, a URL"))?.to_owned();
    let allow_private = state.limits.allow_private_destinations;
    let checking = dest.clone();
    tokio::task::spawn_blocking(move || crate::destination::check(&checking, allow_private))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(|e| invalid(format!("dest: {e}")))?;
    let secret = match &body["signatureToken"] {
        Value::Null => None,
        Value::String(s) if !s.is_empty() && s.len() <= 1024 => Some(s.clone()),
        _ => return Err(invalid("signatureToken: a string of 1 to 1024 characters")),
    };
    let trigger = match (&body["stream"], &body["schedule"]) {
        (Value::Bool(true), Value::Null) => Trigger::Stream,
        (Value::Null | Value::Bool(false), schedule) if !schedule.is_null() => {
            Trigger::Schedule(Box::new(Schedule::parse(schedule).map_err(invalid)?))
        }
        (Value::Bool(true), _) => return Err(invalid("stream and schedule: give one, not both")),
        _ => return Err(invalid("give \"stream\": true or a \"schedule\"")),
    };
    let report_if_empty = match &body["reportIfEmpty"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => return Err(invalid("reportIfEmpty: a boolean")),
    };
    let initial_record_time = match &body["initialRecordTime"] {
        Value::Null => None,
        Value::String(t) if Timestamp::parse(t).is_some() => Some(t.clone()),
        other => return Err(invalid(format!("initialRecordTime {other}: an RFC 3339 time"))),
    };
    if let (Some(initial), Some(named)) = (&initial_record_time, state.registry.query(&name)) {
        // What the delivery thread will run: refused now rather than failing every round.
        let mut params = named.params.clone();
        params.push(("GE_recordTime".to_owned(), initial.clone()));
        EventQuery::parse(params.iter().map(|(n, v)| (n.as_str(), v.as_str())), &[]).map_err(
            |e| invalid(format!("initialRecordTime cannot be combined with the named query: {e}")),
        )?;
    }
    let store = state.store.clone();
    // Without initialRecordTime a subscription starts from now: events already stored are not
    // sent. With it, every event recorded since then is.
    let cursor = if initial_record_time.is_some() {
        0
    } else {
        tokio::task::spawn_blocking(move || store.last_seq())
            .await
            .map_err(|e| Problem::internal(e.to_string()))??
    };
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| Problem::internal(e.to_string()))?;
    let id: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let now = (state.clock)().to_utc_millis_string();
    let subscription = Subscription {
        id: id.clone(),
        query: name.clone(),
        dest,
        secret,
        trigger,
        report_if_empty,
        initial_record_time,
        owner_key: caller.key_id.clone(),
        party: if caller.sees_everything() { None } else { caller.party.clone() },
        cursor,
        created_at: now.clone(),
        last_notified_at: None,
    };
    let view = subscription.to_json();
    registry_write(&state, move |r| r.add_subscription(subscription)).await?;
    state.audit.record(
        &now,
        "subscribe",
        "created",
        &[("key_id", caller.key_id.as_str().into()), ("subscription_id", id.as_str().into())],
    );
    let mut response = json_response(StatusCode::CREATED, &view);
    if let Ok(value) = HeaderValue::from_str(&format!("/epcis/queries/{name}/subscriptions/{id}")) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The subscriptions of `name` the caller may see (its own; an admin's: all).
fn visible_subscriptions(state: &AppState, caller: &Caller, name: &str) -> Vec<Subscription> {
    state
        .registry
        .subscriptions(Some(name))
        .into_iter()
        .filter(|s| may_change(caller, &s.owner_key))
        .collect()
}

/// `GET /epcis/queries/{queryName}/subscriptions`.
pub(crate) async fn subscriptions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    visible_query(&state, &caller, &name)?;
    let list: Vec<Value> =
        visible_subscriptions(&state, &caller, &name).iter().map(Subscription::to_json).collect();
    Ok(json_response(StatusCode::OK, &Value::from(list)))
}

/// `GET /epcis/queries/{queryName}/subscriptions/{subscriptionID}`.
pub(crate) async fn subscription(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let found = visible_subscriptions(&state, &caller, &name).into_iter().find(|s| s.id == id);
    let found = found.ok_or_else(|| {
        Problem::new(ExceptionKind::NoSuchResource, format!("no subscription {id}"))
    })?;
    Ok(json_response(StatusCode::OK, &found.to_json()))
}

/// `DELETE /epcis/queries/{queryName}/subscriptions/{subscriptionID}`.
pub(crate) async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    if !visible_subscriptions(&state, &caller, &name).iter().any(|s| s.id == id) {
        return Err(Problem::new(ExceptionKind::NoSuchResource, format!("no subscription {id}")));
    }
    let deleting = id.clone();
    registry_write(&state, move |r| r.delete_subscription(&deleting)).await?;
    state.audit.record(
        &(state.clock)().to_utc_millis_string(),
        "unsubscribe",
        "deleted",
        &[("key_id", caller.key_id.as_str().into()), ("subscription_id", id.as_str().into())],
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
