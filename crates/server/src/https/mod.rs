//! KMIP over HTTPS (KMIP Additional Message Encodings 1.0, §2): a KMIP message in the body of
//! `POST /kmip`, in TTLV, JSON or XML as its `Content-Type` says, answered with `200 OK` and the
//! response message in the same encoding.
//!
//! HTTP is hyper's HTTP/1 server (HTTP/1.1 with keep-alive, and HTTP/1.0, which the profile
//! requires), driven connection by connection from our own accept loop: the TLS handshake, the
//! client's identity, the connection limit and the stop are the TTLV listener's. What differs:
//!
//! - Time limits: hyper has one header timeout that runs from the end of the previous response,
//!   which would make an idle keep-alive connection and a slow request the same thing. The
//!   `deadlines` module keeps them apart as the TTLV listener does (idle, then request, then
//!   response); the body's share of the request time is the service's.
//! - Shutdown: hyper's graceful shutdown closes a connection at once between requests and after
//!   the response otherwise. A request counts as started once its header is complete.
//!
//! HTTP/2 is not offered (ALPN says `http/1.1`): the profile does not ask for it, and its
//! concurrent streams would multiply what one connection may cost under the limits.
//!
//! Layout: `service` routes a request and answers it; `body` reads a request body within its
//! limits; `exchange` runs one KMIP message on the dispatcher; `convert` translates between the
//! request's encoding and TTLV; `deadlines` holds the connection's time limits.

pub(crate) mod body;
mod convert;
pub(crate) mod deadlines;
mod exchange;
mod service;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::admission::Slot;
use crate::handshake::{self, Authenticated};
use crate::server::{Shared, Transport};
use crate::shutdown::StopFlag;
use deadlines::{Activity, Deadlines};
use service::KmipService;

/// The target URI: the one the profile recommends (§2.3).
pub(crate) const KMIP_PATH: &str = "/kmip";

/// The application protocols announced in the TLS handshake.
pub(crate) const ALPN_PROTOCOLS: &[&[u8]] = &[b"http/1.1"];

/// The most a request's line and headers may take (hyper answers more with 431). KMIP clients send
/// a handful of short headers; hyper does not accept less than 8 KiB.
const MAX_HEAD_SIZE: usize = 16 * 1024;

/// Runs an HTTPS connection to its end. Holds its connection slot until then.
pub(crate) async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: StopFlag,
    mut slot: Slot,
) {
    let authenticated = handshake::accept(tcp, peer, &acceptor, &shared, &mut stop, &mut slot, Transport::Https).await;
    let Some(Authenticated { tls, identity, origin }) = authenticated else {
        return;
    };
    let span = tracing::info_span!("https", %peer, client = %identity.name);
    let (_, session) = tls.get_ref();
    let (version, suite) = (session.protocol_version(), session.negotiated_cipher_suite());
    tracing::debug!(parent: &span, ?version, ?suite, "connected");

    let activity = Activity::new();
    let io = TokioIo::new(Deadlines::new(tls, Arc::clone(&activity), &shared.limits));
    let service = KmipService::new(shared, identity, origin, activity);
    let mut http = http1::Builder::new();
    http
        // The time limits are ours (see the module comment).
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_SIZE)
        // A client that closes its sending side after its request still gets the answer, as on
        // the TTLV port.
        .half_close(true)
        // Header names as the profile and most KMIP clients write them ("Content-Length"):
        // case does not matter to HTTP, but it may to a minimal client.
        .title_case_headers(true);
    let connection = http.serve_connection(io, service);
    async move {
        tokio::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            () = stop.raised() => {
                // Idle: closed now. Busy: answered, then closed.
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        log_end(ended);
    }
    .instrument(span)
    .await;
}

/// Logs how a connection ended, at the level the configuration guide gives each case.
fn log_end(ended: Result<(), hyper::Error>) {
    let Err(error) = ended else {
        return tracing::debug!("connection closed");
    };
    let io_kind = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    if error.is_parse() || error.is_parse_too_large() {
        tracing::info!(%error, "connection closed: malformed HTTP request");
    } else if io_kind == Some(std::io::ErrorKind::TimedOut) {
        tracing::info!(%error, "connection closed");
    } else {
        tracing::debug!(%error, "connection lost");
    }
}
