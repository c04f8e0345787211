//! sled's part of flushing, and of coming back from a failed flush (the record layer runs the
//! recovery: [`crate::records`]).
//!
//! Each flush: the flush's number goes into sled's `meta` tree, sled flushes, the log and new
//! blobs are synced ([`super::disk_sync`]), and only then the watermark records the number
//! ([`super::watermark`]).
//!
//! sled remembers a failed flush and fails every later one, so a recovery drops the database and
//! opens it again from what is on disk, checking that it still holds what was acknowledged; the
//! disk takes writes again when a probe file can be written and synced.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::backend::{Backend, WATERMARK_KEY, load};
use super::disk_sync::DiskSync;
use super::open::shortfall;
use super::record_backend::SledBackend;
use super::watermark::{Mark, Watermark};
use super::{SLED_DIR, files};
use crate::records::Loaded;
use crate::{StoreError, StoreResult};

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

impl SledBackend {
    /// One group flush.
    pub(super) fn flush_database(&self) -> Result<(), String> {
        let started = std::time::Instant::now();
        let mut flushing = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fault) = &self.flush_fault {
            fault()?;
        }
        let mark = Mark { flushes: flushing.last.flushes + 1, objects: self.objects.load(Ordering::Acquire) };
        self.with(|backend| {
            let sealed = self.sealer.seal(&mark.to_bytes(), WATERMARK_KEY)?;
            backend.meta.insert(WATERMARK_KEY, sealed)?;
            backend.db.flush()?;
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        let syncing = std::time::Instant::now();
        flushing.disk.sync().map_err(|e| e.to_string())?;
        flushing.watermark.write(mark).map_err(|e| format!("writing the watermark: {e}"))?;
        flushing.last = mark;
        self.observer.flushed(started.elapsed(), syncing.elapsed());
        Ok(())
    }

    /// Whether the disk takes writes: a test's injected fault (a full disk) says no as long as it
    /// fails flushes, as a full disk would refuse the probe too.
    pub(super) fn probe_disk(&self) -> std::io::Result<()> {
        if let Some(fault) = &self.flush_fault {
            fault().map_err(std::io::Error::other)?;
        }
        probe(&self.dir)
    }

    /// Drops the database and opens it again from disk, reading its headers into a new index;
    /// refused if it holds less than the watermark says was acknowledged.
    pub(super) fn reopen_database(&self) -> StoreResult<Loaded> {
        let mut flushing = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        // Until all of it passes, the handle stays empty: no read reaches a database that lacks
        // what was acknowledged.
        self.replace(|| {
            let reopened = Backend::open(&self.dir.join(SLED_DIR), self.cache_capacity)?;
            let own = reopened.mark(&self.sealer)?;
            let loaded = load(&reopened)?;
            if let Some(problem) = shortfall(own, Some(flushing.last), loaded.objects) {
                return Err(StoreError::Damaged(problem));
            }
            flushing.disk = DiskSync::open(&self.dir.join(SLED_DIR))?;
            flushing.last = own.map_or(flushing.last, |own| own.max(flushing.last));
            self.objects.store(loaded.objects, Ordering::Release);
            Ok((reopened, loaded))
        })
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
