//! The events this instance has claimed and not yet recorded (waiting in a
//! lane or under way), with the lease each claim holds: what a stop hands
//! back to the queue at once, instead of leaving it to the leases.

use std::collections::HashMap;
use time::OffsetDateTime;

#[derive(Debug, Default)]
pub struct InFlight(HashMap<i64, OffsetDateTime>);

impl InFlight {
    /// Claimed `id` until `lease_until`. False when it was ours already (its
    /// lease ran out while it waited or was under way, and this instance
    /// claimed it again): the attempt already held records it, and the new
    /// lease is the one a stop releases.
    pub fn claimed(&mut self, id: i64, lease_until: OffsetDateTime) -> bool {
        self.0.insert(id, lease_until).is_none()
    }

    /// Recorded (or handed back): no longer ours.
    pub fn done(&mut self, id: i64) {
        self.0.remove(&id);
    }

    /// Everything still ours, with its lease; none left after.
    pub fn drain(&mut self) -> Vec<(i64, OffsetDateTime)> {
        self.0.drain().collect()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_held_until_done_and_a_second_claim_keeps_the_newest_lease() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let t1 = t0 + time::Duration::minutes(1);
        let mut in_flight = InFlight::default();
        assert!(in_flight.claimed(7, t0));
        assert!(in_flight.claimed(8, t0));
        assert!(!in_flight.claimed(7, t1), "ours already");
        in_flight.done(8);
        assert_eq!(in_flight.drain(), vec![(7, t1)]);
        assert!(in_flight.is_empty());
    }
}
