//! The key-encryption key (KEK): the root of the store's keys. It protects one thing only, the
//! store's keyring (the data keys that seal records and key the index MACs; see
//! [`crate::keyring`]), so that changing it rewraps a few hundred bytes instead of re-sealing every
//! record.
//!
//! A KEK has a version (1, 2, ...: one per rotation) and lives in a [`KekSource`]: a file of 64
//! hexadecimal characters ([`FileKekSource`], the default), or a token reached through PKCS#11
//! ([`crate::pkcs11::Pkcs11KekSource`]), where it never leaves the token. A [`Kek`] given as is
//! (tests, tools) is a source of version 1 only.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{StoreError, StoreResult};

/// The length of a KEK in bytes (AES-256).
pub const KEK_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// A KEK of one version, wherever it lives: it wraps and unwraps small secrets (the keyring, its
/// own check value), each bound to a context.
pub trait KeyEncryptionKey: Send + Sync {
    /// Encrypts `plaintext` bound to `context` (AES-256-GCM; the nonce travels with the result).
    fn wrap(&self, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>>;
    /// Decrypts what [`KeyEncryptionKey::wrap`] made with the same context; a wrong key fails.
    fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>>;
    /// The key's bytes, for a KEK that has them (a file). Stores written before keyrings sealed
    /// their records under keys derived from the KEK's bytes; opening one needs them once.
    fn legacy_bytes(&self) -> Option<&[u8; KEK_LEN]> {
        None
    }
}

/// Where the KEKs of a store live, by version.
pub trait KekSource: Send + Sync {
    /// The KEK of `version`. [`StoreError::KekUnavailable`] when it is not there (a missing file,
    /// an absent token, a wrong PIN), with a message that says where it was looked for.
    fn open(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>>;
    /// Makes the KEK of `version` (a new file, a new key in the token), or opens it if a rotation
    /// that crashed made it already without using it.
    fn create(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>>;
    /// Where the KEK of `version` is, for messages and the status: a path, a token and label.
    fn describe(&self, version: u32) -> String;
    /// `file`, `pkcs11`, `fixed`.
    fn kind(&self) -> &'static str;
}

/// What a KEK version is to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KekState {
    /// Wraps the keyring: needed to open the store.
    Active,
    /// No longer wraps the keyring (not needed to open the store), but records are still sealed
    /// under a data key derived from its bytes (a store made before keyrings) while the re-seal
    /// runs.
    Retiring,
    /// Needed for nothing: its file (or token object) may be destroyed.
    Retired,
}

impl KekState {
    pub fn as_str(self) -> &'static str {
        match self {
            KekState::Active => "active",
            KekState::Retiring => "retiring",
            KekState::Retired => "retired",
        }
    }
}

/// One KEK version the store knows.
#[derive(Clone, Debug)]
pub struct KekVersionStatus {
    pub version: u32,
    pub state: KekState,
    /// Where it is (a path; a token and label).
    pub location: String,
}

/// A re-seal in progress: records moving to the current data key.
#[derive(Clone, Debug)]
pub struct ResealStatus {
    /// The data key generations still holding records.
    pub from_generations: Vec<u32>,
    /// Objects looked at so far by this run (every object is looked at once).
    pub objects_done: u64,
    /// Whether a worker is at it now (false after a failure, which the error says, or before a
    /// restart resumes it).
    pub running: bool,
    pub error: Option<String>,
}

/// The KEK as the status tells it.
#[derive(Clone, Debug)]
pub struct KekStatus {
    /// `file`, `pkcs11`, `fixed`.
    pub source: &'static str,
    pub active_version: u32,
    pub versions: Vec<KekVersionStatus>,
    /// The generation of the data key that seals records now.
    pub data_key_generation: u32,
    /// The current data key derives from the active KEK's bytes (a store made before keyrings):
    /// the next rotation makes a new data key and re-seals every record.
    pub data_key_derived_from_kek: bool,
    pub reseal: Option<ResealStatus>,
}

/// KEK administration of a store that has KEKs (the sled store): the management API's.
pub trait KekAdmin: Send + Sync {
    fn status(&self) -> StoreResult<KekStatus>;
    /// Makes a new KEK version and wraps the keyring under it; with `new_data_key` (or when the
    /// store's data key derives from the old KEK) also makes a new data key and re-seals every
    /// record under it in the background. Returns the status once the new KEK is in force.
    fn rotate(&self, new_data_key: bool) -> StoreResult<KekStatus>;
    /// Waits until no re-seal runs (tests, tools).
    fn wait_for_reseal(&self, timeout: std::time::Duration) -> bool;
}

/// A KEK held as bytes (a file's); zeroized when dropped.
#[derive(Clone)]
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

    /// Reads a KEK file: 64 hexadecimal characters (surrounding whitespace allowed). Refuses a
    /// file that others than its owner may read or write.
    pub fn load(path: &Path) -> StoreResult<Kek> {
        check_private(path)?;
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

    /// The AES-256-GCM key that wraps the keyring: derived, so that the KEK's bytes themselves
    /// key nothing but HKDF.
    fn wrapping_cipher(&self) -> Aes256Gcm {
        let hkdf = Hkdf::<Sha256>::new(Some(b"keyward kek"), self.bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit, so expansion cannot fail.
        let _ = hkdf.expand(b"keyring wrapping v1", key.as_mut());
        Aes256Gcm::new_from_slice(key.as_ref()).expect("the key is 32 bytes")
    }
}

impl KeyEncryptionKey for Kek {
    fn wrap(&self, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>> {
        gcm_wrap(&self.wrapping_cipher(), plaintext, context)
    }

    fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        gcm_unwrap(&self.wrapping_cipher(), wrapped, context)
    }

    fn legacy_bytes(&self) -> Option<&[u8; KEK_LEN]> {
        Some(self.bytes())
    }
}

/// A KEK given as is: version 1, and nothing to rotate to.
impl KekSource for Kek {
    fn open(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        match version {
            1 => Ok(Box::new(self.clone())),
            _ => Err(StoreError::KekUnavailable(format!("KEK version {version}: only version 1 was given"))),
        }
    }

    fn create(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        match version {
            1 => self.open(1),
            _ => Err(StoreError::KekUnavailable("a KEK given as is cannot be rotated".into())),
        }
    }

    fn describe(&self, version: u32) -> String {
        format!("the KEK given (version {version})")
    }

    fn kind(&self) -> &'static str {
        "fixed"
    }
}

/// AES-256-GCM with a random nonce in front.
pub(crate) fn gcm_wrap(cipher: &Aes256Gcm, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>> {
    let nonce = Nonce::generate();
    let ciphertext = cipher
        .encrypt(&nonce, Payload { msg: plaintext, aad: context })
        .map_err(|_| StoreError::Backend("encryption failed".into()))?;
    Ok([nonce.as_slice(), &ciphertext].concat())
}

pub(crate) fn gcm_unwrap(cipher: &Aes256Gcm, wrapped: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
    if wrapped.len() < NONCE_LEN {
        return Err(StoreError::Corrupt("wrapped value too short".into()));
    }
    let (nonce, ciphertext) = wrapped.split_at(NONCE_LEN);
    let nonce = Nonce::try_from(nonce).map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
    cipher
        .decrypt(&nonce, Payload { msg: ciphertext, aad: context })
        .map(Zeroizing::new)
        .map_err(|_| StoreError::Corrupt("authentication tag mismatch".into()))
}

/// Refuses a key file that its owner's group or others may read or write: a KEK readable by
/// other accounts of the machine is a KEK shared with them.
fn check_private(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::KekUnavailable(format!(
                "the KEK file {} has mode {mode:04o}: it must be readable and writable by its owner only \
                 (chmod 600 {})",
                path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// KEKs in files: version 1 is the configured path, version N a file beside it, `<path>.vN`.
#[derive(Clone, Debug)]
pub struct FileKekSource {
    path: PathBuf,
}

impl FileKekSource {
    pub fn new(path: impl Into<PathBuf>) -> FileKekSource {
        FileKekSource { path: path.into() }
    }

    /// The file of the KEK of `version`.
    pub fn path_of(&self, version: u32) -> PathBuf {
        if version <= 1 {
            return self.path.clone();
        }
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".v{version}"));
        PathBuf::from(name)
    }
}

impl KekSource for FileKekSource {
    fn open(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        let path = self.path_of(version);
        if !path.exists() {
            return Err(StoreError::KekUnavailable(format!(
                "the KEK file of version {version}, {}, is missing",
                path.display()
            )));
        }
        Ok(Box::new(Kek::load(&path)?))
    }

    fn create(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        Ok(Box::new(Kek::load_or_create(&self.path_of(version))?))
    }

    fn describe(&self, version: u32) -> String {
        self.path_of(version).display().to_string()
    }

    fn kind(&self) -> &'static str {
        "file"
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
        set_mode(&path, 0o600);
        assert!(Kek::load(&path).is_err());
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_file_others_may_read_and_says_how_to_fix_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        std::fs::write(&path, "ab".repeat(32)).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            set_mode(&path, mode);
            let error = Kek::load(&path).unwrap_err().to_string();
            assert!(error.contains(&format!("{mode:04o}")) && error.contains("chmod 600"), "{error}");
        }
        for mode in [0o600, 0o400] {
            set_mode(&path, mode);
            assert!(Kek::load(&path).is_ok());
        }
    }

    #[test]
    fn file_versions_sit_beside_the_first_and_wrap_apart() {
        let dir = tempfile::tempdir().unwrap();
        let source = FileKekSource::new(dir.path().join("kek"));
        assert_eq!(source.path_of(1), dir.path().join("kek"));
        assert_eq!(source.path_of(3), dir.path().join("kek.v3"));
        assert!(matches!(source.open(2), Err(StoreError::KekUnavailable(_))));
        let one = source.create(1).unwrap();
        let two = source.create(2).unwrap();
        let wrapped = one.wrap(b"data keys", b"ctx").unwrap();
        assert_eq!(&one.unwrap(&wrapped, b"ctx").unwrap()[..], b"data keys");
        assert!(one.unwrap(&wrapped, b"other").is_err());
        assert!(two.unwrap(&wrapped, b"ctx").is_err());
        assert_eq!(&source.open(1).unwrap().unwrap(&wrapped, b"ctx").unwrap()[..], b"data keys");
    }
}
