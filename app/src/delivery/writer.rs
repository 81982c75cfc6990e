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
    metrics::DeliveryMetrics,
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

/// A write and where its answer goes.
type Job = (Write, oneshot::Sender<anyhow::Result<()>>);
/// What a group is made of: a write of any kind, and its answer's channel.
type Answered<W> = (W, oneshot::Sender<anyhow::Result<()>>);

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
        metrics: Arc<DeliveryMetrics>,
    ) -> Self {
        let (jobs, queue) = mpsc::channel(4 * GROUP);
        tokio::spawn(run(db, gate, rules, outbox, metrics, queue));
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
    metrics: Arc<DeliveryMetrics>,
    queue: mpsc::Receiver<Job>,
) {
    let mut groups = Groups::new(queue, GROUP);
    while let Some((group, turn)) = groups.next(gate.enter()).await {
        let writes: Vec<&Write> = group.iter().map(|(write, _)| write).collect();
        let together = commit(&db, &writes, rules, &outbox, &metrics).await;
        settle(group, together, |write| {
            let (db, outbox, metrics) = (&db, &outbox, &metrics);
            async move { commit(db, &[&write], rules, outbox, metrics).await }
        })
        .await;
        drop(turn);
    }
}

/// Jobs taken from a queue in groups.
struct Groups<W> {
    queue: mpsc::Receiver<Answered<W>>,
    most: usize,
}

impl<W> Groups<W> {
    fn new(queue: mpsc::Receiver<Answered<W>>, most: usize) -> Self {
        Self { queue, most }
    }

    /// The next group: waits for a first job, then for `turn` (the write
    /// gate), then adds what arrived meanwhile, up to `most` in all. None
    /// once every sender is gone and the queue is empty.
    async fn next<T>(
        &mut self,
        turn: impl std::future::Future<Output = T>,
    ) -> Option<(Vec<Answered<W>>, T)> {
        let mut group = Vec::with_capacity(self.most);
        if self.queue.recv_many(&mut group, self.most).await == 0 {
            return None;
        }
        let turn = turn.await;
        while group.len() < self.most {
            match self.queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        Some((group, turn))
    }
}

/// Answers a group's jobs: each `Ok` when it was committed `together`;
/// otherwise each is committed again alone (`one`) and answered with its
/// own result, so one bad write refuses only itself.
async fn settle<W, F, Fut>(group: Vec<Answered<W>>, together: anyhow::Result<()>, mut one: F)
where
    F: FnMut(W) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    match together {
        Ok(()) => {
            for (_, answer) in group {
                let _ = answer.send(Ok(()));
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some((_, answer)) = group.into_iter().next() {
                let _ = answer.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                writes = group.len(),
                "a group of queue writes failed; committing them one by one"
            );
            for (write, answer) in group {
                let _ = answer.send(one(write).await);
            }
        }
    }
}

/// Makes `writes` in one transaction.
async fn commit(
    db: &DatabaseConnection,
    writes: &[&Write],
    rules: HealthRules,
    outbox: &Outbox,
    metrics: &DeliveryMetrics,
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
    let moments = health::keep(&txn, &outcomes, rules, outbox).await?;
    queue::finish(&txn, &outcomes).await?;
    txn.commit().await.context("committing queue writes")?;
    for moment in moments {
        metrics.alert(moment);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u32) -> (Answered<u32>, oneshot::Receiver<anyhow::Result<()>>) {
        let (answer, answered) = oneshot::channel();
        ((n, answer), answered)
    }

    #[tokio::test]
    async fn what_arrives_while_waiting_for_the_turn_joins_the_group_up_to_its_limit() {
        let (jobs, queue) = mpsc::channel(16);
        let mut groups = Groups::new(queue, 3);
        let mut answers = Vec::new();
        let (first, answered) = job(1);
        jobs.send(first).await.unwrap();
        answers.push(answered);
        // The turn comes only after three more were sent.
        let jobs2 = jobs.clone();
        let turn = async move {
            for n in 2..=4 {
                let (more, _answered) = job(n);
                jobs2.send(more).await.unwrap();
            }
            "turn"
        };
        let (group, turn) = groups.next(turn).await.expect("a group");
        assert_eq!(turn, "turn");
        let ids: Vec<u32> = group.iter().map(|(n, _)| *n).collect();
        assert_eq!(ids, vec![1, 2, 3], "at most three, in arrival order");
        let (group, _) = groups.next(async {}).await.expect("the rest");
        assert_eq!(group.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![4]);
        drop(jobs);
        assert!(
            groups.next(async {}).await.is_none(),
            "ends with its senders"
        );
    }

    #[tokio::test]
    async fn a_failed_group_is_committed_again_one_by_one_so_one_bad_write_refuses_only_itself() {
        let (mut group, mut answered) = (Vec::new(), Vec::new());
        for n in 1..=3 {
            let (j, a) = job(n);
            group.push(j);
            answered.push(a);
        }
        let mut tried = Vec::new();
        settle(group, Err(anyhow::anyhow!("2 is bad")), |n| {
            tried.push(n);
            async move {
                if n == 2 {
                    Err(anyhow::anyhow!("2 is bad"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert_eq!(tried, vec![1, 2, 3]);
        let results: Vec<bool> = futures_ok(answered).await;
        assert_eq!(results, vec![true, false, true]);
    }

    #[tokio::test]
    async fn a_group_committed_together_answers_all_and_commits_nothing_again() {
        let (mut group, mut answered) = (Vec::new(), Vec::new());
        for n in 1..=3 {
            let (j, a) = job(n);
            group.push(j);
            answered.push(a);
        }
        settle(group, Ok(()), |_| async { panic!("not committed again") }).await;
        assert_eq!(futures_ok(answered).await, vec![true, true, true]);

        // A group of one that failed: its own error, not a second try.
        let (j, a) = job(9);
        settle(vec![j], Err(anyhow::anyhow!("bad")), |_| async {
            panic!("not committed again")
        })
        .await;
        assert!(a.await.unwrap().is_err());
    }

    async fn futures_ok(answered: Vec<oneshot::Receiver<anyhow::Result<()>>>) -> Vec<bool> {
        let mut results = Vec::new();
        for a in answered {
            results.push(a.await.expect("answered").is_ok());
        }
        results
    }
}
