//! Decrypt: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::decrypt::{DecryptRequest, DecryptResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &DecryptRequest) -> OpResult<DecryptResponse> {
    Err(OpError::OperationNotSupported(Operation::Decrypt))
}
