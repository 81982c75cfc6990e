//! Two-factor sign-in as the pages see it.

use serde::{Deserialize, Serialize};

/// A member's two-factor sign-in, for My account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwoFactorState {
    Off,
    /// Set up but not confirmed: the key to add to an authenticator app,
    /// as text and as a QR code (an SVG document drawn on the server).
    Enrolling {
        key: String,
        qr_svg: String,
    },
    On {
        recovery_codes_left: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub state: TwoFactorState,
    /// The company requires it of everyone (it cannot be turned off).
    pub required: bool,
}

/// What a two-factor post on My account comes back with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TwoFactorEcho {
    /// Right after turning it on: the recovery codes, shown this once.
    pub recovery_codes: Option<Vec<String>>,
    /// Why a code or password was refused.
    pub error: Option<String>,
}

/// The sign-in code page after a refused code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeEcho {
    pub message: String,
}
