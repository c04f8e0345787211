//! An in-memory store, for tests of the layers above: the record layer ([`crate::records`]) over
//! a backend of two maps, so that tests run the same sealing, indexing, claims, cache and group
//! commit as the sled store. Not durable: its flush has nothing to do, and its keys are random
//! per store.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::kek::Kek;
use crate::keyring::KeyRing;
use crate::observer::NoObserver;
use crate::records::resident_index::ResidentIndex;
use crate::records::{self, Loaded, RecordBackend, RecordStore, RecordWrite, Visit};
use crate::sealing::Sealer;
use crate::{ObjectStore, Schema, StoreError, StoreResult};

pub struct MemoryStore {
    layer: Arc<RecordStore<MemoryBackend>>,
}

impl MemoryStore {
    /// An empty store whose records are what `schema` (keyward-core's) makes of objects.
    pub fn new(schema: Schema) -> MemoryStore {
        // Without the system's random source, a fixed keyring: nothing of this store outlives it.
        let ring = KeyRing::generate().unwrap_or_else(|_| KeyRing::legacy(&Kek::from_bytes([0x6d; 32])));
        let layer = RecordStore::start(
            MemoryBackend::default(),
            Arc::new(Sealer::new(&ring)),
            schema,
            ResidentIndex::default(),
            Arc::new(NoObserver),
        );
        MemoryStore { layer }
    }
}

impl Drop for MemoryStore {
    fn drop(&mut self) {
        self.layer.close();
    }
}

impl ObjectStore for MemoryStore {
    crate::records::answered_by_the_layer!();
}

/// Records and settings in two ordered maps.
#[derive(Default)]
pub(crate) struct MemoryBackend {
    records: RwLock<BTreeMap<String, Arc<[u8]>>>,
    settings: RwLock<BTreeMap<String, Arc<[u8]>>>,
    sequence: AtomicU64,
}

/// A map's lock: nothing is left half-done under it by a panic.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl RecordBackend for MemoryBackend {
    type Value = Arc<[u8]>;

    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<[u8]>>> {
        Ok(read(&self.records).get(unique_identifier).cloned())
    }

    fn next_sequence(&self) -> StoreResult<u64> {
        Ok(self.sequence.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn write(&self, writes: &[RecordWrite<'_>]) -> StoreResult<()> {
        let mut records = write(&self.records);
        // Checked first, so that a conflict writes nothing.
        let moved = |w: &RecordWrite<'_>| records.get(w.unique_identifier).map(|v| &v[..]) != w.replaces;
        if let Some(conflict) = writes.iter().find(|w| moved(w)) {
            return Err(StoreError::Conflict(conflict.unique_identifier.to_string()));
        }
        for record in writes {
            records.insert(record.unique_identifier.to_string(), Arc::from(record.value));
        }
        Ok(())
    }

    fn scan(&self, after: Option<&str>, visit: &mut Visit<'_>) -> StoreResult<()> {
        let records = read(&self.records);
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        for (uid, value) in records.range::<str, _>((lower, Bound::Unbounded)) {
            if visit(uid, value)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Arc<[u8]>>> {
        Ok(read(&self.settings).get(key).cloned())
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Arc<[u8]>)>> {
        let settings = read(&self.settings);
        let found = settings
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix));
        Ok(found.map(|(key, value)| (key.clone(), Arc::clone(value))).collect())
    }

    fn put_setting(&self, key: &str, sealed: Option<&[u8]>) -> StoreResult<()> {
        let mut settings = write(&self.settings);
        match sealed {
            Some(sealed) => settings.insert(key.to_string(), Arc::from(sealed)),
            None => settings.remove(key),
        };
        Ok(())
    }

    fn flush(&self) -> Result<(), String> {
        Ok(())
    }

    fn reopen(&self) -> StoreResult<Loaded> {
        // Nothing to drop: every write is all it will ever be.
        records::load(self)
    }

    fn probe(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn location(&self) -> String {
        "memory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, StoredObject};

    #[test]
    fn settings_are_kept_listed_by_prefix_and_deleted() {
        let store = MemoryStore::new(crate::schema::schema_for_tests());
        store.put_setting("grant/b", Some(b"2")).unwrap().wait().unwrap();
        store.put_setting("grant/a", Some(b"1")).unwrap().wait().unwrap();
        store.put_setting("rotation/x", Some(b"3")).unwrap().wait().unwrap();
        let grants: Vec<_> = store.settings("grant/").unwrap().into_iter().map(|(k, v)| (k, v.to_vec())).collect();
        assert_eq!(grants, [("grant/a".to_string(), b"1".to_vec()), ("grant/b".to_string(), b"2".to_vec())]);
        store.put_setting("grant/a", None).unwrap().wait().unwrap();
        assert!(store.setting("grant/a").unwrap().is_none());
        assert_eq!(store.setting("rotation/x").unwrap().unwrap().as_slice(), b"3");
    }

    /// A write holds only if the record is still the one it replaces (none for a new one); a batch
    /// with one stale write writes nothing.
    #[test]
    fn a_write_over_a_record_that_moved_is_a_conflict() {
        let backend = MemoryBackend::default();
        let write = |uid, replaces, value| RecordWrite { unique_identifier: uid, replaces, value };
        backend.write(&[write("a", None, b"a1".as_slice())]).unwrap();
        assert!(matches!(backend.write(&[write("a", None, b"again")]), Err(StoreError::Conflict(_))));
        assert!(matches!(backend.write(&[write("a", Some(b"stale"), b"a2")]), Err(StoreError::Conflict(_))));
        backend.write(&[write("a", Some(b"a1"), b"a2")]).unwrap();
        let batch = [write("b", None, b"b1".as_slice()), write("a", Some(b"a1"), b"a3")];
        assert!(matches!(backend.write(&batch), Err(StoreError::Conflict(uid)) if uid == "a"));
        assert!(backend.get("b").unwrap().is_none(), "nothing of a refused batch is written");
        assert_eq!(&backend.get("a").unwrap().unwrap()[..], b"a2");
    }

    /// The records the backend holds are sealed: no attribute value is in them in clear.
    #[test]
    fn records_are_sealed() {
        use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
        let store = MemoryStore::new(crate::schema::schema_for_tests());
        let object = StoredObject {
            unique_identifier: "u1".into(),
            owner: "alice".into(),
            object: None,
            attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text("visible-only-sealed")))],
            revision: 0,
        };
        store.commit(vec![Change::Insert(object)]).unwrap().wait().unwrap();
        let stored = store.layer.backend.get("u1").unwrap().unwrap();
        assert!(!stored.windows(19).any(|w| w == b"visible-only-sealed"));
        assert_eq!(store.get("u1").unwrap().unwrap().owner, "alice");
    }
}
