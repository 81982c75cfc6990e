//! The `eventurl` server: configuration, start-up (database, migrations,
//! encryption key, first-run setup), the HTTP router around the Leptos app,
//! and serving. Feature code lives in the `app` crate; this crate wires it
//! up.

pub mod assets;
mod cleanup;
pub mod cli;
pub mod config;
mod database;
mod routes;
mod security;
mod serve;
mod startup;

pub use config::Config;
pub use database::{connect, load_cipher};
pub use startup::{prepare, Prepared};
