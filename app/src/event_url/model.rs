//! What the Event URL tab shows and exchanges with the server. Secrets
//! travel only from the browser to the server, never back: a view says
//! whether a secret is set and when it changed, not what it is.

use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        AuthMethod, DeliveryAlert, EndpointForm, EndpointKind, EndpointLimits, EndpointUrl,
        EventTypes, FieldErrors, SavedHeader, SavedSection, SecretKind, SigningGrace, StoredSecret,
    },
    test_event::TestReport,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretStatus {
    pub kind: SecretKind,
    /// RFC 3339, UTC.
    pub changed_at: String,
    pub changed_by: Option<String>,
    /// Whole days since it changed: over `ROTATE_AFTER_DAYS`, rotation is due.
    pub age_days: i64,
}

/// A secret older than this is flagged for rotation.
pub const ROTATE_AFTER_DAYS: i64 = 90;

/// One endpoint as saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub kind: EndpointKind,
    pub auth_method: AuthMethod,
    pub url: String,
    pub username: String,
    pub enabled: bool,
    /// RFC 3339, UTC: when delivery was last turned on or off.
    pub enabled_since: Option<String>,
    pub secret: Option<SecretStatus>,
    /// RFC 3339, UTC.
    pub updated_at: String,
    pub updated_by: Option<String>,
    pub version: i64,
    /// Failing, or paused automatically (with when, RFC 3339 UTC).
    pub alert: Option<DeliveryAlert>,
    pub alert_since: Option<String>,
    pub signing: SigningStatus,
    /// The custom headers (a secret one without its value).
    pub headers: Vec<SavedHeader>,
    /// The event types delivered; `None`: all of the section's.
    pub event_types: EventTypes,
    /// Most requests at once, and a second, to the receiver.
    pub limits: EndpointLimits,
}

/// A section's signing secret as the tab shows it: never the secret (an
/// administrator reveals it on purpose), only when it last changed and,
/// during a rotation's grace, until when the previous one also signs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningStatus {
    /// RFC 3339, UTC; `None`: never rotated.
    pub rotated_at: Option<String>,
    /// RFC 3339, UTC.
    pub previous_until: Option<String>,
}

/// A signing-secret form's answer, shown on the page: the secret (revealed
/// or new), the rotation's question, or why it was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningEcho {
    pub kind: EndpointKind,
    /// The secret, shown once on this page.
    pub secret: Option<String>,
    /// Rotated: until when the old secret also signs (RFC 3339 UTC).
    pub rotated: bool,
    pub previous_until: Option<String>,
    /// Asked to rotate: the grace chosen, to be confirmed.
    pub confirm_grace: Option<SigningGrace>,
    pub message: Option<String>,
}

impl SigningEcho {
    /// Nothing to show yet for `kind`'s section.
    pub fn of(kind: EndpointKind) -> Self {
        Self {
            kind,
            secret: None,
            rotated: false,
            previous_until: None,
            confirm_grace: None,
            message: None,
        }
    }
}

impl EndpointView {
    /// The saved secret, bound to the saved URL.
    pub fn stored_secret(&self) -> Option<StoredSecret> {
        self.secret.as_ref().map(|s| StoredSecret {
            kind: s.kind,
            destination: EndpointUrl::parse(&self.url).ok().map(|u| u.destination()),
        })
    }

    /// What an empty field of this section's form keeps.
    pub fn saved(&self) -> SavedSection {
        SavedSection {
            secret: self.stored_secret(),
            headers: self.headers.clone(),
            destination: EndpointUrl::parse(&self.url).ok().map(|u| u.destination()),
        }
    }

    /// Where the saved secret may be sent, for the hint by its field.
    pub fn secret_destination(&self) -> Option<String> {
        EndpointUrl::parse(&self.url)
            .ok()
            .map(|u| u.destination().to_string())
    }

    /// The form as it stands for this saved endpoint, secret fields empty.
    pub fn to_form(&self) -> EndpointForm {
        let (event_filter, event_types) = crate::domain::event_types_fields(&self.event_types);
        let (max_concurrency, max_per_second) = self.limits.fields();
        EndpointForm {
            max_concurrency,
            max_per_second,
            event_filter,
            event_types,
            kind: self.kind.as_str().to_owned(),
            auth_method: self.auth_method.as_str().to_owned(),
            url: self.url.clone(),
            username: self.username.clone(),
            password: String::new(),
            token: String::new(),
            enabled: self.enabled.then(|| "on".to_owned()),
            headers: self.headers.iter().map(SavedHeader::to_input).collect(),
            version: self.version.to_string(),
        }
    }
}

/// A save posted without JavaScript that was refused: what was typed
/// (secrets left out) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveEcho {
    pub kind: EndpointKind,
    pub form: EndpointForm,
    pub errors: FieldErrors,
    pub message: String,
    /// Refused because someone saved first: the page offers a reload.
    #[serde(default)]
    pub conflict: bool,
}

/// What happened to a section's events lately, for its header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySummary {
    pub delivered_24h: u64,
    pub given_up_24h: u64,
    pub skipped_24h: u64,
    #[serde(default)]
    pub filtered_24h: u64,
    pub retrying: u64,
    /// CDR events held while paused (all of them, not only 24 hours').
    pub held: u64,
    /// RFC 3339, UTC.
    pub last_attempt_at: Option<String>,
    /// The last attempt's answer; `None`: no answer (time-out, refused…).
    pub last_status: Option<u16>,
}

/// One hour of a section's attempts, for its 24-hour chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCount {
    /// The hour's start, RFC 3339 UTC.
    pub hour: String,
    pub delivered: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventUrlData {
    pub tenant_name: String,
    pub admin_username: String,
    pub cdr: EndpointView,
    pub extension: EndpointView,
    /// Recent test sends per section, newest first.
    pub cdr_tests: Vec<TestReport>,
    pub extension_tests: Vec<TestReport>,
    pub cdr_deliveries: DeliverySummary,
    pub extension_deliveries: DeliverySummary,
    /// The last 24 hours, oldest first, one entry an hour.
    pub cdr_hours: Vec<HourCount>,
    pub extension_hours: Vec<HourCount>,
}

impl EventUrlData {
    pub fn deliveries(&self, kind: EndpointKind) -> &DeliverySummary {
        match kind {
            EndpointKind::Cdr => &self.cdr_deliveries,
            EndpointKind::Extension => &self.extension_deliveries,
        }
    }

    pub fn hours(&self, kind: EndpointKind) -> &[HourCount] {
        match kind {
            EndpointKind::Cdr => &self.cdr_hours,
            EndpointKind::Extension => &self.extension_hours,
        }
    }

    pub fn endpoint(&self, kind: EndpointKind) -> &EndpointView {
        match kind {
            EndpointKind::Cdr => &self.cdr,
            EndpointKind::Extension => &self.extension,
        }
    }

    pub fn tests(&self, kind: EndpointKind) -> &[TestReport] {
        match kind {
            EndpointKind::Cdr => &self.cdr_tests,
            EndpointKind::Extension => &self.extension_tests,
        }
    }
}
