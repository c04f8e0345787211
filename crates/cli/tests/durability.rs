//! An acknowledged write survives kill -9: clients create keys while the server is killed with
//! SIGKILL; after a restart every key whose Create was answered is there, with the same bytes, and
//! no key byte appears in any file under the data directory.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{client_of, start};
use keyward_client::Client;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultStatus};
use keyward_kmip::objects::{KeyMaterial, KeyValue, ManagedObject};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_server::pki::ADMIN;
use keyward_ttlv::KmipVersion;

fn create_aes() -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    })
}

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

/// The key bytes of a Get response.
fn key_bytes(payload: &ResponsePayload) -> Option<Vec<u8>> {
    let ResponsePayload::Get(get) = payload else {
        return None;
    };
    let ManagedObject::SymmetricKey(key) = &get.object else {
        return None;
    };
    match &key.key_block.key_value {
        Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(bytes), .. }) => Some(bytes.as_slice().to_vec()),
        _ => None,
    }
}

/// The keys acknowledged so far: identifier, and the key bytes once a Get returned them.
type Acknowledged = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Creates keys until the connection breaks; records each (identifier, key) once acknowledged.
async fn create_until_killed(client: Client, acknowledged: Acknowledged) {
    let Ok(mut connection) = client.connect().await else {
        return;
    };
    loop {
        let request = keyward_kmip::message::RequestMessage::new(KmipVersion::V2_1, vec![create_aes()]).to_bytes();
        let Ok(response) = connection.call(&request).await else {
            return;
        };
        let Ok(response) = keyward_kmip::message::ResponseMessage::from_bytes(response) else {
            return;
        };
        let Some(ResponsePayload::Create(created)) = &response.batch_items[0].payload else {
            return;
        };
        let uid = created.unique_identifier.clone();
        let request = keyward_kmip::message::RequestMessage::new(KmipVersion::V2_1, vec![get(&uid)]).to_bytes();
        // The Create was acknowledged: the key must survive even if this Get never returns.
        acknowledged.lock().unwrap().push((uid.clone(), Vec::new()));
        let Ok(response) = connection.call(&request).await else {
            return;
        };
        let Ok(response) = keyward_kmip::message::ResponseMessage::from_bytes(response) else {
            return;
        };
        if let Some(bytes) = response.batch_items[0].payload.as_ref().and_then(key_bytes) {
            let mut list = acknowledged.lock().unwrap();
            if let Some(entry) = list.iter_mut().find(|(u, _)| *u == uid) {
                entry.1 = bytes;
            }
        }
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn acknowledged_keys_survive_sigkill_and_no_key_byte_reaches_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut serving = start(&data_dir);
    let address = serving.address;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let writers: Vec<_> = (0..4)
        .map(|_| runtime.spawn(create_until_killed(client_of(address, &data_dir, ADMIN), Arc::clone(&acknowledged))))
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    serving.child.kill().unwrap(); // SIGKILL
    serving.child.wait().unwrap();
    runtime.block_on(async {
        for writer in writers {
            let _ = tokio::time::timeout(Duration::from_secs(10), writer).await;
        }
    });
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 10, "only {} keys were created before the kill", acknowledged.len());
    eprintln!("{} keys acknowledged before SIGKILL", acknowledged.len());

    // No key in clear in any file of the data directory (the store, its log, the KEK file...).
    // Each key is looked up by its first eight bytes, then compared whole.
    let by_prefix: std::collections::HashMap<u64, &(String, Vec<u8>)> = acknowledged
        .iter()
        .filter(|(_, key)| key.len() >= 8)
        .map(|entry| (u64::from_le_bytes(entry.1[..8].try_into().unwrap()), entry))
        .collect();
    for file in files_under(&data_dir) {
        let contents = std::fs::read(&file).unwrap();
        for (offset, window) in contents.windows(8).enumerate() {
            if let Some((uid, key)) = by_prefix.get(&u64::from_le_bytes(window.try_into().unwrap())) {
                let found = contents.get(offset..offset + key.len()) == Some(key.as_slice());
                assert!(!found, "key {uid} in clear in {}", file.display());
            }
        }
    }

    let restarted = start(&data_dir);
    let client = client_of(restarted.address, &data_dir, ADMIN);
    runtime.block_on(async {
        let mut connection = client.connect().await.unwrap();
        for (uid, key) in &acknowledged {
            let request = keyward_kmip::message::RequestMessage::new(KmipVersion::V2_1, vec![get(uid)]).to_bytes();
            let response =
                keyward_kmip::message::ResponseMessage::from_bytes(connection.call(&request).await.unwrap()).unwrap();
            let item = &response.batch_items[0];
            assert_eq!(item.result_status, ResultStatus::Success, "acknowledged key {uid} lost: {item:?}");
            if !key.is_empty() {
                assert_eq!(
                    item.payload.as_ref().and_then(key_bytes).as_deref(),
                    Some(key.as_slice()),
                    "key {uid} changed"
                );
            }
        }
    });
    assert!(restarted.terminate().success());
}

/// A start after kill -9 reads the last index snapshot (written every second here) and the objects
/// changed since, and its Locate index is exact: every key created before and after the last
/// snapshot is found by its Name, and a Name released by a Destroy after it can be taken again.
#[test]
fn a_start_after_sigkill_reads_the_index_snapshot_and_the_changes_since() {
    use common::postgres::aes_named;
    use keyward_client::{LocateFilter, Session};
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("keyward.toml");
    std::fs::write(&config, "store_index_snapshot_interval = 1\n").unwrap();
    let serving = common::start_with(&data_dir, &["--config", config.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = client_of(serving.address, &data_dir, ADMIN);
    let created_before: Vec<String> = runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        let mut made = Vec::new();
        for i in 0..20 {
            made.push(session.create_symmetric_key(aes_named(&format!("before-{i}"))).await.unwrap());
        }
        made
    });
    // Past a snapshot of the index (one a second while anything changes).
    let snapshot = data_dir.join("index.snapshot");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !snapshot.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(snapshot.exists(), "no index snapshot was written while the server ran");
    runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        for i in 0..10 {
            session.create_symmetric_key(aes_named(&format!("after-{i}"))).await.unwrap();
        }
        // Changes of objects older than the snapshot: their Names are released.
        for uid in &created_before[..5] {
            session.destroy(uid).await.unwrap();
        }
    });
    let mut serving = serving;
    serving.child.kill().unwrap(); // SIGKILL: no snapshot at a clean stop
    serving.child.wait().unwrap();
    assert!(snapshot.exists());

    let restarted = start(&data_dir);
    let client = client_of(restarted.address, &data_dir, ADMIN);
    runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        async fn found(session: &mut Session, name: String) -> Vec<String> {
            let filter = LocateFilter { name: Some(name), ..LocateFilter::default() };
            session.locate(&filter).await.unwrap().unique_identifiers
        }
        for i in 0..10 {
            assert_eq!(found(&mut session, format!("after-{i}")).await.len(), 1, "after-{i}");
        }
        for (i, uid) in created_before.iter().enumerate() {
            let located = found(&mut session, format!("before-{i}")).await;
            if i < 5 {
                assert!(located.is_empty(), "before-{i} was destroyed: {located:?}");
                // Its Name is free again.
                session.create_symmetric_key(aes_named(&format!("before-{i}"))).await.unwrap();
            } else {
                assert_eq!(&located, std::slice::from_ref(uid), "before-{i}");
            }
        }
    });
    assert!(restarted.terminate().success());
}
