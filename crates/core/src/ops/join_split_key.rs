//! JoinSplitKey: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::join_split_key::{JoinSplitKeyRequest, JoinSplitKeyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &JoinSplitKeyRequest) -> OpResult<JoinSplitKeyResponse> {
    Err(OpError::OperationNotSupported(Operation::JoinSplitKey))
}
