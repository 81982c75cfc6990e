//! Per-field messages for a form, in words that say what to do.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// In the order the form shows them.
pub enum Field {
    AuthMethod,
    Username,
    Password,
    Token,
    Url,
    Enabled,
    SampleEvent,
    /// An API token's name, scope and expiry.
    Name,
    Scope,
    Expiry,
}

impl Field {
    /// The form control's `name`, which is also the suffix of its `id`.
    pub fn name(self) -> &'static str {
        match self {
            Field::AuthMethod => "auth_method",
            Field::Url => "url",
            Field::Username => "username",
            Field::Password => "password",
            Field::Token => "token",
            Field::Enabled => "enabled",
            Field::SampleEvent => "sample_event",
            Field::Name => "name",
            Field::Scope => "scope",
            Field::Expiry => "expiry",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(Vec<(Field, String)>);

impl FieldErrors {
    /// Keeps the first message per field: it is the one to fix first.
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }
}
