//! HTTP handlers for signing in and out, and the sign-in guard.

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use leptos::prelude::provide_context;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

use super::{
    login_path, safe_next,
    session::{current_admin, request_admin, sign_in, sign_out, SignInAttempt, SignInError},
    LoginEcho,
};
use crate::{form_echo::FormEcho, render::render_page, state::AppState};

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
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request_parts: http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let username = form.username.trim().to_owned();
    let client_ip = client_ip(
        &request_parts.headers,
        peer,
        state.client_ip_header.as_ref(),
    );
    let attempt = sign_in(
        &session,
        &state.db,
        &username,
        SecretString::from(form.password),
        Some(client_ip),
        &state.hashing,
    )
    .await;
    record_sign_in(&state, &username, client_ip, &attempt).await;
    match attempt.outcome {
        Ok(user_id) => {
            tracing::info!(user_id, "signed in");
            Redirect::to(safe_next(&form.next)).into_response()
        }
        Err(refused @ (SignInError::InvalidCredentials | SignInError::Throttled { .. })) => {
            let message = match refused {
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
            render_page(&state, request_parts, move || {
                provide_context(FormEcho(echo.clone()))
            })
            .await
        }
        Err(SignInError::Unexpected(e)) => {
            crate::error::AppError::internal(e.context("signing in")).into_plain_response()
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: http::HeaderMap,
) -> Response {
    if let Ok(Some(admin)) = current_admin(&session, &state).await {
        crate::activity::log::record(
            &state.db,
            crate::activity::log::NewEntry {
                tenant_id: Some(admin.tenant_id),
                actor_id: Some(admin.user_id),
                actor: admin.username,
                ip: Some(client_ip(&headers, peer, state.client_ip_header.as_ref())),
                kind: crate::activity::ActivityKind::SignOut,
                section: None,
                summary: "signed out".to_owned(),
                changes: Vec::new(),
                version: None,
            },
        )
        .await;
    }
    if let Err(e) = sign_out(&session).await {
        tracing::error!(error = format!("{e:#}"), "sign-out failed");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not sign you out. Try again.",
        )
            .into_response();
    }
    Redirect::to("/login?signed_out=1").into_response()
}

/// Paths an anonymous visitor may open.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/setup" | "/logout" | "/favicon.ico" | "/favicon.svg" | "/healthz" | "/readyz"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Sends anonymous visitors of pages to `/login?next=…`. Server functions
/// under `/api/` check the session themselves and answer 401.
pub async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_public(path) {
        return next.run(request).await;
    }
    match current_admin(&session, &state).await {
        Ok(Some(admin)) => {
            // The handler takes it from here (`request_admin`).
            request.extensions_mut().insert(admin);
            next.run(request).await
        }
        Ok(None) => {
            if request.method() == Method::GET || request.method() == Method::HEAD {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|pq| pq.as_str())
                    .unwrap_or("/");
                let location = login_path(target);
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
            } else {
                (StatusCode::UNAUTHORIZED, "Sign in first.").into_response()
            }
        }
        Err(e) => crate::error::AppError::internal(e.context("checking the session"))
            .into_plain_response(),
    }
}

/// For plain form posts: the signed-in administrator, or the response to
/// give instead (sign in again, or an error whose cause is logged).
pub async fn form_admin(
    session: &Session,
    state: &AppState,
    back_to: &str,
    parts: &http::request::Parts,
    peer: SocketAddr,
) -> Result<super::session::CurrentAdmin, Response> {
    let ip = Some(client_ip(
        &parts.headers,
        peer,
        state.client_ip_header.as_ref(),
    ));
    match request_admin(parts, session, state).await {
        Ok(Some(admin)) => Ok(super::session::CurrentAdmin { ip, ..admin }),
        Ok(None) => Err(Redirect::to(&login_path(back_to)).into_response()),
        Err(e) => Err(
            crate::error::AppError::internal(e.context("checking the session"))
                .into_plain_response(),
        ),
    }
}

/// The client's address: the peer, or behind a reverse proxy the last entry
/// of the header the operator named (the one their proxy appended).
pub fn client_ip(
    headers: &http::HeaderMap,
    peer: SocketAddr,
    header: Option<&http::HeaderName>,
) -> IpAddr {
    header
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .unwrap_or_else(|| peer.ip())
}

/// Sign-ins and refusals go to the log of the tenant whose user was named
/// (refusals for unknown names belong to no tenant).
async fn record_sign_in(state: &AppState, username: &str, client: IpAddr, attempt: &SignInAttempt) {
    use crate::activity::{log, ActivityKind};
    let (kind, summary) = match &attempt.outcome {
        Ok(_) => (ActivityKind::SignIn, "signed in".to_owned()),
        Err(SignInError::InvalidCredentials) => (
            ActivityKind::SignInFailed,
            "wrong username or password".to_owned(),
        ),
        Err(SignInError::Throttled { retry_after_secs }) => (
            ActivityKind::SignInFailed,
            format!("refused: too many failed attempts (for {retry_after_secs} s more)"),
        ),
        Err(SignInError::Unexpected(_)) => return,
    };
    log::record(
        &state.db,
        log::NewEntry {
            tenant_id: attempt.named.map(|u| u.tenant_id),
            actor_id: attempt.named.map(|u| u.user_id),
            actor: username.to_owned(),
            ip: Some(client),
            kind,
            section: None,
            summary,
            changes: Vec::new(),
            version: None,
        },
    )
    .await;
}
