//! Short-lived copies of what every signed-in page reads (the session, its
//! administrator, the tenant's settings), so that a page costs no database
//! round trip while they are fresh.
//!
//! Coherence, in one rule: a change made through this instance is seen by
//! its next request (the writer drops the entry after its write commits,
//! and a read that raced with the write does not put its older copy back);
//! a change made elsewhere (another instance, the CLI, SQL by hand) is seen
//! once the entry's lifetime, `EVENTURL_READ_CACHE_MS`, has passed. A
//! lifetime of zero turns the cache off: every request reads the database.

use std::{
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

/// How long a copy may be served; zero: not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness(Duration);

impl Freshness {
    pub const OFF: Self = Self(Duration::ZERO);

    pub fn millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    pub fn lifetime(self) -> Duration {
        self.0
    }
}

/// One cache of `V` by `K` with a bounded size and lifetime.
#[derive(Clone)]
pub struct ReadCache<K, V> {
    entries: Option<moka::sync::Cache<K, V>>,
    /// Counts drops: a read that started before one may not fill.
    drops: Arc<AtomicU64>,
}

/// Taken before reading the database; filling with it fails if an entry
/// was dropped meanwhile (the value read may predate that write).
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct Ticket(u64);

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("enabled", &self.entries.is_some())
            .finish_non_exhaustive()
    }
}

impl<K, V> ReadCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(freshness: Freshness, capacity: u64) -> Self {
        let entries = (!freshness.0.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(freshness.0)
                .build()
        });
        Self {
            entries,
            drops: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.as_ref()?.get(key)
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.drops.load(Ordering::Acquire))
    }

    /// Keeps `value`, read from the database after `ticket` was taken,
    /// unless an entry was dropped since (then the next read goes to the
    /// database again).
    pub fn fill(&self, ticket: Ticket, key: K, value: V) {
        let Some(entries) = &self.entries else {
            return;
        };
        if self.drops.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        entries.insert(key.clone(), value);
        // A drop between the check and the insert may have missed this
        // entry: take it out again.
        if self.drops.load(Ordering::Acquire) != ticket.0 {
            entries.invalidate(&key);
        }
    }

    /// Keeps what this instance has just written (it is the newest there is).
    pub fn put(&self, key: K, value: V) {
        if let Some(entries) = &self.entries {
            entries.insert(key, value);
        }
    }

    /// After a write has committed: the next read goes to the database.
    pub fn drop_entry(&self, key: &K) {
        self.drops.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ReadCache<i32, &'static str> {
        ReadCache::new(Freshness::millis(60_000), 100)
    }

    #[test]
    fn a_fill_is_served_until_its_entry_is_dropped() {
        let cache = cache();
        let ticket = cache.ticket();
        cache.fill(ticket, 1, "one");
        assert_eq!(cache.get(&1), Some("one"));
        cache.drop_entry(&1);
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_read_that_raced_with_a_write_does_not_fill() {
        let cache = cache();
        let ticket = cache.ticket();
        // The write commits and drops while the read is under way ...
        cache.drop_entry(&1);
        // ... so what the read found may be older than the write.
        cache.fill(ticket, 1, "before the write");
        assert_eq!(cache.get(&1), None);
        // The next read fills.
        let ticket = cache.ticket();
        cache.fill(ticket, 1, "after the write");
        assert_eq!(cache.get(&1), Some("after the write"));
    }

    #[test]
    fn entries_end_after_their_lifetime() {
        let cache = ReadCache::new(Freshness::millis(50), 100);
        cache.put(1, "one");
        assert_eq!(cache.get(&1), Some("one"));
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_zero_lifetime_keeps_nothing() {
        let cache = ReadCache::new(Freshness::OFF, 100);
        cache.put(1, "one");
        let ticket = cache.ticket();
        cache.fill(ticket, 2, "two");
        assert_eq!((cache.get(&1), cache.get(&2)), (None, None));
    }
}
