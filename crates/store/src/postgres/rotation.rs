//! KEK administration of the postgres store: status, KEK rotation, and a new data key.
//!
//! A KEK rotation rewraps the keyring under a new KEK version, in one transaction: the keys do
//! not change, so the other nodes keep sealing and opening as before, and need the new KEK only at
//! their next start.
//!
//! A new data key (asked for, or the first rotation of a store whose data key derives from its
//! KEK) changes what every node seals with, so the nodes agree on it before any record moves:
//! 1. The keyring with a new current data key (the old ones kept) is written under the *active*
//!    KEK, which every node holds, with a keyring invalidation in the same transaction. Each node
//!    reads the keyring again and switches (waiting for its own writes sealed under the old key
//!    to commit: `Ring::install`) before it acknowledges; the rotating node waits for every node
//!    whose lease runs, as for any invalidation. A node without a lease writes only after
//!    checking the keyring's generations inside its transaction (`write::write_commit`), and
//!    reads the keyring again when it meets a record sealed under a key it lacks.
//! 2. The keyring is rewrapped under the new KEK version, as in a plain rotation.
//! 3. The re-seal (`reseal`) moves every record and setting to the new data key in the
//!    background, on one node at a time, resumable (what is left to do is found by the sealed
//!    values' clear prefix), then drops the old keys from the keyring.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::coherence::{self, Coherence};
use super::database::{Database, backend};
use super::keyring::{Ring, generations_of, state_of, version_column, version_of};
use super::reseal::Progress;
use super::write::{await_peers, live_peers};
use crate::kek::{KekAdmin, KekState, KekStatus, KekVersionStatus, ResealStatus};
use crate::keyring::{CHECK_VALUE, check_context, keyring_context};
use crate::observer::StoreObserver;
use crate::{StoreError, StoreResult};

const SELECT_VERSIONS: &str = "SELECT version, state, derives_data_key FROM kek_versions ORDER BY version";

/// A KEK version the database knows: its number, its state, and whether the data key derives
/// from it.
type KnownVersion = (u32, KekState, bool);

/// The store's keys and what changes them, shared by the store, its [`KekAdmin`] and the re-seal.
pub(super) struct Keys {
    pub(super) database: Arc<Database>,
    pub(super) ring: Arc<Ring>,
    pub(super) coherence: Arc<Coherence>,
    pub(super) observer: Arc<dyn StoreObserver>,
    /// Whether this handle listens for invalidations (a server's does; a tool's does not).
    caching: bool,
    /// Held by a rotation of this node.
    rotating: Mutex<()>,
    pub(super) progress: Progress,
    /// The re-seal's thread, while one runs here.
    worker: Mutex<Option<JoinHandle<()>>>,
    /// Set when the store is dropped: the re-seal stops at its next batch.
    pub(super) closing: AtomicBool,
}

impl Keys {
    pub(super) fn new(
        database: Arc<Database>,
        ring: Arc<Ring>,
        coherence: Arc<Coherence>,
        observer: Arc<dyn StoreObserver>,
        caching: bool,
    ) -> Keys {
        Keys {
            database,
            ring,
            coherence,
            observer,
            caching,
            rotating: Mutex::new(()),
            progress: Progress::default(),
            worker: Mutex::new(None),
            closing: AtomicBool::new(false),
        }
    }

    /// A key of the keyring's for `purpose` (see `KeyRing::derive`).
    pub(super) fn derive(&self, purpose: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        self.ring.held().derive(purpose)
    }

    /// Starts the re-seal when the keyring still holds old data keys and none runs here (at open,
    /// after a new data key). A tool's handle leaves it to the servers.
    pub(super) fn resume_reseal(self: &Arc<Self>) {
        if !self.caching || self.ring.held().older_generations().is_empty() {
            return;
        }
        let mut worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        if worker.as_ref().is_some_and(|w| !w.is_finished()) {
            return;
        }
        *worker = super::reseal::start(Arc::clone(self));
    }

    /// Stops the re-seal (the store is dropped) and waits for its thread.
    pub(super) fn stop(&self) {
        self.closing.store(true, Ordering::Release);
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(worker) = worker {
            let _ = worker.join();
        }
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
        let (current, older) = {
            let held = self.ring.held();
            (held.current, held.older_generations())
        };
        let running = self.progress.running();
        let reseal = (!older.is_empty() || running).then(|| ResealStatus {
            from_generations: older,
            objects_done: self.progress.done(),
            running,
            error: self.progress.error(),
        });
        let source = self.ring.source();
        Ok(KekStatus {
            source: source.kind(),
            active_version: active,
            versions: versions
                .into_iter()
                .map(|(version, state, _)| KekVersionStatus { version, state, location: source.describe(version) })
                .collect(),
            data_key_generation: current,
            data_key_derived_from_kek: derived,
            reseal,
        })
    }

    /// Step 1 of a new data key (see the module's documentation): a keyring with a new current
    /// data key, wrapped under the active KEK `active`; every node with a lease switches to it
    /// before this returns (or the wait's error says which did not).
    fn new_data_key(&self, active: u32) -> StoreResult<()> {
        let ring = self.ring.held().with_new_data_key()?;
        let kek = self.ring.source().open(active)?;
        let wrapped = kek.wrap(&ring.to_bytes(), &keyring_context(active))?;
        let generations = generations_of(&ring);
        let stored_active = version_column(active)?;
        let outgoing = self.coherence.outgoing_keyring();
        let (node, payload) = (self.coherence.node.clone(), outgoing.payload.clone());
        let written = self.database.run(move |client| {
            Box::pin(async move {
                let failed = |e| backend("writing a new data key", &e);
                let tx = client.transaction().await.map_err(failed)?;
                let current: i32 =
                    tx.query_one("SELECT kek_version FROM keyring FOR UPDATE", &[]).await.map_err(failed)?.get(0);
                if current != stored_active {
                    return Ok(None);
                }
                tx.execute("UPDATE keyring SET wrapped = $1, generations = $2", &[&wrapped, &generations])
                    .await
                    .map_err(failed)?;
                tx.execute(coherence::NOTIFY, &[&coherence::INVALIDATE, &payload]).await.map_err(failed)?;
                tx.commit().await.map_err(failed)?;
                Ok(Some(live_peers(client, &node).await?))
            })
        });
        let peers = match written {
            Ok(Some(peers)) => peers,
            Ok(None) => {
                self.coherence.done(outgoing.token);
                return Err(StoreError::Busy("another node rotated the KEK meanwhile: see the status".into()));
            }
            Err(error) => {
                self.coherence.done(outgoing.token);
                return Err(error);
            }
        };
        let generation = ring.current;
        self.ring.install(ring);
        tracing::info!(generation, "a new data key seals this store's records from now on");
        await_peers(&self.database, &self.coherence, self.observer.as_ref(), &outgoing, peers)
    }

    /// Waits until no re-seal is left to do here, for at most `timeout`.
    fn wait_for_reseal(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        loop {
            let idle = self.ring.held().older_generations().is_empty() && !self.progress.running();
            if idle || Instant::now() >= until {
                return idle;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// KEK administration of the postgres store.
pub(super) struct Admin(pub(super) Arc<Keys>);

impl KekAdmin for Admin {
    fn status(&self) -> StoreResult<KekStatus> {
        self.0.status()
    }

    fn rotate(&self, new_data_key: bool) -> StoreResult<KekStatus> {
        let keys = &self.0;
        let _rotating = keys.rotating.lock().unwrap_or_else(|p| p.into_inner());
        let (active, versions) = keys.versions()?;
        let derived = versions.iter().any(|(version, _, derives)| *version == active && *derives);
        let new_data_key = new_data_key || derived;
        if new_data_key && !keys.caching {
            return Err(StoreError::Unsupported(
                "a new data key is made through a server (this handle takes no part in the nodes' agreement on it)"
                    .into(),
            ));
        }
        if new_data_key && !keys.ring.held().older_generations().is_empty() {
            return Err(StoreError::Busy(
                "a re-seal to the last new data key is still running: wait until the status shows none".into(),
            ));
        }
        let version = versions.iter().map(|(version, _, _)| *version).max().unwrap_or(active) + 1;
        // A KEK left by a rotation that failed before using it is taken as it is.
        let kek = keys.ring.source().create(version)?;
        if new_data_key && let Err(error) = keys.new_data_key(active) {
            if keys.ring.held().older_generations().is_empty() {
                return Err(error);
            }
            // The new data key is in force; a node that did not confirm follows when it meets it.
            tracing::warn!(%error, "a new data key is in force, but not every node confirmed it in time");
        }
        // Whatever happens to the rewrap, the records move to the new data key.
        keys.resume_reseal();
        let check = kek.wrap(CHECK_VALUE, &check_context(version))?;
        let (wrapped, generations) = {
            let held = keys.ring.held();
            (kek.wrap(&held.to_bytes(), &keyring_context(version))?, generations_of(&held))
        };
        let (stored_version, stored_active) = (version_column(version)?, version_column(active)?);
        // The old KEK is needed for nothing once the keyring is wrapped under the new one; but
        // one the data key derives from opens records until the re-seal has moved them.
        let old_state: i16 = if derived { 2 } else { 3 };
        let rotated = keys.database.run(move |client| {
            Box::pin(async move {
                let failed = |e| backend("rotating the KEK", &e);
                let tx = client.transaction().await.map_err(failed)?;
                let current: i32 =
                    tx.query_one("SELECT kek_version FROM keyring FOR UPDATE", &[]).await.map_err(failed)?.get(0);
                if current != stored_active {
                    return Ok(false);
                }
                tx.execute("UPDATE kek_versions SET state = $1 WHERE state = 1", &[&old_state]).await.map_err(failed)?;
                tx.execute(
                    "INSERT INTO kek_versions (version, state, derives_data_key, check_value) VALUES ($1, 1, false, $2)",
                    &[&stored_version, &check],
                )
                .await
                .map_err(failed)?;
                tx.execute(
                    "UPDATE keyring SET kek_version = $1, wrapped = $2, generations = $3",
                    &[&stored_version, &wrapped, &generations],
                )
                .await
                .map_err(failed)?;
                tx.commit().await.map_err(failed)?;
                Ok(true)
            })
        })?;
        if !rotated {
            return Err(StoreError::Busy("another node rotated the KEK meanwhile: see the status".into()));
        }
        tracing::info!(version, location = %keys.ring.source().describe(version), "a new key-encryption key is in force");
        keys.resume_reseal();
        keys.status()
    }

    fn wait_for_reseal(&self, timeout: Duration) -> bool {
        self.0.wait_for_reseal(timeout)
    }
}
