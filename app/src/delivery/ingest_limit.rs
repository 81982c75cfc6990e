//! The per-key rate limit of ingest: each ingest key may hand in
//! `per_second` events a second (a batch counts as its events), in bursts
//! of a second's worth or one full batch, whichever is more (GCRA,
//! `governor`); over it, 429 with `Retry-After` before anything is stored.
//! Counted by each instance in memory, like the API's limit: it protects
//! the queue from a runaway PBX, and a count written per hand-in would cost
//! ingest the speed it protects (behind n instances a key may hand in up to
//! n times as many). A revoked key is refused by the database whatever its
//! count.

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};
use std::{num::NonZeroU32, sync::Arc};

use super::ingest::MAX_BATCH;

#[derive(Clone, Debug)]
pub struct IngestLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<i32>>,
    per_second: u32,
}

impl IngestLimiter {
    pub fn per_second(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.get().max(MAX_BATCH as u32)).unwrap_or(rate);
        Self {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            )),
            per_second: rate.get(),
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_second
    }

    /// Counts `events` handed in with key `key_id`: `Err(seconds)` to wait
    /// when over.
    pub fn check(&self, key_id: i32, events: usize) -> Result<(), u64> {
        let n =
            NonZeroU32::new(u32::try_from(events).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(&key_id, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
            }
            // More than a burst holds (not with batches of `MAX_BATCH` or fewer).
            Err(_) => Err(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IngestLimiter;

    #[test]
    fn a_key_may_hand_in_its_rate_in_events_and_each_key_counts_apart() {
        let limiter = IngestLimiter::per_second(10);
        // The burst is a full batch even at a low rate.
        assert_eq!(limiter.check(1, 1000), Ok(()));
        let wait = limiter.check(1, 1).expect_err("over");
        assert!((1..=100).contains(&wait), "{wait}");
        assert_eq!(limiter.check(2, 600), Ok(()), "another key has its own");
        let fast = IngestLimiter::per_second(5000);
        for _ in 0..5 {
            assert_eq!(fast.check(7, 1000), Ok(()));
        }
        assert!(
            fast.check(7, 1000).is_err(),
            "a second's worth, then no more"
        );
        assert_eq!(fast.limit(), 5000);
    }
}
