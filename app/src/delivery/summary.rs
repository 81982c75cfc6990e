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

/// A row of the summary: a count (`part` = 'count') or a section's last
/// attempt (`part` = 'last').
#[derive(FromQueryResult)]
struct Row {
    part: String,
    section: String,
    state: Option<String>,
    retrying: Option<bool>,
    n: Option<i64>,
    last_attempt_at: Option<OffsetDateTime>,
    last_status: Option<i32>,
}

/// Both sections' counts and last attempts, in one query (the index on
/// tenant, section, state…, and the one on tenant, section and last
/// attempt).
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    now: OffsetDateTime,
) -> anyhow::Result<[SectionCounts; 2]> {
    let since = now - time::Duration::DAY;
    let last = |section: &str| {
        format!(
            "SELECT * FROM (SELECT 'last' AS part, section, CAST(NULL AS VARCHAR(16)) AS state, \
             CAST(NULL AS BOOLEAN) AS retrying, CAST(NULL AS BIGINT) AS n, last_attempt_at, \
             last_status FROM events WHERE tenant_id = ? AND section = '{section}' \
             AND last_attempt_at IS NOT NULL ORDER BY last_attempt_at DESC LIMIT 1) AS {section}"
        )
    };
    let rows = Row::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        &format!(
            "SELECT 'count' AS part, section, state, attempts > 0 AS retrying, COUNT(*) AS n, \
             NULL AS last_attempt_at, NULL AS last_status FROM events \
             WHERE tenant_id = ? AND (state IN ('held', 'pending') OR finished_at > ?) \
             GROUP BY section, state, attempts > 0 \
             UNION ALL {} UNION ALL {}",
            last("cdr"),
            last("extension")
        ),
        [
            tenant_id.into(),
            since.into(),
            tenant_id.into(),
            tenant_id.into(),
        ],
    ))
    .all(db)
    .await
    .context("summing up deliveries")?;
    let mut out = [SectionCounts::default(), SectionCounts::default()];
    for row in rows {
        let counts = match EndpointKind::parse(&row.section) {
            Some(EndpointKind::Cdr) => &mut out[0],
            Some(EndpointKind::Extension) => &mut out[1],
            None => continue,
        };
        if row.part == "last" {
            if let Some(at) = row.last_attempt_at {
                counts.last_attempt = Some((at, row.last_status));
            }
            continue;
        }
        let n = u64::try_from(row.n.unwrap_or(0)).unwrap_or(0);
        match row.state.as_deref().unwrap_or_default() {
            DELIVERED => counts.delivered_24h += n,
            GIVEN_UP => counts.given_up_24h += n,
            SKIPPED => counts.skipped_24h += n,
            HELD => counts.held += n,
            PENDING if row.retrying.unwrap_or(false) => counts.retrying += n,
            _ => {}
        }
    }
    Ok(out)
}
