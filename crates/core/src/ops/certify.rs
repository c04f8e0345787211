//! Certify: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::certify::{CertifyRequest, CertifyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &CertifyRequest) -> OpResult<CertifyResponse> {
    Err(OpError::OperationNotSupported(Operation::Certify))
}
