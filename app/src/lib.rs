//! eventurl's web app: domain types and UI shared by the server (SSR) and
//! the browser (hydration), plus the server-only services behind the
//! `ssr` feature. Layers point one way:
//! domain ← persistence / sender / auth ← services ← server functions and
//! handlers ← components.

pub mod account;
pub mod activity;
pub mod api_tokens;
pub mod auth;
mod boxed_view;
mod copy_button;
mod data_table;
pub mod deliveries;
pub mod domain;
pub mod error;
pub mod event_url;
mod form_echo;
mod layout;
pub mod members;
pub mod password_reset;
pub mod paths;
pub mod provider;
pub mod rpc_codec;
pub mod setup;
mod shell;
pub mod test_event;
mod time_text;
pub mod two_factor;

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod client_ip;
#[cfg(feature = "ssr")]
pub mod delivery;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod persistence;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod router_state;
#[cfg(feature = "ssr")]
pub mod sender;
#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "ssr")]
pub use form_echo::{FormEcho, NestedForm};

#[cfg(feature = "ssr")]
pub use shell::page_security_policy;
pub use shell::{shell, App, BundleNames};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Islands: only the interactive parts (`#[island]`) ship as wasm and
    // hydrate; the rest of each page stays server-rendered HTML.
    leptos::mount::hydrate_islands();
    // Browser tests wait for this marker: a click before hydration is lost.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
