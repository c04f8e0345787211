//! A damaged store is refused at open, never served with objects silently missing.

use std::path::Path;

use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_store::{Change, Kek, ObjectStore, SledStore, StoreError, StoredObject};

fn named(uid: &str) -> StoredObject {
    StoredObject {
        unique_identifier: uid.into(),
        owner: "alice".into(),
        object: None,
        attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(uid)))],
        revision: 0,
    }
}

/// Opens again a store just dropped (sled lets go of its lock a moment after the drop).
fn reopen(dir: &Path, kek: &Kek) -> Result<SledStore, keyward_store::StoreError> {
    for _ in 0..100 {
        match SledStore::open(dir, kek, keyward_core::record_schema::schema()) {
            Err(error) if error.to_string().contains("lock") => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => return other,
        }
    }
    SledStore::open(dir, kek, keyward_core::record_schema::schema())
}

fn fill(dir: &Path, kek: &Kek, count: usize) {
    let store = reopen(dir, kek).unwrap();
    for i in 0..count {
        store.commit(vec![Change::Insert(named(&format!("key-{i:04}")))]).unwrap().wait().unwrap();
    }
}

fn flip_byte(file: &Path, fraction: f64) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = (bytes.len() as f64 * fraction) as usize;
    bytes[at] ^= 0x5a;
    std::fs::write(file, bytes).unwrap();
}

/// The fault: 200 keys, one byte of sled's log flipped at 10 % or 50 % of the file, the
/// store opened again. sled alone opens it holding the objects written before the byte (26 and
/// 105 of 200 here); the watermark makes it a refusal that says what is wrong.
#[test]
fn a_flipped_byte_in_the_log_refuses_the_store() {
    for fraction in [0.1, 0.5] {
        let dir = tempfile::tempdir().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        fill(dir.path(), &kek, 200);
        flip_byte(&dir.path().join("objects.sled/db"), fraction);
        match reopen(dir.path(), &kek) {
            Ok(store) => {
                let found = (0..200).filter(|i| matches!(store.get(&format!("key-{i:04}")), Ok(Some(_)))).count();
                assert_eq!(found, 200, "opened at {fraction} with {found} of 200 objects");
            }
            Err(error) => {
                assert!(matches!(error, StoreError::Damaged(_)), "{error}");
                assert!(error.to_string().contains("acknowledged"), "{error}");
            }
        }
        let report = SledStore::verify(dir.path(), &kek, &keyward_core::record_schema::schema(), 64 << 20).unwrap();
        assert!(!report.is_clean(), "verify finds nothing wrong at {fraction}: {report:?}");
    }
}

/// An intact store opens, however often.
#[test]
fn an_intact_store_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let kek = Kek::from_bytes([1; 32]);
    fill(dir.path(), &kek, 20);
    for _ in 0..3 {
        let store = reopen(dir.path(), &kek).unwrap();
        store.commit(vec![Change::Insert(named(&format!("more-{}", uuid())))]).unwrap().wait().unwrap();
    }
    let report = SledStore::verify(dir.path(), &kek, &keyward_core::record_schema::schema(), 64 << 20).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.objects, 23);
}

fn uuid() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// A wrong KEK is refused before sled opens: not a byte of any file changes.
#[test]
fn a_wrong_kek_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let kek = Kek::from_bytes([1; 32]);
    fill(dir.path(), &kek, 20);
    let before = snapshot(dir.path());
    let refused = reopen(dir.path(), &Kek::from_bytes([2; 32]));
    assert!(matches!(refused, Err(StoreError::WrongKek)), "{:?}", refused.err());
    assert!(matches!(
        SledStore::verify(dir.path(), &Kek::from_bytes([2; 32]), &keyward_core::record_schema::schema(), 64 << 20),
        Err(StoreError::WrongKek)
    ));
    assert_eq!(snapshot(dir.path()), before);
}

/// A lost watermark is named, and `accept` (an operator's decision) makes the store open again.
#[test]
fn a_missing_watermark_is_refused_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let kek = Kek::from_bytes([1; 32]);
    fill(dir.path(), &kek, 5);
    std::fs::remove_file(dir.path().join("store.watermark")).unwrap();
    let error = reopen(dir.path(), &kek).err().unwrap();
    assert!(error.to_string().contains("store.watermark is missing"), "{error}");
    let report = SledStore::accept(dir.path(), &kek, &keyward_core::record_schema::schema(), 64 << 20).unwrap();
    assert_eq!(report.objects, 5);
    let store = reopen(dir.path(), &kek).unwrap();
    assert!(store.get("key-0004").unwrap().is_some());
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}
