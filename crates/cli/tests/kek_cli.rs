//! The key-encryption key end to end: a server whose KEK is in a PKCS#11 token (SoftHSM2, in a
//! token directory of the test's own) restarts and serves its keys, and refuses to start without
//! the token or with a wrong PIN; `keyward kek rotate` under concurrent creates loses nothing and
//! leaves the old KEK file needed for nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Where Debian and others put SoftHSM2's module.
const SOFTHSM_MODULES: [&str; 3] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];
const USER_PIN: &str = "4321-user";

/// A SoftHSM2 configuration and token directory of the test's own, with one token initialised.
struct SoftHsm {
    module: PathBuf,
    conf: PathBuf,
}

/// SoftHSM2, or `None` with a loud message when it is not installed (scripts/test installs it and
/// sets KEYWARD_REQUIRE_SOFTHSM, which makes its absence a failure).
fn softhsm(dir: &Path, token_label: &str) -> Option<SoftHsm> {
    let module = SOFTHSM_MODULES.iter().map(PathBuf::from).find(|m| m.exists());
    let util = Command::new("softhsm2-util").arg("--version").output().is_ok_and(|o| o.status.success());
    let Some(module) = module.filter(|_| util) else {
        assert!(
            std::env::var_os("KEYWARD_REQUIRE_SOFTHSM").is_none(),
            "SoftHSM2 is required (KEYWARD_REQUIRE_SOFTHSM) but not installed"
        );
        eprintln!(
            "!!! SKIPPED: SoftHSM2 is not installed (apt-get install softhsm2); the PKCS#11 KEK is untested here"
        );
        return None;
    };
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n", tokens.display()),
    )
    .unwrap();
    let made = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", token_label, "--so-pin", "1234-so", "--pin", USER_PIN])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(made.status.success(), "softhsm2-util --init-token: {}", text(&made.stderr));
    Some(SoftHsm { module, conf })
}

fn write_private(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn pkcs11_config(dir: &Path, hsm: &SoftHsm, token_label: &str, pin: &str) -> PathBuf {
    let pin_file = dir.join(format!("pin-{token_label}-{pin}"));
    write_private(&pin_file, &format!("{pin}\n"));
    let config = dir.join(format!("keyward-{token_label}-{pin}.toml"));
    std::fs::write(
        &config,
        format!(
            "[kek]\nsource = \"pkcs11\"\nmodule = \"{}\"\ntoken_label = \"{token_label}\"\npin_file = \"{}\"\n",
            hsm.module.display(),
            pin_file.display()
        ),
    )
    .unwrap();
    config
}

/// Runs `keyward serve` expecting it to refuse to start; returns what it wrote on stderr.
fn refused_start(data_dir: &Path, config: &Path, hsm: &SoftHsm) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--config")
        .arg(config)
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started where it should have refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    stderr
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The profile `keyward serve` wrote, pointed at the server now running (a restart takes another
/// port).
struct Target<'a> {
    profile: &'a Path,
    server: String,
}

fn target<'a>(profile: &'a Path, serving: &Serving) -> Target<'a> {
    Target { profile, server: serving.address.to_string() }
}

fn run(target: &Target<'_>, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--profile", target.profile.to_str().unwrap(), "--server", &target.server];
    all.extend_from_slice(args);
    keyward(&all)
}

fn ok(profile: &Target<'_>, args: &[&str]) -> Vec<u8> {
    let output = run(profile, args);
    assert!(output.status.success(), "keyward {args:?}: {}", text(&output.stderr));
    output.stdout
}

fn create_key(profile: &Target<'_>) -> String {
    let uid = ok(profile, &["keys", "create", "--algorithm", "aes", "--length", "256"]);
    text(&uid).trim().to_string()
}

#[test]
fn a_server_with_its_kek_in_a_token_restarts_serves_its_keys_and_refuses_a_wrong_pin_or_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let Some(hsm) = softhsm(dir.path(), "keyward-e2e") else { return };
    let data_dir = dir.path().join("data");
    let config = pkcs11_config(dir.path(), &hsm, "keyward-e2e", USER_PIN);
    let config_arg = config.to_str().unwrap();
    let env = [("SOFTHSM2_CONF", hsm.conf.as_path())];
    let profile = data_dir.join("pki/admin-profile.toml");

    let serving = serve_with_env(&data_dir, &["--config", config_arg], &env, Stdio::null());
    let at = target(&profile, &serving);
    let uids: Vec<String> = (0..3).map(|_| create_key(&at)).collect();
    let material: Vec<Vec<u8>> = uids.iter().map(|uid| ok(&at, &["keys", "get", uid])).collect();
    assert!(material.iter().all(|m| m.len() == 32));
    let status: serde_json::Value = serde_json::from_slice(&ok(&at, &["--json", "kek", "status"])).unwrap();
    assert_eq!(status["source"], "pkcs11", "{status}");
    assert!(status["versions"][0]["location"].as_str().unwrap().contains("keyward-e2e"), "{status}");
    assert_eq!(serving.terminate().code(), Some(0));

    // No key's material in clear in any file of the data directory (nor the KEK, which never
    // leaves the token, nor the data key, which is in the keyring file only wrapped).
    for (path, bytes) in files_under(&data_dir) {
        for key in &material {
            assert!(!bytes.windows(32).any(|w| w == key.as_slice()), "key material in clear in {}", path.display());
        }
    }

    // Restarted, it serves the same keys.
    let serving = serve_with_env(&data_dir, &["--config", config_arg], &env, Stdio::null());
    let at = target(&profile, &serving);
    for (uid, key) in uids.iter().zip(&material) {
        assert_eq!(&ok(&at, &["keys", "get", uid]), key);
    }
    // A rotation makes a new key in the token; the store opens with it after a restart.
    let rotated: serde_json::Value = serde_json::from_slice(&ok(&at, &["--json", "kek", "rotate"])).unwrap();
    assert_eq!(
        (rotated["active_version"].as_u64(), rotated["versions"][0]["state"].as_str()),
        (Some(2), Some("retired"))
    );
    serving.terminate();
    let serving = serve_with_env(&data_dir, &["--config", config_arg], &env, Stdio::null());
    let at = target(&profile, &serving);
    assert_eq!(&ok(&at, &["keys", "get", &uids[0]]), &material[0]);
    serving.terminate();

    // A wrong PIN, or no such token: a clear refusal, and no file of the data directory changed.
    let before = files_under(&data_dir);
    let wrong_pin = pkcs11_config(dir.path(), &hsm, "keyward-e2e", "0000-wrong");
    let stderr = refused_start(&data_dir, &wrong_pin, &hsm);
    assert!(stderr.contains("PIN") && stderr.contains("wrong"), "{stderr}");
    let absent = pkcs11_config(dir.path(), &hsm, "not-plugged-in", USER_PIN);
    let stderr = refused_start(&data_dir, &absent, &hsm);
    assert!(stderr.contains("no token labelled \"not-plugged-in\""), "{stderr}");
    assert!(files_under(&data_dir) == before, "a refused start changed a file");
}

#[test]
fn a_rotation_under_concurrent_creates_loses_nothing_and_the_old_kek_file_is_then_not_needed() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let profile = data_dir.join("pki/admin-profile.toml");
    let serving = start(&data_dir);
    let at = target(&profile, &serving);
    let before: Vec<String> = (0..5).map(|_| create_key(&at)).collect();

    let stop = std::sync::atomic::AtomicBool::new(false);
    let (made, rotated) = std::thread::scope(|scope| {
        let creators: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut made = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) || made.len() < 5 {
                        made.push(create_key(&at));
                    }
                    made
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let rotated = ok(&at, &["kek", "rotate", "--new-data-key", "--wait"]);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let made: Vec<String> = creators.into_iter().flat_map(|c| c.join().unwrap()).collect();
        (made, text(&rotated))
    });
    assert!(rotated.contains("version 1 (retired)") && rotated.contains("re-seal: none"), "{rotated}");
    let status = text(&ok(&at, &["kek", "status"]));
    assert!(status.contains("active KEK version: 2") && status.contains("data key generation: 2"), "{status}");
    // Not for an ordinary client.
    keyward_server::pki::DevPki::of_data_dir(&data_dir).issue_client("someone").unwrap();
    let management =
        keyward_client::ManagementClient::new(serving.address, "localhost", &credentials_of(&data_dir, "someone"))
            .unwrap();
    let refused = tokio::runtime::Runtime::new().unwrap().block_on(management.call("POST", "/v1/kek/rotate", None));
    assert!(matches!(refused, Err(keyward_client::ClientError::HttpStatus { status: 403, .. })), "{refused:?}");
    serving.terminate();

    std::fs::rename(data_dir.join("kek"), dir.path().join("old-kek-kept-aside")).unwrap();
    let serving = start(&data_dir);
    let at = target(&profile, &serving);
    for uid in before.iter().chain(&made) {
        assert_eq!(ok(&at, &["keys", "get", uid]).len(), 32, "{uid}");
    }
    assert!(made.len() >= 10);
    serving.terminate();
    // The audit trail's checkpoint key comes from the keyring, not the KEK's bytes: checkpoints
    // written before the rotation and after it check with the new KEK alone.
    let verified = keyward(&["audit", "verify", "--data-dir", data_dir.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("checkpoint and head MACs checked"), "{}", text(&verified.stdout));
}

/// A KEK file that is not the store's, or that others may read: a clear refusal, and no file of
/// the data directory changed (the keyring is checked before the store opens).
#[cfg(unix)]
#[test]
fn a_wrong_or_exposed_kek_file_is_refused_and_changes_no_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let profile = data_dir.join("pki/admin-profile.toml");
    create_key(&target(&profile, &serving));
    serving.terminate();
    let kek = data_dir.join("kek");
    std::fs::rename(&kek, dir.path().join("right-kek")).unwrap();
    write_private(&kek, &"5a".repeat(32));
    let before = files_under(&data_dir);
    let serve = |data_dir: &Path| {
        keyward(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ])
    };
    let refused = serve(&data_dir);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("does not open the store"), "{}", text(&refused.stderr));
    assert!(files_under(&data_dir) == before, "a refused start changed a file");
    std::fs::rename(dir.path().join("right-kek"), &kek).unwrap();
    std::fs::set_permissions(&kek, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = serve(&data_dir);
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("mode 0644") && stderr.contains("chmod 600"), "{stderr}");
}
