//! Import: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::import::{ImportRequest, ImportResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ImportRequest) -> OpResult<ImportResponse> {
    Err(OpError::OperationNotSupported(Operation::Import))
}
