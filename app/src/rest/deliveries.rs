//! `/api/v1/deliveries`: the Deliveries tab over HTTP: the tenant's
//! events newest first with the tab's filters and cursors, one event with
//! its body and attempts, and a redelivery.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{caller::Caller, problem::Problem};
use crate::{
    deliveries::{
        service::{self, RedeliveryForm},
        DeliveryFilters, RedeliveryTarget,
    },
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    section: String,
    #[serde(default)]
    state: String,
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
    /// A page's `older` cursor: the page after it.
    #[serde(default)]
    before: String,
    /// A page's `newer` cursor: the page before it.
    #[serde(default)]
    after: String,
}

fn invalid(errors: Vec<Value>) -> Problem {
    Problem {
        errors,
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid filters",
            "Correct the parameters listed in `errors`.",
        )
    }
}

/// `GET /api/v1/deliveries`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        invalid(vec![json!({"field": "query", "message": format!("{e}. The parameters are section, state, type, from, to, q, before and after.")})])
    })?;
    let mut errors = Vec::new();
    for (name, cursor) in [("before", &query.before), ("after", &query.after)] {
        if !cursor.is_empty() && !service::is_cursor(cursor) {
            errors.push(json!({"field": name, "message": "Use a cursor from a page's older or newer field."}));
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let filters = DeliveryFilters {
        section: query.section,
        state: query.state,
        event_type: query.event_type,
        from: query.from,
        to: query.to,
        q: query.q,
    };
    let page = service::list_page(
        &state,
        &caller.admin,
        filters,
        &query.before,
        &query.after,
        None,
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    if !page.filter_errors.is_empty() {
        return Err(invalid(
            page.filter_errors
                .iter()
                .map(|message| json!({"field": "filters", "message": message}))
                .collect(),
        ));
    }
    Ok(Json(json!({
        "events": page.rows,
        "older": page.older,
        "newer": page.newer,
    }))
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

/// `GET /api/v1/deliveries/{id}`: the event, its body and every attempt.
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
    Ok(Json(json!({
        "event": detail.row,
        "body": body,
        "attempts": detail.attempts,
        "redeliver_refused": detail.redeliver_refused,
    }))
    .into_response())
}

/// `POST /api/v1/deliveries/{id}/redeliver`: one more attempt, marked
/// manual, with the section's current settings (202: queued).
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.may_write()?;
    let id = event_id(&id)?;
    let form = RedeliveryForm {
        id: id.to_string(),
        ..RedeliveryForm::default()
    };
    let (target, count) = service::redeliver(&state, &caller.admin, &form)
        .await
        .map_err(|e| Problem::of(e, ""))?;
    let uid = match target {
        RedeliveryTarget::Event { uid, .. } => Some(uid),
        RedeliveryTarget::GivenUp { .. } => None,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "event_id": uid, "queued": count })),
    )
        .into_response())
}
