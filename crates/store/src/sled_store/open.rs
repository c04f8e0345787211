//! Opening the store with its checks, in an order that changes no file before the KEK is known
//! to be right, and refuses a store that holds less than it acknowledged.
//!
//! 1. The keyring file in the data directory ([`super::kek`]) is unwrapped with the KEK before
//!    sled is opened: sled writes to its log as it opens, even a database it is then told to
//!    close. A store made before keyrings is checked against the value in sled's `meta` tree
//!    instead (its first open by this version), and gets the file.
//! 2. A data directory that held a store (a keyring or a watermark) must still have its
//!    database: an empty one is never started in its place.
//! 3. The index is the last snapshot's (`index_snapshot`, when one verifies), brought up to the
//!    records by reading the objects changed since it (`journal`); without one, every object's
//!    header is read. A header that does not parse refuses the store.
//! 4. The store's own flush number (in `meta`) and its object count must reach the watermark's
//!    ([`super::watermark`]); the watermark is created for a new store, or one made before it
//!    existed.

use std::path::Path;

use super::backend::{Backend, load};
use super::index_snapshot;
use super::journal::{self, Since};
use super::kek::{self, KEYRING_FILE};
use super::watermark::{self, Mark, WATERMARK_FILE, Watermark};
use super::{SLED_DIR, files};
use crate::kek::KekSource;
use crate::records::Loaded;
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

/// Trees of earlier versions, which kept the indexes on disk: dropped at open, as nothing reads
/// them.
const LEGACY_INDEX_TREES: [&str; 2] = ["index", "sequence"];
/// The KEK check file of development builds before the keyring, which the keyring replaces.
const OLD_KEK_CHECK_FILE: &str = "kek.check";

pub(super) struct Opened {
    pub(super) backend: Backend,
    pub(super) loaded: Loaded,
    /// The latest of the store's flush number and the watermark's.
    pub(super) latest: Mark,
    pub(super) watermark: Watermark,
    /// The keyring, unwrapped, and the KEK that wraps it.
    pub(super) keyring: kek::Opened,
    pub(super) sealer: Sealer,
    /// The point of the index snapshot the index came from, if it came from one.
    pub(super) since: Option<Since>,
}

/// Opens the store in `dir` (creating it, and its keyring, when there is none), with every check
/// of this module.
pub(super) fn open_checked(dir: &Path, source: &dyn KekSource, cache_capacity: u64) -> StoreResult<Opened> {
    files::create_private_dir(dir)?;
    let keyring_path = dir.join(KEYRING_FILE);
    // The KEK is checked before sled opens (which writes to its files).
    let found = kek::read_keyring(&keyring_path, source)?;
    let started = std::time::Instant::now();
    // The index snapshot is read and checked while sled opens (each takes about a second for a
    // million objects after a crash: docs/performance.md).
    let snapshot = found.as_ref().map(|found| {
        let key = found.ring.derive(index_snapshot::KEY_PURPOSE);
        let dir = dir.to_path_buf();
        std::thread::spawn(move || index_snapshot::read(&dir, key.as_ref()))
    });
    let backend = open_database(dir, found.is_some(), cache_capacity)?;
    let database_opened = started.elapsed();
    let keyring = match found {
        Some(opened) => opened,
        None => {
            if dir.join(WATERMARK_FILE).exists() && !kek::has_legacy_check(&backend.meta)? {
                return Err(StoreError::Damaged(format!(
                    "the keyring file {} is missing, but this data directory held a store: restore it from a backup",
                    keyring_path.display()
                )));
            }
            kek::create_keyring(&keyring_path, &backend.db, &backend.meta, &backend.objects, source)
                .map_err(as_damage)?
        }
    };
    match std::fs::remove_file(dir.join(OLD_KEK_CHECK_FILE)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error.into()),
        _ => {}
    }
    let sealer = Sealer::new(&keyring.ring);
    let own = backend.mark(&sealer).map_err(as_damage)?;
    // The last snapshot of the index and what changed since; else a scan of every header (whose
    // time grows with the store: docs/performance.md, "A store of a million objects").
    let snapshot = snapshot.and_then(|reading| reading.join().ok()).flatten();
    let (loaded, since) = match snapshot {
        Some(snapshot) => match journal::replay(&backend, &snapshot.index, &snapshot.since) {
            Ok(added) => (Loaded { index: snapshot.index, objects: snapshot.objects + added }, Some(snapshot.since)),
            Err(error) => {
                tracing::warn!(%error, "the index snapshot could not be brought up to date: the records are scanned");
                (load_checked(&backend)?, None)
            }
        },
        None => (load_checked(&backend)?, None),
    };
    if since.is_none() {
        // A snapshot not used now must not be used later either: the changes of this run are
        // journaled against the next snapshot only.
        index_snapshot::discard(dir)?;
    }
    tracing::info!(
        objects = loaded.objects,
        database_ms = database_opened.as_millis() as u64,
        index_ms = (started.elapsed() - database_opened).as_millis() as u64,
        index = if since.is_some() { "snapshot and the changes since" } else { "scan of the records" },
        "store opened"
    );
    let acknowledged = watermark::read(dir).map_err(|e| StoreError::Damaged(e.to_string()))?;
    if let Some(problem) = shortfall(own, acknowledged, loaded.objects) {
        return Err(StoreError::Damaged(problem));
    }
    let latest = own.max(acknowledged).unwrap_or(Mark { flushes: 0, objects: loaded.objects });
    if own.is_none() {
        // A new store, or one made before the watermark: its flush number starts at 0, on disk
        // in the store before the watermark says so (an open cut in between finds number 0 in
        // the store and no watermark, and carries on).
        backend
            .meta
            .insert(super::backend::WATERMARK_KEY, sealer.seal(&latest.to_bytes(), super::backend::WATERMARK_KEY)?)?;
        backend.db.flush()?;
        std::fs::File::open(dir.join(SLED_DIR).join("db"))?.sync_data()?;
    }
    let watermark = match acknowledged {
        Some(mark) => Watermark::open(dir, mark)?,
        None => Watermark::create(dir, latest)?,
    };
    Ok(Opened { backend, loaded, latest, watermark, keyring, sealer, since })
}

/// Opens an existing store, whose keyring `sealer` holds, and reads its headers; no check against
/// the watermark (for `verify`, which reports it rather than refuse).
pub(super) fn open_unchecked(dir: &Path, cache_capacity: u64) -> StoreResult<(Backend, Loaded)> {
    let backend = open_database(dir, true, cache_capacity)?;
    let loaded = load_checked(&backend)?;
    Ok((backend, loaded))
}

/// Opens sled's database, unless the data directory held a store (`had_keyring`, or a
/// watermark) whose database is gone: an empty one is never started in its place.
fn open_database(dir: &Path, had_keyring: bool, cache_capacity: u64) -> StoreResult<Backend> {
    let had_a_store = had_keyring || dir.join(WATERMARK_FILE).exists();
    if had_a_store && !dir.join(SLED_DIR).join("db").is_file() {
        let compacting = dir.join(super::compact::COPY_DIR).exists();
        return Err(StoreError::Damaged(if compacting {
            format!(
                "{SLED_DIR} is missing beside a compacted copy: a `keyward store compact` was cut; run it again to finish"
            )
        } else {
            format!("{SLED_DIR}/db is missing, but this data directory held a store")
        }));
    }
    let backend = Backend::open(&dir.join(SLED_DIR), cache_capacity).map_err(as_damage)?;
    for legacy in LEGACY_INDEX_TREES {
        backend.db.drop_tree(legacy)?;
    }
    Ok(backend)
}

/// Reads every object's header; one that cannot be read is damage.
fn load_checked(backend: &Backend) -> StoreResult<Loaded> {
    load(backend)
        .map_err(|error| match error {
            StoreError::Backend(what) => StoreError::Damaged(format!("the objects cannot all be read ({what})")),
            other => other,
        })
        .map_err(as_damage)
}

/// A read that failed its checksum while the store opens is damage to the store, not a failure
/// of one request.
pub(super) fn as_damage(error: StoreError) -> StoreError {
    match error {
        StoreError::Corrupt(what) => StoreError::Damaged(format!("a stored value fails its check ({what})")),
        other => other,
    }
}

/// What the store lacks of what it acknowledged, if anything: the store's own flush number
/// below the watermark's (its log was cut), fewer objects than were acknowledged, or one of the
/// two missing while the other exists.
pub(super) fn shortfall(own: Option<Mark>, acknowledged: Option<Mark>, objects: u64) -> Option<String> {
    match (own, acknowledged) {
        (None, None) => None,
        // Cut between the store's first number and the watermark's creation.
        (Some(own), None) if own.flushes == 0 => None,
        (Some(own), None) => Some(format!(
            "{WATERMARK_FILE} is missing, but the store has recorded {} flushes: the data directory is incomplete",
            own.flushes
        )),
        (None, Some(acknowledged)) => Some(format!(
            "the store's flush record is missing from its database, but {WATERMARK_FILE} says {} flushes \
             and {} objects were acknowledged: the store's log was cut or damaged",
            acknowledged.flushes, acknowledged.objects
        )),
        (Some(own), Some(acknowledged)) if own.flushes < acknowledged.flushes => Some(format!(
            "the store holds flushes up to number {}, but number {} was acknowledged ({WATERMARK_FILE}): \
             its log was cut or damaged, and the commits after it are lost",
            own.flushes, acknowledged.flushes
        )),
        (Some(own), Some(acknowledged)) if objects < acknowledged.objects.max(own.objects) => Some(format!(
            "the store holds {objects} objects, but {} were acknowledged: objects are missing",
            acknowledged.objects.max(own.objects)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortfall_is_named() {
        let mark = |flushes, objects| Some(Mark { flushes, objects });
        assert_eq!(shortfall(None, None, 0), None);
        assert_eq!(shortfall(mark(5, 3), mark(5, 3), 3), None);
        assert_eq!(
            shortfall(mark(6, 4), mark(5, 3), 4),
            None,
            "ahead of the watermark: a flush whose mark was not written"
        );
        assert!(shortfall(mark(4, 3), mark(5, 3), 3).unwrap().contains("cut"));
        assert!(shortfall(mark(5, 3), mark(5, 3), 2).unwrap().contains("missing"));
        assert!(shortfall(None, mark(5, 3), 3).unwrap().contains("flush record is missing"));
        assert!(shortfall(mark(5, 3), None, 3).unwrap().contains("is missing"));
        assert_eq!(shortfall(mark(0, 3), None, 3), None, "cut while the watermark was being created");
    }
}
