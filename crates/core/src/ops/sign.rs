//! Sign: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::sign::{SignRequest, SignResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &SignRequest) -> OpResult<SignResponse> {
    Err(OpError::OperationNotSupported(Operation::Sign))
}
