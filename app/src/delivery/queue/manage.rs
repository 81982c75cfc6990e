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

/// Held events of a section become due, oldest first (called in the
/// transaction that enables the section).
pub async fn release_held(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let done = event::Entity::update_many()
        .col_expr(
            event::Column::State,
            Expr::value(EventState::Pending.as_str()),
        )
        .col_expr(event::Column::NextAttemptAt, Expr::value(now))
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::Section.eq(section.as_str()))
        .filter(event::Column::State.eq(EventState::Held.as_str()))
        .exec(db)
        .await
        .context("releasing held events")?;
    Ok(done.rows_affected)
}

/// Held events of a section are not to be delivered: discarded (kept,
/// like other finished events, for the retention time). How many.
pub async fn discard_held(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let done = event::Entity::update_many()
        .col_expr(
            event::Column::State,
            Expr::value(EventState::Discarded.as_str()),
        )
        .col_expr(event::Column::FinishedAt, Expr::value(now))
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::Section.eq(section.as_str()))
        .filter(event::Column::State.eq(EventState::Held.as_str()))
        .exec(db)
        .await
        .context("discarding held events")?;
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

/// The condition of a section's given-up events handed in within
/// `[from, to)`, and its values.
fn given_up_in(
    tenant_id: i32,
    section: EndpointKind,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> (String, Vec<sea_orm::Value>) {
    let mut sql = "tenant_id = ? AND state = 'given_up' AND section = ?".to_owned();
    let mut values: Vec<sea_orm::Value> = vec![tenant_id.into(), section.as_str().into()];
    if let Some(from) = from {
        sql.push_str(" AND created_at >= ?");
        values.push(from.into());
    }
    if let Some(to) = to {
        sql.push_str(" AND created_at < ?");
        values.push(to.into());
    }
    (sql, values)
}

/// How many of a section's events handed in within `[from, to)` were given
/// up (read from `(tenant_id, state, created_at, id)`).
pub async fn count_given_up(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> anyhow::Result<u64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let (condition, values) = given_up_in(tenant_id, section, from, to);
    let found = Count::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        &format!("SELECT COUNT(*) AS n FROM events WHERE {condition}"),
        values,
    ))
    .one(db)
    .await
    .context("counting given-up events")?;
    Ok(found.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// Makes those given-up events due now, each next attempt marked manual
/// (in the transaction that records it). How many.
pub async fn redeliver_given_up(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let (condition, condition_values) = given_up_in(tenant_id, section, from, to);
    let mut values: Vec<sea_orm::Value> = vec![now.into(), true.into()];
    values.extend(condition_values);
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            &format!(
                "UPDATE events SET state = 'pending', next_attempt_at = ?, finished_at = NULL, \
                 manual = ? WHERE {condition}"
            ),
            values,
        ))
        .await
        .context("redelivering given-up events")?;
    Ok(done.rows_affected())
}
