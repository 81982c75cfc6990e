//! Short-lived copies of what every signed-in page reads (the session, its
//! administrator, the tenant's settings), so that a page costs no database
//! round trip while they are fresh.
//!
//! Coherence, in one rule: a change made through this instance is seen by
//! every request that starts after the write has committed (the writer
//! drops the entry then, and a copy whose read began before that drop is
//! not served to such a request); a change made elsewhere (another
//! instance, the CLI, SQL by hand) is seen once the copy's lifetime,
//! `EVENTURL_READ_CACHE_MS`, has passed. Requests that miss together wait
//! for one read instead of each making their own (no stampede when a copy
//! ends). A lifetime of zero turns the cache off.

use std::{
    future::Future,
    hash::{BuildHasher, Hash},
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
}

/// Drop counters, one per stripe of keys: a copy records its stripe's count
/// when its read began; a request only takes copies read after every drop
/// it could know of. (Keys sharing a stripe only cost an extra read.)
const STRIPES: usize = 256;

#[derive(Clone)]
struct Kept<V> {
    value: V,
    read_from: u64,
}

/// One cache of `V` by `K` with a bounded size and lifetime.
#[derive(Clone)]
pub struct ReadCache<K, V> {
    entries: Option<moka::future::Cache<K, Kept<V>>>,
    drops: Arc<[AtomicU64]>,
    hasher: std::collections::hash_map::RandomState,
}

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("enabled", &self.entries.is_some())
            .finish_non_exhaustive()
    }
}

/// A failed read, shared by the requests that waited for it; its causes
/// stay reachable (`anyhow::Error::chain`), so a database outage is still
/// recognised as one.
#[derive(Debug, Clone)]
pub struct SharedError(Arc<anyhow::Error>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let inner: &(dyn std::error::Error + Send + Sync + 'static) = (*self.0).as_ref();
        Some(inner)
    }
}

impl<K, V> ReadCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(freshness: Freshness, capacity: u64) -> Self {
        let entries = (!freshness.0.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(freshness.0)
                .build()
        });
        Self {
            entries,
            drops: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: Default::default(),
        }
    }

    /// Whether copies are kept at all (a lifetime above zero).
    pub fn keeps_copies(&self) -> bool {
        self.entries.is_some()
    }

    fn drops_of(&self, key: &K) -> &AtomicU64 {
        // The remainder is below STRIPES, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let stripe = (self.hasher.hash_one(key) % STRIPES as u64) as usize;
        &self.drops[stripe]
    }

    /// The copy of `key`, or what `load` reads (once for all the requests
    /// that ask meanwhile).
    pub async fn get_or_load<F, Fut>(&self, key: &K, load: F) -> anyhow::Result<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = anyhow::Result<V>>,
    {
        let Some(entries) = &self.entries else {
            return load().await;
        };
        let drops = self.drops_of(key);
        let known = drops.load(Ordering::Acquire);
        loop {
            let copy = entries
                .try_get_with(key.clone(), async {
                    let read_from = drops.load(Ordering::Acquire);
                    load().await.map(|value| Kept { value, read_from })
                })
                .await
                .map_err(|e| anyhow::Error::new(SharedError(e)))?;
            if copy.read_from >= known {
                return Ok(copy.value);
            }
            // Read before a write this request must see: read again.
            entries.invalidate(key).await;
        }
    }

    /// The copy of `key` if there is one, read after every drop so far
    /// (for tests: the app always reads through `get_or_load`).
    #[cfg(test)]
    async fn get(&self, key: &K) -> Option<V> {
        let known = self.drops_of(key).load(Ordering::Acquire);
        let copy = self.entries.as_ref()?.get(key).await?;
        (copy.read_from >= known).then_some(copy.value)
    }

    /// Keeps what this instance has just written (the newest there is).
    pub async fn put(&self, key: K, value: V) {
        if let Some(entries) = &self.entries {
            let read_from = self.drops_of(&key).load(Ordering::Acquire);
            entries.insert(key, Kept { value, read_from }).await;
        }
    }

    /// After a write has committed: requests from now on read again.
    pub async fn drop_entry(&self, key: &K) {
        self.drops_of(key).fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate(key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn cache() -> ReadCache<i32, String> {
        ReadCache::new(Freshness::millis(60_000), 100)
    }

    async fn read(cache: &ReadCache<i32, String>, reads: &AtomicUsize, value: &str) -> String {
        cache
            .get_or_load(&1, || async {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok(value.to_owned())
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_copy_is_served_until_its_entry_is_dropped() {
        let (cache, reads) = (cache(), AtomicUsize::new(0));
        assert_eq!(read(&cache, &reads, "one").await, "one");
        assert_eq!(read(&cache, &reads, "two").await, "one");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        cache.drop_entry(&1).await;
        assert_eq!(read(&cache, &reads, "two").await, "two");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_read_that_began_before_a_write_is_not_served_after_it() {
        let cache = cache();
        let (started, finish) = (tokio::sync::Notify::new(), tokio::sync::Notify::new());
        let slow_read = cache.get_or_load(&1, || async {
            started.notify_one();
            finish.notified().await;
            Ok("before the write".to_owned())
        });
        let write_then_read = async {
            started.notified().await;
            // The write commits and drops while the slow read is under way ...
            cache.drop_entry(&1).await;
            finish.notify_one();
            // ... so a request starting now must not get what it read.
            cache
                .get_or_load(&1, || async { Ok("after the write".to_owned()) })
                .await
                .unwrap()
        };
        let (slow, fresh) = tokio::join!(slow_read, write_then_read);
        // The slow request began before the write: either answer is right.
        assert!(slow.is_ok());
        assert_eq!(fresh, "after the write");
        assert_eq!(cache.get(&1).await.as_deref(), Some("after the write"));
    }

    #[tokio::test]
    async fn requests_that_miss_together_wait_for_one_read() {
        let (cache, reads) = (cache(), AtomicUsize::new(0));
        let gate = tokio::sync::Semaphore::new(0);
        let load = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            let _ = gate.acquire().await;
            Ok("one".to_owned())
        };
        let opener = async {
            tokio::task::yield_now().await;
            gate.add_permits(1);
        };
        let (a, b, c, ()) = tokio::join!(
            cache.get_or_load(&1, load),
            cache.get_or_load(&1, load),
            cache.get_or_load(&1, load),
            opener
        );
        assert_eq!(
            (a.unwrap(), b.unwrap(), c.unwrap()),
            ("one".into(), "one".into(), "one".into())
        );
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_read_keeps_its_cause_and_is_not_kept() {
        let cache = cache();
        let failed = cache
            .get_or_load(&1, || async {
                Err(anyhow::Error::new(std::io::Error::other("disk gone")).context("reading"))
            })
            .await
            .unwrap_err();
        assert!(failed
            .chain()
            .any(|cause| cause.downcast_ref::<std::io::Error>().is_some()));
        assert_eq!(cache.get(&1).await, None);
    }

    #[tokio::test]
    async fn copies_end_after_their_lifetime() {
        let cache = ReadCache::new(Freshness::millis(50), 100);
        cache.put(1, "one".to_owned()).await;
        assert_eq!(cache.get(&1).await.as_deref(), Some("one"));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(cache.get(&1).await, None);
    }

    #[tokio::test]
    async fn a_zero_lifetime_keeps_nothing() {
        let (cache, reads) = (ReadCache::new(Freshness::OFF, 100), AtomicUsize::new(0));
        assert!(!cache.keeps_copies());
        cache.put(1, "kept?".to_owned()).await;
        assert_eq!(cache.get(&1).await, None);
        read(&cache, &reads, "one").await;
        read(&cache, &reads, "one").await;
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }
}
