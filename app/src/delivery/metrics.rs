//! `GET /metrics` in Prometheus text format: this instance's counters
//! (events accepted and how they ended, attempts by outcome, attempt
//! latency) and the queue as the database has it now (depth, oldest due
//! event's age). Served only with `EVENTURL_METRICS_TOKEN`, to requests
//! that carry it.

use anyhow::Context;
use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use time::OffsetDateTime;

use crate::domain::EventState;

type Labels = Vec<(&'static str, &'static str)>;

/// A moment an alert is about, counted in `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertMoment {
    Failing,
    AutoPaused,
    Recovered,
}

impl AlertMoment {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertMoment::Failing => "failing",
            AlertMoment::AutoPaused => "auto_paused",
            AlertMoment::Recovered => "recovered",
        }
    }
}

/// Counted as it happens, per instance (Prometheus adds instances up).
#[derive(Debug)]
pub struct DeliveryMetrics {
    registry: Registry,
    accepted: Counter,
    /// By the state a decision left them in (`EventState`): delivered,
    /// pending (a retry scheduled), given_up, held, skipped.
    events: Family<Labels, Counter>,
    /// By outcome: delivered, failed.
    attempts: Family<Labels, Counter>,
    latency: Histogram,
    /// Sections' alert moments: failing, auto_paused, recovered.
    alerts: Family<Labels, Counter>,
    depth: Gauge,
    oldest_due: Gauge,
}

impl Default for DeliveryMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("eventurl");
        let accepted = Counter::default();
        let events = Family::<Labels, Counter>::default();
        let attempts = Family::<Labels, Counter>::default();
        let latency = Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);
        let depth = Gauge::default();
        let oldest_due = Gauge::default();
        let alerts = Family::<Labels, Counter>::default();
        registry.register(
            "delivery_alerts",
            "Sections' alert moments: failing (15 minutes, nothing delivered), auto_paused, recovered",
            alerts.clone(),
        );
        registry.register(
            "events_accepted",
            "Events handed in by the PBX and committed",
            accepted.clone(),
        );
        registry.register(
            "events",
            "Events by the state a decision left them in (delivered, pending: a retry scheduled, given_up, held, skipped)",
            events.clone(),
        );
        registry.register(
            "delivery_attempts",
            "Delivery attempts by outcome (delivered, failed)",
            attempts.clone(),
        );
        registry.register(
            "delivery_attempt_seconds",
            "How long a delivery attempt took",
            latency.clone(),
        );
        registry.register(
            "queue_depth",
            "Events waiting for an attempt (due or retrying), all instances",
            depth.clone(),
        );
        registry.register(
            "queue_oldest_due_seconds",
            "Age of the oldest event due for an attempt, all instances",
            oldest_due.clone(),
        );
        Self {
            registry,
            accepted,
            events,
            attempts,
            latency,
            alerts,
            depth,
            oldest_due,
        }
    }
}

impl DeliveryMetrics {
    pub fn accepted(&self, n: u64) {
        self.accepted.inc_by(n);
    }

    /// An event entered `state` (a retry scheduled: pending again).
    pub fn event(&self, state: EventState) {
        self.events
            .get_or_create(&vec![("outcome", state.as_str())])
            .inc();
    }

    pub fn attempt(&self, delivered: bool, seconds: f64) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.attempts
            .get_or_create(&vec![("outcome", outcome)])
            .inc();
        self.latency.observe(seconds);
    }

    /// A section's alert moment, committed.
    pub fn alert(&self, moment: AlertMoment) {
        self.alerts
            .get_or_create(&vec![("moment", moment.as_str())])
            .inc();
    }

    /// The text exposition, with the queue read from the database now.
    pub async fn render(&self, db: &impl ConnectionTrait) -> anyhow::Result<String> {
        #[derive(FromQueryResult)]
        struct Queue {
            depth: i64,
            oldest: Option<OffsetDateTime>,
        }
        let queue = Queue::find_by_statement(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS depth, MIN(next_attempt_at) AS oldest FROM events WHERE state = 'pending'",
        ))
        .one(db)
        .await
        .context("reading the queue")?;
        if let Some(queue) = queue {
            self.depth.set(queue.depth);
            let age = queue
                .oldest
                .map(|at| (OffsetDateTime::now_utc() - at).whole_seconds().max(0))
                .unwrap_or(0);
            self.oldest_due.set(age);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).context("encoding metrics")?;
        Ok(text)
    }
}
