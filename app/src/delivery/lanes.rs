// Over 500 lines: one type and its unit and property tests (the tests are most of it).
//! The worker's lanes: claimed events waiting for their endpoint's turn,
//! oldest due first, and the turns themselves (attempts under way per
//! endpoint, and in all; starts per second where the section limits them).
//! One type, one job: what may start now, and how much more may be
//! claimed. No I/O, no clock: the worker supplies both.
//!
//! An endpoint's entry lives while it has events waiting, attempts under
//! way, its last look found more due, or it started one within its rate
//! window; then it goes, so the map holds only endpoints with work.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use super::wake::Endpoint;

/// Most claimed events waiting in one endpoint's lane (fewer where its
/// turns could not start them all within a lease). A lane with fewer than
/// half its cap waiting is topped up, when its last look found more.
pub const CLAIM_BATCH: usize = 100;
/// Most claimed events waiting in lanes, all endpoints together.
pub const MOST_WAITING: usize = 1000;

/// The rate window: a section's `max_per_second` bounds the starts in any
/// window this long. A second and 25 ms, so that a request that took a
/// little longer on the wire than the next one does not make a second,
/// as the receiver counts, hold one more.
pub const RATE_WINDOW: Duration = Duration::from_millis(1025);

/// The operator's limits on attempts under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// No endpoint runs more than this, whatever its section says.
    pub per_endpoint: usize,
    pub in_all: usize,
    /// How long a claimed event may wait and still be started (its lease
    /// less an attempt's longest time), and an attempt's longest time: a
    /// lane holds no more than its turns can start within the first even
    /// if every attempt takes the second, so a claim never runs out in its
    /// lane and events start in the order they were claimed.
    pub wait: Duration,
    pub attempt: Duration,
}

/// One endpoint's own limits (its section's settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointLimit {
    pub at_once: usize,
    pub per_second: Option<usize>,
}

impl From<crate::domain::EndpointLimits> for EndpointLimit {
    fn from(limits: crate::domain::EndpointLimits) -> Self {
        let size = |n: u32| usize::try_from(n).unwrap_or(1);
        Self {
            at_once: size(limits.max_concurrency()),
            per_second: limits.max_per_second().map(size),
        }
    }
}

#[derive(Debug)]
struct Lane<T> {
    waiting: VecDeque<T>,
    /// Attempts of this endpoint under way.
    running: usize,
    /// Its last look found all it asked for: there may be more due.
    more: bool,
    limit: EndpointLimit,
    /// Its section's limits were read: until then it starts nothing.
    known: bool,
    /// When its attempts started, within the rate window (kept only while
    /// the section has a rate limit).
    starts: VecDeque<Instant>,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self {
            waiting: VecDeque::new(),
            running: 0,
            more: false,
            // Until its section's limits are read: the smallest claim.
            limit: EndpointLimit {
                at_once: 1,
                per_second: None,
            },
            known: false,
            starts: VecDeque::new(),
        }
    }
}

impl<T> Lane<T> {
    fn has_work(&self) -> bool {
        self.more || self.running > 0 || !self.waiting.is_empty() || !self.starts.is_empty()
    }

    /// Most events worth claiming into this lane (see `Limits::wait`).
    fn cap(&self, limits: &Limits) -> usize {
        let at_once = self.limit.at_once.clamp(1, limits.per_endpoint);
        let per_turn = usize::try_from(limits.wait.as_millis() / limits.attempt.as_millis().max(1))
            .unwrap_or(1)
            .max(1);
        let mut cap = at_once.saturating_mul(per_turn);
        if let Some(per_second) = self.limit.per_second {
            let by_rate = u128::try_from(per_second).unwrap_or(u128::MAX) * limits.wait.as_millis()
                / RATE_WINDOW.as_millis();
            cap = cap.min(usize::try_from(by_rate).unwrap_or(usize::MAX));
        }
        cap.clamp(1, CLAIM_BATCH)
    }

    fn running_low(&self, limits: &Limits) -> bool {
        self.more && self.waiting.len() < (self.cap(limits) / 2).max(1)
    }

    /// Whether its rate allows a start at `now`; if not, when it will.
    fn rate_allows(&mut self, now: Instant) -> Result<(), Instant> {
        let Some(per_second) = self.limit.per_second else {
            self.starts.clear();
            return Ok(());
        };
        while self
            .starts
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= RATE_WINDOW)
        {
            self.starts.pop_front();
        }
        match self.starts.front() {
            Some(first) if self.starts.len() >= per_second => Err(*first + RATE_WINDOW),
            _ => Ok(()),
        }
    }
}

/// How much a claim may ask for, endpoint by endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Read up to this many of its due events.
    Claim(usize),
    /// Its lane is full: topped up once it runs low.
    LaneFull,
    /// All lanes together are full: ask again next round.
    NoRoom,
}

/// Room left in the lanes for one round of claims.
#[derive(Debug)]
pub struct ClaimBudget {
    room: usize,
    /// Per endpoint with a lane: its cap less what waits in it.
    free: HashMap<Endpoint, usize>,
    /// The cap of an endpoint with no lane yet (the default limits).
    new_lane: usize,
}

impl ClaimBudget {
    /// What `endpoint` may be asked for now.
    pub fn ask(&mut self, endpoint: Endpoint) -> Ask {
        let asked = self
            .free
            .remove(&endpoint)
            .unwrap_or(self.new_lane)
            .min(self.room);
        match asked {
            0 if self.room == 0 => Ask::NoRoom,
            0 => Ask::LaneFull,
            n => Ask::Claim(n),
        }
    }

    /// `n` events were found for the last ask.
    pub fn found(&mut self, n: usize) {
        self.room = self.room.saturating_sub(n);
    }
}

/// What `start` decided.
#[derive(Debug)]
pub struct Started<T> {
    /// To attempt now, each holding one of its endpoint's turns.
    pub now: Vec<(Endpoint, T)>,
    /// Not to be attempted (the caller's test said so): back to the queue.
    pub stale: Vec<T>,
    /// The earliest time an endpoint held back by its rate may start more.
    pub next_at: Option<Instant>,
}

#[derive(Debug)]
pub struct Lanes<T> {
    lanes: HashMap<Endpoint, Lane<T>>,
    limits: Limits,
    running: usize,
}

impl<T> Lanes<T> {
    pub fn new(limits: Limits) -> Self {
        Self {
            lanes: HashMap::new(),
            limits: Limits {
                per_endpoint: limits.per_endpoint.max(1),
                in_all: limits.in_all.max(1),
                ..limits
            },
            running: 0,
        }
    }

    /// A claimed event joins the end of its endpoint's lane.
    pub fn push(&mut self, endpoint: Endpoint, event: T) {
        self.lanes
            .entry(endpoint)
            .or_default()
            .waiting
            .push_back(event);
    }

    /// `endpoint`'s section's limits, as just read: they apply from the
    /// next start on.
    pub fn set_limit(&mut self, endpoint: Endpoint, limit: EndpointLimit) {
        if let Some(lane) = self.lanes.get_mut(&endpoint) {
            lane.limit = limit;
            lane.known = true;
        }
    }

    /// Endpoints with a lane (their limits to be read again).
    pub fn held(&self) -> Vec<Endpoint> {
        self.lanes.keys().copied().collect()
    }

    /// Whether the last look for `endpoint` found all it asked for.
    pub fn looked(&mut self, endpoint: Endpoint, more: bool) {
        if more {
            self.lanes.entry(endpoint).or_default().more = true;
        } else if let Some(lane) = self.lanes.get_mut(&endpoint) {
            lane.more = false;
        }
        self.forget_idle();
    }

    /// Endpoints whose last look found more (topped up at every round).
    pub fn with_more(&self) -> Vec<Endpoint> {
        self.lanes
            .iter()
            .filter(|(_, lane)| lane.more)
            .map(|(endpoint, _)| *endpoint)
            .collect()
    }

    /// Endpoints running low whose last look found more: claim for them
    /// now, not at the next poll.
    pub fn running_low(&self) -> Vec<Endpoint> {
        self.lanes
            .iter()
            .filter(|(_, lane)| lane.running_low(&self.limits))
            .map(|(endpoint, _)| *endpoint)
            .collect()
    }

    /// Whether `endpoint`'s lane runs low while there is more.
    pub fn is_running_low(&self, endpoint: Endpoint) -> bool {
        self.lanes
            .get(&endpoint)
            .is_some_and(|lane| lane.running_low(&self.limits))
    }

    /// The room for a round of claims.
    pub fn budget(&self) -> ClaimBudget {
        let waiting: usize = self.lanes.values().map(|lane| lane.waiting.len()).sum();
        // Every turn in all taken (hanging receivers): claim nothing more,
        // so holds are not renewed for events that could not start.
        let room = if self.running >= self.limits.in_all {
            0
        } else {
            MOST_WAITING.saturating_sub(waiting)
        };
        ClaimBudget {
            room,
            free: self
                .lanes
                .iter()
                .map(|(endpoint, lane)| {
                    (
                        *endpoint,
                        lane.cap(&self.limits).saturating_sub(lane.waiting.len()),
                    )
                })
                .collect(),
            new_lane: Lane::<T>::default().cap(&self.limits),
        }
    }

    /// Starts waiting events, oldest first per endpoint, while their
    /// endpoint (its turns, its rate) and the whole have room at `now`.
    /// One that `stale` says should not be attempted (its claim would run
    /// out) is handed back.
    pub fn start(&mut self, now: Instant, stale: impl Fn(&T) -> bool) -> Started<T> {
        let mut started = Started {
            now: Vec::new(),
            stale: Vec::new(),
            next_at: None,
        };
        for (endpoint, lane) in &mut self.lanes {
            let at_once = lane.limit.at_once.clamp(1, self.limits.per_endpoint);
            while let Some(first) = lane.waiting.front() {
                if !lane.known {
                    break;
                }
                if stale(first) {
                    started.stale.extend(lane.waiting.pop_front());
                    continue;
                }
                if self.running >= self.limits.in_all || lane.running >= at_once {
                    break;
                }
                if let Err(at) = lane.rate_allows(now) {
                    started.next_at = Some(started.next_at.map_or(at, |next| next.min(at)));
                    break;
                }
                if let Some(event) = lane.waiting.pop_front() {
                    lane.running += 1;
                    self.running += 1;
                    if lane.limit.per_second.is_some() {
                        lane.starts.push_back(now);
                    }
                    started.now.push((*endpoint, event));
                }
            }
            // Starts that left the window no longer keep the entry.
            if lane.waiting.is_empty() {
                let _ = lane.rate_allows(now);
            }
        }
        self.forget_idle();
        started
    }

    /// An attempt of `endpoint` has ended: its turn is free.
    pub fn finished(&mut self, endpoint: Endpoint) {
        if let Some(lane) = self.lanes.get_mut(&endpoint) {
            if lane.running > 0 {
                lane.running -= 1;
                self.running = self.running.saturating_sub(1);
            }
        }
        self.forget_idle();
    }

    /// Every waiting event dropped (a stop); turns under way stay counted
    /// until they finish.
    pub fn clear_waiting(&mut self) {
        for lane in self.lanes.values_mut() {
            lane.waiting.clear();
            lane.more = false;
        }
        self.forget_idle();
    }

    /// Endpoints the lanes hold.
    #[cfg(test)]
    pub fn endpoints(&self) -> usize {
        self.lanes.len()
    }

    /// Attempts under way, all endpoints.
    #[cfg(test)]
    pub fn running(&self) -> usize {
        self.running
    }

    fn forget_idle(&mut self) {
        self.lanes.retain(|_, lane| lane.has_work());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EndpointKind::{Cdr, Extension};

    const A: Endpoint = (1, Cdr);
    const B: Endpoint = (2, Extension);

    impl Lanes<u32> {
        /// Pushes, its section's limits read: the defaults.
        fn add(&mut self, endpoint: Endpoint, event: u32) {
            self.push(endpoint, event);
            if self.lanes.get(&endpoint).is_some_and(|lane| !lane.known) {
                self.set_limit(endpoint, crate::domain::EndpointLimits::default().into());
            }
        }
    }

    /// Lanes whose caps are the batch (a long wait, short attempts).
    fn lanes(per_endpoint: usize, in_all: usize) -> Lanes<u32> {
        Lanes::new(Limits {
            per_endpoint,
            in_all,
            wait: Duration::from_secs(1000),
            attempt: Duration::from_secs(1),
        })
    }

    fn started(lanes: &mut Lanes<u32>) -> Vec<(Endpoint, u32)> {
        let mut now = lanes.start(Instant::now(), |_| false).now;
        now.sort();
        now
    }

    #[test]
    fn an_endpoint_never_runs_more_than_its_turns_and_frees_one_per_finished_attempt() {
        let mut lanes = lanes(2, 100);
        for n in 1..=5 {
            lanes.add(A, n);
        }
        assert_eq!(
            started(&mut lanes),
            vec![(A, 1), (A, 2)],
            "oldest first, two turns"
        );
        assert!(started(&mut lanes).is_empty(), "no turn free");
        lanes.finished(A);
        assert_eq!(started(&mut lanes), vec![(A, 3)]);
        assert_eq!(lanes.running(), 2);
    }

    #[test]
    fn a_slow_endpoint_does_not_hold_back_another() {
        let mut lanes = lanes(1, 100);
        lanes.add(A, 1);
        lanes.add(A, 2);
        lanes.add(B, 10);
        assert_eq!(started(&mut lanes), vec![(A, 1), (B, 10)]);
        // A's attempt hangs; B's next event still starts when B is free.
        lanes.finished(B);
        lanes.add(B, 11);
        assert_eq!(started(&mut lanes), vec![(B, 11)]);
    }

    #[test]
    fn the_limit_in_all_bounds_every_endpoint_together() {
        let mut lanes = lanes(8, 3);
        for n in 0..4 {
            lanes.add(A, n);
            lanes.add(B, 10 + n);
        }
        let now = lanes.start(Instant::now(), |_| false).now;
        assert_eq!(now.len(), 3);
        assert!(
            lanes.start(Instant::now(), |_| false).now.is_empty(),
            "no turn free in all"
        );
        lanes.finished(now[0].0);
        assert_eq!(lanes.start(Instant::now(), |_| false).now.len(), 1);
        assert_eq!(lanes.running(), 3);
    }

    #[test]
    fn an_endpoints_entry_goes_when_its_last_event_does() {
        let mut lanes = lanes(8, 100);
        for endpoint in (0..1000).map(|t| (t, Cdr)) {
            lanes.add(endpoint, 0);
        }
        assert_eq!(lanes.endpoints(), 1000);
        let now = lanes.start(Instant::now(), |_| false).now;
        assert_eq!(now.len(), 100, "within the limit in all");
        for (endpoint, _) in &now {
            lanes.finished(*endpoint);
        }
        // The 900 still waiting keep their entries; none of the finished.
        assert_eq!(lanes.endpoints(), 900);
        while lanes.endpoints() > 0 {
            for (endpoint, _) in lanes.start(Instant::now(), |_| false).now {
                lanes.finished(endpoint);
            }
        }
        assert_eq!(lanes.running(), 0);
        // A look that found more keeps an entry; one that found all, not.
        lanes.looked(A, true);
        assert_eq!(lanes.endpoints(), 1);
        lanes.looked(A, false);
        assert_eq!(lanes.endpoints(), 0);
        // A finish for an endpoint with nothing running changes nothing.
        lanes.finished(B);
        assert_eq!((lanes.endpoints(), lanes.running()), (0, 0));
    }

    #[test]
    fn stale_events_are_handed_back_not_started() {
        let mut lanes = lanes(8, 100);
        for n in 1..=4 {
            lanes.add(A, n);
        }
        let started = lanes.start(Instant::now(), |n| n % 2 == 0);
        assert_eq!(started.now, vec![(A, 1), (A, 3)]);
        assert_eq!(started.stale, vec![2, 4]);
    }

    #[test]
    fn claims_fill_lanes_up_to_a_batch_each_and_a_thousand_in_all() {
        let mut lanes = lanes(8, 100);
        for n in 0..30 {
            lanes.add(A, n);
        }
        let mut budget = lanes.budget();
        assert_eq!(budget.ask(A), Ask::Claim(CLAIM_BATCH - 30));
        budget.found(70);
        assert_eq!(budget.ask(B), Ask::Claim(CLAIM_BATCH));
        budget.found(CLAIM_BATCH);
        for t in 10..18 {
            assert_eq!(budget.ask((t, Cdr)), Ask::Claim(CLAIM_BATCH));
            budget.found(CLAIM_BATCH);
        }
        // 30 waiting + 70 + 100 + 8 × 100 = 1,000: no room left.
        assert_eq!(budget.ask((99, Cdr)), Ask::NoRoom);

        let mut lanes = self::lanes(8, 100);
        for n in 0..CLAIM_BATCH as u32 {
            lanes.add(A, n);
        }
        let mut budget = lanes.budget();
        assert_eq!(budget.ask(A), Ask::LaneFull);
        // Fewer found than asked: the rest of the room stays.
        assert_eq!(budget.ask(B), Ask::Claim(CLAIM_BATCH));
        budget.found(3);
        assert_eq!(budget.ask((3, Cdr)), Ask::Claim(CLAIM_BATCH));
    }

    #[test]
    fn lanes_running_low_with_more_due_are_topped_up() {
        let mut lanes = lanes(8, 100);
        for n in 0..(CLAIM_BATCH / 2) as u32 {
            lanes.add(A, n);
        }
        lanes.looked(A, true);
        assert!(!lanes.is_running_low(A), "at the low-water mark");
        assert!(lanes.running_low().is_empty());
        let _ = lanes.start(Instant::now(), |_| false);
        assert!(lanes.is_running_low(A));
        assert_eq!(lanes.running_low(), vec![A]);
        assert_eq!(lanes.with_more(), vec![A]);
        lanes.looked(A, false);
        assert!(lanes.running_low().is_empty());
    }

    #[test]
    fn a_sections_own_limit_bounds_its_turns_within_the_operators() {
        let mut lanes = lanes(8, 100);
        for n in 0..10 {
            lanes.add(A, n);
            lanes.add(B, 100 + n);
        }
        lanes.set_limit(
            A,
            EndpointLimit {
                at_once: 1,
                per_second: None,
            },
        );
        lanes.set_limit(
            B,
            EndpointLimit {
                at_once: 64,
                per_second: None,
            },
        );
        let now = started(&mut lanes);
        assert_eq!(
            now.iter().filter(|(e, _)| *e == A).count(),
            1,
            "A: one at once"
        );
        assert_eq!(
            now.iter().filter(|(e, _)| *e == B).count(),
            8,
            "B: 64 asked, the operator's 8 at most"
        );
        assert_eq!(now[0], (A, 0), "oldest first");
    }

    #[test]
    fn a_rate_limited_endpoint_starts_no_more_than_its_rate_in_any_window() {
        let mut lanes = lanes(8, 100);
        for n in 0..10 {
            lanes.add(A, n);
        }
        lanes.set_limit(
            A,
            EndpointLimit {
                at_once: 8,
                per_second: Some(3),
            },
        );
        let t0 = Instant::now();
        let first = lanes.start(t0, |_| false);
        assert_eq!(first.now.len(), 3);
        assert_eq!(
            first.next_at,
            Some(t0 + RATE_WINDOW),
            "when the next may start"
        );
        for (endpoint, _) in &first.now {
            lanes.finished(*endpoint);
        }
        let early = lanes.start(t0 + RATE_WINDOW - Duration::from_millis(1), |_| false);
        assert!(early.now.is_empty(), "turns are free, the rate is not");
        let later = lanes.start(t0 + RATE_WINDOW, |_| false);
        assert_eq!(later.now.len(), 3);
    }

    #[test]
    fn a_lane_holds_no_more_than_its_turns_can_start_within_a_lease() {
        // 50 s to start a claimed event, attempts of up to 10 s: each turn
        // starts at least 5 in time, whatever the receiver does.
        let mut lanes = Lanes::new(Limits {
            per_endpoint: 64,
            in_all: 256,
            wait: Duration::from_secs(50),
            attempt: Duration::from_secs(10),
        });
        let limit = |at_once, per_second| EndpointLimit {
            at_once,
            per_second,
        };
        let endpoints = [(1, Cdr), (2, Cdr), (3, Cdr), (4, Cdr)];
        for (endpoint, l) in endpoints.iter().zip([
            limit(1, None),
            limit(8, None),
            limit(64, Some(1)),
            limit(64, None),
        ]) {
            lanes.add(*endpoint, 0);
            lanes.set_limit(*endpoint, l);
        }
        let mut budget = lanes.budget();
        let asks: Vec<Ask> = endpoints.iter().map(|e| budget.ask(*e)).collect();
        assert_eq!(
            asks,
            vec![
                Ask::Claim(5 - 1),
                Ask::Claim(40 - 1),
                Ask::Claim(48 - 1),
                Ask::Claim(CLAIM_BATCH - 1)
            ],
            "1 at once: 5; 8: 40; 1 a second: 48 in 50 s; 64 at once: the batch"
        );
        assert_eq!(
            budget.ask((9, Cdr)),
            Ask::Claim(5),
            "a new lane, its limits not read yet: as if 1 at once"
        );
    }

    #[test]
    fn a_rate_limited_entry_outlives_its_last_event_for_its_window() {
        let mut lanes = lanes(8, 100);
        lanes.add(A, 1);
        lanes.set_limit(
            A,
            EndpointLimit {
                at_once: 8,
                per_second: Some(1),
            },
        );
        let t0 = Instant::now();
        assert_eq!(lanes.start(t0, |_| false).now.len(), 1);
        lanes.finished(A);
        assert_eq!(lanes.endpoints(), 1, "its start is remembered");
        // Another event arrives within the window: it waits.
        lanes.add(A, 2);
        assert!(lanes
            .start(t0 + Duration::from_millis(500), |_| false)
            .now
            .is_empty());
        assert_eq!(lanes.start(t0 + RATE_WINDOW, |_| false).now.len(), 1);
        lanes.finished(A);
        let _ = lanes.start(t0 + RATE_WINDOW * 2, |_| false);
        assert_eq!(lanes.endpoints(), 0, "gone once its window passed");
    }

    proptest::proptest! {
        /// Whatever arrives, finishes and whenever the worker looks, no
        /// endpoint ever has more attempts under way than its section's
        /// limit (within the operator's), nor more starts in any rate
        /// window than its rate.
        #[test]
        fn no_sequence_of_events_exceeds_an_endpoints_limits(
            steps in proptest::collection::vec((0u8..4, 0u8..3, 0u64..400), 1..300),
            at_once in proptest::collection::vec(1usize..5, 3),
            rates in proptest::collection::vec(proptest::option::of(1usize..6), 3),
        ) {
            let endpoints = [(1, Cdr), (2, Cdr), (3, Extension)];
            let mut lanes = lanes(3, 6);
            let t0 = Instant::now();
            let mut now = t0;
            let mut running: Vec<Endpoint> = Vec::new();
            let mut started: HashMap<Endpoint, Vec<Instant>> = HashMap::new();
            let mut next = 0u32;
            for (action, which, millis) in steps {
                let endpoint = endpoints[usize::from(which)];
                let limit = EndpointLimit {
                    at_once: at_once[usize::from(which)],
                    per_second: rates[usize::from(which)],
                };
                now += Duration::from_millis(millis);
                match action {
                    0 | 1 => {
                        lanes.add(endpoint, next);
                        next += 1;
                        lanes.set_limit(endpoint, limit);
                    }
                    2 => {
                        if let Some(at) = running.iter().position(|e| *e == endpoint) {
                            running.swap_remove(at);
                            lanes.finished(endpoint);
                        }
                    }
                    _ => {}
                }
                for (endpoint, _) in lanes.start(now, |_| false).now {
                    running.push(endpoint);
                    started.entry(endpoint).or_default().push(now);
                }
                proptest::prop_assert!(running.len() <= 6);
                for (n, endpoint) in endpoints.iter().enumerate() {
                    let under_way = running.iter().filter(|e| *e == endpoint).count();
                    proptest::prop_assert!(under_way <= at_once[n].min(3));
                    if let (Some(rate), Some(starts)) = (rates[n], started.get(endpoint)) {
                        for (i, first) in starts.iter().enumerate() {
                            let within = starts[i..]
                                .iter()
                                .take_while(|at| at.duration_since(*first) < RATE_WINDOW)
                                .count();
                            proptest::prop_assert!(within <= rate, "{within} starts in a window, rate {rate}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_lane_starts_nothing_until_its_sections_limits_are_read() {
        let mut lanes = lanes(8, 100);
        lanes.push(A, 1);
        lanes.push(A, 2);
        assert!(started(&mut lanes).is_empty(), "limits unknown");
        lanes.set_limit(
            A,
            EndpointLimit {
                at_once: 1,
                per_second: None,
            },
        );
        assert_eq!(started(&mut lanes), vec![(A, 1)]);
    }

    #[test]
    fn nothing_more_is_claimed_while_every_turn_in_all_is_taken() {
        let mut lanes = lanes(8, 2);
        lanes.add(A, 1);
        lanes.add(B, 2);
        assert_eq!(started(&mut lanes).len(), 2);
        assert_eq!(lanes.budget().ask(A), Ask::NoRoom);
        lanes.finished(A);
        assert!(matches!(lanes.budget().ask(A), Ask::Claim(_)));
    }

    #[test]
    fn a_stop_drops_what_waits_and_keeps_counting_what_runs() {
        let mut lanes = lanes(1, 100);
        lanes.add(A, 1);
        lanes.add(A, 2);
        let _ = lanes.start(Instant::now(), |_| false);
        lanes.clear_waiting();
        assert_eq!((lanes.endpoints(), lanes.running()), (1, 1));
        lanes.finished(A);
        assert_eq!((lanes.endpoints(), lanes.running()), (0, 0));
    }
}
