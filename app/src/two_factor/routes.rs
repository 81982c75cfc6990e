//! Two-factor sign-in's form posts: setting it up and turning it off in My
//! account, and the code after the password at sign-in.

use axum::{
    extract::{ConnectInfo, Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use sea_orm::EntityTrait;
use secrecy::SecretString;
use std::net::SocketAddr;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{
    model::{CodeEcho, TwoFactorEcho},
    service::{self, Passed},
};
use crate::{
    activity::{log, ActivityKind},
    auth::{
        login_path, safe_next,
        session::{start_session, PendingSignIn, SECOND_FACTOR_KEY, SECOND_FACTOR_WITHIN_SECS},
        throttle, CurrentAdmin,
    },
    client_ip::client_ip,
    error::{AppError, ServiceError},
    paths::ACCOUNT,
    persistence::{
        entities::{tenant, user},
        session_store::SessionUser,
    },
    render::{render_with_echo, Pages},
    state::AppState,
};

/// A refusal the member can act on is shown in My account's section.
async fn answer(
    pages: &Pages,
    parts: http::request::Parts,
    result: Result<Response, ServiceError>,
) -> Response {
    match result {
        Ok(response) => response,
        Err(error) => match error.into_app_error() {
            error @ AppError::Refused(_) => {
                let echo = TwoFactorEcho {
                    error: Some(error.to_string()),
                    ..TwoFactorEcho::default()
                };
                render_with_echo(pages, parts, Some(ACCOUNT), echo).await
            }
            error => error.into_plain_response(),
        },
    }
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn start_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: CurrentAdmin,
    parts: http::request::Parts,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = service::start(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.hashing,
        &admin,
        SecretString::from(form.password),
    )
    .await
    .map(|()| Redirect::to(&format!("{ACCOUNT}#two-factor")).into_response());
    answer(&pages, parts, result).await
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: CurrentAdmin,
    parts: http::request::Parts,
    Form(form): Form<CodeForm>,
) -> Response {
    match service::confirm(&state.db, &state.writes, &state.cipher, &admin, &form.code).await {
        Ok(codes) => {
            let echo = TwoFactorEcho {
                recovery_codes: Some(codes),
                ..TwoFactorEcho::default()
            };
            render_with_echo(&pages, parts, Some(ACCOUNT), echo).await
        }
        Err(error) => answer(&pages, parts, Err(error)).await,
    }
}

pub async fn off_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: CurrentAdmin,
    parts: http::request::Parts,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = service::turn_off(
        &state.db,
        &state.writes,
        &state.hashing,
        &admin,
        SecretString::from(form.password),
    )
    .await
    .map(|()| Redirect::to(&format!("{ACCOUNT}?two_factor=off")).into_response());
    answer(&pages, parts, result).await
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The second step of signing in: the code (or a recovery code) for the
/// member whose password this session just accepted, within 5 minutes.
pub async fn sign_in_code_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(NextQuery { next }): Query<NextQuery>,
    parts: http::request::Parts,
    Form(form): Form<CodeForm>,
) -> Response {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let pending = match session.get::<PendingSignIn>(SECOND_FACTOR_KEY).await {
        Ok(pending) => pending,
        Err(e) => {
            return ServiceError::from(anyhow::Error::new(e).context("reading the session"))
                .into_plain_response()
        }
    };
    let Some(pending) = pending.filter(|p| now - p.since <= SECOND_FACTOR_WITHIN_SECS) else {
        // Too late, or no password given in this browser: start again.
        return Redirect::to(&login_path(safe_next(&next))).into_response();
    };
    let ip = client_ip(&parts.headers, peer, state.config.client_ip_header.as_ref());
    let found = match user::Entity::find_by_id(pending.user_id)
        .find_also_related(tenant::Entity)
        .one(&state.db)
        .await
    {
        Ok(Some((member, Some(tenant)))) if tenant.suspended_at.is_none() => (member, tenant),
        // Gone, or its company suspended meanwhile: start again (and be told).
        Ok(_) => return Redirect::to(&login_path(safe_next(&next))).into_response(),
        Err(e) => {
            return ServiceError::from(anyhow::Error::new(e).context("reading the member"))
                .into_plain_response()
        }
    };
    let (member, tenant) = found;
    let refuse = |message: String| CodeEcho { message };
    let attempt =
        match throttle::begin(&state.db, &member.username, Some(member.id), Some(ip)).await {
            Ok(Ok(attempt)) => attempt,
            Ok(Err(wait)) => {
                let echo = refuse(format!(
                    "Too many wrong codes. Try again in {wait} seconds."
                ));
                return render_with_echo(&pages, parts, None, echo).await;
            }
            Err(e) => return ServiceError::from(e).into_plain_response(),
        };
    let passed =
        match service::check_sign_in_code(&state.db, &state.cipher, &member, &form.code).await {
            Ok(passed) => passed,
            Err(e) => return ServiceError::from(e).into_plain_response(),
        };
    let entry = |kind, summary: String| log::NewEntry {
        tenant_id: Some(member.tenant_id),
        actor_id: Some(member.id),
        actor: member.username.clone(),
        ip: Some(ip),
        kind,
        section: None,
        summary,
        changes: Vec::new(),
        version: None,
    };
    let Some(passed) = passed else {
        let failed = entry(
            ActivityKind::SignInFailed,
            "wrong two-factor code".to_owned(),
        );
        if let Err(e) = log::record(&state.db, failed).await {
            tracing::error!(error = format!("{e:#}"), "could not log a sign-in attempt");
        }
        let echo = refuse(
            "That code is not right, or was used already. Type the 6 digits your app shows now, or one of your recovery codes."
                .to_owned(),
        );
        return render_with_echo(&pages, parts, None, echo).await;
    };
    let summary = match passed {
        Passed::Code => "signed in (with a two-factor code)".to_owned(),
        Passed::RecoveryCode { left } => {
            format!("signed in with a recovery code ({left} left)")
        }
    };
    let started = async {
        throttle::succeeded(&state.db, attempt, member.id, Some(ip)).await?;
        start_session(
            &session,
            SessionUser::of(member.clone(), tenant),
            pending.client,
        )
        .await
    };
    if let Err(e) = started.await {
        return ServiceError::from(e.context("signing in")).into_plain_response();
    }
    if let Err(e) = log::record(&state.db, entry(ActivityKind::SignIn, summary)).await {
        tracing::error!(error = format!("{e:#}"), "could not log a sign-in");
    }
    tracing::info!(user_id = member.id, "signed in with a second factor");
    Redirect::to(safe_next(&next)).into_response()
}
