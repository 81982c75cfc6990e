//! The queue's writes, committed in groups: hand-ins of the PBX and the
//! records of finished attempts wait here for one writer, which commits
//! all that arrived together in one transaction (group commit) and answers
//! each once it is durable. One transaction per request or per attempt was
//! the bound on ingest and delivery (SQLite takes one writer at a time;
//! PostgreSQL pays a commit each); a group costs one.
//!
//! Each write is still all or none: when a group fails, its writes are
//! committed again one by one, so one bad write refuses only itself.
//!
//! With the attempts, each endpoint's failure streaks, alert and hourly
//! counts are kept (`health`), in the same transaction.

use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};
use std::{collections::HashMap, sync::Arc};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::{
    health::{self, HealthRules},
    keys,
    queue::{self, Outcome, Queued},
};
use crate::{mail::Outbox, persistence::write_gate::WriteGate};

/// Most writes committed together.
const GROUP: usize = 128;

/// A write the queue is asked to make.
#[derive(Clone)]
pub enum Write {
    /// Events handed in with ingest key `key_id`: all queued or none.
    Enqueue {
        rows: Vec<Queued>,
        key_id: i32,
        now: OffsetDateTime,
    },
    /// Claimed events' outcomes.
    Finish(Vec<Outcome>),
}

type Job = (Write, oneshot::Sender<anyhow::Result<()>>);

/// Hands writes to this instance's queue writer.
#[derive(Clone, Debug)]
pub struct QueueWriter {
    jobs: mpsc::Sender<Job>,
}

impl QueueWriter {
    /// Starts the writer (a task that ends when every handle is dropped).
    /// `rules`: when an endpoint whose attempts fail is flagged, and paused.
    /// `outbox`: where a section paused automatically is told of.
    pub fn start(
        db: DatabaseConnection,
        gate: Arc<WriteGate>,
        rules: HealthRules,
        outbox: Outbox,
    ) -> Self {
        let (jobs, queue) = mpsc::channel(4 * GROUP);
        tokio::spawn(run(db, gate, rules, outbox, queue));
        Self { jobs }
    }

    /// Makes `write`; returns once it is committed (or refused).
    pub async fn write(&self, write: Write) -> anyhow::Result<()> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((write, answer))
            .await
            .map_err(|_| anyhow::anyhow!("the queue writer has stopped"))?;
        answered
            .await
            .map_err(|_| anyhow::anyhow!("the queue writer stopped before answering"))?
    }
}

async fn run(
    db: DatabaseConnection,
    gate: Arc<WriteGate>,
    rules: HealthRules,
    outbox: Outbox,
    mut queue: mpsc::Receiver<Job>,
) {
    let mut group: Vec<Job> = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut group, GROUP).await > 0 {
        let turn = gate.enter().await;
        // What arrived while waiting for the turn goes in too.
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<&Write> = group.iter().map(|(write, _)| write).collect();
        match commit(&db, &writes, rules, &outbox).await {
            Ok(()) => {
                for (_, answer) in group.drain(..) {
                    let _ = answer.send(Ok(()));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some((_, answer)) = group.pop() {
                    let _ = answer.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    writes = group.len(),
                    "a group of queue writes failed; committing them one by one"
                );
                for (write, answer) in group.drain(..) {
                    let _ = answer.send(commit(&db, &[&write], rules, &outbox).await);
                }
            }
        }
        drop(turn);
    }
}

/// Makes `writes` in one transaction.
async fn commit(
    db: &DatabaseConnection,
    writes: &[&Write],
    rules: HealthRules,
    outbox: &Outbox,
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut keys_used: HashMap<i32, OffsetDateTime> = HashMap::new();
    let mut outcomes = Vec::new();
    for write in writes {
        match write {
            Write::Enqueue {
                rows: r,
                key_id,
                now,
            } => {
                rows.extend(r.iter().cloned());
                let used = keys_used.entry(*key_id).or_insert(*now);
                *used = (*used).max(*now);
            }
            Write::Finish(finished) => outcomes.extend(finished),
        }
    }
    let txn = db.begin().await.context("starting a transaction")?;
    queue::enqueue(&txn, rows).await?;
    for (key_id, now) in keys_used {
        keys::touch(&txn, key_id, now).await?;
    }
    // The endpoints' rows first, as a save or switch of the settings does
    // (then the held events it releases): on PostgreSQL, two transactions
    // that take the same rows in the same order never deadlock.
    health::keep(&txn, &outcomes, rules, outbox).await?;
    queue::finish(&txn, &outcomes).await?;
    txn.commit().await.context("committing queue writes")
}
