//! Running the built `keyward` binary as an operator does, and talking to it as the development
//! clients.

#![allow(dead_code)]

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use keyward_client::{Client, ClientCredentials, HttpsClient};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::RequestPayload;
use keyward_server::pki::DevPki;
use keyward_ttlv::KmipVersion;

pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn keyward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward")).args(args).env_remove("RUST_LOG").output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON document a command run with `--json` wrote on stderr.
pub fn stderr_json(output: &Output) -> serde_json::Value {
    serde_json::from_str(text(&output.stderr).trim()).unwrap()
}

/// Asserts that the file at `path` is its owner's alone (0600), on Unix.
pub fn assert_owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600, "{}", path.display());
    }
}

/// A running `keyward serve` and the addresses it printed.
pub struct Serving {
    pub child: Child,
    pub address: SocketAddr,
    /// The health and metrics listener's address, unless the test turned it off.
    pub metrics: Option<SocketAddr>,
    pub banner: String,
}

/// Starts `keyward serve` on an ephemeral port and waits for its banner.
pub fn start(data_dir: &Path) -> Serving {
    start_with(data_dir, &[])
}

/// The same with more arguments (`--config FILE`, say).
pub fn start_with(data_dir: &Path, args: &[&str]) -> Serving {
    serve(data_dir, args, Stdio::null())
}

/// Starts `keyward serve` as [`start_with`] does, its log going to `stderr`. The health and
/// metrics listener takes an ephemeral port too (tests run servers side by side), unless `args`
/// say where.
pub fn serve(data_dir: &Path, args: &[&str], stderr: Stdio) -> Serving {
    serve_with_env(data_dir, args, &[], stderr)
}

/// [`serve`], with these variables set for the server (`SOFTHSM2_CONF`, say).
pub fn serve_with_env(data_dir: &Path, args: &[&str], env: &[(&str, &Path)], stderr: Stdio) -> Serving {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    command.envs(env.iter().copied());
    command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir);
    if !args.contains(&"--metrics-listen") {
        command.args(["--metrics-listen", "127.0.0.1:0"]);
    }
    let mut child = command.args(args).env_remove("RUST_LOG").stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
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
        let line = received
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server prints its address");
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
    let metrics = banner_address(&banner, "Health and metrics on http://");
    Serving { child, address, metrics, banner }
}

/// The address on the banner's line that starts with `prefix` (the word after it).
fn banner_address(banner: &str, prefix: &str) -> Option<SocketAddr> {
    banner
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .and_then(|rest| rest.split(' ').next())
        .map(|address| address.parse().unwrap())
}

impl Serving {
    /// The address the banner gives on the line that starts with `prefix`, as
    /// `"KMIP over HTTPS on "`.
    pub fn banner_address(&self, prefix: &str) -> Option<SocketAddr> {
        banner_address(&self.banner, prefix)
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
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

/// The credentials of a development client of the server in `data_dir`.
pub fn credentials_of(data_dir: &Path, name: &str) -> ClientCredentials {
    let pki = DevPki::of_data_dir(data_dir);
    let files = pki.client(name);
    ClientCredentials::from_pem_files(&pki.ca_cert(), &files.cert, &files.key).unwrap()
}

/// A client with the credentials of a development client of the server in `data_dir`.
pub fn client_of(address: SocketAddr, data_dir: &Path, name: &str) -> Client {
    Client::new(address, "localhost", &credentials_of(data_dir, name)).unwrap()
}

/// The same for KMIP over HTTPS.
pub fn https_client_of(address: SocketAddr, data_dir: &Path, name: &str) -> HttpsClient {
    HttpsClient::new(address, "localhost", &credentials_of(data_dir, name)).unwrap()
}

/// Sends one request on a fresh connection and decodes the response.
pub async fn call(client: &Client, version: KmipVersion, payloads: Vec<RequestPayload>) -> ResponseMessage {
    let request = RequestMessage::new(version, payloads).to_bytes();
    ResponseMessage::from_bytes(&client.call_once(&request).await.unwrap()).unwrap()
}
