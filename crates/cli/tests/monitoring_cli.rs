//! `keyward serve`'s health and metrics listener and its logs, as an operator meets them: the
//! address in the banner, a scrape after a request, `--metrics-listen off`, and
//! `--log-format json` lines that parse and carry each request's id.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use common::*;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_server::pki::ADMIN;
use keyward_ttlv::KmipVersion;
use serde_json::Value;

/// `GET path` over plain HTTP; the status and the body.
fn http_get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(address).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(tcp, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    tcp.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP response");
    (head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status"), body.to_string())
}

fn send(address: SocketAddr, data_dir: &Path, payload: RequestPayload) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(call(&client_of(address, data_dir, ADMIN), KmipVersion::V1_4, vec![payload]));
}

fn discover_versions() -> RequestPayload {
    RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() })
}

fn get_missing() -> RequestPayload {
    RequestPayload::Get(GetRequest::of("no-such-key"))
}

/// Starts `keyward serve` with the configuration `config` (written in `dir`) and
/// `--log-format json`, its log going to a file in `dir`; the server and the log's path.
fn serve_logging_json(dir: &Path, data_dir: &Path, config: &str) -> (Serving, PathBuf) {
    let config_path = dir.join("keyward.toml");
    std::fs::write(&config_path, config).unwrap();
    let log_path = dir.join("keyward.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let serving = serve(data_dir, &["--config", config_path.to_str().unwrap(), "--log-format", "json"], log.into());
    (serving, log_path)
}

/// A line of a JSON log, which must parse.
fn json_line(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn serve_serves_health_and_metrics_where_its_banner_says() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let metrics = serving.metrics.unwrap_or_else(|| panic!("no metrics address in the banner: {}", serving.banner));
    assert_eq!(http_get(metrics, "/health"), (200, "ok\n".into()));
    assert_eq!(http_get(metrics, "/ready").0, 200);

    send(serving.address, &data_dir, discover_versions());
    let (status, body) = http_get(metrics, "/metrics");
    assert_eq!(status, 200);
    let line = "keyward_kmip_requests_total{operation=\"DiscoverVersions\",result=\"Success\"} 1";
    assert!(body.lines().any(|l| l == line), "{line} not in:\n{body}");
    let version = format!("keyward_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    assert!(body.contains(&version), "{body}");
    assert!(serving.terminate().success());
}

#[test]
fn serve_metrics_listen_off_serves_none() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start_with(&data_dir, &["--metrics-listen", "off"]);
    assert_eq!(serving.metrics, None, "{}", serving.banner);
    assert!(!serving.banner.contains("metrics"), "{}", serving.banner);
    send(serving.address, &data_dir, discover_versions());
    assert!(serving.terminate().success());
}

#[test]
fn serve_log_format_json_writes_json_lines_that_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // At debug a failed operation and each answer are logged in the request; sled, left alone,
    // would add lines of its own at that level.
    let (serving, log_path) = serve_logging_json(dir.path(), &data_dir, "log_level = \"debug\"\n");
    send(serving.address, &data_dir, get_missing());
    send(serving.address, &data_dir, get_missing());
    assert!(serving.terminate().success());

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text.lines().filter(|line| !line.trim().is_empty()).map(json_line).collect();
    assert!(lines.len() > 4, "{text}");
    for line in &lines {
        let target = line["target"].as_str().unwrap_or_else(|| panic!("no target: {line}"));
        assert!(!target.starts_with("sled"), "sled's lines should be filtered: {line}");
        assert!(line["level"].is_string() && line["timestamp"].is_string(), "{line}");
    }
    let mut by_request: HashMap<String, Vec<String>> = HashMap::new();
    for line in &lines {
        if let Some(id) = line["span"]["request_id"].as_str() {
            let message = line["fields"]["message"].as_str().unwrap_or_default().to_string();
            by_request.entry(id.to_string()).or_default().push(message);
        }
    }
    assert_eq!(by_request.len(), 2, "two requests, two ids: {by_request:#?}\n{text}");
    for (id, messages) in &by_request {
        assert!(
            messages.iter().any(|m| m == "operation failed") && messages.iter().any(|m| m == "request answered"),
            "request {id}: {messages:?}"
        );
    }
}

#[test]
fn serve_log_format_json_at_info_gives_a_refused_request_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // At info no request has a span up front (it would cost every request); a refusal gets one.
    let config = "[https]\nlisten = \"127.0.0.1:0\"\n[limits]\nmax_message_size = 1024\n";
    let (serving, log_path) = serve_logging_json(dir.path(), &data_dir, config);
    let https = serving.banner_address("KMIP over HTTPS on ").unwrap();
    let client = https_client_of(https, &data_dir, ADMIN);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let refused = runtime.block_on(client.post(keyward_client::Encoding::Ttlv, &[0; 4096]));
    assert!(refused.is_err(), "a body over max_message_size was taken");
    assert!(serving.terminate().success());

    let text = std::fs::read_to_string(&log_path).unwrap();
    let refusal = text
        .lines()
        .map(json_line)
        .find(|line| line["fields"]["message"] == "request refused")
        .unwrap_or_else(|| panic!("no refusal logged:\n{text}"));
    let id = refusal["span"]["request_id"].as_str().unwrap_or_else(|| panic!("no request id: {refusal}"));
    assert_eq!(id.split_once('-').map(|(tag, _)| tag.len()), Some(8), "{id}");
}
