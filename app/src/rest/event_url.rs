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

use super::{caller::Caller, problem::Problem};
use crate::{
    domain::{AuthMethod, EndpointForm, EndpointKind, SecretKind},
    event_url::{service, EndpointView},
    state::AppState,
};

/// A section as the API shows it: PortSIP's field names, plus what this
/// product adds (read-only). Secrets are never returned.
#[derive(Debug, Serialize)]
pub struct SectionOut {
    pub section: &'static str,
    pub enabled: bool,
    /// `DISABLE` | `BASIC` | `DIGEST` | `BEARER`
    pub auth: &'static str,
    pub username: String,
    pub url: String,
    pub password_set: bool,
    pub token_set: bool,
    /// RFC 3339, UTC.
    pub secret_changed_at: Option<String>,
    pub secret_changed_by: Option<String>,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

pub fn auth_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Disable => "DISABLE",
        AuthMethod::Basic => "BASIC",
        AuthMethod::Digest => "DIGEST",
        AuthMethod::Bearer => "BEARER",
    }
}

impl From<&EndpointView> for SectionOut {
    fn from(view: &EndpointView) -> Self {
        let secret = view.secret.as_ref();
        Self {
            section: view.kind.as_str(),
            enabled: view.enabled,
            auth: auth_name(view.auth_method),
            username: view.username.clone(),
            url: view.url.clone(),
            password_set: secret.is_some_and(|s| s.kind == SecretKind::Password),
            token_set: secret.is_some_and(|s| s.kind == SecretKind::Token),
            secret_changed_at: secret.map(|s| s.changed_at.clone()),
            secret_changed_by: secret.and_then(|s| s.changed_by.clone()),
            version: view.version,
            updated_at: view.updated_at.clone(),
            updated_by: view.updated_by.clone(),
        }
    }
}

/// A section's settings as sent (PUT here, or PortSIP's object): what is
/// left out is `None`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionIn {
    pub enabled: Option<bool>,
    pub auth: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub url: Option<String>,
}

impl std::fmt::Debug for SectionIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("SectionIn")
            .field("enabled", &self.enabled)
            .field("auth", &self.auth)
            .field("username", &self.username)
            .field("password", &given(&self.password))
            .field("token", &given(&self.token))
            .field("url", &self.url)
            .finish()
    }
}

impl SectionIn {
    /// The tab's form for these settings at `version`: what is left out
    /// is taken from `base` (PortSIP's update), or cleared (a PUT, with
    /// `base` None). An empty or absent secret keeps the stored one.
    pub fn to_form(
        &self,
        kind: EndpointKind,
        version: i64,
        base: Option<&EndpointView>,
    ) -> EndpointForm {
        let auth_method = match (&self.auth, base) {
            (Some(auth), _) => auth.trim().to_ascii_lowercase(),
            (None, Some(base)) => base.auth_method.as_str().to_owned(),
            (None, None) => AuthMethod::Disable.as_str().to_owned(),
        };
        let or_base =
            |sent: &Option<String>, saved: fn(&EndpointView) -> &String| match (sent, base) {
                (Some(value), _) => value.clone(),
                (None, Some(base)) => saved(base).clone(),
                (None, None) => String::new(),
            };
        let enabled = self
            .enabled
            .unwrap_or_else(|| base.is_some_and(|b| b.enabled));
        EndpointForm {
            kind: kind.as_str().to_owned(),
            auth_method,
            url: or_base(&self.url, |b| &b.url),
            username: or_base(&self.username, |b| &b.username),
            password: self.password.clone().unwrap_or_default(),
            token: self.token.clone().unwrap_or_default(),
            enabled: enabled.then(|| "on".to_owned()),
            version: version.to_string(),
        }
    }
}

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

fn section_of(name: &str) -> Result<EndpointKind, Problem> {
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
    let mut based_on = None;
    for tag in text.split(',').map(str::trim) {
        let version = match tag.strip_prefix("W/") {
            Some(weak) => {
                weak.trim_matches('"')
                    .parse::<i64>()
                    .map_err(|_| unreadable())?;
                continue;
            }
            None => tag
                .trim_matches('"')
                .parse::<i64>()
                .map_err(|_| unreadable())?,
        };
        if version == current || based_on.is_none() {
            based_on = Some(version);
        }
    }
    // Only weak tags: based on no version the section has (stale).
    Ok(Some(based_on.unwrap_or(-1)))
}

async fn section(
    state: &AppState,
    caller: &Caller,
    kind: EndpointKind,
) -> Result<EndpointView, Problem> {
    let [cdr, extension] = service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))?;
    Ok(match kind {
        EndpointKind::Cdr => cdr,
        EndpointKind::Extension => extension,
    })
}

/// `GET /api/v1/event-url`: both sections.
pub async fn both(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let [cdr, extension] = service::settings(&state.db, caller.admin.tenant_id)
        .await
        .map_err(|e| Problem::of(e.into(), ""))?;
    Ok(Json(serde_json::json!({
        "cdr": SectionOut::from(&cdr),
        "extension": SectionOut::from(&extension),
    }))
    .into_response())
}

/// `GET /api/v1/event-url/{section}`, its version as `ETag`.
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let kind = section_of(&name)?;
    Ok(with_etag(&section(&state, &caller, kind).await?))
}

/// `PUT /api/v1/event-url/{section}`: replaces the section's settings.
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.may_write()?;
    let kind = section_of(&name)?;
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
    let sent: SectionIn = read_json(&body)?;
    let form = sent.to_form(kind, version, None);
    let saved = service::save(
        &state.db,
        &state.writes,
        &state.cipher,
        &caller.admin,
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
    caller.may_write()?;
    let kind = section_of(&name)?;
    let current = section(&state, &caller, kind).await?;
    let version = if_match(&headers, current.version)?.unwrap_or(current.version);
    let saved = service::set_enabled(
        &state.db,
        &state.writes,
        &caller.admin,
        kind,
        enable,
        &version.to_string(),
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    Ok(with_etag(&saved))
}

/// `POST /api/v1/event-url/{section}/pause` (`If-Match` optional).
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    switch(state, caller, name, headers, false).await
}

/// `POST /api/v1/event-url/{section}/enable` (`If-Match` optional).
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    switch(state, caller, name, headers, true).await
}

/// What to send as a test (`sample_event`: one of the section's PortSIP
/// event types; left out, the section's usual one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    pub sample_event: Option<String>,
}

/// `POST /api/v1/event-url/{section}/test-event`: a sample event to the
/// section's saved URL with its saved authentication, with the same rate
/// limit and report as the tab's button (kept in its history).
pub async fn test_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.may_write()?;
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
    let report = crate::test_event::service::send_from_form(
        &state,
        &caller.admin,
        &saved.to_form(),
        &sample,
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    Ok(Json(report).into_response())
}
