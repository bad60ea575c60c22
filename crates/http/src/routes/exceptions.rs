//! The exception workbench over HTTP (`serialhub_workbench::Service`): `/api/exceptions`
//! (list with filters, detail), `/api/exceptions/groups`, actions on one exception, on a list
//! of them, or on a group, `/api/cases` (suspect product cases and their steps), and
//! `/api/audit` (the actions' log and whether its chain holds).
//!
//! The workbench is the company's own: operators read it (admin, or a query key that acts for
//! no partner), admins act. A partner's key is refused: exceptions name every partner's data.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use serialhub_core::{ExceptionType, Key};
use serialhub_epcis::Vocabulary;
use serialhub_workbench::{
    ActionError, ActionRequest, Department, ListFilter, RootCause, Service, Severity, Status,
    Targets,
};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::problem::{ExceptionKind, Problem};
use crate::routes::queries::json_body_max;
use crate::routes::{json_response, link_next, page_params, percent_encode};

/// The largest action body (master data and corrective events included).
const ACTION_BYTES_MAX: usize = 4 << 20;

fn workbench(state: &AppState) -> Result<Arc<Service>, Problem> {
    state.workbench.get().cloned().ok_or_else(|| {
        Problem::new(ExceptionKind::Unavailable, "the exception workbench is not running")
    })
}

/// An operator of this hub: admin, or a query key for no partner.
fn operator(state: &AppState, headers: &HeaderMap, roles: &[Role]) -> Result<Caller, Problem> {
    let caller = state.authorize(headers, roles)?;
    if caller.party.is_some() {
        return Err(Problem::new(
            ExceptionKind::Security,
            "the exception workbench is for this hub's operators; a partner's credentials do not open it",
        ));
    }
    Ok(caller)
}

/// The workbench for a reader: an operator (admin, or a query key for no partner).
fn reader(state: &AppState, headers: &HeaderMap) -> Result<Arc<Service>, Problem> {
    operator(state, headers, &[Role::Query])?;
    workbench(state)
}

/// The caller, the workbench and the JSON body of a request that acts (admin); a refused
/// request's body is drained first.
async fn writer(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<(Caller, Arc<Service>, Value), Problem> {
    let caller = match operator(state, headers, &[Role::Admin]) {
        Ok(caller) => caller,
        Err(problem) => return Err(crate::routes::drained(body, problem).await),
    };
    let service = workbench(state)?;
    let body = json_body_max(headers, body, ACTION_BYTES_MAX).await?;
    Ok((caller, service, body))
}

/// The audit log's name for a caller: its name and key id.
fn actor_of(caller: &Caller) -> String {
    format!("{} ({})", caller.name, caller.key_id)
}

/// 200 with `body`, or 404 naming `what`.
fn found(body: Option<Value>, what: String) -> Result<Response, Problem> {
    match body {
        Some(body) => Ok(json_response(StatusCode::OK, &body)),
        None => Err(Problem::new(ExceptionKind::NoSuchResource, format!("no {what}"))),
    }
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal(format!("the workbench failed: {e}")))?
}

fn bad(message: String) -> Problem {
    Problem::new(ExceptionKind::QueryParameter, message)
}

/// Every comma-separated value of a parameter, each read by `parse`.
fn values<T>(
    value: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, Problem> {
    value
        .split(',')
        .map(|v| {
            parse(v.trim()).ok_or_else(|| bad(format!("{what}: {v:?} is not a value it takes")))
        })
        .collect()
}

fn time(value: &str, what: &str) -> Result<i64, Problem> {
    serialhub_epcis::time::Timestamp::parse(value)
        .map(|t| t.unix_millis)
        .ok_or_else(|| bad(format!("{what}: {value:?} is not an RFC 3339 time")))
}

/// `GET /api/exceptions`: filters `type` (F1..F12), `status`, `open`, `owner`, `severity`,
/// `rootCause`, `group`, `code`, `partner`, `overdue=true`, `since`, `until`, `identifier`
/// (any code form); comma-separated values are alternatives. Paged oldest first.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let service = reader(&state, &headers)?;
    let (per_page, token, rest) = page_params(raw.as_deref(), state.limits.page_len_max)?;
    let now = (state.clock)().unix_millis;
    let mut filter = ListFilter::default();
    let mut identifier = None;
    for (name, value) in &rest {
        match name.as_str() {
            "type" => filter.types = values(value, "type", ExceptionType::from_code)?,
            "status" => filter.statuses = values(value, "status", Status::from_name)?,
            "owner" => filter.owners = values(value, "owner", Department::from_name)?,
            "severity" => filter.severities = values(value, "severity", Severity::from_name)?,
            "rootCause" => filter.causes = values(value, "rootCause", RootCause::from_name)?,
            "open" => {
                filter.open = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(format!("open: {value:?} is not true or false"))),
                });
            }
            "overdue" if value == "true" => filter.overdue_at = Some(now),
            "overdue" => return Err(bad(format!("overdue: {value:?} is not true"))),
            "group" => filter.group = Some(value.clone()),
            "code" => filter.code = Some(value.clone()),
            "partner" => filter.partner = Some(value.clone()),
            "since" => filter.raised_since = Some(time(value, "since")?),
            "until" => filter.raised_until = Some(time(value, "until")?),
            "identifier" => {
                identifier =
                    Some(Key::from_code(value).map_err(|e| bad(format!("identifier: {e}")))?);
            }
            other => {
                return Err(bad(format!(
                    "{other}: not a filter of /api/exceptions (type, status, open, owner, severity, rootCause, group, code, partner, overdue, since, until, identifier, perPage, nextPageToken)"
                )));
            }
        }
    }
    let after = match &token {
        Some(t) => Some(
            t.parse::<usize>()
                .map_err(|_| bad("nextPageToken: not a token this server gave".to_owned()))?,
        ),
        None => None,
    };
    let page = blocking(move || {
        if let Some(key) = identifier {
            filter.only = Some(service.naming(&key)?);
        }
        Ok(service.list(&filter, after, per_page, now)?)
    })
    .await?;
    let mut response = json_response(StatusCode::OK, &page);
    if let Some(next) = page["next"].as_u64() {
        let mut target: Vec<String> = rest
            .iter()
            .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
            .collect();
        target.push(format!("perPage={per_page}"));
        target.push(format!("nextPageToken={next}"));
        link_next(&mut response, &format!("/api/exceptions?{}", target.join("&")));
    }
    Ok(response)
}

/// `GET /api/exceptions/{id}`: the exception, its evidence and its history.
pub(crate) async fn detail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let service = reader(&state, &headers)?;
    let now = (state.clock)().unix_millis;
    let what = format!("exception {id}");
    found(blocking(move || Ok(service.detail(&id, now)?)).await?, what)
}

/// `GET /api/exceptions/groups[?all=true]`: exceptions grouped by root cause and scope, the
/// groups with open exceptions first (all groups with `all=true`).
pub(crate) async fn groups(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let service = reader(&state, &headers)?;
    let all = match raw.as_deref() {
        None | Some("") => false,
        Some("all=true") => true,
        Some("all=false") => false,
        Some(other) => {
            return Err(bad(format!("{other}: /api/exceptions/groups takes only all=true")));
        }
    };
    let now = (state.clock)().unix_millis;
    let body = blocking(move || Ok(service.groups(all, now)?)).await?;
    Ok(json_response(StatusCode::OK, &body))
}

/// `POST /api/exceptions/{id}/actions`: one action on one exception.
pub(crate) async fn act_one(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    act(state, headers, body, |_| Ok(Targets::Ids(vec![id]))).await
}

/// `POST /api/exceptions/actions`: one action on the exceptions listed in `ids`.
pub(crate) async fn act_many(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    act(state, headers, body, |body| {
        let ids = body.get("ids").and_then(Value::as_array).ok_or_else(|| {
            invalid("ids: give the exceptions to act on as an array of ids".to_owned())
        })?;
        let ids: Option<Vec<String>> = ids.iter().map(|v| v.as_str().map(str::to_owned)).collect();
        Ok(Targets::Ids(ids.ok_or_else(|| invalid("ids: every id is a string".to_owned()))?))
    })
    .await
}

/// `POST /api/exceptions/groups/{group}/actions`: one action on every open exception of a
/// group (the group id percent-encoded).
pub(crate) async fn act_group(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(group): Path<String>,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    act(state, headers, body, |_| Ok(Targets::Group(group))).await
}

fn invalid(message: String) -> Problem {
    Problem::new(ExceptionKind::Validation, message)
}

async fn act(
    state: Arc<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
    targets: impl FnOnce(&Value) -> Result<Targets, Problem>,
) -> Result<Response, Problem> {
    let (caller, service, body) = writer(&state, &headers, body).await?;
    let request = action_request(&body, targets(&body)?)?;
    let now = (state.clock)();
    let actor = actor_of(&caller);
    let outcome =
        blocking(move || service.act(&actor, &request, now).map_err(action_problem)).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "auditSeq": outcome.audit_seq,
            "targets": outcome.targets,
            "messages": outcome.messages,
            "events": outcome.events,
        }),
    ))
}

/// The action a body asks for: `action`, `reason`, and per action `owner`, `rootCause`,
/// `masterData` (an EPCIS `vocabularyList`), `errorReason`, `correctiveEvents` (EPCIS 2.0
/// JSON-LD events, validated as a capture would).
fn action_request(body: &Value, targets: Targets) -> Result<ActionRequest, Problem> {
    const KNOWN: [&str; 8] = [
        "action",
        "reason",
        "owner",
        "rootCause",
        "masterData",
        "errorReason",
        "correctiveEvents",
        "ids",
    ];
    let Some(object) = body.as_object() else {
        return Err(invalid("the body is not a JSON object".to_owned()));
    };
    if let Some(unknown) = object.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(invalid(format!(
            "{unknown}: not a member of an action ({})",
            KNOWN.join(", ")
        )));
    }
    let text = |name: &str| -> Result<Option<String>, Problem> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= serialhub_store::audit::TEXT_MAX => {
                Ok(Some(s.clone()))
            }
            Some(Value::String(_)) => {
                Err(invalid(format!("{name}: over {} bytes", serialhub_store::audit::TEXT_MAX)))
            }
            Some(_) => Err(invalid(format!("{name}: must be a string"))),
        }
    };
    let action = text("action")?.ok_or_else(|| invalid("action: required".to_owned()))?;
    let reason = text("reason")?.unwrap_or_default();
    let owner = match text("owner")? {
        Some(o) => Some(Department::from_name(&o).ok_or_else(|| {
            invalid(format!(
                "owner: {o:?} is not packaging, warehouse, quality_compliance, master_data or it"
            ))
        })?),
        None => None,
    };
    let cause = match text("rootCause")? {
        Some(c) => Some(
            RootCause::from_name(&c)
                .ok_or_else(|| invalid(format!("rootCause: {c:?} is not a root cause")))?,
        ),
        None => None,
    };
    let error_reason = text("errorReason")?;
    let (master_data, corrective_events) =
        epcis_parts(object.get("masterData"), object.get("correctiveEvents"))?;
    Ok(ActionRequest {
        action,
        targets,
        reason,
        owner,
        cause,
        master_data,
        error_reason,
        corrective_events,
    })
}

/// Reads master data and events through the EPCIS reader (and validator), as a capture would:
/// both are wrapped in one EPCIS 2.0 JSON-LD document.
fn epcis_parts(
    master_data: Option<&Value>,
    events: Option<&Value>,
) -> Result<(Vec<Vocabulary>, Vec<serialhub_epcis::Event>), Problem> {
    if master_data.is_none() && events.is_none() {
        return Ok((Vec::new(), Vec::new()));
    }
    if master_data.is_some_and(|m| !m.is_array()) || events.is_some_and(|e| !e.is_array()) {
        return Err(invalid("masterData and correctiveEvents are arrays".to_owned()));
    }
    // The header before the body: the reader streams, and takes a header only before events.
    let header = master_data
        .map_or(Value::Null, |list| json!({ "epcisMasterData": { "vocabularyList": list } }));
    let mut document = serde_json::Map::new();
    document.insert(
        "@context".to_owned(),
        json!(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]),
    );
    document.insert("type".to_owned(), json!("EPCISDocument"));
    document.insert("schemaVersion".to_owned(), json!("2.0"));
    document.insert("creationDate".to_owned(), json!("2025-01-01T00:00:00Z"));
    if !header.is_null() {
        document.insert("epcisHeader".to_owned(), header);
    }
    document.insert(
        "epcisBody".to_owned(),
        json!({ "eventList": events.cloned().unwrap_or_else(|| json!([])) }),
    );
    let document = Value::Object(document);
    let bytes = document.to_string().into_bytes();
    let mut validator = serialhub_epcis::validate::Validator::default();
    serialhub_epcis::read_slice(&bytes, &serialhub_epcis::read::Limits::default(), &mut validator)
        .map_err(|e| invalid(format!("masterData or correctiveEvents: {e}")))?;
    let collected = validator.into_inner();
    let errors: Vec<String> =
        collected.problems.iter().filter(|p| p.is_error()).map(ToString::to_string).collect();
    if !errors.is_empty() {
        return Err(invalid("masterData or correctiveEvents do not validate".to_owned())
            .with_errors(errors));
    }
    Ok((collected.document.header.master_data, collected.document.events))
}

/// `GET /api/audit?after=N&limit=M`: the actions' log, and whether the chain holds over the
/// entries returned (`chain`: `ok`, or where it breaks). Admin.
pub(crate) async fn audit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    operator(&state, &headers, &[Role::Admin])?;
    let (limit, _, rest) =
        page_params(raw.as_deref(), serialhub_store::audit::ENTRIES_PER_CALL_MAX)?;
    let mut after = 0u64;
    for (name, value) in &rest {
        match name.as_str() {
            "after" => {
                after =
                    value.parse().map_err(|_| bad(format!("after: {value:?} is not a number")))?
            }
            other => return Err(bad(format!("{other}: /api/audit takes after and perPage"))),
        }
    }
    let store = state.store.clone();
    let (entries, previous) = blocking(move || {
        let previous =
            if after == 0 { None } else { store.audit_log(after - 1, 1)?.into_iter().next() };
        Ok((store.audit_log(after, limit)?, previous))
    })
    .await?;
    let head = previous
        .as_ref()
        .map_or((0, serialhub_store::audit::GENESIS), |p| (p.seq, p.hash.as_str()));
    let chain = match serialhub_store::audit::verify(head, &entries) {
        Ok(()) => json!("ok"),
        Err(broken) => json!({ "brokenAt": broken.seq, "why": broken.what }),
    };
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq, "at": e.draft.at.to_utc_millis_string(), "actor": e.draft.actor,
                "action": e.draft.action, "targets": e.draft.targets, "reason": e.draft.reason,
                "before": serde_json::from_str::<Value>(&e.draft.before).unwrap_or(Value::Null),
                "after": serde_json::from_str::<Value>(&e.draft.after).unwrap_or(Value::Null),
                "prevHash": e.prev_hash, "hash": e.hash,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "entries": list, "chain": chain })))
}

fn action_problem(error: ActionError) -> Problem {
    match error {
        ActionError::Invalid(m) => invalid(m),
        ActionError::NotFound(m) => Problem::new(ExceptionKind::NoSuchResource, m),
        ActionError::Conflict(m) => Problem::new(ExceptionKind::StateConflict, m),
        ActionError::Store(e) => Problem::from(e),
    }
}

/// The strings of array member `name` (absent: none).
fn strings(body: &Value, name: &str) -> Result<Vec<String>, Problem> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid(format!("{name}: every item is a string"))),
        Some(_) => Err(invalid(format!("{name}: must be an array of strings"))),
    }
}

/// The string member `name`, if any.
fn member(body: &Value, name: &str) -> Result<Option<String>, Problem> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= serialhub_store::audit::TEXT_MAX => {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(invalid(format!(
            "{name}: must be a string of at most {} bytes",
            serialhub_store::audit::TEXT_MAX
        ))),
    }
}

/// Refuses members other than `known`.
fn only(body: &Value, known: &[&str]) -> Result<(), Problem> {
    let Some(object) = body.as_object() else {
        return Err(invalid("the body is not a JSON object".to_owned()));
    };
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => {
            Err(invalid(format!("{unknown}: not a member here ({})", known.join(", "))))
        }
        None => Ok(()),
    }
}

/// `POST /api/cases`: opens a suspect product case: `identifiers` (held from now, any GS1
/// form), `exceptions` (linked), `regime`, `reason`. Admin.
pub(crate) async fn open_case(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let (caller, service, body) = writer(&state, &headers, body).await?;
    only(&body, &["identifiers", "exceptions", "regime", "reason"])?;
    let identifiers = strings(&body, "identifiers")?;
    for code in &identifiers {
        Key::from_code(code).map_err(|e| invalid(format!("identifiers: {code:?}: {e}")))?;
    }
    let opening = serialhub_workbench::CaseOpening {
        identifiers,
        exceptions: strings(&body, "exceptions")?,
        regime: member(&body, "regime")?,
        reason: member(&body, "reason")?.unwrap_or_default(),
    };
    let now = (state.clock)();
    let actor = actor_of(&caller);
    let id =
        blocking(move || service.open_case(&actor, &opening, now).map_err(action_problem)).await?;
    let mut response = json_response(StatusCode::CREATED, &json!({ "id": id }));
    if let Ok(location) = axum::http::HeaderValue::from_str(&format!("/api/cases/{id}")) {
        response.headers_mut().insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/cases[?open=true]`: the suspect product cases, oldest first.
pub(crate) async fn cases(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let service = reader(&state, &headers)?;
    let open_only = match raw.as_deref() {
        None | Some("") | Some("open=false") => false,
        Some("open=true") => true,
        Some(other) => return Err(bad(format!("{other}: /api/cases takes only open=true"))),
    };
    let now = (state.clock)().unix_millis;
    let body = blocking(move || Ok(service.cases(None, open_only, now)?)).await?;
    Ok(json_response(StatusCode::OK, &body.unwrap_or_default()))
}

/// `GET /api/cases/{id}`: one case with its history (audit entry seqs).
pub(crate) async fn case(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let service = reader(&state, &headers)?;
    let now = (state.clock)().unix_millis;
    let what = format!("case {id}");
    found(blocking(move || Ok(service.cases(Some(&id), false, now)?)).await?, what)
}

/// `POST /api/cases/{id}/actions`: `action` (`case_investigate`, `case_determine` with
/// `determination`, `case_notify` with `notified`, `case_close`) and `reason`. Admin.
pub(crate) async fn case_step(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let (caller, service, body) = writer(&state, &headers, body).await?;
    only(&body, &["action", "reason", "determination", "notified"])?;
    let step = serialhub_workbench::Step {
        action: member(&body, "action")?.ok_or_else(|| invalid("action: required".to_owned()))?,
        determination: member(&body, "determination")?,
        notified: member(&body, "notified")?,
    };
    let reason = member(&body, "reason")?.unwrap_or_default();
    let now = (state.clock)();
    let actor = actor_of(&caller);
    let seq = blocking(move || {
        service.case_step(&actor, &id, &step, &reason, now).map_err(action_problem)
    })
    .await?;
    Ok(json_response(StatusCode::OK, &json!({ "auditSeq": seq })))
}
