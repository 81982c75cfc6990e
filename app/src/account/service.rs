//! My account: the sessions list, a password change (throttled like
//! sign-in; every other session ends in the same transaction) and signing
//! out everywhere else.

use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use secrecy::SecretString;
use time::OffsetDateTime;
use tower_sessions::session::Id;

use super::actor::{Actor, Change};
use super::model::{describe_agent, AccountData, PasswordEcho, SessionView};
use super::reauth::reauthenticate;
use crate::{
    accounts::{self, AccountError},
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::{
        password::{hash_password, HashingPool},
        CurrentAdmin,
    },
    domain::AccountId,
    error::ServiceError,
    persistence::{
        crypto::SecretCipher,
        entities::user,
        session_store::{end_sessions_of, key_of, sessions_of},
        write_gate::WriteGate,
    },
    time_text::rfc3339,
};

fn at(unix: Option<i64>) -> Option<String> {
    unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .map(rfc3339)
}

pub async fn load(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    mail_on: bool,
    admin: &CurrentAdmin,
    current: Option<&Id>,
) -> Result<AccountData, ServiceError> {
    let current = current.map(key_of);
    let member = user::Entity::find_by_id(admin.user_id)
        .one(db)
        .await
        .context("reading the account")?
        .ok_or_else(|| anyhow::anyhow!("the account is gone"))?;
    let sessions = sessions_of(db, admin.user_id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            device: describe_agent(s.client.agent.as_deref()),
            address: s.client.ip.map(|ip| ip.to_string()),
            signed_in_at: at(s.signed_in_at),
            last_seen_at: at(s.seen_at.or(s.signed_in_at)),
            current: current.as_deref() == Some(s.key.as_str()),
        })
        .collect();
    Ok(AccountData {
        tenant_name: admin.tenant_name.clone(),
        username: admin.username.clone(),
        role: admin.role,
        sessions,
        two_factor: crate::two_factor::service::view(
            db,
            cipher,
            &Actor::Member(admin.clone()),
            false,
        )
        .await?,
        must_enrol: admin.must_enrol,
        email: member.email.clone(),
        pending_email: super::email::pending(&member),
        mail_on,
        delivery_alerts: member.delivery_alerts,
    })
}

/// Switches my delivery alert emails on or off, with its activity entry
/// (nothing is written when it is already so).
pub async fn set_delivery_alerts(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
    on: bool,
) -> Result<(), ServiceError> {
    use sea_orm::{sea_query::Expr, ColumnTrait, QueryFilter};
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let changed = user::Entity::update_many()
        .col_expr(user::Column::DeliveryAlerts, Expr::value(on))
        .filter(user::Column::Id.eq(admin.user_id))
        .filter(user::Column::DeliveryAlerts.ne(on))
        .exec(&txn)
        .await
        .context("saving the alert emails setting")?;
    if changed.rows_affected > 0 {
        let word = |on: bool| if on { "on" } else { "off" }.to_owned();
        let mut entry = NewEntry::by(
            admin,
            ActivityKind::AlertEmailsChanged,
            None,
            format!("switched their delivery alert emails {}", word(on)),
        );
        entry.changes = vec![crate::activity::entry::Change {
            field: "Alert emails".to_owned(),
            old: word(!on),
            new: word(on),
        }];
        record(&txn, entry).await?;
    }
    txn.commit()
        .await
        .context("committing the alert emails setting")?;
    Ok(())
}

/// What the password form asks for.
pub struct PasswordChange {
    pub current: SecretString,
    pub new: SecretString,
    /// Also revoke every API token acting for me.
    pub revoke_tokens: bool,
}

/// Why a password change was not made, for the form.
pub enum PasswordRefusal {
    Fields(PasswordEcho),
    Failed(ServiceError),
}

impl From<anyhow::Error> for PasswordRefusal {
    fn from(error: anyhow::Error) -> Self {
        PasswordRefusal::Failed(error.into())
    }
}

/// Changes my password (a member's or an operator's: `Actor`): the current
/// one must be right (attempts counted in a bucket of their own:
/// `throttle::begin_reauth`), the new one must pass
/// `accounts::password_rules`. Every session but `keep` (this one's stored
/// key) ends with it; a member's reset links close and an address change
/// waiting for confirmation is dropped, and with
/// `revoke_tokens` every API token acting for them ends. Returns the
/// sessions ended and the tokens revoked.
pub async fn change_password(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    actor: &Actor,
    keep: &str,
    change: PasswordChange,
) -> Result<(u64, u64), PasswordRefusal> {
    let PasswordChange {
        current,
        new,
        revoke_tokens,
    } = change;
    let account = actor.account();
    let refuse = |echo: PasswordEcho| Err(PasswordRefusal::Fields(echo));
    if let Err(wrong) = reauthenticate(db, hashing, account, current).await? {
        return refuse(PasswordEcho {
            current_error: Some(wrong),
            ..PasswordEcho::default()
        });
    }
    if let Err(refusal) = accounts::password_rules(&new, &actor.password_context()) {
        let message = match refusal {
            AccountError::Unexpected(e) => return Err(e.into()),
            refusal => refusal.to_string(),
        };
        return refuse(PasswordEcho {
            new_error: Some(message),
            ..PasswordEcho::default()
        });
    }
    let hash = hashing.run(move || hash_password(&new)).await??;
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    accounts::set_password_hash(&txn, account, hash).await?;
    let ended = end_sessions_of(&txn, account, Some(keep)).await?;
    let mut summary = format!(
        "changed their password; {} signed out",
        sessions_noun(ended)
    );
    let mut revoked = 0;
    if let Actor::Member(admin) = actor {
        crate::password_reset::service::close_links_of(&txn, admin.user_id).await?;
        accounts::drop_pending_email(&txn, admin.user_id).await?;
        if revoke_tokens {
            revoked = crate::api_tokens::service::revoke_all_of(&txn, admin.user_id).await?;
            summary.push_str(&format!(
                "; {} revoked",
                crate::api_tokens::service::tokens_noun(revoked)
            ));
        }
    }
    actor.record(&txn, Change::PasswordChanged, summary).await?;
    txn.commit().await.context("committing the password")?;
    Ok((ended, revoked))
}

fn sessions_noun(n: u64) -> String {
    match n {
        0 => "no other session".to_owned(),
        1 => "1 other session".to_owned(),
        n => format!("{n} other sessions"),
    }
}

/// Ends every session of mine but `keep`, with its activity entry.
pub async fn sign_out_others(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
    keep: &str,
) -> Result<u64, ServiceError> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let ended = end_sessions_of(&txn, AccountId::Member(admin.user_id), Some(keep)).await?;
    let summary = format!("signed out everywhere else ({})", sessions_noun(ended));
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::SessionsEnded, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the sign-outs")?;
    Ok(ended)
}
