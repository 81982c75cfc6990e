//! What a test send reports to the admin, in the PBX's terms. Built on the
//! server, shown by the browser; it never holds a secret.

use serde::{Deserialize, Serialize};

pub use crate::domain::Verdict;
use crate::domain::{AuthMethod, EndpointKind, SampleEvent};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub method: String,
    pub url: String,
    /// `Authorization` is redacted.
    pub headers: Vec<(String, String)>,
    /// The JSON body, pretty-printed.
    pub body: String,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseView {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// The first 4 KB; shown as text, never as HTML.
    pub body: String,
    pub body_truncated: bool,
    pub remote_addr: Option<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": 12,
    "kind": "cdr",
    "event": "call_cdr",
    "sent_at": "2026-11-28T09:14:03Z",
    "sent_by": "alice",
    "auth_method": "bearer",
    "verdict": "delivered",
    "summary": "The receiver answered 200 OK in 41 ms: the PBX would count this event as delivered.",
    "help": [],
    "duration_ms": 41,
    "duration_us": 41230,
    "digest_ms": null,
    "digest_note": null,
    "request": {
        "method": "POST",
        "url": "https://crm.example.com/portsip/cdr",
        "headers": [["content-type", "application/json"], ["authorization", "Bearer ••••"]],
        "body": "{\n  \"event_type\": \"call_cdr\"\n}"
    },
    "response": {
        "status": 200,
        "reason": "OK",
        "headers": [["content-type", "text/plain"]],
        "body": "ok",
        "body_truncated": false,
        "remote_addr": "198.51.100.20:443"
    }
})))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub id: i32,
    pub kind: EndpointKind,
    pub event: SampleEvent,
    /// RFC 3339, UTC.
    pub sent_at: String,
    pub sent_by: String,
    pub auth_method: AuthMethod,
    pub verdict: Verdict,
    /// One sentence: what happened and what the PBX would do.
    pub summary: String,
    /// What to fix, when something is wrong.
    pub help: Vec<String>,
    pub duration_ms: u64,
    /// The same, to the microsecond (for the benchmark's comparison with
    /// curl; reports stored before it existed read 0).
    #[serde(default)]
    pub duration_us: u64,
    /// The Digest challenge round, timed on its own.
    pub digest_ms: Option<u64>,
    /// Which Digest challenge was answered, or why none could be.
    pub digest_note: Option<String>,
    pub request: RequestView,
    pub response: Option<ResponseView>,
}

impl TestReport {
    /// "200 OK", or the verdict when nothing came back.
    pub fn status_text(&self) -> String {
        match &self.response {
            Some(r) => format!("{} {}", r.status, r.reason).trim().to_owned(),
            None => "no response".to_owned(),
        }
    }
}

/// A test send posted without JavaScript: the form as typed (secrets left
/// out) and the report, or why it was not sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEcho {
    pub kind: EndpointKind,
    pub form: crate::domain::EndpointForm,
    pub sample_event: String,
    pub report: Option<TestReport>,
    pub errors: crate::domain::FieldErrors,
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_200_is_delivered_and_only_404_stops_retries() {
        assert_eq!(Verdict::of_status(200), Verdict::Delivered);
        assert_eq!(Verdict::of_status(404), Verdict::StopRetrying);
        for status in [
            201, 202, 204, 301, 302, 400, 401, 403, 410, 429, 500, 502, 503,
        ] {
            assert_eq!(Verdict::of_status(status), Verdict::Retry, "{status}");
        }
        for v in [
            Verdict::Delivered,
            Verdict::StopRetrying,
            Verdict::Retry,
            Verdict::NotSent,
        ] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }
}
