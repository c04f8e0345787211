//! The watermark: what the store has acknowledged, kept outside sled so that a damaged or cut log
//! cannot take it along.
//!
//! sled checks each log message's CRC and treats the first bad one as the end of its log: a single
//! flipped byte in `db` makes it open without a word, holding only what was written before the
//! byte, and write on top of the cut. So after each group flush is durable, the flusher records
//! the flush's number and the number of objects then stored in `store.watermark`, and fsyncs it;
//! the same number is written into sled (the `meta` tree) just before the flush. At open, a store
//! whose own number or object count is below the watermark has lost acknowledged commits, and is
//! refused.
//!
//! The file has two slots of 32 bytes, written in turn with a positioned write: a write cut by a
//! power loss spoils at most the slot being written, and the other still holds an earlier mark.
//! Each slot is the flush number and the object count (big-endian u64s) and the first 16 bytes of
//! a SHA-256 over them; the valid slot with the higher number wins.
//!
//! The watermark's own `fdatasync` runs on a thread of its own, not before the acknowledgement: in
//! line, a second fsync per group flush took durable Create at 16 connections from about 10,700
//! to 6,200 requests/s (docs/performance.md). It syncs at most every 20 ms, marks written meanwhile
//! going with the next sync. So after a power cut the watermark may be up to about 20 ms of
//! flushes behind what was acknowledged: damage that takes exactly those last commits goes unseen, damage before them (a cut or a flipped byte in the log) is refused. It is never
//! ahead of the store: a mark is written only once its flush is on disk. A clean close syncs it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The file's name in the data directory.
pub(crate) const WATERMARK_FILE: &str = "store.watermark";
const SLOT_LEN: u64 = 32;
const DOMAIN: &[u8] = b"keyward watermark v1";
/// The watermark is synced at most this often: each sync is a device flush of its own, taken from
/// the store's flushes. After a power cut it may lag the acknowledged commits by about this much.
const SYNC_INTERVAL: Duration = Duration::from_millis(20);

/// What a flush made durable: its number (counted over the store's life) and how many objects
/// the store held then. Object records are never deleted, so the count never goes down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Mark {
    pub(crate) flushes: u64,
    pub(crate) objects: u64,
}

impl Mark {
    pub(crate) fn to_bytes(self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.flushes.to_be_bytes());
        out[8..].copy_from_slice(&self.objects.to_be_bytes());
        out
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Mark> {
        let flushes = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let objects = u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
        (bytes.len() == 16).then_some(Mark { flushes, objects })
    }

    fn slot(self) -> [u8; SLOT_LEN as usize] {
        let body = self.to_bytes();
        let mut slot = [0; SLOT_LEN as usize];
        slot[..16].copy_from_slice(&body);
        slot[16..].copy_from_slice(&checksum(&body));
        slot
    }

    fn from_slot(slot: &[u8]) -> Option<Mark> {
        let (body, sum) = slot.split_at_checked(16)?;
        (sum == checksum(body)).then(|| Mark::from_bytes(body)).flatten()
    }
}

fn checksum(body: &[u8]) -> [u8; 16] {
    let digest = Sha256::new().chain_update(DOMAIN).chain_update(body).finalize();
    let mut sum = [0; 16];
    sum.copy_from_slice(&digest[..16]);
    sum
}

/// Reads the watermark in `dir`: `None` when there is no file; an error when there is one and
/// neither slot is intact.
pub(crate) fn read(dir: &Path) -> io::Result<Option<Mark>> {
    let bytes = match std::fs::read(dir.join(WATERMARK_FILE)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let best = bytes.chunks(SLOT_LEN as usize).take(2).filter_map(Mark::from_slot).max();
    best.map(Some).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{WATERMARK_FILE} is damaged: no intact slot"))
    })
}

/// The open watermark file, written by the flusher and synced by its own thread.
pub(crate) struct Watermark {
    file: Arc<File>,
    /// The slot the next mark goes to: not the one holding the latest.
    next_slot: u64,
    syncer: Syncer,
}

/// What the syncing thread shares with the writer.
#[derive(Default)]
struct SyncState {
    /// A mark was written since the last sync.
    dirty: bool,
    stopping: bool,
    /// The last sync's failure: the next write reports it (the flush then fails).
    failure: Option<String>,
}

/// The thread that syncs the watermark file whenever a mark was written, coalescing marks written
/// while it syncs.
struct Syncer {
    shared: Arc<(Mutex<SyncState>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    fn start(file: Arc<File>) -> io::Result<Syncer> {
        let shared = Arc::new((Mutex::new(SyncState::default()), Condvar::new()));
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("keyward-watermark".into()).spawn(move || {
            let (lock, wake) = &*state;
            let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                while !guard.dirty && !guard.stopping {
                    guard = wake.wait(guard).unwrap_or_else(|p| p.into_inner());
                }
                if !guard.dirty {
                    return;
                }
                guard.dirty = false;
                drop(guard);
                let started = Instant::now();
                let synced = file.sync_data();
                // At most one sync per interval: the marks written meanwhile go with the next.
                if let Some(rest) = SYNC_INTERVAL.checked_sub(started.elapsed()) {
                    std::thread::sleep(rest);
                }
                guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(error) = synced {
                    guard.failure = Some(format!("syncing {WATERMARK_FILE}: {error}"));
                }
            }
        })?;
        Ok(Syncer { shared, thread: Some(thread) })
    }

    /// Asks for a sync; the failure of an earlier one, if any.
    fn request(&self) -> io::Result<()> {
        let (lock, wake) = &*self.shared;
        let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(failure) = guard.failure.take() {
            return Err(io::Error::other(failure));
        }
        guard.dirty = true;
        drop(guard);
        wake.notify_one();
        Ok(())
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        // The thread syncs what is dirty before it stops: a clean close leaves the last mark on disk.
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).stopping = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Watermark {
    /// Replaces the watermark in `dir` with `mark` (a new store, or one an operator accepted):
    /// written whole to a temporary file, synced, renamed over, and the directory synced.
    pub(crate) fn create(dir: &Path, mark: Mark) -> io::Result<Watermark> {
        let temporary = dir.join(format!("{WATERMARK_FILE}.tmp"));
        let mut bytes = mark.slot().to_vec();
        bytes.extend_from_slice(&mark.slot());
        {
            let file = private_file(&temporary, true)?;
            file.write_all_at(&bytes, 0)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, dir.join(WATERMARK_FILE))?;
        File::open(dir)?.sync_all()?;
        Watermark::open(dir, mark)
    }

    /// Opens the existing watermark in `dir`, whose latest mark is `latest`.
    pub(crate) fn open(dir: &Path, latest: Mark) -> io::Result<Watermark> {
        let path = dir.join(WATERMARK_FILE);
        let file = Arc::new(private_file(&path, false)?);
        let bytes = std::fs::read(&path)?;
        let slot_of_latest =
            bytes.chunks(SLOT_LEN as usize).take(2).position(|s| Mark::from_slot(s) == Some(latest)).unwrap_or(0);
        let syncer = Syncer::start(Arc::clone(&file))?;
        Ok(Watermark { file, next_slot: if slot_of_latest == 0 { 1 } else { 0 }, syncer })
    }

    /// Records `mark`, synced soon after by the watermark's thread. Call only once the flush it
    /// describes is on disk. Fails if the previous sync failed.
    pub(crate) fn write(&mut self, mark: Mark) -> io::Result<()> {
        self.file.write_all_at(&mark.slot(), self.next_slot * SLOT_LEN)?;
        self.next_slot = 1 - self.next_slot;
        self.syncer.request()
    }
}

/// Opens (or, with `create`, creates or truncates) a file only its owner may read (0600).
fn private_file(path: &Path, create: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    if create {
        options.create(true).truncate(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let file = options.open(path)?;
    if create {
        // The mode given at open applies only to a new file.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_intact_slot_wins() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let mut watermark = Watermark::create(dir.path(), Mark { flushes: 1, objects: 0 }).unwrap();
        watermark.write(Mark { flushes: 2, objects: 5 }).unwrap();
        watermark.write(Mark { flushes: 3, objects: 7 }).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(Mark { flushes: 3, objects: 7 }));
        // A write cut half way spoils one slot; the other still holds the mark before it.
        let path = dir.path().join(WATERMARK_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let latest_slot = bytes.chunks(32).position(|s| Mark::from_slot(s).is_some_and(|m| m.flushes == 3)).unwrap();
        bytes[latest_slot * 32 + 3] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(Mark { flushes: 2, objects: 5 }));
        // Both spoiled: an error, never "no watermark".
        bytes[(1 - latest_slot) * 32 + 20] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(dir.path()).is_err());
    }

    #[test]
    fn reopened_it_writes_over_the_older_slot() {
        let dir = tempfile::tempdir().unwrap();
        let mut watermark = Watermark::create(dir.path(), Mark { flushes: 1, objects: 1 }).unwrap();
        watermark.write(Mark { flushes: 2, objects: 2 }).unwrap();
        drop(watermark);
        let mut watermark = Watermark::open(dir.path(), Mark { flushes: 2, objects: 2 }).unwrap();
        watermark.write(Mark { flushes: 3, objects: 3 }).unwrap();
        let bytes = std::fs::read(dir.path().join(WATERMARK_FILE)).unwrap();
        let marks: Vec<_> = bytes.chunks(32).filter_map(Mark::from_slot).map(|m| m.flushes).collect();
        assert!(marks.contains(&2) && marks.contains(&3), "{marks:?}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(WATERMARK_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
