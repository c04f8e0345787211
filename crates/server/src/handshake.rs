//! The start of every connection, whatever it then carries (TTLV frames or HTTP): the TLS
//! handshake within its time limit, then the client's identity from its verified certificate. The
//! two listeners share it so that they authenticate clients in exactly the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::ClientIdentity;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::admission::Slot;
use crate::identity::IdentityError;
use crate::metrics::HandshakeFailure;
use crate::server::{Shared, Transport};
use crate::shutdown::StopFlag;

/// How long a closing connection may take to say goodbye (TLS close_notify) before it is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection whose client is authenticated.
pub(crate) struct Authenticated {
    pub(crate) tls: TlsStream<TcpStream>,
    pub(crate) identity: Arc<ClientIdentity>,
    /// Who the connection's requests come from, for the audit trail.
    pub(crate) origin: Arc<keyward_core::AuditOrigin>,
}

/// Completes the handshake and reads the client's identity. `None` when the connection ends here:
/// a failed or slow handshake, a certificate without a usable identity (both logged), or the
/// server stopping (a handshake is not a request in progress), an eviction by a newer handshake
/// (see `admission`), or `max_connections` authenticated clients already connected. Failures are counted in the
/// metrics under the listener that accepted the connection.
pub(crate) async fn accept(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: &TlsAcceptor,
    shared: &Shared,
    stop: &mut StopFlag,
    slot: &mut Slot,
    listener: Transport,
) -> Option<Authenticated> {
    let failed = |failure| {
        if let Some(metrics) = &shared.metrics {
            metrics.handshake_failed(listener, failure);
        }
    };
    // Requests and responses are small and strictly alternate: Nagle's algorithm would only add
    // latency.
    let _ = tcp.set_nodelay(true);
    let handshake = timeout(shared.limits.handshake_timeout, acceptor.accept(tcp));
    let tls = tokio::select! {
        outcome = handshake => match outcome {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                failed(log_handshake_failure(peer, &error));
                return None;
            }
            Err(_) => {
                tracing::info!(%peer, "TLS handshake timed out");
                failed(HandshakeFailure::Timeout);
                return None;
            }
        },
        () = stop.raised() => return None,
        () = slot.evicted() => {
            tracing::debug!(%peer, "handshake evicted by a newer connection");
            failed(HandshakeFailure::Timeout);
            return None;
        }
    };
    if !slot.authenticated() {
        tracing::warn!(%peer, "client refused after its handshake: max_connections reached");
        if let Some(metrics) = &shared.metrics {
            metrics.connection_refused();
        }
        close(tls).await;
        return None;
    }
    let (_, session) = tls.get_ref();
    let chain = session.peer_certificates();
    let certificate = chain.and_then(|chain| chain.first());
    let identity = match chain {
        Some(chain) => shared.identity.identify(chain),
        None => Err(IdentityError::NoCertificate),
    };
    match identity {
        Ok(identity) => {
            let label = match listener {
                Transport::Ttlv => "kmip",
                Transport::Https => "https",
            };
            let origin = crate::audit::origin(&identity, certificate.map(|c| c.as_ref()), peer, label);
            Some(Authenticated { tls, identity: Arc::new(identity), origin: Arc::new(origin) })
        }
        Err(error) => {
            tracing::warn!(%peer, %error, "client refused: no identity in its certificate");
            failed(HandshakeFailure::NoIdentity);
            close(tls).await;
            None
        }
    }
}

/// Ends a TLS connection politely (close_notify), without waiting long for a peer that is gone.
pub(crate) async fn close(mut tls: TlsStream<TcpStream>) {
    let _ = timeout(CLOSE_TIMEOUT, tls.shutdown()).await;
}

/// Logs a failed handshake at the level it deserves: a refused certificate is an authentication
/// failure an operator wants to see; a peer that connected and left (a port probe, a load
/// balancer's health check) is not. Returns the failure's kind for the metrics.
fn log_handshake_failure(peer: SocketAddr, error: &std::io::Error) -> HandshakeFailure {
    let tls_error = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls_error {
        Some(
            rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::InvalidCertRevocationList(_),
        ) => {
            tracing::warn!(%peer, %error, "client certificate refused");
            HandshakeFailure::Certificate
        }
        Some(_) => {
            tracing::info!(%peer, %error, "TLS handshake failed");
            HandshakeFailure::Protocol
        }
        None if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            tracing::debug!(%peer, "client left during the TLS handshake");
            HandshakeFailure::Closed
        }
        None => {
            tracing::debug!(%peer, %error, "TLS handshake failed");
            use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
            if matches!(error.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
                HandshakeFailure::Closed
            } else {
                HandshakeFailure::Protocol
            }
        }
    }
}
