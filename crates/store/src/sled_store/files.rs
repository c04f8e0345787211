//! The modes of the store's files: 0600 for files, 0700 for directories, set explicitly rather
//! than left to the umask of whoever runs the server (sled creates its files with the default
//! mode). Records are sealed, but their number, sizes and the index MACs are nobody else's
//! business, and nobody else may copy a store to attack its KEK offline.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and missing parents) 0700. An existing directory is left as it is: its
/// operator may have a reason (the data directory is checked by the server).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
    // The mode given is narrowed by the umask, never widened: set it exactly.
    fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
}

/// Narrows every file under `dir` to 0600 and every directory to 0700 (sled's own files: its
/// log, configuration, snapshots and blobs).
pub(crate) fn restrict(dir: &Path) -> io::Result<()> {
    set_mode(dir, DIR_MODE)?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            restrict(&entry.path())?;
        } else if kind.is_file() {
            match set_mode(&entry.path(), FILE_MODE) {
                // Removed by sled since the listing.
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    Ok(())
}

/// Sets `mode` on `path` unless it has it already.
pub(crate) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let current = fs::metadata(path)?.permissions().mode() & 0o777;
    if current != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Narrows one file sled created to 0600.
pub(crate) fn restrict_file(path: &Path) -> io::Result<()> {
    set_mode(path, FILE_MODE)
}
