//! The durable queue: events in the database, claimed by workers with a
//! lease (a crashed worker's claim runs out and the event is tried again),
//! finished with the attempt that decided them, in one transaction.
//!
//! States: `EventState` (`pending` is due at `next_attempt_at`, leased while
//! an attempt is under way). The SQL below spells states as literals (so
//! that the planners see them); a unit test checks each is an `EventState`.

use anyhow::Context;
use sea_orm::{
    sea_query::{Expr, OnConflict, Query},
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryTrait, Set,
};
use secrecy::ExposeSecret;
use time::{Duration, OffsetDateTime};

use super::{routing::Route, rules::Decision};
use crate::{
    domain::{EndpointKind, EventState},
    persistence::{
        crypto::SecretCipher,
        entities::{delivery_attempt, event, event_ref},
        raw_sql,
    },
};

/// The associated data binding a stored event body to its tenant and id.
pub(crate) fn body_context(tenant_id: i32, uid: &str) -> String {
    format!("eventurl/v1/tenant/{tenant_id}/event/{uid}")
}

/// An event as handed in, ready to queue.
pub struct NewEvent {
    pub uid: String,
    pub section: EndpointKind,
    pub event_type: String,
    /// The event's JSON as the PBX sent it.
    pub body: Vec<u8>,
    /// What the tenant can search it by (`search_terms`), in clear.
    pub terms: Vec<String>,
}

/// An event's row, ready to insert, and its search terms' keyed hashes.
#[derive(Clone)]
pub struct Queued {
    pub row: event::ActiveModel,
    pub terms: Vec<Vec<u8>>,
    pub section: EndpointKind,
    /// The state it is queued in (pending, held or skipped).
    pub state: EventState,
}

/// The tenant's events as rows to queue, each in the state its section
/// (`routes`, as read now) calls for, bodies encrypted. (Prepared before
/// the writing transaction starts: on SQLite a transaction that reads first
/// and then writes fails at once when another write came in between.)
pub fn prepare(
    cipher: &SecretCipher,
    tenant_id: i32,
    routes: &[Route],
    events: Vec<NewEvent>,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Queued>> {
    let state_for =
        |section: EndpointKind| match routes.iter().find(|route| route.section == section) {
            Some(route) => super::rules::on_arrival(section, route.section_now()),
            None => EventState::Skipped,
        };
    let mut rows = Vec::with_capacity(events.len());
    for new in events {
        let state = state_for(new.section);
        let terms = new
            .terms
            .iter()
            .map(|term| cipher.term_hash(tenant_id, term))
            .collect();
        let row = event::ActiveModel {
            tenant_id: Set(tenant_id),
            body: Set(cipher.encrypt(&new.body, &body_context(tenant_id, &new.uid))?),
            event_uid: Set(new.uid),
            section: Set(new.section.as_str().to_owned()),
            event_type: Set(new.event_type),
            state: Set(state.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            last_attempt_at: Set(None),
            created_at: Set(now),
            finished_at: Set(state.is_finished().then_some(now)),
            manual: Set(false),
            ..Default::default()
        };
        rows.push(Queued {
            row,
            terms,
            section: new.section,
            state,
        });
    }
    Ok(rows)
}

/// Queues prepared rows in `db` (a transaction: all or none). An event
/// whose id the tenant used before is left as it is (the PBX retrying its
/// hand-off).
pub async fn enqueue(db: &impl ConnectionTrait, rows: Vec<Queued>) -> anyhow::Result<()> {
    #[derive(FromQueryResult)]
    struct Inserted {
        id: i64,
        tenant_id: i32,
        event_uid: String,
    }
    let backend = db.get_database_backend();
    // Inserted in chunks: a statement's bound values are limited.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Queued> = rows.by_ref().take(200).collect();
        let mut insert = event::Entity::insert_many(chunk.iter().map(|q| q.row.clone()))
            .on_conflict(
                OnConflict::columns([event::Column::TenantId, event::Column::EventUid])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().columns([
            event::Column::Id,
            event::Column::TenantId,
            event::Column::EventUid,
        ]));
        // Only the rows inserted come back (not those handed in before).
        let inserted = Inserted::find_by_statement(backend.build(&insert))
            .all(db)
            .await
            .context("queueing events")?;
        // Each inserted event's terms, found by (tenant, uid).
        let by_uid: std::collections::HashMap<(i32, &str), &Queued> = chunk
            .iter()
            .filter_map(|q| match (&q.row.tenant_id, &q.row.event_uid) {
                (Set(tenant_id), Set(uid)) => Some(((*tenant_id, uid.as_str()), q)),
                _ => None,
            })
            .collect();
        let mut refs: Vec<event_ref::ActiveModel> = Vec::new();
        for row in &inserted {
            let Some(q) = by_uid.get(&(row.tenant_id, row.event_uid.as_str())) else {
                continue;
            };
            let Set(created_at) = q.row.created_at else {
                continue;
            };
            refs.extend(q.terms.iter().map(|term| event_ref::ActiveModel {
                tenant_id: Set(row.tenant_id),
                term: Set(term.clone()),
                created_at: Set(created_at),
                event_id: Set(row.id),
            }));
        }
        for refs in refs.chunks(300) {
            event_ref::Entity::insert_many(refs.to_vec())
                .exec_without_returning(db)
                .await
                .context("recording events' search terms")?;
        }
    }
    Ok(())
}

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

/// A claimed event, its body in clear.
#[derive(Debug)]
pub struct Claimed {
    pub id: i64,
    pub tenant_id: i32,
    pub uid: String,
    pub section: EndpointKind,
    pub attempts: i32,
    pub body: String,
    /// This attempt is a redelivery an administrator asked for.
    pub manual: bool,
    /// Until when this claim is ours.
    pub lease_until: OffsetDateTime,
}

#[derive(FromQueryResult)]
struct ClaimedRow {
    id: i64,
    tenant_id: i32,
    event_uid: String,
    section: String,
    attempts: i32,
    body: Vec<u8>,
    manual: bool,
}

/// The condition of an event due for an attempt (its two placeholders:
/// now, now): pending, its time come, and no live claim on it. A claim
/// also moves `next_attempt_at` to the end of its lease, so claimed events
/// are out of the due range of the index `(state, next_attempt_at)`: a
/// claim or a look for due events reads only due ones, however many are
/// claimed (the lease check alone would read each claimed row).
/// An event listed by id is still due. Written as a `CASE` so that no
/// planner can use it to pick an index: given a few ids, SQLite's and
/// PostgreSQL's planners (with statistics a mass release of held events
/// made stale) both preferred walking `idx_events_due` through every due
/// event, a backlog of millions, to looking the listed ids up (40–50 ms a
/// claim of 50 on PostgreSQL; 370 deliveries/s on SQLite).
const STILL_DUE: &str = "CASE WHEN state = 'pending' AND next_attempt_at <= ? \
     AND (lease_until IS NULL OR lease_until <= ?) THEN 1 ELSE 0 END = 1";

/// The endpoints (tenant, section) with events due now, except those in
/// `skip`: one seek per endpoint in `idx_events_endpoint_due`, so a long
/// backlog of one endpoint costs the look nothing (every tenant has its two
/// endpoint rows). `skip`: endpoints the caller is claiming for anyway,
/// whose index range is busiest (on PostgreSQL, full of the versions its
/// claims just left behind).
pub async fn due_endpoints(
    db: &impl ConnectionTrait,
    skip: &[(i32, EndpointKind)],
) -> anyhow::Result<Vec<(i32, EndpointKind)>> {
    #[derive(FromQueryResult)]
    struct Due {
        tenant_id: i32,
        kind: String,
    }
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut skipped = String::new();
    for (tenant_id, section) in skip {
        skipped.push_str(" AND NOT (p.tenant_id = ? AND p.kind = ?)");
        values.push((*tenant_id).into());
        values.push(section.as_str().into());
    }
    values.push(OffsetDateTime::now_utc().into());
    let found = Due::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT p.tenant_id, p.kind FROM endpoints p WHERE TRUE{skipped} AND EXISTS \
             (SELECT 1 FROM events e WHERE e.tenant_id = p.tenant_id AND e.section = p.kind \
             AND e.state = 'pending' AND e.next_attempt_at <= ?)"
        ),
        values,
    ))
    .all(db)
    .await
    .context("looking for endpoints with due events")?;
    Ok(found
        .into_iter()
        .filter_map(|due| Some((due.tenant_id, EndpointKind::parse(&due.kind)?)))
        .collect())
}

/// Up to `limit` of an endpoint's due events, oldest due first: a read
/// (`claim` takes them). A claimed event's `next_attempt_at` is the end of
/// its lease, so what is due is not claimed.
pub async fn due_for(
    db: &impl ConnectionTrait,
    (tenant_id, section): (i32, EndpointKind),
    limit: usize,
) -> anyhow::Result<Vec<i64>> {
    #[derive(FromQueryResult)]
    struct Due {
        id: i64,
    }
    let now = OffsetDateTime::now_utc();
    let found = Due::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        "SELECT id FROM events WHERE tenant_id = ? AND section = ? AND state = 'pending' \
         AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        vec![
            tenant_id.into(),
            section.as_str().into(),
            now.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    ))
    .all(db)
    .await
    .context("looking for an endpoint's due events")?;
    Ok(found.into_iter().map(|due| due.id).collect())
}

/// Claims those of events `ids` (from `due_for`) still due, for `lease`, in
/// the order given. On PostgreSQL rows another instance is claiming are
/// skipped (`SKIP LOCKED`); SQLite has one writer at a time.
pub async fn claim(
    db: &impl ConnectionTrait,
    cipher: &SecretCipher,
    ids: &[i64],
    lease: Duration,
) -> anyhow::Result<Vec<Claimed>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let now = OffsetDateTime::now_utc();
    // Whole microseconds (PostgreSQL's precision), so that `release` can
    // match the lease exactly.
    let lease_until = now + lease;
    let lease_until = lease_until
        .replace_nanosecond(lease_until.nanosecond() / 1_000 * 1_000)
        .unwrap_or(lease_until);
    let backend = db.get_database_backend();
    let lock = if backend == DatabaseBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let mut values: Vec<sea_orm::Value> = vec![lease_until.into(), lease_until.into()];
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    values.extend([now.into(), now.into()]);
    let listed = vec!["?"; ids.len()].join(", ");
    let mut rows = ClaimedRow::find_by_statement(raw_sql::statement(
        backend,
        &format!(
            "UPDATE events SET lease_until = ?, next_attempt_at = ? WHERE id IN (SELECT id FROM events \
             WHERE id IN ({listed}) AND {STILL_DUE}{lock}) \
             RETURNING id, tenant_id, event_uid, section, attempts, body, manual"
        ),
        values,
    ))
    .all(db)
    .await
    .context("claiming due events")?;
    // `RETURNING` keeps no order: as `due_for` found them, oldest due first.
    let order: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(at, id)| (*id, at)).collect();
    rows.sort_by_key(|row| order.get(&row.id).copied().unwrap_or(usize::MAX));
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(section) = EndpointKind::parse(&row.section) else {
            continue;
        };
        // One body that does not open (a wrong key, a damaged row) must not
        // cost the others their claim: it keeps its lease, and is tried
        // again when the lease runs out (with the key fixed, it is sent).
        let body = match cipher.decrypt(&row.body, &body_context(row.tenant_id, &row.event_uid)) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(
                    error = format!("{e:#}"),
                    event = row.id,
                    "a queued event's body could not be decrypted; it is tried again after its lease"
                );
                continue;
            }
        };
        claimed.push(Claimed {
            id: row.id,
            tenant_id: row.tenant_id,
            uid: row.event_uid,
            section,
            attempts: row.attempts,
            body: String::from_utf8_lossy(body.expose_secret()).into_owned(),
            manual: row.manual,
            lease_until,
        });
    }
    Ok(claimed)
}

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
            .col_expr(event::Column::FinishedAt, Expr::value(finished))
            .col_expr(event::Column::Manual, Expr::value(false));
        if let Some(attempt) = &outcome.attempt {
            update = update
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

/// Deletes finished events (delivered, given up, skipped) older than
/// `retention`; held and pending ones stay.
pub async fn purge(db: &impl ConnectionTrait, retention: Duration) -> anyhow::Result<u64> {
    let cut = OffsetDateTime::now_utc() - retention;
    let done = event::Entity::delete_many()
        .filter(event::Column::State.is_in(EventState::FINISHED.map(EventState::as_str)))
        .filter(event::Column::FinishedAt.lt(cut))
        .exec(db)
        .await
        .context("deleting old events")?;
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

/// Ends the leases of claimed events whose attempts were cut short by a
/// stop: due again at once, for any instance. Each is given with its lease,
/// so an event whose lease ran out and that another instance has claimed
/// since is left alone.
pub async fn release(
    db: &impl ConnectionTrait,
    claims: &[(i64, OffsetDateTime)],
) -> anyhow::Result<u64> {
    let mut released = 0;
    for chunk in claims.chunks(200) {
        let mut values: Vec<sea_orm::Value> = vec![OffsetDateTime::now_utc().into()];
        let mut listed = Vec::with_capacity(chunk.len());
        for (id, lease_until) in chunk {
            listed.push("(id = ? AND lease_until = ?)");
            values.push((*id).into());
            values.push((*lease_until).into());
        }
        let done = db
            .execute_raw(raw_sql::statement(
                db.get_database_backend(),
                &format!(
                    "UPDATE events SET lease_until = NULL, next_attempt_at = ? \
                     WHERE ({}) AND CASE WHEN state = 'pending' THEN 1 ELSE 0 END = 1",
                    listed.join(" OR ")
                ),
                values,
            ))
            .await
            .context("releasing claimed events")?;
        released += done.rows_affected();
    }
    Ok(released)
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

#[cfg(test)]
mod tests {
    use crate::domain::EventState;

    /// Every state the SQL of the queue, the summary and the metrics spells
    /// as a literal (`state = 'held'`, `state <> 'pending'`) is an
    /// `EventState`'s one spelling: a typo or a renamed state fails here,
    /// not as a query that silently matches nothing.
    #[test]
    fn the_states_spelled_in_sql_are_event_states() {
        let sources = [
            ("queue.rs", include_str!("queue.rs")),
            ("summary.rs", include_str!("summary.rs")),
            ("metrics.rs", include_str!("metrics.rs")),
        ];
        let mut seen = 0;
        for (file, source) in sources {
            for pattern in ["state = '", "state <> '"] {
                for (at, _) in source.match_indices(pattern) {
                    let rest = &source[at + pattern.len()..];
                    let Some(end) = rest.find('\'') else {
                        panic!("{file}: an unterminated state literal");
                    };
                    let word = &rest[..end];
                    // This test's own patterns.
                    if word.is_empty() || word.contains(' ') {
                        continue;
                    }
                    assert!(
                        EventState::parse(word).is_some(),
                        "{file}: '{word}' is not an EventState"
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen >= 10, "the SQL's state literals were found ({seen})");
    }
}
