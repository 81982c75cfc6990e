//! Rate limits counted in the database, so that every instance agrees.
//!
//! An attempt is recorded (committed on its own) *before* the work it
//! guards, then the attempts in the window are counted, its own included.
//! Over the limit, it withdraws its record and is refused. This holds under
//! any concurrency, on SQLite and PostgreSQL alike: of the attempts that go
//! ahead, the one that counted last saw every other one's record (each was
//! committed before its own count, which came earlier), so at most `max`
//! go ahead in a window. A burst may be refused a little more than it must
//! (two attempts can each see the other), never less.

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use time::{Duration, OffsetDateTime};

use super::entities::rate_limit_hit;

/// At most `max` attempts under `key` within `window`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub key: String,
    pub max: u64,
    pub window: Duration,
}

/// The records an allowed attempt left, one per rule: they keep counting
/// (a failed sign-in) unless withdrawn (`forgive`).
#[derive(Debug, Default)]
pub struct Taken {
    ids: Vec<i64>,
}

#[derive(Debug)]
pub enum Verdict {
    Allowed(Taken),
    /// Over a limit; the wait until the earliest rule has room again.
    Refused {
        retry_after_secs: u64,
    },
}

/// Records one attempt under every rule, then counts; refused (and
/// withdrawn) when any rule is over its limit.
pub async fn take(db: &impl ConnectionTrait, rules: &[Rule]) -> anyhow::Result<Verdict> {
    let now = OffsetDateTime::now_utc();
    let mut taken = Taken::default();
    for rule in rules {
        let inserted = rate_limit_hit::Entity::insert(rate_limit_hit::ActiveModel {
            key: Set(rule.key.clone()),
            at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await
        .context("recording an attempt")?;
        taken.ids.push(inserted.last_insert_id);
    }
    let mut wait: Option<u64> = None;
    for (rule, own) in rules.iter().zip(&taken.ids) {
        // What left the window no longer counts.
        rate_limit_hit::Entity::delete_many()
            .filter(rate_limit_hit::Column::Key.eq(&rule.key))
            .filter(rate_limit_hit::Column::At.lte(now - rule.window))
            .exec(db)
            .await
            .context("forgetting old attempts")?;
        let others: Vec<OffsetDateTime> = rate_limit_hit::Entity::find()
            .select_only()
            .column(rate_limit_hit::Column::At)
            .filter(rate_limit_hit::Column::Key.eq(&rule.key))
            .filter(rate_limit_hit::Column::At.gt(now - rule.window))
            .filter(rate_limit_hit::Column::Id.ne(*own))
            .order_by_asc(rate_limit_hit::Column::At)
            .into_tuple()
            .all(db)
            .await
            .context("counting attempts")?;
        let max = usize::try_from(rule.max).unwrap_or(usize::MAX);
        if others.len() >= max {
            // Room comes back when the attempt that makes the others reach
            // the limit leaves the window.
            let gate = others
                .len()
                .checked_sub(max.max(1))
                .and_then(|i| others.get(i))
                .map_or(now, |at| *at);
            let seconds = (gate + rule.window - now).whole_seconds().max(0) + 1;
            let seconds = u64::try_from(seconds).unwrap_or(1);
            wait = Some(wait.map_or(seconds, |w| w.max(seconds)));
        }
    }
    match wait {
        None => Ok(Verdict::Allowed(taken)),
        Some(retry_after_secs) => {
            forgive(db, taken).await?;
            Ok(Verdict::Refused { retry_after_secs })
        }
    }
}

/// Withdraws an attempt's records: it no longer counts.
pub async fn forgive(db: &impl ConnectionTrait, taken: Taken) -> anyhow::Result<()> {
    if taken.ids.is_empty() {
        return Ok(());
    }
    rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::Id.is_in(taken.ids))
        .exec(db)
        .await
        .context("withdrawing an attempt")?;
    Ok(())
}

/// Forgets every attempt counted under `key`.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> anyhow::Result<()> {
    rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::Key.eq(key))
        .exec(db)
        .await
        .context("clearing attempts")?;
    Ok(())
}

/// Deletes every record older than `older_than` (longer than any window):
/// keys that never come back (random names, passing networks) go too.
pub async fn purge(db: &impl ConnectionTrait, older_than: Duration) -> anyhow::Result<u64> {
    let done = rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::At.lt(OffsetDateTime::now_utc() - older_than))
        .exec(db)
        .await
        .context("deleting old attempt records")?;
    Ok(done.rows_affected)
}
