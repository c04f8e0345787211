//! The production store: sled, with every object sealed and every commit flushed before it is
//! acknowledged.
//!
//! Trees:
//! - `objects`: identifier -> header (format, revision, creation sequence, index keys) followed
//!   by the sealed record. The header is in the clear so that updates can maintain the indexes
//!   without decrypting; it is bound to the record as associated data.
//! - `meta`: the sealed number of the latest flush ([`watermark`]), and the progress of a re-seal
//!   ([`kek`]).
//! - `settings`: the server's own records (grants, rotation policies...), key -> sealed value,
//!   the key bound to it as associated data.
//!
//! Beside the sled directory, in the data directory: `keyring` (the data keys, wrapped by the
//! KEK, with a check value per KEK version: read before sled opens, so that a wrong KEK is refused
//! without a file changed; [`kek`]) and `store.watermark` (what was acknowledged; a store holding
//! less is refused at open).
//!
//! The Locate indexes live in memory, rebuilt from the headers at open ([`resident_index`]); how
//! a commit is written is in [`write`]; how the store checks itself at open in [`open`], and how
//! it comes back from a failed flush in [`recovery`].

mod backend;
mod backup;
mod compact;
mod disk_sync;
mod files;
mod header;
mod index_snapshot;
mod journal;
mod kek;
mod memory_size;
mod open;
mod recovery;
mod resident_index;
mod verify;
pub(crate) mod watermark;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use sled::transaction::TransactionError;
use zeroize::Zeroizing;

use self::backend::Backend;
use self::header::{Header, IndexKey};
use self::kek::{Admin, KEYRING_FILE, KekManager};
use self::recovery::FlushState;
use self::resident_index::ResidentIndex;
use self::write::{Prepared, WriteLocks, apply_in_transaction, apply_single};
use crate::cache::{CACHED_OBJECTS, ObjectCache};
use crate::commit::GroupCommit;
use crate::index::{claims, terms_of};
use crate::kek::{Kek, KekAdmin, KekSource};
use crate::observer::{NoObserver, StoreObserver};
use crate::record;
use crate::sealing::Sealer;
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, StoreError, StoreResult, StoredObject};

pub use self::backup::Snapshot;
pub use self::compact::CompactReport;
pub use self::kek::derive_key_offline;
pub use self::memory_size::default_cache_capacity;
pub use self::verify::VerifyReport;

/// The name of sled's directory inside the data directory.
pub const SLED_DIR: &str = "objects.sled";

/// How the sled store is opened.
#[derive(Clone)]
pub struct SledOptions {
    /// The most memory sled's page cache may hold, in bytes. The header scan at open reads every
    /// object once, so a large store fills it at start-up.
    pub cache_capacity: u64,
    /// Told about cache lookups, commits and flushes (the server's metrics); nobody by default.
    pub observer: Arc<dyn StoreObserver>,
    /// How often the resident index is written to disk while the store is open (when anything
    /// changed), so that a start after a crash reads the snapshot and the few objects changed
    /// since it instead of every record (`index_snapshot`, `journal`); `None`: only at a clean
    /// close.
    pub index_snapshot_interval: Option<Duration>,
    /// Tests only: called before each group flush; an error fails the flush as a full disk would.
    #[doc(hidden)]
    pub flush_fault: Option<FlushFault>,
}

/// The default of [`SledOptions::index_snapshot_interval`]: a snapshot of a million objects is
/// about 180 MB and a second of work, and a start after a crash reads the objects changed since.
pub const DEFAULT_INDEX_SNAPSHOT_INTERVAL: Duration = Duration::from_secs(300);

/// A fault injected into the group flush (tests).
pub type FlushFault = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

impl Default for SledOptions {
    fn default() -> SledOptions {
        SledOptions {
            cache_capacity: default_cache_capacity(),
            observer: Arc::new(NoObserver),
            index_snapshot_interval: Some(DEFAULT_INDEX_SNAPSHOT_INTERVAL),
            flush_fault: None,
        }
    }
}

impl std::fmt::Debug for SledOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledOptions").field("cache_capacity", &self.cache_capacity).finish_non_exhaustive()
    }
}

/// The sled store.
pub struct SledStore {
    shared: Arc<Shared>,
    /// The keyring's KEK: status, rotation, the re-seal (which reaches the database through
    /// `shared`, so that it writes to the database reopened after a failed flush too).
    kek: Arc<KekManager>,
    /// The flusher thread, joined on drop so that the database is closed when the store is.
    flusher: Option<std::thread::JoinHandle<()>>,
    /// The thread that writes index snapshots, if one runs.
    snapshots: Option<std::thread::JoinHandle<()>>,
}

/// What the store's callers, its flusher and its recovery share.
struct Shared {
    dir: PathBuf,
    /// The keyring file (see [`kek`]): the data keys, wrapped by the KEK.
    keyring_path: PathBuf,
    cache_capacity: u64,
    /// `None` only while the store reopens after a failed flush.
    backend: RwLock<Option<Backend>>,
    /// Held shared by every write (commits, settings, the re-seal's writes and keyring changes),
    /// exclusively by a backup's snapshot (see [`backup`]). Taken before `backend`.
    gate: RwLock<()>,
    /// Held (shared) by a setting's write from its seal to its insert; taken alone by the re-seal
    /// once it has switched data keys, so that no setting sealed under the old one lands after.
    settings_gate: RwLock<()>,
    index: ResidentIndex,
    sealer: Sealer,
    group: OnceLock<Arc<GroupCommit>>,
    cache: ObjectCache,
    locks: WriteLocks,
    /// Held while a commit that claims Names checks and takes them.
    claims: Mutex<()>,
    observer: Arc<dyn StoreObserver>,
    flush_fault: Option<FlushFault>,
    /// How many objects the store holds (records are never deleted): recorded with each flush.
    objects: AtomicU64,
    /// Set, with the reason in `unavailable_why`, while changes are refused: from a failed flush
    /// until the store has reopened from disk and the disk takes writes again.
    unavailable: AtomicBool,
    unavailable_why: Mutex<String>,
    /// Held by the flusher for each flush, and by a reopen.
    flushing: Mutex<FlushState>,
    /// The thread bringing the store back after a failed flush, if one runs.
    recovery: Mutex<Option<std::thread::JoinHandle<()>>>,
    closing: AtomicBool,
    /// A new object whose identifier sorts at or below this is journaled (see [`journal`]).
    floor: journal::Floor,
    /// The key of the index snapshots' MAC.
    snapshot_key: crate::keyring::Key,
    /// Set when the snapshot thread must stop.
    snapshots_stop: AtomicBool,
}

impl SledStore {
    /// A key for another purpose of the server than sealing records (the audit trail's
    /// checkpoints), derived from the keyring: the same across KEK rotations, and computable only
    /// with the KEK (offline too: [`derive_key_offline`]).
    pub fn derive_key(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        self.kek.derive(purpose)
    }

    /// Opens (or creates) the store in `dir` with the default options. Refuses a KEK that does
    /// not open it, and a store that holds less than it acknowledged.
    pub fn open(dir: &Path, kek: &Kek) -> StoreResult<SledStore> {
        SledStore::open_with(dir, kek, &SledOptions::default())
    }

    /// Opens (or creates) the store in `dir`, with `kek` as KEK version 1 (and no other).
    pub fn open_with(dir: &Path, kek: &Kek, options: &SledOptions) -> StoreResult<SledStore> {
        SledStore::open_with_source(dir, Arc::new(kek.clone()), options)
    }

    /// Opens (or creates) the store in `dir`, asking `source` for the KEK of the version the
    /// store names (version 1, made if need be, for a new store). Refuses a KEK that does not
    /// open it before any file is changed, and a damaged or cut store ([`StoreError::Damaged`]).
    pub fn open_with_source(dir: &Path, source: Arc<dyn KekSource>, options: &SledOptions) -> StoreResult<SledStore> {
        let opened = open::open_checked(dir, source.as_ref(), options.cache_capacity)?;
        let flushing = FlushState::start(dir, opened.latest, opened.watermark)?;
        let floor = journal::Floor::new(opened.since.map(|since| since.last_uid).unwrap_or_default());
        let snapshot_key = opened.keyring.ring.derive(index_snapshot::KEY_PURPOSE);
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            keyring_path: dir.join(KEYRING_FILE),
            cache_capacity: options.cache_capacity,
            backend: RwLock::new(Some(opened.backend)),
            gate: RwLock::new(()),
            settings_gate: RwLock::new(()),
            index: opened.loaded.index,
            sealer: opened.sealer,
            group: OnceLock::new(),
            cache: ObjectCache::new(CACHED_OBJECTS),
            locks: WriteLocks::new(),
            claims: Mutex::new(()),
            observer: Arc::clone(&options.observer),
            flush_fault: options.flush_fault.clone(),
            objects: AtomicU64::new(opened.loaded.objects),
            unavailable: AtomicBool::new(false),
            unavailable_why: Mutex::new(String::new()),
            flushing: Mutex::new(flushing),
            recovery: Mutex::new(None),
            closing: AtomicBool::new(false),
            floor,
            snapshot_key,
            snapshots_stop: AtomicBool::new(false),
        });
        let flusher = Arc::clone(&shared);
        let flush = move || flusher.flush_once();
        let (group, flusher) = GroupCommit::start(flush, Arc::clone(&options.observer));
        let _ = shared.group.set(group);
        let kek = KekManager::start(Arc::clone(&shared), source, opened.keyring);
        let snapshots = match options.index_snapshot_interval {
            Some(every) => {
                let shared = Arc::clone(&shared);
                let spawned = std::thread::Builder::new()
                    .name("keyward-index-snapshots".into())
                    .spawn(move || shared.write_snapshots(every));
                Some(spawned?)
            }
            None => None,
        };
        Ok(SledStore { shared, kek, flusher: Some(flusher), snapshots })
    }

    /// Reads every record and setting of the store in `dir` and checks it (tags, headers,
    /// identifiers, the watermark) without serving it, with the keyring that `source`'s KEK
    /// opens (never made: a store without one is refused). See [`VerifyReport`].
    pub fn verify(dir: &Path, source: &dyn KekSource, cache_capacity: u64) -> StoreResult<VerifyReport> {
        verify::verify(dir, &verify::existing_sealer(dir, source)?, cache_capacity)
    }

    /// Records the state of the store in `dir` as what it acknowledged, once every record reads
    /// back: for an operator who restored or repaired a store on purpose and accepts what it
    /// holds. Refused if any record is damaged.
    pub fn accept(dir: &Path, source: &dyn KekSource, cache_capacity: u64) -> StoreResult<VerifyReport> {
        index_snapshot::discard(dir)?;
        verify::accept(dir, &verify::existing_sealer(dir, source)?, cache_capacity)
    }

    /// Rewrites the store in `dir` into a fresh database holding only the current value of each
    /// record, and swaps it in: what sled's log kept of earlier values (the key material of
    /// destroyed objects) is gone from every file. The keyring file and the watermark stay as
    /// they are (the copy holds the same records and flush number). The server must be stopped.
    pub fn compact(dir: &Path, source: &dyn KekSource, cache_capacity: u64) -> StoreResult<CompactReport> {
        // The store is rewritten: its next open scans the new one rather than trust an index of
        // the old.
        index_snapshot::discard(dir)?;
        compact::compact(dir, source, cache_capacity)
    }
}

impl Shared {
    fn group(&self) -> &Arc<GroupCommit> {
        self.group.get().expect("the group commit is started at open")
    }

    /// The database, for a reader or a writer: `None` while the store reopens (see
    /// [`reopening`]).
    fn backend(&self) -> RwLockReadGuard<'_, Option<Backend>> {
        // Nothing is left half-done under this lock by a panic: carry on.
        self.backend.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The backup gate, held shared by a write (see [`backup`]).
    fn write_gate(&self) -> RwLockReadGuard<'_, ()> {
        // It guards no data: a panic under it leaves nothing to repair.
        self.gate.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses changes while the store recovers from a failed flush.
    fn check_available(&self) -> StoreResult<()> {
        if self.unavailable.load(Ordering::Acquire) {
            let why = self.unavailable_why.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Err(StoreError::Unavailable(why));
        }
        Ok(())
    }

    /// What a setting's sealed value is bound to: its key, in a space of its own.
    fn setting_context(key: &str) -> Vec<u8> {
        [b"setting\0".as_slice(), key.as_bytes()].concat()
    }

    fn context(unique_identifier: &str, header: &[u8]) -> Vec<u8> {
        let mut context = Vec::with_capacity(unique_identifier.len() + header.len() + 1);
        context.extend_from_slice(unique_identifier.as_bytes());
        context.push(0);
        context.extend_from_slice(header);
        context
    }

    /// Everything a change writes, prepared (and sealed) outside the transaction.
    fn prepare(&self, backend: &Backend, change: &Change) -> StoreResult<Prepared> {
        let (object, insert) = match change {
            Change::Insert(object) => (object, true),
            Change::Update(object) => (object, false),
        };
        // The caller holds the object's stripe: what is read here stays current until written.
        let (sequence, old_index_keys) = if insert {
            (backend.db.generate_id()?, Vec::new())
        } else {
            let current = backend
                .objects
                .get(&object.unique_identifier)?
                .ok_or_else(|| StoreError::Conflict(object.unique_identifier.clone()))?;
            let old = Header::parse(&current)?.0;
            if old.revision != object.revision {
                return Err(StoreError::Conflict(object.unique_identifier.clone()));
            }
            (old.sequence, old.index_keys)
        };
        let terms = terms_of(&object.owner, &object.attributes);
        crate::check_index_terms(&object.unique_identifier, terms.len())?;
        let index_keys: Vec<_> = terms.iter().map(|t| self.sealer.index_key(t)).collect();
        let claim_keys = claims(&terms).map(|t| self.sealer.index_key(t)).collect();
        let header = Header { revision: object.revision + 1, sequence, index_keys };
        let header_bytes = header.to_bytes()?;
        let plaintext = record::encode(object)?;
        let sealed = self.sealer.seal(&plaintext, &Self::context(&object.unique_identifier, &header_bytes))?;
        let mut value = header_bytes;
        value.extend_from_slice(&sealed);
        Ok(Prepared {
            unique_identifier: object.unique_identifier.clone(),
            insert,
            header,
            old_index_keys,
            claim_keys,
            value,
        })
    }

    /// Writes the changes (one object with a single write, several in a transaction), then
    /// brings the indexes up to date.
    fn write(&self, backend: &Backend, changes: &[Change]) -> StoreResult<()> {
        let prepared = changes.iter().map(|c| self.prepare(backend, c)).collect::<StoreResult<Vec<_>>>()?;
        // Claims are checked and taken under one lock, held until the indexes show them: two
        // commits of the same Name cannot both pass (a check before the commit could).
        let _claiming = prepared.iter().any(|p| !p.claim_keys.is_empty()).then(|| self.lock_claims());
        self.check_claims(&prepared)?;
        // What the next start after a crash must read beside the index snapshot, written first.
        for change in prepared.iter().filter(|p| self.floor.covers(&p.unique_identifier)) {
            journal::record(backend, &change.unique_identifier)?;
        }
        if let [single] = prepared.as_slice() {
            apply_single(single, &backend.objects)?;
        } else {
            let result = backend.objects.transaction(|objects| {
                for change in &prepared {
                    apply_in_transaction(change, objects)?;
                }
                Ok(())
            });
            match result {
                Ok(()) => {}
                Err(TransactionError::Abort(error)) => return Err(error),
                Err(TransactionError::Storage(error)) => return Err(error.into()),
            }
        }
        let inserted = prepared.iter().filter(|p| p.insert).count();
        self.objects.fetch_add(u64::try_from(inserted).unwrap_or(u64::MAX), Ordering::AcqRel);
        for change in &prepared {
            let header = &change.header;
            self.index.update(&change.unique_identifier, header.sequence, &change.old_index_keys, &header.index_keys);
        }
        Ok(())
    }

    fn lock_claims(&self) -> std::sync::MutexGuard<'_, ()> {
        // Nothing is left half-done under this lock by a panic: carry on.
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses a commit that claims what an object outside it holds, or what two of its own
    /// changes both claim. A claim the object held already is not checked again: objects written
    /// before claims existed may share a Name, and must stay writable.
    fn check_claims(&self, prepared: &[Prepared]) -> StoreResult<()> {
        let in_commit = |uid: &str| prepared.iter().any(|p| p.unique_identifier == uid);
        for (position, change) in prepared.iter().enumerate() {
            for key in change.claim_keys.iter().filter(|k| !change.old_index_keys.contains(k)) {
                let held_outside = self.index.candidates(std::slice::from_ref(key)).into_iter().find(|h| !in_commit(h));
                let held_twice = prepared[position + 1..].iter().any(|other| other.claim_keys.contains(key));
                if held_outside.is_some() || held_twice {
                    return Err(StoreError::Conflict(change.unique_identifier.clone()));
                }
            }
        }
        Ok(())
    }

    /// Writes a snapshot of the resident index (see [`index_snapshot`]): its point read with no
    /// commit in flight, then the index, which is written once all of it is durable; then the
    /// journal's entries before the point go.
    fn snapshot_index(&self) -> StoreResult<()> {
        let since = {
            // Taken alone: no write is in flight (each holds it from its journal entry to its
            // index update).
            let _alone = self.gate.write().unwrap_or_else(|p| p.into_inner());
            let backend = self.backend();
            let backend = backend.as_ref().ok_or_else(reopening)?;
            let since = journal::mark(backend)?;
            self.floor.raise(&since);
            since
        };
        let started = Instant::now();
        let exported = self.index.export();
        // How long the copy took (commits go on between its chunks).
        let export_ms = started.elapsed().as_millis() as u64;
        self.group().fence().wait()?;
        index_snapshot::write(&self.dir, &exported, &since, self.snapshot_key.as_ref())?;
        let backend = self.backend();
        let backend = backend.as_ref().ok_or_else(reopening)?;
        journal::trim(backend, &since)?;
        let objects = exported.objects.len();
        tracing::debug!(objects, export_ms, ms = started.elapsed().as_millis() as u64, "wrote an index snapshot");
        Ok(())
    }

    /// The snapshot thread: a snapshot every `every` while the store is open, when anything
    /// became durable since the last.
    fn write_snapshots(&self, every: Duration) {
        let step = Duration::from_millis(100).min(every);
        let mut written_at = self.group().durable();
        loop {
            let mut waited = Duration::ZERO;
            while waited < every {
                if self.snapshots_stop.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(step);
                waited += step;
            }
            let durable = self.group().durable();
            if durable == written_at || self.unavailable.load(Ordering::Acquire) {
                continue;
            }
            match self.snapshot_index() {
                Ok(()) => written_at = durable,
                Err(error) => {
                    tracing::warn!(%error, "an index snapshot was not written; a start after a crash scans more")
                }
            }
        }
    }

    /// Says loudly that a stored value failed its check, and passes the error on: the client
    /// gets a failure, never "not found", and the operator a line to act on.
    fn damaged(&self, what: &str, error: StoreError) -> StoreError {
        if matches!(error, StoreError::Corrupt(_)) {
            tracing::error!(
                %error,
                what,
                data_dir = %self.dir.display(),
                "a stored record failed its integrity check: run `keyward store verify` and restore from a backup"
            );
        }
        error
    }
}

impl ObjectStore for SledStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        let shared = &self.shared;
        if let Some(cached) = shared.cache.get(unique_identifier) {
            shared.observer.cache_lookup(true);
            return Ok(Some(cached));
        }
        shared.observer.cache_lookup(false);
        // Under the object's stripe, as commits are: a copy read from disk just before a commit
        // cannot then be cached over the commit's (the cache may have evicted that one already).
        let _held = shared.locks.lock(std::iter::once(unique_identifier));
        let backend = shared.backend();
        let Some(backend) = backend.as_ref() else { return Err(reopening()) };
        if let Some(cached) = shared.cache.get(unique_identifier) {
            return Ok(Some(cached));
        }
        let Some(value) = backend.objects.get(unique_identifier)? else {
            return Ok(None);
        };
        let read = || -> StoreResult<StoredObject> {
            let (header, header_bytes, sealed) = Header::parse(&value)?;
            let plaintext = shared.sealer.open(sealed, &Shared::context(unique_identifier, header_bytes))?;
            let object = record::decode(&plaintext, header.revision)?;
            if object.unique_identifier != unique_identifier {
                return Err(StoreError::Corrupt("a record stored under another identifier".into()));
            }
            Ok(object)
        };
        let object = Arc::new(read().map_err(|e| shared.damaged(unique_identifier, e))?);
        shared.cache.put(Arc::clone(&object));
        Ok(Some(object))
    }

    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        let shared = &self.shared;
        let _held = shared.locks.lock(changes.iter().map(uid_of));
        let _writing = shared.write_gate();
        // Reserved before anything is visible, so that a reader's fence covers it (commit.rs).
        let reservation = shared.group().reserve();
        // Held until the changes are applied and cached: a reopen cannot come in between.
        let backend = shared.backend();
        let Some(backend) = backend.as_ref() else { return Err(reopening()) };
        shared.check_available()?;
        match shared.write(backend, &changes) {
            Ok(()) => {
                // The cache learns the committed state: the objects at their new revisions.
                for change in changes {
                    let (Change::Insert(mut object) | Change::Update(mut object)) = change;
                    object.revision += 1;
                    shared.cache.put(Arc::new(object));
                }
                Ok(reservation.applied())
            }
            Err(error) => {
                // Whatever this commit read may be stale: the next read goes to the disk.
                for change in &changes {
                    shared.cache.forget(uid_of(change));
                }
                Err(error)
            }
        }
    }

    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        let keys: Vec<IndexKey> = terms.iter().map(|t| self.shared.sealer.index_key(t)).collect();
        Ok(self.shared.index.candidates(&keys))
    }

    fn read_fence(&self) -> CommitTicket {
        self.shared.group().fence()
    }

    fn flush(&self) -> StoreResult<()> {
        // Through the flusher, which makes the flush durable (see [`disk_sync`]).
        self.shared.group().ticket(Instant::now()).wait()
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let backend = self.shared.backend();
        let Some(backend) = backend.as_ref() else { return Err(reopening()) };
        let Some(sealed) = backend.settings.get(key)? else {
            return Ok(None);
        };
        let opened = self.shared.sealer.open(&sealed, &Shared::setting_context(key));
        Ok(Some(opened.map_err(|e| self.shared.damaged(key, e))?))
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let backend = self.shared.backend();
        let Some(backend) = backend.as_ref() else { return Err(reopening()) };
        let mut found = Vec::new();
        for entry in backend.settings.scan_prefix(prefix) {
            let (key, sealed) = entry?;
            let key = String::from_utf8(key.to_vec()).map_err(|_| StoreError::Corrupt("setting key".into()))?;
            let value = self.shared.sealer.open(&sealed, &Shared::setting_context(&key));
            found.push((key.clone(), value.map_err(|e| self.shared.damaged(&key, e))?));
        }
        Ok(found)
    }

    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        let shared = &self.shared;
        let _writing = shared.write_gate();
        // From the seal to the insert: a re-seal waits for it before it checks the settings.
        let _sealing = shared.settings_gate.read().unwrap_or_else(|p| p.into_inner());
        let reservation = shared.group().reserve();
        let backend = shared.backend();
        let Some(backend) = backend.as_ref() else { return Err(reopening()) };
        shared.check_available()?;
        match value {
            Some(value) => {
                let sealed = shared.sealer.seal(value, &Shared::setting_context(key))?;
                backend.settings.insert(key, sealed)?;
            }
            None => {
                backend.settings.remove(key)?;
            }
        }
        Ok(reservation.applied())
    }

    fn backup(&self, created: i64, out: &mut dyn std::io::Write) -> StoreResult<crate::backup::Manifest> {
        let snapshot = self.snapshot()?;
        self.write_backup(&snapshot, created, out)?;
        Ok(snapshot.manifest(created))
    }

    fn kek_admin(&self) -> Option<Arc<dyn KekAdmin>> {
        Some(Arc::new(Admin(Arc::clone(&self.kek))))
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        // The snapshots and the re-seal first: they flush through the group commit.
        self.shared.snapshots_stop.store(true, Ordering::Release);
        if let Some(snapshots) = self.snapshots.take() {
            let _ = snapshots.join();
        }
        self.kek.stop();
        self.shared.group().stop();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        self.shared.closing.store(true, Ordering::Release);
        let recovery = self.shared.recovery.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(recovery) = recovery {
            let _ = recovery.join();
        }
        if !self.shared.unavailable.load(Ordering::Acquire) {
            self.write_index_snapshot();
        }
    }
}

impl SledStore {
    /// Leaves the resident index for the next open (see `index_snapshot`), at a clean close
    /// whose last flush is done (so that all of it is durable). Best effort: without it the next
    /// open reads the last snapshot and the changes since, or scans the records.
    fn write_index_snapshot(&self) {
        let shared = &self.shared;
        let written = (|| -> StoreResult<()> {
            let backend = shared.backend();
            let backend = backend.as_ref().ok_or_else(reopening)?;
            let since = journal::mark(backend)?;
            index_snapshot::write(&shared.dir, &shared.index.export(), &since, shared.snapshot_key.as_ref())?;
            Ok(())
        })();
        if let Err(error) = written {
            tracing::warn!(%error, "the index snapshot was not written at close");
        }
    }

    /// Writes a snapshot of the resident index now, as the store does every
    /// [`SledOptions::index_snapshot_interval`] (tests, tools).
    pub fn snapshot_index(&self) -> StoreResult<()> {
        self.shared.snapshot_index()
    }
}

/// The error while the store reopens after a failed write.
fn reopening() -> StoreError {
    StoreError::Unavailable("the store is reopening after a failed write".into())
}

/// The identifier of the object a change is about.
fn uid_of(change: &Change) -> &str {
    &change.object().unique_identifier
}

#[cfg(test)]
mod tests {
    use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};

    use super::*;

    fn named(uid: &str, name: &str) -> StoredObject {
        StoredObject {
            unique_identifier: uid.into(),
            owner: "alice".into(),
            object: None,
            attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(name)))],
            revision: 0,
        }
    }

    /// The indexes are rebuilt from the objects' headers when the store opens: a renamed object
    /// is found by its new name only, and listings stay newest first.
    #[test]
    fn indexes_are_rebuilt_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        {
            let store = SledStore::open(dir.path(), &kek).unwrap();
            store.commit(vec![Change::Insert(named("a", "old"))]).unwrap().wait().unwrap();
            store.commit(vec![Change::Insert(named("b", "other"))]).unwrap().wait().unwrap();
            let mut renamed = Arc::unwrap_or_clone(store.get("a").unwrap().unwrap());
            renamed.attributes = vec![IndexedAttribute::new(Attribute::Name(Name::text("new")))];
            store.commit(vec![Change::Update(renamed)]).unwrap().wait().unwrap();
            assert!(store.candidates(&[IndexTerm::name("old")]).unwrap().is_empty());
        }
        let store = SledStore::open(dir.path(), &kek).unwrap();
        assert!(store.candidates(&[IndexTerm::name("old")]).unwrap().is_empty());
        assert_eq!(store.candidates(&[IndexTerm::name("new")]).unwrap(), ["a"]);
        assert_eq!(store.candidates(&[IndexTerm::owner("alice")]).unwrap(), ["b", "a"]);
        assert_eq!(store.candidates(&[]).unwrap(), ["b", "a"]);
    }

    /// A start reads the last index snapshot and brings it up to the records: an object created
    /// after it above its greatest identifier, one created below it, and a changed Name; the
    /// index is then the one a scan of every record builds.
    #[test]
    fn a_start_after_a_crash_reads_the_last_snapshot_and_the_changes_since() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        let snapshot = dir.path().join(index_snapshot::SNAPSHOT_FILE);
        let options = SledOptions { index_snapshot_interval: None, ..SledOptions::default() };
        let insert = |store: &SledStore, uid: &str, name: &str| {
            store.commit(vec![Change::Insert(named(uid, name))]).unwrap().wait().unwrap();
        };
        let kept = {
            let store = SledStore::open_with(dir.path(), &kek, &options).unwrap();
            for uid in ["m1", "m2", "m3"] {
                insert(&store, uid, &format!("name-{uid}"));
            }
            store.snapshot_index().unwrap();
            let kept = std::fs::read(&snapshot).unwrap();
            insert(&store, "z1", "above");
            insert(&store, "a1", "below");
            let mut m2 = (*store.get("m2").unwrap().unwrap()).clone();
            m2.attributes = named("m2", "renamed").attributes;
            store.commit(vec![Change::Update(m2)]).unwrap().wait().unwrap();
            kept
        };
        // A crash after those commits leaves the snapshot of before them: put back over the one
        // the clean close wrote.
        std::fs::write(&snapshot, &kept).unwrap();
        let terms = [
            vec![],
            vec![IndexTerm::owner("alice")],
            vec![IndexTerm::name("renamed")],
            vec![IndexTerm::name("name-m2")],
            vec![IndexTerm::name("above")],
            vec![IndexTerm::name("below")],
            vec![IndexTerm::name_claim("alice", "renamed")],
            vec![IndexTerm::name_claim("alice", "name-m2")],
        ];
        let from_snapshot: Vec<Vec<String>> = {
            let store = SledStore::open_with(dir.path(), &kek, &options).unwrap();
            terms.iter().map(|t| store.candidates(t).unwrap()).collect()
        };
        assert_eq!(from_snapshot[0], ["a1", "z1", "m3", "m2", "m1"]);
        assert_eq!(from_snapshot[2], ["m2"]);
        assert!(from_snapshot[3].is_empty() && from_snapshot[7].is_empty(), "{from_snapshot:?}");
        // A scan of every record agrees.
        index_snapshot::discard(dir.path()).unwrap();
        let store = SledStore::open_with(dir.path(), &kek, &options).unwrap();
        let scanned: Vec<Vec<String>> = terms.iter().map(|t| store.candidates(t).unwrap()).collect();
        assert_eq!(from_snapshot, scanned);
    }

    /// A second insert of one identifier loses at the compare-and-swap: the first object and its
    /// index entries stay as they were.
    #[test]
    fn an_insert_over_an_existing_object_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
        store.commit(vec![Change::Insert(named("a", "first"))]).unwrap().wait().unwrap();
        let again = store.commit(vec![Change::Insert(named("a", "second"))]);
        assert!(matches!(again, Err(StoreError::Conflict(uid)) if uid == "a"));
        let kept = store.get("a").unwrap().unwrap();
        assert_eq!(kept.attributes, named("a", "first").attributes);
        assert!(store.candidates(&[IndexTerm::name("second")]).unwrap().is_empty());
        assert_eq!(store.candidates(&[IndexTerm::name("first")]).unwrap(), ["a"]);
        assert_eq!(store.candidates(&[]).unwrap(), ["a"]);
    }

    /// A value over sled's blob threshold (128 KiB with its default segments) is written to a
    /// file of its own under `blobs/`, which the group commit syncs too; it reads back after a
    /// reopen.
    #[test]
    fn a_large_object_goes_to_a_blob_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        let long_name = "n".repeat(300 * 1024);
        {
            let store = SledStore::open(dir.path(), &kek).unwrap();
            store.commit(vec![Change::Insert(named("big", &long_name))]).unwrap().wait().unwrap();
            let blobs = std::fs::read_dir(dir.path().join("objects.sled/blobs")).unwrap().count();
            assert!(blobs > 0, "no blob file written");
        }
        let store = SledStore::open(dir.path(), &kek).unwrap();
        assert_eq!(store.get("big").unwrap().unwrap().attributes, named("big", &long_name).attributes);
        assert_eq!(store.candidates(&[IndexTerm::name(&long_name)]).unwrap(), ["big"]);
    }

    /// What a counting observer heard.
    #[derive(Default)]
    struct Heard {
        hits: std::sync::atomic::AtomicU32,
        misses: std::sync::atomic::AtomicU32,
        durable: std::sync::atomic::AtomicU32,
        flushes: std::sync::atomic::AtomicU32,
    }

    impl StoreObserver for Heard {
        fn cache_lookup(&self, hit: bool) {
            let counter = if hit { &self.hits } else { &self.misses };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        fn commit_durable(&self, _: std::time::Duration) {
            self.durable.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        fn flushed(&self, flush: std::time::Duration, fsync: std::time::Duration) {
            assert!(fsync <= flush);
            self.flushes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn the_observer_hears_cache_lookups_commits_and_flushes() {
        use std::sync::atomic::Ordering::SeqCst;
        let dir = tempfile::tempdir().unwrap();
        let heard = Arc::new(Heard::default());
        let options = SledOptions { observer: Arc::clone(&heard) as Arc<dyn StoreObserver>, ..SledOptions::default() };
        let store = SledStore::open_with(dir.path(), &Kek::from_bytes([1; 32]), &options).unwrap();
        store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
        assert!(store.get("a").unwrap().is_some(), "cached by the commit");
        assert!(store.get("nothing").unwrap().is_none());
        assert_eq!((heard.hits.load(SeqCst), heard.misses.load(SeqCst)), (1, 1));
        assert_eq!(heard.durable.load(SeqCst), 1);
        assert!(heard.flushes.load(SeqCst) >= 1);
    }

    /// Settings are sealed at rest, bound to their key, and survive a reopen.
    #[test]
    fn settings_are_sealed_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        {
            let store = SledStore::open(dir.path(), &kek).unwrap();
            store.put_setting("grant/one", Some(b"visible only sealed")).unwrap().wait().unwrap();
            store.put_setting("grant/two", Some(b"2")).unwrap().wait().unwrap();
            store.put_setting("grant/two", None).unwrap().wait().unwrap();
        }
        let store = SledStore::open(dir.path(), &kek).unwrap();
        let grants = store.settings("grant/").unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!((grants[0].0.as_str(), grants[0].1.as_slice()), ("grant/one", b"visible only sealed".as_slice()));
        // A sealed value moved under another key does not open.
        let backend = store.shared.backend();
        let settings = &backend.as_ref().unwrap().settings;
        let sealed = settings.get("grant/one").unwrap().unwrap();
        settings.insert("grant/moved", sealed).unwrap();
        drop(backend);
        assert!(matches!(store.setting("grant/moved"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_multi_object_commit_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
        store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
        let both = vec![Change::Insert(named("b", "two")), Change::Insert(named("a", "again"))];
        assert!(matches!(store.commit(both), Err(StoreError::Conflict(uid)) if uid == "a"));
        assert!(store.get("b").unwrap().is_none());
        assert!(store.candidates(&[IndexTerm::name("two")]).unwrap().is_empty());
    }
}
