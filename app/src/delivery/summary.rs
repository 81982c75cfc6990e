//! What a tenant sees of its deliveries in each section's header: the last
//! attempt, and counts over the last 24 hours (held events: all of them).

use anyhow::Context;
use sea_orm::{ConnectionTrait, FromQueryResult};
use time::OffsetDateTime;

use super::queue::{DELIVERED, GIVEN_UP, HELD, PENDING, SKIPPED};
use crate::{domain::EndpointKind, persistence::raw_sql};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionCounts {
    pub delivered_24h: u64,
    pub given_up_24h: u64,
    pub skipped_24h: u64,
    /// Waiting for their next attempt after a failed one.
    pub retrying: u64,
    pub held: u64,
    /// When the last attempt was made, and its status (none: no answer).
    pub last_attempt: Option<(OffsetDateTime, Option<i32>)>,
}

#[derive(FromQueryResult)]
struct CountRow {
    section: String,
    state: String,
    retrying: bool,
    n: i64,
}

#[derive(FromQueryResult)]
struct LastRow {
    section: String,
    last_attempt_at: OffsetDateTime,
    last_status: Option<i32>,
}

/// Both sections' counts, in two queries (indexes on tenant, section and
/// state, and on tenant, section and last attempt).
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    now: OffsetDateTime,
) -> anyhow::Result<[SectionCounts; 2]> {
    let backend = db.get_database_backend();
    let since = now - time::Duration::DAY;
    let rows = CountRow::find_by_statement(raw_sql::statement(
        backend,
        "SELECT section, state, attempts > 0 AS retrying, COUNT(*) AS n FROM events \
             WHERE tenant_id = ? AND (state IN ('held', 'pending') OR finished_at > ?) \
             GROUP BY section, state, attempts > 0",
        [tenant_id.into(), since.into()],
    ))
    .all(db)
    .await
    .context("counting deliveries")?;
    let mut out = [SectionCounts::default(), SectionCounts::default()];
    let index = |section: &str| match EndpointKind::parse(section) {
        Some(EndpointKind::Cdr) => Some(0),
        Some(EndpointKind::Extension) => Some(1),
        None => None,
    };
    for row in rows {
        let Some(i) = index(&row.section) else {
            continue;
        };
        let n = u64::try_from(row.n).unwrap_or(0);
        let counts = &mut out[i];
        match row.state.as_str() {
            DELIVERED => counts.delivered_24h += n,
            GIVEN_UP => counts.given_up_24h += n,
            SKIPPED => counts.skipped_24h += n,
            HELD => counts.held += n,
            PENDING if row.retrying => counts.retrying += n,
            _ => {}
        }
    }
    let last = LastRow::find_by_statement(raw_sql::statement(
        backend,
        "SELECT section, last_attempt_at, last_status FROM (\
               SELECT * FROM (SELECT section, last_attempt_at, last_status FROM events \
                 WHERE tenant_id = ? AND section = 'cdr' AND last_attempt_at IS NOT NULL \
                 ORDER BY last_attempt_at DESC LIMIT 1) AS c \
               UNION ALL \
               SELECT * FROM (SELECT section, last_attempt_at, last_status FROM events \
                 WHERE tenant_id = ? AND section = 'extension' AND last_attempt_at IS NOT NULL \
                 ORDER BY last_attempt_at DESC LIMIT 1) AS e) AS last",
        [tenant_id.into(), tenant_id.into()],
    ))
    .all(db)
    .await
    .context("reading the last delivery attempts")?;
    for row in last {
        if let Some(i) = index(&row.section) {
            out[i].last_attempt = Some((row.last_attempt_at, row.last_status));
        }
    }
    Ok(out)
}
