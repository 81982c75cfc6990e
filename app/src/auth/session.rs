//! A session's administrator: signing in (throttled, password checked off
//! the executor), reading who a session belongs to, signing out.

use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::SecretString;
use tower_sessions::Session;

use super::password::verify_password;
use crate::domain::AccountId;
use crate::persistence::{
    entities::{operator, tenant, user},
    session_store::{
        SessionClient, SessionOperator, SessionUser, CLIENT_KEY, SEEN_KEY, SESSION_OPERATOR_KEY,
        SESSION_USER_KEY, SIGNED_IN_AT_KEY,
    },
};

/// The administrator the session belongs to, as read with the session in
/// this request (`session_store`); keeps the session alive.
pub async fn session_user(session: &Session) -> anyhow::Result<Option<SessionUser>> {
    let Some(user) = session
        .get::<SessionUser>(SESSION_USER_KEY)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    keep_alive(session).await?;
    Ok(Some(user))
}

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
    /// The right password, of a member of a suspended company.
    #[error("Your company's access to eventurl is suspended. Contact your provider.")]
    Suspended,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The account a sign-in attempt named, whether or not it succeeded: the
/// attempt is filed in its tenant's activity log, or in the operators'.
#[derive(Clone, Copy, Debug)]
pub enum Named {
    Member { user_id: i32, tenant_id: i32 },
    Operator(i32),
}

/// What a sign-in attempt came to, and whom it named (looked up once).
pub struct SignInAttempt {
    pub named: Option<Named>,
    pub outcome: Result<PasswordAccepted, SignInError>,
}

/// A right password: signed in, or (with two-factor sign-in on) a code
/// is asked for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordAccepted {
    SignedIn(i32),
    /// A provider operator signed in (their id).
    Operator(i32),
    CodeNeeded(AccountId),
}

/// Whom a sign-in names: a tenant's member, or a provider operator
/// (usernames are unique across both).
enum Account {
    Member(user::Model, tenant::Model),
    Operator(operator::Model),
}

/// The key under which a session carries a sign-in waiting for its second
/// factor: whose, and since when (Unix seconds). It signs no one in.
pub const SECOND_FACTOR_KEY: &str = "second_factor";
/// How long the code may take after the password.
pub const SECOND_FACTOR_WITHIN_SECS: i64 = 300;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingSignIn {
    pub account: AccountId,
    pub since: i64,
    pub client: SessionClient,
}

/// Refuses while the account or client address is throttled; else checks
/// the password (off the async executor, in the same time for an unknown
/// user), then starts a session under a new id.
pub async fn sign_in(
    session: &Session,
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
    client: SessionClient,
    hashing: &super::password::HashingPool,
) -> SignInAttempt {
    use sea_orm::{ColumnTrait, QueryFilter};
    let found = match user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .find_also_related(tenant::Entity)
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
    let found = match found.and_then(|(user, tenant)| tenant.map(|tenant| (user, tenant))) {
        Some((user, tenant)) => Some(Account::Member(user, tenant)),
        None => match operator::Entity::find()
            .filter(operator::Column::Username.eq(username))
            .one(db)
            .await
            .context("looking up the operator")
        {
            Ok(found) => found.map(Account::Operator),
            Err(e) => {
                return SignInAttempt {
                    named: None,
                    outcome: Err(e.into()),
                }
            }
        },
    };
    let named = match &found {
        Some(Account::Member(u, _)) => Some(Named::Member {
            user_id: u.id,
            tenant_id: u.tenant_id,
        }),
        Some(Account::Operator(o)) => Some(Named::Operator(o.id)),
        None => None,
    };
    let outcome = check_and_start(session, db, username, password, client, hashing, found).await;
    SignInAttempt { named, outcome }
}

async fn check_and_start(
    session: &Session,
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
    client: SessionClient,
    hashing: &super::password::HashingPool,
    found: Option<Account>,
) -> Result<PasswordAccepted, SignInError> {
    let client_ip = client.ip;
    let user_id = match &found {
        Some(Account::Member(u, _)) => Some(u.id),
        _ => None,
    };
    // Counted before the password is checked: no burst gets more checks
    // than the limit, and a refusal costs no argon2 work.
    let counted = match &found {
        Some(Account::Operator(operator)) => {
            super::throttle::begin_operator(db, operator, client_ip).await?
        }
        _ => super::throttle::begin(db, username, user_id, client_ip).await?,
    };
    let attempt = match counted {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => return Err(SignInError::Throttled { retry_after_secs }),
    };
    let stored = found.as_ref().map(|account| match account {
        Account::Member(u, _) => u.password_hash.clone(),
        Account::Operator(o) => o.password_hash.clone(),
    });
    let ok = hashing
        .run(move || verify_password(&password, stored.as_deref()))
        .await?;
    let (user, tenant) = match (ok, found) {
        (true, Some(Account::Member(user, tenant))) => (user, tenant),
        (true, Some(Account::Operator(operator))) => {
            let operator_id = operator.id;
            if operator.totp_confirmed_at.is_some() {
                ask_for_code(session, AccountId::Operator(operator_id), client).await?;
                return Ok(PasswordAccepted::CodeNeeded(AccountId::Operator(
                    operator_id,
                )));
            }
            super::throttle::operator_succeeded(db, attempt, operator_id, client_ip).await?;
            start_operator_session(session, operator, client).await?;
            return Ok(PasswordAccepted::Operator(operator_id));
        }
        // The attempt stays counted: it failed.
        _ => return Err(SignInError::InvalidCredentials),
    };
    if tenant.suspended_at.is_some() {
        return Err(SignInError::Suspended);
    }
    let user_id = user.id;
    if user.totp_confirmed_at.is_some() {
        ask_for_code(session, AccountId::Member(user_id), client).await?;
        return Ok(PasswordAccepted::CodeNeeded(AccountId::Member(user_id)));
    }
    super::throttle::succeeded(db, attempt, user_id, client_ip).await?;
    start_session(session, SessionUser::of(user, tenant), client).await?;
    Ok(PasswordAccepted::SignedIn(user_id))
}

/// The password was right and the account has two-factor sign-in: the
/// session (under a new id already: what follows the code is a sign-in)
/// remembers whose code to ask for, and since when.
async fn ask_for_code(
    session: &Session,
    account: AccountId,
    client: SessionClient,
) -> anyhow::Result<()> {
    session
        .cycle_id()
        .await
        .context("renewing the session id")?;
    let pending = PendingSignIn {
        account,
        since: time::OffsetDateTime::now_utc().unix_timestamp(),
        client,
    };
    session
        .insert(SECOND_FACTOR_KEY, pending)
        .await
        .context("writing the session")
}

/// Who a session is: a member or a provider operator, never both.
enum Identity {
    Member(SessionUser),
    Operator(SessionOperator),
}

/// Starts a signed-in session: the id renewed (against fixation), the one
/// identity recorded (the other kind's removed, and any half-done second
/// factor), the device and the time of sign-in.
async fn start(session: &Session, identity: Identity, client: SessionClient) -> anyhow::Result<()> {
    session
        .cycle_id()
        .await
        .context("renewing the session id")?;
    let other = match &identity {
        Identity::Member(_) => SESSION_OPERATOR_KEY,
        Identity::Operator(_) => SESSION_USER_KEY,
    };
    for gone in [other, SECOND_FACTOR_KEY] {
        session
            .remove_value(gone)
            .await
            .context("writing the session")?;
    }
    let written = match identity {
        Identity::Member(user) => session.insert(SESSION_USER_KEY, user).await,
        Identity::Operator(operator) => session.insert(SESSION_OPERATOR_KEY, operator).await,
    };
    written.context("writing the session")?;
    session
        .insert(CLIENT_KEY, client)
        .await
        .context("writing the session")?;
    session
        .insert(
            SIGNED_IN_AT_KEY,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )
        .await
        .context("writing the session")
}

/// Signs a member in (`start`).
pub async fn start_session(
    session: &Session,
    user: SessionUser,
    client: SessionClient,
) -> anyhow::Result<()> {
    start(session, Identity::Member(user), client).await
}

/// Signs a provider operator in (`start`; their last sign-in is noted by
/// the throttle).
pub async fn start_operator_session(
    session: &Session,
    operator: operator::Model,
    client: SessionClient,
) -> anyhow::Result<()> {
    let operator = SessionOperator {
        operator_id: operator.id,
        username: operator.username,
        two_factor_on: operator.totp_confirmed_at.is_some(),
    };
    start(session, Identity::Operator(operator), client).await
}

/// The provider operator the session belongs to, as read with the
/// session in this request.
pub async fn session_operator(session: &Session) -> anyhow::Result<Option<SessionOperator>> {
    let Some(operator) = session
        .get::<SessionOperator>(SESSION_OPERATOR_KEY)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    keep_alive(session).await?;
    Ok(Some(operator))
}

/// Ends the session server-side and expires the cookie.
pub async fn sign_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await.context("deleting the session")
}
