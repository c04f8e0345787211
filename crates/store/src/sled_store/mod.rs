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
//! Above sled, the record layer ([`crate::records`]) seals, indexes, caches and group-commits;
//! sled is its [`record_backend::SledBackend`]. How a batch is written is in [`write`]; how the
//! store checks itself at open in [`open`]; sled's part of a flush and of a reopen after a failed
//! one in [`recovery`]; the index snapshots and the journal of changes since the last one in
//! [`snapshots`] and [`journal`].

mod backend;
mod backup;
mod compact;
mod disk_sync;
mod files;
mod index_snapshot;
mod journal;
mod kek;
mod memory_size;
mod open;
mod record_backend;
mod recovery;
mod snapshots;
mod verify;
pub(crate) mod watermark;
mod write;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use zeroize::Zeroizing;

use self::kek::{Admin, KEYRING_FILE, KekManager};
use self::record_backend::{Parts, SledBackend};
use self::recovery::FlushState;
use crate::kek::{Kek, KekAdmin, KekSource};
use crate::observer::{NoObserver, StoreObserver};
use crate::records::RecordStore;
use crate::{ObjectStore, Schema, StoreResult};

pub use self::backup::Snapshot;
pub use self::compact::CompactReport;
pub use self::kek::derive_key_offline;
pub use self::memory_size::default_cache_capacity;
pub use self::verify::VerifyReport;

/// The record layer over sled.
type Layer = RecordStore<SledBackend>;

/// The name of sled's directory inside the data directory.
pub const SLED_DIR: &str = "objects.sled";

/// How the sled store is opened.
#[derive(Clone)]
pub struct SledOptions {
    /// What a record is and what it is indexed by: keyward-core's record schema.
    pub schema: Schema,
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

impl SledOptions {
    /// The default options, with `schema`.
    pub fn new(schema: Schema) -> SledOptions {
        SledOptions {
            schema,
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
    layer: Arc<Layer>,
    /// The keyring's KEK: status, rotation, the re-seal (which reaches the database through the
    /// layer, so that it writes to the database reopened after a failed flush too).
    kek: Arc<KekManager>,
    /// The thread that writes index snapshots, if one runs.
    snapshots: Option<std::thread::JoinHandle<()>>,
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
    pub fn open(dir: &Path, kek: &Kek, schema: Schema) -> StoreResult<SledStore> {
        SledStore::open_with(dir, kek, &SledOptions::new(schema))
    }

    /// Opens (or creates) the store in `dir`, with `kek` as KEK version 1 (and no other).
    pub fn open_with(dir: &Path, kek: &Kek, options: &SledOptions) -> StoreResult<SledStore> {
        SledStore::open_with_source(dir, Arc::new(kek.clone()), options)
    }

    /// Opens (or creates) the store in `dir`, asking `source` for the KEK of the version the
    /// store names (version 1, made if need be, for a new store). Refuses a KEK that does not
    /// open it before any file is changed, and a damaged or cut store ([`crate::StoreError::Damaged`]).
    pub fn open_with_source(dir: &Path, source: Arc<dyn KekSource>, options: &SledOptions) -> StoreResult<SledStore> {
        let opened = open::open_checked(dir, source.as_ref(), options.cache_capacity)?;
        let flushing = FlushState::start(dir, opened.latest, opened.watermark)?;
        let floor = journal::Floor::new(opened.since.map(|since| since.last_uid).unwrap_or_default());
        let sealer = Arc::new(opened.sealer);
        let backend = SledBackend::new(Parts {
            dir: dir.to_path_buf(),
            keyring_path: dir.join(KEYRING_FILE),
            cache_capacity: options.cache_capacity,
            backend: opened.backend,
            flushing,
            sealer: Arc::clone(&sealer),
            objects: opened.loaded.objects,
            flush_fault: options.flush_fault.clone(),
            observer: Arc::clone(&options.observer),
            floor,
            snapshot_key: opened.keyring.ring.derive(index_snapshot::KEY_PURPOSE),
        });
        let layer = RecordStore::start(
            backend,
            sealer,
            Arc::clone(&options.schema),
            opened.loaded.index,
            Arc::clone(&options.observer),
        );
        let kek = KekManager::start(Arc::clone(&layer), source, opened.keyring);
        let snapshots = match options.index_snapshot_interval {
            Some(every) => {
                let layer = Arc::clone(&layer);
                let spawned = std::thread::Builder::new()
                    .name("keyward-index-snapshots".into())
                    .spawn(move || snapshots::write_every(&layer, every));
                Some(spawned?)
            }
            None => None,
        };
        Ok(SledStore { layer, kek, snapshots })
    }

    /// Reads every record and setting of the store in `dir` and checks it (tags, headers,
    /// identifiers, the watermark) without serving it, with the keyring that `source`'s KEK
    /// opens (never made: a store without one is refused). See [`VerifyReport`].
    pub fn verify(
        dir: &Path,
        source: &dyn KekSource,
        schema: &Schema,
        cache_capacity: u64,
    ) -> StoreResult<VerifyReport> {
        verify::verify(dir, &verify::existing_sealer(dir, source)?, schema, cache_capacity)
    }

    /// Records the state of the store in `dir` as what it acknowledged, once every record reads
    /// back: for an operator who restored or repaired a store on purpose and accepts what it
    /// holds. Refused if any record is damaged.
    pub fn accept(
        dir: &Path,
        source: &dyn KekSource,
        schema: &Schema,
        cache_capacity: u64,
    ) -> StoreResult<VerifyReport> {
        index_snapshot::discard(dir)?;
        verify::accept(dir, &verify::existing_sealer(dir, source)?, schema, cache_capacity)
    }

    /// Rewrites the store in `dir` into a fresh database holding only the current value of each
    /// record, and swaps it in: what sled's log kept of earlier values (the key material of
    /// destroyed objects) is gone from every file. The keyring file and the watermark stay as
    /// they are (the copy holds the same records and flush number). The server must be stopped.
    pub fn compact(
        dir: &Path,
        source: &dyn KekSource,
        schema: &Schema,
        cache_capacity: u64,
    ) -> StoreResult<CompactReport> {
        // The store is rewritten: its next open scans the new one rather than trust an index of
        // the old.
        index_snapshot::discard(dir)?;
        compact::compact(dir, source, schema, cache_capacity)
    }

    /// Writes a snapshot of the resident index now, as the store does every
    /// [`SledOptions::index_snapshot_interval`] (tests, tools).
    pub fn snapshot_index(&self) -> StoreResult<()> {
        snapshots::write(&self.layer)
    }
}

impl ObjectStore for SledStore {
    crate::records::answered_by_the_layer!();

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
        self.layer.backend.snapshots_stop.store(true, Ordering::Release);
        if let Some(snapshots) = self.snapshots.take() {
            let _ = snapshots.join();
        }
        self.kek.stop();
        self.layer.close();
        if !self.layer.is_unavailable() {
            snapshots::write_at_close(&self.layer);
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};

    use super::*;
    use crate::{Change, IndexTerm, StoreError, StoredObject};

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
            let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
            store.commit(vec![Change::Insert(named("a", "old"))]).unwrap().wait().unwrap();
            store.commit(vec![Change::Insert(named("b", "other"))]).unwrap().wait().unwrap();
            let mut renamed = Arc::unwrap_or_clone(store.get("a").unwrap().unwrap());
            renamed.attributes = vec![IndexedAttribute::new(Attribute::Name(Name::text("new")))];
            store.commit(vec![Change::Update(renamed)]).unwrap().wait().unwrap();
            assert!(store.candidates(&[IndexTerm::name("old")]).unwrap().is_empty());
        }
        let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
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
        let options =
            SledOptions { index_snapshot_interval: None, ..SledOptions::new(crate::schema::schema_for_tests()) };
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
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), crate::schema::schema_for_tests()).unwrap();
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
            let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
            store.commit(vec![Change::Insert(named("big", &long_name))]).unwrap().wait().unwrap();
            let blobs = std::fs::read_dir(dir.path().join("objects.sled/blobs")).unwrap().count();
            assert!(blobs > 0, "no blob file written");
        }
        let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
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
        let options = SledOptions {
            observer: Arc::clone(&heard) as Arc<dyn StoreObserver>,
            ..SledOptions::new(crate::schema::schema_for_tests())
        };
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
            let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
            store.put_setting("grant/one", Some(b"visible only sealed")).unwrap().wait().unwrap();
            store.put_setting("grant/two", Some(b"2")).unwrap().wait().unwrap();
            store.put_setting("grant/two", None).unwrap().wait().unwrap();
        }
        let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
        let grants = store.settings("grant/").unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!((grants[0].0.as_str(), grants[0].1.as_slice()), ("grant/one", b"visible only sealed".as_slice()));
        // A sealed value moved under another key does not open.
        let backend = store.layer.backend.handle();
        let settings = &backend.as_ref().unwrap().settings;
        let sealed = settings.get("grant/one").unwrap().unwrap();
        settings.insert("grant/moved", sealed).unwrap();
        drop(backend);
        assert!(matches!(store.setting("grant/moved"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_multi_object_commit_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), crate::schema::schema_for_tests()).unwrap();
        store.commit(vec![Change::Insert(named("a", "one"))]).unwrap().wait().unwrap();
        let both = vec![Change::Insert(named("b", "two")), Change::Insert(named("a", "again"))];
        assert!(matches!(store.commit(both), Err(StoreError::Conflict(uid)) if uid == "a"));
        assert!(store.get("b").unwrap().is_none());
        assert!(store.candidates(&[IndexTerm::name("two")]).unwrap().is_empty());
    }
}
