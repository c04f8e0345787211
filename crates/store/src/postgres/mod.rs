//! The PostgreSQL store: several Keyward nodes on one database (issue 13).
//!
//! Records are sealed exactly as in the sled store (the same [`Sealer`] under the store's keyring,
//! the same record encoding, the same index keys): the database never sees a key byte or a clear
//! attribute. Tables (see `migrations/`): `objects` (identifier, revision, index keys, sealed
//! record; its `id` is the creation sequence), `object_terms` (the Locate index), `name_claims`
//! (unique Names, a primary key), `settings` (sealed, bound to their key), `keyring` and
//! `kek_versions` (the keyring wrapped by the KEK, and a check value per KEK version: see
//! [`keyring`]) and `keyward_meta` (a database of schema 1's KEK check, until its first open).
//!
//! Coherence: each node caches decrypted objects, and a change of an existing object is
//! acknowledged only once every node that may serve from its cache dropped its copy (see
//! [`coherence`]), so a node sees every commit another node acknowledged before the read began.
//! Locate and every cache miss go to the database. A commit is one transaction: an insert of an
//! identifier that exists, an update whose revision moved (`UPDATE ... WHERE revision = $n`
//! matching no row) and a claim another object holds (a unique violation) are conflicts, as are
//! deadlocks and serialization failures (the caller runs its request again). PostgreSQL makes a
//! transaction durable at COMMIT (with `synchronous_commit` on, its default), so the ticket is
//! ready when the commit returns, and a read fence has nothing to wait for.

mod backup;
mod batch;
mod coherence;
mod database;
mod keyring;
mod reseal;
mod rotation;
mod schema;
mod tls;
mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::types::ToSql;
use zeroize::Zeroizing;

pub use self::backup::{BACKEND, Restored as PostgresRestored, verify_backup as verify_postgres_backup};
use self::coherence::Coherence;
use self::database::{Database, Pooled, backend};
use self::write::{Written, await_peers, keyring_unchanged, write_commit};
use crate::kek::{Kek, KekAdmin, KekSource};
use crate::observer::{NoObserver, StoreObserver};
use crate::records::setting_context;
use crate::sealing::Sealer;
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, Schema, StoreError, StoreResult, StoredObject};

const SELECT_OBJECT: &str = "SELECT revision, index_keys, sealed FROM objects WHERE unique_identifier = $1";
const ALL_OBJECTS: &str = "SELECT unique_identifier FROM objects ORDER BY id DESC";
/// The objects that have every one of the (distinct) index keys $1, of which there are $2.
const MATCHING_OBJECTS: &str = "SELECT o.unique_identifier FROM objects o JOIN (
         SELECT object_id FROM object_terms WHERE index_key = ANY($1)
         GROUP BY object_id HAVING count(*) = $2
     ) m ON m.object_id = o.id ORDER BY o.id DESC";
const SELECT_SETTING: &str = "SELECT sealed FROM settings WHERE key = $1";
const SETTINGS_BY_PREFIX: &str = "SELECT key, sealed FROM settings WHERE starts_with(key, $1) ORDER BY key";
const PUT_SETTING: &str = "INSERT INTO settings (key, sealed) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET sealed = EXCLUDED.sealed";
const DELETE_SETTING: &str = "DELETE FROM settings WHERE key = $1";

/// The advisory lock key of a background job: FNV-1a of its name under a prefix of ours, so that
/// it does not meet the keys other software takes on the same database by chance.
fn job_lock_key(job: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"keyward job: ".iter().chain(job.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// How the postgres store is opened.
#[derive(Clone)]
pub struct PostgresOptions {
    /// What a record is and what it is indexed by: keyward-core's record schema.
    pub schema: Schema,
    /// The most connections this process opens to the database.
    pub pool_size: usize,
    /// Told about lookups (every one goes to the database) and commits; nobody by default.
    pub observer: Arc<dyn StoreObserver>,
    /// The CA certificates (PEM) the database server's certificate must chain to. Given, every
    /// connection is TLS, and the server's name is checked against the URL's host; absent,
    /// connections are in clear.
    pub tls_ca_pem: Option<Vec<u8>>,
    /// How long this node's lease on its cache runs from each renewal: how long a node that died
    /// holds up other nodes' changes of existing objects (see [`coherence`]).
    pub lease: Duration,
    /// Whether this handle caches objects, and so takes part in keeping the nodes' caches
    /// coherent (a lease and a listening connection): a server does. A one-off tool (`store
    /// migrate`, `audit verify`) need not: it reads from the database, may create objects, and is
    /// refused a change of an existing object, which the nodes' caches would not hear of.
    pub cache: bool,
}

/// The default of [`PostgresOptions::pool_size`].
pub const DEFAULT_POOL_SIZE: usize = 16;

impl PostgresOptions {
    /// The default options, with `schema`.
    pub fn new(schema: Schema) -> PostgresOptions {
        PostgresOptions {
            schema,
            pool_size: DEFAULT_POOL_SIZE,
            observer: Arc::new(NoObserver),
            tls_ca_pem: None,
            lease: coherence::DEFAULT_LEASE,
            cache: true,
        }
    }
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("pool_size", &self.pool_size)
            .field("tls", &self.tls_ca_pem.is_some())
            .field("lease", &self.lease)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// The store on PostgreSQL.
pub struct PostgresStore {
    database: Arc<Database>,
    sealer: Arc<Sealer>,
    schema: Schema,
    /// The keyring (the KEK wraps it in the database) and its administration.
    keys: Arc<rotation::Keys>,
    observer: Arc<dyn StoreObserver>,
    coherence: Arc<Coherence>,
    /// [`PostgresOptions::cache`].
    caching: bool,
    /// The group commit of new objects.
    inserts: batch::Inserts,
}

impl PostgresStore {
    /// Connects with the default options and `kek` as the KEK of version 1 (see
    /// [`PostgresStore::connect_with_source`]).
    pub fn connect(url: &str, kek: &Kek, schema: Schema) -> StoreResult<PostgresStore> {
        PostgresStore::connect_with(url, kek, &PostgresOptions::new(schema))
    }

    /// [`PostgresStore::connect_with_source`] with `kek` as the KEK of version 1, and no other.
    pub fn connect_with(url: &str, kek: &Kek, options: &PostgresOptions) -> StoreResult<PostgresStore> {
        PostgresStore::connect_with_source(url, Arc::new(kek.clone()), options)
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
    /// libpq's `key=value` form), creates or migrates the schema, then opens the store's keyring
    /// with the KEK of the version the database names, from `source` (refused with
    /// [`StoreError::WrongKek`] when it does not open it). Only a first node on an empty database
    /// makes the keyring, under KEK version 1 (made by `source` if need be).
    pub fn connect_with_source(
        url: &str,
        source: Arc<dyn KekSource>,
        options: &PostgresOptions,
    ) -> StoreResult<PostgresStore> {
        let database = Arc::new(connect_database(url, options)?);
        let opened = keyring::open(&database, source.as_ref())?;
        tracing::debug!(kek_version = opened.version, "opened the store's keyring");
        let ring = Arc::new(keyring::Ring::new(source, opened.ring));
        let sealer = Arc::clone(ring.sealer());
        let coherence = Arc::new(Coherence::new(options.lease, options.cache.then(|| Arc::clone(&ring)))?);
        if options.cache {
            database.spawn_coherence(Arc::clone(&coherence));
            // A change waits for the other nodes' acknowledgements, which only a node listening
            // hears: the first session is given a lease's time to start (a few milliseconds).
            let until = Instant::now() + options.lease;
            while !coherence.serving() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let keys = Arc::new(rotation::Keys::new(
            Arc::clone(&database),
            ring,
            Arc::clone(&coherence),
            Arc::clone(&options.observer),
            options.cache,
        ));
        // A re-seal cut short (this node or another stopped) goes on.
        keys.resume_reseal();
        let inserts = database.start_inserts();
        Ok(PostgresStore {
            inserts,
            database,
            sealer,
            schema: Arc::clone(&options.schema),
            keys,
            observer: Arc::clone(&options.observer),
            coherence,
            caching: options.cache,
        })
    }

    /// A key for another purpose of the server than sealing records (the audit trail's
    /// checkpoints), derived from the keyring as [`crate::SledStore::derive_key`] does: the same
    /// on every node and across KEK rotations, computable only with the KEK.
    pub fn derive_key(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        self.keys.derive(purpose)
    }

    /// The schema version this build creates.
    pub fn schema_version() -> i32 {
        schema::latest()
    }

    /// What a record's seal is bound to: its identifier, revision and index keys.
    fn context(unique_identifier: &str, revision: i64, index_keys: &[u8]) -> Vec<u8> {
        let mut context = Vec::with_capacity(unique_identifier.len() + 9 + index_keys.len());
        context.extend_from_slice(unique_identifier.as_bytes());
        context.push(0);
        context.extend_from_slice(&revision.to_be_bytes());
        context.extend_from_slice(index_keys);
        context
    }

    /// Opens the sealed record of `unique_identifier` as a row holds it, and checks that it names
    /// that object.
    fn open_record(
        sealer: &Sealer,
        schema: &Schema,
        unique_identifier: &str,
        revision: i64,
        index_keys: &[u8],
        sealed: &[u8],
    ) -> StoreResult<StoredObject> {
        let plaintext = sealer.open(sealed, &Self::context(unique_identifier, revision, index_keys))?;
        let revision = u64::try_from(revision).map_err(|_| StoreError::Corrupt("a negative revision".into()))?;
        let object = schema.decode(&plaintext, revision)?;
        if object.unique_identifier != unique_identifier {
            return Err(StoreError::Corrupt(format!("the record of {unique_identifier} names another object")));
        }
        Ok(object)
    }
}

impl PostgresStore {
    /// The generations a write must check in its transaction: this node's, when it may have
    /// missed a keyring change (it hears of none: a tool's handle, or a node without a lease).
    fn keyring_to_check(&self) -> Option<Vec<i32>> {
        (!self.coherence.serving()).then(|| self.keys.ring.generations())
    }

    /// Reads the keyring again and switches to it (see `keyring::Ring::follow`).
    fn follow_keyring(&self) -> StoreResult<()> {
        let ring = Arc::clone(&self.keys.ring);
        let row = self.database.run(|client| Box::pin(async move { keyring::read_row(client).await }))?;
        let row = row.ok_or_else(|| StoreError::Corrupt("the database has no keyring".into()))?;
        ring.follow(&row)
    }

    /// Runs a write (`write`: `None` when the keyring changed under a writer that had to check it)
    /// until it is done, following the keyring after each such refusal; a few tries at most.
    fn following_keyring<T>(&self, mut write: impl FnMut() -> StoreResult<Option<T>>) -> StoreResult<T> {
        for _ in 0..3 {
            if let Some(done) = write()? {
                return Ok(done);
            }
            self.follow_keyring()?;
        }
        Err(StoreError::Busy("the store's data keys keep changing: retry the request".into()))
    }

    /// One try of [`ObjectStore::commit`]: `None` when the keyring changed under a writer that
    /// had to check it (nothing written).
    fn commit_once(&self, changes: &[Change]) -> StoreResult<Option<CommitTicket>> {
        let started = Instant::now();
        // From the seal to the COMMIT: this node's switch to a new data key waits for it.
        let sealing = self.keys.ring.sealing();
        let keyring = self.keyring_to_check();
        let mut prepared = changes.iter().map(|c| self.prepare(c)).collect::<StoreResult<Vec<_>>>()?;
        if prepared.is_empty() {
            return Ok(Some(CommitTicket::ready()));
        }
        if let [one] = prepared.as_slice()
            && one.insert
            && keyring.is_none()
            && let Some(new) = prepared.pop()
        {
            // A Create: with the other new objects of the moment, in one statement. Nobody caches
            // an object that did not exist, so there is nothing to invalidate.
            let outcome = self.inserts.insert(new)?;
            let order = self.database.wait(async move {
                outcome.await.map_err(|_| StoreError::Backend("the database runtime stopped".into()))?
            })?;
            drop(sealing);
            self.observer.commit_durable(started.elapsed());
            return Ok(Some(CommitTicket::ready().with_order(order)));
        }
        let changed: Vec<String> = prepared.iter().filter(|p| !p.insert).map(|p| p.unique_identifier.clone()).collect();
        if !changed.is_empty() && !self.caching {
            return Err(StoreError::Unsupported(
                "this handle on the database takes no part in keeping the nodes' caches coherent: it may not change \
                 existing objects"
                    .into(),
            ));
        }
        let outgoing = (!changed.is_empty()).then(|| self.coherence.outgoing(changed.clone()));
        let invalidation = outgoing.as_ref().map(|o| (self.coherence.node.clone(), o.payload.clone()));
        let written = self
            .database
            .run(move |client| Box::pin(async move { write_commit(client, prepared, invalidation, keyring).await }));
        drop(sealing);
        if outgoing.is_some() {
            // This node's own copies, whatever the outcome: a commit whose answer was lost may
            // have happened.
            self.coherence.invalidate(Some(&changed));
        }
        let written = written.inspect_err(|_| {
            if let Some(outgoing) = &outgoing {
                self.coherence.done(outgoing.token);
            }
        })?;
        let Some(Written { order, peers }) = written else {
            if let Some(outgoing) = &outgoing {
                self.coherence.done(outgoing.token);
            }
            return Ok(None);
        };
        // COMMIT returned: the transaction is durable (synchronous_commit) and visible to every
        // node.
        self.observer.commit_durable(started.elapsed());
        if let Some(outgoing) = outgoing {
            await_peers(&self.database, &self.coherence, self.observer.as_ref(), &outgoing, peers)?;
        }
        Ok(Some(CommitTicket::ready().with_order(order)))
    }

    /// One try of [`ObjectStore::put_setting`]: false when the keyring changed under a writer
    /// that had to check it (nothing written).
    fn put_setting_once(&self, key: &str, value: Option<&[u8]>) -> StoreResult<bool> {
        let _sealing = self.keys.ring.sealing();
        let keyring = self.keyring_to_check();
        let sealed = value.map(|v| self.sealer.seal(v, &setting_context(key))).transpose()?;
        let owned = key.to_string();
        self.database.run(move |client| {
            Box::pin(async move {
                let write = |e| backend("writing a setting", &e);
                let (sql, params): (&str, Vec<&(dyn ToSql + Sync)>) = match &sealed {
                    Some(sealed) => (PUT_SETTING, vec![&owned, sealed]),
                    None => (DELETE_SETTING, vec![&owned]),
                };
                let Some(expected) = &keyring else {
                    let statement = client.prepared(sql).await.map_err(write)?;
                    client.execute(&statement, &params).await.map_err(write)?;
                    return Ok(true);
                };
                let tx = client.transaction().await.map_err(write)?;
                if !keyring_unchanged(&tx, expected).await? {
                    return Ok(false);
                }
                tx.execute(sql, &params).await.map_err(write)?;
                tx.commit().await.map_err(write)?;
                Ok(true)
            })
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.keys.stop();
        // Leaves the nodes at once, so that nobody waits for this one's lease to run out. Not
        // when the database is out of reach (nobody listens then, and the lease runs out alone).
        if self.coherence.serving() {
            let node = self.coherence.node.clone();
            let _ = self.database.run(move |client| {
                Box::pin(async move {
                    client.execute(coherence::LEAVE, &[&node]).await.map_err(|e| backend("leaving", &e))?;
                    Ok(())
                })
            });
        }
    }
}

/// The URL of the database `database` on the server of `server` (a `postgres://` URL naming
/// another database), its query (`?sslmode=...`) kept: for the tools and tests that make a
/// database per store on one server.
pub fn database_url(server: &str, database: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(base, query)| (base, Some(query)));
    let host = base.rsplit_once('/').map_or(base, |(host, _)| host);
    match query {
        Some(query) => format!("{host}/{database}?{query}"),
        None => format!("{host}/{database}"),
    }
}

/// Connects to the database at `url` and creates or migrates its schema.
fn connect_database(url: &str, options: &PostgresOptions) -> StoreResult<Database> {
    let config: tokio_postgres::Config =
        url.parse().map_err(|e| StoreError::Backend(format!("the database URL is not valid: {e}")))?;
    let tls = options.tls_ca_pem.as_deref().map(tls::connector).transpose()?;
    let database = Database::start(config, options.pool_size, tls)?;
    let applied = database.run(|client| Box::pin(async move { schema::migrate(client).await }))?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrated the database schema");
    }
    Ok(database)
}

impl ObjectStore for PostgresStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        if let Some(object) = self.coherence.cached(unique_identifier) {
            self.observer.cache_lookup(true);
            return Ok(Some(object));
        }
        self.observer.cache_lookup(false);
        let generation = self.coherence.generation();
        let uid = unique_identifier.to_string();
        let row = self.database.run(move |client| {
            Box::pin(async move {
                let read = |e| backend("reading an object", &e);
                let statement = client.prepared(SELECT_OBJECT).await.map_err(read)?;
                let row = client.query_opt(&statement, &[&uid]).await.map_err(read)?;
                Ok(row.map(|r| (r.get::<_, i64>(0), r.get::<_, Vec<u8>>(1), r.get::<_, Vec<u8>>(2))))
            })
        })?;
        let Some((revision, index_keys, sealed)) = row else {
            return Ok(None);
        };
        let open = || Self::open_record(&self.sealer, &self.schema, unique_identifier, revision, &index_keys, &sealed);
        let object = match open() {
            // Sealed under a data key another node made since this one read the keyring.
            Err(_) if !self.sealer.holds(crate::sealing::generation_of(&sealed)) => {
                self.follow_keyring()?;
                open()?
            }
            opened => opened?,
        };
        let object = Arc::new(object);
        self.coherence.keep(&object, generation);
        Ok(Some(object))
    }

    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        self.following_keyring(|| self.commit_once(&changes))
    }

    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        let mut keys: Vec<Vec<u8>> = terms.iter().map(|t| self.sealer.index_key(t).to_vec()).collect();
        keys.sort();
        keys.dedup();
        self.database.run(move |client| {
            Box::pin(async move {
                let search = |e| backend("searching the index", &e);
                let rows = if keys.is_empty() {
                    let statement = client.prepared(ALL_OBJECTS).await.map_err(search)?;
                    client.query(&statement, &[]).await
                } else {
                    let count = i64::try_from(keys.len()).unwrap_or(i64::MAX);
                    let statement = client.prepared(MATCHING_OBJECTS).await.map_err(search)?;
                    client.query(&statement, &[&keys, &count]).await
                }
                .map_err(search)?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
        })
    }

    fn read_fence(&self) -> CommitTicket {
        // Whatever a reader saw was committed, hence durable.
        CommitTicket::ready()
    }

    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }

    fn waits_on_network(&self) -> bool {
        true
    }

    /// One node at a time, through a session advisory lock whose key derives from `job`.
    fn lead(&self, job: &str) -> StoreResult<bool> {
        self.database.lead(job_lock_key(job))
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let owned = key.to_string();
        let sealed = self.database.run(move |client| {
            Box::pin(async move {
                let read = |e| backend("reading a setting", &e);
                let statement = client.prepared(SELECT_SETTING).await.map_err(read)?;
                let row = client.query_opt(&statement, &[&owned]).await.map_err(read)?;
                Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
            })
        })?;
        sealed.map(|sealed| self.sealer.open(&sealed, &setting_context(key))).transpose()
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let owned = prefix.to_string();
        let rows = self.database.run(move |client| {
            Box::pin(async move {
                let list = |e| backend("listing settings", &e);
                let statement = client.prepared(SETTINGS_BY_PREFIX).await.map_err(list)?;
                let rows = client.query(&statement, &[&owned]).await.map_err(list)?;
                Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1))).collect::<Vec<_>>())
            })
        })?;
        rows.into_iter()
            .map(|(key, sealed)| {
                let value = self.sealer.open(&sealed, &setting_context(&key))?;
                Ok((key, value))
            })
            .collect()
    }

    /// The whole database at one instant (see [`backup`]), whichever node writes it.
    fn backup(&self, created: i64, out: &mut dyn std::io::Write) -> StoreResult<crate::backup::Manifest> {
        self.write_backup(created, out)
    }

    fn kek_admin(&self) -> Option<Arc<dyn KekAdmin>> {
        Some(Arc::new(rotation::Admin(Arc::clone(&self.keys))))
    }

    fn cluster_nodes(&self) -> StoreResult<Option<Vec<crate::NodeLease>>> {
        let rows = self.database.run(|client| {
            Box::pin(async move {
                let read = |e| backend("reading the nodes' leases", &e);
                let rows = client.query(coherence::ALL_NODES, &[]).await.map_err(read)?;
                Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, f64>(1))).collect::<Vec<_>>())
            })
        })?;
        let nodes = rows
            .into_iter()
            .map(|(node, left)| crate::NodeLease {
                this_node: self.coherence.is_own(&node),
                node,
                lease_seconds_left: left,
            })
            .collect();
        Ok(Some(nodes))
    }

    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        self.following_keyring(|| Ok(self.put_setting_once(key, value)?.then(CommitTicket::ready)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_url_names_the_database_and_keeps_the_query() {
        assert_eq!(super::database_url("postgres://u@h:5/postgres", "kw"), "postgres://u@h:5/kw");
        assert_eq!(
            super::database_url("postgres://u@h:5/postgres?sslmode=require", "kw"),
            "postgres://u@h:5/kw?sslmode=require"
        );
    }
}
