//! The client of KMIP over HTTPS: `POST /kmip` with a message in TTLV, JSON or XML, over the same
//! mutually authenticated TLS as [`Client`](super::Client), on hyper's HTTP/1.1 client. A
//! connection carries any number of requests (keep-alive); connections made from one
//! [`HttpsClient`] resume each other's TLS sessions.
//!
//! ```no_run
//! # async fn example(credentials: &keyward_client::ClientCredentials, json: &[u8])
//! # -> Result<(), keyward_client::ClientError> {
//! use keyward_client::Encoding;
//! use keyward_client::HttpsClient;
//! let client = HttpsClient::new("127.0.0.1:5697".parse().unwrap(), "localhost", credentials)?;
//! let mut connection = client.connect().await?;
//! let reply = connection.post(Encoding::Json, json).await?;
//! assert_eq!(reply.content_type.as_deref(), Some("application/json"));
//! # Ok(()) }
//! ```

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use super::{ClientCredentials, ClientError, DEFAULT_MAX_RESPONSE, tls_connect};
use crate::encoding::Encoding;

/// The target URI the profile recommends, and Keyward serves.
const DEFAULT_PATH: &str = "/kmip";

/// How long closing waits for the connection to say goodbye (TLS close_notify).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Where and how to connect; cheap to clone.
#[derive(Clone)]
pub struct HttpsClient {
    address: SocketAddr,
    server_name: ServerName<'static>,
    host: HeaderValue,
    path: String,
    connector: TlsConnector,
    max_response: usize,
}

/// What the server answered: any status, for callers that test the server's refusals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpsReply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl HttpsClient {
    /// A client of the server at `address`, whose certificate must name `server_name` (a DNS name
    /// or an IP address). It announces HTTP/1.1 in ALPN.
    pub fn new(
        address: SocketAddr,
        server_name: &str,
        credentials: &ClientCredentials,
    ) -> Result<HttpsClient, ClientError> {
        let mut config = credentials.tls_config()?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        HttpsClient::with_tls_config(address, server_name, Arc::new(config))
    }

    /// A client with its own TLS configuration, taken as it is (ALPN included).
    pub fn with_tls_config(
        address: SocketAddr,
        server_name: &str,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<HttpsClient, ClientError> {
        let invalid_name = || ClientError::ServerName(server_name.into());
        let parsed = ServerName::try_from(server_name.to_string()).map_err(|_| invalid_name())?;
        let host = match server_name.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", address.port()),
            _ => format!("{server_name}:{}", address.port()),
        };
        Ok(HttpsClient {
            address,
            server_name: parsed,
            host: HeaderValue::try_from(host).map_err(|_| invalid_name())?,
            path: DEFAULT_PATH.into(),
            connector: TlsConnector::from(config),
            max_response: DEFAULT_MAX_RESPONSE,
        })
    }

    /// Posts to another target URI than `/kmip` (the profile lets a server choose its own).
    pub fn with_path(mut self, path: &str) -> HttpsClient {
        path.clone_into(&mut self.path);
        self
    }

    /// Changes the largest response body accepted (64 MiB by default).
    pub fn with_max_response(mut self, bytes: usize) -> HttpsClient {
        self.max_response = bytes;
        self
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Opens a connection and completes the TLS handshake.
    pub async fn connect(&self) -> Result<HttpsConnection, ClientError> {
        let tls = tls_connect(self.address, &self.connector, &self.server_name).await?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls)).await?;
        let driver = tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "HTTPS connection ended");
            }
        });
        Ok(HttpsConnection {
            sender,
            driver,
            host: self.host.clone(),
            path: self.path.clone(),
            max_response: self.max_response,
        })
    }

    /// Posts one message on a connection of its own, and returns the KMIP response.
    pub async fn post(&self, encoding: Encoding, body: &[u8]) -> Result<HttpsReply, ClientError> {
        let mut connection = self.connect().await?;
        let reply = connection.post(encoding, body).await;
        connection.close().await;
        reply
    }
}

/// An open connection to the server, for as many requests as it keeps open.
pub struct HttpsConnection {
    sender: SendRequest<Full<Bytes>>,
    /// Runs hyper's side of the connection; ends when the connection does.
    driver: JoinHandle<()>,
    host: HeaderValue,
    path: String,
    max_response: usize,
}

impl HttpsConnection {
    /// Posts a KMIP message in `encoding` and returns the KMIP response: the reply to a `200 OK`,
    /// and [`ClientError::HttpStatus`] for any other status.
    pub async fn post(&mut self, encoding: Encoding, body: &[u8]) -> Result<HttpsReply, ClientError> {
        let path = self.path.clone();
        let reply = self.send("POST", &path, Some(encoding.content_type()), body).await?;
        if reply.status != 200 {
            let text = String::from_utf8_lossy(&reply.body).trim().to_string();
            return Err(ClientError::HttpStatus { status: reply.status, text });
        }
        Ok(reply)
    }

    /// Sends any request and returns the reply whatever its status: to see how the server
    /// answers what is not a KMIP request.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<HttpsReply, ClientError> {
        let invalid = |what: String| ClientError::Request(what);
        let mut request = Request::new(Full::new(Bytes::copy_from_slice(body)));
        *request.method_mut() =
            Method::from_bytes(method.as_bytes()).map_err(|_| invalid(format!("{method:?} is not a method")))?;
        *request.uri_mut() = path.parse().map_err(|_| invalid(format!("{path:?} is not a path")))?;
        let headers = request.headers_mut();
        headers.insert(header::HOST, self.host.clone());
        // The profile asks for it (§2.4): no cache between client and server may answer for the
        // server.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(content_type) = content_type {
            let value = HeaderValue::from_str(content_type)
                .map_err(|_| invalid(format!("{content_type:?} is not a header value")))?;
            headers.insert(header::CONTENT_TYPE, value);
        }
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        read_reply(response, self.max_response).await
    }

    /// Sends a GET and hands the body of a `200 OK` to `sink` as it arrives, without holding it
    /// whole (a backup); returns the number of bytes. Any other status is
    /// [`ClientError::HttpStatus`] with the answer's text.
    pub async fn download(
        &mut self,
        path: &str,
        sink: &mut (dyn FnMut(&[u8]) -> std::io::Result<()> + Send),
    ) -> Result<u64, ClientError> {
        let mut request = Request::new(Full::new(Bytes::new()));
        *request.uri_mut() = path.parse().map_err(|_| ClientError::Request(format!("{path:?} is not a path")))?;
        request.headers_mut().insert(header::HOST, self.host.clone());
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        if response.status() != hyper::StatusCode::OK {
            let reply = read_reply(response, self.max_response).await?;
            let text = String::from_utf8_lossy(&reply.body).trim().to_string();
            return Err(ClientError::HttpStatus { status: reply.status, text });
        }
        let mut body = response.into_body();
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(chunk) = frame?.into_data() else { continue };
            sink(&chunk).map_err(ClientError::Send)?;
            total += chunk.len() as u64;
        }
        Ok(total)
    }

    /// Closes the connection politely (TLS close_notify); errors are ignored, there is nothing
    /// left to lose.
    pub async fn close(self) {
        // Without a sender, hyper ends the idle connection.
        drop(self.sender);
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.driver).await;
    }
}

async fn read_reply(response: Response<Incoming>, limit: usize) -> Result<HttpsReply, ClientError> {
    let (parts, mut body) = response.into_parts();
    let too_large = || ClientError::ResponseTooLarge { limit };
    let announced = usize::try_from(body.size_hint().lower()).map_err(|_| too_large())?;
    if announced > limit {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(announced);
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame?.into_data() else { continue };
        if chunk.len() > limit - data.len() {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    Ok(HttpsReply { status: parts.status.as_u16(), content_type: content_type.map(str::to_string), body: data })
}
