//! The provider's operators as the command line manages them
//! (`eventurl operator list | remove | set-password`): each change ends
//! the operator's sessions at once (every instance reads a session's
//! operator from the database on each request) and is in the operators'
//! log, in one transaction.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::log::{record, OperatorAction, OperatorEntry};
use crate::{
    accounts::{self, AccountError},
    auth::password::hash_password,
    domain::AccountId,
    persistence::{entities::operator, session_store::end_sessions_of},
};

/// An operator as `operator list` shows them.
#[derive(Debug)]
pub struct ListedOperator {
    pub username: String,
    pub created_at: OffsetDateTime,
    pub last_signed_in_at: Option<OffsetDateTime>,
    pub two_factor: bool,
}

pub async fn list(db: &DatabaseConnection) -> anyhow::Result<Vec<ListedOperator>> {
    let operators = operator::Entity::find()
        .order_by_asc(operator::Column::Username)
        .all(db)
        .await
        .context("listing operators")?;
    Ok(operators
        .into_iter()
        .map(|o| ListedOperator {
            username: o.username,
            created_at: o.created_at,
            last_signed_in_at: o.last_signed_in_at,
            two_factor: o.totp_confirmed_at.is_some(),
        })
        .collect())
}

async fn named(
    db: &impl sea_orm::ConnectionTrait,
    username: &str,
) -> anyhow::Result<operator::Model> {
    operator::Entity::find()
        .filter(operator::Column::Username.eq(username.trim()))
        .one(db)
        .await
        .context("looking up the operator")?
        .with_context(|| {
            format!(
                "no operator is named {:?} (see `eventurl operator list`)",
                username.trim()
            )
        })
}

/// The command line's entry in the operators' log.
fn by_command_line(
    operator: &operator::Model,
    kind: OperatorAction,
    summary: String,
) -> OperatorEntry {
    OperatorEntry {
        operator_id: Some(operator.id),
        operator: operator.username.clone(),
        ip: None,
        kind,
        tenant: None,
        summary,
    }
}

/// Removes an operator: their sessions end at once. Their past entries in
/// the logs keep their name. Returns the sessions ended.
pub async fn remove(db: &DatabaseConnection, username: &str) -> anyhow::Result<u64> {
    let txn = db.begin().await.context("starting a transaction")?;
    let operator = named(&txn, username).await?;
    let ended = end_sessions_of(&txn, AccountId::Operator(operator.id), None).await?;
    // Written before the row goes (its id is set to NULL with it).
    let entry = by_command_line(
        &operator,
        OperatorAction::OperatorRemoved,
        format!("removed from the command line; {ended} session(s) ended"),
    );
    record(&txn, entry).await?;
    operator::Entity::delete_by_id(operator.id)
        .exec(&txn)
        .await
        .context("removing the operator")?;
    txn.commit().await.context("committing the removal")?;
    Ok(ended)
}

/// Sets an operator's password (a forgotten one, say): the same rules as
/// any password; every session of theirs ends. Their two-factor sign-in
/// stays as it is. Returns the sessions ended.
pub async fn set_password(
    db: &DatabaseConnection,
    username: &str,
    password: SecretString,
) -> Result<u64, AccountError> {
    let found = named(db, username).await?;
    accounts::password_rules(&password, &[&found.username, "eventurl provider"])?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("hashing task")??;
    let txn = db.begin().await.context("starting a transaction")?;
    operator::Entity::update_many()
        .col_expr(operator::Column::PasswordHash, Expr::value(hash))
        .filter(operator::Column::Id.eq(found.id))
        .exec(&txn)
        .await
        .context("storing the password")?;
    let ended = end_sessions_of(&txn, AccountId::Operator(found.id), None).await?;
    let entry = by_command_line(
        &found,
        OperatorAction::PasswordSet,
        format!("password set from the command line; {ended} session(s) ended"),
    );
    record(&txn, entry).await?;
    txn.commit().await.context("committing the password")?;
    Ok(ended)
}
