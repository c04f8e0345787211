//! A failed flush (a full disk) fails its commits and refuses changes while it lasts; once the
//! disk takes writes again, the store does too, without a restart, and holds every commit it
//! acknowledged.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_store::{Change, IndexTerm, Kek, ObjectStore, SledOptions, SledStore, StoreError, StoredObject};

fn named(uid: &str) -> StoredObject {
    StoredObject {
        unique_identifier: uid.into(),
        owner: "alice".into(),
        object: None,
        attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text(uid)))],
        revision: 0,
    }
}

fn create(store: &SledStore, uid: &str) -> Result<(), StoreError> {
    store.commit(vec![Change::Insert(named(uid))])?.wait()
}

/// Commits until one is acknowledged again (the store recovered), for at most `patience`.
fn create_when_back(store: &SledStore, uid: &str, patience: Duration) {
    let started = Instant::now();
    loop {
        match create(store, uid) {
            Ok(()) => return,
            Err(StoreError::Conflict(_)) => return,
            Err(error) => {
                assert!(started.elapsed() < patience, "still refused after {patience:?}: {error}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// A failed commit is either absent or whole: found by its name exactly when it can be read.
fn whole_or_absent(store: &SledStore, uid: &str) {
    let read = store.get(uid).unwrap();
    let found = store.candidates(&[IndexTerm::name(uid)]).unwrap();
    assert_eq!(read.is_some(), found == [uid], "{uid}: read {read:?}, found {found:?}");
}

#[test]
fn an_injected_flush_failure_is_recovered_from_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let failing = Arc::new(AtomicBool::new(false));
    let switch = Arc::clone(&failing);
    let options = SledOptions {
        flush_fault: Some(Arc::new(move || {
            if switch.load(Ordering::SeqCst) { Err("No space left on device (os error 28)".into()) } else { Ok(()) }
        })),
        ..SledOptions::new(keyward_core::record_schema::schema())
    };
    let kek = Kek::from_bytes([1; 32]);
    let store = SledStore::open_with(dir.path(), &kek, &options).unwrap();
    create(&store, "before").unwrap();

    failing.store(true, Ordering::SeqCst);
    assert!(matches!(create(&store, "during"), Err(StoreError::Durability(_))));
    // From now on changes are refused at once, before anything is written.
    assert!(matches!(create(&store, "refused"), Err(StoreError::Unavailable(_))));
    assert!(store.get("refused").unwrap().is_none());

    failing.store(false, Ordering::SeqCst);
    create_when_back(&store, "after", Duration::from_secs(10));
    assert!(store.get("before").unwrap().is_some());
    assert!(store.get("after").unwrap().is_some());
    whole_or_absent(&store, "during");
    assert!(store.read_fence().wait().is_ok(), "a fence after the recovery is clean");
    drop(store);

    let store = SledStore::open(dir.path(), &kek, keyward_core::record_schema::schema()).unwrap();
    assert!(store.get("before").unwrap().is_some());
    assert!(store.get("after").unwrap().is_some());
    whole_or_absent(&store, "during");
}

/// Mounts a tmpfs of `megabytes` at `dir`; false (the test is skipped) when this process may not.
fn mount_tmpfs(dir: &Path, megabytes: u32) -> bool {
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status();
    matches!(status, Ok(status) if status.success())
}

struct Unmount<'a>(&'a Path);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0).status();
    }
}

/// The real thing: a store on a tmpfs of 16 MiB, filled by a ballast file until its writes fail
/// (ENOSPC); the ballast removed, writes succeed again without a restart.
#[test]
fn a_full_tmpfs_is_recovered_from_without_a_restart() {
    let mount_point = tempfile::tempdir().unwrap();
    if !mount_tmpfs(mount_point.path(), 16) {
        eprintln!("skipped: cannot mount a tmpfs here (not root?); the injected-fault test covers the logic");
        return;
    }
    let _unmount = Unmount(mount_point.path());
    let dir = mount_point.path().join("data");
    let kek = Kek::from_bytes([1; 32]);
    let store = SledStore::open(&dir, &kek, keyward_core::record_schema::schema()).unwrap();
    create(&store, "before").unwrap();
    // Fill the disk.
    let ballast = mount_point.path().join("ballast");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&ballast).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
    }
    let mut acknowledged = vec!["before".to_string()];
    let mut failed = None;
    for i in 0..10_000 {
        let uid = format!("full-{i}");
        match create(&store, &uid) {
            Ok(()) => acknowledged.push(uid),
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
    }
    let failed = failed.expect("no write failed on a full disk");
    assert!(
        matches!(failed, StoreError::Durability(_) | StoreError::Unavailable(_) | StoreError::Backend(_)),
        "{failed}"
    );
    // Still full: still refused.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(create(&store, "still-full").is_err());

    std::fs::remove_file(&ballast).unwrap();
    create_when_back(&store, "after", Duration::from_secs(15));
    acknowledged.push("after".into());
    for uid in &acknowledged {
        assert!(store.get(uid).unwrap().is_some(), "{uid} lost");
    }
    drop(store);
    let store = SledStore::open(&dir, &kek, keyward_core::record_schema::schema()).unwrap();
    for uid in &acknowledged {
        assert!(store.get(uid).unwrap().is_some(), "{uid} lost after a reopen");
    }
    drop(store);
}

/// A re-seal (KEK rotation with a new data key) that meets a failed flush goes on in the database
/// the store reopened, never through handles of the dropped one, and finishes: once the older
/// data key is gone, every record still opens (after a reopen too) and `verify` finds nothing.
#[cfg(unix)]
#[test]
fn a_reseal_goes_on_in_the_reopened_database_after_a_failed_flush() {
    use keyward_store::{FileKekSource, KekSource};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let source: Arc<dyn KekSource> = Arc::new(FileKekSource::new(dir.path().join("kek")));
    let failing = Arc::new(AtomicBool::new(false));
    let switch = Arc::clone(&failing);
    let options = SledOptions {
        flush_fault: Some(Arc::new(move || {
            if switch.load(Ordering::SeqCst) { Err("No space left on device (os error 28)".into()) } else { Ok(()) }
        })),
        ..SledOptions::new(keyward_core::record_schema::schema())
    };
    let store = SledStore::open_with_source(&data, Arc::clone(&source), &options).unwrap();
    for i in 0..4000 {
        drop(store.commit(vec![Change::Insert(named(&format!("o-{i:05}")))]).unwrap());
    }
    store.put_setting("grant/x", Some(b"x")).unwrap().wait().unwrap();
    store.flush().unwrap();
    let admin = store.kek_admin().unwrap();
    admin.rotate(true).unwrap();
    // A flush fails while the re-seal runs: the store reopens from disk.
    failing.store(true, Ordering::SeqCst);
    let during = admin.status().unwrap().reseal.map(|r| r.objects_done);
    assert!(create(&store, "during").is_err());
    std::thread::sleep(Duration::from_millis(300));
    failing.store(false, Ordering::SeqCst);
    create_when_back(&store, "after", Duration::from_secs(15));
    assert!(admin.wait_for_reseal(Duration::from_secs(120)), "the re-seal did not finish");
    let status = admin.status().unwrap();
    assert!(status.reseal.is_none(), "re-seal left: {:?} (it was at {during:?} objects)", status.reseal);
    assert_eq!(status.data_key_generation, 2);
    for i in (0..4000).step_by(97) {
        assert!(store.get(&format!("o-{i:05}")).unwrap().is_some());
    }
    // The administration handle holds the store's database too.
    drop(admin);
    drop(store);
    let report = SledStore::verify(&data, source.as_ref(), &keyward_core::record_schema::schema(), 64 << 20).unwrap();
    assert!(report.is_clean(), "{report:?}");
    // 4000, "after", and "during" if sled wrote it on its own before the reopen (a failed commit
    // is whole or absent).
    assert!((4001..=4002).contains(&report.objects), "{report:?}");
    let store =
        SledStore::open_with_source(&data, source, &SledOptions::new(keyward_core::record_schema::schema())).unwrap();
    assert!(store.get("o-03999").unwrap().is_some() && store.get("after").unwrap().is_some());
    assert_eq!(&store.setting("grant/x").unwrap().unwrap()[..], b"x");
}
