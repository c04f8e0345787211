//! The store of a stopped server, as an operator meets it: one flipped byte refuses the start
//! (today's silent loss of 179 of 200 keys), `keyward store verify` names the problem, a wrong KEK
//! changes no file, and `keyward store compact` leaves a store the server serves.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{PATIENCE, call, client_of, keyward, start, text};
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultStatus};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get_attributes::GetAttributesRequest;
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

/// Starts a server on `data_dir`, creates `count` keys, stops it; returns their identifiers.
fn server_with_keys(data_dir: &Path, count: usize) -> Vec<String> {
    let serving = start(data_dir);
    let client = client_of(serving.address, data_dir, ADMIN);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let uids = runtime.block_on(async {
        let mut uids = Vec::new();
        for _ in 0..count {
            let response = call(&client, KmipVersion::V2_1, vec![create_aes()]).await;
            let Some(keyward_kmip::payloads::ResponsePayload::Create(created)) = &response.batch_items[0].payload
            else {
                panic!("Create failed: {response:?}");
            };
            uids.push(created.unique_identifier.clone());
        }
        uids
    });
    assert!(serving.terminate().success());
    uids
}

/// Runs `keyward serve` on a store expected to be refused: its exit status and standard error.
fn refused_start(data_dir: &Path, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return (status.success(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on a store it should have refused");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// Every key of `uids` is served by a server on `data_dir`.
fn all_served(data_dir: &Path, uids: &[String]) {
    let serving = start(data_dir);
    let client = client_of(serving.address, data_dir, ADMIN);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for uid in uids {
            let request = RequestPayload::GetAttributes(GetAttributesRequest {
                unique_identifier: Some(uid.as_str().into()),
                attribute_reference: vec![],
            });
            let response = call(&client, KmipVersion::V2_1, vec![request]).await;
            assert_eq!(response.batch_items[0].result_status, ResultStatus::Success, "{uid}");
        }
    });
    assert!(serving.terminate().success());
}

/// Damage to `db` (a flipped byte at 10 % or 50 % of the file, or the file cut in half): the
/// server either refuses to start, pointing to `keyward store verify`, which names the problem,
/// or (a byte in space sled no longer reads) serves every key. Never a start with keys missing.
#[test]
fn a_damaged_log_refuses_the_start_and_verify_names_it() {
    let mut refusals = 0;
    for damage in ["flip at 10 %", "flip at 50 %", "flip at 90 %", "cut at 50 %"] {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let uids = server_with_keys(&data_dir, 200);
        let data_dir_text = data_dir.to_str().unwrap();
        let clean = keyward(&["store", "verify", "--data-dir", data_dir_text]);
        assert!(clean.status.success(), "{}", text(&clean.stderr));
        assert!(text(&clean.stdout).contains("objects      200"), "{}", text(&clean.stdout));

        let db = data_dir.join("objects.sled/db");
        let mut bytes = std::fs::read(&db).unwrap();
        let len = bytes.len();
        match damage {
            "flip at 10 %" => bytes[len / 10] ^= 0x5a,
            "flip at 50 %" => bytes[len / 2] ^= 0x5a,
            "flip at 90 %" => bytes[len / 10 * 9] ^= 0x5a,
            _ => bytes.truncate(len / 2),
        }
        std::fs::write(&db, bytes).unwrap();

        let verify = keyward(&["store", "verify", "--data-dir", data_dir_text]);
        if verify.status.success() {
            eprintln!("{damage}: the byte is in space sled no longer reads; the store is whole");
            all_served(&data_dir, &uids);
            continue;
        }
        refusals += 1;
        assert_eq!(verify.status.code(), Some(1), "{damage}: {}", text(&verify.stdout));
        let said = text(&verify.stderr);
        assert!(said.contains("missing:") || said.contains("damaged"), "{damage}: {said}");
        let (started, stderr) = refused_start(&data_dir, &[]);
        assert!(!started, "{damage}");
        assert!(stderr.contains("refusing to serve the store"), "{damage}: {stderr}");
        assert!(stderr.contains("keyward store verify"), "{damage}: {stderr}");
        eprintln!("{damage}: refused: {}", stderr.lines().last().unwrap_or(""));
    }
    assert!(refusals >= 1, "no damage was detected at all");
}

#[test]
fn a_start_with_the_wrong_kek_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    server_with_keys(&data_dir, 3);
    let other_kek = dir.path().join("other-kek");
    std::fs::write(&other_kek, format!("{}\n", "ab".repeat(32))).unwrap();
    // A KEK file others may read is refused before it is tried: this one is its owner's only.
    std::fs::set_permissions(&other_kek, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = dir.path().join("keyward.toml");
    std::fs::write(&config, format!("kek_file = {:?}\n", other_kek.to_str().unwrap())).unwrap();
    let before = snapshot(&data_dir);
    let (started, stderr) = refused_start(&data_dir, &["--config", config.to_str().unwrap()]);
    assert!(!started);
    assert!(stderr.contains("does not open the store"), "{stderr}");
    assert!(snapshot(&data_dir) == before, "a refused start changed a file");
}

#[test]
fn compact_leaves_a_store_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let uids = server_with_keys(&data_dir, 20);
    let compact = keyward(&["store", "compact", "--data-dir", data_dir.to_str().unwrap()]);
    assert!(compact.status.success(), "{}", text(&compact.stderr));
    assert!(text(&compact.stdout).contains("objects      20"), "{}", text(&compact.stdout));
    let serving = start(&data_dir);
    let client = client_of(serving.address, &data_dir, ADMIN);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for uid in &uids {
            let request = RequestPayload::GetAttributes(GetAttributesRequest {
                unique_identifier: Some(uid.as_str().into()),
                attribute_reference: vec![],
            });
            let response = call(&client, KmipVersion::V2_1, vec![request]).await;
            assert_eq!(response.batch_items[0].result_status, ResultStatus::Success, "{uid}");
        }
    });
    assert!(serving.terminate().success());
}
