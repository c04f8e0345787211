//! Encrypt: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::encrypt::{EncryptRequest, EncryptResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &EncryptRequest) -> OpResult<EncryptResponse> {
    Err(OpError::OperationNotSupported(Operation::Encrypt))
}
