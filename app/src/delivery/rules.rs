//! PortSIP's delivery rules, as one pure function: what becomes of an event
//! given its section as it stands, the attempt's outcome and the time. No
//! I/O, no clock: the worker and ingest read the world, this decides.
//!
//! - Only **200** is delivered; **404** gives up at once.
//! - Anything else (another status, a redirect, a time-out, a refused
//!   connection, a TLS error) is retried on the schedule (15 s, 1 min,
//!   3 min, 8 min, 15 min by default), then given up. A `Retry-After` on
//!   429/503 is honoured when within the schedule's longest step.
//! - A redelivery an administrator asked for is one attempt: failed, it is
//!   given up again.
//! - Before an attempt: a paused section holds CDR events (billing records
//!   are kept) and skips extension events (stale once late); a section
//!   with no URL skips both.

use std::time::Duration;
use time::OffsetDateTime;

use super::schedule::RetrySchedule;
use crate::domain::{EndpointKind, EventState, Verdict};

/// A section's settings as they stand at the moment of the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionNow {
    pub has_url: bool,
    /// Enabled, and its company not suspended.
    pub enabled: bool,
}

/// What the rules need to know of the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventFacts {
    pub section: EndpointKind,
    /// Attempts made before this one.
    pub attempts_before: u32,
    /// This attempt is a redelivery an administrator asked for.
    pub manual: bool,
}

/// How an attempt went, as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered with this status (a redirect is an answer: it
    /// is not followed). `retry_after`: its `Retry-After` on 429 or 503.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: a time-out, a refused connection, a TLS error, an
    /// unknown host, a blocked address, or eventurl's own failure to
    /// prepare the request.
    NoAnswer,
}

/// What becomes of the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Before an attempt: make it now.
    Send,
    Delivered,
    GivenUp,
    RetryAt(OffsetDateTime),
    /// Not attempted: a CDR event while its section is paused.
    Hold,
    /// Not attempted: an extension event while paused, or no URL.
    Skip,
    /// Not attempted now (the worker's own reason: its claim would run out
    /// before an attempt could end): due again at this time.
    Later(OffsetDateTime),
}

impl Decision {
    /// The state the event is left in.
    pub fn state(&self) -> EventState {
        match self {
            Decision::Send | Decision::RetryAt(_) | Decision::Later(_) => EventState::Pending,
            Decision::Delivered => EventState::Delivered,
            Decision::GivenUp => EventState::GivenUp,
            Decision::Hold => EventState::Held,
            Decision::Skip => EventState::Skipped,
        }
    }

    /// When its next attempt is due, if one is to be made.
    pub fn due(&self) -> Option<OffsetDateTime> {
        match self {
            Decision::RetryAt(at) | Decision::Later(at) => Some(*at),
            _ => None,
        }
    }
}

/// PortSIP's rules. `outcome`: `None` before an attempt (may it be made?),
/// else how the attempt went (the section no longer matters then: the
/// request was sent with the settings it had).
pub fn decide(
    event: &EventFacts,
    section: SectionNow,
    outcome: Option<AttemptOutcome>,
    schedule: &RetrySchedule,
    now: OffsetDateTime,
) -> Decision {
    let Some(outcome) = outcome else {
        return before_attempt(event.section, section);
    };
    let (verdict, asked) = match outcome {
        AttemptOutcome::Answered {
            status,
            retry_after,
        } => (Verdict::of_status(status), retry_after),
        AttemptOutcome::NoAnswer => (Verdict::Retry, None),
    };
    match verdict {
        Verdict::Delivered => Decision::Delivered,
        Verdict::StopRetrying => Decision::GivenUp,
        Verdict::Retry | Verdict::NotSent if event.manual => Decision::GivenUp,
        Verdict::Retry | Verdict::NotSent => {
            match schedule.wait_after(event.attempts_before.saturating_add(1)) {
                None => Decision::GivenUp,
                Some(step) => {
                    let wait = asked
                        .filter(|asked| *asked <= schedule.longest())
                        .unwrap_or(step);
                    Decision::RetryAt(
                        now + time::Duration::try_from(wait).unwrap_or(time::Duration::MINUTE),
                    )
                }
            }
        }
    }
}

/// Before an attempt: send, hold (a paused CDR section) or skip.
fn before_attempt(kind: EndpointKind, section: SectionNow) -> Decision {
    match (section.has_url, section.enabled, kind) {
        (true, true, _) => Decision::Send,
        (true, false, EndpointKind::Cdr) => Decision::Hold,
        _ => Decision::Skip,
    }
}

/// The state an event is queued in when handed in: filtered when its
/// section does not deliver its type (`type_delivered` false), else the
/// rules before an attempt (pending, held or skipped).
pub fn on_arrival(section: EndpointKind, now: SectionNow, type_delivered: bool) -> EventState {
    if type_delivered {
        before_attempt(section, now).state()
    } else {
        EventState::Filtered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EndpointKind::{Cdr, Extension};

    const NOW: OffsetDateTime = time::macros::datetime!(2026-12-06 12:00 UTC);
    const ON: SectionNow = SectionNow {
        has_url: true,
        enabled: true,
    };
    const PAUSED: SectionNow = SectionNow {
        has_url: true,
        enabled: false,
    };
    const NO_URL: SectionNow = SectionNow {
        has_url: false,
        enabled: true,
    };

    fn answered(status: u16) -> Option<AttemptOutcome> {
        Some(AttemptOutcome::Answered {
            status,
            retry_after: None,
        })
    }

    fn asked(status: u16, secs: u64) -> Option<AttemptOutcome> {
        Some(AttemptOutcome::Answered {
            status,
            retry_after: Some(Duration::from_secs(secs)),
        })
    }

    fn retry_in(secs: i64) -> Decision {
        Decision::RetryAt(NOW + time::Duration::seconds(secs))
    }

    /// Every rule of PortSIP's delivery (../shared/portsip/README.md), one
    /// row each: the event (section, attempts made before, manual), the
    /// section now, the outcome, what the rules decide.
    #[test]
    fn portsips_rules_one_row_each() {
        let no_answer = Some(AttemptOutcome::NoAnswer);
        /// The rule, the event's section, attempts before, manual; the
        /// section now; the outcome; the decision.
        type Row = (
            &'static str,
            EndpointKind,
            u32,
            bool,
            SectionNow,
            Option<AttemptOutcome>,
            Decision,
        );
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("enabled with a URL: sent",            Cdr,       0, false, ON,     None, Decision::Send),
            ("paused CDR: held",                    Cdr,       0, false, PAUSED, None, Decision::Hold),
            ("paused extension: skipped",           Extension, 0, false, PAUSED, None, Decision::Skip),
            ("no URL, CDR: skipped",                Cdr,       0, false, NO_URL, None, Decision::Skip),
            ("no URL, extension: skipped",          Extension, 0, false, NO_URL, None, Decision::Skip),
            ("no URL and paused CDR: skipped",      Cdr,       0, false, SectionNow { has_url: false, enabled: false }, None, Decision::Skip),
            ("200: delivered",                      Cdr,       0, false, ON, answered(200), Decision::Delivered),
            ("200 on the last attempt: delivered",  Extension, 5, false, ON, answered(200), Decision::Delivered),
            ("404: given up at once",               Cdr,       0, false, ON, answered(404), Decision::GivenUp),
            ("204 is not 200: retried in 15 s",     Cdr,       0, false, ON, answered(204), retry_in(15)),
            ("201: retried",                        Extension, 0, false, ON, answered(201), retry_in(15)),
            ("500: retried in 15 s",                Cdr,       0, false, ON, answered(500), retry_in(15)),
            ("410 is not 404: retried",             Cdr,       0, false, ON, answered(410), retry_in(15)),
            ("redirect (302, not followed): retried", Cdr,     0, false, ON, answered(302), retry_in(15)),
            ("time-out, refused, TLS: retried",     Cdr,       0, false, ON, no_answer, retry_in(15)),
            ("second failure: 1 min",               Cdr,       1, false, ON, answered(500), retry_in(60)),
            ("third failure: 3 min",                Cdr,       2, false, ON, no_answer, retry_in(180)),
            ("fourth failure: 8 min",               Extension, 3, false, ON, answered(503), retry_in(480)),
            ("fifth failure: 15 min",               Cdr,       4, false, ON, answered(500), retry_in(900)),
            ("sixth failure: schedule exhausted",   Cdr,       5, false, ON, answered(500), Decision::GivenUp),
            ("sixth, no answer: exhausted",         Extension, 5, false, ON, no_answer, Decision::GivenUp),
            ("429 Retry-After within the schedule", Cdr,       0, false, ON, asked(429, 120), retry_in(120)),
            ("503 Retry-After at the longest step", Cdr,       0, false, ON, asked(503, 900), retry_in(900)),
            ("Retry-After beyond the schedule: the step", Cdr, 0, false, ON, asked(429, 901), retry_in(15)),
            ("Retry-After does not extend the schedule", Cdr,  5, false, ON, asked(429, 10), Decision::GivenUp),
            ("manual redelivery failed: given up",  Cdr,       2, true,  ON, answered(500), Decision::GivenUp),
            ("manual redelivery, no answer",        Extension, 0, true,  ON, no_answer, Decision::GivenUp),
            ("manual redelivery delivered",         Cdr,       6, true,  ON, answered(200), Decision::Delivered),
        ];
        for (rule, section, attempts_before, manual, now, outcome, expected) in table {
            let event = EventFacts {
                section,
                attempts_before,
                manual,
            };
            let schedule = RetrySchedule::default();
            assert_eq!(
                decide(&event, now, outcome, &schedule, NOW),
                expected,
                "{rule}"
            );
        }
    }

    #[test]
    fn the_operators_schedule_is_the_one_followed() {
        let schedule: RetrySchedule = "1s,2s".parse().expect("a schedule");
        let event = |attempts_before| EventFacts {
            section: Cdr,
            attempts_before,
            manual: false,
        };
        let fail = answered(500);
        assert_eq!(decide(&event(0), ON, fail, &schedule, NOW), retry_in(1));
        assert_eq!(decide(&event(1), ON, fail, &schedule, NOW), retry_in(2));
        assert_eq!(
            decide(&event(2), ON, fail, &schedule, NOW),
            Decision::GivenUp
        );
        // Retry-After is bounded by this schedule's longest step (2 s).
        assert_eq!(
            decide(&event(0), ON, asked(429, 3), &schedule, NOW),
            retry_in(1)
        );
    }

    #[test]
    fn each_decision_names_its_state_and_due_time() {
        let at = NOW + time::Duration::seconds(15);
        for (decision, state, due) in [
            (Decision::Send, EventState::Pending, None),
            (Decision::Delivered, EventState::Delivered, None),
            (Decision::GivenUp, EventState::GivenUp, None),
            (Decision::RetryAt(at), EventState::Pending, Some(at)),
            (Decision::Later(at), EventState::Pending, Some(at)),
            (Decision::Hold, EventState::Held, None),
            (Decision::Skip, EventState::Skipped, None),
        ] {
            assert_eq!(decision.state(), state, "{decision:?}");
            assert_eq!(decision.due(), due, "{decision:?}");
        }
    }

    #[test]
    fn an_event_handed_in_is_queued_as_its_section_stands() {
        assert_eq!(on_arrival(Cdr, ON, true), EventState::Pending);
        assert_eq!(on_arrival(Extension, ON, true), EventState::Pending);
        assert_eq!(on_arrival(Cdr, PAUSED, true), EventState::Held);
        assert_eq!(on_arrival(Extension, PAUSED, true), EventState::Skipped);
        assert_eq!(on_arrival(Cdr, NO_URL, true), EventState::Skipped);
        assert_eq!(on_arrival(Extension, NO_URL, true), EventState::Skipped);
        // A type the section does not deliver is filtered, whatever else.
        for now in [ON, PAUSED, NO_URL] {
            assert_eq!(on_arrival(Cdr, now, false), EventState::Filtered);
            assert_eq!(on_arrival(Extension, now, false), EventState::Filtered);
        }
    }
}
