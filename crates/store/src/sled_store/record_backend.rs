//! sled as a backend of the record layer ([`crate::records`]): the `objects` and `settings`
//! trees, written in place; a flush that also records the store's flush number and syncs what
//! sled leaves unsynced ([`super::recovery`]); the journal entries a start after a crash reads
//! beside the last index snapshot ([`super::journal`]).

use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use sled::IVec;

use super::backend::Backend;
use super::recovery::FlushState;
use super::{FlushFault, journal, write};
use crate::observer::StoreObserver;
use crate::records::{Loaded, RecordBackend, RecordWrite, Visit, reopening};
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

pub(crate) struct SledBackend {
    pub(super) dir: PathBuf,
    /// The keyring file (see [`super::kek`]): the data keys, wrapped by the KEK.
    pub(super) keyring_path: PathBuf,
    pub(super) cache_capacity: u64,
    /// `None` only while the database reopens after a failed flush.
    handle: RwLock<Option<Backend>>,
    /// Held by each flush, and by a reopen.
    pub(super) flushing: Mutex<FlushState>,
    /// Seals the flush number written with each flush.
    pub(super) sealer: Arc<Sealer>,
    /// How many objects the store holds (records are never deleted): recorded with each flush.
    pub(super) objects: AtomicU64,
    pub(super) flush_fault: Option<FlushFault>,
    pub(super) observer: Arc<dyn StoreObserver>,
    /// A new object whose identifier sorts at or below this is journaled (see [`journal`]).
    pub(super) floor: journal::Floor,
    /// The key of the index snapshots' MAC.
    pub(super) snapshot_key: crate::keyring::Key,
    /// Set when the snapshot thread must stop.
    pub(super) snapshots_stop: AtomicBool,
}

/// What [`SledBackend::new`] is made of.
pub(super) struct Parts {
    pub(super) dir: PathBuf,
    pub(super) keyring_path: PathBuf,
    pub(super) cache_capacity: u64,
    pub(super) backend: Backend,
    pub(super) flushing: FlushState,
    pub(super) sealer: Arc<Sealer>,
    pub(super) objects: u64,
    pub(super) flush_fault: Option<FlushFault>,
    pub(super) observer: Arc<dyn StoreObserver>,
    pub(super) floor: journal::Floor,
    pub(super) snapshot_key: crate::keyring::Key,
}

impl SledBackend {
    pub(super) fn new(parts: Parts) -> SledBackend {
        SledBackend {
            dir: parts.dir,
            keyring_path: parts.keyring_path,
            cache_capacity: parts.cache_capacity,
            handle: RwLock::new(Some(parts.backend)),
            flushing: Mutex::new(parts.flushing),
            sealer: parts.sealer,
            objects: AtomicU64::new(parts.objects),
            flush_fault: parts.flush_fault,
            observer: parts.observer,
            floor: parts.floor,
            snapshot_key: parts.snapshot_key,
            snapshots_stop: AtomicBool::new(false),
        }
    }

    /// The database: `None` while it reopens.
    pub(super) fn handle(&self) -> RwLockReadGuard<'_, Option<Backend>> {
        // Nothing is left half-done under this lock by a panic: carry on.
        self.handle.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the database.
    pub(super) fn with<T>(&self, f: impl FnOnce(&Backend) -> StoreResult<T>) -> StoreResult<T> {
        let handle = self.handle();
        let Some(backend) = handle.as_ref() else { return Err(reopening()) };
        f(backend)
    }

    /// Replaces the database (a reopen): `None` first, so that sled lets go of the old one;
    /// passes on what `open` read of the new one.
    pub(super) fn replace<T>(&self, open: impl FnOnce() -> StoreResult<(Backend, T)>) -> StoreResult<T> {
        let mut handle = self.handle.write().unwrap_or_else(|p| p.into_inner());
        *handle = None;
        let (backend, read) = open()?;
        *handle = Some(backend);
        Ok(read)
    }
}

impl RecordBackend for SledBackend {
    type Value = IVec;

    fn get(&self, unique_identifier: &str) -> StoreResult<Option<IVec>> {
        self.with(|b| Ok(b.objects.get(unique_identifier)?))
    }

    fn next_sequence(&self) -> StoreResult<u64> {
        self.with(|b| Ok(b.db.generate_id()?))
    }

    fn write(&self, writes: &[RecordWrite<'_>]) -> StoreResult<()> {
        self.with(|backend| {
            // What the next start after a crash must read beside the index snapshot, written
            // first (sled recovers a prefix of its log).
            for change in writes.iter().filter(|w| self.floor.covers(w.unique_identifier)) {
                journal::record(backend, change.unique_identifier)?;
            }
            write::apply(writes, &backend.objects)?;
            let inserted = writes.iter().filter(|w| w.replaces.is_none()).count();
            self.objects.fetch_add(u64::try_from(inserted).unwrap_or(u64::MAX), Ordering::AcqRel);
            Ok(())
        })
    }

    fn scan(&self, after: Option<&str>, visit: &mut Visit<'_>) -> StoreResult<()> {
        self.with(|backend| {
            let lower = after.map_or(Bound::Unbounded, |after| Bound::Excluded(after.as_bytes()));
            for entry in backend.objects.range::<&[u8], _>((lower, Bound::Unbounded)) {
                let (uid, value) = entry?;
                let uid =
                    std::str::from_utf8(&uid).map_err(|_| StoreError::Corrupt("an identifier is not UTF-8".into()))?;
                if visit(uid, &value)?.is_break() {
                    break;
                }
            }
            Ok(())
        })
    }

    fn setting(&self, key: &str) -> StoreResult<Option<IVec>> {
        self.with(|b| Ok(b.settings.get(key)?))
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, IVec)>> {
        self.with(|backend| {
            let mut found = Vec::new();
            for entry in backend.settings.scan_prefix(prefix) {
                let (key, sealed) = entry?;
                let key = String::from_utf8(key.to_vec()).map_err(|_| StoreError::Corrupt("setting key".into()))?;
                found.push((key, sealed));
            }
            Ok(found)
        })
    }

    fn put_setting(&self, key: &str, sealed: Option<&[u8]>) -> StoreResult<()> {
        self.with(|backend| {
            match sealed {
                Some(sealed) => backend.settings.insert(key, sealed)?,
                None => backend.settings.remove(key)?,
            };
            Ok(())
        })
    }

    fn flush(&self) -> Result<(), String> {
        self.flush_database()
    }

    fn reopen(&self) -> StoreResult<Loaded> {
        self.reopen_database()
    }

    fn probe(&self) -> std::io::Result<()> {
        self.probe_disk()
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}
