//! The sled database and its trees, as one handle that the store can drop and open again (after a
//! failed flush: sled remembers an I/O error and fails every later flush, until it is reopened).

use std::path::Path;
use std::time::{Duration, Instant};

use sled::Tree;

use super::watermark::Mark;
use crate::records::Loaded;
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

/// Where, in the `meta` tree, the flusher writes the number of the flush about to be made.
pub(super) const WATERMARK_KEY: &[u8] = b"watermark";
/// How long an open waits for the previous handle of the same database to let go of its lock.
const LOCK_PATIENCE: Duration = Duration::from_secs(10);

pub(super) struct Backend {
    pub(super) db: sled::Db,
    pub(super) objects: Tree,
    pub(super) meta: Tree,
    pub(super) settings: Tree,
    /// What changed since the last index snapshot ([`super::journal`]).
    pub(super) changed: Tree,
}

impl Backend {
    /// Opens (or creates) the database in `sled_dir`, its directory created 0700. sled lets go
    /// of a database a moment after its last handle is dropped: an open just after waits for it.
    pub(super) fn open(sled_dir: &Path, cache_capacity: u64) -> StoreResult<Backend> {
        super::files::create_private_dir(sled_dir)?;
        let started = Instant::now();
        let db = loop {
            // HighThroughput: sled cleans its log segments later, trading disk space (small for
            // key material) for less rewriting; about 15% less CPU per durable Create here.
            let opened = sled::Config::new()
                .path(sled_dir)
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(cache_capacity)
                .open();
            match opened {
                Err(sled::Error::Io(error))
                    if error.kind() == std::io::ErrorKind::WouldBlock || error.to_string().contains("lock") =>
                {
                    if started.elapsed() > LOCK_PATIENCE {
                        return Err(StoreError::Backend(format!("the database is locked: {error}")));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        super::files::restrict(sled_dir)?;
        Ok(Backend {
            objects: db.open_tree("objects")?,
            meta: db.open_tree("meta")?,
            settings: db.open_tree("settings")?,
            changed: db.open_tree(super::journal::TREE)?,
            db,
        })
    }

    /// The flush number this database holds (written by the flusher before each flush), if any.
    pub(super) fn mark(&self, sealer: &Sealer) -> StoreResult<Option<Mark>> {
        let Some(sealed) = self.meta.get(WATERMARK_KEY)? else {
            return Ok(None);
        };
        let bytes = sealer.open(&sealed, WATERMARK_KEY)?;
        Mark::from_bytes(&bytes).map(Some).ok_or_else(|| StoreError::Corrupt("the store's flush number".into()))
    }
}

/// Reads every object's clear header (not the sealed record) to rebuild the indexes.
pub(super) fn load(backend: &Backend) -> StoreResult<Loaded> {
    let mut loaded = Loaded::new();
    for entry in backend.objects.iter() {
        let (uid, value) = entry?;
        loaded.add(&uid, &value)?;
    }
    Ok(loaded)
}
