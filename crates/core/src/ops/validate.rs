//! Validate: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::validate::{ValidateRequest, ValidateResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ValidateRequest) -> OpResult<ValidateResponse> {
    Err(OpError::OperationNotSupported(Operation::Validate))
}
