//! Claiming: the endpoints with due events, each one's due events, and
//! the short write that leases them to this worker; a stop's release.
//!
//! One worker at a time delivers an endpoint: a claim first takes (or
//! renews) the endpoint's row in `endpoint_workers` until the end of the
//! lease it gives its events, and claims nothing for an endpoint another
//! worker holds. So the section's limits (`max_concurrency`,
//! `max_per_second`), kept by that worker's lanes, hold across instances:
//! every attempt of an endpoint runs on the worker holding it, and ends
//! before that worker's hold does (an attempt starts only with time left
//! on its lease). A worker that dies holds its endpoints until its leases
//! run out, as it holds its events; one that stops lets go at once.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, TransactionTrait};
use secrecy::ExposeSecret;
use time::{Duration, OffsetDateTime};

use super::body_context;
use crate::{
    domain::{EndpointKind, EndpointLimits},
    persistence::{crypto::SecretCipher, raw_sql},
};

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
    worker: &str,
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
    let now = OffsetDateTime::now_utc();
    values.extend([worker.into(), now.into(), now.into()]);
    let found = Due::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT p.tenant_id, p.kind FROM endpoints p WHERE TRUE{skipped} AND NOT EXISTS \
             (SELECT 1 FROM endpoint_workers w WHERE w.tenant_id = p.tenant_id \
             AND w.section = p.kind AND w.worker <> ? AND w.until > ?) AND EXISTS \
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

/// The section settings of `endpoints` that the worker's lanes keep: their
/// limits, as they are now.
pub async fn limits_of(
    db: &impl ConnectionTrait,
    endpoints: &[(i32, EndpointKind)],
) -> anyhow::Result<Vec<((i32, EndpointKind), EndpointLimits)>> {
    #[derive(FromQueryResult)]
    struct Row {
        tenant_id: i32,
        kind: String,
        max_concurrency: i32,
        max_per_second: Option<i32>,
    }
    let mut found = Vec::with_capacity(endpoints.len());
    for chunk in endpoints.chunks(200) {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 2);
        let mut listed = Vec::with_capacity(chunk.len());
        for (tenant_id, section) in chunk {
            listed.push("(tenant_id = ? AND kind = ?)");
            values.push((*tenant_id).into());
            values.push(section.as_str().into());
        }
        let rows = Row::find_by_statement(raw_sql::statement(
            db.get_database_backend(),
            &format!(
                "SELECT tenant_id, kind, max_concurrency, max_per_second FROM endpoints WHERE {}",
                listed.join(" OR ")
            ),
            values,
        ))
        .all(db)
        .await
        .context("reading endpoints' limits")?;
        found.extend(rows.into_iter().filter_map(|row| {
            Some((
                (row.tenant_id, EndpointKind::parse(&row.kind)?),
                EndpointLimits::from_stored(
                    row.max_concurrency.into(),
                    row.max_per_second.map(i64::from),
                ),
            ))
        }));
    }
    Ok(found)
}

/// Takes or renews `worker`'s hold on each of `endpoints` until
/// `until`, where no other worker holds it: the endpoints it now holds.
/// In ascending order, so that two workers' holds never wait on each other
/// in a circle (PostgreSQL locks each row it takes).
async fn hold(
    db: &impl ConnectionTrait,
    worker: &str,
    endpoints: &[(i32, EndpointKind)],
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<(i32, EndpointKind)>> {
    let mut sorted = endpoints.to_vec();
    sorted.sort_by_key(|(tenant, section)| (*tenant, section.as_str()));
    sorted.dedup();
    let mut held = Vec::with_capacity(sorted.len());
    for (tenant_id, section) in sorted {
        let taken = db
            .query_one_raw(raw_sql::statement(
            db.get_database_backend(),
            "INSERT INTO endpoint_workers (tenant_id, section, worker, until) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant_id, section) DO UPDATE SET worker = excluded.worker, \
             until = excluded.until \
             WHERE endpoint_workers.worker = excluded.worker OR endpoint_workers.until <= ? \
             RETURNING worker",
            vec![
                tenant_id.into(),
                section.as_str().into(),
                worker.into(),
                until.into(),
                now.into(),
            ],
            ))
            .await
            .context("holding an endpoint")?;
        if taken.is_some() {
            held.push((tenant_id, section));
        }
    }
    Ok(held)
}

/// Lets go of every endpoint `worker` holds (it stops).
pub async fn let_go(db: &impl ConnectionTrait, worker: &str) -> anyhow::Result<u64> {
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            "DELETE FROM endpoint_workers WHERE worker = ?",
            vec![worker.into()],
        ))
        .await
        .context("letting go of endpoints")?;
    Ok(done.rows_affected())
}

/// Claims for `worker` those of each endpoint's events (from `due_for`)
/// still due, for `lease`, in the order given, where `worker` holds (or
/// now takes) the endpoint. On PostgreSQL rows another instance is
/// claiming are skipped (`SKIP LOCKED`); SQLite has one writer at a time.
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    cipher: &SecretCipher,
    worker: &str,
    wanted: &[((i32, EndpointKind), Vec<i64>)],
    lease: Duration,
) -> anyhow::Result<Vec<Claimed>> {
    if wanted.iter().all(|(_, ids)| ids.is_empty()) {
        return Ok(Vec::new());
    }
    let now = OffsetDateTime::now_utc();
    // Whole microseconds (PostgreSQL's precision), so that `release` can
    // match the lease exactly.
    let lease_until = now + lease;
    let lease_until = lease_until
        .replace_nanosecond(lease_until.nanosecond() / 1_000 * 1_000)
        .unwrap_or(lease_until);
    let txn = db.begin().await.context("claiming due events")?;
    let endpoints: Vec<(i32, EndpointKind)> = wanted
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(endpoint, _)| *endpoint)
        .collect();
    let held = hold(&txn, worker, &endpoints, lease_until, now).await?;
    let ids: Vec<i64> = wanted
        .iter()
        .filter(|(endpoint, _)| held.contains(endpoint))
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    if ids.is_empty() {
        txn.commit().await.context("claiming due events")?;
        return Ok(Vec::new());
    }
    let ids = ids.as_slice();
    let backend = txn.get_database_backend();
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
    .all(&txn)
    .await
    .context("claiming due events")?;
    txn.commit().await.context("claiming due events")?;
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
