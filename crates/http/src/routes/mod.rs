//! The routes, one module per resource, and the small helpers they share.

mod capture;
pub(crate) mod events;
mod exceptions;
pub(crate) mod ledger;
mod ops;
mod outbox;
pub(crate) mod queries;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, options};

use crate::AppState;
use crate::problem::{ExceptionKind, Problem};

/// Every route.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/epcis", get(ops::root).options(ops::discover))
        .route("/epcis/", get(ops::root).options(ops::discover))
        .route("/epcis/openapi.json", get(ops::openapi))
        .route(
            "/epcis/capture",
            get(capture::list).post(capture::post).options(ops::discover_capture),
        )
        .route("/epcis/capture/{id}", get(capture::get).options(ops::discover))
        .route(
            "/epcis/events",
            get(events::query).post(capture::post_event).options(ops::discover_capture),
        )
        .route("/epcis/events/{id}", get(events::by_id).options(ops::discover))
        .route("/epcis/eventTypes", get(events::event_types).options(ops::discover))
        .route("/epcis/eventTypes/{value}", get(events::event_type).options(ops::discover))
        .route("/epcis/bizSteps", get(events::biz_steps).options(ops::discover))
        .route("/epcis/dispositions", get(events::dispositions).options(ops::discover))
        .route(
            "/epcis/eventTypes/{value}/events",
            get(events::by_event_type).options(ops::discover),
        )
        .route("/epcis/epcs", get(events::epcs).options(ops::discover))
        .route("/epcis/bizLocations", get(events::biz_locations).options(ops::discover))
        .route("/epcis/readPoints", get(events::read_points).options(ops::discover))
        .route("/epcis/epcs/{value}", get(events::epc).options(ops::discover))
        .route("/epcis/bizSteps/{value}", get(events::biz_step).options(ops::discover))
        .route("/epcis/bizLocations/{value}", get(events::biz_location).options(ops::discover))
        .route("/epcis/readPoints/{value}", get(events::read_point).options(ops::discover))
        .route("/epcis/dispositions/{value}", get(events::disposition).options(ops::discover))
        .route(
            "/epcis/nextPageToken/{token}",
            axum::routing::delete(events::release_token).options(ops::discover),
        )
        .route("/epcis/epcs/{value}/events", get(events::by_epc).options(ops::discover))
        .route("/epcis/bizSteps/{value}/events", get(events::by_biz_step).options(ops::discover))
        .route(
            "/epcis/bizLocations/{value}/events",
            get(events::by_biz_location).options(ops::discover),
        )
        .route(
            "/epcis/readPoints/{value}/events",
            get(events::by_read_point).options(ops::discover),
        )
        .route(
            "/epcis/dispositions/{value}/events",
            get(events::by_disposition).options(ops::discover),
        )
        .route(
            "/epcis/queries",
            get(queries::list).post(queries::create).options(ops::discover_capture),
        )
        .route(
            "/epcis/queries/{name}",
            get(queries::get).delete(queries::delete).options(ops::discover),
        )
        .route("/epcis/queries/{name}/events", get(queries::events).options(ops::discover))
        .route(
            "/epcis/queries/{name}/subscriptions",
            get(queries::subscriptions).post(queries::subscribe).options(ops::discover_capture),
        )
        .route(
            "/epcis/queries/{name}/subscriptions/{id}",
            get(queries::subscription).delete(queries::unsubscribe).options(ops::discover),
        )
        .route("/ledger/identifiers/{code}", get(ledger::identifier))
        .route("/ledger/identifiers/{code}/pedigree", get(ledger::identifier_pedigree))
        .route("/ledger/identifiers/{code}/contents", get(ledger::identifier_contents))
        .route("/ledger/exceptions", get(ledger::exceptions))
        .route("/ledger/exceptions/{id}", get(ledger::exception))
        .route("/api/outbox", get(outbox::list))
        .route("/api/exceptions", get(exceptions::list))
        .route("/api/exceptions/groups", get(exceptions::groups))
        .route("/api/exceptions/actions", axum::routing::post(exceptions::act_many))
        .route("/api/exceptions/groups/{group}/actions", axum::routing::post(exceptions::act_group))
        .route("/api/exceptions/{id}", get(exceptions::detail))
        .route("/api/exceptions/{id}/actions", axum::routing::post(exceptions::act_one))
        .route("/api/audit", get(exceptions::audit))
        .route("/api/cases", get(exceptions::cases).post(exceptions::open_case))
        .route("/api/cases/{id}", get(exceptions::case))
        .route("/api/cases/{id}/actions", axum::routing::post(exceptions::case_step))
        .route("/01/{*rest}", get(verify::resolve))
        .route("/verify/gtin/{gtin}/lot/{lot}/ser/{serial}", get(verify::vrs))
        .route("/checkConnectivity", get(verify::check_connectivity))
        .route("/verify/checkConnectivity", get(verify::check_connectivity))
        .route("/check", get(verify::page))
        .route("/assets/consumer.js", get(verify::script))
        .route("/assets/consumer.css", get(verify::style))
        .route("/api/consumer/check", get(verify::consumer_check))
        .route("/api/packs/{operation}", axum::routing::post(verify::pack_operation))
        .route("/api/requests/verify", get(verify::request_remote))
        .route("/{*rest}", options(ops::discover).fallback(ops::not_found))
        .fallback(ops::not_found)
}

/// A JSON body with its status.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Adds `Link: <target>; rel="next"` to a page's response (the binding's paging).
pub(crate) fn link_next(response: &mut Response, target: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("<{target}>; rel=\"next\"")) {
        response.headers_mut().insert(header::LINK, value);
    }
}

/// Bytes of a refused request's body read before answering.
const DRAIN_MAX: usize = 64 * 1024;

/// `problem`, after reading (and dropping) up to `DRAIN_MAX` bytes of the body the request is
/// refused without. A server that answers without reading the body closes the connection
/// after the answer, and a client still sending, or one reusing the connection for its next
/// request, meets a reset instead (seen in the black-box tests under load); a larger body is
/// cut off, as before.
pub(crate) async fn drained(body: axum::body::Body, problem: Problem) -> Problem {
    let _ = axum::body::to_bytes(body, DRAIN_MAX).await;
    problem
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for ids in paths.
pub(crate) fn percent_encode(text: &str) -> String {
    serialhub_verify::directory::percent_encode(text)
}

/// The largest query string read; a bound on parsing work (the binding's 414).
const QUERY_LEN_MAX: usize = 16 * 1024;

/// A request's paging parameters and the rest: `perPage`, `nextPageToken`, the others.
pub(crate) type Paging = (usize, Option<String>, Vec<(String, String)>);

/// Splits a query string into `perPage` (default 30, at most `page_len_max`), `nextPageToken`,
/// and the other parameters in order.
pub(crate) fn page_params(query: Option<&str>, page_len_max: usize) -> Result<Paging, Problem> {
    let query = query.unwrap_or_default();
    if query.len() > QUERY_LEN_MAX {
        return Err(Problem::new(
            ExceptionKind::UriTooLong,
            format!("the query string is {} bytes, over the limit of {QUERY_LEN_MAX}", query.len()),
        ));
    }
    let mut per_page = 30;
    let mut token = None;
    let mut rest = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "perPage" => {
                per_page = value.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    Problem::new(
                        ExceptionKind::QueryParameter,
                        format!("perPage: {value:?} is not a positive integer"),
                    )
                })?;
            }
            "nextPageToken" => token = Some(value.into_owned()),
            _ => rest.push((name.into_owned(), value.into_owned())),
        }
    }
    Ok((per_page.min(page_len_max), token, rest))
}
