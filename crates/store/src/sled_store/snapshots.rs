//! Writing snapshots of the resident index (the file format is [`super::index_snapshot`]): every
//! [`super::SledOptions::index_snapshot_interval`] while anything changes, and at a clean close.

use std::time::{Duration, Instant};

use super::{Layer, index_snapshot, journal};
use crate::StoreResult;

/// Writes a snapshot: its point read with no commit in flight, then the index, which is written
/// once all of it is durable; then the journal's entries before the point go.
pub(super) fn write(layer: &Layer) -> StoreResult<()> {
    let backend = &layer.backend;
    let since = {
        // Alone: no write is in flight (each holds the gate from its journal entry to its index
        // update).
        let _alone = layer.writes_paused();
        let since = backend.with(journal::mark)?;
        backend.floor.raise(&since);
        since
    };
    let started = Instant::now();
    let exported = layer.index.export();
    // How long the copy took (commits go on between its chunks).
    let export_ms = started.elapsed().as_millis() as u64;
    layer.read_fence().wait()?;
    index_snapshot::write(&backend.dir, &exported, &since, backend.snapshot_key.as_ref())?;
    backend.with(|database| journal::trim(database, &since))?;
    let objects = exported.objects.len();
    tracing::debug!(objects, export_ms, ms = started.elapsed().as_millis() as u64, "wrote an index snapshot");
    Ok(())
}

/// The snapshot thread: a snapshot every `every` while the store is open, when anything became
/// durable since the last.
pub(super) fn write_every(layer: &Layer, every: Duration) {
    let step = Duration::from_millis(100).min(every);
    let stop = &layer.backend.snapshots_stop;
    let mut written_at = layer.group().durable();
    loop {
        let mut waited = Duration::ZERO;
        while waited < every {
            if stop.load(std::sync::atomic::Ordering::Acquire) {
                return;
            }
            std::thread::sleep(step);
            waited += step;
        }
        let durable = layer.group().durable();
        if durable == written_at || layer.is_unavailable() {
            continue;
        }
        match write(layer) {
            Ok(()) => written_at = durable,
            Err(error) => tracing::warn!(%error, "an index snapshot was not written; a start after a crash scans more"),
        }
    }
}

/// Leaves the resident index for the next open, at a clean close whose last flush is done (so
/// that all of it is durable). Best effort: without it the next open reads the last snapshot and
/// the changes since, or scans the records.
pub(super) fn write_at_close(layer: &Layer) {
    let backend = &layer.backend;
    let written = (|| -> StoreResult<()> {
        let since = backend.with(journal::mark)?;
        index_snapshot::write(&backend.dir, &layer.index.export(), &since, backend.snapshot_key.as_ref())?;
        Ok(())
    })();
    if let Err(error) = written {
        tracing::warn!(%error, "the index snapshot was not written at close");
    }
}
