//! Grants end to end through the CLI: the administrator's key is invisible to a second client
//! until `keyward grants add` gives it Encrypt; then it encrypts but still cannot Get, and after
//! `keyward grants remove` the key is as missing to it as before.

mod common;

use std::path::Path;

use common::*;
use keyward_server::pki::DevPki;

/// The client flags of a development client of the server at `address`.
fn flags_of(data_dir: &Path, address: &str, name: &str) -> Vec<String> {
    let pki = DevPki::of_data_dir(data_dir);
    let files = pki.client(name);
    let path = |p: &Path| p.to_str().unwrap().to_string();
    vec![
        "--server".into(),
        address.into(),
        "--server-name".into(),
        "localhost".into(),
        "--ca".into(),
        path(&pki.ca_cert()),
        "--cert".into(),
        path(&files.cert),
        "--key".into(),
        path(&files.key),
    ]
}

fn run(flags: &[String], args: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    keyward(&all)
}

fn ok(flags: &[String], args: &[&str]) -> String {
    let output = run(flags, args);
    assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
    text(&output.stdout).trim().to_string()
}

#[test]
fn a_second_client_encrypts_with_a_granted_key_until_the_grant_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let prefix = format!("Keyward {} is serving KMIP over TLS on ", env!("CARGO_PKG_VERSION"));
    let address = serving.banner_address(&prefix).expect("the banner names the KMIP address").to_string();
    let issued = keyward(&["pki", "issue-client", "bob", "--data-dir", data_dir.to_str().unwrap()]);
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let profile = data_dir.join("pki/admin-profile.toml");
    let admin = vec!["--profile".to_string(), profile.to_str().unwrap().to_string()];
    let bob = flags_of(&data_dir, &address, "bob");

    let uid = ok(&admin, &["keys", "create", "--algorithm", "aes", "--length", "256", "--name", "shared"]);
    ok(&admin, &["keys", "activate", &uid]);
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, b"granted, then not").unwrap();
    let sealed = dir.path().join("sealed.kwe");
    let encrypt = ["encrypt", "--key", &uid, "--in", plain.to_str().unwrap(), "--out", sealed.to_str().unwrap()];

    // Before the grant: the key does not exist for bob.
    let refused = run(&bob, &encrypt);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("Not Found") || text(&refused.stderr).contains("NotFound"),
        "{}",
        text(&refused.stderr)
    );

    let added = ok(&admin, &["grants", "add", "--object", &uid, "--to", "bob", "--operations", "encrypt"]);
    assert!(added.contains("encrypt to bob"), "{added}");
    let listed = ok(&admin, &["grants", "list", "--object", &uid]);
    assert!(listed.starts_with("OBJECT/GROUP") && listed.contains("bob") && listed.contains("encrypt"), "{listed}");
    let listed: serde_json::Value = serde_json::from_str(&ok(&admin, &["--json", "grants", "list"])).unwrap();
    assert_eq!(listed["grants"][0]["object"], uid.as_str(), "{listed}");
    assert_eq!(listed["grants"][0]["operations"], serde_json::json!(["encrypt"]), "{listed}");
    // Bob sees the grant made to him.
    assert!(ok(&bob, &["grants", "list"]).contains(&uid));

    // Bob encrypts; Get stays refused (Permission Denied: he holds a right on the key).
    ok(&bob, &encrypt);
    assert!(std::fs::metadata(&sealed).unwrap().len() > 0);
    let got = run(&bob, &["keys", "get", &uid, "--out", dir.path().join("key.bin").to_str().unwrap()]);
    assert_eq!(got.status.code(), Some(1), "{}", text(&got.stderr));
    assert!(text(&got.stderr).contains("Permission"), "{}", text(&got.stderr));
    // Bob cannot grant on a key he does not own.
    let regrant = run(&bob, &["grants", "add", "--object", &uid, "--to", "carol", "--operations", "get"]);
    assert_eq!(regrant.status.code(), Some(1), "{}", text(&regrant.stderr));

    ok(&admin, &["grants", "remove", "--object", &uid, "--to", "bob"]);
    let after = run(&bob, &encrypt);
    assert_eq!(after.status.code(), Some(1), "{}", text(&after.stderr));
    assert!(
        text(&after.stderr).contains("Not Found") || text(&after.stderr).contains("NotFound"),
        "{}",
        text(&after.stderr)
    );
    assert_eq!(ok(&admin, &["grants", "list"]), "no grants");
    serving.terminate();
}
