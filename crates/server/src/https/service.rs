//! What the server answers to each HTTP request of a connection.
//!
//! | request | answer |
//! | --- | --- |
//! | a path other than `/kmip` | 404 |
//! | a method other than POST | 405, `Allow: POST` |
//! | a `Content-Type` other than the three encodings' | 415 |
//! | a body longer than `max_message_size` | 413, before the body is read |
//! | a body not complete within `read_timeout` of the request's first byte | 408 |
//! | a KMIP message, readable or not | 200, the KMIP response in the request's encoding |
//! | a server failure (changes not durable, a bug) | 500 |
//!
//! Every refusal is short plain text. After one that leaves the request body unread, or a server
//! failure, the connection closes (`Connection: close`): what follows on it cannot be trusted to
//! start a request, or the server cannot be trusted to serve it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::Service;
use hyper::{Method, Request, Response, StatusCode};
use keyward_core::{AuditOrigin, ClientIdentity};
use tokio::time::Instant;
use tracing::Instrument;
use zeroize::Zeroizing;

use super::KMIP_PATH;
use super::body::{self, BodyError, ResponseBody, SecretBuf};
use super::deadlines::Activity;
use super::exchange;
use crate::request_id::{self, Request as RequestLog};
use crate::server::Shared;
use keyward_client::encoding::media_type;

/// The service of one connection: its client is known, each request is a KMIP exchange.
#[derive(Clone)]
pub(crate) struct KmipService {
    shared: Arc<Shared>,
    identity: Arc<ClientIdentity>,
    origin: Arc<AuditOrigin>,
    activity: Arc<Activity>,
}

impl KmipService {
    pub(crate) fn new(
        shared: Arc<Shared>,
        identity: Arc<ClientIdentity>,
        origin: Arc<AuditOrigin>,
        activity: Arc<Activity>,
    ) -> KmipService {
        KmipService { shared, identity, origin, activity }
    }

    async fn respond(
        &self,
        request: Request<Incoming>,
        first_byte: Instant,
        log: &RequestLog,
    ) -> Response<ResponseBody> {
        if request.uri().path() != KMIP_PATH {
            return refusal(StatusCode::NOT_FOUND, "KMIP is served at /kmip.");
        }
        if request.method() != Method::POST {
            let mut response = refusal(StatusCode::METHOD_NOT_ALLOWED, "KMIP messages are sent with POST.");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
        let Some((media_type, encoding)) = content_type.and_then(media_type) else {
            return refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The Content-Type must be application/octet-stream (TTLV), application/json (JSON) or \
                 text/xml (XML).",
            );
        };
        let limits = &self.shared.limits;
        let deadline = first_byte + limits.read_timeout;
        let body = match body::read(request.into_body(), limits.max_message_size, deadline).await {
            Ok(body) => body,
            Err(error) => return body_refusal(&error, limits.read_timeout, log),
        };
        let started = std::time::Instant::now();
        match exchange::run(&self.shared, &self.identity, &self.origin, encoding, body).await {
            Ok((response, operation)) => {
                let elapsed = started.elapsed();
                request_id::answered(operation, elapsed);
                if let Some(metrics) = &self.shared.metrics {
                    metrics.request_answered(operation, elapsed);
                }
                kmip_response(media_type, response)
            }
            Err(error) => {
                log.log(|| tracing::error!(%error, "request not answered"));
                closing(refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The server failed; the request's outcome is unknown.",
                ))
            }
        }
    }
}

impl Service<Request<Incoming>> for KmipService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        // Marked at once, not when the future first runs: the connection is busy from here.
        let in_flight = self.activity.request_started();
        let service = self.clone();
        let log = RequestLog::start(&self.shared.request_ids);
        let span = log.span();
        Box::pin(
            async move {
                let response = service.respond(request, in_flight.first_byte, &log).await;
                drop(in_flight);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// A KMIP response, with the headers the profile requires (§2.5; hyper adds Content-Length).
fn kmip_response(media_type: &'static str, body: Zeroizing<Vec<u8>>) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::new(SecretBuf::new(body)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn body_refusal(error: &BodyError, read_timeout: std::time::Duration, log: &RequestLog) -> Response<ResponseBody> {
    let response = match error {
        BodyError::TooLarge { .. } => {
            log.log(|| tracing::info!(%error, "request refused"));
            refusal(StatusCode::PAYLOAD_TOO_LARGE, "The message is larger than the server accepts.")
        }
        BodyError::TimedOut => {
            log.log(|| tracing::info!(timeout = ?read_timeout, "request not complete in time"));
            refusal(StatusCode::REQUEST_TIMEOUT, "The message did not arrive in time.")
        }
        // The peer is most likely gone; the answer is for the rare one still listening.
        BodyError::Broken(_) => {
            tracing::debug!(%error, "connection lost mid-request");
            refusal(StatusCode::BAD_REQUEST, "The message could not be read.")
        }
    };
    closing(response)
}

/// A short plain-text answer other than a KMIP response.
fn refusal(status: StatusCode, text: &str) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::new(SecretBuf::from(format!("{text}\n").as_str())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Tells the client, and hyper, that the connection ends with this response.
fn closing(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
