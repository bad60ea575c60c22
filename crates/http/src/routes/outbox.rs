//! `GET /api/outbox`: the outbox's counts and its messages, filtered and paged (admin).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use serialhub_store::outbox::{MessageFilter, MessageStatus, StoredMessage};

use crate::AppState;
use crate::auth::Role;
use crate::problem::{ExceptionKind, Problem};
use crate::routes::ledger::blocking;
use crate::routes::{json_response, link_next, page_params, percent_encode};

fn message_json(m: &StoredMessage) -> Value {
    json!({
        "id": m.id,
        "connector": m.message.connector,
        "destination": m.message.destination,
        "idempotencyKey": m.message.idempotency_key,
        "orderingKey": m.message.ordering_key,
        "eventSeq": m.event_seq,
        "status": m.status.name(),
        "attempts": m.attempts,
        "createdAt": m.created_at.to_utc_millis_string(),
        "nextAttemptAt": m.next_attempt_at.to_utc_millis_string(),
        "leasedTo": m.lease.as_ref().map(|(owner, _)| owner),
        "lastError": m.last_error,
        "receipt": m.receipt,
        "settledAt": m.settled_at.map(|t| t.to_utc_millis_string()),
    })
}

/// `GET /api/outbox?status=&connector=&destination=&perPage=&nextPageToken=`: `pending`,
/// `delivered` and `failed` counts, and the messages passing the filters in id order.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    state.authorize(&headers, &[Role::Admin])?;
    let (per_page, token, rest) = page_params(raw.as_deref(), state.limits.page_len_max)?;
    let bad = |message: String| Problem::new(ExceptionKind::QueryParameter, message);
    let mut filter = MessageFilter { limit: per_page + 1, ..MessageFilter::default() };
    for (name, value) in &rest {
        match name.as_str() {
            "status" => {
                filter.status = Some(MessageStatus::from_name(value).ok_or_else(|| {
                    bad(format!("status: {value:?} is not pending, delivered or failed"))
                })?);
            }
            "connector" => filter.connector = Some(value.clone()),
            "destination" => filter.destination = Some(value.clone()),
            other => return Err(bad(format!("{other}: not a parameter of /api/outbox"))),
        }
    }
    if let Some(token) = &token {
        filter.after = Some(
            token
                .parse()
                .map_err(|_| bad("nextPageToken: not a token this server gave".to_owned()))?,
        );
    }
    let query = rest.clone();
    let (counts, mut messages) = blocking(&state, move |store| {
        Ok((store.outbox_counts()?, store.outbox_messages(&filter)?))
    })
    .await?;
    let more = messages.len() > per_page;
    messages.truncate(per_page);
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "pending": counts.pending,
            "delivered": counts.delivered,
            "failed": counts.failed,
            "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
        }),
    );
    if let (true, Some(last)) = (more, messages.last()) {
        let mut target: Vec<String> = query
            .iter()
            .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
            .collect();
        target.push(format!("perPage={per_page}"));
        target.push(format!("nextPageToken={}", last.id));
        link_next(&mut response, &format!("/api/outbox?{}", target.join("&")));
    }
    Ok(response)
}
