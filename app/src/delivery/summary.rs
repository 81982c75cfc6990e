//! What a tenant sees of its deliveries in each section's header: the last
//! attempt, counts over the last 24 hours (held events: all of them), and
//! the attempts of each of the last 24 hours (the chart).

use anyhow::Context;
use sea_orm::{ConnectionTrait, FromQueryResult};
use time::OffsetDateTime;

use crate::{
    domain::{EndpointKind, EventState},
    persistence::raw_sql,
};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionCounts {
    pub delivered_24h: u64,
    pub given_up_24h: u64,
    pub skipped_24h: u64,
    /// Of a type the section does not deliver.
    pub filtered_24h: u64,
    /// Waiting for their next attempt after a failed one.
    pub retrying: u64,
    pub held: u64,
    /// When the last attempt was made, and its status (none: no answer).
    pub last_attempt: Option<(OffsetDateTime, Option<i32>)>,
    /// Attempts per hour of the last 24 (hours with none left out):
    /// the hour's start, delivered, failed.
    pub hours: Vec<(OffsetDateTime, u64, u64)>,
}

/// A row of the summary: a section's (`part` = 'section': its counts, and
/// its last attempt in `at` and `status`), or an hour's attempts (`part` =
/// 'hour': `at` the hour, `delivered` and `given_up` its delivered and
/// failed attempts). Two section rows and the chart's hours: a value is
/// copied out of SQLite for each column of each row, so the counts travel
/// as columns, not as ten rows of their own.
#[derive(FromQueryResult)]
struct Row {
    part: String,
    section: String,
    held: Option<i64>,
    retrying: Option<i64>,
    delivered: Option<i64>,
    given_up: Option<i64>,
    skipped: Option<i64>,
    filtered: Option<i64>,
    at: Option<OffsetDateTime>,
    status: Option<i32>,
}

/// What a placeholder of the summary's query is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bind {
    Tenant,
    /// 24 hours ago.
    Since,
}

/// The summary's SQL with its placeholders in order. Its text depends on
/// nothing of the request, so it is written once, not on every page.
struct Query {
    text: String,
    binds: Vec<Bind>,
}

static QUERY: std::sync::LazyLock<Query> = std::sync::LazyLock::new(query);
static QUERY_POSTGRES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| raw_sql::numbered(&QUERY.text));

fn query() -> Query {
    let mut branches = Vec::new();
    let mut binds = Vec::new();
    for section in EndpointKind::ALL.map(EndpointKind::as_str) {
        // Held and waiting to be retried: kept counts (`section_counts`,
        // kept by triggers on `events`), a few rows whatever the backlog.
        let mut columns = Vec::new();
        for (label, column) in [
            (EventState::Held.as_str(), "held"),
            ("retrying", "retrying"),
        ] {
            columns.push(format!(
                "(SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) FROM section_counts \
                 WHERE tenant_id = ? AND section = '{section}') AS {label}"
            ));
            binds.push(Bind::Tenant);
        }
        // The last 24 hours: ranges of the endpoint index, bounded by the day.
        for (label, condition) in [
            (
                EventState::Delivered.as_str(),
                "state = 'delivered' AND next_attempt_at > ?",
            ),
            (
                EventState::GivenUp.as_str(),
                "state = 'given_up' AND next_attempt_at > ?",
            ),
            (
                EventState::Skipped.as_str(),
                "state = 'skipped' AND next_attempt_at > ?",
            ),
            (
                EventState::Filtered.as_str(),
                "state = 'filtered' AND next_attempt_at > ?",
            ),
        ] {
            columns.push(format!(
                "(SELECT COUNT(*) FROM events \
                 WHERE tenant_id = ? AND section = '{section}' AND {condition}) AS {label}"
            ));
            binds.extend([Bind::Tenant, Bind::Since]);
        }
        // The newest hour's row holds the last attempt (the table's key:
        // tenant, section, hour).
        for (column, alias) in [("last_at", "at"), ("last_status", "status")] {
            columns.push(format!(
                "(SELECT {column} FROM delivery_hours \
                 WHERE tenant_id = ? AND section = '{section}' AND last_at IS NOT NULL \
                 ORDER BY hour DESC LIMIT 1) AS {alias}"
            ));
            binds.push(Bind::Tenant);
        }
        branches.push(format!(
            "SELECT 'section' AS part, '{section}' AS section, {}",
            columns.join(", ")
        ));
    }
    // The chart: at most 25 rows a section, read by the table's key. (The
    // NULLs are typed: PostgreSQL resolves a chain of UNIONs pair by pair.)
    branches.push(
        "SELECT 'hour' AS part, section, CAST(NULL AS BIGINT) AS held, \
         CAST(NULL AS BIGINT) AS retrying, CAST(delivered AS BIGINT) AS delivered, \
         CAST(failed AS BIGINT) AS given_up, CAST(NULL AS BIGINT) AS skipped, \
         CAST(NULL AS BIGINT) AS filtered, hour AS at, \
         CAST(NULL AS INTEGER) AS status FROM delivery_hours \
         WHERE tenant_id = ? AND hour > ?"
            .to_owned(),
    );
    binds.extend([Bind::Tenant, Bind::Since]);
    Query {
        text: branches.join(" UNION ALL "),
        binds,
    }
}

/// Both sections' counts and last attempts, in one query: held and
/// retrying are kept counts (a million held events cost a sum of at most
/// 16 rows); each count of the last 24 hours reads only that day's entries
/// of `idx_events_endpoint_due` (a finished event's `next_attempt_at` is
/// when it finished), so a year of finished events costs nothing more. A
/// section's last attempt is its newest hour's in `delivery_hours`, read
/// by that table's key.
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    now: OffsetDateTime,
) -> anyhow::Result<[SectionCounts; 2]> {
    let since = now - time::Duration::DAY;
    let backend = db.get_database_backend();
    let text = if backend == sea_orm::DatabaseBackend::Postgres {
        QUERY_POSTGRES.as_str()
    } else {
        QUERY.text.as_str()
    };
    let values = QUERY.binds.iter().map(|bind| match bind {
        Bind::Tenant => sea_orm::Value::from(tenant_id),
        Bind::Since => since.into(),
    });
    let rows = Row::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend, text, values,
    ))
    .all(db)
    .await
    .context("summing up deliveries")?;
    let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
    let mut out = [SectionCounts::default(), SectionCounts::default()];
    for row in rows {
        let counts = match EndpointKind::parse(&row.section) {
            Some(EndpointKind::Cdr) => &mut out[0],
            Some(EndpointKind::Extension) => &mut out[1],
            None => continue,
        };
        if row.part == "hour" {
            if let Some(at) = row.at {
                counts
                    .hours
                    .push((at, count(row.delivered), count(row.given_up)));
            }
            continue;
        }
        counts.held = count(row.held);
        counts.retrying = count(row.retrying);
        counts.delivered_24h = count(row.delivered);
        counts.given_up_24h = count(row.given_up);
        counts.skipped_24h = count(row.skipped);
        counts.filtered_24h = count(row.filtered);
        counts.last_attempt = row.at.map(|at| (at, row.status));
    }
    for counts in &mut out {
        counts.hours.sort_by_key(|(at, _, _)| *at);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{query, raw_sql, Bind};

    /// The query's text is written once and bound on each call: every
    /// placeholder needs its bind, in order, on both databases.
    #[test]
    fn every_placeholder_has_its_bind() {
        let query = query();
        assert_eq!(query.binds.len(), query.text.matches('?').count());
        // A section: six counts (four of the last 24 hours) and two
        // reads of its last attempt; then the chart.
        assert_eq!(query.binds.len(), 2 * (6 + 4 + 2) + 2);
        let numbered = raw_sql::numbered(&query.text);
        assert!(!numbered.contains('?'));
        assert!(numbered.contains("$26") && !numbered.contains("$27"));
        // Each section: held and retrying (the tenant), four counts of
        // the last 24 hours (the tenant, then 24 hours ago), its last
        // attempt's time and status (the tenant); the chart's branch last.
        use Bind::{Since as S, Tenant as T};
        let section = [T, T, T, S, T, S, T, S, T, S, T, T];
        let expected: Vec<Bind> = [&section[..], &section[..], &[T, S][..]].concat();
        assert_eq!(query.binds, expected);
    }
}
