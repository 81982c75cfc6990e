//! Delivering the PBX's events: the PBX hands each event in (`ingest`, with
//! an operator-issued key from `keys`), it waits in a durable queue in the
//! database (`queue`), and workers (`worker`) post it to the tenant's
//! endpoint with the section's settings at the time of each attempt,
//! following PortSIP's rules: only 200 is delivered, 404 gives up, anything
//! else is retried on the `schedule`, then given up.

pub(crate) mod attempt;
pub mod health;
pub(crate) mod in_flight;
pub mod ingest;
pub mod ingest_limit;
pub mod keys;
pub(crate) mod lanes;
pub mod metrics;
pub mod queue;
pub mod retention;
pub mod routes;
pub mod routing;
pub(crate) mod rules;
pub mod schedule;
pub mod search_terms;
pub mod summary;
pub mod verdict;
pub mod wake;
pub mod worker;
pub mod writer;

pub use schedule::RetrySchedule;
pub use worker::{Deliverer, DeliveryConfig};

/// The delivery core's running parts that ingest, redelivery, the worker
/// and `/metrics` share on this instance: the queue's group-commit writer,
/// the wake that names endpoints with new due events, and the counters.
/// Built once at start beside the app state; a handler takes it with
/// `State<DeliveryCore>` (the router's state hands it out).
#[derive(Clone, Debug)]
pub struct DeliveryCore {
    /// Commits the queue's writes (hand-ins, attempt records) in groups.
    pub writer: writer::QueueWriter,
    /// Told which endpoints were given due events, so this instance's
    /// worker claims for them at once instead of at its next look.
    pub wake: std::sync::Arc<wake::Wake>,
    /// This instance's delivery counters, for `/metrics`.
    pub metrics: std::sync::Arc<metrics::DeliveryMetrics>,
    /// This instance's count of each ingest key's events (its rate limit).
    pub ingest_limit: ingest_limit::IngestLimiter,
}

impl DeliveryCore {
    /// Starts the queue's writer (sending the health notices it writes
    /// through `outbox`); each ingest key may hand in
    /// `ingest_events_per_second`.
    pub fn start(
        db: sea_orm::DatabaseConnection,
        writes: std::sync::Arc<crate::persistence::write_gate::WriteGate>,
        health: health::HealthRules,
        outbox: crate::mail::Outbox,
        ingest_events_per_second: u32,
    ) -> Self {
        let metrics = std::sync::Arc::<metrics::DeliveryMetrics>::default();
        Self {
            writer: writer::QueueWriter::start(db, writes, health, outbox, metrics.clone()),
            wake: std::sync::Arc::default(),
            metrics,
            ingest_limit: ingest_limit::IngestLimiter::per_second(ingest_events_per_second),
        }
    }
}
