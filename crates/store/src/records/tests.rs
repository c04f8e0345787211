//! The record layer over a backend whose flush fails on demand: the recovery is the layer's, for
//! every backend (sled's own part is tested in `tests/full_disk.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};

use super::resident_index::ResidentIndex;
use super::{Loaded, RecordBackend, RecordStore, RecordWrite, Visit};
use crate::keyring::KeyRing;
use crate::memory::MemoryBackend;
use crate::observer::NoObserver;
use crate::sealing::Sealer;
use crate::{Change, IndexTerm, StoreError, StoreResult, StoredObject};

/// The memory backend, with a flush and a probe that fail while `full` is set.
#[derive(Default)]
struct Flaky {
    inner: MemoryBackend,
    full: AtomicBool,
    reopened: AtomicU32,
}

impl RecordBackend for Flaky {
    type Value = <MemoryBackend as RecordBackend>::Value;

    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Self::Value>> {
        self.inner.get(unique_identifier)
    }
    fn next_sequence(&self) -> StoreResult<u64> {
        self.inner.next_sequence()
    }
    fn write(&self, writes: &[RecordWrite<'_>]) -> StoreResult<()> {
        self.inner.write(writes)
    }
    fn scan(&self, after: Option<&str>, visit: &mut Visit<'_>) -> StoreResult<()> {
        self.inner.scan(after, visit)
    }
    fn setting(&self, key: &str) -> StoreResult<Option<Self::Value>> {
        self.inner.setting(key)
    }
    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Self::Value)>> {
        self.inner.settings(prefix)
    }
    fn put_setting(&self, key: &str, sealed: Option<&[u8]>) -> StoreResult<()> {
        self.inner.put_setting(key, sealed)
    }
    fn flush(&self) -> Result<(), String> {
        if self.full.load(Ordering::SeqCst) { Err("No space left on device (os error 28)".into()) } else { Ok(()) }
    }
    fn reopen(&self) -> StoreResult<Loaded> {
        self.reopened.fetch_add(1, Ordering::SeqCst);
        self.inner.reopen()
    }
    fn probe(&self) -> std::io::Result<()> {
        self.flush().map_err(std::io::Error::other)
    }
    fn location(&self) -> String {
        "flaky memory".into()
    }
}

fn named(uid: &str) -> Change {
    Change::Insert(StoredObject {
        unique_identifier: uid.into(),
        owner: "alice".into(),
        object: None,
        attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(uid)))],
        revision: 0,
    })
}

/// A failed flush fails the commits it covered and refuses changes at once; the layer reopens
/// the backend, rebuilds its index from the records, and takes changes again once the backend's
/// medium takes writes, without a restart. Reads go on throughout.
#[test]
fn the_layer_recovers_from_a_failed_flush() {
    let sealer = Arc::new(Sealer::new(&KeyRing::generate().unwrap()));
    let schema = crate::schema::schema_for_tests();
    let layer = RecordStore::start(Flaky::default(), sealer, schema, ResidentIndex::default(), Arc::new(NoObserver));
    layer.commit(vec![named("before")]).unwrap().wait().unwrap();

    layer.backend.full.store(true, Ordering::SeqCst);
    assert!(matches!(layer.commit(vec![named("during")]).unwrap().wait(), Err(StoreError::Durability(_))));
    assert!(matches!(layer.commit(vec![named("refused")]), Err(StoreError::Unavailable(_))));
    assert!(layer.get("before").unwrap().is_some(), "reads go on");

    layer.backend.full.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match layer.commit(vec![named("after")]) {
            Ok(ticket) => break ticket.wait().unwrap(),
            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(error) => panic!("the layer did not take changes again: {error}"),
        }
    }
    assert!(layer.backend.reopened.load(Ordering::SeqCst) >= 1);
    assert_eq!(layer.candidates(&[IndexTerm::name("before")]), ["before"], "the index rebuilt from the records");
    assert_eq!(layer.candidates(&[IndexTerm::name("after")]), ["after"]);
    assert!(layer.read_fence().wait().is_ok(), "a fence after the recovery is clean");
    layer.close();
}
