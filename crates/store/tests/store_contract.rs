//! The contract of `ObjectStore`, checked on both backends, and what only the sled store promises:
//! encryption at rest, the KEK check, and surviving a reopen.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, State};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SymmetricKey};
use keyward_store::{Change, IndexKind, IndexTerm, Kek, MemoryStore, ObjectStore, SledStore, StoreError, StoredObject};

const KEY_BYTES: [u8; 32] = *b"\x13\x37SECRET-KEY-MATERIAL-0123456789";

fn symmetric_key(uid: &str, owner: &str, name: &str) -> StoredObject {
    let key_block = KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(Bytes::new(KEY_BYTES.to_vec())),
            attributes: vec![],
        }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    };
    StoredObject {
        unique_identifier: uid.to_string(),
        owner: owner.to_string(),
        object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block })),
        attributes: vec![
            IndexedAttribute::new(Attribute::ObjectType(ObjectType::SymmetricKey)),
            IndexedAttribute::new(Attribute::Name(Name::text(name))),
            IndexedAttribute::new(Attribute::State(State::PreActive)),
            IndexedAttribute::new(Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES)),
            IndexedAttribute::new(Attribute::OperationPolicyName("default".into())),
        ],
        revision: 0,
    }
}

fn check_contract(store: &dyn ObjectStore) {
    store.commit(vec![Change::Insert(symmetric_key("a", "alice", "payroll"))]).unwrap().wait().unwrap();
    store.commit(vec![Change::Insert(symmetric_key("b", "bob", "payroll"))]).unwrap().wait().unwrap();
    store.commit(vec![Change::Insert(symmetric_key("c", "alice", "backup"))]).unwrap().wait().unwrap();

    // Round trip, including a 1.x-only attribute.
    let a = store.get("a").unwrap().expect("a exists");
    assert_eq!(a.revision, 1);
    assert_eq!(a.attributes, symmetric_key("a", "alice", "payroll").attributes);
    assert_eq!(a.object, symmetric_key("a", "alice", "payroll").object);
    assert!(store.get("nope").unwrap().is_none());

    // Index lookups: every term must match; newest first.
    assert_eq!(store.candidates(&[IndexTerm::name("payroll")]).unwrap(), vec!["b", "a"]);
    assert_eq!(store.candidates(&[IndexTerm::name("payroll"), IndexTerm::owner("alice")]).unwrap(), vec!["a"]);
    assert_eq!(store.candidates(&[IndexTerm::owner("alice")]).unwrap(), vec!["c", "a"]);
    assert_eq!(store.candidates(&[IndexTerm::enumeration(IndexKind::ObjectType, 2)]).unwrap(), vec!["c", "b", "a"]);
    assert_eq!(store.candidates(&[]).unwrap(), vec!["c", "b", "a"]);

    // An update moves the indexes with it.
    let mut renamed = (*a).clone();
    renamed.attributes[1] = IndexedAttribute::new(Attribute::Name(Name::text("renamed")));
    store.commit(vec![Change::Update(renamed.clone())]).unwrap().wait().unwrap();
    assert_eq!(store.candidates(&[IndexTerm::name("payroll")]).unwrap(), vec!["b"]);
    assert_eq!(store.candidates(&[IndexTerm::name("renamed")]).unwrap(), vec!["a"]);
    assert_eq!(store.get("a").unwrap().unwrap().revision, 2);

    // Stale revisions and duplicate inserts conflict, and change nothing.
    assert!(matches!(store.commit(vec![Change::Update(renamed)]), Err(StoreError::Conflict(_))));
    let both =
        vec![Change::Insert(symmetric_key("d", "alice", "new")), Change::Insert(symmetric_key("a", "alice", "dup"))];
    assert!(matches!(store.commit(both), Err(StoreError::Conflict(_))));
    assert!(store.get("d").unwrap().is_none(), "a failed commit must not apply any of its changes");

    // A Name of an owner is held by one live object at a time: a second claim conflicts (the
    // caller runs again and finds it), another owner's is free, and a destroyed object releases it.
    let taken = store.commit(vec![Change::Insert(symmetric_key("f", "alice", "backup"))]);
    assert!(matches!(taken, Err(StoreError::Conflict(_))));
    assert!(store.get("f").unwrap().is_none());
    let mut destroyed = (*store.get("c").unwrap().unwrap()).clone();
    destroyed.attributes[2] = IndexedAttribute::new(Attribute::State(State::Destroyed));
    store.commit(vec![Change::Update(destroyed)]).unwrap().wait().unwrap();
    store.commit(vec![Change::Insert(symmetric_key("f", "alice", "backup"))]).unwrap().wait().unwrap();
    let twice =
        vec![Change::Insert(symmetric_key("g", "carol", "x")), Change::Insert(symmetric_key("h", "carol", "x"))];
    assert!(matches!(store.commit(twice), Err(StoreError::Conflict(_))));

    // More indexed values than a record can count is refused whole, not written unreadable.
    let mut crowded = symmetric_key("e", "alice", "crowded");
    crowded.attributes.extend(
        (0..keyward_store::MAX_INDEX_TERMS)
            .map(|i| IndexedAttribute::new(Attribute::Name(Name::text(format!("n{i}"))))),
    );
    assert!(matches!(store.commit(vec![Change::Insert(crowded)]), Err(StoreError::LimitExceeded(_))));
    assert!(store.get("e").unwrap().is_none());
}

/// Many threads create objects of one owner with one Name at once: exactly one wins.
fn check_concurrent_claims(store: &(dyn ObjectStore + Sync)) {
    let winners = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let winners = &winners;
            scope.spawn(move || {
                let object = symmetric_key(&format!("t{thread}"), "dave", "contested");
                if let Ok(ticket) = store.commit(vec![Change::Insert(object)]) {
                    ticket.wait().unwrap();
                    winners.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(winners.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(store.candidates(&[IndexTerm::name("contested")]).unwrap().len(), 1);
}

#[test]
fn memory_store_keeps_the_contract() {
    check_contract(&MemoryStore::new());
    check_concurrent_claims(&MemoryStore::new());
}

#[test]
fn sled_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    check_contract(&SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap());
    let dir = tempfile::tempdir().unwrap();
    check_concurrent_claims(&SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap());
}

#[test]
fn sled_store_survives_a_reopen_and_refuses_a_wrong_kek() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
        store.commit(vec![Change::Insert(symmetric_key("a", "alice", "payroll"))]).unwrap().wait().unwrap();
    }
    let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
    assert!(store.get("a").unwrap().is_some());
    drop(store);
    assert!(matches!(SledStore::open(dir.path(), &Kek::from_bytes([2; 32])), Err(StoreError::WrongKek)));
}

#[test]
fn sled_store_writes_no_plaintext_key_or_name() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
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

#[test]
fn a_template_survives_the_sled_store() {
    use keyward_kmip::objects::Template;
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap();
    let mut object = symmetric_key("t", "alice", "tpl");
    object.object = Some(ManagedObject::Template(Template {
        attributes: vec![IndexedAttribute::new(Attribute::ObjectGroup("group".into()))],
    }));
    store.commit(vec![Change::Insert(object.clone())]).unwrap().wait().unwrap();
    assert_eq!(store.get("t").unwrap().unwrap().object, object.object);
}

/// Concurrent read-modify-write of one object: every commit that succeeds is seen, and the cache of
/// decrypted objects never hands out a stale revision for long (a stale read only costs a retry).
#[test]
fn concurrent_updates_of_one_object_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SledStore::open(dir.path(), &Kek::from_bytes([1; 32])).unwrap());
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
