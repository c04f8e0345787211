//! CreateKeyPair: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::create_key_pair::{CreateKeyPairRequest, CreateKeyPairResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &CreateKeyPairRequest) -> OpResult<CreateKeyPairResponse> {
    Err(OpError::OperationNotSupported(Operation::CreateKeyPair))
}
