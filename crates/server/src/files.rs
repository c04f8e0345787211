//! Writing the files the server owns (certificates, private keys, its data directory) with the
//! permissions they need. Private files are mode 0600 and directories that hold them 0700.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Whether other users may read a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Certificates: readable by all (0644).
    Public,
    /// Private keys: the owner only (0600).
    Private,
}

/// Creates a directory, and its missing parents, that only the owner may enter (0700). An existing
/// directory keeps the mode its operator gave it.
pub(crate) fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Writes a whole file: to a temporary name first, then renamed, so that a crash never leaves a
/// half-written key or certificate where the server would read it.
pub(crate) fn write(path: &Path, contents: &[u8], access: Access) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = Path::new(&temporary);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode(access));
    let mut file = options.open(temporary)?;
    // The mode given at open applies only to a new file; a leftover temporary keeps its own.
    #[cfg(unix)]
    fs::set_permissions(temporary, std::os::unix::fs::PermissionsExt::from_mode(mode(access)))?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(temporary, path)
}

#[cfg(unix)]
fn mode(access: Access) -> u32 {
    match access {
        Access::Public => 0o644,
        Access::Private => 0o600,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn private_files_are_for_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("keys/server.key");
        write(&key, b"secret", Access::Private).unwrap();
        let certificate = dir.path().join("keys/server.pem");
        write(&certificate, b"public", Access::Public).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&certificate), 0o644);
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        assert_eq!(fs::read(&key).unwrap(), b"secret");
        assert!(!dir.path().join("keys/server.key.tmp").exists());
    }
}
