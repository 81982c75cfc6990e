//! The setup form's POST: validates, creates tenant and administrator in
//! one transaction, closes the gate and signs the new administrator in.

use anyhow::Context;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use serde::Deserialize;
use tower_sessions::Session;

use super::{gate::SetupGate, SetupEcho};
use crate::{
    accounts::{self, AccountError, NewAdmin, NewTenant},
    auth::session::start_session,
    client_ip::client_ip,
    domain::Role,
    paths::{HOME, LOGIN},
    persistence::session_store::{SessionClient, SessionUser},
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn setup(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    State(gate): State<SetupGate>,
    session: Session,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    parts: http::request::Parts,
    Form(form): Form<SetupForm>,
) -> Response {
    if !gate.is_valid(&form.token) {
        return (
            StatusCode::NOT_FOUND,
            "This setup link is no longer valid. Sign in at /login instead.",
        )
            .into_response();
    }
    let tenant = NewTenant {
        name: form.tenant.trim().to_owned(),
    };
    let admin = NewAdmin {
        username: form.username.trim().to_owned(),
        password: SecretString::from(form.password),
        role: Role::Administrator,
    };
    let echo = |message: String| SetupEcho {
        tenant: tenant.name.clone(),
        username: admin.username.clone(),
        message,
    };
    if let Err(e) = accounts::validate_setup(&tenant, &admin) {
        let echo = echo(e.to_string());
        // 200 with the message: a 4xx document is a browser console error.
        return render_with_echo(&pages, parts, None, echo).await;
    }
    // Taking the token first makes a second, concurrent submission fail.
    if !gate.take(&form.token) {
        return (StatusCode::NOT_FOUND, "This setup link has just been used.").into_response();
    }
    let client = Some(client_ip(
        &parts.headers,
        peer,
        state.config.client_ip_header.as_ref(),
    ));
    match create_first_tenant(&state, tenant, admin, client).await {
        Ok(user) => {
            match start_session(&session, user, SessionClient::of(&parts.headers, client)).await {
                Ok(()) => {
                    tracing::info!("setup completed; the setup link is closed");
                    Redirect::to(HOME).into_response()
                }
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "signing in after setup");
                    Redirect::to(LOGIN).into_response()
                }
            }
        }
        Err(e) => {
            gate.restore(form.token);
            tracing::error!(error = format!("{e:#}"), "setup failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Setup failed on our side. Try again in a moment.",
            )
                .into_response()
        }
    }
}

async fn create_first_tenant(
    state: &AppState,
    tenant: NewTenant,
    admin: NewAdmin,
    client: Option<std::net::IpAddr>,
) -> Result<SessionUser, AccountError> {
    let txn = state.db.begin().await.context("starting a transaction")?;
    if accounts::tenant_count(&txn).await? > 0 {
        return Err(AccountError::Invalid(
            "setup has already been completed".into(),
        ));
    }
    let tenant = accounts::create_tenant_in(&txn, &state.cipher, tenant).await?;
    let admin = accounts::create_admin_in(&txn, tenant.id, admin).await?;
    crate::activity::log::record(
        &txn,
        crate::activity::log::NewEntry {
            tenant_id: Some(tenant.id),
            actor_id: Some(admin.id),
            actor: admin.username.clone(),
            ip: client,
            kind: crate::activity::ActivityKind::SetupCompleted,
            section: None,
            summary: format!("created tenant \"{}\" and its administrator", tenant.name),
            changes: Vec::new(),
            version: None,
        },
    )
    .await?;
    txn.commit().await.context("committing setup")?;
    Ok(SessionUser::of(admin, tenant))
}
