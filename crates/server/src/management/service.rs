//! One management request: its body read within the server's limits, routed, answered in JSON.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::Service;
use hyper::{Request, Response, StatusCode};
use keyward_core::ClientIdentity;
use keyward_core::audit::AuditOrigin;
use tokio::time::Instant;

use super::audited;
use super::routes::{self, ApiError, Call, Reply, ReplyBody};
use crate::https::body;
use crate::https::deadlines::Activity;
use crate::server::Shared;

#[derive(Clone)]
pub(crate) struct ManagementService {
    shared: Arc<Shared>,
    identity: Arc<ClientIdentity>,
    /// Who calls, for the audit trail (transport "management").
    origin: Arc<AuditOrigin>,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl ManagementService {
    pub(crate) fn new(
        shared: Arc<Shared>,
        identity: Arc<ClientIdentity>,
        origin: Arc<AuditOrigin>,
        peer: SocketAddr,
        activity: Arc<Activity>,
    ) -> ManagementService {
        ManagementService { shared, identity, origin, peer, activity }
    }

    async fn respond(&self, request: Request<Incoming>, first_byte: Instant) -> Response<ReplyBody> {
        let (parts, incoming) = request.into_parts();
        let limits = &self.shared.limits;
        let body = match body::read(incoming, limits.max_message_size, first_byte + limits.read_timeout).await {
            Ok(body) => body,
            Err(error) => return ApiError::new(StatusCode::BAD_REQUEST, error.to_string()).into_response(true),
        };
        let call = Call {
            shared: &self.shared,
            caller: &self.identity,
            peer: self.peer,
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            body: &body,
        };
        // A call the trail cannot record is not served (fail closed), as a KMIP change.
        let audit = self.shared.dispatcher.audit().cloned();
        if let Some(Err(error)) = audit.as_ref().map(|sink| sink.writable()) {
            return audited::unavailable(&error).into_response(false);
        }
        let outcome = routes::route(&call).await;
        match &outcome {
            Ok(_) => tracing::info!(method = %parts.method, path = parts.uri.path(), "management request"),
            Err(error) => tracing::info!(method = %parts.method, path = parts.uri.path(), status = %error.status,
                %error, "management request refused"),
        }
        if let Some(sink) = &audit {
            let event = audited::event(&call, &outcome);
            if let Err(error) = audited::record(sink, &self.origin, event).await {
                return audited::unavailable(&error).into_response(false);
            }
        }
        match outcome {
            Ok(reply) => reply.into_response(),
            Err(error) => error.into_response(false),
        }
    }
}

impl Service<Request<Incoming>> for ManagementService {
    type Response = Response<ReplyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ReplyBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.request_started();
        let service = self.clone();
        Box::pin(async move {
            let response = service.respond(request, in_flight.first_byte).await;
            drop(in_flight);
            Ok(response)
        })
    }
}

impl Reply {
    fn into_response(self) -> Response<ReplyBody> {
        let (status, content_type, body) = match self {
            Reply::Json(status, value) => (status, "application/json", routes::json_body(&value)),
            Reply::Stream { content_type, body } => (StatusCode::OK, content_type, body),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl ApiError {
    pub(crate) fn into_response(self, closing: bool) -> Response<ReplyBody> {
        let mut response = Reply::Json(self.status, serde_json::json!({ "error": self.message })).into_response();
        if closing {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
