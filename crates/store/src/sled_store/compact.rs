//! `keyward store compact`: the store rewritten into a fresh database that holds only the current
//! value of each record, then swapped in.
//!
//! sled appends every write to its log and reclaims a segment only when it cleans it, at a time
//! of its choosing (later still in the high-throughput mode the store uses): the sealed record of
//! a destroyed key stays in the `db` file, readable by anyone who has both the file and the KEK,
//! for an unbounded time. A rewrite copies the current values only, so after it no file of the
//! data directory holds an earlier one. (Removing a file does not overwrite its blocks on the
//! device: see docs/operations/store.md.)
//!
//! The swap, with the server stopped (sled's lock refuses a second opener): the copy is written
//! and synced in `objects.sled.compact`, the store renamed `objects.sled.old`, the copy renamed
//! `objects.sled`, the directory synced, the old one removed. A compaction cut at any point is
//! finished or undone by the next one ([`tidy`]); the server refuses to start while
//! `objects.sled` is missing (its watermark would be ahead of an empty store).

use std::path::Path;

use super::backend::{Backend, WATERMARK_KEY};
use super::disk_sync::DiskSync;
use super::header::Header;
use super::verify::{VerifyReport, open_existing, verify};
use super::{SLED_DIR, files};
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

const COPY_DIR: &str = "objects.sled.compact";
const OLD_DIR: &str = "objects.sled.old";

/// What a compaction did.
#[derive(Debug)]
pub struct CompactReport {
    pub objects: u64,
    pub settings: u64,
    /// The size of the store's files before and after, in bytes.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

pub(super) fn compact(dir: &Path, sealer: &Sealer, cache_capacity: u64) -> StoreResult<CompactReport> {
    tidy(dir)?;
    let report: VerifyReport = verify(dir, sealer, cache_capacity)?;
    if !report.is_clean() {
        let first = report.shortfall.clone().or_else(|| report.damaged_records.first().cloned()).unwrap_or_default();
        return Err(StoreError::Damaged(format!(
            "`keyward store verify` finds problems ({first}); compaction copies a healthy store only"
        )));
    }
    let bytes_before = size_of(&dir.join(SLED_DIR))?;
    {
        let (source, _) = open_existing(dir, sealer, cache_capacity)?;
        let copy = Backend::open(&dir.join(COPY_DIR), cache_capacity)?;
        copy_trees(&source, &copy)?;
        copy.db.flush()?;
        DiskSync::open(&dir.join(COPY_DIR))?.sync()?;
    }
    files::restrict(&dir.join(COPY_DIR))?;
    // Both databases are closed (their handles dropped above); sled lets go of them at once
    // when no flusher thread holds a handle, as here.
    std::fs::rename(dir.join(SLED_DIR), dir.join(OLD_DIR))?;
    std::fs::rename(dir.join(COPY_DIR), dir.join(SLED_DIR))?;
    std::fs::File::open(dir)?.sync_all()?;
    std::fs::remove_dir_all(dir.join(OLD_DIR))?;
    std::fs::File::open(dir)?.sync_all()?;
    // A final open checks the copy as the server will (the watermark included).
    let check = verify(dir, sealer, cache_capacity)?;
    if !check.is_clean() {
        return Err(StoreError::Damaged(format!("the compacted store fails verification: {check:?}")));
    }
    Ok(CompactReport {
        objects: report.objects,
        settings: report.settings,
        bytes_before,
        bytes_after: size_of(&dir.join(SLED_DIR))?,
    })
}

/// Finishes or undoes a compaction that was cut: a copy beside a store is incomplete (removed);
/// a copy without a store was complete and the store already renamed (swapped in).
fn tidy(dir: &Path) -> StoreResult<()> {
    let (store, copy, old) = (dir.join(SLED_DIR), dir.join(COPY_DIR), dir.join(OLD_DIR));
    if !store.exists() && copy.exists() && old.exists() {
        tracing::warn!("finishing a compaction that was cut after its copy was complete");
        std::fs::rename(&copy, &store)?;
        std::fs::File::open(dir)?.sync_all()?;
    }
    if store.exists() && copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    if store.exists() && old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Copies the current value of every record (the objects, the settings, the KEK check and the
/// flush number), and brings the copy's sequence generator past every object's creation
/// sequence: listings are ordered by it, and sled's counter cannot be set directly.
fn copy_trees(source: &Backend, copy: &Backend) -> StoreResult<()> {
    let mut highest_sequence = 0;
    for entry in source.objects.iter() {
        let (key, value) = entry?;
        highest_sequence = highest_sequence.max(Header::parse(&value)?.0.sequence);
        copy.objects.insert(key, value)?;
    }
    for entry in source.settings.iter() {
        let (key, value) = entry?;
        copy.settings.insert(key, value)?;
    }
    for entry in source.meta.iter() {
        let (key, value) = entry?;
        copy.meta.insert(key, value)?;
    }
    if copy.meta.get(WATERMARK_KEY)?.is_none() {
        return Err(StoreError::Damaged("the store has no flush number to carry over".into()));
    }
    while copy.db.generate_id()? <= highest_sequence {}
    Ok(())
}

/// The total size of the files under `dir`.
fn size_of(dir: &Path) -> StoreResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() { size_of(&entry.path())? } else { metadata.len() };
    }
    Ok(total)
}
