//! `GET /epcis/events` (the simple event query), `GET /epcis/events/{eventID}`, and the
//! top-level resources that fix one parameter (`/epcis/epcs/{epc}/events`, ...).
//!
//! How a query runs: candidates come from an index when the query names events
//! (`EQ_eventID`) or exact identifiers (`MATCH_*`, the store's per-identifier history);
//! otherwise the store is scanned in capture order, at most `Limits::query_scan_max` events
//! per request, and the page token says where to go on. Every candidate then passes through
//! the pure matcher (`serialhub_epcis::query`), with the caller's party restriction added
//! unless it sees everything. A query that must sort or count an unindexed scan larger than the
//! scan limit is refused (413 `QueryTooComplexException`) rather than left to run for minutes.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serialhub_core::Key;
use serialhub_epcis::query::{Direction, EventQuery, OrderBy};
use serialhub_epcis::time::Timestamp;
use serialhub_epcis::{DocumentKind, Header};
use serialhub_store::{KnownField, Store, StoredEvent};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::problem::{ExceptionKind, Problem};
use crate::routes::{json_response, link_next, page_params, percent_encode};
use crate::visibility::Visibility;

/// Events read from the store per scan step.
const SCAN_BATCH: usize = 1_000;

/// Where a page continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    /// An unindexed scan in capture order: the next `seq` to examine.
    Scan { next_seq: u64, returned: u64 },
    /// A materialised, ordered result: the offset of the next event in it.
    Offset { offset: u64 },
}

/// A page token: where to resume, bound to the query and the caller by a fingerprint so that a
/// token cannot be replayed against another query.
fn token_of(resume: Resume, fingerprint: u64) -> String {
    match resume {
        Resume::Scan { next_seq, returned } => format!("s{next_seq}.{returned}.{fingerprint:016x}"),
        Resume::Offset { offset } => format!("o{offset}.0.{fingerprint:016x}"),
    }
}

fn parse_token(token: &str, fingerprint: u64) -> Result<Resume, Problem> {
    let bad = || {
        Problem::new(
            ExceptionKind::QueryParameter,
            "nextPageToken: not a token this server gave for this query",
        )
    };
    let (kind, rest) = token.split_at_checked(1).ok_or_else(bad)?;
    let mut parts = rest.split('.');
    let (Some(a), Some(b), Some(f), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let a: u64 = a.parse().map_err(|_| bad())?;
    let b: u64 = b.parse().map_err(|_| bad())?;
    if u64::from_str_radix(f, 16).ok() != Some(fingerprint) {
        return Err(bad());
    }
    match kind {
        "s" => Ok(Resume::Scan { next_seq: a, returned: b }),
        "o" => Ok(Resume::Offset { offset: a }),
        _ => Err(bad()),
    }
}

/// FNV-1a over the query's parameters and the caller's key.
fn fingerprint(params: &[(String, String)], caller: &Caller) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x100_0000_01b3);
    };
    for (name, value) in params {
        feed(name.as_bytes());
        feed(value.as_bytes());
    }
    feed(caller.key_id.as_bytes());
    h
}

/// One page of results.
struct Page {
    events: Vec<StoredEvent>,
    next: Option<Resume>,
    /// How many events match in all, when the whole result was materialised.
    total: Option<usize>,
}

/// The `GS1-Extensions` header: `prefix=namespace` pairs, comma-separated.
fn extensions(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(value) = headers.get("gs1-extensions").and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    value
        .split(',')
        .filter_map(|pair| {
            let (prefix, namespace) = pair.split_once('=')?;
            Some((prefix.trim().to_owned(), namespace.trim().trim_matches('"').to_owned()))
        })
        .collect()
}

/// Which form the caller accepts: JSON-LD (the default) or XML.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Json,
    Xml,
}

pub(crate) fn negotiate(headers: &HeaderMap) -> Result<Form, Problem> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Form::Json);
    };
    let mut best: Option<(f32, Form)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let form = match media.as_str() {
            "application/json" | "application/ld+json" | "application/*" | "*/*" => Form::Json,
            "application/xml" | "text/xml" => Form::Xml,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, form));
        }
    }
    best.map(|(_, form)| form).ok_or_else(|| {
        Problem::new(
            ExceptionKind::NotAcceptable,
            format!("Accept {accept:?}: this resource is written as application/json, application/ld+json or application/xml"),
        )
    })
}

/// Runs `query` for one page.
fn run(
    store: &dyn Store,
    query: &EventQuery,
    visibility: &Visibility,
    per_page: usize,
    resume: Option<Resume>,
    scan_max: usize,
) -> Result<Page, Problem> {
    let limit = query.event_count_limit().unwrap_or(usize::MAX);
    let sorted = query.order().is_some() || query.max_event_count().is_some();
    if let Some(ids) = query.event_ids() {
        let mut candidates = Vec::new();
        for id in ids {
            candidates.extend(store.events_by_id(id)?);
        }
        return Ok(page_of(query, visibility, candidates, per_page, resume, limit));
    }
    if let Some(epcs) = query.indexed_epcs() {
        let mut candidates = Vec::new();
        for epc in epcs {
            candidates.extend(store.history(&Key::new(epc))?);
        }
        return Ok(page_of(query, visibility, candidates, per_page, resume, limit));
    }
    if sorted {
        let stored = store.last_seq()?;
        if stored > scan_max as u64 {
            return Err(Problem::new(
                ExceptionKind::QueryTooComplex,
                format!(
                    "orderBy and maxEventCount need every match at once, and without MATCH_* or EQ_eventID that is a scan of {stored} events, over the limit of {scan_max}; narrow the query with an identifier"
                ),
            ));
        }
        let candidates = store.events(1, scan_max)?;
        return Ok(page_of(query, visibility, candidates, per_page, resume, limit));
    }
    let (mut next_seq, mut returned) = match resume {
        None => (1, 0),
        Some(Resume::Scan { next_seq, returned }) => (next_seq, returned),
        Some(Resume::Offset { .. }) => {
            return Err(Problem::new(
                ExceptionKind::QueryParameter,
                "nextPageToken: not a token this server gave for this query",
            ));
        }
    };
    let mut events = Vec::new();
    let mut examined = 0usize;
    let page_len = per_page.min(limit.saturating_sub(returned as usize));
    loop {
        if events.len() >= page_len {
            // Full: more may follow unless the count limit is reached or the store ends.
            let more = (returned as usize) < limit && next_seq <= store.last_seq()?;
            let next = more.then_some(Resume::Scan { next_seq, returned });
            return Ok(Page { events, next, total: None });
        }
        if examined >= scan_max {
            let next = Some(Resume::Scan { next_seq, returned });
            return Ok(Page { events, next, total: None });
        }
        let batch = store.events(next_seq, SCAN_BATCH.min(scan_max - examined))?;
        if batch.is_empty() {
            return Ok(Page { events, next: None, total: None });
        }
        for event in batch {
            next_seq = event.seq + 1;
            examined += 1;
            if query.matches(&event.record.event) && visibility.sees(&event) {
                events.push(event);
                returned += 1;
                if events.len() >= page_len {
                    break;
                }
            }
        }
    }
}

/// Filters, orders, limits and pages a materialised candidate list.
fn page_of(
    query: &EventQuery,
    visibility: &Visibility,
    mut candidates: Vec<StoredEvent>,
    per_page: usize,
    resume: Option<Resume>,
    limit: usize,
) -> Page {
    candidates.sort_by_key(|e| e.seq);
    candidates.dedup_by_key(|e| e.seq);
    candidates.retain(|e| query.matches(&e.record.event) && visibility.sees(e));
    if let Some((order_by, direction)) = query.order() {
        sort(&mut candidates, order_by, direction);
    }
    let total = candidates.len();
    candidates.truncate(limit);
    let offset = match resume {
        Some(Resume::Offset { offset }) => offset as usize,
        _ => 0,
    };
    let end = offset.saturating_add(per_page).min(candidates.len());
    let next = (end < candidates.len()).then_some(Resume::Offset { offset: end as u64 });
    let events = candidates.drain(offset.min(end)..end).collect();
    Page { events, next, total: Some(total) }
}

fn sort(events: &mut [StoredEvent], order_by: &OrderBy, direction: Direction) {
    // Events lacking the field go last either way (the standard lets them go anywhere);
    // capture order breaks ties, so pages stay stable.
    events.sort_by(|a, b| {
        let (ka, kb) = (order_by.key(&a.record.event), order_by.key(&b.record.event));
        let by_key = match (ka, kb) {
            (Some(x), Some(y)) => {
                let ordering = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                if direction == Direction::Descending { ordering.reverse() } else { ordering }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_key.then(a.seq.cmp(&b.seq))
    });
}

/// The query document of `events`, in `form`.
fn document(events: &[StoredEvent], form: Form, now: Timestamp) -> Result<Response, Problem> {
    let header = Header {
        kind: DocumentKind::EpcisQueryDocument,
        schema_version: Some("2.0".to_owned()),
        creation_date: Some(now.to_utc_millis_string()),
        query_name: Some("SimpleEventQuery".to_owned()),
        ..Header::default()
    };
    let written = match form {
        Form::Json => {
            let mut w = serialhub_epcis::json::write::JsonLdWriter::new(Vec::new());
            w.begin(&header).and_then(|()| {
                events.iter().try_for_each(|e| w.event(&e.record.event))?;
                w.finish()
            })
        }
        Form::Xml => {
            let mut w = serialhub_epcis::xml::write::XmlWriter::new(
                Vec::new(),
                serialhub_epcis::xml::write::XmlVersion::V2_0,
            );
            w.begin(&header).and_then(|()| {
                events.iter().try_for_each(|e| w.event(&e.record.event))?;
                w.finish()
            })
        }
    };
    let body = written.map_err(|e| Problem::internal(format!("writing the result failed: {e}")))?;
    let mut response = (StatusCode::OK, body).into_response();
    let content_type = match form {
        Form::Json => "application/ld+json",
        Form::Xml => "application/xml",
    };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The simple event query with `fixed` added to the request's parameters (a top-level
/// resource's path value), answered as a page of a query document.
pub(crate) async fn answer(
    state: Arc<AppState>,
    headers: HeaderMap,
    raw: Option<String>,
    fixed: Vec<(String, String)>,
    path: &str,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let form = negotiate(&headers)?;
    let (per_page, token, mut params) = page_params(raw.as_deref(), state.limits.page_len_max)?;
    let own = params.len();
    for (name, value) in &fixed {
        if params[..own].iter().any(|(n, _)| n == name) {
            return Err(Problem::new(
                ExceptionKind::QueryParameter,
                format!("{name}: fixed by this resource (its path or its named query)"),
            ));
        }
        params.push((name.clone(), value.clone()));
    }
    let mut query = EventQuery::parse(
        params.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        &extensions(&headers),
    )
    .map_err(|e| Problem::new(ExceptionKind::QueryParameter, e.to_string()))?;
    let visibility = Visibility::of(&caller);
    let print = fingerprint(&params, &caller);
    let resume = token.as_deref().map(|t| parse_token(t, print)).transpose()?;
    let store = state.store.clone();
    let scan_max = state.limits.query_scan_max;
    // Sorting and counting hold the whole result: a few at a time.
    let _permit =
        if query.order().is_some() || query.max_event_count().is_some() {
            Some(state.sort_permits.acquire().await.map_err(|_| {
                Problem::new(ExceptionKind::Unavailable, "the server is shutting down")
            })?)
        } else {
            None
        };
    let page = tokio::task::spawn_blocking(move || {
        serialhub_store::master::resolve(store.as_ref(), &mut query, visibility.party())?;
        let page = run(store.as_ref(), &query, &visibility, per_page, resume, scan_max)?;
        // maxEventCount always materialises the result (`run`), so the total is known.
        if let (Some(max), Some(total)) = (query.max_event_count(), page.total)
            && total > max
        {
            return Err(Problem::new(
                ExceptionKind::QueryTooLarge,
                format!("{total} events match, more than maxEventCount={max}"),
            ));
        }
        Ok(page)
    })
    .await
    .map_err(|e| Problem::internal(format!("the query failed: {e}")))??;
    let mut response = document(&page.events, form, (state.clock)())?;
    if let Some(next) = page.next {
        let mut query_string: Vec<String> = params[..own]
            .iter()
            .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
            .collect();
        query_string.push(format!("perPage={per_page}"));
        query_string.push(format!("nextPageToken={}", token_of(next, print)));
        link_next(&mut response, &format!("{path}?{}", query_string.join("&")));
    }
    Ok(response)
}

/// `GET /epcis/events`.
pub(crate) async fn query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    answer(state, headers, raw, Vec::new(), "/epcis/events").await
}

/// `GET /epcis/events/{eventID}`: every event with that eventID (or hash ID) the caller may see.
pub(crate) async fn by_id(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let form = negotiate(&headers)?;
    let visibility = Visibility::of(&caller);
    let store = state.store.clone();
    let lookup = id.clone();
    let events = tokio::task::spawn_blocking(move || store.events_by_id(&lookup))
        .await
        .map_err(|e| Problem::internal(format!("the lookup failed: {e}")))??;
    let visible: Vec<StoredEvent> = events.into_iter().filter(|e| visibility.sees(e)).collect();
    // An event the caller may not see is answered as absent, as one that does not exist.
    if visible.is_empty() {
        return Err(Problem::new(ExceptionKind::NoSuchResource, format!("no event {id}")));
    }
    document(&visible, form, (state.clock)())
}

/// `GET /epcis/eventTypes`: the event types this repository knows.
pub(crate) async fn event_types(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Query])?;
    let names: Vec<&str> = serialhub_epcis::EventType::ALL.iter().map(|t| t.name()).collect();
    Ok(json_response(StatusCode::OK, &serde_json::json!(names)))
}

/// `GET /epcis/eventTypes/{eventType}`: what can be done with one event type.
pub(crate) async fn event_type(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Query])?;
    if serialhub_epcis::EventType::from_name(&name).is_none() {
        return Err(Problem::new(ExceptionKind::NoSuchResource, format!("no event type {name}")));
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"events": format!("/epcis/eventTypes/{name}/events")}),
    ))
}

/// `GET /epcis/{resource}/{value}`: the value's sub-resources (HATEOAS discovery), at least
/// its `events`. An identifier is answered only when the caller may see an event naming it
/// (else 404, as one never seen), and links to the ledger's view of it too; a CBV value must
/// be a CBV term or a URI; a location is any value (its events may be none).
async fn sub_resources(
    state: Arc<AppState>,
    headers: HeaderMap,
    resource: &'static str,
    value: String,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let encoded = percent_encode(&value);
    let mut links = serde_json::json!({"events": format!("/epcis/{resource}/{encoded}/events")});
    let absent =
        || Problem::new(ExceptionKind::NoSuchResource, format!("no {resource} value {value}"));
    match resource {
        "epcs" => {
            let key = Key::from_code(&value).map_err(|_| absent())?;
            let visibility = Visibility::of(&caller);
            let store = state.store.clone();
            let seen = tokio::task::spawn_blocking(move || {
                store.history(&key).map(|h| h.iter().any(|e| visibility.sees(e)))
            })
            .await
            .map_err(|e| Problem::internal(format!("the lookup failed: {e}")))??;
            if !seen {
                return Err(absent());
            }
            for (name, path) in
                [("state", ""), ("pedigree", "/pedigree"), ("contents", "/contents")]
            {
                links[name] = format!("/ledger/identifiers/{encoded}{path}").into();
            }
        }
        "bizSteps" | "dispositions" => {
            let vocab = if resource == "bizSteps" {
                serialhub_epcis::cbv::Vocab::BizStep
            } else {
                serialhub_epcis::cbv::Vocab::Disposition
            };
            let known = vocab.values().contains(&value.as_str());
            if !known && !value.contains(':') {
                return Err(absent());
            }
        }
        _ => {}
    }
    Ok(json_response(StatusCode::OK, &links))
}

macro_rules! sub_resource {
    ($name:ident, $resource:literal) => {
        /// `GET /epcis/<resource>/{value}` (`sub_resources`).
        pub(crate) async fn $name(
            State(state): State<Arc<AppState>>,
            headers: HeaderMap,
            Path(value): Path<String>,
        ) -> Result<Response, Problem> {
            sub_resources(state, headers, $resource, value).await
        }
    };
}

sub_resource!(epc, "epcs");
sub_resource!(biz_step, "bizSteps");
sub_resource!(biz_location, "bizLocations");
sub_resource!(read_point, "readPoints");
sub_resource!(disposition, "dispositions");

/// `DELETE /epcis/nextPageToken/{token}`: releases what a page token holds. Tokens here hold
/// nothing on the server (each says where its query resumes, bound to the query and the
/// caller), so there is nothing to release and the answer is 204 for any token.
pub(crate) async fn release_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(_token): Path<String>,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Query])?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /epcis/bizSteps` and `GET /epcis/dispositions`: the CBV 2.0 vocabulary, as bare words
/// (values outside it, given as URIs, are queried by their URI).
fn vocabulary(vocab: serialhub_epcis::cbv::Vocab) -> Response {
    json_response(StatusCode::OK, &serde_json::json!(vocab.values()))
}

/// `GET /epcis/bizSteps`.
pub(crate) async fn biz_steps(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Query])?;
    Ok(vocabulary(serialhub_epcis::cbv::Vocab::BizStep))
}

/// `GET /epcis/dispositions`.
pub(crate) async fn dispositions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Query])?;
    Ok(vocabulary(serialhub_epcis::cbv::Vocab::Disposition))
}

/// Values a partner's listing examines per request at most (each is checked against what the
/// partner may see): a bound on the work of one page, which may then hold fewer than perPage
/// values and still link to the next.
const KNOWN_EXAMINED_MAX: usize = 2_000;
/// Store calls a partner's listing makes per request, at most.
const KNOWN_CALLS_MAX: usize = 8;

/// `GET /epcis/epcs`, `/epcis/bizLocations`, `/epcis/readPoints`: the values stored events
/// name, paged (`Store::known_values`; JSON arrays, as the vocabulary lists). A caller acting
/// for a partner gets the identifiers with a visible event in their history, and the locations
/// of its own GLN (all events there are visible to it; a location of another party is not
/// listed even when the partner sees some of its events, so as not to reveal a third party's
/// sites).
async fn known(
    state: Arc<AppState>,
    headers: HeaderMap,
    raw: Option<String>,
    field: KnownField,
    path: &'static str,
) -> Result<Response, Problem> {
    let caller = state.authorize(&headers, &[Role::Query])?;
    let (per_page, token, rest) = page_params(raw.as_deref(), state.limits.page_len_max)?;
    if let Some((name, _)) = rest.first() {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            format!("{name}: not a parameter of {path} (perPage and nextPageToken are)"),
        ));
    }
    let print = fingerprint(&[("resource".to_owned(), path.to_owned())], &caller);
    let after = match &token {
        None => None,
        Some(token) => Some(
            token
                .split_once('.')
                .filter(|(f, _)| u64::from_str_radix(f, 16).ok() == Some(print))
                .map(|(_, cursor)| cursor.to_owned())
                .ok_or_else(|| {
                    Problem::new(
                        ExceptionKind::QueryParameter,
                        "nextPageToken: not a token this server gave for this resource",
                    )
                })?,
        ),
    };
    let party = (!caller.sees_everything()).then(|| caller.party.clone().unwrap_or_default());
    let visibility = Visibility::of(&caller);
    let store = state.store.clone();
    let (values, next) = tokio::task::spawn_blocking(move || {
        let store = store.as_ref();
        let Some(party) = party else {
            let page = store.known_values(field, after.as_deref(), per_page)?;
            return Ok::<_, Problem>((page.values, page.next));
        };
        let mut found = Vec::new();
        let mut cursor = after;
        let mut examined = 0;
        // Calls as well as values: a store may answer a call with no value after scanning
        // (its own bound), and a request must not go on through the whole store.
        let mut calls = 0;
        while found.len() < per_page && examined < KNOWN_EXAMINED_MAX && calls < KNOWN_CALLS_MAX {
            calls += 1;
            // Never more than the page has room for: every value of a page is examined, so
            // the store's cursor is where the next request goes on.
            let page = store.known_values(field, cursor.as_deref(), per_page - found.len())?;
            examined += page.values.len();
            for value in page.values {
                let visible = match field {
                    KnownField::Epc => store
                        .history(&Key::from_canonical(value.clone()))?
                        .iter()
                        .any(|e| visibility.sees(e)),
                    _ => serialhub_epcis::query::names_party(&value, &party),
                };
                if visible {
                    found.push(value);
                }
            }
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        Ok((found, cursor))
    })
    .await
    .map_err(|e| Problem::internal(format!("the listing failed: {e}")))??;
    let mut response = json_response(StatusCode::OK, &serde_json::json!(values));
    if let Some(next) = next {
        let token = format!("{print:016x}.{next}");
        link_next(
            &mut response,
            &format!("{path}?perPage={per_page}&nextPageToken={}", percent_encode(&token)),
        );
    }
    Ok(response)
}

macro_rules! known_resource {
    ($name:ident, $field:expr, $path:literal) => {
        /// A top-level resource's values (`known`).
        pub(crate) async fn $name(
            State(state): State<Arc<AppState>>,
            headers: HeaderMap,
            RawQuery(raw): RawQuery,
        ) -> Result<Response, Problem> {
            known(state, headers, raw, $field, $path).await
        }
    };
}

known_resource!(epcs, KnownField::Epc, "/epcis/epcs");
known_resource!(biz_locations, KnownField::BizLocation, "/epcis/bizLocations");
known_resource!(read_points, KnownField::ReadPoint, "/epcis/readPoints");

macro_rules! fixed_resource {
    ($name:ident, $param:literal, $path:literal) => {
        /// A top-level resource's events: the simple event query with one parameter fixed by
        /// the path.
        pub(crate) async fn $name(
            State(state): State<Arc<AppState>>,
            headers: HeaderMap,
            Path(value): Path<String>,
            RawQuery(raw): RawQuery,
        ) -> Result<Response, Problem> {
            let path = format!($path, percent_encode(&value));
            answer(state, headers, raw, vec![($param.to_owned(), value)], &path).await
        }
    };
}

fixed_resource!(by_event_type, "eventType", "/epcis/eventTypes/{}/events");
fixed_resource!(by_epc, "MATCH_anyEPC", "/epcis/epcs/{}/events");
fixed_resource!(by_biz_step, "EQ_bizStep", "/epcis/bizSteps/{}/events");
fixed_resource!(by_biz_location, "EQ_bizLocation", "/epcis/bizLocations/{}/events");
fixed_resource!(by_read_point, "EQ_readPoint", "/epcis/readPoints/{}/events");
fixed_resource!(by_disposition, "EQ_disposition", "/epcis/dispositions/{}/events");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_query() {
        for resume in [Resume::Scan { next_seq: 42, returned: 7 }, Resume::Offset { offset: 30 }] {
            let token = token_of(resume, 0xabc);
            assert_eq!(parse_token(&token, 0xabc).ok(), Some(resume));
            assert!(parse_token(&token, 0xabd).is_err(), "another query's token");
        }
        for bad in ["", "x1.2.abc", "s1.2", "s1.2.3.4", "s-1.2.abc", "o.0.abc"] {
            assert!(parse_token(bad, 0xabc).is_err(), "{bad:?}");
        }
    }
}
