//! Retention: finished events past their time are deleted in batches, each
//! its own short write, so a purge of millions never keeps ingest out for
//! longer than one batch (on SQLite a batch holds the one write lock; on
//! PostgreSQL its row locks and its share of the disk).

use std::time::Duration;

use time::OffsetDateTime;

use super::queue;
use crate::persistence::write_gate::WriteGate;

/// How many events the next batch deletes: sized so that a batch takes
/// about `TARGET`, whatever the machine, the rows' attempts and search
/// terms (deleted with them) or the other work at the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSize(u64);

impl BatchSize {
    /// What a batch should take.
    pub const TARGET: Duration = Duration::from_millis(40);
    const MIN: u64 = 50;
    const MAX: u64 = 20_000;

    /// The first batch's size.
    pub const fn first() -> Self {
        Self(500)
    }

    /// A first batch of `n` (within the bounds): for tests that need
    /// several batches of a few rows.
    pub fn starting_at(n: u64) -> Self {
        Self(n.clamp(1, Self::MAX))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The size after a batch that took `took`: doubled below half the
    /// target, scaled down to the target above it (a batch over twice the
    /// target is halved at least).
    pub fn after(self, took: Duration) -> Self {
        let target = Self::TARGET.as_secs_f64();
        let took = took.as_secs_f64().max(1e-6);
        let next = if took < target / 2.0 {
            self.0.saturating_mul(2)
        } else if took > target {
            ((self.0 as f64) * (target / took).min(0.5)) as u64
        } else {
            self.0
        };
        Self(next.clamp(Self::MIN.min(self.0), Self::MAX))
    }
}

/// What a purge did, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub deleted: u64,
    pub batches: u32,
    /// The longest batch.
    pub longest: Duration,
}

/// Deletes every finished event that finished before `now - retention`,
/// batch by batch, each batch one statement in its own turn at the write
/// gate; between batches other writers go first.
pub async fn purge_expired(
    db: &impl sea_orm::ConnectionTrait,
    writes: &WriteGate,
    retention: time::Duration,
    now: OffsetDateTime,
    mut size: BatchSize,
) -> anyhow::Result<Purged> {
    let cut = now - retention;
    let mut purged = Purged::default();
    loop {
        // Timed from the turn on: waiting for other writers is not the
        // batch's cost.
        let (deleted, took) = {
            let _turn = writes.enter().await;
            let started = std::time::Instant::now();
            let deleted = queue::purge_batch(db, cut, size.get()).await?;
            (deleted, started.elapsed())
        };
        purged.deleted += deleted;
        purged.batches += 1;
        purged.longest = purged.longest.max(took);
        if deleted < size.get() {
            return Ok(purged);
        }
        size = size.after(took);
        // Whoever waited for the gate (a hand-in, a save) goes first.
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::BatchSize;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_quick_batch_doubles_the_next_up_to_the_ceiling() {
        let size = BatchSize::first();
        assert_eq!(size.after(5 * MS).get(), 1_000);
        let mut size = size;
        for _ in 0..20 {
            size = size.after(MS);
        }
        assert_eq!(size.get(), 20_000);
    }

    #[test]
    fn a_slow_batch_is_scaled_down_to_the_target() {
        // Twice the target: halved. Four times: a quarter.
        assert_eq!(BatchSize::starting_at(1_000).after(80 * MS).get(), 500);
        assert_eq!(BatchSize::starting_at(1_000).after(160 * MS).get(), 250);
        // Just over the target: halved at least, so one slow batch is not
        // followed by another as slow.
        assert_eq!(BatchSize::starting_at(1_000).after(41 * MS).get(), 500);
        // Never below the floor (but a test's smaller start stays).
        assert_eq!(BatchSize::starting_at(100).after(10 * 1000 * MS).get(), 50);
        assert_eq!(BatchSize::starting_at(3).after(10 * 1000 * MS).get(), 3);
    }

    #[test]
    fn a_batch_near_the_target_keeps_its_size() {
        assert_eq!(BatchSize::starting_at(800).after(30 * MS).get(), 800);
        assert_eq!(BatchSize::starting_at(800).after(40 * MS).get(), 800);
    }
}
