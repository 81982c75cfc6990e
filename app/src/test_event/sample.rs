//! Sample events shaped like PortSIP's (see `shared/portsip/README.md`):
//! the documented fields only, times as Unix-second strings, ids as fresh
//! numeric strings, the tenant's own id and name.

use rand::Rng;
use serde_json::{json, Value};

use crate::domain::SampleEvent;

/// Whose event this is.
#[derive(Clone, Debug)]
pub struct SampleTenant {
    pub id: i32,
    pub name: String,
}

impl SampleTenant {
    /// A SIP domain for the sample's addresses, from the tenant's name.
    fn domain(&self) -> String {
        let slug: String = self
            .name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let slug = slug
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        if slug.is_empty() {
            "pbx.example".to_owned()
        } else {
            format!("{slug}.example")
        }
    }
}

/// A PortSIP-style id: an 18-digit number, as a string.
fn fresh_id(rng: &mut impl Rng) -> String {
    rng.gen_range(700_000_000_000_000_000u64..900_000_000_000_000_000)
        .to_string()
}

/// A SIP Call-ID like the PBX's: 22 URL-safe characters and "..".
fn call_id(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id: String = (0..22)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{id}..")
}

/// The event, built for `now` (Unix seconds).
pub fn build(event: SampleEvent, tenant: &SampleTenant, now: i64) -> Value {
    let mut rng = rand::thread_rng();
    let rng = &mut rng;
    let domain = tenant.domain();
    let sip = |ext: &str| format!("sip:{ext}@{domain}");
    let t = |ago: i64| (now - ago).to_string();
    let tenant_id = tenant.id.to_string();
    let extension_id = fresh_id(rng);
    match event {
        SampleEvent::CallStart => json!({
            "event_type": "call_start",
            "time": t(0),
            "session_id": fresh_id(rng),
            "cdr_id": fresh_id(rng),
            "direction": "ext",
            "user_data": "",
            "call_id": call_id(rng),
            "caller_display_name": "Tom",
            "caller": sip("101"),
            "callee_display_name": "Jason",
            "callee": sip("102"),
            "tenant_id": tenant_id,
            "did": "",
            "outbound_caller_id": "",
        }),
        SampleEvent::CallCdr => {
            let session_id = fresh_id(rng);
            let target = json!({
                        "id": fresh_id(rng),
                        "call_type": "normal_call",
                        "start_time": t(44),
                        "ring_time": t(44),
                        "answered_time": t(38),
                        "ended_time": t(0),
                        "callee": "102",
                        "caller": "101",
                        "destination": sip("102"),
                        "status": "answered",
                        "status_code": "200",
                        "end_reason": "caller_disconnected",
                        "trunk_name": "",
                        "did": "",
                        "outbound_caller_id": "",
                        "ring_duration": "6",
                        "talk_duration": "38",
            });
            json!({
                "event_type": "call_cdr",
                "start_time": t(45),
                "ring_time": t(44),
                "answered_time": t(38),
                "ended_time": t(0),
                "session_id": session_id,
                "cdr_id": fresh_id(rng),
                "call_id": call_id(rng),
                "callee": "102",
                "callee_domain": domain,
                "caller": "101",
                "caller_display_name": "Tom",
                "caller_domain": domain,
                "call_status": "answered",
                "trunk_name": "",
                "tenant_id": tenant_id,
                "tenant_name": tenant.name,
                "status_code": "200",
                "direction": "ext",
                "ended_reason": "caller_disconnected",
                "did": "",
                "outbound_caller_id": "",
                "ring_duration": "6",
                "talk_duration": "38",
                "user_data": "",
                "call_targets": [target],
            })
        }
        SampleEvent::ExtensionCall => json!({
            "event_type": "extension_call",
            "extension": sip("101"),
            "call_status": "ON_CALL",
            "tenant_id": tenant_id,
            "extension_id": extension_id,
            "time": t(0),
        }),
        SampleEvent::ExtensionPresence => json!({
            "event_type": "extension_presence",
            "extension": sip("101"),
            "presence": "AWAY",
            "presence_note": "Back at 2 pm",
            "tenant_id": tenant_id,
            "extension_id": extension_id,
            "time": t(0),
        }),
        SampleEvent::ExtensionStatus => json!({
            "event_type": "extension_status",
            "tenant_id": tenant_id,
            "status": [
                {
                    "extension": sip("101"),
                    "extension_id": extension_id,
                    "call_status": "",
                    "online": true,
                    "presence": "ONLINE",
                    "presence_note": "",
                    "push_online": false,
                    "time": t(0),
                },
                {
                    "extension": sip("102"),
                    "extension_id": fresh_id(rng),
                    "call_status": "",
                    "online": false,
                    "presence": "ONLINE",
                    "presence_note": "",
                    "push_online": true,
                    "time": t(0),
                },
            ],
        }),
        SampleEvent::QueueStatus => json!({
            "event_type": "queue_status",
            "tenant_id": tenant_id,
            "queue_id": fresh_id(rng),
            "queue_number": "8000",
            "queue_name": "Support",
            "waiting_list": [{
                "position": 1,
                "session_id": fresh_id(rng),
                "caller_number": "+14155550123",
                "caller_name": "Customer",
                "timestamp": t(20),
                "type": "normal",
            }],
            "agents": [
                {
                    "state": "QUEUE_CALL",
                    "agent_extension_number": "101",
                    "session_id": fresh_id(rng),
                    "caller_number": "+14155550199",
                    "caller_name": "Caller",
                    "timestamp": t(95),
                },
                {
                    "state": "READY",
                    "agent_extension_number": "102",
                    "session_id": "",
                    "caller_number": "",
                    "caller_name": "",
                    "timestamp": t(300),
                },
            ],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const NOW: i64 = 1_764_236_400;

    fn tenant() -> SampleTenant {
        SampleTenant {
            id: 42,
            name: "Acme Corp".into(),
        }
    }

    fn keys(value: &Value) -> BTreeSet<&str> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn set<'a>(fields: &[&'a str]) -> BTreeSet<&'a str> {
        fields.iter().copied().collect()
    }

    fn is_numeric_string(value: &Value) -> bool {
        value
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    }

    #[test]
    fn call_start_has_exactly_the_documented_fields() {
        let event = build(SampleEvent::CallStart, &tenant(), NOW);
        assert_eq!(
            keys(&event),
            set(&[
                "event_type",
                "time",
                "session_id",
                "cdr_id",
                "direction",
                "user_data",
                "call_id",
                "caller_display_name",
                "caller",
                "callee_display_name",
                "callee",
                "tenant_id",
                "did",
                "outbound_caller_id"
            ])
        );
        assert_eq!(event["time"], NOW.to_string());
        assert_eq!(event["tenant_id"], "42");
        assert_eq!(event["caller"], "sip:101@acme-corp.example");
        for id in ["session_id", "cdr_id"] {
            assert!(is_numeric_string(&event[id]), "{id}");
        }
    }

    #[test]
    fn call_cdr_has_the_documented_fields_and_targets() {
        let event = build(SampleEvent::CallCdr, &tenant(), NOW);
        assert_eq!(
            keys(&event),
            set(&[
                "event_type",
                "start_time",
                "ring_time",
                "answered_time",
                "ended_time",
                "session_id",
                "cdr_id",
                "call_id",
                "callee",
                "callee_domain",
                "caller",
                "caller_display_name",
                "caller_domain",
                "call_status",
                "trunk_name",
                "tenant_id",
                "tenant_name",
                "status_code",
                "direction",
                "ended_reason",
                "did",
                "outbound_caller_id",
                "ring_duration",
                "talk_duration",
                "user_data",
                "call_targets"
            ])
        );
        assert_eq!(event["tenant_name"], "Acme Corp");
        assert_eq!(event["event_type"], "call_cdr");
        assert!(["noanswer", "fail", "answered"].contains(&event["call_status"].as_str().unwrap()));
        assert!(["ext", "in", "in2out", "out"].contains(&event["direction"].as_str().unwrap()));
        for field in [
            "start_time",
            "ring_time",
            "answered_time",
            "ended_time",
            "session_id",
            "cdr_id",
            "status_code",
            "ring_duration",
            "talk_duration",
        ] {
            assert!(
                is_numeric_string(&event[field]),
                "{field} = {}",
                event[field]
            );
        }
        let targets = event["call_targets"].as_array().unwrap();
        assert!(!targets.is_empty());
        for target in targets {
            assert_eq!(
                keys(target),
                set(&[
                    "id",
                    "call_type",
                    "start_time",
                    "ring_time",
                    "answered_time",
                    "ended_time",
                    "callee",
                    "caller",
                    "destination",
                    "status",
                    "status_code",
                    "end_reason",
                    "trunk_name",
                    "did",
                    "outbound_caller_id",
                    "ring_duration",
                    "talk_duration"
                ])
            );
            assert!(target["destination"].as_str().unwrap().starts_with("sip:"));
        }
        // Times are consistent: start ≤ ring ≤ answer ≤ end.
        let time = |f: &str| event[f].as_str().unwrap().parse::<i64>().unwrap();
        assert!(time("start_time") <= time("ring_time"));
        assert!(time("ring_time") <= time("answered_time"));
        assert!(time("answered_time") <= time("ended_time"));
        assert_eq!(time("ended_time"), NOW);
    }

    #[test]
    fn extension_events_follow_the_realtime_formats() {
        let call = build(SampleEvent::ExtensionCall, &tenant(), NOW);
        assert_eq!(
            keys(&call),
            set(&[
                "event_type",
                "extension",
                "call_status",
                "tenant_id",
                "extension_id",
                "time"
            ])
        );
        assert!(["ON_CALL", "RINGING", ""].contains(&call["call_status"].as_str().unwrap()));

        let presence = build(SampleEvent::ExtensionPresence, &tenant(), NOW);
        assert_eq!(
            keys(&presence),
            set(&[
                "event_type",
                "extension",
                "presence",
                "presence_note",
                "tenant_id",
                "extension_id",
                "time"
            ])
        );
        assert!(
            ["ONLINE", "LUNCH", "BUSINESS_TRIP", "DO_NOT_DISTURB", "AWAY"]
                .contains(&presence["presence"].as_str().unwrap())
        );

        let status = build(SampleEvent::ExtensionStatus, &tenant(), NOW);
        assert_eq!(keys(&status), set(&["event_type", "tenant_id", "status"]));
        for entry in status["status"].as_array().unwrap() {
            assert_eq!(
                keys(entry),
                set(&[
                    "extension",
                    "extension_id",
                    "call_status",
                    "online",
                    "presence",
                    "presence_note",
                    "push_online",
                    "time"
                ])
            );
            assert!(entry["online"].is_boolean() && entry["push_online"].is_boolean());
        }
    }

    #[test]
    fn queue_status_lists_waiting_callers_and_agents() {
        let queue = build(SampleEvent::QueueStatus, &tenant(), NOW);
        assert_eq!(
            keys(&queue),
            set(&[
                "event_type",
                "tenant_id",
                "queue_id",
                "queue_number",
                "queue_name",
                "waiting_list",
                "agents"
            ])
        );
        for caller in queue["waiting_list"].as_array().unwrap() {
            assert_eq!(
                keys(caller),
                set(&[
                    "position",
                    "session_id",
                    "caller_number",
                    "caller_name",
                    "timestamp",
                    "type"
                ])
            );
            assert!(["normal", "callback"].contains(&caller["type"].as_str().unwrap()));
        }
        for agent in queue["agents"].as_array().unwrap() {
            assert_eq!(
                keys(agent),
                set(&[
                    "state",
                    "agent_extension_number",
                    "session_id",
                    "caller_number",
                    "caller_name",
                    "timestamp"
                ])
            );
            assert!([
                "READY",
                "QUEUE_CALL",
                "WRAP_UP",
                "OTHER_CALL",
                "NOT_READY",
                "ONLINE",
                "OFFLINE"
            ]
            .contains(&agent["state"].as_str().unwrap()));
        }
    }

    #[test]
    fn every_event_names_its_type_and_tenant_and_ids_are_fresh() {
        for event in SampleEvent::ALL {
            let a = build(event, &tenant(), NOW);
            assert_eq!(a["event_type"], event.as_str());
            assert_eq!(a["tenant_id"], "42");
            let b = build(event, &tenant(), NOW);
            assert_ne!(a, b, "{} should carry fresh ids", event.as_str());
            // Valid JSON that round-trips.
            let text = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), a);
        }
    }

    #[test]
    fn the_sample_domain_comes_from_the_tenant_name() {
        let odd = SampleTenant {
            id: 1,
            name: "  Ünïcode & Co. ".into(),
        };
        assert_eq!(odd.domain(), "n-code-co.example");
        let empty = SampleTenant {
            id: 1,
            name: "***".into(),
        };
        assert_eq!(empty.domain(), "pbx.example");
    }
}
