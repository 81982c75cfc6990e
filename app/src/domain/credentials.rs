//! Credentials the PBX presents to a receiver. Passwords and tokens are
//! secrets: no `Serialize`, a redacted `Debug`, readable only through
//! `expose_secret`.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

pub const MAX_USERNAME_LEN: usize = 128;
pub const MAX_PASSWORD_LEN: usize = 256;
pub const MAX_TOKEN_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("Enter a user name.")]
    UsernameEmpty,
    #[error("Use a user name of at most {MAX_USERNAME_LEN} characters.")]
    UsernameTooLong,
    #[error("Remove the colon: a Basic Authentication user name cannot contain ':'.")]
    UsernameColon,
    #[error("Use only printable characters in the user name.")]
    UsernameUnprintable,
    #[error("Enter a password.")]
    PasswordEmpty,
    #[error("Use a password of at most {MAX_PASSWORD_LEN} characters.")]
    PasswordTooLong,
    #[error("Use only printable characters in the password (no line breaks or tabs).")]
    PasswordUnprintable,
    #[error("Enter a bearer token.")]
    TokenEmpty,
    #[error("Use a token of at most {MAX_TOKEN_LEN} characters.")]
    TokenTooLong,
    #[error("A bearer token may only contain letters, digits and - . _ ~ + / (with = signs at the end only).")]
    TokenCharacters,
}

fn is_printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The user name for Basic or Digest authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// `basic` adds RFC 7617's rule: the user-id cannot contain a colon.
    pub fn parse(input: &str, basic: bool) -> Result<Self, CredentialError> {
        if input.trim().is_empty() {
            return Err(CredentialError::UsernameEmpty);
        }
        if input.chars().count() > MAX_USERNAME_LEN {
            return Err(CredentialError::UsernameTooLong);
        }
        if !is_printable(input) {
            return Err(CredentialError::UsernameUnprintable);
        }
        if basic && input.contains(':') {
            return Err(CredentialError::UsernameColon);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The password for Basic or Digest authentication.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn parse(input: &str) -> Result<Self, CredentialError> {
        if input.is_empty() {
            return Err(CredentialError::PasswordEmpty);
        }
        if input.chars().count() > MAX_PASSWORD_LEN {
            return Err(CredentialError::PasswordTooLong);
        }
        if !is_printable(input) {
            return Err(CredentialError::PasswordUnprintable);
        }
        Ok(Self(SecretString::from(input)))
    }

    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A bearer token in RFC 6750's `b64token` form, ready for an
/// `Authorization: Bearer` header.
#[derive(Clone)]
pub struct BearerToken(SecretString);

impl BearerToken {
    pub fn parse(input: &str) -> Result<Self, CredentialError> {
        if input.is_empty() {
            return Err(CredentialError::TokenEmpty);
        }
        if input.len() > MAX_TOKEN_LEN {
            return Err(CredentialError::TokenTooLong);
        }
        let body = input.trim_end_matches('=');
        let body_ok = !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        if !body_ok {
            return Err(CredentialError::TokenCharacters);
        }
        Ok(Self(SecretString::from(input)))
    }

    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken([redacted])")
    }
}

/// A secret field left empty keeps the stored secret.
#[derive(Clone, Debug)]
pub enum SecretInput<S> {
    Keep,
    Replace(S),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_must_be_present_printable_and_short() {
        assert_eq!(
            Username::parse("", false),
            Err(CredentialError::UsernameEmpty)
        );
        assert_eq!(
            Username::parse("  ", false),
            Err(CredentialError::UsernameEmpty)
        );
        assert_eq!(
            Username::parse("a\u{7}b", false),
            Err(CredentialError::UsernameUnprintable)
        );
        assert_eq!(
            Username::parse(&"u".repeat(MAX_USERNAME_LEN + 1), false),
            Err(CredentialError::UsernameTooLong)
        );
        assert!(Username::parse(&"u".repeat(MAX_USERNAME_LEN), false).is_ok());
        assert_eq!(
            Username::parse("Jörg Müller", false).unwrap().as_str(),
            "Jörg Müller"
        );
    }

    #[test]
    fn only_basic_usernames_refuse_a_colon() {
        assert_eq!(
            Username::parse("a:b", true),
            Err(CredentialError::UsernameColon)
        );
        assert!(Username::parse("a:b", false).is_ok());
    }

    #[test]
    fn passwords_must_be_present_printable_and_short() {
        assert_eq!(
            Password::parse("").unwrap_err(),
            CredentialError::PasswordEmpty
        );
        assert_eq!(
            Password::parse("a\nb").unwrap_err(),
            CredentialError::PasswordUnprintable
        );
        assert_eq!(
            Password::parse(&"p".repeat(MAX_PASSWORD_LEN + 1)).unwrap_err(),
            CredentialError::PasswordTooLong
        );
        assert_eq!(
            Password::parse("pa ss:wörd!").unwrap().expose_secret(),
            "pa ss:wörd!"
        );
    }

    #[test]
    fn tokens_follow_rfc_6750() {
        assert!(BearerToken::parse("abc.DEF-123_~+/==").is_ok());
        assert_eq!(
            BearerToken::parse("").unwrap_err(),
            CredentialError::TokenEmpty
        );
        assert_eq!(
            BearerToken::parse("a b").unwrap_err(),
            CredentialError::TokenCharacters
        );
        assert_eq!(
            BearerToken::parse("a=b").unwrap_err(),
            CredentialError::TokenCharacters
        );
        assert_eq!(
            BearerToken::parse("===").unwrap_err(),
            CredentialError::TokenCharacters
        );
        assert_eq!(
            BearerToken::parse(&"t".repeat(MAX_TOKEN_LEN + 1)).unwrap_err(),
            CredentialError::TokenTooLong
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let password = Password::parse("hunter2-secret").unwrap();
        let token = BearerToken::parse("tok-secret-value").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
        assert!(!format!("{token:?}").contains("tok-secret"));
    }

    proptest! {
        #[test]
        fn any_printable_password_round_trips(p in "[ -~\u{a0}-\u{2000}]{1,64}") {
            let parsed = Password::parse(&p).unwrap();
            prop_assert_eq!(parsed.expose_secret(), p.as_str());
        }

        #[test]
        fn any_control_character_is_refused(prefix in "[a-z]{0,5}", c in "[\u{0}-\u{1f}\u{7f}]") {
            let p = format!("{prefix}{c}x");
            prop_assert_eq!(Password::parse(&p).unwrap_err(), CredentialError::PasswordUnprintable);
            prop_assert_eq!(Username::parse(&p, false).unwrap_err(), CredentialError::UsernameUnprintable);
        }

        #[test]
        fn base64url_tokens_are_accepted(t in "[A-Za-z0-9_-]{1,100}={0,2}") {
            prop_assert!(BearerToken::parse(&t).is_ok());
        }
    }
}
