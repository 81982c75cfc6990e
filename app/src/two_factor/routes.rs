//! Two-factor sign-in's form posts: setting it up and turning it off on
//! one's account page (a member's or an operator's: `Actor`), and the code
//! after the password at sign-in.

use anyhow::Context;
use axum::{
    extract::{ConnectInfo, Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::SecretString;
use std::net::{IpAddr, SocketAddr};
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{
    model::{CodeEcho, TwoFactorEcho},
    service::{self, Passed},
};
use crate::{
    account::actor::Actor,
    auth::{
        login_path, operator_next,
        routes::record_attempt,
        safe_next,
        session::{
            start_operator_session, start_session, Named, PendingSignIn, SECOND_FACTOR_KEY,
            SECOND_FACTOR_WITHIN_SECS,
        },
        throttle,
    },
    client_ip::client_ip,
    domain::AccountId,
    error::{AppError, ServiceError},
    persistence::{
        entities::{operator, tenant, user},
        session_store::SessionUser,
    },
    render::{render_with_echo, Pages},
    state::AppState,
};

/// A refusal the account holder can act on is shown in their account
/// page's section.
async fn answer(
    pages: &Pages,
    actor: &Actor,
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
                render_with_echo(pages, parts, Some(actor.page()), echo).await
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
    actor: Actor,
    parts: http::request::Parts,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = service::start(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.hashing,
        &actor,
        SecretString::from(form.password),
    )
    .await
    .map(|()| Redirect::to(&format!("{}#two-factor", actor.page())).into_response());
    answer(&pages, &actor, parts, result).await
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    actor: Actor,
    parts: http::request::Parts,
    Form(form): Form<CodeForm>,
) -> Response {
    match service::confirm(&state.db, &state.writes, &state.cipher, &actor, &form.code).await {
        Ok(codes) => {
            let echo = TwoFactorEcho {
                recovery_codes: Some(codes),
                ..TwoFactorEcho::default()
            };
            render_with_echo(&pages, parts, Some(actor.page()), echo).await
        }
        Err(error) => answer(&pages, &actor, parts, Err(error)).await,
    }
}

pub async fn off_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    actor: Actor,
    parts: http::request::Parts,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = service::turn_off(
        &state.db,
        &state.writes,
        &state.hashing,
        &actor,
        SecretString::from(form.password),
    )
    .await
    .map(|()| Redirect::to(&format!("{}?two_factor=off", actor.page())).into_response());
    answer(&pages, &actor, parts, result).await
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Whose code the second step is checking, as the database says now.
enum Holder {
    Member(user::Model, tenant::Model),
    Operator(operator::Model),
}

impl Holder {
    /// Gone, or (a member) their company suspended meanwhile: `None`, and
    /// the sign-in starts again.
    async fn load(db: &DatabaseConnection, account: AccountId) -> anyhow::Result<Option<Self>> {
        Ok(match account {
            AccountId::Member(id) => user::Entity::find_by_id(id)
                .find_also_related(tenant::Entity)
                .one(db)
                .await
                .context("reading the member")?
                .and_then(|(member, tenant)| Some((member, tenant?)))
                .filter(|(_, tenant)| tenant.suspended_at.is_none())
                .map(|(member, tenant)| Holder::Member(member, tenant)),
            AccountId::Operator(id) => operator::Entity::find_by_id(id)
                .one(db)
                .await
                .context("reading the operator")?
                .map(Holder::Operator),
        })
    }

    async fn count_attempt(
        &self,
        db: &DatabaseConnection,
        ip: IpAddr,
    ) -> anyhow::Result<Result<throttle::Attempt, u64>> {
        match self {
            Holder::Member(member, _) => {
                throttle::begin(db, &member.username, Some(member.id), Some(ip)).await
            }
            Holder::Operator(operator) => throttle::begin_operator(db, operator, Some(ip)).await,
        }
    }

    /// The attempt in the member's tenant's log, or the operators' log.
    async fn record(&self, db: &DatabaseConnection, ip: IpAddr, passed: Option<Passed>) {
        let summary = passed.map_or_else(|| "wrong two-factor code".to_owned(), Passed::summary);
        let (named, username) = match self {
            Holder::Member(member, _) => (
                Named::Member {
                    user_id: member.id,
                    tenant_id: member.tenant_id,
                },
                &member.username,
            ),
            Holder::Operator(operator) => (Named::Operator(operator.id), &operator.username),
        };
        record_attempt(db, Some(named), username, ip, passed.is_some(), summary).await;
    }

    /// Signs in: the attempt forgiven, the session started; where to go.
    async fn sign_in<'n>(
        self,
        db: &DatabaseConnection,
        session: &Session,
        attempt: throttle::Attempt,
        pending: PendingSignIn,
        ip: IpAddr,
        next: &'n str,
    ) -> anyhow::Result<&'n str> {
        let ip = Some(ip);
        match self {
            Holder::Member(member, tenant) => {
                throttle::succeeded(db, attempt, member.id, ip).await?;
                start_session(session, SessionUser::of(member, tenant), pending.client).await?;
                Ok(safe_next(next))
            }
            Holder::Operator(operator) => {
                throttle::operator_succeeded(db, attempt, operator.id, ip).await?;
                start_operator_session(session, operator, pending.client).await?;
                Ok(operator_next(next))
            }
        }
    }
}

/// The second step of signing in: the code (or a recovery code) for the
/// member or operator whose password this session just accepted, within
/// 5 minutes.
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
    // One this version cannot read (written before an upgrade) is as
    // good as none: the sign-in starts again.
    let pending = session
        .get::<PendingSignIn>(SECOND_FACTOR_KEY)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "an unreadable second-factor step; starting again");
            None
        });
    let Some(pending) = pending.filter(|p| now - p.since <= SECOND_FACTOR_WITHIN_SECS) else {
        // Too late, or no password given in this browser: start again.
        return Redirect::to(&login_path(safe_next(&next))).into_response();
    };
    let ip = client_ip(&parts.headers, peer, state.config.client_ip_header.as_ref());
    let holder = match Holder::load(&state.db, pending.account).await {
        Ok(Some(holder)) => holder,
        Ok(None) => return Redirect::to(&login_path(safe_next(&next))).into_response(),
        Err(e) => return ServiceError::from(e).into_plain_response(),
    };
    let refuse = |message: String| CodeEcho { message };
    let attempt = match holder.count_attempt(&state.db, ip).await {
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
        match service::check_sign_in_code(&state.db, &state.cipher, pending.account, &form.code)
            .await
        {
            Ok(passed) => passed,
            Err(e) => return ServiceError::from(e).into_plain_response(),
        };
    holder.record(&state.db, ip, passed).await;
    if passed.is_none() {
        let echo = refuse(
            "That code is not right, or was used already. Type the 6 digits your app shows now, or one of your recovery codes."
                .to_owned(),
        );
        return render_with_echo(&pages, parts, None, echo).await;
    }
    let account = pending.account;
    match holder
        .sign_in(&state.db, &session, attempt, pending, ip, &next)
        .await
    {
        Ok(target) => {
            tracing::info!(?account, "signed in with a second factor");
            Redirect::to(target).into_response()
        }
        Err(e) => ServiceError::from(e.context("signing in")).into_plain_response(),
    }
}
