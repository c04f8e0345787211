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

use std::path::Path;
use std::sync::Arc;

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use crate::cache::ObjectCache;
use crate::commit::GroupCommit;
use crate::index::terms_of;
use crate::kek::Kek;
use crate::record;
use crate::sealing::{INDEX_MAC_LEN, Sealer};
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, StoreError, StoreResult, StoredObject};

const FORMAT: u8 = 1;
const INDEX_KEY_LEN: usize = 1 + INDEX_MAC_LEN;
const KEK_CHECK_KEY: &[u8] = b"kek-check";
const KEK_CHECK_VALUE: &[u8] = b"keyward kek check v1";
/// How many decrypted objects are kept in memory: a few megabytes for the hot keys of a large
/// deployment.
const CACHED_OBJECTS: usize = 16_384;

/// The clear header of a stored object.
struct Header {
    revision: u64,
    sequence: u64,
    index_keys: Vec<[u8; INDEX_KEY_LEN]>,
}

impl Header {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(19 + self.index_keys.len() * INDEX_KEY_LEN);
        out.push(FORMAT);
        out.extend_from_slice(&self.revision.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&u16::try_from(self.index_keys.len()).unwrap_or(u16::MAX).to_be_bytes());
        for key in &self.index_keys {
            out.extend_from_slice(key);
        }
        out
    }

    /// Splits a stored value into its header, the header's bytes and the sealed record.
    fn parse(value: &[u8]) -> StoreResult<(Header, &[u8], &[u8])> {
        let corrupt = || StoreError::Corrupt("bad object header".into());
        let fixed = value.get(..19).ok_or_else(corrupt)?;
        if fixed[0] != FORMAT {
            return Err(StoreError::Corrupt(format!("unknown record format {}", fixed[0])));
        }
        let revision = u64::from_be_bytes(fixed[1..9].try_into().map_err(|_| corrupt())?);
        let sequence = u64::from_be_bytes(fixed[9..17].try_into().map_err(|_| corrupt())?);
        let count = usize::from(u16::from_be_bytes(fixed[17..19].try_into().map_err(|_| corrupt())?));
        let header_len = 19 + count * INDEX_KEY_LEN;
        let keys = value.get(19..header_len).ok_or_else(corrupt)?;
        let index_keys = keys.chunks_exact(INDEX_KEY_LEN).map(|k| k.try_into().unwrap_or([0; INDEX_KEY_LEN])).collect();
        Ok((Header { revision, sequence, index_keys }, &value[..header_len], &value[header_len..]))
    }
}

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
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. Refuses a KEK that does not open it.
    pub fn open(dir: &Path, kek: &Kek) -> StoreResult<SledStore> {
        std::fs::create_dir_all(dir)?;
        let db = sled::Config::new().path(dir.join("objects.sled")).open()?;
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
        Ok(SledStore { db, objects, index, sequence, sealer, group, flusher: Some(flusher), cache })
    }

    fn context(unique_identifier: &str, header: &[u8]) -> Vec<u8> {
        let mut context = Vec::with_capacity(unique_identifier.len() + header.len() + 1);
        context.extend_from_slice(unique_identifier.as_bytes());
        context.push(0);
        context.extend_from_slice(header);
        context
    }

    fn index_entry(key: &[u8; INDEX_KEY_LEN], sequence: u64, unique_identifier: &str) -> Vec<u8> {
        let mut entry = Vec::with_capacity(INDEX_KEY_LEN + 8 + unique_identifier.len());
        entry.extend_from_slice(key);
        entry.extend_from_slice(&sequence.to_be_bytes());
        entry.extend_from_slice(unique_identifier.as_bytes());
        entry
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
}

struct Prepared {
    unique_identifier: String,
    insert: bool,
    expected_revision: u64,
    header: Header,
    value: Vec<u8>,
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn apply(
    prepared: &Prepared,
    objects: &TransactionalTree,
    index: &TransactionalTree,
    sequence: &TransactionalTree,
) -> TxResult<()> {
    let uid = &prepared.unique_identifier;
    let abort = |e: StoreError| ConflictableTransactionError::Abort(e);
    let current = objects.get(uid.as_bytes())?;
    match (&current, prepared.insert) {
        (Some(_), true) | (None, false) => return Err(abort(StoreError::Conflict(uid.clone()))),
        (Some(existing), false) => {
            let (old, _, _) = Header::parse(existing).map_err(abort)?;
            if old.revision != prepared.expected_revision {
                return Err(abort(StoreError::Conflict(uid.clone())));
            }
            for key in old.index_keys.iter().filter(|k| !prepared.header.index_keys.contains(k)) {
                index.remove(SledStore::index_entry(key, old.sequence, uid))?;
            }
        }
        (None, true) => {
            sequence.insert(&prepared.header.sequence.to_be_bytes(), uid.as_bytes())?;
        }
    }
    for key in &prepared.header.index_keys {
        index.insert(SledStore::index_entry(key, prepared.header.sequence, uid), &[][..])?;
    }
    objects.insert(uid.as_bytes(), prepared.value.as_slice())?;
    Ok(())
}

impl ObjectStore for SledStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<StoredObject>> {
        if let Some(cached) = self.cache.get(unique_identifier) {
            return Ok(Some(cached));
        }
        let Some(value) = self.objects.get(unique_identifier)? else {
            return Ok(None);
        };
        let (header, header_bytes, sealed) = Header::parse(&value)?;
        let plaintext = self.sealer.open(sealed, &Self::context(unique_identifier, header_bytes))?;
        let object = record::decode(&plaintext, header.revision)?;
        self.cache.put(object.clone());
        Ok(Some(object))
    }

    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        let prepared = changes.iter().map(|c| self.prepare(c)).collect::<StoreResult<Vec<_>>>()?;
        let result = (&self.objects, &self.index, &self.sequence).transaction(|(objects, index, sequence)| {
            for change in &prepared {
                apply(change, objects, index, sequence)?;
            }
            Ok(())
        });
        match result {
            Ok(()) => {
                // The cache learns the committed state: the objects at their new revisions.
                for change in changes {
                    let (Change::Insert(mut object) | Change::Update(mut object)) = change;
                    object.revision += 1;
                    self.cache.put(object);
                }
                Ok(self.group.ticket())
            }
            Err(TransactionError::Abort(error)) => {
                // Whatever this commit read may be stale: the next read goes to the disk.
                for change in &changes {
                    let (Change::Insert(object) | Change::Update(object)) = change;
                    self.cache.forget(&object.unique_identifier);
                }
                Err(error)
            }
            Err(TransactionError::Storage(error)) => Err(error.into()),
        }
    }

    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        let uid_of = |entry: &[u8]| String::from_utf8(entry.get(INDEX_KEY_LEN + 8..).unwrap_or_default().to_vec()).ok();
        let Some((first, rest)) = terms.split_first() else {
            // Every object, newest first.
            let mut all = Vec::new();
            for entry in self.sequence.iter().rev() {
                let (_, uid) = entry?;
                all.push(String::from_utf8(uid.to_vec()).map_err(|_| StoreError::Corrupt("identifier".into()))?);
            }
            return Ok(all);
        };
        // Entries of the first term come in creation order; the others filter them.
        let mut found = Vec::new();
        let others: Vec<_> = rest.iter().map(|t| self.sealer.index_key(t)).collect();
        for entry in self.index.scan_prefix(self.sealer.index_key(first)).rev() {
            let (key, _) = entry?;
            let suffix = &key[INDEX_KEY_LEN..];
            let mut all_match = true;
            for other in &others {
                let mut probe = other.to_vec();
                probe.extend_from_slice(suffix);
                if !self.index.contains_key(probe)? {
                    all_match = false;
                    break;
                }
            }
            if all_match {
                found.extend(uid_of(&key));
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
