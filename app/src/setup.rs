//! First run: with no tenant in the database the server logs a one-time
//! link to `/setup?token=…`, whose page creates the first tenant and its
//! administrator. After that the link is dead.

#[cfg(feature = "ssr")]
pub mod gate;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;

#[cfg(feature = "ssr")]
pub use gate::SetupGate;
pub use page::{SetupEcho, SetupPage};
