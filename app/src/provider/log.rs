//! The operators' activity log: who did what to which tenant, from where.
//! Written in the same transaction as the change.

use anyhow::Context;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use std::net::IpAddr;
use time::OffsetDateTime;

use super::model::OperatorActivityView;
use crate::{auth::CurrentOperator, persistence::entities::operator_activity, time_text::rfc3339};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorAction {
    SignIn,
    SignInFailed,
    SignOut,
    TenantCreated,
    TenantSuspended,
    TenantReactivated,
    TwoFactorOn,
    TwoFactorOff,
    PasswordChanged,
    /// From the command line: an operator's password set, or an operator
    /// removed.
    PasswordSet,
    OperatorRemoved,
}

impl OperatorAction {
    pub const ALL: [OperatorAction; 11] = [
        OperatorAction::SignIn,
        OperatorAction::SignInFailed,
        OperatorAction::SignOut,
        OperatorAction::TenantCreated,
        OperatorAction::TenantSuspended,
        OperatorAction::TenantReactivated,
        OperatorAction::TwoFactorOn,
        OperatorAction::TwoFactorOff,
        OperatorAction::PasswordChanged,
        OperatorAction::PasswordSet,
        OperatorAction::OperatorRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorAction::SignIn => "sign_in",
            OperatorAction::SignInFailed => "sign_in_failed",
            OperatorAction::SignOut => "sign_out",
            OperatorAction::TenantCreated => "tenant_created",
            OperatorAction::TenantSuspended => "tenant_suspended",
            OperatorAction::TenantReactivated => "tenant_reactivated",
            OperatorAction::TwoFactorOn => "two_factor_on",
            OperatorAction::TwoFactorOff => "two_factor_off",
            OperatorAction::PasswordChanged => "password_changed",
            OperatorAction::PasswordSet => "password_set",
            OperatorAction::OperatorRemoved => "operator_removed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OperatorAction::SignIn => "Signed in",
            OperatorAction::SignInFailed => "Sign-in refused",
            OperatorAction::SignOut => "Signed out",
            OperatorAction::TenantCreated => "Tenant created",
            OperatorAction::TenantSuspended => "Tenant suspended",
            OperatorAction::TenantReactivated => "Tenant reactivated",
            OperatorAction::TwoFactorOn => "Two-factor sign-in on",
            OperatorAction::TwoFactorOff => "Two-factor sign-in off",
            OperatorAction::PasswordChanged => "Password changed",
            OperatorAction::PasswordSet => "Password set (command line)",
            OperatorAction::OperatorRemoved => "Operator removed (command line)",
        }
    }
}

pub struct OperatorEntry {
    pub operator_id: Option<i32>,
    pub operator: String,
    pub ip: Option<IpAddr>,
    pub kind: OperatorAction,
    /// The tenant acted on: its id and name.
    pub tenant: Option<(i32, String)>,
    pub summary: String,
}

impl OperatorEntry {
    /// An entry for what the signed-in `operator` did to no tenant.
    pub fn by(operator: &CurrentOperator, kind: OperatorAction, summary: String) -> Self {
        OperatorEntry {
            operator_id: Some(operator.operator_id),
            operator: operator.username.clone(),
            ip: operator.ip,
            kind,
            tenant: None,
            summary,
        }
    }
}

pub async fn record(db: &impl ConnectionTrait, entry: OperatorEntry) -> anyhow::Result<()> {
    operator_activity::ActiveModel {
        occurred_at: Set(OffsetDateTime::now_utc()),
        operator_id: Set(entry.operator_id),
        operator: Set(entry.operator),
        ip: Set(entry.ip.map(|ip| ip.to_canonical().to_string())),
        kind: Set(entry.kind.as_str().to_owned()),
        tenant_id: Set(entry.tenant.as_ref().map(|(id, _)| *id)),
        tenant_name: Set(entry.tenant.map(|(_, name)| name)),
        summary: Set(entry.summary.chars().take(500).collect()),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("recording operator activity")?;
    Ok(())
}

/// The newest `limit` entries, newest first.
pub async fn newest(
    db: &impl ConnectionTrait,
    limit: u64,
) -> anyhow::Result<Vec<OperatorActivityView>> {
    let rows = operator_activity::Entity::find()
        .order_by_desc(operator_activity::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .context("reading operator activity")?;
    Ok(rows
        .into_iter()
        .map(|row| OperatorActivityView {
            id: row.id,
            occurred_at: rfc3339(row.occurred_at),
            operator: row.operator,
            ip: row.ip,
            action: OperatorAction::ALL
                .into_iter()
                .find(|a| a.as_str() == row.kind)
                .map_or(row.kind.clone(), |a| a.label().to_owned()),
            tenant: row.tenant_name,
            summary: row.summary,
        })
        .collect())
}
