//! What turns a sled flush into data that survives a power loss.
//!
//! sled 0.34 ends a flush of its log with `sync_file_range`, which pushes the pages to the device
//! but neither flushes the device's volatile write cache nor the file's size when the log grew
//! (its own issue #1452, open). Values too large for a log segment go to files under `blobs/`
//! that sled never syncs at all. Survives kill -9, loses acknowledged keys when the power goes.
//! So after each flush the store asks the kernel for the real thing: `fdatasync` of the log (any
//! descriptor of the file will do), and of every blob file not synced before, then of the blob
//! directory so that their names are on disk too.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Every this many syncs, the modes of sled's files are narrowed again (its snapshots are new
/// files; the directory, 0700, keeps them from others meanwhile).
const MODE_CHECK_EVERY: u32 = 1024;

pub(super) struct DiskSync {
    log: File,
    sled_dir: PathBuf,
    syncs: u32,
    blobs: PathBuf,
    synced_blobs: HashSet<OsString>,
}

impl DiskSync {
    /// For the sled database in `sled_dir`, once sled has opened it. The directory entries of
    /// the database (its log, its configuration) are made durable here, once.
    pub(super) fn open(sled_dir: &Path) -> io::Result<DiskSync> {
        let log = File::open(sled_dir.join("db"))?;
        for file in ["conf", "db"] {
            File::open(sled_dir.join(file))?.sync_all()?;
        }
        sync_directory(sled_dir)?;
        if let Some(parent) = sled_dir.parent() {
            sync_directory(parent)?;
        }
        Ok(DiskSync {
            log,
            sled_dir: sled_dir.to_path_buf(),
            syncs: 0,
            blobs: sled_dir.join("blobs"),
            synced_blobs: HashSet::new(),
        })
    }

    /// Makes everything sled has written so far durable. Call after `Db::flush`.
    pub(super) fn sync(&mut self) -> io::Result<()> {
        self.log.sync_data()?;
        self.sync_new_blobs()?;
        self.syncs = self.syncs.wrapping_add(1);
        if self.syncs.is_multiple_of(MODE_CHECK_EVERY) {
            super::files::restrict(&self.sled_dir)?;
        }
        Ok(())
    }

    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let mut present = HashSet::new();
        let mut synced_any = false;
        let listing = match std::fs::read_dir(&self.blobs) {
            Ok(listing) => listing,
            // sled creates the directory with its first blob.
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        for entry in listing {
            let name = entry?.file_name();
            if !self.synced_blobs.contains(&name) {
                match File::open(self.blobs.join(&name)) {
                    Ok(blob) => {
                        blob.sync_data()?;
                        super::files::restrict_file(&self.blobs.join(&name))?;
                    }
                    // Rewritten and removed by sled since the listing: nothing left to sync.
                    Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error),
                }
                synced_any = true;
            }
            present.insert(name);
        }
        if synced_any {
            sync_directory(&self.blobs)?;
        }
        // Forget the blobs sled has removed, so that the set does not grow for ever.
        self.synced_blobs = present;
        Ok(())
    }
}

fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_blobs_are_synced_once_and_removed_ones_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let sled_dir = dir.path().join("objects.sled");
        std::fs::create_dir_all(sled_dir.join("blobs")).unwrap();
        std::fs::write(sled_dir.join("db"), b"log").unwrap();
        std::fs::write(sled_dir.join("conf"), b"conf").unwrap();
        let mut sync = DiskSync::open(&sled_dir).unwrap();

        std::fs::write(sled_dir.join("blobs/1"), b"blob").unwrap();
        sync.sync().unwrap();
        assert!(sync.synced_blobs.contains(&OsString::from("1")));
        std::fs::remove_file(sled_dir.join("blobs/1")).unwrap();
        sync.sync().unwrap();
        assert!(sync.synced_blobs.is_empty());
    }
}
