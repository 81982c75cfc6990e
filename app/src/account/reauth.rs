//! The current password asked again before a sensitive change of my
//! account (password, email address), for members and operators alike.

use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::SecretString;

use crate::{
    auth::{
        password::{verify_password, HashingPool},
        throttle,
    },
    domain::AccountId,
    persistence::entities::{operator, user},
};

/// Checks a signed-in member's or operator's current password before a
/// sensitive change (attempts counted in a bucket of their own, forgiven
/// on success: `throttle::begin_reauth`). `Err(message)` for the field.
pub(super) async fn reauthenticate(
    db: &DatabaseConnection,
    hashing: &HashingPool,
    account: AccountId,
    current: SecretString,
) -> anyhow::Result<Result<(), String>> {
    let attempt = match throttle::begin_reauth(db, account).await? {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Ok(Err(format!(
                "Too many wrong passwords. Try again in {wait} seconds."
            )))
        }
    };
    let stored = match account {
        AccountId::Member(id) => user::Entity::find_by_id(id)
            .one(db)
            .await
            .context("reading the account")?
            .map(|u| u.password_hash),
        AccountId::Operator(id) => operator::Entity::find_by_id(id)
            .one(db)
            .await
            .context("reading the account")?
            .map(|o| o.password_hash),
    };
    let ok = hashing
        .run(move || verify_password(&current, stored.as_deref()))
        .await?;
    if !ok {
        return Ok(Err("This is not your current password.".to_owned()));
    }
    attempt.succeeded(db).await?;
    Ok(Ok(()))
}
