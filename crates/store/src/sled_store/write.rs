//! Writing a batch of records to the sled tree of objects.
//!
//! Each object is one value (its clear header and the sealed record), so a commit of one object
//! (nearly all of them) is a single atomic write, and a new object goes in with one
//! compare-and-swap on its identifier. A commit of several objects (a key pair, a re-key) uses a
//! sled transaction. The record layer holds the objects' stripes: an update overwrites.

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::records::RecordWrite;
use crate::{StoreError, StoreResult};

/// Writes the batch: one change with a single write, several in a transaction.
pub(super) fn apply(writes: &[RecordWrite<'_>], objects: &Tree) -> StoreResult<()> {
    if let [single] = writes {
        return apply_single(single, objects);
    }
    let result = objects.transaction(|objects| {
        for write in writes {
            apply_in_transaction(write, objects)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TransactionError::Abort(error)) => Err(error),
        Err(TransactionError::Storage(error)) => Err(error.into()),
    }
}

fn apply_single(write: &RecordWrite<'_>, objects: &Tree) -> StoreResult<()> {
    let uid = write.unique_identifier.as_bytes();
    if write.insert {
        // A new object: written if its identifier is free, in one step rather than a read and a
        // write.
        return match objects.compare_and_swap(uid, None::<&[u8]>, Some(write.value))? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::Conflict(write.unique_identifier.to_string())),
        };
    }
    objects.insert(uid, write.value)?;
    Ok(())
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn apply_in_transaction(write: &RecordWrite<'_>, objects: &TransactionalTree) -> TxResult<()> {
    let uid = write.unique_identifier.as_bytes();
    if write.insert && objects.get(uid)?.is_some() {
        return Err(ConflictableTransactionError::Abort(StoreError::Conflict(write.unique_identifier.to_string())));
    }
    objects.insert(uid, write.value)?;
    Ok(())
}
