//! The credentials eventurl itself issues, each with a prefix of its own, so
//! that a leaked one says what it is and a secret scanner can match it:
//! `<prefix>` then 43 characters of base64url (256 random bits). No prefix
//! begins another, so no two kinds can be confused.

/// A kind of credential eventurl issues (shown once, stored as a hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OurCredential {
    /// A PBX's key for `POST /ingest/v1/...` (`eventurl ingest-key create`).
    IngestKey,
    /// A tenant's REST API token.
    ApiToken,
    /// A one-time invitation link's token (72 hours).
    Invitation,
    /// A one-time password reset link's token (1 hour).
    PasswordReset,
    /// A one-time link confirming a new email address (24 hours).
    EmailConfirmation,
}

impl OurCredential {
    pub const ALL: [OurCredential; 5] = [
        OurCredential::IngestKey,
        OurCredential::ApiToken,
        OurCredential::Invitation,
        OurCredential::PasswordReset,
        OurCredential::EmailConfirmation,
    ];

    pub const fn prefix(self) -> &'static str {
        match self {
            OurCredential::IngestKey => "eui_",
            OurCredential::ApiToken => "eut_",
            OurCredential::Invitation => "euinv_",
            OurCredential::PasswordReset => "eur_",
            OurCredential::EmailConfirmation => "euc_",
        }
    }

    /// The regular expression a secret scanner matches it by.
    pub fn scanner_pattern(self) -> String {
        format!("\\b{}[A-Za-z0-9_-]{{43}}\\b", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_prefix_begins_another() {
        for a in OurCredential::ALL {
            for b in OurCredential::ALL {
                if a != b {
                    assert!(
                        !b.prefix().starts_with(a.prefix()),
                        "{a:?} ({}) begins {b:?} ({})",
                        a.prefix(),
                        b.prefix()
                    );
                }
            }
        }
    }

    #[test]
    fn the_scanner_pattern_names_the_prefix_and_the_length() {
        assert_eq!(
            OurCredential::Invitation.scanner_pattern(),
            "\\beuinv_[A-Za-z0-9_-]{43}\\b"
        );
    }
}
