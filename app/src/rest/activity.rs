//! `GET /api/v1/activity`: the tenant's activity log as the tab shows it,
//! newest first, 25 a page, filtered by section and kind.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{caller::Caller, problem::Problem};
use crate::{
    activity::{log, ActivityKind},
    domain::EndpointKind,
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    page: Option<String>,
    section: Option<String>,
    kind: Option<String>,
}

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
    let page = match query
        .page
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => 1,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .unwrap_or_else(|| {
                errors.push(json!({"field": "page", "message": "Use a page number from 1."}));
                1
            }),
    };
    let section = match query.section.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => EndpointKind::parse(text).or_else(|| {
            errors.push(json!({"field": "section", "message": "Use cdr or extension."}));
            None
        }),
    };
    let kind = match query.kind.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => ActivityKind::parse(text).or_else(|| {
            let kinds: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
            errors.push(
                json!({"field": "kind", "message": format!("Use one of {}.", kinds.join(", "))}),
            );
            None
        }),
    };
    if !errors.is_empty() {
        return Err(Problem {
            errors,
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid filters",
                "Correct the parameters listed in `errors`.",
            )
        });
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
    Ok(Json(json!({
        "entries": found.entries,
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
    }))
    .into_response())
}
