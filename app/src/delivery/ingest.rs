//! `POST /ingest/v1/tenants/{tenant_id}/events`: the PBX hands in one
//! PortSIP event object, or an array of up to `MAX_BATCH`, with
//! `Authorization: Bearer <ingest key>`. All are accepted or none; `202`
//! with their ids once they are durably committed. Errors are JSON
//! problem details (RFC 9457).

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{
    keys::{self, Admission},
    queue::{self, NewEvent},
    routing::section_of,
    search_terms,
    writer::Write,
    DeliveryCore,
};
use crate::{
    domain::{EndpointKind, EventState},
    state::AppState,
};

/// The route, for the router.
pub const PATH: &str = "/ingest/v1/tenants/{tenant_id}/events";
/// Largest body accepted: a full batch of PortSIP events of 2 KB each
/// (a CDR is about 1 KB), so that a batch is refused for its count, not
/// its bytes.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Most events in one request.
pub const MAX_BATCH: usize = 1000;
/// Longest `event_id` a PBX may give.
const MAX_EVENT_ID: usize = 128;

/// A refusal, answered as RFC 9457 problem details.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
    /// Seconds, for a 429's `Retry-After`.
    retry_after: Option<u64>,
}

fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        status,
        title,
        detail: detail.into(),
        retry_after: None,
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"eventurl ingest\""),
            );
        }
        response
    }
}

/// The answer to a body over `MAX_BODY_BYTES` (the router's limit).
pub fn too_large() -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Body too large",
        format!(
            "A request may carry at most {} MiB (and at most 1,000 events); send fewer events per request.",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    )
    .into_response()
}

pub async fn ingest(
    State(state): State<AppState>,
    State(delivery): State<DeliveryCore>,
    Path(tenant_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match accept(&state, &delivery, &tenant_id, &headers, &body).await {
        Ok(ids) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "ids": ids }).to_string(),
        )
            .into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn accept(
    state: &AppState,
    delivery: &DeliveryCore,
    tenant_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<String>, Problem> {
    let unauthorized = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "Ingest key required",
            "Send `Authorization: Bearer <ingest key>` with a live key (`eventurl ingest-key create`).",
        )
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    let ours = |e: anyhow::Error| {
        tracing::error!(error = format!("{e:#}"), "ingest failed");
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not accepted",
            "Nothing was stored; hand the events in again.",
        )
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "Unknown tenant",
            // The same words whether no tenant has the id or the key may not
            // post for it: a key learns nothing of other tenants.
            "No tenant this key may post for has this id (see `eventurl tenant list` and `eventurl ingest-key list`).",
        )
    };
    let parsed: Option<i32> = tenant_id.parse().ok();
    let (key_id, routes) = match keys::admit(&state.db, presented, parsed)
        .await
        .map_err(ours)?
    {
        Admission::NoKey => return Err(unauthorized()),
        Admission::NoTenant => return Err(not_found()),
        Admission::Admitted { key_id, routes } => (key_id, routes),
    };
    let tenant_id = parsed.ok_or_else(not_found)?;
    let events = parse(body)?;
    if let Err(wait) = delivery.ingest_limit.check(key_id, events.len()) {
        return Err(Problem {
            retry_after: Some(wait),
            ..problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many events",
                format!(
                    "This key may hand in {} events a second; nothing of this request was stored. Try again in {wait} seconds.",
                    delivery.ingest_limit.limit()
                ),
            )
        });
    }
    let ids: Vec<String> = events.iter().map(|e| e.uid.clone()).collect();
    let now = OffsetDateTime::now_utc();
    let rows = queue::prepare(&state.cipher, tenant_id, &routes, events, now).map_err(ours)?;
    let states: Vec<EventState> = rows.iter().map(|q| q.state).collect();
    let due: Vec<EndpointKind> = EndpointKind::ALL
        .into_iter()
        .filter(|kind| {
            rows.iter()
                .any(|q| q.section == *kind && q.state == EventState::Pending)
        })
        .collect();
    delivery
        .writer
        .write(Write::Enqueue { rows, key_id, now })
        .await
        .map_err(ours)?;
    for kind in due {
        delivery.wake.due((tenant_id, kind));
    }
    delivery
        .metrics
        .accepted(u64::try_from(ids.len()).unwrap_or(0));
    for queued in states {
        if queued != EventState::Pending {
            delivery.metrics.event(queued);
        }
    }
    Ok(ids)
}

/// One event object or an array of them, each with a known `event_type`.
fn parse(body: &[u8]) -> Result<Vec<NewEvent>, Problem> {
    let bad = |detail: String| problem(StatusCode::BAD_REQUEST, "Not a PortSIP event", detail);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("The body is not JSON: {e}.")))?;
    let (objects, batch) = match value {
        Value::Object(_) => (vec![value], false),
        Value::Array(items) => (items, true),
        _ => {
            return Err(bad(
                "Send one event object, or an array of event objects.".to_owned()
            ))
        }
    };
    if objects.len() > MAX_BATCH {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too many events",
            format!(
                "A request may carry at most 1,000 events; this one has {}. Send them in batches of 1,000 or fewer.",
                objects.len()
            ),
        ));
    }
    if objects.is_empty() {
        return Err(bad("The array holds no events.".to_owned()));
    }
    let mut events = Vec::with_capacity(objects.len());
    for (index, object) in objects.into_iter().enumerate() {
        let at = if batch {
            format!("Event {index}: ")
        } else {
            String::new()
        };
        let Value::Object(fields) = &object else {
            return Err(bad(format!("{at}not an object.")));
        };
        let Some(event_type) = fields.get("event_type").and_then(Value::as_str) else {
            return Err(bad(format!("{at}no `event_type` string.")));
        };
        let Some(section) = section_of(event_type) else {
            return Err(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown event type",
                format!("{at}`event_type` {event_type:?} is not a PortSIP event type eventurl delivers (CDR: call_cdr, call_start, call_update_info, cdr_target_*; extension: extension_*, queue_*)."),
            ));
        };
        let uid = match fields.get("event_id") {
            None => uuid::Uuid::new_v4().to_string(),
            Some(Value::String(id))
                if !id.is_empty()
                    && id.chars().count() <= MAX_EVENT_ID
                    && !id.chars().any(char::is_control) =>
            {
                id.clone()
            }
            Some(_) => {
                return Err(bad(format!(
                    "{at}`event_id` must be a string of 1 to {MAX_EVENT_ID} printable characters."
                )))
            }
        };
        events.push(NewEvent {
            terms: search_terms::of_event(fields),
            uid,
            section,
            event_type: event_type.to_owned(),
            // A single event is kept byte for byte as sent.
            body: if batch {
                serde_json::to_vec(&object).map_err(|e| bad(format!("{at}{e}")))?
            } else {
                body.trim_ascii().to_vec()
            },
        });
    }
    Ok(events)
}
