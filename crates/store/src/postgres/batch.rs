//! Group commit of Creates: the new objects of concurrent commits written by one statement, in
//! one transaction, so that they share a round trip, a statement's execution and a WAL flush.
//!
//! A commit that only inserts one object (a Create, a Register: nearly every change) queues it
//! here and waits. A task on the store's runtime takes what is queued, up to [`MAX_BATCH`], once
//! one of [`IN_FLIGHT`] slots is free: while the slots are busy, newcomers gather into the next
//! batch, so batches grow with the load and a lone Create goes alone, at once. Each object's
//! outcome is its own: an identifier that exists is a conflict for that object only (`ON CONFLICT
//! DO NOTHING`); a Name claim that another object holds fails the statement, and the batch is then
//! written object by object, so that exactly the claimants that lost are told so.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::database::{Pool, Pooled, backend};
use super::write::{Prepared, insert_one};
use crate::{StoreError, StoreResult};

/// The most objects one statement writes.
const MAX_BATCH: usize = 64;
/// Batches written at once (each on its own connection).
const IN_FLIGHT: usize = 2;

/// Several new objects with their index rows and Name claims, in one statement: `$1..$4` the
/// objects (identifier, revision, index keys, sealed record), `$5, $6` every object's index keys
/// with the identifier each belongs to, `$7, $8` the claims likewise. Returns the identifiers
/// written, each with its commit's number in the cluster's order.
const INSERT_MANY: &str = "WITH input AS (
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[])
             WITH ORDINALITY AS i(uid, revision, index_keys, sealed, position)
     ), o AS (
         INSERT INTO objects (unique_identifier, revision, index_keys, sealed)
         SELECT uid, revision, index_keys, sealed FROM input ORDER BY position
         ON CONFLICT (unique_identifier) DO NOTHING RETURNING id, unique_identifier
     ), t AS (
         INSERT INTO object_terms (index_key, object_id)
         SELECT k.key, o.id FROM unnest($5::bytea[], $6::text[]) AS k(key, uid) JOIN o ON o.unique_identifier = k.uid
     ), c AS (
         INSERT INTO name_claims (claim_key, object_id)
         SELECT k.key, o.id FROM unnest($7::bytea[], $8::text[]) AS k(key, uid) JOIN o ON o.unique_identifier = k.uid
     )
     SELECT unique_identifier, nextval('commit_order') FROM o";

/// An insert waiting for its batch, and where its outcome goes (its commit's number).
struct Pending {
    change: Prepared,
    done: oneshot::Sender<StoreResult<u64>>,
}

/// The queue of inserts of one store.
pub(super) struct Inserts {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Inserts {
    /// Starts the batching task; call on the store's runtime.
    pub(super) fn start(pool: Arc<Pool>) -> Inserts {
        let (queue, queued) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queued));
        Inserts { queue }
    }

    /// Queues `change` (a new object) and gives what completes with its commit's number.
    pub(super) fn insert(&self, change: Prepared) -> StoreResult<oneshot::Receiver<StoreResult<u64>>> {
        let (done, outcome) = oneshot::channel();
        self.queue
            .send(Pending { change, done })
            .map_err(|_| StoreError::Backend("the database runtime stopped".into()))?;
        Ok(outcome)
    }
}

/// Takes batches off the queue while a slot is free, and writes each on a task of its own.
async fn run(pool: Arc<Pool>, mut queued: mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queued.recv().await {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queued.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let pool = Arc::clone(&pool);
        tokio::spawn(async move {
            write(&pool, batch).await;
            drop(slot);
        });
    }
}

/// Writes a batch and tells each insert its outcome.
async fn write(pool: &Arc<Pool>, batch: Vec<Pending>) {
    let mut client = match pool.checkout().await {
        Ok(client) => client,
        Err(error) => return fail_all(batch, &error.to_string()),
    };
    let distinct: HashSet<&str> = batch.iter().map(|p| p.change.unique_identifier.as_str()).collect();
    if batch.len() > 1 && distinct.len() == batch.len() {
        match insert_many(&mut client, &batch).await {
            Ok(mut written) => {
                for pending in batch {
                    let uid = &pending.change.unique_identifier;
                    let outcome = written.remove(uid).ok_or_else(|| StoreError::Conflict(uid.clone()));
                    let _ = pending.done.send(outcome);
                }
                return;
            }
            // A Name claimed by another object: each insert alone tells which lost.
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(error) => {
                client.forget_statements();
                return fail_all(batch, &backend("committing new objects", &error).to_string());
            }
        }
    }
    for pending in batch {
        let outcome = insert_one(&mut client, &pending.change).await;
        if outcome.is_err() {
            client.forget_statements();
        }
        let _ = pending.done.send(outcome);
    }
}

/// Tells every insert of the batch that it failed, and why.
fn fail_all(batch: Vec<Pending>, why: &str) {
    for pending in batch {
        let _ = pending.done.send(Err(StoreError::Backend(why.to_string())));
    }
}

/// Runs [`INSERT_MANY`] for the batch: the identifiers written, with their commits' numbers.
async fn insert_many(client: &mut Pooled, batch: &[Pending]) -> Result<HashMap<String, u64>, tokio_postgres::Error> {
    let changes: Vec<&Prepared> = batch.iter().map(|p| &p.change).collect();
    let uids: Vec<&str> = changes.iter().map(|c| c.unique_identifier.as_str()).collect();
    let revisions: Vec<i64> = changes.iter().map(|c| c.written_revision()).collect();
    let header_keys: Vec<Vec<u8>> = changes.iter().map(|c| c.index_keys().concat()).collect();
    let sealed: Vec<&[u8]> = changes.iter().map(|c| c.sealed()).collect();
    let mut term_keys: Vec<&[u8]> = Vec::new();
    let mut term_owners: Vec<&str> = Vec::new();
    let mut claim_keys: Vec<&[u8]> = Vec::new();
    let mut claim_owners: Vec<&str> = Vec::new();
    for change in &changes {
        for key in change.index_keys() {
            term_keys.push(key);
            term_owners.push(&change.unique_identifier);
        }
        for key in change.claim_keys() {
            claim_keys.push(key);
            claim_owners.push(&change.unique_identifier);
        }
    }
    let statement = client.prepared(INSERT_MANY).await?;
    let params: [&(dyn ToSql + Sync); 8] =
        [&uids, &revisions, &header_keys, &sealed, &term_keys, &term_owners, &claim_keys, &claim_owners];
    let rows = client.query(&statement, &params).await?;
    Ok(rows.iter().map(|row| (row.get::<_, String>(0), u64::try_from(row.get::<_, i64>(1)).unwrap_or(0))).collect())
}
