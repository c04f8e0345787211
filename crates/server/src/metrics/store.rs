//! The store's metrics: commit and flush latencies, and the decrypted-object cache.

use std::time::Duration;

use keyward_store::StoreObserver;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Bucket bounds of commit, flush and fsync latencies, in seconds: an fdatasync costs about
/// 0.1 ms on a fast disk and tens of milliseconds on a slow or busy one.
const DISK_BUCKETS: [f64; 14] =
    [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

pub(super) struct StoreMetrics {
    commits: Histogram,
    flushes: Histogram,
    fsyncs: Histogram,
    peer_waits: Histogram,
    cache_hits: Counter,
    cache_misses: Counter,
}

impl StoreMetrics {
    pub(super) fn register(registry: &mut Registry) -> StoreMetrics {
        let metrics = StoreMetrics {
            commits: Histogram::new(DISK_BUCKETS),
            flushes: Histogram::new(DISK_BUCKETS),
            fsyncs: Histogram::new(DISK_BUCKETS),
            peer_waits: Histogram::new(DISK_BUCKETS.into_iter().chain([2.5, 5.0, 10.0])),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
        };
        registry.register(
            "keyward_store_commit_seconds",
            "Time from a commit asked for to its changes on disk (group commit: the wait for a flush included)",
            metrics.commits.clone(),
        );
        registry.register(
            "keyward_store_flush_seconds",
            "Time of one group flush: sled's flush and the fdatasync calls",
            metrics.flushes.clone(),
        );
        registry.register(
            "keyward_store_fsync_seconds",
            "Time of the fdatasync calls of one group flush",
            metrics.fsyncs.clone(),
        );
        registry.register(
            "keyward_store_peer_wait_seconds",
            "PostgreSQL store: time a committed change of existing objects waited for the other nodes to drop their \
             cached copies (a node that does not answer: until its lease expires)",
            metrics.peer_waits.clone(),
        );
        registry.register(
            "keyward_store_cache_hits",
            "Object reads answered from the cache of decrypted objects",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "keyward_store_cache_misses",
            "Object reads that went to the disk and decrypted (an identifier that does not exist included)",
            metrics.cache_misses.clone(),
        );
        metrics
    }
}

impl StoreObserver for StoreMetrics {
    fn cache_lookup(&self, hit: bool) {
        if hit { &self.cache_hits } else { &self.cache_misses }.inc();
    }

    fn commit_durable(&self, elapsed: Duration) {
        self.commits.observe(elapsed.as_secs_f64());
    }

    fn flushed(&self, flush: Duration, fsync: Duration) {
        self.flushes.observe(flush.as_secs_f64());
        self.fsyncs.observe(fsync.as_secs_f64());
    }

    fn peers_waited(&self, elapsed: Duration) {
        self.peer_waits.observe(elapsed.as_secs_f64());
    }
}
