//! How this instance tells its delivery worker which endpoints were just
//! given due events (ingest), so it claims for them at once instead of at
//! its next look across all endpoints. A nudge, not a copy of anything: the
//! worker reads what is due from the database.

use std::{collections::HashSet, sync::Mutex};

use tokio::sync::Notify;

use crate::domain::EndpointKind;

/// An endpoint: its tenant and section.
pub type Endpoint = (i32, EndpointKind);

#[derive(Debug, Default)]
pub struct Wake {
    notify: Notify,
    endpoints: Mutex<HashSet<Endpoint>>,
}

impl Wake {
    /// `endpoint` has events due now.
    pub fn due(&self, endpoint: Endpoint) {
        self.endpoints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(endpoint);
        self.notify.notify_one();
    }

    /// Something changed that the worker should look at now (an endpoint
    /// has room again).
    pub fn nudge(&self) {
        self.notify.notify_one();
    }

    /// The endpoints named since the last call.
    pub(super) fn take(&self) -> Vec<Endpoint> {
        std::mem::take(
            &mut *self
                .endpoints
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .collect()
    }

    pub(super) async fn notified(&self) {
        self.notify.notified().await;
    }
}
