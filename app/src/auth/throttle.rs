//! Sign-in throttling: after too many failures for one account, or from one
//! client address, within a window, attempts are refused (without checking
//! the password) until the oldest failure leaves the window. Counted in the
//! database, so every instance agrees.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

use crate::persistence::entities::sign_in_failure;

/// Failures allowed per account within `WINDOW`.
pub const PER_ACCOUNT: u64 = 5;
/// Failures allowed per client address within `WINDOW`.
pub const PER_ADDRESS: u64 = 20;
pub const WINDOW: Duration = Duration::minutes(5);

fn keys(username: &str, ip: Option<IpAddr>) -> Vec<(String, u64)> {
    let mut keys = vec![(
        format!("account:{}", username.trim().to_lowercase()),
        PER_ACCOUNT,
    )];
    if let Some(ip) = ip {
        keys.push((format!("ip:{}", ip.to_canonical()), PER_ADDRESS));
    }
    keys
}

/// `Some(seconds)` to wait when this account or address is over its limit.
pub async fn wait_needed(
    db: &DatabaseConnection,
    username: &str,
    ip: Option<IpAddr>,
) -> anyhow::Result<Option<u64>> {
    let now = OffsetDateTime::now_utc();
    let mut wait = None;
    for (key, limit) in keys(username, ip) {
        let recent: Vec<OffsetDateTime> = sign_in_failure::Entity::find()
            .select_only()
            .column(sign_in_failure::Column::FailedAt)
            .filter(sign_in_failure::Column::Key.eq(&key))
            .filter(sign_in_failure::Column::FailedAt.gt(now - WINDOW))
            .order_by_desc(sign_in_failure::Column::FailedAt)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await
            .context("counting failed sign-ins")?;
        if recent.len() as u64 >= limit {
            // The oldest of the last `limit` failures must leave the window.
            if let Some(oldest) = recent.last() {
                let seconds = (*oldest + WINDOW - now).whole_seconds().max(0) + 1;
                let seconds = u64::try_from(seconds).unwrap_or(1);
                wait = Some(wait.map_or(seconds, |w: u64| w.max(seconds)));
            }
        }
    }
    Ok(wait)
}

pub async fn record_failure(
    db: &DatabaseConnection,
    username: &str,
    ip: Option<IpAddr>,
) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    for (key, _) in keys(username, ip) {
        sign_in_failure::ActiveModel {
            key: Set(key),
            failed_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .context("recording a failed sign-in")?;
    }
    // What left the window no longer counts.
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::FailedAt.lt(now - WINDOW))
        .exec(db)
        .await
        .context("forgetting old failed sign-ins")?;
    Ok(())
}

/// A successful sign-in forgives the account's failures (not the address's).
pub async fn clear_account(db: &DatabaseConnection, username: &str) -> anyhow::Result<()> {
    let (key, _) = keys(username, None).remove(0);
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::Key.eq(key))
        .exec(db)
        .await
        .context("clearing failed sign-ins")?;
    Ok(())
}
