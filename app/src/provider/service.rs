//! The Tenants console's reads and changes, and the operator's own
//! account. Every change and its entries (the operator log, and the
//! tenant's own Activity) commit together.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use std::collections::HashMap;
use time::OffsetDateTime;

use super::{
    log::{record, OperatorAction, OperatorEntry},
    model::{OperatorAccountData, SectionState, TenantRow, TenantsData},
};
use crate::{
    account::actor::Actor,
    accounts::{self, NewTenant},
    activity::{self, log::NewEntry, ActivityKind},
    auth::CurrentOperator,
    delivery::{health::AUTO_PAUSED, health::FAILING, queue},
    domain::{EndpointKind, Role},
    error::{AppError, ServiceError},
    members::{INVITATION_HOURS, INVITATION_PREFIX},
    persistence::{
        crypto::{credential_digest, new_bearer_credential, SecretCipher},
        entities::{endpoint, invitation, tenant, user},
        session_store::end_tenant_sessions,
        write_gate::WriteGate,
    },
    time_text::rfc3339,
};

/// Every tenant (by name) with its sections' state, its people and its
/// last activity: four queries whatever the number of tenants.
pub async fn list(
    db: &DatabaseConnection,
    operator: &CurrentOperator,
) -> Result<TenantsData, ServiceError> {
    let tenants = tenant::Entity::find()
        .order_by_asc(tenant::Column::Name)
        .all(db)
        .await
        .context("listing tenants")?;
    let endpoints = endpoint::Entity::find()
        .all(db)
        .await
        .context("listing endpoints")?;
    let people: Vec<(i32, String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::TenantId)
        .column(user::Column::Username)
        .column(user::Column::Role)
        .order_by_asc(user::Column::Username)
        .into_tuple()
        .all(db)
        .await
        .context("listing members")?;
    #[derive(FromQueryResult)]
    struct Last {
        id: i32,
        last: Option<OffsetDateTime>,
    }
    // Each tenant's newest entry, found in `idx_activity_tenant_id`: a
    // lookup per tenant, however long the log.
    let last: HashMap<i32, OffsetDateTime> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .column_as(
            Expr::cust(
                "(SELECT a.occurred_at FROM activity a WHERE a.tenant_id = tenants.id \
                 ORDER BY a.id DESC LIMIT 1)",
            ),
            "last",
        )
        .into_model::<Last>()
        .all(db)
        .await
        .context("reading last activity")?
        .into_iter()
        .filter_map(|l| Some((l.id, l.last?)))
        .collect();
    let rows = tenants
        .into_iter()
        .map(|t| {
            let mut sections: Vec<SectionState> = endpoints
                .iter()
                .filter(|e| e.tenant_id == t.id)
                .filter_map(|e| {
                    Some(SectionState {
                        kind: EndpointKind::parse(&e.kind)?,
                        configured: e.url.is_some(),
                        enabled: e.enabled,
                        failing: e.alert.as_deref() == Some(FAILING),
                        auto_paused: e.alert.as_deref() == Some(AUTO_PAUSED),
                    })
                })
                .collect();
            sections.sort_by_key(|s| s.kind);
            let members = people.iter().filter(|(tenant, _, _)| *tenant == t.id);
            TenantRow {
                id: t.id,
                created_at: rfc3339(t.created_at),
                suspended_at: t.suspended_at.map(rfc3339),
                sections,
                administrators: members
                    .clone()
                    .filter(|(_, _, role)| role == Role::Administrator.as_str())
                    .map(|(_, name, _)| name.clone())
                    .collect(),
                viewers: members
                    .filter(|(_, _, role)| role != Role::Administrator.as_str())
                    .count(),
                last_activity_at: last.get(&t.id).copied().map(rfc3339),
                name: t.name,
            }
        })
        .collect();
    Ok(TenantsData {
        operator: operator.username.clone(),
        tenants: rows,
    })
}

/// Creates a tenant (its two sections empty and off) with a one-time
/// invitation link, valid `INVITATION_HOURS`, for its first administrator.
/// Returns the tenant's name and the link.
pub async fn create_tenant(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    operator: &CurrentOperator,
    name: &str,
    link_for: impl FnOnce(&str) -> String,
) -> Result<(String, String), ServiceError> {
    let new = NewTenant {
        name: name.trim().to_owned(),
    };
    accounts::validate_tenant(&new).map_err(refused)?;
    let token = new_bearer_credential(INVITATION_PREFIX);
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let tenant = accounts::create_tenant_in(&txn, cipher, new)
        .await
        .map_err(refused)?;
    let invitation = invitation::ActiveModel {
        tenant_id: Set(tenant.id),
        role: Set(Role::Administrator.as_str().to_owned()),
        token_hash: Set(credential_digest(&token)),
        created_by: Set(None),
        created_by_name: Set(acting_as(operator)),
        created_at: Set(now),
        expires_at: Set(now + time::Duration::hours(INVITATION_HOURS)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("storing the invitation")?;
    record_both(
        &txn,
        operator,
        &tenant,
        (ActivityKind::MemberInvited, OperatorAction::TenantCreated),
        format!(
            "created the company and invited its first administrator (link {} valid for {INVITATION_HOURS} hours)",
            invitation.id
        ),
        format!(
            "created tenant {:?} with an invitation link for its first administrator",
            tenant.name
        ),
    )
    .await?;
    txn.commit().await.context("committing the tenant")?;
    Ok((tenant.name, link_for(&token)))
}

/// How an operator appears in a tenant's Activity.
fn acting_as(operator: &CurrentOperator) -> String {
    format!("{} (provider)", operator.username)
}

/// A change to `tenant`, in its own Activity (`kinds.0`, `in_tenant`) and
/// in the operators' log (`kinds.1`, `in_log`), in `txn`.
async fn record_both(
    txn: &DatabaseTransaction,
    operator: &CurrentOperator,
    tenant: &tenant::Model,
    kinds: (ActivityKind, OperatorAction),
    in_tenant: String,
    in_log: String,
) -> anyhow::Result<()> {
    activity::log::record(
        txn,
        NewEntry {
            tenant_id: Some(tenant.id),
            actor_id: None,
            actor: acting_as(operator),
            ip: operator.ip,
            kind: kinds.0,
            section: None,
            summary: in_tenant,
            changes: Vec::new(),
            version: None,
        },
    )
    .await?;
    record(
        txn,
        OperatorEntry {
            operator_id: Some(operator.operator_id),
            operator: operator.username.clone(),
            ip: operator.ip,
            kind: kinds.1,
            tenant: Some((tenant.id, tenant.name.clone())),
            summary: in_log,
        },
    )
    .await
}

fn refused(error: accounts::AccountError) -> ServiceError {
    match error {
        accounts::AccountError::Unexpected(e) => ServiceError::Ours(e),
        refusal => AppError::Refused(refusal.to_string()).into(),
    }
}

/// Suspends a tenant: its people are signed out at once and cannot sign
/// in, its API tokens are refused, its due CDR events are held (and new
/// ones too, at hand-in) until it is reactivated. Returns its name.
pub async fn suspend(
    db: &DatabaseConnection,
    writes: &WriteGate,
    operator: &CurrentOperator,
    tenant_id: i32,
) -> Result<String, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let Some(tenant) = set_suspended(&txn, tenant_id, Some(now)).await? else {
        return Err(AppError::NotFound(
            "That tenant does not exist or is suspended already; reload the page.".to_owned(),
        )
        .into());
    };
    let ended = end_tenant_sessions(&txn, tenant_id).await?;
    let held = queue::hold_pending(&txn, tenant_id, EndpointKind::Cdr).await?;
    let summary = format!(
        "suspended the company: {ended} session(s) ended, {held} CDR event(s) held; sign-in and API tokens refused until it is reactivated"
    );
    record_both(
        &txn,
        operator,
        &tenant,
        (
            ActivityKind::TenantSuspended,
            OperatorAction::TenantSuspended,
        ),
        summary.clone(),
        summary,
    )
    .await?;
    txn.commit().await.context("committing the suspension")?;
    tracing::warn!(tenant_id, ended, held, "tenant suspended");
    Ok(tenant.name)
}

/// Suspends (`Some(at)`) or reactivates (`None`) a tenant that is not so
/// already; the tenant as it is now, or none if there was nothing to do.
async fn set_suspended(
    txn: &impl ConnectionTrait,
    tenant_id: i32,
    at: Option<OffsetDateTime>,
) -> anyhow::Result<Option<tenant::Model>> {
    // Only a tenant not so already.
    let other = match at {
        Some(_) => tenant::Column::SuspendedAt.is_null(),
        None => tenant::Column::SuspendedAt.is_not_null(),
    };
    let changed = tenant::Entity::update_many()
        .col_expr(tenant::Column::SuspendedAt, Expr::value(at))
        .filter(tenant::Column::Id.eq(tenant_id))
        .filter(other)
        .exec_with_returning(txn)
        .await
        .with_context(|| format!("setting the tenant's suspension to {at:?}"))?;
    Ok(changed.into_iter().next())
}

/// Reactivates a suspended tenant: its people can sign in again and its
/// held CDR events become due (when its CDR section is enabled). Returns
/// its name.
pub async fn reactivate(
    db: &DatabaseConnection,
    writes: &WriteGate,
    operator: &CurrentOperator,
    tenant_id: i32,
) -> Result<String, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let Some(tenant) = set_suspended(&txn, tenant_id, None).await? else {
        return Err(AppError::NotFound(
            "That tenant does not exist or is not suspended; reload the page.".to_owned(),
        )
        .into());
    };
    let cdr = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(endpoint::Column::Kind.eq(EndpointKind::Cdr.as_str()))
        .one(&txn)
        .await
        .context("reading the CDR section")?;
    let released = match cdr {
        Some(cdr) if cdr.enabled && cdr.url.is_some() => {
            queue::settle_held(
                &txn,
                tenant_id,
                EndpointKind::Cdr,
                queue::HeldFate::Released,
                now,
            )
            .await?
        }
        _ => 0,
    };
    let summary = format!(
        "reactivated the company: sign-in and API tokens work again; {released} held CDR event(s) released"
    );
    record_both(
        &txn,
        operator,
        &tenant,
        (
            ActivityKind::TenantReactivated,
            OperatorAction::TenantReactivated,
        ),
        summary.clone(),
        summary,
    )
    .await?;
    txn.commit().await.context("committing the reactivation")?;
    Ok(tenant.name)
}

/// The operator's own account page.
pub async fn account(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    operator: &CurrentOperator,
    operators_required: bool,
) -> Result<OperatorAccountData, ServiceError> {
    let actor = Actor::Operator(operator.clone());
    let two_factor =
        crate::two_factor::service::view(db, cipher, &actor, operators_required).await?;
    Ok(OperatorAccountData {
        username: operator.username.clone(),
        must_enrol: operators_required && !operator.two_factor_on,
        two_factor,
    })
}
