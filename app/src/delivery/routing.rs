//! Which endpoint an event goes to, by its `event_type` (PortSIP's names).

use super::rules::SectionNow;
use crate::domain::EndpointKind;

/// Where a tenant's events of one section go, as its endpoint row says at
/// hand-in: of a type it does not deliver, filtered; enabled with a URL,
/// due; paused (CDR, with a URL), held; otherwise skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub section: EndpointKind,
    pub enabled: bool,
    pub has_url: bool,
    /// The types it delivers (`None`: all).
    pub event_types: crate::domain::EventTypes,
}

impl Route {
    /// The section as the rules read it.
    pub fn section_now(&self) -> SectionNow {
        SectionNow {
            has_url: self.has_url,
            enabled: self.enabled,
        }
    }
}

/// CDR-side types go to the CDR URL; extension and queue types to the
/// Event URL; anything else is not a PortSIP event we deliver.
pub fn section_of(event_type: &str) -> Option<EndpointKind> {
    match event_type {
        "call_cdr" | "call_start" | "call_update_info" => Some(EndpointKind::Cdr),
        t if t.starts_with("cdr_target_") && t.len() > "cdr_target_".len() => {
            Some(EndpointKind::Cdr)
        }
        t if (t.starts_with("extension_") && t.len() > "extension_".len())
            || (t.starts_with("queue_") && t.len() > "queue_".len()) =>
        {
            Some(EndpointKind::Extension)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portsip_event_types_are_routed_to_their_section() {
        for t in [
            "call_cdr",
            "call_start",
            "call_update_info",
            "cdr_target_add",
            "cdr_target_end",
        ] {
            assert_eq!(section_of(t), Some(EndpointKind::Cdr), "{t}");
        }
        for t in [
            "extension_call",
            "extension_presence",
            "extension_status",
            "queue_status",
        ] {
            assert_eq!(section_of(t), Some(EndpointKind::Extension), "{t}");
        }
        for kind in EndpointKind::ALL {
            for (t, _) in kind.event_types() {
                assert_eq!(section_of(t), Some(kind), "PortSIP's list: {t}");
            }
        }
        for t in [
            "",
            "call",
            "extension_",
            "cdr_target_",
            "CALL_CDR",
            "sms_in",
        ] {
            assert_eq!(section_of(t), None, "{t}");
        }
    }
}
