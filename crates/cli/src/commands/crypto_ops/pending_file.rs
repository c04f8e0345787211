//! An output file written under a temporary name beside it and renamed into place only when the
//! command succeeds: a failed decryption (a wrong tag, a dropped connection) leaves no partial
//! plaintext under the name the operator asked for.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::commands::client_error::CliError;
use crate::commands::local_files::Exposure;

pub struct PendingFile {
    path: PathBuf,
    temporary: PathBuf,
    file: File,
    committed: bool,
}

impl PendingFile {
    /// Creates `<path>.partial`, mode 0600 for a secret.
    pub fn create(path: &Path, exposure: Exposure) -> Result<PendingFile, CliError> {
        let mut name = path.as_os_str().to_owned();
        name.push(".partial");
        let temporary = PathBuf::from(name);
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if exposure == Exposure::Secret {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        let file = options.open(&temporary).map_err(|error| CliError::io(path, error))?;
        #[cfg(unix)]
        if exposure == Exposure::Secret {
            use std::os::unix::fs::PermissionsExt;
            // A leftover temporary keeps its old mode through `open`.
            file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|error| CliError::io(path, error))?;
        }
        Ok(PendingFile { path: path.to_path_buf(), temporary, file, committed: false })
    }

    fn failed(&self, error: std::io::Error) -> CliError {
        CliError::io(&self.path, error)
    }

    pub fn append(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        self.file.write_all(bytes).map_err(|error| self.failed(error))
    }

    /// Overwrites bytes already written (a header field known only at the end), then goes back
    /// to the end.
    pub fn patch(&mut self, offset: u64, bytes: &[u8]) -> Result<(), CliError> {
        let result = self
            .file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.write_all(bytes))
            .and_then(|()| self.file.seek(SeekFrom::End(0)).map(drop));
        result.map_err(|error| self.failed(error))
    }

    /// Flushes the file and gives it its name.
    pub fn commit(mut self) -> Result<(), CliError> {
        self.file.sync_all().map_err(|error| self.failed(error))?;
        std::fs::rename(&self.temporary, &self.path).map_err(|error| self.failed(error))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appears_only_when_committed_and_vanishes_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut pending = PendingFile::create(&path, Exposure::Secret).unwrap();
        pending.append(b"head????tail").unwrap();
        pending.patch(4, b"body").unwrap();
        pending.append(b"!").unwrap();
        assert!(!path.exists());
        pending.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"headbodytail!");
        let abandoned = PendingFile::create(&dir.path().join("lost.bin"), Exposure::Public).unwrap();
        drop(abandoned);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
