//! Company → Event URL: the CDR Events and Extension Events endpoints of the
//! signed-in administrator's tenant.

mod api;
mod delivery;
mod page;
#[cfg(feature = "ssr")]
pub mod page_cache;
#[cfg(feature = "ssr")]
pub mod routes;
mod section;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{
    generate_secret, load_event_url, save_endpoint, set_delivery, EndpointView, EventUrlData,
    SaveEcho, SecretStatus, ROTATE_AFTER_DAYS,
};
pub use delivery::DeliveryEcho;
pub use page::EventUrlPage;
