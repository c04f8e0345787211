//! Reading and writing the operator's files for the client commands. Anything that may hold a key
//! or a plaintext is read into a buffer that is zeroized when dropped, and written owner-only.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;

use zeroize::Zeroizing;

use super::client_error::CliError;

/// The whole file, in a buffer zeroized on drop.
pub fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    std::fs::read(path).map(Zeroizing::new).map_err(|error| CliError::io(path, error))
}

/// Whether a file written may be read by others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Ciphertexts, signatures, MACs, public keys: the usual mode (umask applies).
    Public,
    /// Keys and plaintexts: 0600 from the moment the file exists.
    Secret,
}

/// Writes a whole file, replacing what was there. A secret file is created 0600, and an existing
/// one is narrowed to 0600 before anything is written into it.
pub fn write(path: &Path, contents: &[u8], exposure: Exposure) -> Result<(), CliError> {
    let failed = |error| CliError::io(path, error);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if exposure == Exposure::Secret {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    if exposure == Exposure::Secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    }
    file.write_all(contents).map_err(failed)?;
    file.flush().map_err(failed)
}

/// Writes secret bytes to stdout, which must not be a terminal unless `force` says so: key
/// material on a screen ends up in scrollback and screen recordings.
pub fn write_secret_to_stdout(contents: &[u8], force: bool) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() && !force {
        return Err(CliError::Usage(
            "refusing to print key material on a terminal: give --out FILE, pipe the output, or add --force".into(),
        ));
    }
    let failed = |error| CliError::io(Path::new("<stdout>"), error);
    stdout.write_all(contents).map_err(failed)?;
    stdout.flush().map_err(failed)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn secrets_are_written_for_the_owner_only_even_over_an_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.bin");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"new key", Exposure::Secret).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(&*read(&path).unwrap(), b"new key");
        let missing = read(&dir.path().join("absent")).unwrap_err();
        assert_eq!(missing.exit_code(), 4);
    }
}
