//! What every request handler and server function needs, built once at
//! start: the database, the cipher, the HTTP sender, the password-hashing
//! pool, the settings, and (still: docs/ARCHITECTURE.md, Layers) the
//! handles of the delivery core's queue writer, wake and metrics. Nothing
//! here is a copy of what the database holds.

use crate::{
    auth::password::HashingPool, persistence::crypto::SecretCipher, sender::WebhookSender,
    setup::gate::SetupGate,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Cloned for every middleware and handler of every request: one reference
/// count, not a copy of each part.
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
    /// Queues this instance's write transactions on SQLite.
    pub writes: std::sync::Arc<crate::persistence::write_gate::WriteGate>,
    /// Commits the queue's writes (hand-ins, attempt records) in groups.
    pub queue_writes: crate::delivery::writer::QueueWriter,
    pub cipher: SecretCipher,
    /// Posts events under the operator's address policy.
    pub sender: WebhookSender,
    /// Where sign-ins check passwords, a few at a time.
    pub hashing: HashingPool,
    /// Told which endpoints were given due events, so this instance's
    /// delivery worker claims for them at once instead of at its next look.
    pub wake_deliveries: crate::delivery::wake::Wake,
    /// This instance's count of each API token's requests (its rate limit).
    pub api_limiter: crate::rest::limit::ApiLimiter,
    /// This instance's delivery counters, for `/metrics`.
    pub metrics: crate::delivery::metrics::DeliveryMetrics,
    /// Mail (SMTP configured) or not: queues letters with their change.
    pub outbox: crate::mail::Outbox,
    /// This process's one-time first-run link, while no tenant exists.
    pub setup: SetupGate,
    pub config: AppConfig,
    pub leptos_options: LeptosOptions,
    /// The bundle's file names, as the build named them.
    pub bundle: crate::BundleNames,
}

/// The operator's settings that requests consult.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Test sends allowed per tenant per minute.
    pub test_events_per_minute: u32,
    /// Behind a reverse proxy: the header that carries the client address.
    pub client_ip_header: Option<http::HeaderName>,
    /// `/metrics` is served only with this token (unset: not at all).
    pub metrics_token: Option<String>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
