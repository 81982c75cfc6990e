//! Company → Deliveries: every event the PBX handed in for the signed-in
//! tenant, newest first, with filters that live in the URL; one event's
//! body and every attempt; and redelivery, of one event or of a section's
//! given-up events in a time range, after a confirmation. Plain links,
//! GET forms and POSTs: it all works without JavaScript.

mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

pub use api::{delivery_event, list_deliveries, load_replay, redelivery_preview};
pub use model::{
    AttemptView, DeliveriesData, DeliveryFilters, DeliveryRow, EventDetail, RedeliveryPlan,
    RedeliveryTarget, ReplayPage, ReplayView, PAGE_SIZE,
};
pub use page::{DeliveriesView, DeliveryEventView, RedeliverView, ReplayProgressView};
