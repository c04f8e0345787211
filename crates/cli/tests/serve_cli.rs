//! `keyward serve` and `keyward pki` run as an operator runs them: the built binary, its output,
//! its exit status, and SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use keyward_kmip::enums::{Operation, ResultStatus};
use keyward_kmip::message::{ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage, ResponseMessage};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_server::client::{Client, ClientCredentials};
use keyward_server::pki::{ADMIN, DevPki};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

const PATIENCE: Duration = Duration::from_secs(20);

fn keyward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward")).args(args).env_remove("RUST_LOG").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `keyward serve` and the address it printed.
struct Serving {
    child: Child,
    address: SocketAddr,
    banner: String,
}

/// Starts `keyward serve` on an ephemeral port and waits for its banner.
fn start(data_dir: &Path) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    let deadline = Instant::now() + PATIENCE;
    let address = loop {
        let line =
            received.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the server prints its address");
        banner.push_str(&line);
        banner.push('\n');
        if let Some(address) = line.strip_prefix("Keyward ").and_then(|rest| rest.rsplit(' ').next()) {
            break address.parse().unwrap();
        }
    };
    // The rest of the banner (the PKI paths and the PyKMIP snippet) follows at once.
    while let Ok(line) = received.recv_timeout(Duration::from_millis(500)) {
        banner.push_str(&line);
        banner.push('\n');
    }
    Serving { child, address, banner }
}

impl Serving {
    /// Sends SIGTERM and waits for the process to exit.
    fn terminate(mut self) -> std::process::ExitStatus {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Sends Discover Versions as the given development client and checks that it succeeded.
fn assert_discover_versions_succeeds(address: SocketAddr, data_dir: &Path, client: &str) {
    let pki = DevPki::of_data_dir(data_dir);
    let files = pki.client(client);
    let credentials = ClientCredentials::from_pem_files(&pki.ca_cert(), &files.cert, &files.key).unwrap();
    let request = RequestMessage {
        header: RequestHeader {
            protocol_version: ProtocolVersion::of(KmipVersion::V1_2),
            maximum_response_size: None,
            client_correlation_value: None,
            server_correlation_value: None,
            asynchronous_indicator: None,
            attestation_capable_indicator: None,
            attestation_type: Vec::new(),
            authentication: None,
            batch_error_continuation_option: None,
            batch_order_option: None,
            time_stamp: None,
            batch_count: 1,
        },
        batch_items: vec![Ok(RequestBatchItem {
            operation: Operation::DiscoverVersions,
            ephemeral: None,
            unique_batch_item_id: None,
            payload: RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() }),
            message_extensions: Vec::new(),
        })],
        version: KmipVersion::V1_2,
    };
    let mut encoder = Encoder::new();
    request.encode(&mut encoder);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let response = runtime.block_on(async {
        let client = Client::new(address, "localhost", &credentials).unwrap();
        client.call_once(encoder.as_bytes()).await.unwrap()
    });
    let response = ResponseMessage::decode(keyward_ttlv::decode(&response, &Limits::default()).unwrap()).unwrap();
    assert_eq!(response.batch_items.len(), 1);
    assert_eq!(response.batch_items[0].result_status, ResultStatus::Success, "{response:?}");
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

    assert_discover_versions_succeeds(serving.address, &data_dir, ADMIN);

    let status = serving.terminate();
    assert!(status.success(), "{status:?}");
    assert!(data_dir.join("kek").exists());

    // A second start finds everything in place.
    let again = start(&data_dir);
    assert!(again.banner.contains("Development PKI,"), "{}", again.banner);
    assert!(again.terminate().success());
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&files.key).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let again = keyward(&["pki", "issue-client", "backup-01", "--data-dir", data_dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));

    let serving = start(&data_dir);
    assert_discover_versions_succeeds(serving.address, &data_dir, "backup-01");
    assert!(serving.terminate().success());
}
