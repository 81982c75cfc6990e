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
    /// Which event types the section delivers.
    EventTypes,
    /// The custom headers as a whole (too many).
    Headers,
    /// Row `i` of the custom headers: its name or value.
    Header(u8, HeaderPart),
    /// The section's limits on its receiver.
    MaxConcurrency,
    MaxPerSecond,
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
            Field::Headers => "headers",
            Field::EventTypes => "event_types",
            Field::MaxConcurrency => "max_concurrency",
            Field::MaxPerSecond => "max_per_second",
            Field::Header(i, part) => {
                let names = match part {
                    HeaderPart::Name => &HEADER_NAME_IDS,
                    HeaderPart::Value => &HEADER_VALUE_IDS,
                };
                names.get(usize::from(i)).copied().unwrap_or("headers")
            }
        }
    }

    /// The field in the REST API's objects (`headers[2].value`).
    pub fn api_name(self) -> &'static str {
        match self {
            Field::AuthMethod => "auth",
            Field::Header(i, part) => {
                let names = match part {
                    HeaderPart::Name => &HEADER_NAME_API,
                    HeaderPart::Value => &HEADER_VALUE_API,
                };
                names.get(usize::from(i)).copied().unwrap_or("headers")
            }
            other => other.name(),
        }
    }
}

/// Which control of a custom header's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderPart {
    Name,
    Value,
}

/// Written out once (`Field::name` is `&'static`): the id suffixes of the
/// header rows' controls, and their names in the API.
static HEADER_NAME_IDS: [&str; 10] = [
    "header_0_name",
    "header_1_name",
    "header_2_name",
    "header_3_name",
    "header_4_name",
    "header_5_name",
    "header_6_name",
    "header_7_name",
    "header_8_name",
    "header_9_name",
];
static HEADER_VALUE_IDS: [&str; 10] = [
    "header_0_value",
    "header_1_value",
    "header_2_value",
    "header_3_value",
    "header_4_value",
    "header_5_value",
    "header_6_value",
    "header_7_value",
    "header_8_value",
    "header_9_value",
];
static HEADER_NAME_API: [&str; 10] = [
    "headers[0].name",
    "headers[1].name",
    "headers[2].name",
    "headers[3].name",
    "headers[4].name",
    "headers[5].name",
    "headers[6].name",
    "headers[7].name",
    "headers[8].name",
    "headers[9].name",
];
static HEADER_VALUE_API: [&str; 10] = [
    "headers[0].value",
    "headers[1].value",
    "headers[2].value",
    "headers[3].value",
    "headers[4].value",
    "headers[5].value",
    "headers[6].value",
    "headers[7].value",
    "headers[8].value",
    "headers[9].value",
];

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
