//! An event's state: the one vocabulary of the queue. The database column
//! (`events.state`), the Deliveries tab's filter and badges, the REST API's
//! `state` and the `/metrics` labels all spell a state with `as_str`, and
//! read one back with `parse`; no other spelling exists.

use serde::{Deserialize, Serialize};

/// Where an event stands. `Pending` is every event still to be attempted:
/// its first attempt not made yet, or the next one scheduled.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Due at its next attempt time (leased while an attempt is under way).
    Pending,
    /// A CDR event while its section is paused: kept, delivered oldest
    /// first once enabled.
    Held,
    /// The receiver answered 200.
    Delivered,
    /// The receiver answered 404, or the retry schedule ran out.
    GivenUp,
    /// Not sent: an extension event while its section was paused, or the
    /// section had no URL.
    Skipped,
    /// Held, then discarded by an administrator.
    Discarded,
    /// Not sent: its section does not deliver events of its type.
    Filtered,
}

impl EventState {
    pub const ALL: [EventState; 7] = [
        EventState::Pending,
        EventState::Held,
        EventState::Delivered,
        EventState::GivenUp,
        EventState::Skipped,
        EventState::Filtered,
        EventState::Discarded,
    ];

    /// Finished states: nothing more happens to the event unless an
    /// administrator redelivers it; deleted after the retention time.
    pub const FINISHED: [EventState; 5] = [
        EventState::Delivered,
        EventState::GivenUp,
        EventState::Skipped,
        EventState::Filtered,
        EventState::Discarded,
    ];

    /// The state's one spelling: stored, in URLs, in the API, in metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventState::Pending => "pending",
            EventState::Held => "held",
            EventState::Delivered => "delivered",
            EventState::GivenUp => "given_up",
            EventState::Skipped => "skipped",
            EventState::Discarded => "discarded",
            EventState::Filtered => "filtered",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    pub fn is_finished(self) -> bool {
        Self::FINISHED.contains(&self)
    }

    /// For people (the Deliveries tab).
    pub fn label(self) -> &'static str {
        match self {
            EventState::Pending => "Pending",
            EventState::Held => "Held",
            EventState::Delivered => "Delivered",
            EventState::GivenUp => "Given up",
            EventState::Skipped => "Skipped",
            EventState::Discarded => "Discarded",
            EventState::Filtered => "Filtered",
        }
    }

    /// As an adjective before "events": "given-up", "filtered".
    pub fn adjective(self) -> &'static str {
        match self {
            EventState::GivenUp => "given-up",
            other => other.as_str(),
        }
    }

    /// What it means, for the admin.
    pub fn explanation(self) -> &'static str {
        match self {
            EventState::Delivered => "Your receiver answered 200 OK.",
            EventState::Pending => {
                "Not delivered yet: it is tried at the time shown, by PortSIP's retry rules."
            }
            EventState::GivenUp => {
                "Not delivered: the receiver answered 404, or every retry failed. Fix the receiver, then redeliver."
            }
            EventState::Held => {
                "Kept while CDR delivery is paused; delivered oldest first when you enable it again."
            }
            EventState::Skipped => {
                "Not sent: the section was paused (extension events are not kept) or had no URL."
            }
            EventState::Discarded => "Held, then discarded by an administrator.",
            EventState::Filtered => {
                "Not sent: this section delivers only the event types chosen under Event URL, and this type is not among them."
            }
        }
    }
}

impl std::fmt::Display for EventState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_one_spelling_that_reads_back_and_serializes_alike() {
        for state in EventState::ALL {
            assert_eq!(EventState::parse(state.as_str()), Some(state));
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str()),
                "the API's spelling is the stored one"
            );
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(EventState::parse("GivenUp"), None);
        assert_eq!(EventState::parse("retrying"), None);
        assert_eq!(EventState::parse(""), None);
    }

    #[test]
    fn finished_states_are_those_nothing_more_happens_to() {
        assert!(!EventState::Pending.is_finished());
        assert!(!EventState::Held.is_finished());
        for state in EventState::FINISHED {
            assert!(state.is_finished());
        }
    }
}
