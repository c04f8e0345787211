//! Opening the store with its checks, in an order that changes no file before the KEK is known
//! to be right, and refuses a store that holds less than it acknowledged.
//!
//! 1. `kek.check` in the data directory (a sealed check value) is opened with the KEK before sled
//!    is: sled writes to its log as it opens, even a database it is then told to close. A store
//!    made before this file existed is checked against the value in sled's `meta` tree instead,
//!    and gets the file.
//! 2. sled opens, and the check value in `meta` must open too.
//! 3. Every object's header is read (the indexes are rebuilt from them); a header that does not
//!    parse refuses the store.
//! 4. The store's own flush number (in `meta`) and its object count must reach the watermark's
//!    ([`super::watermark`]); the watermark is created for a new store, or one made before it
//!    existed.

use std::path::Path;

use super::backend::{Backend, Loaded, load};
use super::watermark::{self, Mark, WATERMARK_FILE, Watermark};
use super::{SLED_DIR, files};
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

const KEK_CHECK_KEY: &[u8] = b"kek-check";
const KEK_CHECK_VALUE: &[u8] = b"keyward kek check v1";
/// The check value's file in the data directory.
pub(crate) const KEK_CHECK_FILE: &str = "kek.check";
/// Trees of earlier versions, which kept the indexes on disk: dropped at open, as nothing reads
/// them.
const LEGACY_INDEX_TREES: [&str; 2] = ["index", "sequence"];

pub(super) struct Opened {
    pub(super) backend: Backend,
    pub(super) loaded: Loaded,
    /// The latest of the store's flush number and the watermark's.
    pub(super) latest: Mark,
    pub(super) watermark: Watermark,
}

/// Opens the store in `dir` (creating it when there is none), with every check of this module.
pub(super) fn open_checked(dir: &Path, sealer: &Sealer, cache_capacity: u64) -> StoreResult<Opened> {
    files::create_private_dir(dir)?;
    let (backend, loaded) = open_unchecked(dir, sealer, cache_capacity)?;
    let own = backend.mark(sealer).map_err(as_damage)?;
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
    Ok(Opened { backend, loaded, latest, watermark })
}

/// Opens the store after the KEK checks, and reads its headers; no check against the watermark
/// (for `verify`, which reports it rather than refuse).
pub(super) fn open_unchecked(dir: &Path, sealer: &Sealer, cache_capacity: u64) -> StoreResult<(Backend, Loaded)> {
    open_unchecked_inner(dir, sealer, cache_capacity).map_err(as_damage)
}

/// A read that failed its checksum while the store opens is damage to the store, not a failure
/// of one request.
pub(super) fn as_damage(error: StoreError) -> StoreError {
    match error {
        StoreError::Corrupt(what) => StoreError::Damaged(format!("a stored value fails its check ({what})")),
        other => other,
    }
}

fn open_unchecked_inner(dir: &Path, sealer: &Sealer, cache_capacity: u64) -> StoreResult<(Backend, Loaded)> {
    let checked_before = check_kek_file(dir, sealer)?;
    // A data directory that had a store has lost its database: never start an empty one there.
    let had_a_store = checked_before || dir.join(WATERMARK_FILE).exists();
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
    let backend = Backend::open(&dir.join(SLED_DIR), cache_capacity)?;
    match backend.meta.get(KEK_CHECK_KEY)? {
        Some(check) => {
            let opened = sealer.open(&check, KEK_CHECK_KEY).map_err(|_| StoreError::WrongKek)?;
            if &opened[..] != KEK_CHECK_VALUE {
                return Err(StoreError::WrongKek);
            }
        }
        None if backend.objects.is_empty() && !checked_before => {
            backend.meta.insert(KEK_CHECK_KEY, sealer.seal(KEK_CHECK_VALUE, KEK_CHECK_KEY)?)?;
            backend.db.flush()?;
        }
        None => {
            return Err(StoreError::Damaged(
                "the store's KEK check value is missing from its database: its log was cut or damaged".into(),
            ));
        }
    }
    if !checked_before {
        write_kek_file(dir, sealer)?;
    }
    for legacy in LEGACY_INDEX_TREES {
        backend.db.drop_tree(legacy)?;
    }
    let loaded = load(&backend).map_err(|error| match error {
        StoreError::Backend(what) => StoreError::Damaged(format!("the objects cannot all be read ({what})")),
        other => other,
    })?;
    Ok((backend, loaded))
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

/// Checks `kek.check` when there is one: `Ok(false)` when there is none (a new store, or one
/// made before the file existed), [`StoreError::WrongKek`] when the KEK does not open it.
fn check_kek_file(dir: &Path, sealer: &Sealer) -> StoreResult<bool> {
    let sealed = match std::fs::read(dir.join(KEK_CHECK_FILE)) {
        Ok(sealed) => sealed,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error.into()),
    };
    let opened = sealer.open(&sealed, KEK_CHECK_KEY).map_err(|_| StoreError::WrongKek)?;
    if &opened[..] != KEK_CHECK_VALUE {
        return Err(StoreError::WrongKek);
    }
    Ok(true)
}

/// Writes `kek.check` (0600), whole: a temporary file synced and renamed, then the directory.
fn write_kek_file(dir: &Path, sealer: &Sealer) -> StoreResult<()> {
    let temporary = dir.join(format!("{KEK_CHECK_FILE}.tmp"));
    let sealed = sealer.seal(KEK_CHECK_VALUE, KEK_CHECK_KEY)?;
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        files::restrict_file(&temporary)?;
        std::io::Write::write_all(&mut file, &sealed)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, dir.join(KEK_CHECK_FILE))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
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
