//! `keyward bench` as a person or a script runs it: the built binary against a spawned
//! `keyward serve`, its JSON, and the echo server alone.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::*;
use keyward_client::{Client, ClientCredentials};
use keyward_kmip::message::RequestMessage;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_ttlv::KmipVersion;
use serde_json::Value;

/// Runs `keyward bench ARGS --json` and parses its report.
fn bench_json(args: &[&str]) -> Value {
    let output = keyward(&[&["bench", "--json"], args].concat());
    assert!(output.status.success(), "keyward bench {args:?} failed: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {}", text(&output.stdout)))
}

fn number(report: &Value, path: &str) -> f64 {
    report.pointer(path).and_then(Value::as_f64).unwrap_or_else(|| panic!("no number at {path}: {report:#}"))
}

#[test]
fn discover_against_keyward_serve_and_the_echo_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let address = serving.address.to_string();
    let pid = serving.child.id().to_string();
    let report = bench_json(&[
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--server",
        &address,
        "--server-pid",
        &pid,
        "--op",
        "discover",
        "--connections",
        "2",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--compare-echo",
    ]);
    assert!(serving.terminate().success());

    for target in ["server", "echo"] {
        assert!(number(&report, &format!("/{target}/operations_per_second")) > 0.0, "{report:#}");
        assert_eq!(number(&report, &format!("/{target}/failed_operations")), 0.0, "{report:#}");
        assert!(number(&report, &format!("/{target}/latency/p99_ms")) > 0.0, "{report:#}");
        assert!(report.pointer(&format!("/{target}/client_cpu/seconds_per_1000_operations")).is_some());
    }
    assert!(report.pointer("/server/server_cpu/seconds").is_some_and(Value::is_f64), "{report:#}");
    let ratio = number(&report, "/server_to_echo");
    assert!(ratio > 0.0, "{report:#}");
    assert_eq!(report.pointer("/settings/op"), Some(&Value::from("discover")));
}

#[test]
fn created_keys_are_destroyed_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let address = serving.address.to_string();
    let report = bench_json(&[
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--server",
        &address,
        "--op",
        "create",
        "--batch-size",
        "4",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
    ]);
    assert!(serving.terminate().success());
    let created = number(&report, "/server/operations");
    assert!(created >= 4.0, "{report:#}");
    // The warm-up's keys are destroyed too, so at least as many as were measured.
    assert!(number(&report, "/server/cleanup/destroyed") >= created, "{report:#}");
    assert_eq!(report.pointer("/server/cleanup/left"), Some(&serde_json::json!({})), "{report:#}");
}

#[test]
fn the_echo_server_sends_each_message_back() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    let server = pki.ecdsa_server();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["bench", "echo-server", "--listen", "127.0.0.1:0", "--ca"])
        .arg(pki.ca_cert())
        .arg("--cert")
        .arg(&server.cert)
        .arg("--key")
        .arg(&server.key)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address: SocketAddr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();

    let admin = pki.client(ADMIN);
    let credentials = ClientCredentials::from_pem_files(&pki.ca_cert(), &admin.cert, &admin.key).unwrap();
    let client = Client::new(address, "localhost", &credentials).unwrap();
    let payload = RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() });
    let request = RequestMessage::new(KmipVersion::V2_1, vec![payload]).to_bytes();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let echoed = runtime.block_on(async {
        let mut connection = client.connect().await.unwrap();
        let mut echoed = Vec::new();
        for _ in 0..3 {
            echoed.push(connection.call(&request).await.unwrap().to_vec());
        }
        echoed
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(echoed, vec![request; 3]);
}

#[test]
fn the_echo_ceiling_runs_without_a_server() {
    let report = bench_json(&["--echo", "--op", "mix", "--batch-size", "2", "--duration", "0.5", "--warmup", "0.1"]);
    assert!(report.get("server").is_some_and(Value::is_null), "{report:#}");
    assert!(number(&report, "/echo/operations_per_second") > 0.0, "{report:#}");
    assert_eq!(number(&report, "/echo/failed_operations"), 0.0, "{report:#}");
    assert!(number(&report, "/echo/server_cpu/seconds") >= 0.0, "{report:#}");
}

#[test]
fn a_server_that_is_not_there_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path().join("data/pki"));
    pki.ensure().unwrap();
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = keyward(&[
        "bench",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--server",
        &format!("127.0.0.1:{port}"),
        "--op",
        "get",
        "--duration",
        "0.2",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("cannot connect"), "{}", text(&output.stderr));
}

#[test]
fn idle_connections_and_the_memory_they_cost() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let (address, pid) = (serving.address.to_string(), serving.child.id().to_string());
    let data_dir = data_dir.to_str().unwrap();
    let output = keyward(&[
        "bench",
        "idle",
        "--json",
        "--data-dir",
        data_dir,
        "--server",
        &address,
        "--server-pid",
        &pid,
        "--connections",
        "20",
        "--duration",
        "0.5",
        "--sample-every",
        "0.2",
    ]);
    assert!(serving.terminate().success());
    assert!(output.status.success(), "keyward bench idle failed: {}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(number(&report, "/connections"), 20.0, "{report:#}");
    assert_eq!(number(&report, "/answered_at_end"), 20.0, "{report:#}");
    assert!(number(&report, "/rss_connected_kib") > 0.0, "{report:#}");
    assert!(report.pointer("/rss_samples_kib").and_then(Value::as_array).is_some_and(|s| s.len() >= 2), "{report:#}");
}
