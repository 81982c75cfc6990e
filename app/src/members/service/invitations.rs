//! Invitations: a one-time link made (and emailed), revoked, opened and
//! accepted (the invitee's username and password).

use super::*;

/// Invitation links made before invitations had a prefix of their own
/// (they share the ingest keys'): still opened until they expire (72 h).
/// Remove after 2026-12-13, when every such link has expired.
const LEGACY_INVITATION_PREFIX: &str = "eui_";

/// Invitations a tenant may have emailed in an hour.
pub(super) const EMAILED_INVITATIONS_PER_HOUR: u64 = 20;

pub(super) fn invitation_view(row: invitation::Model) -> InvitationView {
    InvitationView {
        id: row.id,
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        created_by: row.created_by_name,
        created_at: rfc3339(row.created_at),
        expires_at: rfc3339(row.expires_at),
        email: row.email,
    }
}

/// A new invitation to join as `role`: its link (shown once) and its
/// view. With an address (and mail on), the link is emailed there too, in
/// the same transaction, and becomes the member's address.
pub async fn invite(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    admin: &Administrator,
    role: Role,
    email: Option<String>,
    link_for: impl FnOnce(&str) -> String,
) -> Result<(String, InvitationView), ServiceError> {
    let email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(_) if !outbox.is_on() => {
            return Err(AppError::Refused(
                "This server does not send email: copy the link and send it yourself.".to_owned(),
            )
            .into())
        }
        Some(typed) => Some(accounts::parse_email(typed).map_err(account_error)?),
        None => None,
    };
    if email.is_some() {
        // The provider's mail server is no tenant's to flood.
        let rule = Rule {
            key: format!("invite-mail:tenant:{}", admin.tenant_id),
            max: EMAILED_INVITATIONS_PER_HOUR,
            window: time::Duration::hours(1),
        };
        if let Verdict::Refused { retry_after_secs } = rate_limit::take(db, &[rule]).await? {
            return Err(AppError::Refused(format!(
                "This company emailed {EMAILED_INVITATIONS_PER_HOUR} invitations in the last hour: try again in {} minutes, or create the link without an address and send it yourself.",
                retry_after_secs.div_ceil(60)
            ))
            .into());
        }
    }
    let token = new_bearer_credential(INVITATION_PREFIX);
    let link = link_for(&token);
    let now = OffsetDateTime::now_utc();
    let expires_at = now + time::Duration::hours(INVITATION_HOURS);
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let row = invitation::ActiveModel {
        tenant_id: Set(admin.tenant_id),
        role: Set(role.as_str().to_owned()),
        token_hash: Set(credential_digest(&token)),
        created_by: Set(Some(admin.user_id)),
        created_by_name: Set(admin.username.clone()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        email: Set(email.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("storing an invitation")?;
    if let Some(address) = &email {
        outbox
            .queue(
                &txn,
                [letters::invitation(
                    address,
                    &admin.tenant_name,
                    &admin.username,
                    role,
                    &link,
                    INVITATION_HOURS,
                )],
            )
            .await?;
    }
    let emailed = email
        .as_deref()
        .map(|a| format!(", emailed to {a}"))
        .unwrap_or_default();
    let summary = format!(
        "invited a new {} (link {} valid for {INVITATION_HOURS} hours{emailed})",
        role.label().to_lowercase(),
        row.id
    );
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::MemberInvited, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the invitation")?;
    Ok((link, invitation_view(row)))
}

/// Ends an open invitation of the tenant at once.
pub async fn revoke_invitation(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    id: i32,
) -> Result<(), ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let done = invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::TenantId.eq(admin.tenant_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await
        .context("revoking an invitation")?;
    if done.rows_affected == 0 {
        return Err(AppError::NotFound(
            "That invitation is no longer open (used, revoked or expired).".to_owned(),
        )
        .into());
    }
    let summary = format!("revoked invitation link {id}");
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::InvitationRevoked, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the revocation")?;
    Ok(())
}

/// The open invitation a link's token names, with its tenant.
pub(super) async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
) -> anyhow::Result<Option<(invitation::Model, tenant::Model)>> {
    let ours = token.starts_with(INVITATION_PREFIX) || token.starts_with(LEGACY_INVITATION_PREFIX);
    if !ours || token.len() > 200 {
        return Ok(None);
    }
    let now = OffsetDateTime::now_utc();
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(credential_digest(token)))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .find_also_related(tenant::Entity)
        .one(db)
        .await
        .context("reading the invitation")?;
    Ok(found.and_then(|(inv, tenant)| tenant.map(|t| (inv, t))))
}

/// What the invitation page shows for a link's token.
pub async fn invitation_state(
    db: &DatabaseConnection,
    token: &str,
) -> Result<InvitationLink, ServiceError> {
    Ok(match open_invitation(db, token).await? {
        Some((inv, tenant)) => InvitationLink::Open {
            tenant_name: tenant.name,
            role: Role::parse(&inv.role).unwrap_or(Role::Viewer),
            invited_by: inv.created_by_name,
            expires_at: rfc3339(inv.expires_at),
        },
        None => InvitationLink::Closed,
    })
}

/// Uses an invitation: a new member with the chosen username and password
/// and the invitation's role, once. Returns whom to sign in.
pub async fn accept(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    token: &str,
    username: &str,
    password: SecretString,
    ip: Option<IpAddr>,
) -> Result<SessionUser, ServiceError> {
    let Some((_, tenant)) = open_invitation(db, token).await? else {
        return Err(AppError::Refused(INVITATION_CLOSED.to_owned()).into());
    };
    if tenant.suspended_at.is_some() {
        return Err(AppError::Refused(
            "This company's access to eventurl is suspended: the invitation can be used once its provider reactivates it.".to_owned(),
        )
        .into());
    }
    let new = NewAdmin {
        username: username.trim().to_owned(),
        password,
        role: Role::Viewer,
    };
    accounts::check_new_member(&new, &tenant.name).map_err(account_error)?;
    let secret = new.password.clone();
    let hash = hashing
        .run(move || crate::auth::password::hash_password(&secret))
        .await??;
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    // Claimed first: of two uses at once, one finds it taken.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(
            invitation::Column::AcceptedUsername,
            Expr::value(new.username.clone()),
        )
        .filter(invitation::Column::TokenHash.eq(credential_digest(token)))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec_with_returning(&txn)
        .await
        .context("claiming the invitation")?;
    let Some(invitation) = claimed.into_iter().next() else {
        return Err(AppError::Refused(INVITATION_CLOSED.to_owned()).into());
    };
    let role = Role::parse(&invitation.role).unwrap_or(Role::Viewer);
    let member = accounts::insert_member(&txn, invitation.tenant_id, &new.username, hash, role)
        .await
        .map_err(account_error)?;
    // Joining signs them in; the address the link was sent to is theirs.
    user::Entity::update_many()
        .col_expr(user::Column::LastSignedInAt, Expr::value(now))
        .col_expr(user::Column::Email, Expr::value(invitation.email.clone()))
        .filter(user::Column::Id.eq(member.id))
        .exec(&txn)
        .await
        .context("noting the sign-in")?;
    record(
        &txn,
        NewEntry {
            tenant_id: Some(invitation.tenant_id),
            actor_id: Some(member.id),
            actor: member.username.clone(),
            ip,
            kind: ActivityKind::MemberJoined,
            section: None,
            summary: format!(
                "joined as {} (invited by {}, link {})",
                role.label().to_lowercase(),
                invitation.created_by_name,
                invitation.id
            ),
            changes: Vec::new(),
            version: None,
        },
    )
    .await?;
    txn.commit().await.context("committing the new member")?;
    Ok(SessionUser::of(member, tenant))
}

pub(super) fn account_error(error: AccountError) -> ServiceError {
    match error {
        AccountError::Unexpected(e) => ServiceError::Ours(e),
        refusal => AppError::Refused(refusal.to_string()).into(),
    }
}
