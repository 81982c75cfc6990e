//! What the PBX makes of a receiver's answer, in PortSIP's terms: the
//! verdict a test send reports and a delivery attempt records.

use serde::{Deserialize, Serialize};

/// What the PBX would make of the receiver's answer (PortSIP: only 200 is
/// delivered, 404 stops retries, anything else is retried).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Delivered,
    StopRetrying,
    Retry,
    /// Refused before sending (a blocked address).
    NotSent,
}

impl Verdict {
    pub fn of_status(status: u16) -> Verdict {
        match status {
            200 => Verdict::Delivered,
            404 => Verdict::StopRetrying,
            _ => Verdict::Retry,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::StopRetrying => "stop_retrying",
            Verdict::Retry => "retry",
            Verdict::NotSent => "not_sent",
        }
    }

    pub fn parse(input: &str) -> Option<Verdict> {
        [
            Verdict::Delivered,
            Verdict::StopRetrying,
            Verdict::Retry,
            Verdict::NotSent,
        ]
        .into_iter()
        .find(|v| v.as_str() == input)
    }

    /// The headline the admin reads first.
    pub fn title(self) -> &'static str {
        match self {
            Verdict::Delivered => "Delivered",
            Verdict::StopRetrying => "Not delivered: the PBX would stop retrying",
            Verdict::Retry => "Not delivered: the PBX would retry",
            Verdict::NotSent => "Not sent",
        }
    }
}
