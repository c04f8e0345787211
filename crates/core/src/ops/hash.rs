//! Hash: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::hash::{HashRequest, HashResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &HashRequest) -> OpResult<HashResponse> {
    Err(OpError::OperationNotSupported(Operation::Hash))
}
