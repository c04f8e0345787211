//! The production store: sled, with every object sealed and every commit flushed before it is
//! acknowledged.
//!
//! Trees:
//! - `objects`: identifier -> header (format, revision, creation sequence, index keys) followed
//!   by the sealed record. The header is in the clear so that updates can maintain the indexes
//!   without decrypting; it is bound to the record as associated data.
//! - `index`: index key (kind and HMAC of the value) + sequence + identifier -> nothing.
//! - `sequence`: creation sequence -> identifier, to list every object newest first.
//! - `meta`: a sealed check value that proves the KEK is right.
//!
//! How a commit is written, and why an index entry may be stale, is in [`write`].

mod header;
mod write;

use std::path::Path;
use std::sync::Arc;

use sled::transaction::TransactionError;
use sled::{Transactional, Tree};

use self::header::{Header, IndexKey, parse_index_entry};
use self::write::{Prepared, WriteLocks, apply_in_transaction, apply_single};
use crate::cache::ObjectCache;
use crate::commit::GroupCommit;
use crate::index::terms_of;
use crate::kek::Kek;
use crate::record;
use crate::sealing::Sealer;
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, StoreError, StoreResult, StoredObject};

const KEK_CHECK_KEY: &[u8] = b"kek-check";
const KEK_CHECK_VALUE: &[u8] = b"keyward kek check v1";
/// How many decrypted objects are kept in memory: a few megabytes for the hot keys of a large
/// deployment.
const CACHED_OBJECTS: usize = 16_384;

/// The sled store.
pub struct SledStore {
    db: sled::Db,
    objects: Tree,
    index: Tree,
    sequence: Tree,
    sealer: Sealer,
    group: Arc<GroupCommit>,
    /// The flusher thread, joined on drop so that the database is closed when the store is.
    flusher: Option<std::thread::JoinHandle<()>>,
    cache: ObjectCache,
    locks: WriteLocks,
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. Refuses a KEK that does not open it.
    pub fn open(dir: &Path, kek: &Kek) -> StoreResult<SledStore> {
        std::fs::create_dir_all(dir)?;
        // HighThroughput: sled cleans its log segments later, trading disk space (small for key
        // material) for less rewriting; about 15% less CPU per durable Create here.
        let db = sled::Config::new().path(dir.join("objects.sled")).mode(sled::Mode::HighThroughput).open()?;
        let objects = db.open_tree("objects")?;
        let index = db.open_tree("index")?;
        let sequence = db.open_tree("sequence")?;
        let meta = db.open_tree("meta")?;
        let sealer = Sealer::new(kek);
        match meta.get(KEK_CHECK_KEY)? {
            Some(check) => {
                let opened = sealer.open(&check, KEK_CHECK_KEY).map_err(|_| StoreError::WrongKek)?;
                if &opened[..] != KEK_CHECK_VALUE {
                    return Err(StoreError::WrongKek);
                }
            }
            None if objects.is_empty() => {
                meta.insert(KEK_CHECK_KEY, sealer.seal(KEK_CHECK_VALUE, KEK_CHECK_KEY)?)?;
                db.flush()?;
            }
            None => {
                return Err(StoreError::Corrupt("objects without a KEK check value".into()));
            }
        }
        let flusher = db.clone();
        let (group, flusher) = GroupCommit::start(move || flusher.flush().map(|_| ()).map_err(|e| e.to_string()));
        let cache = ObjectCache::new(CACHED_OBJECTS);
        Ok(SledStore {
            db,
            objects,
            index,
            sequence,
            sealer,
            group,
            flusher: Some(flusher),
            cache,
            locks: WriteLocks::new(),
        })
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
        let sequence = if insert {
            self.db.generate_id()?
        } else {
            let current = self
                .objects
                .get(&object.unique_identifier)?
                .ok_or_else(|| StoreError::Conflict(object.unique_identifier.clone()))?;
            Header::parse(&current)?.0.sequence
        };
        let index_keys: Vec<_> =
            terms_of(&object.owner, &object.attributes).iter().map(|t| self.sealer.index_key(t)).collect();
        let header = Header { revision: object.revision + 1, sequence, index_keys };
        let header_bytes = header.to_bytes();
        let plaintext = record::encode(object);
        let sealed = self.sealer.seal(&plaintext, &Self::context(&object.unique_identifier, &header_bytes))?;
        let mut value = header_bytes;
        value.extend_from_slice(&sealed);
        Ok(Prepared {
            unique_identifier: object.unique_identifier.clone(),
            insert,
            expected_revision: object.revision,
            header,
            value,
        })
    }

    /// Writes the changes: one object with plain writes, several in a transaction.
    fn write(&self, changes: &[Change]) -> StoreResult<()> {
        let prepared = changes.iter().map(|c| self.prepare(c)).collect::<StoreResult<Vec<_>>>()?;
        if let [single] = prepared.as_slice() {
            return apply_single(single, &self.objects, &self.index, &self.sequence);
        }
        let result = (&self.objects, &self.index, &self.sequence).transaction(|(objects, index, sequence)| {
            for change in &prepared {
                apply_in_transaction(change, objects, index, sequence)?;
            }
            Ok(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(error)) => Err(error),
            Err(TransactionError::Storage(error)) => Err(error.into()),
        }
    }

    /// True when the object exists with this creation sequence and all these index keys: an
    /// index or sequence entry that fails this is stale (see [`write`]).
    fn current(&self, unique_identifier: &str, sequence: u64, keys: &[IndexKey]) -> StoreResult<bool> {
        let Some(value) = self.objects.get(unique_identifier)? else { return Ok(false) };
        let (header, _, _) = Header::parse(&value)?;
        Ok(header.sequence == sequence && keys.iter().all(|k| header.index_keys.contains(k)))
    }
}

impl ObjectStore for SledStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
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
        match self.write(&changes) {
            Ok(()) => {
                // The cache learns the committed state: the objects at their new revisions.
                for change in changes {
                    let (Change::Insert(mut object) | Change::Update(mut object)) = change;
                    object.revision += 1;
                    self.cache.put(Arc::new(object));
                }
                Ok(self.group.ticket())
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
        let Some((first, _)) = terms.split_first() else {
            // Every object, newest first.
            let mut all = Vec::new();
            for entry in self.sequence.iter().rev() {
                let (sequence, uid) = entry?;
                let uid = String::from_utf8(uid.to_vec()).map_err(|_| StoreError::Corrupt("identifier".into()))?;
                let sequence = u64::from_be_bytes(sequence.as_ref().try_into().unwrap_or_default());
                if self.current(&uid, sequence, &[])? {
                    all.push(uid);
                }
            }
            return Ok(all);
        };
        // Entries of the first term come in creation order; the object's header is the truth for
        // the other terms, and for whether the entry is stale.
        let keys: Vec<IndexKey> = terms.iter().map(|t| self.sealer.index_key(t)).collect();
        let mut found = Vec::new();
        for entry in self.index.scan_prefix(self.sealer.index_key(first)).rev() {
            let (entry, _) = entry?;
            let Some((sequence, uid)) = parse_index_entry(&entry) else { continue };
            if self.current(&uid, sequence, &keys)? {
                found.push(uid);
            }
        }
        Ok(found)
    }

    fn flush(&self) -> StoreResult<()> {
        self.db.flush()?;
        Ok(())
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
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

    use super::header::index_entry;
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

    /// What a crash can leave behind: index and sequence entries written before an object that
    /// never was, and the entry of a value an object no longer has.
    #[test]
    fn stale_entries_are_never_returned() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
        store.commit(vec![Change::Insert(named("a", "old"))]).unwrap().wait().unwrap();
        let mut renamed = Arc::unwrap_or_clone(store.get("a").unwrap().unwrap());
        renamed.attributes = vec![IndexedAttribute::new(Attribute::Name(Name::text("new")))];
        store.commit(vec![Change::Update(renamed)]).unwrap().wait().unwrap();

        let (old, new) = (IndexTerm::name("old"), IndexTerm::name("new"));
        let a_sequence = Header::parse(&store.objects.get("a").unwrap().unwrap()).unwrap().0.sequence;
        store.index.insert(index_entry(&store.sealer.index_key(&old), a_sequence, "a"), &[][..]).unwrap();
        store.index.insert(index_entry(&store.sealer.index_key(&new), 999, "ghost"), &[][..]).unwrap();
        store.sequence.insert(999u64.to_be_bytes(), &b"ghost"[..]).unwrap();

        assert!(store.candidates(&[old]).unwrap().is_empty());
        assert_eq!(store.candidates(&[new]).unwrap(), ["a"]);
        assert_eq!(store.candidates(&[]).unwrap(), ["a"]);
    }

    /// A second insert of one identifier loses at the compare-and-swap, after writing its entries:
    /// those are stale, and the first object stays as it was.
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
