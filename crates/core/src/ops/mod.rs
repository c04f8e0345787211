//! One module per operation; this table sends each request payload to its module.

mod discover_versions;

use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::context::Context;
use crate::error::{OpError, OpResult};

/// Runs one operation.
pub(crate) fn execute(cx: &mut Context<'_>, payload: &RequestPayload) -> OpResult<ResponsePayload> {
    Ok(match payload {
        RequestPayload::DiscoverVersions(request) => ResponsePayload::DiscoverVersions(discover_versions::run(cx, request)?),
        other => return Err(OpError::OperationNotSupported(other.operation())),
    })
}
