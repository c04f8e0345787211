//! `keyward serve` and `keyward pki` run as an operator runs them: the built binary, its output,
//! its exit status, and SIGTERM.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::*;
use keyward_client::Encoding;
use keyward_kmip::enums::{Operation, ResultStatus};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_ttlv::KmipVersion;

/// Sends Discover Versions as the given development client and checks that it succeeded.
fn assert_discover_versions_succeeds(address: SocketAddr, data_dir: &Path, client: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let response = runtime.block_on(async {
        let payload = RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() });
        call(&client_of(address, data_dir, client), KmipVersion::V1_2, vec![payload]).await
    });
    assert_eq!(response.batch_items.len(), 1);
    assert_eq!(response.batch_items[0].operation, Some(Operation::DiscoverVersions));
    assert_eq!(response.batch_items[0].result_status, ResultStatus::Success, "{response:?}");
}

/// Everything under `dir` that the server created is its user's alone: directories 0700, files
/// 0600 (the store's files included, which sled creates with default modes), but for the
/// development PKI's certificates, which are public and written 0644 on purpose.
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let certificate = path.extension().is_some_and(|e| e == "pem");
            assert!(mode & 0o077 == 0 || certificate && mode == 0o644, "{} is {mode:o}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 5, "only {seen} files under {}", dir.display());
}

#[test]
fn serve_starts_on_defaults_answers_a_client_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    assert!(serving.banner.contains("Development PKI (created now)"), "{}", serving.banner);
    assert!(serving.banner.contains("[client]\nhost=127.0.0.1\n"), "{}", serving.banner);
    assert!(serving.banner.contains(&format!("port={}", serving.address.port())), "{}", serving.banner);
    assert!(serving.banner.contains("auth_suite"), "{}", serving.banner);
    assert!(!serving.banner.contains("HTTPS"), "HTTPS is off by default: {}", serving.banner);

    assert_discover_versions_succeeds(serving.address, &data_dir, ADMIN);

    let status = serving.terminate();
    assert!(status.success(), "{status:?}");
    assert!(data_dir.join("kek").exists());
    assert_private(&data_dir);

    // A second start finds everything in place.
    let again = start(&data_dir);
    assert!(again.banner.contains("Development PKI,"), "{}", again.banner);
    assert!(again.terminate().success());
}

#[test]
fn serve_answers_over_https_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("keyward.toml");
    std::fs::write(&config, "[https]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    let serving = start_with(&data_dir, &["--config", config.to_str().unwrap()]);
    let https = serving
        .banner_address("KMIP over HTTPS on ")
        .unwrap_or_else(|| panic!("no HTTPS address in the banner: {}", serving.banner));
    assert_ne!(https, serving.address);

    let client = https_client_of(https, &data_dir, ADMIN);
    let request = RequestMessage::new(
        KmipVersion::V1_2,
        vec![RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() })],
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let reply = runtime.block_on(client.post(Encoding::Ttlv, &request.to_bytes())).unwrap();
    let response = ResponseMessage::from_bytes(&reply.body).unwrap();
    assert_eq!(response.batch_items[0].result_status, ResultStatus::Success, "{response:?}");
    // The KMIP port is served as before.
    assert_discover_versions_succeeds(serving.address, &data_dir, ADMIN);
    assert!(serving.terminate().success());
}

#[test]
fn serve_refuses_a_kek_that_does_not_open_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    assert!(start(&data_dir).terminate().success());
    std::fs::write(data_dir.join("kek"), format!("{}\n", "5a".repeat(32))).unwrap();
    let output = keyward(&["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("does not open the store"), "{stderr}");
}

#[test]
fn serve_refuses_an_unknown_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("keyward.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\n[limits]\nmax_conections = 5\n").unwrap();
    let output = keyward(&["serve", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown field") && stderr.contains("max_conections"), "{stderr}");
}

#[test]
fn serve_refuses_a_certificate_without_its_ca() {
    let output = keyward(&["serve", "--cert", "server.pem", "--key", "server.key"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("go together"), "{}", text(&output.stderr));
}

#[test]
fn pki_issues_client_certificates_that_the_server_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let output = keyward(&["pki", "issue-client", "backup-01", "--data-dir", data_dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let files = DevPki::of_data_dir(&data_dir).client("backup-01");
    assert!(stdout.contains(&files.cert.file_name().unwrap().to_string_lossy().into_owned()), "{stdout}");
    assert!(stdout.contains("certfile="), "{stdout}");
    assert_owner_only(&files.key);

    let again = keyward(&["pki", "issue-client", "backup-01", "--data-dir", data_dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));

    let serving = start(&data_dir);
    assert_discover_versions_succeeds(serving.address, &data_dir, "backup-01");
    assert!(serving.terminate().success());
}
