//! The Event URL API's bodies: a section as it is read and written, in
//! PortSIP's field names, as the OpenAPI document describes them.

use super::*;

/// How the PBX authenticates to the receiver, in PortSIP's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApiAuth {
    Disable,
    Basic,
    Digest,
    Bearer,
}

impl From<AuthMethod> for ApiAuth {
    fn from(method: AuthMethod) -> Self {
        match method {
            AuthMethod::Disable => ApiAuth::Disable,
            AuthMethod::Basic => ApiAuth::Basic,
            AuthMethod::Digest => ApiAuth::Digest,
            AuthMethod::Bearer => ApiAuth::Bearer,
        }
    }
}

/// One of a section's own request headers, as read: a secret one's value
/// is `null` (write-only).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "X-Env", "value": "prod", "secret": false}))]
pub struct HeaderOut {
    pub name: String,
    pub value: Option<String>,
    pub secret: bool,
}

/// One of a section's own request headers, as written. A secret header's
/// `value` left out (or `null`, or empty) keeps the saved one, while the
/// URL stays the one it was saved with.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "X-Api-Key", "value": "k-2026-12", "secret": true}))]
pub struct HeaderIn {
    /// An RFC 9110 token, not one eventurl sets (`Host`, `Content-Type`,
    /// `Content-Length`, `User-Agent`, `webhook-*`, hop-by-hop headers,
    /// `Authorization` while an `auth` method is set); each name once.
    pub name: String,
    /// One line of printable ASCII, at most 1,024 characters.
    pub value: Option<String>,
    /// Write-only and stored encrypted; `false` when left out.
    #[serde(default)]
    pub secret: bool,
}

impl std::fmt::Debug for HeaderIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = match (&self.value, self.secret) {
            (Some(_), true) => Some("<redacted>"),
            (value, _) => value.as_deref(),
        };
        f.debug_struct("HeaderIn")
            .field("name", &self.name)
            .field("value", &value)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A section as the API shows it: PortSIP's field names, plus what this
/// product adds (read-only). Secrets are never returned.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "section": "cdr",
    "enabled": true,
    "auth": "BEARER",
    "username": "",
    "url": "https://crm.example.com/portsip/cdr",
    "password_set": false,
    "token_set": true,
    "secret_changed_at": "2026-11-20T08:00:00Z",
    "secret_changed_by": "alice",
    "event_types": ["call_cdr"],
    "headers": [
        {"name": "X-Env", "value": "prod", "secret": false},
        {"name": "X-Api-Key", "value": null, "secret": true}
    ],
    "max_concurrency": 8,
    "max_per_second": 50,
    "version": 7,
    "updated_at": "2026-11-28T09:14:03Z",
    "updated_by": "alice"
}))]
pub struct SectionOut {
    pub section: EndpointKind,
    pub enabled: bool,
    pub auth: ApiAuth,
    pub username: String,
    pub url: String,
    pub password_set: bool,
    pub token_set: bool,
    /// RFC 3339, UTC.
    pub secret_changed_at: Option<String>,
    pub secret_changed_by: Option<String>,
    /// The PortSIP event types delivered; `null`: all of the section's.
    /// An event of another type is `filtered`.
    pub event_types: Option<Vec<String>>,
    /// Sent with every delivery attempt and test event, in this order.
    pub headers: Vec<HeaderOut>,
    /// Most requests under way at once to the receiver (1–64).
    pub max_concurrency: u32,
    /// Most requests started in any one second (1–10,000); `null`: no
    /// rate limit.
    pub max_per_second: Option<u32>,
    /// The section's version: its `ETag`, and `If-Match` of a change.
    pub version: i64,
    /// RFC 3339, UTC.
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// Both sections.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "cdr": {
        "section": "cdr", "enabled": true, "auth": "BEARER", "username": "",
        "url": "https://crm.example.com/portsip/cdr", "password_set": false, "token_set": true,
        "secret_changed_at": "2026-11-20T08:00:00Z", "secret_changed_by": "alice",
        "event_types": null, "headers": [{"name": "X-Env", "value": "prod", "secret": false}],
        "max_concurrency": 8, "max_per_second": 50,
        "version": 7, "updated_at": "2026-11-28T09:14:03Z", "updated_by": "alice"
    },
    "extension": {
        "section": "extension", "enabled": false, "auth": "DISABLE", "username": "",
        "url": "", "password_set": false, "token_set": false,
        "secret_changed_at": null, "secret_changed_by": null, "event_types": null, "headers": [],
        "max_concurrency": 8, "max_per_second": null,
        "version": 1, "updated_at": "2026-11-01T12:00:00Z", "updated_by": null
    }
}))]
pub struct BothOut {
    pub cdr: SectionOut,
    pub extension: SectionOut,
}

impl From<&EndpointView> for SectionOut {
    fn from(view: &EndpointView) -> Self {
        let secret = view.secret.as_ref();
        Self {
            section: view.kind,
            enabled: view.enabled,
            auth: view.auth_method.into(),
            username: view.username.clone(),
            url: view.url.clone(),
            password_set: secret.is_some_and(|s| s.kind == SecretKind::Password),
            token_set: secret.is_some_and(|s| s.kind == SecretKind::Token),
            secret_changed_at: secret.map(|s| s.changed_at.clone()),
            secret_changed_by: secret.and_then(|s| s.changed_by.clone()),
            event_types: view.event_types.clone(),
            headers: view
                .headers
                .iter()
                .map(|h| HeaderOut {
                    name: h.name.clone(),
                    value: if h.secret { None } else { h.value.clone() },
                    secret: h.secret,
                })
                .collect(),
            max_concurrency: view.limits.max_concurrency(),
            max_per_second: view.limits.max_per_second(),
            version: view.version,
            updated_at: view.updated_at.clone(),
            updated_by: view.updated_by.clone(),
        }
    }
}

/// A section's settings as sent (PUT here, or PortSIP's object). In a
/// PUT, `auth` is required and a field left out is cleared (`enabled`
/// false), except `password` and `token`: left out or empty, the stored
/// secret is kept while the method still uses it. In PortSIP's
/// `POST /api/tenant`, a field left out keeps its value.
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "enabled": true,
    "auth": "BEARER",
    "url": "https://crm.example.com/portsip/cdr",
    "token": "s3cr3t-rotated-2026-11",
    "event_types": ["call_cdr", "call_start"],
    "headers": [
        {"name": "X-Env", "value": "prod"},
        {"name": "X-Api-Key", "secret": true}
    ],
    "max_concurrency": 4,
    "max_per_second": 50
}))]
pub struct SectionIn {
    pub enabled: Option<bool>,
    /// `DISABLE` | `BASIC` | `DIGEST` | `BEARER` (any case).
    #[schema(value_type = Option<ApiAuth>)]
    pub auth: Option<String>,
    /// For `BASIC` and `DIGEST`.
    pub username: Option<String>,
    /// For `BASIC` and `DIGEST`; write-only.
    pub password: Option<String>,
    /// For `BEARER`; write-only.
    pub token: Option<String>,
    /// Where the PBX posts this section's events (`http://` or
    /// `https://`); required while enabled.
    pub url: Option<String>,
    /// Up to 10 headers of the section's own, sent with every request
    /// (the whole list: in a PUT, left out means none).
    pub headers: Option<Vec<HeaderIn>>,
    /// The PortSIP event types to deliver (at least one, of this
    /// section's), or `null` for all. In a PUT, left out means all.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Option<Option<Vec<String>>>,
    /// Most requests under way at once, 1–64. In a PUT, left out means 8.
    pub max_concurrency: Option<i64>,
    /// Most requests started in any one second, 1–10,000, or `null` for
    /// no rate limit. In a PUT, left out means no rate limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub max_per_second: Option<Option<i64>>,
}

/// A field that may be sent as `null` (meaning something) or left out:
/// `Some(None)` for `null`, `None` when absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl std::fmt::Debug for SectionIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("SectionIn")
            .field("enabled", &self.enabled)
            .field("auth", &self.auth)
            .field("username", &self.username)
            .field("password", &given(&self.password))
            .field("token", &given(&self.token))
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("max_concurrency", &self.max_concurrency)
            .field("max_per_second", &self.max_per_second)
            .field(
                "headers",
                &self
                    .headers
                    .as_ref()
                    .map(|headers| headers.iter().map(|h| h.name.as_str()).collect::<Vec<_>>()),
            )
            .finish()
    }
}

impl SectionIn {
    /// The tab's form for these settings at `version`: what is left out
    /// is taken from `base` (PortSIP's update), or cleared (a PUT, with
    /// `base` None). An empty or absent secret keeps the stored one.
    pub fn to_form(
        &self,
        kind: EndpointKind,
        version: i64,
        base: Option<&EndpointView>,
    ) -> EndpointForm {
        let auth_method = match (&self.auth, base) {
            (Some(auth), _) => auth.trim().to_ascii_lowercase(),
            (None, Some(base)) => base.auth_method.as_str().to_owned(),
            (None, None) => AuthMethod::Disable.as_str().to_owned(),
        };
        let or_base =
            |sent: &Option<String>, saved: fn(&EndpointView) -> &String| match (sent, base) {
                (Some(value), _) => value.clone(),
                (None, Some(base)) => saved(base).clone(),
                (None, None) => String::new(),
            };
        let enabled = self
            .enabled
            .unwrap_or_else(|| base.is_some_and(|b| b.enabled));
        let (event_filter, event_types) = match (&self.event_types, base) {
            (Some(None), _) | (None, None) => crate::domain::event_types_fields(&None),
            (Some(Some(types)), _) => (
                "some".to_owned(),
                types.iter().map(|t| (t.clone(), "on".to_owned())).collect(),
            ),
            (None, Some(base)) => crate::domain::event_types_fields(&base.event_types),
        };
        let base_limits = base.map(|b| b.limits.fields());
        let max_concurrency = match (self.max_concurrency, &base_limits) {
            (Some(n), _) => n.to_string(),
            (None, Some((kept, _))) => kept.clone(),
            (None, None) => String::new(),
        };
        let max_per_second = match (self.max_per_second, &base_limits) {
            (Some(n), _) => n.map(|n| n.to_string()).unwrap_or_default(),
            (None, Some((_, kept))) => kept.clone(),
            (None, None) => String::new(),
        };
        EndpointForm {
            max_concurrency,
            max_per_second,
            kind: kind.as_str().to_owned(),
            auth_method,
            url: or_base(&self.url, |b| &b.url),
            username: or_base(&self.username, |b| &b.username),
            password: self.password.clone().unwrap_or_default(),
            token: self.token.clone().unwrap_or_default(),
            enabled: enabled.then(|| "on".to_owned()),
            event_filter,
            event_types,
            headers: match (&self.headers, base) {
                (Some(sent), _) => sent
                    .iter()
                    .map(|h| HeaderInput {
                        name: h.name.clone(),
                        value: h.value.clone().unwrap_or_default(),
                        secret: h.secret.then(|| "on".to_owned()),
                    })
                    .collect(),
                (None, Some(base)) => base.headers.iter().map(SavedHeader::to_input).collect(),
                (None, None) => Vec::new(),
            },
            version: version.to_string(),
        }
    }
}
