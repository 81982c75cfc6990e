//! **Send test event**: posts a PortSIP-shaped sample event to a section's
//! URL with its authentication, and tells the admin, in the PBX's terms,
//! whether real events would arrive and what to fix. The last sends of each
//! section are kept and can be sent again.

mod api;
#[cfg(feature = "ssr")]
pub mod history;
mod panel;
mod report;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod sample;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{send_test_event, send_test_event_again, SendTestEvent, SendTestEventAgain};
pub use panel::{TestEventControls, TestEventResults, TestEventState};
pub use report::{RequestView, ResponseView, TestEcho, TestReport, Verdict};
