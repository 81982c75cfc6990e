//! What every request handler and server function needs, built once at
//! start and handed around by axum state and Leptos context.

use crate::{delivery::Delivery, persistence::crypto::SecretCipher, setup::SetupGate};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct AppState {
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
