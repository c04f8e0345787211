//! The harness: a real server on an ephemeral loopback port, with its development PKI, store and
//! KEK in a temporary directory, and KMIP messages built with the typed model.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_client::{Client, ClientCredentials, HttpsClient};
use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_kmip::message::{ProtocolVersion, RequestMessage, ResponseMessage};
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_server::pki::{ADMIN, DevPki};
use keyward_server::{HttpsConfig, Metrics, Server, ServerConfig, ServerError};
use keyward_ttlv::KmipVersion;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Long enough for anything a test waits for on loopback, short enough to fail a hung test.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub address: SocketAddr,
    /// The KMIP-over-HTTPS listener, when the test turned it on.
    pub https: Option<SocketAddr>,
    /// The health and metrics listener, when the test started the server with metrics.
    pub metrics: Option<SocketAddr>,
    pub pki: DevPki,
    /// Holds the data directory until the test ends.
    _dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server on a configuration the test may adjust first.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_observed(adjust, false).await
    }

    /// Starts a server that counts, with its health and metrics listener on an ephemeral port.
    pub async fn start_with_metrics(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_observed(adjust, true).await
    }

    async fn start_observed(adjust: impl FnOnce(&mut ServerConfig), metrics: bool) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            ..ServerConfig::default()
        };
        config.metrics.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
        let adopted = DevPki::adopt(&mut config).unwrap().expect("the tests run on the development PKI");
        let server = if metrics {
            let metrics = Metrics::new();
            let dispatcher = keyward_server::open_dispatcher_with_metrics(&config, &metrics).unwrap();
            Server::bind_with_metrics(&config, dispatcher, metrics).await.unwrap()
        } else {
            Server::bind(&config, keyward_server::open_dispatcher(&config).unwrap()).await.unwrap()
        };
        let address = server.local_addr();
        let https = server.https_addr();
        let metrics = server.metrics_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer { address, https, metrics, pki: adopted.pki, _dir: dir, stop: Some(stop), task }
    }

    /// Starts a server with KMIP over HTTPS on as well.
    pub async fn start_https() -> TestServer {
        TestServer::start_https_with(|_| {}).await
    }

    pub async fn start_https_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_with(|config| {
            config.https = Some(HttpsConfig { listen: "127.0.0.1:0".parse().unwrap() });
            adjust(config);
        })
        .await
    }

    pub fn https_address(&self) -> SocketAddr {
        self.https.expect("the test server serves HTTPS")
    }

    /// An HTTPS client with the admin's certificate.
    pub fn https_client(&self) -> HttpsClient {
        HttpsClient::new(self.https_address(), "localhost", &self.credentials()).unwrap()
    }

    /// An HTTPS client with its own TLS configuration.
    pub fn https_client_with(&self, config: rustls::ClientConfig) -> HttpsClient {
        HttpsClient::with_tls_config(self.https_address(), "localhost", Arc::new(config)).unwrap()
    }

    /// The development `admin` client's credentials.
    pub fn credentials(&self) -> ClientCredentials {
        let admin = self.pki.client(ADMIN);
        ClientCredentials::from_pem_files(&self.pki.ca_cert(), &admin.cert, &admin.key).unwrap()
    }

    /// A client with the admin's certificate and the default TLS settings.
    pub fn client(&self) -> Client {
        Client::new(self.address, "localhost", &self.credentials()).unwrap()
    }

    /// A client with its own TLS configuration.
    pub fn client_with(&self, config: rustls::ClientConfig) -> Client {
        Client::with_tls_config(self.address, "localhost", Arc::new(config)).unwrap()
    }

    /// Asks the server to stop (as SIGTERM would) without waiting for it.
    pub fn request_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the server and returns how its run ended.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        self.request_stop();
        tokio::time::timeout(PATIENCE, &mut self.task).await.expect("the server stops").expect("the server task ends")
    }

    /// Stops the server (which must stop cleanly) and hands over its data directory's parent, to
    /// look at what it left (the audit trail).
    pub async fn stop_keeping_data(mut self) -> TempDir {
        self.request_stop();
        let ended = tokio::time::timeout(PATIENCE, &mut self.task).await.expect("the server stops");
        ended.expect("the server task ends").expect("the server stops cleanly");
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }

    /// Whether the server task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// A Discover Versions request in KMIP 1.4, offering every version.
pub fn discover_versions() -> Vec<u8> {
    request(RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() }))
}

/// A request message in KMIP 1.4 with one batch item.
pub fn request(payload: RequestPayload) -> Vec<u8> {
    RequestMessage::new(KmipVersion::V1_4, vec![payload]).to_bytes()
}

pub fn decode_response(bytes: &[u8]) -> ResponseMessage {
    let root = keyward_ttlv::decode(bytes, &keyward_ttlv::Limits::default()).expect("a valid TTLV response");
    ResponseMessage::decode(root).expect("a valid response message")
}

/// Checks that a response answers Discover Versions with every version we speak, newest first.
pub fn assert_discover_versions_answer(bytes: &[u8]) {
    let response = decode_response(bytes);
    let [item] = response.batch_items.as_slice() else { panic!("one batch item expected: {response:?}") };
    assert_eq!(item.operation, Some(Operation::DiscoverVersions));
    assert_eq!(item.result_status, ResultStatus::Success, "{item:?}");
    let Some(ResponsePayload::DiscoverVersions(payload)) = &item.payload else { panic!("no payload: {item:?}") };
    let newest_first: Vec<_> = KmipVersion::ALL.into_iter().rev().map(ProtocolVersion::of).collect();
    assert_eq!(payload.protocol_version, newest_first);
}

/// Checks that a response refuses the whole message as invalid.
pub fn assert_invalid_message(bytes: &[u8]) {
    let response = decode_response(bytes);
    let [item] = response.batch_items.as_slice() else { panic!("one batch item expected: {response:?}") };
    assert_eq!(item.result_status, ResultStatus::OperationFailed, "{item:?}");
    assert_eq!(item.result_reason, Some(ResultReason::InvalidMessage), "{item:?}");
}
