//! The audit record of a management call: who asked what of the API (grants, backups, the KEK,
//! rotation policies), with the object or group it named and how it was answered. Recorded like
//! a KMIP request's, under the same fail-closed rule: a call the trail cannot record is refused
//! before it runs, and no answer is sent before its record is durable. A backup, which hands out
//! every key (sealed), is on the record before its first byte leaves.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use keyward_core::audit::{AuditEvent, AuditOrigin, AuditSink, AuditUnavailable};
use keyward_ttlv::enums::{ResultReason, ResultStatus};

use super::routes::{ApiError, Call, Reply};

/// The record of one call and its outcome.
pub(super) fn event(call: &Call<'_>, outcome: &Result<Reply, ApiError>) -> AuditEvent {
    let (status, reason) = match outcome {
        Ok(_) => (ResultStatus::Success, None),
        Err(error) => (ResultStatus::OperationFailed, Some(reason_of(error.status))),
    };
    AuditEvent {
        version: None,
        operation: None,
        action: Some(format!("{} {}", call.method, call.path)),
        batch_item_id: None,
        status,
        reason,
        inputs: named(call),
        outputs: Vec::new(),
        outputs_omitted: 0,
        commit: None,
    }
}

/// Appends the record and waits until it is durable.
pub(super) async fn record(
    sink: &Arc<dyn AuditSink>,
    origin: &Arc<AuditOrigin>,
    event: AuditEvent,
) -> Result<(), AuditUnavailable> {
    let sequence = sink.append(origin, vec![event])?;
    sink.durable(sequence).await
}

/// The refusal of a call whose record cannot be written.
pub(super) fn unavailable(error: &AuditUnavailable) -> ApiError {
    crate::audit::log_refusal(error);
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the audit trail cannot be written; the request is refused")
}

/// The KMIP Result Reason closest to an HTTP refusal, so that `keyward audit show` reads both
/// kinds of record alike.
fn reason_of(status: StatusCode) -> ResultReason {
    match status {
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => ResultReason::PermissionDenied,
        StatusCode::NOT_FOUND => ResultReason::ItemNotFound,
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::METHOD_NOT_ALLOWED => ResultReason::InvalidField,
        _ => ResultReason::GeneralFailure,
    }
}

/// The object or Object Group a call names, in its body or query (`group:` before a group's
/// name, so that it cannot be taken for an identifier). Nothing else of the body is kept.
fn named(call: &Call<'_>) -> Vec<String> {
    let mut named = Vec::new();
    let body: Option<serde_json::Value> =
        (*call.method != Method::GET).then(|| serde_json::from_slice(call.body).ok()).flatten();
    for (key, prefix) in [("object", ""), ("group", "group:")] {
        let value = body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .or_else(|| call.query_value(key).ok().flatten().map(str::to_string));
        if let Some(value) = value {
            named.push(format!("{prefix}{value}"));
        }
    }
    named
}
