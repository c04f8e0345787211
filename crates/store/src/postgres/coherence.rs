//! The nodes' caches of objects, kept coherent (issue 13): a node never serves an object older
//! than a commit another node acknowledged before the request arrived, and Get and Encrypt are
//! still answered from memory.
//!
//! How. Each node holds a lease in the `nodes` table, renewed on a connection of its own that
//! also LISTENs for invalidations. A commit that changed existing objects (an Update; a new
//! object is in nobody's cache, and nothing absent is cached) sends, inside its transaction, a
//! notification naming them; PostgreSQL delivers it to every listener when the transaction
//! commits. Each node drops its copies, then answers with an acknowledgement. The writer
//! acknowledges its client only once every node whose lease has not expired has answered: a
//! node that answered no longer holds the old copy, and a node that did not answer has stopped
//! serving from its cache, because it only serves while its own lease runs (by its own clock,
//! started before it asked for the lease, with a margin for clock rates), and the writer waited
//! for the lease to expire in the database's clock.
//!
//! A reader that fetched an object from the database puts it in the cache only if no
//! invalidation arrived meanwhile (a generation number, checked under the cache shard's lock, the
//! same lock the invalidation's eviction takes); otherwise the next read fetches it again. A lost
//! listening connection stops the cache at once; a new one starts it again empty.
//!
//! The cost: a change of an existing object waits one more round trip through every other
//! node; a node that dies holds up such changes until its lease expires ([`DEFAULT_LEASE`]).
//! Creates and reads pay nothing. See docs/operations/high-availability.md.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_postgres::Notification;

use super::database::{Pool, backend};
use super::keyring::Ring;
use crate::cache::{CACHED_OBJECTS, ObjectCache};
use crate::{StoreError, StoreResult, StoredObject};

/// How long a node's lease runs from its last renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);
/// The channels of the notifications.
pub(super) const INVALIDATE: &str = "keyward_invalidate";
const ACKNOWLEDGE: &str = "keyward_ack";
/// PostgreSQL refuses payloads of 8000 bytes or more; past this, an invalidation drops
/// everything and acknowledgements are sent in several notifications.
const MAX_PAYLOAD: usize = 7000;

const RENEW: &str = "INSERT INTO nodes (node_id, lease_expires) VALUES ($1, now() + make_interval(secs => $2))
     ON CONFLICT (node_id) DO UPDATE SET lease_expires = EXCLUDED.lease_expires";
const FORGET_OLD_NODES: &str = "DELETE FROM nodes WHERE lease_expires < now() - interval '1 day'";
/// This process's rows (every session's): `$1` is its name.
pub(super) const LEAVE: &str = "DELETE FROM nodes WHERE starts_with(node_id, $1 || '/')";
pub(super) const NOTIFY: &str = "SELECT pg_notify($1, $2)";
/// Every lease, with the seconds it has left (an operator's view of the cluster).
pub(super) const ALL_NODES: &str =
    "SELECT node_id, extract(epoch FROM lease_expires - now())::float8 FROM nodes ORDER BY node_id";
/// The other processes' sessions that may be serving from their caches now.
pub(super) const LIVE_PEERS: &str =
    "SELECT node_id FROM nodes WHERE lease_expires > now() AND NOT starts_with(node_id, $1 || '/')";

/// What an invalidation says: who wrote, its number for the writer, and the objects (none: all).
/// A keyring invalidation asks each node to read the keyring again before it acknowledges (a new
/// data key, or the end of a re-seal: see `rotation`).
#[derive(Serialize, Deserialize)]
struct Invalidation {
    node: String,
    token: u64,
    objects: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    keyring: bool,
}

/// An invalidation to acknowledge: its writer and number, and whether it is a keyring one.
type ToAcknowledge = (String, u64, bool);

/// What a node answers: the invalidations (writer, number) it has applied. `session` is the
/// lease row it holds (`node/number`): a process that lost its listening connection takes a new
/// one, with an empty cache, and what the old one did not acknowledge is not waited for again.
#[derive(Serialize, Deserialize)]
struct Acknowledgement {
    session: String,
    applied: Vec<(String, u64)>,
}

/// One node's cache and its part in the protocol.
pub(super) struct Coherence {
    /// This process's name: random, new at every start. Its lease rows in `nodes` are
    /// `node/1`, `node/2`... one per listening connection it had.
    pub(super) node: String,
    sessions: AtomicU64,
    cache: ObjectCache,
    lease: Duration,
    /// Nanoseconds since `epoch` until which the cache may answer; 0 while it may not.
    serving_until: AtomicU64,
    epoch: Instant,
    /// Invalidations applied; a read's copy is cached only if this did not move meanwhile.
    generation: AtomicU64,
    next_token: AtomicU64,
    /// This node's invalidations not yet acknowledged by everyone: the sessions that did.
    waiting: Mutex<HashMap<u64, HashSet<String>>>,
    acknowledged: Condvar,
    /// The keyring this node follows: read again at the start of every listening session and
    /// before acknowledging a keyring invalidation.
    ring: Option<Arc<Ring>>,
}

/// An invalidation this node sends with a commit.
pub(super) struct Outgoing {
    pub(super) token: u64,
    pub(super) payload: String,
}

impl Coherence {
    pub(super) fn new(lease: Duration, ring: Option<Arc<Ring>>) -> StoreResult<Coherence> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
        Ok(Coherence {
            node: id.iter().map(|byte| format!("{byte:02x}")).collect(),
            sessions: AtomicU64::new(0),
            cache: ObjectCache::new(CACHED_OBJECTS),
            lease,
            serving_until: AtomicU64::new(0),
            epoch: Instant::now(),
            generation: AtomicU64::new(0),
            next_token: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            acknowledged: Condvar::new(),
            ring,
        })
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether `session` (a lease row's name) is one of this process's.
    pub(super) fn is_own(&self, session: &str) -> bool {
        session.strip_prefix(self.node.as_str()).is_some_and(|rest| rest.starts_with('/'))
    }

    /// Whether the cache may answer now.
    pub(super) fn serving(&self) -> bool {
        self.nanos(Instant::now()) < self.serving_until.load(Ordering::Acquire)
    }

    /// The cached copy of an object, when the cache may answer.
    pub(super) fn cached(&self, unique_identifier: &str) -> Option<Arc<StoredObject>> {
        if self.serving() { self.cache.get(unique_identifier) } else { None }
    }

    /// The generation to give [`Coherence::keep`] for a read that starts now.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a copy read from the database, unless an invalidation was applied since the read
    /// began (`generation`): the copy may be older than that change.
    pub(super) fn keep(&self, object: &Arc<StoredObject>, generation: u64) {
        if self.serving() {
            self.cache.put_if(Arc::clone(object), || self.generation.load(Ordering::Acquire) == generation);
        }
    }

    /// Drops this node's copies of `objects` (all, for `None`). The generation moves first, so a
    /// read racing with this cannot put its older copy back (see [`Coherence::keep`]).
    pub(super) fn invalidate(&self, objects: Option<&[String]>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        match objects {
            Some(objects) => objects.iter().for_each(|uid| self.cache.forget(uid)),
            None => self.cache.clear(),
        }
    }

    /// The invalidation of a commit that changes `objects`, registered to collect its
    /// acknowledgements.
    pub(super) fn outgoing(&self, objects: Vec<String>) -> Outgoing {
        self.register(objects, false)
    }

    /// A keyring invalidation (it drops no cached object: the records say the same under a new
    /// key), registered to collect its acknowledgements.
    pub(super) fn outgoing_keyring(&self) -> Outgoing {
        self.register(Vec::new(), true)
    }

    /// An invalidation of this node's, with its number, registered to collect acknowledgements.
    fn register(&self, objects: Vec<String>, keyring: bool) -> Outgoing {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let mut invalidation = Invalidation { node: self.node.clone(), token, objects: Some(objects), keyring };
        let mut payload = serde_json::to_string(&invalidation).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            invalidation.objects = None;
            payload = serde_json::to_string(&invalidation).unwrap_or_default();
        }
        self.lock_waiting().insert(token, HashSet::new());
        Outgoing { token, payload }
    }

    /// Gives up waiting for an invalidation (its commit failed, or it was acknowledged).
    pub(super) fn done(&self, token: u64) {
        self.lock_waiting().remove(&token);
    }

    /// Waits until every session of `peers` acknowledged the invalidation `token`, for at most
    /// `until`. Returns the nodes still missing.
    pub(super) fn wait_for(&self, token: u64, peers: &[String], until: Instant) -> Vec<String> {
        let mut waiting = self.lock_waiting();
        loop {
            let missing: Vec<String> = match waiting.get(&token) {
                Some(acked) => peers.iter().filter(|p| !acked.contains(*p)).cloned().collect(),
                None => Vec::new(),
            };
            let now = Instant::now();
            if missing.is_empty() || now >= until {
                return missing;
            }
            waiting = self.acknowledged.wait_timeout(waiting, until - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// How long a commit waits for a node that does not answer before asking again which nodes
    /// hold leases: about one lease.
    pub(super) fn lease(&self) -> Duration {
        self.lease
    }

    fn lock_waiting(&self) -> MutexGuard<'_, HashMap<u64, HashSet<String>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A notification from the listening connection, handled as it arrives (in commit order).
    fn notified(&self, notification: &Notification, acknowledge: &mpsc::UnboundedSender<ToAcknowledge>) {
        match notification.channel() {
            INVALIDATE => {
                let Ok(invalidation) = serde_json::from_str::<Invalidation>(notification.payload()) else {
                    tracing::warn!("an invalidation that cannot be read: dropping every cached object");
                    self.invalidate(None);
                    return;
                };
                self.invalidate(invalidation.objects.as_deref());
                if invalidation.node != self.node {
                    let _ = acknowledge.send((invalidation.node, invalidation.token, invalidation.keyring));
                }
            }
            ACKNOWLEDGE => {
                let Ok(acknowledgement) = serde_json::from_str::<Acknowledgement>(notification.payload()) else {
                    return;
                };
                let mut waiting = self.lock_waiting();
                let mut any = false;
                for (writer, token) in acknowledgement.applied {
                    if writer == self.node
                        && let Some(acked) = waiting.get_mut(&token)
                    {
                        acked.insert(acknowledgement.session.clone());
                        any = true;
                    }
                }
                drop(waiting);
                if any {
                    self.acknowledged.notify_all();
                }
            }
            _ => {}
        }
    }

    fn serve_until(&self, until: Option<Instant>) {
        self.serving_until.store(until.map_or(0, |at| self.nanos(at)), Ordering::Release);
    }
}

/// Runs this node's side while the store lives: listens, renews the lease, acknowledges; after a
/// lost connection, the cache stops and everything starts again a second later.
pub(super) async fn run(coherence: Arc<Coherence>, pool: Arc<Pool>) {
    loop {
        if let Err(error) = session(&coherence, &pool).await {
            tracing::warn!(%error, "the object cache is off until the database is reached again");
        }
        coherence.serve_until(None);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One listening connection, for as long as it lasts.
async fn session(coherence: &Arc<Coherence>, pool: &Pool) -> StoreResult<()> {
    let (acknowledge, mut to_acknowledge) = mpsc::unbounded_channel();
    let handler = Arc::clone(coherence);
    let (client, mut ended) =
        pool.connect_listening(move |notification| handler.notified(&notification, &acknowledge)).await?;
    let failed = |doing: &'static str| move |e: tokio_postgres::Error| backend(doing, &e);
    client.batch_execute(&format!("LISTEN {INVALIDATE}; LISTEN {ACKNOWLEDGE}")).await.map_err(failed("listening"))?;
    // Whatever is cached may have missed invalidations while nobody listened, and the keyring a
    // change of data keys.
    coherence.invalidate(None);
    if let Some(ring) = &coherence.ring {
        Ring::follow_database(ring, &client).await?;
    }
    // The rows of this process's earlier sessions go: whatever they did not acknowledge is not
    // in this session's cache, and writers waiting for them need not wait for their leases.
    client.execute(LEAVE, &[&coherence.node]).await.map_err(failed("renewing the lease"))?;
    let _ = client.execute(FORGET_OLD_NODES, &[]).await;
    let session = format!("{}/{}", coherence.node, coherence.sessions.fetch_add(1, Ordering::Relaxed) + 1);
    let renew = client.prepare(RENEW).await.map_err(failed("renewing the lease"))?;
    let notify = client.prepare(NOTIFY).await.map_err(failed("acknowledging"))?;
    let seconds = coherence.lease.as_secs_f64();
    loop {
        let asked = Instant::now();
        client.execute(&renew, &[&session, &seconds]).await.map_err(failed("renewing the lease"))?;
        // Counted from before the request, less a tenth for clock rates: the database's lease
        // ends after this.
        coherence.serve_until(Some(asked + coherence.lease.mul_f64(0.9)));
        let next_renewal = tokio::time::Instant::from_std(asked + coherence.lease / 4);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next_renewal) => break,
                _ = &mut ended => {
                    return Err(StoreError::Backend("the listening connection to the database ended".into()));
                }
                Some(first) = to_acknowledge.recv() => {
                    let mut received = vec![first];
                    while let Ok(more) = to_acknowledge.try_recv() {
                        received.push(more);
                    }
                    // Switched to the keyring's new data key (and no write under the old one in
                    // flight) before saying so; a node that cannot stops serving instead.
                    if received.iter().any(|(_, _, keyring)| *keyring)
                        && let Some(ring) = &coherence.ring
                    {
                        Ring::follow_database(ring, &client).await?;
                    }
                    let applied: Vec<(String, u64)> =
                        received.into_iter().map(|(writer, token, _)| (writer, token)).collect();
                    for chunk in applied.chunks(64) {
                        let payload = serde_json::to_string(&Acknowledgement {
                            session: session.clone(),
                            applied: chunk.to_vec(),
                        })
                        .unwrap_or_default();
                        client.execute(&notify, &[&ACKNOWLEDGE, &payload]).await.map_err(failed("acknowledging"))?;
                    }
                }
            }
        }
    }
}

/// A commit's invalidation that some node did not acknowledge in time.
pub(super) fn unacknowledged(missing: &[String]) -> StoreError {
    StoreError::Backend(format!(
        "the change is committed, but {} node(s) did not confirm dropping their copies in time ({}): retry the request",
        missing.len(),
        missing.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(uid: &str, revision: u64) -> Arc<StoredObject> {
        Arc::new(StoredObject {
            unique_identifier: uid.into(),
            owner: "o".into(),
            object: None,
            attributes: vec![],
            revision,
        })
    }

    #[test]
    fn nothing_is_served_without_a_lease() {
        let coherence = Coherence::new(DEFAULT_LEASE, None).unwrap();
        coherence.keep(&object("a", 1), coherence.generation());
        assert!(coherence.cached("a").is_none());
        coherence.serve_until(Some(Instant::now() + Duration::from_secs(60)));
        coherence.keep(&object("a", 1), coherence.generation());
        assert_eq!(coherence.cached("a").unwrap().revision, 1);
        coherence.serve_until(Some(Instant::now()));
        assert!(coherence.cached("a").is_none(), "an expired lease stops the cache");
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_kept() {
        let coherence = Coherence::new(DEFAULT_LEASE, None).unwrap();
        coherence.serve_until(Some(Instant::now() + Duration::from_secs(60)));
        let before = coherence.generation();
        coherence.invalidate(Some(&["a".to_string()]));
        coherence.keep(&object("a", 1), before);
        assert!(coherence.cached("a").is_none());
        coherence.keep(&object("a", 2), coherence.generation());
        coherence.invalidate(Some(&["a".to_string()]));
        assert!(coherence.cached("a").is_none(), "an invalidation drops the copy");
    }

    #[test]
    fn this_process_knows_its_own_sessions() {
        let coherence = Coherence::new(DEFAULT_LEASE, None).unwrap();
        assert!(coherence.is_own(&format!("{}/3", coherence.node)));
        assert!(!coherence.is_own(&format!("{}x/3", coherence.node)));
        assert!(!coherence.is_own("another/1"));
    }

    #[test]
    fn a_long_invalidation_drops_everything() {
        let coherence = Coherence::new(DEFAULT_LEASE, None).unwrap();
        let outgoing = coherence.outgoing((0..1000).map(|i| format!("object-{i:08}")).collect());
        assert!(outgoing.payload.len() < MAX_PAYLOAD);
        let read: Invalidation = serde_json::from_str(&outgoing.payload).unwrap();
        assert!(read.objects.is_none());
        assert_eq!(coherence.wait_for(outgoing.token, &[], Instant::now()), Vec::<String>::new());
        let missing = coherence.wait_for(outgoing.token, &["b".into()], Instant::now());
        assert_eq!(missing, ["b"]);
    }
}
