// Over 500 lines: the header rules are ~250; the rest is their unit tests, kept beside them.
//! A section's own request headers (`X-Env: prod`, an API key the receiver
//! wants): sent with every delivery attempt and test event. A header
//! marked secret is write-only, like the section's credentials: its value
//! is stored encrypted, never shown again, kept when its field is left
//! empty, and only ever sent to the URL it was saved for.

use super::{
    credentials::SecretInput,
    field_errors::{Field, FieldErrors, HeaderPart},
    Destination,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many headers a section may have.
pub const MAX_HEADERS: usize = 10;
pub const MAX_HEADER_NAME_LEN: usize = 64;
pub const MAX_HEADER_VALUE_LEN: usize = 1024;

/// One row of the form as typed. An all-empty row is no header (the form
/// offers a blank one to fill).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    pub secret: Option<String>,
}

impl HeaderInput {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.value.is_empty()
    }
}

impl fmt::Debug for HeaderInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret.is_some() && !self.value.is_empty() {
            "[redacted]"
        } else {
            self.value.as_str()
        };
        f.debug_struct("HeaderInput")
            .field("name", &self.name)
            .field("value", &value)
            .field("secret", &self.secret.is_some())
            .finish()
    }
}

/// A header as saved and shown: a secret one without its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedHeader {
    pub name: String,
    /// `None` for a secret header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl SavedHeader {
    /// The form's row for it (a secret's field empty: left so, it keeps
    /// the saved value).
    pub fn to_input(&self) -> HeaderInput {
        HeaderInput {
            name: self.name.clone(),
            value: self.value.clone().unwrap_or_default(),
            secret: self.secret.then(|| "on".to_owned()),
        }
    }
}

/// A header's value that passed the rules.
#[derive(Clone, Debug)]
pub enum HeaderValueDraft {
    Shown(String),
    /// Typed (replacing), or left empty (keeping the saved value).
    Secret(SecretInput<SecretString>),
}

/// A header that passed every rule.
#[derive(Clone, Debug)]
pub struct HeaderDraft {
    pub name: String,
    pub value: HeaderValueDraft,
}

impl HeaderDraft {
    pub fn is_secret(&self) -> bool {
        matches!(self.value, HeaderValueDraft::Secret(_))
    }

    /// As saved and shown.
    pub fn saved(&self) -> SavedHeader {
        SavedHeader {
            name: self.name.clone(),
            value: match &self.value {
                HeaderValueDraft::Shown(v) => Some(v.clone()),
                HeaderValueDraft::Secret(_) => None,
            },
            secret: self.is_secret(),
        }
    }
}

/// Headers eventurl sets itself, or that describe the connection rather
/// than the request (RFC 9110 §7.6.1): a receiver could not rely on them.
const OWNED: [&str; 13] = [
    "host",
    "accept",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "cookie2",
];

/// Headers that carry a credential: only as a secret header.
const CREDENTIALS: [&str; 3] = ["authorization", "cookie", "x-api-key"];

/// A secret value shorter than this is refused: it would be guessed, and
/// too short to be found and redacted in an answer that echoes it.
pub const MIN_SECRET_LEN: usize = 8;

/// RFC 9110 `tchar`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn name_problem(name: &str, with_authorization: bool) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if name.is_empty() {
        Some("Enter the header's name, or clear its value to remove it.".to_owned())
    } else if name.len() > MAX_HEADER_NAME_LEN {
        Some(format!(
            "Use a name of at most {MAX_HEADER_NAME_LEN} characters."
        ))
    } else if !name.chars().all(is_token_char) {
        Some(
            "Use only letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ in a header name (no spaces or colons)."
                .to_owned(),
        )
    } else if lower.starts_with("webhook-") {
        Some(format!(
            "{name} is set by eventurl: webhook-* headers carry the Standard Webhooks signature."
        ))
    } else if lower == "authorization" && with_authorization {
        Some(
            "Authorization is set by the authentication method above: choose Disable to send your own."
                .to_owned(),
        )
    } else if OWNED.contains(&lower.as_str()) || lower.starts_with("content-") {
        Some(format!(
            "{name} is set by eventurl for each request and cannot be replaced."
        ))
    } else {
        None
    }
}

fn value_problem(value: &str) -> Option<String> {
    if value.len() > MAX_HEADER_VALUE_LEN {
        Some(format!(
            "Use a value of at most {MAX_HEADER_VALUE_LEN} characters."
        ))
    } else if value.contains(['\r', '\n']) {
        Some("Remove the line break: a header value is one line.".to_owned())
    } else if !value
        .chars()
        .all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic())
    {
        Some("Use only printable ASCII characters in a header value.".to_owned())
    } else if value.trim() != value {
        Some("Remove the spaces at the start or end: receivers drop them.".to_owned())
    } else {
        None
    }
}

/// What the headers' rules need to know of the section.
pub struct HeaderContext<'a> {
    /// The headers as saved.
    pub saved: &'a [SavedHeader],
    /// Whether an authentication method sets `Authorization`.
    pub with_authorization: bool,
    /// The saved secret values' destination, and the form's, when they
    /// differ (the URL moved): a kept secret value would go elsewhere.
    pub moved: Option<(Option<Destination>, Destination)>,
    /// Sending now (a test event) or saving: an empty secret needs a saved
    /// value either way.
    pub sending: bool,
}

/// The form's rows as headers, or a message by each field to fix. Row `i`
/// of `rows` is `Field::Header(i, …)` whatever blank rows stand before it.
pub fn parse_headers(
    rows: &[HeaderInput],
    context: &HeaderContext<'_>,
    errors: &mut FieldErrors,
) -> Vec<HeaderDraft> {
    let filled: Vec<(usize, &HeaderInput)> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| !row.is_blank())
        .collect();
    if filled.len() > MAX_HEADERS {
        errors.add(
            Field::Headers,
            format!(
                "Use at most {MAX_HEADERS} headers; remove {}.",
                filled.len() - MAX_HEADERS
            ),
        );
        return Vec::new();
    }
    let mut drafts = Vec::with_capacity(filled.len());
    let mut seen: Vec<String> = Vec::with_capacity(filled.len());
    for (i, row) in filled {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let name = row.name.trim();
        let mut ok = true;
        if let Some(problem) = name_problem(name, context.with_authorization) {
            errors.add(Field::Header(index, HeaderPart::Name), problem);
            ok = false;
        } else if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            errors.add(
                Field::Header(index, HeaderPart::Name),
                format!("{name} is already above: give each header once."),
            );
            ok = false;
        }
        seen.push(name.to_owned());
        if ok && row.secret.is_none() && CREDENTIALS.contains(&name.to_ascii_lowercase().as_str()) {
            errors.add(
                Field::Header(index, HeaderPart::Name),
                format!("{name} carries a credential: tick Secret, so that it is stored encrypted and never shown."),
            );
            ok = false;
        }
        let value = if row.secret.is_some() {
            let saved_secret = context
                .saved
                .iter()
                .any(|s| s.secret && s.name.eq_ignore_ascii_case(name));
            if !row.value.is_empty() {
                value_problem(&row.value)
                    .or_else(|| {
                        (row.value.chars().count() < MIN_SECRET_LEN).then(|| {
                            format!(
                                "Use a secret value of at least {MIN_SECRET_LEN} characters, or untick Secret."
                            )
                        })
                    })
                    .map(|p| errors.add(Field::Header(index, HeaderPart::Value), p))
                    .is_none()
                    .then(|| {
                        HeaderValueDraft::Secret(SecretInput::Replace(SecretString::from(
                            row.value.clone(),
                        )))
                    })
            } else if !saved_secret {
                errors.add(
                    Field::Header(index, HeaderPart::Value),
                    if context.sending {
                        "Enter the secret value to send a test event."
                    } else {
                        "Enter the secret value: none is saved for this name."
                    },
                );
                None
            } else if let Some((from, to)) = &context.moved {
                errors.add(
                    Field::Header(index, HeaderPart::Value),
                    match from {
                        Some(from) => format!(
                            "The saved value is only ever sent to {from}. Type it again to use it with {to}."
                        ),
                        None => format!(
                            "The saved value was saved without a URL. Type it again to use it with {to}."
                        ),
                    },
                );
                None
            } else {
                Some(HeaderValueDraft::Secret(SecretInput::Keep))
            }
        } else if row.value.is_empty() {
            errors.add(
                Field::Header(index, HeaderPart::Value),
                "Enter the header's value, or clear its name to remove it.",
            );
            None
        } else {
            value_problem(&row.value)
                .map(|p| errors.add(Field::Header(index, HeaderPart::Value), p))
                .is_none()
                .then(|| HeaderValueDraft::Shown(row.value.clone()))
        };
        if let (true, Some(value)) = (ok, value) {
            drafts.push(HeaderDraft {
                name: name.to_owned(),
                value,
            });
        }
    }
    drafts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EndpointUrl;

    fn row(name: &str, value: &str, secret: bool) -> HeaderInput {
        HeaderInput {
            name: name.into(),
            value: value.into(),
            secret: secret.then(|| "on".into()),
        }
    }

    fn context(saved: &[SavedHeader]) -> HeaderContext<'_> {
        HeaderContext {
            saved,
            with_authorization: true,
            moved: None,
            sending: false,
        }
    }

    fn parse(rows: &[HeaderInput], context: &HeaderContext<'_>) -> (Vec<HeaderDraft>, FieldErrors) {
        let mut errors = FieldErrors::default();
        let drafts = parse_headers(rows, context, &mut errors);
        (drafts, errors)
    }

    #[test]
    fn blank_rows_are_no_headers_and_rows_keep_their_index() {
        let (drafts, errors) = parse(
            &[
                row("", "", false),
                row("X-Env", "prod", false),
                row("", "", true),
            ],
            &context(&[]),
        );
        assert!(errors.is_empty());
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].saved().value.as_deref(), Some("prod"));
        let (_, errors) = parse(
            &[row("", "", false), row("X Env", "v", false)],
            &context(&[]),
        );
        assert!(errors.get(Field::Header(1, HeaderPart::Name)).is_some());
    }

    #[test]
    fn eventurls_own_headers_are_refused_by_name() {
        for name in [
            "Host",
            "content-length",
            "Content-Type",
            "Content-Range",
            "Accept",
            "Transfer-Encoding",
            "Connection",
            "webhook-signature",
            "Webhook-Id",
            "User-Agent",
        ] {
            let (drafts, errors) = parse(&[row(name, "x", false)], &context(&[]));
            assert!(drafts.is_empty(), "{name}");
            assert!(
                errors.get(Field::Header(0, HeaderPart::Name)).is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn authorization_is_the_methods_unless_disabled() {
        let (_, errors) = parse(&[row("Authorization", "Token x", false)], &context(&[]));
        assert!(errors
            .get(Field::Header(0, HeaderPart::Name))
            .unwrap()
            .contains("authentication method"));
        let mut open = context(&[]);
        open.with_authorization = false;
        let (drafts, errors) = parse(&[row("Authorization", "Token x-1234", true)], &open);
        assert!(errors.is_empty());
        assert!(drafts[0].is_secret());
        // A credential's header is a secret one, or refused.
        for name in ["Authorization", "Cookie", "X-Api-Key"] {
            let (_, errors) = parse(&[row(name, "Token x-1234", false)], &open);
            assert!(
                errors
                    .get(Field::Header(0, HeaderPart::Name))
                    .unwrap()
                    .contains("tick Secret"),
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_tokens_and_given_once_values_one_printable_line() {
        for bad in ["X:Y", "X Y", "Ü-Header", &"x".repeat(65)] {
            let (_, errors) = parse(&[row(bad, "v", false)], &context(&[]));
            assert!(
                errors.get(Field::Header(0, HeaderPart::Name)).is_some(),
                "{bad}"
            );
        }
        for bad in [
            "a\r\nX-Injected: 1",
            "a\nb",
            "é",
            " padded",
            &"v".repeat(1025),
        ] {
            let (_, errors) = parse(&[row("X-A", bad, false)], &context(&[]));
            assert!(
                errors.get(Field::Header(0, HeaderPart::Value)).is_some(),
                "{bad:?}"
            );
            let (_, errors) = parse(&[row("X-A", bad, true)], &context(&[]));
            assert!(
                errors.get(Field::Header(0, HeaderPart::Value)).is_some(),
                "{bad:?}"
            );
        }
        let (_, errors) = parse(
            &[row("X-A", "1", false), row("x-a", "2", false)],
            &context(&[]),
        );
        assert!(errors
            .get(Field::Header(1, HeaderPart::Name))
            .unwrap()
            .contains("once"));
        let (_, errors) = parse(&[row("X-A", "", false)], &context(&[]));
        assert!(errors.get(Field::Header(0, HeaderPart::Value)).is_some());
    }

    #[test]
    fn a_secret_value_is_not_too_short_to_be_found_and_redacted() {
        let (_, errors) = parse(&[row("X-Key", "short", true)], &context(&[]));
        assert!(errors
            .get(Field::Header(0, HeaderPart::Value))
            .unwrap()
            .contains("at least 8"));
        let (drafts, errors) = parse(&[row("X-Key", "long-enough", true)], &context(&[]));
        assert!(errors.is_empty());
        assert!(drafts[0].is_secret());
    }

    #[test]
    fn at_most_ten() {
        let rows: Vec<_> = (0..11)
            .map(|i| row(&format!("X-{i}"), "v", false))
            .collect();
        let (_, errors) = parse(&rows, &context(&[]));
        assert!(errors.get(Field::Headers).unwrap().contains("remove 1"));
        let (drafts, errors) = parse(&rows[..10], &context(&[]));
        assert!(errors.is_empty());
        assert_eq!(drafts.len(), 10);
    }

    #[test]
    fn an_empty_secret_keeps_the_saved_value_of_that_name_only_where_it_was_saved() {
        let saved = [SavedHeader {
            name: "X-Api-Key".into(),
            value: None,
            secret: true,
        }];
        let (drafts, errors) = parse(&[row("x-api-key", "", true)], &context(&saved));
        assert!(errors.is_empty());
        assert!(matches!(
            drafts[0].value,
            HeaderValueDraft::Secret(SecretInput::Keep)
        ));
        // Another name has no saved value.
        let (_, errors) = parse(&[row("X-Other", "", true)], &context(&saved));
        assert!(errors.get(Field::Header(0, HeaderPart::Value)).is_some());
        // The URL moved: typed again, or refused.
        let mut moved = context(&saved);
        let at = |u: &str| EndpointUrl::parse(u).unwrap().destination();
        moved.moved = Some((Some(at("https://a.example/x")), at("https://echo.example/")));
        let (_, errors) = parse(&[row("X-Api-Key", "", true)], &moved);
        assert!(errors
            .get(Field::Header(0, HeaderPart::Value))
            .unwrap()
            .contains("only ever sent to https://a.example/x"));
        let (drafts, errors) = parse(&[row("X-Api-Key", "typed-again", true)], &moved);
        assert!(errors.is_empty());
        assert!(matches!(
            drafts[0].value,
            HeaderValueDraft::Secret(SecretInput::Replace(_))
        ));
    }

    #[test]
    fn a_typed_secret_never_shows_in_debug_or_as_saved() {
        let r = row("X-Key", "hunter2-secret", true);
        assert!(!format!("{r:?}").contains("hunter2"));
        let (drafts, _) = parse(&[r], &context(&[]));
        assert!(!format!("{drafts:?}").contains("hunter2"));
        assert_eq!(drafts[0].saved().value, None);
        assert!(!serde_json::to_string(&drafts[0].saved())
            .unwrap()
            .contains("hunter2"));
    }
}
