//! Storage on the project's sea-orm connection (SQLite or PostgreSQL):
//! entities, the encryption of stored secrets, and the session store.

pub mod crypto;
pub mod entities;
pub mod read_cache;
pub mod session_store;
