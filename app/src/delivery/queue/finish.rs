//! Recording: an attempt's record and the event's new state, in the
//! writer's transaction; retention's purge.

use anyhow::Context;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

use crate::delivery::rules::Decision;
use crate::{
    domain::{EndpointKind, EventState},
    persistence::{
        entities::{delivery_attempt, event},
        raw_sql,
    },
};

/// One attempt's record.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub url: String,
    pub auth_method: String,
    pub duration_ms: i64,
    pub status: Option<i32>,
    /// What went wrong (none when delivered).
    pub error: Option<String>,
    /// What to fix, one line each.
    pub help: Vec<String>,
    /// A redelivery an administrator asked for.
    pub manual: bool,
    /// The request's headers as sent, `Authorization` redacted.
    pub request_headers: Vec<(String, String)>,
    /// What came back, if anything did.
    pub response: Option<ResponseRecord>,
}

/// A receiver's answer as kept: headers, and the first 4 KB of its body
/// (a credential it echoed redacted by the sender).
#[derive(Clone, Debug)]
pub struct ResponseRecord {
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub truncated: bool,
}

/// How a claimed event ended this round: what was decided, the attempt
/// that decided it (none when it was not attempted), and when.
#[derive(Clone)]
pub struct Outcome {
    pub event_id: i64,
    /// Its endpoint (tenant, section).
    pub endpoint: (i32, EndpointKind),
    /// Attempts made before this one.
    pub attempts_before: i32,
    pub decision: Decision,
    pub attempt: Option<AttemptRecord>,
    pub at: OffsetDateTime,
}

impl Outcome {
    /// The attempt's row, if one was made.
    fn attempt_row(&self) -> Option<delivery_attempt::ActiveModel> {
        let record = self.attempt.as_ref()?;
        // The attempt's outcome: the state it left the event in, or
        // `retry` (pending, tried again later).
        let outcome = match self.decision.state() {
            state @ (EventState::Delivered | EventState::GivenUp) => state.as_str(),
            _ => "retry",
        };
        Some(delivery_attempt::ActiveModel {
            event_id: Set(self.event_id),
            attempted_at: Set(self.at),
            url: Set(record.url.clone()),
            auth_method: Set(record.auth_method.clone()),
            duration_ms: Set(record.duration_ms),
            status: Set(record.status),
            outcome: Set(outcome.to_owned()),
            error: Set(record.error.clone()),
            manual: Set(record.manual),
            request_headers: Set(serde_json::to_string(&record.request_headers).ok()),
            response_headers: Set(record
                .response
                .as_ref()
                .and_then(|r| serde_json::to_string(&r.headers).ok())),
            response_body: Set(record.response.as_ref().map(|r| r.body.clone())),
            response_truncated: Set(record.response.as_ref().is_some_and(|r| r.truncated)),
            help: Set((!record.help.is_empty()).then(|| record.help.join("\n"))),
            ..Default::default()
        })
    }
}

/// Records outcomes in `db` (a transaction): the attempts made, each
/// event's new state; their leases end.
pub async fn finish(db: &impl ConnectionTrait, outcomes: &[&Outcome]) -> anyhow::Result<()> {
    let attempts: Vec<_> = outcomes.iter().filter_map(|o| o.attempt_row()).collect();
    for chunk in attempts.chunks(200) {
        delivery_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .context("recording attempts")?;
    }
    for outcome in outcomes {
        let now = outcome.at;
        // A finished event's `next_attempt_at` is when it finished: the
        // tab's 24-hour counts read it from the endpoint index.
        let state = outcome.decision.state();
        let next = outcome.decision.due().unwrap_or(now);
        let finished = state.is_finished().then_some(now);
        let mut update = event::Entity::update_many()
            .col_expr(event::Column::State, Expr::value(state.as_str()))
            .col_expr(event::Column::NextAttemptAt, Expr::value(next))
            .col_expr(
                event::Column::LeaseUntil,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .col_expr(event::Column::FinishedAt, Expr::value(finished));
        // A redelivery an administrator asked for is one attempt: its mark
        // stays until that attempt is made (an event put off or held keeps
        // it, so it is not put back on the retry schedule).
        if let Some(attempt) = &outcome.attempt {
            update = update
                .col_expr(event::Column::Manual, Expr::value(false))
                .col_expr(
                    event::Column::Attempts,
                    Expr::value(outcome.attempts_before + 1),
                )
                .col_expr(event::Column::LastStatus, Expr::value(attempt.status))
                .col_expr(event::Column::LastError, Expr::value(attempt.error.clone()))
                .col_expr(event::Column::LastAttemptAt, Expr::value(now));
        }
        update
            .filter(event::Column::Id.eq(outcome.event_id))
            .exec(db)
            .await
            .context("recording an event's state")?;
    }
    Ok(())
}

/// Deletes at most `limit` finished events (delivered, given up, skipped,
/// filtered, discarded) that finished before `cut`, with their attempts
/// and search terms; how many. Held and pending ones stay. One statement,
/// its candidates found by `idx_events_due` (a finished event's
/// `next_attempt_at` is when it finished; a discarded one keeps the time it
/// was due when held, at most one retry step after it was held), so a
/// batch reads only what it deletes, and a discarded event may outlive its
/// retention by at most that step.
pub async fn purge_batch(
    db: &impl ConnectionTrait,
    cut: OffsetDateTime,
    limit: u64,
) -> anyhow::Result<u64> {
    let finished = EventState::FINISHED
        .map(|state| format!("'{}'", state.as_str()))
        .join(", ");
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            &format!(
                "DELETE FROM events WHERE id IN (SELECT id FROM events \
                 WHERE state IN ({finished}) AND next_attempt_at < ? AND finished_at < ? \
                 LIMIT ?)"
            ),
            [
                cut.into(),
                cut.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await
        .context("deleting old events")?;
    Ok(done.rows_affected())
}
