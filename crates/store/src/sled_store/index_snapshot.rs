//! A snapshot of the resident index, written when the store closes cleanly and read at the next
//! open instead of scanning every record's header: a planned restart (an upgrade, a reboot) of a
//! store of a million objects then starts in about a second instead of seven (the scan reads the
//! whole log; docs/performance.md, "A store of a million objects").
//!
//! The snapshot is used only when it describes exactly the store being opened: it names the
//! store's flush number and object count at its writing, and any commit after it (or a crash
//! before a clean close, which writes none) makes them differ, so the scan runs. It is removed as
//! it is read, so it serves one open. It is derived data, but a forged one could hide objects
//! from Locate: it carries an HMAC-SHA256 under a key the keyring derives, and one that does not
//! verify is ignored (and said).
//!
//! Layout: `KWIX` 1, the mark (flushes, objects), the objects (sequence, identifier), the index
//! keys (key, member sequences), the MAC; integers big-endian.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::header::{INDEX_KEY_LEN, IndexKey};
use super::resident_index::{Exported, ResidentIndex};
use super::watermark::Mark;

/// The file, in the data directory.
pub(super) const SNAPSHOT_FILE: &str = "index.snapshot";
/// What the keyring derives the MAC key for.
pub(super) const KEY_PURPOSE: &[u8] = b"resident index snapshot, version 1";
const MAGIC: &[u8; 5] = b"KWIX1";
const MAC_LEN: usize = 32;

/// Writes the snapshot of `index`, taken at `mark` (temporary file, fsync, rename).
pub(super) fn write(dir: &Path, index: &ResidentIndex, mark: Mark, key: &[u8]) -> std::io::Result<()> {
    let Exported { objects, keys } = index.export();
    let mut out = Vec::with_capacity(objects.len() * 56 + keys.len() * 40 + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&mark.to_bytes());
    out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    for (sequence, uid) in &objects {
        out.extend_from_slice(&sequence.to_be_bytes());
        let uid = uid.as_bytes();
        let len = u16::try_from(uid.len()).map_err(|_| std::io::Error::other("an identifier too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(uid);
    }
    out.extend_from_slice(&(keys.len() as u64).to_be_bytes());
    for (key, members) in &keys {
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

/// Takes the snapshot out of `dir` (it is removed whatever it holds) and returns its index when
/// it was taken at `mark` and its MAC verifies.
pub(super) fn take(dir: &Path, mark: Mark, key: &[u8]) -> Option<ResidentIndex> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = std::fs::read(&path).ok()?;
    if let Err(error) = std::fs::remove_file(&path) {
        // Left in place it could only match this same state again; still, say so.
        tracing::warn!(%error, path = %path.display(), "the index snapshot could not be removed");
    }
    let (body, tag) = bytes.split_at_checked(bytes.len().saturating_sub(MAC_LEN))?;
    if tag.len() != MAC_LEN || mac(key, body) != tag {
        tracing::warn!(path = %path.display(), "the index snapshot does not verify: the index is rebuilt from the records");
        return None;
    }
    let parsed = parse(body, mark);
    if parsed.is_none() {
        tracing::info!("the index snapshot is of another state of the store: the index is rebuilt from the records");
    }
    parsed
}

/// Removes the snapshot, if there is one (the store is about to be rewritten or accepted as it is).
pub(super) fn discard(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(SNAPSHOT_FILE)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn parse(body: &[u8], mark: Mark) -> Option<ResidentIndex> {
    let mut reader = Reader(body);
    if reader.take(MAGIC.len())? != MAGIC || Mark::from_bytes(reader.take(16)?)? != mark {
        return None;
    }
    let count = reader.u64()?;
    let mut objects = Vec::with_capacity(usize::try_from(count).ok()?.min(body.len() / 10));
    for _ in 0..count {
        let sequence = reader.u64()?;
        let len = u16::from_be_bytes(reader.take(2)?.try_into().ok()?);
        let uid = std::str::from_utf8(reader.take(usize::from(len))?).ok()?;
        objects.push((sequence, Arc::from(uid)));
    }
    if objects.len() as u64 != mark.objects {
        return None;
    }
    let count = reader.u64()?;
    let mut keys = Vec::with_capacity(usize::try_from(count).ok()?.min(body.len() / INDEX_KEY_LEN));
    for _ in 0..count {
        let key: IndexKey = reader.take(INDEX_KEY_LEN)?.try_into().ok()?;
        let members = reader.u64()?;
        let mut sequences = Vec::with_capacity(usize::try_from(members).ok()?.min(body.len() / 8));
        for _ in 0..members {
            sequences.push(reader.u64()?);
        }
        keys.push((key, sequences));
    }
    reader.0.is_empty().then(|| ResidentIndex::import(Exported { objects, keys }))
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

    #[test]
    fn a_snapshot_of_the_same_state_gives_the_same_index_once() {
        let dir = tempfile::tempdir().unwrap();
        let mark = Mark { flushes: 9, objects: 3 };
        write(dir.path(), &index(), mark, KEY).unwrap();
        let read = take(dir.path(), mark, KEY).expect("the snapshot of this state");
        for keys in
            [vec![], vec![[1; INDEX_KEY_LEN]], vec![[3; INDEX_KEY_LEN], [2; INDEX_KEY_LEN]], vec![[9; INDEX_KEY_LEN]]]
        {
            assert_eq!(read.candidates(&keys), index().candidates(&keys), "{keys:?}");
        }
        assert!(!dir.path().join(SNAPSHOT_FILE).exists(), "used once");
        assert!(take(dir.path(), mark, KEY).is_none());
    }

    #[test]
    fn another_state_a_flipped_byte_or_another_key_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let mark = Mark { flushes: 9, objects: 3 };
        write(dir.path(), &index(), mark, KEY).unwrap();
        assert!(take(dir.path(), Mark { flushes: 10, objects: 3 }, KEY).is_none(), "a flush since");
        write(dir.path(), &index(), mark, KEY).unwrap();
        assert!(take(dir.path(), mark, &[8; 32]).is_none(), "another store's key");
        write(dir.path(), &index(), mark, KEY).unwrap();
        let path = dir.path().join(SNAPSHOT_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[30] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(take(dir.path(), mark, KEY).is_none(), "a flipped byte");
        std::fs::write(&path, b"KWIX1").unwrap();
        assert!(take(dir.path(), mark, KEY).is_none(), "cut short");
    }
}
