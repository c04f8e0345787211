//! The store's files are 0600 and its directories 0700 whatever the umask: the modes are set,
//! not left to the process (a test binary of its own, as the umask is the process's).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_store::{Change, Kek, ObjectStore, SledStore, StoredObject};

fn modes_under(dir: &Path, found: &mut Vec<(String, u32, bool)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        found.push((path.display().to_string(), mode, path.is_dir()));
        if path.is_dir() {
            modes_under(&path, found);
        }
    }
}

fn assert_private(dir: &Path) {
    let mut found =
        vec![(dir.display().to_string(), std::fs::metadata(dir).unwrap().permissions().mode() & 0o777, true)];
    modes_under(dir, &mut found);
    for (path, mode, is_dir) in found {
        let wanted = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, wanted, "{path} is {mode:o}");
    }
}

#[test]
fn files_are_0600_and_directories_0700_under_a_permissive_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0));
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let kek = Kek::from_bytes([1; 32]);
    {
        let store = SledStore::open(&dir, &kek, keyward_core::record_schema::schema()).unwrap();
        // A value over sled's blob threshold, so that blobs/ is made too.
        let big = StoredObject {
            unique_identifier: "big".into(),
            owner: "alice".into(),
            object: None,
            attributes: vec![IndexedAttribute::new(Attribute::Name(Name::text("n".repeat(300 * 1024))))],
            revision: 0,
        };
        store.commit(vec![Change::Insert(big)]).unwrap().wait().unwrap();
        assert!(dir.join("objects.sled/blobs").is_dir());
        assert_private(&dir);
    }
    // What sled wrote as it closed (a snapshot) is narrowed at the next open.
    drop(SledStore::open(&dir, &kek, keyward_core::record_schema::schema()).unwrap());
    let mut found = Vec::new();
    modes_under(&dir, &mut found);
    for (path, mode, is_dir) in found {
        if is_dir {
            assert_eq!(mode, 0o700, "{path}");
        } else if !path.contains("snap.") {
            assert_eq!(mode, 0o600, "{path}");
        }
    }
    SledStore::compact(&dir, &kek, &keyward_core::record_schema::schema(), 64 << 20).unwrap();
    drop(SledStore::open(&dir, &kek, keyward_core::record_schema::schema()).unwrap());
    assert_private(&dir.join("objects.sled"));
}
