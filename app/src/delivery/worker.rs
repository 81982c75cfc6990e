// Over 500 lines: the claiming loop and the attempts it starts, which share the lanes, the in-flight list and the stop.
//! The worker: claim due events, post each with its section's settings as
//! they are at that moment, decide by PortSIP's rules (`rules`), record
//! (`writer`). Its moving parts have homes of their own: `lanes` (claimed
//! events waiting for their endpoint's turn, and the turns), `in_flight`
//! (what a stop hands back), `queue` (the SQL), `rules` (the decisions).
//!
//! A slow or dead receiver delays nobody else: at most its section's
//! `max_concurrency` attempts run per endpoint (and no more than its
//! `max_per_second` start in any second), within `max_in_flight` in all.
//! An attempt frees its endpoint's turn as soon as the receiver has
//! answered; its record is committed meanwhile, with others'. One worker
//! at a time holds an endpoint (`queue::claim`), so the section's limits
//! hold across instances.

use anyhow::Context;
use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use time::OffsetDateTime;
use tokio::{sync::watch, task::JoinSet};

use super::{
    attempt::{after, attempt},
    in_flight::InFlight,
    lanes::{Ask, Lanes, Limits},
    queue::{self, AttemptRecord, Claimed, Outcome},
    rules::{AttemptOutcome, Decision},
    schedule::RetrySchedule,
    wake::Endpoint,
    writer::Write,
    DeliveryCore,
};
use crate::state::AppState;

/// The operator's delivery settings.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    pub schedule: RetrySchedule,
    /// No endpoint runs more attempts at once than this, whatever its
    /// section's `max_concurrency` says.
    pub max_in_flight_per_endpoint: usize,
    pub max_in_flight: usize,
    /// How long a claim lasts: an attempt cut short by a crash is made
    /// again once it runs out (longer than an attempt's 10 s time-out).
    pub lease: Duration,
    /// How often an idle worker looks for due events (new ones wake it).
    pub poll: Duration,
    /// How long finished events are kept.
    pub retention: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            max_in_flight_per_endpoint: 64,
            max_in_flight: 256,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Delivers this instance's share of the queue.
pub struct Deliverer {
    state: AppState,
    core: DeliveryCore,
    config: DeliveryConfig,
    /// Claimed events waiting for their endpoint's turn, and the turns.
    lanes: Mutex<Lanes<Claimed>>,
    /// Events claimed and not yet recorded: released at a stop.
    in_flight: Mutex<InFlight>,
    attempts: Mutex<JoinSet<()>>,
    stopping: AtomicBool,
    /// This worker's name in `endpoint_workers` (random, per start).
    worker: String,
    /// When a nudge is already set for an endpoint held back by its rate.
    rate_wake: Mutex<Option<std::time::Instant>>,
}

/// One of an endpoint's turns, held by an attempt under way: given back
/// when dropped (also if the attempt's task panics or is aborted).
struct Turn {
    deliverer: Arc<Deliverer>,
    endpoint: Endpoint,
}

impl Drop for Turn {
    fn drop(&mut self) {
        locked(&self.deliverer.lanes).finished(self.endpoint);
    }
}

/// A claimed event an attempt holds: no longer this instance's once the
/// attempt is over, recorded or not (also if its task panics: the event is
/// then claimed afresh when its lease runs out). At a stop it stays listed,
/// so that the stop hands it back to the queue at once.
struct Ours {
    deliverer: Arc<Deliverer>,
    id: i64,
}

impl Drop for Ours {
    fn drop(&mut self) {
        if !self.deliverer.stopping.load(Ordering::SeqCst) {
            locked(&self.deliverer.in_flight).done(self.id);
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Deliverer {
    pub fn new(state: AppState, core: DeliveryCore, config: DeliveryConfig) -> Arc<Self> {
        let attempt = Self::attempt_time(&state, &config);
        Arc::new(Self {
            lanes: Mutex::new(Lanes::new(Limits {
                per_endpoint: config.max_in_flight_per_endpoint,
                in_all: config.max_in_flight,
                wait: config.lease.saturating_sub(attempt),
                attempt,
            })),
            state,
            core,
            config,
            in_flight: Mutex::new(InFlight::default()),
            attempts: Mutex::new(JoinSet::new()),
            stopping: AtomicBool::new(false),
            worker: uuid::Uuid::new_v4().to_string(),
            rate_wake: Mutex::new(None),
        })
    }

    /// Claims and delivers until `stop` turns true; then claims nothing
    /// more and lets the attempts under way finish within `grace` (an
    /// unfinished one is made again once its lease runs out).
    ///
    /// Claims are made per endpoint (one index seek each): for endpoints
    /// ingest just gave events, for lanes running low whose last look
    /// found more, and, every `poll`, for every endpoint the database says
    /// has due events (retries come due, other instances' hand-ins). A long
    /// backlog of one endpoint is never read past to find another's.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>, grace: Duration) {
        tokio::spawn(Arc::clone(&self).purge_old(stop.clone()));
        let mut next_look = tokio::time::Instant::now();
        // Endpoints named but not claimed for (no room): next time.
        let mut deferred: Vec<Endpoint> = Vec::new();
        while !*stop.borrow() {
            {
                let mut attempts = locked(&self.attempts);
                while attempts.try_join_next().is_some() {}
            }
            let mut wanted = std::mem::take(&mut deferred);
            wanted.extend(self.core.wake.take());
            wanted.extend(locked(&self.lanes).running_low());
            if tokio::time::Instant::now() >= next_look {
                next_look = tokio::time::Instant::now() + self.config.poll;
                // The sections' limits as they are now, for every lane.
                let held = locked(&self.lanes).held();
                self.read_limits(&held).await;
                // Lanes whose last read found more are topped up anyway.
                let topped_up = locked(&self.lanes).with_more();
                match queue::due_endpoints(&self.state.db, &self.worker, &topped_up).await {
                    Ok(found) => wanted.extend(found),
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "could not look for due events")
                    }
                }
            }
            let mut seen = HashSet::new();
            wanted.retain(|endpoint| seen.insert(*endpoint));
            let claimed = self.claim_for(wanted, &mut deferred).await;
            let mut fresh: Vec<Endpoint> = Vec::new();
            {
                let mut lanes = locked(&self.lanes);
                let mut ids = locked(&self.in_flight);
                for event in claimed {
                    if ids.claimed(event.id, event.lease_until) {
                        let endpoint = (event.tenant_id, event.section);
                        if !fresh.contains(&endpoint) {
                            fresh.push(endpoint);
                        }
                        lanes.push(endpoint, event);
                    }
                }
            }
            // Before any of them starts: their sections' limits.
            self.read_limits(&fresh).await;
            self.pump();
            tokio::select! {
                () = self.core.wake.notified() => {}
                () = tokio::time::sleep_until(next_look) => {}
                _ = stop.changed() => {}
            }
        }
        self.stopping.store(true, Ordering::SeqCst);
        locked(&self.lanes).clear_waiting();
        let mut attempts = std::mem::take(&mut *locked(&self.attempts));
        if tokio::time::timeout(grace, async {
            while attempts.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            attempts.abort_all();
        }
        // Whatever did not finish (or never started) goes back to the queue
        // now, for any instance, instead of waiting for its lease to run out;
        // so do the endpoints this worker held.
        let ids = locked(&self.in_flight).drain();
        if !ids.is_empty() {
            match queue::release(&self.state.db, &ids).await {
                Ok(n) => tracing::warn!(
                    released = n,
                    "stopped with events claimed; they are back in the queue"
                ),
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "stopped with events claimed; they are made again when their leases run out"
                ),
            }
        }
        if let Err(e) = queue::let_go(&self.state.db, &self.worker).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "stopped holding endpoints; others take them when the holds run out"
            );
        }
    }

    /// Reads the limits of `endpoints`' sections into their lanes. If the
    /// read fails, a lane whose limits were never read starts nothing until
    /// a later read (each look, every 0.5 s) succeeds.
    async fn read_limits(&self, endpoints: &[Endpoint]) {
        if endpoints.is_empty() {
            return;
        }
        match queue::limits_of(&self.state.db, endpoints).await {
            Ok(found) => {
                let mut lanes = locked(&self.lanes);
                for (endpoint, limits) in found {
                    lanes.set_limit(endpoint, limits.into());
                }
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "could not read sections' limits"),
        }
    }

    /// Reads each wanted endpoint's due events (up to what its lane and
    /// all lanes together have room for), then claims them in one short
    /// write. Endpoints there was no room for go to `deferred`.
    async fn claim_for(&self, wanted: Vec<Endpoint>, deferred: &mut Vec<Endpoint>) -> Vec<Claimed> {
        let mut budget = locked(&self.lanes).budget();
        let mut ids = Vec::new();
        let mut looked = Vec::new();
        for endpoint in wanted {
            let asked = match budget.ask(endpoint) {
                Ask::Claim(n) => n,
                Ask::NoRoom => {
                    deferred.push(endpoint);
                    continue;
                }
                Ask::LaneFull => {
                    looked.push((endpoint, true));
                    continue;
                }
            };
            match queue::due_for(&self.state.db, endpoint, asked).await {
                Ok(found) => {
                    budget.found(found.len());
                    looked.push((endpoint, found.len() == asked));
                    ids.push((endpoint, found));
                }
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "could not look for due events");
                }
            }
        }
        {
            let mut lanes = locked(&self.lanes);
            for (endpoint, more) in looked {
                lanes.looked(endpoint, more);
            }
        }
        if ids.iter().all(|(_, found)| found.is_empty()) {
            return Vec::new();
        }
        let _turn = self.state.writes.enter().await;
        queue::claim(
            &self.state.db,
            &self.state.cipher,
            &self.worker,
            &ids,
            time::Duration::try_from(self.config.lease).unwrap_or(time::Duration::MINUTE),
        )
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = format!("{e:#}"), "could not claim events");
            Vec::new()
        })
    }

    /// Starts waiting events whose endpoints have a free turn (and the
    /// global pool room), oldest first per endpoint. An event whose claim
    /// would run out before an attempt could end goes back to the queue.
    fn pump(self: &Arc<Self>) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let now = OffsetDateTime::now_utc();
        let needs = time::Duration::try_from(Self::attempt_time(&self.state, &self.config))
            .unwrap_or(time::Duration::seconds(10));
        let started = locked(&self.lanes).start(std::time::Instant::now(), |event: &Claimed| {
            event.lease_until - now < needs
        });
        if let Some(at) = started.next_at {
            self.wake_at(at);
        }
        let stale = started.stale;
        if !started.now.is_empty() {
            let mut attempts = locked(&self.attempts);
            for (endpoint, event) in started.now {
                let turn = Turn {
                    deliverer: Arc::clone(self),
                    endpoint,
                };
                let ours = Ours {
                    deliverer: Arc::clone(self),
                    id: event.id,
                };
                let me = Arc::clone(self);
                attempts.spawn(async move { me.deliver(event, turn, ours).await });
            }
        }
        if !stale.is_empty() {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                me.later(&stale).await;
                let mut ids = locked(&me.in_flight);
                for event in &stale {
                    ids.done(event.id);
                }
            });
        }
    }

    /// The time an attempt may take (the sender's time-out), at most half a
    /// lease: an event is started only with this much of its lease left.
    fn attempt_time(state: &AppState, config: &DeliveryConfig) -> Duration {
        state.sender.timeout().min(config.lease / 2)
    }

    /// An endpoint held back by its rate may start more at `at`: the
    /// claiming loop is nudged then (one timer, the earliest asked for).
    fn wake_at(self: &Arc<Self>, at: std::time::Instant) {
        {
            let mut set = locked(&self.rate_wake);
            if set.is_some_and(|set| set <= at) {
                return;
            }
            *set = Some(at);
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            {
                let mut set = locked(&me.rate_wake);
                if *set == Some(at) {
                    *set = None;
                }
            }
            me.pump();
        });
    }

    /// Not attempted now: back in the queue, due in a moment.
    async fn later(&self, events: &[Claimed]) {
        if events.is_empty() {
            return;
        }
        let now = OffsetDateTime::now_utc();
        let outcomes = events
            .iter()
            .map(|event| Outcome {
                event_id: event.id,
                endpoint: (event.tenant_id, event.section),
                attempts_before: event.attempts,
                decision: Decision::Later(now + time::Duration::milliseconds(100)),
                attempt: None,
                at: now,
            })
            .collect();
        if let Err(e) = self.core.writer.write(Write::Finish(outcomes)).await {
            tracing::warn!(
                error = format!("{e:#}"),
                events = events.len(),
                "could not requeue events; their leases will run out"
            );
        }
    }

    async fn deliver(self: Arc<Self>, event: Claimed, turn: Turn, ours: Ours) {
        let (decision, record, at) = match attempt(&self.state, &self.config.schedule, &event).await
        {
            Ok(done) => done,
            Err(e) => {
                // Ours (a secret that does not decrypt, the database): counted
                // as a failed attempt, so the rules still end it; if even that
                // cannot be recorded, the lease runs out and it is tried again.
                tracing::error!(
                    error = format!("{e:#}"),
                    event = event.id,
                    "delivery attempt failed"
                );
                let now = OffsetDateTime::now_utc();
                let record = AttemptRecord {
                    url: String::new(),
                    auth_method: String::new(),
                    duration_ms: 0,
                    status: None,
                    error: Some(
                        "eventurl could not prepare the request; the operator's log has the cause."
                            .to_owned(),
                    ),
                    help: Vec::new(),
                    manual: event.manual,
                    request_headers: Vec::new(),
                    response: None,
                };
                let decision = after(
                    &self.config.schedule,
                    &event,
                    Some(AttemptOutcome::NoAnswer),
                    now,
                );
                (decision, Some(record), now)
            }
        };
        // The receiver has answered: the endpoint's turn goes to the next.
        drop(turn);
        self.pump();
        if let Err(e) = self.record(&event, &decision, record, at).await {
            tracing::error!(
                error = format!("{e:#}"),
                event = event.id,
                "could not record an attempt; it is made again when its lease runs out"
            );
        }
        // Recorded (or left to its lease): no longer ours, stopping or not.
        locked(&self.in_flight).done(event.id);
        drop(ours);
        // Its lane runs low and there is more: the claiming loop need not
        // wait for its poll.
        if locked(&self.lanes).is_running_low((event.tenant_id, event.section)) {
            self.core.wake.nudge();
        }
    }

    async fn record(
        &self,
        event: &Claimed,
        decision: &Decision,
        attempt: Option<AttemptRecord>,
        now: OffsetDateTime,
    ) -> anyhow::Result<()> {
        let attempted = attempt
            .as_ref()
            .map(|a| (a.status == Some(200), a.duration_ms));
        self.core
            .writer
            .write(Write::Finish(vec![Outcome {
                event_id: event.id,
                endpoint: (event.tenant_id, event.section),
                attempts_before: event.attempts,
                decision: decision.clone(),
                attempt,
                at: now,
            }]))
            .await
            .context("recording an attempt")?;
        let metrics = &self.core.metrics;
        if let Some((delivered, millis)) = attempted {
            let seconds = Duration::from_millis(u64::try_from(millis).unwrap_or(0)).as_secs_f64();
            metrics.attempt(delivered, seconds);
        }
        // Each decision counted by the state it leaves the event in (a
        // retry scheduled: pending); an event put off is not counted.
        if !matches!(decision, Decision::Later(_) | Decision::Send) {
            metrics.event(decision.state());
        }
        Ok(())
    }

    /// Deletes finished events past the retention time (and the chart's
    /// old hourly counts), hourly.
    async fn purge_old(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let retention =
            time::Duration::try_from(self.config.retention).unwrap_or(time::Duration::WEEK);
        loop {
            let purge = super::retention::purge_expired(
                &self.state.db,
                &self.state.writes,
                retention,
                OffsetDateTime::now_utc(),
                super::retention::BatchSize::first(),
            );
            match purge.await {
                Ok(purged) if purged.deleted == 0 => {}
                Ok(purged) => tracing::info!(
                    deleted = purged.deleted,
                    batches = purged.batches,
                    longest_batch_ms = purged.longest.as_millis(),
                    "deleted events past their retention time"
                ),
                Err(e) => tracing::warn!(error = format!("{e:#}"), "could not delete old events"),
            }
            if let Err(e) =
                super::health::purge_hours(&self.state.db, OffsetDateTime::now_utc()).await
            {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "could not delete old hourly counts"
                );
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
