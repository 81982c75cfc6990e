//! The provider's side: operators (accounts of the hosting provider,
//! created with `eventurl provider-admin create`) sign in at the same
//! `/login` and land on **Tenants**: every tenant with its two sections'
//! state, its people and its last activity. They create a tenant (with a
//! one-time invitation link for its first administrator), suspend one
//! (its people cannot sign in, its sessions end, its API tokens are
//! refused, its CDR events are held) and reactivate it; all of it in the
//! operator activity log (`/provider/activity`). An operator never sees a
//! tenant's secrets and never acts inside a tenant's tabs. **My account**
//! (`/provider/account`) has their password and two-factor sign-in
//! (`two_factor`; required of all with `EVENTURL_OPERATOR_2FA=required`).

mod api;
#[cfg(feature = "ssr")]
pub mod log;
mod model;
#[cfg(feature = "ssr")]
pub mod operators;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{list_operator_activity, list_tenants, load_operator_account};
pub use model::{
    OperatorAccountData, OperatorActivityView, ProviderEcho, SectionState, TenantRow, TenantsData,
};
pub use page::{OperatorAccountPage, OperatorActivityPage, TenantsPage};
