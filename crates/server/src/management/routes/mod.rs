//! The management API's routes: `/v1/...`, one module per subject. A route reads its JSON body,
//! asks keyward-core's policy what the caller may do, and answers JSON (or a stream, for the
//! large answers such as a backup).
//!
//! | method and path | module | who |
//! | --- | --- | --- |
//! | `GET /v1/identity` | `identity` | anyone: who the server takes the caller for |
//! | `GET /v1/backup` | `backup` | administrators: a consistent backup, streamed |
//! | `GET/POST/DELETE /v1/grants` | `grants` | owners, custodians, administrators (see the module) |
//! | `GET, POST /v1/rotation/policies`, `DELETE /v1/rotation/policies/{id}` | `rotation` | administrators |
//! | `GET /v1/rotation/schedule[?object=UID]` | `rotation` | anyone: their own objects (administrators: all) |
//! | `GET /v1/kek/status` | `kek` | administrators: the KEK's versions, a re-seal's progress |
//! | `POST /v1/kek/rotate` | `kek` | administrators: a new KEK (`{"new_data_key": true}`: and data key) |

mod backup;
mod cluster;
mod grants;
mod identity;
mod kek;
mod rotation;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::{Method, StatusCode};
use keyward_core::ClientIdentity;
use serde::de::DeserializeOwned;

use crate::server::Shared;

/// A response body: whole (JSON) or streamed.
pub(crate) type ReplyBody = BoxBody<Bytes, std::io::Error>;

/// One request, as a route sees it.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) caller: &'a ClientIdentity,
    #[allow(dead_code)] // for the audit trail and the routes that log where a change came from
    pub(crate) peer: SocketAddr,
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    #[allow(dead_code)] // filters of the listing routes
    pub(crate) query: &'a str,
    pub(crate) body: &'a [u8],
}

impl Call<'_> {
    /// The body as the JSON of `T`; a request without a body reads as `{}`.
    #[allow(dead_code)] // used by the routes that take a body
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let body = if self.body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { self.body };
        serde_json::from_slice(body).map_err(|error| ApiError::bad_request(format!("the request body: {error}")))
    }

    /// The query string's value of `name`, if given (no percent-decoding is needed for the
    /// identifiers and names the API takes; a `%` is refused rather than misread).
    #[allow(dead_code)] // used by the listing routes
    pub(crate) fn query_value(&self, name: &str) -> Result<Option<&str>, ApiError> {
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == name {
                if value.contains('%') || value.contains('+') {
                    return Err(ApiError::bad_request(format!("query {name}: percent-encoding is not accepted")));
                }
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// Refuses a caller who is not one of the server's administrators.
    #[allow(dead_code)] // used by the routes that only administrators may call
    pub(crate) fn require_administrator(&self) -> Result<(), ApiError> {
        if self.shared.dispatcher.services().policy.role_of(self.caller) == keyward_core::access::Role::Administrator {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an administrator may do this"))
        }
    }
}

/// What a route answers.
pub(crate) enum Reply {
    Json(StatusCode, serde_json::Value),
    Stream { content_type: &'static str, body: ReplyBody },
}

impl Reply {
    pub(crate) fn ok(value: serde_json::Value) -> Reply {
        Reply::Json(StatusCode::OK, value)
    }
}

/// A refusal: the HTTP status says which kind, the message what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    /// A failure of the server's own (the store...): logged in full, told in short.
    #[allow(dead_code)] // used by the routes that write
    pub(crate) fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "management request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; see its log")
    }
}

/// Routes a request. A path that exists with another method is 405; any other is 404.
pub(crate) async fn route(call: &Call<'_>) -> Result<Reply, ApiError> {
    let segments: Vec<&str> = call.path.trim_matches('/').split('/').collect();
    let known = match segments.as_slice() {
        ["v1", "identity"] => {
            if call.method == Method::GET {
                return identity::show(call);
            }
            true
        }
        ["v1", "backup"] => {
            if call.method == Method::GET {
                return backup::create(call).await;
            }
            true
        }
        ["v1", "grants"] => match *call.method {
            Method::GET => return grants::list(call),
            Method::POST => return grants::add(call).await,
            Method::DELETE => return grants::remove(call).await,
            _ => true,
        },
        ["v1", "rotation", "policies"] => {
            if call.method == Method::GET {
                return rotation::list_policies(call).await;
            }
            if call.method == Method::POST {
                return rotation::add_policy(call).await;
            }
            true
        }
        ["v1", "rotation", "policies", id] => {
            if call.method == Method::DELETE {
                return rotation::remove_policy(call, id).await;
            }
            true
        }
        ["v1", "rotation", "schedule"] => {
            if call.method == Method::GET {
                return rotation::schedule(call).await;
            }
            true
        }
        ["v1", "cluster"] => {
            if call.method == Method::GET {
                return cluster::status(call);
            }
            true
        }
        ["v1", "kek", "status"] => {
            if call.method == Method::GET {
                return kek::status(call);
            }
            true
        }
        ["v1", "kek", "rotate"] => {
            if call.method == Method::POST {
                return kek::rotate(call).await;
            }
            true
        }
        _ => false,
    };
    if known {
        Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {}", call.method, call.path)))
    } else {
        Err(ApiError::not_found(format!("no management route {}", call.path)))
    }
}

/// A JSON value as a whole response body.
pub(crate) fn json_body(value: &serde_json::Value) -> ReplyBody {
    let text = serde_json::to_vec(value).unwrap_or_default();
    http_body_util::Full::new(Bytes::from(text)).map_err(|never| match never {}).boxed()
}
