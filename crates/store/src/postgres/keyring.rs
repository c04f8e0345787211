//! The postgres store's keyring (see [`crate::keyring`]): kept in the database, wrapped by the KEK,
//! as the sled store keeps it in its `keyring` file; tables `kek_versions` and `keyring`
//! (migration 2).
//!
//! Every node reads the keyring at open with the KEK of the version the database names, from its
//! own [`KekSource`] (a file each node has a copy of, or a token). The first node on an empty
//! database makes the keyring (under an advisory lock, so that nodes starting together make one);
//! a database of schema version 1 (keys derived from the KEK's bytes) gets those keys as its
//! keyring at its first open.
//!
//! A KEK rotation here rewraps the keyring under a new KEK version, in one transaction: the
//! keyring itself (its keys) does not change, so the other nodes keep sealing and opening as
//! before, and need the new KEK only at their next start. A new data key (a re-seal of every
//! record, which every node would have to learn at once) is not done on this backend yet.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use zeroize::Zeroizing;

use super::database::{Database, backend};
use crate::kek::{Kek, KekAdmin, KekSource, KekState, KekStatus, KekVersionStatus, KeyEncryptionKey};
use crate::keyring::{CHECK_VALUE, KeyRing, LEGACY_CHECK_VALUE, check_context, keyring_context};
use crate::sealing::Sealer;
use crate::{StoreError, StoreResult};

/// The check value of a database of schema version 1, in `keyward_meta`, and its context.
pub(super) const LEGACY_CHECK_NAME: &str = "kek-check";
const LEGACY_CHECK_CONTEXT: &[u8] = b"kek-check";
/// The advisory lock held while the keyring is made: an arbitrary constant ("KEYRING").
const KEYRING_LOCK: i64 = 0x004B_4559_5249_4E47;

const SELECT_KEYRING: &str = "SELECT k.kek_version, k.wrapped, v.check_value
     FROM keyring k JOIN kek_versions v ON v.version = k.kek_version";
const SELECT_VERSIONS: &str = "SELECT version, state, derives_data_key FROM kek_versions ORDER BY version";

fn state_of(code: i16) -> StoreResult<KekState> {
    match code {
        1 => Ok(KekState::Active),
        2 => Ok(KekState::Retiring),
        3 => Ok(KekState::Retired),
        _ => Err(StoreError::Corrupt(format!("a KEK version in an unknown state ({code})"))),
    }
}

fn version_of(version: i32) -> StoreResult<u32> {
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

/// The keyring, unwrapped by the KEK of the version the database names; `None` when there is none.
fn read(database: &Database, source: &dyn KekSource) -> StoreResult<Option<Opened>> {
    let row = database.run(|client| {
        Box::pin(async move {
            let row = client.query_opt(SELECT_KEYRING, &[]).await.map_err(|e| backend("reading the keyring", &e))?;
            Ok(row.map(|r| (r.get::<_, i32>(0), r.get::<_, Vec<u8>>(1), r.get::<_, Vec<u8>>(2))))
        })
    })?;
    let Some((version, wrapped, check)) = row else { return Ok(None) };
    unwrap(version, &wrapped, &check, source).map(Some)
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
                tx.execute("INSERT INTO keyring (kek_version, wrapped) VALUES (1, $1)", &[&wrapped])
                    .await
                    .map_err(failed)?;
                tx.execute("DELETE FROM keyward_meta WHERE name = $1", &[&LEGACY_CHECK_NAME]).await.map_err(failed)?;
            }
            tx.commit().await.map_err(failed)
        })
    })
}

/// A KEK version the database knows: its number, its state, and whether the data key derives
/// from it.
type KnownVersion = (u32, KekState, bool);

/// The store's keys, shared with its [`KekAdmin`].
pub(super) struct Keys {
    database: Arc<Database>,
    source: Arc<dyn KekSource>,
    /// The keyring: the same on every node (a rotation only rewraps it).
    ring: KeyRing,
    /// Held by a rotation of this node.
    rotating: Mutex<()>,
}

impl Keys {
    pub(super) fn new(database: Arc<Database>, source: Arc<dyn KekSource>, ring: KeyRing) -> Keys {
        Keys { database, source, ring, rotating: Mutex::new(()) }
    }

    /// A key of the keyring's for `purpose` (see `KeyRing::derive`).
    pub(super) fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        self.ring.derive(purpose)
    }

    /// The active KEK version, and the versions the database knows.
    fn versions(&self) -> StoreResult<(u32, Vec<KnownVersion>)> {
        let (active, rows) = self.database.run(|client| {
            Box::pin(async move {
                let read = |e| backend("reading the KEK versions", &e);
                let active: i32 = client.query_one("SELECT kek_version FROM keyring", &[]).await.map_err(read)?.get(0);
                let rows = client.query(SELECT_VERSIONS, &[]).await.map_err(read)?;
                let rows: Vec<(i32, i16, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
                Ok((active, rows))
            })
        })?;
        let versions = rows
            .into_iter()
            .map(|(version, state, derives)| Ok((version_of(version)?, state_of(state)?, derives)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((version_of(active)?, versions))
    }

    fn status(&self) -> StoreResult<KekStatus> {
        let (active, versions) = self.versions()?;
        let derived = versions.iter().any(|(version, _, derives)| *version == active && *derives);
        Ok(KekStatus {
            source: self.source.kind(),
            active_version: active,
            versions: versions
                .into_iter()
                .map(|(version, state, _)| KekVersionStatus { version, state, location: self.source.describe(version) })
                .collect(),
            data_key_generation: self.ring.current,
            data_key_derived_from_kek: derived,
            reseal: None,
        })
    }
}

/// KEK administration of the postgres store: status, and rotation without a new data key.
pub(super) struct Admin(pub(super) Arc<Keys>);

impl KekAdmin for Admin {
    fn status(&self) -> StoreResult<KekStatus> {
        self.0.status()
    }

    fn rotate(&self, new_data_key: bool) -> StoreResult<KekStatus> {
        let keys = &self.0;
        let _rotating = keys.rotating.lock().unwrap_or_else(|p| p.into_inner());
        let (active, versions) = keys.versions()?;
        if new_data_key {
            return Err(StoreError::Unsupported(
                "a new data key (a re-seal of every record) is not done on the postgres store yet: rotate the KEK \
                 without one"
                    .into(),
            ));
        }
        if versions.iter().any(|(version, _, derives)| *version == active && *derives) {
            return Err(StoreError::Unsupported(
                "this store's data key derives from its KEK (a store made before keyrings): replacing it needs a \
                 re-seal of every record, which the postgres store does not do yet"
                    .into(),
            ));
        }
        let version = versions.iter().map(|(version, _, _)| *version).max().unwrap_or(active) + 1;
        // A KEK left by a rotation that failed before using it is taken as it is.
        let kek = keys.source.create(version)?;
        let check = kek.wrap(CHECK_VALUE, &check_context(version))?;
        let wrapped = kek.wrap(&keys.ring.to_bytes(), &keyring_context(version))?;
        let to_column = |v: u32| i32::try_from(v).map_err(|_| StoreError::LimitExceeded(format!("KEK version {v}")));
        let (stored_version, stored_active) = (to_column(version)?, to_column(active)?);
        let rotated = keys.database.run(move |client| {
            Box::pin(async move {
                let failed = |e| backend("rotating the KEK", &e);
                let tx = client.transaction().await.map_err(failed)?;
                let current: i32 =
                    tx.query_one("SELECT kek_version FROM keyring FOR UPDATE", &[]).await.map_err(failed)?.get(0);
                if current != stored_active {
                    return Ok(false);
                }
                tx.execute("UPDATE kek_versions SET state = 3 WHERE state = 1", &[]).await.map_err(failed)?;
                tx.execute(
                    "INSERT INTO kek_versions (version, state, derives_data_key, check_value) VALUES ($1, 1, false, $2)",
                    &[&stored_version, &check],
                )
                .await
                .map_err(failed)?;
                tx.execute("UPDATE keyring SET kek_version = $1, wrapped = $2", &[&stored_version, &wrapped])
                    .await
                    .map_err(failed)?;
                tx.commit().await.map_err(failed)?;
                Ok(true)
            })
        })?;
        if !rotated {
            return Err(StoreError::Busy("another node rotated the KEK meanwhile: see the status".into()));
        }
        tracing::info!(version, location = %keys.source.describe(version), "a new key-encryption key is in force");
        keys.status()
    }

    fn wait_for_reseal(&self, _timeout: Duration) -> bool {
        // No re-seal runs on this backend.
        true
    }
}
