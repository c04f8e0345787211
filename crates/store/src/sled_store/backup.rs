//! Backups of the sled store: a consistent snapshot of its trees taken while the store serves,
//! and the restore of one into an empty directory (the format is [`crate::backup`]).
//!
//! Consistency: commits hold the store's backup gate shared while they write; a snapshot holds it
//! exclusively just long enough to take a reference to every value (sled's values are reference
//! counted, so no record is copied while writers wait). A backup therefore holds every commit
//! acknowledged before it began, and each multi-object commit (a key pair, a re-key) whole or not
//! at all, with the keyring file that opens them (the KEK manager's re-seal and keyring writes
//! hold the gate too). The writing of the file happens after the gate is released.

use std::io::Write;
use std::path::Path;

use sled::IVec;

use super::SledStore;
use super::backend::{Backend, WATERMARK_KEY};
use super::disk_sync::DiskSync;
use super::watermark::{Mark, WATERMARK_FILE, Watermark};
use crate::backup::{Backup, BackupTree, BackupWriter, Manifest};
use crate::{StoreError, StoreResult};

/// The records of a store at one instant, still sealed.
pub struct Snapshot {
    entries: Vec<(BackupTree, IVec, IVec)>,
    objects: u64,
    settings: u64,
}

impl Snapshot {
    /// What the backup of this snapshot says about itself.
    pub fn manifest(&self, created: i64) -> Manifest {
        Manifest::new("sled", created, self.objects, self.settings, self.entries.len() as u64)
    }
}

impl SledStore {
    /// Takes a snapshot of every record, setting and `meta` entry (the store's flush number, a
    /// re-seal's cursor), with the keyring file. Commits wait meanwhile (for the time it takes to
    /// walk the trees in memory, not to write anything).
    pub fn snapshot(&self) -> StoreResult<Snapshot> {
        let layer = &self.layer;
        let _exclusive = layer.writes_paused();
        // The database as it is now: reopened, if a failed flush made the store reopen it.
        let _open = layer.backend_open()?;
        let backend = layer.backend.handle();
        let Some(backend) = backend.as_ref() else { return Err(crate::records::reopening()) };
        let mut entries = Vec::new();
        let mut counts = [0u64; 3];
        for (position, (tree, kind)) in [
            (&backend.meta, BackupTree::Meta),
            (&backend.objects, BackupTree::Objects),
            (&backend.settings, BackupTree::Settings),
        ]
        .into_iter()
        .enumerate()
        {
            for entry in tree.iter() {
                let (key, value) = entry?;
                entries.push((kind, key, value));
                counts[position] += 1;
            }
        }
        // The keyring that opens these records, read at the same instant (its writers hold the
        // gate too): records sealed under a data key it no longer holds cannot be in the snapshot.
        let keyring = std::fs::read(&layer.backend.keyring_path)?;
        entries.push((BackupTree::File, IVec::from(super::kek::KEYRING_FILE.as_bytes()), IVec::from(keyring)));
        Ok(Snapshot { entries, objects: counts[1], settings: counts[2] })
    }

    /// Writes a snapshot as a backup, its digest sealed by this store's key.
    pub fn write_backup<W: Write>(&self, snapshot: &Snapshot, created: i64, out: W) -> StoreResult<W> {
        let mut writer = BackupWriter::new(out, &snapshot.manifest(created))?;
        for (tree, key, value) in &snapshot.entries {
            writer.entry(*tree, key, value)?;
        }
        writer.finish_sealed(&self.layer.sealer)
    }

    /// Checks that this store's key sealed the backup's digest: the backup is one this store's
    /// server wrote, unchanged.
    pub fn check_backup_seal(&self, backup: &Backup) -> StoreResult<()> {
        backup.check_seal(&self.layer.sealer)
    }

    /// Writes a backup's records into a new store in `dir`, which must hold no store. Needs no
    /// key: the records stay sealed; the server that opens the directory needs the KEK the
    /// backup was made under. The watermark is written to match (see [`restored_mark`]), so that
    /// the restored store starts as it is and is checked like any other from then on.
    pub fn restore(dir: &Path, backup: &Backup) -> StoreResult<()> {
        let sled_dir = dir.join(super::SLED_DIR);
        let held = [super::SLED_DIR, super::kek::KEYRING_FILE, WATERMARK_FILE].iter().find(|f| dir.join(f).exists());
        if let Some(file) = held {
            return Err(StoreError::Backend(format!(
                "{} holds a store already ({file}): restore into an empty data directory",
                dir.display()
            )));
        }
        super::files::create_private_dir(dir)?;
        for file in backup.entries.iter().filter(|e| e.tree == BackupTree::File) {
            // Only the files a store has, by their plain names: a backup names no path.
            if file.key != super::kek::KEYRING_FILE.as_bytes() {
                return Err(StoreError::Corrupt("the backup holds an unknown file".into()));
            }
            write_private(&dir.join(super::kek::KEYRING_FILE), &file.value)?;
        }
        {
            let backend = Backend::open(&sled_dir, 64 << 20)?;
            for (tree, target) in [
                (BackupTree::Meta, &backend.meta),
                (BackupTree::Objects, &backend.objects),
                (BackupTree::Settings, &backend.settings),
            ] {
                let mut batch = sled::Batch::default();
                for entry in backup.entries.iter().filter(|e| e.tree == tree) {
                    batch.insert(entry.key.as_slice(), entry.value.as_slice());
                }
                target.apply_batch(batch)?;
            }
            backend.db.flush()?;
            DiskSync::open(&sled_dir)?.sync()?;
        }
        super::files::restrict(&sled_dir)?;
        if let Some(mark) = restored_mark(backup) {
            drop(Watermark::create(dir, mark)?);
        }
        Ok(())
    }
}

/// The watermark of a store restored from `backup`: none when the backup's store had no flush
/// number (made before watermarks: the first open starts one), else flush number 0 and the
/// backup's object count. Restore has no key to read the sealed flush number that the backup
/// carries in `meta` (at least 0), and the store holds every object of the backup (at least the
/// count that flush number was written with): the first open accepts it, and refuses a store
/// that has lost objects since.
fn restored_mark(backup: &Backup) -> Option<Mark> {
    let carries_a_number =
        backup.entries.iter().any(|e| e.tree == BackupTree::Meta && e.key.as_slice() == WATERMARK_KEY);
    let objects = backup.entries.iter().filter(|e| e.tree == BackupTree::Objects).count();
    carries_a_number.then(|| Mark { flushes: 0, objects: u64::try_from(objects).unwrap_or(u64::MAX) })
}

/// Writes a file of mode 0600, synced, refusing to replace one.
fn write_private(path: &Path, bytes: &[u8]) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};

    use super::*;
    use crate::{Change, IndexTerm, Kek, ObjectStore, StoredObject};

    fn named(uid: &str, name: &str) -> StoredObject {
        StoredObject {
            unique_identifier: uid.into(),
            owner: "alice".into(),
            object: None,
            attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(name)))],
            revision: 0,
        }
    }

    #[test]
    fn a_backup_restores_into_an_equal_store_that_only_its_kek_opens() {
        let kek = Kek::from_bytes([7; 32]);
        let source_dir = tempfile::tempdir().unwrap();
        let source = SledStore::open(source_dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
        for n in 0..50 {
            source
                .commit(vec![Change::Insert(named(&format!("uid-{n}"), &format!("key {n}")))])
                .unwrap()
                .wait()
                .unwrap();
        }
        source.put_setting("grant/a", Some(b"grant")).unwrap().wait().unwrap();
        let snapshot = source.snapshot().unwrap();
        // Written after the snapshot: not in the backup.
        source.commit(vec![Change::Insert(named("later", "later"))]).unwrap().wait().unwrap();
        let bytes = source.write_backup(&snapshot, 0, Vec::new()).unwrap();
        let backup = Backup::read(bytes.as_slice()).unwrap();
        assert_eq!((backup.manifest.objects, backup.manifest.settings), (50, 1));

        let restored_dir = tempfile::tempdir().unwrap();
        SledStore::restore(restored_dir.path(), &backup).unwrap();
        // A watermark to match: the restored store starts as it is, and is checked from then on.
        assert!(restored_dir.path().join(WATERMARK_FILE).exists());
        assert!(SledStore::restore(restored_dir.path(), &backup).is_err(), "restore over a store");
        assert!(matches!(
            SledStore::open(restored_dir.path(), &Kek::from_bytes([8; 32]), crate::schema::schema_for_tests()),
            Err(StoreError::WrongKek)
        ));
        let restored = SledStore::open(restored_dir.path(), &kek, crate::schema::schema_for_tests()).unwrap();
        restored.check_backup_seal(&backup).unwrap();
        for n in 0..50 {
            let uid = format!("uid-{n}");
            assert_eq!(
                restored.get(&uid).unwrap().map(Arc::unwrap_or_clone),
                source.get(&uid).unwrap().map(Arc::unwrap_or_clone)
            );
        }
        assert!(restored.get("later").unwrap().is_none());
        assert_eq!(restored.candidates(&[IndexTerm::name("key 7")]).unwrap(), ["uid-7"]);
        assert_eq!(restored.setting("grant/a").unwrap().unwrap().as_slice(), b"grant");

        // Another store's key did not seal it.
        let other_dir = tempfile::tempdir().unwrap();
        let other =
            SledStore::open(other_dir.path(), &Kek::from_bytes([9; 32]), crate::schema::schema_for_tests()).unwrap();
        assert!(other.check_backup_seal(&backup).is_err());
    }
}
