//! Two-factor sign-in (TOTP, RFC 6238): a member enrols in My account by
//! QR code or text key and confirms with a code, and gets ten one-time
//! recovery codes (shown once); signing in then asks for a code (or a
//! recovery code) after the password, throttled like passwords, and each
//! code works once. A tenant can require it of everyone: a member without
//! it is sent to My account to set it up before anything else.

mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod totp;

pub use model::{CodeEcho, TwoFactorEcho, TwoFactorState, TwoFactorView};
pub use page::{SignInCodePage, TwoFactorSection};
