//! The client of Keyward's management API: JSON over HTTP/1.1 on the KMIP port, under the same
//! mutual TLS as KMIP (the server tells the two apart by a connection's first byte). Used by the
//! `keyward grants|rotation|backup|kek ...` commands.
//!
//! ```no_run
//! # async fn example(credentials: &keyward_client::ClientCredentials)
//! # -> Result<(), keyward_client::ClientError> {
//! use keyward_client::ManagementClient;
//! let client = ManagementClient::new("127.0.0.1:5696".parse().unwrap(), "localhost", credentials)?;
//! let me = client.call("GET", "/v1/identity", None).await?;
//! println!("the server knows me as {}", me["identity"]);
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use crate::https::{HttpsClient, HttpsConnection, HttpsReply};
use crate::{ClientCredentials, ClientError};

/// Where the management API is and how to reach it; cheap to clone.
#[derive(Clone)]
pub struct ManagementClient {
    https: HttpsClient,
}

impl ManagementClient {
    /// A client of the server whose KMIP port is `address`. No ALPN is announced: the KMIP port
    /// negotiates none.
    pub fn new(address: SocketAddr, server_name: &str, credentials: &ClientCredentials) -> Result<Self, ClientError> {
        let config = Arc::new(credentials.tls_config()?);
        Ok(ManagementClient { https: HttpsClient::with_tls_config(address, server_name, config)? })
    }

    /// Changes the largest answer accepted (64 MiB by default; a backup is streamed elsewhere).
    pub fn with_max_response(self, bytes: usize) -> ManagementClient {
        ManagementClient { https: self.https.with_max_response(bytes) }
    }

    /// GETs `path` and hands the answer to `sink` as it arrives (see
    /// [`HttpsConnection::download`]); a refusal's JSON error text is in the error.
    pub async fn download(
        &self,
        path: &str,
        sink: &mut (dyn FnMut(&[u8]) -> std::io::Result<()> + Send),
    ) -> Result<u64, ClientError> {
        let mut connection = self.connect().await?;
        let downloaded = connection.download(path, sink).await;
        connection.close().await;
        downloaded.map_err(|error| match error {
            ClientError::HttpStatus { status, text } => {
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(serde_json::Value::as_str).map(str::to_string))
                    .unwrap_or(text);
                ClientError::HttpStatus { status, text: message }
            }
            other => other,
        })
    }

    /// Opens a connection for several calls.
    pub async fn connect(&self) -> Result<HttpsConnection, ClientError> {
        self.https.connect().await
    }

    /// One call on a connection of its own: `method` on `path` (with its query), with a JSON
    /// body or none. A 2xx answer is its JSON (`null` when empty); any other status is
    /// [`ClientError::HttpStatus`] with the server's `error` text.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, ClientError> {
        let mut connection = self.connect().await?;
        let reply = call_on(&mut connection, method, path, body).await;
        connection.close().await;
        reply
    }
}

/// One call on an open connection (see [`ManagementClient::call`]).
pub async fn call_on(
    connection: &mut HttpsConnection,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, ClientError> {
    let bytes = match body {
        Some(value) => serde_json::to_vec(value).map_err(|error| ClientError::Request(error.to_string()))?,
        None => Vec::new(),
    };
    let content_type = body.map(|_| "application/json");
    let reply = connection.send(method, path, content_type, &bytes).await?;
    read_json(reply)
}

fn read_json(reply: HttpsReply) -> Result<serde_json::Value, ClientError> {
    let value = if reply.body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&reply.body)
            .map_err(|error| ClientError::Request(format!("the answer is not JSON: {error}")))?
    };
    if (200..300).contains(&reply.status) {
        return Ok(value);
    }
    let text = value
        .get("error")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| String::from_utf8_lossy(&reply.body).trim().to_string(), str::to_string);
    Err(ClientError::HttpStatus { status: reply.status, text })
}
