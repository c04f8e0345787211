//! The record layer: everything a store does above its storage, once for every backend that
//! keeps records in one process (sled, memory).
//!
//! A [`RecordBackend`] only keeps values under keys, durably. This layer owns the rest:
//! - **sealing**: each object's record (as keyward-core's [`crate::RecordSchema`] encodes it) is
//!   sealed under the keyring's data key
//!   ([`crate::sealing`]), bound to its identifier and clear header; settings likewise, bound to
//!   their key;
//! - **the clear header** ([`header`]): revision, creation sequence and index keys (HMACs of the
//!   index terms), readable without the key;
//! - **the resident index** ([`resident_index`]) of those keys, which Locate's candidates come
//!   from, and the Name claims checked against it under one lock;
//! - **the cache** of decrypted objects, which never takes back an older revision;
//! - **group commit** ([`crate::commit`]): a commit is acknowledged once a flush of the backend
//!   covers it, and a read's fence covers every commit it may have seen;
//! - **failure**: a failed flush refuses changes, reopens the backend from what is durable,
//!   rebuilds the index, empties the cache, and takes changes again once the medium takes
//!   writes ([`recovery`]).
//!
//! What only one backend has (sled's watermark, journal, index snapshots, KEK files and
//! backups) stays with that backend and reaches this layer's parts through their `pub(crate)`
//! handles.

mod backend;
pub(crate) mod header;
mod locks;
mod recovery;
pub(crate) mod resident_index;
#[cfg(test)]
mod tests;

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use zeroize::Zeroizing;

use self::header::{Header, IndexKey};
use self::resident_index::ResidentIndex;
use crate::cache::{CACHED_OBJECTS, ObjectCache};
use crate::commit::{GroupCommit, Reservation};
use crate::index::claims;
use crate::observer::StoreObserver;
use crate::sealing::Sealer;
use crate::{Change, CommitTicket, IndexTerm, Schema, StoreError, StoreResult, StoredObject};

pub(crate) use self::backend::{RecordBackend, RecordWrite, Visit};
pub(crate) use self::locks::WriteLocks;
pub(crate) use self::recovery::pause;

/// The [`crate::ObjectStore`] methods that a store on the record layer answers from its `layer`
/// field (an `Arc<RecordStore<_>>`), written once for every such store; a store adds its own
/// (backups, KEK administration) beside them.
macro_rules! answered_by_the_layer {
    () => {
        fn get(&self, unique_identifier: &str) -> $crate::StoreResult<Option<std::sync::Arc<$crate::StoredObject>>> {
            self.layer.get(unique_identifier)
        }

        fn commit(&self, changes: Vec<$crate::Change>) -> $crate::StoreResult<$crate::CommitTicket> {
            self.layer.commit(changes)
        }

        fn candidates(&self, terms: &[$crate::IndexTerm]) -> $crate::StoreResult<Vec<String>> {
            Ok(self.layer.candidates(terms))
        }

        fn read_fence(&self) -> $crate::CommitTicket {
            self.layer.read_fence()
        }

        fn flush(&self) -> $crate::StoreResult<()> {
            // Through the group commit's flusher, which makes the flush durable.
            self.layer.durable()
        }

        fn setting(&self, key: &str) -> $crate::StoreResult<Option<zeroize::Zeroizing<Vec<u8>>>> {
            self.layer.setting(key)
        }

        fn settings(&self, prefix: &str) -> $crate::StoreResult<Vec<(String, zeroize::Zeroizing<Vec<u8>>)>> {
            self.layer.settings(prefix)
        }

        fn put_setting(&self, key: &str, value: Option<&[u8]>) -> $crate::StoreResult<$crate::CommitTicket> {
            self.layer.put_setting(key, value)
        }
    };
}
pub(crate) use answered_by_the_layer;

/// The record layer over the backend `B`.
pub(crate) struct RecordStore<B> {
    pub(crate) backend: B,
    pub(crate) sealer: Arc<Sealer>,
    /// What a record is and what it is indexed by (keyward-core's).
    pub(crate) schema: Schema,
    pub(crate) index: ResidentIndex,
    cache: ObjectCache,
    /// Serialize the writers of one object.
    pub(crate) locks: WriteLocks,
    /// Held while a commit that claims Names checks and takes them.
    claims: Mutex<()>,
    group: OnceLock<Arc<GroupCommit>>,
    flusher: Mutex<Option<JoinHandle<()>>>,
    observer: Arc<dyn StoreObserver>,
    /// Held shared by every write (commits, settings, a backend's own writes such as a re-seal),
    /// exclusively by whoever needs a moment with no write in flight (a backup's snapshot, an
    /// index snapshot's point).
    gate: RwLock<()>,
    /// Held (shared) by a setting's write from its seal to its write; taken alone by a re-seal
    /// once it has switched data keys, so that no setting sealed under the old one lands after.
    pub(crate) settings_gate: RwLock<()>,
    /// Held shared by every call that reaches the backend, exclusively by a reopen.
    reopening: RwLock<()>,
    /// Set, with the reason in `unavailable_why`, while changes are refused: from a failed flush
    /// until the backend has reopened and the medium takes writes again.
    unavailable: AtomicBool,
    unavailable_why: Mutex<String>,
    /// The thread bringing the backend back after a failed flush, if one runs.
    recovery: Mutex<Option<JoinHandle<()>>>,
    closing: AtomicBool,
}

/// A store's index as read from its records' headers.
pub(crate) struct Loaded {
    pub(crate) index: ResidentIndex,
    pub(crate) objects: u64,
}

impl Loaded {
    /// An empty index, to which [`Loaded::add`] adds records.
    pub(crate) fn new() -> Loaded {
        Loaded { index: ResidentIndex::default(), objects: 0 }
    }

    /// Adds the record `value` of `unique_identifier` (only its header is read).
    pub(crate) fn add(&mut self, unique_identifier: &[u8], value: &[u8]) -> StoreResult<()> {
        let uid = std::str::from_utf8(unique_identifier)
            .map_err(|_| StoreError::Corrupt("an identifier is not UTF-8".into()))?;
        let header = Header::parse(value)?.0;
        self.index.update(uid, header.sequence, &[], &header.index_keys);
        self.objects += 1;
        Ok(())
    }
}

/// Reads every record's header of `backend` into a new index, by a scan.
pub(crate) fn load<B: RecordBackend>(backend: &B) -> StoreResult<Loaded> {
    let mut loaded = Loaded::new();
    backend.scan(None, &mut |uid, value| {
        loaded.add(uid.as_bytes(), value)?;
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(loaded)
}

/// What a sealed record is bound to: its identifier and its clear header.
pub(crate) fn record_context(unique_identifier: &str, header: &[u8]) -> Vec<u8> {
    let mut context = Vec::with_capacity(unique_identifier.len() + header.len() + 1);
    context.extend_from_slice(unique_identifier.as_bytes());
    context.push(0);
    context.extend_from_slice(header);
    context
}

/// What a setting's sealed value is bound to: its key, in a space of its own.
pub(crate) fn setting_context(key: &str) -> Vec<u8> {
    [b"setting\0".as_slice(), key.as_bytes()].concat()
}

/// Opens a stored record: its header, then the sealed record under the data key.
pub(crate) fn open_record(
    sealer: &Sealer,
    schema: &Schema,
    unique_identifier: &str,
    value: &[u8],
) -> StoreResult<StoredObject> {
    let (header, header_bytes, sealed) = Header::parse(value)?;
    let plaintext = sealer.open(sealed, &record_context(unique_identifier, header_bytes))?;
    let object = schema.decode(&plaintext, header.revision)?;
    if object.unique_identifier != unique_identifier {
        return Err(StoreError::Corrupt("a record stored under another identifier".into()));
    }
    Ok(object)
}

/// A change, sealed and ready to write. An update has been checked against the object's current
/// revision already, under the object's stripe; the backend checks again that the record it
/// replaces is the one read (`replaced`).
struct Prepared<V> {
    unique_identifier: String,
    /// The stored value an update replaces; `None` for a new object.
    replaced: Option<V>,
    header: Header,
    /// The index keys of the revision this change replaces (none for a new object).
    old_index_keys: Vec<IndexKey>,
    /// Those of the new index keys that are claims (one object at most may hold each).
    claim_keys: Vec<IndexKey>,
    value: Vec<u8>,
}

impl<B: RecordBackend> RecordStore<B> {
    /// The layer over `backend`, whose records `index` indexes; starts the group commit's
    /// flusher. Stop it with [`RecordStore::close`].
    pub(crate) fn start(
        backend: B,
        sealer: Arc<Sealer>,
        schema: Schema,
        index: ResidentIndex,
        observer: Arc<dyn StoreObserver>,
    ) -> Arc<RecordStore<B>> {
        let layer = Arc::new(RecordStore {
            backend,
            sealer,
            schema,
            index,
            cache: ObjectCache::new(CACHED_OBJECTS),
            locks: WriteLocks::new(),
            claims: Mutex::new(()),
            group: OnceLock::new(),
            flusher: Mutex::new(None),
            observer: Arc::clone(&observer),
            gate: RwLock::new(()),
            settings_gate: RwLock::new(()),
            reopening: RwLock::new(()),
            unavailable: AtomicBool::new(false),
            unavailable_why: Mutex::new(String::new()),
            recovery: Mutex::new(None),
            closing: AtomicBool::new(false),
        });
        let flushing = Arc::clone(&layer);
        let (group, flusher) = GroupCommit::start(move || flushing.flush_once(), observer);
        let _ = layer.group.set(group);
        *layer.flusher.lock().unwrap_or_else(|p| p.into_inner()) = Some(flusher);
        layer
    }

    /// Flushes what is committed, stops the flusher and any recovery, and waits for them.
    pub(crate) fn close(&self) {
        self.group().stop();
        let flusher = self.flusher.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(flusher) = flusher {
            let _ = flusher.join();
        }
        self.closing.store(true, Ordering::Release);
        let recovery = self.recovery.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(recovery) = recovery {
            let _ = recovery.join();
        }
    }

    pub(crate) fn group(&self) -> &Arc<GroupCommit> {
        self.group.get().expect("the group commit is started with the layer")
    }

    /// The write gate, held shared by a write.
    pub(crate) fn write_gate(&self) -> RwLockReadGuard<'_, ()> {
        // It guards no data: a panic under it leaves nothing to repair.
        self.gate.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The write gate, alone: once held, no write is in flight until it is let go.
    pub(crate) fn writes_paused(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Leave to reach the backend: waits while a reopen runs (a moment), after which a backend
    /// that could not reopen answers [`reopening`] itself.
    pub(crate) fn backend_open(&self) -> StoreResult<RwLockReadGuard<'_, ()>> {
        // Nothing is left half-done under this lock by a panic: carry on.
        Ok(self.reopening.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Refuses changes while the store recovers from a failed flush.
    pub(crate) fn check_available(&self) -> StoreResult<()> {
        if self.unavailable.load(Ordering::Acquire) {
            let why = self.unavailable_why.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Err(StoreError::Unavailable(why));
        }
        Ok(())
    }

    /// Refuses the changes of `reservation` while the store recovers, and when a recovery
    /// settled its number as failed while it waited for the backend (even if the store takes
    /// changes again by now): written, they would be in the store while their ticket says they
    /// failed.
    fn may_write(&self, reservation: &Reservation) -> StoreResult<()> {
        self.check_available()?;
        if reservation.settled() {
            return Err(reopening());
        }
        Ok(())
    }

    /// Whether changes are refused now (a failed flush not yet recovered from).
    pub(crate) fn is_unavailable(&self) -> bool {
        self.unavailable.load(Ordering::Acquire)
    }

    /// Waits until everything committed so far is durable.
    pub(crate) fn durable(&self) -> StoreResult<()> {
        self.group().ticket(Instant::now()).wait()
    }

    pub(crate) fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        if let Some(cached) = self.cache.get(unique_identifier) {
            self.observer.cache_lookup(true);
            return Ok(Some(cached));
        }
        self.observer.cache_lookup(false);
        // Under the object's stripe, as commits are: a copy read before a commit cannot then be
        // cached over the commit's (the cache may have evicted that one already).
        let _held = self.locks.lock(std::iter::once(unique_identifier));
        let _open = self.backend_open()?;
        if let Some(cached) = self.cache.get(unique_identifier) {
            return Ok(Some(cached));
        }
        let Some(value) = self.backend.get(unique_identifier)? else {
            return Ok(None);
        };
        let object = open_record(&self.sealer, &self.schema, unique_identifier, value.as_ref());
        let object = Arc::new(object.map_err(|e| self.damaged(unique_identifier, e))?);
        self.cache.put(Arc::clone(&object));
        Ok(Some(object))
    }

    pub(crate) fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        let _held = self.locks.lock(changes.iter().map(|c| c.object().unique_identifier.as_str()));
        let _writing = self.write_gate();
        // Reserved before anything is visible, so that a reader's fence covers it (commit.rs).
        let reservation = self.group().reserve();
        // Held until the changes are applied and cached: a reopen cannot come in between.
        let _open = self.backend_open()?;
        self.may_write(&reservation)?;
        match self.write(&changes) {
            Ok(()) => {
                // The cache learns the committed state: the objects at their new revisions.
                for change in changes {
                    let (Change::Insert(mut object) | Change::Update(mut object)) = change;
                    object.revision += 1;
                    self.cache.put(Arc::new(object));
                }
                Ok(reservation.applied())
            }
            Err(error) => {
                // Whatever this commit read may be stale: the next read goes to the backend.
                for change in &changes {
                    self.cache.forget(&change.object().unique_identifier);
                }
                Err(error)
            }
        }
    }

    pub(crate) fn candidates(&self, terms: &[IndexTerm]) -> Vec<String> {
        let keys: Vec<IndexKey> = terms.iter().map(|t| self.sealer.index_key(t)).collect();
        self.index.candidates(&keys)
    }

    pub(crate) fn read_fence(&self) -> CommitTicket {
        self.group().fence()
    }

    pub(crate) fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let _open = self.backend_open()?;
        let Some(sealed) = self.backend.setting(key)? else {
            return Ok(None);
        };
        let opened = self.sealer.open(sealed.as_ref(), &setting_context(key));
        Ok(Some(opened.map_err(|e| self.damaged(key, e))?))
    }

    pub(crate) fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let _open = self.backend_open()?;
        let mut found = Vec::new();
        for (key, sealed) in self.backend.settings(prefix)? {
            let value = self.sealer.open(sealed.as_ref(), &setting_context(&key));
            let value = value.map_err(|e| self.damaged(&key, e))?;
            found.push((key, value));
        }
        Ok(found)
    }

    pub(crate) fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        let _writing = self.write_gate();
        // From the seal to the write: a re-seal waits for it before it checks the settings.
        let _sealing = self.settings_gate.read().unwrap_or_else(|p| p.into_inner());
        let reservation = self.group().reserve();
        let _open = self.backend_open()?;
        self.may_write(&reservation)?;
        let sealed = value.map(|value| self.sealer.seal(value, &setting_context(key))).transpose()?;
        self.backend.put_setting(key, sealed.as_deref())?;
        Ok(reservation.applied())
    }

    /// Everything a change writes, prepared (and sealed) before the write.
    fn prepare(&self, change: &Change) -> StoreResult<Prepared<B::Value>> {
        let (object, insert) = match change {
            Change::Insert(object) => (object, true),
            Change::Update(object) => (object, false),
        };
        // The caller holds the object's stripe: what is read here stays current until written.
        let (sequence, old_index_keys, replaced) = if insert {
            (self.backend.next_sequence()?, Vec::new(), None)
        } else {
            let current = self
                .backend
                .get(&object.unique_identifier)?
                .ok_or_else(|| StoreError::Conflict(object.unique_identifier.clone()))?;
            let old = Header::parse(current.as_ref())?.0;
            if old.revision != object.revision {
                return Err(StoreError::Conflict(object.unique_identifier.clone()));
            }
            (old.sequence, old.index_keys, Some(current))
        };
        let terms = self.schema.index_terms(object);
        crate::check_index_terms(&object.unique_identifier, terms.len())?;
        let index_keys: Vec<_> = terms.iter().map(|t| self.sealer.index_key(t)).collect();
        let claim_keys = claims(&terms).map(|t| self.sealer.index_key(t)).collect();
        let header = Header { revision: object.revision + 1, sequence, index_keys };
        let header_bytes = header.to_bytes()?;
        let plaintext = self.schema.encode(object)?;
        let sealed = self.sealer.seal(&plaintext, &record_context(&object.unique_identifier, &header_bytes))?;
        let mut value = header_bytes;
        value.extend_from_slice(&sealed);
        Ok(Prepared {
            unique_identifier: object.unique_identifier.clone(),
            replaced,
            header,
            old_index_keys,
            claim_keys,
            value,
        })
    }

    /// Writes the changes, then brings the index up to date.
    fn write(&self, changes: &[Change]) -> StoreResult<()> {
        let prepared = changes.iter().map(|c| self.prepare(c)).collect::<StoreResult<Vec<_>>>()?;
        // Claims are checked and taken under one lock, held until the index shows them: two
        // commits of the same Name cannot both pass (a check before the commit could).
        let _claiming = prepared.iter().any(|p| !p.claim_keys.is_empty()).then(|| self.lock_claims());
        self.check_claims(&prepared)?;
        let writes: Vec<RecordWrite<'_>> = prepared
            .iter()
            .map(|p| RecordWrite {
                unique_identifier: &p.unique_identifier,
                replaces: p.replaced.as_ref().map(AsRef::as_ref),
                value: &p.value,
            })
            .collect();
        self.backend.write(&writes)?;
        for change in &prepared {
            let header = &change.header;
            self.index.update(&change.unique_identifier, header.sequence, &change.old_index_keys, &header.index_keys);
        }
        Ok(())
    }

    fn lock_claims(&self) -> MutexGuard<'_, ()> {
        // Nothing is left half-done under this lock by a panic: carry on.
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses a commit that claims what an object outside it holds, or what two of its own
    /// changes both claim. A claim the object held already is not checked again: objects written
    /// before claims existed may share a Name, and must stay writable.
    fn check_claims(&self, prepared: &[Prepared<B::Value>]) -> StoreResult<()> {
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

    /// Says loudly that a stored value failed its check, and passes the error on: the client
    /// gets a failure, never "not found", and the operator a line to act on.
    pub(crate) fn damaged(&self, what: &str, error: StoreError) -> StoreError {
        if matches!(error, StoreError::Corrupt(_)) {
            tracing::error!(
                %error,
                what,
                store = %self.backend.location(),
                "a stored record failed its integrity check: run `keyward store verify` and restore from a backup"
            );
        }
        error
    }
}

/// The error while the backend reopens after a failed write.
pub(crate) fn reopening() -> StoreError {
    StoreError::Unavailable("the store is reopening after a failed write".into())
}
