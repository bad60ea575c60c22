//! serialhub's extensions to the binding: the ledger per identifier (state in force, pedigree,
//! contents) and the exceptions the ledger raised (list with filters, detail), under
//! `/ledger`.
//!
//! Visibility: a caller that sees everything gets everything. A partner's key sees an
//! identifier only when one of the events of its pedigree names the partner, sees only those
//! events of the pedigree, and sees an exception only when the event that raised it names the
//! partner; anything else is answered as absent.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use serialhub_core::{ExceptionType, Key};
use serialhub_epcis::time::Timestamp;
use serialhub_store::query::{PedigreeStep, contents, effective_state, pedigree};
use serialhub_store::{ExceptionFilter, Store, StoredException};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::problem::{ExceptionKind, Problem};
use crate::routes::{json_response, link_next, page_params, percent_encode};
use crate::visibility::Visibility;

/// What `caller` may see, or `None` when it sees everything.
fn visibility(caller: &Caller) -> Result<Option<Visibility>, Problem> {
    Ok((!caller.sees_everything()).then(|| Visibility::of(caller)))
}

fn key_of(code: &str) -> Result<Key, Problem> {
    Key::from_code(code).map_err(|e| Problem::new(ExceptionKind::QueryParameter, e))
}

fn absent(code: &str) -> Problem {
    Problem::new(ExceptionKind::NoSuchResource, format!("{code} is not in the ledger"))
}

/// Whether a partner may see `key`'s state in force and contents: only while the identifier's
/// latest event is one it may see (it holds or just handled the goods); earlier involvement
/// does not show where the goods are now, nor who owns them.
fn sees_current_state(
    store: &dyn Store,
    key: &Key,
    visible: Option<&Visibility>,
) -> Result<bool, Problem> {
    let Some(visible) = visible else { return Ok(true) };
    let steps = pedigree(store, key)?;
    Ok(steps.last().is_some_and(|latest| visible.sees(&latest.event)))
}

/// The pedigree of `key` as `visible` allows, or `None` when nothing of it is visible.
fn visible_pedigree(
    store: &dyn Store,
    key: &Key,
    visible: Option<&Visibility>,
) -> Result<Option<Vec<PedigreeStep>>, Problem> {
    let steps = pedigree(store, key)?;
    let Some(visible) = visible else { return Ok(Some(steps)) };
    let steps: Vec<PedigreeStep> = steps.into_iter().filter(|s| visible.sees(&s.event)).collect();
    Ok((!steps.is_empty()).then_some(steps))
}

/// Runs `work` with the store on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Store) -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || work(store.as_ref()))
        .await
        .map_err(|e| Problem::internal(format!("the ledger read failed: {e}")))?
}

/// The shared shape of the identifier routes: authorize, read the code, run `answer` on the
/// blocking pool with what the caller may see, and answer its JSON.
async fn identifier_route(
    state: Arc<AppState>,
    headers: HeaderMap,
    code: String,
    answer: impl FnOnce(&dyn Store, &Key, &str, Option<&Visibility>) -> Result<Value, Problem>
    + Send
    + 'static,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let visible = visibility(&caller)?;
    let key = key_of(&code)?;
    let body = blocking(&state, move |store| answer(store, &key, &code, visible.as_ref())).await?;
    Ok(json_response(StatusCode::OK, &body))
}

fn text(value: &Option<serialhub_core::Text>) -> Value {
    value.as_deref().map_or(Value::Null, Value::from)
}

/// `GET /ledger/identifiers/{code}`: the state in force (read through the containers), where
/// and whose, lot, expiry, parent and direct children.
pub(crate) async fn identifier(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    identifier_route(state, headers, code, |store, key, code, visible| {
        let Some(record) = store.state(key)? else { return Err(absent(code)) };
        if !sees_current_state(store, key, visible)? {
            return Err(absent(code));
        }
        let effective = effective_state(store, key)?;
        let status = effective.as_ref().map_or(record.status, |e| e.status);
        let through = effective.as_ref().filter(|e| e.source != *key).map(|e| e.source.to_string());
        let location =
            effective.as_ref().and_then(|e| e.location.clone()).or(record.location.clone());
        let owner = effective.as_ref().and_then(|e| e.owner.clone()).or(record.owner.clone());
        let children: Vec<String> = store.children(key)?.iter().map(Key::to_string).collect();
        Ok(json!({
            "identifier": key.as_str(),
            "status": status.name(),
            "statusThrough": through,
            "location": text(&location),
            "owner": text(&owner),
            "lot": text(&record.lot),
            "expiry": text(&record.expiry),
            "parent": record.parent.as_ref().map(Key::to_string),
            "persistentDispositions": record.persistent_dispositions,
            "children": children,
            "pedigree": format!("/ledger/identifiers/{}/pedigree", percent_encode(key.as_str())),
            "contents": format!("/ledger/identifiers/{}/contents", percent_encode(key.as_str())),
        }))
    })
    .await
}

/// `GET /ledger/identifiers/{code}/pedigree`: its events and those of every container it was
/// in while it was in it, in capture order, each with the containers it came through.
pub(crate) async fn identifier_pedigree(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    identifier_route(state, headers, code, |store, key, code, visible| {
        let Some(steps) = visible_pedigree(store, key, visible)? else {
            return Err(absent(code));
        };
        let steps: Vec<Value> = steps
            .iter()
            .map(|step| {
                let e = &step.event.record.event;
                json!({
                    "seq": step.event.seq,
                    "eventID": e.event_id.as_deref().unwrap_or(&step.event.record.hash_id),
                    "eventHashID": step.event.record.hash_id,
                    "type": e.event_type.map(|t| t.name()),
                    "eventTime": e.event_time,
                    "recordTime": e.record_time,
                    "action": e.action.map(|a| a.as_str()),
                    "bizStep": e.biz_step,
                    "disposition": e.disposition,
                    "bizLocation": e.biz_location.as_ref().map(|l| l.id.as_str()),
                    "via": step.via.iter().map(Key::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({"identifier": key.as_str(), "steps": steps}))
    })
    .await
}

/// `GET /ledger/identifiers/{code}/contents`: everything inside it, recursively (explode).
pub(crate) async fn identifier_contents(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    identifier_route(state, headers, code, |store, key, code, visible| {
        if store.state(key)?.is_none() || !sees_current_state(store, key, visible)? {
            return Err(absent(code));
        }
        let inside: Vec<String> = contents(store, key)?.iter().map(Key::to_string).collect();
        Ok(json!({"identifier": key.as_str(), "count": inside.len(), "contents": inside}))
    })
    .await
}

/// An exception's public id: the seq of the event that raised it and its place among that
/// event's exceptions.
fn exception_id(exception: &StoredException, nth: usize) -> String {
    format!("{}-{nth}", exception.event_seq)
}

fn exception_json(exception: &StoredException, nth: usize) -> Value {
    let v = &exception.violation;
    json!({
        "id": exception_id(exception, nth),
        "type": v.exception_type.code(),
        "typeDescription": v.exception_type.description(),
        "code": v.kind.code(),
        "message": v.message,
        "epcs": v.epcs,
        "eventIDs": v.event_ids,
        "eventHashID": exception.event_hash_id,
        "eventSeq": exception.event_seq,
        "capturedAt": exception.captured_at.to_utc_millis_string(),
    })
}

/// Whether the event that raised `exception` is visible.
fn raised_visibly(store: &dyn Store, exception: &StoredException, visible: &Visibility) -> bool {
    store
        .events_by_id(&exception.event_hash_id)
        .map(|events| events.iter().any(|e| e.seq == exception.event_seq && visible.sees(e)))
        .unwrap_or(false)
}

/// `GET /ledger/exceptions`: filters `type` (F1..F12), `identifier` and `lot` (any code form),
/// `since`, `until` (capture time, RFC 3339); paged by `perPage` and `nextPageToken`.
pub(crate) async fn exceptions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let visible = visibility(&caller)?;
    let (per_page, token, params) = page_params(raw.as_deref(), state.limits.page_len_max)?;
    let mut filter = ExceptionFilter::default();
    let mut lot = None;
    let bad = |name: &str, message: String| {
        Problem::new(ExceptionKind::QueryParameter, format!("{name}: {message}"))
    };
    for (name, value) in &params {
        let time = || {
            Timestamp::parse(value.trim())
                .ok_or_else(|| bad(name, format!("{value:?} is not an RFC 3339 time")))
        };
        match name.as_str() {
            "type" => {
                filter.exception_type = Some(
                    ExceptionType::from_code(&value.to_ascii_uppercase())
                        .ok_or_else(|| bad(name, format!("{value:?} is not F1 to F12")))?,
                );
            }
            "identifier" => filter.key = Some(key_of(value)?),
            "lot" => lot = Some(key_of(value)?),
            "since" => filter.since = Some(time()?),
            "until" => filter.until = Some(time()?),
            _ => {
                return Err(bad(
                    name,
                    "not a filter of /ledger/exceptions (type, identifier, lot, since, until, perPage, nextPageToken)".to_owned(),
                ));
            }
        }
    }
    let offset = match token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| bad("nextPageToken", "not a token this server gave".to_owned()))?,
    };
    let (page, more) = blocking(&state, move |store| {
        let found = match &lot {
            Some(lot) => serialhub_store::query::lot_exceptions(store, lot, &filter)?,
            None => store.exceptions(&filter)?,
        };
        let mut visible_ones = found
            .into_iter()
            .filter(|e| visible.as_ref().is_none_or(|v| raised_visibly(store, e, v)))
            .skip(offset);
        let mut page = Vec::new();
        for e in visible_ones.by_ref().take(per_page) {
            // The id counts among all the event's exceptions, not only those the filter kept.
            let nth = serialhub_store::query::place_in_event(store, &e)?.unwrap_or(0);
            page.push(exception_json(&e, nth));
        }
        let more = visible_ones.next().is_some();
        Ok((page, more))
    })
    .await?;
    let shown = page.len();
    let mut response = json_response(StatusCode::OK, &Value::from(page));
    if more {
        let mut query: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
            .collect();
        query.push(format!("perPage={per_page}"));
        query.push(format!("nextPageToken={}", offset + shown));
        link_next(&mut response, &format!("/ledger/exceptions?{}", query.join("&")));
    }
    Ok(response)
}

/// `GET /ledger/exceptions/{id}`: one exception with the event that raised it (the evidence an
/// investigation starts from).
pub(crate) async fn exception(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let visible = visibility(&caller)?;
    let missing = || Problem::new(ExceptionKind::NoSuchResource, format!("no exception {id}"));
    let (seq, nth) = id
        .split_once('-')
        .and_then(|(s, n)| Some((s.parse::<u64>().ok()?, n.parse::<usize>().ok()?)))
        .ok_or_else(missing)?;
    let body = blocking(&state, move |store| {
        let Some(event) = store.events(seq, 1)?.into_iter().next().filter(|e| e.seq == seq) else {
            return Ok(None);
        };
        if visible.as_ref().is_some_and(|v| !v.sees(&event)) {
            return Ok(None);
        }
        let exceptions = serialhub_store::query::event_exceptions(store, seq)?;
        let Some(exception) = exceptions.into_iter().nth(nth) else {
            return Ok(None);
        };
        let mut body = exception_json(&exception, nth);
        let event_json = serialhub_store::stored_json(&event.record.event);
        let document: Value = serde_json::from_slice(&event_json).unwrap_or(Value::Null);
        body["event"] = document["epcisBody"]["eventList"][0].clone();
        Ok(Some(body))
    })
    .await?;
    let body = body.ok_or_else(missing)?;
    Ok(json_response(StatusCode::OK, &body))
}
