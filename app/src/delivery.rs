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
pub mod keys;
pub(crate) mod lanes;
pub mod metrics;
pub mod queue;
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
