//! My account: any signed-in member's own email address and password (the current one
//! required; every other session ends) and sessions (device, address,
//! last seen), with **Sign out everywhere else**. Each change is in
//! Activity. A provider operator's My account (in the console) changes
//! their password through the same form and service (`actor`).

#[cfg(feature = "ssr")]
pub mod actor;
mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::load_account;
pub use model::{describe_agent, AccountData, EmailEcho, PasswordEcho, SessionView};
pub use page::{AccountView, PasswordForm};
