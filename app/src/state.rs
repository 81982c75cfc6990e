//! What every request handler and server function needs, built once at
//! start and handed around by axum state and Leptos context.

use crate::{delivery::Delivery, persistence::crypto::SecretCipher, setup::SetupGate};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Cloned for every middleware and handler of every request: one reference
/// count, not a copy of each part (the profile of a kept page showed
/// clones and drops of the parts at ~12% of its samples).
#[derive(Clone, Debug)]
pub struct AppState(std::sync::Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(std::sync::Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Debug)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub cipher: SecretCipher,
    pub setup: SetupGate,
    /// Where sign-ins check passwords, a few at a time.
    pub hashing: crate::auth::password::HashingPool,
    /// Sends test events under the operator's address policy.
    pub delivery: Delivery,
    /// Test sends allowed per tenant per minute.
    pub test_events_per_minute: u32,
    /// Behind a reverse proxy: the header that carries the client address.
    pub client_ip_header: Option<http::HeaderName>,
    pub leptos_options: LeptosOptions,
    /// Signed-in administrators as last read (`read_cache`).
    pub admins: crate::auth::session::AdminCache,
    /// Tenants' Event URL settings as last read (`read_cache`).
    pub settings: crate::event_url::service::SettingsCache,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
