//! Verification: the GS1 Digital Link resolver (`/01/...`), the DSCSA verification responder
//! in its two request forms (Lightweight Verification Messaging through the resolver, and
//! `/verify/gtin/{gtin}/lot/{lot}/ser/{serial}` as VRS providers expose it) with
//! `checkConnectivity`, the consumer page and its check API, and the pharmacy operations
//! (verify, dispense, undo, decommission).
//!
//! Every check needs the full tuple (GTIN, serial, lot, expiry) and passes the anti-harvesting
//! guard first. Partners are authenticated (the verify role, bound to their GLN); the public
//! is not, and is told only a plain status in the same shape for every answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use serialhub_core::{DecommissionReason, Status};
use serialhub_epcis::time::Timestamp;
use serialhub_verify::{
    Alert, Channel, ConsumerStatus, Context, Observation, Throttled, Tuple, TupleError,
};
use serialhub_workbench::{AlertDraft, RootCause};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::problem::{ExceptionKind, Problem};
use crate::routes::json_response;
use crate::verifier::{Checked, Verifier};

const PAGE: &str = include_str!("../../assets/consumer.html");
const SCRIPT: &str = include_str!("../../assets/consumer.js");
const STYLE: &str = include_str!("../../assets/consumer.css");

/// What the page may load: its own script, style and API, the camera; nothing else.
const CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Request bodies of the pharmacy operations, at most.
const BODY_MAX: usize = 16 << 10;

/// The EU FMD undo window: `serialhub_core::ledger::UNDO_WINDOW_MS`.
const UNDO_WINDOW_MS: i64 = serialhub_core::ledger::UNDO_WINDOW_MS;

fn verifier(state: &AppState) -> &Verifier {
    state.verifier.get_or_init(|| Arc::new(Verifier::new(Default::default())))
}

fn query_map(parts: &Parts) -> HashMap<String, String> {
    let query = parts.uri.query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// The caller's address: the connection's peer, or, behind a trusted proxy or CDN, the header
/// it sets (`[verify] client_address_header`). The last address of a list is the one the
/// proxy added (what came before it, the caller wrote); a missing or unreadable header falls
/// back to the peer, so a request that goes around the proxy is still counted.
fn client_address(state: &AppState, parts: &Parts) -> Option<std::net::IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = verifier(state).config.client_address_header.as_deref().and_then(|name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    });
    forwarded.or(peer)
}

fn bad_code(e: TupleError) -> Problem {
    Problem::new(ExceptionKind::QueryParameter, e.0)
}

fn throttled(t: Throttled) -> Problem {
    let detail = match t.limit {
        "serial" => "this pack was checked too often; try again later".to_owned(),
        "client" => "too many verifications for this client".to_owned(),
        _ => "too many checks from this address".to_owned(),
    };
    let retry = HeaderValue::from_str(&t.retry_after_s.to_string())
        .unwrap_or(HeaderValue::from_static("60"));
    Problem::new(
        ExceptionKind::TooManyRequests,
        format!("{detail}: retry in {} s", t.retry_after_s),
    )
    .with_header(header::RETRY_AFTER, retry)
}

/// A fresh `corrUUID` (UUID version 4) when the requester sent none.
fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return "00000000-0000-4000-8000-000000000000".to_owned();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal(format!("the verification failed: {e}")))?
}

/// Hands findings to the exception workbench, off the request's path (an audit entry is a
/// synced write); without a workbench they are logged.
fn raise(state: &Arc<AppState>, alerts: Vec<Alert>, partner: Option<String>, now: Timestamp) {
    if alerts.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        for alert in alerts {
            let gtin = alert
                .key
                .strip_prefix("https://id.gs1.org/01/")
                .and_then(|r| r.get(..14))
                .unwrap_or("");
            let cause = match alert.code {
                "clone_suspected" => RootCause::ClonedCode,
                RETURN_NOT_VERIFIED => RootCause::Unknown,
                _ => RootCause::Diversion,
            };
            let draft = AlertDraft {
                code: alert.code,
                exception_type: alert.exception_type,
                identifier: alert.key.clone(),
                cause,
                scope: format!("gtin:{gtin}"),
                partner: partner.clone(),
                message: alert.message.clone(),
                evidence: alert.evidence.clone(),
            };
            let fields = [("code", alert.code.into()), ("identifier", alert.key.clone().into())];
            match state.workbench.get() {
                Some(workbench) => match workbench.raise_alert(&draft, now) {
                    Ok(id) => crate::log::info(
                        "verification finding",
                        &[
                            ("id", id.map(|i| i.to_string()).unwrap_or_default().into()),
                            fields[0].clone(),
                            fields[1].clone(),
                        ],
                    ),
                    Err(e) => {
                        // Raised again at the pack's next sighting rather than never.
                        verifier(&state).forget(&alert.key, alert.code);
                        crate::log::warn(
                            "a verification finding was not recorded",
                            &[
                                ("error", e.to_string().into()),
                                fields[0].clone(),
                                fields[1].clone(),
                            ],
                        )
                    }
                },
                None => {
                    crate::log::warn("verification finding (no workbench to record it)", &fields)
                }
            }
        }
    });
}

/// Records a partner's sighting of a verified pack at `gln`'s site and returns the findings.
fn partner_sighting(
    v: &Verifier,
    store: &dyn serialhub_store::Store,
    tuple: &Tuple,
    checked: &Checked,
    gln: &str,
    context: Context,
    now: Timestamp,
) -> Result<Vec<Alert>, Problem> {
    if !checked.verdict.verified {
        return Ok(Vec::new());
    }
    let catalog = v.catalog(store, now.unix_millis)?;
    let returning = context == Context::SaleableReturn;
    let facts = v.pack_facts(store, tuple, checked, &catalog, Some(gln), returning)?;
    let key = tuple.key();
    let seen = Observation {
        key: key.as_str(),
        at_ms: now.unix_millis,
        channel: Channel::Partner,
        context,
        place: Some(gln),
        device: None,
        market: catalog.country(gln),
    };
    Ok(v.observe(&seen, &facts))
}

// ---- The responder (partners) ----

/// The parameters of a partner's verification request, in either form.
struct PartnerRequest {
    tuple: Result<Tuple, TupleError>,
    req_gln: Option<String>,
    corr_uuid: Option<String>,
    context: Option<String>,
    link_type: Option<String>,
}

/// Checks the requester: authenticated (401 otherwise), with the verify role and asking for
/// its own GLN (403 otherwise; an admin may ask for any).
fn requester(
    state: &AppState,
    headers: &HeaderMap,
    req_gln: Option<&str>,
) -> Result<(Caller, String), Problem> {
    let caller = state.authorize(headers, &[Role::Verify])?;
    let Some(req_gln) = req_gln.filter(|g| !g.is_empty()) else {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            "reqGLN is required: the requester's GLN",
        ));
    };
    if serialhub_gs1::Gln::parse(req_gln).is_err() {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            format!("reqGLN {req_gln:?} is not a GLN (13 digits with a valid check digit)"),
        ));
    }
    if caller.role != Role::Admin {
        match caller.party.as_deref() {
            Some(own) if own == req_gln => {}
            Some(own) => {
                return Err(Problem::new(
                    ExceptionKind::Security,
                    format!("reqGLN {req_gln} is not this requester's GLN ({own})"),
                ));
            }
            None => {
                return Err(Problem::new(
                    ExceptionKind::Security,
                    "this key is bound to no trading partner GLN: a verification requester must be one",
                ));
            }
        }
    }
    if verifier(state).config.responder_gln.is_empty() {
        return Err(Problem::new(
            ExceptionKind::NoSuchResource,
            "this hub answers no verification requests: [verify] responder_gln is not configured",
        ));
    }
    Ok((caller, req_gln.to_owned()))
}

async fn answer_partner(
    state: Arc<AppState>,
    parts: Parts,
    request: PartnerRequest,
) -> Result<Response, Problem> {
    let (caller, req_gln) = requester(&state, &parts.headers, request.req_gln.as_deref())?;
    if let Some(link_type) = request.link_type.as_deref()
        && !matches!(
            link_type,
            "verificationService"
                | "gs1:verificationService"
                | "https://gs1.org/voc/verificationService"
        )
    {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            format!("linkType {link_type:?}: this service answers verificationService"),
        ));
    }
    let context = match request.context.as_deref() {
        None | Some("") => Context::Verify,
        Some("dscsaSaleableReturn") => Context::SaleableReturn,
        Some(other) => {
            return Err(Problem::new(
                ExceptionKind::QueryParameter,
                format!("context {other:?}: this service answers dscsaSaleableReturn"),
            ));
        }
    };
    if let Some(corr) = request.corr_uuid.as_deref()
        && (corr.len() > 64 || !corr.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            "corrUUID must be a UUID (at most 64 letters, digits and dashes)",
        ));
    }
    let tuple = request.tuple.map_err(bad_code)?;
    let now = (state.clock)();
    let key = tuple.key();
    verifier(&state)
        .admit(Some(&caller.key_id), client_address(&state, &parts), &key, now.unix_millis)
        .map_err(throttled)?;
    let corr_uuid = request.corr_uuid.unwrap_or_else(new_uuid);
    let worker = state.clone();
    let gln = req_gln.clone();
    let (checked, alerts) = blocking(move || {
        let v = verifier(&worker);
        let store = worker.store.as_ref();
        let checked = v.check(store, &tuple, now)?;
        let alerts = partner_sighting(v, store, &tuple, &checked, &gln, context, now)?;
        Ok((checked, alerts))
    })
    .await?;
    raise(&state, alerts, Some(req_gln), now);
    let v = verifier(&state);
    v.count_partner(checked.verdict.verified);
    let mut data = json!({ "verified": checked.verdict.verified });
    if let Some(reason) = checked.verdict.failure {
        data["verificationFailureReason"] = reason.name().into();
    }
    if let Some(info) = &checked.verdict.additional_info {
        data["additionalInfo"] = info.as_str().into();
    }
    let body = json!({
        "verificationTimestamp": now.to_utc_millis_string(),
        "responderGLN": v.config.responder_gln,
        "corrUUID": corr_uuid,
        "data": data,
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /verify/gtin/{gtin}/lot/{lot}/ser/{serial}?exp=YYMMDD&reqGLN=&corrUUID=&context=`.
pub(crate) async fn vrs(
    State(state): State<Arc<AppState>>,
    Path((gtin, lot, serial)): Path<(String, String, String)>,
    parts: Parts,
) -> Result<Response, Problem> {
    let mut q = query_map(&parts);
    let exp = q.remove("exp").unwrap_or_default();
    let request = PartnerRequest {
        tuple: Tuple::from_parts(&gtin, &lot, &serial, &exp),
        req_gln: q.remove("reqGLN"),
        corr_uuid: q.remove("corrUUID"),
        context: q.remove("context"),
        link_type: q.remove("linkType"),
    };
    answer_partner(state, parts, request).await
}

/// `GET /checkConnectivity?gtin=&reqGLN=&context=` (also under `/verify/`): 200 for a
/// permitted requester, 401 for an unknown one, 403 for one not permitted.
pub(crate) async fn check_connectivity(
    State(state): State<Arc<AppState>>,
    parts: Parts,
) -> Result<Response, Problem> {
    let q = query_map(&parts);
    let (_, req_gln) = requester(&state, &parts.headers, q.get("reqGLN").map(String::as_str))?;
    if let Some(gtin) = q.get("gtin")
        && serialhub_gs1::Gtin::parse(gtin).is_err()
    {
        return Err(Problem::new(
            ExceptionKind::QueryParameter,
            format!("gtin {gtin:?} is not a GTIN"),
        ));
    }
    let body = json!({ "responderGLN": verifier(&state).config.responder_gln, "reqGLN": req_gln, "connected": true });
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /api/requests/verify?code=...`: asks the manufacturer's verification service about a
/// pack (a saleable return being received here), through the look-up directory, and answers
/// the outcome (`answered`, `not_in_directory`, `timeout`...; always 200 once asked).
pub(crate) async fn request_remote(
    State(state): State<Arc<AppState>>,
    parts: Parts,
) -> Result<Response, Problem> {
    let caller = state.authorize(&parts.headers, &[Role::Verify])?;
    let q = query_map(&parts);
    let tuple = Tuple::from_code(q.get("code").map(String::as_str).unwrap_or_default())
        .map_err(bad_code)?;
    // Not configured is a deployment's choice, not a fault: nothing to ask here.
    let Some(requester) = state.requester.get().cloned() else {
        return Err(Problem::new(
            ExceptionKind::NoSuchResource,
            "no verification directory is configured ([verify.requester])",
        ));
    };
    // Other companies' services are asked in this hub's name: only its own people may (an
    // operator's key, or one bound to the hub's own GLN), never a trading partner's key.
    if caller.role != Role::Admin
        && caller.party.as_deref().is_some_and(|p| p != requester.our_gln())
    {
        return Err(Problem::new(
            ExceptionKind::Security,
            "verification requests go out in this hub's name: a trading partner's key may not make them",
        ));
    }
    let query = serialhub_verify::directory::Query::new(
        &tuple.gtin,
        &tuple.lot,
        &tuple.serial,
        &tuple.expiry,
        q.get("corrUUID").map(String::as_str),
    )
    .map_err(|e| Problem::new(ExceptionKind::QueryParameter, e))?;
    let now = (state.clock)();
    let v = verifier(&state);
    // Each request holds a blocking thread until its responder answers or times out: a
    // bounded number at once, so a hanging responder cannot starve the store's readers. Taken
    // before the guard's tokens, which a request refused here does not spend.
    let permit = v.remote_permits.try_acquire();
    let Ok(_permit) = permit else {
        return Err(Problem::new(
            ExceptionKind::TooManyRequests,
            "too many verification requests on their way: retry in a second",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")));
    };
    v.admit(Some(&caller.key_id), client_address(&state, &parts), &tuple.key(), now.unix_millis)
        .map_err(throttled)?;
    let outcome = blocking(move || Ok(requester.verify(&query, now.unix_millis))).await?;
    state.audit.record(
        &now.to_utc_millis_string(),
        "verification_request",
        outcome.result(),
        &[("key_id", caller.key_id.as_str().into()), ("gtin", tuple.gtin.as_str().into())],
    );
    // A returned pack its manufacturer does not verify must not go back into stock: an F8
    // exception for the workbench (quarantine, ask the manufacturer, escalate to F12).
    if let serialhub_verify::directory::Outcome::Answered { answer, responder, .. } = &outcome
        && !answer.verified
    {
        let reason = answer.failure_reason.map_or("No_reason_provided", |r| r.name());
        let finding = Alert {
            code: RETURN_NOT_VERIFIED,
            exception_type: serialhub_core::ExceptionType::VerificationFailure,
            // The pack with the lot and expiry as printed: another return of the same serial
            // with other values (a copy's) is a finding of its own.
            key: format!("https://id.gs1.org{}", tuple.link_path()),
            message: format!(
                "the manufacturer's service ({responder}) did not verify {} lot {} expiry {}: {reason}",
                tuple.key(),
                tuple.lot,
                tuple.expiry
            ),
            evidence: json!({ "identifier": tuple.key().as_str(), "answer": outcome.to_json() }),
        };
        raise(&state, vec![finding], answer.responder_gln.clone(), now);
    }
    Ok(json_response(StatusCode::OK, &outcome.to_json()))
}

/// The code of an F8 finding: a pack being returned that its manufacturer does not verify.
const RETURN_NOT_VERIFIED: &str = "return_not_verified";

// ---- The resolver and the consumer page ----

fn page_response(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `GET /check`: the consumer page with its form.
pub(crate) async fn page() -> Response {
    page_response(PAGE, "text/html; charset=utf-8", "no-cache")
}

/// `GET /assets/consumer.js`.
pub(crate) async fn script() -> Response {
    page_response(SCRIPT, "text/javascript; charset=utf-8", "public, max-age=3600")
}

/// `GET /assets/consumer.css`.
pub(crate) async fn style() -> Response {
    page_response(STYLE, "text/css; charset=utf-8", "public, max-age=3600")
}

/// The request's Digital Link as a link: its path and its query less `linkType` (the expiry
/// and other attributes kept, so a link to the verification service can still verify).
fn request_link(parts: &Parts) -> String {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "linkType")
            .collect();
    if pairs.is_empty() {
        return parts.uri.path().to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{}?{query}", parts.uri.path())
}

/// The link types every product has here.
fn links(state: &AppState, gtin: &str, path: &str) -> Vec<(String, String, String)> {
    let mut out = vec![
        (
            "gs1:verificationService".to_owned(),
            format!(
                "{path}{}linkType=gs1:verificationService",
                if path.contains('?') { '&' } else { '?' }
            ),
            "Verify this pack (trading partners)".to_owned(),
        ),
        ("gs1:defaultLink".to_owned(), path.to_owned(), "Is this pack genuine?".to_owned()),
    ];
    for link in &verifier(state).config.links {
        if gtin.starts_with(&link.gtin_prefix) {
            out.push((link.link_type.clone(), link.href.clone(), link.title.clone()));
            if link.default {
                out[1] = ("gs1:defaultLink".to_owned(), link.href.clone(), link.title.clone());
            }
        }
    }
    out
}

fn linkset(state: &AppState, gtin: &str, path: &str) -> Response {
    let mut set = serde_json::Map::new();
    set.insert("anchor".to_owned(), path.into());
    for (link_type, href, title) in links(state, gtin, path) {
        let name = link_type
            .strip_prefix("gs1:")
            .map_or(link_type.clone(), |t| format!("https://gs1.org/voc/{t}"));
        let entry = set.entry(name).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(json!({ "href": href, "title": title }));
        }
    }
    let mut response = json_response(StatusCode::OK, &json!({ "linkset": [Value::Object(set)] }));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/linkset+json"));
    response
}

/// `GET /01/{...}`: the Digital Link resolver. `linkType=gs1:verificationService` is the
/// LVM responder; `linkType=all` (or asking for `application/linkset+json`) the link set; a
/// configured link type redirects to it; no link type serves the default link (the consumer
/// page, unless a configured default redirects elsewhere).
pub(crate) async fn resolve(
    State(state): State<Arc<AppState>>,
    parts: Parts,
) -> Result<Response, Problem> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    if path.len() > serialhub_verify::tuple::CODE_LEN_MAX {
        return Err(Problem::new(ExceptionKind::UriTooLong, "the Digital Link is over 1024 bytes"));
    }
    let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let stem = serialhub_gs1::digital_link::DEFAULT_STEM;
    let data =
        match serialhub_gs1::parse(&format!("{stem}{path}"), &serialhub_gs1::Options::default()) {
            Ok((data, _)) => data,
            // A person whose phone read a damaged or mistyped link gets the page, which asks the
            // check API and explains what is wrong; a program gets the problem.
            Err(_) if accept.contains("text/html") => {
                return Ok(page_response(PAGE, "text/html; charset=utf-8", "no-cache"));
            }
            Err(e) => {
                return Err(Problem::new(
                    ExceptionKind::QueryParameter,
                    format!("not a GS1 Digital Link: {e}"),
                ));
            }
        };
    let gtin = data.get("01").unwrap_or_default().to_owned();
    let mut q = query_map(&parts);
    let link_type = q.remove("linkType");
    match link_type.as_deref() {
        Some(
            "verificationService"
            | "gs1:verificationService"
            | "https://gs1.org/voc/verificationService",
        ) => {
            let request = PartnerRequest {
                tuple: Tuple::from_code(&path),
                req_gln: q.remove("reqGLN"),
                corr_uuid: q.remove("corrUUID"),
                context: q.remove("context"),
                link_type: None,
            };
            answer_partner(state, parts, request).await
        }
        Some("all" | "linkset") => Ok(linkset(&state, &gtin, &request_link(&parts))),
        None if accept.contains("application/linkset+json") => {
            Ok(linkset(&state, &gtin, &request_link(&parts)))
        }
        Some(wanted) => {
            let found = links(&state, &gtin, &request_link(&parts))
                .into_iter()
                .find(|(t, _, _)| t == wanted || t.strip_prefix("gs1:") == Some(wanted));
            match found {
                Some((_, href, _)) if href != request_link(&parts) => Ok(redirect(&href)),
                Some(_) => Ok(page_response(PAGE, "text/html; charset=utf-8", "no-cache")),
                None => Err(Problem::new(
                    ExceptionKind::NoSuchResource,
                    format!("no link of type {wanted} for GTIN {gtin}; linkType=all lists them"),
                )),
            }
        }
        None => {
            let default = verifier(&state)
                .config
                .links
                .iter()
                .find(|l| l.default && gtin.starts_with(&l.gtin_prefix))
                .map(|l| l.href.clone());
            let mut response = match default {
                Some(href) => redirect(&href),
                None => page_response(PAGE, "text/html; charset=utf-8", "no-cache"),
            };
            let linkset = format!(
                "<{}?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\"",
                parts.uri.path()
            );
            if let Ok(value) = HeaderValue::from_str(&linkset) {
                response.headers_mut().insert(header::LINK, value);
            }
            Ok(response)
        }
    }
}

fn redirect(href: &str) -> Response {
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(value) = HeaderValue::from_str(href) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `GET /api/consumer/check?code=`: the consumer page's question, public. Every answer has
/// the same fields; a mismatch of any value is `unknown`.
pub(crate) async fn consumer_check(
    State(state): State<Arc<AppState>>,
    parts: Parts,
) -> Result<Response, Problem> {
    let q = query_map(&parts);
    let code = q.get("code").map(String::as_str).unwrap_or_default();
    let tuple = Tuple::from_code(code).map_err(bad_code)?;
    let now = (state.clock)();
    let key = tuple.key();
    let address = client_address(&state, &parts);
    verifier(&state).admit(None, address, &key, now.unix_millis).map_err(throttled)?;
    let market = verifier(&state)
        .config
        .market_header
        .as_deref()
        .and_then(|h| parts.headers.get(h))
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_uppercase())
        .filter(|v| v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()));
    // A keyed pseudonym of the connection (its address as the guard counts it), never the
    // address.
    let device = address.map(|a| verifier(&state).device_of(a));
    let worker = state.clone();
    let tuple_for_check = tuple.clone();
    let (checked, product, alerts) = blocking(move || {
        let v = verifier(&worker);
        let store = worker.store.as_ref();
        let checked = v.check(store, &tuple_for_check, now)?;
        let catalog = v.catalog(store, now.unix_millis)?;
        let mut alerts = Vec::new();
        let mut product = Value::Null;
        if checked.verdict.verified {
            if let Some(p) = catalog.product(&tuple_for_check.gtin) {
                product = json!({ "name": p.name, "form": p.form, "strength": p.strength });
            }
            let facts = v.pack_facts(store, &tuple_for_check, &checked, &catalog, None, false)?;
            let seen = Observation {
                key: key.as_str(),
                at_ms: now.unix_millis,
                channel: Channel::Public,
                context: Context::Verify,
                place: None,
                device: device.as_deref(),
                market: market.as_deref(),
            };
            alerts = v.observe(&seen, &facts);
        }
        Ok((checked, product, alerts))
    })
    .await?;
    raise(&state, alerts, None, now);
    let status = checked.verdict.consumer;
    verifier(&state).count_consumer(status);
    let year = now.to_utc_millis_string()[..4].parse::<i64>().unwrap_or(2000);
    let body = json!({
        "status": status.name(),
        "checkedAt": now.to_utc_millis_string(),
        "code": { "gtin": tuple.gtin, "serial": tuple.serial, "lot": tuple.lot, "expiry": tuple.expiry_date(year) },
        "product": if status == ConsumerStatus::Unknown { Value::Null } else { product },
        "link": tuple.link_path(),
    });
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

// ---- Pharmacy and wholesaler operations ----

async fn read_json(body: Body) -> Result<Value, Problem> {
    let bytes = axum::body::to_bytes(body, BODY_MAX).await.map_err(|_| {
        Problem::new(
            ExceptionKind::CaptureLimitExceeded,
            format!("the body is over {BODY_MAX} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Problem::new(ExceptionKind::Validation, format!("the body is not JSON: {e}")))
}

/// What a professional sees of a pack: the decision, its status, what may be done with it.
fn pack_json(tuple: &Tuple, checked: &Checked, now: Timestamp) -> Value {
    let verdict = &checked.verdict;
    // A pack that does not verify shows nothing of its state: only the standard's reason.
    let shown = checked.effective.as_ref().filter(|_| verdict.verified);
    let status = shown.map(|e| e.status.name());
    let undo_until = shown.and_then(|e| e.undo.as_ref()).map(|u| {
        Timestamp {
            unix_millis: u.decommissioned_time.unix_millis + UNDO_WINDOW_MS,
            has_offset: true,
        }
        .to_utc_millis_string()
    });
    json!({
        "verified": verdict.verified,
        "verificationFailureReason": verdict.failure.map(|f| f.name()),
        "additionalInfo": verdict.additional_info,
        "status": status,
        "consumerStatus": verdict.consumer.name(),
        "canDispense": dispense_refusal(checked).is_none(),
        "undoUntil": undo_until,
        "identifier": tuple.key().as_str(),
        "checkedAt": now.to_utc_millis_string(),
    })
}

/// Why a pack may not be dispensed (or decommissioned), if it may not.
fn dispense_refusal(checked: &Checked) -> Option<(&'static str, String)> {
    let v = &checked.verdict;
    if !v.verified {
        let reason = v.failure.map_or("No_reason_provided", |f| f.name());
        return Some((
            "not_verified",
            format!("the pack does not verify ({reason}): quarantine it and report it"),
        ));
    }
    match v.consumer {
        ConsumerStatus::Recalled => Some((
            "recalled",
            format!(
                "its batch is {}: do not supply it",
                v.additional_info.as_deref().unwrap_or("recalled")
            ),
        )),
        ConsumerStatus::Dispensed => {
            Some(("already_dispensed", "it was dispensed already".to_owned()))
        }
        ConsumerStatus::Inactive => Some((
            "inactive",
            format!("it is {}", v.additional_info.as_deref().unwrap_or("decommissioned")),
        )),
        ConsumerStatus::Expired => Some(("expired", "it is past its expiry date".to_owned())),
        _ => None,
    }
}

/// The location a partner acts at: the body's `location`, else its party's GLN.
fn location_of(body: &Value, caller: &Caller) -> Result<String, Problem> {
    if let Some(location) = body.get("location").and_then(Value::as_str) {
        let canonical = serialhub_epcis::canonical_id(location);
        if !canonical.starts_with("https://id.gs1.org/414/") {
            return Err(Problem::new(
                ExceptionKind::Validation,
                format!(
                    "location {location:?} is not a GLN-based location (SGLN or Digital Link with AI 414)"
                ),
            ));
        }
        if let Some(party) = &caller.party
            && !serialhub_epcis::query::names_party(location, party)
        {
            return Err(Problem::new(
                ExceptionKind::Security,
                format!("location {location} is not a site of this partner ({party})"),
            ));
        }
        return Ok(canonical.into_owned());
    }
    match &caller.party {
        Some(gln) => Ok(format!("https://id.gs1.org/414/{gln}")),
        None => Err(Problem::new(
            ExceptionKind::Validation,
            "location is required for a key bound to no partner",
        )),
    }
}

/// `POST /api/packs/{operation}` with `{"code": ..., "location"?: ..., "reason"?: ...}`:
/// `verify`, `dispense`, `undo` (within 10 days at the same location), `decommission`
/// (`reason`: an EU FMD reason).
pub(crate) async fn pack_operation(
    State(state): State<Arc<AppState>>,
    Path(operation): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, Problem> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let caller = state.authorize(headers, &[Role::Verify])?;
    if !matches!(operation.as_str(), "verify" | "dispense" | "undo" | "decommission") {
        return Err(Problem::new(
            ExceptionKind::NoSuchResource,
            format!("no pack operation {operation:?} (verify, dispense, undo, decommission)"),
        ));
    }
    let body = read_json(body).await?;
    let code = body.get("code").and_then(Value::as_str).ok_or_else(|| {
        Problem::new(ExceptionKind::Validation, "code is required: the pack's code in any GS1 form")
    })?;
    let tuple = Tuple::from_code(code).map_err(bad_code)?;
    let now = (state.clock)();
    let key = tuple.key();
    // Checked before the guard: a request refused for its site spends no token.
    let location = match location_of(&body, &caller) {
        Ok(location) => location,
        // An operator verifying from no site of its own.
        Err(_) if operation == "verify" && body.get("location").is_none() => String::new(),
        Err(problem) => return Err(problem),
    };
    verifier(&state)
        .admit(Some(&caller.key_id), client_address(&state, &parts), &key, now.unix_millis)
        .map_err(throttled)?;
    // The site's GLN: where the detector counts this sighting.
    let site = serialhub_gs1::parse(&location, &serialhub_gs1::Options::default())
        .ok()
        .and_then(|(data, _)| data.get("414").map(str::to_owned))
        .unwrap_or_default();
    let worker = state.clone();
    let t = tuple.clone();
    let watched = matches!(operation.as_str(), "verify" | "dispense");
    let context = if operation == "dispense" { Context::Dispense } else { Context::Verify };
    let (checked, alerts) = blocking(move || {
        let v = verifier(&worker);
        let store = worker.store.as_ref();
        let checked = v.check(store, &t, now)?;
        let alerts = if watched {
            partner_sighting(v, store, &t, &checked, &site, context, now)?
        } else {
            Vec::new()
        };
        Ok((checked, alerts))
    })
    .await?;
    raise(&state, alerts, caller.party.clone(), now);
    if operation == "verify" {
        verifier(&state).count_partner(checked.verdict.verified);
        return Ok(json_response(StatusCode::OK, &pack_json(&tuple, &checked, now)));
    }
    let (biz_step, disposition) = match operation.as_str() {
        "dispense" => {
            if let Some((code, why)) = dispense_refusal(&checked) {
                return Err(Problem::new(
                    ExceptionKind::StateConflict,
                    format!("{code}: {} cannot be dispensed: {why}", key),
                ));
            }
            ("dispensing", "dispensed".to_owned())
        }
        "decommission" => {
            let reason = body.get("reason").and_then(Value::as_str).unwrap_or_default();
            let Some(reason) = DecommissionReason::from_name(reason).filter(|r| {
                !matches!(r, DecommissionReason::Unspecified | DecommissionReason::Transformed)
            }) else {
                return Err(Problem::new(
                    ExceptionKind::Validation,
                    "reason must be one of destroyed, stolen, sample, free_sample, exported, locked, checked_out",
                ));
            };
            if let Some((code, why)) =
                dispense_refusal(&checked).filter(|(c, _)| *c != "expired" && *c != "recalled")
            {
                return Err(Problem::new(
                    ExceptionKind::StateConflict,
                    format!("{code}: {key} cannot be decommissioned: {why}"),
                ));
            }
            let disposition = match reason {
                DecommissionReason::Destroyed => "destroyed".to_owned(),
                DecommissionReason::Stolen => "stolen".to_owned(),
                other => format!("https://serialhub.org/voc/disp/{}", other.name()),
            };
            ("decommissioning", disposition)
        }
        _ => {
            if let Some(why) = undo_refusal(&checked, &location, now) {
                return Err(Problem::new(
                    ExceptionKind::StateConflict,
                    format!("{key} cannot be put back: {why}"),
                ));
            }
            ("inspecting", "active".to_owned())
        }
    };
    let event = json!({
        "type": "ObjectEvent",
        "eventTime": now.to_utc_millis_string(),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [key.as_str()],
        "action": "OBSERVE",
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": { "id": location },
        "bizLocation": { "id": location },
    });
    let document = json!({
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": now.to_utc_millis_string(),
        "epcisBody": { "eventList": [event] },
    })
    .to_string();
    let party = caller.party.clone();
    let ingested = blocking(move || {
        crate::ingest::ingest(document.as_bytes(), 1, now, party.as_deref())
            .map_err(|_| Problem::internal("the operation's event did not validate"))
    })
    .await?;
    let Some(record) = ingested.records.into_iter().next() else {
        return Err(Problem::internal("the operation's event did not validate"));
    };
    let event_id = record.hash_id.clone();
    let receipt = state
        .jobs
        .submit_and_wait(&caller.key_id, record)
        .map_err(|_| {
            Problem::new(
                ExceptionKind::Unavailable,
                "the capture queue is full or shutting down; try again",
            )
        })?
        .await
        .map_err(|_| Problem::internal("the capture thread ended"))?
        .map_err(Problem::from)?;
    state.audit.record(
        &now.to_utc_millis_string(),
        "pack_operation",
        &operation,
        &[
            ("key_id", caller.key_id.as_str().into()),
            ("identifier", key.as_str().into()),
            ("event_id", event_id.as_str().into()),
        ],
    );
    let worker = state.clone();
    let after = blocking(move || {
        Ok(verifier(&worker)
            .check(worker.store.as_ref(), &tuple, now)
            .map(|c| pack_json(&tuple, &c, now))?)
    })
    .await?;
    if receipt.exceptions > 0 {
        // Another operation on the pack came first (two counters at once): the event is
        // recorded with its exceptions, and the caller must not hand the pack over.
        return Err(Problem::new(
            ExceptionKind::StateConflict,
            format!(
                "{operation} of {key} was recorded, but the ledger raised {} exception(s) on event {event_id} (see /ledger/exceptions): the pack's state changed meanwhile",
                receipt.exceptions
            ),
        ));
    }
    let body =
        json!({ "operation": operation, "eventID": event_id, "exceptions": 0, "pack": after });
    Ok(json_response(StatusCode::OK, &body))
}

/// Why EU FMD refuses to put the pack back into stock, if it does: only a dispensed or
/// decommissioned pack (not stolen or destroyed), within 10 days, at the same location, and
/// never a pack of a recalled or withdrawn batch or an expired one.
fn undo_refusal(checked: &Checked, location: &str, now: Timestamp) -> Option<String> {
    if !checked.verdict.verified {
        return Some("the pack does not verify".to_owned());
    }
    let Some(effective) = checked.effective.as_ref() else {
        return Some("the pack is unknown".to_owned());
    };
    let today = now.to_utc_millis_string();
    if checked.record.as_ref().and_then(|r| r.expiry.as_deref()).is_some_and(|e| e < &today[..10]) {
        return Some("it is expired, and batch-level states are never undone".to_owned());
    }
    match effective.status {
        Status::Dispensed | Status::Decommissioned(_) => {}
        other => return Some(format!("it is {}, not dispensed or decommissioned", other.name())),
    }
    if let Some(info) = checked
        .verdict
        .additional_info
        .as_deref()
        .filter(|i| matches!(*i, "recalled" | "withdrawn" | "expired"))
    {
        return Some(format!("it is {info}, and batch-level states are never undone"));
    }
    let Some(undo) = effective.undo.as_ref() else {
        return Some(format!("it is {}, which is never undone", effective.status.name()));
    };
    if undo.location.as_deref().map(serialhub_epcis::canonical_id).as_deref() != Some(location) {
        return Some(format!(
            "it was {} at {}, and an undo must happen there",
            effective.status.name(),
            undo.location.as_deref().unwrap_or("an unknown location")
        ));
    }
    let locked = effective.status == Status::Decommissioned(DecommissionReason::Locked);
    if !locked && now.unix_millis - undo.decommissioned_time.unix_millis > UNDO_WINDOW_MS {
        return Some(format!(
            "it was {} on {}, more than 10 days ago",
            effective.status.name(),
            undo.decommissioned_time.to_utc_millis_string()
        ));
    }
    None
}
