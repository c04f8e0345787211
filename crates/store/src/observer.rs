//! What the store tells an observer about its work, for the server's metrics.
//!
//! The store does no I/O of its own for this and knows nothing of an exporter: it calls the
//! [`StoreObserver`] it was opened with, a no-op unless the server passes one in. The calls sit on
//! hot paths (every read asks the cache), so an implementation must be a few atomic operations,
//! never a lock held long or an allocation.

use std::time::Duration;

/// Receives the store's measurements. Every method has an empty default.
pub trait StoreObserver: Send + Sync {
    /// A read was answered from the cache of decrypted objects (`hit`), or had to go to the disk
    /// and decrypt (`!hit`, also for an identifier that does not exist).
    fn cache_lookup(&self, hit: bool) {
        let _ = hit;
    }

    /// A commit's changes are on disk, `elapsed` after the commit was asked for: what a client
    /// waits for.
    fn commit_durable(&self, elapsed: Duration) {
        let _ = elapsed;
    }

    /// A group flush is done: `flush` in all (sled's flush and the syncs), `fsync` of which in the
    /// `fdatasync` calls.
    fn flushed(&self, flush: Duration, fsync: Duration) {
        let _ = (flush, fsync);
    }

    /// On a store several servers share: a committed change of existing objects waited `elapsed`
    /// for the other nodes to drop their cached copies (or for their leases to expire).
    fn peers_waited(&self, elapsed: Duration) {
        let _ = elapsed;
    }
}

/// The observer of a store nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl StoreObserver for NoObserver {}
