//! Company → Event URL: the CDR Events and Extension Events endpoints of the
//! signed-in administrator's tenant.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
mod section;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{load_event_url, save_endpoint, EndpointView, EventUrlData, SaveEcho, SecretStatus};
pub use page::EventUrlPage;
