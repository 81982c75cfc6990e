//! Two-factor sign-in as the pages see it.

use serde::{Deserialize, Serialize};

use crate::paths::{
    ACCOUNT_TWO_FACTOR_CONFIRM, ACCOUNT_TWO_FACTOR_OFF, ACCOUNT_TWO_FACTOR_START,
    PROVIDER_TWO_FACTOR_CONFIRM, PROVIDER_TWO_FACTOR_OFF, PROVIDER_TWO_FACTOR_START,
};

/// Whose account page the forms are on: a member's My account or an
/// operator's (the provider console), each posting to its own paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwoFactorPaths {
    Member,
    Operator,
}

impl TwoFactorPaths {
    pub fn start(self) -> &'static str {
        match self {
            TwoFactorPaths::Member => ACCOUNT_TWO_FACTOR_START,
            TwoFactorPaths::Operator => PROVIDER_TWO_FACTOR_START,
        }
    }

    pub fn confirm(self) -> &'static str {
        match self {
            TwoFactorPaths::Member => ACCOUNT_TWO_FACTOR_CONFIRM,
            TwoFactorPaths::Operator => PROVIDER_TWO_FACTOR_CONFIRM,
        }
    }

    /// Who requires it, when it is required.
    pub fn required_by(self) -> &'static str {
        match self {
            TwoFactorPaths::Member => "Your company requires two-factor sign-in",
            TwoFactorPaths::Operator => {
                "Your provider requires two-factor sign-in of every operator"
            }
        }
    }

    pub fn off(self) -> &'static str {
        match self {
            TwoFactorPaths::Member => ACCOUNT_TWO_FACTOR_OFF,
            TwoFactorPaths::Operator => PROVIDER_TWO_FACTOR_OFF,
        }
    }
}

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
    /// Required of this account (by the company, or of every operator by
    /// the server): turned off, it must be set up again first thing.
    pub required: bool,
    pub paths: TwoFactorPaths,
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
