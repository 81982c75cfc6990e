//! The workers: claim due events, post each with its section's settings
//! as they are at that moment, decide by PortSIP's rules, record.
//!
//! A slow or dead receiver delays nobody else: at most
//! `max_in_flight_per_endpoint` attempts run per endpoint, within a global
//! `max_in_flight`. Claimed events wait for their endpoint's turn in its
//! lane, in claim order (oldest due first); a lane holds at most
//! `CLAIM_BATCH` and is topped up when it runs low, so a slow endpoint
//! holds at most that many (all lanes together at most `MOST_WAITING`),
//! and a fast one never waits for its next claim. An attempt frees its
//! endpoint's turn as soon as the receiver has answered; its record is
//! committed meanwhile, with others' (`writer`).

use anyhow::Context;
use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use time::OffsetDateTime;
use tokio::{
    sync::{watch, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};

use super::{
    queue::{self, AttemptRecord, Claimed, Outcome, ResponseRecord},
    rules::{self, AttemptOutcome, Decision, EventFacts, SectionNow},
    schedule::RetrySchedule,
    wake::Endpoint,
    writer::Write,
};
use crate::{
    domain::{AuthMethod, EndpointUrl, SecretKind},
    persistence::endpoints::{endpoint_to_deliver, open_stored_secret},
    sender::{Credentials, Outgoing},
    state::AppState,
};

/// The operator's delivery settings.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    pub schedule: RetrySchedule,
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
            max_in_flight_per_endpoint: 8,
            max_in_flight: 256,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Most claimed events waiting in one endpoint's lane.
const CLAIM_BATCH: usize = 100;
/// A lane with fewer waiting is topped up (when its last look found more).
const LOW_WATER: usize = CLAIM_BATCH / 2;
/// Most claimed events waiting in lanes, all endpoints together.
const MOST_WAITING: usize = 1000;

/// An endpoint's claimed events, oldest due first.
#[derive(Default)]
struct Lane {
    waiting: VecDeque<Claimed>,
    /// Its last look found all it asked for: there may be more due.
    more: bool,
}

/// Delivers this instance's share of the queue.
pub struct Deliverer {
    state: AppState,
    config: DeliveryConfig,
    global: Arc<Semaphore>,
    per_endpoint: Mutex<HashMap<Endpoint, Arc<Semaphore>>>,
    /// Claimed events waiting for their endpoint's turn.
    lanes: Mutex<HashMap<Endpoint, Lane>>,
    /// Events claimed and not yet recorded (waiting or under way):
    /// released at a stop.
    in_flight: Mutex<HashMap<i64, OffsetDateTime>>,
    attempts: Mutex<JoinSet<()>>,
    stopping: AtomicBool,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Deliverer {
    pub fn new(state: AppState, config: DeliveryConfig) -> Arc<Self> {
        Arc::new(Self {
            global: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            state,
            config,
            per_endpoint: Mutex::new(HashMap::new()),
            lanes: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            attempts: Mutex::new(JoinSet::new()),
            stopping: AtomicBool::new(false),
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
            wanted.extend(self.state.wake_deliveries.take());
            wanted.extend(self.running_low());
            if tokio::time::Instant::now() >= next_look {
                next_look = tokio::time::Instant::now() + self.config.poll;
                // Lanes whose last read found more are topped up anyway.
                let topped_up: Vec<Endpoint> = locked(&self.lanes)
                    .iter()
                    .filter(|(_, lane)| lane.more)
                    .map(|(endpoint, _)| *endpoint)
                    .collect();
                match queue::due_endpoints(&self.state.db, &topped_up).await {
                    Ok(found) => wanted.extend(found),
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "could not look for due events")
                    }
                }
            }
            let mut seen = HashSet::new();
            wanted.retain(|endpoint| seen.insert(*endpoint));
            let claimed = self.claim_for(wanted, &mut deferred).await;
            {
                let mut lanes = locked(&self.lanes);
                let mut ids = locked(&self.in_flight);
                for event in claimed {
                    // Ours already (its lease ran out while it waited or was
                    // under way): the attempt we have records it; the new
                    // lease is the one to release at a stop.
                    if ids.insert(event.id, event.lease_until).is_none() {
                        lanes
                            .entry((event.tenant_id, event.section))
                            .or_default()
                            .waiting
                            .push_back(event);
                    }
                }
                lanes.retain(|_, lane| lane.more || !lane.waiting.is_empty());
            }
            self.pump();
            tokio::select! {
                () = self.state.wake_deliveries.notified() => {}
                () = tokio::time::sleep_until(next_look) => {}
                _ = stop.changed() => {}
            }
        }
        self.stopping.store(true, Ordering::SeqCst);
        locked(&self.lanes).clear();
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
        // now, for any instance, instead of waiting for its lease to run out.
        let ids: Vec<(i64, OffsetDateTime)> = locked(&self.in_flight).drain().collect();
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
    }

    /// Endpoints whose lane runs low while their last look found more.
    fn running_low(&self) -> Vec<Endpoint> {
        locked(&self.lanes)
            .iter()
            .filter(|(_, lane)| lane.more && lane.waiting.len() < LOW_WATER)
            .map(|(endpoint, _)| *endpoint)
            .collect()
    }

    /// Reads each wanted endpoint's due events (up to what its lane and
    /// all lanes together have room for), then claims them in one short
    /// write. Endpoints there was no room for go to `deferred`.
    async fn claim_for(&self, wanted: Vec<Endpoint>, deferred: &mut Vec<Endpoint>) -> Vec<Claimed> {
        let (mut room, mut have): (usize, HashMap<Endpoint, usize>) = {
            let lanes = locked(&self.lanes);
            let waiting: usize = lanes.values().map(|lane| lane.waiting.len()).sum();
            (
                MOST_WAITING.saturating_sub(waiting),
                lanes
                    .iter()
                    .map(|(endpoint, lane)| (*endpoint, lane.waiting.len()))
                    .collect(),
            )
        };
        let mut ids = Vec::new();
        let mut looked = Vec::new();
        for endpoint in wanted {
            let asked = CLAIM_BATCH
                .saturating_sub(have.remove(&endpoint).unwrap_or(0))
                .min(room);
            if asked == 0 {
                if room == 0 {
                    deferred.push(endpoint);
                } else {
                    // Its lane is full: topped up once it runs low.
                    looked.push((endpoint, true));
                }
                continue;
            }
            match queue::due_for(&self.state.db, endpoint, asked).await {
                Ok(found) => {
                    room -= found.len();
                    looked.push((endpoint, found.len() == asked));
                    ids.extend(found);
                }
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "could not look for due events");
                }
            }
        }
        {
            let mut lanes = locked(&self.lanes);
            for (endpoint, more) in looked {
                lanes.entry(endpoint).or_default().more = more;
            }
        }
        if ids.is_empty() {
            return Vec::new();
        }
        let _turn = self.state.writes.enter().await;
        queue::claim(
            &self.state.db,
            &self.state.cipher,
            &ids,
            time::Duration::try_from(self.config.lease).unwrap_or(time::Duration::MINUTE),
        )
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = format!("{e:#}"), "could not claim events");
            Vec::new()
        })
    }

    fn endpoint_permits(&self, endpoint: Endpoint) -> Arc<Semaphore> {
        let mut map = locked(&self.per_endpoint);
        Arc::clone(map.entry(endpoint).or_insert_with(|| {
            Arc::new(Semaphore::new(
                self.config.max_in_flight_per_endpoint.max(1),
            ))
        }))
    }

    /// Starts waiting events whose endpoints have a free turn (and the
    /// global pool room), oldest first per endpoint. An event whose claim
    /// would run out before an attempt could end goes back to the queue.
    fn pump(self: &Arc<Self>) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let now = OffsetDateTime::now_utc();
        let needs = time::Duration::try_from(self.state.sender.timeout())
            .unwrap_or(time::Duration::seconds(10))
            .min(time::Duration::try_from(self.config.lease / 2).unwrap_or_default());
        let mut stale = Vec::new();
        let mut started = Vec::new();
        {
            let mut lanes = locked(&self.lanes);
            for (endpoint, lane) in lanes.iter_mut() {
                let lane = &mut lane.waiting;
                while let Some(first) = lane.front() {
                    if first.lease_until - now < needs {
                        stale.extend(lane.pop_front());
                        continue;
                    }
                    let Ok(global) = Arc::clone(&self.global).try_acquire_owned() else {
                        break;
                    };
                    let Ok(turn) = self.endpoint_permits(*endpoint).try_acquire_owned() else {
                        break;
                    };
                    if let Some(event) = lane.pop_front() {
                        started.push((event, (global, turn)));
                    }
                }
            }
            lanes.retain(|_, lane| lane.more || !lane.waiting.is_empty());
        }
        if !started.is_empty() {
            let mut attempts = locked(&self.attempts);
            for (event, permits) in started {
                let me = Arc::clone(self);
                attempts.spawn(async move { me.deliver(event, permits).await });
            }
        }
        if !stale.is_empty() {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                me.later(&stale).await;
                let mut ids = locked(&me.in_flight);
                for event in &stale {
                    ids.remove(&event.id);
                }
            });
        }
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
        if let Err(e) = self.state.queue_writes.write(Write::Finish(outcomes)).await {
            tracing::warn!(
                error = format!("{e:#}"),
                events = events.len(),
                "could not requeue events; their leases will run out"
            );
        }
    }

    async fn deliver(
        self: Arc<Self>,
        event: Claimed,
        permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
    ) {
        let (decision, record, at) = match self.attempt(&event).await {
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
                let decision = self.decide(&event, Some(AttemptOutcome::NoAnswer), now);
                (decision, Some(record), now)
            }
        };
        // The receiver has answered: the endpoint's turn goes to the next.
        drop(permits);
        self.pump();
        if let Err(e) = self.record(&event, &decision, record, at).await {
            tracing::error!(
                error = format!("{e:#}"),
                event = event.id,
                "could not record an attempt; it is made again when its lease runs out"
            );
        }
        locked(&self.in_flight).remove(&event.id);
        // Its lane runs low and there is more: the claiming loop need not
        // wait for its poll.
        if locked(&self.lanes)
            .get(&(event.tenant_id, event.section))
            .is_some_and(|lane| lane.more && lane.waiting.len() < LOW_WATER)
        {
            self.state.wake_deliveries.nudge();
        }
    }

    /// Makes the attempt (or not, when the section was paused meanwhile):
    /// what it decided, its record, when.
    async fn attempt(
        &self,
        event: &Claimed,
    ) -> anyhow::Result<(Decision, Option<AttemptRecord>, OffsetDateTime)> {
        let state = &self.state;
        let (row, suspended) =
            endpoint_to_deliver(&state.db, event.tenant_id, event.section).await?;
        let url = row.url.as_deref().and_then(|u| EndpointUrl::parse(u).ok());
        let now = OffsetDateTime::now_utc();
        // Paused (or its company suspended) meanwhile: a CDR event is
        // held, an extension event skipped.
        let section = SectionNow {
            has_url: url.is_some(),
            enabled: row.enabled && !suspended,
        };
        let url = match (
            url,
            rules::decide(&facts(event), section, None, &self.config.schedule, now),
        ) {
            (Some(url), Decision::Send) => url,
            (_, Decision::Send) => return Ok((Decision::Skip, None, now)),
            (_, not_sent) => return Ok((not_sent, None, now)),
        };
        let method = AuthMethod::parse(&row.auth_method).unwrap_or_default();
        let username = row.username.clone().unwrap_or_default();
        let secret = |kind: SecretKind| {
            open_stored_secret(
                &state.cipher,
                &row,
                event.tenant_id,
                event.section,
                kind,
                &url,
            )
        };
        let credentials = match method {
            AuthMethod::Disable => Credentials::None,
            AuthMethod::Basic => Credentials::Basic {
                username,
                password: secret(SecretKind::Password)?,
            },
            AuthMethod::Digest => Credentials::Digest {
                username,
                password: secret(SecretKind::Password)?,
            },
            AuthMethod::Bearer => Credentials::Bearer {
                token: secret(SecretKind::Token)?,
            },
        };
        let outgoing = Outgoing {
            url: url.clone(),
            body: event.body.clone(),
            credentials,
            event_id: Some(event.uid.clone()),
        };
        let exchange = state.sender.send(&outgoing).await;
        let finished = OffsetDateTime::now_utc();
        let status = exchange.response.as_ref().map(|r| r.status);
        let attempts = u32::try_from(event.attempts + 1).unwrap_or(u32::MAX);
        let outcome = match status {
            Some(status) => AttemptOutcome::Answered {
                status,
                retry_after: retry_after(&exchange),
            },
            None => AttemptOutcome::NoAnswer,
        };
        let decision = self.decide(event, Some(outcome), finished);
        let host = url::Url::parse(url.as_str())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let (error, help) = if status == Some(200) {
            (None, Vec::new())
        } else {
            let judged = super::verdict::judge(&exchange, method, &host);
            (Some(judged.summary), judged.help)
        };
        let record = AttemptRecord {
            url: url.as_str().to_owned(),
            auth_method: method.as_str().to_owned(),
            duration_ms: i64::try_from(exchange.elapsed.as_millis()).unwrap_or(i64::MAX),
            status: status.map(i32::from),
            error,
            help,
            manual: event.manual,
            request_headers: exchange.request.headers.clone(),
            response: exchange.response.as_ref().map(|r| ResponseRecord {
                headers: r.headers.clone(),
                body: r.body.clone(),
                truncated: r.body_truncated,
            }),
        };
        tracing::info!(
            tenant_id = event.tenant_id,
            event = event.id,
            section = event.section.as_str(),
            attempt = attempts,
            status,
            decision = ?decision,
            "delivery attempt"
        );
        Ok((decision, Some(record), finished))
    }

    /// PortSIP's rules after an attempt (`rules::decide`).
    fn decide(
        &self,
        event: &Claimed,
        outcome: Option<AttemptOutcome>,
        now: OffsetDateTime,
    ) -> Decision {
        // The section no longer matters once an attempt was made.
        let sent = SectionNow {
            has_url: true,
            enabled: true,
        };
        rules::decide(&facts(event), sent, outcome, &self.config.schedule, now)
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
        self.state
            .queue_writes
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
        let metrics = &self.state.metrics;
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
            match queue::purge(&self.state.db, retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "deleted events past their retention time"),
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

/// What the rules know of a claimed event.
fn facts(event: &Claimed) -> EventFacts {
    EventFacts {
        section: event.section,
        attempts_before: u32::try_from(event.attempts).unwrap_or(0),
        manual: event.manual,
    }
}

/// A receiver's `Retry-After` (seconds) on 429 or 503.
fn retry_after(exchange: &crate::sender::Exchange) -> Option<Duration> {
    let response = exchange.response.as_ref()?;
    if response.status != 429 && response.status != 503 {
        return None;
    }
    response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}
