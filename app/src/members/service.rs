//! The people of a tenant: the list, invitations (a one-time link, only
//! its SHA-256 kept), role changes and removals, each with its activity
//! entry in the same transaction. A tenant always keeps an administrator:
//! changes that would leave none are refused under a lock on the tenant's
//! row, so two administrators demoting each other at once cannot both
//! succeed, on any instance.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use secrecy::SecretString;
use std::net::IpAddr;
use time::OffsetDateTime;

use super::model::{
    InvitationLink, InvitationView, MemberView, MembersData, INVITATION_CLOSED, INVITATION_HOURS,
    INVITATION_PREFIX,
};
use crate::{
    accounts::{self, AccountError, NewAdmin},
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::{password::HashingPool, Administrator, CurrentAdmin},
    domain::Role,
    error::{AppError, ServiceError},
    mail::{letters, Outbox},
    persistence::{
        crypto::{credential_digest, new_bearer_credential},
        entities::{invitation, tenant, user},
        rate_limit::{self, Rule, Verdict},
        session_store::{end_sessions_of, SessionUser},
        write_gate::WriteGate,
    },
    time_text::rfc3339,
};

mod invitations;
pub use invitations::*;

fn member_view(row: user::Model, you: i32) -> MemberView {
    MemberView {
        id: row.id,
        is_you: row.id == you,
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        last_signed_in_at: row.last_signed_in_at.map(rfc3339),
        two_factor: row.totp_confirmed_at.is_some(),
        username: row.username,
    }
}

/// The tenant's members (by name) and its open invitations (newest first).
pub async fn list(
    db: &DatabaseConnection,
    outbox: &Outbox,
    admin: &CurrentAdmin,
) -> Result<MembersData, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let members = user::Entity::find()
        .filter(user::Column::TenantId.eq(admin.tenant_id))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await
        .context("listing the members")?;
    let pending = invitation::Entity::find()
        .filter(invitation::Column::TenantId.eq(admin.tenant_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::Id)
        .all(db)
        .await
        .context("listing the invitations")?;
    let require_two_factor = tenant::Entity::find_by_id(admin.tenant_id)
        .one(db)
        .await
        .context("reading the tenant")?
        .is_some_and(|t| t.require_two_factor);
    Ok(MembersData {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        may_manage: admin.role.may_manage(),
        require_two_factor,
        mail_on: outbox.is_on(),
        members: members
            .into_iter()
            .map(|row| member_view(row, admin.user_id))
            .collect(),
        pending: pending.into_iter().map(invitation_view).collect(),
    })
}

/// Takes the tenant's row lock for the rest of `txn` (a no-op write: a row
/// lock on PostgreSQL, the write lock on SQLite), so that counting its
/// administrators and changing one are not interleaved with another
/// such change.
async fn lock_tenant(txn: &DatabaseTransaction, tenant_id: i32) -> anyhow::Result<()> {
    // A column no foreign key refers to: other writes' key checks (events,
    // activity) do not wait for this lock on PostgreSQL.
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::RequireTwoFactor,
            Expr::col(tenant::Column::RequireTwoFactor),
        )
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(txn)
        .await
        .context("locking the tenant")?;
    Ok(())
}

/// The tenant's member `id` other than the acting administrator, read in
/// `txn` after `lock_tenant`; the actor's own role is read again there
/// (a request under way when they were made a viewer changes nothing).
async fn other_member(
    txn: &DatabaseTransaction,
    admin: &Administrator,
    id: i32,
    what: &str,
) -> Result<user::Model, ServiceError> {
    let still = user::Entity::find_by_id(admin.user_id)
        .filter(user::Column::TenantId.eq(admin.tenant_id))
        .filter(user::Column::Role.eq(Role::Administrator.as_str()))
        .one(txn)
        .await
        .context("reading the acting administrator")?;
    if still.is_none() {
        return Err(crate::auth::ViewerOnly.into());
    }
    if id == admin.user_id {
        return Err(AppError::Refused(format!(
            "You cannot {what} yourself: ask another administrator."
        ))
        .into());
    }
    user::Entity::find_by_id(id)
        .filter(user::Column::TenantId.eq(admin.tenant_id))
        .one(txn)
        .await
        .context("reading the member")?
        .ok_or_else(|| {
            AppError::NotFound("There is no such member in your company.".to_owned()).into()
        })
}

/// A member who may no longer invite: their open invitations end too.
async fn revoke_invitations_by(txn: &DatabaseTransaction, user_id: i32) -> anyhow::Result<()> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::RevokedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(invitation::Column::CreatedBy.eq(user_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(txn)
        .await
        .context("revoking their invitations")?;
    Ok(())
}

async fn administrators(txn: &DatabaseTransaction, tenant_id: i32) -> anyhow::Result<u64> {
    user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Role.eq(Role::Administrator.as_str()))
        .count(txn)
        .await
        .context("counting the administrators")
}

fn last_administrator(username: &str) -> ServiceError {
    AppError::Refused(format!(
        "{username} is the company's last administrator: make someone else an administrator first."
    ))
    .into()
}

/// Gives member `id` `role`; it holds from their next request on.
pub async fn change_role(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    id: i32,
    role: Role,
) -> Result<MemberView, ServiceError> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    lock_tenant(&txn, admin.tenant_id).await?;
    let member = other_member(&txn, admin, id, "change the role of").await?;
    let before = Role::parse(&member.role).unwrap_or(Role::Viewer);
    if before == role {
        return Ok(member_view(member, admin.user_id));
    }
    if before == Role::Administrator && administrators(&txn, admin.tenant_id).await? <= 1 {
        return Err(last_administrator(&member.username));
    }
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role.as_str()))
        .filter(user::Column::Id.eq(id))
        .exec(&txn)
        .await
        .context("changing the role")?;
    if !role.may_manage() {
        revoke_invitations_by(&txn, id).await?;
    }
    let summary = format!(
        "changed {}'s role from {} to {}",
        member.username,
        before.label(),
        role.label()
    );
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::RoleChanged, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the role")?;
    Ok(member_view(
        user::Model {
            role: role.as_str().to_owned(),
            ..member
        },
        admin.user_id,
    ))
}

/// Removes member `id`: their account, their sessions (ended at once, on
/// every instance) and their API tokens go; the activity log keeps their
/// name. Returns their username.
pub async fn remove(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    id: i32,
) -> Result<String, ServiceError> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    lock_tenant(&txn, admin.tenant_id).await?;
    let member = other_member(&txn, admin, id, "remove").await?;
    if member.role == Role::Administrator.as_str()
        && administrators(&txn, admin.tenant_id).await? <= 1
    {
        return Err(last_administrator(&member.username));
    }
    end_sessions_of(&txn, crate::domain::AccountId::Member(id), None).await?;
    revoke_invitations_by(&txn, id).await?;
    user::Entity::delete_by_id(id)
        .exec(&txn)
        .await
        .context("removing the member")?;
    let summary = format!(
        "removed {} ({}); their sessions, API tokens and open invitations ended",
        member.username,
        Role::parse(&member.role).unwrap_or(Role::Viewer).label()
    );
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::MemberRemoved, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the removal")?;
    Ok(member.username)
}

/// Requires (or stops requiring) two-factor sign-in of every member: from
/// their next request on, a member without it can open only My account
/// until they set it up.
pub async fn set_require_two_factor(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    required: bool,
) -> Result<(), ServiceError> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let changed = tenant::Entity::update_many()
        .col_expr(tenant::Column::RequireTwoFactor, Expr::value(required))
        .filter(tenant::Column::Id.eq(admin.tenant_id))
        .filter(tenant::Column::RequireTwoFactor.ne(required))
        .exec(&txn)
        .await
        .context("changing the two-factor requirement")?;
    if changed.rows_affected == 0 {
        return Ok(());
    }
    let summary = if required {
        "required two-factor sign-in for everyone"
    } else {
        "stopped requiring two-factor sign-in"
    };
    record(
        &txn,
        NewEntry::by(
            admin,
            ActivityKind::TwoFactorRequirement,
            None,
            summary.to_owned(),
        ),
    )
    .await?;
    txn.commit().await.context("committing the requirement")?;
    Ok(())
}
