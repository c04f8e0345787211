//! ReKey: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::re_key::{ReKeyRequest, ReKeyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ReKeyRequest) -> OpResult<ReKeyResponse> {
    Err(OpError::OperationNotSupported(Operation::ReKey))
}
