//! The management API: what an operator does that KMIP has no operation for (access grants,
//! rotation policies, backups, the KEK), as JSON over HTTP/1.1, on the KMIP port itself.
//!
//! Why the KMIP port: the CLI reaches the server with the flags and profile it already has for
//! KMIP (`--server HOST:PORT --ca --cert --key`), under the same mutual TLS, the same client
//! identity and the same connection limits, and an operator opens no second port. A connection
//! says which it speaks with its first byte after the handshake: every KMIP message starts with
//! the tag of Request Message, 0x42 0x00 0x78 (KMIP 1.0 §9.1.1.1 tags, Table 2.1 of each version's
//! message structure), and every HTTP/1.1 request with the ASCII letters of its method (RFC 9112
//! §3), none of them with B, 0x42. A connection that starts with anything else is read as KMIP and refused there, as before.
//!
//! The routes (`routes`) are keyward-core's policy behind a thin JSON edge: each checks what the
//! caller may do with core's rules. Every answer is JSON: `{"error": "..."}` for a refusal, with
//! the HTTP status that says which kind.

mod audited;
mod routes;
mod service;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use keyward_core::ClientIdentity;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

use crate::https::deadlines::{Activity, Deadlines};
use crate::server::Shared;
use crate::shutdown::StopFlag;
use service::ManagementService;

/// The most a management request's line and headers may take.
const MAX_HEAD_SIZE: usize = 16 * 1024;

/// True when a connection's first byte starts an HTTP request rather than a KMIP message: the
/// first letter of a method the API answers (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS). Not
/// "any capital": the KMIP tag's first byte, 0x42, is the letter B.
pub(crate) fn starts_http(first_byte: u8) -> bool {
    matches!(first_byte, b'G' | b'P' | b'D' | b'H' | b'O')
}

/// Serves management requests on an authenticated connection until it ends.
pub(crate) async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    identity: Arc<ClientIdentity>,
    origin: Arc<keyward_core::audit::AuditOrigin>,
    shared: Arc<Shared>,
    mut stop: StopFlag,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let span = tracing::info_span!("management", %peer, client = %identity.name);
    let activity = Activity::new();
    let io = TokioIo::new(Deadlines::new(stream, Arc::clone(&activity), &shared.limits));
    let origin = Arc::new(keyward_core::audit::AuditOrigin { transport: "management", ..(*origin).clone() });
    let service = ManagementService::new(shared, identity, origin, peer, activity);
    let mut http = http1::Builder::new();
    http.header_read_timeout(None).max_buf_size(MAX_HEAD_SIZE).half_close(true);
    let connection = http.serve_connection(io, service);
    async move {
        tokio::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            () = stop.raised() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = ended {
            tracing::debug!(%error, "management connection ended");
        }
    }
    .instrument(span)
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kmip_message_is_never_taken_for_http() {
        // Request Message's tag, 0x420078, and the methods the API uses.
        assert!(!starts_http(0x42));
        for method in ["GET", "POST", "PUT", "DELETE"] {
            assert!(starts_http(method.as_bytes()[0]));
        }
    }
}
