//! Every example under examples/ at the top of the checkout, run as its README says against the
//! built `keyward serve` started with examples/config/development.toml: the PyKMIP script, the
//! curl script for KMIP JSON over HTTPS, and the Rust program on keyward-client. The example
//! configurations (and the packaged one) must be accepted by the server's own parser.
//!
//! PyKMIP comes from PyPI into target/pykmip-venv, as for crates/server/tests/pykmip.rs
//! (`KEYWARD_PYKMIP_PYTHON` names another interpreter). curl must be installed: this test installs
//! nothing system-wide.

mod common;
#[path = "../../../conformance-tests/pykmip/python.rs"]
mod pykmip_python;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::*;
use keyward_server::config::ServerConfig;
use keyward_server::pki::{ADMIN, DevPki};
use pykmip_python::{python, workspace};
use serde_json::Value;

/// The HTTPS and metrics listeners' lines in development.toml, which the tests replace with
/// ephemeral ports.
const DEVELOPMENT_LISTENERS: [&str; 2] = ["listen = \"127.0.0.1:5697\"", "listen = \"127.0.0.1:9696\""];

/// `keyward serve --config examples/config/development.toml`, on ephemeral ports (the flags
/// override the file's KMIP address and data directory; the HTTPS and metrics ports are changed in
/// a copy) so that tests and a server someone is running do not collide.
struct Development {
    _dir: tempfile::TempDir,
    data_dir: PathBuf,
    serving: Serving,
}

impl Development {
    fn start() -> Development {
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(workspace().join("examples/config/development.toml")).unwrap();
        for listener in DEVELOPMENT_LISTENERS {
            assert!(text.contains(listener), "development.toml no longer has {listener}; update this test");
            text = text.replace(listener, "listen = \"127.0.0.1:0\"");
        }
        let config = dir.path().join("development.toml");
        std::fs::write(&config, text).unwrap();
        let data_dir = dir.path().join("data");
        let serving = start_with(&data_dir, &["--config", config.to_str().unwrap()]);
        Development { _dir: dir, data_dir, serving }
    }

    /// The environment every example reads: where the server is, and the admin client's files.
    fn environment(&self, command: &mut Command) {
        let pki = DevPki::of_data_dir(&self.data_dir);
        let admin = pki.client(ADMIN);
        let address = self.serving.address;
        command
            .env("KEYWARD_HOST", address.ip().to_string())
            .env("KEYWARD_PORT", address.port().to_string())
            .env("KEYWARD_ADDRESS", address.to_string())
            .env("KEYWARD_URL", format!("https://{}/kmip", self.https_address()))
            .env("KEYWARD_CA", pki.ca_cert())
            .env("KEYWARD_CERT", &admin.cert)
            .env("KEYWARD_KEY", &admin.key)
            .env_remove("RUST_LOG");
    }

    fn https_address(&self) -> String {
        let banner = &self.serving.banner;
        banner
            .lines()
            .find_map(|line| line.strip_prefix("KMIP over HTTPS on "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("development.toml turns HTTPS on, but the banner says nothing of it: {banner}"))
            .to_owned()
    }

    fn stop(self) {
        assert!(self.serving.terminate().success());
    }
}

/// Runs an example and returns its standard output, failing with everything it printed.
fn run(mut command: Command, what: &str) -> String {
    let output: Output = command.output().unwrap_or_else(|error| panic!("{what} could not be started: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[test]
fn the_example_configurations_are_accepted() {
    for file in ["examples/config/development.toml", "examples/config/production.toml", "packaging/keyward.toml"] {
        ServerConfig::load(&workspace().join(file)).unwrap_or_else(|error| panic!("{file}: {error}"));
    }
    let development = ServerConfig::load(&workspace().join("examples/config/development.toml")).unwrap();
    assert!(development.tls.uses_dev_pki() && development.listen.ip().is_loopback());
    for file in ["examples/config/production.toml", "packaging/keyward.toml"] {
        let production = ServerConfig::load(&workspace().join(file)).unwrap();
        assert!(!production.tls.uses_dev_pki(), "{file} must name its certificates");
        assert!(production.listen.ip().is_unspecified(), "{file} serves the network");
        assert!(production.data_dir.is_absolute(), "{file}: a service needs absolute paths");
    }
}

#[test]
fn the_pykmip_example_runs() {
    let server = Development::start();
    let mut command = Command::new(python());
    command.arg(workspace().join("examples/pykmip/aes_roundtrip.py"));
    server.environment(&mut command);
    let output = run(command, "examples/pykmip/aes_roundtrip.py");
    for step in ["created", "activated", "encrypted", "decrypted", "destroyed"] {
        assert!(output.lines().any(|line| line.starts_with(step)), "no {step:?} in:\n{output}");
    }
    server.stop();
}

#[test]
fn the_https_json_example_runs() {
    let curl = Command::new("curl").arg("--version").output();
    assert!(
        curl.is_ok_and(|output| output.status.success()),
        "examples/https-json needs curl, which is not installed here (apt-get install curl); this test installs nothing"
    );
    let server = Development::start();
    let mut command = Command::new("bash");
    command.arg(workspace().join("examples/https-json/post.sh"));
    server.environment(&mut command);
    let output = run(command, "examples/https-json/post.sh");
    // Each request's name, then its response: one JSON message on one or more lines.
    let responses: Vec<(&str, Value)> = output
        .split("== ")
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, body) = part.split_once('\n').unwrap_or((part, ""));
            let json = serde_json::from_str(body).unwrap_or_else(|error| panic!("{name}: {error}:\n{body}"));
            (name.trim(), json)
        })
        .collect();
    let names: Vec<&str> = responses.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["discover-versions.json", "query.json", "create.json"], "{output}");
    for (name, response) in &responses {
        assert_eq!(values_of(response, "ResultStatus"), ["Success"], "{name}: {response:#}");
    }
    assert_eq!(values_of(&responses[2].1, "UniqueIdentifier").len(), 1, "{output}");
    server.stop();
}

#[test]
fn the_rust_client_example_runs() {
    let server = Development::start();
    // The example as its README runs it: cargo builds it (in this target directory, which is
    // free once the tests run) and runs it.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["run", "--quiet", "-p", "keyward-client", "--example", "rust-client"]).current_dir(workspace());
    server.environment(&mut command);
    let output = run(command, "cargo run -p keyward-client --example rust-client");
    for step in ["created", "activated", "encrypted", "decrypted", "destroyed"] {
        assert!(output.lines().any(|line| line.starts_with(step)), "no {step:?} in:\n{output}");
    }
    server.stop();
}

/// The `value` of every item tagged `tag` in a KMIP JSON message, as text.
fn values_of(message: &Value, tag: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![message];
    while let Some(item) = pending.pop() {
        match item.get("value") {
            Some(Value::Array(children)) => pending.extend(children),
            Some(value) if item.get("tag").and_then(Value::as_str) == Some(tag) => {
                found.push(value.as_str().map_or_else(|| value.to_string(), str::to_owned));
            }
            _ => {}
        }
    }
    found
}
