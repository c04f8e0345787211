//! The health and metrics listener: counters that move with the right labels after real KMIP
//! requests, `/health` and `/ready` answering while the KMIP port is saturated, and `/ready`
//! saying 503 before the server runs and while it stops.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use keyward_client::{Client, ClientCredentials, Encoding};
use keyward_kmip::attributes::{Attribute, Attributes, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultReason, ResultStatus};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_server::{HttpsConfig, Metrics, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{PATIENCE, TestServer, decode_response, discover_versions, request};

/// An HTTP answer: status, `Content-Type`, body.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// `GET path` on a fresh connection, the way a probe sends it.
async fn http(address: SocketAddr, method: &str, path: &str) -> Answer {
    let exchange = async {
        let mut tcp = TcpStream::connect(address).await.unwrap();
        let head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        tcp.read_to_end(&mut bytes).await.unwrap();
        String::from_utf8(bytes).unwrap()
    };
    let text = tokio::time::timeout(PATIENCE, exchange).await.expect("the metrics listener answers");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP response");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let content_type = head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: ").or_else(|| line.strip_prefix("Content-Type: ")))
        .unwrap_or_default()
        .to_string();
    Answer { status, content_type, body: body.to_string() }
}

/// The samples of a scrape: series (name and labels, as written) to value.
async fn scrape(address: SocketAddr) -> HashMap<String, f64> {
    let answer = http(address, "GET", "/metrics").await;
    assert_eq!(answer.status, 200);
    assert!(answer.content_type.starts_with("text/plain; version=0.0.4"), "{}", answer.content_type);
    answer
        .body
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
            (series.to_string(), value.parse().unwrap_or_else(|_| panic!("not a number: {line}")))
        })
        .collect()
}

fn sample(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("{series} not scraped; have {:#?}", samples.keys()))
}

fn create(name: &str) -> Vec<u8> {
    request(RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            Attribute::Name(Name::text(name)),
        ]),
        protection_storage_masks: None,
    }))
}

fn get(uid: &str) -> Vec<u8> {
    request(RequestPayload::Get(GetRequest::of(uid)))
}

#[tokio::test]
async fn kmip_requests_move_the_counters_with_their_labels() {
    let server = TestServer::start_with_metrics(|_| {}).await;
    let metrics = server.metrics.expect("the metrics listener runs");
    let before = scrape(metrics).await;
    assert_eq!(sample(&before, "keyward_store_commit_seconds_count"), 0.0);
    let version = format!("keyward_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&before, &version), 1.0);
    assert_eq!(sample(&before, "keyward_key_rotations_total"), 0.0);
    assert_eq!(sample(&before, "keyward_audit_records_total"), 1.0, "the start checkpoint");
    assert_eq!(sample(&before, "keyward_audit_failures_total"), 0.0);

    let mut connection = server.client().connect().await.unwrap();
    for _ in 0..3 {
        connection.call(&discover_versions()).await.unwrap();
    }
    let created = decode_response(connection.call(&create("counted")).await.unwrap());
    assert_eq!(created.batch_items[0].result_status, ResultStatus::Success);
    let missing = decode_response(connection.call(&get("no-such-key")).await.unwrap());
    assert_eq!(missing.batch_items[0].result_reason, Some(ResultReason::ItemNotFound));

    let after = scrape(metrics).await;
    let requests = |operation: &str, result: &str| {
        sample(&after, &format!("keyward_kmip_requests_total{{operation=\"{operation}\",result=\"{result}\"}}"))
    };
    assert_eq!(requests("DiscoverVersions", "Success"), 3.0);
    assert_eq!(requests("Create", "Success"), 1.0);
    assert_eq!(requests("Get", "ItemNotFound"), 1.0);
    assert_eq!(sample(&after, "keyward_kmip_request_duration_seconds_count{operation=\"DiscoverVersions\"}"), 3.0);
    assert_eq!(sample(&after, "keyward_kmip_request_duration_seconds_count{operation=\"Create\"}"), 1.0);
    assert!(sample(&after, "keyward_kmip_request_duration_seconds_sum{operation=\"Create\"}") > 0.0);
    assert_eq!(sample(&after, "keyward_store_commit_seconds_count"), 1.0);
    assert!(sample(&after, "keyward_store_flush_seconds_count") >= 1.0);
    assert!(sample(&after, "keyward_store_fsync_seconds_count") >= 1.0);
    assert_eq!(sample(&after, "keyward_store_cache_misses_total"), 1.0, "the missing key went to the disk");
    assert_eq!(sample(&after, "keyward_connections_open{listener=\"kmip\"}"), 1.0);
    assert_eq!(sample(&after, "keyward_connections_accepted_total{listener=\"kmip\"}"), 1.0);
    // The Create waited for its record, and for those before it; the Get's may be on its way.
    assert!(sample(&after, "keyward_audit_records_total") >= 5.0);
    assert_eq!(sample(&after, "keyward_audit_failures_total"), 0.0);
    connection.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn https_requests_are_counted_under_their_listener() {
    let server = TestServer::start_with_metrics(|config| {
        config.https = Some(HttpsConfig { listen: "127.0.0.1:0".parse().unwrap() });
    })
    .await;
    let metrics = server.metrics.unwrap();
    let reply = server.https_client().post(Encoding::Ttlv, &discover_versions()).await.unwrap();
    assert_eq!(reply.status, 200);
    let samples = scrape(metrics).await;
    assert_eq!(sample(&samples, "keyward_connections_accepted_total{listener=\"https\"}"), 1.0);
    assert_eq!(sample(&samples, "keyward_connections_accepted_total{listener=\"kmip\"}"), 0.0);
    let series = "keyward_kmip_requests_total{operation=\"DiscoverVersions\",result=\"Success\"}";
    assert_eq!(sample(&samples, series), 1.0);
    assert_eq!(sample(&samples, "keyward_kmip_request_duration_seconds_count{operation=\"DiscoverVersions\"}"), 1.0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn failed_handshakes_are_counted_by_reason() {
    let server = TestServer::start_with_metrics(|_| {}).await;
    let metrics = server.metrics.unwrap();
    // A port probe: connects and leaves without a word.
    drop(TcpStream::connect(server.address).await.unwrap());
    let series = "keyward_tls_handshake_failures_total{listener=\"kmip\",reason=\"closed\"}";
    let deadline = Instant::now() + PATIENCE;
    while sample(&scrape(metrics).await, series) < 1.0 {
        assert!(Instant::now() < deadline, "the failed handshake was not counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let samples = scrape(metrics).await;
    assert_eq!(sample(&samples, "keyward_tls_handshake_failures_total{listener=\"kmip\",reason=\"certificate\"}"), 0.0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn only_the_three_paths_and_get_are_served() {
    let server = TestServer::start_with_metrics(|_| {}).await;
    let metrics = server.metrics.unwrap();
    let health = http(metrics, "GET", "/health").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    assert_eq!(http(metrics, "GET", "/ready").await.status, 200);
    assert_eq!(http(metrics, "GET", "/kmip").await.status, 404);
    assert_eq!(http(metrics, "GET", "/metrics/extra").await.status, 404);
    assert_eq!(http(metrics, "POST", "/metrics").await.status, 405);
    assert_eq!(http(metrics, "HEAD", "/health").await.status, 405);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_off_means_no_listener() {
    let server = TestServer::start_with(|config| config.metrics.enabled = true).await;
    assert_eq!(server.metrics, None, "a server bound without Metrics serves none");
    server.stop().await.unwrap();
    let server = TestServer::start_with_metrics(|config| config.metrics.enabled = false).await;
    assert_eq!(server.metrics, None);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ready_answer_while_the_kmip_port_is_saturated() {
    const CONNECTIONS: usize = 16;
    let server = TestServer::start_with_metrics(|config| config.limits.max_connections = CONNECTIONS).await;
    let metrics = server.metrics.unwrap();
    let client = server.client();
    let load_until = Instant::now() + Duration::from_secs(2);
    let mut load = tokio::task::JoinSet::new();
    for n in 0..CONNECTIONS {
        let mut connection = client.connect().await.unwrap();
        load.spawn(async move {
            let mut answered = 0u32;
            while Instant::now() < load_until {
                // Durable Creates and quick Discover Versions: the store's flusher and the
                // connection threads both busy.
                let request = if answered.is_multiple_of(2) {
                    create(&format!("load-{n}-{answered}"))
                } else {
                    discover_versions()
                };
                connection.call(&request).await.unwrap();
                answered += 1;
            }
            answered
        });
    }
    // Every slot is taken: a client beyond them is refused.
    let refused = match client.connect().await {
        Ok(mut extra) => extra.call(&discover_versions()).await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(refused.is_err(), "a connection beyond max_connections was served");
    let during = scrape(metrics).await;
    assert_eq!(sample(&during, "keyward_connections_open{listener=\"kmip\"}"), CONNECTIONS as f64);

    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while Instant::now() < load_until {
        for path in ["/health", "/ready", "/metrics"] {
            let asked = Instant::now();
            assert_eq!(http(metrics, "GET", path).await.status, 200, "{path}");
            slowest = slowest.max(asked.elapsed());
            probes += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut answered = 0;
    while let Some(count) = load.join_next().await {
        answered += count.unwrap();
    }
    assert!(answered > CONNECTIONS as u32, "the load did not run: {answered} requests");
    // On a loaded two-core machine in a debug build; a probe that queued behind KMIP work would
    // take as long as the load.
    assert!(slowest < Duration::from_millis(1500), "the slowest of {probes} probes took {slowest:?}");
    let samples = scrape(metrics).await;
    assert!(sample(&samples, "keyward_connections_refused_total") >= 1.0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn ready_is_503_before_the_server_runs_and_while_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    config.metrics.listen = "127.0.0.1:0".parse().unwrap();
    config.limits.read_timeout = Duration::from_secs(60);
    config.limits.shutdown_grace = Duration::from_secs(2);
    let pki = DevPki::adopt(&mut config).unwrap().unwrap().pki;
    let metrics = Metrics::new();
    let dispatcher = keyward_server::open_dispatcher_with_metrics(&config, &metrics).unwrap();
    let server = Server::bind_with_metrics(&config, dispatcher, metrics).await.unwrap();
    let (kmip, monitor) = (server.local_addr(), server.metrics_addr().unwrap());

    // Bound, not running: alive, not ready.
    assert_eq!(http(monitor, "GET", "/health").await.status, 200);
    let not_ready = http(monitor, "GET", "/ready").await;
    assert_eq!((not_ready.status, not_ready.body.as_str()), (503, "not ready\n"));

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + PATIENCE;
    while http(monitor, "GET", "/ready").await.status != 200 {
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // A request that has started keeps the server draining after the stop.
    let admin = pki.client(ADMIN);
    let credentials = ClientCredentials::from_pem_files(&pki.ca_cert(), &admin.cert, &admin.key).unwrap();
    let mut stuck = Client::new(kmip, "localhost", &credentials).unwrap().connect().await.unwrap();
    stuck.send(&discover_versions()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while http(monitor, "GET", "/ready").await.status != 503 {
        assert!(Instant::now() < deadline, "still ready while stopping");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!running.is_finished(), "the server should still be draining");
    assert_eq!(http(monitor, "GET", "/health").await.status, 200, "alive while draining");

    tokio::time::timeout(PATIENCE, running).await.unwrap().unwrap().unwrap();
    // Stopped: nothing listens any more.
    let gone = tokio::time::timeout(PATIENCE, TcpStream::connect(monitor)).await.unwrap();
    if let Ok(mut tcp) = gone {
        let mut byte = [0u8; 1];
        let _ = tcp.write_all(b"GET /health HTTP/1.1\r\n\r\n").await;
        assert_eq!(tcp.read(&mut byte).await.unwrap_or(0), 0, "the metrics listener outlived the server");
    }
}
