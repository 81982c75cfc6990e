//! `/api/v1/event-url`: the two sections as resources. A section's version
//! is its `ETag`; a replacement needs it in `If-Match` (428 without, 412
//! when someone changed the section since), as the tab's forms carry it.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    caller::Caller,
    problem::{FieldError, Problem, ProblemDoc},
};
use crate::{
    domain::{AuthMethod, EndpointForm, EndpointKind, HeaderInput, SavedHeader, SecretKind},
    event_url::{service, EndpointView},
    state::AppState,
    test_event::TestReport,
};

mod wire;
pub use wire::*;

/// The body as JSON: 400 when it is not JSON, 422 when it is not the
/// expected shape (a wrong type, an unknown field).
pub fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            // serde's words name a wrong value itself (it may be a
            // password): those are not echoed, only where it is.
            let text = e.to_string();
            let detail = if text.starts_with("invalid type") || text.starts_with("invalid value") {
                format!(
                    "A field has a value of the wrong type (line {}, column {}): `enabled` is true or false, the others are strings.",
                    e.line(),
                    e.column()
                )
            } else {
                format!("The body does not have the expected fields: {text}.")
            };
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Unexpected fields", detail)
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "Not JSON",
                format!("The body is not JSON: {e}."),
            )
        }
    })
}

/// The section in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SectionPath {
    /// `cdr` (CDR Events) or `extension` (Extension Events).
    #[param(value_type = EndpointKind, example = "cdr")]
    pub(super) section: String,
}

/// `If-Match` of a replacement (read by `if_match`; this type documents
/// it).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchRequired {
    /// The version being replaced: the section's `ETag` (`"7"`; a weak
    /// tag never matches), a list of them, or `*`.
    #[param(
        rename = "If-Match",
        pattern = r#"^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18})( *, *(W/)?("[0-9]{1,18}"|[0-9]{1,18}))*)$"#,
        example = "\"7\""
    )]
    if_match: String,
}

/// `If-Match` of a switch: optional.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchOptional {
    /// The version being switched, if the change must apply only to it.
    #[param(rename = "If-Match", value_type = String, required = false, pattern = r#"^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18})( *, *(W/)?("[0-9]{1,18}"|[0-9]{1,18}))*)$"#, example = "\"7\"")]
    if_match: Option<String>,
}

pub(super) fn section_of(name: &str) -> Result<EndpointKind, Problem> {
    EndpointKind::parse(name).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "No such section",
            format!("{name:?} is not a section: use cdr or extension."),
        )
    })
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(view: &EndpointView) -> Response {
    let mut response = Json(SectionOut::from(view)).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(view.version));
    response
}

/// The version a change is based on: `If-Match` (`"7"`, `W/"7"`, or `*`
/// for whatever is current, given as `current`).
fn if_match(headers: &HeaderMap, current: i64) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(Some(current));
    }
    let unreadable = || {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "Unreadable If-Match",
            format!("If-Match must be the section's ETag, e.g. \"{current}\"."),
        )
    };
    // A list of tags matches when one is the current version; a weak tag
    // never does (If-Match compares strongly, RFC 9110).
    let version_of = |tag: &str| {
        // Quoted as sent in ETag, or the bare number (what a hand-written
        // curl line often has).
        tag.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .or(Some(tag))
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(unreadable)
    };
    let mut based_on = None;
    for tag in text.split(',').map(str::trim) {
        if let Some(weak) = tag.strip_prefix("W/") {
            version_of(weak)?;
            continue;
        }
        let version = version_of(tag)?;
        if version == current || based_on.is_none() {
            based_on = Some(version);
        }
    }
    // Only weak tags: based on no version the section has (stale).
    Ok(Some(based_on.unwrap_or(-1)))
}

/// The caller's tenant's two sections (CDR, Extension) as saved.
pub(super) async fn sections(
    state: &AppState,
    caller: &Caller,
) -> Result<[EndpointView; 2], Problem> {
    service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))
}

async fn section(
    state: &AppState,
    caller: &Caller,
    kind: EndpointKind,
) -> Result<EndpointView, Problem> {
    let [cdr, extension] = sections(state, caller).await?;
    Ok(match kind {
        EndpointKind::Cdr => cdr,
        EndpointKind::Extension => extension,
    })
}

/// Both sections' settings.
#[utoipa::path(
    get,
    path = "/api/v1/event-url",
    operation_id = "getEventUrl",
    tag = "event-url",
    responses((status = 200, description = "Both sections.", body = BothOut))
)]
pub async fn both(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let [cdr, extension] = sections(&state, &caller).await?;
    Ok(Json(BothOut {
        cdr: SectionOut::from(&cdr),
        extension: SectionOut::from(&extension),
    })
    .into_response())
}

/// One section's settings, its version also as `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/event-url/{section}",
    operation_id = "getEventUrlSection",
    tag = "event-url",
    params(SectionPath),
    responses(
        (status = 200, description = "The section.", body = SectionOut,
            headers(("ETag" = String, description = "The section's version, for If-Match."))),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
) -> Result<Response, Problem> {
    let kind = section_of(&name)?;
    Ok(with_etag(&section(&state, &caller, kind).await?))
}

/// Replaces a section's settings. `If-Match` with the version being
/// replaced is required; secrets are write-only (omit to keep).
#[utoipa::path(
    put,
    path = "/api/v1/event-url/{section}",
    operation_id = "replaceEventUrlSection",
    tag = "event-url",
    params(SectionPath, IfMatchRequired),
    request_body(content = SectionIn, description = "The section's settings."),
    responses(
        (status = 200, description = "Saved: the section as it is now.", body = SectionOut,
            headers(("ETag" = String, description = "The new version."))),
        (status = 412, description = "Changed since that version; `detail` says who changed what.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid settings; `errors` has each field's message.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let kind = section_of(&name)?;
    // The body first: a request that could never be saved is told so
    // whatever its version.
    let sent: SectionIn = read_json(&body)?;
    // A replacement names its method: left out, it would be Disable, and
    // the stored secret would go with it unasked.
    if sent.auth.is_none() {
        return Err(Problem::invalid_fields(vec![FieldError::new(
            "auth",
            "Choose the authentication method: DISABLE, BASIC, DIGEST or BEARER.",
        )]));
    }
    let current = section(&state, &caller, kind).await?;
    let Some(version) = if_match(&headers, current.version)? else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "If-Match required",
            format!(
                "Send the version you are replacing as If-Match (the ETag of GET /api/v1/event-url/{}: \"{}\" now), so no one's change is overwritten unseen.",
                kind.as_str(),
                current.version
            ),
        ));
    };
    let form = sent.to_form(kind, version, None);
    // Invalid settings are told as such (422) whatever the version: they
    // could not be saved on any.
    if let Err(errors) = form.parse(&current.saved()) {
        return Err(Problem::invalid(&errors, ""));
    }
    let saved = service::save(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.outbox,
        &admin,
        &form,
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    Ok(with_etag(&saved))
}

async fn switch(
    state: AppState,
    caller: Caller,
    name: String,
    headers: HeaderMap,
    enable: bool,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let kind = section_of(&name)?;
    let current = section(&state, &caller, kind).await?;
    let version = if_match(&headers, current.version)?.unwrap_or(current.version);
    let saved = service::set_enabled(
        &state.db,
        &state.writes,
        &admin,
        kind,
        enable,
        &version.to_string(),
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    Ok(with_etag(&saved))
}

/// Pauses a section's delivery (events are held, not lost).
#[utoipa::path(
    post,
    path = "/api/v1/event-url/{section}/pause",
    operation_id = "pauseEventUrlSection",
    tag = "event-url",
    params(SectionPath, IfMatchOptional),
    responses(
        (status = 200, description = "Paused: the section as it is now.", body = SectionOut,
            headers(("ETag" = String, description = "The new version."))),
        (status = 412, description = "Changed since the If-Match version.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    switch(state, caller, name, headers, false).await
}

/// Enables a section's delivery (it needs a URL).
#[utoipa::path(
    post,
    path = "/api/v1/event-url/{section}/enable",
    operation_id = "enableEventUrlSection",
    tag = "event-url",
    params(SectionPath, IfMatchOptional),
    responses(
        (status = 200, description = "Enabled: the section as it is now.", body = SectionOut,
            headers(("ETag" = String, description = "The new version."))),
        (status = 412, description = "Changed since the If-Match version.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "It cannot be enabled as saved (no URL); `detail` says why.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    switch(state, caller, name, headers, true).await
}

/// What to send as a test.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sample_event": "call_cdr"}))]
pub struct TestIn {
    /// One of the section's PortSIP event types (`call_cdr`, `call_start`
    /// for CDR; `extension_call`, `extension_presence`, `extension_status`,
    /// `queue_status` for extension events); left out, the section's usual
    /// one.
    #[schema(value_type = Option<crate::domain::SampleEvent>)]
    pub sample_event: Option<String>,
}

/// Sends a sample event to the section's saved URL with its saved
/// authentication, with the same rate limit and report as the tab's
/// button (kept in its history). The body may be empty.
#[utoipa::path(
    post,
    path = "/api/v1/event-url/{section}/test-event",
    operation_id = "sendTestEvent",
    tag = "event-url",
    params(SectionPath),
    request_body(content = Option<TestIn>, description = "Which event to send; may be left out."),
    responses(
        (status = 200, description = "Sent (or refused before sending): what the receiver answered and what the PBX would make of it.", body = TestReport),
        (status = 422, description = "Nothing to send to (no URL saved), or an event type of the other section.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn test_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
    body: Bytes,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let kind = section_of(&name)?;
    let sent: TestIn = if body.iter().all(u8::is_ascii_whitespace) {
        TestIn::default()
    } else {
        read_json(&body)?
    };
    let sample = sent.sample_event.unwrap_or_else(|| {
        crate::domain::SampleEvent::default_for(kind)
            .as_str()
            .to_owned()
    });
    let saved = section(&state, &caller, kind).await?;
    let report =
        crate::test_event::service::send_from_form(&state, &admin, &saved.to_form(), &sample)
            .await
            .map_err(|e| Problem::of(e, ""))?;
    Ok(Json(report).into_response())
}
