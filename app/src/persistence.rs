//! Storage on the project's sea-orm connection (SQLite or PostgreSQL):
//! entities, the encryption of stored secrets, the session store and the
//! endpoint reads that several features share.

pub mod crypto;
pub mod custom_headers;
pub mod endpoints;
pub mod entities;
pub mod private_files;
pub mod rate_limit;
pub mod raw_sql;
pub mod session_store;
pub mod signing;
pub mod write_gate;
