//! `keyward store compact`: the store rewritten into a fresh database that holds only the current
//! value of each record, then swapped in.
//!
//! sled appends every write to its log and reclaims a segment only when it cleans it, at a time
//! of its choosing (later still in the high-throughput mode the store uses): the sealed record of
//! a destroyed key stays in the `db` file, readable by anyone who has both the file and the KEK,
//! for an unbounded time. A rewrite copies the current values only, so after it no file of the
//! data directory holds an earlier one. (Removing a file does not overwrite its blocks on the
//! device: see docs/operations/store.md.)
//!
//! The swap, with the server stopped (sled's lock refuses a second opener): the copy is written
//! and synced in `objects.sled.compact`, the store renamed `objects.sled.old`, the copy renamed
//! `objects.sled`, the directory synced, the old one removed. A compaction cut at any point is
//! finished or undone by the next one ([`tidy`]); the server refuses to start while
//! `objects.sled` is missing (its watermark would be ahead of an empty store).

use std::path::Path;

use super::backend::{Backend, WATERMARK_KEY};
use super::disk_sync::DiskSync;
use super::verify::{VerifyReport, existing_sealer, open_existing, verify};
use super::{SLED_DIR, files};
use crate::kek::KekSource;
use crate::records::header::Header;
use crate::{Schema, StoreError, StoreResult};

pub(super) const COPY_DIR: &str = "objects.sled.compact";
const OLD_DIR: &str = "objects.sled.old";

/// What a compaction did.
#[derive(Debug)]
pub struct CompactReport {
    pub objects: u64,
    pub settings: u64,
    /// The size of the store's files before and after, in bytes.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

pub(super) fn compact(
    dir: &Path,
    source: &dyn KekSource,
    schema: &Schema,
    cache_capacity: u64,
) -> StoreResult<CompactReport> {
    tidy(dir)?;
    // The keyring file stays where it is, unchanged: the copy's records are the same values,
    // sealed under the same data keys.
    let sealer = &existing_sealer(dir, source)?;
    let report: VerifyReport = verify(dir, sealer, schema, cache_capacity)?;
    if !report.is_clean() {
        let first = report.shortfall.clone().or_else(|| report.damaged_records.first().cloned()).unwrap_or_default();
        return Err(StoreError::Damaged(format!(
            "`keyward store verify` finds problems ({first}); compaction copies a healthy store only"
        )));
    }
    let bytes_before = size_of(&dir.join(SLED_DIR))?;
    {
        let (source, _) = open_existing(dir, cache_capacity)?;
        let copy = Backend::open(&dir.join(COPY_DIR), cache_capacity)?;
        copy_trees(&source, &copy)?;
        copy.db.flush()?;
        DiskSync::open(&dir.join(COPY_DIR))?.sync()?;
    }
    files::restrict(&dir.join(COPY_DIR))?;
    // Both databases are closed (their handles dropped above); sled lets go of them at once
    // when no flusher thread holds a handle, as here.
    std::fs::rename(dir.join(SLED_DIR), dir.join(OLD_DIR))?;
    std::fs::rename(dir.join(COPY_DIR), dir.join(SLED_DIR))?;
    std::fs::File::open(dir)?.sync_all()?;
    std::fs::remove_dir_all(dir.join(OLD_DIR))?;
    std::fs::File::open(dir)?.sync_all()?;
    // A final open checks the copy as the server will (the watermark included).
    let check = verify(dir, sealer, schema, cache_capacity)?;
    if !check.is_clean() {
        return Err(StoreError::Damaged(format!("the compacted store fails verification: {check:?}")));
    }
    Ok(CompactReport {
        objects: report.objects,
        settings: report.settings,
        bytes_before,
        bytes_after: size_of(&dir.join(SLED_DIR))?,
    })
}

/// Finishes or undoes a compaction that was cut: a copy beside a store is incomplete (removed);
/// a copy without a store was complete and the store already renamed (swapped in).
fn tidy(dir: &Path) -> StoreResult<()> {
    let (store, copy, old) = (dir.join(SLED_DIR), dir.join(COPY_DIR), dir.join(OLD_DIR));
    if !store.exists() && copy.exists() && old.exists() {
        tracing::warn!("finishing a compaction that was cut after its copy was complete");
        std::fs::rename(&copy, &store)?;
        std::fs::File::open(dir)?.sync_all()?;
    }
    if store.exists() && copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    if store.exists() && old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Copies the current value of every record (the objects, the settings, the flush number and a
/// re-seal's cursor), and brings the copy's sequence generator past every object's creation
/// sequence: listings are ordered by it, and sled's counter cannot be set directly.
fn copy_trees(source: &Backend, copy: &Backend) -> StoreResult<()> {
    let mut highest_sequence = 0;
    for entry in source.objects.iter() {
        let (key, value) = entry?;
        highest_sequence = highest_sequence.max(Header::parse(&value)?.0.sequence);
        copy.objects.insert(key, value)?;
    }
    for entry in source.settings.iter() {
        let (key, value) = entry?;
        copy.settings.insert(key, value)?;
    }
    for entry in source.meta.iter() {
        let (key, value) = entry?;
        copy.meta.insert(key, value)?;
    }
    if copy.meta.get(WATERMARK_KEY)?.is_none() {
        return Err(StoreError::Damaged("the store has no flush number to carry over".into()));
    }
    while copy.db.generate_id()? <= highest_sequence {}
    Ok(())
}

/// The total size of the files under `dir`.
fn size_of(dir: &Path) -> StoreResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() { size_of(&entry.path())? } else { metadata.len() };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use keyward_kmip::Bytes;
    use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType};
    use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SymmetricKey};

    use super::*;
    use crate::kek::Kek;
    use crate::{Change, IndexTerm, ObjectStore, SledStore, StoredObject};

    fn key(uid: &str, material: [u8; 32]) -> StoredObject {
        let key_block = KeyBlock {
            key_format_type: KeyFormatType::Raw,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes::new(material.to_vec())),
                attributes: vec![],
            }),
            cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
            cryptographic_length: Some(256),
            key_wrapping_data: None,
        };
        StoredObject {
            unique_identifier: uid.into(),
            owner: "alice".into(),
            object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block })),
            attributes: vec![],
            revision: 0,
        }
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { found.extend(files_under(&path)) } else { found.push(path) }
        }
        found
    }

    /// The files of `dir` that hold `needle`.
    fn holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
        files_under(dir)
            .into_iter()
            .filter(|f| std::fs::read(f).unwrap().windows(needle.len()).any(|w| w == needle))
            .collect()
    }

    /// Destroy shreds: the sealed record of a destroyed key is in sled's log after the Destroy
    /// (sled appends), and in no file of the data directory after a compaction; the store still
    /// serves everything else, listings in the same order, and new objects after the old ones.
    #[test]
    fn after_a_compaction_no_file_holds_a_destroyed_keys_sealed_record() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        let sealed = {
            let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
            store.commit(vec![Change::Insert(key("kept", [7; 32]))]).unwrap().wait().unwrap();
            store.commit(vec![Change::Insert(key("destroyed", [9; 32]))]).unwrap().wait().unwrap();
            let backend = store.layer.backend.handle();
            let value = backend.as_ref().unwrap().objects.get("destroyed").unwrap().unwrap();
            drop(backend);
            // Destroy: the object's material goes, its metadata stays.
            let mut destroyed = Arc::unwrap_or_clone(store.get("destroyed").unwrap().unwrap());
            destroyed.object = None;
            store.commit(vec![Change::Update(destroyed)]).unwrap().wait().unwrap();
            // The sealed part of the record (after the clear header), as it was before.
            let (_, _, sealed) = Header::parse(&value).unwrap();
            sealed.to_vec()
        };
        assert!(!holding(dir.path(), &sealed).is_empty(), "the test must find the record before compaction");
        let report = SledStore::compact(dir.path(), &kek, &crate::schema::schema_for_tests(), 64 << 20).unwrap();
        assert_eq!(report.objects, 2);
        assert_eq!(holding(dir.path(), &sealed), Vec::<PathBuf>::new());

        let store = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
        assert!(store.get("destroyed").unwrap().unwrap().object.is_none());
        assert!(store.get("kept").unwrap().unwrap().object.is_some());
        store.commit(vec![Change::Insert(key("new", [3; 32]))]).unwrap().wait().unwrap();
        assert_eq!(store.candidates(&[IndexTerm::owner("alice")]).unwrap(), ["new", "destroyed", "kept"]);
    }

    /// A compaction cut after the store was renamed away is finished by the next one.
    #[test]
    fn a_cut_compaction_is_finished_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        drop(SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap());
        SledStore::compact(dir.path(), &kek, &crate::schema::schema_for_tests(), 64 << 20).unwrap();
        // As if cut between the two renames: a complete copy, the store renamed away.
        std::fs::rename(dir.path().join(SLED_DIR), dir.path().join(COPY_DIR)).unwrap();
        std::fs::create_dir(dir.path().join(OLD_DIR)).unwrap();
        let refused = SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).err().unwrap();
        assert!(refused.to_string().contains("run it again"), "{refused}");
        assert!(!dir.path().join(SLED_DIR).exists(), "a store missing its database must not start empty");
        SledStore::compact(dir.path(), &kek, &crate::schema::schema_for_tests(), 64 << 20).unwrap();
        assert!(!dir.path().join(OLD_DIR).exists() && !dir.path().join(COPY_DIR).exists());
        drop(SledStore::open(dir.path(), &kek, crate::schema::schema_for_tests()).unwrap());
    }
}
