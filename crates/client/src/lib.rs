//! # keyward-client
//!
//! A small KMIP client: connect with a CA and a client certificate, send TTLV messages, read whole
//! response frames. The end-to-end tests, the conformance runner and the load generator use it,
//! so it stays lean: one frame buffer per connection, reused for every response, and TLS sessions
//! resumed across connections of one [`Client`] (rustls keeps them in the shared client
//! configuration). [`HttpsClient`] speaks KMIP over HTTPS with the same credentials.
//!
//! [`Session`] adds typed calls on top of a connection: it negotiates the protocol version, builds
//! requests with keyward-kmip's payloads and turns a refused operation into an
//! [`OperationError`] with its Result Status, Result Reason and Result Message.
//!
//! ```no_run
//! # async fn example(request: &[u8]) -> Result<(), keyward_client::ClientError> {
//! use keyward_client::{Client, ClientCredentials};
//! let credentials = ClientCredentials::from_pem_files("pki/ca.pem".as_ref(), "admin.pem".as_ref(), "admin.key".as_ref())?;
//! let client = Client::new("127.0.0.1:5696".parse().unwrap(), "localhost", &credentials)?;
//! let mut connection = client.connect().await?;
//! let response = connection.call(request).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use keyward_ttlv::Limits;
use keyward_ttlv::frame::{FrameError, FrameReader};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{RootCertStore, SupportedProtocolVersion};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::pem::PemError;

pub mod encoding;
mod https;
pub mod management;
pub mod operations;
pub mod pem;
pub mod session;

pub use encoding::Encoding;
pub use https::{HttpsClient, HttpsConnection, HttpsReply};
pub use management::ManagementClient;
pub use operations::{CipherInput, Encrypted, KeyPairIds, LocateFilter, Located, PartOutput, Step, VerifyPart};
pub use session::{OperationError, Session, SessionError};

/// The largest response accepted by default: responses carry whole objects (a Get of a large
/// certificate chain, a Locate of many identifiers) and come from a trusted server.
const DEFAULT_MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Connects to `address` (without Nagle's delay) and completes the TLS handshake with a server
/// whose certificate names `server_name`: how [`Client`] and [`HttpsClient`] open a connection.
async fn tls_connect(
    address: SocketAddr,
    connector: &TlsConnector,
    server_name: &ServerName<'static>,
) -> Result<TlsStream<TcpStream>, ClientError> {
    let tcp = TcpStream::connect(address).await.map_err(|error| ClientError::Connect { address, error })?;
    let _ = tcp.set_nodelay(true);
    connector.connect(server_name.clone(), tcp).await.map_err(|error| ClientError::Handshake { address, error })
}

/// What can go wrong on the client side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Credentials(#[from] PemError),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("{0:?} is not a valid server name")]
    ServerName(String),
    #[error("cannot connect to {address}: {error}")]
    Connect { address: SocketAddr, error: std::io::Error },
    #[error("TLS handshake with {address}: {error}")]
    Handshake { address: SocketAddr, error: std::io::Error },
    #[error("the server closed the connection")]
    Closed,
    #[error("reading the response: {0}")]
    Frame(FrameError),
    #[error("sending the request: {0}")]
    Send(std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("the server answered HTTP {status}: {text}")]
    HttpStatus { status: u16, text: String },
    #[error("invalid HTTP request: {0}")]
    Request(String),
    #[error("the response is larger than {limit} bytes")]
    ResponseTooLarge { limit: usize },
}

/// A client's trust anchors and certificate.
#[derive(Debug)]
pub struct ClientCredentials {
    /// The CA certificates the server's certificate must chain to.
    pub ca: Vec<CertificateDer<'static>>,
    /// The client's certificate chain, its own certificate first.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ClientCredentials {
    pub fn from_pem_files(ca: &Path, cert: &Path, key: &Path) -> Result<ClientCredentials, ClientError> {
        Ok(ClientCredentials {
            ca: pem::certificates_from_file(ca)?,
            chain: pem::certificates_from_file(cert)?,
            key: pem::private_key_from_file(key)?,
        })
    }

    pub fn from_pem(ca: &[u8], cert: &[u8], key: &[u8]) -> Result<ClientCredentials, ClientError> {
        Ok(ClientCredentials {
            ca: pem::certificates(ca, "CA certificates")?,
            chain: pem::certificates(cert, "client certificate")?,
            key: pem::private_key(key, "client key")?,
        })
    }

    /// A client configuration with aws-lc-rs's cipher suites (all AEAD, as the KMIP profiles
    /// ask), TLS 1.3 and 1.2: the server narrows the choice, the client offers what is sound.
    pub fn tls_config(&self) -> Result<rustls::ClientConfig, ClientError> {
        self.tls_config_with(Arc::new(rustls::crypto::aws_lc_rs::default_provider()), rustls::DEFAULT_VERSIONS)
    }

    /// A client configuration with a chosen provider (cipher suites, signature schemes) and
    /// protocol versions: to test how the server answers a particular client.
    pub fn tls_config_with(
        &self,
        provider: Arc<CryptoProvider>,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Result<rustls::ClientConfig, ClientError> {
        let mut roots = RootCertStore::empty();
        for certificate in &self.ca {
            roots.add(certificate.clone())?;
        }
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .with_root_certificates(roots)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?)
    }
}

/// Where and how to connect; cheap to clone, and connections made from one client (or its clones)
/// resume each other's TLS sessions.
#[derive(Clone)]
pub struct Client {
    address: SocketAddr,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    limits: Limits,
}

impl Client {
    /// A client of the server at `address`, whose certificate must name `server_name` (a DNS
    /// name or an IP address).
    pub fn new(address: SocketAddr, server_name: &str, credentials: &ClientCredentials) -> Result<Client, ClientError> {
        Client::with_tls_config(address, server_name, Arc::new(credentials.tls_config()?))
    }

    pub fn with_tls_config(
        address: SocketAddr,
        server_name: &str,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<Client, ClientError> {
        let server_name =
            ServerName::try_from(server_name.to_string()).map_err(|_| ClientError::ServerName(server_name.into()))?;
        let limits = Limits { max_message_size: DEFAULT_MAX_RESPONSE, ..Limits::default() };
        Ok(Client { address, server_name, connector: TlsConnector::from(config), limits })
    }

    /// Changes the limits responses are read with.
    pub fn with_limits(mut self, limits: Limits) -> Client {
        self.limits = limits;
        self
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Opens a connection and completes the TLS handshake.
    pub async fn connect(&self) -> Result<Connection, ClientError> {
        let stream = tls_connect(self.address, &self.connector, &self.server_name).await?;
        Ok(Connection { stream, frames: FrameReader::new(), limits: self.limits })
    }

    /// Sends one request on a connection of its own and returns the response.
    pub async fn call_once(&self, request: &[u8]) -> Result<Vec<u8>, ClientError> {
        let mut connection = self.connect().await?;
        let response = connection.call(request).await?.to_vec();
        connection.close().await;
        Ok(response)
    }
}

/// An open connection to the server.
pub struct Connection {
    stream: TlsStream<TcpStream>,
    frames: FrameReader,
    limits: Limits,
}

impl Connection {
    /// Sends a request and reads its response; the response is valid until the next call.
    pub async fn call(&mut self, request: &[u8]) -> Result<&[u8], ClientError> {
        self.send(request).await?;
        self.receive().await
    }

    /// Sends bytes as they are: a request, or anything else a test wants the server to see.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes).await.map_err(ClientError::Send)?;
        self.stream.flush().await.map_err(ClientError::Send)
    }

    /// Reads the next whole message.
    pub async fn receive(&mut self) -> Result<&[u8], ClientError> {
        self.frames.read(&mut self.stream, &self.limits).await.map_err(|error| match error {
            FrameError::Closed => ClientError::Closed,
            error => ClientError::Frame(error),
        })
    }

    /// The TLS session: protocol version, cipher suite, the server's certificates.
    pub fn tls(&self) -> &rustls::ClientConnection {
        self.stream.get_ref().1
    }

    /// Closes the connection politely (TLS close_notify); errors are ignored, there is nothing
    /// left to lose.
    pub async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }
}
