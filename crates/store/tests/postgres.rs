//! What the postgres store promises beyond the contract (`contract.rs`): several nodes on one
//! database (coherent caches, leases, one leader per job), the keyring in the database and KEK
//! rotation, backups, schema versions, TLS to the database, reconnection, and the move from sled
//! and back. Needs the test server (see `contract.rs`); without it each test says so and passes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use keyward_kmip::attributes::{Attribute, IndexedAttribute};
use keyward_kmip::enums::State;
use keyward_store::{Change, IndexTerm, Kek, MemoryStore, ObjectStore, PostgresStore, SledStore, StoreError};

#[path = "support/objects.rs"]
mod objects;
#[path = "support/postgres.rs"]
mod postgres;

use objects::{KEY_BYTES, insert, symmetric_key};

/// Two stores on one database (two nodes): each sees the other's commits at once, and a Name
/// claimed on one is taken on the other.
#[test]
fn postgres_stores_on_one_database_see_each_other() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let a = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    let b = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    insert(&a, symmetric_key("k1", "alice", "shared"));
    assert_eq!(b.get("k1").unwrap().unwrap().revision, 1);
    assert_eq!(b.candidates(&[IndexTerm::name("shared")]).unwrap(), ["k1"]);
    let mut changed = (*b.get("k1").unwrap().unwrap()).clone();
    changed.attributes[2] = IndexedAttribute::new(Attribute::State(State::Active));
    b.commit(vec![Change::Update(changed.clone())]).unwrap().wait().unwrap();
    assert_eq!(a.get("k1").unwrap().unwrap().attributes[2], changed.attributes[2]);
    // a's copy is stale now.
    assert!(matches!(a.commit(vec![Change::Update(changed)]), Err(StoreError::Conflict(_))));
    assert!(matches!(
        b.commit(vec![Change::Insert(symmetric_key("k2", "alice", "shared"))]),
        Err(StoreError::Conflict(_))
    ));
    a.put_setting("grant/g", Some(b"v")).unwrap().wait().unwrap();
    assert_eq!(b.setting("grant/g").unwrap().unwrap().as_slice(), b"v");
}

/// Counts the reads a store answered from its cache.
#[derive(Default)]
struct CacheHits(AtomicUsize);

impl keyward_store::StoreObserver for CacheHits {
    fn cache_lookup(&self, hit: bool) {
        if hit {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A store on `url` whose cache hits `hits` counts, with leases of `lease`.
fn counted_postgres(url: &str, hits: &Arc<CacheHits>, lease: std::time::Duration) -> PostgresStore {
    let observer: Arc<dyn keyward_store::StoreObserver> = hits.clone();
    let options = keyward_store::PostgresOptions {
        observer,
        lease,
        ..keyward_store::PostgresOptions::new(keyward_core::record_schema::schema())
    };
    PostgresStore::connect_with(url, &Kek::from_bytes([1; 32]), &options).unwrap()
}

/// Reads `uid` through `store` until a read is answered from its cache (its lease is taken).
fn until_cached(store: &PostgresStore, hits: &CacheHits, uid: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let before = hits.0.load(Ordering::SeqCst);
    while hits.0.load(Ordering::SeqCst) == before {
        assert!(std::time::Instant::now() < deadline, "the cache never answered");
        store.get(uid).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Each node answers reads from its cache, and yet sees a change made through another node as
/// soon as that change is acknowledged: the writer waits until the reader dropped its copy.
#[test]
fn postgres_caches_stay_coherent_between_nodes() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let (a_hits, b_hits) = (Arc::new(CacheHits::default()), Arc::new(CacheHits::default()));
    let a = counted_postgres(&url, &a_hits, coherence_lease());
    let b = counted_postgres(&url, &b_hits, coherence_lease());
    insert(&a, symmetric_key("k", "alice", "n"));
    until_cached(&a, &a_hits, "k");
    until_cached(&b, &b_hits, "k");
    for round in 0..40u64 {
        let (writer, reader) = if round % 2 == 0 { (&b, &a) } else { (&a, &b) };
        let seen = reader.get("k").unwrap().unwrap();
        assert_eq!(seen.revision, round + 1);
        let mut changed = (*writer.get("k").unwrap().unwrap()).clone();
        changed.attributes[2] =
            IndexedAttribute::new(Attribute::State(if round % 2 == 0 { State::Active } else { State::Deactivated }));
        writer.commit(vec![Change::Update(changed.clone())]).unwrap().wait().unwrap();
        let now = reader.get("k").unwrap().unwrap();
        assert_eq!((now.revision, &now.attributes[2]), (round + 2, &changed.attributes[2]), "round {round}");
    }
    assert!(a_hits.0.load(Ordering::SeqCst) >= 20 && b_hits.0.load(Ordering::SeqCst) >= 20, "the caches answered");
}

/// The lease used by the coherence tests: short, so that waiting for one is quick.
fn coherence_lease() -> std::time::Duration {
    std::time::Duration::from_secs(1)
}

/// A node that holds a lease but never answers (it died without a word) holds up a change of an
/// existing object until its lease has expired, and no longer; a node that stops cleanly leaves
/// at once.
#[test]
fn postgres_waits_for_a_silent_node_until_its_lease_expires() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let hits = Arc::new(CacheHits::default());
    let a = counted_postgres(&url, &hits, coherence_lease());
    insert(&a, symmetric_key("k", "alice", "n"));
    until_cached(&a, &hits, "k");
    let b = counted_postgres(&url, &Arc::new(CacheHits::default()), coherence_lease());
    let leases = "SELECT count(*)::text FROM nodes WHERE lease_expires > now()";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while postgres::query_text(&url, leases) != "2" {
        assert!(std::time::Instant::now() < deadline, "the second node took no lease");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(b);
    assert_eq!(postgres::query_text(&url, leases), "1", "a stopped node leaves");

    postgres::execute(&url, "INSERT INTO nodes VALUES ('silent/1', now() + interval '1.5 seconds')");
    let started = std::time::Instant::now();
    let changed = (*a.get("k").unwrap().unwrap()).clone();
    a.commit(vec![Change::Update(changed)]).unwrap().wait().unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "{:?}", started.elapsed());
    assert_eq!(a.get("k").unwrap().unwrap().revision, 2);
}

/// A backup written by a node holds the whole database at one instant, sealed; it is checked
/// with the KEK without a database, and restored into an empty database it serves every object,
/// setting and Name claim again under the same KEK.
#[test]
fn postgres_backup_restores_into_an_empty_database() {
    let Some(server) = postgres::server() else { return };
    let kek = Kek::from_bytes([1; 32]);
    let url = postgres::fresh_database(&server);
    let a = PostgresStore::connect(&url, &kek, keyward_core::record_schema::schema()).unwrap();
    insert(&a, symmetric_key("k1", "alice", "shared"));
    insert(&a, symmetric_key("k2", "bob", "other"));
    let changed = (*a.get("k1").unwrap().unwrap()).clone();
    a.commit(vec![Change::Update(changed)]).unwrap().wait().unwrap();
    a.put_setting("grant/g", Some(b"v")).unwrap().wait().unwrap();
    let mut bytes = Vec::new();
    let manifest = a.backup(7, &mut bytes).unwrap();
    assert_eq!((manifest.backend.as_str(), manifest.objects, manifest.settings), ("postgres", 2, 1));
    let backup = keyward_store::backup::Backup::read(bytes.as_slice()).unwrap();
    assert_eq!(
        keyward_store::verify_postgres_backup(&backup, &kek, &keyward_core::record_schema::schema()).unwrap(),
        2
    );
    assert!(matches!(
        keyward_store::verify_postgres_backup(
            &backup,
            &Kek::from_bytes([2; 32]),
            &keyward_core::record_schema::schema()
        ),
        Err(StoreError::WrongKek)
    ));
    assert!(!bytes.windows(KEY_BYTES.len()).any(|w| w == KEY_BYTES), "key material in the clear");

    let target = postgres::fresh_database(&server);
    let options = keyward_store::PostgresOptions::new(keyward_core::record_schema::schema());
    let restored = PostgresStore::restore(&target, &options, &backup).unwrap();
    assert_eq!((restored.objects, restored.settings), (2, 1));
    let b = PostgresStore::connect(&target, &kek, keyward_core::record_schema::schema()).unwrap();
    assert_eq!(b.get("k1").unwrap().unwrap().revision, 2);
    assert_eq!(b.candidates(&[IndexTerm::name("shared")]).unwrap(), ["k1"]);
    assert_eq!(b.candidates(&[]).unwrap(), ["k2", "k1"], "creation order kept");
    assert_eq!(b.setting("grant/g").unwrap().unwrap().as_slice(), b"v");
    assert!(matches!(
        b.commit(vec![Change::Insert(symmetric_key("k3", "alice", "shared"))]),
        Err(StoreError::Conflict(_))
    ));
    assert!(PostgresStore::restore(&target, &options, &backup).is_err(), "a database that holds a store");

    // A record changed in the file (and its checksum made again) no longer checks with the KEK.
    let mut edited = backup;
    let object = edited.entries.iter_mut().find(|e| e.key == b"k2").unwrap();
    let last = object.value.len() - 1;
    object.value[last] ^= 1;
    assert!(keyward_store::verify_postgres_backup(&edited, &kek, &keyward_core::record_schema::schema()).is_err());
}

/// A background job is led by one store of a database at a time, and by another once the leader
/// is gone.
#[test]
fn postgres_lets_one_node_at_a_time_lead_a_job() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let a = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    let b = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    assert!(a.lead("rotation scheduler").unwrap());
    assert!(a.lead("rotation scheduler").unwrap(), "the leader keeps leading");
    assert!(!b.lead("rotation scheduler").unwrap());
    assert!(b.lead("another job").unwrap(), "jobs are led apart");
    drop(a);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.lead("rotation scheduler").unwrap() {
        assert!(std::time::Instant::now() < deadline, "the job was not taken over");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        MemoryStore::new(keyward_core::record_schema::schema()).lead("rotation scheduler").unwrap(),
        "a store of one process always leads"
    );
}

/// A wrong KEK is refused, on an empty database too once a first node wrote its check value.
#[test]
fn postgres_refuses_a_wrong_kek() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    drop(PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap());
    assert!(matches!(
        PostgresStore::connect(&url, &Kek::from_bytes([2; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::WrongKek)
    ));
    let store = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    insert(&store, symmetric_key("a", "alice", "n"));
    assert!(matches!(
        PostgresStore::connect(&url, &Kek::from_bytes([2; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::WrongKek)
    ));
}

/// The database holds no key byte and no clear Name, owner or setting value; a record moved to
/// another row does not open.
#[test]
fn postgres_sees_no_key_material_or_clear_attribute() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let store = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    insert(&store, symmetric_key("a", "owner-in-clear?", "very-secret-name"));
    insert(&store, symmetric_key("b", "owner-in-clear?", "another-name"));
    store.put_setting("grant/s", Some(b"setting-value-in-clear?")).unwrap().wait().unwrap();
    let dump = postgres::everything(&url);
    let audit_key = store.derive_key(b"a purpose");
    for needle in
        [&KEY_BYTES[..], b"very-secret-name", b"owner-in-clear?", b"setting-value-in-clear?", &[1; 32], &audit_key[..]]
    {
        assert!(
            !dump.windows(needle.len()).any(|w| w == needle),
            "{:?} in the database",
            String::from_utf8_lossy(needle)
        );
    }
    postgres::execute(
        &url,
        "UPDATE objects SET sealed = (SELECT sealed FROM objects WHERE unique_identifier = 'a') WHERE unique_identifier = 'b'",
    );
    assert!(matches!(store.get("b"), Err(StoreError::Corrupt(_))));
    assert!(store.get("a").unwrap().is_some());
}

/// The schema is recorded in schema_migrations, and a second open migrates nothing.
#[test]
fn postgres_schema_is_versioned() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    drop(PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap());
    drop(PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap());
    let versions =
        postgres::query_text(&url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations");
    let all: Vec<String> = (1..=PostgresStore::schema_version()).map(|v| v.to_string()).collect();
    assert_eq!(versions, all.join(","));
    postgres::execute(&url, "INSERT INTO schema_migrations (version, description) VALUES (9999, 'from the future')");
    let refused =
        PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).err().unwrap();
    assert!(refused.to_string().contains("newer than this server"), "{refused}");
}

/// The keyring in the database: every node derives the same keys from it; a KEK rotation rewraps
/// it under a new KEK version (the other nodes keep working, and open with the new version at
/// their next start). A backup after it opens with the new KEK.
#[test]
fn postgres_keeps_one_keyring_wrapped_by_the_kek_and_rotates_the_kek() {
    use keyward_store::{FileKekSource, KekState, PostgresOptions};
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let dir = tempfile::tempdir().unwrap();
    let source = Arc::new(FileKekSource::new(dir.path().join("kek")));
    let connect = || {
        PostgresStore::connect_with_source(
            &url,
            source.clone(),
            &PostgresOptions::new(keyward_core::record_schema::schema()),
        )
    };
    let a = connect().unwrap();
    let b = connect().unwrap();
    assert_eq!(a.derive_key(b"audit")[..], b.derive_key(b"audit")[..]);
    assert_ne!(a.derive_key(b"audit")[..], a.derive_key(b"other")[..]);
    insert(&a, symmetric_key("k1", "alice", "before"));
    a.put_setting("grant/g", Some(b"v")).unwrap().wait().unwrap();
    let admin = a.kek_admin().unwrap();
    let status = admin.status().unwrap();
    assert_eq!((status.source, status.active_version, status.data_key_derived_from_kek), ("file", 1, false));
    let status = admin.rotate(false).unwrap();
    assert_eq!(status.active_version, 2);
    assert_eq!(status.versions.iter().map(|v| v.state).collect::<Vec<_>>(), [KekState::Retired, KekState::Active]);
    // The other node sees the new version, and goes on reading and writing.
    assert_eq!(b.kek_admin().unwrap().status().unwrap().active_version, 2);
    insert(&b, symmetric_key("k2", "alice", "after"));
    assert!(a.get("k2").unwrap().is_some());
    // A backup after the rotation opens with the KEK of version 2 (the keyring's now).
    let mut out = Vec::new();
    a.backup(0, &mut out).unwrap();
    let backup = keyward_store::backup::Backup::read(out.as_slice()).unwrap();
    assert_eq!(
        keyward_store::verify_postgres_backup(&backup, source.as_ref(), &keyward_core::record_schema::schema())
            .unwrap(),
        2
    );
    let root = a.derive_key(b"audit");
    drop((a, b));
    // The old KEK is needed for nothing now; without the new one, the store does not open.
    std::fs::remove_file(source.path_of(1)).unwrap();
    let again = connect().unwrap();
    assert_eq!(again.derive_key(b"audit")[..], root[..]);
    assert!(again.get("k1").unwrap().is_some());
    assert_eq!(again.setting("grant/g").unwrap().unwrap().as_slice(), b"v");
    drop(again);
    assert!(matches!(
        PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::KekUnavailable(_))
    ));
    std::fs::remove_file(source.path_of(2)).unwrap();
    assert!(matches!(connect(), Err(StoreError::KekUnavailable(_))));
    assert!(!source.path_of(1).exists(), "a KEK was made for a database that has a keyring");
}

/// A database of schema version 1 (before keyrings: its keys derived from the KEK's bytes, and a
/// check value sealed under them in keyward_meta) gets those keys as its keyring at its first
/// open; a wrong KEK is refused before anything is written.
#[test]
fn postgres_opens_a_database_made_before_keyrings() {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use hkdf::Hkdf;
    use sha2::Sha256;
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    // Schema 1 as that version made it, and its check value (the sealing of that version: nonce,
    // ciphertext and tag, under the key HKDF derived from the KEK).
    let kek = [3u8; 32];
    let mut record_key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"keyward store"), &kek).expand(b"record sealing v1", &mut record_key).unwrap();
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&record_key).unwrap();
    let nonce = [9u8; 12];
    let sealed = cipher.encrypt(&nonce.into(), Payload { msg: b"keyward kek check v1", aad: b"kek-check" }).unwrap();
    let check: String = [nonce.as_slice(), &sealed].concat().iter().map(|b| format!("{b:02x}")).collect();
    postgres::execute(
        &url,
        &format!(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version, description) VALUES (1, 'initial schema');
             {}
             INSERT INTO keyward_meta (name, value) VALUES ('kek-check', '\\x{check}');",
            include_str!("../src/postgres/migrations/0001_initial.sql")
        ),
    );
    assert!(matches!(
        PostgresStore::connect(&url, &Kek::from_bytes([4; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::WrongKek)
    ));
    assert_eq!(postgres::query_text(&url, "SELECT count(*)::text FROM keyring"), "0");
    let store = PostgresStore::connect(&url, &Kek::from_bytes(kek), keyward_core::record_schema::schema()).unwrap();
    insert(&store, symmetric_key("a", "alice", "n"));
    let status = store.kek_admin().unwrap().status().unwrap();
    assert!(status.data_key_derived_from_kek);
    // A KEK given as is has no next version to rotate to.
    assert!(matches!(store.kek_admin().unwrap().rotate(false), Err(StoreError::KekUnavailable(_))));
    drop(store);
    assert_eq!(postgres::query_text(&url, "SELECT count(*)::text FROM keyward_meta"), "0");
    let store = PostgresStore::connect(&url, &Kek::from_bytes(kek), keyward_core::record_schema::schema()).unwrap();
    assert!(store.get("a").unwrap().is_some());
    assert!(matches!(
        PostgresStore::connect(&url, &Kek::from_bytes([4; 32]), keyward_core::record_schema::schema()),
        Err(StoreError::WrongKek)
    ));
    drop(store);
    // Its first rotation, with the KEK as a file, also makes a random data key and re-seals
    // every record under it: then the old KEK's bytes open nothing, and its file may go.
    use keyward_store::KekState;
    let dir = tempfile::tempdir().unwrap();
    let source = Arc::new(keyward_store::FileKekSource::new(dir.path().join("kek")));
    write_private(&source.path_of(1), &kek.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let options = keyward_store::PostgresOptions::new(keyward_core::record_schema::schema());
    let store = PostgresStore::connect_with_source(&url, source.clone(), &options).unwrap();
    let admin = store.kek_admin().unwrap();
    let status = admin.rotate(false).unwrap();
    assert!(!status.data_key_derived_from_kek);
    assert_eq!(status.data_key_generation, 2);
    assert!(admin.wait_for_reseal(std::time::Duration::from_secs(30)));
    let status = admin.status().unwrap();
    assert!(status.reseal.is_none(), "{:?}", status.reseal);
    assert_eq!(status.versions.iter().map(|v| v.state).collect::<Vec<_>>(), [KekState::Retired, KekState::Active]);
    drop((admin, store));
    std::fs::remove_file(source.path_of(1)).unwrap();
    let store = PostgresStore::connect_with_source(&url, source, &options).unwrap();
    assert_eq!(store.get("a").unwrap().unwrap().unique_identifier, "a");
}

/// Writes a KEK file as an operator would: readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A new data key made on one node of two: both seal under it at once, every record and setting
/// moves to it in the background while the other node keeps creating, the old key leaves the
/// keyring, and a handle opened afterwards (which holds only the new key) reads everything.
#[test]
fn postgres_a_new_data_key_reseals_every_record_while_another_node_writes() {
    use keyward_store::{FileKekSource, PostgresOptions};
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let dir = tempfile::tempdir().unwrap();
    let source = Arc::new(FileKekSource::new(dir.path().join("kek")));
    let connect = |cache: bool| {
        let options = PostgresOptions { cache, ..PostgresOptions::new(keyward_core::record_schema::schema()) };
        PostgresStore::connect_with_source(&url, source.clone(), &options).unwrap()
    };
    let (a, b) = (connect(true), connect(true));
    // A tool's handle hears of no keyring change: it must find out when it writes.
    let tool = connect(false);
    for i in 0..600 {
        let node = if i % 2 == 0 { &a } else { &b };
        insert(node, symmetric_key(&format!("before-{i}"), "alice", &format!("n{i}")));
    }
    a.put_setting("grant/g", Some(b"v")).unwrap().wait().unwrap();
    let stop = AtomicBool::new(false);
    let created = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut created = 0;
            while !stop.load(Ordering::SeqCst) {
                insert(&b, symmetric_key(&format!("during-{created}"), "bob", &format!("d{created}")));
                created += 1;
            }
            created
        });
        let admin = a.kek_admin().unwrap();
        let status = admin.rotate(true).unwrap();
        assert_eq!((status.active_version, status.data_key_generation), (2, 2));
        assert!(admin.wait_for_reseal(Duration::from_secs(60)), "{:?}", admin.status().unwrap().reseal);
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap()
    });
    assert!(created > 0);
    // The other node followed: it seals under the new key and no longer holds the old one.
    let b_admin = b.kek_admin().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b_admin.status().unwrap().reseal.is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = b_admin.status().unwrap();
    assert_eq!((status.data_key_generation, status.reseal.is_none()), (2, true));
    // Nothing in the database is sealed under generation 1 any more.
    let left =
        "SELECT count(*)::text FROM objects WHERE substring(sealed FROM 1 FOR 8) <> '\\x4b57530100000002'::bytea";
    assert_eq!(postgres::query_text(&url, left), "0");
    let fresh = connect(false);
    for i in 0..600 {
        assert!(fresh.get(&format!("before-{i}")).unwrap().is_some(), "before-{i}");
    }
    for n in 0..created {
        assert!(fresh.get(&format!("during-{n}")).unwrap().is_some(), "during-{n}");
    }
    assert_eq!(fresh.setting("grant/g").unwrap().unwrap().as_slice(), b"v");
    // And both nodes still read and write; so does the tool, under the new key.
    insert(&a, symmetric_key("after", "alice", "after"));
    assert!(b.get("after").unwrap().is_some());
    insert(&tool, symmetric_key("from-tool", "carol", "t"));
    tool.put_setting("grant/t", Some(b"w")).unwrap().wait().unwrap();
    assert_eq!(postgres::query_text(&url, left), "0");
    assert!(fresh.get("from-tool").unwrap().is_some());
    assert_eq!(fresh.setting("grant/t").unwrap().unwrap().as_slice(), b"w");
}

/// The database drops every connection (a restart, a failover): the store answers errors for the
/// connections it held, then opens new ones without being reopened.
#[test]
fn postgres_store_reconnects_after_the_database_drops_its_connections() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let store = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    insert(&store, symmetric_key("a", "alice", "n"));
    postgres::execute(
        &url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    let mut failures = 0;
    let recovered = (0..50).any(|_| match store.get("a") {
        Ok(found) => found.is_some(),
        Err(StoreError::Backend(_)) => {
            failures += 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
            false
        }
        Err(other) => panic!("{other}"),
    });
    assert!(recovered, "no recovery after {failures} failures");
    insert(&store, symmetric_key("b", "alice", "m"));
    assert_eq!(store.candidates(&[IndexTerm::owner("alice")]).unwrap(), ["b", "a"]);
}

/// Without CA certificates to check the database server against, a URL that requires TLS is
/// refused, never served in clear.
#[test]
fn postgres_refuses_a_url_that_requires_tls_without_a_ca() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let separator = if url.contains('?') { '&' } else { '?' };
    let required = format!("{url}{separator}sslmode=require");
    assert!(
        PostgresStore::connect(&required, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).is_err()
    );
}

/// TLS to the database: with the CA of the server's certificate, every connection is encrypted
/// (PostgreSQL says so in pg_stat_ssl); with another CA, the store refuses to connect.
#[test]
fn postgres_connects_over_tls_with_the_configured_ca() {
    let Some(server) = postgres::server() else { return };
    let Ok(ca) = std::env::var("KEYWARD_TEST_POSTGRES_CA") else {
        eprintln!("!!!! SKIPPED: KEYWARD_TEST_POSTGRES_CA is not set, so TLS to the database was NOT tested.");
        return;
    };
    let url = postgres::fresh_database(&server);
    let tls = |pem: Vec<u8>| keyward_store::PostgresOptions {
        tls_ca_pem: Some(pem),
        ..keyward_store::PostgresOptions::new(keyward_core::record_schema::schema())
    };
    let store =
        PostgresStore::connect_with(&url, &Kek::from_bytes([1; 32]), &tls(std::fs::read(&ca).unwrap())).unwrap();
    insert(&store, symmetric_key("a", "alice", "over-tls"));
    assert!(store.get("a").unwrap().is_some());
    let encrypted = postgres::query_text(
        &url,
        "SELECT count(*)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.application_name = 'keyward' AND a.datname = current_database() AND s.ssl",
    );
    assert_ne!(encrypted, "0", "no connection of the store is encrypted");
    let clear = postgres::query_text(
        &url,
        "SELECT count(*)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.application_name = 'keyward' AND a.datname = current_database() AND NOT s.ssl",
    );
    assert_eq!(clear, "0", "a connection of the store is in clear");
    // A CA that did not issue the server's certificate.
    let other_ca = include_bytes!("data/unrelated-ca.pem").to_vec();
    let refused = PostgresStore::connect_with(&url, &Kek::from_bytes([1; 32]), &tls(other_ca)).err().unwrap();
    assert!(refused.to_string().contains("connecting"), "{refused}");
}

/// `keyward store migrate`'s copy: sled into PostgreSQL and back, every object (revisions,
/// creation order, indexes, claims) and setting the same; a target that is not empty is refused.
#[test]
fn a_store_moves_from_sled_to_postgres_and_back() {
    use keyward_store::migrate::{Copied, copy_store, verify_same};
    let Some(server) = postgres::server() else { return };
    let kek = Kek::from_bytes([1; 32]);
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(&dir.path().join("from"), &kek, keyward_core::record_schema::schema()).unwrap();
    insert(&sled, symmetric_key("a", "alice", "payroll"));
    insert(&sled, symmetric_key("b", "bob", "payroll"));
    let mut changed = (*sled.get("a").unwrap().unwrap()).clone();
    changed.attributes[2] = IndexedAttribute::new(Attribute::State(State::Active));
    sled.commit(vec![Change::Update(changed)]).unwrap().wait().unwrap();
    sled.put_setting("grant/x", Some(b"g")).unwrap().wait().unwrap();

    let postgres =
        PostgresStore::connect(&postgres::fresh_database(&server), &kek, keyward_core::record_schema::schema())
            .unwrap();
    let mut seen = Vec::new();
    let copied = copy_store(&sled, &postgres, &mut |done, all| seen.push((done, all))).unwrap();
    assert_eq!(copied, Copied { objects: 2, settings: 1 });
    assert_eq!(seen.last(), Some(&(2, 2)));
    assert_eq!(postgres.get("a").unwrap().unwrap().revision, 2);
    assert_eq!(postgres.candidates(&[IndexTerm::name("payroll")]).unwrap(), ["b", "a"]);
    assert!(matches!(
        postgres.commit(vec![Change::Insert(symmetric_key("c", "alice", "payroll"))]),
        Err(StoreError::Conflict(_))
    ));
    assert!(copy_store(&sled, &postgres, &mut |_, _| {}).is_err(), "copied into a store that is not empty");

    let back = SledStore::open(&dir.path().join("back"), &kek, keyward_core::record_schema::schema()).unwrap();
    copy_store(&postgres, &back, &mut |_, _| {}).unwrap();
    verify_same(&sled, &back).unwrap();
}

/// A handle for a one-off tool (`cache: false`) takes no lease among the nodes, reads and creates
/// objects, and is refused a change of an existing object, which the nodes' caches would not hear
/// of.
#[test]
fn postgres_a_tool_takes_no_lease_and_changes_nothing_existing() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let options = keyward_store::PostgresOptions {
        cache: false,
        ..keyward_store::PostgresOptions::new(keyward_core::record_schema::schema())
    };
    let tool = PostgresStore::connect_with(&url, &Kek::from_bytes([1; 32]), &options).unwrap();
    insert(&tool, symmetric_key("k", "alice", "n"));
    let read = (*tool.get("k").unwrap().unwrap()).clone();
    assert!(matches!(tool.commit(vec![Change::Update(read)]), Err(StoreError::Unsupported(_))));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(postgres::query_text(&url, "SELECT count(*)::text FROM nodes"), "0");
}

/// Every commit of the cluster gets a number in one order: a commit after another, on either
/// node, gets a greater one, and a restored backup goes on after the numbers it holds.
#[test]
fn postgres_commits_are_numbered_in_one_order_across_nodes() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let kek = Kek::from_bytes([1; 32]);
    let (a, b) = (
        PostgresStore::connect(&url, &kek, keyward_core::record_schema::schema()).unwrap(),
        PostgresStore::connect(&url, &kek, keyward_core::record_schema::schema()).unwrap(),
    );
    let order = |ticket: keyward_store::CommitTicket| ticket.order().expect("a postgres commit is numbered");
    let first = order(a.commit(vec![Change::Insert(symmetric_key("k", "alice", "n"))]).unwrap());
    let changed = (*b.get("k").unwrap().unwrap()).clone();
    let second = order(b.commit(vec![Change::Update(changed)]).unwrap());
    let third = order(a.commit(vec![Change::Insert(symmetric_key("l", "alice", "m"))]).unwrap());
    assert!(first < second && second < third, "{first} {second} {third}");
    assert!(
        MemoryStore::new(keyward_core::record_schema::schema())
            .commit(vec![Change::Insert(symmetric_key("k", "a", "n"))])
            .unwrap()
            .order()
            .is_none()
    );

    let mut bytes = Vec::new();
    a.backup(0, &mut bytes).unwrap();
    let backup = keyward_store::backup::Backup::read(bytes.as_slice()).unwrap();
    let target = postgres::fresh_database(&server);
    PostgresStore::restore(
        &target,
        &keyward_store::PostgresOptions::new(keyward_core::record_schema::schema()),
        &backup,
    )
    .unwrap();
    let restored = PostgresStore::connect(&target, &kek, keyward_core::record_schema::schema()).unwrap();
    let next = order(restored.commit(vec![Change::Insert(symmetric_key("z", "alice", "z"))]).unwrap());
    assert!(next > third, "{next} after {third}");
}

/// Concurrent Creates on one node are written several to a statement (group commit): each object
/// keeps its own index rows, and of the Creates of one Name (here eight at a time, one per
/// thread) exactly one wins, whichever batches they land in.
#[test]
fn postgres_concurrent_creates_are_written_together_and_each_keeps_its_own_index_rows() {
    let Some(server) = postgres::server() else { return };
    let url = postgres::fresh_database(&server);
    let store = PostgresStore::connect(&url, &Kek::from_bytes([1; 32]), keyward_core::record_schema::schema()).unwrap();
    let (threads, rounds) = (8, 40);
    let won = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (store, won) = (&store, &won);
            scope.spawn(move || {
                for round in 0..rounds {
                    insert(
                        store,
                        symmetric_key(&format!("own-{thread}-{round}"), "alice", &format!("own-{thread}-{round}")),
                    );
                    let contested =
                        symmetric_key(&format!("contested-{thread}-{round}"), "alice", &format!("shared-{round}"));
                    match store.commit(vec![Change::Insert(contested)]) {
                        Ok(ticket) => {
                            ticket.wait().unwrap();
                            won.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(StoreError::Conflict(_)) => {}
                        Err(other) => panic!("{other}"),
                    }
                }
            });
        }
    });
    assert_eq!(won.load(Ordering::SeqCst), rounds);
    for round in 0..rounds {
        let holders = store.candidates(&[IndexTerm::name(&format!("shared-{round}"))]).unwrap();
        assert_eq!(holders.len(), 1, "shared-{round}: {holders:?}");
        for thread in 0..threads {
            let uid = format!("own-{thread}-{round}");
            let found = store.candidates(&[IndexTerm::name(&uid), IndexTerm::owner("alice")]).unwrap();
            assert_eq!(found, std::slice::from_ref(&uid));
        }
    }
    let rows = postgres::query_text(&url, "SELECT count(*)::text FROM objects");
    assert_eq!(rows, (threads * rounds + rounds).to_string());
}
