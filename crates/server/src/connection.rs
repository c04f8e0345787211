//! One KMIP-over-TLS connection (TTLV frames, the KMIP port): the TLS handshake, the client's
//! identity, then requests answered in order until the client leaves, a limit is hit, or the
//! server stops.
//!
//! A connection is in one of three phases, each with its own time limit: the handshake, idle
//! (waiting for the first byte of the next request) and busy (reading the rest of the request,
//! running it, waiting for its changes to be durable, writing the response). Shutdown interrupts
//! the handshake and idle phases only, so a request that has started is always answered.
//!
//! Each request has a `request_id` for the lines written about it (see `request_id` for when it
//! runs in a span of its own), and is timed from its last byte read to its response written for
//! the metrics.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use keyward_core::{AuditOrigin, ClientIdentity, Handled};
use keyward_ttlv::Encoder;
use keyward_ttlv::frame::{FrameError, FrameReader};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::Instrument;
use zeroize::Zeroize;

use crate::admission::Slot;
use crate::handshake::{self, Authenticated, close};
use crate::management;
use crate::request_id::{self, Request};
use crate::server::{Shared, Transport};
use crate::shutdown::StopFlag;

/// The buffer in front of TLS: one TLS record's worth, which holds most requests whole.
const READ_BUFFER: usize = 16 * 1024;

/// Runs a connection to its end. Holds its connection slot until then.
pub(crate) async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: StopFlag,
    mut slot: Slot,
) {
    let authenticated = handshake::accept(tcp, peer, &acceptor, &shared, &mut stop, &mut slot, Transport::Ttlv).await;
    let Some(Authenticated { tls, identity, origin }) = authenticated else {
        return;
    };
    let span = tracing::info_span!("connection", %peer, client = %identity.name);
    let (_, session) = tls.get_ref();
    let (version, suite) = (session.protocol_version(), session.negotiated_cipher_suite());
    tracing::debug!(parent: &span, ?version, ?suite, "connected");
    let mut stream = BufReader::with_capacity(READ_BUFFER, tls);
    // The first byte says whether the client speaks KMIP or the management API (see management).
    let first = tokio::select! {
        waited = timeout(shared.limits.idle_timeout, stream.fill_buf()) => waited.ok().and_then(Result::ok).and_then(|b| b.first().copied()),
        () = stop.raised() => None,
    };
    match first {
        None => {
            tracing::debug!(parent: &span, "connection closed before a request");
            return close(stream.into_inner()).await;
        }
        Some(byte) if management::starts_http(byte) => {
            return management::serve(stream, peer, identity, shared, stop).await;
        }
        Some(_) => {}
    }
    let connection = Connection {
        stream,
        frames: FrameReader::new(),
        request: Vec::new(),
        response: Encoder::new(),
        identity,
        origin,
        shared,
        stop,
    };
    connection.run().instrument(span).await;
}

/// A connection after its handshake.
struct Connection {
    stream: BufReader<TlsStream<TcpStream>>,
    frames: FrameReader,
    /// The request being run, copied out of the frame reader so that the dispatcher can run on a
    /// blocking thread; kept between requests to reuse its allocation.
    request: Vec<u8>,
    response: Encoder,
    identity: Arc<ClientIdentity>,
    origin: Arc<AuditOrigin>,
    shared: Arc<Shared>,
    stop: StopFlag,
}

/// Why a connection ends.
enum End {
    /// The client left, or the server is stopping: nothing worth more than a debug line.
    Quiet(&'static str),
    /// The client broke a rule or a limit.
    Refused(String),
    /// The connection's transport failed; the peer is probably gone.
    Broken(String),
    /// The server could not do its part.
    Failed(String),
}

impl End {
    fn log(&self) {
        match self {
            End::Quiet(reason) => tracing::debug!(reason, "connection closed"),
            End::Refused(reason) => tracing::info!(%reason, "connection closed"),
            End::Broken(reason) => tracing::debug!(%reason, "connection lost"),
            End::Failed(reason) => tracing::error!(%reason, "connection closed"),
        }
    }
}

impl Connection {
    async fn run(mut self) {
        let end = loop {
            if let Err(end) = self.next_request().await {
                end.log();
                break end;
            }
            let request = Request::start(&self.shared.request_ids);
            if let Err(end) = self.answer().instrument(request.span()).await {
                // Logged in the request's span: the line says which request ended the connection.
                request.log(|| end.log());
                break end;
            }
            if self.stop.is_raised() {
                let end = End::Quiet("server stopping");
                end.log();
                break end;
            }
        };
        // Request and response may hold key material.
        self.request.zeroize();
        self.response.clear();
        if !matches!(end, End::Broken(_)) {
            close(self.stream.into_inner()).await;
        }
    }

    /// Waits for the next request (idle phase) and reads it whole (busy phase) into `request`.
    async fn next_request(&mut self) -> Result<(), End> {
        let limits = &self.shared.limits;
        let first_byte = tokio::select! {
            waited = timeout(limits.idle_timeout, self.stream.fill_buf()) => waited,
            () = self.stop.raised() => return Err(End::Quiet("server stopping")),
        };
        match first_byte {
            Err(_) => return Err(End::Quiet("idle timeout")),
            Ok(Ok([])) => return Err(End::Quiet("client closed the connection")),
            Ok(Err(error)) => return Err(End::Broken(error.to_string())),
            Ok(Ok(_)) => {}
        }
        let frame = match timeout(limits.read_timeout, self.frames.read(&mut self.stream, &self.shared.decoder)).await {
            Err(_) => {
                return Err(End::Refused(format!("request not complete after {:?}", limits.read_timeout)));
            }
            Ok(Err(FrameError::Closed)) => return Err(End::Quiet("client closed the connection")),
            Ok(Err(FrameError::Truncated(read))) => {
                return Err(End::Broken(format!("client closed the connection {read} bytes into a request")));
            }
            // The stream cannot be trusted to be in step any more: no response, just close.
            Ok(Err(FrameError::Header(error))) => {
                return Err(End::Refused(format!("invalid message header: {error}")));
            }
            Ok(Err(FrameError::Io(error))) => return Err(End::Broken(error.to_string())),
            Ok(Ok(frame)) => frame,
        };
        self.request.zeroize();
        self.request.extend_from_slice(frame);
        Ok(())
    }

    /// Runs the request, records it in the audit trail, waits until its changes and their
    /// records are durable, and writes the response.
    async fn answer(&mut self) -> Result<(), End> {
        let started = Instant::now();
        let mut handled = self.dispatch().await?;
        let dispatcher = &self.shared.dispatcher;
        let version = crate::audit::refusal_version(&handled);
        let recorded = crate::audit::record(dispatcher, &self.origin, &mut handled);
        let Handled { ticket, operation, .. } = handled;
        if let Some(ticket) = ticket {
            // Acknowledging a change that is not on disk would be a lie the client cannot detect;
            // closing without a response at least tells it the outcome is unknown.
            ticket.await.map_err(|error| End::Failed(format!("changes not durable, no response sent: {error}")))?;
        }
        let refused = match recorded {
            Ok(None) => None,
            Ok(Some(durable)) => durable.await.inspect_err(crate::audit::log_refusal).err(),
            Err(error) => Some(error),
        };
        if refused.is_some() {
            // Fail closed: an answer whose record is not durable is not given.
            self.shared.dispatcher.write_unaudited_refusal(&mut self.response, version);
        }
        let write = async {
            self.stream.write_all(self.response.as_bytes()).await?;
            self.stream.flush().await
        };
        let written = timeout(self.shared.limits.write_timeout, write).await;
        self.response.clear();
        match written {
            Ok(Ok(())) => {
                let elapsed = started.elapsed();
                request_id::answered(operation, elapsed);
                if let Some(metrics) = &self.shared.metrics {
                    metrics.request_answered(operation, elapsed);
                }
                Ok(())
            }
            Ok(Err(error)) => Err(End::Broken(error.to_string())),
            Err(_) => Err(End::Refused(format!("response not taken after {:?}", self.shared.limits.write_timeout))),
        }
    }

    /// Runs the dispatcher. Most requests take microseconds and run in place: handing them to
    /// another thread and back cost more than the work (measured: three to five context switches
    /// a request). A request that may take milliseconds (an RSA key pair is generated in the
    /// request) runs on tokio's blocking pool, so that it does not hold up other connections' I/O.
    async fn dispatch(&mut self) -> Result<Handled, End> {
        if !self.shared.dispatcher.may_take_long(&self.request) {
            let shared = &self.shared;
            let dispatcher = &shared.dispatcher;
            return Ok(dispatcher.handle_message(&self.identity, &self.request, &shared.decoder, &mut self.response));
        }
        let shared = Arc::clone(&self.shared);
        let identity = Arc::clone(&self.identity);
        let request = std::mem::take(&mut self.request);
        let mut response = std::mem::take(&mut self.response);
        // The blocking pool's thread has no span of its own: carry the request's over.
        let span = tracing::Span::current();
        let job = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let handled = shared.dispatcher.handle_message(&identity, &request, &shared.decoder, &mut response);
            (request, response, handled)
        });
        match job.await {
            Ok((request, response, handled)) => {
                self.request = request;
                self.response = response;
                Ok(handled)
            }
            Err(error) => Err(End::Failed(format!("the dispatcher failed: {error}"))),
        }
    }
}
