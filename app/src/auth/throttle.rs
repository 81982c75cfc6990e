//! Sign-in throttling. Every attempt is counted *before* its password is
//! checked (`persistence::rate_limit`), so a concurrent burst cannot get
//! more checks than the limit, and a refused attempt costs no argon2 work.
//! Limits: `PER_ACCOUNT` attempts per account and `PER_ADDRESS` per client
//! network (an IPv4 address, an IPv6 /64; and `PER_WIDE_NETWORK` per IPv6
//! /48) within `WINDOW`.
//!
//! Strangers must not be able to lock an administrator out by failing on
//! purpose: attempts from a network the account has signed in from before
//! (within `KNOWN_FOR`) are counted in a bucket of their own, so the owner
//! keeps their usual way in while an attacker exhausts the shared one.
//! A successful sign-in forgives its bucket's failures.

use anyhow::Context;
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

use crate::{
    client_ip::{network_of, wide_network_of},
    domain::AccountId,
    persistence::{
        entities::{operator, sign_in_address, user},
        rate_limit::{self, Rule, Taken, Verdict},
    },
};

/// Attempts allowed per account (per bucket) within `WINDOW`.
pub const PER_ACCOUNT: u64 = 5;
/// Attempts allowed per client network within `WINDOW`.
pub const PER_ADDRESS: u64 = 20;
/// Attempts allowed per IPv6 /48 within `WINDOW`.
pub const PER_WIDE_NETWORK: u64 = 100;
pub const WINDOW: Duration = Duration::minutes(5);
/// How long a network an administrator signed in from stays theirs.
pub const KNOWN_FOR: Duration = Duration::days(90);

/// An attempt that may go ahead, counted.
pub struct Attempt {
    account_key: String,
    taken: Taken,
}

/// Counts an attempt for `username` (the account `user_id`, when it
/// exists) from `ip`; `Err(seconds)` to wait when over a limit.
pub async fn begin(
    db: &impl ConnectionTrait,
    username: &str,
    user_id: Option<i32>,
    ip: Option<IpAddr>,
) -> anyhow::Result<Result<Attempt, u64>> {
    let network = ip.map(network_of);
    // Looked up for a name that matches no account too: the time taken
    // says nothing about whether it exists.
    let known = is_known(
        db,
        user_id.unwrap_or(-1),
        network.as_deref().unwrap_or_default(),
    )
    .await?;
    // An account's own bucket (by id: two names that differ only in case
    // are two accounts, and one's success must not clear the other's
    // failures); a name no account has is counted by the name.
    let account_key = match (user_id, &network) {
        (Some(user_id), Some(network)) if known => format!("sign-in:user:{user_id}@{network}"),
        (Some(user_id), _) => format!("sign-in:user:{user_id}"),
        (None, _) => format!("sign-in:name:{}", username.trim().to_lowercase()),
    };
    take(db, account_key, ip).await
}

/// As `begin`, for a provider operator: the network of their last sign-in
/// (within `KNOWN_FOR`) has a bucket of its own, so strangers failing on
/// purpose cannot lock them out of it.
pub async fn begin_operator(
    db: &impl ConnectionTrait,
    operator: &operator::Model,
    ip: Option<IpAddr>,
) -> anyhow::Result<Result<Attempt, u64>> {
    let network = ip.map(network_of);
    let known = network.is_some()
        && operator.last_network == network
        && operator
            .last_signed_in_at
            .is_some_and(|at| at > OffsetDateTime::now_utc() - KNOWN_FOR);
    let account_key = match &network {
        Some(network) if known => format!("sign-in:operator:{}@{network}", operator.id),
        _ => format!("sign-in:operator:{}", operator.id),
    };
    take(db, account_key, ip).await
}

/// Counts an attempt in `account_key` and its client's network buckets.
async fn take(
    db: &impl ConnectionTrait,
    account_key: String,
    ip: Option<IpAddr>,
) -> anyhow::Result<Result<Attempt, u64>> {
    let network = ip.map(network_of);
    let mut rules = vec![Rule {
        key: account_key.clone(),
        max: PER_ACCOUNT,
        window: WINDOW,
    }];
    if let Some(network) = network {
        rules.push(Rule {
            key: format!("sign-in:ip:{network}"),
            max: PER_ADDRESS,
            window: WINDOW,
        });
    }
    // One holder of an IPv6 /48 has 65,536 /64s: the /48 has a limit too.
    if let Some(wide) = ip.and_then(wide_network_of) {
        rules.push(Rule {
            key: format!("sign-in:ip48:{wide}"),
            max: PER_WIDE_NETWORK,
            window: WINDOW,
        });
    }
    Ok(match rate_limit::take(db, &rules).await? {
        Verdict::Allowed(taken) => Ok(Attempt { account_key, taken }),
        Verdict::Refused { retry_after_secs } => Err(retry_after_secs),
    })
}

/// An API call with a token that is not a live one of ours, from `ip`:
/// counted like a failed sign-in (`PER_ADDRESS` per client network and
/// `PER_WIDE_NETWORK` per IPv6 /48 within `WINDOW`, in the database, so
/// every instance agrees). `Err(seconds)` when that address is over.
pub async fn unknown_api_token(
    db: &impl ConnectionTrait,
    ip: IpAddr,
) -> anyhow::Result<Result<(), u64>> {
    let mut rules = vec![Rule {
        key: format!("api-token:ip:{}", network_of(ip)),
        max: PER_ADDRESS,
        window: WINDOW,
    }];
    if let Some(wide) = wide_network_of(ip) {
        rules.push(Rule {
            key: format!("api-token:ip48:{wide}"),
            max: PER_WIDE_NETWORK,
            window: WINDOW,
        });
    }
    Ok(match rate_limit::take(db, &rules).await? {
        Verdict::Allowed(_) => Ok(()),
        Verdict::Refused { retry_after_secs } => Err(retry_after_secs),
    })
}

/// A signed-in member or operator proving themselves again (their
/// password to change it, a code to set up two-factor sign-in):
/// `PER_ACCOUNT` tries per `WINDOW`, in a bucket of their own, so that
/// someone at an unattended browser can neither guess on nor lock the
/// owner out of signing in.
pub async fn begin_reauth(
    db: &impl ConnectionTrait,
    account: AccountId,
) -> anyhow::Result<Result<Reauth, u64>> {
    let key = match account {
        AccountId::Member(id) => format!("reauth:user:{id}"),
        AccountId::Operator(id) => format!("reauth:operator:{id}"),
    };
    let rules = [Rule {
        key,
        max: PER_ACCOUNT,
        window: WINDOW,
    }];
    Ok(match rate_limit::take(db, &rules).await? {
        Verdict::Allowed(taken) => Ok(Reauth(taken)),
        Verdict::Refused { retry_after_secs } => Err(retry_after_secs),
    })
}

/// A counted re-authentication; forgiven when it succeeds.
pub struct Reauth(Taken);

impl Reauth {
    pub async fn succeeded(self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        rate_limit::forgive(db, self.0).await
    }
}

/// A successful sign-in: it does not count against its network, its
/// bucket's failures are forgiven, and its network becomes known.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    attempt: Attempt,
    user_id: i32,
    ip: Option<IpAddr>,
) -> anyhow::Result<()> {
    rate_limit::forgive(db, attempt.taken).await?;
    rate_limit::clear(db, &attempt.account_key).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::LastSignedInAt,
            sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .context("noting the sign-in")?;
    if let Some(ip) = ip {
        sign_in_address::Entity::insert(sign_in_address::ActiveModel {
            user_id: Set(user_id),
            network: Set(network_of(ip)),
            last_signed_in_at: Set(OffsetDateTime::now_utc()),
        })
        .on_conflict(
            OnConflict::columns([
                sign_in_address::Column::UserId,
                sign_in_address::Column::Network,
            ])
            .update_column(sign_in_address::Column::LastSignedInAt)
            .to_owned(),
        )
        .exec(db)
        .await
        .context("remembering a sign-in address")?;
    }
    Ok(())
}

/// A provider operator's successful sign-in: forgiven, its bucket
/// cleared, its network remembered (with the time) as their last.
pub async fn operator_succeeded(
    db: &impl ConnectionTrait,
    attempt: Attempt,
    operator_id: i32,
    ip: Option<IpAddr>,
) -> anyhow::Result<()> {
    rate_limit::forgive(db, attempt.taken).await?;
    rate_limit::clear(db, &attempt.account_key).await?;
    operator::Entity::update_many()
        .col_expr(
            operator::Column::LastSignedInAt,
            sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc()),
        )
        .col_expr(
            operator::Column::LastNetwork,
            sea_orm::sea_query::Expr::value(ip.map(network_of)),
        )
        .filter(operator::Column::Id.eq(operator_id))
        .exec(db)
        .await
        .context("noting the sign-in")?;
    Ok(())
}

async fn is_known(db: &impl ConnectionTrait, user_id: i32, network: &str) -> anyhow::Result<bool> {
    let since = OffsetDateTime::now_utc() - KNOWN_FOR;
    let found: Vec<i32> = sign_in_address::Entity::find()
        .select_only()
        .column(sign_in_address::Column::UserId)
        .filter(sign_in_address::Column::UserId.eq(user_id))
        .filter(sign_in_address::Column::Network.eq(network))
        .filter(sign_in_address::Column::LastSignedInAt.gt(since))
        .into_tuple()
        .all(db)
        .await
        .context("looking up sign-in addresses")?;
    Ok(!found.is_empty())
}

/// Forgets the networks not signed in from within `KNOWN_FOR`.
pub async fn forget_old_networks(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    let done = sign_in_address::Entity::delete_many()
        .filter(sign_in_address::Column::LastSignedInAt.lt(OffsetDateTime::now_utc() - KNOWN_FOR))
        .exec(db)
        .await
        .context("forgetting old sign-in networks")?;
    Ok(done.rows_affected)
}
