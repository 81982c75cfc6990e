//! Whose "My account" a request changes: a signed-in member's (My account)
//! or a provider operator's (the console's My account). The same forms and
//! rules serve both (password, two-factor sign-in); what differs is said
//! here once: which account, which page, which activity log, who requires
//! two-factor sign-in, which words a password must not be made of.

use axum::extract::FromRequestParts;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    activity::{log as activity_log, ActivityKind},
    auth::{current_admin::NotSignedIn, CurrentAdmin, CurrentOperator},
    domain::AccountId,
    paths::{ACCOUNT, PROVIDER_ACCOUNT},
    persistence::entities::tenant,
    provider::log::{self as operator_log, OperatorAction, OperatorEntry},
};

use crate::two_factor::TwoFactorPaths;

#[derive(Clone, Debug)]
pub enum Actor {
    Member(CurrentAdmin),
    Operator(CurrentOperator),
}

/// What changed, for the actor's activity log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    TwoFactorOn,
    TwoFactorOff,
    PasswordChanged,
}

impl Actor {
    pub fn account(&self) -> AccountId {
        match self {
            Actor::Member(admin) => AccountId::Member(admin.user_id),
            Actor::Operator(operator) => AccountId::Operator(operator.operator_id),
        }
    }

    /// The account page the forms are on.
    pub fn page(&self) -> &'static str {
        match self {
            Actor::Member(_) => ACCOUNT,
            Actor::Operator(_) => PROVIDER_ACCOUNT,
        }
    }

    pub fn paths(&self) -> TwoFactorPaths {
        match self {
            Actor::Member(_) => TwoFactorPaths::Member,
            Actor::Operator(_) => TwoFactorPaths::Operator,
        }
    }

    /// Whether it may not be left off: the member's company requires it,
    /// or the server does of operators (`EVENTURL_OPERATOR_2FA=required`).
    pub async fn required(
        &self,
        db: &impl ConnectionTrait,
        operators_required: bool,
    ) -> anyhow::Result<bool> {
        match self {
            Actor::Member(admin) => Ok(tenant::Entity::find_by_id(admin.tenant_id)
                .one(db)
                .await?
                .is_some_and(|t| t.require_two_factor)),
            Actor::Operator(_) => Ok(operators_required),
        }
    }

    pub fn username(&self) -> &str {
        match self {
            Actor::Member(admin) => &admin.username,
            Actor::Operator(operator) => &operator.username,
        }
    }

    /// Words a new password must not be made of: the name, and the
    /// company's (or the provider console's).
    pub fn password_context(&self) -> [&str; 2] {
        match self {
            Actor::Member(admin) => [&admin.username, &admin.tenant_name],
            Actor::Operator(operator) => [&operator.username, "eventurl provider"],
        }
    }

    /// Records the change in the actor's log, in the caller's transaction.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        change: Change,
        summary: String,
    ) -> anyhow::Result<()> {
        match self {
            Actor::Member(admin) => {
                let kind = match change {
                    Change::TwoFactorOn => ActivityKind::TwoFactorOn,
                    Change::TwoFactorOff => ActivityKind::TwoFactorOff,
                    Change::PasswordChanged => ActivityKind::PasswordChanged,
                };
                activity_log::record(db, activity_log::NewEntry::by(admin, kind, None, summary))
                    .await
            }
            Actor::Operator(operator) => {
                let kind = match change {
                    Change::TwoFactorOn => OperatorAction::TwoFactorOn,
                    Change::TwoFactorOff => OperatorAction::TwoFactorOff,
                    Change::PasswordChanged => OperatorAction::PasswordChanged,
                };
                operator_log::record(db, OperatorEntry::by(operator, kind, summary)).await
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = NotSignedIn;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Some(admin) = parts.extensions.get::<CurrentAdmin>() {
            return Ok(Actor::Member(admin.clone()));
        }
        parts
            .extensions
            .get::<CurrentOperator>()
            .cloned()
            .map(Actor::Operator)
            .ok_or(NotSignedIn)
    }
}
