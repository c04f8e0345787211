//! Writing a batch of records to the sled tree of objects.
//!
//! Each object is one value (its clear header and the sealed record), so a commit of one object
//! (nearly all of them) is a single compare-and-swap: a new object's against no value, a change's
//! against the value the record layer read. A commit of several objects (a key pair, a re-key)
//! uses a sled transaction, which checks the same.

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
    // In one step rather than a read and a write.
    match objects.compare_and_swap(uid, write.replaces, Some(write.value))? {
        Ok(()) => Ok(()),
        Err(_) => Err(StoreError::Conflict(write.unique_identifier.to_string())),
    }
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn apply_in_transaction(write: &RecordWrite<'_>, objects: &TransactionalTree) -> TxResult<()> {
    let uid = write.unique_identifier.as_bytes();
    if objects.get(uid)?.as_deref() != write.replaces {
        return Err(ConflictableTransactionError::Abort(StoreError::Conflict(write.unique_identifier.to_string())));
    }
    objects.insert(uid, write.value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write<'a>(uid: &'a str, replaces: Option<&'a [u8]>, value: &'a [u8]) -> RecordWrite<'a> {
        RecordWrite { unique_identifier: uid, replaces, value }
    }

    /// Each write holds only if the record is still the one it replaces (none for a new one), and
    /// a batch with one stale write writes nothing.
    #[test]
    fn a_write_over_a_record_that_moved_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let objects = sled::open(dir.path()).unwrap().open_tree("objects").unwrap();
        apply(&[write("a", None, b"a1")], &objects).unwrap();
        assert!(matches!(apply(&[write("a", None, b"again")], &objects), Err(StoreError::Conflict(_))));
        assert!(matches!(apply(&[write("a", Some(b"stale"), b"a2")], &objects), Err(StoreError::Conflict(_))));
        apply(&[write("a", Some(b"a1"), b"a2")], &objects).unwrap();
        let batch = [write("b", None, b"b1"), write("a", Some(b"a1"), b"a3")];
        assert!(matches!(apply(&batch, &objects), Err(StoreError::Conflict(uid)) if uid == "a"));
        assert!(objects.get("b").unwrap().is_none(), "nothing of a refused batch is written");
        assert_eq!(objects.get("a").unwrap().unwrap().as_ref(), b"a2");
    }
}
