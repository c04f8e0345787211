//! Applying a commit to the sled tree of objects.
//!
//! Each object is one value: its clear header (revision, creation sequence, index keys) and the
//! sealed record, so a commit of one object (nearly all of them) is a single atomic write, and a
//! new object goes in with one compare-and-swap on its identifier. A commit of several objects (a
//! key pair, a re-key) uses a sled transaction. The indexes are not written at all: they are
//! derived from the headers (see [`super::resident_index`]), and updated once the write is done.
//!
//! Writers of the same object are serialized by striped locks, taken in order, so that the
//! revision a change read is still current when it is written, and the indexes see the changes
//! of one object in the order they were made.

use std::sync::{Mutex, MutexGuard};

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::header::{Header, IndexKey};
use crate::{StoreError, StoreResult};

const STRIPES: usize = 256;

/// A change, sealed and ready to write. An update has been checked against the object's current
/// revision already, under the object's stripe.
pub(super) struct Prepared {
    pub(super) unique_identifier: String,
    pub(super) insert: bool,
    pub(super) header: Header,
    /// The index keys of the revision this change replaces (none for a new object).
    pub(super) old_index_keys: Vec<IndexKey>,
    /// Those of the new index keys that are claims (one object at most may hold each).
    pub(super) claim_keys: Vec<IndexKey>,
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

    /// Locks every stripe, in order: once held, every writer that started before has finished.
    pub(super) fn lock_all(&self) -> Vec<MutexGuard<'_, ()>> {
        self.stripes.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner())).collect()
    }
}

fn stripe_of(unique_identifier: &str) -> usize {
    // FNV-1a: identifiers are server-chosen, so no adversary picks collisions.
    let hash = unique_identifier
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    usize::try_from(hash % STRIPES as u64).unwrap_or(0)
}

/// Writes one change; the caller holds its stripe.
pub(super) fn apply_single(prepared: &Prepared, objects: &Tree) -> StoreResult<()> {
    let uid = prepared.unique_identifier.as_bytes();
    let value = prepared.value.as_slice();
    if prepared.insert {
        // A new object: written if its identifier is free, in one step rather than a read and a
        // write.
        return match objects.compare_and_swap(uid, None::<&[u8]>, Some(value))? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::Conflict(prepared.unique_identifier.clone())),
        };
    }
    objects.insert(uid, value)?;
    Ok(())
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Writes one change of a multi-object commit inside a sled transaction.
pub(super) fn apply_in_transaction(prepared: &Prepared, objects: &TransactionalTree) -> TxResult<()> {
    let uid = prepared.unique_identifier.as_bytes();
    if prepared.insert && objects.get(uid)?.is_some() {
        return Err(ConflictableTransactionError::Abort(StoreError::Conflict(prepared.unique_identifier.clone())));
    }
    objects.insert(uid, prepared.value.as_slice())?;
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
