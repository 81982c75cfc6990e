//! The infrastructure every request handler and server function may need,
//! built once at start: the database, the cipher, the HTTP sender, the
//! password-hashing pool, the mail outbox and the operator's settings.
//! Nothing here is a copy of what the database holds, and nothing here is a
//! feature's: the delivery core, the API's limiter, the first-run gate and
//! the page renderer are handed to their handlers beside it (the router's
//! state, `crate::router_state`).

use crate::{
    auth::password::HashingPool, persistence::crypto::SecretCipher, sender::WebhookSender,
};
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
    pub cipher: SecretCipher,
    /// Posts events under the operator's address policy.
    pub sender: WebhookSender,
    /// Where sign-ins check passwords, a few at a time.
    pub hashing: HashingPool,
    /// Mail (SMTP configured) or not: queues letters with their change.
    pub outbox: crate::mail::Outbox,
    pub config: AppConfig,
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
    /// Every operator must have two-factor sign-in
    /// (`EVENTURL_OPERATOR_2FA=required`): one without is sent to set it
    /// up before anything else.
    pub operator_two_factor_required: bool,
}
