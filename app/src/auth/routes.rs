//! HTTP handlers for signing in and out.

use axum::{
    extract::{ConnectInfo, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

use super::{
    current_admin::CurrentAdmin,
    safe_next,
    session::{sign_in, sign_out, Named, PasswordAccepted, SignInAttempt, SignInError},
    LoginEcho,
};
use crate::{
    activity::{log, ActivityKind},
    client_ip::client_ip,
    error::ServiceError,
    paths,
    persistence::session_store::SessionClient,
    provider::log::{self as operator_log, OperatorAction, OperatorEntry},
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request_parts: http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let username = form.username.trim().to_owned();
    let client_ip = client_ip(
        &request_parts.headers,
        peer,
        state.config.client_ip_header.as_ref(),
    );
    // No account has such a name or password: refused at the edge, with
    // nothing looked up, counted or stored (a 1 MB name, a NUL byte).
    if !plausible(&username, &form.password) {
        tracing::info!(%client_ip, username_bytes = username.len(), "sign-in refused: implausible username or password");
        let echo = LoginEcho {
            username: String::new(),
            message: "The username or password is not right. Check both and try again.".into(),
        };
        return render_with_echo(&pages, request_parts, None, echo).await;
    }
    let attempt = sign_in(
        &session,
        &state.db,
        &username,
        SecretString::from(form.password),
        SessionClient::of(&request_parts.headers, Some(client_ip)),
        &state.hashing,
    )
    .await;
    record_sign_in(&state, &username, client_ip, &attempt).await;
    match attempt.outcome {
        Ok(PasswordAccepted::SignedIn(user_id)) => {
            tracing::info!(user_id, "signed in");
            Redirect::to(safe_next(&form.next)).into_response()
        }
        Ok(PasswordAccepted::Operator(operator_id)) => {
            tracing::info!(operator_id, "provider operator signed in");
            Redirect::to(super::operator_next(&form.next)).into_response()
        }
        Ok(PasswordAccepted::CodeNeeded(account)) => {
            tracing::info!(?account, "password accepted; asking for the second factor");
            Redirect::to(&second_factor_path(safe_next(&form.next))).into_response()
        }
        Err(
            refused @ (SignInError::InvalidCredentials
            | SignInError::Throttled { .. }
            | SignInError::Suspended),
        ) => {
            let message = match refused {
                SignInError::Suspended => {
                    tracing::info!(%client_ip, "sign-in refused: company suspended");
                    refused.to_string()
                }
                SignInError::Throttled { retry_after_secs } => {
                    tracing::warn!(%client_ip, retry_after_secs, "sign-in refused: throttled");
                    format!("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds.")
                }
                _ => {
                    tracing::info!(%client_ip, "sign-in refused: wrong username or password");
                    "The username or password is not right. Check both and try again.".into()
                }
            };
            let echo = LoginEcho { username, message };
            // The page itself answers 200: a 4xx document shows as an
            // error in the browser console. The message is on the page.
            render_with_echo(&pages, request_parts, None, echo).await
        }
        Err(SignInError::Unexpected(e)) => {
            ServiceError::from(e.context("signing in")).into_plain_response()
        }
    }
}

/// The second step's page, remembering where to go after.
pub fn second_factor_path(next: &str) -> String {
    let mut path = format!("{}?next=", paths::LOGIN_TWO_FACTOR);
    path.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
    path
}

/// Longest username an account can have (`accounts`).
const MAX_USERNAME_CHARS: usize = 64;
/// Longest password checked: argon2 takes any length, but a megabyte of
/// password is not one.
const MAX_PASSWORD_BYTES: usize = 1024;

fn plausible(username: &str, password: &str) -> bool {
    username.chars().count() <= MAX_USERNAME_CHARS
        && !username.chars().any(char::is_control)
        && password.len() <= MAX_PASSWORD_BYTES
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    parts: http::request::Parts,
) -> Response {
    if let Some(admin) = parts.extensions.get::<CurrentAdmin>() {
        let entry = log::NewEntry::by(admin, ActivityKind::SignOut, None, "signed out".to_owned());
        if let Err(e) = log::record(&state.db, entry).await {
            // Signing out goes ahead: the session is what protects.
            tracing::error!(error = format!("{e:#}"), "could not log a sign-out");
        }
    }
    if let Some(operator) = parts.extensions.get::<crate::auth::CurrentOperator>() {
        let entry = OperatorEntry::by(operator, OperatorAction::SignOut, "signed out".to_owned());
        if let Err(e) = operator_log::record(&state.db, entry).await {
            tracing::error!(error = format!("{e:#}"), "could not log a sign-out");
        }
    }
    if let Err(e) = sign_out(&session).await {
        tracing::error!(error = format!("{e:#}"), "sign-out failed");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not sign you out. Try again.",
        )
            .into_response();
    }
    Redirect::to(&format!("{}?signed_out=1", paths::LOGIN)).into_response()
}

/// Sign-ins and refusals go to the log of the tenant whose member was
/// named, or to the operators' log when an operator was (refusals for
/// unknown names belong to no tenant).
async fn record_sign_in(state: &AppState, username: &str, client: IpAddr, attempt: &SignInAttempt) {
    let summary = match &attempt.outcome {
        Ok(PasswordAccepted::SignedIn(_) | PasswordAccepted::Operator(_)) => "signed in".to_owned(),
        Err(SignInError::Suspended) => "refused: the company is suspended".to_owned(),
        // Recorded when the code is given (or refused).
        Ok(PasswordAccepted::CodeNeeded(_)) | Err(SignInError::Unexpected(_)) => return,
        Err(SignInError::InvalidCredentials) => "wrong username or password".to_owned(),
        Err(SignInError::Throttled { retry_after_secs }) => {
            format!("refused: too many failed attempts (for {retry_after_secs} s more)")
        }
    };
    let succeeded = attempt.outcome.is_ok();
    record_attempt(
        &state.db,
        attempt.named,
        username,
        client,
        succeeded,
        summary,
    )
    .await;
}

/// A sign-in attempt (a password, or a second factor), in the named
/// member's tenant's log or the operators' log (an unknown name's in no
/// tenant's). Logged, not answered, when it cannot be written: the attempt
/// has happened either way.
pub(crate) async fn record_attempt(
    db: &sea_orm::DatabaseConnection,
    named: Option<Named>,
    username: &str,
    client: IpAddr,
    succeeded: bool,
    summary: String,
) {
    let recorded = if let Some(Named::Operator(operator_id)) = named {
        let entry = OperatorEntry {
            operator_id: Some(operator_id),
            operator: username.to_owned(),
            ip: Some(client),
            kind: if succeeded {
                OperatorAction::SignIn
            } else {
                OperatorAction::SignInFailed
            },
            tenant: None,
            summary,
        };
        operator_log::record(db, entry).await
    } else {
        let member = match named {
            Some(Named::Member { user_id, tenant_id }) => Some((user_id, tenant_id)),
            _ => None,
        };
        let entry = log::NewEntry {
            tenant_id: member.map(|(_, tenant_id)| tenant_id),
            actor_id: member.map(|(user_id, _)| user_id),
            actor: username.to_owned(),
            ip: Some(client),
            kind: if succeeded {
                ActivityKind::SignIn
            } else {
                ActivityKind::SignInFailed
            },
            section: None,
            summary,
            changes: Vec::new(),
            version: None,
        };
        log::record(db, entry).await
    };
    // The attempt has happened either way; a lost entry is logged here.
    if let Err(e) = recorded {
        tracing::error!(error = format!("{e:#}"), "could not log a sign-in attempt");
    }
}
