//! The worker's lanes: claimed events waiting for their endpoint's turn,
//! oldest due first, and the turns themselves (attempts under way per
//! endpoint, and in all). One type, one job: what may start now, and how
//! much more may be claimed. No I/O, no clock: the worker supplies both.
//!
//! An endpoint's entry lives while it has events waiting, attempts under
//! way, or its last look found more due; then it goes, so the map holds
//! only endpoints with work (no limiter outlives its last event).

use std::collections::{HashMap, VecDeque};

use super::wake::Endpoint;

/// Most claimed events waiting in one endpoint's lane.
pub const CLAIM_BATCH: usize = 100;
/// A lane with fewer waiting is topped up (when its last look found more).
pub const LOW_WATER: usize = CLAIM_BATCH / 2;
/// Most claimed events waiting in lanes, all endpoints together.
pub const MOST_WAITING: usize = 1000;

/// The limits on attempts under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub per_endpoint: usize,
    pub in_all: usize,
}

#[derive(Debug)]
struct Lane<T> {
    waiting: VecDeque<T>,
    /// Attempts of this endpoint under way.
    running: usize,
    /// Its last look found all it asked for: there may be more due.
    more: bool,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self {
            waiting: VecDeque::new(),
            running: 0,
            more: false,
        }
    }
}

impl<T> Lane<T> {
    fn has_work(&self) -> bool {
        self.more || self.running > 0 || !self.waiting.is_empty()
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
    waiting: HashMap<Endpoint, usize>,
}

impl ClaimBudget {
    /// What `endpoint` may be asked for now.
    pub fn ask(&mut self, endpoint: Endpoint) -> Ask {
        let asked = CLAIM_BATCH
            .saturating_sub(self.waiting.remove(&endpoint).unwrap_or(0))
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
            .filter(|(_, lane)| lane.more && lane.waiting.len() < LOW_WATER)
            .map(|(endpoint, _)| *endpoint)
            .collect()
    }

    /// Whether `endpoint`'s lane runs low while there is more.
    pub fn is_running_low(&self, endpoint: Endpoint) -> bool {
        self.lanes
            .get(&endpoint)
            .is_some_and(|lane| lane.more && lane.waiting.len() < LOW_WATER)
    }

    /// The room for a round of claims.
    pub fn budget(&self) -> ClaimBudget {
        let waiting: HashMap<Endpoint, usize> = self
            .lanes
            .iter()
            .map(|(endpoint, lane)| (*endpoint, lane.waiting.len()))
            .collect();
        ClaimBudget {
            room: MOST_WAITING.saturating_sub(waiting.values().sum()),
            waiting,
        }
    }

    /// Starts waiting events, oldest first per endpoint, while their
    /// endpoint and the whole have a free turn. One that `stale` says
    /// should not be attempted (its claim would run out) is handed back.
    pub fn start(&mut self, stale: impl Fn(&T) -> bool) -> Started<T> {
        let mut started = Started {
            now: Vec::new(),
            stale: Vec::new(),
        };
        for (endpoint, lane) in &mut self.lanes {
            while let Some(first) = lane.waiting.front() {
                if stale(first) {
                    started.stale.extend(lane.waiting.pop_front());
                    continue;
                }
                if self.running >= self.limits.in_all || lane.running >= self.limits.per_endpoint {
                    break;
                }
                if let Some(event) = lane.waiting.pop_front() {
                    lane.running += 1;
                    self.running += 1;
                    started.now.push((*endpoint, event));
                }
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

    fn lanes(per_endpoint: usize, in_all: usize) -> Lanes<u32> {
        Lanes::new(Limits {
            per_endpoint,
            in_all,
        })
    }

    fn started(lanes: &mut Lanes<u32>) -> Vec<(Endpoint, u32)> {
        let mut now = lanes.start(|_| false).now;
        now.sort();
        now
    }

    #[test]
    fn an_endpoint_never_runs_more_than_its_turns_and_frees_one_per_finished_attempt() {
        let mut lanes = lanes(2, 100);
        for n in 1..=5 {
            lanes.push(A, n);
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
        lanes.push(A, 1);
        lanes.push(A, 2);
        lanes.push(B, 10);
        assert_eq!(started(&mut lanes), vec![(A, 1), (B, 10)]);
        // A's attempt hangs; B's next event still starts when B is free.
        lanes.finished(B);
        lanes.push(B, 11);
        assert_eq!(started(&mut lanes), vec![(B, 11)]);
    }

    #[test]
    fn the_limit_in_all_bounds_every_endpoint_together() {
        let mut lanes = lanes(8, 3);
        for n in 0..4 {
            lanes.push(A, n);
            lanes.push(B, 10 + n);
        }
        let now = lanes.start(|_| false).now;
        assert_eq!(now.len(), 3);
        assert!(lanes.start(|_| false).now.is_empty(), "no turn free in all");
        lanes.finished(now[0].0);
        assert_eq!(lanes.start(|_| false).now.len(), 1);
        assert_eq!(lanes.running(), 3);
    }

    #[test]
    fn an_endpoints_entry_goes_when_its_last_event_does() {
        let mut lanes = lanes(8, 100);
        for endpoint in (0..1000).map(|t| (t, Cdr)) {
            lanes.push(endpoint, 0);
        }
        assert_eq!(lanes.endpoints(), 1000);
        let now = lanes.start(|_| false).now;
        assert_eq!(now.len(), 100, "within the limit in all");
        for (endpoint, _) in &now {
            lanes.finished(*endpoint);
        }
        // The 900 still waiting keep their entries; none of the finished.
        assert_eq!(lanes.endpoints(), 900);
        while lanes.endpoints() > 0 {
            for (endpoint, _) in lanes.start(|_| false).now {
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
            lanes.push(A, n);
        }
        let started = lanes.start(|n| n % 2 == 0);
        assert_eq!(started.now, vec![(A, 1), (A, 3)]);
        assert_eq!(started.stale, vec![2, 4]);
    }

    #[test]
    fn claims_fill_lanes_up_to_a_batch_each_and_a_thousand_in_all() {
        let mut lanes = lanes(8, 100);
        for n in 0..30 {
            lanes.push(A, n);
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
            lanes.push(A, n);
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
        for n in 0..LOW_WATER as u32 {
            lanes.push(A, n);
        }
        lanes.looked(A, true);
        assert!(!lanes.is_running_low(A), "at the low-water mark");
        assert!(lanes.running_low().is_empty());
        let _ = lanes.start(|_| false);
        assert!(lanes.is_running_low(A));
        assert_eq!(lanes.running_low(), vec![A]);
        assert_eq!(lanes.with_more(), vec![A]);
        lanes.looked(A, false);
        assert!(lanes.running_low().is_empty());
    }

    #[test]
    fn a_stop_drops_what_waits_and_keeps_counting_what_runs() {
        let mut lanes = lanes(1, 100);
        lanes.push(A, 1);
        lanes.push(A, 2);
        let _ = lanes.start(|_| false);
        lanes.clear_waiting();
        assert_eq!((lanes.endpoints(), lanes.running()), (1, 1));
        lanes.finished(A);
        assert_eq!((lanes.endpoints(), lanes.running()), (0, 0));
    }
}
