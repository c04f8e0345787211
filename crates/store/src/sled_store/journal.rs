//! What changed since the last snapshot of the resident index, so that a start after a crash reads
//! the snapshot and the objects it names instead of every record (docs/performance.md, "A store of
//! a million objects").
//!
//! A snapshot (`index_snapshot`) is taken at a [`Since`]: a number of sled's monotonic id
//! generator and the greatest identifier in the store then, both read while no commit is in
//! flight. What changed after it is found two ways:
//! - an object whose identifier sorts above that greatest one (created after it, and changed or
//!   not since) is found by a range read of the `objects` tree. Identifiers are version 7 UUIDs,
//!   time first, so nearly every new object is;
//! - a change of any other object (an update of an older object, or a new object whose identifier
//!   sorts at or below the snapshot's greatest: one made just before it, or after a clock stepped
//!   back) writes an entry in the `changed` tree (id -> identifier) before its record: sled's log
//!   is recovered as a prefix, so a record that survived a crash has its entry too. Such changes
//!   are rare beside Creates and Gets, which write nothing here.
//!
//! Entries older than the latest snapshot are removed once it is on disk.

use std::ops::Bound;
use std::sync::RwLock;

use super::backend::Backend;
use crate::records::header::{Header, IndexKey};
use crate::records::resident_index::ResidentIndex;
use crate::{StoreError, StoreResult};

/// The tree of entries.
pub(super) const TREE: &str = "changed";

/// The point a snapshot of the index was taken at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Since {
    /// Entries numbered from here on are after it.
    pub(super) journal: u64,
    /// The greatest identifier in the store then (empty: none).
    pub(super) last_uid: Vec<u8>,
}

/// Reads the point of a snapshot; the caller holds off every commit meanwhile.
pub(super) fn mark(backend: &Backend) -> StoreResult<Since> {
    let journal = backend.db.generate_id()?;
    let last_uid = backend.objects.last()?.map(|(uid, _)| uid.to_vec()).unwrap_or_default();
    Ok(Since { journal, last_uid })
}

/// The greatest identifier of the latest snapshot: a change of an object at or below it is
/// journaled (one above it is found by the range read).
pub(super) struct Floor(RwLock<Vec<u8>>);

impl Floor {
    pub(super) fn new(last_uid: Vec<u8>) -> Floor {
        Floor(RwLock::new(last_uid))
    }

    /// Whether a change of the object with this identifier must be journaled.
    pub(super) fn covers(&self, unique_identifier: &str) -> bool {
        // A plain byte string: a panic cannot leave it half written.
        let floor = self.0.read().unwrap_or_else(|p| p.into_inner());
        !floor.is_empty() && unique_identifier.as_bytes() <= floor.as_slice()
    }

    /// A snapshot is being taken at `since`.
    pub(super) fn raise(&self, since: &Since) {
        let mut floor = self.0.write().unwrap_or_else(|p| p.into_inner());
        if since.last_uid > *floor {
            *floor = since.last_uid.clone();
        }
    }
}

/// Writes the entry of a change of `unique_identifier`, before its record.
pub(super) fn record(backend: &Backend, unique_identifier: &str) -> StoreResult<()> {
    let number = backend.db.generate_id()?;
    backend.changed.insert(number.to_be_bytes(), unique_identifier.as_bytes())?;
    Ok(())
}

/// Brings `index`, a snapshot's taken at `since`, up to the records: the objects above its
/// greatest identifier and those the journal names since, each with the keys its header has now.
/// Returns how many objects it added.
pub(super) fn replay(backend: &Backend, index: &ResidentIndex, since: &Since) -> StoreResult<u64> {
    let mut found: Vec<(String, u64, Vec<IndexKey>)> = Vec::new();
    let mut read = |uid: &[u8], value: &[u8]| -> StoreResult<()> {
        let uid = std::str::from_utf8(uid).map_err(|_| StoreError::Corrupt("an identifier is not UTF-8".into()))?;
        let header = Header::parse(value)?.0;
        found.push((uid.to_string(), header.sequence, header.index_keys));
        Ok(())
    };
    let above = if since.last_uid.is_empty() { Bound::Unbounded } else { Bound::Excluded(since.last_uid.as_slice()) };
    for entry in backend.objects.range::<&[u8], _>((above, Bound::Unbounded)) {
        let (uid, value) = entry?;
        read(&uid, &value)?;
    }
    for entry in backend.changed.range(since.journal.to_be_bytes()..) {
        let (_, uid) = entry?;
        // An entry whose record did not survive names an object as it was (or none).
        if let Some(value) = backend.objects.get(&uid)? {
            read(&uid, &value)?;
        }
    }
    Ok(index.reset(found))
}

/// Removes the entries older than `since` (a snapshot at it is on disk).
pub(super) fn trim(backend: &Backend, since: &Since) -> StoreResult<()> {
    for key in backend.changed.range(..since.journal.to_be_bytes()).keys() {
        backend.changed.remove(key?)?;
    }
    Ok(())
}
