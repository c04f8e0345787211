//! HTTP written and read by hand over a real TLS connection, for what a well-behaved client would
//! not send: the exact bytes of an OASIS test case, a body cut short, a length the server must
//! refuse without reading.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::common::{PATIENCE, TestServer};

/// A TLS connection to the HTTPS listener, as the admin client.
pub struct RawHttps {
    stream: TlsStream<TcpStream>,
    /// Bytes read and not yet part of a response.
    pending: Vec<u8>,
}

/// A response as it came: status, header lines and body.
#[derive(Debug)]
pub struct RawResponse {
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of a header, its name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

impl RawHttps {
    pub async fn connect(server: &TestServer) -> RawHttps {
        let config = server.credentials().tls_config().unwrap();
        let tcp = TcpStream::connect(server.https_address()).await.unwrap();
        let stream = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        RawHttps { stream, pending: Vec::new() }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Closes the sending side (TLS close_notify, then the TCP write half); reading goes on.
    pub async fn finish_sending(&mut self) {
        self.stream.shutdown().await.unwrap();
    }

    /// Reads more bytes; false when the server closed the connection (or reset it).
    async fn read_more(&mut self) -> bool {
        let mut buf = [0; 16 * 1024];
        let read = tokio::time::timeout(PATIENCE, self.stream.read(&mut buf)).await.expect("the server answers");
        match read {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
        }
    }

    /// The next response (its body sized by Content-Length), or `None` if the connection closed
    /// before one arrived whole.
    pub async fn response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(at) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            if !self.read_more().await {
                return None;
            }
        };
        let head = String::from_utf8(self.pending[..head_end].to_vec()).expect("a text head");
        self.pending.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_string();
        let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_string(), value.trim().to_string()))
            .collect();
        let mut response = RawResponse { status_line, status, headers, body: Vec::new() };
        let length: usize = response.header("content-length").map_or(0, |value| value.parse().unwrap());
        while self.pending.len() < length {
            if !self.read_more().await {
                return None;
            }
        }
        response.body = self.pending.drain(..length).collect();
        Some(response)
    }

    /// Whether the server closes the connection now, sending nothing more.
    pub async fn is_closed_by_server(&mut self) -> bool {
        !self.read_more().await && self.pending.is_empty()
    }
}

/// A request head for `POST /kmip` with the given content type and length.
pub fn post_head(content_type: &str, content_length: usize) -> Vec<u8> {
    format!(
        "POST /kmip HTTP/1.1\r\nHost: localhost\r\nCache-Control: no-cache\r\nContent-Type: {content_type}\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
    .into_bytes()
}
