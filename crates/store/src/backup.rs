//! The backup format: a store's records exactly as they are at rest (sealed under the store's
//! key), in one stream a client can save to a file, check without the key, and restore into an
//! empty data directory.
//!
//! A backup is useless without the key-encryption key: every record, setting and the store's key
//! check are copied sealed, never opened. The clear parts are what the store keeps in the clear
//! too: identifiers, revisions and the opaque index keys of each record's header.
//!
//! Layout (integers big-endian):
//!
//! | part | bytes |
//! | --- | --- |
//! | magic | `KWBACKUP` |
//! | format version | u16, 1 |
//! | manifest | u32 length, then JSON (see [`Manifest`]) |
//! | entries | each: u8 tree, u32 key length, key, u32 value length, value |
//! | trailer | `KWEND` , u64 entry count, SHA-256 of every byte before the trailer, then a u32 length and the digest sealed by the store |
//!
//! The SHA-256 catches damage (a flipped byte, a cut file) without any key; the sealed digest
//! proves, to whoever holds the KEK, that the server that held it wrote this backup: an edited,
//! shortened or re-checksummed backup does not open.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// The first bytes of every backup.
pub const MAGIC: &[u8; 8] = b"KWBACKUP";
/// The format this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
const TRAILER_TAG: &[u8; 5] = b"KWEND";
/// Bounds on what a reader accepts, so that a damaged length cannot make it allocate gigabytes.
const MAX_MANIFEST: u32 = 1 << 20;
const MAX_KEY: u32 = 1 << 16;
const MAX_VALUE: u32 = 1 << 30;
/// What the store binds a backup's sealed digest to.
pub const DIGEST_CONTEXT: &[u8] = b"keyward backup digest v1";

/// The stores' trees a backup carries, each with the byte that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackupTree {
    /// The store's own metadata (the KEK check).
    Meta = 1,
    Objects = 2,
    Settings = 3,
    /// A file of the store's beside the trees, by name (the keyring: the data keys, wrapped by
    /// the KEK).
    File = 4,
}

impl BackupTree {
    pub fn from_byte(byte: u8) -> Option<BackupTree> {
        match byte {
            1 => Some(BackupTree::Meta),
            2 => Some(BackupTree::Objects),
            3 => Some(BackupTree::Settings),
            4 => Some(BackupTree::File),
            _ => None,
        }
    }

    /// The sled tree that holds it (none for a file).
    pub fn tree_name(self) -> Option<&'static str> {
        match self {
            BackupTree::Meta => Some("meta"),
            BackupTree::Objects => Some("objects"),
            BackupTree::Settings => Some("settings"),
            BackupTree::File => None,
        }
    }
}

/// What a backup says about itself, in JSON at its start.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub format_version: u16,
    /// When the snapshot was taken, seconds since the epoch.
    pub created: i64,
    /// The Keyward version that wrote it.
    pub server_version: String,
    /// The backend the records come from ("sled").
    pub backend: String,
    pub objects: u64,
    pub settings: u64,
    /// Every entry, all trees.
    pub entries: u64,
}

impl Manifest {
    /// The manifest this build writes for a backup of `backend` made at `created`.
    pub(crate) fn new(backend: &str, created: i64, objects: u64, settings: u64, entries: u64) -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            created,
            server_version: env!("CARGO_PKG_VERSION").into(),
            backend: backend.into(),
            objects,
            settings,
            entries,
        }
    }
}

/// One record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub tree: BackupTree,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Why a backup cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("not a Keyward backup (bad magic)")]
    NotABackup,
    #[error("backup format {0} is not supported (this Keyward reads format {FORMAT_VERSION})")]
    Version(u16),
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    #[error("the backup ends early, after {0} entries: it is truncated")]
    Truncated(u64),
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
}

/// Writes a backup, hashing as it goes.
pub struct BackupWriter<W: Write> {
    out: W,
    digest: Sha256,
    entries: u64,
}

impl<W: Write> BackupWriter<W> {
    /// Starts a backup with its manifest.
    pub fn new(mut out: W, manifest: &Manifest) -> io::Result<BackupWriter<W>> {
        let mut digest = Sha256::new();
        let json = serde_json::to_vec(manifest).map_err(io::Error::other)?;
        let length = u32::try_from(json.len()).map_err(|_| io::Error::other("manifest too long"))?;
        for part in [MAGIC.as_slice(), &FORMAT_VERSION.to_be_bytes(), &length.to_be_bytes(), &json] {
            digest.update(part);
            out.write_all(part)?;
        }
        Ok(BackupWriter { out, digest, entries: 0 })
    }

    pub fn entry(&mut self, tree: BackupTree, key: &[u8], value: &[u8]) -> io::Result<()> {
        let too_long = || io::Error::other("an entry is too long for the backup format");
        let key_length = u32::try_from(key.len()).ok().filter(|&l| l <= MAX_KEY).ok_or_else(too_long)?;
        let value_length = u32::try_from(value.len()).ok().filter(|&l| l <= MAX_VALUE).ok_or_else(too_long)?;
        for part in [&[tree as u8][..], &key_length.to_be_bytes(), key, &value_length.to_be_bytes(), value] {
            self.digest.update(part);
            self.out.write_all(part)?;
        }
        self.entries += 1;
        Ok(())
    }

    /// The digest of everything written so far, for the store to seal.
    pub fn digest(&self) -> [u8; 32] {
        self.digest.clone().finalize().into()
    }

    /// Ends the backup with its trailer; `sealed_digest` is [`Self::digest`] sealed by the store.
    /// Ends the backup with its digest sealed by `sealer` (the store's key; see
    /// [`Backup::check_seal`]).
    pub(crate) fn finish_sealed(self, sealer: &crate::sealing::Sealer) -> crate::StoreResult<W> {
        let sealed = sealer.seal(&self.digest(), DIGEST_CONTEXT)?;
        Ok(self.finish(&sealed)?)
    }

    pub fn finish(mut self, sealed_digest: &[u8]) -> io::Result<W> {
        let digest = self.digest();
        let length = u32::try_from(sealed_digest.len()).map_err(|_| io::Error::other("sealed digest too long"))?;
        for part in [TRAILER_TAG.as_slice(), &self.entries.to_be_bytes(), &digest, &length.to_be_bytes(), sealed_digest]
        {
            self.out.write_all(part)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A backup read whole and checked against its own checksum.
#[derive(Debug)]
pub struct Backup {
    pub manifest: Manifest,
    pub entries: Vec<Entry>,
    /// The SHA-256 the trailer carries, which matched the content.
    pub digest: [u8; 32],
    /// The digest as the store sealed it: opens with the store's key (see [`crate::SledStore::open_sealed`]).
    pub sealed_digest: Vec<u8>,
}

impl Backup {
    /// Checks that `sealer` (the store's key) sealed this backup's digest: the backup is one the
    /// store's server wrote, unchanged.
    pub(crate) fn check_seal(&self, sealer: &crate::sealing::Sealer) -> crate::StoreResult<()> {
        let corrupt = |what: &str| crate::StoreError::Corrupt(format!("the backup's sealed digest {what}"));
        let opened =
            sealer.open(&self.sealed_digest, DIGEST_CONTEXT).map_err(|_| corrupt("does not open with this KEK"))?;
        if opened.as_slice() != self.digest {
            return Err(corrupt("is not its content's"));
        }
        Ok(())
    }

    /// Reads and checks a backup: magic, version, every length, the entry count and the SHA-256.
    /// Needs no key.
    pub fn read(mut input: impl Read) -> Result<Backup, BackupError> {
        let mut digest = Sha256::new();
        let mut magic = [0u8; 8];
        read_exact(&mut input, &mut magic, 0)?;
        if &magic != MAGIC {
            return Err(BackupError::NotABackup);
        }
        digest.update(magic);
        let version = u16::from_be_bytes(read_array(&mut input, &mut digest, 0)?);
        if version != FORMAT_VERSION {
            return Err(BackupError::Version(version));
        }
        let manifest_length = u32::from_be_bytes(read_array(&mut input, &mut digest, 0)?);
        if manifest_length > MAX_MANIFEST {
            return Err(BackupError::Damaged("the manifest length is out of bounds".into()));
        }
        let manifest_bytes = read_vec(&mut input, &mut digest, manifest_length, 0)?;
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|error| BackupError::Damaged(format!("the manifest: {error}")))?;
        let mut entries = Vec::new();
        loop {
            let count = entries.len() as u64;
            let mut tag = [0u8; 1];
            read_exact(&mut input, &mut tag, count)?;
            if tag[0] == TRAILER_TAG[0] {
                let mut rest = [0u8; 4];
                read_exact(&mut input, &mut rest, count)?;
                if rest != TRAILER_TAG[1..] {
                    return Err(BackupError::Damaged(format!("after entry {count}: neither an entry nor the trailer")));
                }
                let written: u64 = u64::from_be_bytes(read_array(&mut input, &mut Sha256::new(), count)?);
                let claimed: [u8; 32] = read_array(&mut input, &mut Sha256::new(), count)?;
                let sealed_length = u32::from_be_bytes(read_array(&mut input, &mut Sha256::new(), count)?);
                if sealed_length > 1024 {
                    return Err(BackupError::Damaged("the sealed digest's length is out of bounds".into()));
                }
                let sealed_digest = read_vec(&mut input, &mut Sha256::new(), sealed_length, count)?;
                let actual: [u8; 32] = digest.finalize().into();
                if written != count || manifest.entries != count {
                    return Err(BackupError::Damaged(format!(
                        "{count} entries read, the trailer says {written}, the manifest {}",
                        manifest.entries
                    )));
                }
                if actual != claimed {
                    return Err(BackupError::Damaged("the SHA-256 of the content does not match the trailer".into()));
                }
                let mut extra = [0u8; 1];
                if input.read(&mut extra)? != 0 {
                    return Err(BackupError::Damaged("bytes after the trailer".into()));
                }
                return Ok(Backup { manifest, entries, digest: actual, sealed_digest });
            }
            digest.update(tag);
            let tree = BackupTree::from_byte(tag[0])
                .ok_or_else(|| BackupError::Damaged(format!("entry {count}: unknown tree {}", tag[0])))?;
            let key_length = u32::from_be_bytes(read_array(&mut input, &mut digest, count)?);
            if key_length > MAX_KEY {
                return Err(BackupError::Damaged(format!("entry {count}: the key length is out of bounds")));
            }
            let key = read_vec(&mut input, &mut digest, key_length, count)?;
            let value_length = u32::from_be_bytes(read_array(&mut input, &mut digest, count)?);
            if value_length > MAX_VALUE {
                return Err(BackupError::Damaged(format!("entry {count}: the value length is out of bounds")));
            }
            let value = read_vec(&mut input, &mut digest, value_length, count)?;
            entries.push(Entry { tree, key, value });
        }
    }
}

fn read_exact(input: &mut impl Read, buffer: &mut [u8], entries: u64) -> Result<(), BackupError> {
    input.read_exact(buffer).map_err(|error| match error.kind() {
        io::ErrorKind::UnexpectedEof => BackupError::Truncated(entries),
        _ => BackupError::Io(error),
    })
}

fn read_array<const N: usize>(
    input: &mut impl Read,
    digest: &mut Sha256,
    entries: u64,
) -> Result<[u8; N], BackupError> {
    let mut buffer = [0u8; N];
    read_exact(input, &mut buffer, entries)?;
    digest.update(buffer);
    Ok(buffer)
}

/// Reads `length` bytes in steps, so that a damaged length costs at most what the input holds.
fn read_vec(input: &mut impl Read, digest: &mut Sha256, length: u32, entries: u64) -> Result<Vec<u8>, BackupError> {
    let mut data = Vec::new();
    let taken = input.take(u64::from(length)).read_to_end(&mut data)?;
    if taken as u64 != u64::from(length) {
        return Err(BackupError::Truncated(entries));
    }
    digest.update(&data);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            created: 1,
            server_version: "test".into(),
            backend: "sled".into(),
            objects: 1,
            settings: 1,
            entries: 3,
        };
        let mut writer = BackupWriter::new(Vec::new(), &manifest).unwrap();
        writer.entry(BackupTree::Meta, b"kek-check", b"sealed").unwrap();
        writer.entry(BackupTree::Objects, b"uid-1", b"header and record").unwrap();
        writer.entry(BackupTree::Settings, b"grant/x", b"sealed grant").unwrap();
        writer.finish(b"sealed digest").unwrap()
    }

    #[test]
    fn a_backup_reads_back_whole() {
        let backup = Backup::read(sample().as_slice()).unwrap();
        assert_eq!(backup.entries.len(), 3);
        assert_eq!(backup.entries[1].key, b"uid-1");
        assert_eq!(backup.sealed_digest, b"sealed digest");
    }

    #[test]
    fn any_flipped_byte_or_cut_is_found() {
        let good = sample();
        for position in 0..good.len() {
            let mut bad = good.clone();
            bad[position] ^= 0x01;
            // The sealed digest itself is checked by the store's key, not here.
            if position >= good.len() - b"sealed digest".len() {
                continue;
            }
            assert!(Backup::read(bad.as_slice()).is_err(), "flip at {position} not found");
        }
        for length in 0..good.len() {
            assert!(Backup::read(&good[..length]).is_err(), "cut at {length} not found");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(Backup::read(longer.as_slice()).is_err());
    }
}
