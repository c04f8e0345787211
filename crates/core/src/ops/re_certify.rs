//! ReCertify: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::re_certify::{ReCertifyRequest, ReCertifyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ReCertifyRequest) -> OpResult<ReCertifyResponse> {
    Err(OpError::OperationNotSupported(Operation::ReCertify))
}
