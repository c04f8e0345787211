//! MACVerify: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::mac_verify::{MacVerifyRequest, MacVerifyResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &MacVerifyRequest) -> OpResult<MacVerifyResponse> {
    Err(OpError::OperationNotSupported(Operation::MACVerify))
}
