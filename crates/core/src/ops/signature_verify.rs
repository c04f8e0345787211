//! SignatureVerify: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::signature_verify::{SignatureVerifyRequest, SignatureVerifyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &SignatureVerifyRequest) -> OpResult<SignatureVerifyResponse> {
    Err(OpError::OperationNotSupported(Operation::SignatureVerify))
}
