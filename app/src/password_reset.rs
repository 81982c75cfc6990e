//! Forgot password: with mail on, the sign-in page links to
//! `/login/forgot`, where a username or email address asks for a one-time
//! reset link (valid one hour, only its SHA-256 kept) sent to the
//! account's address. The answer is the same whether or not an account
//! matches. The link's page (`/login/reset?token=…`) sets a new password
//! (the usual rules), ends every session of the account and records it in
//! Activity; the link then works no more, nor do the account's others.

mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{password_reset_offered, reset_link_state};
pub use model::{ForgotEcho, ResetEcho, ResetLink, RESET_MINUTES, RESET_PREFIX};
pub use page::{ForgotPasswordPage, ResetPasswordPage};
