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
use crate::backup::{Backup, BackupTree, BackupWriter, DIGEST_CONTEXT, FORMAT_VERSION, Manifest};
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
        Manifest {
            format_version: FORMAT_VERSION,
            created,
            server_version: env!("CARGO_PKG_VERSION").into(),
            backend: "sled".into(),
            objects: self.objects,
            settings: self.settings,
            entries: self.entries.len() as u64,
        }
    }
}

impl SledStore {
    /// Takes a snapshot of every record, setting and the KEK check. Commits wait meanwhile (for
    /// the time it takes to walk the trees in memory, not to write anything).
    pub fn snapshot(&self) -> StoreResult<Snapshot> {
        let _exclusive = self.gate.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut entries = Vec::new();
        let mut counts = [0u64; 3];
        for (position, (tree, kind)) in [
            (&self.meta, BackupTree::Meta),
            (&self.objects, BackupTree::Objects),
            (&self.settings, BackupTree::Settings),
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
        let keyring = std::fs::read(&self.keyring_path)?;
        entries.push((BackupTree::File, IVec::from(super::kek::KEYRING_FILE.as_bytes()), IVec::from(keyring)));
        Ok(Snapshot { entries, objects: counts[1], settings: counts[2] })
    }

    /// Writes a snapshot as a backup, its digest sealed by this store's key.
    pub fn write_backup<W: Write>(&self, snapshot: &Snapshot, created: i64, out: W) -> StoreResult<W> {
        let mut writer = BackupWriter::new(out, &snapshot.manifest(created))?;
        for (tree, key, value) in &snapshot.entries {
            writer.entry(*tree, key, value)?;
        }
        let sealed = self.sealer.seal(&writer.digest(), DIGEST_CONTEXT)?;
        Ok(writer.finish(&sealed)?)
    }

    /// Checks that this store's key sealed the backup's digest: the backup is one this store's
    /// server wrote, unchanged.
    pub fn check_backup_seal(&self, backup: &Backup) -> StoreResult<()> {
        let opened = self
            .sealer
            .open(&backup.sealed_digest, DIGEST_CONTEXT)
            .map_err(|_| StoreError::Corrupt("the backup's sealed digest does not open with this KEK".into()))?;
        if opened.as_slice() != backup.digest {
            return Err(StoreError::Corrupt("the backup's sealed digest is not its content's".into()));
        }
        Ok(())
    }

    /// Writes a backup's records into a new store in `dir`, which must hold no store. Needs no
    /// key: the records stay sealed; the server that opens the directory needs the KEK the
    /// backup was made under.
    pub fn restore(dir: &Path, backup: &Backup) -> StoreResult<()> {
        let sled_dir = dir.join(super::SLED_DIR);
        if sled_dir.exists() {
            return Err(StoreError::Backend(format!(
                "{} holds a store already: restore into an empty data directory",
                sled_dir.display()
            )));
        }
        std::fs::create_dir_all(dir)?;
        for file in backup.entries.iter().filter(|e| e.tree == BackupTree::File) {
            // Only the files a store has, by their plain names: a backup names no path.
            if file.key != super::kek::KEYRING_FILE.as_bytes() {
                return Err(StoreError::Corrupt("the backup holds an unknown file".into()));
            }
            write_private(&dir.join(super::kek::KEYRING_FILE), &file.value)?;
        }
        let db = sled::Config::new().path(&sled_dir).open()?;
        for tree in [BackupTree::Meta, BackupTree::Objects, BackupTree::Settings] {
            let Some(name) = tree.tree_name() else { continue };
            let target = db.open_tree(name)?;
            let mut batch = sled::Batch::default();
            for entry in backup.entries.iter().filter(|e| e.tree == tree) {
                batch.insert(entry.key.as_slice(), entry.value.as_slice());
            }
            target.apply_batch(batch)?;
        }
        db.flush()?;
        Ok(())
    }
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
        let source = SledStore::open(source_dir.path(), &kek).unwrap();
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
        assert!(SledStore::restore(restored_dir.path(), &backup).is_err(), "restore over a store");
        assert!(matches!(SledStore::open(restored_dir.path(), &Kek::from_bytes([8; 32])), Err(StoreError::WrongKek)));
        let restored = SledStore::open(restored_dir.path(), &kek).unwrap();
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
        let other = SledStore::open(other_dir.path(), &Kek::from_bytes([9; 32])).unwrap();
        assert!(other.check_backup_seal(&backup).is_err());
    }
}
