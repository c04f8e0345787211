//! Applying a commit to the sled trees.
//!
//! A commit of one object (nearly all of them) is three kinds of plain writes, in an order that
//! keeps every state a crash can leave consistent: first the new index and sequence entries, then
//! the object itself (the commit point: one key, atomic), then the removal of index entries the
//! new revision no longer has. sled recovers a prefix of what was written, so a recovered object
//! always has its index entries; an entry without its object (a crash before the commit point, a
//! removal not yet on disk) is stale, and readers skip every entry whose key is not in the
//! object's header. A commit of several objects (a key pair, a re-key) uses a sled transaction,
//! which costs two extra log writes and syncs on sled's own threads.
//!
//! Writers of the same object are serialized by striped locks, taken in order, so that a removal
//! of an older revision never deletes an entry a newer revision has just added.

use std::sync::{Mutex, MutexGuard};

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::header::{Header, index_entry};
use crate::{StoreError, StoreResult};

const STRIPES: usize = 256;

/// A change, sealed and ready to write.
pub(super) struct Prepared {
    pub(super) unique_identifier: String,
    pub(super) insert: bool,
    pub(super) expected_revision: u64,
    pub(super) header: Header,
    pub(super) value: Vec<u8>,
}

/// The locks that serialize writers of the same object.
pub(super) struct WriteLocks {
    stripes: Vec<Mutex<()>>,
}

impl WriteLocks {
    pub(super) fn new() -> WriteLocks {
        WriteLocks { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }

    /// Locks the stripes of these identifiers, in stripe order so that two commits never wait
    /// for each other.
    pub(super) fn lock<'a>(&self, identifiers: impl Iterator<Item = &'a str>) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = identifiers.map(stripe_of).collect();
        stripes.sort_unstable();
        stripes.dedup();
        // A panic while holding a stripe leaves nothing half-done in memory: carry on.
        stripes.into_iter().map(|s| self.stripes[s].lock().unwrap_or_else(|p| p.into_inner())).collect()
    }
}

fn stripe_of(unique_identifier: &str) -> usize {
    // FNV-1a: identifiers are server-chosen, so no adversary picks collisions.
    let hash = unique_identifier
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    usize::try_from(hash % STRIPES as u64).unwrap_or(0)
}

/// The current header of an object, checked against what the change expects.
fn check_current(prepared: &Prepared, current: Option<&[u8]>) -> StoreResult<Option<Header>> {
    let conflict = || StoreError::Conflict(prepared.unique_identifier.clone());
    match (current, prepared.insert) {
        (Some(_), true) | (None, false) => Err(conflict()),
        (None, true) => Ok(None),
        (Some(existing), false) => {
            let (old, _, _) = Header::parse(existing)?;
            if old.revision != prepared.expected_revision {
                return Err(conflict());
            }
            Ok(Some(old))
        }
    }
}

/// Writes one change with plain writes; the caller holds its stripe.
pub(super) fn apply_single(prepared: &Prepared, objects: &Tree, index: &Tree, sequence: &Tree) -> StoreResult<()> {
    if prepared.insert {
        return insert_single(prepared, objects, index, sequence);
    }
    let uid = &prepared.unique_identifier;
    let current = objects.get(uid.as_bytes())?;
    let old = check_current(prepared, current.as_deref())?;
    let new = &prepared.header;
    if old.is_none() {
        sequence.insert(new.sequence.to_be_bytes(), uid.as_bytes())?;
    }
    let had = |key| old.as_ref().is_some_and(|o| o.index_keys.contains(key));
    for key in new.index_keys.iter().filter(|k| !had(k)) {
        index.insert(index_entry(key, new.sequence, uid), &[][..])?;
    }
    objects.insert(uid.as_bytes(), prepared.value.as_slice())?;
    if let Some(old) = old {
        for key in old.index_keys.iter().filter(|k| !new.index_keys.contains(k)) {
            index.remove(index_entry(key, old.sequence, uid))?;
        }
    }
    Ok(())
}

/// A new object: its entries, then the object if its identifier is free, in one compare-and-swap
/// (the commit point) rather than a read and a write. On a conflict the entries written before are
/// stale, and readers skip them as they skip those of a crash.
fn insert_single(prepared: &Prepared, objects: &Tree, index: &Tree, sequence: &Tree) -> StoreResult<()> {
    let uid = &prepared.unique_identifier;
    let new = &prepared.header;
    sequence.insert(new.sequence.to_be_bytes(), uid.as_bytes())?;
    for key in &new.index_keys {
        index.insert(index_entry(key, new.sequence, uid), &[][..])?;
    }
    match objects.compare_and_swap(uid.as_bytes(), None::<&[u8]>, Some(prepared.value.as_slice()))? {
        Ok(()) => Ok(()),
        Err(_) => Err(StoreError::Conflict(uid.clone())),
    }
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Writes one change of a multi-object commit inside a sled transaction.
pub(super) fn apply_in_transaction(
    prepared: &Prepared,
    objects: &TransactionalTree,
    index: &TransactionalTree,
    sequence: &TransactionalTree,
) -> TxResult<()> {
    let uid = &prepared.unique_identifier;
    let current = objects.get(uid.as_bytes())?;
    let old = check_current(prepared, current.as_deref()).map_err(ConflictableTransactionError::Abort)?;
    let new = &prepared.header;
    match &old {
        None => {
            sequence.insert(&new.sequence.to_be_bytes(), uid.as_bytes())?;
        }
        Some(old) => {
            for key in old.index_keys.iter().filter(|k| !new.index_keys.contains(k)) {
                index.remove(index_entry(key, old.sequence, uid))?;
            }
        }
    }
    for key in &new.index_keys {
        index.insert(index_entry(key, new.sequence, uid), &[][..])?;
    }
    objects.insert(uid.as_bytes(), prepared.value.as_slice())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_spread_identifiers() {
        let used: std::collections::HashSet<_> = (0..1000).map(|i| stripe_of(&format!("uid-{i}"))).collect();
        assert!(used.len() > STRIPES / 2, "{} stripes used", used.len());
    }

    #[test]
    fn locks_are_taken_once_per_stripe() {
        let locks = WriteLocks::new();
        let guards = locks.lock(["a", "a", "b"].into_iter());
        assert!(guards.len() <= 2);
    }
}
