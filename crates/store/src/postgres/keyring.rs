//! The postgres store's keyring (see [`crate::keyring`]): kept in the database, wrapped by the KEK,
//! as the sled store keeps it in its `keyring` file; tables `kek_versions` and `keyring`
//! (migrations 2 and 5).
//!
//! Every node reads the keyring at open with the KEK of the version the database names, from its
//! own [`KekSource`] (a file each node has a copy of, or a token). The first node on an empty
//! database makes the keyring (under an advisory lock, so that nodes starting together make one);
//! a database of schema version 1 (keys derived from the KEK's bytes) gets those keys as its
//! keyring at its first open.
//!
//! Each node holds the keyring in memory ([`Ring`]). The row names the data key generations it
//! holds in clear (`generations`, the current one first), so that a node learns whether its own
//! copy is behind without unwrapping anything. A new data key, made on one node, reaches the
//! others through the invalidation channel (see `coherence`): each reads the keyring again and
//! switches before it acknowledges (see `rotation` for the whole protocol).

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use tokio_postgres::Client;

use super::database::{Database, backend};
use crate::kek::{Kek, KekSource, KekState, KeyEncryptionKey};
use crate::keyring::{CHECK_VALUE, KeyRing, LEGACY_CHECK_VALUE, check_context, keyring_context};
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

/// The check value of a database of schema version 1, in `keyward_meta`, and its context.
pub(super) const LEGACY_CHECK_NAME: &str = "kek-check";
const LEGACY_CHECK_CONTEXT: &[u8] = b"kek-check";
/// The advisory lock held while the keyring is made: an arbitrary constant ("KEYRING").
const KEYRING_LOCK: i64 = 0x004B_4559_5249_4E47;

const SELECT_KEYRING: &str = "SELECT k.kek_version, k.wrapped, v.check_value, k.generations
     FROM keyring k JOIN kek_versions v ON v.version = k.kek_version";

pub(super) fn state_of(code: i16) -> StoreResult<KekState> {
    match code {
        1 => Ok(KekState::Active),
        2 => Ok(KekState::Retiring),
        3 => Ok(KekState::Retired),
        _ => Err(StoreError::Corrupt(format!("a KEK version in an unknown state ({code})"))),
    }
}

/// A KEK version as its column holds it.
pub(super) fn version_column(version: u32) -> StoreResult<i32> {
    i32::try_from(version).map_err(|_| StoreError::LimitExceeded(format!("KEK version {version}")))
}

pub(super) fn version_of(version: i32) -> StoreResult<u32> {
    u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("a KEK version of {version}")))
}

/// The keyring, opened.
pub(super) struct Opened {
    pub(super) ring: KeyRing,
    pub(super) version: u32,
}

/// Opens the keyring of the database with the KEK from `source`, making it first if the database
/// has none (a new database, or one of schema version 1). Refuses a wrong KEK.
pub(super) fn open(database: &Database, source: &dyn KekSource) -> StoreResult<Opened> {
    if let Some(opened) = read(database, source)? {
        return Ok(opened);
    }
    create(database, source)?;
    read(database, source)?.ok_or_else(|| StoreError::Corrupt("the keyring just written is not there".into()))
}

/// The keyring row as the database holds it.
pub(super) struct KeyringRow {
    version: i32,
    wrapped: Vec<u8>,
    check: Vec<u8>,
    /// `None` in a row written before migration 5, until a node fills it in.
    generations: Option<Vec<i32>>,
}

/// Reads the keyring row on `client` (any connection: the listening one too).
pub(super) async fn read_row(client: &Client) -> StoreResult<Option<KeyringRow>> {
    let row = client.query_opt(SELECT_KEYRING, &[]).await.map_err(|e| backend("reading the keyring", &e))?;
    Ok(row.map(|r| KeyringRow { version: r.get(0), wrapped: r.get(1), check: r.get(2), generations: r.get(3) }))
}

/// The keyring, unwrapped by the KEK of the version the database names; `None` when there is none.
/// A row without its generations (written before migration 5) gets them.
fn read(database: &Database, source: &dyn KekSource) -> StoreResult<Option<Opened>> {
    let row = database.run(|client| Box::pin(async move { read_row(client).await }))?;
    let Some(row) = row else { return Ok(None) };
    let opened = unwrap(row.version, &row.wrapped, &row.check, source)?;
    if row.generations.is_none() {
        let generations = generations_of(&opened.ring);
        database.run(move |client| {
            Box::pin(async move {
                client
                    .execute("UPDATE keyring SET generations = $1 WHERE generations IS NULL", &[&generations])
                    .await
                    .map_err(|e| backend("recording the keyring's generations", &e))?;
                Ok(())
            })
        })?;
    }
    Ok(Some(opened))
}

/// The data key generations of `ring` as the `generations` column holds them: the current one
/// first, then the others in order.
pub(super) fn generations_of(ring: &KeyRing) -> Vec<i32> {
    let to_column = |g: u32| i32::try_from(g).unwrap_or(i32::MAX);
    std::iter::once(ring.current).chain(ring.older_generations()).map(to_column).collect()
}

/// A keyring wrapped under the KEK of `version`, whose check value is `check`, unwrapped with
/// that KEK from `source`. Refuses a wrong KEK.
pub(super) fn unwrap(version: i32, wrapped: &[u8], check: &[u8], source: &dyn KekSource) -> StoreResult<Opened> {
    let version = version_of(version)?;
    let kek = source.open(version)?;
    match kek.unwrap(check, &check_context(version)) {
        Ok(check) if &check[..] == CHECK_VALUE => {}
        _ => return Err(StoreError::WrongKek),
    }
    let ring = KeyRing::from_bytes(&kek.unwrap(wrapped, &keyring_context(version))?)?;
    Ok(Opened { ring, version })
}

/// Makes the keyring of a database that has none, under KEK version 1: random keys for a new
/// store, the keys derived from the KEK for a store of schema version 1 (whose check value the
/// KEK must open first). Another node doing the same at the same time: the first one's stays.
fn create(database: &Database, source: &dyn KekSource) -> StoreResult<()> {
    let (legacy, has_objects) = database.run(|client| {
        Box::pin(async move {
            let row = client
                .query_one(
                    "SELECT (SELECT value FROM keyward_meta WHERE name = $1), EXISTS (SELECT 1 FROM objects)",
                    &[&LEGACY_CHECK_NAME],
                )
                .await
                .map_err(|e| backend("reading the KEK check", &e))?;
            Ok((row.get::<_, Option<Vec<u8>>>(0), row.get::<_, bool>(1)))
        })
    })?;
    let (ring, kek, derives): (KeyRing, Box<dyn KeyEncryptionKey>, bool) = match legacy {
        Some(check) => {
            let kek = source.open(1)?;
            let bytes = kek.legacy_bytes().ok_or_else(|| {
                StoreError::KekUnavailable(
                    "this database's store was made before keyrings: its first start must be with its KEK file".into(),
                )
            })?;
            let ring = KeyRing::legacy(&Kek::from_bytes(*bytes));
            match Sealer::new(&ring).open(&check, LEGACY_CHECK_CONTEXT) {
                Ok(opened) if &opened[..] == LEGACY_CHECK_VALUE => {}
                _ => return Err(StoreError::WrongKek),
            }
            (ring, kek, true)
        }
        None if !has_objects => {
            let kek = match source.open(1) {
                Err(StoreError::KekUnavailable(_)) => source.create(1)?,
                other => other?,
            };
            (KeyRing::generate()?, kek, false)
        }
        None => {
            return Err(StoreError::Corrupt(
                "the database holds objects but no keyring: restore it from a backup (pg_dump)".into(),
            ));
        }
    };
    let check = kek.wrap(CHECK_VALUE, &check_context(1))?;
    let wrapped = kek.wrap(&ring.to_bytes(), &keyring_context(1))?;
    let generations = generations_of(&ring);
    database.run(move |client| {
        Box::pin(async move {
            let failed = |e| backend("writing the keyring", &e);
            let tx = client.transaction().await.map_err(failed)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KEYRING_LOCK]).await.map_err(failed)?;
            let exists: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM keyring)", &[]).await.map_err(failed)?.get(0);
            if !exists {
                tx.execute(
                    "INSERT INTO kek_versions (version, state, derives_data_key, check_value) VALUES (1, 1, $1, $2)",
                    &[&derives, &check],
                )
                .await
                .map_err(failed)?;
                tx.execute(
                    "INSERT INTO keyring (kek_version, wrapped, generations) VALUES (1, $1, $2)",
                    &[&wrapped, &generations],
                )
                .await
                .map_err(failed)?;
                tx.execute("DELETE FROM keyward_meta WHERE name = $1", &[&LEGACY_CHECK_NAME]).await.map_err(failed)?;
            }
            tx.commit().await.map_err(failed)
        })
    })
}

/// The keyring this node seals and opens with.
pub(super) struct Ring {
    source: Arc<dyn KekSource>,
    sealer: Arc<Sealer>,
    held: Mutex<KeyRing>,
    /// Held (shared) by every write of this node from the seal of its values to its COMMIT, and
    /// taken alone to change the data keys: once a node has switched to a new data key, none of
    /// its writes under the old one is still in flight (what lets the re-seal finish).
    sealing: RwLock<()>,
}

impl Ring {
    pub(super) fn new(source: Arc<dyn KekSource>, ring: KeyRing) -> Ring {
        Ring { source, sealer: Arc::new(Sealer::new(&ring)), held: Mutex::new(ring), sealing: RwLock::new(()) }
    }

    pub(super) fn sealer(&self) -> &Arc<Sealer> {
        &self.sealer
    }

    pub(super) fn source(&self) -> &dyn KekSource {
        self.source.as_ref()
    }

    /// The keyring in clear (for the time of a rotation's step).
    pub(super) fn held(&self) -> MutexGuard<'_, KeyRing> {
        // Nothing is left half-done under this lock by a panic: carry on.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Held by a write from its seal to its COMMIT.
    pub(super) fn sealing(&self) -> RwLockReadGuard<'_, ()> {
        // It guards no data: a panic under it leaves nothing to repair.
        self.sealing.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The generations this node holds, as the database's column says them.
    pub(super) fn generations(&self) -> Vec<i32> {
        generations_of(&self.held())
    }

    /// Switches to `ring`, once no write of this node sealed under the old keys is in flight.
    /// Blocks: not on the store's runtime thread.
    pub(super) fn install(&self, ring: KeyRing) {
        let _alone = self.sealing.write().unwrap_or_else(|p| p.into_inner());
        self.sealer.replace_data_keys(&ring);
        *self.held() = ring;
    }

    /// Brings this node's keyring up to the database's `row` (read again by the caller): nothing
    /// to do when it names the generations this node holds. A keyring this node cannot unwrap (a
    /// KEK version not copied here yet) is an error only when it seals under another data key
    /// than this node's: a keyring that only dropped an old data key changes nothing it writes.
    /// Blocks (a token's unwrap, [`Ring::install`]).
    pub(super) fn follow(&self, row: &KeyringRow) -> StoreResult<()> {
        let held = self.generations();
        if row.generations.as_ref() == Some(&held) {
            return Ok(());
        }
        // Old data keys dropped (the end of a re-seal): this node drops them too, with no KEK.
        if let Some(generations) = &row.generations
            && generations.first() == held.first()
            && generations.iter().all(|g| held.contains(g))
        {
            let kept: Vec<u32> = generations.iter().filter_map(|g| u32::try_from(*g).ok()).collect();
            let ring = self.held().retaining(&kept);
            self.install(ring);
            return Ok(());
        }
        match unwrap(row.version, &row.wrapped, &row.check, self.source()) {
            Ok(opened) => {
                tracing::info!(
                    data_key_generation = opened.ring.current,
                    "this node follows a change of the store's data keys"
                );
                self.install(opened.ring);
                Ok(())
            }
            Err(error) if row.generations.as_ref().and_then(|g| g.first()) == held.first() => {
                tracing::warn!(%error, "could not read the store's keyring again; it seals as this node does");
                Ok(())
            }
            Err(error) => {
                tracing::error!(
                    %error,
                    kek_version = row.version,
                    "the store has a new data key that this node cannot read: give it the KEK of that version"
                );
                Err(error)
            }
        }
    }

    /// Reads the keyring on `client` and follows it, off the runtime thread.
    pub(super) async fn follow_database(ring: &Arc<Ring>, client: &Client) -> StoreResult<()> {
        let Some(row) = read_row(client).await? else {
            return Err(StoreError::Corrupt("the database has no keyring".into()));
        };
        let ring = Arc::clone(ring);
        tokio::task::spawn_blocking(move || ring.follow(&row))
            .await
            .map_err(|e| StoreError::Backend(format!("reading the keyring again: {e}")))?
    }
}
