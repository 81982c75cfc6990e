//! The activity log: every change to a tenant's endpoints, every test send,
//! sign-ins and sign-outs, with time, actor and source address. Entries are
//! only ever added; the **Activity** tab lists a tenant's own.

mod api;
pub mod entry;
#[cfg(feature = "ssr")]
pub mod log;
mod page;

pub use api::{list_activity, ListActivity};
pub use entry::{ActivityEntry, ActivityKind, ActivityPage, Change, PAGE_SIZE};
pub use page::{ActivityView, LocalTime};
