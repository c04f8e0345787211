//! A snapshot of the resident index, read at open instead of scanning every record's header: a
//! store of a million objects then starts in about a second instead of five to seven (the scan
//! reads the whole log; docs/performance.md, "A store of a million objects").
//!
//! One is written at a clean close, and in the background while the server runs (see
//! `SledOptions::index_snapshot_interval`), each taken at a [`Since`]; at open, the objects
//! changed after it are read from the records it names (`journal`), so a snapshot serves a start
//! after a crash too. Everything it holds is durable when it is written (the writer waits for a
//! flush first), so it never names an object a crash could still take away. It is derived data,
//! but a forged one could hide objects from Locate: it carries an HMAC-SHA256 under a key the
//! keyring derives, and one that does not verify is ignored (and said), as is one of an older
//! format.
//!
//! Layout: `KWIX2`, the point (journal number, then the greatest identifier: length and bytes),
//! the objects (sequence, identifier), the index keys (key, member sequences), the MAC; integers
//! big-endian.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::journal::Since;
use crate::records::header::{INDEX_KEY_LEN, IndexKey};
use crate::records::resident_index::{Builder, Exported, ResidentIndex};

/// The file, in the data directory.
pub(super) const SNAPSHOT_FILE: &str = "index.snapshot";
/// What the keyring derives the MAC key for.
pub(super) const KEY_PURPOSE: &[u8] = b"resident index snapshot, version 1";
const MAGIC: &[u8; 5] = b"KWIX2";
const MAC_LEN: usize = 32;

/// Writes the snapshot of an index exported at `since` (temporary file, fsync, rename).
pub(super) fn write(dir: &Path, exported: &Exported, since: &Since, key: &[u8]) -> std::io::Result<()> {
    let Exported { objects, keys } = exported;
    let mut out = Vec::with_capacity(objects.len() * 56 + keys.len() * 40 + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&since.journal.to_be_bytes());
    let last = u16::try_from(since.last_uid.len()).map_err(|_| std::io::Error::other("an identifier too long"))?;
    out.extend_from_slice(&last.to_be_bytes());
    out.extend_from_slice(&since.last_uid);
    out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    for (sequence, uid) in objects {
        out.extend_from_slice(&sequence.to_be_bytes());
        let uid = uid.as_bytes();
        let len = u16::try_from(uid.len()).map_err(|_| std::io::Error::other("an identifier too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(uid);
    }
    out.extend_from_slice(&(keys.len() as u64).to_be_bytes());
    for (key, members) in keys {
        out.extend_from_slice(key);
        out.extend_from_slice(&(members.len() as u64).to_be_bytes());
        for sequence in members {
            out.extend_from_slice(&sequence.to_be_bytes());
        }
    }
    let mac = mac(key, &out);
    out.extend_from_slice(&mac);
    let temporary = dir.join(format!("{SNAPSHOT_FILE}.tmp"));
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
    file.write_all(&out)?;
    file.sync_data()?;
    std::fs::rename(&temporary, dir.join(SNAPSHOT_FILE))?;
    std::fs::File::open(dir)?.sync_all()
}

/// A snapshot read back: the index, the point it was taken at, and how many objects it holds.
pub(super) struct Read {
    pub(super) index: ResidentIndex,
    pub(super) since: Since,
    pub(super) objects: u64,
}

/// The snapshot in `dir`, when there is one of this format whose MAC verifies.
pub(super) fn read(dir: &Path, key: &[u8]) -> Option<Read> {
    let path = dir.join(SNAPSHOT_FILE);
    let started = std::time::Instant::now();
    let bytes = std::fs::read(&path).ok()?;
    let read_ms = started.elapsed().as_millis() as u64;
    let (body, tag) = bytes.split_at_checked(bytes.len().saturating_sub(MAC_LEN))?;
    if tag.len() != MAC_LEN || mac(key, body) != tag {
        tracing::warn!(path = %path.display(), "the index snapshot does not verify: the index is rebuilt from the records");
        return None;
    }
    let checked_ms = started.elapsed().as_millis() as u64;
    let parsed = parse(body);
    if parsed.is_none() {
        tracing::info!("the index snapshot is of another format: the index is rebuilt from the records");
    }
    let ms = started.elapsed().as_millis() as u64;
    tracing::debug!(bytes = bytes.len(), read_ms, checked_ms, ms, "read the index snapshot");
    parsed
}

/// Removes the snapshot, if there is one (the store is about to be rewritten or accepted as it is).
pub(super) fn discard(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(SNAPSHOT_FILE)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn parse(body: &[u8]) -> Option<Read> {
    let mut reader = Reader(body);
    if reader.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let journal = reader.u64()?;
    let last = u16::from_be_bytes(reader.take(2)?.try_into().ok()?);
    let since = Since { journal, last_uid: reader.take(usize::from(last))?.to_vec() };
    let objects = reader.u64()?;
    let mut built = Builder::with_capacity(usize::try_from(objects).ok()?.min(body.len() / 10), 0);
    for _ in 0..objects {
        let sequence = reader.u64()?;
        let len = u16::from_be_bytes(reader.take(2)?.try_into().ok()?);
        let uid = std::str::from_utf8(reader.take(usize::from(len))?).ok()?;
        built.object(sequence, Arc::from(uid));
    }
    let count = reader.u64()?;
    built.reserve_keys(usize::try_from(count).ok()?.min(body.len() / INDEX_KEY_LEN));
    for _ in 0..count {
        let key: IndexKey = reader.take(INDEX_KEY_LEN)?.try_into().ok()?;
        let members = usize::try_from(reader.u64()?).ok()?;
        let bytes = reader.take(members.checked_mul(8)?)?;
        built.key(key, bytes.chunks_exact(8).map(|s| u64::from_be_bytes(s.try_into().unwrap_or_default())));
    }
    reader.0.is_empty().then(|| Read { index: built.finish(), since, objects })
}

fn mac(key: &[u8], data: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = &[7; 32];

    fn index() -> ResidentIndex {
        let index = ResidentIndex::default();
        index.update("a", 1, &[], &[[3; INDEX_KEY_LEN], [1; INDEX_KEY_LEN]]);
        index.update("b", 2, &[], &[[3; INDEX_KEY_LEN], [2; INDEX_KEY_LEN]]);
        index.update("c", 5, &[], &[[3; INDEX_KEY_LEN], [1; INDEX_KEY_LEN]]);
        index
    }

    fn since() -> Since {
        Since { journal: 9, last_uid: b"c".to_vec() }
    }

    #[test]
    fn a_snapshot_reads_back_with_its_point_as_often_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &index().export(), &since(), KEY).unwrap();
        for _ in 0..2 {
            let read = read(dir.path(), KEY).expect("the snapshot");
            assert_eq!((read.since.clone(), read.objects), (since(), 3));
            for keys in [
                vec![],
                vec![[1; INDEX_KEY_LEN]],
                vec![[3; INDEX_KEY_LEN], [2; INDEX_KEY_LEN]],
                vec![[9; INDEX_KEY_LEN]],
            ] {
                assert_eq!(read.index.candidates(&keys), index().candidates(&keys), "{keys:?}");
            }
        }
    }

    #[test]
    fn a_flipped_byte_another_key_or_another_format_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &index().export(), &since(), KEY).unwrap();
        assert!(read(dir.path(), &[8; 32]).is_none(), "another store's key");
        let path = dir.path().join(SNAPSHOT_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[30] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(read(dir.path(), KEY).is_none(), "a flipped byte");
        std::fs::write(&path, b"KWIX2").unwrap();
        assert!(read(dir.path(), KEY).is_none(), "cut short");
        let mut old = b"KWIX1".to_vec();
        old.extend_from_slice(&mac(KEY, b"KWIX1"));
        std::fs::write(&path, old).unwrap();
        assert!(read(dir.path(), KEY).is_none(), "the format of before");
    }
}
