//! The forgot-password and reset forms, as plain posts.

use axum::{
    extract::{ConnectInfo, Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use secrecy::SecretString;
use std::net::SocketAddr;

use super::{
    model::{ForgotEcho, ResetEcho},
    service::{self, ForgotRefusal},
};
use crate::{
    client_ip::client_ip,
    error::AppError,
    paths::{LOGIN, LOGIN_FORGOT},
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(serde::Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    identifier: String,
}

/// Asks for a reset link. Answered alike whether or not an account
/// matched: "if it exists, a link is on its way".
pub async fn forgot_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    parts: http::request::Parts,
    Form(form): Form<ForgotForm>,
) -> Response {
    if !state.outbox.is_on() {
        return AppError::NotFound("Password reset by email is not set up on this server.".into())
            .into_plain_response();
    }
    let ip = client_ip(&parts.headers, peer, state.config.client_ip_header.as_ref());
    match service::request(
        &state.db,
        &state.writes,
        &state.outbox,
        &form.identifier,
        ip,
    )
    .await
    {
        Ok(()) => Redirect::to(&format!("{LOGIN_FORGOT}?sent=1")).into_response(),
        Err(ForgotRefusal::Throttled { retry_after_secs }) => {
            let echo = ForgotEcho {
                identifier: form.identifier.trim().to_owned(),
                message: format!(
                    "Too many reset links were asked for. Try again in {} minutes.",
                    retry_after_secs.div_ceil(60)
                ),
            };
            render_with_echo(&pages, parts, None, echo).await
        }
        Err(ForgotRefusal::Failed(error)) => error.into_plain_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(serde::Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

/// Sets the new password; then to the sign-in page, which says so.
pub async fn reset_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(TokenQuery { token }): Query<TokenQuery>,
    parts: http::request::Parts,
    Form(form): Form<ResetForm>,
) -> Response {
    let ip = client_ip(&parts.headers, peer, state.config.client_ip_header.as_ref());
    let done = service::reset(
        &state.db,
        &state.writes,
        &state.hashing,
        token.trim(),
        SecretString::from(form.password),
        Some(ip),
    )
    .await;
    match done {
        Ok(username) => {
            tracing::info!("password reset with an emailed link");
            let mut target = format!("{LOGIN}?reset=1&username=");
            target.extend(url::form_urlencoded::byte_serialize(username.as_bytes()));
            Redirect::to(&target).into_response()
        }
        Err(error) => match error.into_app_error() {
            error @ AppError::Refused(_) => {
                let echo = ResetEcho {
                    message: error.to_string(),
                };
                render_with_echo(&pages, parts, None, echo).await
            }
            error => error.into_plain_response(),
        },
    }
}
