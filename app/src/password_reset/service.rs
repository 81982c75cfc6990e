//! Asking for a reset link and using it.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Set, TransactionTrait,
};
use secrecy::SecretString;
use std::{net::IpAddr, sync::Arc};
use time::OffsetDateTime;

use super::model::{ResetLink, RESET_CLOSED, RESET_MINUTES, RESET_PREFIX, RESET_SUSPENDED};
use crate::{
    accounts::{self, AccountError},
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::password::{hash_password, HashingPool},
    error::{AppError, ServiceError},
    mail::{letters, Outbox},
    paths::LOGIN_RESET,
    persistence::{
        crypto::{credential_digest, new_bearer_credential},
        entities::{password_reset, tenant, user},
        rate_limit::{self, Rule, Verdict},
        session_store::end_sessions_of,
        write_gate::WriteGate,
    },
};

/// Requests allowed per client address, and per name or address asked
/// for, in an hour: enough for a typo or two, too few to flood a mailbox.
const PER_ADDRESS: u64 = 10;
const PER_IDENTIFIER: u64 = 3;

/// Why a request for a link was not taken.
#[derive(Debug)]
pub enum ForgotRefusal {
    Throttled { retry_after_secs: u64 },
    Failed(ServiceError),
}

impl From<anyhow::Error> for ForgotRefusal {
    fn from(error: anyhow::Error) -> Self {
        ForgotRefusal::Failed(error.into())
    }
}

/// Emails a reset link to each account whose username, or email address,
/// is `identifier` (addresses are stored lower-case; the account needs one,
/// and an active company).
///
/// Says nothing of whether one did: the caller answers alike either way,
/// and as soon as the client address's limit is checked (the same work
/// for any name): the lookup and the letters are made after, off the
/// request, so its timing tells nothing either. A name asked for too
/// often is answered alike too, and sent nothing more (else anyone could
/// keep its owner from getting a link by asking first).
pub async fn request(
    db: &DatabaseConnection,
    writes: &Arc<WriteGate>,
    outbox: &Outbox,
    identifier: &str,
    ip: IpAddr,
) -> Result<(), ForgotRefusal> {
    let identifier = identifier.trim().to_owned();
    if !outbox.is_on() || identifier.is_empty() || identifier.chars().count() > 254 {
        return Ok(());
    }
    let per_address = Rule {
        key: format!("reset:ip:{}", ip.to_canonical()),
        max: PER_ADDRESS,
        window: time::Duration::hours(1),
    };
    if let Verdict::Refused { retry_after_secs } = rate_limit::take(db, &[per_address]).await? {
        return Err(ForgotRefusal::Throttled { retry_after_secs });
    }
    let (db, writes, outbox) = (db.clone(), Arc::clone(writes), outbox.clone());
    tokio::spawn(async move {
        if let Err(e) = send_links(&db, &writes, &outbox, &identifier, ip).await {
            tracing::error!(error = format!("{e:#}"), "could not send reset links");
        }
    });
    Ok(())
}

/// `request`'s work after the answer: the name's own limit, the lookup,
/// the links and their letters in one transaction.
async fn send_links(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    identifier: &str,
    ip: IpAddr,
) -> anyhow::Result<()> {
    let folded = identifier.to_lowercase();
    let per_name = Rule {
        key: format!("reset:name:{}", credential_digest(&folded)),
        max: PER_IDENTIFIER,
        window: time::Duration::hours(1),
    };
    if let Verdict::Refused { .. } = rate_limit::take(db, &[per_name]).await? {
        tracing::info!("reset link not sent: asked for too often");
        return Ok(());
    }
    let accounts = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Username.eq(identifier))
                .add(user::Column::Email.eq(folded.clone())),
        )
        .filter(user::Column::Email.is_not_null())
        .find_also_related(tenant::Entity)
        .all(db)
        .await
        .context("looking up the account")?;
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    for (member, company) in accounts {
        let (Some(address), Some(company)) = (member.email.clone(), company) else {
            continue;
        };
        if company.suspended_at.is_some() {
            continue;
        }
        let token = new_bearer_credential(RESET_PREFIX);
        password_reset::ActiveModel {
            user_id: Set(member.id),
            token_hash: Set(credential_digest(&token)),
            created_at: Set(now),
            expires_at: Set(now + time::Duration::minutes(RESET_MINUTES)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .context("storing a reset link")?;
        let link = outbox
            .link(&format!("{LOGIN_RESET}?token={token}"))
            .unwrap_or_default();
        outbox
            .queue(
                &txn,
                [letters::password_reset(
                    &address,
                    &member.username,
                    &link,
                    RESET_MINUTES,
                )],
            )
            .await?;
        record(
            &txn,
            NewEntry {
                tenant_id: Some(member.tenant_id),
                actor_id: None,
                // Whoever asked: not necessarily the account's owner.
                actor: "someone on the sign-in page".to_owned(),
                ip: Some(ip),
                kind: ActivityKind::PasswordResetRequested,
                section: None,
                summary: format!(
                    "a password reset link for {} was emailed to the account's address",
                    member.username
                ),
                changes: Vec::new(),
                version: None,
            },
        )
        .await?;
    }
    txn.commit().await.context("committing the reset links")?;
    Ok(())
}

/// Closes every open reset link of an account (its password or address
/// changed: a link sent before must not outlive that).
pub async fn close_links_of(db: &impl ConnectionTrait, user_id: i32) -> anyhow::Result<()> {
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::UsedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await
        .context("closing reset links")?;
    Ok(())
}

/// The open reset a token names, with its account.
async fn open_reset(
    db: &impl ConnectionTrait,
    token: &str,
) -> anyhow::Result<Option<(password_reset::Model, user::Model)>> {
    if !token.starts_with(RESET_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let found = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(credential_digest(token)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
        .find_also_related(user::Entity)
        .one(db)
        .await
        .context("reading the reset link")?;
    Ok(found.and_then(|(reset, member)| member.map(|m| (reset, m))))
}

pub async fn link_state(db: &DatabaseConnection, token: &str) -> Result<ResetLink, ServiceError> {
    let Some((_, member)) = open_reset(db, token).await? else {
        return Ok(ResetLink::Closed);
    };
    if suspended(db, member.tenant_id).await? {
        return Ok(ResetLink::Suspended);
    }
    Ok(ResetLink::Open {
        username: member.username,
    })
}

async fn suspended(db: &impl ConnectionTrait, tenant_id: i32) -> anyhow::Result<bool> {
    Ok(tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await
        .context("reading the company")?
        .is_none_or(|t| t.suspended_at.is_some()))
}

/// Sets the account's new password with a reset link, once: every session
/// of the account ends and every other open link of it closes, in one
/// transaction with its Activity entry. Returns the username.
pub async fn reset(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    token: &str,
    password: SecretString,
    ip: Option<IpAddr>,
) -> Result<String, ServiceError> {
    let closed = || ServiceError::from(AppError::Refused(RESET_CLOSED.to_owned()));
    let Some((_, member)) = open_reset(db, token).await? else {
        return Err(closed());
    };
    let Some(company) = tenant::Entity::find_by_id(member.tenant_id)
        .one(db)
        .await
        .context("reading the company")?
        .filter(|t| t.suspended_at.is_none())
        .map(|t| t.name)
    else {
        return Err(AppError::Refused(RESET_SUSPENDED.to_owned()).into());
    };
    if let Err(refusal) = accounts::password_rules(&password, &[&member.username, &company]) {
        return Err(match refusal {
            AccountError::Unexpected(e) => ServiceError::Ours(e),
            refusal => AppError::Refused(refusal.to_string()).into(),
        });
    }
    let hash = hashing.run(move || hash_password(&password)).await??;
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    // Claimed first: of two uses at once, one finds it used.
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::TokenHash.eq(credential_digest(token)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await
        .context("claiming the reset link")?;
    if claimed.rows_affected == 0 {
        return Err(closed());
    }
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(member.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .context("closing the account's other reset links")?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(member.id))
        .exec(&txn)
        .await
        .context("setting the new password")?;
    let ended = end_sessions_of(&txn, crate::domain::AccountId::Member(member.id), None).await?;
    // An address change they asked for ends too.
    accounts::drop_pending_email(&txn, member.id).await?;
    // Whoever took the account may have made tokens with it: they end too.
    let revoked = crate::api_tokens::service::revoke_all_of(&txn, member.id).await?;
    record(
        &txn,
        NewEntry {
            tenant_id: Some(member.tenant_id),
            actor_id: Some(member.id),
            actor: member.username.clone(),
            ip,
            kind: ActivityKind::PasswordReset,
            section: None,
            summary: format!(
                "set a new password with an emailed reset link ({ended} session{} ended, {} revoked)",
                if ended == 1 { "" } else { "s" },
                crate::api_tokens::service::tokens_noun(revoked)
            ),
            changes: Vec::new(),
            version: None,
        },
    )
    .await?;
    txn.commit().await.context("committing the new password")?;
    Ok(member.username)
}

/// Deletes reset links a day past their hour (used or not): nothing
/// refers to them.
pub async fn purge(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    let done = password_reset::Entity::delete_many()
        .filter(
            password_reset::Column::ExpiresAt
                .lt(OffsetDateTime::now_utc() - time::Duration::days(1)),
        )
        .exec(db)
        .await
        .context("deleting old reset links")?;
    Ok(done.rows_affected)
}
