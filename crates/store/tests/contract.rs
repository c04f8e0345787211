//! The store contract, as one set of checks run against every backend: memory, sled and postgres:
//! conflicts, Name claims under concurrency, concurrent updates, settings, read fences, reopen.
//! What a crash leaves (every acknowledged commit, in order) is checked with real kills:
//! `crates/cli/tests/durability.rs` (a sled server killed with SIGKILL under load) and
//! `postgres_restart.rs` (the database restarted under load).
//!
//! Each check takes a fresh store from a [`Backend`], which can also open the same store again
//! (a reopen). The postgres backend needs a server: `scripts/test` starts one
//! (scripts/postgres-test-server) and sets KEYWARD_TEST_POSTGRES_URL; without that variable the
//! postgres tests say so loudly and pass without running, so that a plain `cargo test` works.
//! What one backend alone promises is in `sled.rs` and `postgres.rs`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_kmip::enums::State;
use keyward_kmip::objects::ManagedObject;
use keyward_store::{
    Change, IndexKind, IndexTerm, Kek, MemoryStore, ObjectStore, PostgresStore, SledStore, StoreError,
};

#[path = "support/objects.rs"]
mod objects;

use objects::{insert, symmetric_key};

/// One store of a backend, which can be opened again.
trait Backend {
    /// The store; a second call opens it again (the earlier handle is dropped first).
    fn open(&self) -> Arc<dyn ObjectStore>;
    /// Whether a reopen reads what was written (not for memory, where it is the same store).
    fn durable(&self) -> bool;
}

struct Memory(Arc<MemoryStore>);

impl Backend for Memory {
    fn open(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.0) as Arc<dyn ObjectStore>
    }
    fn durable(&self) -> bool {
        false
    }
}

struct Sled(tempfile::TempDir);

impl Backend for Sled {
    fn open(&self) -> Arc<dyn ObjectStore> {
        Arc::new(
            SledStore::open(self.0.path(), &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap(),
        )
    }
    fn durable(&self) -> bool {
        true
    }
}

struct Postgres(String);

impl Backend for Postgres {
    fn open(&self) -> Arc<dyn ObjectStore> {
        Arc::new(
            PostgresStore::connect(&self.0, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap(),
        )
    }
    fn durable(&self) -> bool {
        true
    }
}

/// Inserts read back whole; updates need the revision they read; a duplicate insert conflicts;
/// a failed commit of several objects applies none of them.
fn inserts_updates_and_conflicts(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("a", "alice", "payroll"));
    let a = store.get("a").unwrap().expect("a exists");
    assert_eq!((a.revision, a.owner.as_str()), (1, "alice"));
    assert_eq!(a.attributes, symmetric_key("a", "alice", "payroll").attributes);
    assert_eq!(a.object, symmetric_key("a", "alice", "payroll").object);
    assert!(store.get("missing").unwrap().is_none());

    let mut changed = (*a).clone();
    changed.attributes[2] = IndexedAttribute::new(Attribute::State(State::Active));
    store.commit(vec![Change::Update(changed.clone())]).unwrap().wait().unwrap();
    let read = store.get("a").unwrap().unwrap();
    assert_eq!((read.revision, &read.attributes[2]), (2, &changed.attributes[2]));
    // The revision it read has moved on.
    assert!(matches!(store.commit(vec![Change::Update(changed)]), Err(StoreError::Conflict(uid)) if uid == "a"));
    // An update of an object that does not exist.
    assert!(matches!(
        store.commit(vec![Change::Update(symmetric_key("ghost", "alice", "g"))]),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.commit(vec![Change::Insert(symmetric_key("a", "alice", "other"))]),
        Err(StoreError::Conflict(uid)) if uid == "a"
    ));
    let both = vec![Change::Insert(symmetric_key("b", "bob", "two")), Change::Insert(symmetric_key("a", "x", "y"))];
    assert!(matches!(store.commit(both), Err(StoreError::Conflict(_))));
    assert!(store.get("b").unwrap().is_none(), "a failed commit applied one of its changes");
    assert!(store.candidates(&[IndexTerm::name("two")]).unwrap().is_empty());
    let pair = vec![Change::Insert(symmetric_key("c", "bob", "c")), Change::Insert(symmetric_key("d", "bob", "d"))];
    store.commit(pair).unwrap().wait().unwrap();
    assert_eq!(store.get("d").unwrap().unwrap().revision, 1);
    assert_eq!(store.read_fence().wait().map_err(|e| e.to_string()), Ok(()));

    // More indexed values than a record can count is refused whole.
    let mut crowded = symmetric_key("e", "alice", "crowded");
    crowded.attributes.extend(
        (0..keyward_store::MAX_INDEX_TERMS)
            .map(|i| IndexedAttribute::new(Attribute::Name(Name::text(format!("n{i}"))))),
    );
    assert!(matches!(store.commit(vec![Change::Insert(crowded)]), Err(StoreError::LimitExceeded(_))));
    assert!(store.get("e").unwrap().is_none());
}

/// Candidates match every term, newest first, and follow updates.
fn candidates(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("a", "alice", "payroll"));
    insert(&*store, symmetric_key("b", "bob", "payroll"));
    insert(&*store, symmetric_key("c", "alice", "backup"));
    assert_eq!(store.candidates(&[IndexTerm::name("payroll")]).unwrap(), ["b", "a"]);
    assert_eq!(store.candidates(&[IndexTerm::name("payroll"), IndexTerm::owner("alice")]).unwrap(), ["a"]);
    assert_eq!(store.candidates(&[IndexTerm::owner("alice"), IndexTerm::owner("alice")]).unwrap(), ["c", "a"]);
    assert_eq!(store.candidates(&[IndexTerm::enumeration(IndexKind::ObjectType, 2)]).unwrap(), ["c", "b", "a"]);
    assert_eq!(store.candidates(&[IndexTerm::object_group("contract")]).unwrap(), ["c", "b", "a"]);
    assert_eq!(store.candidates(&[]).unwrap(), ["c", "b", "a"]);
    assert!(store.candidates(&[IndexTerm::name("nothing")]).unwrap().is_empty());

    let mut renamed = (*store.get("a").unwrap().unwrap()).clone();
    renamed.attributes[1] = IndexedAttribute::new(Attribute::Name(Name::text("renamed")));
    store.commit(vec![Change::Update(renamed)]).unwrap().wait().unwrap();
    assert_eq!(store.candidates(&[IndexTerm::name("payroll")]).unwrap(), ["b"]);
    assert_eq!(store.candidates(&[IndexTerm::name("renamed")]).unwrap(), ["a"]);
    // An update keeps the creation order.
    assert_eq!(store.candidates(&[]).unwrap(), ["c", "b", "a"]);
}

/// A Name is held by one live object of an owner: another owner's is free, a destroyed object
/// releases it, one commit cannot claim it twice, and an object keeps its own claims.
fn name_claims(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("a", "alice", "payroll"));
    assert!(matches!(
        store.commit(vec![Change::Insert(symmetric_key("b", "alice", "payroll"))]),
        Err(StoreError::Conflict(_))
    ));
    insert(&*store, symmetric_key("c", "bob", "payroll"));
    let a = store.get("a").unwrap().unwrap();
    store.commit(vec![Change::Update((*a).clone())]).unwrap().wait().unwrap();
    let mut destroyed = (*store.get("a").unwrap().unwrap()).clone();
    destroyed.attributes[2] = IndexedAttribute::new(Attribute::State(State::Destroyed));
    destroyed.object = None;
    store.commit(vec![Change::Update(destroyed)]).unwrap().wait().unwrap();
    insert(&*store, symmetric_key("b", "alice", "payroll"));
    let twice =
        vec![Change::Insert(symmetric_key("d", "carol", "x")), Change::Insert(symmetric_key("e", "carol", "x"))];
    assert!(matches!(store.commit(twice), Err(StoreError::Conflict(_))));
    assert!(store.get("d").unwrap().is_none());
    // A rename onto a held Name conflicts too.
    let mut c = (*store.get("c").unwrap().unwrap()).clone();
    c.owner = "alice".into();
    assert!(matches!(store.commit(vec![Change::Update(c)]), Err(StoreError::Conflict(_))));
}

/// Threads create objects of one owner with one Name at once: exactly one wins, every round.
fn concurrent_claims(backend: &dyn Backend) {
    let store = backend.open();
    for round in 0..5 {
        let winners = AtomicUsize::new(0);
        let name = format!("contested-{round}");
        std::thread::scope(|scope| {
            for thread in 0..2 {
                let (store, winners, name) = (&store, &winners, &name);
                scope.spawn(move || {
                    let object = symmetric_key(&format!("r{round}-t{thread}"), "dave", name);
                    match store.commit(vec![Change::Insert(object)]) {
                        Ok(ticket) => {
                            ticket.wait().unwrap();
                            winners.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(StoreError::Conflict(_)) => {}
                        Err(other) => panic!("{other}"),
                    }
                });
            }
        });
        assert_eq!(winners.load(Ordering::SeqCst), 1, "round {round}");
        assert_eq!(store.candidates(&[IndexTerm::name(&name)]).unwrap().len(), 1);
    }
}

/// Read-modify-write of one object from several threads: every successful commit counts once.
fn concurrent_updates(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("k", "alice", "n"));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let store = &store;
            scope.spawn(move || {
                let mut committed = 0;
                while committed < 10 {
                    let current = Arc::unwrap_or_clone(store.get("k").unwrap().unwrap());
                    match store.commit(vec![Change::Update(current)]) {
                        Ok(ticket) => {
                            ticket.wait().unwrap();
                            committed += 1;
                        }
                        Err(StoreError::Conflict(_)) => {}
                        Err(other) => panic!("{other}"),
                    }
                }
            });
        }
    });
    assert_eq!(store.get("k").unwrap().unwrap().revision, 1 + 40);
}

/// Settings: kept, listed by prefix in key order, replaced, deleted.
fn settings(backend: &dyn Backend) {
    let store = backend.open();
    assert!(store.setting("grant/a").unwrap().is_none());
    store.put_setting("grant/b", Some(b"2")).unwrap().wait().unwrap();
    store.put_setting("grant/a", Some(b"1")).unwrap().wait().unwrap();
    store.put_setting("grant/ab", Some(b"12")).unwrap().wait().unwrap();
    store.put_setting("rotation/x", Some(b"3")).unwrap().wait().unwrap();
    store.put_setting("grant/b", Some(b"two")).unwrap().wait().unwrap();
    let listed: Vec<_> = store.settings("grant/").unwrap().into_iter().map(|(k, v)| (k, v.to_vec())).collect();
    let expected = [("grant/a", &b"1"[..]), ("grant/ab", b"12"), ("grant/b", b"two")];
    assert_eq!(listed, expected.map(|(k, v)| (k.to_string(), v.to_vec())));
    store.put_setting("grant/a", None).unwrap().wait().unwrap();
    store.put_setting("grant/never", None).unwrap().wait().unwrap();
    assert!(store.setting("grant/a").unwrap().is_none());
    assert_eq!(store.setting("rotation/x").unwrap().unwrap().as_slice(), b"3");
    assert_eq!(store.settings("").unwrap().len(), 3);
}

/// What was committed is there after a reopen: objects, indexes, claims and settings.
fn reopen(backend: &dyn Backend) {
    if !backend.durable() {
        return;
    }
    {
        let store = backend.open();
        insert(&*store, symmetric_key("a", "alice", "payroll"));
        insert(&*store, symmetric_key("b", "alice", "other"));
        store.put_setting("grant/x", Some(b"kept")).unwrap().wait().unwrap();
        store.flush().unwrap();
    }
    let store = backend.open();
    assert_eq!(store.get("a").unwrap().unwrap().object, symmetric_key("a", "alice", "payroll").object);
    assert_eq!(store.candidates(&[IndexTerm::owner("alice")]).unwrap(), ["b", "a"]);
    assert_eq!(store.setting("grant/x").unwrap().unwrap().as_slice(), b"kept");
    assert!(matches!(
        store.commit(vec![Change::Insert(symmetric_key("c", "alice", "payroll"))]),
        Err(StoreError::Conflict(_))
    ));
}

/// A read waits for what it saw (`read_fence`): a fence taken once a commit is visible completes
/// no earlier than that commit is durable; with nothing pending, a fence is ready at once.
fn read_fences(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("a", "alice", "payroll"));
    assert!(completed(&mut store.read_fence()), "nothing pending: the fence is ready at once");
    for i in 0..20 {
        let uid = format!("k{i}");
        let mut ticket = store.commit(vec![Change::Insert(symmetric_key(&uid, "alice", &uid))]).unwrap();
        assert!(store.get(&uid).unwrap().is_some(), "visible once committed");
        store.read_fence().wait().unwrap();
        assert!(completed(&mut ticket), "a completed fence covers every commit its reader could see");
    }
}

/// Whether a ticket has completed (successfully), asked without waiting.
fn completed(ticket: &mut keyward_store::CommitTicket) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    matches!(std::pin::Pin::new(ticket).poll(&mut cx), std::task::Poll::Ready(Ok(())))
}

/// An index update moves with its object; a template (a 1.x object of attributes only) and a
/// 1.x-only attribute read back whole.
fn index_moves_and_templates(backend: &dyn Backend) {
    let store = backend.open();
    insert(&*store, symmetric_key("a", "alice", "payroll"));
    let mut renamed = (*store.get("a").unwrap().unwrap()).clone();
    renamed.attributes[1] = IndexedAttribute::new(Attribute::Name(Name::text("renamed")));
    store.commit(vec![Change::Update(renamed)]).unwrap().wait().unwrap();
    assert!(store.candidates(&[IndexTerm::name("payroll")]).unwrap().is_empty());
    assert_eq!(store.candidates(&[IndexTerm::name("renamed")]).unwrap(), ["a"]);

    let mut template = symmetric_key("t", "alice", "tpl");
    template.object = Some(ManagedObject::Template(keyward_kmip::objects::Template {
        attributes: vec![IndexedAttribute::new(Attribute::ObjectGroup("group".into()))],
    }));
    insert(&*store, template.clone());
    let read = store.get("t").unwrap().unwrap();
    assert_eq!((&read.object, &read.attributes), (&template.object, &template.attributes));
}

/// Every check, each on a fresh store of the backend.
fn keeps_the_contract(fresh: &dyn Fn() -> Box<dyn Backend>) {
    inserts_updates_and_conflicts(&*fresh());
    index_moves_and_templates(&*fresh());
    candidates(&*fresh());
    name_claims(&*fresh());
    concurrent_claims(&*fresh());
    concurrent_updates(&*fresh());
    settings(&*fresh());
    read_fences(&*fresh());
    reopen(&*fresh());
}

#[test]
fn memory_keeps_the_contract() {
    keeps_the_contract(&|| Box::new(Memory(Arc::new(MemoryStore::new(keyward_core::record_schema::schema())))));
}

#[test]
fn sled_keeps_the_contract() {
    keeps_the_contract(&|| Box::new(Sled(tempfile::tempdir().unwrap())));
}

#[test]
fn postgres_keeps_the_contract() {
    let Some(server) = postgres::server() else { return };
    keeps_the_contract(&|| Box::new(Postgres(postgres::fresh_database(&server))));
}

/// The test server, and a fresh database on it per store.
#[path = "support/postgres.rs"]
mod postgres;
