//! ReKeyKeyPair: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::re_key_key_pair::{ReKeyKeyPairRequest, ReKeyKeyPairResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ReKeyKeyPairRequest) -> OpResult<ReKeyKeyPairResponse> {
    Err(OpError::OperationNotSupported(Operation::ReKeyKeyPair))
}
