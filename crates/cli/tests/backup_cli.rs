//! `keyward backup create|verify|restore` against a live server: a backup taken while clients
//! create keys holds every key acknowledged before it began, with the same bytes and attributes
//! once restored; damage, a wrong passphrase and a non-administrator are refused.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use keyward_client::{Client, Session};
use keyward_kmip::attributes::{Attribute, Name};
use keyward_kmip::enums::CryptographicAlgorithm;

fn kw(profile: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--profile", profile.to_str().unwrap()];
    all.extend_from_slice(args);
    keyward(&all)
}

async fn create_keys(client: &Client, prefix: &str, count: usize) -> Vec<String> {
    let mut session = Session::open(client).await.unwrap();
    let mut uids = Vec::new();
    for n in 0..count {
        let attributes = vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            Attribute::Name(Name::text(format!("{prefix}-{n}"))),
        ];
        uids.push(session.create_symmetric_key(attributes).await.unwrap());
    }
    session.close().await;
    uids
}

/// Key bytes and attributes of each object, as the server gives them.
async fn contents(client: &Client, uids: &[String]) -> Vec<String> {
    let mut session = Session::open(client).await.unwrap();
    let mut all = Vec::new();
    for uid in uids {
        let object = session.get(uid, None).await.unwrap();
        let attributes = session.get_attributes(uid, Vec::new()).await.unwrap();
        all.push(format!("{:?} {:?}", object.object, attributes));
    }
    session.close().await;
    all
}

#[test]
fn a_backup_under_load_restores_every_acknowledged_key() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let profile = data_dir.join("pki/admin-profile.toml");
    let client = client_of(serving.address, &data_dir, "admin");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let before = runtime.block_on(create_keys(&client, "before", 40));
    let expected = runtime.block_on(contents(&client, &before));

    // Clients keep creating keys while the backup is taken.
    let loading = Arc::new(AtomicBool::new(true));
    let load = {
        let (client, loading) = (client.clone(), Arc::clone(&loading));
        runtime.spawn(async move {
            let mut round = 0;
            while loading.load(Ordering::SeqCst) {
                create_keys(&client, &format!("during-{round}"), 5).await;
                round += 1;
            }
        })
    };
    let backup = dir.path().join("store.kwbackup");
    let output = kw(&profile, &["backup", "create", "--out", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("checked"), "{}", text(&output.stdout));
    loading.store(false, Ordering::SeqCst);
    runtime.block_on(load).unwrap();
    assert_owner_only(&backup);

    let kek = data_dir.join("kek");
    let output = keyward(&["backup", "verify", "--from", backup.to_str().unwrap(), "--kek", kek.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("every record"), "{}", text(&output.stdout));

    // A second server on the restored directory, with the KEK the backup was made under.
    let restored = dir.path().join("restored");
    let output =
        keyward(&["backup", "restore", "--from", backup.to_str().unwrap(), "--data-dir", restored.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let refused =
        keyward(&["backup", "restore", "--from", backup.to_str().unwrap(), "--data-dir", restored.to_str().unwrap()]);
    assert!(!refused.status.success(), "a restore over a store must be refused");
    std::fs::copy(&kek, restored.join("kek")).unwrap();
    copy_dir(&data_dir.join("pki"), &restored.join("pki"));
    serving.terminate();
    let second = start(&restored);
    let client = client_of(second.address, &restored, "admin");
    assert_eq!(runtime.block_on(contents(&client, &before)), expected);
    second.terminate();
}

#[test]
fn damage_wrong_passphrases_and_other_clients_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let profile = data_dir.join("pki/admin-profile.toml");
    let client = client_of(serving.address, &data_dir, "admin");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(create_keys(&client, "k", 5));

    let passphrase = dir.path().join("passphrase");
    std::fs::write(&passphrase, "a long and private passphrase\n").unwrap();
    let sealed = dir.path().join("sealed.kwbackup");
    let output = kw(
        &profile,
        &["backup", "create", "--out", sealed.to_str().unwrap(), "--passphrase-file", passphrase.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ok = keyward(&[
        "backup",
        "verify",
        "--from",
        sealed.to_str().unwrap(),
        "--passphrase-file",
        passphrase.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let without = keyward(&["backup", "verify", "--from", sealed.to_str().unwrap()]);
    assert_eq!(without.status.code(), Some(2), "{}", text(&without.stderr));
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "another passphrase\n").unwrap();
    let refused = keyward(&[
        "backup",
        "verify",
        "--from",
        sealed.to_str().unwrap(),
        "--passphrase-file",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused.stderr));

    let plain = dir.path().join("plain.kwbackup");
    assert!(kw(&profile, &["backup", "create", "--out", plain.to_str().unwrap()]).status.success());
    let mut bytes = std::fs::read(&plain).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    let flipped = dir.path().join("flipped.kwbackup");
    std::fs::write(&flipped, &bytes).unwrap();
    let output = keyward(&["backup", "verify", "--from", flipped.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(5), "{}", text(&output.stderr));

    // An ordinary client is no administrator.
    keyward_server::pki::DevPki::of_data_dir(&data_dir).issue_client("app").unwrap();
    let pki = keyward_server::pki::DevPki::of_data_dir(&data_dir);
    let app = pki.client("app");
    let address = serving.address.to_string();
    let output = keyward(&[
        "--server",
        &address,
        "--server-name",
        "localhost",
        "--ca",
        pki.ca_cert().to_str().unwrap(),
        "--cert",
        app.cert.to_str().unwrap(),
        "--key",
        app.key.to_str().unwrap(),
        "backup",
        "create",
        "--out",
        dir.path().join("app.kwbackup").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("administrator"), "{}", text(&output.stderr));
    assert!(!dir.path().join("app.kwbackup").exists() && !dir.path().join("app.kwbackup.partial").exists());
    serving.terminate();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
