//! The per-token rate limit of the REST API: each token may make
//! `per_minute` requests a minute, in bursts of as many (GCRA, `governor`);
//! over it, 429 with `Retry-After`. Counted by each instance in memory: a
//! limit protects the service from a runaway script, and a request per
//! call written to the database would cost the API the speed it protects
//! (behind a load balancer of n instances a token may make up to n times
//! as many). Nothing here copies what the database holds: a revoked token
//! is refused by the database on its next call, whatever its count.

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};
use std::{num::NonZeroU32, sync::Arc};

#[derive(Clone, Debug)]
pub struct ApiLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<i32>>,
    per_minute: u32,
}

impl ApiLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))),
            per_minute: n.get(),
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_minute
    }

    /// Counts a request of token `id`: `Err(seconds)` to wait when over.
    pub fn check(&self, id: i32) -> Result<(), u64> {
        self.limiter.check_key(&id).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}
