//! What administrators do to queued events: release or discard the held,
//! redeliver one event or a section's given-up ones.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};
use time::OffsetDateTime;

use crate::{
    domain::{EndpointKind, EventState},
    persistence::{entities::event, raw_sql},
};

/// What becomes of a section's held events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldFate {
    /// Due now, oldest first (in the transaction that enables the section).
    Released,
    /// Not to be delivered: finished, kept like other finished events for
    /// the retention time.
    Discarded,
}

/// Every held event of a section meets `fate`; how many.
pub async fn settle_held(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    fate: HeldFate,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let (to, at) = match fate {
        HeldFate::Released => (EventState::Pending, event::Column::NextAttemptAt),
        HeldFate::Discarded => (EventState::Discarded, event::Column::FinishedAt),
    };
    let done = event::Entity::update_many()
        .col_expr(event::Column::State, Expr::value(to.as_str()))
        .col_expr(at, Expr::value(now))
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::Section.eq(section.as_str()))
        .filter(event::Column::State.eq(EventState::Held.as_str()))
        .exec(db)
        .await
        .with_context(|| format!("settling held events: {fate:?}"))?;
    Ok(done.rows_affected)
}

/// A section's due events are held (their tenant is suspended); how many.
pub async fn hold_pending(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
) -> anyhow::Result<u64> {
    let done = event::Entity::update_many()
        .col_expr(event::Column::State, Expr::value(EventState::Held.as_str()))
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::Section.eq(section.as_str()))
        .filter(event::Column::State.eq(EventState::Pending.as_str()))
        .exec(db)
        .await
        .context("holding due events")?;
    Ok(done.rows_affected)
}

/// Makes a tenant's event due now for a redelivery an administrator asked
/// for (in `db`, the transaction that records it): its next attempt is
/// marked manual. Any state but held (delivered on enable anyway); not
/// while an attempt of it is under way. Whether it was.
pub async fn redeliver_event(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    event_id: i64,
    now: OffsetDateTime,
) -> anyhow::Result<bool> {
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            "UPDATE events SET state = 'pending', next_attempt_at = ?, finished_at = NULL, \
             manual = ? WHERE id = ? AND tenant_id = ? AND state <> 'held' \
             AND (state <> 'pending' OR lease_until IS NULL OR lease_until <= ?)",
            vec![
                now.into(),
                true.into(),
                event_id.into(),
                tenant_id.into(),
                now.into(),
            ],
        ))
        .await
        .context("redelivering an event")?;
    Ok(done.rows_affected() == 1)
}

/// Which of a tenant's events a bulk replay takes: a section's events in
/// `state`, handed in within `[from, to)`.
#[derive(Clone, Copy, Debug)]
pub struct ReplayFilter {
    pub tenant_id: i32,
    pub section: EndpointKind,
    pub state: EventState,
    pub from: Option<OffsetDateTime>,
    pub to: OffsetDateTime,
}

impl ReplayFilter {
    /// Its SQL condition and values (read from `(tenant_id, state,
    /// created_at, id)`).
    fn condition(&self) -> (String, Vec<sea_orm::Value>) {
        let mut sql = "tenant_id = ? AND state = ? AND section = ? AND created_at < ?".to_owned();
        let mut values: Vec<sea_orm::Value> = vec![
            self.tenant_id.into(),
            self.state.as_str().into(),
            self.section.as_str().into(),
            self.to.into(),
        ];
        if let Some(from) = self.from {
            sql.push_str(" AND created_at >= ?");
            values.push(from.into());
        }
        (sql, values)
    }
}

/// How many events `filter` takes.
pub async fn count_replayable(
    db: &impl ConnectionTrait,
    filter: &ReplayFilter,
) -> anyhow::Result<u64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let (condition, values) = filter.condition();
    let found = Count::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        &format!("SELECT COUNT(*) AS n FROM events WHERE {condition}"),
        values,
    ))
    .one(db)
    .await
    .context("counting events to replay")?;
    Ok(found.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// Makes the events `filter` takes due now, in one batch (`replay_id`),
/// each next attempt marked manual (one attempt), in the transaction that
/// records the replay. Same next attempt time for all: claims take them
/// by id, oldest first. How many.
pub async fn replay(
    db: &impl ConnectionTrait,
    filter: &ReplayFilter,
    replay_id: i64,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let (condition, condition_values) = filter.condition();
    let mut values: Vec<sea_orm::Value> = vec![now.into(), true.into(), replay_id.into()];
    values.extend(condition_values);
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            &format!(
                "UPDATE events SET state = 'pending', next_attempt_at = ?, finished_at = NULL, \
                 manual = ?, replay_id = ? WHERE {condition}"
            ),
            values,
        ))
        .await
        .context("re-queueing events for a replay")?;
    Ok(done.rows_affected())
}

/// A replay's events by the state they are in now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    pub pending: u64,
    pub delivered: u64,
    pub given_up: u64,
    /// Held or skipped (the section paused meanwhile), or discarded.
    pub other: u64,
}

pub async fn replay_counts(
    db: &impl ConnectionTrait,
    replay_id: i64,
) -> anyhow::Result<ReplayCounts> {
    #[derive(FromQueryResult)]
    struct ByState {
        state: String,
        n: i64,
    }
    let found = ByState::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        "SELECT state, COUNT(*) AS n FROM events WHERE replay_id = ? GROUP BY state",
        vec![replay_id.into()],
    ))
    .all(db)
    .await
    .context("counting a replay's events")?;
    let mut counts = ReplayCounts::default();
    for row in found {
        let n = u64::try_from(row.n).unwrap_or(0);
        match EventState::parse(&row.state) {
            Some(EventState::Pending) => counts.pending += n,
            Some(EventState::Delivered) => counts.delivered += n,
            Some(EventState::GivenUp) => counts.given_up += n,
            _ => counts.other += n,
        }
    }
    Ok(counts)
}
