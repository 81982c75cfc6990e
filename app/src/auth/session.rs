//! Who is asking: the session's administrator, looked up on every request
//! (through the read cache: a user or tenant deleted by hand loses access
//! within `EVENTURL_READ_CACHE_MS`).

use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::password::verify_password;
use crate::persistence::{
    entities::{tenant, user},
    read_cache::{Freshness, ReadCache},
};
use crate::{error::AppError, state::AppState};

/// Administrators by user id, as last read (`ip` unset).
pub type AdminCache = ReadCache<i32, Option<CurrentAdmin>>;

pub fn admin_cache(freshness: Freshness) -> AdminCache {
    ReadCache::new(freshness, 50_000)
}

const ADMIN_KEY: &str = "admin";

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct SessionAdmin {
    user_id: i32,
}

/// The signed-in tenant administrator. Every read and write of tenant data
/// takes its `tenant_id` from here, never from the request.
#[derive(Clone, Debug)]
pub struct CurrentAdmin {
    pub user_id: i32,
    pub username: String,
    pub tenant_id: i32,
    pub tenant_name: String,
    /// Where the request came from, for the activity log.
    pub ip: Option<std::net::IpAddr>,
}

pub async fn current_admin(
    session: &Session,
    state: &AppState,
) -> anyhow::Result<Option<CurrentAdmin>> {
    let Some(admin) = session
        .get::<SessionAdmin>(ADMIN_KEY)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    keep_alive(session).await?;
    state
        .admins
        .get_or_load(&admin.user_id, || lookup(&state.db, admin.user_id))
        .await
}

async fn lookup(db: &DatabaseConnection, user_id: i32) -> anyhow::Result<Option<CurrentAdmin>> {
    let found = user::Entity::find_by_id(user_id)
        .find_also_related(tenant::Entity)
        .one(db)
        .await
        .context("loading the signed-in user")?;
    Ok(found.and_then(|(user, tenant)| {
        tenant.map(|tenant| CurrentAdmin {
            user_id: user.id,
            username: user.username,
            tenant_id: tenant.id,
            tenant_name: tenant.name,
            ip: None,
        })
    }))
}

/// The administrator of a request: the one the sign-in guard
/// (`require_sign_in`) found and left in the request's extensions, else
/// looked up from the session (paths the guard lets through, like `/api/`).
pub async fn request_admin(
    parts: &http::request::Parts,
    session: &Session,
    state: &AppState,
) -> anyhow::Result<Option<CurrentAdmin>> {
    match parts.extensions.get::<CurrentAdmin>() {
        Some(admin) => Ok(Some(admin.clone())),
        None => current_admin(session, state).await,
    }
}

const SEEN_KEY: &str = "seen";

/// Activity keeps a session alive: the session is written again (a later
/// expiry, the cookie re-issued) once a tenth of the idle timeout, at most
/// a minute, has passed since it last was, not on every request.
async fn keep_alive(session: &Session) -> anyhow::Result<()> {
    let Some(tower_sessions::Expiry::OnInactivity(idle)) = session.expiry() else {
        return Ok(());
    };
    let every: time::Duration = idle / 10;
    let every = every.min(time::Duration::minutes(1)).whole_seconds();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let seen = session
        .get::<i64>(SEEN_KEY)
        .await
        .context("reading the session")?;
    if seen.is_none_or(|seen| now - seen >= every) {
        session
            .insert(SEEN_KEY, now)
            .await
            .context("writing the session")?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The username or password is not right.")]
    InvalidCredentials,
    #[error("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The account a sign-in attempt named, whether or not it succeeded: the
/// activity log files the attempt under its tenant.
#[derive(Clone, Copy, Debug)]
pub struct NamedUser {
    pub user_id: i32,
    pub tenant_id: i32,
}

/// What a sign-in attempt came to, and whom it named (looked up once).
pub struct SignInAttempt {
    pub named: Option<NamedUser>,
    pub outcome: Result<i32, SignInError>,
}

/// Refuses while the account or client address is throttled; else checks
/// the password (off the async executor, in the same time for an unknown
/// user), then starts a session under a new id.
pub async fn sign_in(
    session: &Session,
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
    client_ip: Option<std::net::IpAddr>,
    hashing: &super::password::HashingPool,
) -> SignInAttempt {
    use sea_orm::{ColumnTrait, QueryFilter};
    let found = match user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
        .context("looking up the user")
    {
        Ok(found) => found,
        Err(e) => {
            return SignInAttempt {
                named: None,
                outcome: Err(e.into()),
            }
        }
    };
    let named = found.as_ref().map(|u| NamedUser {
        user_id: u.id,
        tenant_id: u.tenant_id,
    });
    let outcome = check_and_start(session, db, username, password, client_ip, hashing, found).await;
    SignInAttempt { named, outcome }
}

async fn check_and_start(
    session: &Session,
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
    client_ip: Option<std::net::IpAddr>,
    hashing: &super::password::HashingPool,
    found: Option<user::Model>,
) -> Result<i32, SignInError> {
    if let Some(retry_after_secs) = super::throttle::wait_needed(db, username, client_ip).await? {
        return Err(SignInError::Throttled { retry_after_secs });
    }
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let ok = hashing
        .run(move || verify_password(&password, stored.as_deref()))
        .await?;
    let user = match (ok, found) {
        (true, Some(user)) => user,
        _ => {
            super::throttle::record_failure(db, username, client_ip).await?;
            return Err(SignInError::InvalidCredentials);
        }
    };
    super::throttle::clear_account(db, username).await?;
    start_session(session, user.id).await?;
    Ok(user.id)
}

/// Renews the session id (against fixation) and records the administrator.
pub async fn start_session(session: &Session, user_id: i32) -> anyhow::Result<()> {
    session
        .cycle_id()
        .await
        .context("renewing the session id")?;
    session
        .insert(ADMIN_KEY, SessionAdmin { user_id })
        .await
        .context("writing the session")?;
    Ok(())
}

/// Ends the session server-side and expires the cookie.
pub async fn sign_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await.context("deleting the session")
}

/// For server functions: the app state and the signed-in administrator, or
/// `SignInRequired`.
pub async fn require_admin() -> Result<(AppState, CurrentAdmin), AppError> {
    let state = leptos::prelude::expect_context::<AppState>();
    let parts = leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no request in the context")))?;
    let session = leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("no session layer: {e}")))?;
    match request_admin(&parts, &session, &state)
        .await
        .map_err(|e| AppError::internal(e).into_response_status())?
    {
        Some(admin) => {
            let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .await
                .ok()
                .map(|c| c.0);
            let headers = leptos_axum::extract::<http::HeaderMap>()
                .await
                .unwrap_or_default();
            let ip = peer.map(|peer| {
                super::routes::client_ip(&headers, peer, state.client_ip_header.as_ref())
            });
            Ok((state, CurrentAdmin { ip, ..admin }))
        }
        None => Err(AppError::SignInRequired.into_response_status()),
    }
}
