//! `/api/tenant`, as PortSIP's REST API shapes it: `cdr_event` and
//! `extension_event`, each `enabled`, `auth` (`DISABLE` | `BASIC` |
//! `DIGEST` | `BEARER`), `username`, `password`, `token`, `url`. A script
//! written for PortSIP works unchanged for these fields, with one
//! difference: `password` and `token` are never returned.
//!
//! A `POST` changes the objects it carries, and in them the fields it
//! carries (the rest stay as saved); it carries no version (PortSIP's
//! scripts send none), so it applies to the sections as they are. Both
//! objects are saved in one transaction, or neither: a mistake in one, or
//! a change someone made in the instant since they were read (409), saves
//! nothing.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    caller::Caller,
    event_url::{read_json, sections, ApiAuth, SectionIn},
    problem::{Problem, ProblemDoc},
};
use crate::{
    domain::EndpointKind,
    event_url::{service, EndpointView},
    state::AppState,
};

/// PortSIP's `cdr_event` / `extension_event` object as returned (never
/// with `password` or `token`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"enabled": true, "auth": "BASIC", "username": "pbx", "url": "https://crm.example.com/portsip/cdr"}))]
pub struct PortsipEventOut {
    pub enabled: bool,
    pub auth: ApiAuth,
    pub username: String,
    pub url: String,
}

impl From<&EndpointView> for PortsipEventOut {
    fn from(view: &EndpointView) -> Self {
        Self {
            enabled: view.enabled,
            auth: view.auth_method.into(),
            username: view.username.clone(),
            url: view.url.clone(),
        }
    }
}

/// The tenant's event URL fields, as PortSIP's tenant object names them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "cdr_event": {"enabled": true, "auth": "BASIC", "username": "pbx", "url": "https://crm.example.com/portsip/cdr"},
    "extension_event": {"enabled": false, "auth": "DISABLE", "username": "", "url": ""}
}))]
pub struct TenantOut {
    pub cdr_event: PortsipEventOut,
    pub extension_event: PortsipEventOut,
}

fn body_of(cdr: &EndpointView, extension: &EndpointView) -> Response {
    Json(TenantOut {
        cdr_event: cdr.into(),
        extension_event: extension.into(),
    })
    .into_response()
}

/// PortSIP's tenant fields `cdr_event` and `extension_event`.
#[utoipa::path(
    get,
    path = "/api/tenant",
    operation_id = "getTenant",
    tag = "portsip",
    responses((status = 200, description = "The two objects (never a password or token).", body = TenantOut))
)]
pub async fn read(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let [cdr, extension] = sections(&state, &caller).await?;
    Ok(body_of(&cdr, &extension))
}

/// PortSIP's tenant object: only the event URL fields are this product's;
/// any other field of PortSIP's tenant is refused by name, not ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "cdr_event": {"enabled": true, "auth": "BASIC", "username": "pbx", "password": "s3cr3t", "url": "https://crm.example.com/portsip/cdr"}
}))]
pub struct TenantIn {
    /// Changes to the CDR section (fields left out keep their values).
    cdr_event: Option<SectionIn>,
    /// Changes to the extension events section.
    extension_event: Option<SectionIn>,
}

/// Changes the objects sent, and in them the fields sent; answers as
/// `GET`. Both objects are checked before either is saved.
#[utoipa::path(
    post,
    path = "/api/tenant",
    operation_id = "updateTenant",
    tag = "portsip",
    request_body(content = TenantIn, description = "`cdr_event`, `extension_event` or both."),
    responses(
        (status = 200, description = "Saved: the two objects as they are now.", body = TenantOut),
        (status = 409, description = "Someone changed these settings while this request was being saved.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid settings (`errors` names `cdr_event.url` etc.), or neither object sent.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let sent: TenantIn = read_json(&body)?;
    if sent.cdr_event.is_none() && sent.extension_event.is_none() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing to change",
            "Send cdr_event, extension_event or both.",
        ));
    }
    let [cdr, extension] = sections(&state, &caller).await?;
    let mut forms = Vec::new();
    let mut invalid = Vec::new();
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
        // Checked here to name the object a field is in; every object's
        // mistakes are told at once.
        if let Err(errors) = form.parse(&saved.saved()) {
            invalid.extend(Problem::invalid(&errors, prefix).errors);
        }
        forms.push(form);
    }
    if !invalid.is_empty() {
        return Err(Problem::invalid_fields(invalid));
    }
    // Both saved in one transaction, or neither; the answer is what was
    // saved (a section not sent, as it was read).
    let saved = service::save_sections(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.outbox,
        &admin,
        &forms,
    )
    .await
    .map_err(|e| changed_meanwhile(Problem::of(e, "")))?;
    let (mut cdr, mut extension) = (cdr, extension);
    for view in saved {
        match view.kind {
            EndpointKind::Cdr => cdr = view,
            EndpointKind::Extension => extension = view,
        }
    }
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
