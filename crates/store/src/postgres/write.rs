//! Writing a commit: the changes sealed outside the transaction, then written in one (a Create
//! in one statement), with the invalidation of the objects it changes and its number in the
//! cluster's order of commits; then the wait for the other nodes (see [`super::coherence`]).

use std::time::Instant;

use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Statement, Transaction};

use super::PostgresStore;
use super::coherence::{self, Coherence, Outgoing};
use super::database::{Database, Pooled, backend};
use crate::index::claims;
use crate::observer::StoreObserver;
use crate::{Change, StoreError, StoreResult};

const INSERT_OBJECT: &str = "INSERT INTO objects (unique_identifier, revision, index_keys, sealed)
     VALUES ($1, $2, $3, $4) ON CONFLICT (unique_identifier) DO NOTHING RETURNING id";
const UPDATE_OBJECT: &str = "UPDATE objects SET revision = $2, index_keys = $3, sealed = $4
     WHERE unique_identifier = $1 AND revision = $5 RETURNING id";
const DELETE_TERMS: &str = "DELETE FROM object_terms WHERE object_id = $1";
const DELETE_CLAIMS: &str = "DELETE FROM name_claims WHERE object_id = $1";
const INSERT_TERMS: &str = "INSERT INTO object_terms (index_key, object_id) SELECT k, $2 FROM unnest($1::bytea[]) AS k";
const INSERT_CLAIMS: &str = "INSERT INTO name_claims (claim_key, object_id) SELECT k, $2 FROM unnest($1::bytea[]) AS k";
/// A new object with its index rows and Name claims, in one statement (its own transaction):
/// no row back when the identifier exists; a claim another object holds fails it whole.
pub(super) const INSERT_ONE: &str = "WITH o AS (
         INSERT INTO objects (unique_identifier, revision, index_keys, sealed)
         VALUES ($1, $2, $3, $4) ON CONFLICT (unique_identifier) DO NOTHING RETURNING id
     ), t AS (
         INSERT INTO object_terms (index_key, object_id) SELECT k, o.id FROM o, unnest($5::bytea[]) AS k
     ), c AS (
         INSERT INTO name_claims (claim_key, object_id) SELECT k, o.id FROM o, unnest($6::bytea[]) AS k
     )
     SELECT id, nextval('commit_order') FROM o";
/// The commit's number in the cluster's order, taken last in its transaction (see
/// `CommitTicket::order`).
const NEXT_ORDER: &str = "SELECT nextval('commit_order')";
/// The keyring's data key generations, locked against a change until the transaction ends (the
/// check of a writer that does not hear of keyring changes: see `rotation`).
const CHECK_KEYRING: &str = "SELECT generations FROM keyring FOR SHARE";

/// A change sealed and ready to write, made outside the transaction.
pub(super) struct Prepared {
    pub(super) unique_identifier: String,
    pub(super) insert: bool,
    /// The revision the change read (0 for an insert); it writes `expected + 1`.
    expected: i64,
    index_keys: Vec<Vec<u8>>,
    claim_keys: Vec<Vec<u8>>,
    sealed: Vec<u8>,
}

impl Prepared {
    /// The revision the change writes.
    pub(super) fn written_revision(&self) -> i64 {
        self.expected + 1
    }

    pub(super) fn index_keys(&self) -> &[Vec<u8>] {
        &self.index_keys
    }

    pub(super) fn claim_keys(&self) -> &[Vec<u8>] {
        &self.claim_keys
    }

    pub(super) fn sealed(&self) -> &[u8] {
        &self.sealed
    }
}

impl PostgresStore {
    /// Seals a change for writing (outside the transaction).
    pub(super) fn prepare(&self, change: &Change) -> StoreResult<Prepared> {
        let object = change.object();
        let terms = self.schema.index_terms(object);
        crate::check_index_terms(&object.unique_identifier, terms.len())?;
        let index_keys: Vec<Vec<u8>> = terms.iter().map(|t| self.sealer.index_key(t).to_vec()).collect();
        let claim_keys = claims(&terms).map(|t| self.sealer.index_key(t).to_vec()).collect();
        let expected = i64::try_from(object.revision)
            .map_err(|_| StoreError::LimitExceeded(format!("revision of {}", object.unique_identifier)))?;
        let revision = expected + 1;
        let plaintext = self.schema.encode(object)?;
        let context = Self::context(&object.unique_identifier, revision, &index_keys.concat());
        let sealed = self.sealer.seal(&plaintext, &context)?;
        Ok(Prepared {
            unique_identifier: object.unique_identifier.clone(),
            insert: matches!(change, Change::Insert(_)),
            expected,
            index_keys,
            claim_keys,
            sealed,
        })
    }
}

/// Waits until every node of `peers` acknowledged the invalidation `outgoing` (dropped its copies
/// of what a commit changed, or switched to a new data key): each acknowledges, or its lease
/// expires (it then serves nothing from its cache). A node that does not answer within a lease
/// is asked about again: only those whose lease still runs are waited for; after three leases the
/// wait ends with an error.
pub(super) fn await_peers(
    database: &Database,
    coherence: &Coherence,
    observer: &dyn StoreObserver,
    outgoing: &Outgoing,
    mut peers: Vec<String>,
) -> StoreResult<()> {
    let started = Instant::now();
    let lease = coherence.lease();
    let give_up = started + lease * 3;
    let outcome = loop {
        let until = (Instant::now() + lease).min(give_up);
        let missing = super::database::blocking(|| coherence.wait_for(outgoing.token, &peers, until));
        if missing.is_empty() {
            break Ok(());
        }
        if Instant::now() >= give_up {
            break Err(coherence::unacknowledged(&missing));
        }
        tracing::warn!(
            nodes = %missing.join(", "),
            "a change waits for nodes that have not confirmed it (until their leases expire)"
        );
        let node = coherence.node.clone();
        let live = database.run(move |client| Box::pin(async move { live_peers(client, &node).await }));
        match live {
            Ok(live) => peers = missing.into_iter().filter(|node| live.contains(node)).collect(),
            Err(error) => break Err(error),
        }
    };
    coherence.done(outgoing.token);
    observer.peers_waited(started.elapsed());
    outcome
}

/// A database error met while writing `uid`: a conflict when another writer got there first.
fn write_error(uid: &str, error: &tokio_postgres::Error) -> StoreError {
    let conflicts = [SqlState::UNIQUE_VIOLATION, SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED];
    match error.code() {
        Some(code) if conflicts.contains(code) => StoreError::Conflict(uid.to_string()),
        _ => backend("committing", error),
    }
}

/// Runs `statement` when `run` says so. The statement is sent when the future is first polled.
async fn execute_if(
    tx: &Transaction<'_>,
    run: bool,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<(), tokio_postgres::Error> {
    if run {
        tx.execute(statement, params).await?;
    }
    Ok(())
}

/// What a commit wrote: its number in the cluster's order, and the other nodes that may hold
/// copies of the objects it changed.
pub(super) struct Written {
    pub(super) order: u64,
    pub(super) peers: Vec<String>,
}

/// Whether the keyring still holds the data key generations `expected` (this node's), locked so
/// until `tx` ends: a writer that hears of no keyring change (a tool's handle, a node without a
/// lease) checks it before writing what it sealed.
pub(super) async fn keyring_unchanged(tx: &Transaction<'_>, expected: &[i32]) -> StoreResult<bool> {
    let row = tx.query_one(CHECK_KEYRING, &[]).await.map_err(|e| backend("checking the keyring", &e))?;
    let generations: Option<Vec<i32>> = row.get(0);
    Ok(generations.as_deref() == Some(expected))
}

/// Writes the prepared changes in one transaction, with the invalidation of the objects it
/// changes. With `keyring`, first checks that the keyring still holds those generations
/// ([`keyring_unchanged`]): `None` back when it does not (nothing written). (A lone new object
/// goes through `batch` instead.)
pub(super) async fn write_commit(
    client: &mut Pooled,
    prepared: Vec<Prepared>,
    invalidation: Option<(String, String)>,
    keyring: Option<Vec<i32>>,
) -> StoreResult<Option<Written>> {
    let first = prepared.first().map_or("", |p| p.unique_identifier.as_str());
    let prepare_error = |e: tokio_postgres::Error| write_error(first, &e);
    // Prepared before the transaction, once per connection.
    let insert_object = client.prepared(INSERT_OBJECT).await.map_err(prepare_error)?;
    let update_object = client.prepared(UPDATE_OBJECT).await.map_err(prepare_error)?;
    let delete_terms = client.prepared(DELETE_TERMS).await.map_err(prepare_error)?;
    let delete_claims = client.prepared(DELETE_CLAIMS).await.map_err(prepare_error)?;
    let insert_terms = client.prepared(INSERT_TERMS).await.map_err(prepare_error)?;
    let insert_claims = client.prepared(INSERT_CLAIMS).await.map_err(prepare_error)?;
    let tx = client.transaction().await.map_err(|e| backend("beginning a commit", &e))?;
    if let Some(expected) = &keyring
        && !keyring_unchanged(&tx, expected).await?
    {
        return Ok(None);
    }
    for change in &prepared {
        let uid = change.unique_identifier.as_str();
        let fail = |e: tokio_postgres::Error| write_error(uid, &e);
        let revision = change.written_revision();
        let index_keys = change.index_keys.concat();
        let row = if change.insert {
            tx.query_opt(&insert_object, &[&uid, &revision, &index_keys, &change.sealed]).await.map_err(fail)?
        } else {
            tx.query_opt(&update_object, &[&uid, &revision, &index_keys, &change.sealed, &change.expected])
                .await
                .map_err(fail)?
        };
        let Some(row) = row else {
            return Err(StoreError::Conflict(uid.to_string()));
        };
        let id: i64 = row.get(0);
        // The index rows, in one round trip: the statements are sent together (each when its
        // future is first polled, in this order) and run in that order; the first error (a claim
        // another object holds) ends the commit.
        let (replacing, claiming) = (!change.insert, !change.claim_keys.is_empty());
        let by_object: [&(dyn ToSql + Sync); 1] = [&id];
        let terms: [&(dyn ToSql + Sync); 2] = [&change.index_keys, &id];
        let claims: [&(dyn ToSql + Sync); 2] = [&change.claim_keys, &id];
        tokio::try_join!(
            execute_if(&tx, replacing, &delete_terms, &by_object),
            execute_if(&tx, replacing, &delete_claims, &by_object),
            execute_if(&tx, true, &insert_terms, &terms),
            execute_if(&tx, claiming, &insert_claims, &claims),
        )
        .map_err(fail)?;
    }
    let last = prepared.last().map_or("", |p| p.unique_identifier.as_str());
    // Taken once the rows are written (and locked): a commit that waited for one of them gets a
    // greater number than the commit it waited for.
    let order: i64 = tx.query_one(NEXT_ORDER, &[]).await.map_err(|e| write_error(last, &e))?.get(0);
    let order = u64::try_from(order).unwrap_or(0);
    let Some((node, payload)) = invalidation else {
        tx.commit().await.map_err(|e| write_error(last, &e))?;
        return Ok(Some(Written { order, peers: Vec::new() }));
    };
    // Delivered to every listening node when the transaction commits, in commit order.
    tx.execute(coherence::NOTIFY, &[&coherence::INVALIDATE, &payload]).await.map_err(|e| write_error(last, &e))?;
    tx.commit().await.map_err(|e| write_error(last, &e))?;
    // Asked after the commit: a node that took its lease later read the change, if anything.
    Ok(Some(Written { order, peers: live_peers(client, &node).await? }))
}

/// Writes one new object in one statement, [`INSERT_ONE`]; returns its commit's order.
pub(super) async fn insert_one(client: &mut Pooled, change: &Prepared) -> StoreResult<u64> {
    let uid = change.unique_identifier.as_str();
    let fail = |e: tokio_postgres::Error| write_error(uid, &e);
    let statement = client.prepared(INSERT_ONE).await.map_err(fail)?;
    let (revision, index_keys) = (change.written_revision(), change.index_keys.concat());
    let params: [&(dyn ToSql + Sync); 6] =
        [&uid, &revision, &index_keys, &change.sealed, &change.index_keys, &change.claim_keys];
    match client.query_opt(&statement, &params).await.map_err(fail)? {
        Some(row) => Ok(u64::try_from(row.get::<_, i64>(1)).unwrap_or(0)),
        None => Err(StoreError::Conflict(uid.to_string())),
    }
}

/// The other nodes whose leases run: they may serve from their caches.
pub(super) async fn live_peers(client: &mut Pooled, node: &str) -> StoreResult<Vec<String>> {
    let read = |e| backend("reading the nodes' leases", &e);
    let statement = client.prepared(coherence::LIVE_PEERS).await.map_err(read)?;
    let rows = client.query(&statement, &[&node]).await.map_err(read)?;
    Ok(rows.iter().map(|row| row.get::<_, String>(0)).collect())
}
