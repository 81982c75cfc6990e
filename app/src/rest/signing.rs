//! `/api/v1/event-url/{section}/signing-secret[/rotate]`: a section's
//! Standard Webhooks signing secret, read (write scope: it is a secret;
//! each read an Activity entry) and rotated with a grace period.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    caller::Caller,
    event_url::{read_json, section_of, SectionPath},
    problem::{FieldError, Problem, ProblemDoc},
};
use crate::{domain::SigningGrace, event_url::service, state::AppState, time_text::rfc3339};

/// A section's signing secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"secret": "whsec_J3zGnX2xk0Qd0eRk3O1mG5c2n8nq7R8b1mJ2hQm3p9Y=", "previous_until": null}))]
pub struct SigningSecretOut {
    /// `whsec_` and the base64 of 32 bytes: what the Standard Webhooks
    /// libraries take.
    pub secret: String,
    /// During a rotation's grace: until when the previous secret also
    /// signs (RFC 3339, UTC); `null` otherwise.
    pub previous_until: Option<String>,
}

/// How long the old secret keeps signing beside the new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documents the body `grace_of` reads (no other field)
#[schema(example = json!({"grace_seconds": 86400}))]
pub struct RotateIn {
    /// 0 (the old secret stops now) to 604800 (7 days).
    #[schema(minimum = 0, maximum = 604800)]
    pub grace_seconds: i64,
}

/// `{"grace_seconds": n}`: a whole number (JSON's `86400.0` is one too)
/// from 0 to 604,800; anything else a 422 naming the field.
fn grace_of(body: &[u8]) -> Result<SigningGrace, Problem> {
    let value: serde_json::Value = read_json(body)?;
    let refused =
        |message: String| Problem::invalid_fields(vec![FieldError::new("grace_seconds", message)]);
    let fields = value
        .as_object()
        .filter(|fields| fields.keys().all(|k| k == "grace_seconds"))
        .ok_or_else(|| refused("Send {\"grace_seconds\": n} and nothing else.".to_owned()))?;
    let seconds = fields
        .get("grace_seconds")
        .and_then(serde_json::Value::as_f64)
        .filter(|n| n.fract() == 0.0 && n.abs() < 1e15)
        .ok_or_else(|| refused("A whole number of seconds, 0 to 604800.".to_owned()))?;
    // Whole and small (checked above): the conversion is exact.
    #[allow(clippy::cast_possible_truncation)]
    SigningGrace::from_seconds(seconds as i64).map_err(refused)
}

fn secret_response(shown: service::ShownSecret) -> Response {
    let out = SigningSecretOut {
        secret: shown.secret.expose().to_owned(),
        previous_until: shown.previous_until.map(rfc3339),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(out)).into_response()
}

/// The section's current signing secret (a read-and-write token: it is a
/// secret; recorded in Activity).
#[utoipa::path(
    get,
    path = "/api/v1/event-url/{section}/signing-secret",
    operation_id = "getSigningSecret",
    tag = "event-url",
    params(SectionPath),
    responses(
        (status = 200, description = "The secret, and until when a rotated one still signs.", body = SigningSecretOut),
        (status = 403, description = "A read-only token (reading a secret takes a read-and-write token).", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let kind = section_of(&name)?;
    let shown =
        service::reveal_signing_secret(&state.db, &state.writes, &state.cipher, &admin, kind)
            .await
            .map_err(|e| Problem::of(e, ""))?;
    Ok(secret_response(shown))
}

/// Makes a new signing secret for the section; the old one keeps signing
/// beside it for `grace_seconds` (each request then carries both
/// signatures, new first), so receivers switch without a gap.
#[utoipa::path(
    post,
    path = "/api/v1/event-url/{section}/signing-secret/rotate",
    operation_id = "rotateSigningSecret",
    tag = "event-url",
    params(SectionPath),
    request_body = RotateIn,
    responses(
        (status = 200, description = "Rotated: the new secret, and until when the old one also signs.", body = SigningSecretOut),
        (status = 400, description = "Not JSON.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`grace_seconds` missing or out of range; `errors` says so.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(SectionPath { section: name }): Path<SectionPath>,
    body: Bytes,
) -> Result<Response, Problem> {
    let admin = caller.may_write()?;
    let kind = section_of(&name)?;
    let grace = grace_of(&body)?;
    let rotated = service::rotate_signing_secret(
        &state.db,
        &state.writes,
        &state.cipher,
        &admin,
        kind,
        grace,
    )
    .await
    .map_err(|e| Problem::of(e, ""))?;
    Ok(secret_response(rotated))
}
