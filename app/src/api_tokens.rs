//! API tokens: a tenant's keys to the REST API (`/api/*`), each with a
//! name, a scope (read, or read and write) and an expiry, acting in the
//! name of the administrator who created it. Created in Company → API
//! tokens or with `eventurl api-token create`; shown once; only a hash is
//! stored; revoked at once.

mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::list_api_tokens;
pub use model::{
    ApiTokenView, ApiTokensData, NewToken, NewTokenError, Scope, TokenEcho, EXPIRY_DAYS,
    TOKEN_PREFIX,
};
pub use page::ApiTokensView;
