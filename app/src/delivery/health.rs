// Over 500 lines: one transaction's keeping of an endpoint's record (streaks, pause, incidents and their emails, hourly counts), which share its rows.
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
//!
//! Alerts: a section whose attempts have all failed for `alert_after`
//! (15 minutes; nothing delivered since its first failure) or that was
//! paused automatically opens an *incident*: an Activity entry, and an
//! email to each administrator who wants them, at most one a section an
//! hour (an incident announced within the hour of the last email is
//! emailed once the hour has passed, if it still fails; an automatic
//! pause, which stops delivery, is always emailed). The first
//! delivery after it closes it: an Activity entry, and, if the incident
//! was emailed, a recovery email. Each moment is counted in `/metrics`.

use anyhow::Context;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::{metrics::AlertMoment, queue::Outcome, rules::Decision};
use crate::{
    activity::{
        entry::{ActivityKind, Change},
        log::{record, NewEntry},
    },
    domain::EndpointKind,
    mail::letters::SectionAlert,
    persistence::raw_sql,
};

pub const FAILING: &str = "failing";
pub const AUTO_PAUSED: &str = "auto_paused";
/// An incident announced (Activity), not emailed (the hour's limit).
const NOTED: &str = "noted";
/// An incident emailed: its recovery is emailed too.
const MAILED: &str = "mailed";
/// At most one alert email a section this often.
const ALERT_EVERY: time::Duration = time::Duration::HOUR;

/// The operator's thresholds (0: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRules {
    /// Failed attempts in a row that flag an endpoint as failing.
    pub failing_after: u32,
    /// Given-up events in a row that pause an endpoint.
    pub auto_pause_after: u32,
    /// How long attempts must have failed (nothing delivered) before the
    /// administrators are alerted.
    pub alert_after: time::Duration,
}

impl Default for HealthRules {
    fn default() -> Self {
        Self {
            failing_after: 5,
            auto_pause_after: 50,
            alert_after: time::Duration::minutes(15),
        }
    }
}

#[derive(Default)]
struct Tally {
    /// A delivery came in this group: the streaks start again after it.
    reset: bool,
    failed: i32,
    given_up: i32,
    /// The first failed attempt after the group's last delivery.
    first_failed: Option<OffsetDateTime>,
    /// The group's last failed attempt, in words.
    last_error: Option<String>,
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
    failing_since: Option<OffsetDateTime>,
    alert_mailed_at: Option<OffsetDateTime>,
    incident: Option<String>,
}

/// The start of `at`'s hour (UTC).
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.replace_time(time::Time::from_hms(utc.hour(), 0, 0).unwrap_or(time::Time::MIDNIGHT))
}

/// A failed attempt in words, for an alert: its error, or the status.
fn error_of(attempt: &super::queue::AttemptRecord) -> String {
    match (&attempt.error, attempt.status) {
        (Some(error), _) => error.clone(),
        (None, Some(status)) => format!("the receiver answered {status}"),
        (None, None) => "no answer".to_owned(),
    }
}

/// Keeps the endpoints' streaks, alerts and hourly counts for `outcomes`
/// (in `db`, the transaction recording them). Endpoints are updated in
/// one order, so two instances' groups never wait on each other in a
/// cycle. The alert moments it recorded, to be counted once committed.
pub async fn keep(
    db: &impl ConnectionTrait,
    outcomes: &[&Outcome],
    rules: HealthRules,
    outbox: &crate::mail::Outbox,
) -> anyhow::Result<Vec<AlertMoment>> {
    let mut moments = Vec::new();
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
            tally.first_failed.get_or_insert(outcome.at);
            tally.last_error = Some(error_of(attempt));
            hour.failed += 1;
        }
        if matches!(outcome.decision, Decision::GivenUp) {
            tally.given_up += 1;
        }
    }
    let backend = db.get_database_backend();
    let now = OffsetDateTime::now_utc();
    for ((tenant_id, section), tally) in tallies {
        let (failed, given_up, failing_since) = if tally.reset {
            ("?", "?", "?")
        } else {
            (
                "failed_streak + ?",
                "given_up_streak + ?",
                "COALESCE(failing_since, ?)",
            )
        };
        // Delivered last, on an endpoint with a clean record: nothing to
        // write (on PostgreSQL each write is a new row version, and other
        // instances' groups would queue on the row).
        let unless_clean = if tally.reset && tally.failed == 0 && tally.given_up == 0 {
            " AND NOT (failed_streak = 0 AND given_up_streak = 0 AND alert IS NULL \
             AND failing_since IS NULL AND incident IS NULL)"
        } else {
            ""
        };
        let Some(streaks) = Streaks::find_by_statement(raw_sql::statement(
            backend,
            &format!(
                "UPDATE endpoints SET failed_streak = {failed}, given_up_streak = {given_up}, \
                 failing_since = {failing_since} \
                 WHERE tenant_id = ? AND kind = ?{unless_clean} \
                 RETURNING failed_streak, given_up_streak, alert, enabled, version, url, \
                 failing_since, alert_mailed_at, incident"
            ),
            vec![
                tally.failed.into(),
                tally.given_up.into(),
                tally.first_failed.into(),
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
        let incident = Incident {
            tenant_id,
            section,
            streaks: &streaks,
            last_error: tally.last_error.as_deref().unwrap_or("none recorded"),
            now,
            outbox,
        };
        if tally.reset && streaks.incident.is_some() {
            incident.close(db).await?;
            moments.push(AlertMoment::Recovered);
        }
        let alert = streaks.alert.as_deref();
        if alert == Some(AUTO_PAUSED) && !streaks.enabled {
            continue;
        }
        if streaks.enabled && reached(streaks.given_up_streak, rules.auto_pause_after) {
            pause(db, tenant_id, section, &streaks, now).await?;
            incident
                .open(
                    db,
                    Opened::AutoPaused {
                        given_up: streaks.given_up_streak,
                    },
                )
                .await?;
            moments.push(AlertMoment::AutoPaused);
            continue;
        }
        let failing_for = streaks
            .failing_since
            .filter(|_| tally.failed > 0)
            .map(|since| now - since)
            .filter(|failing_for| *failing_for >= rules.alert_after);
        if let Some(failing_for) = failing_for {
            if incident.open(db, Opened::Failing { failing_for }).await? {
                moments.push(AlertMoment::Failing);
            }
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
    Ok(moments)
}

/// "15 minutes", "1 minute", "3 seconds".
fn in_words(span: time::Duration) -> String {
    let (n, unit) = match span.whole_minutes() {
        0 => (span.whole_seconds(), "second"),
        minutes => (minutes, "minute"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// What opened an incident.
#[derive(Clone, Copy, Debug)]
enum Opened {
    Failing { failing_for: time::Duration },
    AutoPaused { given_up: i32 },
}

/// A section's incident: its announcement (Activity, emails within the
/// hour's limit) and its end.
struct Incident<'a> {
    tenant_id: i32,
    section: EndpointKind,
    streaks: &'a Streaks,
    last_error: &'a str,
    now: OffsetDateTime,
    outbox: &'a crate::mail::Outbox,
}

impl Incident<'_> {
    /// Announces the incident (a failing one once; a pause is recorded by
    /// `pause`) and emails it if not emailed yet and the hour allows.
    /// Whether this was its first announcement.
    async fn open(&self, db: &impl ConnectionTrait, what: Opened) -> anyhow::Result<bool> {
        let state = self.streaks.incident.as_deref();
        let first = state.is_none();
        if let (true, Opened::Failing { failing_for }) = (first, what) {
            self.record(
                db,
                ActivityKind::DeliveryFailing,
                format!(
                    "delivery to {} has failed for {}: nothing delivered. Last error: {}",
                    self.url(),
                    in_words(failing_for),
                    self.last_error
                ),
            )
            .await?;
        }
        let pause = matches!(what, Opened::AutoPaused { .. });
        // An automatic pause stops delivery: it is always told, even within
        // the hour of a failing alert (nothing later would tell it).
        let may_mail = pause
            || self
                .streaks
                .alert_mailed_at
                .is_none_or(|at| self.now - at >= ALERT_EVERY);
        let mailed = if may_mail && (state != Some(MAILED) || pause) {
            self.mail(db, what).await?
        } else {
            false
        };
        if !first && !mailed && !pause {
            return Ok(false);
        }
        let (incident, mailed_at) = if mailed {
            (MAILED, Some(self.now))
        } else {
            (state.unwrap_or(NOTED), self.streaks.alert_mailed_at)
        };
        db.execute_raw(raw_sql::statement(
            db.get_database_backend(),
            "UPDATE endpoints SET incident = ?, alert_mailed_at = ? WHERE tenant_id = ? AND kind = ?",
            vec![
                incident.into(),
                mailed_at.into(),
                self.tenant_id.into(),
                self.section.as_str().into(),
            ],
        ))
        .await
        .context("recording a section's incident")?;
        Ok(first)
    }

    /// The section delivers again: the incident ends (Activity, and an
    /// email if it was emailed).
    async fn close(&self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        self.record(
            db,
            ActivityKind::DeliveryRecovered,
            format!(
                "delivery to {} recovered: an event was delivered.",
                self.url()
            ),
        )
        .await?;
        if self.streaks.incident.as_deref() == Some(MAILED) {
            let tenant = self.tenant_name(db).await?;
            let link = self.link();
            let alert = self.alert(&tenant, link.as_deref());
            self.outbox
                .alert_administrators(db, self.tenant_id, |to| {
                    crate::mail::letters::delivery_recovered(to, &alert)
                })
                .await?;
        }
        db.execute_raw(raw_sql::statement(
            db.get_database_backend(),
            "UPDATE endpoints SET incident = NULL WHERE tenant_id = ? AND kind = ?",
            vec![self.tenant_id.into(), self.section.as_str().into()],
        ))
        .await
        .context("ending a section's incident")?;
        tracing::info!(
            tenant_id = self.tenant_id,
            section = self.section.as_str(),
            "delivery recovered"
        );
        Ok(())
    }

    /// Emails the administrators who want alerts: whether any was queued.
    async fn mail(&self, db: &impl ConnectionTrait, what: Opened) -> anyhow::Result<bool> {
        if !self.outbox.is_on() {
            return Ok(false);
        }
        let tenant = self.tenant_name(db).await?;
        let link = self.link();
        let alert = self.alert(&tenant, link.as_deref());
        self.outbox
            .alert_administrators(db, self.tenant_id, |to| match what {
                Opened::Failing { failing_for } => {
                    crate::mail::letters::delivery_failing(to, &alert, &in_words(failing_for))
                }
                Opened::AutoPaused { given_up } => {
                    crate::mail::letters::auto_paused(to, &alert, given_up)
                }
            })
            .await
    }

    fn alert<'b>(&'b self, tenant: &'b str, link: Option<&'b str>) -> SectionAlert<'b> {
        SectionAlert {
            tenant,
            section: self.section,
            url: self.url(),
            last_error: self.last_error,
            link,
        }
    }

    fn url(&self) -> &str {
        self.streaks.url.as_deref().unwrap_or_default()
    }

    /// The section's Deliveries on the public address.
    fn link(&self) -> Option<String> {
        self.outbox.link(&format!(
            "{}?section={}",
            crate::paths::DELIVERIES,
            self.section.as_str()
        ))
    }

    async fn tenant_name(&self, db: &impl ConnectionTrait) -> anyhow::Result<String> {
        Ok(
            crate::persistence::entities::tenant::Entity::find_by_id(self.tenant_id)
                .one(db)
                .await
                .context("reading the tenant")?
                .map(|t| t.name)
                .unwrap_or_default(),
        )
    }

    async fn record(
        &self,
        db: &impl ConnectionTrait,
        kind: ActivityKind,
        summary: String,
    ) -> anyhow::Result<()> {
        record(
            db,
            NewEntry {
                tenant_id: Some(self.tenant_id),
                actor_id: None,
                actor: "eventurl".to_owned(),
                ip: None,
                kind,
                section: Some(self.section),
                summary,
                changes: Vec::new(),
                version: None,
            },
        )
        .await
    }
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
    fn a_failures_length_is_said_in_minutes_or_seconds() {
        assert_eq!(in_words(time::Duration::minutes(15)), "15 minutes");
        assert_eq!(in_words(time::Duration::seconds(61)), "1 minute");
        assert_eq!(in_words(time::Duration::seconds(3)), "3 seconds");
    }

    #[test]
    fn an_hour_starts_on_the_hour_in_utc() {
        let at = time::macros::datetime!(2026-11-28 14:37:12.5 +02:00);
        assert_eq!(hour_of(at), time::macros::datetime!(2026-11-28 12:00 UTC));
    }
}
