//! What the provider's pages show. Nothing here is secret: no URL
//! credential, no token, only whether a section is set up.

use serde::{Deserialize, Serialize};

use crate::{domain::EndpointKind, two_factor::TwoFactorView};

/// A tenant's section at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionState {
    pub kind: EndpointKind,
    /// A URL is saved.
    pub configured: bool,
    pub enabled: bool,
    /// Its last attempts failed (the tenant sees a banner).
    pub failing: bool,
    /// Paused automatically after its events were all given up.
    pub auto_paused: bool,
}

impl SectionState {
    /// "Off", "Not set up", "Delivering", "Failing", "Paused automatically".
    pub fn label(&self) -> &'static str {
        match self {
            s if s.auto_paused => "Paused automatically",
            s if !s.configured => "Not set up",
            s if !s.enabled => "Paused",
            s if s.failing => "Failing",
            _ => "Delivering",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRow {
    pub id: i32,
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub suspended_at: Option<String>,
    pub sections: Vec<SectionState>,
    pub administrators: Vec<String>,
    pub viewers: usize,
    pub last_activity_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantsData {
    pub operator: String,
    pub tenants: Vec<TenantRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorActivityView {
    pub id: i64,
    pub occurred_at: String,
    pub operator: String,
    pub ip: Option<String>,
    pub action: String,
    pub tenant: Option<String>,
    pub summary: String,
}

/// What a post on the Tenants page comes back with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderEcho {
    /// A new tenant's name and its first administrator's invitation link
    /// (shown this once).
    pub created: Option<(String, String)>,
    /// The name typed, when refused.
    pub name: String,
    pub message: Option<String>,
}

/// The operator's own account page: password and two-factor sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccountData {
    pub username: String,
    pub two_factor: TwoFactorView,
    /// The server requires it of operators and it is not on yet.
    pub must_enrol: bool,
}
