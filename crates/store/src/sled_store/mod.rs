//! The production store: sled, with every object sealed and every commit flushed before it is
//! acknowledged.
//!
//! Trees:
//! - `objects`: identifier -> header (format, revision, creation sequence, index keys) followed
//!   by the sealed record. The header is in the clear so that updates can maintain the indexes
//!   without decrypting; it is bound to the record as associated data.
//! - `meta`: the progress of a re-seal ([`kek`]; the keyring, which the KEK wraps, is a file
//!   beside the store).
//! - `settings`: the server's own records (grants, rotation policies...), key -> sealed value,
//!   the key bound to it as associated data.
//!
//! The Locate indexes live in memory, rebuilt from the headers at open ([`resident_index`]); how
//! a commit is written is in [`write`].

mod backup;
mod disk_sync;
mod header;
mod kek;
mod resident_index;
mod write;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sled::Tree;
use sled::transaction::TransactionError;
use zeroize::Zeroizing;

pub use self::backup::Snapshot;
use self::disk_sync::DiskSync;
use self::header::{Header, IndexKey};
pub use self::kek::derive_key_offline;
use self::kek::{Admin, KEYRING_FILE, KekManager, Parts, create_keyring, read_keyring};
use self::resident_index::ResidentIndex;
use self::write::{Prepared, WriteLocks, apply_in_transaction, apply_single};
use crate::cache::ObjectCache;
use crate::commit::GroupCommit;
use crate::index::{claims, terms_of};
use crate::kek::{Kek, KekAdmin, KekSource};
use crate::observer::{NoObserver, StoreObserver};
use crate::record;
use crate::sealing::Sealer;
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, StoreError, StoreResult, StoredObject};

/// The sled database's directory inside the data directory.
const SLED_DIR: &str = "objects.sled";
/// How many decrypted objects are kept in memory: a few megabytes for the hot keys of a large
/// deployment.
const CACHED_OBJECTS: usize = 16_384;
/// Trees of earlier versions, which kept the indexes on disk: dropped at open, as nothing reads
/// them.
const LEGACY_INDEX_TREES: [&str; 2] = ["index", "sequence"];

/// How the sled store is opened.
#[derive(Clone)]
pub struct SledOptions {
    /// The most memory sled's page cache may hold, in bytes. The header scan at open reads every
    /// object once, so a large store fills it at start-up.
    pub cache_capacity: u64,
    /// Told about cache lookups, commits and flushes (the server's metrics); nobody by default.
    pub observer: Arc<dyn StoreObserver>,
}

impl Default for SledOptions {
    fn default() -> SledOptions {
        // sled's own default.
        SledOptions { cache_capacity: 1024 * 1024 * 1024, observer: Arc::new(NoObserver) }
    }
}

impl std::fmt::Debug for SledOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledOptions").field("cache_capacity", &self.cache_capacity).finish_non_exhaustive()
    }
}

/// The sled store.
pub struct SledStore {
    db: sled::Db,
    objects: Tree,
    meta: Tree,
    settings: Tree,
    /// The keyring file (see `kek`): the data keys, wrapped by the KEK.
    keyring_path: std::path::PathBuf,
    /// Held shared by every write (and the KEK manager's), exclusively by a backup's snapshot
    /// (see `backup`).
    gate: Arc<std::sync::RwLock<()>>,
    index: ResidentIndex,
    sealer: Arc<Sealer>,
    group: Arc<GroupCommit>,
    /// The flusher thread, joined on drop so that the database is closed when the store is.
    flusher: Option<std::thread::JoinHandle<()>>,
    cache: ObjectCache,
    locks: Arc<WriteLocks>,
    /// The keyring's KEK: status, rotation, the re-seal.
    kek: Arc<KekManager>,
    /// Held while a commit that claims Names checks and takes them.
    claims: std::sync::Mutex<()>,
    observer: Arc<dyn StoreObserver>,
}

impl SledStore {
    /// A key for another purpose of the server than sealing records (the audit trail's
    /// checkpoints), derived from the keyring: the same across KEK rotations, and computable only
    /// with the KEK (offline too: [`derive_key_offline`]).
    pub fn derive_key(&self, purpose: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        self.kek.derive(purpose)
    }

    /// Opens (or creates) the store in `dir` with the default options. Refuses a KEK that does
    /// not open it.
    pub fn open(dir: &Path, kek: &Kek) -> StoreResult<SledStore> {
        SledStore::open_with(dir, kek, &SledOptions::default())
    }

    /// Opens (or creates) the store in `dir`. Refuses a KEK that does not open it.
    pub fn open_with(dir: &Path, kek: &Kek, options: &SledOptions) -> StoreResult<SledStore> {
        SledStore::open_with_source(dir, Arc::new(kek.clone()), options)
    }

    /// Opens (or creates) the store in `dir`, asking `source` for the KEK of the version the
    /// store names (version 1, made if need be, for a new store). Refuses a KEK that does not
    /// open it, before writing anything.
    pub fn open_with_source(dir: &Path, source: Arc<dyn KekSource>, options: &SledOptions) -> StoreResult<SledStore> {
        std::fs::create_dir_all(dir)?;
        // The KEK is checked before sled opens (which writes to its files).
        let keyring_path = dir.join(KEYRING_FILE);
        let found = read_keyring(&keyring_path, source.as_ref())?;
        // HighThroughput: sled cleans its log segments later, trading disk space (small for key
        // material) for less rewriting; about 15% less CPU per durable Create here.
        let sled_dir = dir.join(SLED_DIR);
        let db = sled::Config::new()
            .path(&sled_dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(options.cache_capacity)
            .open()?;
        let objects = db.open_tree("objects")?;
        let meta = db.open_tree("meta")?;
        let settings = db.open_tree("settings")?;
        let opened = match found {
            Some(opened) => opened,
            None => create_keyring(&keyring_path, &db, &meta, &objects, source.as_ref())?,
        };
        let sealer = Arc::new(Sealer::new(&opened.ring));
        for legacy in LEGACY_INDEX_TREES {
            db.drop_tree(legacy)?;
        }
        let index = ResidentIndex::default();
        for entry in objects.iter() {
            let (uid, value) = entry?;
            let uid = std::str::from_utf8(&uid).map_err(|_| StoreError::Corrupt("identifier".into()))?;
            let header = Header::parse(&value)?.0;
            index.update(uid, header.sequence, &[], &header.index_keys);
        }
        let flusher = db.clone();
        let mut disk = DiskSync::open(&sled_dir)?;
        let observer = Arc::clone(&options.observer);
        let flush = move || {
            let started = Instant::now();
            flusher.flush().map_err(|e| e.to_string())?;
            let syncing = Instant::now();
            disk.sync().map_err(|e| e.to_string())?;
            observer.flushed(started.elapsed(), syncing.elapsed());
            Ok(())
        };
        let (group, flusher) = GroupCommit::start(flush, Arc::clone(&options.observer));
        let cache = ObjectCache::new(CACHED_OBJECTS);
        let locks = Arc::new(WriteLocks::new());
        let gate = Arc::new(std::sync::RwLock::new(()));
        let parts = Parts {
            path: keyring_path.clone(),
            gate: Arc::clone(&gate),
            meta: meta.clone(),
            objects: objects.clone(),
            settings: settings.clone(),
            sealer: Arc::clone(&sealer),
            locks: Arc::clone(&locks),
            group: Arc::clone(&group),
            source,
        };
        let kek = KekManager::start(parts, opened);
        Ok(SledStore {
            db,
            objects,
            meta,
            settings,
            keyring_path,
            gate,
            index,
            sealer,
            group,
            flusher: Some(flusher),
            cache,
            locks,
            kek,
            claims: std::sync::Mutex::new(()),
            observer: Arc::clone(&options.observer),
        })
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
    fn prepare(&self, change: &Change) -> StoreResult<Prepared> {
        let (object, insert) = match change {
            Change::Insert(object) => (object, true),
            Change::Update(object) => (object, false),
        };
        // The caller holds the object's stripe: what is read here stays current until written.
        let (sequence, old_index_keys) = if insert {
            (self.db.generate_id()?, Vec::new())
        } else {
            let current = self
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
        let plaintext = record::encode(object);
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
    fn write(&self, changes: &[Change]) -> StoreResult<()> {
        let prepared = changes.iter().map(|c| self.prepare(c)).collect::<StoreResult<Vec<_>>>()?;
        // Claims are checked and taken under one lock, held until the indexes show them: two
        // commits of the same Name cannot both pass (a check before the commit could).
        let _claiming = prepared.iter().any(|p| !p.claim_keys.is_empty()).then(|| self.lock_claims());
        self.check_claims(&prepared)?;
        if let [single] = prepared.as_slice() {
            apply_single(single, &self.objects)?;
        } else {
            let result = self.objects.transaction(|objects| {
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
        for change in &prepared {
            let header = &change.header;
            self.index.update(&change.unique_identifier, header.sequence, &change.old_index_keys, &header.index_keys);
        }
        Ok(())
    }
}

impl SledStore {
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
}

impl ObjectStore for SledStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        if let Some(cached) = self.cache.get(unique_identifier) {
            self.observer.cache_lookup(true);
            return Ok(Some(cached));
        }
        self.observer.cache_lookup(false);
        // Under the object's stripe, as commits are: a copy read from disk just before a commit
        // cannot then be cached over the commit's (the cache may have evicted that one already).
        let _held = self.locks.lock(std::iter::once(unique_identifier));
        if let Some(cached) = self.cache.get(unique_identifier) {
            return Ok(Some(cached));
        }
        let Some(value) = self.objects.get(unique_identifier)? else {
            return Ok(None);
        };
        let (header, header_bytes, sealed) = Header::parse(&value)?;
        let plaintext = self.sealer.open(sealed, &Self::context(unique_identifier, header_bytes))?;
        let object = Arc::new(record::decode(&plaintext, header.revision)?);
        self.cache.put(Arc::clone(&object));
        Ok(Some(object))
    }

    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        let _held = self.locks.lock(changes.iter().map(uid_of));
        let _writing = self.gate.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Reserved before anything is visible, so that a reader's fence covers it (commit.rs).
        let reservation = self.group.reserve();
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
                // Whatever this commit read may be stale: the next read goes to the disk.
                for change in &changes {
                    self.cache.forget(uid_of(change));
                }
                Err(error)
            }
        }
    }

    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        let keys: Vec<IndexKey> = terms.iter().map(|t| self.sealer.index_key(t)).collect();
        Ok(self.index.candidates(&keys))
    }

    fn read_fence(&self) -> CommitTicket {
        self.group.fence()
    }

    fn flush(&self) -> StoreResult<()> {
        // Through the flusher, which makes the flush durable (see [`disk_sync`]).
        self.group.ticket(Instant::now()).wait()
    }

    fn backup(&self, created: i64, out: &mut dyn std::io::Write) -> StoreResult<crate::backup::Manifest> {
        let snapshot = self.snapshot()?;
        self.write_backup(&snapshot, created, out)?;
        Ok(snapshot.manifest(created))
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let Some(sealed) = self.settings.get(key)? else {
            return Ok(None);
        };
        Ok(Some(self.sealer.open(&sealed, &Self::setting_context(key))?))
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let mut found = Vec::new();
        for entry in self.settings.scan_prefix(prefix) {
            let (key, sealed) = entry?;
            let key = String::from_utf8(key.to_vec()).map_err(|_| StoreError::Corrupt("setting key".into()))?;
            let value = self.sealer.open(&sealed, &Self::setting_context(&key))?;
            found.push((key, value));
        }
        Ok(found)
    }

    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        let _writing = self.gate.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        // From the seal to the insert: a re-seal waits for it before it checks the settings.
        let _sealing = self.kek.settings_gate.read().unwrap_or_else(|p| p.into_inner());
        let reservation = self.group.reserve();
        match value {
            Some(value) => {
                let sealed = self.sealer.seal(value, &Self::setting_context(key))?;
                self.settings.insert(key, sealed)?;
            }
            None => {
                self.settings.remove(key)?;
            }
        }
        Ok(reservation.applied())
    }

    fn kek_admin(&self) -> Option<Arc<dyn KekAdmin>> {
        Some(Arc::new(Admin(Arc::clone(&self.kek))))
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        // The re-seal first: it flushes through the group commit.
        self.kek.stop();
        self.group.stop();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// The identifier of the object a change is about.
fn uid_of(change: &Change) -> &str {
    let (Change::Insert(object) | Change::Update(object)) = change;
    &object.unique_identifier
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
        let sealed = store.settings.get("grant/one").unwrap().unwrap();
        store.settings.insert("grant/moved", sealed).unwrap();
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
