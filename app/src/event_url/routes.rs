//! Save and the Enable / Pause switch as plain POSTs, for browsers without
//! JavaScript: the same services as the server functions; on success back
//! to the tab, otherwise the tab again with what was typed and the messages.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    Form,
};

use crate::NestedForm;

use super::{service, SaveEcho, SigningEcho, SwitchEcho};
use crate::{
    auth::Administrator,
    domain::{EndpointForm, EndpointKind, FieldErrors, SigningGrace},
    error::AppError,
    paths::EVENT_URL,
    render::{refused, render_with_echo, Pages},
    state::AppState,
};

pub async fn save_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    NestedForm(form): NestedForm<EndpointForm>,
) -> Response {
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    match service::save(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.outbox,
        &admin,
        &form,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "{EVENT_URL}?saved={}#{}",
            kind.as_str(),
            kind.as_str()
        ))
        .into_response(),
        Err(error) => {
            let error = error.into_app_error();
            refused(&pages, parts, Some(EVENT_URL), error, |error| {
                let mut message = error.to_string();
                let typed_secret_header = form
                    .headers
                    .iter()
                    .any(|h| h.secret.is_some() && !h.value.is_empty());
                if !form.password.is_empty() || !form.token.is_empty() || typed_secret_header {
                    message.push_str(
                        " For safety, secrets are not sent back: type the password or token again.",
                    );
                }
                SaveEcho {
                    conflict: matches!(error, AppError::Conflict(_)),
                    kind,
                    errors: match error {
                        AppError::Invalid(errors) => errors,
                        _ => FieldErrors::default(),
                    },
                    form: form.without_secrets(),
                    message,
                }
            })
            .await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    confirmed: Option<String>,
}

/// The Enable / Pause switch without JavaScript: pausing first shows the
/// question on the page, then takes the confirmed post.
pub async fn switch_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<SwitchForm>,
) -> Response {
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    let enable = form.enabled == "true";
    if !enable && form.confirmed.is_none() {
        let question = SwitchEcho {
            kind,
            confirm: true,
            message: None,
        };
        return render_with_echo(&pages, parts, Some(EVENT_URL), question).await;
    }
    match service::set_enabled(
        &state.db,
        &state.writes,
        &admin,
        kind,
        enable,
        &form.version,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("{EVENT_URL}#{}", kind.as_str())).into_response(),
        Err(error) => {
            refused(
                &pages,
                parts,
                Some(EVENT_URL),
                error.into_app_error(),
                |error| SwitchEcho {
                    kind,
                    confirm: false,
                    message: Some(error.to_string()),
                },
            )
            .await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct DiscardForm {
    #[serde(default)]
    kind: String,
}

/// Discard a section's held events: the form is the confirmation step (it
/// sits in a disclosure that says what happens), with or without
/// JavaScript; back to the section after.
pub async fn discard_held_form(
    State(state): State<AppState>,
    admin: Administrator,
    Form(form): Form<DiscardForm>,
) -> Response {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        return AppError::BadRequest(
            "This form does not say which section it is for; reload the page.".to_owned(),
        )
        .into_plain_response();
    };
    match service::discard_held(&state.db, &state.writes, &admin, kind).await {
        Ok(n) => {
            Redirect::to(&format!("{EVENT_URL}?discarded={n}#{}", kind.as_str())).into_response()
        }
        Err(error) => error.into_plain_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct SigningForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    grace: String,
    #[serde(default)]
    confirmed: Option<String>,
}

fn section_of(form: &SigningForm) -> Result<EndpointKind, AppError> {
    EndpointKind::parse(&form.kind).ok_or_else(|| {
        AppError::BadRequest(
            "This form does not say which section it is for; reload the page.".to_owned(),
        )
    })
}

/// Reveal: the section's signing secret shown on the page (recorded in
/// Activity), with its Copy button.
pub async fn reveal_signing_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<SigningForm>,
) -> Response {
    let kind = match section_of(&form) {
        Ok(kind) => kind,
        Err(refusal) => return refusal.into_plain_response(),
    };
    let echo =
        match service::reveal_signing_secret(&state.db, &state.writes, &state.cipher, &admin, kind)
            .await
        {
            Ok(shown) => SigningEcho {
                secret: Some(shown.secret.expose().to_owned()),
                ..SigningEcho::of(kind)
            },
            Err(error) => SigningEcho {
                message: Some(error.into_app_error().to_string()),
                ..SigningEcho::of(kind)
            },
        };
    render_with_echo(&pages, parts, Some(EVENT_URL), echo).await
}

/// Rotate: first the question (what receivers must do, within the grace
/// chosen), then the confirmed post makes the new secret and shows it.
pub async fn rotate_signing_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<SigningForm>,
) -> Response {
    let kind = match section_of(&form) {
        Ok(kind) => kind,
        Err(refusal) => return refusal.into_plain_response(),
    };
    let grace = match SigningGrace::parse(&form.grace) {
        Ok(grace) => grace,
        Err(message) => {
            let echo = SigningEcho {
                message: Some(message),
                ..SigningEcho::of(kind)
            };
            return render_with_echo(&pages, parts, Some(EVENT_URL), echo).await;
        }
    };
    if form.confirmed.is_none() {
        let echo = SigningEcho {
            confirm_grace: Some(grace),
            ..SigningEcho::of(kind)
        };
        return render_with_echo(&pages, parts, Some(EVENT_URL), echo).await;
    }
    let echo = match service::rotate_signing_secret(
        &state.db,
        &state.writes,
        &state.cipher,
        &admin,
        kind,
        grace,
    )
    .await
    {
        Ok(rotated) => SigningEcho {
            secret: Some(rotated.secret.expose().to_owned()),
            rotated: true,
            previous_until: rotated.previous_until.map(crate::time_text::rfc3339),
            ..SigningEcho::of(kind)
        },
        Err(error) => SigningEcho {
            message: Some(error.into_app_error().to_string()),
            ..SigningEcho::of(kind)
        },
    };
    render_with_echo(&pages, parts, Some(EVENT_URL), echo).await
}
