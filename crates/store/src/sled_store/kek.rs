//! The KEK of the sled store: the keyring it wraps, the KEK versions the store knows, rotation,
//! and the background re-seal.
//!
//! The file `keyring` beside `objects.sled` (outside sled, so that the KEK is checked before sled
//! opens: sled writes to its files at every open, and a start refused for a wrong KEK must change
//! no file) holds:
//! - the active KEK's version, in clear: it says which KEK to ask the source for;
//! - each KEK version the store knows: its state, whether the data key derives from its bytes,
//!   and a check value wrapped by it (which tells a wrong KEK from a damaged keyring);
//! - the keyring, wrapped by the active KEK.
//!
//! It is replaced whole (a new file, synced, renamed over the old one, the directory synced).
//! In sled's `meta` tree: `reseal-cursor`, while a re-seal runs, the last object it finished
//! (progress that survives a crash: a restart resumes after it); and in a store made before
//! keyrings, `kek-check`, until its first open by this version.

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLockReadGuard};
use std::time::{Duration, Instant};

use sled::Tree;
use zeroize::Zeroizing;

use super::Layer;
use super::backend::Backend;
use crate::kek::{Kek, KekAdmin, KekSource, KekState, KekStatus, KekVersionStatus, KeyEncryptionKey, ResealStatus};
use crate::keyring::{CHECK_VALUE, KeyRing, LEGACY_CHECK_VALUE, check_context, keyring_context};
use crate::records::header::Header;
use crate::records::{record_context, setting_context};
use crate::sealing::{Sealer, generation_of};
use crate::{StoreError, StoreResult};

/// The keyring file's name, in the store's directory.
pub(super) const KEYRING_FILE: &str = "keyring";
const KEYRING_MAGIC: &[u8; 5] = b"KWKR\x01";
const LEGACY_CHECK_KEY: &[u8] = b"kek-check";
const RESEAL_CURSOR_KEY: &[u8] = b"reseal-cursor";
/// The data key derives from this KEK's bytes (a store made before keyrings).
const DERIVES_DATA_KEY: u8 = 1;
/// Objects re-sealed between two writes of the cursor.
const RESEAL_BATCH: usize = 256;
/// How long a re-seal waits before it tries again while the store refuses changes.
const RESEAL_RETRY: Duration = Duration::from_secs(1);

/// A KEK version as `meta` keeps it.
struct VersionRecord {
    version: u32,
    state: KekState,
    flags: u8,
    check: Vec<u8>,
}

impl VersionRecord {
    fn to_bytes(&self) -> Vec<u8> {
        let state = match self.state {
            KekState::Active => 1,
            KekState::Retiring => 2,
            KekState::Retired => 3,
        };
        [&[state, self.flags], self.check.as_slice()].concat()
    }

    fn parse(version: u32, bytes: &[u8]) -> StoreResult<VersionRecord> {
        let (&[state, flags], check) = bytes.split_first_chunk::<2>().ok_or_else(|| bad_version(version))?;
        let state = match state {
            1 => KekState::Active,
            2 => KekState::Retiring,
            3 => KekState::Retired,
            _ => return Err(bad_version(version)),
        };
        Ok(VersionRecord { version, state, flags, check: check.to_vec() })
    }

    fn new(version: u32, kek: &dyn KeyEncryptionKey, flags: u8) -> StoreResult<VersionRecord> {
        Ok(VersionRecord {
            version,
            state: KekState::Active,
            flags,
            check: kek.wrap(CHECK_VALUE, &check_context(version))?,
        })
    }
}

fn missing(path: &Path) -> StoreError {
    StoreError::Corrupt(format!("the keyring file {} is missing", path.display()))
}

fn bad_version(version: u32) -> StoreError {
    StoreError::Corrupt(format!("the record of KEK version {version} is malformed"))
}

/// The keyring file's contents.
struct KeyringFile {
    active: u32,
    versions: Vec<VersionRecord>,
    /// The keyring, wrapped by the active KEK.
    wrapped: Vec<u8>,
}

impl KeyringFile {
    fn new(active: u32, versions: Vec<VersionRecord>, kek: &dyn KeyEncryptionKey, ring: &KeyRing) -> StoreResult<Self> {
        Ok(KeyringFile { active, versions, wrapped: kek.wrap(&ring.to_bytes(), &keyring_context(active))? })
    }

    fn record(&self, version: u32) -> StoreResult<&VersionRecord> {
        self.versions.iter().find(|r| r.version == version).ok_or_else(|| bad_version(version))
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = KEYRING_MAGIC.to_vec();
        out.extend_from_slice(&self.active.to_be_bytes());
        out.extend_from_slice(&(self.versions.len() as u32).to_be_bytes());
        for record in &self.versions {
            let bytes = record.to_bytes();
            out.extend_from_slice(&record.version.to_be_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(&self.wrapped);
        out
    }

    fn parse(bytes: &[u8]) -> StoreResult<KeyringFile> {
        let corrupt = || StoreError::Corrupt("the keyring file is malformed".into());
        let rest = bytes.strip_prefix(KEYRING_MAGIC).ok_or_else(corrupt)?;
        let (active, rest) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let (count, mut rest) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let mut versions = Vec::new();
        for _ in 0..u32::from_be_bytes(*count) {
            let (version, after) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
            let (len, after) = after.split_first_chunk::<4>().ok_or_else(corrupt)?;
            let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| corrupt())?;
            let record = after.get(..len).ok_or_else(corrupt)?;
            versions.push(VersionRecord::parse(u32::from_be_bytes(*version), record)?);
            rest = &after[len..];
        }
        Ok(KeyringFile { active: u32::from_be_bytes(*active), versions, wrapped: rest.to_vec() })
    }

    fn read(path: &Path) -> StoreResult<Option<KeyringFile>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(KeyringFile::parse(&bytes)?)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Replaces the file whole and durably: a crash leaves the old one or the new one.
    fn write(&self, path: &Path) -> StoreResult<()> {
        let temporary = path.with_extension("new");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        std::io::Write::write_all(&mut file, &self.to_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(parent)?.sync_all()?;
        Ok(())
    }
}

/// What [`open_keyring`] found.
pub(super) struct Opened {
    pub(super) ring: KeyRing,
    pub(super) version: u32,
    pub(super) kek: Box<dyn KeyEncryptionKey>,
}

/// Unwraps the keyring of the file at `path` with the active KEK from `source`, if the store has
/// one; refuses a wrong KEK. Reads only: called before sled opens.
pub(super) fn read_keyring(path: &Path, source: &dyn KekSource) -> StoreResult<Option<Opened>> {
    let Some(file) = KeyringFile::read(path)? else { return Ok(None) };
    let version = file.active;
    let kek = source.open(version)?;
    match kek.unwrap(&file.record(version)?.check, &check_context(version)) {
        Ok(check) if &check[..] == CHECK_VALUE => {}
        _ => return Err(StoreError::WrongKek),
    }
    let ring = KeyRing::from_bytes(&kek.unwrap(&file.wrapped, &keyring_context(version))?)?;
    Ok(Some(Opened { ring, version, kek }))
}

/// A key of the keyring's for `purpose`, read from the keyring file of the store in `dir` with
/// the KEK from `source`, without opening the store (which may be serving).
pub fn derive_key_offline(dir: &Path, source: &dyn KekSource, purpose: &[u8]) -> StoreResult<Zeroizing<[u8; 32]>> {
    let path = dir.join(KEYRING_FILE);
    match read_keyring(&path, source)? {
        Some(opened) => Ok(opened.ring.derive(purpose)),
        None => Err(missing(&path)),
    }
}

/// Whether the store's `meta` holds the KEK check value of a store made before keyrings.
pub(super) fn has_legacy_check(meta: &Tree) -> StoreResult<bool> {
    Ok(meta.contains_key(LEGACY_CHECK_KEY)?)
}

/// Makes the keyring file of a store that has none: a new store, or one made before keyrings
/// (whose `kek-check` the KEK must open first).
pub(super) fn create_keyring(
    path: &Path,
    db: &sled::Db,
    meta: &Tree,
    objects: &Tree,
    source: &dyn KekSource,
) -> StoreResult<Opened> {
    let (ring, kek, flags) = match meta.get(LEGACY_CHECK_KEY)? {
        Some(check) => {
            let kek = source.open(1)?;
            let bytes = kek.legacy_bytes().ok_or_else(|| {
                StoreError::KekUnavailable(
                    "this store was made before keyrings: its first start must be with its KEK file".into(),
                )
            })?;
            let ring = KeyRing::legacy(&Kek::from_bytes(*bytes));
            match Sealer::new(&ring).open(&check, LEGACY_CHECK_KEY) {
                Ok(opened) if &opened[..] == LEGACY_CHECK_VALUE => {}
                _ => return Err(StoreError::WrongKek),
            }
            (ring, kek, DERIVES_DATA_KEY)
        }
        None if objects.is_empty() => {
            let kek = match source.open(1) {
                Err(StoreError::KekUnavailable(_)) => source.create(1)?,
                other => other?,
            };
            (KeyRing::generate()?, kek, 0)
        }
        None => {
            return Err(StoreError::Corrupt(format!(
                "the store holds objects but its keyring file {} is missing: restore it from a backup",
                path.display()
            )));
        }
    };
    let versions = vec![VersionRecord::new(1, kek.as_ref(), flags)?];
    KeyringFile::new(1, versions, kek.as_ref(), &ring)?.write(path)?;
    meta.remove(LEGACY_CHECK_KEY)?;
    db.flush()?;
    Ok(Opened { ring, version: 1, kek })
}

/// The active KEK and the keyring, changed by rotations.
struct Active {
    version: u32,
    kek: Box<dyn KeyEncryptionKey>,
    ring: KeyRing,
}

/// What a re-seal has done, for the status.
#[derive(Default)]
struct Progress {
    running: AtomicBool,
    objects_done: AtomicU64,
    error: Mutex<Option<String>>,
}

/// KEK administration of one sled store; shared with the re-seal worker. It reaches the
/// database, the sealer, the write locks, the group commit and the gates through the store's
/// record layer: after a failed flush the store reopens its database, and the re-seal goes on in
/// the reopened one (never through handles of the dropped one).
pub(super) struct KekManager {
    layer: Arc<Layer>,
    source: Arc<dyn KekSource>,
    active: Mutex<Active>,
    progress: Progress,
    stop: AtomicBool,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl KekManager {
    /// The manager of an opened store; resumes a re-seal that a stop interrupted.
    pub(super) fn start(layer: Arc<Layer>, source: Arc<dyn KekSource>, opened: Opened) -> Arc<KekManager> {
        let resume = !opened.ring.older_generations().is_empty();
        let manager = Arc::new(KekManager {
            layer,
            source,
            active: Mutex::new(Active { version: opened.version, kek: opened.kek, ring: opened.ring }),
            progress: Progress::default(),
            stop: AtomicBool::new(false),
            worker: Mutex::new(None),
        });
        if resume {
            tracing::info!("resuming the re-seal of records under the current data key");
            manager.start_reseal();
        }
        manager
    }

    /// The keyring file.
    fn path(&self) -> &Path {
        &self.layer.backend.keyring_path
    }

    /// The backup gate (see `backup`), held shared by every re-seal write and keyring change, so
    /// that a snapshot sees records and the keyring that opens them at one instant.
    fn writing(&self) -> RwLockReadGuard<'_, ()> {
        self.layer.write_gate()
    }

    /// Runs `f` on the current database, for a write: refused while the store recovers from a
    /// failed flush (the re-seal then waits and starts over from its cursor).
    fn with_backend<T>(&self, f: impl FnOnce(&Backend) -> StoreResult<T>) -> StoreResult<T> {
        let _open = self.layer.backend_open()?;
        self.layer.check_available()?;
        self.layer.backend.with(f)
    }

    /// A key of the keyring's for `purpose` (see `KeyRing::derive`).
    pub(super) fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        self.active().ring.derive(purpose)
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the re-seal (the store is closing) and waits for it: it resumes at the next open.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(worker) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = worker.join();
        }
    }

    fn durable(&self) -> StoreResult<()> {
        self.layer.durable()
    }

    fn start_reseal(self: &Arc<Self>) {
        let mut worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(done) = worker.take() {
            let _ = done.join();
        }
        self.progress.running.store(true, Ordering::SeqCst);
        self.progress.objects_done.store(0, Ordering::SeqCst);
        *self.progress.error.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let manager = Arc::clone(self);
        *worker = Some(std::thread::spawn(move || {
            loop {
                match manager.reseal() {
                    Ok(()) => break,
                    // The store is recovering from a failed write (a full disk): what the re-seal
                    // wrote since its last durable cursor may be gone with the dropped database.
                    // It starts over from the cursor once the store takes changes again.
                    Err(error @ (StoreError::Unavailable(_) | StoreError::Durability(_)))
                        if !manager.stop.load(Ordering::SeqCst) =>
                    {
                        tracing::warn!(%error, "the re-seal waits for the store to take changes again");
                        *manager.progress.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
                        if !manager.pause() {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "the re-seal of records failed; it resumes at the next start");
                        *manager.progress.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
                        break;
                    }
                }
            }
            manager.progress.running.store(false, Ordering::SeqCst);
        }));
    }

    /// Waits before the re-seal tries again; false when the store is closing.
    fn pause(&self) -> bool {
        crate::records::pause(RESEAL_RETRY, &self.stop)
    }

    /// Re-seals every object and setting under the current data key, then drops the older ones.
    fn reseal(&self) -> StoreResult<()> {
        let started = Instant::now();
        let mut cursor = self.with_backend(|b| Ok(b.meta.get(RESEAL_CURSOR_KEY)?.map(|c| c.to_vec())))?;
        loop {
            let lower = cursor.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let batch: Vec<_> = self.with_backend(|b| {
                let keys = b.objects.range::<&[u8], _>((lower, Bound::Unbounded)).keys().take(RESEAL_BATCH);
                Ok(keys.collect::<Result<_, _>>()?)
            })?;
            let Some(last) = batch.last().cloned() else { break };
            for uid in &batch {
                if self.stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                self.reseal_object(uid)?;
                self.progress.objects_done.fetch_add(1, Ordering::Relaxed);
            }
            // Written after the batch's records, in sled's order: durable only if they are.
            self.with_backend(|b| Ok(b.meta.insert(RESEAL_CURSOR_KEY, last.as_ref())?))?;
            cursor = Some(last.to_vec());
        }
        let layer = &self.layer;
        // Every commit that took the stripe of an object before the data keys changed is written
        // once all stripes have been free; so is every setting once the gate has been.
        drop(layer.locks.lock_all());
        drop(layer.settings_gate.write().unwrap_or_else(|p| p.into_inner()));
        // Keys first, records one by one: no read of the database is held across a write.
        let settings: Vec<_> = self.with_backend(|b| Ok(b.settings.iter().keys().collect::<Result<_, _>>()?))?;
        for key in settings {
            self.reseal_setting(&key)?;
        }
        // What is left under an older key, read from the values' clear generations: nothing,
        // unless a writer slipped by; the loop above covered them all once.
        let current = layer.sealer.current_generation();
        let stale: Vec<_> = self.with_backend(|b| {
            let mut stale = Vec::new();
            for entry in b.objects.iter() {
                let (uid, value) = entry?;
                if generation_of(Header::parse(&value)?.2) != current {
                    stale.push(uid);
                }
            }
            Ok(stale)
        })?;
        for uid in stale {
            self.reseal_object(&uid)?;
        }
        // The flush also writes the store's flush number ([`super::watermark`]) sealed under the
        // current data key: after it, nothing on disk needs an older one.
        self.durable()?;
        let mut active = self.active();
        let ring = active.ring.retaining_current_only();
        let mut versions = KeyringFile::read(self.path())?.ok_or_else(|| missing(self.path()))?.versions;
        for record in versions.iter_mut().filter(|r| r.state == KekState::Retiring) {
            record.state = KekState::Retired;
        }
        let _writing = self.writing();
        self.with_backend(|b| Ok(b.meta.remove(RESEAL_CURSOR_KEY)?))?;
        KeyringFile::new(active.version, versions, active.kek.as_ref(), &ring)?.write(self.path())?;
        layer.sealer.replace_data_keys(&ring);
        active.ring = ring;
        tracing::info!(
            objects = self.progress.objects_done.load(Ordering::Relaxed),
            seconds = started.elapsed().as_secs_f64(),
            "every record is sealed under the current data key; the older ones are gone"
        );
        Ok(())
    }

    /// Seals one object again under the current data key, under its stripe (as a commit would).
    fn reseal_object(&self, uid: &[u8]) -> StoreResult<()> {
        let text = std::str::from_utf8(uid).map_err(|_| StoreError::Corrupt("identifier".into()))?;
        let _held = self.layer.locks.lock(std::iter::once(text));
        let _writing = self.writing();
        let sealer = &self.layer.sealer;
        self.with_backend(|backend| {
            let Some(value) = backend.objects.get(uid)? else { return Ok(()) };
            let (_, header_bytes, sealed) = Header::parse(&value)?;
            let context = record_context(text, header_bytes);
            let (plaintext, generation) = sealer.open_with_generation(sealed, &context)?;
            if generation == sealer.current_generation() {
                return Ok(());
            }
            let resealed = [header_bytes, &sealer.seal(&plaintext, &context)?].concat();
            // Nobody else writes under the stripe: a failed swap would be a bug, and the final
            // pass would find the record again.
            let _ = backend.objects.compare_and_swap(uid, Some(&value), Some(resealed))?;
            Ok(())
        })
    }

    fn reseal_setting(&self, key: &[u8]) -> StoreResult<()> {
        let text = std::str::from_utf8(key).map_err(|_| StoreError::Corrupt("setting key".into()))?;
        let _writing = self.writing();
        let sealer = &self.layer.sealer;
        self.with_backend(|backend| {
            let Some(value) = backend.settings.get(key)? else { return Ok(()) };
            let context = setting_context(text);
            let (plaintext, generation) = sealer.open_with_generation(&value, &context)?;
            if generation == sealer.current_generation() {
                return Ok(());
            }
            let resealed = sealer.seal(&plaintext, &context)?;
            // A setting written since was sealed under the current key: it wins.
            let _ = backend.settings.compare_and_swap(key, Some(&value), Some(resealed))?;
            Ok(())
        })
    }

    fn status_of(&self, active: &Active) -> StoreResult<KekStatus> {
        let known = KeyringFile::read(self.path())?.ok_or_else(|| missing(self.path()))?.versions;
        let derived = known
            .iter()
            .any(|r| r.version == active.version && r.state == KekState::Active && r.flags & DERIVES_DATA_KEY != 0);
        let versions = known
            .into_iter()
            .map(|r| KekVersionStatus { version: r.version, state: r.state, location: self.source.describe(r.version) })
            .collect();
        let older = active.ring.older_generations();
        let reseal = (!older.is_empty()).then(|| ResealStatus {
            from_generations: older,
            objects_done: self.progress.objects_done.load(Ordering::Relaxed),
            running: self.progress.running.load(Ordering::SeqCst),
            error: self.progress.error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        });
        Ok(KekStatus {
            source: self.source.kind(),
            active_version: active.version,
            versions,
            data_key_generation: active.ring.current,
            data_key_derived_from_kek: derived,
            reseal,
        })
    }
}

/// The handle the server holds: the manager, which the re-seal worker shares.
pub(super) struct Admin(pub(super) Arc<KekManager>);

impl KekAdmin for Admin {
    fn status(&self) -> StoreResult<KekStatus> {
        let active = self.0.active();
        self.0.status_of(&active)
    }

    fn rotate(&self, new_data_key: bool) -> StoreResult<KekStatus> {
        let manager = &self.0;
        let mut active = manager.active();
        if !active.ring.older_generations().is_empty() {
            return Err(StoreError::Busy(
                "a re-seal from an earlier rotation has not finished; rotate again once the status shows none".into(),
            ));
        }
        let mut known = KeyringFile::read(manager.path())?.ok_or_else(|| missing(manager.path()))?.versions;
        let derived = known.iter().any(|r| r.version == active.version && r.flags & DERIVES_DATA_KEY != 0);
        let version = known.iter().map(|r| r.version).max().unwrap_or(active.version) + 1;
        // A KEK left by a rotation that crashed before using it is taken as it is.
        let kek = manager.source.create(version)?;
        let reseal = new_data_key || derived;
        let ring = if reseal { active.ring.with_new_data_key()? } else { active.ring.retaining_current_only() };
        for record in known.iter_mut().filter(|r| r.version == active.version) {
            record.state = if derived { KekState::Retiring } else { KekState::Retired };
        }
        known.push(VersionRecord::new(version, kek.as_ref(), 0)?);
        manager.with_backend(|b| Ok(b.meta.remove(RESEAL_CURSOR_KEY)?))?;
        manager.durable()?;
        let _writing = manager.writing();
        KeyringFile::new(version, known, kek.as_ref(), &ring)?.write(manager.path())?;
        manager.layer.sealer.replace_data_keys(&ring);
        *active = Active { version, kek, ring };
        tracing::info!(
            version,
            location = %manager.source.describe(version),
            reseal,
            "a new key-encryption key is in force"
        );
        if reseal {
            manager.start_reseal();
        }
        manager.status_of(&active)
    }

    fn wait_for_reseal(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let idle = !self.0.progress.running.load(Ordering::SeqCst);
            if idle {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

impl std::fmt::Debug for KekManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KekManager(..)")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Nonce};
    use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};

    use super::*;
    use crate::kek::FileKekSource;
    use crate::{Change, IndexTerm, ObjectStore, SledOptions, SledStore, StoredObject};

    fn named(uid: &str, name: &str) -> StoredObject {
        StoredObject {
            unique_identifier: uid.into(),
            owner: "alice".into(),
            object: None,
            attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(name)))],
            revision: 0,
        }
    }

    fn open(dir: &Path, source: &FileKekSource) -> StoreResult<SledStore> {
        SledStore::open_with_source(
            &dir.join("data"),
            Arc::new(source.clone()),
            &SledOptions::new(crate::schema::schema_for_tests()),
        )
    }

    fn admin(store: &SledStore) -> Arc<dyn KekAdmin> {
        store.kek_admin().unwrap()
    }

    /// The generations of every object and setting, from their clear fields.
    fn generations(store: &SledStore) -> Vec<u32> {
        let backend = store.layer.backend.handle();
        let backend = backend.as_ref().unwrap();
        let objects = backend.objects.iter().values().map(|v| generation_of(Header::parse(&v.unwrap()).unwrap().2));
        let settings = backend.settings.iter().values().map(|v| generation_of(&v.unwrap()));
        let mut all: Vec<u32> = objects.chain(settings).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Seals as the store did before keyrings: nonce, ciphertext and tag, under the key HKDF
    /// derived from the KEK's bytes.
    fn legacy_seal(kek: &Kek, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let ring = KeyRing::legacy(kek);
        let cipher = Aes256Gcm::new_from_slice(ring.data_keys[0].1.as_ref()).unwrap();
        let nonce = Nonce::generate();
        [nonce.as_slice(), &cipher.encrypt(&nonce, Payload { msg: plaintext, aad: context }).unwrap()].concat()
    }

    /// A store as the version before keyrings left it: `kek-check`, objects and a setting in the
    /// old sealed form, index keys under the derived index key.
    fn write_legacy_store(dir: &Path, kek: &Kek, objects: usize) {
        let db = sled::open(dir.join("data/objects.sled")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert(LEGACY_CHECK_KEY, legacy_seal(kek, LEGACY_CHECK_VALUE, LEGACY_CHECK_KEY)).unwrap();
        let tree = db.open_tree("objects").unwrap();
        let sealer = Sealer::new(&KeyRing::legacy(kek));
        let schema = crate::schema::schema_for_tests();
        for i in 0..objects {
            let object = named(&format!("old-{i:04}"), &format!("old name {i}"));
            let terms = schema.index_terms(&object);
            let index_keys = terms.iter().map(|t| sealer.index_key(t)).collect();
            let header = Header { revision: 1, sequence: db.generate_id().unwrap(), index_keys }.to_bytes().unwrap();
            let context = record_context(&object.unique_identifier, &header);
            let value = [header.as_slice(), &legacy_seal(kek, &schema.encode(&object).unwrap(), &context)].concat();
            tree.insert(&object.unique_identifier, value).unwrap();
        }
        let settings = db.open_tree("settings").unwrap();
        settings.insert("grant/old", legacy_seal(kek, b"old grant", &setting_context("grant/old"))).unwrap();
        db.flush().unwrap();
    }

    #[cfg(unix)]
    fn write_kek_file(path: &Path, kek_hex: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, kek_hex).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Creates objects from several threads until told to stop; returns the identifiers acknowledged.
    fn create_while(store: &SledStore, stop: &AtomicBool, threads: usize) -> Vec<String> {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        let mut made = Vec::new();
                        let mut i = 0;
                        while !stop.load(Ordering::SeqCst) || i < 20 {
                            let uid = format!("new-{t}-{i}");
                            store.commit(vec![Change::Insert(named(&uid, &uid))]).unwrap().wait().unwrap();
                            store.put_setting(&format!("grant/{uid}"), Some(uid.as_bytes())).unwrap().wait().unwrap();
                            made.push(uid);
                            i += 1;
                        }
                        made
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        })
    }

    #[cfg(unix)]
    #[test]
    fn a_store_made_before_keyrings_opens_and_its_first_rotation_reseals_everything_under_load() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([5; 32]);
        write_legacy_store(dir.path(), &kek, 600);
        let source = FileKekSource::new(dir.path().join("kek"));
        write_kek_file(&source.path_of(1), &"05".repeat(32));
        let made = {
            let store = open(dir.path(), &source).unwrap();
            assert_eq!(generations(&store), [1]);
            assert_eq!(store.get("old-0007").unwrap().unwrap().attributes, named("x", "old name 7").attributes);
            assert_eq!(store.candidates(&[IndexTerm::name("old name 9")]).unwrap(), ["old-0009"]);
            let status = admin(&store).status().unwrap();
            assert_eq!((status.active_version, status.data_key_generation), (1, 1));
            assert!(status.data_key_derived_from_kek);
            let stop = AtomicBool::new(false);
            let made = std::thread::scope(|scope| {
                let creating = scope.spawn(|| create_while(&store, &stop, 3));
                std::thread::sleep(Duration::from_millis(30));
                let status = admin(&store).rotate(false).unwrap();
                assert_eq!((status.active_version, status.data_key_generation), (2, 2));
                assert_eq!(status.versions[0].state, KekState::Retiring);
                assert!(admin(&store).rotate(false).is_err(), "a second rotation waits for the re-seal");
                assert!(admin(&store).wait_for_reseal(Duration::from_secs(60)));
                stop.store(true, Ordering::SeqCst);
                creating.join().unwrap()
            });
            let status = admin(&store).status().unwrap();
            assert!(status.reseal.is_none(), "{:?}", status.reseal);
            assert!(!status.data_key_derived_from_kek);
            assert_eq!(
                status.versions.iter().map(|v| v.state).collect::<Vec<_>>(),
                [KekState::Retired, KekState::Active]
            );
            assert_eq!(generations(&store), [2]);
            made
        };
        // The old KEK is needed for nothing now.
        std::fs::remove_file(source.path_of(1)).unwrap();
        let store = open(dir.path(), &source).unwrap();
        for i in 0..600 {
            assert!(store.get(&format!("old-{i:04}")).unwrap().is_some());
        }
        for uid in &made {
            assert_eq!(store.get(uid).unwrap().unwrap().unique_identifier, *uid);
            assert_eq!(&store.setting(&format!("grant/{uid}")).unwrap().unwrap()[..], uid.as_bytes());
        }
        assert_eq!(&store.setting("grant/old").unwrap().unwrap()[..], b"old grant");
        assert_eq!(store.candidates(&[IndexTerm::name("old name 9")]).unwrap(), ["old-0009"]);
        assert!(!made.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_rotation_rewraps_the_keyring_at_once_and_the_old_kek_is_then_needed_for_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        {
            let store = open(dir.path(), &source).unwrap();
            store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
            let status = admin(&store).rotate(false).unwrap();
            assert!(status.reseal.is_none());
            assert_eq!((status.active_version, status.data_key_generation), (2, 1));
            assert_eq!(status.versions[0].state, KekState::Retired);
            assert_eq!(status.versions[1].location, source.path_of(2).display().to_string());
            store.commit(vec![Change::Insert(named("b", "two"))]).unwrap().wait().unwrap();
        }
        std::fs::rename(source.path_of(1), dir.path().join("kept-aside")).unwrap();
        let store = open(dir.path(), &source).unwrap();
        assert_eq!(store.candidates(&[]).unwrap(), ["b", "a"]);
        assert!(store.get("a").unwrap().is_some());
        drop(store);
        // Without the active KEK, the store does not open, and says which file is missing.
        std::fs::remove_file(source.path_of(2)).unwrap();
        let error = open(dir.path(), &source).err().unwrap().to_string();
        assert!(error.contains("kek.v2") && error.contains("missing"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_key_reseals_under_concurrent_creates_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        let made = {
            let store = open(dir.path(), &source).unwrap();
            for i in 0..500 {
                drop(store.commit(vec![Change::Insert(named(&format!("pre-{i}"), &format!("pre {i}")))]).unwrap());
            }
            store.put_setting("policy/x", Some(b"x")).unwrap().wait().unwrap();
            let stop = AtomicBool::new(false);
            let made = std::thread::scope(|scope| {
                let creating = scope.spawn(|| create_while(&store, &stop, 4));
                std::thread::sleep(Duration::from_millis(20));
                let status = admin(&store).rotate(true).unwrap();
                assert_eq!((status.data_key_generation, status.reseal.unwrap().from_generations), (2, vec![1]));
                assert!(admin(&store).wait_for_reseal(Duration::from_secs(60)));
                stop.store(true, Ordering::SeqCst);
                creating.join().unwrap()
            });
            assert_eq!(generations(&store), [2]);
            assert!(admin(&store).status().unwrap().reseal.is_none());
            made
        };
        std::fs::remove_file(source.path_of(1)).unwrap();
        let store = open(dir.path(), &source).unwrap();
        assert_eq!(store.candidates(&[]).unwrap().len(), 500 + made.len());
        for uid in &made {
            assert!(store.get(uid).unwrap().is_some(), "{uid} lost");
            assert!(store.setting(&format!("grant/{uid}")).unwrap().is_some(), "grant of {uid} lost");
        }
        assert!(store.get("pre-499").unwrap().is_some());
    }

    /// A re-seal cut short by a stop resumes at the next open, after its persisted cursor.
    #[cfg(unix)]
    #[test]
    fn a_reseal_cut_short_resumes_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        {
            let store = open(dir.path(), &source).unwrap();
            for i in 0..3000 {
                drop(store.commit(vec![Change::Insert(named(&format!("o-{i:05}"), &format!("n{i}")))]).unwrap());
            }
            store.flush().unwrap();
            // Stopped before it starts: the worst case of a crash right after the rotation.
            store.kek.stop.store(true, Ordering::SeqCst);
            admin(&store).rotate(true).unwrap();
            assert!(admin(&store).wait_for_reseal(Duration::from_secs(60)));
            let status = admin(&store).status().unwrap();
            assert_eq!(status.reseal.unwrap().from_generations, [1], "nothing done yet");
            assert_eq!(generations(&store), [1]);
        }
        let store = open(dir.path(), &source).unwrap();
        assert!(admin(&store).wait_for_reseal(Duration::from_secs(60)));
        assert!(admin(&store).status().unwrap().reseal.is_none());
        assert_eq!(generations(&store), [2]);
        assert_eq!(store.candidates(&[]).unwrap().len(), 3000);
    }

    /// Stopped midway (as by a crash): the cursor holds the progress, the next open resumes
    /// after it and finishes; objects done before the stop are not done again.
    #[cfg(unix)]
    #[test]
    fn a_reseal_stopped_midway_resumes_after_its_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        {
            let store = open(dir.path(), &source).unwrap();
            for i in 0..4000 {
                drop(store.commit(vec![Change::Insert(named(&format!("o-{i:05}"), &format!("n{i}")))]).unwrap());
            }
            store.flush().unwrap();
            admin(&store).rotate(true).unwrap();
            while store.kek.progress.objects_done.load(Ordering::SeqCst) < 2 * RESEAL_BATCH as u64 {
                std::thread::yield_now();
            }
            store.kek.stop();
            let done = store.kek.progress.objects_done.load(Ordering::SeqCst);
            let backend = store.layer.backend.handle();
            let cursor = backend.as_ref().unwrap().meta.get(RESEAL_CURSOR_KEY).unwrap().expect("progress persisted");
            drop(backend);
            assert!(done < 4000, "the re-seal finished before the stop ({done})");
            assert!(cursor.as_ref() > b"o-00000".as_slice() && cursor.as_ref() < b"o-03999".as_slice());
            assert_eq!(generations(&store), [1, 2]);
        }
        let store = open(dir.path(), &source).unwrap();
        assert!(admin(&store).wait_for_reseal(Duration::from_secs(60)));
        let resumed = store.kek.progress.objects_done.load(Ordering::SeqCst);
        assert!(resumed < 4000, "resumed from the start ({resumed} objects)");
        assert!(admin(&store).status().unwrap().reseal.is_none());
        assert_eq!(generations(&store), [2]);
        assert_eq!(store.candidates(&[]).unwrap().len(), 4000);
    }

    /// Every file of the data directory, with its bytes.
    fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    }

    #[cfg(unix)]
    #[test]
    fn a_wrong_kek_changes_no_file_and_no_key_is_in_clear_in_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        let (index_key, data_key) = {
            let store = open(dir.path(), &source).unwrap();
            store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
            let active = store.kek.active();
            (*active.ring.index_key, *active.ring.data_keys[0].1)
        };
        let kek_bytes = *Kek::load(&source.path_of(1)).unwrap().bytes();
        let before = snapshot(&dir.path().join("data"));
        for (path, bytes) in &before {
            for secret in [&kek_bytes, &index_key, &data_key] {
                assert!(!bytes.windows(32).any(|w| w == secret), "a key in clear in {}", path.display());
            }
        }
        let wrong = FileKekSource::new(dir.path().join("wrong"));
        write_kek_file(&wrong.path_of(1), &"ab".repeat(32));
        assert!(matches!(open(dir.path(), &wrong), Err(StoreError::WrongKek)));
        let after = snapshot(&dir.path().join("data"));
        let changed: Vec<_> =
            after.iter().filter(|f| !before.contains(f)).map(|(p, _)| p.display().to_string()).collect();
        assert!(changed.is_empty() && after.len() == before.len(), "a refused start changed {changed:?}");
    }

    /// Runs the test `name` again in a child process of this test binary, with a SoftHSM2 token
    /// of its own: SoftHSM reads `SOFTHSM2_CONF` once, when the module initialises, and a test
    /// may not set a variable of its own process. In the child, gives the token's settings.
    fn in_softhsm(name: &str) -> Option<crate::pkcs11::Pkcs11Settings> {
        const CHILD: &str = "KEYWARD_SOFTHSM_CHILD_MODULE";
        if let Some(module) = std::env::var_os(CHILD) {
            return Some(crate::pkcs11::Pkcs11Settings {
                module: module.into(),
                token_label: "keyward-store".into(),
                pin: zeroize::Zeroizing::new("1111".into()),
                key_label: "keyward-kek".into(),
            });
        }
        let module = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
            .into_iter()
            .find(|m| Path::new(m).exists());
        let util = std::process::Command::new("softhsm2-util").arg("--version").output().is_ok();
        let Some(module) = module.filter(|_| util) else {
            assert!(std::env::var_os("KEYWARD_REQUIRE_SOFTHSM").is_none(), "SoftHSM2 is required but not installed");
            eprintln!("!!! SKIPPED {name}: SoftHSM2 is not installed (apt-get install softhsm2)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::create_dir(dir.path().join("tokens")).unwrap();
        std::fs::write(&conf, format!("directories.tokendir = {}/tokens\nlog.level = ERROR\n", dir.path().display()))
            .unwrap();
        let init = std::process::Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "keyward-store", "--so-pin", "2222", "--pin", "1111"])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env("SOFTHSM2_CONF", &conf)
            .env(CHILD, module)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&child.stdout);
        assert!(child.status.success() && out.contains("1 passed"), "{out}{}", String::from_utf8_lossy(&child.stderr));
        None
    }

    /// With the KEK in a token: it is locked in (sensitive, never extractable, no value given
    /// out), no key of the keyring is in clear in any file, a rotation makes version 2 in the
    /// token with a re-seal, the store reopens; an absent token is refused by name.
    #[test]
    fn a_kek_in_a_token_stays_there_and_rotates() {
        let Some(settings) = in_softhsm("sled_store::kek::tests::a_kek_in_a_token_stays_there_and_rotates") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let source = Arc::new(crate::pkcs11::Pkcs11KekSource::open(settings.clone()).unwrap());
        {
            let store = SledStore::open_with_source(
                &data,
                source.clone(),
                &SledOptions::new(crate::schema::schema_for_tests()),
            )
            .unwrap();
            store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
            assert!(source.is_locked_in(1).unwrap());
            let (index_key, data_key) = {
                let active = store.kek.active();
                (*active.ring.index_key, *active.ring.data_keys[0].1)
            };
            for (path, bytes) in snapshot(&data) {
                assert!(!bytes.windows(32).any(|w| w == index_key || w == data_key), "in clear in {}", path.display());
            }
            let status = admin(&store).rotate(true).unwrap();
            assert_eq!((status.source, status.active_version), ("pkcs11", 2));
            assert!(status.versions[1].location.contains("id \"2\""), "{}", status.versions[1].location);
            assert!(admin(&store).wait_for_reseal(Duration::from_secs(30)));
            assert_eq!(generations(&store), [2]);
            assert!(source.is_locked_in(2).unwrap());
        }
        let store =
            SledStore::open_with_source(&data, source, &SledOptions::new(crate::schema::schema_for_tests())).unwrap();
        assert!(store.get("a").unwrap().is_some());
        drop(store);
        // (A wrong PIN is tested end to end, in a process of its own: the session above logged
        // the user in for this whole process.)
        let absent = crate::pkcs11::Pkcs11Settings { token_label: "absent".into(), ..settings };
        let error = crate::pkcs11::Pkcs11KekSource::open(absent).err().unwrap().to_string();
        assert!(error.contains("no token labelled \"absent\""), "{error}");
    }
}
