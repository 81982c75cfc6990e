//! Bulk replays as jobs: a section's given-up, filtered or skipped events
//! in a time range, re-queued together (new attempts, same event ids,
//! oldest first, at the section's limits) and watched until none is left
//! waiting. One per section at a time (a second is refused, naming the
//! first); at most `MAX_REPLAY` events; recorded in Activity.

use super::*;
use crate::{deliveries::model::ReplayView, persistence::entities::replay};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// Most events one replay re-queues.
pub const MAX_REPLAY: u64 = 100_000;

/// The states a replay takes events from.
pub const REPLAYABLE: [EventState; 3] = [
    EventState::GivenUp,
    EventState::Filtered,
    EventState::Skipped,
];

/// What a replay is asked for.
#[derive(Clone, Copy, Debug)]
pub struct ReplayRequest {
    pub section: EndpointKind,
    pub state: EventState,
    pub from: Option<OffsetDateTime>,
    pub to: OffsetDateTime,
}

impl ReplayRequest {
    fn filter(&self, tenant_id: i32) -> queue::ReplayFilter {
        queue::ReplayFilter {
            tenant_id,
            section: self.section,
            state: self.state,
            from: self.from,
            to: self.to,
        }
    }
}

/// Reads the state a replay is asked for: one of `REPLAYABLE`.
pub fn replayable_state(text: &str) -> Result<EventState, AppError> {
    EventState::parse(text.trim())
        .filter(|state| REPLAYABLE.contains(state))
        .ok_or_else(|| {
            AppError::BadRequest(
                "A replay takes given-up, filtered or skipped events: choose one of those states."
                    .to_owned(),
            )
        })
}

/// The end of an open range: now, to the second, rounded up (an event
/// handed in earlier in this second is in it), so that what arrives after
/// the confirmation is not part of what was confirmed.
pub fn open_end() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .map_or(now, |whole| whole + time::Duration::SECOND)
}

/// How many events a replay would take, and why it cannot be made now
/// (the section paused or without a URL, none, too many), if it cannot.
pub async fn plan(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: i32,
    request: &ReplayRequest,
) -> Result<(u64, Option<String>, Option<String>), ServiceError> {
    let (section_refused, url) = section_refusal(db, tenant_id, request.section).await?;
    let count = queue::count_replayable(db, &request.filter(tenant_id)).await?;
    let busy = unfinished(db, tenant_id, request.section)
        .await?
        .filter(|running| running.waiting > 0)
        .map(|running| {
            format!(
                "replay {} of {} is still running ({} of {} sent); start another once it is done.",
                running.id,
                request.section.title(),
                running.sent,
                running.total
            )
        });
    let refused = section_refused
        .or(busy)
        .or_else(|| refusal_for(count, request));
    Ok((count, refused, url))
}

fn refusal_for(count: u64, request: &ReplayRequest) -> Option<String> {
    if count == 0 {
        Some(format!(
            "There are no {} events of {} in that time range.",
            request.state.adjective(),
            request.section.title()
        ))
    } else if count > MAX_REPLAY {
        Some(format!(
            "{count} events match; a replay takes at most {MAX_REPLAY}. Choose a shorter time range."
        ))
    } else {
        None
    }
}

/// Starts a replay: the events become due now, in one transaction with the
/// replay's row and its Activity entry.
pub async fn start(
    state: &AppState,
    wake: &Wake,
    admin: &Administrator,
    request: ReplayRequest,
) -> Result<ReplayView, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = state.writes.enter().await;
    let txn = state.db.begin().await.context("starting a transaction")?;
    if let Some(running) = running(&txn, admin.tenant_id, request.section).await? {
        return Err(AppError::Conflict(format!(
            "Replay {} of {} is still running ({} of {} sent); start another once it is done.",
            running.id,
            request.section.title(),
            running.sent,
            running.total
        ))
        .into());
    }
    let (count, refused, _) = plan(&txn, admin.tenant_id, &request).await?;
    if let Some(refused) = refused {
        return Err(AppError::Refused(format!("Not replayed: {refused}")).into());
    }
    let row = replay::ActiveModel {
        tenant_id: Set(admin.tenant_id),
        section: Set(request.section.as_str().to_owned()),
        state: Set(request.state.as_str().to_owned()),
        range_from: Set(request.from),
        range_to: Set(request.to),
        total: Set(i64::try_from(count).unwrap_or(i64::MAX)),
        created_by: Set(admin.username.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Another instance started one for this section meanwhile.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ServiceError::from(AppError::Conflict(format!(
                "A replay of {} was started meanwhile; start another once it is done.",
                request.section.title()
            )))
        }
        _ => ServiceError::Ours(anyhow::Error::new(e).context("recording a replay")),
    })?;
    let total = queue::replay(&txn, &request.filter(admin.tenant_id), row.id.into(), now).await?;
    let mut row = row;
    if total != count {
        let mut active: replay::ActiveModel = row.clone().into();
        active.total = Set(i64::try_from(total).unwrap_or(i64::MAX));
        row = active.update(&txn).await.context("recording a replay")?;
    }
    let range = match request.from {
        None => format!("handed in before {}", minutes(request.to)),
        Some(from) => format!(
            "handed in from {} to {}",
            minutes(from),
            minutes(request.to)
        ),
    };
    activity::log::record(
        &txn,
        NewEntry::by(
            admin,
            ActivityKind::Redelivered,
            Some(request.section),
            format!(
                "started replay {}: {total} {} events {range}, oldest first",
                row.id,
                request.state.adjective()
            ),
        ),
    )
    .await?;
    txn.commit().await.context("committing a replay")?;
    wake.due((admin.tenant_id, request.section));
    tracing::info!(
        tenant_id = admin.tenant_id,
        section = request.section.as_str(),
        replay = row.id,
        events = total,
        "replay started"
    );
    Ok(view_of(
        &row,
        queue::ReplayCounts {
            pending: total,
            ..Default::default()
        },
    ))
}

fn minutes(at: OffsetDateTime) -> String {
    crate::time_text::utc_minutes(&rfc3339(at))
}

/// A replay of the signed-in member's tenant, with its progress now
/// (finished, its counts are kept). Another tenant's is not found.
pub async fn progress(
    state: &AppState,
    admin: &CurrentAdmin,
    id: i32,
) -> Result<ReplayView, ServiceError> {
    let row = replay::Entity::find_by_id(id)
        .filter(replay::Column::TenantId.eq(admin.tenant_id))
        .one(&state.db)
        .await
        .context("reading a replay")?
        .ok_or_else(|| AppError::NotFound(format!("There is no replay {id} in your company.")))?;
    if row.finished_at.is_some() {
        return Ok(finished_view(&row));
    }
    let counts = queue::replay_counts(&state.db, row.id.into()).await?;
    if counts.pending > 0 {
        return Ok(view_of(&row, counts));
    }
    let _turn = state.writes.enter().await;
    let row = finish(&state.db, row, counts).await?;
    Ok(finished_view(&row))
}

/// Keeps a replay's final counts (none of its events is waiting): from now
/// on its events may be replayed again.
/// Only an unfinished one: a replay finished meanwhile (by a new replay of
/// the section, whose events then count for it) keeps the counts it has.
async fn finish(
    db: &impl sea_orm::ConnectionTrait,
    row: replay::Model,
    counts: queue::ReplayCounts,
) -> anyhow::Result<replay::Model> {
    use sea_orm::sea_query::Expr;
    let now = OffsetDateTime::now_utc();
    let delivered = i64::try_from(counts.delivered).unwrap_or(i64::MAX);
    let failed = i64::try_from(counts.given_up + counts.other).unwrap_or(i64::MAX);
    replay::Entity::update_many()
        .col_expr(replay::Column::FinishedAt, Expr::value(Some(now)))
        .col_expr(replay::Column::Delivered, Expr::value(Some(delivered)))
        .col_expr(replay::Column::Failed, Expr::value(Some(failed)))
        .filter(replay::Column::Id.eq(row.id))
        .filter(replay::Column::FinishedAt.is_null())
        .exec(db)
        .await
        .context("finishing a replay")?;
    replay::Entity::find_by_id(row.id)
        .one(db)
        .await
        .context("reading a replay")?
        .ok_or_else(|| anyhow::anyhow!("a replay went away"))
}

/// The section's unfinished replay, with its progress (a read).
async fn unfinished(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
) -> anyhow::Result<Option<ReplayView>> {
    let Some(row) = replay::Entity::find()
        .filter(replay::Column::TenantId.eq(tenant_id))
        .filter(replay::Column::Section.eq(section.as_str()))
        .filter(replay::Column::FinishedAt.is_null())
        .one(db)
        .await
        .context("looking for a running replay")?
    else {
        return Ok(None);
    };
    let counts = queue::replay_counts(db, row.id.into()).await?;
    Ok(Some(view_of(&row, counts)))
}

/// The section's unfinished replay, if one still has events waiting (one
/// with none is finished here, in the caller's transaction).
async fn running(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
) -> anyhow::Result<Option<ReplayView>> {
    let Some(view) = unfinished(db, tenant_id, section).await? else {
        return Ok(None);
    };
    if view.waiting > 0 {
        return Ok(Some(view));
    }
    if let Some(row) = replay::Entity::find_by_id(view.id)
        .one(db)
        .await
        .context("reading a replay")?
    {
        let counts = queue::replay_counts(db, row.id.into()).await?;
        finish(db, row, counts).await?;
    }
    Ok(None)
}

fn view_of(row: &replay::Model, counts: queue::ReplayCounts) -> ReplayView {
    let total = u64::try_from(row.total).unwrap_or(0);
    let failed = counts.given_up + counts.other;
    ReplayView {
        id: row.id,
        section: EndpointKind::parse(&row.section).unwrap_or(EndpointKind::Cdr),
        state: row.state.clone(),
        from: row.range_from.map(rfc3339),
        to: rfc3339(row.range_to),
        total,
        sent: counts.delivered + failed,
        delivered: counts.delivered,
        failed,
        waiting: counts.pending,
        done: false,
        created_by: row.created_by.clone(),
        created_at: rfc3339(row.created_at),
        finished_at: None,
    }
}

fn finished_view(row: &replay::Model) -> ReplayView {
    let delivered = row
        .delivered
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let failed = row.failed.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    ReplayView {
        done: true,
        finished_at: row.finished_at.map(rfc3339),
        ..view_of(
            row,
            queue::ReplayCounts {
                pending: 0,
                delivered,
                given_up: failed,
                other: 0,
            },
        )
    }
}
