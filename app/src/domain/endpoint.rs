// Over 500 lines: the endpoint's domain types are ~390; the rest is their property and unit tests, kept beside them.
//! One of a tenant's two webhook endpoints, and the rules of its form.

use super::credentials::{BearerToken, Password, SecretInput, Username};
use super::custom_headers::{parse_headers, HeaderContext, HeaderDraft, HeaderInput, SavedHeader};
use super::endpoint_url::EndpointUrl;
use super::field_errors::{Field, FieldErrors};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The two sections of the Event URL tab.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Cdr,
    Extension,
}

impl EndpointKind {
    pub const ALL: [EndpointKind; 2] = [EndpointKind::Cdr, EndpointKind::Extension];

    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Cdr => "cdr",
            EndpointKind::Extension => "extension",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }

    pub fn title(self) -> &'static str {
        match self {
            EndpointKind::Cdr => "CDR Events",
            EndpointKind::Extension => "Extension Events",
        }
    }

    pub fn url_label(self) -> &'static str {
        match self {
            EndpointKind::Cdr => "CDR URL",
            EndpointKind::Extension => "Event URL",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            EndpointKind::Cdr => "Call detail records, sent when a call ends or is updated.",
            EndpointKind::Extension => {
                "Extension call status, presence, online/offline and queue status, in real time."
            }
        }
    }
}

/// How the PBX authenticates to the receiver.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    #[default]
    Disable,
    Basic,
    Digest,
    Bearer,
}

/// Which kind of secret a method needs; a stored secret is kept only while
/// the method still needs the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    Password,
    Token,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::Token => "token",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [SecretKind::Password, SecretKind::Token]
            .into_iter()
            .find(|k| k.as_str() == input)
    }
}

/// A secret saved for a section: its kind, and the only destination it is
/// ever sent to (the URL it was saved with: scheme, host, port and path;
/// none when saved without a URL). Any other URL, another path of the same
/// host included, needs the secret typed again, so a stored secret cannot
/// be recovered by pointing the section at a receiver that echoes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    pub kind: SecretKind,
    pub destination: Option<super::Destination>,
}

/// What is saved for a section that an empty field of its form may keep:
/// the secret, the custom headers (a secret one's value), and the one
/// destination both are ever sent to (the saved URL's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSection {
    pub secret: Option<StoredSecret>,
    pub headers: Vec<SavedHeader>,
    pub destination: Option<super::Destination>,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::Disable,
        AuthMethod::Basic,
        AuthMethod::Digest,
        AuthMethod::Bearer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Disable => "disable",
            AuthMethod::Basic => "basic",
            AuthMethod::Digest => "digest",
            AuthMethod::Bearer => "bearer",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == input)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::Disable => "Disable",
            AuthMethod::Basic => "Basic Authentication",
            AuthMethod::Digest => "Digest Authentication",
            AuthMethod::Bearer => "Bearer Authentication",
        }
    }

    pub fn secret_kind(self) -> Option<SecretKind> {
        match self {
            AuthMethod::Disable => None,
            AuthMethod::Basic | AuthMethod::Digest => Some(SecretKind::Password),
            AuthMethod::Bearer => Some(SecretKind::Token),
        }
    }
}

/// The section's form as typed: raw strings, so that any input can reach
/// `parse` and get a message instead of a transport error.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub auth_method: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub token: String,
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    pub enabled: Option<String>,
    /// `all` (or empty) or `some`: which event types are delivered.
    #[serde(default)]
    pub event_filter: String,
    /// With `some`: a ticked box per type delivered (`event_types[call_cdr]`).
    #[serde(default)]
    pub event_types: std::collections::BTreeMap<String, String>,
    /// The custom headers' rows (`headers[0][name]`, …).
    #[serde(default)]
    pub headers: Vec<HeaderInput>,
    /// Most requests at once (empty: 8).
    #[serde(default)]
    pub max_concurrency: String,
    /// Most requests a second (empty: no limit).
    #[serde(default)]
    pub max_per_second: String,
    /// The endpoint's version when the form was loaded (a hidden field):
    /// a save based on an older one is refused.
    #[serde(default)]
    pub version: String,
}

impl fmt::Debug for EndpointForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointForm")
            .field("kind", &self.kind)
            .field("auth_method", &self.auth_method)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("token", &redacted(&self.token))
            .field("enabled", &self.enabled)
            .field("event_filter", &self.event_filter)
            .field("event_types", &self.event_types.keys().collect::<Vec<_>>())
            .field("headers", &self.headers)
            .field("max_concurrency", &self.max_concurrency)
            .field("max_per_second", &self.max_per_second)
            .field("version", &self.version)
            .finish()
    }
}

fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        ""
    } else {
        "[redacted]"
    }
}

/// What a form is parsed for: saving allows an incomplete, disabled
/// endpoint; sending needs everything.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Save,
    Send,
}

/// Credentials as saved: a disabled endpoint may lack some of them.
#[derive(Clone, Debug)]
pub enum AuthDraft {
    Disable,
    Basic {
        username: Option<Username>,
        password: SecretInput<Password>,
    },
    Digest {
        username: Option<Username>,
        password: SecretInput<Password>,
    },
    Bearer {
        token: SecretInput<BearerToken>,
    },
}

impl AuthDraft {
    pub fn method(&self) -> AuthMethod {
        match self {
            AuthDraft::Disable => AuthMethod::Disable,
            AuthDraft::Basic { .. } => AuthMethod::Basic,
            AuthDraft::Digest { .. } => AuthMethod::Digest,
            AuthDraft::Bearer { .. } => AuthMethod::Bearer,
        }
    }

    pub fn username(&self) -> Option<&Username> {
        match self {
            AuthDraft::Basic { username, .. } | AuthDraft::Digest { username, .. } => {
                username.as_ref()
            }
            AuthDraft::Disable | AuthDraft::Bearer { .. } => None,
        }
    }
}

/// A section's settings that passed every rule. When `enabled`, the URL and
/// every credential of the method are present (possibly as the stored secret).
#[derive(Clone, Debug)]
pub struct EndpointDraft {
    pub kind: EndpointKind,
    pub url: Option<EndpointUrl>,
    pub auth: AuthDraft,
    pub enabled: bool,
    pub headers: Vec<HeaderDraft>,
    /// `None`: all of the section's event types.
    pub event_types: super::EventTypes,
    pub limits: super::EndpointLimits,
}

impl EndpointForm {
    /// The form as it may be shown again: what was typed, but no secret
    /// (the credential's, a secret header's).
    pub fn without_secrets(self) -> Self {
        Self {
            password: String::new(),
            token: String::new(),
            headers: self
                .headers
                .into_iter()
                .map(|h| {
                    if h.secret.is_some() {
                        super::HeaderInput {
                            value: String::new(),
                            ..h
                        }
                    } else {
                        h
                    }
                })
                .collect(),
            ..self
        }
    }

    /// The one place where typed input becomes a domain value. `saved` is
    /// what is already saved for this endpoint: an empty secret field (the
    /// credential's, a secret header's) then keeps it.
    pub fn parse(&self, saved: &SavedSection) -> Result<EndpointDraft, FieldErrors> {
        self.parse_for(saved, Purpose::Save)
    }

    /// The form as a test send needs it: complete, as if enabled, whatever
    /// the Enable box says (a paused endpoint can be tested too).
    pub fn parse_for_sending(&self, saved: &SavedSection) -> Result<EndpointDraft, FieldErrors> {
        self.parse_for(saved, Purpose::Send)
    }

    fn parse_for(
        &self,
        saved: &SavedSection,
        purpose: Purpose,
    ) -> Result<EndpointDraft, FieldErrors> {
        let stored = saved.secret.as_ref();
        let mut errors = FieldErrors::default();
        let enabled = purpose == Purpose::Send || self.enabled.is_some();
        let missing_secret = |noun: &str| match purpose {
            Purpose::Save => format!("Enter the {noun}, or untick Enable to save without one."),
            Purpose::Send => format!("Enter the {noun} to send a test event."),
        };

        let kind = EndpointKind::parse(&self.kind);
        let method = AuthMethod::parse(&self.auth_method);
        if method.is_none() {
            errors.add(
                Field::AuthMethod,
                "Choose an authentication method from the list.",
            );
        }
        let method = method.unwrap_or_default();

        let url = if self.url.trim().is_empty() && !enabled {
            None
        } else {
            match EndpointUrl::parse(&self.url) {
                Ok(url) => Some(url),
                Err(e) => {
                    errors.add(Field::Url, e.to_string());
                    None
                }
            }
        };

        // An empty secret field keeps what is stored, if that fits the method
        // and the URL still leads where it was saved for.
        let fitting = stored.filter(|s| Some(s.kind) == method.secret_kind());
        let elsewhere = fitting.and_then(|s| {
            let url = url.as_ref()?;
            (s.destination.as_ref() != Some(&url.destination()))
                .then(|| (s.destination.clone(), url.destination()))
        });
        let keeps_stored = fitting.is_some() && elsewhere.is_none();
        let secret_missing = |typed: &str| typed.is_empty() && enabled && !keeps_stored;
        let moved = |typed: &str, noun: &str| {
            let (from, to) = elsewhere.as_ref().filter(|_| typed.is_empty())?;
            Some(match from {
                Some(from) => format!(
                    "The saved {noun} is only ever sent to {from}. Type it again to use it with {to}."
                ),
                None => format!("The saved {noun} was saved without a URL. Type it again to use it with {to}."),
            })
        };

        let auth = match method {
            AuthMethod::Disable => Some(AuthDraft::Disable),
            AuthMethod::Basic | AuthMethod::Digest => {
                let basic = method == AuthMethod::Basic;
                let username = if self.username.is_empty() && !enabled {
                    None
                } else {
                    Username::parse(&self.username, basic)
                        .map_err(|e| errors.add(Field::Username, e.to_string()))
                        .ok()
                };
                let password = if let Some(message) = moved(&self.password, "password") {
                    errors.add(Field::Password, message);
                    None
                } else if secret_missing(&self.password) {
                    errors.add(Field::Password, missing_secret("password"));
                    None
                } else if self.password.is_empty() {
                    Some(SecretInput::Keep)
                } else {
                    Password::parse(&self.password)
                        .map(SecretInput::Replace)
                        .map_err(|e| errors.add(Field::Password, e.to_string()))
                        .ok()
                };
                password.map(|password| {
                    if basic {
                        AuthDraft::Basic { username, password }
                    } else {
                        AuthDraft::Digest { username, password }
                    }
                })
            }
            AuthMethod::Bearer => {
                let token = if let Some(message) = moved(&self.token, "bearer token") {
                    errors.add(Field::Token, message);
                    None
                } else if secret_missing(&self.token) {
                    errors.add(Field::Token, missing_secret("bearer token"));
                    None
                } else if self.token.is_empty() {
                    Some(SecretInput::Keep)
                } else {
                    BearerToken::parse(&self.token)
                        .map(SecretInput::Replace)
                        .map_err(|e| errors.add(Field::Token, e.to_string()))
                        .ok()
                };
                token.map(|token| AuthDraft::Bearer { token })
            }
        };

        let headers = parse_headers(
            &self.headers,
            &HeaderContext {
                saved: &saved.headers,
                with_authorization: method != AuthMethod::Disable,
                moved: url
                    .as_ref()
                    .map(EndpointUrl::destination)
                    .filter(|to| saved.destination.as_ref() != Some(to))
                    .map(|to| (saved.destination.clone(), to)),
                sending: purpose == Purpose::Send,
            },
            &mut errors,
        );

        let event_types = kind.and_then(|kind| {
            super::parse_event_types(
                kind,
                super::EventTypesInput {
                    filter: &self.event_filter,
                    ticked: &self.event_types,
                },
                &mut errors,
            )
        });

        let limits = super::EndpointLimits::parse(
            super::LimitsInput {
                max_concurrency: &self.max_concurrency,
                max_per_second: &self.max_per_second,
            },
            &mut errors,
        );

        match (kind, auth, limits, errors.is_empty()) {
            (Some(kind), Some(auth), Some(limits), true) => Ok(EndpointDraft {
                kind,
                url,
                auth,
                enabled,
                headers,
                event_types,
                limits,
            }),
            (None, _, _, _) => {
                errors.add(Field::Enabled, "This form is out of date; reload the page.");
                Err(errors)
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A secret saved with the URL `https://x.example/saved`.
    fn saved(kind: SecretKind) -> StoredSecret {
        StoredSecret {
            kind,
            destination: Some(
                crate::domain::EndpointUrl::parse("https://x.example/saved")
                    .unwrap()
                    .destination(),
            ),
        }
    }

    #[test]
    fn a_stored_secret_is_kept_only_for_the_url_it_was_saved_for() {
        let stored = saved(SecretKind::Password);
        let mut f = form("basic", "https://X.example:443/saved?page=2", true);
        f.username = "pbx".into();
        assert!(
            f.parse(&with(&stored)).is_ok(),
            "the same URL, spelled otherwise"
        );
        for elsewhere in [
            "https://echo.example/saved",
            "http://x.example/saved",
            "https://x.example:8443/saved",
            "https://x.example/other/path",
            "https://x.example/saved/echo",
        ] {
            f.url = elsewhere.into();
            let errors = f.parse(&with(&stored)).unwrap_err();
            let message = errors.get(Field::Password).unwrap();
            assert!(
                message.contains("only ever sent to https://x.example/saved."),
                "{elsewhere}: {message}"
            );
            let errors = f.parse_for_sending(&with(&stored)).unwrap_err();
            assert!(errors.get(Field::Password).is_some(), "{elsewhere}");
            // Typed again, it goes.
            f.password = "typed-again".into();
            assert!(f.parse(&with(&stored)).is_ok());
            f.password.clear();
        }
        // Even a paused save cannot carry it elsewhere silently.
        f.enabled = None;
        assert!(f.parse(&with(&stored)).is_err());
        // A token saved without any URL must be typed for the first URL.
        let mut b = form("bearer", "https://x.example/", true);
        let loose = StoredSecret {
            kind: SecretKind::Token,
            destination: None,
        };
        assert!(b
            .parse(&with(&loose))
            .unwrap_err()
            .get(Field::Token)
            .unwrap()
            .contains("without a URL"));
        b.token = "t0ken-typed".into();
        assert!(b.parse(&with(&loose)).is_ok());
    }

    /// The section as saved with this secret (and its URL), no headers.
    fn with(secret: &StoredSecret) -> SavedSection {
        SavedSection {
            secret: Some(secret.clone()),
            headers: Vec::new(),
            destination: secret.destination.clone(),
        }
    }

    fn form(method: &str, url: &str, enabled: bool) -> EndpointForm {
        EndpointForm {
            kind: "cdr".into(),
            auth_method: method.into(),
            url: url.into(),
            enabled: enabled.then(|| "on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_disabled_section_may_be_saved_incomplete() {
        for method in ["disable", "basic", "digest", "bearer"] {
            let draft = form(method, "", false)
                .parse(&SavedSection::default())
                .unwrap();
            assert!(!draft.enabled);
            assert!(draft.url.is_none());
            assert_eq!(draft.auth.method().as_str(), method);
        }
    }

    #[test]
    fn a_disabled_section_still_refuses_an_invalid_url() {
        let errors = form("disable", "ftp://x", false)
            .parse(&SavedSection::default())
            .unwrap_err();
        assert!(errors.get(Field::Url).is_some());
    }

    #[test]
    fn enabling_requires_a_url() {
        let errors = form("disable", "", true)
            .parse(&SavedSection::default())
            .unwrap_err();
        assert_eq!(
            errors.get(Field::Url),
            Some("Enter the URL the PBX should post events to.")
        );
    }

    #[test]
    fn enabling_basic_or_digest_requires_username_and_password() {
        for method in ["basic", "digest"] {
            let errors = form(method, "https://x.example", true)
                .parse(&SavedSection::default())
                .unwrap_err();
            assert!(errors.get(Field::Username).is_some(), "{method}");
            assert!(errors.get(Field::Password).is_some(), "{method}");
        }
    }

    #[test]
    fn sending_needs_a_complete_endpoint_even_when_paused() {
        let errors = form("bearer", "", false)
            .parse_for_sending(&SavedSection::default())
            .unwrap_err();
        assert!(errors.get(Field::Url).is_some());
        assert_eq!(
            errors.get(Field::Token),
            Some("Enter the bearer token to send a test event.")
        );
        let mut f = form("basic", "https://x.example/saved", false);
        f.username = "pbx".into();
        assert!(f
            .parse_for_sending(&with(&saved(SecretKind::Password)))
            .is_ok());
    }

    #[test]
    fn enabling_bearer_requires_a_token() {
        let errors = form("bearer", "https://x.example", true)
            .parse(&SavedSection::default())
            .unwrap_err();
        assert!(errors.get(Field::Token).is_some());
    }

    #[test]
    fn an_empty_secret_field_keeps_the_stored_secret_of_the_same_kind() {
        let mut f = form("digest", "https://x.example/saved", true);
        f.username = "pbx".into();
        let draft = f.parse(&with(&saved(SecretKind::Password))).unwrap();
        assert!(matches!(
            draft.auth,
            AuthDraft::Digest {
                password: SecretInput::Keep,
                ..
            }
        ));
        // A stored token cannot stand in for a password.
        let errors = f.parse(&with(&saved(SecretKind::Token))).unwrap_err();
        assert!(errors.get(Field::Password).is_some());
    }

    #[test]
    fn a_typed_secret_replaces_the_stored_one() {
        let mut f = form("bearer", "https://x.example", true);
        f.token = "new-token".into();
        let draft = f.parse(&with(&saved(SecretKind::Token))).unwrap();
        match draft.auth {
            AuthDraft::Bearer {
                token: SecretInput::Replace(t),
            } => {
                assert_eq!(t.expose_secret(), "new-token")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn basic_username_cannot_contain_a_colon_but_digest_can() {
        let mut f = form("basic", "https://x.example", true);
        f.username = "a:b".into();
        f.password = "pw".into();
        assert!(f
            .parse(&SavedSection::default())
            .unwrap_err()
            .get(Field::Username)
            .is_some());
        f.auth_method = "digest".into();
        assert!(f.parse(&SavedSection::default()).is_ok());
    }

    #[test]
    fn credentials_of_other_methods_are_ignored() {
        let mut f = form("disable", "https://x.example", true);
        f.username = "a:b\u{1}".into();
        f.token = "not a token".into();
        let draft = f.parse(&SavedSection::default()).unwrap();
        assert!(matches!(draft.auth, AuthDraft::Disable));
    }

    #[test]
    fn unknown_method_or_section_is_an_error_not_a_panic() {
        let errors = form("ntlm", "", false)
            .parse(&SavedSection::default())
            .unwrap_err();
        assert!(errors.get(Field::AuthMethod).is_some());
        let mut f = form("disable", "", false);
        f.kind = "voicemail".into();
        assert!(f.parse(&SavedSection::default()).is_err());
    }

    #[test]
    fn form_debug_output_redacts_secrets() {
        let mut f = form("basic", "https://x.example", true);
        f.password = "hunter2".into();
        f.token = "tok123".into();
        let shown = format!("{f:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("tok123"));
    }

    proptest! {
        #[test]
        fn every_enabled_draft_is_complete(
            method in prop::sample::select(vec!["disable", "basic", "digest", "bearer"]),
            url in prop::option::of("https://[a-z]{1,8}\\.example(/[a-z]{0,5})?"),
            username in "[a-z:]{0,6}",
            password in "[a-z]{0,6}",
            token in "[a-z]{0,6}",
            stored in prop::option::of(prop::sample::select(vec![SecretKind::Password, SecretKind::Token])),
            stored_at in prop::sample::select(vec!["https://a.example", "https://b.example", "http://a.example", "https://a.example/x"]),
        ) {
            let f = EndpointForm {
                kind: "extension".into(),
                auth_method: method.into(),
                url: url.unwrap_or_default(),
                username,
                password,
                token,
                enabled: Some("on".into()),
                headers: Vec::new(),
                ..Default::default()
            };
            let stored_destination = crate::domain::EndpointUrl::parse(stored_at).unwrap().destination();
            let secret = stored.map(|kind| StoredSecret { kind, destination: Some(stored_destination.clone()) });
            if let Ok(draft) = f.parse(&SavedSection { destination: secret.as_ref().and_then(|s| s.destination.clone()), secret, headers: Vec::new() }) {
                prop_assert!(draft.enabled);
                prop_assert!(draft.url.is_some());
                match draft.auth {
                    AuthDraft::Disable => {}
                    AuthDraft::Basic { username, password } | AuthDraft::Digest { username, password } => {
                        prop_assert!(username.is_some());
                        if matches!(password, SecretInput::Keep) {
                            prop_assert_eq!(stored, Some(SecretKind::Password));
                            prop_assert_eq!(draft.url.as_ref().map(|u| u.destination()), Some(stored_destination.clone()));
                        }
                    }
                    AuthDraft::Bearer { token } => {
                        if matches!(token, SecretInput::Keep) {
                            prop_assert_eq!(stored, Some(SecretKind::Token));
                            prop_assert_eq!(draft.url.as_ref().map(|u| u.destination()), Some(stored_destination.clone()));
                        }
                    }
                }
            }
        }
    }
}
