//! API tokens: a tenant's keys to the REST API (`/api/*`), each with a
//! name, a scope (read, or read and write) and an expiry, acting in the
//! name of the administrator who created it. Created in Company → API
//! tokens or with `eventurl api-token create`; shown once; only a hash is
//! stored; revoked at once.

mod model;
#[cfg(feature = "ssr")]
pub mod service;

pub use model::{ApiTokenView, NewToken, NewTokenError, Scope, EXPIRY_DAYS, TOKEN_PREFIX};
