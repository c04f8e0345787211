//! Flushing, and coming back from a failed flush without a restart.
//!
//! A failed flush (a full disk, an I/O error) fails the commits it was to make durable, and
//! nothing else for good. A thread refuses changes at once ([`StoreError::Unavailable`], a clean
//! failure to the client), reopens the backend from what is durable (what the failed commits wrote
//! is gone with it, and with the cache emptied and the index rebuilt, no reader can see it), then
//! waits until the medium takes a write again and lets changes in. Reads go on throughout, but
//! for the moment of the reopen itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{RecordBackend, RecordStore};
use crate::{StoreError, StoreResult};

/// How long the recovery waits between attempts.
const RETRY: Duration = Duration::from_secs(1);

/// Waits `total` before a background job tries again, in tenths so that `stop` is heard soon;
/// false when `stop` was set.
pub(crate) fn pause(total: Duration, stop: &AtomicBool) -> bool {
    for _ in 0..10 {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        std::thread::sleep(total / 10);
    }
    !stop.load(Ordering::Acquire)
}

impl<B: RecordBackend> RecordStore<B> {
    /// One group flush, for the group commit. On failure, starts the recovery.
    pub(super) fn flush_once(self: &Arc<Self>) -> Result<(), String> {
        let result = {
            // A reopen waits for the flush, and a flush for the reopen.
            let _open = self.reopening.read().unwrap_or_else(|p| p.into_inner());
            self.backend.flush()
        };
        if let Err(error) = &result {
            self.start_recovery(format!("a write to disk failed ({error}); the store is recovering"));
        }
        result
    }

    /// Refuses changes from now on and starts the recovery thread, unless it runs already.
    fn start_recovery(self: &Arc<Self>, why: String) {
        *self.unavailable_why.lock().unwrap_or_else(|p| p.into_inner()) = why;
        self.unavailable.store(true, Ordering::Release);
        let mut slot = self.recovery.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|running| !running.is_finished()) {
            return;
        }
        let layer = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("keyward-recovery".into()).spawn(move || layer.recover());
        match spawned {
            Ok(handle) => *slot = Some(handle),
            Err(error) => tracing::error!(%error, "cannot start the store's recovery; restart the server"),
        }
    }

    fn recover(&self) {
        tracing::warn!("reopening the store from disk after a failed write; changes are refused meanwhile");
        while let Err(error) = self.reopen() {
            tracing::error!(%error, "reopening the store failed; trying again");
            if !self.pause() {
                return;
            }
        }
        while let Err(error) = self.backend.probe() {
            tracing::warn!(%error, "the disk does not take writes yet; changes stay refused");
            if !self.pause() {
                return;
            }
        }
        // A change refused meanwhile wrote nothing, but its number was reserved and ended, and a
        // flush of it may have failed; remembered, that failure would fail every fence from now
        // on. Nothing was applied since the reopen: those numbers are settled as failed.
        self.group().recovered("the store was refusing changes after a failed write; this change was not written");
        self.unavailable.store(false, Ordering::Release);
        tracing::info!("the store takes changes again");
    }

    /// Waits before another attempt; false when the store is closing.
    fn pause(&self) -> bool {
        pause(RETRY, &self.closing)
    }

    /// Reopens the backend from what is durable, with the index rebuilt and the cache emptied;
    /// then tells the group commit that every commit not durable by now failed.
    fn reopen(&self) -> StoreResult<()> {
        let _alone = self.reopening.write().unwrap_or_else(|p| p.into_inner());
        let loaded = self.backend.reopen().map_err(|error| match error {
            StoreError::Corrupt(what) => StoreError::Damaged(what),
            other => other,
        })?;
        self.index.replace(loaded.index);
        self.cache.clear();
        self.group().recovered("the store was reopened after a failed write; this change may not have been written");
        Ok(())
    }
}
