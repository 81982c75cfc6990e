//! The per-token rate limit of the REST API: each token may make
//! `per_minute` requests a minute, in bursts of as many (GCRA, `governor`);
//! over it, 429 with `Retry-After`. Counted by each instance in memory: a
//! limit protects the service from a runaway script, and a request per
//! call written to the database would cost the API the speed it protects
//! (behind a load balancer of n instances a token may make up to n times
//! as many). Nothing here copies what the database holds: a revoked token
//! is refused by the database on its next call, whatever its count.

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};
use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(Clone, Debug)]
pub struct ApiLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<i32>>,
    per_minute: u32,
    /// Client addresses refused for presenting too many unknown tokens
    /// (`auth::throttle::unknown_api_token`, counted in the database),
    /// until when: their calls are answered 429 before any token is looked
    /// up, so a guess during the wait is not even tried. Only the verdict
    /// the database gave, with its own end; a token cannot be refused here
    /// for longer than the database said.
    refused: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl ApiLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))),
            per_minute: n.get(),
            refused: Arc::default(),
        }
    }

    /// Seconds `ip` must still wait after too many unknown tokens, if any.
    /// One lookup on every API call: nothing else is done on this path.
    pub fn refused_for(&self, ip: IpAddr) -> Option<u64> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        refused
            .get(&ip)
            .filter(|until| **until > now)
            .map(|until| until.duration_since(now).as_secs() + 1)
    }

    /// Refuses `ip` for `seconds`, as the database's count said; the
    /// refusals already over are dropped here (the rare path).
    pub fn refuse(&self, ip: IpAddr, seconds: u64) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        refused.retain(|_, until| *until > now);
        refused.insert(ip, now + Duration::from_secs(seconds));
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
