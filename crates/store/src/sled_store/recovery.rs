//! Flushing, and coming back from a failed flush without a restart.
//!
//! Each flush: the flush's number goes into sled's `meta` tree, sled flushes, the log and new
//! blobs are synced ([`super::disk_sync`]), and only then the watermark records the number
//! ([`super::watermark`]).
//!
//! A failed flush (a full disk, an I/O error) fails the commits it was to make durable, and
//! nothing else for good: sled remembers the error and fails every later flush, so the store
//! reopens it. A thread refuses changes at once ([`StoreError::Unavailable`], a clean failure to
//! the client), drops the database and opens it again from what is on disk (what the failed
//! commits wrote in memory is gone with it, and with the cache and the indexes rebuilt, no reader
//! can see it), then waits until the disk takes a write again and lets changes in. Reads go on
//! throughout, but for the moment of the reopen itself.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::backend::{Backend, WATERMARK_KEY, load};
use super::disk_sync::DiskSync;
use super::open::shortfall;
use super::watermark::{Mark, Watermark};
use super::{SLED_DIR, Shared, files};
use crate::{StoreError, StoreResult};

/// How long the recovery waits between attempts.
const RETRY: Duration = Duration::from_secs(1);
/// The size of the file written to see whether the disk takes writes again: a log segment of
/// sled (512 KiB) and some.
const PROBE_LEN: usize = 1024 * 1024;
const PROBE_FILE: &str = "store.probe";

/// What the flusher keeps between flushes.
pub(super) struct FlushState {
    disk: DiskSync,
    watermark: Watermark,
    /// The latest flush number made durable.
    last: Mark,
}

impl FlushState {
    pub(super) fn start(dir: &Path, last: Mark, watermark: Watermark) -> StoreResult<FlushState> {
        Ok(FlushState { disk: DiskSync::open(&dir.join(SLED_DIR))?, watermark, last })
    }
}

impl Shared {
    /// One group flush, for the group commit. On failure, starts the recovery.
    pub(super) fn flush_once(self: &Arc<Shared>) -> Result<(), String> {
        let result = self.try_flush();
        if let Err(error) = &result {
            self.start_recovery(format!("a write to disk failed ({error}); the store is recovering"));
        }
        result
    }

    fn try_flush(&self) -> Result<(), String> {
        let started = std::time::Instant::now();
        let mut flushing = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fault) = &self.flush_fault {
            fault()?;
        }
        let mark = Mark { flushes: flushing.last.flushes + 1, objects: self.objects.load(Ordering::Acquire) };
        {
            let backend = self.backend();
            let Some(backend) = backend.as_ref() else { return Err("the store is reopening".into()) };
            let sealed = self.sealer.seal(&mark.to_bytes(), WATERMARK_KEY).map_err(|e| e.to_string())?;
            backend.meta.insert(WATERMARK_KEY, sealed).map_err(|e| e.to_string())?;
            backend.db.flush().map_err(|e| e.to_string())?;
        }
        let syncing = std::time::Instant::now();
        flushing.disk.sync().map_err(|e| e.to_string())?;
        flushing.watermark.write(mark).map_err(|e| format!("writing the watermark: {e}"))?;
        flushing.last = mark;
        self.observer.flushed(started.elapsed(), syncing.elapsed());
        Ok(())
    }

    /// Refuses changes from now on and starts the recovery thread, unless it runs already.
    fn start_recovery(self: &Arc<Shared>, why: String) {
        *self.unavailable_why.lock().unwrap_or_else(|p| p.into_inner()) = why;
        self.unavailable.store(true, Ordering::Release);
        let mut slot = self.recovery.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|running| !running.is_finished()) {
            return;
        }
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("keyward-recovery".into()).spawn(move || shared.recover());
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
        while let Err(error) = self.probe() {
            tracing::warn!(%error, "the disk does not take writes yet; changes stay refused");
            if !self.pause() {
                return;
            }
        }
        self.unavailable.store(false, Ordering::Release);
        tracing::info!("the store takes changes again");
    }

    /// Whether the disk takes writes: a test's injected fault (a full disk) says no as long as it
    /// fails flushes, as a full disk would refuse the probe too.
    fn probe(&self) -> std::io::Result<()> {
        if let Some(fault) = &self.flush_fault {
            fault().map_err(std::io::Error::other)?;
        }
        probe(&self.dir)
    }

    /// Waits before another attempt; false when the store is closing.
    fn pause(&self) -> bool {
        for _ in 0..10 {
            if self.closing.load(Ordering::Acquire) {
                return false;
            }
            std::thread::sleep(RETRY / 10);
        }
        !self.closing.load(Ordering::Acquire)
    }

    /// Drops the database and opens it again from disk, with the indexes rebuilt and the cache
    /// emptied; then tells the group commit that every commit not durable by now failed.
    fn reopen(&self) -> StoreResult<()> {
        let mut flushing = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let mut backend = self.backend.write().unwrap_or_else(|p| p.into_inner());
        // The old handle must be gone before sled lets the database be opened again.
        *backend = None;
        let reopened = Backend::open(&self.dir.join(SLED_DIR), self.cache_capacity)?;
        let loaded = load(&reopened)?;
        let own = reopened.mark(&self.sealer)?;
        if let Some(problem) = shortfall(own, Some(flushing.last), loaded.objects) {
            return Err(StoreError::Damaged(problem));
        }
        flushing.disk = DiskSync::open(&self.dir.join(SLED_DIR))?;
        flushing.last = own.map_or(flushing.last, |own| own.max(flushing.last));
        self.index.replace(loaded.index);
        self.objects.store(loaded.objects, Ordering::Release);
        self.cache.clear();
        *backend = Some(reopened);
        self.group().recovered("the store was reopened after a failed write; this change may not have been written");
        Ok(())
    }
}

/// Writes, syncs and removes a file in `dir`: whether the disk takes writes.
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(PROBE_FILE);
    let result = (|| {
        let mut file = File::create(&path)?;
        files::restrict_file(&path)?;
        file.write_all(&vec![0; PROBE_LEN])?;
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result
}
