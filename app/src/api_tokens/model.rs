//! API tokens as the tab and the command line see them. A token is shown
//! once, when created; a view says everything else about it.

use serde::{Deserialize, Serialize};

/// Every token starts so, for secret scanners to spot a leaked one.
pub const TOKEN_PREFIX: &str = crate::domain::OurCredential::ApiToken.prefix();

/// The expiries offered, in days (none: never).
pub const EXPIRY_DAYS: [u32; 3] = [30, 90, 365];

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// GET only.
    Read,
    /// Every call, as its administrator could in the tab.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read",
            Scope::Write => "Read and write",
        }
    }
}

/// A token to create, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub scope: Scope,
    pub expires_in_days: Option<u32>,
}

/// Why a new token's settings are refused, said for the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NewTokenError {
    #[error("Name the token (1 to 64 characters), e.g. after the script that will use it.")]
    Name,
    #[error("Choose Read, or Read and write.")]
    Scope,
    #[error("Choose an expiry of 30, 90 or 365 days, or none.")]
    Expiry,
}

impl NewTokenError {
    /// The form field the message belongs to.
    pub fn field(&self) -> crate::domain::Field {
        use crate::domain::Field;
        match self {
            NewTokenError::Name => Field::Name,
            NewTokenError::Scope => Field::Scope,
            NewTokenError::Expiry => Field::Expiry,
        }
    }
}

impl NewToken {
    /// `expiry`: a number of days offered, or "none" / empty.
    pub fn parse(name: &str, scope: &str, expiry: &str) -> Result<Self, NewTokenError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(NewTokenError::Name);
        }
        let scope = Scope::parse(scope.trim()).ok_or(NewTokenError::Scope)?;
        let expires_in_days = match expiry.trim() {
            "" | "none" | "never" => None,
            days => Some(
                days.parse::<u32>()
                    .ok()
                    .filter(|d| EXPIRY_DAYS.contains(d))
                    .ok_or(NewTokenError::Expiry)?,
            ),
        };
        Ok(Self {
            name: name.to_owned(),
            scope,
            expires_in_days,
        })
    }
}

/// One token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i32,
    pub name: String,
    pub scope: Scope,
    pub created_by: Option<String>,
    /// RFC 3339, UTC (as every time here).
    pub created_at: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<String>,
}

/// The tab's data: the tenant's tokens, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokensData {
    pub tenant_name: String,
    pub admin_username: String,
    pub tokens: Vec<ApiTokenView>,
}

/// The answer to the create form: the new token, shown once in this
/// response (it is stored nowhere else), or what was typed and why it was
/// refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenEcho {
    pub created: Option<(String, ApiTokenView)>,
    pub name: String,
    pub scope: String,
    pub expiry: String,
    pub errors: crate::domain::FieldErrors,
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_parsed_or_refused_per_field() {
        assert_eq!(
            NewToken::parse(" ci ", "write", "90"),
            Ok(NewToken {
                name: "ci".to_owned(),
                scope: Scope::Write,
                expires_in_days: Some(90)
            })
        );
        assert_eq!(
            NewToken::parse("ci", "read", "none").map(|t| t.expires_in_days),
            Ok(None)
        );
        assert_eq!(NewToken::parse(" ", "read", ""), Err(NewTokenError::Name));
        assert_eq!(
            NewToken::parse(&"x".repeat(65), "read", ""),
            Err(NewTokenError::Name)
        );
        assert_eq!(
            NewToken::parse("ci", "admin", ""),
            Err(NewTokenError::Scope)
        );
        assert_eq!(
            NewToken::parse("ci", "read", "7"),
            Err(NewTokenError::Expiry)
        );
    }
}
