//! The Save forms' plain POST, for browsers without JavaScript: the same
//! service as the `save_endpoint` server function; on success back to the
//! tab, otherwise the tab again with what was typed and the messages.

use axum::{
    extract::{ConnectInfo, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use leptos::prelude::provide_context;
use tower_sessions::Session;

use super::{service, DeliveryEcho, SaveEcho};
use crate::{
    auth::routes::form_admin,
    domain::{EndpointForm, EndpointKind, FieldErrors},
    error::AppError,
    form_echo::FormEcho,
    render::render_page,
    state::AppState,
};

pub async fn save_form(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    parts: http::request::Parts,
    Form(form): Form<EndpointForm>,
) -> Response {
    let admin = match form_admin(&session, &state, "/company/event-url", &parts, peer).await {
        Ok(admin) => admin,
        Err(response) => return response,
    };
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    match service::save(&state.db, &state.settings, &state.cipher, &admin, &form).await {
        Ok(_) => Redirect::to(&format!(
            "/company/event-url?saved={}#{}",
            kind.as_str(),
            kind.as_str()
        ))
        .into_response(),
        Err(error) => {
            let status = error.status();
            let errors = match &error {
                AppError::Invalid(errors) => errors.clone(),
                _ => FieldErrors::default(),
            };
            let mut message = error.to_string();
            if !form.password.is_empty() || !form.token.is_empty() {
                message.push_str(
                    " For safety, secrets are not sent back: type the password or token again.",
                );
            }
            let echo = SaveEcho {
                conflict: matches!(error, AppError::Conflict(_)),
                kind,
                form: EndpointForm {
                    password: String::new(),
                    token: String::new(),
                    ..form
                },
                errors,
                message,
            };
            // A refused save is logged by status; the page answers 200
            // because browsers report a 4xx document as a console error.
            tracing::info!(status = status.as_u16(), "form save refused");
            render_page(&state, parts, move || {
                provide_context(FormEcho(echo.clone()))
            })
            .await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    confirmed: Option<String>,
}

/// The delivery switch without JavaScript: pausing first shows the
/// question on the page, then takes the confirmed post.
pub async fn delivery_form(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    mut parts: http::request::Parts,
    Form(form): Form<DeliveryForm>,
) -> Response {
    let admin = match form_admin(&session, &state, "/company/event-url", &parts, peer).await {
        Ok(admin) => admin,
        Err(response) => return response,
    };
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    let enable = form.enabled == "true";
    let echo = if !enable && form.confirmed.is_none() {
        DeliveryEcho {
            kind,
            confirm: true,
            message: None,
        }
    } else {
        let version = form.version.trim().parse::<i64>().unwrap_or(-1);
        match service::set_delivery(&state.db, &state.settings, &admin, kind, enable, version).await
        {
            Ok(_) => {
                return Redirect::to(&format!("/company/event-url#{}", kind.as_str()))
                    .into_response()
            }
            Err(error) => DeliveryEcho {
                kind,
                confirm: false,
                message: Some(error.to_string()),
            },
        }
    };
    parts.uri = http::Uri::from_static("/company/event-url");
    render_page(&state, parts, move || {
        provide_context(FormEcho(echo.clone()))
    })
    .await
}
