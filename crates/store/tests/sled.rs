//! What only the sled store promises beyond the contract (`contract.rs`): a reopen with a wrong
//! KEK refused, no key material or Name in its files, and the cache of decrypted objects under
//! concurrent updates.

use keyward_store::{Change, Kek, ObjectStore, SledStore, StoreError};

#[path = "support/objects.rs"]
mod objects;

use objects::{KEY_BYTES, symmetric_key};

#[test]
fn sled_store_survives_a_reopen_and_refuses_a_wrong_kek() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store =
            SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
        store.commit(vec![Change::Insert(symmetric_key("a", "alice", "payroll"))]).unwrap().wait().unwrap();
    }
    let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    assert!(store.get("a").unwrap().is_some());
    drop(store);
    assert!(matches!(
        SledStore::open(dir.path(), &Kek::from_bytes([2; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::WrongKek)
    ));
}

#[test]
fn sled_store_writes_no_plaintext_key_or_name() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store =
            SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
        store.commit(vec![Change::Insert(symmetric_key("a", "alice", "very-secret-name"))]).unwrap().wait().unwrap();
        store.flush().unwrap();
    }
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!bytes.windows(KEY_BYTES.len()).any(|w| w == KEY_BYTES), "key bytes in {}", entry.display());
        assert!(!bytes.windows(16).any(|w| w == b"very-secret-name"), "a name in {}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

/// Concurrent read-modify-write of one object: every commit that succeeds is seen, and the cache of
/// decrypted objects never hands out a stale revision for long (a stale read only costs a retry).
#[test]
fn concurrent_updates_of_one_object_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        SledStore::open(dir.path(), &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap(),
    );
    store.commit(vec![Change::Insert(symmetric_key("k", "alice", "n"))]).unwrap().wait().unwrap();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                let mut committed = 0;
                while committed < 25 {
                    let current = std::sync::Arc::unwrap_or_clone(store.get("k").unwrap().unwrap());
                    match store.commit(vec![Change::Update(current)]) {
                        Ok(ticket) => {
                            ticket.wait().unwrap();
                            committed += 1;
                        }
                        Err(StoreError::Conflict(_)) => continue,
                        Err(other) => panic!("{other}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(store.get("k").unwrap().unwrap().revision, 1 + 100);
}
