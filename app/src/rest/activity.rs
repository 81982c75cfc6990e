//! `GET /api/v1/activity`: the tenant's activity log as the tab shows it,
//! newest first, 25 a page, filtered by section and kind.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    caller::Caller,
    problem::{FieldError, Problem, ProblemDoc},
};
use crate::{
    activity::{log, ActivityEntry, ActivityKind},
    domain::EndpointKind,
    state::AppState,
};

/// The Activity tab's filters and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// The page, from 1 (25 entries a page).
    #[param(value_type = i32, required = false, minimum = 1, example = 1)]
    page: Option<String>,
    /// Only this section's entries.
    #[param(value_type = EndpointKind, required = false, example = "cdr")]
    section: Option<String>,
    /// Only this kind of entry.
    #[param(value_type = ActivityKind, required = false, example = "endpoint_saved")]
    kind: Option<String>,
}

/// A page of the activity log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "entries": [{
        "id": 41,
        "occurred_at": "2026-11-28T09:14:03Z",
        "actor": "alice",
        "source_ip": "203.0.113.7",
        "kind": "endpoint_saved",
        "section": "cdr",
        "summary": "CDR Events saved",
        "changes": [{"field": "url", "old": "https://old.example.com/cdr", "new": "https://crm.example.com/cdr"}]
    }],
    "page": 1,
    "pages": 1,
    "total": 1
}))]
pub struct ActivityOut {
    pub entries: Vec<ActivityEntry>,
    /// 1-based.
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

/// The tenant's activity log as the Activity tab shows it.
#[utoipa::path(
    get,
    path = "/api/v1/activity",
    operation_id = "listActivity",
    tag = "activity",
    params(ActivityQuery),
    responses(
        (status = 200, description = "A page of entries, newest first.", body = ActivityOut),
        (status = 422, description = "A filter or page that is not one; `errors` names it.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ActivityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unknown parameters",
            format!("{e}. The parameters are page, section and kind."),
        )
    })?;
    let mut errors = Vec::new();
    // A parameter given is read as given: empty is not "left out".
    let page = match query.page.as_deref() {
        None => 1,
        Some(text) => text.parse::<i32>().ok().filter(|n| *n >= 1).map_or_else(
            || {
                errors.push(FieldError::new("page", "Use a page number from 1."));
                1
            },
            |n| n as u64,
        ),
    };
    let section = match query.section.as_deref() {
        None => None,
        Some(text) => EndpointKind::parse(text).or_else(|| {
            errors.push(FieldError::new("section", "Use cdr or extension."));
            None
        }),
    };
    let kind = match query.kind.as_deref() {
        None => None,
        Some(text) => ActivityKind::parse(text).or_else(|| {
            let kinds: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
            errors.push(FieldError::new(
                "kind",
                format!("Use one of {}.", kinds.join(", ")),
            ));
            None
        }),
    };
    if !errors.is_empty() {
        return Err(Problem::invalid_filters(errors));
    }
    let admin = &caller.admin;
    let found = log::page(
        &state.db,
        admin.tenant_id,
        &admin.tenant_name,
        &admin.username,
        page,
        section,
        kind,
    )
    .await
    .map_err(|e| Problem::of(e.into(), ""))?;
    Ok(Json(ActivityOut {
        entries: found.entries,
        page: found.page,
        pages: found.pages,
        total: found.total,
    })
    .into_response())
}
