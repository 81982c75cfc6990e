//! The sample events a test send can carry: the PBX's own event types, per
//! section (PortSIP posts CDR events to the CDR URL and extension and queue
//! events to the Event URL).

use super::endpoint::EndpointKind;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleEvent {
    CallCdr,
    CallStart,
    ExtensionCall,
    ExtensionPresence,
    ExtensionStatus,
    QueueStatus,
}

impl SampleEvent {
    pub const ALL: [SampleEvent; 6] = [
        SampleEvent::CallCdr,
        SampleEvent::CallStart,
        SampleEvent::ExtensionCall,
        SampleEvent::ExtensionPresence,
        SampleEvent::ExtensionStatus,
        SampleEvent::QueueStatus,
    ];

    /// The PBX's `event_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SampleEvent::CallCdr => "call_cdr",
            SampleEvent::CallStart => "call_start",
            SampleEvent::ExtensionCall => "extension_call",
            SampleEvent::ExtensionPresence => "extension_presence",
            SampleEvent::ExtensionStatus => "extension_status",
            SampleEvent::QueueStatus => "queue_status",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SampleEvent::CallCdr => "call_cdr: a call's final record",
            SampleEvent::CallStart => "call_start: a call begins",
            SampleEvent::ExtensionCall => "extension_call: call status",
            SampleEvent::ExtensionPresence => "extension_presence: presence",
            SampleEvent::ExtensionStatus => "extension_status: online/offline",
            SampleEvent::QueueStatus => "queue_status: queue status",
        }
    }

    /// The section whose URL receives this event type.
    pub fn kind(self) -> EndpointKind {
        match self {
            SampleEvent::CallCdr | SampleEvent::CallStart => EndpointKind::Cdr,
            SampleEvent::ExtensionCall
            | SampleEvent::ExtensionPresence
            | SampleEvent::ExtensionStatus
            | SampleEvent::QueueStatus => EndpointKind::Extension,
        }
    }

    /// The events of one section, the usual one first.
    pub fn for_kind(kind: EndpointKind) -> impl Iterator<Item = SampleEvent> {
        Self::ALL.into_iter().filter(move |e| e.kind() == kind)
    }

    pub fn default_for(kind: EndpointKind) -> SampleEvent {
        match kind {
            EndpointKind::Cdr => SampleEvent::CallCdr,
            EndpointKind::Extension => SampleEvent::ExtensionCall,
        }
    }

    /// An event type of this section, or `None`.
    pub fn parse(kind: EndpointKind, input: &str) -> Option<SampleEvent> {
        Self::for_kind(kind).find(|e| e.as_str() == input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_section_offers_only_its_own_events() {
        let cdr: Vec<_> = SampleEvent::for_kind(EndpointKind::Cdr)
            .map(SampleEvent::as_str)
            .collect();
        assert_eq!(cdr, ["call_cdr", "call_start"]);
        let ext: Vec<_> = SampleEvent::for_kind(EndpointKind::Extension)
            .map(SampleEvent::as_str)
            .collect();
        assert_eq!(
            ext,
            [
                "extension_call",
                "extension_presence",
                "extension_status",
                "queue_status"
            ]
        );
        assert_eq!(SampleEvent::parse(EndpointKind::Cdr, "queue_status"), None);
        assert_eq!(
            SampleEvent::parse(EndpointKind::Extension, "queue_status"),
            Some(SampleEvent::QueueStatus)
        );
        for kind in EndpointKind::ALL {
            assert_eq!(SampleEvent::default_for(kind).kind(), kind);
        }
    }
}
