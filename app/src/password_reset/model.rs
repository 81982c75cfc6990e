//! What the reset pages show.

use serde::{Deserialize, Serialize};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;

/// Every reset token starts so, for secret scanners.
pub const RESET_PREFIX: &str = crate::domain::OurCredential::PasswordReset.prefix();

/// Said the same for every reason a link does not work.
pub const RESET_CLOSED: &str = "This password reset link no longer works: it was used, or is more than an hour old. Ask for a new one.";

/// The reset page: whose password it sets, or that it no longer works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetLink {
    Open {
        username: String,
    },
    Closed,
    /// The account's company is suspended by its provider.
    Suspended,
}

/// Said when the account's company is suspended.
pub const RESET_SUSPENDED: &str = "Your company's access to eventurl is suspended, so its passwords cannot be reset now. Contact your provider.";

/// The forgot-password form as typed, when refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForgotEcho {
    pub identifier: String,
    pub message: String,
}

/// The reset form refused (the password is never sent back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResetEcho {
    pub message: String,
}
