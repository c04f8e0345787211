//! The key-encryption key: 32 random bytes, kept in a file of mode 0600 beside the data or given by
//! the configuration.

use std::io::Write;
use std::path::Path;

use zeroize::Zeroizing;

use crate::{StoreError, StoreResult};

/// The length of a KEK in bytes (AES-256).
pub const KEK_LEN: usize = 32;

/// A key-encryption key; zeroized when dropped.
pub struct Kek(Zeroizing<[u8; KEK_LEN]>);

impl Kek {
    pub fn from_bytes(bytes: [u8; KEK_LEN]) -> Kek {
        Kek(Zeroizing::new(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> StoreResult<Kek> {
        let mut bytes = Zeroizing::new([0u8; KEK_LEN]);
        getrandom::fill(bytes.as_mut()).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
        Ok(Kek(bytes))
    }

    /// Reads a KEK file: 64 hexadecimal characters (surrounding whitespace allowed).
    pub fn load(path: &Path) -> StoreResult<Kek> {
        let text = Zeroizing::new(std::fs::read_to_string(path)?);
        Kek::from_hex(text.trim())
            .ok_or_else(|| StoreError::Corrupt(format!("{}: not 64 hexadecimal characters", path.display())))
    }

    /// Reads the KEK file, or creates it with a new key (mode 0600) when there is none.
    pub fn load_or_create(path: &Path) -> StoreResult<Kek> {
        if path.exists() {
            return Kek::load(path);
        }
        let kek = Kek::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        let hex = Zeroizing::new(kek.to_hex());
        file.write_all(hex.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        // And its name: a store sealed under a KEK whose file a power cut took away is lost.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(parent)?.sync_all()?;
        tracing::info!(path = %path.display(), "created a new key-encryption key");
        Ok(kek)
    }

    pub fn from_hex(text: &str) -> Option<Kek> {
        if text.len() != KEK_LEN * 2 {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; KEK_LEN]);
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).ok()?;
            bytes[i] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Kek(bytes))
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn bytes(&self) -> &[u8; KEK_LEN] {
        &self.0
    }

    /// The key's bytes, to derive the keys of other purposes from (the audit trail's checkpoint
    /// key). Never log or store them.
    pub fn secret_bytes(&self) -> &[u8; KEK_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_file_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let first = Kek::load_or_create(&path).unwrap();
        let second = Kek::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_a_malformed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        std::fs::write(&path, "not a key").unwrap();
        assert!(Kek::load(&path).is_err());
    }
}
