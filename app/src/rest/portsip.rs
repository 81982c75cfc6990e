//! `/api/tenant`, as PortSIP's REST API shapes it: `cdr_event` and
//! `extension_event`, each `enabled`, `auth` (`DISABLE` | `BASIC` |
//! `DIGEST` | `BEARER`), `username`, `password`, `token`, `url`. A script
//! written for PortSIP works unchanged for these fields, with one
//! difference: `password` and `token` are never returned.
//!
//! A `POST` changes the objects it carries, and in them the fields it
//! carries (the rest stay as saved); it carries no version (PortSIP's
//! scripts send none), so it applies to the sections as they are. Both
//! objects are checked before either is saved: a mistake in one saves
//! neither. (Each is then saved in its own transaction: a change by
//! someone else in the instant between them is answered 409 after the
//! first was saved.)

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{
    caller::Caller,
    event_url::{auth_name, read_json, SectionIn},
    problem::Problem,
};
use crate::{
    domain::EndpointKind,
    event_url::{service, EndpointView},
    state::AppState,
};

fn portsip_object(view: &EndpointView) -> serde_json::Value {
    json!({
        "enabled": view.enabled,
        "auth": auth_name(view.auth_method),
        "username": view.username,
        "url": view.url,
    })
}

fn body_of(cdr: &EndpointView, extension: &EndpointView) -> Response {
    Json(json!({
        "cdr_event": portsip_object(cdr),
        "extension_event": portsip_object(extension),
    }))
    .into_response()
}

/// `GET /api/tenant`: the two objects.
pub async fn read(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let [cdr, extension] = service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))?;
    Ok(body_of(&cdr, &extension))
}

/// PortSIP's tenant object: only the event URL fields are this product's;
/// any other field of PortSIP's tenant is refused by name, not ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    cdr_event: Option<SectionIn>,
    extension_event: Option<SectionIn>,
}

/// `POST /api/tenant`: changes the objects sent; answers as `GET`.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.may_write()?;
    let sent: TenantIn = read_json(&body)?;
    if sent.cdr_event.is_none() && sent.extension_event.is_none() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing to change",
            "Send cdr_event, extension_event or both.",
        ));
    }
    let [cdr, extension] = service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))?;
    let mut forms = Vec::new();
    for (kind, object, saved, prefix) in [
        (EndpointKind::Cdr, &sent.cdr_event, &cdr, "cdr_event."),
        (
            EndpointKind::Extension,
            &sent.extension_event,
            &extension,
            "extension_event.",
        ),
    ] {
        let Some(object) = object else { continue };
        let form = object.to_form(kind, saved.version, Some(saved));
        // Checked now, both before either is saved.
        if let Err(errors) = form.parse(saved.stored_secret().as_ref()) {
            return Err(Problem::invalid(&errors, prefix));
        }
        forms.push((form, prefix));
    }
    for (form, prefix) in forms {
        service::save(
            &state.db,
            &state.writes,
            &state.cipher,
            &caller.admin,
            &form,
        )
        .await
        .map_err(|e| changed_meanwhile(Problem::of(e, prefix)))?;
    }
    let [cdr, extension] = service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))?;
    Ok(body_of(&cdr, &extension))
}

/// This endpoint carries no version: a section changed by someone else
/// between its read and its save is a conflict (409), not a failed
/// precondition the client never sent.
fn changed_meanwhile(problem: Problem) -> Problem {
    if problem.status != StatusCode::PRECONDITION_FAILED {
        return problem;
    }
    Problem::new(
        StatusCode::CONFLICT,
        "Changed meanwhile",
        "Someone changed these settings while this request was being saved; read them again (GET /api/tenant) and retry.",
    )
}
