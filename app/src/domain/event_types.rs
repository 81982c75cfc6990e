//! Which of its event types a section delivers: all of them (the default),
//! or a subset chosen from PortSIP's list for that section. An event of a
//! type left out is *filtered*: recorded, never attempted.

use super::{
    endpoint::EndpointKind,
    field_errors::{Field, FieldErrors},
};
use std::collections::BTreeMap;

/// PortSIP's CDR events (sent to the CDR URL), with what each is.
pub const CDR_EVENT_TYPES: [(&str, &str); 9] = [
    ("call_start", "a call starts"),
    ("call_update_info", "a call's details change"),
    ("cdr_target_add", "a call reaches an endpoint"),
    ("cdr_target_ringing", "an endpoint rings"),
    ("cdr_target_answer", "an endpoint answers"),
    ("cdr_target_noanswer", "an endpoint does not answer"),
    ("cdr_target_fail", "an endpoint fails"),
    ("cdr_target_end", "an endpoint's leg ends"),
    ("call_cdr", "the call detail record, when a call ends"),
];

/// PortSIP's extension events (sent to the Event URL).
pub const EXTENSION_EVENT_TYPES: [(&str, &str); 8] = [
    ("extension_call", "an extension's call status"),
    ("extension_presence", "an extension's presence"),
    ("extension_status", "extensions online or offline"),
    ("extension_agent_status", "an agent's status in its queues"),
    ("queue_status", "a queue's callers and agents"),
    ("queue_caller_status", "callers joining or leaving a queue"),
    ("queue_agent_status", "agents of a queue changing"),
    ("queue_sla_breached", "a queue's service level breached"),
];

impl EndpointKind {
    /// PortSIP's event types of this section, with what each is.
    pub fn event_types(self) -> &'static [(&'static str, &'static str)] {
        match self {
            EndpointKind::Cdr => &CDR_EVENT_TYPES,
            EndpointKind::Extension => &EXTENSION_EVENT_TYPES,
        }
    }
}

/// The form's choice as typed: `filter` is `all` (or empty) or `some`;
/// `ticked` holds a box per type ticked (`event_types[call_cdr]=on`).
#[derive(Clone, Copy, Debug)]
pub struct EventTypesInput<'a> {
    pub filter: &'a str,
    pub ticked: &'a BTreeMap<String, String>,
}

/// What a section delivers: `None` all its types, else these (in
/// PortSIP's order, each once, at least one).
pub type EventTypes = Option<Vec<String>>;

/// The choice as a section's delivered types, or a message by
/// `Field::EventTypes`.
pub fn parse_event_types(
    kind: EndpointKind,
    input: EventTypesInput<'_>,
    errors: &mut FieldErrors,
) -> EventTypes {
    match input.filter {
        "" | "all" => return None,
        "some" => {}
        _ => {
            errors.add(
                Field::EventTypes,
                "Choose all event types, or only the ones ticked.",
            );
            return None;
        }
    }
    let known = kind.event_types();
    if let Some(unknown) = input
        .ticked
        .keys()
        .find(|t| !known.iter().any(|(name, _)| name == t))
    {
        errors.add(
            Field::EventTypes,
            format!(
                "{unknown} is not one of PortSIP's {} types: use {}.",
                kind.title(),
                known
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    }
    let chosen: Vec<String> = known
        .iter()
        .filter(|(name, _)| input.ticked.contains_key(*name))
        .map(|(name, _)| (*name).to_owned())
        .collect();
    if chosen.is_empty() {
        errors.add(
            Field::EventTypes,
            "Tick at least one event type, or choose all of them.",
        );
        return None;
    }
    Some(chosen)
}

/// The form's fields (`event_filter`, the ticked boxes) for what is saved.
pub fn event_types_fields(saved: &EventTypes) -> (String, BTreeMap<String, String>) {
    match saved {
        None => ("all".to_owned(), BTreeMap::new()),
        Some(types) => (
            "some".to_owned(),
            types.iter().map(|t| (t.clone(), "on".to_owned())).collect(),
        ),
    }
}

/// Whether a section delivering `selected` delivers events of `event_type`.
pub fn delivers(selected: &EventTypes, event_type: &str) -> bool {
    selected
        .as_ref()
        .is_none_or(|types| types.iter().any(|t| t == event_type))
}

/// For people: `all` or the chosen names.
pub fn describe(selected: &EventTypes) -> String {
    match selected {
        None => "all".to_owned(),
        Some(types) => types.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(filter: &str, types: &[&str]) -> (String, BTreeMap<String, String>) {
        (
            filter.into(),
            types.iter().map(|t| ((*t).into(), "on".into())).collect(),
        )
    }

    fn parse(
        kind: EndpointKind,
        (filter, ticked): &(String, BTreeMap<String, String>),
    ) -> Result<EventTypes, FieldErrors> {
        let mut errors = FieldErrors::default();
        let input = EventTypesInput { filter, ticked };
        let parsed = parse_event_types(kind, input, &mut errors);
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }

    #[test]
    fn all_by_default_and_a_subset_in_portsips_order() {
        assert_eq!(parse(EndpointKind::Cdr, &input("", &[])), Ok(None));
        assert_eq!(
            parse(EndpointKind::Cdr, &input("all", &["call_cdr"])),
            Ok(None),
            "ticked boxes do not matter while all are chosen"
        );
        assert_eq!(
            parse(
                EndpointKind::Cdr,
                &input("some", &["call_cdr", "call_start"])
            ),
            Ok(Some(vec!["call_start".into(), "call_cdr".into()]))
        );
    }

    #[test]
    fn a_subset_names_known_types_of_its_own_section_and_at_least_one() {
        for (kind, types) in [
            (EndpointKind::Cdr, vec!["queue_status"]),
            (EndpointKind::Extension, vec!["call_cdr"]),
            (EndpointKind::Cdr, vec!["CALL_CDR"]),
            (EndpointKind::Cdr, vec![]),
        ] {
            let errors = parse(kind, &input("some", &types)).unwrap_err();
            assert!(errors.get(Field::EventTypes).is_some(), "{types:?}");
        }
        assert!(parse(EndpointKind::Cdr, &input("most", &[])).is_err());
    }

    #[test]
    fn what_is_delivered_and_how_it_reads_back() {
        let some = Some(vec!["call_cdr".to_owned()]);
        assert!(delivers(&None, "cdr_target_add"));
        assert!(delivers(&some, "call_cdr"));
        assert!(!delivers(&some, "call_start"));
        assert_eq!(
            parse(EndpointKind::Cdr, &event_types_fields(&some)),
            Ok(some.clone())
        );
        assert_eq!(
            parse(EndpointKind::Cdr, &event_types_fields(&None)),
            Ok(None)
        );
        assert_eq!(describe(&some), "call_cdr");
        assert_eq!(describe(&None), "all");
    }
}
