//! `/api/v1/deliveries`: the Deliveries tab over HTTP: the tenant's
//! events newest first with the tab's filters and cursors, one event with
//! its body and attempts, and a redelivery.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{
    caller::Caller,
    problem::{FieldError, Problem, ProblemDoc},
};
use crate::{
    deliveries::{
        service::{self, RedeliveryForm},
        AttemptView, DeliveryFilters, DeliveryRow, ReplayView,
    },
    delivery::DeliveryCore,
    domain::{EndpointKind, EventState},
    state::AppState,
};

/// The Deliveries tab's filters and cursors.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this section's events.
    #[param(value_type = EndpointKind, required = false, example = "cdr")]
    section: Option<String>,
    /// Only events in this state.
    #[param(value_type = EventState, required = false, example = "given_up")]
    state: Option<String>,
    /// Only this PBX event type (`call_cdr`, `extension_status`, …).
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = String, required = false, min_length = 1, max_length = 64, example = "call_cdr")]
    event_type: Option<String>,
    /// Handed in at or after this time (RFC 3339; `YYYY-MM-DDTHH:MM` is
    /// read as UTC). Must be before `to`.
    #[param(value_type = String, required = false, format = DateTime, example = "2026-11-28T00:00:00Z")]
    from: Option<String>,
    /// Handed in before this time.
    #[param(value_type = String, required = false, format = DateTime, example = "2026-11-29T00:00:00Z")]
    to: Option<String>,
    /// Text to find: an event id, a call id, an extension number.
    #[param(value_type = String, required = false, min_length = 1, max_length = 128, example = "101")]
    q: Option<String>,
    /// A page's `older` cursor: the page after it.
    #[param(value_type = String, required = false, pattern = r"^-?[0-9]{1,19}\.[0-9]{1,18}$", example = "1764321243000000000.1812")]
    before: Option<String>,
    /// A page's `newer` cursor: the page before it.
    #[param(value_type = String, required = false, pattern = r"^-?[0-9]{1,19}\.[0-9]{1,18}$", example = "1764321243000000000.1813")]
    after: Option<String>,
}

/// A page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "events": [{
        "id": 1812,
        "uid": "6f1c2d0e-5b7a-4c1e-9a43-0d8e2f6b7c11",
        "created_at": "2026-11-28T09:14:03Z",
        "section": "cdr",
        "event_type": "call_cdr",
        "state": "delivered",
        "attempts": 1,
        "last_status": 200,
        "next_attempt_at": null
    }],
    "older": "1764321243000000000.1812",
    "newer": null
}))]
pub struct DeliveriesOut {
    pub events: Vec<DeliveryRow>,
    /// The `before` cursor of the next (older) page, if there is one.
    pub older: Option<String>,
    /// The `after` cursor of the previous (newer) page, unless this is
    /// the first.
    pub newer: Option<String>,
}

/// One event: its body as the PBX sent it and every attempt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "event": {
        "id": 1812,
        "uid": "6f1c2d0e-5b7a-4c1e-9a43-0d8e2f6b7c11",
        "created_at": "2026-11-28T09:14:03Z",
        "section": "cdr",
        "event_type": "call_cdr",
        "state": "delivered",
        "attempts": 1,
        "last_status": 200,
        "next_attempt_at": null
    },
    "body": {"event_type": "call_cdr", "call_id": "a84b4c76e66710", "caller": "101", "callee": "102"},
    "attempts": [{
        "attempted_at": "2026-11-28T09:14:03Z",
        "url": "https://crm.example.com/cdr",
        "auth_method": "bearer",
        "duration_ms": 41,
        "status": 200,
        "outcome": "delivered",
        "manual": false,
        "verdict": "Delivered",
        "error": null,
        "help": [],
        "request_headers": [["content-type", "application/json"], ["authorization", "Bearer ••••"]],
        "response_headers": [["content-type", "text/plain"]],
        "response_body": "ok",
        "response_truncated": false
    }],
    "redeliver_refused": null
}))]
pub struct DeliveryOut {
    pub event: DeliveryRow,
    /// The event's body as the PBX handed it in (JSON; as text if it
    /// cannot be read as JSON).
    pub body: Value,
    pub attempts: Vec<AttemptView>,
    /// Why it cannot be redelivered now, if it cannot.
    pub redeliver_refused: Option<String>,
}

/// A redelivery queued.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1812, "event_id": "6f1c2d0e-5b7a-4c1e-9a43-0d8e2f6b7c11", "queued": 1}))]
pub struct RedeliveredOut {
    pub id: i64,
    /// The PBX's `event_id`.
    pub event_id: Option<String>,
    /// How many events were queued again.
    pub queued: u64,
}

/// The tenant's events, newest first, 50 a page, with the Deliveries
/// tab's filters; `older` / `newer` are the cursors of the next pages.
#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    operation_id = "listDeliveries",
    tag = "deliveries",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of events.", body = DeliveriesOut),
        (status = 422, description = "A filter or cursor that is not one; `errors` names it.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::invalid_filters(vec![FieldError::new(
            "query",
            format!("{e}. The parameters are section, state, type, from, to, q, before and after."),
        )])
    })?;
    // A parameter given is read as given: empty is not "left out".
    let mut errors = Vec::new();
    for (name, given) in [
        ("section", &query.section),
        ("state", &query.state),
        ("type", &query.event_type),
        ("from", &query.from),
        ("to", &query.to),
        ("q", &query.q),
        ("before", &query.before),
        ("after", &query.after),
    ] {
        if given.as_deref().is_some_and(|text| text.trim().is_empty()) {
            errors.push(FieldError::new(
                name,
                "Give a value, or leave the parameter out.",
            ));
        }
    }
    for (name, cursor) in [("before", &query.before), ("after", &query.after)] {
        if cursor
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty() && !service::is_cursor(c))
        {
            errors.push(FieldError::new(
                name,
                "Use a cursor from a page's older or newer field.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_filters(errors));
    }
    let given = |value: Option<String>| value.unwrap_or_default();
    let filters = DeliveryFilters {
        section: given(query.section),
        state: given(query.state),
        event_type: given(query.event_type),
        from: given(query.from),
        to: given(query.to),
        q: given(query.q),
    };
    let page = service::list_page(
        &state,
        &caller.admin,
        filters,
        query.before.as_deref().unwrap_or_default(),
        query.after.as_deref().unwrap_or_default(),
        None,
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    if !page.filter_errors.is_empty() {
        return Err(Problem::invalid_filters(
            page.filter_errors
                .iter()
                .map(|message| FieldError::new("filters", message))
                .collect(),
        ));
    }
    Ok(Json(DeliveriesOut {
        events: page.rows,
        older: page.older,
        newer: page.newer,
    })
    .into_response())
}

fn event_id(text: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "No such event",
            format!("{text:?} is not an event id of your deliveries."),
        )
    })
}

/// One event, its body and every attempt.
#[utoipa::path(
    get,
    path = "/api/v1/deliveries/{id}",
    operation_id = "getDelivery",
    tag = "deliveries",
    params(("id" = i64, Path, description = "The event's `id` in a page of events.", example = 1812)),
    responses(
        (status = 200, description = "The event.", body = DeliveryOut),
        (status = 404, description = "No event of this tenant has this id.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = event_id(&id)?;
    let detail = service::event_page(&state, &caller.admin, id, false)
        .await
        .map_err(|e| Problem::of(e, ""))?;
    let body: Value = serde_json::from_str(&detail.body).unwrap_or(Value::String(detail.body));
    Ok(Json(DeliveryOut {
        event: detail.row,
        body,
        attempts: detail.attempts,
        redeliver_refused: detail.redeliver_refused,
    })
    .into_response())
}

/// One more attempt, marked manual, with the section's current settings.
#[utoipa::path(
    post,
    path = "/api/v1/deliveries/{id}/redeliver",
    operation_id = "redeliverEvent",
    tag = "deliveries",
    params(("id" = i64, Path, description = "The event's `id`.", example = 1812)),
    responses(
        (status = 202, description = "Queued: the next free worker sends it.", body = RedeliveredOut),
        (status = 404, description = "No event of this tenant has this id.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not now (e.g. its section has no URL or is paused); `detail` says why.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn redeliver(
    State(state): State<AppState>,
    State(delivery): State<DeliveryCore>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let id = event_id(&id)?;
    let form = RedeliveryForm {
        id: id.to_string(),
        ..RedeliveryForm::default()
    };
    let done = service::redeliver(&state, &delivery.wake, &admin, &form)
        .await
        .map_err(|e| Problem::of(e, ""))?;
    let uid = match done {
        service::Redone::Event { uid, .. } => Some(uid),
        service::Redone::Replay(_) => None,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(RedeliveredOut {
            id,
            event_id: uid,
            queued: 1,
        }),
    )
        .into_response())
}

/// What a replay is asked for: the list's filters.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "section": "cdr",
    "state": "given_up",
    "from": "2026-11-28T00:00:00Z",
    "to": "2026-11-29T00:00:00Z"
}))]
pub struct ReplayIn {
    /// `cdr` or `extension`.
    #[schema(value_type = EndpointKind)]
    pub section: String,
    /// `given_up` (the default), `filtered` or `skipped`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(given_up|filtered|skipped)$")]
    pub state: Option<String>,
    /// Handed in at or after (RFC 3339, or `YYYY-MM-DDTHH:MM` UTC); none:
    /// from the first. Must be before `to`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Handed in before; none: now.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
}

/// Replays a section's given-up, filtered or skipped events of a time
/// range as a job: each one new attempt, marked manual, oldest first, at
/// the section's limits. One replay per section at a time; at most
/// 100,000 events.
#[utoipa::path(
    post,
    path = "/api/v1/deliveries/redeliver",
    operation_id = "replayDeliveries",
    tag = "deliveries",
    request_body = ReplayIn,
    responses(
        (status = 202, description = "Started; `Location` is the replay, whose `GET` says how far it is.", body = ReplayView,
            headers(("Location" = String, description = "The replay: `/api/v1/replays/{id}`"))),
        (status = 400, description = "A filter that does not read (`detail` says which).", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "A replay of this section is still running; `detail` names it.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not now: the section is paused or has no URL, no event matches, or more than 100,000 do.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn replay(
    State(state): State<AppState>,
    State(delivery): State<DeliveryCore>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let body: ReplayIn = super::event_url::read_json(&body)?;
    let form = RedeliveryForm {
        section: body.section.clone(),
        state: body.state.clone().unwrap_or_default(),
        from: body.from.clone().unwrap_or_default(),
        to: body.to.clone().unwrap_or_default(),
        ..RedeliveryForm::default()
    };
    if EndpointKind::parse(&form.section).is_none() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "No such section",
            "`section` is `cdr` or `extension`.",
        ));
    }
    let done = service::redeliver(&state, &delivery.wake, &admin, &form)
        .await
        .map_err(|e| match e.into_app_error() {
            // Not a stale version: another replay of the section runs.
            crate::error::AppError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "A replay is running", detail)
            }
            other => Problem::of(other.into(), ""),
        })?;
    let service::Redone::Replay(replay) = done else {
        return Err(Problem::of(
            crate::error::ServiceError::Ours(anyhow::anyhow!("a replay became one event")),
            "",
        ));
    };
    let location = format!("/api/v1/replays/{}", replay.id);
    Ok((
        StatusCode::ACCEPTED,
        [(axum::http::header::LOCATION, location)],
        Json(replay),
    )
        .into_response())
}

/// A replay and how far it is: sent (delivered, failed) of its events,
/// and whether any is still waiting.
#[utoipa::path(
    get,
    path = "/api/v1/replays/{id}",
    operation_id = "getReplay",
    tag = "deliveries",
    params(("id" = i32, Path, description = "The replay's `id`.", example = 7)),
    responses(
        (status = 200, description = "The replay.", body = ReplayView),
        (status = 404, description = "No replay of this tenant has this id.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn replay_progress(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id: i32 = id.parse().map_err(|_| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "No such replay",
            format!("{id:?} is not a replay id of your company."),
        )
    })?;
    let replay = service::replay::progress(&state, &caller.admin, id)
        .await
        .map_err(|e| Problem::of(e, ""))?;
    Ok(Json(replay).into_response())
}
