//! CreateSplitKey: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::create_split_key::{CreateSplitKeyRequest, CreateSplitKeyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &CreateSplitKeyRequest) -> OpResult<CreateSplitKeyResponse> {
    Err(OpError::OperationNotSupported(Operation::CreateSplitKey))
}
