//! Failing endpoints, kept with each group of recorded attempts (in its
//! transaction): every endpoint counts its failed attempts and given-up
//! events in a row (a delivery resets both); one whose last
//! `failing_after` attempts failed is flagged `failing` (the banner on
//! every page), and one whose last `auto_pause_after` events were all
//! given up is paused, flagged `auto_paused` and recorded in Activity (its
//! CDR events are held from then on, as for a manual pause). Each hour's
//! delivered and failed attempts are counted per endpoint for the
//! section's 24-hour chart, with the hour's last attempt (the section's
//! "Last attempt" is its newest hour's).

use anyhow::Context;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::{queue::Outcome, rules::Decision};
use crate::{
    activity::{
        entry::{ActivityKind, Change},
        log::{record, NewEntry},
    },
    domain::EndpointKind,
    persistence::raw_sql,
};

pub const FAILING: &str = "failing";
pub const AUTO_PAUSED: &str = "auto_paused";

/// The operator's thresholds (0: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRules {
    /// Failed attempts in a row that flag an endpoint as failing.
    pub failing_after: u32,
    /// Given-up events in a row that pause an endpoint.
    pub auto_pause_after: u32,
}

impl Default for HealthRules {
    fn default() -> Self {
        Self {
            failing_after: 5,
            auto_pause_after: 50,
        }
    }
}

#[derive(Default)]
struct Tally {
    /// A delivery came in this group: the streaks start again after it.
    reset: bool,
    failed: i32,
    given_up: i32,
}

/// An endpoint's attempts in one hour of a group.
#[derive(Default)]
struct Hour {
    delivered: i64,
    failed: i64,
    /// The hour's last attempt and its status (none: no answer).
    last: Option<(OffsetDateTime, Option<i32>)>,
}

#[derive(FromQueryResult)]
struct Streaks {
    failed_streak: i32,
    given_up_streak: i32,
    alert: Option<String>,
    enabled: bool,
    version: i64,
    url: Option<String>,
}

/// The start of `at`'s hour (UTC).
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.replace_time(time::Time::from_hms(utc.hour(), 0, 0).unwrap_or(time::Time::MIDNIGHT))
}

/// Keeps the endpoints' streaks, alerts and hourly counts for `outcomes`
/// (in `db`, the transaction recording them). Endpoints are updated in
/// one order, so two instances' groups never wait on each other in a
/// cycle.
pub async fn keep(
    db: &impl ConnectionTrait,
    outcomes: &[&Outcome],
    rules: HealthRules,
    outbox: &crate::mail::Outbox,
) -> anyhow::Result<()> {
    let mut tallies: BTreeMap<(i32, EndpointKind), Tally> = BTreeMap::new();
    let mut hours: BTreeMap<(i32, EndpointKind, OffsetDateTime), Hour> = BTreeMap::new();
    for outcome in outcomes {
        let Some(attempt) = &outcome.attempt else {
            continue;
        };
        let tally = tallies.entry(outcome.endpoint).or_default();
        let hour = hours
            .entry((outcome.endpoint.0, outcome.endpoint.1, hour_of(outcome.at)))
            .or_default();
        if hour.last.is_none_or(|(at, _)| outcome.at >= at) {
            hour.last = Some((outcome.at, attempt.status));
        }
        if attempt.status == Some(200) {
            *tally = Tally {
                reset: true,
                ..Tally::default()
            };
            hour.delivered += 1;
        } else {
            tally.failed += 1;
            hour.failed += 1;
        }
        if matches!(outcome.decision, Decision::GivenUp) {
            tally.given_up += 1;
        }
    }
    let backend = db.get_database_backend();
    let now = OffsetDateTime::now_utc();
    for ((tenant_id, section), tally) in tallies {
        let (failed, given_up) = if tally.reset {
            ("?", "?")
        } else {
            ("failed_streak + ?", "given_up_streak + ?")
        };
        // Delivered last, on an endpoint with a clean record: nothing to
        // write (on PostgreSQL each write is a new row version, and other
        // instances' groups would queue on the row).
        let unless_clean = if tally.reset && tally.failed == 0 && tally.given_up == 0 {
            " AND NOT (failed_streak = 0 AND given_up_streak = 0 AND alert IS NULL)"
        } else {
            ""
        };
        let Some(streaks) = Streaks::find_by_statement(raw_sql::statement(
            backend,
            &format!(
                "UPDATE endpoints SET failed_streak = {failed}, given_up_streak = {given_up} \
                 WHERE tenant_id = ? AND kind = ?{unless_clean} \
                 RETURNING failed_streak, given_up_streak, alert, enabled, version, url"
            ),
            vec![
                tally.failed.into(),
                tally.given_up.into(),
                tenant_id.into(),
                section.as_str().into(),
            ],
        ))
        .all(db)
        .await
        .context("counting an endpoint's failures")?
        .pop() else {
            continue;
        };
        let reached = |streak: i32, after: u32| after > 0 && i64::from(streak) >= i64::from(after);
        let alert = streaks.alert.as_deref();
        if alert == Some(AUTO_PAUSED) && !streaks.enabled {
            continue;
        }
        if streaks.enabled && reached(streaks.given_up_streak, rules.auto_pause_after) {
            pause(db, tenant_id, section, &streaks, now, outbox).await?;
            continue;
        }
        let wanted = reached(streaks.failed_streak, rules.failing_after).then_some(FAILING);
        if wanted != alert {
            db.execute_raw(raw_sql::statement(
                backend,
                "UPDATE endpoints SET alert = ?, alert_since = ? WHERE tenant_id = ? AND kind = ?",
                vec![
                    wanted.map(str::to_owned).into(),
                    wanted.map(|_| now).into(),
                    tenant_id.into(),
                    section.as_str().into(),
                ],
            ))
            .await
            .context("flagging an endpoint")?;
        }
    }
    if !hours.is_empty() {
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let rows: Vec<&str> = hours
            .iter()
            .map(|((tenant_id, section, hour), counts)| {
                values.extend([
                    (*tenant_id).into(),
                    section.as_str().into(),
                    (*hour).into(),
                    counts.delivered.into(),
                    counts.failed.into(),
                    counts.last.map(|(at, _)| at).into(),
                    counts.last.and_then(|(_, status)| status).into(),
                ]);
                "(?, ?, ?, ?, ?, ?, ?)"
            })
            .collect();
        db.execute_raw(raw_sql::statement(
            backend,
            &format!(
                "INSERT INTO delivery_hours \
                 (tenant_id, section, hour, delivered, failed, last_at, last_status) VALUES {} \
                 ON CONFLICT (tenant_id, section, hour) DO UPDATE SET \
                 delivered = delivery_hours.delivered + excluded.delivered, \
                 failed = delivery_hours.failed + excluded.failed, \
                 last_status = CASE WHEN {newer} THEN excluded.last_status \
                 ELSE delivery_hours.last_status END, \
                 last_at = CASE WHEN {newer} THEN excluded.last_at ELSE delivery_hours.last_at END",
                rows.join(", "),
                newer = newer_than_stored(backend),
            ),
            values,
        ))
        .await
        .context("counting deliveries per hour")?;
    }
    Ok(())
}

/// Whether the upserted hour's last attempt is at least as new as the
/// stored one. SQLite keeps times as text whose fractional seconds are
/// trimmed (`…:43Z` sorts after `…:43.5Z`): compared as times there.
fn newer_than_stored(backend: sea_orm::DatabaseBackend) -> &'static str {
    if backend == sea_orm::DatabaseBackend::Sqlite {
        "delivery_hours.last_at IS NULL OR julianday(excluded.last_at) >= julianday(delivery_hours.last_at)"
    } else {
        "delivery_hours.last_at IS NULL OR excluded.last_at >= delivery_hours.last_at"
    }
}

/// Deletes hourly counts older than the chart's day (and a day's margin),
/// but never an endpoint's newest hour: it holds its last attempt.
pub async fn purge_hours(db: &impl ConnectionTrait, now: OffsetDateTime) -> anyhow::Result<u64> {
    let done = db
        .execute_raw(raw_sql::statement(
            db.get_database_backend(),
            "DELETE FROM delivery_hours WHERE hour < ? AND hour < (SELECT MAX(newest.hour) \
             FROM delivery_hours newest WHERE newest.tenant_id = delivery_hours.tenant_id \
             AND newest.section = delivery_hours.section)",
            vec![(now - time::Duration::days(2)).into()],
        ))
        .await
        .context("deleting old hourly counts")?;
    Ok(done.rows_affected())
}

/// Pauses an endpoint whose last events were all given up, as a change of
/// its settings (a new version, so a form loaded before is refused and
/// told why), recorded in Activity.
async fn pause(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    streaks: &Streaks,
    now: OffsetDateTime,
    outbox: &crate::mail::Outbox,
) -> anyhow::Result<()> {
    let version = streaks.version + 1;
    db.execute_raw(raw_sql::statement(
        db.get_database_backend(),
        "UPDATE endpoints SET enabled = ?, alert = ?, alert_since = ?, enabled_changed_at = ?, \
         version = ?, updated_at = ?, updated_by = NULL WHERE tenant_id = ? AND kind = ?",
        vec![
            false.into(),
            AUTO_PAUSED.into(),
            now.into(),
            now.into(),
            version.into(),
            now.into(),
            tenant_id.into(),
            section.as_str().into(),
        ],
    ))
    .await
    .context("pausing a failing endpoint")?;
    let held = if section == EndpointKind::Cdr {
        " New CDR events are held until it is enabled again."
    } else {
        " Extension events are skipped until it is enabled again."
    };
    record(
        db,
        NewEntry {
            tenant_id: Some(tenant_id),
            actor_id: None,
            actor: "eventurl".to_owned(),
            ip: None,
            kind: ActivityKind::EndpointDisabled,
            section: Some(section),
            summary: format!(
                "delivery to {} paused automatically: its last {} events were all given up.{held}",
                streaks.url.as_deref().unwrap_or_default(),
                streaks.given_up_streak
            ),
            changes: vec![Change {
                field: "Enable".to_owned(),
                old: "on".to_owned(),
                new: "off".to_owned(),
            }],
            version: Some(version),
        },
    )
    .await?;
    if outbox.is_on() {
        let tenant = crate::persistence::entities::tenant::Entity::find_by_id(tenant_id)
            .one(db)
            .await
            .context("reading the tenant")?
            .map(|t| t.name)
            .unwrap_or_default();
        let url = streaks.url.as_deref().unwrap_or_default();
        outbox
            .to_administrators(db, tenant_id, |to| {
                crate::mail::letters::auto_paused(
                    to,
                    &tenant,
                    section,
                    url,
                    streaks.given_up_streak,
                )
            })
            .await?;
    }
    tracing::warn!(
        tenant_id,
        section = section.as_str(),
        given_up = streaks.given_up_streak,
        "endpoint paused automatically"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_starts_on_the_hour_in_utc() {
        let at = time::macros::datetime!(2026-11-28 14:37:12.5 +02:00);
        assert_eq!(hour_of(at), time::macros::datetime!(2026-11-28 12:00 UTC));
    }
}
