//! The health and metrics listener: plain HTTP/1.1 (no TLS: it is bound to loopback by default,
//! and carries nothing secret) with three endpoints.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /health` | 200 while the process serves at all (liveness) |
//! | `GET /ready` | 200 once the store is open and the KMIP listeners accept; 503 before and while stopping |
//! | `GET /metrics` | 200, every metric in the Prometheus text format |
//! | another path | 404 |
//! | another method | 405, `Allow: GET` |
//! | a request with a body | 413, and the connection closes |
//!
//! It runs as a task of its own beside the KMIP listeners, with its own small connection limit,
//! so a saturated KMIP port does not delay it: a scrape waits for no KMIP request. Like the other
//! listeners it bounds what a client may cost: the request head's size, the time to send it, and
//! a connection's lifetime.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::ServerError;
use crate::metrics::{self, Metrics};

/// Scrapers and probes open a connection or two; more than this at once is not a monitoring
/// system, and is refused rather than let take memory.
const MAX_CONNECTIONS: usize = 32;

/// How long a client has to send a request's head, counted from the end of the previous response
/// (so also how long a kept-alive connection may idle).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a connection may stay open, whatever it does: a scrape takes milliseconds.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// The largest request head hyper reads (its smallest setting); a probe sends a few hundred bytes.
const MAX_HEAD_SIZE: usize = 8 * 1024;

/// Whether the server is ready for KMIP clients: set when the listeners accept, cleared when the
/// server begins to stop.
#[derive(Clone, Debug, Default)]
pub(crate) struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub(crate) fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The bound listener, not yet serving.
pub(crate) struct MetricsListener {
    socket: TcpListener,
    address: SocketAddr,
    metrics: Metrics,
    readiness: Readiness,
}

impl MetricsListener {
    pub(crate) async fn bind(
        address: SocketAddr,
        metrics: Metrics,
        readiness: Readiness,
    ) -> Result<MetricsListener, ServerError> {
        let bind_error = |error| ServerError::Bind { address, error };
        let socket = TcpListener::bind(address).await.map_err(bind_error)?;
        let address = socket.local_addr().map_err(bind_error)?;
        Ok(MetricsListener { socket, address, metrics, readiness })
    }

    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until the task is dropped or aborted; its connections go with it.
    pub(crate) async fn serve(self) {
        tracing::info!(address = %self.address, "serving health and metrics over HTTP");
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = self.socket.accept() => match accepted {
                    Ok((tcp, peer)) => match Arc::clone(&slots).try_acquire_owned() {
                        Ok(permit) => {
                            let (metrics, readiness) = (self.metrics.clone(), self.readiness.clone());
                            connections.spawn(async move {
                                serve_connection(tcp, peer, metrics, readiness).await;
                                drop(permit);
                            });
                        }
                        Err(_) => tracing::debug!(%peer, "metrics connection refused: too many open"),
                    },
                    Err(error) => {
                        tracing::debug!(%error, "metrics listener: accept failed");
                        // Out of descriptors, most likely: retrying at once would spin.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    }
}

async fn serve_connection(tcp: TcpStream, peer: SocketAddr, metrics: Metrics, readiness: Readiness) {
    let _ = tcp.set_nodelay(true);
    let service = service_fn(move |request| {
        let response = respond(&request, &metrics, &readiness);
        async move { Ok::<_, Infallible>(response) }
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).max_buf_size(MAX_HEAD_SIZE);
    let connection = http.serve_connection(TokioIo::new(tcp), service);
    match tokio::time::timeout(CONNECTION_LIFETIME, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%peer, %error, "metrics connection ended"),
        Err(_) => tracing::debug!(%peer, "metrics connection closed: open too long"),
    }
}

fn respond(request: &Request<Incoming>, metrics: &Metrics, readiness: &Readiness) -> Response<Full<Bytes>> {
    if request.method() != Method::GET {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Only GET is served here.\n");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    if has_body(request) {
        // The body is never read: what follows it on the connection cannot be trusted.
        let mut response = text(StatusCode::PAYLOAD_TOO_LARGE, "A GET here has no body.\n");
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    match request.uri().path() {
        "/health" => text(StatusCode::OK, "ok\n"),
        "/ready" if readiness.is_ready() => text(StatusCode::OK, "ready\n"),
        "/ready" => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
        "/metrics" => {
            let mut response = Response::new(Full::new(Bytes::from(metrics.render())));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(metrics::CONTENT_TYPE));
            response
        }
        _ => text(StatusCode::NOT_FOUND, "Served here: /health, /ready, /metrics.\n"),
    }
}

fn has_body(request: &Request<Incoming>) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.to_str().map_or(true, |length| length.trim() != "0"))
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
