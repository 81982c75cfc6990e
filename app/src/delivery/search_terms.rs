//! What a tenant can find its events by on the Deliveries tab, besides the
//! event id: the call id and the extension numbers an event names. Bodies
//! are encrypted, so these are kept as keyed hashes (`event_refs`), looked
//! up by the same hash of what the admin typed: exact matches only.

use serde_json::{Map, Value};

/// Most terms kept for one event.
const MOST: usize = 8;

/// The terms of a PortSIP event: `call:<call_id>`, and `ext:<number>` for
/// its caller, callee and extension (SIP URIs reduced to their user part,
/// `sip:101@test.io` → `101`), including each extension of a status list.
pub fn of_event(fields: &Map<String, Value>) -> Vec<String> {
    let mut terms = Vec::new();
    if let Some(call_id) = fields.get("call_id").and_then(Value::as_str) {
        if !call_id.is_empty() {
            terms.push(format!("call:{call_id}"));
        }
    }
    let mut extension = |value: Option<&Value>| {
        if let Some(number) = value.and_then(Value::as_str).and_then(extension_number) {
            let term = format!("ext:{number}");
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    };
    for field in ["caller", "callee", "extension"] {
        extension(fields.get(field));
    }
    if let Some(Value::Array(list)) = fields.get("status") {
        for item in list {
            extension(item.get("extension"));
        }
    }
    terms.truncate(MOST);
    terms
}

/// The terms to look up for what the admin typed: a call id, or an
/// extension number (or its SIP URI).
pub fn of_query(query: &str) -> Vec<String> {
    let query = query.trim();
    let mut terms = vec![format!("call:{query}")];
    if let Some(number) = extension_number(query) {
        terms.push(format!("ext:{number}"));
    }
    terms
}

/// `sip:101@test.io` → `101`; `101` → `101`.
fn extension_number(value: &str) -> Option<&str> {
    let value = value.trim();
    let user = value
        .strip_prefix("sip:")
        .or_else(|| value.strip_prefix("sips:"))
        .unwrap_or(value);
    let user = user.split('@').next().unwrap_or_default();
    (!user.is_empty() && user.len() <= 64).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_call_names_its_call_id_and_both_extensions() {
        let terms = of_event(&fields(
            r#"{"event_type":"call_start","call_id":"Q0sX..","caller":"sip:101@test.io","callee":"sip:102@test.io"}"#,
        ));
        assert_eq!(terms, ["call:Q0sX..", "ext:101", "ext:102"]);
    }

    #[test]
    fn an_extension_status_names_every_extension_once() {
        let terms = of_event(&fields(
            r#"{"event_type":"extension_status","status":[{"extension":"sip:101@t"},{"extension":"sip:102@t"},{"extension":"sip:101@t"}]}"#,
        ));
        assert_eq!(terms, ["ext:101", "ext:102"]);
    }

    #[test]
    fn what_is_typed_matches_the_same_terms() {
        assert_eq!(of_query(" 101 "), ["call:101", "ext:101"]);
        assert_eq!(
            of_query("sip:101@test.io"),
            ["call:sip:101@test.io", "ext:101"]
        );
        assert!(of_event(&fields(r#"{"event_type":"x","call_id":""}"#)).is_empty());
    }
}
