//! # keyward-store
//!
//! Where managed objects live. [`ObjectStore`] is what the dispatcher needs: read an object, commit
//! a set of changes atomically, find candidates for Locate through indexes. What a record is, and
//! which index terms an object has, is keyward-core's record schema ([`RecordSchema`], given at
//! open); the store seals, keeps and indexes what it is given.
//!
//! The record layer (`records`) does that once for the backends one process owns: every object
//! encrypted with AES-256-GCM under a data key of the store's keyring (which the key-encryption
//! key wraps), indexes keyed by HMACs so that no attribute value is written in clear, a cache,
//! and every commit flushed to disk (in groups) before it is acknowledged. [`SledStore`] is the
//! production backend under it, [`MemoryStore`] the one for tests. [`PostgresStore`] keeps the
//! same sealed records in PostgreSQL, for several nodes on one database.
//! A [`StoreObserver`] given at open hears about cache lookups, commits and flushes (the server's
//! metrics); the store itself knows no exporter.

// The store's unit tests compile keyward-core's record schema in, which names this crate.
#[cfg(test)]
extern crate self as keyward_store;

pub mod backup;
mod cache;
mod commit;
mod index;
mod kek;
mod keyring;
mod memory;
pub mod migrate;
mod observer;
pub mod pkcs11;
mod postgres;
mod records;
mod schema;
mod sealing;
mod sled_store;

use std::sync::Arc;

use keyward_kmip::attributes::IndexedAttribute;
use keyward_kmip::objects::ManagedObject;

pub use commit::CommitTicket;
pub use index::{IndexKind, IndexTerm};
pub use kek::{
    FileKekSource, Kek, KekAdmin, KekSource, KekState, KekStatus, KekVersionStatus, KeyEncryptionKey, ResealStatus,
};
pub use memory::MemoryStore;
pub use observer::{NoObserver, StoreObserver};
pub use postgres::{
    BACKEND as POSTGRES_BACKEND, DEFAULT_POOL_SIZE as POSTGRES_DEFAULT_POOL_SIZE, PostgresOptions, PostgresRestored,
    PostgresStore, database_url as postgres_database_url, verify_postgres_backup,
};
pub use schema::{RecordSchema, Schema};
pub use sled_store::{
    CompactReport, DEFAULT_INDEX_SNAPSHOT_INTERVAL, FlushFault, SLED_DIR, SledOptions, SledStore, Snapshot,
    VerifyReport, default_cache_capacity, derive_key_offline,
};
use zeroize::Zeroizing;

/// A managed object as the store keeps it: the object (absent once destroyed: its metadata stays),
/// its attributes with their 1.x indexes, and its owner.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    pub unique_identifier: String,
    /// The client identity that created or registered the object.
    pub owner: String,
    pub object: Option<ManagedObject>,
    pub attributes: Vec<IndexedAttribute>,
    /// Bumped by every committed update; an update must name the revision it read.
    pub revision: u64,
}

/// One change of a commit.
#[derive(Clone, Debug)]
pub enum Change {
    /// A new object; the commit fails if its identifier exists.
    Insert(StoredObject),
    /// A new state of an object, which must still be at the revision it carries.
    Update(StoredObject),
}

impl Change {
    /// The object inserted or updated.
    pub fn object(&self) -> &StoredObject {
        let (Change::Insert(object) | Change::Update(object)) = self;
        object
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An insert of an identifier that exists, an update of an object changed in between, or a
    /// claim (a Name of its owner) that another object holds since the caller checked: the
    /// caller runs its request again and finds what changed.
    #[error("conflict on {0}: the object changed or already exists, or one of its names is taken")]
    Conflict(String),
    #[error("the key-encryption key does not open this store (wrong KEK?)")]
    WrongKek,
    /// The KEK could not be had: a missing or too widely readable file, an absent token, a wrong
    /// PIN. The message says which and where.
    #[error("the key-encryption key is unavailable: {0}")]
    KekUnavailable(String),
    /// The request waits on work in progress (a re-seal): the message says what to wait for.
    #[error("busy: {0}")]
    Busy(String),
    /// What this store does not do (yet): the message says what instead.
    #[error("not supported by this store: {0}")]
    Unsupported(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("flushing to disk failed: {0}")]
    Durability(String),
    /// The store on disk holds less than it acknowledged, or cannot be read: refused at open.
    #[error("the store is damaged: {0}")]
    Damaged(String),
    /// Changes are refused for now (a write to disk failed; the store is recovering), reads go on.
    #[error("the store cannot take changes now: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Backend(String),
    /// The record is larger than the store can hold (see [`MAX_INDEX_TERMS`]); nothing was written.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> StoreError {
        match error {
            // A checksum that failed on a read: damage, said as such (a client gets General
            // Failure, the log a loud line, an open a refusal).
            sled::Error::Corruption { .. } => StoreError::Corrupt(error.to_string()),
            error => StoreError::Backend(error.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The most index terms one object may have (its owner, type, algorithm and state, and one per
/// Name and Object Group): a record's clear header counts them in 16 bits. A commit of an object
/// with more is refused whole, in every backend, rather than written with a count that would make
/// it unreadable once it leaves the cache.
pub const MAX_INDEX_TERMS: usize = u16::MAX as usize;

/// Refuses an object with more index terms than [`MAX_INDEX_TERMS`].
pub(crate) fn check_index_terms(unique_identifier: &str, count: usize) -> StoreResult<()> {
    if count > MAX_INDEX_TERMS {
        return Err(StoreError::LimitExceeded(format!(
            "object {unique_identifier} would have {count} indexed values (names, groups...); at most {MAX_INDEX_TERMS}"
        )));
    }
    Ok(())
}

/// A server that shares the store, as the store knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeLease {
    /// Its lease's name: random per start and per connection to the database.
    pub node: String,
    /// This process.
    pub this_node: bool,
    /// Seconds until its lease expires (negative: expired; it serves nothing from its cache).
    pub lease_seconds_left: f64,
}

/// What the dispatcher needs of a store. Implementations are shared by all connections: no call
/// holds a lock across objects.
pub trait ObjectStore: Send + Sync {
    /// The object with this identifier, shared with the store's cache: most readers (Get,
    /// Encrypt...) only look at it, and a deep copy of every attribute per request is measurable.
    /// A caller that changes it takes its own copy (`Arc::unwrap_or_clone`, `Arc::make_mut`).
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>>;

    /// Applies all changes or none. The returned ticket completes when the changes are on disk;
    /// the response must not be sent before.
    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket>;

    /// The identifiers of the objects that match every term (all objects when there are none).
    /// Candidates only: the caller checks the full filter on the objects.
    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>>;

    /// A ticket for every commit a reader may have seen so far: a response that read objects is
    /// sent once it completes, so that no client acts on a change a power cut could still erase.
    /// Ready at once (and cheap) when nothing is pending.
    fn read_fence(&self) -> CommitTicket;

    /// Writes everything committed so far to disk (shutdown).
    fn flush(&self) -> StoreResult<()>;

    /// True when a call waits on the network (a database server) rather than on memory or a
    /// local disk: the store is shared with other servers, whose changes to settings (grants,
    /// rotation policies) keyward-core reads again. Such a store announces its own waits to the
    /// caller's runtime.
    fn waits_on_network(&self) -> bool {
        false
    }

    /// Whether this process runs the cluster-wide background job `job` now (the rotation
    /// scheduler): always, on a store one process owns; on a store several servers share, for one
    /// process at a time, until it stops or loses the database (then another takes over at its
    /// next try). Asked before each run of the job.
    fn lead(&self, _job: &str) -> StoreResult<bool> {
        Ok(true)
    }

    /// The server's own records beside the managed objects (access grants, rotation policies
    /// and schedules...): the value of `key`, sealed at rest like an object. Their meaning is
    /// keyward-core's; the store only keeps them.
    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>>;

    /// Every setting whose key starts with `prefix`, in key order.
    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>>;

    /// Writes (or, with `None`, deletes) the setting `key`. Durable when the ticket completes;
    /// the caller serializes writers of one key (the store keeps the last write).
    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket>;

    /// Writes a consistent backup of the whole store to `out` (see [`backup`]): every commit
    /// acknowledged before the call, still sealed. A store that keeps nothing worth a backup
    /// (memory) refuses.
    fn backup(&self, created: i64, out: &mut dyn std::io::Write) -> StoreResult<backup::Manifest> {
        let _ = (created, out);
        Err(StoreError::Backend("this store keeps no backups".into()))
    }

    /// The servers that share this store and hold a lease on a cache of it (see the postgres
    /// store's `coherence`), this one marked; `None` for a store one process owns.
    fn cluster_nodes(&self) -> StoreResult<Option<Vec<NodeLease>>> {
        Ok(None)
    }

    /// KEK status and rotation, for a store that has a KEK (none by default: the memory store).
    fn kek_admin(&self) -> Option<Arc<dyn KekAdmin>> {
        None
    }
}
