//! DeriveKey: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::derive_key::{DeriveKeyRequest, DeriveKeyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &DeriveKeyRequest) -> OpResult<DeriveKeyResponse> {
    Err(OpError::OperationNotSupported(Operation::DeriveKey))
}
