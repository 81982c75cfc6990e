//! The provider's side: operators (accounts of the hosting provider,
//! created with `eventurl provider-admin create`) sign in at the same
//! `/login` and land on **Tenants**: every tenant with its two sections'
//! state, its people and its last activity. They create a tenant (with a
//! one-time invitation link for its first administrator), suspend one
//! (its people cannot sign in, its sessions end, its API tokens are
//! refused, its CDR events are held) and reactivate it; all of it in the
//! operator activity log (`/provider/activity`). An operator never sees a
//! tenant's secrets and never acts inside a tenant's tabs.

mod api;
#[cfg(feature = "ssr")]
pub mod log;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{list_operator_activity, list_tenants};
pub use model::{OperatorActivityView, ProviderEcho, SectionState, TenantRow, TenantsData};
pub use page::{OperatorActivityPage, TenantsPage};
