//! The durable queue: events in the database, claimed by workers with a
//! lease (a crashed worker's claim runs out and the event is tried again),
//! finished with the attempt that decided them, in one transaction.
//!
//! States: `EventState` (`pending` is due at `next_attempt_at`, leased while
//! an attempt is under way). The SQL below spells states as literals (so
//! that the planners see them); a unit test checks each is an `EventState`.
//!
//! One file a step: `enqueue` (hand-in), `claim` (leases), `finish` (an
//! attempt's record), `manage` (held events and redelivery).

mod claim;
mod enqueue;
mod finish;
mod manage;

pub use claim::{claim, due_endpoints, due_for, let_go, limits_of, release, Claimed};
pub use enqueue::{enqueue, prepare, NewEvent, Queued};
pub use finish::{finish, purge_batch, AttemptRecord, Outcome, ResponseRecord};
pub use manage::{
    count_replayable, hold_pending, redeliver_event, replay, replay_counts, settle_held, HeldFate,
    ReplayCounts, ReplayFilter,
};

/// The associated data binding a stored event body to its tenant and id.
pub(crate) fn body_context(tenant_id: i32, uid: &str) -> String {
    format!("eventurl/v1/tenant/{tenant_id}/event/{uid}")
}

#[cfg(test)]
mod tests {
    use crate::domain::EventState;

    /// Every state the SQL of the queue, the summary and the metrics spells
    /// as a literal (`state = 'held'`, `state <> 'pending'`) is an
    /// `EventState`'s one spelling: a typo or a renamed state fails here,
    /// not as a query that silently matches nothing.
    #[test]
    fn the_states_spelled_in_sql_are_event_states() {
        let sources = [
            ("queue/claim.rs", include_str!("queue/claim.rs")),
            ("queue/finish.rs", include_str!("queue/finish.rs")),
            ("queue/manage.rs", include_str!("queue/manage.rs")),
            ("summary.rs", include_str!("summary.rs")),
            ("metrics.rs", include_str!("metrics.rs")),
        ];
        let mut seen = 0;
        for (file, source) in sources {
            for pattern in ["state = '", "state <> '"] {
                for (at, _) in source.match_indices(pattern) {
                    let rest = &source[at + pattern.len()..];
                    let Some(end) = rest.find('\'') else {
                        panic!("{file}: an unterminated state literal");
                    };
                    let word = &rest[..end];
                    // This test's own patterns.
                    if word.is_empty() || word.contains(' ') {
                        continue;
                    }
                    assert!(
                        EventState::parse(word).is_some(),
                        "{file}: '{word}' is not an EventState"
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen >= 10, "the SQL's state literals were found ({seen})");
    }
}
