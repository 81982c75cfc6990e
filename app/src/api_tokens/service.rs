//! Creating, listing, revoking and checking API tokens. A token is shown
//! once; only its SHA-256 is stored, and a presented token is looked up by
//! that digest (the comparison happens on a digest: its timing says
//! nothing of the token).

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use std::net::IpAddr;
use time::OffsetDateTime;

use super::model::{ApiTokenView, NewToken, Scope, TOKEN_PREFIX};
use crate::{
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::{Administrator, CurrentAdmin},
    domain::Role,
    error::{AppError, ServiceError},
    persistence::{
        crypto::{credential_digest as hash, new_bearer_credential},
        entities::{api_token, tenant, user},
        raw_sql,
        write_gate::WriteGate,
    },
};

fn fresh_token() -> String {
    new_bearer_credential(TOKEN_PREFIX)
}

use crate::time_text::rfc3339;

fn view_of(row: api_token::Model, created_by: Option<String>, now: OffsetDateTime) -> ApiTokenView {
    ApiTokenView {
        id: row.id,
        name: row.name,
        scope: Scope::parse(&row.scope).unwrap_or(Scope::Read),
        created_by,
        created_at: rfc3339(row.created_at),
        expires_at: row.expires_at.map(rfc3339),
        expired: row.expires_at.is_some_and(|at| at <= now),
        last_used_at: row.last_used_at.map(rfc3339),
        last_used_ip: row.last_used_ip,
        revoked_at: row.revoked_at.map(rfc3339),
    }
}

/// Stores a new token for `created_by` of `tenant_id` with its activity
/// entry (in `txn`); the token itself, to show once.
async fn insert(
    txn: &impl ConnectionTrait,
    tenant_id: i32,
    created_by: i32,
    new: &NewToken,
    entry: NewEntry,
    now: OffsetDateTime,
) -> anyhow::Result<(String, api_token::Model)> {
    let token = fresh_token();
    let row = api_token::ActiveModel {
        tenant_id: Set(tenant_id),
        name: Set(new.name.clone()),
        scope: Set(new.scope.as_str().to_owned()),
        token_hash: Set(hash(&token)),
        created_by: Set(created_by),
        created_at: Set(now),
        expires_at: Set(new
            .expires_in_days
            .map(|d| now + time::Duration::days(d.into()))),
        ..Default::default()
    }
    .insert(txn)
    .await
    .context("storing an API token")?;
    record(txn, entry).await?;
    Ok((token, row))
}

fn created_summary(new: &NewToken) -> String {
    let expiry = match new.expires_in_days {
        Some(days) => format!("expires in {days} days"),
        None => "never expires".to_owned(),
    };
    format!(
        "created API token {:?} ({}, {expiry})",
        new.name,
        new.scope.label()
    )
}

/// A new token of the signed-in administrator's tenant, in their name.
pub async fn create(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    new: &NewToken,
) -> Result<(String, ApiTokenView), ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let entry = NewEntry::by(
        admin,
        ActivityKind::ApiTokenCreated,
        None,
        created_summary(new),
    );
    let (token, row) = insert(&txn, admin.tenant_id, admin.user_id, new, entry, now).await?;
    txn.commit().await.context("committing the token")?;
    Ok((token, view_of(row, Some(admin.username.clone()), now)))
}

/// Why the command line could not create a token.
#[derive(Debug, thiserror::Error)]
pub enum CliTokenError {
    #[error("No tenant is named {0:?} (see `eventurl tenant list`).")]
    NoSuchTenant(String),
    #[error("Tenant {0:?} has no administrator named {1:?}.")]
    NoSuchAdmin(String, String),
    #[error("Tenant {0:?} has no administrator yet: create one first (`eventurl admin create`).")]
    NoAdmin(String),
    #[error("Tenant {0:?} has several administrators ({1}): say in whose name with --admin.")]
    WhichAdmin(String, String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A new token for a script (`eventurl api-token create`): in the name of
/// `admin`, or of the tenant's only administrator.
pub async fn create_from_cli(
    db: &DatabaseConnection,
    writes: &WriteGate,
    tenant_name: &str,
    admin: Option<&str>,
    new: &NewToken,
) -> Result<String, CliTokenError> {
    let tenant = tenant::Entity::find()
        .filter(tenant::Column::Name.eq(tenant_name.trim()))
        .one(db)
        .await
        .context("looking up the tenant")?
        .ok_or_else(|| CliTokenError::NoSuchTenant(tenant_name.to_owned()))?;
    let admins = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant.id))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await
        .context("looking up the administrators")?;
    let by = match admin {
        Some(name) => admins
            .into_iter()
            .find(|u| u.username == name)
            .ok_or_else(|| CliTokenError::NoSuchAdmin(tenant.name.clone(), name.to_owned()))?,
        None => match admins.len() {
            0 => return Err(CliTokenError::NoAdmin(tenant.name)),
            1 => admins.into_iter().next().context("one admin")?,
            _ => {
                let names: Vec<String> = admins.into_iter().map(|u| u.username).collect();
                return Err(CliTokenError::WhichAdmin(tenant.name, names.join(", ")));
            }
        },
    };
    let now = OffsetDateTime::now_utc();
    let entry = NewEntry {
        tenant_id: Some(tenant.id),
        actor_id: Some(by.id),
        actor: by.username.clone(),
        ip: None,
        kind: ActivityKind::ApiTokenCreated,
        section: None,
        summary: format!("{} (on the command line)", created_summary(new)),
        changes: Vec::new(),
        version: None,
    };
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let (token, _) = insert(&txn, tenant.id, by.id, new, entry, now).await?;
    txn.commit().await.context("committing the token")?;
    Ok(token)
}

/// The tenant's tokens, newest first (revoked ones too, marked).
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: i32,
) -> Result<Vec<ApiTokenView>, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let rows = api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant_id))
        .order_by_desc(api_token::Column::Id)
        .find_also_related(user::Entity)
        .all(db)
        .await
        .context("listing API tokens")?;
    Ok(rows
        .into_iter()
        .map(|(row, by)| view_of(row, by.map(|u| u.username), now))
        .collect())
}

/// Ends every live token acting for member `user_id` (a password reset,
/// or a password change that asks for it), in the caller's transaction:
/// how many.
pub async fn revoke_all_of(db: &impl ConnectionTrait, user_id: i32) -> anyhow::Result<u64> {
    let done = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(api_token::Column::CreatedBy.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .context("revoking the member's API tokens")?;
    Ok(done.rows_affected)
}

/// How "N API tokens" reads.
pub fn tokens_noun(n: u64) -> String {
    match n {
        1 => "1 API token".to_owned(),
        n => format!("{n} API tokens"),
    }
}

/// Ends one of the tenant's tokens at once, with its activity entry.
pub async fn revoke(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    id: i32,
) -> Result<ApiTokenView, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let done = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::TenantId.eq(admin.tenant_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await
        .context("revoking an API token")?;
    let row = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::TenantId.eq(admin.tenant_id))
        .find_also_related(user::Entity)
        .one(&txn)
        .await
        .context("reading the token")?;
    let Some((row, by)) = row else {
        return Err(AppError::NotFound("Your company has no such API token.".to_owned()).into());
    };
    if done.rows_affected == 1 {
        record(
            &txn,
            NewEntry::by(
                admin,
                ActivityKind::ApiTokenRevoked,
                None,
                format!("revoked API token {:?}", row.name),
            ),
        )
        .await?;
    }
    txn.commit().await.context("committing the revocation")?;
    Ok(view_of(row, by.map(|u| u.username), now))
}

/// What a presented token is.
#[derive(Debug)]
pub enum Presented {
    /// Not a token of ours, or revoked, or expired: 401 alike.
    Refused,
    Live {
        token_id: i32,
        admin: CurrentAdmin,
        scope: Scope,
    },
}

/// Checks `presented` (one query: the token with its administrator and
/// tenant) and notes its use, at most once a minute or when the address
/// changes (a write of its own, outside any change the request makes).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    writes: &WriteGate,
    presented: &str,
    ip: Option<IpAddr>,
) -> anyhow::Result<Presented> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        name: String,
        scope: String,
        expires_at: Option<OffsetDateTime>,
        last_used_at: Option<OffsetDateTime>,
        last_used_ip: Option<String>,
        user_id: i32,
        username: String,
        role: String,
        totp_confirmed_at: Option<OffsetDateTime>,
        tenant_id: i32,
        tenant_name: String,
        require_two_factor: bool,
    }
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 200 {
        return Ok(Presented::Refused);
    }
    let backend = db.get_database_backend();
    let Some(row) = Row::find_by_statement(raw_sql::statement(
        backend,
        "SELECT k.id, k.name, k.scope, k.expires_at, k.last_used_at, k.last_used_ip, \
         u.id AS user_id, u.username, u.role, u.totp_confirmed_at, t.id AS tenant_id, \
         t.name AS tenant_name, t.require_two_factor \
         FROM api_tokens k JOIN users u ON u.id = k.created_by \
         JOIN tenants t ON t.id = k.tenant_id AND u.tenant_id = t.id AND t.suspended_at IS NULL \
         WHERE k.token_hash = ? AND k.revoked_at IS NULL",
        [hash(presented).into()],
    ))
    .one(db)
    .await
    .context("checking an API token")?
    else {
        return Ok(Presented::Refused);
    };
    let now = OffsetDateTime::now_utc();
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(Presented::Refused);
    }
    let address = ip.map(|ip| ip.to_string());
    let stale = row
        .last_used_at
        .is_none_or(|at| at < now - time::Duration::MINUTE);
    if stale || address != row.last_used_ip {
        let _turn = writes.enter().await;
        // What the request asked for does not depend on this note: a
        // failure to write it is logged, not answered.
        if let Err(e) = api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .col_expr(api_token::Column::LastUsedIp, Expr::value(address))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await
        {
            tracing::warn!(token_id = row.id, error = %e, "could not note an API token's use");
        }
    }
    Ok(Presented::Live {
        token_id: row.id,
        admin: CurrentAdmin {
            user_id: row.user_id,
            username: row.username,
            tenant_id: row.tenant_id,
            tenant_name: row.tenant_name,
            // The role its member has now: a token of someone made a
            // viewer writes nothing from then on.
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            // Its member must set up two-factor sign-in first (`Caller`
            // refuses the token until then).
            must_enrol: row.require_two_factor && row.totp_confirmed_at.is_none(),
            ip,
            alerts: Vec::new(),
            via_token: Some(row.name),
        },
        scope: Scope::parse(&row.scope).unwrap_or(Scope::Read),
    })
}
