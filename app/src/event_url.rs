//! Company → Event URL: the CDR Events and Extension Events endpoints of the
//! signed-in administrator's tenant.

mod api;
mod chart;
mod field_messages;
mod headers;
mod limits;
mod model;
mod page;
mod read_only;
#[cfg(feature = "ssr")]
pub mod routes;
mod section;
#[cfg(feature = "ssr")]
pub mod service;
mod signing;
mod switch;
mod type_filter;

pub use api::{generate_secret, load_event_url, save_endpoint, set_enabled};
pub use model::{
    DeliverySummary, EndpointView, EventUrlData, HourCount, SaveEcho, SecretStatus, SigningEcho,
    SigningStatus, ROTATE_AFTER_DAYS,
};
pub use page::EventUrlPage;
pub use switch::SwitchEcho;
