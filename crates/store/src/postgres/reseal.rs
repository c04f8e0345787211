//! The re-seal of the postgres store after a new data key (see `rotation`): every record and
//! setting still sealed under an older data key is sealed again under the current one, then the
//! old keys leave the keyring.
//!
//! One node at a time does it (the job's advisory lock); the others wait until the keyring drops
//! the old keys. What is left to do is found in the database by the sealed values' clear prefix
//! (the marker and the generation, `sealing::generation_prefix`), so a re-seal cut short by a
//! crash resumes at the next start of any node, and a record written meanwhile (sealed under the
//! current key already) is not in its way. A record is rewritten only if it is still the value
//! read (`sealed = old`): a concurrent update wins, and was sealed under the current key. The
//! revision does not move (the record says the same), so no cache is invalidated.
//!
//! The old keys are dropped only once a pass found nothing left, every node with a lease
//! confirmed again that it seals under the current key (a keyring invalidation), and, inside the
//! dropping transaction (which locks the keyring row against the generation check of nodes
//! without a lease), nothing is left.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::PostgresStore;
use super::coherence;
use super::database::backend;
use super::keyring::generations_of;
use super::rotation::Keys;
use super::write::{await_peers, live_peers};
use crate::keyring::keyring_context;
use crate::sealing::generation_prefix;
use crate::{StoreError, StoreResult};

/// The job's name, for its advisory lock.
const JOB: &str = "reseal";
/// Records re-sealed per round trip.
const BATCH: i64 = 256;

const LEFT_OBJECTS: &str = "SELECT id, unique_identifier, revision, index_keys, sealed FROM objects
     WHERE id > $1 AND substring(sealed FROM 1 FOR 8) IS DISTINCT FROM $2 ORDER BY id LIMIT $3";
const RESEAL_OBJECTS: &str = "UPDATE objects SET sealed = u.new
     FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS u(id, old, new)
     WHERE objects.id = u.id AND objects.sealed = u.old";
const LEFT_SETTINGS: &str =
    "SELECT key, sealed FROM settings WHERE substring(sealed FROM 1 FOR 8) IS DISTINCT FROM $1 ORDER BY key";
const RESEAL_SETTING: &str = "UPDATE settings SET sealed = $3 WHERE key = $1 AND sealed = $2";
const ANYTHING_LEFT: &str =
    "SELECT EXISTS (SELECT 1 FROM objects WHERE substring(sealed FROM 1 FOR 8) IS DISTINCT FROM $1)
     OR EXISTS (SELECT 1 FROM settings WHERE substring(sealed FROM 1 FOR 8) IS DISTINCT FROM $1)";

/// What the status tells of this node's re-seal.
#[derive(Default)]
pub(super) struct Progress {
    done: AtomicU64,
    running: AtomicBool,
    error: Mutex<Option<String>>,
}

impl Progress {
    pub(super) fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    pub(super) fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    pub(super) fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_error(&self, error: Option<String>) {
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }
}

/// Starts the re-seal's thread.
pub(super) fn start(keys: Arc<Keys>) -> Option<JoinHandle<()>> {
    keys.progress.running.store(true, Ordering::Release);
    let spawned = std::thread::Builder::new().name("keyward-reseal".into()).spawn({
        let keys = Arc::clone(&keys);
        move || run(&keys)
    });
    match spawned {
        Ok(handle) => Some(handle),
        Err(error) => {
            keys.progress.running.store(false, Ordering::Release);
            keys.progress.set_error(Some(format!("the re-seal could not start: {error}")));
            None
        }
    }
}

/// Re-seals until the keyring holds no old data key (this node's work or another's), or the store
/// closes.
fn run(keys: &Keys) {
    while !keys.closing.load(Ordering::Acquire) && !keys.ring.held().older_generations().is_empty() {
        let outcome = match keys.database.lead(super::job_lock_key(JOB)) {
            Ok(true) => reseal_once(keys),
            // Another node re-seals: its last step reaches this one as a keyring invalidation.
            Ok(false) => Ok(false),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(true) => {
                keys.progress.set_error(None);
                tracing::info!(objects = keys.progress.done(), "the re-seal is done: the old data keys are gone");
            }
            Ok(false) => pause(keys, Duration::from_secs(1)),
            Err(error) => {
                tracing::error!(%error, "the re-seal failed; it is tried again in a few seconds");
                keys.progress.set_error(Some(error.to_string()));
                pause(keys, Duration::from_secs(5));
            }
        }
    }
    keys.progress.running.store(false, Ordering::Release);
}

/// Sleeps for `time`, waking early when the store closes.
fn pause(keys: &Keys, time: Duration) {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < time && !keys.closing.load(Ordering::Acquire) {
        std::thread::sleep(step);
        slept += step;
    }
}

/// One pass over what is left, then the end if nothing is: whether the old keys are gone.
fn reseal_once(keys: &Keys) -> StoreResult<bool> {
    let current = keys.ring.held().current;
    let prefix = generation_prefix(current).to_vec();
    if !reseal_objects(keys, current, &prefix)? || !reseal_settings(keys, current, &prefix)? {
        return Ok(false);
    }
    drop_old_keys(keys, &prefix)
}

/// Re-seals the records left, in batches; false when it stopped early (the store closes, or a
/// newer data key came).
fn reseal_objects(keys: &Keys, current: u32, prefix: &[u8]) -> StoreResult<bool> {
    let sealer = Arc::clone(keys.ring.sealer());
    let mut cursor = 0_i64;
    loop {
        if keys.closing.load(Ordering::Acquire) {
            return Ok(false);
        }
        let left_prefix = prefix.to_vec();
        let rows = keys.database.run(move |client| {
            Box::pin(async move {
                let read = |e| backend("reading records to re-seal", &e);
                let rows = client.query(LEFT_OBJECTS, &[&cursor, &left_prefix, &BATCH]).await.map_err(read)?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect::<Vec<(
                    i64,
                    String,
                    i64,
                    Vec<u8>,
                    Vec<u8>,
                )>>())
            })
        })?;
        let Some(last) = rows.last() else { return Ok(true) };
        cursor = last.0;
        // Sealed and written under the sealing gate, as any write: the old keys are dropped only
        // when no write under them is in flight.
        let _sealing = keys.ring.sealing();
        if keys.ring.held().current != current {
            return Ok(false);
        }
        let (mut ids, mut old, mut new) = (Vec::new(), Vec::new(), Vec::new());
        for (id, uid, revision, index_keys, sealed) in rows {
            let context = PostgresStore::context(&uid, revision, &index_keys);
            let plaintext = sealer
                .open(&sealed, &context)
                .map_err(|e| StoreError::Corrupt(format!("the record of {uid} cannot be re-sealed: {e}")))?;
            new.push(sealer.seal(&plaintext, &context)?);
            ids.push(id);
            old.push(sealed);
        }
        let count = ids.len();
        keys.database.run(move |client| {
            Box::pin(async move {
                client
                    .execute(RESEAL_OBJECTS, &[&ids, &old, &new])
                    .await
                    .map_err(|e| backend("re-sealing records", &e))?;
                Ok(())
            })
        })?;
        keys.progress.done.fetch_add(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// Re-seals the settings left (a few: grants, rotation policies); false when a newer data key came.
fn reseal_settings(keys: &Keys, current: u32, prefix: &[u8]) -> StoreResult<bool> {
    let left_prefix = prefix.to_vec();
    let rows = keys.database.run(move |client| {
        Box::pin(async move {
            let rows = client
                .query(LEFT_SETTINGS, &[&left_prefix])
                .await
                .map_err(|e| backend("reading settings to re-seal", &e))?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect::<Vec<(String, Vec<u8>)>>())
        })
    })?;
    let sealer = Arc::clone(keys.ring.sealer());
    for (key, sealed) in rows {
        let _sealing = keys.ring.sealing();
        if keys.ring.held().current != current {
            return Ok(false);
        }
        let context = crate::records::setting_context(&key);
        let plaintext = sealer
            .open(&sealed, &context)
            .map_err(|e| StoreError::Corrupt(format!("the setting {key} cannot be re-sealed: {e}")))?;
        let resealed = sealer.seal(&plaintext, &context)?;
        keys.database.run(move |client| {
            Box::pin(async move {
                client
                    .execute(RESEAL_SETTING, &[&key, &sealed, &resealed])
                    .await
                    .map_err(|e| backend("re-sealing a setting", &e))?;
                Ok(())
            })
        })?;
    }
    Ok(true)
}

/// Drops the old data keys from the keyring, if nothing is sealed under them any more and every
/// node with a lease seals under the current one (see the module's documentation).
fn drop_old_keys(keys: &Keys, prefix: &[u8]) -> StoreResult<bool> {
    let confirm = keys.coherence.outgoing_keyring();
    let (node, payload) = (keys.coherence.node.clone(), confirm.payload.clone());
    let peers = keys.database.run(move |client| {
        Box::pin(async move {
            client
                .execute(coherence::NOTIFY, &[&coherence::INVALIDATE, &payload])
                .await
                .map_err(|e| backend("asking the nodes about their keys", &e))?;
            live_peers(client, &node).await
        })
    });
    let peers = peers.inspect_err(|_| keys.coherence.done(confirm.token))?;
    await_peers(&keys.database, &keys.coherence, keys.observer.as_ref(), &confirm, peers)?;

    let (held_generations, remaining) = {
        let held = keys.ring.held();
        (generations_of(&held), held.retaining_current_only())
    };
    let version: i32 = keys.database.run(|client| {
        Box::pin(async move {
            let row = client
                .query_one("SELECT kek_version FROM keyring", &[])
                .await
                .map_err(|e| backend("reading the keyring", &e))?;
            Ok(row.get(0))
        })
    })?;
    let kek_version = super::keyring::version_of(version)?;
    let kek = keys.ring.source().open(kek_version)?;
    let wrapped = kek.wrap(&remaining.to_bytes(), &keyring_context(kek_version))?;
    let generations = generations_of(&remaining);
    let announce = keys.coherence.outgoing_keyring();
    let payload = announce.payload.clone();
    let prefix = prefix.to_vec();
    let dropped = keys.database.run(move |client| {
        Box::pin(async move {
            let failed = |e| backend("dropping the old data keys", &e);
            let tx = client.transaction().await.map_err(failed)?;
            let row =
                tx.query_one("SELECT kek_version, generations FROM keyring FOR UPDATE", &[]).await.map_err(failed)?;
            let (now_version, now_generations): (i32, Option<Vec<i32>>) = (row.get(0), row.get(1));
            if now_version != version || now_generations.as_ref() != Some(&held_generations) {
                return Ok(false);
            }
            let left: bool = tx.query_one(ANYTHING_LEFT, &[&prefix]).await.map_err(failed)?.get(0);
            if left {
                return Ok(false);
            }
            tx.execute("UPDATE keyring SET wrapped = $1, generations = $2", &[&wrapped, &generations])
                .await
                .map_err(failed)?;
            // A KEK the old data key derived from is needed for nothing now.
            tx.execute("UPDATE kek_versions SET state = 3 WHERE state = 2", &[]).await.map_err(failed)?;
            tx.execute(coherence::NOTIFY, &[&coherence::INVALIDATE, &payload]).await.map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            Ok(true)
        })
    });
    // The other nodes follow when they hear of it; nobody needs to wait for them.
    keys.coherence.done(announce.token);
    if dropped? {
        keys.ring.install(remaining);
        return Ok(true);
    }
    Ok(false)
}
