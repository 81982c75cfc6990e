//! My account: any signed-in member's own email address (confirmed by an
//! emailed link before anything else goes there: `email`) and password
//! (the current one required; every other session ends) and sessions (device, address,
//! last seen), with **Sign out everywhere else**. Each change is in
//! Activity. A provider operator's My account (in the console) changes
//! their password through the same form and service (`actor`).

#[cfg(feature = "ssr")]
pub mod actor;
mod api;
mod confirm_page;
#[cfg(feature = "ssr")]
pub mod email;
mod model;
mod page;
#[cfg(feature = "ssr")]
mod reauth;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{email_link_state, load_account};
pub use confirm_page::ConfirmEmailPage;
pub use model::{
    describe_agent, AccountData, EmailEcho, EmailLink, PasswordEcho, PendingEmail, SessionView,
};
pub use page::{AccountView, PasswordForm};
