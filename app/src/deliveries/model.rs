//! What the Deliveries pages show, built on the server, read by the
//! browser. No secret is ever part of it (`Authorization` is redacted
//! before an attempt is stored).

use serde::{Deserialize, Serialize};

use crate::domain::{EndpointKind, EventState};

/// Events a page.
pub const PAGE_SIZE: u64 = 50;

/// The filters, as they stand in the URL (every field may be empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFilters {
    pub section: String,
    pub state: String,
    pub event_type: String,
    /// `YYYY-MM-DDTHH:MM` (UTC) or RFC 3339.
    pub from: String,
    pub to: String,
    /// An event id, a call id or an extension number.
    pub q: String,
}

impl DeliveryFilters {
    /// The query string of these filters (no leading `?`), URL-encoded.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("section", &self.section),
            ("state", &self.state),
            ("type", &self.event_type),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        }
        parts.join("&")
    }

    pub fn is_empty(&self) -> bool {
        self.query().is_empty()
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One event in the list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    /// The PBX's `event_id` (or the one given at hand-in).
    pub uid: String,
    /// When it was handed in, RFC 3339 UTC.
    pub created_at: String,
    pub section: EndpointKind,
    pub event_type: String,
    pub state: EventState,
    pub attempts: i32,
    pub last_status: Option<i32>,
    /// When it is tried next (pending only), RFC 3339 UTC.
    pub next_attempt_at: Option<String>,
}

/// A page of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveriesData {
    pub tenant_name: String,
    pub admin_username: String,
    pub filters: DeliveryFilters,
    /// What is wrong with the filters (the list is not shown then).
    pub filter_errors: Vec<String>,
    pub rows: Vec<DeliveryRow>,
    /// Cursor of the next (older) page, if there is one.
    pub older: Option<String>,
    /// Cursor of the previous (newer) page, if this is not the first.
    pub newer: Option<String>,
    /// With a section and `given_up` chosen: that all of them can be
    /// redelivered (the confirmation page counts them).
    pub bulk_redeliver: bool,
    /// After a redelivery: how many were asked for.
    pub redelivered: Option<u64>,
}

/// One attempt, as the event page shows it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempted_at: String,
    pub url: String,
    pub auth_method: String,
    pub duration_ms: i64,
    pub status: Option<i32>,
    /// `delivered`, `retry` or `given_up`.
    pub outcome: String,
    pub manual: bool,
    /// The verdict in the PBX's terms.
    pub verdict: String,
    pub error: Option<String>,
    pub help: Vec<String>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
}

/// One event with its body and attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub tenant_name: String,
    pub admin_username: String,
    pub row: DeliveryRow,
    /// Pretty-printed JSON.
    pub body: String,
    pub attempts: Vec<AttemptView>,
    /// Why it cannot be redelivered now, if it cannot.
    pub redeliver_refused: Option<String>,
    /// After a redelivery was asked for.
    pub redelivered: bool,
}

/// What a redelivery is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedeliveryTarget {
    Event {
        id: i64,
        uid: String,
    },
    /// A section's events of one state (given up, filtered, skipped) in a
    /// time range: a replay job.
    Replay {
        section: EndpointKind,
        state: EventState,
        from: String,
        to: String,
    },
}

/// A bulk replay and its progress: of `total` events, `sent` have had
/// their new attempt (`delivered` and `failed`), `waiting` not yet.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": 7, "section": "cdr", "state": "given_up",
    "from": "2026-11-28T00:00:00Z", "to": "2026-11-29T00:00:00Z",
    "total": 1200, "sent": 450, "delivered": 440, "failed": 10, "waiting": 750,
    "done": false, "created_by": "alice", "created_at": "2026-11-29T08:00:00Z",
    "finished_at": null
})))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayView {
    pub id: i32,
    pub section: EndpointKind,
    /// The state the events were in: `given_up`, `filtered` or `skipped`.
    pub state: String,
    /// The range of hand-in times, RFC 3339 UTC (`from` none: the first).
    pub from: Option<String>,
    pub to: String,
    pub total: u64,
    pub sent: u64,
    pub delivered: u64,
    /// Given up again (one attempt each), or held or skipped because the
    /// section was paused meanwhile.
    pub failed: u64,
    pub waiting: u64,
    /// None is waiting any more.
    pub done: bool,
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// The replay page: the replay, and whose page it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayPage {
    pub tenant_name: String,
    pub admin_username: String,
    pub replay: ReplayView,
}

/// The confirmation page of a redelivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeliveryPlan {
    pub tenant_name: String,
    pub admin_username: String,
    pub target: RedeliveryTarget,
    /// How many events it would send again.
    pub count: u64,
    /// Where to (the section's URL now).
    pub url: Option<String>,
    /// Why not, when it is refused.
    pub refused: Option<String>,
}
