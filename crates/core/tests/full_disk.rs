//! A store that cannot take changes (a full disk): changes fail with a KMIP error, and a Get,
//! whose only change is bookkeeping (Fresh), still hands the key out.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keyward_core::{Dispatcher, Policy, Services};
use keyward_store::{Change, CommitTicket, IndexTerm, MemoryStore, ObjectStore, StoreError, StoreResult, StoredObject};
use keyward_ttlv::{KmipVersion, Tag};
use support::*;
use zeroize::Zeroizing;

/// A memory store whose commits fail while `full` is set.
struct FullDisk {
    inner: MemoryStore,
    full: AtomicBool,
}

impl ObjectStore for FullDisk {
    fn get(&self, uid: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        self.inner.get(uid)
    }
    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("no space left on device".into()));
        }
        self.inner.commit(changes)
    }
    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        self.inner.candidates(terms)
    }
    fn read_fence(&self) -> CommitTicket {
        self.inner.read_fence()
    }
    fn flush(&self) -> StoreResult<()> {
        self.inner.flush()
    }
    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        self.inner.setting(key)
    }
    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        self.inner.settings(prefix)
    }
    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        self.inner.put_setting(key, value)
    }
}

#[test]
fn a_get_hands_the_key_out_when_only_fresh_cannot_be_written() {
    let store = Arc::new(FullDisk {
        inner: MemoryStore::new(keyward_core::record_schema::schema()),
        full: AtomicBool::new(false),
    });
    let clock = Arc::new(TestClock(std::sync::atomic::AtomicI64::new(NOW)));
    let services = Services { store: store.clone(), policy: Policy::default(), clock: clock.clone() };
    let server = Server { dispatcher: Dispatcher::new(services), clock };
    let version = KmipVersion::V2_1;
    let created = server.ok("alice", version, &create_aes_2x("payroll"));
    let uid = text(&created, Tag::UniqueIdentifier).unwrap();

    store.full.store(true, Ordering::SeqCst);
    // A change fails cleanly, with a reason, not a closed connection.
    assert_eq!(server.fails("alice", version, &create_aes_2x("other")), "GeneralFailure");
    // The first Get of a fresh key would write Fresh = false: the key is handed out all the same.
    let got = server.ok("alice", version, &item("Get", &uid_xml(&uid)));
    assert!(bytes(&got, Tag::KeyMaterial).is_some_and(|k| k.len() == 32));

    // Space is back: the next Get records that the key is no longer fresh.
    store.full.store(false, Ordering::SeqCst);
    server.ok("alice", version, &item("Get", &uid_xml(&uid)));
    let stored = store.get(&uid).unwrap().unwrap();
    assert!(stored.attributes.iter().any(|a| matches!(a.attribute, keyward_kmip::attributes::Attribute::Fresh(false))));
}
