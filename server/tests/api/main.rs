//! Integration tests: the real server on port 0 with a fresh SQLite file,
//! driven over real HTTP.

// A failed unwrap is a failed test, with its location: fine here.
#![allow(clippy::unwrap_used)]

mod database;
mod headers;
mod helpers;
mod pbx;
mod receivers;
mod smtp;

mod account;
mod activity;
mod anonymous;
mod api_tokens;
mod assets;
mod cli;
mod custom_headers;
mod deliveries;
mod delivery;
mod email;
mod endpoint_limits;
mod event_types;
mod event_url;
mod freshness;
mod ingest_keys;
mod members;
mod operations;
mod operators;
mod origin;
mod pool;
mod postgres;
mod process;
mod provider;
mod replays;
mod rest;
mod sessions;
mod setup;
mod sign_in;
mod signing;
mod startup;
mod test_event;
mod two_factor;
mod writes;
