//! Two-factor sign-in (TOTP, RFC 6238), for members and provider operators
//! alike (`account::actor`): one enrols on their account page (My account, or the
//! console's My account) by QR code or text key and confirms with a code,
//! and gets ten one-time recovery codes (shown once); signing in then asks
//! for a code (or a recovery code) after the password, throttled like
//! passwords, and each code works once. A tenant can require it of
//! everyone, and the server of every operator (`EVENTURL_OPERATOR_2FA=
//! required`): an account without it is sent to its account page to set
//! it up before anything else.

mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod totp;

pub use model::{CodeEcho, TwoFactorEcho, TwoFactorPaths, TwoFactorState, TwoFactorView};
pub use page::{SignInCodePage, TwoFactorSection};
